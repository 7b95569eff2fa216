"""The offline explorer page: build time, file size, and how fast it loads and answers in Chromium.

For Last.fm 2K (from ``RECSYS_DATA_DIR``; skipped, with the reason printed,
when ``hetrec2011-lastfm-2k`` is not there) and for synthetic data of the
Last.fm 360K shape (``--scale 1.0``: 358,868 users x 292,385 artists):

* build: ``explorer_lists(data)``, i.e. fit LSA (``lsa_factors``, block Krylov) and ALS, then
  every shown artist's exact related lists (seconds, once);
* page: ``write_page`` into a temporary folder; artists shown out of all,
  ``min_listeners`` used, artists left out, file size, and how much of it is the
  embedded JSON data and how much the Vega JavaScript bundle;
* in headless Chromium (``recsys_utils.browser.chromium()``, the system's
  Chromium), ``--repeats`` times, each in a fresh browser context and page
  opened from the file's ``file://`` URL:

  - load: from ``page.goto`` until ``body[data-ready=true]`` (the page has
    parsed its data and set up), by the wall clock;
  - suggest: from the ``input`` event of a 6-letter misspelling of a popular
    artist, filled into ``#query`` at once, until the first ``#suggestions li``
    is in the page. A misspelling is no name's prefix, so the page scans every
    name for close ones: its slowest path. Includes the page's 60 ms debounce;
  - render: from the ``mousedown`` on the first suggestion until ``#chart svg``
    is in the page (the lists in ``#lists`` are drawn before it).

  Suggest and render are timed inside the page (``performance.now()`` in a
  listener and a ``MutationObserver``), so Playwright's round trips and polling
  are left out; the wall-clock times Playwright sees are printed per run.

* the notebook widget (``ArtistExplorer``), in Python, ``--repeats`` times:
  the same misspelling set as the text box's value until its suggestions are
  filled in, and the first suggestion chosen until its lists and slopegraph
  (an SVG from vl-convert) are set.

Nothing is written outside a temporary folder. Prints each run, then medians
in a markdown table. Usage:

    python benchmarks/bench_explorer.py [--scale 1.0] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

TIMEOUT_MS = 300_000  # a 25 MB page may take a while in a slow container

# Installed in every page before its own scripts: timestamps of the moments we measure.
INSTRUMENT = r"""
window.__bench = {};
const mark = (key) => { if (!(key in window.__bench)) window.__bench[key] = performance.now(); };
new MutationObserver(() => { if (document.body && document.body.dataset.ready === "true") mark("ready"); })
  .observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("suggestions"), chart = document.getElementById("chart");
  new MutationObserver(() => { if (box.querySelector("li")) mark("suggested"); })
    .observe(box, { childList: true });
  new MutationObserver(() => { if (chart.querySelector("svg")) mark("svg"); })
    .observe(chart, { childList: true, subtree: true });
  document.addEventListener("input", () => { window.__bench.input = performance.now(); }, true);
  document.addEventListener("mousedown", () => { window.__bench.mousedown = performance.now(); }, true);
});
"""


def misspelling(lists) -> str:
    """A 6-letter typo of the most popular artist that allows one: no name starts with it, yet it has suggestions."""
    import numpy as np

    from recsys_utils.utils import fold_name

    keys = [fold_name(name) for name in lists.names]
    for i in np.argsort(-lists.listeners, kind="stable")[:200]:
        word = keys[i][:6]
        if len(word) < 6 or not word.isalpha() or word[2] == word[3]:
            continue
        typo = word[:2] + word[3] + word[2] + word[4:]  # two letters swapped: "artist" -> "aritst"
        if not any(key.startswith(typo) for key in keys) and lists.lookup.suggest_indices(typo, 8):
            return typo
    raise RuntimeError("found no popular artist name to misspell")


def page_sizes(path: Path) -> dict[str, float]:
    """The page's size in MB, and how much of it is the embedded JSON and the Vega bundle."""
    text = path.read_text(encoding="utf-8")
    opening = '<script type="application/json" id="explorer-data">'
    start = text.index(opening) + len(opening)
    json_bytes = len(text[start:text.index("</script>", start)].encode())
    import vl_convert

    return {"mb": path.stat().st_size / 1e6, "json_mb": json_bytes / 1e6,
            "vega_mb": len(vl_convert.javascript_bundle().encode()) / 1e6}


