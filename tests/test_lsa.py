"""Truncated SVD: agreement with a dense SVD, determinism, errors."""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils.lsa import lsa_factors, lsa_user_scores


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    low_rank = rng.random((60, 5)) @ rng.random((5, 80))
    return sp.csr_matrix(low_rank * (rng.random((60, 80)) < 0.5))


def test_matches_a_dense_svd(X):
    U, s = lsa_factors(X, 4, random_state=0, return_singular_values=True)
    U_ref, s_ref, _ = np.linalg.svd(X.toarray())
    np.testing.assert_allclose(s, s_ref[:4], rtol=1e-6)
    for j in range(4):  # equal up to the sign of each column
        assert abs(abs(U[:, j] @ U_ref[:, j]) - 1) < 1e-4
    assert U.shape == (60, 4) and U.dtype == np.float32


def test_same_seed_same_bits_and_signs_fixed_across_seeds(X):
    a, b = lsa_factors(X, 6, random_state=3), lsa_factors(X, 6, random_state=3)
    assert np.array_equal(a, b)
    c = lsa_factors(X, 6, random_state=4)
    np.testing.assert_allclose(a, c, atol=1e-4)


@pytest.mark.parametrize("factors", [0, 60, 100])
def test_factors_out_of_range_is_a_clear_error(X, factors):
    with pytest.raises(ValueError, match=r"factors must be between 1 and min\(shape\) - 1 = 59"):
        lsa_factors(X, factors)


def test_user_scores_are_the_rank_k_projection(X):
    U = lsa_factors(X, 5, random_state=0)
    users = X.T.tocsr()[:7]
    expected = users.toarray() @ U.astype(np.float64) @ U.T.astype(np.float64)
    np.testing.assert_allclose(lsa_user_scores(U, users), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="columns"):
        lsa_user_scores(U, X[:3])


def test_block_krylov_matches_arpack_on_a_low_rank_matrix(X):
    U, s = lsa_factors(X, 4, random_state=0, return_singular_values=True)
    U_ref, s_ref = lsa_factors(X, 4, random_state=0, solver="arpack", return_singular_values=True)
    np.testing.assert_allclose(s, s_ref, rtol=1e-5)
    np.testing.assert_allclose(U, U_ref, atol=1e-4)  # the signs are fixed the same way


def test_rank_deficient_krylov_space_is_extended_with_random_directions():
    # rank 3, and a basis of 4 blocks of 5 columns: the Krylov space is invariant after the first block
    rng = np.random.default_rng(1)
    X = sp.csr_matrix(rng.random((200, 3)) @ rng.random((3, 150)))
    U, s = lsa_factors(X, 4, block_size=5, n_iter=3, return_singular_values=True)
    s_ref = np.linalg.svd(X.toarray(), compute_uv=False)[:4]
    np.testing.assert_allclose(s[:3], s_ref[:3], rtol=1e-5)
    assert s[3] < 1e-3 * s[0]
    assert np.isfinite(U).all()


@pytest.fixture(scope="module")
def synthetic_bm25():
    from recsys_utils.synthetic import make_synthetic
    from recsys_utils.weighting import bm25_weight

    return bm25_weight(make_synthetic(0.02, random_state=0).item_users)


def test_block_krylov_lists_match_arpack_at_recall_above_095(synthetic_bm25):
    from recsys_utils.evaluate import recall_at_n_with_ties
    from recsys_utils.neighbours import all_related

    reference = lsa_factors(synthetic_bm25, 50, solver="arpack")
    exact, exact_scores = all_related(reference, 10, show_progress=False)
    found, _ = all_related(lsa_factors(synthetic_bm25, 50), 10, show_progress=False)
    assert recall_at_n_with_ties(found, exact, exact_scores, reference) >= 0.95
    rough, _ = all_related(lsa_factors(synthetic_bm25, 50, n_iter=2), 10, show_progress=False)
    assert recall_at_n_with_ties(rough, exact, exact_scores, reference) < 0.9  # the check can fail


def test_block_krylov_same_bits_for_repeated_fits_and_both_thread_counts(synthetic_bm25):
    cores = min(2, numba.config.NUMBA_NUM_THREADS)
    one = lsa_factors(synthetic_bm25, 50, random_state=7, num_threads=1)
    two = lsa_factors(synthetic_bm25, 50, random_state=7, num_threads=cores)
    again = lsa_factors(synthetic_bm25, 50, random_state=7, num_threads=cores)
    assert np.array_equal(one, two) and np.array_equal(two, again)
    assert not np.array_equal(one, lsa_factors(synthetic_bm25, 50, random_state=8))


def test_tiled_product_equals_scipy_bit_for_bit(synthetic_bm25):
    from recsys_utils.lsa_kernels import column_tiles, tiled_times_dense

    X = synthetic_bm25.tocsr()
    dense = np.random.default_rng(0).standard_normal((X.shape[1], 24), dtype=np.float32)
    for tile_columns in (1000, X.shape[1]):
        tiles = column_tiles(X.indptr, X.indices, X.data, X.shape[1], tile_columns)
        assert np.array_equal(tiled_times_dense(*tiles, dense), X @ dense)


@pytest.mark.parametrize("options, message", [
    ({"solver": "lobpcg"}, "solver must be one of"),
    ({"block_size": 3}, "block_size"),
    ({"n_iter": -1}, "n_iter"),
    ({"num_threads": 0.5}, "num_threads"),
])
def test_bad_options_are_clear_errors(X, options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        lsa_factors(X, 4, **options)


def test_non_finite_weights_are_a_clear_error(X):
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        lsa_factors(bad, 4)


def test_block_krylov_matches_arpack_on_lastfm_2k(hetrec_2k, monkeypatch):
    from recsys_utils.datasets import load_dataset
    from recsys_utils.evaluate import recall_at_n_with_ties
    from recsys_utils.neighbours import all_related
    from recsys_utils.weighting import bm25_weight

    monkeypatch.setenv("RECSYS_DATA_DIR", str(hetrec_2k.parent))
    weighted = bm25_weight(load_dataset("lastfm-2k", show_progress=False).item_users, K1=100, B=0.8)
    reference = lsa_factors(weighted, 50, solver="arpack")
    exact, exact_scores = all_related(reference, 10, show_progress=False)
    found, _ = all_related(lsa_factors(weighted, 50), 10, show_progress=False)
    assert recall_at_n_with_ties(found, exact, exact_scores, reference) >= 0.95
