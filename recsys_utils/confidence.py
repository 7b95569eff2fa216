"""Confidence ``c_ui`` of a stored play count, for implicit ALS: three ways to turn plays into trust.

Every function takes and returns a users x items matrix with the same stored
entries; what ALS reads is the stored value. Hu et al. (2008) use
:func:`linear_confidence`; the blog uses BM25 weights (:func:`bm25_confidence`);
:func:`log_confidence` is the paper's other suggestion, which tames the
hundreds of thousands of plays a few heavy listeners have.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .utils import check_real, nonnegative_counts


def linear_confidence(user_items: sp.csr_matrix, alpha: float = 40.0) -> sp.csr_matrix:
    """``1 + alpha * plays`` for every stored play count (Hu et al. use alpha = 40).

    Parameters
    ----------
    user_items : scipy.sparse matrix, shape (n_users, n_items)
        Play counts: finite, non-negative; an entry stored twice is summed.
    alpha : float
        How much one more play adds; >= 0.

    Returns
    -------
    CSR matrix, float32, shape (n_users, n_items), the same stored entries.
    """
    confidence = nonnegative_counts(user_items, "user_items")
    confidence.data = 1.0 + check_real(alpha, "alpha", 0.0) * confidence.data
    return confidence


def log_confidence(user_items: sp.csr_matrix, alpha: float = 1.0) -> sp.csr_matrix:
    """``1 + alpha * log(1 + plays)`` for every stored play count (Hu et al., section 4).

    Parameters
    ----------
    user_items : scipy.sparse matrix, shape (n_users, n_items)
        Play counts: finite, non-negative; an entry stored twice is summed.
    alpha : float
        Scale of the logarithm; >= 0.

    Returns
    -------
    CSR matrix, float32, shape (n_users, n_items), the same stored entries.
    """
    confidence = nonnegative_counts(user_items, "user_items")
    confidence.data = (1.0 + check_real(alpha, "alpha", 0.0) * np.log1p(confidence.data.astype(np.float64))
                       ).astype(np.float32)
    return confidence


def bm25_confidence(user_items: sp.csr_matrix, K1: float = 100, B: float = 0.8) -> sp.csr_matrix:
    """BM25 weights of the plays, as the blog computes them, users x items in and out.

    The blog weights the items x users matrix (each artist a document whose
    words are its listeners; see :func:`recsys_utils.weighting.bm25_weight`)
    and transposes the result back. This computes the same numbers (bit for
    bit) on the users x items matrix directly, without the two transposes: an
    artist's length is its column sum, a listener's document frequency the
    number of artists in their row.

    Parameters
    ----------
    user_items : scipy.sparse matrix, shape (n_users, n_items)
        Play counts: finite, non-negative; an entry stored twice is summed.
    K1, B : float
        BM25's saturation and length normalisation (the blog: 100 and 0.8).

    Returns
    -------
    CSR matrix, float32, shape (n_users, n_items), the same stored entries.
    """
    if K1 < 0 or not 0 <= B <= 1:
        raise ValueError(f"need K1 >= 0 and 0 <= B <= 1, got K1={K1}, B={B}")
    weights = nonnegative_counts(user_items, "user_items")
    n_items = weights.shape[1]
    plays = weights.data.astype(np.float64)
    # Column sums in user order, as bm25_weight sums the rows of the transpose.
    item_lengths = np.bincount(weights.indices, weights=plays, minlength=n_items)
    length_norm = (1.0 - B) + B * item_lengths / item_lengths.mean()
    idf = np.log(n_items / (1.0 + np.diff(weights.indptr)))
    weights.data = (plays * (K1 + 1.0) / (K1 * length_norm[weights.indices] + plays)
                    * np.repeat(idf, np.diff(weights.indptr))).astype(np.float32)
    return weights
