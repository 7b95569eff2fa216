"""The explorer's data, its offline page (without a browser) and its notebook widget."""

import json
import re

import numpy as np
import pytest

from recsys_utils.explorer import MIN_LISTENERS_FLOOR, RelatedLists, default_min_listeners
from recsys_utils.explorer_page import main, page_data, render_page, script_json, write_page
from recsys_utils.explorer_widget import ArtistExplorer, lists_html
from recsys_utils.neighbours import TopRelated
from recsys_utils.utils import ItemNames, UnknownItemError, fold_name

from conftest import EVIL, explorer_factors


@pytest.fixture
def lists(explorer_lists):
    return explorer_lists

def test_default_min_listeners_keeps_at_most_max_artists_and_never_goes_below_the_floor():
    listeners = np.repeat(np.arange(1, 101), 10)  # 10 artists with each count from 1 to 100
    assert default_min_listeners(listeners, max_artists=5_000) == MIN_LISTENERS_FLOOR
    threshold = default_min_listeners(listeners, max_artists=205)
    assert (listeners >= threshold).sum() <= 205 < (listeners >= threshold - 1).sum()
    assert threshold == 81
    assert default_min_listeners(listeners, max_artists=1) == 101  # ties at the top: nobody fits


def test_lists_are_the_exact_top_n_among_the_artists_shown(lists):
    assert len(lists.names) == (lists.listeners >= 5).sum() and lists.min_listeners == 5
    assert lists.n_artists == 300 and "left out" in lists.summary()
    shown = TopRelated(explorer_factors()["LSA"][lists.artist_ids])
    for i in (0, 7, len(lists.names) - 1):
        expected, scores = shown.get_related(i, 10)
        indices, got_scores = lists.related["LSA"]
        assert list(indices[i]) == list(expected)
        np.testing.assert_allclose(got_scores[i], scores, atol=1e-6)


def test_lists_look_artists_up_ignoring_case_and_accents(lists):
    table = lists.lists("BJORK", "ALS")
    assert list(table.columns) == ["artist", "score", "listeners"] and len(table) == 10
    assert table.index[0] == 1 and (np.diff(table["score"]) <= 0).all()
    assert set(lists.side_by_side("sigur ros").columns.get_level_values(0)) == {"LSA", "ALS"}
    with pytest.raises(UnknownItemError, match="Björk"):
        lists.index("Bjork Gudmundsdottir")  # contains a known name: suggested
    with pytest.raises(KeyError, match="unknown method"):
        lists.lists("Björk", "BPR")


@pytest.mark.parametrize("bad, match", [
    ({}, "at least one method"),
    ({"LSA": np.ones((299, 4))}, "shape"),
    ({"LSA": np.ones(300)}, "shape"),
])
def test_build_rejects_bad_factors(bad, match):
    with pytest.raises(ValueError, match=match):
        RelatedLists.build(bad, [f"a{i}" for i in range(300)], np.ones(300, int), show_progress=False)


def test_build_rejects_bad_listeners_and_thresholds():
    factors = {"LSA": np.ones((3, 2))}
    with pytest.raises(ValueError, match="listener counts"):
        RelatedLists.build(factors, ["a", "b", "c"], [1, 2], show_progress=False)
    with pytest.raises(ValueError, match="lower min_listeners"):
        RelatedLists.build(factors, ["a", "b", "c"], [1, 2, 30], min_listeners=10, show_progress=False)
    with pytest.raises(ValueError, match="min_listeners"):
        RelatedLists.build(factors, ["a", "b", "c"], [1, 2, 3], min_listeners=0, show_progress=False)


def test_fold_name_ignores_case_and_accents_but_keeps_other_letters():
    assert fold_name("Björk") == fold_name("BJORK") == "bjork"
    assert fold_name("Sigur Rós") == "sigur ros" and fold_name("Mötley Crüe") == "motley crue"
    assert fold_name("Øystein") != fold_name("Oystein")  # ø is a letter of its own, not o + accent


def test_suggestions_exact_then_prefix_by_popularity_then_misspellings_then_substrings():
    names = ItemNames(["Radiohead", "Radio Tribute", "Rad", "Björk", "Bjork Tribute", "The Beatles", "Muse"],
                      popularity=[300, 5, 1, 200, 2, 400, 50])
    assert names.suggest("rad", 3) == ["Rad", "Radiohead", "Radio Tribute"]  # the name itself, then by popularity
    assert names.suggest("bjork")[:2] == ["Björk", "Bjork Tribute"]
    assert names.suggest("radiohed")[0] == "Radiohead"  # misspelt
    assert names.suggest("beatles") == ["The Beatles"]  # contained
    assert names.suggest("zzqx") == [] and names.suggest("   ") == [] and names.suggest("rad", 0) == []
    assert names.index("bjork") == 3 and names.index("BJÖRK") == 3
    assert names.find("MÜSE") == 6 and names.find("Mose") is None
    with pytest.raises(ValueError, match="popularity"):
        ItemNames(["a", "b"], popularity=[1])


def test_script_json_cannot_end_its_script_element_and_round_trips():
    value = {"names": EVIL}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value


