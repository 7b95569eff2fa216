"""Checks of notebook 04's exercises."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from recsys_utils.neighbours import all_related

from .registry import exercise, need

_FRONTIER_SETTINGS = ((10, 3_000), (40, 1_500), (20, 1_000), (10, 1_500))  # the pairs exercise 4.3 gives


def _recount(lists: np.ndarray, exact: np.ndarray) -> float:
    """Recall of ``lists`` against ``exact`` counted without ``recall_at_n``: shared artists over the exact ones."""
    return (sum(len(set(found) & set(truth_row[truth_row >= 0])) for found, truth_row in zip(lists, exact))
            / np.sum(exact >= 0))


@exercise("4.1")
def check_duel(ns: Mapping) -> None:
    """Annoy against NN-descent on the same budget: duel, duel_budget and duel_winner."""
    hint = ("It is a pandas DataFrame with one row per run (the blog's Annoy setting, then NN-descent with "
            "11, 12, 15 and 20 neighbours).")
    duel = need(ns, "duel", hint=hint)
    assert isinstance(duel, pd.DataFrame), (
        "Define duel: a pandas DataFrame with one row per run (the blog's Annoy setting, then NN-descent with "
        "11, 12, 15 and 20 neighbours)")
    missing = {"method", "setting", "seconds", "recall@10"} - set(duel.columns)
    assert not missing, f"duel lacks the column(s) {sorted(missing)}: it needs method, setting, seconds and recall@10"
    assert len(duel) == 5, (f"duel has {len(duel)} rows, not 5: one for the blog's Annoy setting, then one per "
                            "NN-descent setting (11, 12, 15 and 20 neighbours)")
    assert list(duel["method"]) == ["Annoy"] + ["NN-descent"] * 4, (
        f"duel's method column is {list(duel['method'])}: it should be 'Annoy' (first row), then 'NN-descent' "
        "four times")
    assert duel["recall@10"].between(0, 1).all(), "recall@10 is a share of the exact lists, between 0 and 1"
    assert (duel["seconds"] > 0).all(), (
        "seconds should be the positive time of each run (time.perf_counter() after - before)")
    blog_recall, nnd_recall = ns["blog_recall"], ns["nnd_recall"]
    assert np.isclose(duel["recall@10"].iloc[0], blog_recall, atol=0.005), (
        f"The Annoy row's recall@10 ({duel['recall@10'].iloc[0]:.3f}) should match the blog setting's recall of "
        f"section 2 ({blog_recall:.3f}): run all_related(item_factors, K, method='annoy', random_state=RANDOM_STATE, "
        "**BLOG) and compare it with exact using recall_at_n(lists, exact)")
    duel_nnd = duel["recall@10"].to_numpy()[1:]
    assert np.isclose(duel_nnd[2], nnd_recall, atol=0.005), (
        f"The row of NN-descent with 15 neighbours has recall@10 {duel_nnd[2]:.3f}, but section 2 measured "
        f"{nnd_recall:.3f} (nnd_recall) for the same setting: compare each run's lists with exact, with "
        "random_state=RANDOM_STATE, and keep the rows in the order 11, 12, 15, 20")
    assert np.all(np.diff(duel_nnd) > -0.005), (
        f"NN-descent's recall@10 should grow with n_neighbors, but duel has {np.round(duel_nnd, 3)}: are the rows in "
        "the order 11, 12, 15, 20, each with its own n_neighbors?")
    # an independent recount for 11 neighbours: shared artists over the exact lists' artists
    check_lists, _ = all_related(ns["item_factors"], ns["K"], method="nndescent", n_neighbors=11,
                                 num_threads=ns["NUM_THREADS"], random_state=ns["RANDOM_STATE"], show_progress=False)
    check_recall = _recount(check_lists, ns["exact"])
    assert np.isclose(duel_nnd[0], check_recall, atol=0.005), (
        f"NN-descent with 11 neighbours has recall@10 {check_recall:.3f}, not {duel_nnd[0]:.3f}: compare its lists "
        "with exact (recall_at_n(lists, exact)), with random_state=RANDOM_STATE")
    if ns["DATASET"] == "lastfm-2k":  # measured: 0.95 and more for NN-descent, 0.82 for the blog's setting
        assert duel_nnd.min() > duel["recall@10"].iloc[0] + 0.05, (
            "On Last.fm 2K every NN-descent row should beat Annoy's recall")
    budget_hint = "duel_budget should be the seconds of duel's Annoy row (the blog's setting, timed in your cell)"
    duel_budget = need(ns, "duel_budget", hint=budget_hint)
    assert np.isclose(duel_budget, duel["seconds"].iloc[0]), budget_hint
    within_budget = duel[duel["seconds"] <= duel["seconds"].iloc[0]]
    expected_winner = within_budget.loc[within_budget["recall@10"].idxmax(), "method"]
    winner_hint = (f"duel_winner should be {expected_winner!r}: the method of the row with the highest recall@10 among "
                   "the rows whose seconds are at most duel_budget (by your own timings)")
    duel_winner = need(ns, "duel_winner", hint=winner_hint)
    assert duel_winner == expected_winner, winner_hint


@exercise("4.2")
def check_pair_cosines(ns: Mapping) -> None:
    """Annoy's distance back to the cosine for random pairs: pair_items and the four pair_* arrays."""
    pair_items = need(ns, "pair_items", hint="Draw it with pair_items = np.random.default_rng(RANDOM_STATE)"
                                             ".choice(has, size=(6, 2), replace=False).")
    expected_pairs = np.random.default_rng(ns["RANDOM_STATE"]).choice(ns["has"], size=(6, 2), replace=False)
    assert np.shape(pair_items) == (6, 2) and np.array_equal(pair_items, expected_pairs), (
        "pair_items should be exactly np.random.default_rng(RANDOM_STATE).choice(has, size=(6, 2), replace=False), "
        "drawn with a fresh generator")
    values = {}
    for name in ("pair_distance", "pair_cosine", "pair_exact_cosine", "pair_blog_gap"):
        value = values[name] = need(ns, name, hint="A float array of shape (6,), one value per row of pair_items.")
        assert np.shape(value) == (6,), f"{name} has shape {np.shape(value)}; it needs (6,), one value per pair"
        assert np.all(np.isfinite(value)), f"{name} holds NaN or infinite values"
    pair_distance, pair_cosine = values["pair_distance"], values["pair_cosine"]
    pair_exact_cosine, pair_blog_gap = values["pair_exact_cosine"], values["pair_blog_gap"]
    # recomputed from the factors in float64: unit vectors, their dot product and the length of their difference
    pair_units = ns["item_factors"][expected_pairs].astype(np.float64)
    pair_units /= np.linalg.norm(pair_units, axis=2, keepdims=True)
    true_cosine = np.einsum("pf,pf->p", pair_units[:, 0], pair_units[:, 1])
    true_distance = np.linalg.norm(pair_units[:, 0] - pair_units[:, 1], axis=1)
    assert np.allclose(pair_distance, true_distance, atol=1e-3), (
        "pair_distance is not Annoy's angular distance of the pairs: call "
        "blog_index.annoy_index.get_distance(annoy_id[a], annoy_id[b]) for each row (a, b) of pair_items")
    assert np.allclose(pair_exact_cosine, true_cosine, atol=1e-4), (
        "pair_exact_cosine is not the cosine: divide each factor vector by its length (np.linalg.norm) "
        "before the dot product")
    assert np.allclose(pair_cosine, true_cosine, atol=1e-3), (
        "pair_cosine does not match the exact cosine: the cosine is 1 - d**2 / 2 "
        "(angular_to_cosine(pair_distance)), not 1 - d")
    assert np.allclose(pair_blog_gap, true_cosine - (1 - true_distance), atol=1e-3), (
        "pair_blog_gap should be pair_exact_cosine - (1 - pair_distance): the cosine minus the blog's score")
    assert np.all(pair_blog_gap > -1e-3), (
        "The gap cos - (1 - d) is never negative (1 - d <= 1 - d**2 / 2 for 0 <= d <= 2): check its sign")


