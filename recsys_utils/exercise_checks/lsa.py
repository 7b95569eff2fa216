"""Checks of notebook 02's exercises."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from recsys_utils.evaluate import evaluate_recommender
from recsys_utils.lsa import lsa_factors
from recsys_utils.neighbours import TopRelated, UnknownItemError
from recsys_utils.synthetic import make_synthetic
from recsys_utils.weighting import bm25_weight, tfidf_weight

from .registry import exercise, need

#: The (K1, B) settings of exercise 2.4.
_GRID_K1 = (3, 30, 300)
_GRID_B = (0.5, 1.0)


def _is_number(value) -> bool:
    """A single int, float or NumPy number."""
    return np.ndim(value) == 0 and isinstance(value, (int, float, np.number))


def _is_share(value) -> bool:
    """A single float between 0 and 1 (a metric such as MAP@K)."""
    return np.ndim(value) == 0 and isinstance(value, (float, np.floating)) and 0 <= value <= 1


def _alias_recovery(factors: np.ndarray, pairs: np.ndarray, k: int) -> float:
    """Share of alias pairs in each other's top k, from the related lists of the alias artists only (section 7)."""
    finder = TopRelated(factors)
    return float(np.mean([b in finder.get_related(a, k)[0] and a in finder.get_related(b, k)[0] for a, b in pairs]))


@exercise("2.1")
def check_energy_share(ns: Mapping) -> None:
    """Exercise 2.1: the BM25 matrix's energy and the share of it the singular values keep."""
    total_energy = need(ns, "total_energy",
                        hint="total_energy: the sum of the squares of all entries of weightings['BM25'].")
    captured_share = need(ns, "captured_share",
                          hint="captured_share: the share of total_energy that the singular values keep.")
    weightings, singular_values = ns["weightings"], ns["singular_values"]
    for name, value in (("total_energy", total_energy), ("captured_share", captured_share)):
        assert _is_number(value), f"{name} must be a single number, not {type(value).__name__}"
    energy = float(weightings["BM25"].astype(np.float64).power(2).sum())
    assert np.isclose(total_energy, energy, rtol=1e-4), (
        f"total_energy is {total_energy:.6g}, expected about {energy:.6g}: square every stored entry of "
        "weightings['BM25'].data, then add them up (the entries that are not stored are 0).")
    assert 0 < captured_share < 1, f"captured_share must be a share between 0 and 1, not {captured_share}"
    share = float(np.sum(np.square(singular_values, dtype=np.float64)) / energy)
    assert np.isclose(captured_share, share, atol=1e-3), (
        f"captured_share is {captured_share:.4f}, expected about {share:.4f}: divide the sum of the SQUARED "
        "singular values by total_energy.")


@exercise("2.2")
def check_tfidf_related(ns: Mapping) -> None:
    """Exercise 2.2: the BM25 and TF-IDF related lists of one artist, and the names they share."""
    my_artist, bm25_top, tfidf_top, shared_top = need(ns, "my_artist", "bm25_top", "tfidf_top", "shared_top",
                                                      hint="See the exercise text.")
    data, related, listeners, rare = ns["data"], ns["related"], ns["listeners"], ns["rare"]
    K, FACTORS, RANDOM_STATE, MIN_LISTENERS = ns["K"], ns["FACTORS"], ns["RANDOM_STATE"], ns["MIN_LISTENERS"]
    assert isinstance(my_artist, str), (
        f"my_artist must be an artist's name (a str), e.g. 'Daft Punk', not {my_artist!r}")
    try:
        index = related.index(my_artist)
    except UnknownItemError as error:  # a misspelt name: the error suggests names
        raise AssertionError(f"my_artist: {error}") from None
    assert listeners[index] >= MIN_LISTENERS, (
        f"{my_artist!r} has {listeners[index]} listener(s): choose an artist with at least "
        f"MIN_LISTENERS = {MIN_LISTENERS}")
    for name, value in (("bm25_top", bm25_top), ("tfidf_top", tfidf_top)):
        assert isinstance(value, list), f"{name} must be a list of names, not {type(value).__name__}"
        assert len(value) == K, f"{name} must hold K = {K} names, not {len(value)}: pass n=K to get_related"
        assert all(isinstance(n, str) for n in value), (
            f"{name} must hold artist names (str), not indices: use data.artist_names[i] for each index i")
        assert data.artist_names[index] not in value, f"{name} must not contain {my_artist!r} itself"
        assert not {related.index(n) for n in value} & set(rare.tolist()), (
            f"{name} contains artists with fewer than MIN_LISTENERS listeners: pass filter_items=rare to get_related")
    expected_bm25 = [data.artist_names[i] for i in related.get_related(index, K, filter_items=rare)[0]]
    assert set(bm25_top) == set(expected_bm25), (
        "bm25_top is not the BM25 list: use related.get_related(my_artist, K, filter_items=rare)")
    assert bm25_top == expected_bm25, (
        "bm25_top has the right artists in the wrong order: keep get_related's order, best first")
    tfidf_factors = lsa_factors(tfidf_weight(ns["item_users"]), FACTORS, random_state=RANDOM_STATE)
    tfidf = TopRelated(tfidf_factors, data.artist_names)
    expected_tfidf = [data.artist_names[i] for i in tfidf.get_related(index, K, filter_items=rare)[0]]
    common = len(set(tfidf_top) & set(expected_tfidf))
    assert common >= K - 1, (
        f"tfidf_top shares only {common} of {K} artists with LSA on TF-IDF weights: use "
        "lsa_factors(weightings['TF-IDF'], FACTORS, random_state=RANDOM_STATE) and a new TopRelated on those factors")
    cosines = tfidf.factors[[tfidf.index(n) for n in tfidf_top]] @ tfidf.factors[index]
    assert np.all(np.diff(cosines) <= 1e-4), "tfidf_top is not sorted best first: keep get_related's order"
    assert isinstance(shared_top, set), f"shared_top must be a set, not {type(shared_top).__name__}"
    assert shared_top == set(bm25_top) & set(tfidf_top), (
        "shared_top must hold exactly the names that are in both lists: set(bm25_top) & set(tfidf_top)")


