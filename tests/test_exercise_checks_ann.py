"""The checks of notebook 04's exercises (recsys_utils.exercise_checks.ann) on tiny synthetic namespaces.

No real data: the notebook's variables are small made-up arrays. The checks of 4.1 and 4.3
recount a setting with ``all_related`` (NN-descent, whose first call compiles for a minute,
and Annoy on the whole catalogue); here ``all_related`` is replaced by a fake that returns
lists of a known recall and records how it was called. nbval runs the real right answers on
Last.fm 2K.
"""

import numpy as np
import pandas as pd
import pytest

from recsys_utils.ann import ApproximateTopRelated, angular_to_cosine
from recsys_utils.evaluate import recall_at_n
from recsys_utils.exercise_checks import ann as ann_checks
from recsys_utils.exercise_checks import check

K, N_ITEMS, RANDOM_STATE, NUM_THREADS = 10, 50, 42, 3


def exact_lists() -> np.ndarray:
    """Made-up exact related lists: K distinct other items per item."""
    rng = np.random.default_rng(0)
    return np.array([rng.permutation(np.delete(np.arange(N_ITEMS), i))[:K] for i in range(N_ITEMS)], dtype=np.int32)


def lists_with_recall(exact: np.ndarray, recall: float) -> np.ndarray:
    """``exact`` with places blanked (-1) so that its recall against ``exact`` is ``recall`` (a multiple of 1/500)."""
    lists = exact.copy()
    lists.reshape(-1)[:round((1 - recall) * exact.size)] = -1
    return lists


class FakeAllRelated:
    """Stands for all_related: the lists of a known recall for each setting, and the calls it got."""

    def __init__(self, exact: np.ndarray, recalls: dict):
        self.exact, self.recalls, self.calls = exact, recalls, []

    def setting(self, method, options):
        return options["n_neighbors"] if method == "nndescent" else (options["n_trees"], options["search_k"])

    def __call__(self, item_factors, n, method="exact", *, show_progress=True, random_state=0, num_threads=None,
                 **options):
        self.calls.append((method, options, n, random_state, num_threads, show_progress))
        lists = lists_with_recall(self.exact, self.recalls[self.setting(method, options)])
        return lists, np.ones(lists.shape, np.float32)


# ---- 4.1: Annoy against NN-descent on the same budget -------------------------------------------------------------

DUEL_RECALLS = {11: 0.8, 12: 0.85, 15: 0.9, 20: 0.95}  # NN-descent's recall by n_neighbors
BLOG_RECALL = 0.6


@pytest.fixture
def duel_ns(monkeypatch):
    """The notebook's variables that check 4.1 reads, and a right answer (NN-descent 11 and 12 within the budget)."""
    exact = exact_lists()
    fake = FakeAllRelated(exact, DUEL_RECALLS)
    monkeypatch.setattr(ann_checks, "all_related", fake)
    duel = pd.DataFrame({
        "method": ["Annoy"] + ["NN-descent"] * 4,
        "setting": ["20 trees, search_k 220", "11 neighbours", "12 neighbours", "15 neighbours", "20 neighbours"],
        "seconds": [1.0, 0.5, 0.8, 1.2, 1.5],
        "recall@10": [BLOG_RECALL] + [recall_at_n(lists_with_recall(exact, r), exact) for r in DUEL_RECALLS.values()]})
    ns = {"item_factors": np.zeros((N_ITEMS, 4)), "exact": exact, "K": K, "RANDOM_STATE": RANDOM_STATE,
          "NUM_THREADS": NUM_THREADS, "DATASET": "synthetic", "blog_recall": BLOG_RECALL, "nnd_recall": 0.9,
          "duel": duel, "duel_budget": 1.0, "duel_winner": "NN-descent"}
    return ns, fake


def test_4_1_a_right_answer_passes_and_recounts_11_neighbours(duel_ns, capsys):
    ns, fake = duel_ns
    check("4.1", ns)
    assert capsys.readouterr().out == "Exercise 4.1: correct\n"
    assert fake.calls == [("nndescent", {"n_neighbors": 11}, K, RANDOM_STATE, NUM_THREADS, False)]
    within = ns["duel"].assign(seconds=[1.0, 1.1, 1.2, 1.3, 1.4])  # every NN-descent run over the budget
    check("4.1", {**ns, "duel": within, "duel_winner": "Annoy"})


@pytest.mark.parametrize("wrong, message", [
    ({"duel": None}, "Define `duel` first"),
    ({"duel": [{"method": "Annoy"}]}, "Define duel: a pandas DataFrame"),
    ({"duel": pd.DataFrame()}, r"duel lacks the column\(s\)"),
    ({"duel_budget": None}, "Define `duel_budget` first"),
    ({"duel_budget": 0.5}, "duel_budget should be the seconds of duel's Annoy row"),
    ({"duel_winner": None}, "Define `duel_winner` first"),
    ({"duel_winner": "Annoy"}, "duel_winner should be 'NN-descent'"),
    ({"blog_recall": 0.7}, "The Annoy row's recall@10 \\(0.600\\) should match"),
    ({"nnd_recall": 0.8}, "The row of NN-descent with 15 neighbours has recall@10 0.900"),
])
def test_4_1_wrong_answers_fail_with_their_hint(duel_ns, wrong, message):
    ns, _ = duel_ns
    ns = {name: value for name, value in {**ns, **wrong}.items() if value is not None}
    with pytest.raises(AssertionError, match=message):
        check("4.1", ns)


