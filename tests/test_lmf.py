"""Logistic MF: the numba kernel against the NumPy reference, reproducibility, inputs and quality."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils import lmf_kernels, lmf_reference
from recsys_utils.lmf import LogisticMF
from recsys_utils.sgd_common import nonempty
from recsys_utils.synthetic import make_synthetic
from recsys_utils.utils import kernel_threads

#: Every thread numba may use: 2 in `make test`, 1 in `make test-portable` (then "many" is one).
ALL_THREADS = numba.config.NUMBA_NUM_THREADS

LR, REG = 0.1, 0.5


@pytest.fixture
def plays():
    """60 users x 40 items of play counts, with an empty user row and an empty item column."""
    rng = np.random.default_rng(0)
    m = sp.random(60, 40, density=0.2, random_state=rng, format="csr", dtype=np.float32)
    m.data = np.ceil(50 * m.data)
    m = m.tolil()
    m[7, :] = 0
    m[:, 11] = 0
    m = m.tocsr()
    m.eliminate_zeros()
    return m


def started(plays, seed=1):
    model = LogisticMF(factors=5, learning_rate=LR, regularization=REG, neg_prop=3, show_progress=False)
    C = model.confidences(plays)
    model.init_factors(np.diff(C.indptr), np.bincount(C.indices, minlength=C.shape[1]), np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)  # not the start: biases and factors away from zero
    for M in (model.user_factors, model.item_factors):
        M[:, :5] += rng.normal(0, 0.3, (len(M), 5)).astype(np.float32) * M.any(axis=1)[:, None]
    model.user_factors[:, 5] += 0.2 * model.user_factors.any(axis=1)
    model.item_factors[:, 6] -= 0.3 * model.item_factors.any(axis=1)
    return model, C


def side(C, user_step):
    rows = C if user_step else C.T.tocsr()
    rows.sort_indices()
    other = C.T.tocsr() if user_step else C
    candidates = nonempty(np.diff(other.indptr))
    indptr = rows.indptr.astype(np.int64)
    return rows, indptr, rows.indices.astype(np.int32), candidates, lmf_kernels.negative_slots(indptr, 3, len(candidates))


def kernel_step(model, C, user_step, negatives=None, threads=1, stream=4):
    rows, indptr, indices, candidates, slots = side(C, user_step)
    X, Y = (model.user_factors, model.item_factors) if user_step else (model.item_factors, model.user_factors)
    X, G = X.copy(), np.full_like(X, 0.5)
    ll = np.zeros(len(X))
    none = np.empty(0, np.int32) if negatives is None else negatives
    with kernel_threads(threads):
        lmf_kernels.lmf_half_step(indptr, indices, rows.data, candidates, slots, 9, stream, X, Y, G, LR, REG,
                                  5 if user_step else 6, none, ll)
    return X, G, ll


def draw(C, user_step, threads=1, stream=4):
    rows, indptr, indices, candidates, slots = side(C, user_step)
    with kernel_threads(threads):
        return lmf_kernels.draw_negatives(indptr, indices, candidates, slots, 9, stream)


@pytest.mark.parametrize("user_step", [True, False])
def test_a_half_step_is_the_references_step(plays, user_step):
    model, C = started(plays)
    rows, _, _, candidates, slots = side(C, user_step)
    negatives = draw(C, user_step)
    X, Y = (model.user_factors, model.item_factors) if user_step else (model.item_factors, model.user_factors)
    expected_X, expected_G = lmf_reference.half_step(rows, X, Y, np.full_like(X, 0.5), negatives, slots,
                                                     len(candidates), LR, REG, 5 if user_step else 6)
    got_X, got_G, _ = kernel_step(model, C, user_step, negatives)
    np.testing.assert_allclose(got_X, expected_X, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_G, expected_G, rtol=1e-4, atol=1e-5)
    assert np.abs(got_X - X).max() > 0.01  # the step did something
    constant = 6 if user_step else 5
    assert np.array_equal(got_X[:, constant], X[:, constant])  # the constant column is never stepped
    empty = 7 if user_step else 11
    assert (got_X[empty] == 0).all()


@pytest.mark.parametrize("user_step", [True, False])
def test_negatives_are_columns_the_row_lacks_drawn_the_same_on_the_fly_and_with_any_threads(plays, user_step):
    model, C = started(plays)
    rows, _, _, candidates, slots = side(C, user_step)
    negatives = draw(C, user_step)
    owner = np.repeat(np.arange(rows.shape[0]), np.diff(slots))
    assert (negatives >= 0).all() and not (rows.toarray() > 0)[owner, negatives].any()
    assert np.isin(negatives, candidates).all()
    assert np.array_equal(negatives, draw(C, user_step, threads=ALL_THREADS))
    assert not np.array_equal(negatives, draw(C, user_step, stream=5))
    predrawn, on_the_fly = kernel_step(model, C, user_step, negatives), kernel_step(model, C, user_step, threads=ALL_THREADS)
    assert all(np.array_equal(a, b) for a, b in zip(predrawn, on_the_fly))


def test_the_sampled_log_likelihood_estimates_the_exact_one(plays):
    model, C = started(plays)
    _, _, ll = kernel_step(model, C, True)
    exact = lmf_reference.log_likelihood(C, model.user_factors, model.item_factors, 0.0)
    assert ll.sum() == pytest.approx(exact, rel=0.05)
    # Every unplayed item drawn often: the estimate closes in.
    rows, indptr, indices, candidates, _ = side(C, True)
    many = lmf_kernels.negative_slots(indptr, 200, len(candidates))
    ll_many = np.zeros(C.shape[0])
    with kernel_threads(1):
        lmf_kernels.lmf_half_step(indptr, indices, rows.data, candidates, many, 9, 1, model.user_factors.copy(),
                                  model.item_factors, np.zeros_like(model.user_factors), LR, REG, 5,
                                  np.empty(0, np.int32), ll_many)
    assert ll_many.sum() == pytest.approx(exact, rel=0.01)


def test_a_fit_raises_the_likelihood_and_confidences_are_log_or_linear(plays):
    model = LogisticMF(factors=5, iterations=20, alpha=2.0, random_state=0, show_progress=False).fit(plays)
    objective = [h["objective"] for h in model.history]
    assert objective[-1] > objective[0] and len(objective) == 20
    C = model.confidences(plays)
    np.testing.assert_allclose(C.data, 2.0 * np.log1p(plays.data), rtol=1e-6)
    linear = LogisticMF(alpha=3.0, confidence="linear").confidences(plays)
    np.testing.assert_allclose(linear.data, 3.0 * plays.data, rtol=1e-6)
    k = model.factors
    assert (model.user_factors[np.diff(plays.indptr) > 0, k + 1] == 1).all()
    assert (model.item_factors[np.bincount(plays.indices, minlength=40) > 0, k] == 1).all()
    assert (model.user_factors[7] == 0).all() and (model.item_factors[11] == 0).all()


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic(0.01, random_state=0).user_items


def test_fits_are_bitwise_the_same_for_any_number_of_threads(synthetic):
    def fit(threads, seed=7):
        return LogisticMF(factors=32, iterations=3, neg_prop=5, random_state=seed, num_threads=threads,
                          show_progress=False).fit(synthetic)

    one, again, two = fit(1), fit(1), fit(ALL_THREADS)
    for other in (again, two, fit(ALL_THREADS)):
        assert np.array_equal(one.user_factors, other.user_factors)
        assert np.array_equal(one.item_factors, other.item_factors)
        assert one.history[-1]["objective"] == other.history[-1]["objective"]
    assert not np.array_equal(fit(ALL_THREADS, seed=8).item_factors, one.item_factors)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"factors": 0}, ValueError, "factors"), ({"factors": "8"}, TypeError, "factors"),
    ({"learning_rate": 0}, ValueError, "learning_rate"), ({"learning_rate": float("inf")}, ValueError, "learning_rate"),
    ({"regularization": -0.1}, ValueError, "regularization"), ({"iterations": 1.0}, TypeError, "iterations"),
    ({"alpha": -1}, ValueError, "alpha"), ({"alpha": 0}, ValueError, "alpha must be positive"),
    ({"confidence": "bm25"}, ValueError, "confidence"),
    ({"neg_prop": 0}, ValueError, "neg_prop"), ({"random_state": 1.5}, TypeError, "random_state"),
    ({"num_threads": -2}, ValueError, "num_threads")])
def test_bad_hyperparameters_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        LogisticMF(**kwargs)


def test_bad_training_matrices_are_clear_errors(plays):
    model = LogisticMF(factors=4, iterations=1, show_progress=False)
    with pytest.raises(TypeError, match="CSR"):
        model.fit(plays.toarray())
    with pytest.raises(TypeError, match="CSR"):
        model.fit(plays.tocsc())
    for value, match in ((-2.0, "non-negative"), (np.inf, "infinite")):
        bad = plays.copy()
        bad.data[0] = value
        with pytest.raises(ValueError, match=match):
            model.fit(bad)
    with pytest.raises(ValueError, match="no entries"):
        model.fit(sp.csr_matrix((3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="at least one user"):
        model.fit(sp.csr_matrix((3, 0), dtype=np.float32))
    model.fit(plays)
    with pytest.raises(ValueError, match="one row per user"):
        model.recommend(np.array([0, 1]), plays.T.tocsr()[:1])


def test_a_diverging_fit_is_an_error_and_leaves_the_model_unfitted(plays):
    model = LogisticMF(factors=4, learning_rate=1e30, iterations=5, random_state=0, show_progress=False)
    with pytest.raises(FloatingPointError, match="learning_rate"), np.errstate(all="ignore"):
        model.fit(plays)
    assert model.user_factors is None and model.user_items is None


def test_on_lastfm_2k_lmf_beats_popularity_clearly(hetrec_2k):
    from recsys_utils.datasets import load_dataset
    from recsys_utils.evaluate import evaluate_recommender, train_test_split

    train, test = train_test_split(load_dataset(hetrec_2k, show_progress=False).user_items, 0.2, random_state=42)
    model = LogisticMF(neg_prop=10, random_state=0, show_progress=False).fit(train)
    found = evaluate_recommender(lambda u: model.user_factors[u] @ model.item_factors.T, train, test, 10)["map@k"]
    assert found > 0.05  # popularity: 0.032; implicit's LMF with its defaults: ~0.004