@exercise("2.3")
def check_map_by_factors(ns: Mapping) -> None:
    """Exercise 2.3: held-out MAP@K of LSA on BM25 with 10, 20 and FACTORS factors."""
    map_by_factors = need(ns, "map_by_factors", hint="map_by_factors: a dict {number of factors: held-out MAP@K}.")
    train, test, held_out = ns["train"], ns["test"], ns["held_out"]
    K, FACTORS, RANDOM_STATE = ns["K"], ns["FACTORS"], ns["RANDOM_STATE"]
    assert isinstance(map_by_factors, dict), f"map_by_factors must be a dict, not {type(map_by_factors).__name__}"
    missing = {10, 20, FACTORS} - set(map_by_factors)
    assert not missing, f"map_by_factors has no entry for {sorted(missing)} factors: give it keys 10, 20 and FACTORS"
    for key, value in map_by_factors.items():
        assert _is_share(value), (
            f"map_by_factors[{key}] must be a MAP (a float between 0 and 1), not {value!r}: "
            "take the 'map@k' entry of evaluate_recommender's result")
    assert np.isclose(map_by_factors[FACTORS], held_out.loc["LSA, BM25", "map@k"], atol=1e-6), (
        "map_by_factors[FACTORS] should be held_out.loc['LSA, BM25', 'map@k']")
    weighted = bm25_weight(train.T.tocsr())  # artists x users of the training split
    weighted_users = weighted.T.tocsr()
    for n_factors in (10, 20):
        U = lsa_factors(weighted, n_factors, random_state=RANDOM_STATE).astype(np.float64)
        expected = evaluate_recommender(lambda users: (weighted_users[users] @ U) @ U.T, train, test, K)["map@k"]
        assert np.isclose(map_by_factors[n_factors], expected, atol=1e-3), (
            f"map_by_factors[{n_factors}] is {map_by_factors[n_factors]:.4f}, expected about {expected:.4f}: weight "
            "train.T.tocsr() with bm25_weight, score with lsa_user_scores on the weighted users x artists matrix "
            "(its transpose), and evaluate at k=K on train and test")


@exercise("2.4")
def check_k1_b_grid(ns: Mapping) -> None:
    """Exercise 2.4: alias recovery@K over a (K1, B) grid on a smaller synthetic dataset, and its best setting."""
    alias_grid, best_k1_b = need(ns, "alias_grid", "best_k1_b", hint="See the exercise text.")
    K, FACTORS, RANDOM_STATE = ns["K"], ns["FACTORS"], ns["RANDOM_STATE"]
    assert isinstance(alias_grid, dict), (
        f"alias_grid must be a dict {{(K1, B): alias recovery}}, not {type(alias_grid).__name__}")
    keys = {(k1, b) for k1 in _GRID_K1 for b in _GRID_B}
    assert set(alias_grid) == keys, (
        f"alias_grid must have exactly the six keys {sorted(keys)}, one (K1, B) tuple per setting; it has "
        f"{sorted(alias_grid)}")
    for key, value in alias_grid.items():
        assert _is_share(value), (
            f"alias_grid[{key}] must be a share between 0 and 1 (alias recovery@K), not {value!r}")
    assert len(set(alias_grid.values())) > 1, "every setting has the same score: pass K1=... and B=... to bm25_weight"
    assert isinstance(best_k1_b, tuple) and best_k1_b in alias_grid, (
        f"best_k1_b must be one of the (K1, B) keys of alias_grid, not {best_k1_b!r}")
    assert alias_grid[best_k1_b] == max(alias_grid.values()), (
        f"best_k1_b = {best_k1_b} scores {alias_grid[best_k1_b]:.3f}, but the best score in alias_grid is "
        f"{max(alias_grid.values()):.3f}: pick the key with the HIGHEST value, e.g. max(alias_grid, key=alias_grid.get)")
    tune_data = make_synthetic(scale=0.02, random_state=RANDOM_STATE)
    pairs = tune_data.truth.alias_pairs
    for key in sorted(keys):  # section 7's alias_recovery: only the related lists of the aliases
        weighted = bm25_weight(tune_data.item_users, K1=key[0], B=key[1])
        factors = lsa_factors(weighted, FACTORS, random_state=RANDOM_STATE)
        expected = _alias_recovery(factors, pairs, K)
        assert abs(alias_grid[key] - expected) < 1.5 / len(pairs), (  # within one pair
            f"alias_grid[{key}] is {alias_grid[key]:.3f}, expected about {expected:.3f}: weight "
            "make_synthetic(scale=0.02, random_state=RANDOM_STATE).item_users with bm25_weight(..., K1=K1, B=B), take "
            "FACTORS factors with random_state=RANDOM_STATE, and score related lists of length K")