def test_4_1_wrong_rows_fail_with_their_hint(duel_ns):
    ns, _ = duel_ns
    duel = ns["duel"]
    cases = [
        (duel.iloc[1:], "duel has 4 rows, not 5"),
        (duel.assign(method=["annoy"] + ["NN-descent"] * 4), "duel's method column is"),
        (duel.assign(**{"recall@10": 100 * duel["recall@10"]}), "between 0 and 1"),
        (duel.assign(seconds=-duel["seconds"]), "seconds should be the positive time"),
        (duel.iloc[[0, 4, 3, 2, 1]].reset_index(drop=True), "The row of NN-descent with 15 neighbours"),
        (duel.iloc[[0, 2, 1, 3, 4]].reset_index(drop=True), "should grow with n_neighbors"),
        # only the recount of 11 neighbours (by the fake all_related: 0.8) sees this one
        (duel.assign(**{"recall@10": [BLOG_RECALL, 0.81, 0.85, 0.9, 0.95]}),
         "NN-descent with 11 neighbours has recall@10 0.800, not 0.810"),
    ]
    for wrong, message in cases:
        with pytest.raises(AssertionError, match=message):
            check("4.1", {**ns, "duel": wrong})
    slow = duel.assign(seconds=[1.0, 2.0, 2.0, 2.0, 2.0])  # the highest recall, ignoring the budget
    with pytest.raises(AssertionError, match="duel_winner should be 'Annoy'"):
        check("4.1", {**ns, "duel": slow, "duel_winner": "NN-descent"})


def test_4_1_on_lastfm_2k_nndescent_must_beat_annoy(duel_ns):
    ns, _ = duel_ns
    check("4.1", {**ns, "DATASET": "lastfm-2k"})
    close = ns["duel"].assign(**{"recall@10": [0.78] + list(ns["duel"]["recall@10"].iloc[1:])})
    with pytest.raises(AssertionError, match="every NN-descent row should beat Annoy's recall"):
        check("4.1", {**ns, "DATASET": "lastfm-2k", "duel": close, "blog_recall": 0.78})


# ---- 4.2: Annoy's distance back to the cosine ----------------------------------------------------------------------

@pytest.fixture
def pairs_ns():
    """Factors of 30 artists (two without factors), a real Annoy index, and the right answer of 4.2."""
    item_factors = np.random.default_rng(1).standard_normal((30, 4)).astype(np.float32)
    item_factors[[3, 17]] = 0
    has = np.flatnonzero(item_factors.any(axis=1))
    index = ApproximateTopRelated(item_factors, n_trees=2, random_state=RANDOM_STATE)
    annoy_id = {item: position for position, item in enumerate(index.item_ids)}
    pair_items = np.random.default_rng(RANDOM_STATE).choice(has, size=(6, 2), replace=False)
    pair_distance = np.array([index.annoy_index.get_distance(annoy_id[a], annoy_id[b]) for a, b in pair_items])
    units = item_factors[pair_items] / np.linalg.norm(item_factors[pair_items], axis=2, keepdims=True)
    pair_exact_cosine = np.sum(units[:, 0] * units[:, 1], axis=1)
    return {"item_factors": item_factors, "has": has, "RANDOM_STATE": RANDOM_STATE, "pair_items": pair_items,
            "pair_distance": pair_distance, "pair_cosine": angular_to_cosine(pair_distance),
            "pair_exact_cosine": pair_exact_cosine, "pair_blog_gap": pair_exact_cosine - (1 - pair_distance)}


def test_4_2_a_right_answer_passes(pairs_ns, capsys):
    check("4.2", pairs_ns)
    assert capsys.readouterr().out == "Exercise 4.2: correct\n"


def test_4_2_wrong_answers_fail_with_their_hint(pairs_ns):
    ns = pairs_ns
    raw = ns["item_factors"][ns["pair_items"]]
    cases = [
        ({"pair_items": np.random.default_rng(0).choice(ns["has"], size=(6, 2), replace=False)},
         "pair_items should be exactly"),
        ({"pair_items": np.random.default_rng(RANDOM_STATE).choice(30, size=(6, 2), replace=False)},
         "pair_items should be exactly"),
        ({"pair_distance": []}, r"pair_distance has shape \(0,\); it needs \(6,\)"),
        ({"pair_cosine": np.r_[ns["pair_cosine"][:5], np.nan]}, "pair_cosine holds NaN or infinite values"),
        ({"pair_distance": ns["pair_distance"][::-1], "pair_cosine": ns["pair_cosine"][::-1]},
         "pair_distance is not Annoy's angular distance"),
        ({"pair_exact_cosine": np.sum(raw[:, 0] * raw[:, 1], axis=1)}, "pair_exact_cosine is not the cosine"),
        ({"pair_cosine": 1 - ns["pair_distance"]}, "the cosine is 1 - d\\*\\*2 / 2"),
        ({"pair_blog_gap": -ns["pair_blog_gap"]}, r"pair_blog_gap should be pair_exact_cosine - \(1 - pair_distance\)"),
    ]
    for wrong, message in cases:
        with pytest.raises(AssertionError, match=message):
            check("4.2", {**ns, **wrong})
    for name in ("pair_items", "pair_blog_gap"):
        with pytest.raises(AssertionError, match=f"Define `{name}` first"):
            check("4.2", {key: value for key, value in ns.items() if key != name})