def time_page(browser, url: str, typo: str) -> dict[str, float]:
    """One fresh page: load, suggest and render times (seconds and milliseconds)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.add_init_script(INSTRUMENT)
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_selector("body[data-ready='true']", state="attached")
        load_s = time.perf_counter() - start

        start = time.perf_counter()
        page.fill("#query", typo)
        page.wait_for_selector("#suggestions li", state="attached")
        suggest_wall_ms = (time.perf_counter() - start) * 1e3
        n_suggestions = page.locator("#suggestions li").count()
        first = page.locator("#suggestions li").first.inner_text().split("\n")[0]

        start = time.perf_counter()
        page.locator("#suggestions li").first.click()
        page.wait_for_selector("#chart svg", state="attached")
        render_wall_ms = (time.perf_counter() - start) * 1e3
        n_methods = page.locator("#lists section.method").count()
        marks = page.evaluate("window.__bench")
    finally:
        context.close()
    return {"load_s": load_s, "ready_in_page_s": marks["ready"] / 1e3,
            "suggest_ms": marks["suggested"] - marks["input"], "suggest_wall_ms": suggest_wall_ms,
            "render_ms": marks["svg"] - marks["mousedown"], "render_wall_ms": render_wall_ms,
            "n_suggestions": n_suggestions, "first": first, "n_methods": n_methods}


def time_widget(lists, typo: str, repeats: int) -> dict[str, float]:
    """The notebook widget, in Python: one keystroke's suggestions, and showing the first one (lists and SVG)."""
    from recsys_utils.explorer_widget import ArtistExplorer

    explorer = ArtistExplorer(lists)
    suggest, show = [], []
    for _ in range(repeats):
        explorer.query.value = ""
        start = time.perf_counter()
        explorer.query.value = typo
        suggest.append((time.perf_counter() - start) * 1e3)
        start = time.perf_counter()
        explorer.choices.value = explorer.choices.options[0][1]
        show.append((time.perf_counter() - start) * 1e3)
    return {"widget_suggest_ms": statistics.median(suggest), "widget_show_ms": statistics.median(show)}


def bench(data, label: str, repeats: int, tmp: Path) -> dict:
    """Build the lists and the page for ``data``, then time the page ``repeats`` times."""
    from recsys_utils.browser import chromium
    from recsys_utils.explorer import explorer_lists
    from recsys_utils.explorer_page import write_page

    print(f"\n## {label}: {data!r}", flush=True)
    start = time.perf_counter()
    lists = explorer_lists(data, show_progress=False)
    build_s = time.perf_counter() - start
    print(f"build (fit LSA + ALS, related lists): {build_s:.1f} s; {lists.summary()}", flush=True)

    start = time.perf_counter()
    path = write_page(lists, tmp / (re.sub(r"\W+", "-", label).strip("-") + ".html"))
    write_s = time.perf_counter() - start
    sizes = page_sizes(path)
    print(f"page: {sizes['mb']:.1f} MB (embedded JSON {sizes['json_mb']:.1f} MB, Vega bundle "
          f"{sizes['vega_mb']:.1f} MB, the rest {sizes['mb'] - sizes['json_mb'] - sizes['vega_mb']:.2f} MB); "
          f"written in {write_s:.1f} s", flush=True)
    typo = misspelling(lists)
    print(f"misspelling typed: {typo!r}", flush=True)

    runs = []
    with chromium() as browser:
        for i in range(repeats):
            r = time_page(browser, path.as_uri(), typo)
            runs.append(r)
            print(f"  run {i + 1}: load {r['load_s']:.2f} s (in page {r['ready_in_page_s']:.2f} s); "
                  f"suggest {r['suggest_ms']:.0f} ms (wall {r['suggest_wall_ms']:.0f}), {r['n_suggestions']} "
                  f"suggestions, first {r['first']!r}; render {r['render_ms']:.0f} ms "
                  f"(wall {r['render_wall_ms']:.0f}), {r['n_methods']} method tables", flush=True)
    median = {key: statistics.median(r[key] for r in runs) for key in ("load_s", "suggest_ms", "render_ms")}
    widget = time_widget(lists, typo, repeats)
    print(f"  widget: suggest {widget['widget_suggest_ms']:.0f} ms, show {widget['widget_show_ms']:.0f} ms", flush=True)
    return {"label": label, "shown": len(lists.names), "total": lists.n_artists,
            "min_listeners": lists.min_listeners, "build_s": build_s, **sizes, **median, **widget}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="synthetic data: share of the 360K shape")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from recsys_utils import load_dataset

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_dir = os.environ.get("RECSYS_DATA_DIR")
        if data_dir and (Path(data_dir) / "hetrec2011-lastfm-2k").is_dir():
            data = load_dataset("lastfm-2k", data_dir, use_cache=False, show_progress=False)
            rows.append(bench(data, data.name, args.repeats, tmp))
        else:
            print(f"skipping Last.fm 2K: RECSYS_DATA_DIR ({data_dir or 'not set'}) has no hetrec2011-lastfm-2k")
        start = time.perf_counter()
        data = load_dataset("synthetic", scale=args.scale)
        print(f"\nsynthetic data generated in {time.perf_counter() - start:.1f} s", flush=True)
        rows.append(bench(data, data.name, args.repeats, tmp))
        del data

    print(f"\nMedians of {args.repeats} fresh pages; suggest includes the page's 60 ms debounce. "
          "Widget: the notebook widget in Python (no debounce; show draws the slopegraph's SVG).\n")
    print("| dataset | artists shown / total | min listeners | MB | build s | load s | suggest ms | render ms "
          "| widget suggest ms | widget show ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['label']} | {r['shown']:,} / {r['total']:,} | {r['min_listeners']:,} | {r['mb']:.1f} | "
              f"{r['build_s']:.1f} | {r['load_s']:.2f} | {r['suggest_ms']:.0f} | {r['render_ms']:.0f} "
              f"| {r['widget_suggest_ms']:.0f} | {r['widget_show_ms']:.0f} |")


if __name__ == "__main__":
    main()
