"""The explorer as one self-contained HTML page that opens from disk, with no server and no network.

The page embeds its data (names, listener counts, every method's related
lists) as JSON, and Vega-Embed with Vega-Lite and Vega (from ``vl-convert``)
for the slopegraph. Artist names are untrusted: the JSON is escaped so that
nothing in it can end its ``<script>`` element, and the page's script only
ever inserts them as text.

Run ``python -m recsys_utils.explorer_page --help`` (or ``make explorer``).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import time
import urllib.parse
from importlib import resources
from pathlib import Path

import numpy as np

from .explorer import MAX_ARTISTS, METHODS, RelatedLists, explorer_lists

DEFAULT_OUTPUT = Path("out") / "explorer.html"
SCORE_DECIMALS = 3

# Characters that may not appear raw inside a <script> element's JSON: "<" could start "</script>"
# or "<!--", and U+2028/U+2029 end lines in older JavaScript.
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def script_json(value) -> str:
    """``value`` as JSON that is safe to put inside ``<script type="application/json">``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _SCRIPT_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def page_data(lists: RelatedLists) -> dict:
    """What the page embeds: artists, listener counts, and each method's lists with scores in thousandths."""
    n = next(iter(lists.related.values()))[0].shape[1]
    methods = []
    for method, (indices, scores) in lists.related.items():
        # In float64: float32 arithmetic would round e.g. 0.98549998 up to 0.986.
        scaled = np.round(np.nan_to_num(scores.astype(np.float64)) * 10**SCORE_DECIMALS)
        thousandths = np.where(indices >= 0, scaled, 0)
        methods.append({"name": method, "parameters": lists.parameters.get(method, ""),
                        "indices": indices.ravel().tolist(), "scores": thousandths.astype(np.int64).ravel().tolist()})
    return {
        "dataset": lists.dataset,
        "n": n,
        "minListeners": lists.min_listeners,
        "totalArtists": lists.n_artists,
        "summary": lists.summary(),
        "names": [str(name) for name in lists.names],
        "listeners": lists.listeners.tolist(),
        "methods": methods,
        "slopegraphs": _slopegraph_specs(lists, n),
    }


def _slopegraph_specs(lists: RelatedLists, n: int) -> dict[str, dict[str, dict]]:
    """The Vega-Lite spec of :func:`recsys_utils.plots.slopegraph` for every pair of methods.

    The page swaps in the chosen artist's rows: ``method``, ``rank``, ``artist``, ``in both lists``.
    """
    from .plots import slopegraph

    placeholder = [f"#{rank}" for rank in range(n)]
    methods = lists.methods
    return {left: {right: slopegraph(placeholder, placeholder, left_title=left, right_title=right).to_dict()
                   for right in methods if right != left}
            for left in methods}


def render_page(lists: RelatedLists) -> str:
    """The explorer page for ``lists``, as one HTML document."""
    import vl_convert

    template = resources.files("recsys_utils").joinpath("templates/explorer.html").read_text(encoding="utf-8")
    title = f"Similar artists: {lists.dataset}" if lists.dataset else "Similar artists"
    fills = {
        "TITLE": html.escape(title),
        "DATA": script_json(page_data(lists)),
        "VEGA": vl_convert.javascript_bundle(),
    }
    # One pass over the template, so nothing filled in is ever read as a marker.
    return re.sub(r"/\*@(TITLE|DATA|VEGA)@\*/", lambda match: fills[match.group(1)], template)


def write_page(lists: RelatedLists, path: str | os.PathLike = DEFAULT_OUTPUT) -> Path:
    """Write :func:`render_page` to ``path`` (atomically; folders are created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(render_page(lists), encoding="utf-8")
    os.replace(partial, path)
    return path


def screenshot(page: str | os.PathLike, image: str | os.PathLike, artist: str | None = None, *,
               width: int = 1200, height: int = 1000, browser=None) -> Path:
    """A PNG of the page at ``page``, opened from disk in headless Chromium, showing ``artist``.

    Needs Playwright and a system Chromium (:mod:`recsys_utils.browser`);
    ``browser``, a Playwright ``Browser`` already running, is used if given.

    Raises
    ------
    ValueError
        ``artist`` is not on the page.
    """
    from .browser import chromium

    url = Path(page).resolve().as_uri()
    if artist:
        url += "#" + urllib.parse.quote(artist)
    image = Path(image)
    with contextlib.nullcontext(browser) if browser is not None else chromium() as running:
        tab = running.new_page(viewport={"width": width, "height": height})
        tab.goto(url)
        tab.wait_for_selector("body[data-ready='true']", state="attached")
        if artist:
            if tab.evaluate("document.body.dataset.artist") is None:
                raise ValueError(f"{artist!r} is not on the page {page}: {tab.text_content('#message')}")
            if tab.evaluate("document.getElementById('chart-controls').hidden") is False:
                tab.wait_for_selector("#chart svg")
        image.parent.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(image), full_page=True)
        tab.close()
    return image


def main(argv: list[str] | None = None) -> Path:
    """Command line: load a dataset, fit the methods, write the page."""
    from . import load_dataset
    from .datasets import DATASETS

    parser = argparse.ArgumentParser(prog="python -m recsys_utils.explorer_page", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default=os.environ.get("RECSYS_DATASET", "lastfm-2k"),
                        help=f"one of {', '.join(DATASETS)}, or a data file (default: $RECSYS_DATASET or lastfm-2k)")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help=f"default: {DEFAULT_OUTPUT}")
    parser.add_argument("--min-listeners", type=int, default=None,
                        help="show artists with at least this many listeners (default: 10, raised until at most "
                             "--max-artists are left)")
    parser.add_argument("--max-artists", type=int, default=MAX_ARTISTS, help=f"default: {MAX_ARTISTS:,}")
    parser.add_argument("--n", type=int, default=10, help="related artists per list (default: 10)")
    parser.add_argument("--factors", type=int, default=50)
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated, among {','.join(METHODS)} (default: all; LMF is the slowest to fit)")
    parser.add_argument("--scale", type=float, default=0.01, help="for --dataset synthetic: share of the 360K shape")
    parser.add_argument("--screenshot", metavar="PNG", help="also save a screenshot of the page (needs Chromium)")
    parser.add_argument("--artist", help="the artist the screenshot shows (default: the most listened)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = load_dataset(args.dataset, scale=args.scale)
    lists = explorer_lists(data, n=args.n, min_listeners=args.min_listeners, max_artists=args.max_artists,
                           factors=args.factors, methods=[m.strip() for m in args.methods.split(",") if m.strip()])
    artist = str(lists.names[lists.index(args.artist)] if args.artist else lists.names[np.argmax(lists.listeners)])
    path = write_page(lists, args.output)
    print(f"{data!r}\n{lists.summary()}\nwrote {path} ({path.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - started:.0f} s")
    if args.screenshot:
        print(f"screenshot: {screenshot(path, args.screenshot, artist)}")
    return path


if __name__ == "__main__":
    main()