# ---- 4.3: the trees and search_k frontier --------------------------------------------------------------------------

FRONTIER_RECALLS = {(20, 1_000): 0.9, (10, 1_500): 0.92, (40, 1_500): 0.96, (10, 3_000): 0.98}


@pytest.fixture
def frontier_ns(monkeypatch):
    """The notebook's variables that check 4.3 reads, and a right answer: (40, 1500) the cheapest reaching 0.95."""
    exact = exact_lists()
    fake = FakeAllRelated(exact, FRONTIER_RECALLS)
    monkeypatch.setattr(ann_checks, "all_related", fake)
    frontier = pd.DataFrame([{"n_trees": t, "search_k": s, "recall@10": recall_at_n(lists_with_recall(exact, r), exact),
                              "seconds": 0.1 * s / 1000} for (t, s), r in FRONTIER_RECALLS.items()])
    ns = {"item_factors": np.zeros((N_ITEMS, 4)), "exact": exact, "K": K, "RANDOM_STATE": RANDOM_STATE,
          "NUM_THREADS": NUM_THREADS, "FRONTIER_SETTINGS": [(10, 3_000), (40, 1_500), (20, 1_000), (10, 1_500)],
          "RECALL_TARGET": 0.95, "frontier": frontier, "cheapest": (40, 1_500)}
    return ns, fake


def test_4_3_a_right_answer_passes_and_recounts_the_deciding_settings(frontier_ns, capsys):
    ns, fake = frontier_ns
    check("4.3", ns)
    assert capsys.readouterr().out == "Exercise 4.3: correct\n"
    assert fake.calls == [("annoy", {"n_trees": t, "search_k": s}, K, RANDOM_STATE, NUM_THREADS, False)
                          for t, s in ((10, 1_500), (40, 1_500))]
    low = ns["frontier"].assign(**{"recall@10": 0.5 * ns["frontier"]["recall@10"]})  # none reaches the target
    fake.recalls = {key: 0.5 * value for key, value in FRONTIER_RECALLS.items()}
    check("4.3", {**ns, "frontier": low, "cheapest": None})


def test_4_3_wrong_answers_fail_with_their_hint(frontier_ns):
    ns, _ = frontier_ns
    frontier = ns["frontier"]
    cases = [
        ({"RECALL_TARGET": 0.9}, "RECALL_TARGET should be 0.95"),
        ({"FRONTIER_SETTINGS": [(10, 3_000), (40, 1_500), (20, 1_000)]}, "FRONTIER_SETTINGS should be"),
        ({"frontier": frontier.to_dict("records")}, "Define frontier: a pandas DataFrame"),
        ({"frontier": frontier.drop(columns="seconds")}, r"frontier lacks the column\(s\) \['seconds'\]"),
        ({"frontier": frontier.iloc[:0]}, r"frontier's settings \[\] should be those of FRONTIER_SETTINGS"),
        ({"frontier": frontier.iloc[::-1].reset_index(drop=True)}, "Sort frontier from cheapest to dearest"),
        ({"frontier": frontier.assign(**{"recall@10": 100 * frontier["recall@10"]})}, "between 0 and 1"),
        ({"frontier": frontier.assign(**{"recall@10": [0.9, 0.99, 0.96, 0.98]})},
         "A larger search_k with the same trees, or more trees"),
        ({"cheapest": (10, 3_000)}, r"cheapest should be \(40, 1500\)"),
        ({"cheapest": (20, 1_000)}, r"cheapest should be \(40, 1500\)"),
        ({"cheapest": None}, r"cheapest should be \(40, 1500\)"),
        # a made-up recall that changes the answer: only the recount (by the fake all_related: 0.92) sees it
        ({"frontier": frontier.assign(**{"recall@10": [0.9, 0.955, 0.96, 0.98]}), "cheapest": (10, 1_500)},
         r"Setting \(10, 1500\) has recall@10 0.920 against exact, not 0.955"),
    ]
    for wrong, message in cases:
        with pytest.raises(AssertionError, match=message):
            check("4.3", {**ns, **wrong})
    for name in ("RECALL_TARGET", "frontier", "cheapest"):
        with pytest.raises(AssertionError, match=f"Define `{name}` first"):
            check("4.3", {key: value for key, value in ns.items() if key != name})
