"""Implicit ALS: numba kernels against the NumPy reference, against `implicit`, and the API."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

from recsys_utils import als_kernels, als_reference
from recsys_utils.als import ImplicitALS, check_user_items, confidence_loss
from recsys_utils.confidence import bm25_confidence, linear_confidence, log_confidence
from recsys_utils.weighting import bm25_weight
from recsys_utils.neighbours import TopRelated

REG = 0.1


@pytest.fixture
def Cui():
    """60 users x 40 items of confidences, with an empty user row and an empty item column."""
    rng = np.random.default_rng(0)
    m = sp.random(60, 40, density=0.2, random_state=rng, format="csr", dtype=np.float32)
    m.data = 1 + 20 * m.data
    m = m.tolil()
    m[7, :] = 0
    m[:, 11] = 0
    m = m.tocsr()
    m.eliminate_zeros()
    return m


@pytest.fixture
def start():
    rng = np.random.default_rng(1)
    return rng.random((60, 6), dtype=np.float32) * 0.1, rng.random((40, 6), dtype=np.float32) * 0.1


def test_gram_matches_numpy(start):
    _, Y = start
    np.testing.assert_allclose(als_kernels.gram(Y), Y.astype(np.float64).T @ Y, rtol=1e-12)
    big = np.random.default_rng(2).random((10_000, 5), dtype=np.float32)  # several chunks
    np.testing.assert_allclose(als_kernels.gram(big), big.astype(np.float64).T @ big, rtol=1e-10)


def test_cholesky_half_step_equals_the_reference(Cui, start):
    X, Y = start
    expected = als_reference.least_squares(Cui, X, Y.astype(np.float64), REG)
    got = X.copy()
    als_kernels.cholesky_sweep(Cui.indptr, Cui.indices, Cui.data, Y, als_kernels.gram(Y) + REG * np.eye(6), got)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert (got[7] == 0).all()  # a user with no items gets the exact solution, zero


def test_cg_half_step_equals_the_reference(Cui, start):
    X, Y = start
    expected = als_reference.least_squares_cg(Cui, X.astype(np.float64), Y.astype(np.float64), REG, cg_steps=3)
    got = X.copy()
    YtY = (als_kernels.gram(Y) + REG * np.eye(6)).astype(np.float32)
    als_kernels.cg_sweep(Cui.indptr, Cui.indices, Cui.data, Y, YtY, got, 3)
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-5)


def test_cg_half_step_in_float64_equals_the_reference_closely(Cui, start):
    X, Y = start
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    expected = als_reference.least_squares_cg(Cui, X64, Y64, REG, cg_steps=3)
    got = X64.copy()
    als_kernels.cg_sweep(Cui.indptr, Cui.indices, Cui.data.astype(np.float64), Y64,
                         als_kernels.gram(Y) + REG * np.eye(6), got, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_cg_approaches_the_exact_solution_as_steps_grow(Cui, start):
    X, Y = start
    exact = als_reference.least_squares(Cui, X, Y.astype(np.float64), REG)
    YtY = (als_kernels.gram(Y) + REG * np.eye(6)).astype(np.float32)
    errors = []
    for steps in (1, 2, 3, 12):
        got = X.copy()
        als_kernels.cg_sweep(Cui.indptr, Cui.indices, Cui.data, Y, YtY, got, steps)
        errors.append(np.abs(got - exact).max())
    assert errors[0] > errors[1] > errors[2] > errors[3] and errors[3] < 1e-4


def test_loss_kernel_equals_the_dense_reference(Cui, start):
    X, Y = start
    assert confidence_loss(Cui, X, Y, REG) == pytest.approx(als_reference.loss(Cui, X, Y, REG), rel=1e-6)


def test_full_fit_equals_the_reference_algorithm(Cui):
    model = ImplicitALS(6, REG, 4, solver="cholesky", random_state=0, show_progress=False)
    model.init_factors(*Cui.shape)
    X, Y = model.user_factors.astype(np.float64), model.item_factors.astype(np.float64)
    model.fit(Cui, keep_factors=True)
    Ciu = Cui.T.tocsr()
    for _ in range(4):
        X = als_reference.least_squares(Cui, X, Y, REG)
        Y = als_reference.least_squares(Ciu, Y, X, REG)
    np.testing.assert_allclose(model.user_factors, X, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(model.item_factors, Y, rtol=1e-3, atol=1e-5)


def test_cholesky_loss_never_increases(Cui):
    losses = []
    ImplicitALS(6, REG, 8, solver="cholesky", random_state=0, show_progress=False).fit(
        Cui, callback=lambda it, seconds, m: losses.append(m.loss()))
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:])) and losses[-1] < losses[0]


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_loss_matches_the_implicit_library_from_the_same_start(solver):
    implicit_als = pytest.importorskip("implicit.cpu.als")
    rng = np.random.default_rng(3)
    Cui = sp.random(300, 200, density=0.05, random_state=rng, format="csr", dtype=np.float32)
    Cui.data = 1 + 40 * Cui.data
    ours = ImplicitALS(16, 0.05, 5, solver=solver, random_state=4, show_progress=False)
    ours.init_factors(*Cui.shape)
    with threadpool_limits(1, "blas"):  # implicit checks BLAS threads when constructed
        theirs = implicit_als.AlternatingLeastSquares(factors=16, regularization=0.05, iterations=5,
                                                      use_cg=(solver == "cg"), random_state=4, num_threads=1)
    theirs.user_factors, theirs.item_factors = ours.user_factors.copy(), ours.item_factors.copy()
    ours.fit(Cui, keep_factors=True)
    with threadpool_limits(1, "blas"):
        theirs.fit(Cui, show_progress=False)
    ours_loss = ours.loss()
    theirs_loss = confidence_loss(Cui, theirs.user_factors, theirs.item_factors, 0.05)
    assert ours_loss == pytest.approx(theirs_loss, rel=0.01)
    # implicit's own loss function agrees with ours on the same factors
    from implicit.cpu import _als
    assert _als.calculate_loss(Cui, ours.user_factors, ours.item_factors, 0.05, num_threads=1) == pytest.approx(ours_loss, rel=1e-4)


def test_same_seed_gives_identical_bits_whatever_the_thread_count(Cui):
    runs = [ImplicitALS(6, REG, 3, random_state=5, num_threads=t, show_progress=False).fit(Cui)
            for t in (1, numba.config.NUMBA_NUM_THREADS, 1)]
    for other in runs[1:]:
        assert np.array_equal(runs[0].user_factors, other.user_factors)
        assert np.array_equal(runs[0].item_factors, other.item_factors)
    different = ImplicitALS(6, REG, 3, random_state=6, show_progress=False).fit(Cui)
    assert not np.array_equal(runs[0].user_factors, different.user_factors)


def test_threads_are_set_for_the_fit_and_restored(Cui):
    before = numba.get_num_threads()
    seen = []

    def callback(it, seconds, model):
        blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
        seen.append((numba.get_num_threads(), blas))

    ImplicitALS(6, REG, 2, num_threads=1, show_progress=False).fit(Cui, callback=callback)
    assert seen and all(n == 1 and all(b == 1 for b in blas) for n, blas in seen)
    assert numba.get_num_threads() == before
    with pytest.raises(ValueError, match="num_threads"):
        ImplicitALS(6, num_threads=10_000, show_progress=False).fit(Cui)


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_empty_users_and_items_and_zero_regularization_give_no_nan(Cui, solver):
    model = ImplicitALS(6, 0.0, 3, solver=solver, random_state=0, show_progress=False).fit(Cui)
    assert np.isfinite(model.user_factors).all() and np.isfinite(model.item_factors).all()
    assert np.isfinite(model.loss())


def test_bad_inputs_are_clear_errors(Cui):
    with pytest.raises(TypeError, match="CSR"):
        ImplicitALS(show_progress=False).fit(Cui.tocoo())
    with pytest.raises(TypeError, match="CSR"):
        ImplicitALS(show_progress=False).fit(Cui.toarray())
    bad = Cui.copy()
    bad.data[0] = -1
    with pytest.raises(ValueError, match="non-negative"):
        ImplicitALS(show_progress=False).fit(bad)
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ImplicitALS(show_progress=False).fit(bad)
    for kwargs, message in (({"factors": 0}, "factors"), ({"regularization": -1}, "regularization"),
                            ({"solver": "svd"}, "solver"), ({"cg_steps": 0}, "cg_steps")):
        with pytest.raises(ValueError, match=message):
            ImplicitALS(**kwargs)
    model = ImplicitALS(4, iterations=1, show_progress=False)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.loss()
    model.fit(Cui)
    with pytest.raises(ValueError, match="looks transposed"):
        model.loss(Cui.T.tocsr())
    with pytest.raises(ValueError, match="keep_factors"):
        ImplicitALS(5, show_progress=False).fit(Cui, keep_factors=True)


def test_recommend_skips_listened_items_and_explain_adds_up_to_a_fresh_solve(Cui):
    model = ImplicitALS(6, REG, 10, solver="cholesky", random_state=0, show_progress=False).fit(Cui)
    user = 3
    listened = set(Cui[user].indices)
    items, scores = model.recommend(user, n=5)
    assert not set(items) & listened and list(scores) == sorted(scores, reverse=True)
    everything, _ = model.recommend(user, n=40, filter_already_liked=False)
    assert sorted(everything) == sorted(set(range(40)) - {11})  # item 11 has no listener: never recommended
    fresh = als_reference.least_squares(Cui[user], model.user_factors[[user]], model.item_factors.astype(np.float64),
                                        REG)[0]
    weights = None
    for item in items[:3]:
        score, contributions, weights = model.explain(user, None, int(item), n=len(listened), user_weights=weights)
        assert {source for source, _ in contributions} == listened
        # the contributions add up to the score of the exact solve, not of the trained factors
        assert sum(value for _, value in contributions) == pytest.approx(score, rel=1e-9)
        assert score == pytest.approx(fresh @ model.item_factors[item], rel=1e-4)
    every_other, _ = model.recommend(user, n=40)  # more than are left: those that are
    assert sorted(every_other) == sorted(set(range(40)) - listened - {11})  # 11 has no listener
    assert sorted(model.recommend(user, n=41)[0]) == sorted(every_other)
    with pytest.raises(ValueError, match="n must be"):
        model.recommend(user, n=0)
    with pytest.raises(IndexError):
        model.recommend(60)


def test_half_step_is_the_fits_half_step_under_its_thread_settings(Cui, start):
    X, Y = start
    model = ImplicitALS(6, REG, solver="cholesky", num_threads=1, show_progress=False)
    model.item_factors = Y
    expected = als_reference.least_squares(Cui, X, Y.astype(np.float64), REG)
    np.testing.assert_allclose(model.half_step(Cui), expected, rtol=1e-5, atol=1e-6)
    assert model.user_factors is None  # the model is not changed
    with pytest.raises(ValueError, match="user_factors must have shape"):
        model.half_step(Cui, X[:3])


def test_similar_items_is_top_related_on_item_factors(Cui):
    model = ImplicitALS(6, REG, 3, random_state=0, show_progress=False).fit(Cui)
    expected = TopRelated(model.item_factors).get_related(2, 5)
    got = model.similar_items(2, 5)
    assert list(got[0]) == list(expected[0])


def test_confidences_and_playdata_input():
    plays = sp.csr_matrix(np.array([[0, 2], [5, 0]], dtype=np.float32))
    assert linear_confidence(plays, alpha=10).toarray().tolist() == [[0, 21], [51, 0]]
    np.testing.assert_allclose(log_confidence(plays, alpha=2).toarray(), [[0, 1 + 2 * np.log(3)], [1 + 2 * np.log(6), 0]],
                               rtol=1e-6)
    many = sp.random(50, 30, density=0.2, format="csr", dtype=np.float32, random_state=0) * 100
    assert (bm25_confidence(many, K1=50, B=0.5) != bm25_weight(many.T.tocsr(), K1=50, B=0.5).T).nnz == 0
    with pytest.raises(ValueError, match="non-negative"):
        log_confidence(-plays)
    assert check_user_items(plays).dtype == np.float32


def test_bm25_confidence_is_the_blogs_transposed_bm25_bit_for_bit_at_a_realistic_size():
    from recsys_utils.synthetic import make_synthetic

    plays = make_synthetic(0.01, random_state=4).user_items  # ~175,000 plays, heavy-tailed
    ours = bm25_confidence(plays)
    blog = bm25_weight(plays.T.tocsr()).T.tocsr()
    blog.sort_indices()
    assert ours.dtype == np.float32 and ours.has_sorted_indices
    assert (ours.indptr == blog.indptr).all() and (ours.indices == blog.indices).all()
    assert np.array_equal(ours.data.view(np.uint32), blog.data.view(np.uint32))
    with pytest.raises(ValueError, match="K1"):
        bm25_confidence(plays, K1=-1)
