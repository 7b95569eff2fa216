"""Checks of notebook 03's exercises."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse

from recsys_utils.als import ImplicitALS
from recsys_utils.confidence import bm25_confidence
from recsys_utils.evaluate import evaluate_recommender

from .registry import exercise, need

_HINT = "See the task above."

#: The new listener of exercise 3.1: artist -> plays, in the order of the task's table.
_NEW_USER_PLAYS = {"Daft Punk": 1200, "Justice": 800, "The Chemical Brothers": 600, "Kraftwerk": 400,
                   "Boards of Canada": 300}


def _describe(value) -> str:
    """``type of shape (…)`` for a message about a value of the wrong kind."""
    return f"{type(value).__name__} of shape {getattr(value, 'shape', None)}"


@exercise("3.1")
def check_new_listener(ns: Mapping) -> None:
    """A new listener's plays, BM25 confidences, recalculated factors and top-K recommendations."""
    new_user_items, new_user_confidence, new_user_factors, new_user_recommended = need(
        ns, "new_user_items", "new_user_confidence", "new_user_factors", "new_user_recommended", hint=_HINT)
    data, als, K = ns["data"], ns["als"], ns["K"]

    assert scipy.sparse.issparse(new_user_items) and new_user_items.shape == (1, data.n_artists), (
        f"new_user_items should be a scipy.sparse matrix of shape (1, {data.n_artists}) (one row, one column per "
        f"artist), not {_describe(new_user_items)}.")
    row = np.asarray(new_user_items.todense(), dtype=np.float64).ravel()
    own = np.flatnonzero(row)
    if set(_NEW_USER_PLAYS) <= set(data.artist_names):
        columns = np.array([np.flatnonzero(data.artist_names == name)[0] for name in _NEW_USER_PLAYS])
        assert set(own) == set(columns), (
            "new_user_items should hold plays in exactly the five artists' columns, found "
            f"{sorted(data.artist_names[own])}: look each column up with np.flatnonzero(data.artist_names == name)[0].")
        assert np.allclose(row[columns], list(_NEW_USER_PLAYS.values())), (
            "new_user_items holds the right artists but not their play counts (1200, 800, 600, 400, 300, in the "
            "order of the table): store the plays, not ones or confidences.")
    assert len(own) > 0, "new_user_items is empty: store the listener's play counts in it."

    assert scipy.sparse.issparse(new_user_confidence) and new_user_confidence.shape == (1, data.n_artists), (
        f"new_user_confidence should be a sparse matrix of shape (1, {data.n_artists}): the LAST row of "
        f"bm25_confidence(scipy.sparse.vstack([data.user_items, new_user_items]).tocsr()), not "
        f"{_describe(new_user_confidence)}.")
    c = np.asarray(new_user_confidence.todense(), dtype=np.float64).ravel()
    stacked = bm25_confidence(scipy.sparse.vstack([data.user_items, scipy.sparse.csr_matrix(row[None, :])]).tocsr())
    expected_c = stacked[-1].toarray().ravel().astype(np.float64)
    assert set(np.flatnonzero(c)) == set(own), (
        "new_user_confidence should have a confidence in exactly the columns where new_user_items has plays.")
    assert not np.allclose(c[own], row[own]), (
        "new_user_confidence holds the raw play counts: ALS was trained on BM25 confidences, so apply bm25_confidence.")
    assert np.allclose(c, expected_c, rtol=1e-4, atol=1e-3), (
        "new_user_confidence is not the BM25 confidence as in training. BM25 uses every artist's total plays, so "
        "bm25_confidence(new_user_items) alone is wrong: stack the row under data.user_items with "
        "scipy.sparse.vstack, apply bm25_confidence to the stacked matrix and keep its last row ([-1]).")

    assert isinstance(new_user_factors, np.ndarray) and new_user_factors.shape == (1, als.factors), (
        f"new_user_factors should be the array als.recalculate_user(new_user_confidence) returns, shape "
        f"(1, {als.factors}), not {_describe(new_user_factors)}.")
    # The exact solve of section 1, in float64: x = (YᵀY + Yᵀ(C_u - I)Y + λI)⁻¹ Yᵀ C_u p_u.
    Y = als.item_factors.astype(np.float64)
    Yu, cu = Y[own], expected_c[own]
    x = np.linalg.solve(Y.T @ Y + Yu.T @ ((cu - 1.0)[:, None] * Yu) + als.regularization * np.eye(als.factors),
                        Yu.T @ cu)
    assert np.allclose(new_user_factors[0], x, rtol=1e-3, atol=1e-3 * np.abs(x).max()), (
        "new_user_factors is not the least-squares solution for this listener: compute it with "
        "als.recalculate_user(new_user_confidence) (confidences, not play counts; not a trained user's factors).")

    rec = np.asarray(new_user_recommended)
    assert rec.ndim == 1 and len(rec) == K and np.issubdtype(rec.dtype, np.integer), (
        f"new_user_recommended should be a 1-d NumPy array of {K} artist indices (integers), not {rec!r}.")
    assert len(set(rec.tolist())) == K, "new_user_recommended recommends an artist more than once."
    assert not set(rec.tolist()) & set(own.tolist()), (
        "new_user_recommended contains artists the listener already played "
        f"({', '.join(data.artist_names[sorted(set(rec.tolist()) & set(own.tolist()))])}): set their scores to "
        "-np.inf before taking the best.")
    s = Y @ x
    s[own] = -np.inf
    tol = 1e-4 * np.abs(s[np.isfinite(s)]).max()
    assert (s[rec] >= np.sort(s)[-K] - tol).all(), (
        f"new_user_recommended is not the {K} best-scored artists: score every artist with "
        "new_user_factors[0] @ als.item_factors.T and take the highest (np.argsort(-scores)[:K]), not the lowest.")
    assert (np.diff(s[rec]) <= tol).all(), "new_user_recommended should be sorted best first (highest score first)."


