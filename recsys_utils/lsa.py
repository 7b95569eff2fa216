"""Latent semantic analysis: a truncated SVD of the weighted artists x users matrix."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds


def lsa_factors(
    weighted_item_users,
    factors: int = 50,
    random_state: int | np.random.Generator | None = 0,
    *,
    return_singular_values: bool = False,
):
    """Item factors from the ``factors`` largest singular triplets.

    ``X ≈ U Σ Vᵀ`` for the weighted items x users matrix ``X``; as in the blog,
    the item factors are the rows of ``U`` (the left singular vectors), and
    cosine similarity between them gives related items. ``U Uᵀ x`` projects a
    user's weighted column ``x`` on the factor space, which is how
    :func:`lsa_user_scores` recommends.

    Parameters
    ----------
    weighted_item_users : sparse matrix, shape (n_items, n_users)
        E.g. ``bm25_weight(data.item_users)``.
    factors : int
        Number of singular triplets; must be below ``min(shape)``.
    random_state : int, Generator or None
        Seeds ARPACK's start vector, which makes the result deterministic.
    return_singular_values : bool
        Also return the singular values (descending).

    Returns
    -------
    item_factors : ndarray, shape (n_items, factors), float32
        Each column's sign is fixed so its largest-magnitude entry is positive.
        Items with no stored weight get exactly zero factors.
    singular_values : ndarray, shape (factors,), only if asked for.
    """
    if not sp.issparse(weighted_item_users):
        raise TypeError("weighted_item_users must be a scipy.sparse matrix (items x users)")
    X = weighted_item_users.tocsr().astype(np.float64)
    if not 1 <= factors < min(X.shape):
        raise ValueError(
            f"factors must be between 1 and min(shape) - 1 = {min(X.shape) - 1} for a "
            f"{X.shape[0]} x {X.shape[1]} matrix, not {factors}"
        )
    rng = np.random.default_rng(random_state)
    v0 = rng.uniform(-1, 1, size=min(X.shape))
    U, s, _ = svds(X, k=factors, v0=v0, solver="arpack")
    order = np.argsort(-s, kind="stable")
    U, s = U[:, order], s[order]
    X.eliminate_zeros()
    U[np.diff(X.indptr) == 0] = 0.0  # exactly: ARPACK leaves ~1e-17 there, which normalising would blow up
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(factors)])
    U *= np.where(signs == 0, 1, signs)
    item_factors = U.astype(np.float32)
    return (item_factors, s) if return_singular_values else item_factors


def lsa_user_scores(item_factors: np.ndarray, weighted_user_items) -> np.ndarray:
    """Scores of every item for some users: ``(x_u U) Uᵀ``, the rank-k projection.

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
        ``U`` from :func:`lsa_factors`.
    weighted_user_items : sparse matrix, shape (n_users_in_batch, n_items)
        The users' weighted rows (the transpose of the weighted items x users).

    Returns
    -------
    ndarray, shape (n_users_in_batch, n_items), float32
    """
    if weighted_user_items.shape[1] != item_factors.shape[0]:
        raise ValueError(
            f"weighted_user_items has {weighted_user_items.shape[1]} columns (items) but there are "
            f"{item_factors.shape[0]} item factors"
        )
    user_vectors = np.asarray(weighted_user_items @ item_factors, dtype=np.float32)
    return user_vectors @ item_factors.T
