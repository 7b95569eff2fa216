"""Truncated SVD: agreement with a dense SVD, determinism, errors."""

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
