"""Implicit ALS in plain NumPy: the algorithm as the blog writes it, for teaching and as test oracle.

Hu, Koren & Volinsky (2008) minimise, over user factors ``X`` and item factors ``Y``,

    sum over all (u, i) of c_ui (p_ui - x_u . y_i)^2  +  regularization (|X|^2 + |Y|^2)

where ``p_ui`` is 1 when user u listened to item i and 0 otherwise, and the
confidence ``c_ui`` is the stored value of ``Cui`` (1 where nothing is stored).
Fixing ``Y``, each ``x_u`` solves a small linear system

    (YᵀY + Yᵀ(C_u - I)Y + regularization I) x_u = Yᵀ C_u p_u

and the trick that makes it fast is that ``YᵀY`` is the same for every user: only
the few items the user listened to add to it. These functions are slow on
purpose: one Python loop iteration per user.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def _rows(Cui: sp.csr_matrix, u: int) -> tuple[np.ndarray, np.ndarray]:
    start, stop = Cui.indptr[u], Cui.indptr[u + 1]
    return Cui.indices[start:stop], Cui.data[start:stop]


def least_squares(Cui: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, regularization: float) -> np.ndarray:
    """One exact half-step: the x_u minimising the loss for fixed Y, for every row u of ``Cui``."""
    n_factors = Y.shape[1]
    YtY = Y.T @ Y
    X = np.array(X, dtype=np.float64, copy=True)
    for u in range(Cui.shape[0]):
        A = YtY + regularization * np.eye(n_factors)
        b = np.zeros(n_factors)
        for i, confidence in zip(*_rows(Cui, u)):
            A += (confidence - 1.0) * np.outer(Y[i], Y[i])
            b += confidence * Y[i]
        X[u] = np.linalg.solve(A, b)
    return X


def least_squares_cg(Cui: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, regularization: float, cg_steps: int = 3) -> np.ndarray:
    """One half-step by conjugate gradient, started from the current ``X`` (Takács et al. 2011).

    Never forms the k x k matrix of a user: each step needs ``A p``, which is
    ``(YᵀY + reg I) p`` plus ``(c - 1) (y_i . p) y_i`` over the user's items.
    A row with nothing stored gets 0, the exact solution, as in :func:`least_squares`.
    """
    YtY = Y.T @ Y + regularization * np.eye(Y.shape[1])
    X = np.array(X, dtype=np.float64, copy=True)
    for u in range(Cui.shape[0]):
        items, confidence = _rows(Cui, u)
        if len(items) == 0:
            X[u] = 0.0
            continue
        Yu = Y[items]

        def A_times(v: np.ndarray) -> np.ndarray:
            return YtY @ v + Yu.T @ ((confidence - 1.0) * (Yu @ v))

        x = X[u]
        r = Yu.T @ confidence - A_times(x)  # b - A x
        p = r.copy()
        rs_old = r @ r
        for _ in range(cg_steps):
            if rs_old < 1e-20:
                break
            Ap = A_times(p)
            alpha = rs_old / (p @ Ap)
            x = x + alpha * p
            r = r - alpha * Ap
            rs_new = r @ r
            p = r + (rs_new / rs_old) * p
            rs_old = rs_new
        X[u] = x
    return X


def loss(Cui: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, regularization: float) -> float:
    """The loss over the dense matrix, divided as ``implicit`` does.

    The sum is divided by ``sum(c_ui) + n_users * n_items - nnz`` (the total
    confidence, counting 1 for every cell with nothing stored), so that numbers
    are comparable across datasets and with the ``implicit`` library.
    """
    C = np.ones(Cui.shape)
    P = np.zeros(Cui.shape)
    coo = Cui.tocoo()
    C[coo.row, coo.col] = coo.data
    P[coo.row, coo.col] = 1.0
    total = (C * (P - X @ Y.T) ** 2).sum() + regularization * ((X ** 2).sum() + (Y ** 2).sum())
    return float(total / (Cui.data.sum() + Cui.shape[0] * Cui.shape[1] - Cui.nnz))