@exercise("4.3")
def check_frontier(ns: Mapping) -> None:
    """The trees and search_k frontier: FRONTIER_SETTINGS, RECALL_TARGET, frontier and cheapest."""
    frontier_settings, recall_target = need(ns, "FRONTIER_SETTINGS", "RECALL_TARGET",
                                            hint="Define FRONTIER_SETTINGS and RECALL_TARGET as given.")
    assert sorted(map(tuple, frontier_settings)) == sorted(_FRONTIER_SETTINGS), (
        "FRONTIER_SETTINGS should be [(10, 3_000), (40, 1_500), (20, 1_000), (10, 1_500)]: (n_trees, search_k) pairs")
    assert recall_target == 0.95, "RECALL_TARGET should be 0.95"
    frontier = need(ns, "frontier", hint="It is a pandas DataFrame with one row per setting and columns n_trees, "
                                         "search_k, recall@10, seconds.")
    assert isinstance(frontier, pd.DataFrame), (
        "Define frontier: a pandas DataFrame with one row per setting and columns n_trees, search_k, recall@10, "
        "seconds")
    missing = {"n_trees", "search_k", "recall@10", "seconds"} - set(frontier.columns)
    assert not missing, f"frontier lacks the column(s) {sorted(missing)}"
    frontier_keys = [(int(t), int(s)) for t, s in zip(frontier["n_trees"], frontier["search_k"])]
    assert sorted(frontier_keys) == sorted(map(tuple, frontier_settings)), (
        f"frontier's settings {frontier_keys} should be those of FRONTIER_SETTINGS, each once")
    assert frontier_keys == sorted(frontier_keys, key=lambda key: (key[1], key[0])), (
        "Sort frontier from cheapest to dearest: by search_k, then by n_trees "
        "(frontier.sort_values(['search_k', 'n_trees']))")
    assert frontier["recall@10"].between(0, 1).all(), "recall@10 is a share of the exact lists, between 0 and 1"
    frontier_recall = dict(zip(frontier_keys, frontier["recall@10"]))
    assert (frontier_recall[(10, 1_500)] < frontier_recall[(10, 3_000)]
            and frontier_recall[(10, 1_500)] < frontier_recall[(40, 1_500)]), (
        "A larger search_k with the same trees, or more trees with the same search_k, should find more of the "
        "exact lists: is each row's recall that of its own setting (n_trees and search_k both passed to all_related)?")
    reached = [key for key in frontier_keys if frontier_recall[key] >= recall_target]
    expected_cheapest = reached[0] if reached else None
    cheapest = need(ns, "cheapest", hint="It is the (n_trees, search_k) tuple of the cheapest setting reaching "
                                         "RECALL_TARGET, or None.")
    assert (None if cheapest is None else tuple(int(v) for v in cheapest)) == expected_cheapest, (
        f"cheapest should be {expected_cheapest}: by your recall values, the first row of frontier (cheapest first) "
        "whose recall@10 is at least RECALL_TARGET")
    # independent recounts of the settings that decide the answer: the one chosen and the one just cheaper
    position = frontier_keys.index(expected_cheapest) if expected_cheapest else len(frontier_keys) - 1
    for key in frontier_keys[max(position - 1, 0):position + 1]:
        recount_lists, _ = all_related(ns["item_factors"], ns["K"], method="annoy", n_trees=key[0], search_k=key[1],
                                       num_threads=ns["NUM_THREADS"], random_state=ns["RANDOM_STATE"],
                                       show_progress=False)
        recount = _recount(recount_lists, ns["exact"])
        assert np.isclose(frontier_recall[key], recount, atol=0.005), (
            f"Setting {key} has recall@10 {recount:.3f} against exact, not {frontier_recall[key]:.3f}: use "
            "recall_at_n(lists, exact) with random_state=RANDOM_STATE")
