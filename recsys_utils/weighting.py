"""Term weighting of play counts: BM25 and TF-IDF, as in the blog.

Both treat the **rows** of the matrix as documents and the **columns** as
terms. The blog weights the artists x users matrix (``item_users``): each
artist is a document whose "words" are its listeners, so a user who listens to
everything (a common word) counts for little, and an artist with a huge
audience (a long document) is damped by BM25's length normalisation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .utils import nonnegative_counts


def _idf(X: sp.csr_matrix) -> np.ndarray:
    """log(N / (1 + df)) per column (term), with N the number of rows (documents)."""
    document_frequency = np.bincount(X.indices, minlength=X.shape[1])
    return np.log(X.shape[0] / (1.0 + document_frequency))


def bm25_weight(X, K1: float = 100, B: float = 0.8) -> sp.csr_matrix:
    """Okapi BM25 weights of a documents x terms count matrix.

    ``w_dt = x_dt (K1 + 1) / (K1 ((1 - B) + B |d| / avg|d|) + x_dt) * idf_t``
    with ``|d|`` the row sum (a document's length) and
    ``idf_t = log(N / (1 + df_t))`` (``N`` rows, ``df_t`` rows where term t occurs).

    Parameters
    ----------
    X : sparse matrix, shape (n_documents, n_terms)
        Counts; for similar artists as in the blog, ``item_users`` (artists x users).
    K1 : float
        Term-frequency saturation: large values keep counts nearly linear.
    B : float
        Length normalisation, from 0 (none) to 1 (full).

    Returns
    -------
    scipy.sparse.csr_matrix, float32, same shape and sparsity as ``X``.
    """
    if K1 < 0 or not 0 <= B <= 1:
        raise ValueError(f"need K1 >= 0 and 0 <= B <= 1, got K1={K1}, B={B}")
    X = nonnegative_counts(X)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    data = X.data.astype(np.float64)
    # Summed in float64 in column order: bm25_confidence sums the same numbers in the same order.
    row_sums = np.bincount(rows, weights=data, minlength=X.shape[0])
    length_norm = (1.0 - B) + B * row_sums / row_sums.mean()
    X.data = (data * (K1 + 1.0) / (K1 * length_norm[rows] + data) * _idf(X)[X.indices]).astype(np.float32)
    return X


def tfidf_weight(X) -> sp.csr_matrix:
    """TF-IDF weights of a documents x terms count matrix, as in the blog.

    ``w_dt = sqrt(x_dt) * log(N / (1 + df_t))``: the square root tames large
    counts; there is no length normalisation.
    """
    X = nonnegative_counts(X)
    X.data = (np.sqrt(X.data.astype(np.float64)) * _idf(X)[X.indices]).astype(np.float32)
    return X