@exercise("3.2")
def check_forty_factors(ns: Mapping) -> None:
    """ALS with 40 factors on the training confidences, its test MAP@K and its gain over FACTORS factors."""
    als_40, map_40, map_gain = need(ns, "als_40", "map_40", "map_gain", hint=_HINT)
    data, train, test, train_confidence = ns["data"], ns["train"], ns["test"], ns["train_confidence"]
    K, held_out = ns["K"], ns["held_out"]
    regularization, iterations, random_state = ns["REGULARIZATION"], ns["ITERATIONS"], ns["RANDOM_STATE"]

    assert isinstance(als_40, ImplicitALS), (
        f"als_40 should be the ImplicitALS model itself (ImplicitALS(40, ...).fit(...) returns it), "
        f"not {type(als_40).__name__}.")
    assert als_40.item_factors is not None, "als_40 is not fitted yet: call als_40.fit(train_confidence)."
    assert als_40.factors == 40 and als_40.item_factors.shape == (data.n_artists, 40), (
        f"als_40 should have 40 factors (the first argument of ImplicitALS), not {als_40.factors}.")
    assert als_40.user_items is not None and als_40.user_items.shape == train_confidence.shape and \
        (als_40.user_items != train_confidence).nnz == 0, (
        "als_40 should be fitted on train_confidence (the training split as BM25 confidences). Fitted on confidence, "
        "it has seen the held-out plays; fitted on train, it learns from raw play counts.")
    assert (als_40.regularization, als_40.iterations, als_40.solver) == (regularization, iterations, "cg"), (
        "Keep everything but the factors as in section 6 (REGULARIZATION, ITERATIONS, the CG solver), so that "
        f"the comparison isolates the number of factors; als_40 has regularization {als_40.regularization}, "
        f"{als_40.iterations} iterations, solver {als_40.solver!r}.")
    assert als_40.random_state == random_state, "Seed the fit: ImplicitALS(..., random_state=RANDOM_STATE)."
    assert isinstance(map_40, (float, np.floating)), f"map_40 should be one number (a float), not {map_40!r}."
    expected_map = evaluate_recommender(lambda u: als_40.user_factors[u] @ als_40.item_factors.T,
                                        train, test, K)["map@k"]
    assert np.isclose(map_40, expected_map, atol=1e-4), (
        f"map_40 = {float(map_40):.4f} is not the MAP@{K} of als_40 on the test split: use "
        "evaluate_recommender(lambda u: als_40.user_factors[u] @ als_40.item_factors.T, train, test, K)['map@k'] "
        "(train filters what the users already played, test holds what to find; take 'map@k', not another metric).")
    gain = map_40 - held_out.loc["ALS cg (BM25)", "map@k"]
    assert isinstance(map_gain, (float, np.floating)) and np.isclose(map_gain, gain, atol=1e-6), (
        f"map_gain should be map_40 minus held_out.loc['ALS cg (BM25)', 'map@k'] (in that order), {gain:+.4f}, "
        f"not {map_gain!r}.")


