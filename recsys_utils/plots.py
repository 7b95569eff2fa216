"""Charts the notebooks share, and how Altair charts are displayed."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def plot_rank_frequency(counts: np.ndarray, ax: plt.Axes | None = None, *, label: str = "", xlabel: str = "rank", ylabel: str = "count") -> plt.Axes:
    """Counts sorted from largest to smallest against their rank, on log-log axes.

    A straight line on this chart is a power law: the shape of the "long tail"
    of listening data.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    values = np.sort(np.asarray(counts).ravel())[::-1]
    values = values[values > 0]
    ax.loglog(np.arange(1, len(values) + 1), values, label=label or None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    if label:
        ax.legend()
    return ax


def plot_head_share(counts: np.ndarray, ax: plt.Axes | None = None, *, label: str = "", what: str = "plays") -> plt.Axes:
    """Share of all ``what`` that goes to the top x% of items (a Lorenz-style curve)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    values = np.sort(np.asarray(counts, dtype=float).ravel())[::-1]
    share = np.cumsum(values) / values.sum()
    top = np.arange(1, len(values) + 1) / len(values)
    ax.plot(100 * top, 100 * share, label=label or None)
    ax.set_xscale("log")
    ax.set_xlabel("top % of artists")
    ax.set_ylabel(f"% of all {what}")
    ax.grid(True, alpha=0.3)
    if label:
        ax.legend()
    return ax


def quantile_table(columns: dict[str, np.ndarray], quantiles=(0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0)) -> pd.DataFrame:
    """A table of quantiles (rows) of several distributions (columns), plus the mean."""
    table = pd.DataFrame(
        {name: np.quantile(np.asarray(values, dtype=float), quantiles) for name, values in columns.items()},
        index=[f"{q:.0%}" if 0 < q < 1 else ("min" if q == 0 else "max") for q in quantiles],
    )
    table.loc["mean"] = [np.mean(values) for values in columns.values()]
    return table


def slopegraph(left: list[str], right: list[str], *, left_title: str = "LSA", right_title: str = "ALS",
               title: str = "", width: int = 440):
    """Two ranked lists side by side, a line joining an item's two ranks when both lists have it (the blog's chart).

    Items in one list only stand alone, in grey, on their side.

    Returns
    -------
    altair.LayerChart
    """
    import altair as alt

    rows = [{"method": method, "rank": rank, "artist": name}
            for method, names in ((left_title, left), (right_title, right)) for rank, name in enumerate(names, 1)]
    frame = pd.DataFrame(rows, columns=["method", "rank", "artist"])
    frame["in both lists"] = frame["artist"].isin(set(left) & set(right))
    n = max(len(left), len(right), 1)
    base = alt.Chart(frame).encode(
        # Outer padding of 1.5 steps puts the columns at 3/8 and 5/8 of the width: room for the names beside them.
        x=alt.X("method:N", sort=[left_title, right_title], title=None, axis=alt.Axis(labelAngle=0, orient="top"),
                scale=alt.Scale(padding=1.5)),
        y=alt.Y("rank:Q", scale=alt.Scale(reverse=True, domain=[0.5, n + 0.5]), title="rank"),
    )
    lines = base.mark_line(color="#4c78a8").encode(detail="artist:N").transform_filter(alt.datum["in both lists"])
    points = base.mark_circle(size=60).encode(
        color=alt.Color("in both lists:N", scale=alt.Scale(domain=[False, True], range=["#bbbbbb", "#4c78a8"])))
    labels = [base.mark_text(align=align, dx=dx, limit=0.375 * width - 16).encode(text="artist:N").transform_filter(alt.datum.method == side)
              for side, align, dx in ((left_title, "right", -8), (right_title, "left", 8))]
    return alt.layer(lines, points, *labels).properties(width=width, height=32 * n, title=title)


def recall_time_chart(trade: pd.DataFrame, *, title: str = ""):
    """Recall against seconds (log scale) of approximate searches, one point per setting, up-left is better.

    ``trade`` has columns ``method``, ``setting``, ``seconds`` and ``recall@10``.

    Returns
    -------
    altair.Chart
    """
    import altair as alt

    low = max(0.0, float(trade["recall@10"].min()) - 0.05)
    return alt.Chart(trade).mark_circle(size=90).encode(
        x=alt.X("seconds:Q", scale=alt.Scale(type="log"), title="seconds for all artists (log)"),
        y=alt.Y("recall@10:Q", scale=alt.Scale(domain=[low, 1.0])),
        color="method:N",
        tooltip=["method", "setting", alt.Tooltip("seconds:Q", format=".2f"), alt.Tooltip("recall@10:Q", format=".3f")],
    ).properties(width=460, height=300, title=title)


#: Where JupyterLab's built-in Vega renderer (Vega-Lite 5) picks a spec up for an interactive chart.
VEGALITE_LAB_MIME = "application/vnd.vegalite.v5+json"


def altair_bundle(spec: dict, scale: float = 2.0) -> dict:
    """A display bundle for one chart: the spec, for an interactive chart in JupyterLab, and a PNG.

    Readers that do not run JavaScript or do not know the spec's type
    (GitHub, nbviewer, nbconvert's HTML) fall back to the PNG, drawn here by
    vl-convert without a browser.
    """
    import vl_convert

    png = vl_convert.vegalite_to_png(spec, scale=scale)
    return {VEGALITE_LAB_MIME: spec, "image/png": png, "text/plain": "<Altair chart: an image where JavaScript does not run>"}


def enable_static_charts(scale: float = 2.0) -> None:
    """Display every Altair chart as :func:`altair_bundle` does: interactive, with a PNG beside it."""
    import altair as alt

    alt.renderers.register("recsys_utils", lambda spec, **metadata: altair_bundle(spec, scale))
    alt.renderers.enable("recsys_utils")

