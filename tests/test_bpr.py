"""BPR: the numba kernel against the NumPy reference, the sampler, reproducibility, inputs and quality."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils import bpr_kernels, bpr_reference
from recsys_utils.bpr import BayesianPersonalizedRanking
from recsys_utils.sgd_common import nonempty
from recsys_utils.synthetic import make_synthetic
from recsys_utils.utils import kernel_threads

#: Every thread numba may use: 2 in `make test`, 1 in `make test-portable` (then "many" is one).
ALL_THREADS = numba.config.NUMBA_NUM_THREADS


@pytest.fixture
def user_items():
    """60 users x 40 items of play counts, with an empty user row and an empty item column."""
    rng = np.random.default_rng(0)
    m = sp.random(60, 40, density=0.2, random_state=rng, format="csr", dtype=np.float32)
    m.data = np.ceil(20 * m.data)
    m = m.tolil()
    m[7, :] = 0
    m[:, 11] = 0
    m = m.tocsr()
    m.eliminate_zeros()
    return m


def start_factors(user_items, k=6, seed=1):
    model = BayesianPersonalizedRanking(factors=k, show_progress=False)
    model.init_factors(np.diff(user_items.indptr), np.bincount(user_items.indices, minlength=user_items.shape[1]),
                       np.random.default_rng(seed))
    return model.user_factors, model.item_factors


def arrays(user_items):
    return user_items.indptr.astype(np.int64), user_items.indices.astype(np.int32)


def run_epoch(user_items, X, Y, order, pairs=None, by_popularity=False, seed=5, stream=1, lr=0.05, reg=0.01):
    indptr, indices = arrays(user_items)
    candidates = nonempty(np.bincount(user_items.indices, minlength=user_items.shape[1]))
    positives, negatives = pairs if pairs is not None else (np.empty(0, np.int32), np.empty(0, np.int32))
    n = user_items.shape[0]
    out = np.zeros(n), np.zeros(n, np.int64), np.zeros(n, np.int64)
    with kernel_threads(1):
        bpr_kernels.bpr_epoch(indptr, indices, candidates, by_popularity, seed, stream, order, X, Y, lr, reg,
                              positives, negatives, *out)
    return out


def draw(user_items, by_popularity=False, seed=5, stream=1, threads=1):
    indptr, indices = arrays(user_items)
    candidates = nonempty(np.bincount(user_items.indices, minlength=user_items.shape[1]))
    with kernel_threads(threads):
        return bpr_kernels.draw_pairs(indptr, indices, candidates, by_popularity, seed, stream)


@pytest.mark.parametrize("by_popularity", [False, True])
def test_an_epoch_takes_the_same_steps_as_the_reference(user_items, by_popularity):
    X, Y = start_factors(user_items)
    order = np.random.default_rng(2).permutation(np.flatnonzero(np.diff(user_items.indptr)))
    pairs = draw(user_items, by_popularity)
    expected_X, expected_Y, expected_ll = bpr_reference.epoch(user_items, X, Y, order, *pairs, 0.05, 0.01)
    ll, correct, skipped = run_epoch(user_items, X, Y, order, pairs, by_popularity)
    np.testing.assert_allclose(X, expected_X, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(Y, expected_Y, rtol=1e-4, atol=1e-6)
    assert ll.sum() / (user_items.nnz - skipped.sum()) == pytest.approx(expected_ll, rel=1e-5)
    assert not np.array_equal(Y, start_factors(user_items)[1])  # the step did something
    assert (X[7] == 0).all() and (Y[11] == 0).all()  # the empty user and item stay out of the model
    assert (X[np.diff(user_items.indptr) > 0, -1] == 1).all()  # the users' column of ones is left alone


def test_drawing_on_the_fly_gives_the_same_epoch_as_the_pairs_drawn_beforehand(user_items):
    X, Y = start_factors(user_items)
    X2, Y2 = X.copy(), Y.copy()
    order = np.arange(user_items.shape[0])
    first = run_epoch(user_items, X, Y, order, draw(user_items))
    second = run_epoch(user_items, X2, Y2, order)
    assert np.array_equal(X, X2) and np.array_equal(Y, Y2)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("by_popularity", [False, True])
def test_pairs_are_a_positive_and_a_negative_of_the_user_whatever_the_threads(user_items, by_popularity):
    positives, negatives = draw(user_items, by_popularity)
    dense = user_items.toarray() > 0
    users = np.repeat(np.arange(user_items.shape[0]), np.diff(user_items.indptr))
    assert dense[users, positives].all()
    assert (negatives >= 0).all() and not dense[users, negatives].any()
    assert not (negatives == 11).any()  # never an item nobody has
    again = draw(user_items, by_popularity, threads=ALL_THREADS)
    assert np.array_equal(positives, again[0]) and np.array_equal(negatives, again[1])
    other = draw(user_items, by_popularity, stream=2)
    assert not np.array_equal(negatives, other[1])


def test_popularity_sampling_draws_items_in_proportion_to_their_users():
    rng = np.random.default_rng(3)
    popularity = np.r_[np.full(5, 0.9), np.full(195, 0.02)]  # 5 hits, 195 rare items
    user_items = sp.csr_matrix((rng.random((2000, 200)) < popularity).astype(np.float32))
    uniform = np.bincount(draw(user_items)[1], minlength=200)
    popular = np.bincount(draw(user_items, by_popularity=True)[1], minlength=200)
    # A hit is a negative only for the 10% of users without it. Uniformly, 5 of 200 items: ~0.25% of the
    # negatives; by popularity, hits hold half of all entries: ~5%.
    assert uniform[:5].sum() / uniform.sum() < 0.01
    assert popular[:5].sum() / popular.sum() > 0.04


def test_a_fit_ranks_better_every_few_epochs_and_says_so(user_items):
    model = BayesianPersonalizedRanking(factors=6, learning_rate=0.05, iterations=30, random_state=0,
                                        show_progress=False).fit(user_items)
    ll = [h["log_likelihood"] for h in model.history]
    correct = [h["correct"] for h in model.history]
    assert ll[-1] > ll[0] and correct[-1] > correct[0] + 0.2
    assert -np.log(2) - 0.01 < ll[0] < 0 and all(h["skipped"] == 0 for h in model.history)
    assert model.log_likelihood() > ll[0]


@pytest.fixture(scope="module")
def synthetic():
    return make_synthetic(0.01, random_state=0).user_items


def test_one_thread_fits_are_bitwise_repeatable_and_two_threads_draw_the_same_pairs(synthetic):
    def fit(threads, seed=7):
        return BayesianPersonalizedRanking(factors=32, iterations=3, random_state=seed, num_threads=threads,
                                           show_progress=False).fit(synthetic)

    first, second = fit(1), fit(1)
    assert np.array_equal(first.user_factors, second.user_factors)
    assert np.array_equal(first.item_factors, second.item_factors)
    assert first.history[-1]["log_likelihood"] == second.history[-1]["log_likelihood"]
    assert not np.array_equal(fit(1, seed=8).item_factors, first.item_factors)
    # Two threads share item rows without locks (Hogwild): the pairs are the same, the factors need not be
    # bitwise, but the fit is as good.
    assert np.array_equal(draw(synthetic, threads=ALL_THREADS)[1], draw(synthetic, threads=1)[1])
    two = fit(ALL_THREADS)
    assert two.history[-1]["correct"] == pytest.approx(first.history[-1]["correct"], abs=0.01)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"factors": 0}, ValueError, "factors"), ({"factors": 2.0}, TypeError, "factors"),
    ({"learning_rate": 0}, ValueError, "learning_rate"), ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
    ({"learning_rate": "0.1"}, TypeError, "learning_rate"), ({"regularization": -1}, ValueError, "regularization"),
    ({"iterations": -1}, ValueError, "iterations"), ({"negative_sampling": "hard"}, ValueError, "negative_sampling"),
    ({"random_state": -1}, ValueError, "random_state"), ({"num_threads": 1.5}, TypeError, "num_threads")])
def test_bad_hyperparameters_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        BayesianPersonalizedRanking(**kwargs)


def test_bad_training_matrices_are_clear_errors(user_items):
    model = BayesianPersonalizedRanking(factors=4, iterations=1, show_progress=False)
    with pytest.raises(TypeError, match="CSR"):
        model.fit(user_items.toarray())
    with pytest.raises(TypeError, match="CSR"):
        model.fit(user_items.tocoo())
    for value, match in ((-1.0, "non-negative"), (np.nan, "NaN")):
        bad = user_items.copy()
        bad.data[3] = value
        with pytest.raises(ValueError, match=match):
            model.fit(bad)
    with pytest.raises(ValueError, match="no entries"):
        model.fit(sp.csr_matrix((5, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="at least one user"):
        model.fit(sp.csr_matrix((0, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="two items"):
        model.fit(sp.csr_matrix(np.array([[1.0, 0], [2.0, 0]], dtype=np.float32)))
    model.fit(user_items)
    with pytest.raises(ValueError, match="transposed"):
        model.log_likelihood(user_items.T.tocsr())
    with pytest.raises(ValueError, match="items"):
        model.log_likelihood(user_items[:, :30])


def test_a_diverging_fit_is_an_error_and_leaves_the_model_unfitted(user_items):
    model = BayesianPersonalizedRanking(factors=4, learning_rate=1e3, regularization=1.0, iterations=50,
                                        random_state=0, show_progress=False)
    with pytest.raises(FloatingPointError, match="learning_rate"), np.errstate(all="ignore"):
        model.fit(user_items)
    assert model.user_factors is None and model.item_factors is None
    with pytest.raises(RuntimeError, match="not fitted"):
        model.recommend(0)


def test_on_lastfm_2k_bpr_beats_popularity_by_far(hetrec_2k):
    from recsys_utils.datasets import load_dataset
    from recsys_utils.evaluate import evaluate_recommender, popularity_scorer, train_test_split

    train, test = train_test_split(load_dataset(hetrec_2k, show_progress=False).user_items, 0.2, random_state=42)
    model = BayesianPersonalizedRanking(random_state=0, num_threads=1, show_progress=False).fit(train)
    found = evaluate_recommender(lambda u: model.user_factors[u] @ model.item_factors.T, train, test, 10)["map@k"]
    popularity = evaluate_recommender(popularity_scorer(train), train, test, 10)["map@k"]
    assert popularity == pytest.approx(0.032, abs=0.002)
    assert found > 0.07  # ~0.086 measured; implicit's BPR with its defaults: ~0.08


def test_the_sampled_log_likelihood_skips_pairs_whose_negative_the_user_has_and_says_when_none_is_left():
    full = sp.csr_matrix(np.ones((6, 5), dtype=np.float32))
    full[0, 4] = 0
    full.eliminate_zeros()
    model = BayesianPersonalizedRanking(4, iterations=3, random_state=0, num_threads=1, show_progress=False).fit(full)
    value = model.log_likelihood(pairs_per_user=200)  # only user 0 has a negative (item 4): its pairs count
    X, Y = model.user_factors.astype(np.float64), model.item_factors.astype(np.float64)
    expected = -np.logaddexp(0.0, -(X[0] @ (Y[:4] - Y[4]).T))
    assert np.isfinite(value) and expected.min() - 1e-9 <= value <= expected.max() + 1e-9
    everything = sp.csr_matrix(np.ones((6, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="every drawn negative is an item its user has"):
        model.log_likelihood(everything)

