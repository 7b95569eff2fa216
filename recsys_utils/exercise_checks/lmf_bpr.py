"""Checks of notebook 06's exercises (LMF and BPR)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from recsys_utils.bpr import BayesianPersonalizedRanking
from recsys_utils.evaluate import evaluate_recommender

from .registry import exercise, need

_HINT = "See the task above."


@exercise("6.1")
def check_popularity_negatives(ns: Mapping) -> None:
    """BPR with popularity-weighted negatives, fitted on train, and its held-out MAP@10."""
    model, score = need(ns, "bpr_popular", "map_bpr_popular", hint=_HINT)
    train, test, K = ns["train"], ns["test"], ns["K"]
    assert isinstance(model, BayesianPersonalizedRanking), (
        f"bpr_popular should be a BayesianPersonalizedRanking, not {type(model).__name__}.")
    assert model.negative_sampling == "popularity", (
        f"bpr_popular draws its negatives {model.negative_sampling!r}: pass negative_sampling=\"popularity\".")
    assert model.user_factors is not None, "bpr_popular is not fitted: call .fit(train)."
    assert model.user_factors.shape[0] == train.shape[0] and model.user_items is not None and (
        model.user_items.nnz == train.nnz), "bpr_popular should be fitted on train (the training split), not on all data."
    for name in ("factors", "iterations", "random_state"):
        wanted = {"factors": ns["BPR_FACTORS"], "iterations": ns["BPR_ITERATIONS"],
                  "random_state": ns["RANDOM_STATE"]}[name]
        assert getattr(model, name) == wanted, f"bpr_popular should have {name}={wanted}, like bpr, not {getattr(model, name)}."
    expected = evaluate_recommender(lambda u: model.user_factors[u] @ model.item_factors.T, train, test, K)["map@k"]
    assert np.ndim(score) == 0 and np.isclose(float(score), expected, atol=1e-9), (
        f"map_bpr_popular should be bpr_popular's held-out MAP@{K}, {expected:.4f}: evaluate_recommender(..., train, "
        "test, K)['map@k'].")


@exercise("6.2")
def check_popularity_bias(ns: Mapping) -> None:
    """Each method's mean listener count over its related lists, and the method with the lowest."""
    means, least = need(ns, "mean_related_listeners", "least_popular_method", hint=_HINT)
    top_lists, queries, listeners = ns["top_lists"], ns["queries"], ns["listeners"]
    assert isinstance(means, dict) and set(means) == set(top_lists), (
        f"mean_related_listeners should be a dict with one entry per method, {sorted(top_lists)}, not "
        f"{sorted(means) if isinstance(means, dict) else type(means).__name__}.")
    for method, lists in top_lists.items():
        expected = float(listeners[queries[lists]].mean())
        got = float(means[method])
        if np.isclose(got, float(listeners[lists].mean()), rtol=1e-9) and not np.isclose(got, expected, rtol=1e-9):
            raise AssertionError(f"mean_related_listeners[{method!r}] looks up listeners[top_lists[...]] directly: the "
                                 "lists hold positions within queries; map them back with queries[top_lists[method]].")
        assert np.isclose(got, expected, rtol=1e-9), (
            f"mean_related_listeners[{method!r}] should be {expected:.1f}, the mean of "
            f"listeners[queries[top_lists[{method!r}]]].")
    expected_least = min(top_lists, key=lambda m: float(listeners[queries[top_lists[m]]].mean()))
    assert least == expected_least, (
        f"least_popular_method should be the method with the lowest mean, {expected_least!r}, not {least!r}.")


@exercise("6.3")
def check_lmf_probabilities(ns: Mapping) -> None:
    """LMF's probabilities for the heaviest user, and their means over played and unplayed artists."""
    probabilities, played_mean, unplayed_mean = need(ns, "heavy_probabilities", "played_mean", "unplayed_mean",
                                                     hint=_HINT)
    lmf, train = ns["lmf"], ns["train"]
    heavy = int(np.argmax(np.diff(train.indptr)))
    logits = lmf.user_factors[heavy].astype(np.float64) @ lmf.item_factors.T.astype(np.float64)
    expected = 1 / (1 + np.exp(-logits))
    probabilities = np.asarray(probabilities, dtype=np.float64)
    assert probabilities.shape == (train.shape[1],), (
        f"heavy_probabilities should hold one probability per artist, shape ({train.shape[1]},), not "
        f"{probabilities.shape}.")
    assert not np.allclose(probabilities, logits, rtol=1e-4), (
        "heavy_probabilities holds the logits (scores): pass them through the sigmoid, 1 / (1 + exp(-s)).")
    assert np.allclose(probabilities, expected, rtol=1e-4, atol=1e-6), (
        f"heavy_probabilities should be sigmoid(lmf.user_factors[heavy] @ lmf.item_factors.T) for heavy = {heavy}, "
        "the user with the most artists in train.")
    played = np.zeros(train.shape[1], dtype=bool)
    played[train[heavy].indices] = True
    known = train.getnnz(axis=0) > 0
    assert not (np.ndim(unplayed_mean) == 0 and np.isclose(float(unplayed_mean), expected[~played].mean(), rtol=1e-6)
                and not np.isclose(expected[~played].mean(), expected[known & ~played].mean(), rtol=1e-4)), (
        "unplayed_mean counts the artists nobody played in train (probability 0.5 each): keep only those with "
        "train.getnnz(axis=0) > 0.")
    for name, value, mask in (("played_mean", played_mean, played), ("unplayed_mean", unplayed_mean, known & ~played)):
        assert np.ndim(value) == 0 and np.isclose(float(value), expected[mask].mean(), rtol=1e-4), (
            f"{name} should be the mean of heavy_probabilities over the artists the user "
            f"{'played' if mask is played else 'did not play, among those someone played'} in train, "
            f"{expected[mask].mean():.4f}.")
