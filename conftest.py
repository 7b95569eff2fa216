"""Shared by tests/ and the nbval run over notebooks/."""

import os
from pathlib import Path

import pytest


def shared_data_dir() -> Path | None:
    """RECSYS_DATA_DIR when it names an existing folder (CI: ../shared/data)."""
    value = os.environ.get("RECSYS_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


def pytest_collection_modifyitems(config, items):
    """Notebooks run on HetRec Last.fm 2K; skip them, saying why, where it is absent."""
    data = shared_data_dir()
    if data is not None and (data / "hetrec2011-lastfm-2k" / "user_artists.dat").is_file():
        return
    skip = pytest.mark.skip(
        reason="notebooks need HetRec Last.fm 2K: set RECSYS_DATA_DIR to a folder holding "
        "hetrec2011-lastfm-2k/ (CI uses ../shared/data)"
    )
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(skip)
