"""The checks of notebook 05's exercises (recsys_utils.exercise_checks.explorer), on tiny synthetic lists."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys_utils.exercise_checks import check
from recsys_utils.explorer import RelatedLists

N_ARTISTS = 120
START_ARTIST = "bjork"  # as in the notebook: "Björk", ignoring case and accents


@pytest.fixture(scope="module")
def notebook():
    """The notebook's variables that the checks read: lists of 120 artists, of two related methods."""
    rng = np.random.default_rng(5)
    lsa = rng.standard_normal((N_ARTISTS, 6))
    item_factors = {"LSA": lsa, "ALS": lsa + 0.6 * rng.standard_normal((N_ARTISTS, 6))}  # related: lists overlap
    names = np.array([f"artist {i}" for i in range(N_ARTISTS)], dtype=object)
    names[3] = "Björk"
    listeners = rng.integers(1, 60, N_ARTISTS)
    listeners[3] = 300
    data = SimpleNamespace(artist_names=names, artist_listeners=lambda: listeners.copy(), name="synthetic")
    lists = RelatedLists.build(item_factors, data.artist_names, data.artist_listeners(), n=10, min_listeners=5,
                               dataset=data.name, show_progress=False)
    return {"lists": lists, "data": data, "item_factors": item_factors, "N": 10, "START_ARTIST": START_ARTIST,
            "RelatedLists": RelatedLists, "np": np}


def solved(notebook: dict, number: str) -> dict:
    """The notebook's namespace after the model solution of exercise ``number``."""
    ns = dict(notebook)
    lists, data = ns["lists"], ns["data"]
    if number == "7.1":
        ns["median_listeners"] = {method: float(np.median(lists.listeners[indices[indices >= 0]]))
                                  for method, (indices, _) in lists.related.items()}
        ns["favours_popular"] = max(ns["median_listeners"], key=ns["median_listeners"].get)
    elif number == "7.2":
        most_listened = np.argsort(-lists.listeners, kind="stable")[:50]
        overlap = pd.Series(
            {lists.names[i]: len(set(lists.lists(i, "LSA")["artist"]) & set(lists.lists(i, "ALS")["artist"]))
             for i in most_listened}).sort_values(ascending=False, kind="stable")
        ns.update(overlap=overlap, most_agreeing=str(overlap.index[0]), shared=int(overlap.iloc[0]))
    else:
        popular = RelatedLists.build(ns["item_factors"], data.artist_names, data.artist_listeners(), n=ns["N"],
                                     min_listeners=5 * lists.min_listeners, show_progress=False)
        shown = set(popular.names)
        ns.update(popular_lists=popular, n_popular=len(popular.names),
                  surviving=[name for name in lists.lists(START_ARTIST, "LSA")["artist"] if name in shown])
    return ns


@pytest.mark.parametrize("number", ["7.1", "7.2", "7.3"])
def test_the_model_solution_is_correct(notebook, number, capsys):
    check(number, solved(notebook, number))
    assert capsys.readouterr().out == f"Exercise {number}: correct\n"


@pytest.mark.parametrize("number, name", [("7.1", "median_listeners"), ("7.1", "favours_popular"),
                                          ("7.2", "overlap"), ("7.2", "shared"),
                                          ("7.3", "popular_lists"), ("7.3", "surviving")])
def test_a_missing_answer_is_named(notebook, number, name):
    ns = solved(notebook, number)
    del ns[name]
    with pytest.raises(AssertionError, match=f"Define `{name}` first"):
        check(number, ns)


def test_5_1_wrong_medians_get_their_hints(notebook):
    ns = solved(notebook, "7.1")
    lists = ns["lists"]
    shown = float(np.median(lists.listeners))
    assert shown != ns["median_listeners"]["LSA"]  # the synthetic lists tell the two apart
    with pytest.raises(AssertionError, match="median of the artists shown themselves"):
        check("7.1", {**ns, "median_listeners": {method: shown for method in lists.methods}})
    mean = {method: float(lists.listeners[indices[indices >= 0]].mean())
            for method, (indices, _) in lists.related.items()}
    with pytest.raises(AssertionError, match="Did you take the mean"):
        check("7.1", {**ns, "median_listeners": mean})
    with pytest.raises(AssertionError, match="one key per method"):
        check("7.1", {**ns, "median_listeners": {"LSA": ns["median_listeners"]["LSA"]}})
    lower = min(ns["median_listeners"], key=ns["median_listeners"].get)
    assert ns["median_listeners"][lower] < ns["median_listeners"][ns["favours_popular"]]
    with pytest.raises(AssertionError, match="HIGHER median"):
        check("7.1", {**ns, "favours_popular": lower})


def test_5_2_wrong_overlaps_and_picks_are_refused(notebook):
    ns = solved(notebook, "7.2")
    lists, overlap = ns["lists"], ns["overlap"]
    assert overlap.iloc[0] > overlap.iloc[-1]  # the synthetic lists agree more for some artists than for others
    with pytest.raises(AssertionError, match="should be a pandas Series"):
        check("7.2", {**ns, "overlap": list(overlap)})
    least = np.argsort(lists.listeners, kind="stable")[:50]
    with pytest.raises(AssertionError, match="MOST listeners"):
        check("7.2", {**ns, "overlap": pd.Series({lists.names[i]: 0 for i in least})})
    with pytest.raises(AssertionError, match="but its LSA and ALS lists share"):
        check("7.2", {**ns, "overlap": overlap + 1})
    with pytest.raises(AssertionError, match="HIGHEST count"):
        check("7.2", {**ns, "most_agreeing": str(overlap.index[-1])})
    with pytest.raises(AssertionError, match="shared should be the number"):
        check("7.2", {**ns, "shared": ns["shared"] - 1})


def test_5_3_wrong_rebuilds_and_survivors_are_refused(notebook):
    ns = solved(notebook, "7.3")
    data, surviving = ns["data"], ns["surviving"]
    assert 2 <= len(surviving) < ns["N"]  # some survive, some do not: every wrong answer below is told apart
    same = RelatedLists.build(ns["item_factors"], data.artist_names, data.artist_listeners(), n=10, min_listeners=5,
                              show_progress=False)
    with pytest.raises(AssertionError, match=r"pass min_listeners=5 \* lists.min_listeners \(that is 25\)"):
        check("7.3", {**ns, "popular_lists": same})
    with pytest.raises(AssertionError, match="n_popular should be"):
        check("7.3", {**ns, "n_popular": len(ns["lists"].names)})
    with pytest.raises(AssertionError, match="should be a list of names"):
        check("7.3", {**ns, "surviving": pd.Series(surviving)})
    with pytest.raises(AssertionError, match="wrong order"):
        check("7.3", {**ns, "surviving": surviving[::-1]})
    with pytest.raises(AssertionError, match="not of popular_lists.lists"):
        check("7.3", {**ns, "surviving": list(ns["lists"].lists(START_ARTIST, "LSA")["artist"])})
    other = {method: factors[:, :3] for method, factors in ns["item_factors"].items()}
    refitted = RelatedLists.build(other, data.artist_names, data.artist_listeners(), n=10, min_listeners=25,
                                  show_progress=False)
    with pytest.raises(AssertionError, match="should keep its score"):
        check("7.3", {**ns, "popular_lists": refitted})