def test_page_embeds_everything_and_escapes_every_name(lists, tmp_path):
    page = render_page(lists)
    # Nothing is fetched: no external scripts, styles or images (outside the Vega bundle's own strings).
    ours = re.sub(r"<script>\s*// Vega-Embed.*?</script>", "", page, count=1, flags=re.DOTALL)
    assert len(ours) < len(page) / 10
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)\s*=""", ours, re.IGNORECASE)
    assert "<title>Similar artists: &lt;i&gt;test&lt;/i&gt;</title>" in page
    for name in EVIL:
        assert name not in page  # each appears only in escaped form
    data = json.loads(re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page,
                                re.DOTALL).group(1))
    assert data["names"] == [str(name) for name in lists.names]
    assert data == json.loads(json.dumps(page_data(lists)))
    assert page.count("</script>") == 3  # the Vega bundle, the data and the page's script: none from the data
    path = write_page(lists, tmp_path / "new" / "explorer.html")
    assert path.read_text(encoding="utf-8") == page and not list(path.parent.glob("*.partial"))


def test_page_data_scores_in_thousandths_and_padding(lists):
    data = page_data(lists)
    lsa = data["methods"][0]
    indices, scores = lists.related["LSA"]
    assert lsa["indices"][:10] == indices[0].tolist()
    assert lsa["scores"][:10] == [round(float(s) * 1000) for s in scores[0]]
    assert set(data["slopegraphs"]) == {"LSA", "ALS"} and set(data["slopegraphs"]["LSA"]) == {"ALS"}


def test_command_line_writes_the_page_for_synthetic_data(tmp_path, capsys):
    path = main(["--dataset", "synthetic", "--scale", "0.005", "--factors", "8", "--output",
                 str(tmp_path / "explorer.html")])
    assert path.is_file() and path.stat().st_size > 100_000
    out = capsys.readouterr().out
    assert "artists: those with at least 10 listeners" in out and "wrote" in out


def test_all_four_methods_are_fitted_unless_fewer_are_asked_for(capsys):
    from recsys_utils.explorer import fit_methods
    from recsys_utils.synthetic import make_synthetic

    data = make_synthetic(scale=0.002, random_state=3)
    factors, parameters = fit_methods(data, factors=4, iterations=2, show_progress=False)
    assert list(factors) == list(parameters) == ["LSA", "ALS", "LMF", "BPR"]
    assert all(f.shape[0] == data.n_artists for f in factors.values())
    assert "Bayesian personalized ranking" in parameters["BPR"] and "logistic" in parameters["LMF"]
    two, _ = fit_methods(data, factors=4, iterations=2, methods=["BPR", "LSA"], show_progress=False)
    assert list(two) == ["LSA", "BPR"]
    for bad in (["ALS", "SVD"], [], ["ALS", "ALS"]):
        with pytest.raises(ValueError, match="methods must be distinct names among LSA, ALS, LMF, BPR"):
            fit_methods(data, methods=bad, show_progress=False)


def test_widget_suggests_as_you_type_and_shows_every_method(lists):
    explorer = ArtistExplorer(lists)
    explorer.query.value = "bjrok"
    labels = [label for label, _ in explorer.choices.options]
    assert labels and labels[0].startswith("Björk")
    explorer.choices.value = explorer.choices.options[0][1]
    assert lists.names[explorer.current] == "Björk"
    assert "Björk" in explorer.tables.value and "<svg" in explorer.chart.value
    for method in lists.methods:
        for name in lists.lists("Björk", method)["artist"]:  # pandas escapes &, < and >
            assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in explorer.tables.value


def test_widget_says_when_a_name_is_unknown(lists):
    explorer = ArtistExplorer(lists, "Radiohead")
    explorer.query.value = "qqqqzzzz"
    assert explorer.choices.options == () and "No artist named" in explorer.message.value
    explorer.show("Bjork Gudmundsdottir")
    assert "No artist named" in explorer.message.value and lists.names[explorer.current] == "Radiohead"


def test_an_artist_with_too_few_listeners_is_said_to_be_left_out_not_unknown(lists):
    hidden = lists.left_out_names[0]
    assert len(lists.left_out_names) == 300 - len(lists.names)
    with pytest.raises(UnknownItemError, match=f"has {lists.left_out_listeners[0]} listeners, fewer than the 5"):
        lists.index(hidden.upper())
    explorer = ArtistExplorer(lists)
    explorer.show(hidden)
    assert "fewer than the 5" in explorer.message.value and explorer.current is None


def test_default_threshold_warns_when_it_leaves_too_few_artists():
    listeners = np.full(60_010, 20)  # all tied: at most 60,000 means none
    listeners[:5] = 30
    factors = {"LSA": np.random.default_rng(0).standard_normal((len(listeners), 2))}
    with pytest.warns(UserWarning, match="only 5 artists have at least 21 listeners"):
        lists = RelatedLists.build(factors, [f"a{i}" for i in range(len(listeners))], listeners, show_progress=False)
    assert len(lists.names) == 5


def test_page_scores_are_rounded_in_float64():
    factors = {"LSA": np.eye(3)}
    lists = RelatedLists.build(factors, ["a", "b", "c"], [10, 10, 10], min_listeners=1, show_progress=False)
    lists.related["LSA"][1][0, 0] = np.float32(0.98549998)  # 985.49998 in float64, 985.5 in float32
    assert page_data(lists)["methods"][0]["scores"][0] == 985


def test_widget_escapes_names(lists):
    shown = [i for i, name in enumerate(lists.names) if name in EVIL]
    assert shown, "the fixture shows some of the hostile names"
    explorer = ArtistExplorer(lists, int(shown[0]))
    html = lists_html(lists, int(shown[0])) + explorer.message.value + explorer.static_html() + explorer.chart.value
    assert "<svg" in explorer.chart.value
    assert "<script" not in html and "onerror=" not in html.replace("onerror=&quot;", "")
    assert "&lt;script&gt;" in html or "&lt;img" in html or "&lt;/script&gt;" in html


def test_widget_has_a_static_fallback_for_renderers_without_a_kernel(lists):
    bundle = ArtistExplorer(lists, "Björk")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "static copy" in bundle["text/html"] and "Björk" in bundle["text/html"]
    assert "interactive" in bundle["text/plain"]
    assert "static copy" in ArtistExplorer(lists)._repr_mimebundle_()["text/html"]
