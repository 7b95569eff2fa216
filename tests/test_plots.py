"""The shared charts: what they draw and the quantile table's numbers."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from recsys_utils.plots import plot_head_share, plot_rank_frequency, quantile_table  # noqa: E402


def test_rank_frequency_plots_sorted_positive_counts_on_log_axes():
    ax = plot_rank_frequency(np.array([3, 0, 10, 1]), label="listeners")
    x, y = ax.lines[0].get_data()
    assert list(x) == [1, 2, 3] and list(y) == [10, 3, 1]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_head_share_ends_at_100_percent():
    ax = plot_head_share(np.array([1.0, 3.0, 6.0]))
    x, y = ax.lines[0].get_data()
    assert np.allclose(x, [100 / 3, 200 / 3, 100]) and np.allclose(y, [60, 90, 100])


def test_quantile_table():
    table = quantile_table({"a": np.arange(1, 6), "b": np.array([2.0, 2.0, 2.0, 2.0, 10.0])})
    assert table.loc["min", "a"] == 1 and table.loc["max", "b"] == 10
    assert table.loc["50%", "a"] == 3 and table.loc["mean", "b"] == 3.6


def test_altair_charts_get_a_png_beside_their_spec():
    import altair as alt
    import pandas as pd

    from recsys_utils.plots import VEGALITE_LAB_MIME, enable_static_charts

    before = alt.renderers.active
    enable_static_charts(scale=1.0)
    try:
        bundle = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_bar().encode(x="x", y="y")._repr_mimebundle_()
    finally:
        alt.renderers.enable(before)
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert bundle["image/png"].startswith(b"\x89PNG") and bundle[VEGALITE_LAB_MIME]["mark"]["type"] == "bar"


def test_text_progress_bars_on_request(monkeypatch):
    from tqdm.std import tqdm as text_bar

    from recsys_utils.utils import progress_bar

    monkeypatch.setenv("RECSYS_PROGRESS", "text")
    with progress_bar(total=1, disable=True, leave=False) as bar:
        assert type(bar) is text_bar and bar.leave


def test_slopegraph_joins_only_artists_in_both_lists():
    from recsys_utils.plots import slopegraph

    chart = slopegraph(["a", "b", "c"], ["c", "d", "a"], title="t")
    spec = chart.to_dict()
    values = next(iter(spec["datasets"].values()))
    both = {row["artist"] for row in values if row["in both lists"]}
    assert both == {"a", "c"} and len(values) == 6 and len(spec["layer"]) == 4


def test_recall_time_chart_puts_seconds_on_a_log_axis():
    import pandas as pd

    from recsys_utils.plots import recall_time_chart

    trade = pd.DataFrame({"method": ["Annoy", "exact"], "setting": ["10 trees", "BLAS"], "seconds": [0.5, 2.0],
                          "recall@10": [0.7, 1.0]})
    spec = recall_time_chart(trade).to_dict()
    assert spec["encoding"]["x"]["scale"]["type"] == "log" and np.allclose(spec["encoding"]["y"]["scale"]["domain"], [0.65, 1.0])
