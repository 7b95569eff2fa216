"""Committed notebook outputs render wherever they are read: GitHub and nbviewer run no JavaScript."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def outputs(path):
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        for output in cell.get("outputs", []):
            yield i, output.get("data", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chart_carries_a_static_image(path):
    for i, data in outputs(path):
        html = "".join(data.get("text/html", ""))
        is_chart = any(key.startswith(("application/vnd.vegalite", "application/vnd.vega.")) for key in data) \
            or "vega-embed" in html
        if is_chart:
            assert "image/png" in data or "image/svg+xml" in data, f"{path.name} cell {i}: a chart with no image"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_progress_bars_are_text_not_frozen_widgets(path):
    for i, data in outputs(path):
        if WIDGET in data:
            text = "".join(data.get("text/plain", ""))
            assert not re.search(r"\d+%\|", text), f"{path.name} cell {i}: a progress widget frozen as {text!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_widgets_carry_a_static_fallback(path):
    """Where no kernel runs, a widget's output shows its HTML, not an error or a bare repr."""
    for i, data in outputs(path):
        if WIDGET in data:
            assert "text/html" in data or "image/png" in data, f"{path.name} cell {i}: a widget with no static fallback"


def test_the_checks_catch_what_they_look_for(tmp_path):
    notebook = {"cells": [{"cell_type": "code", "outputs": [
        {"data": {"application/vnd.vegalite.v5+json": {}, "text/plain": "chart"}},
        {"data": {WIDGET: {}, "text/plain": "ALS (cg):   0%|          | 0/15"}},
    ]}]}
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(notebook))
    with pytest.raises(AssertionError, match="no image"):
        test_every_chart_carries_a_static_image(path)
    with pytest.raises(AssertionError, match="frozen"):
        test_progress_bars_are_text_not_frozen_widgets(path)
    with pytest.raises(AssertionError, match="no static fallback"):
        test_widgets_carry_a_static_fallback(path)