@exercise("3.3")
def check_smaller_scale(ns: Mapping) -> None:
    """The confidences 1 + 0.01 x BM25 of fit_part, their validation MAP@K, and whether they beat the sweep."""
    confidence_small, validation_map_small, smaller_is_better = need(
        ns, "confidence_small", "validation_map_small", "smaller_is_better", hint=_HINT)
    fit_part, validation, chosen, K = ns["fit_part"], ns["validation"], ns["chosen"], ns["K"]
    fit_als, als_metrics = ns["fit_als"], ns["als_metrics"]  # the notebook's helpers (section 7)

    assert scipy.sparse.issparse(confidence_small) and confidence_small.shape == fit_part.shape, (
        f"confidence_small should be a sparse users x artists matrix of shape {fit_part.shape}, like fit_part, "
        f"not {_describe(confidence_small)}.")
    small = scipy.sparse.csr_matrix(confidence_small, dtype=np.float64, copy=True)
    small.sum_duplicates()
    bm25 = bm25_confidence(fit_part).astype(np.float64)
    bm25.sum_duplicates()
    assert np.array_equal(small.indptr, bm25.indptr) and np.array_equal(small.indices, bm25.indices), (
        f"confidence_small should have exactly fit_part's {fit_part.nnz:,} stored entries, it has {small.nnz:,}: "
        "build it from fit_part (not train, which still holds the validation plays, nor data.user_items).")
    expected = bm25.copy()
    expected.data = 1.0 + 0.01 * expected.data
    assert not np.allclose(small.data, 0.01 * bm25.data, rtol=1e-4, atol=1e-4), (
        "confidence_small is 0.01 x BM25: this family adds 1 (1 + a x BM25, so that no played artist falls below "
        "the confidence 1 of the unplayed ones).")
    assert np.allclose(small.data, expected.data, rtol=1e-4, atol=1e-4), (
        "confidence_small is not 1 + 0.01 x BM25 of fit_part: use shifted_bm25(fit_part, 0.01) "
        "(BM25 as bm25_confidence computes it, scale a = 0.01).")
    assert isinstance(validation_map_small, (float, np.floating)), (
        f"validation_map_small should be one number (a float), not {validation_map_small!r}.")
    expected_map = als_metrics(fit_als(expected.astype(np.float32)), fit_part, validation)["map@k"]
    assert np.isclose(validation_map_small, expected_map, atol=2e-4), (
        f"validation_map_small = {float(validation_map_small):.4f} is not the validation MAP@{K} of ALS on "
        "confidence_small: fit with fit_als(confidence_small) and score with "
        "als_metrics(model, fit_part, validation)['map@k'] (the validation split, not test: test must choose nothing).")
    assert isinstance(smaller_is_better, (bool, np.bool_)), (
        f"smaller_is_better should be True or False, not {type(smaller_is_better).__name__}.")
    best = chosen.loc["1 + a x BM25", "validation map@k"]
    assert bool(smaller_is_better) == bool(validation_map_small > best), (
        f"smaller_is_better should say whether validation_map_small ({float(validation_map_small):.4f}) is higher "
        f"than the family's best in the sweep, chosen.loc['1 + a x BM25', 'validation map@k'] ({best:.4f}).")
