"""Logistic MF in plain NumPy: one half-step as Johnson (2014) writes it, for teaching and as test oracle.

Johnson's model gives user u and item i the probability ``sigmoid(x_u . y_i +
b_u + b_i)`` of a listen, and weighs each listen by its confidence ``c_ui``
(``alpha * plays``, or ``alpha * log(1 + plays)``). The log-likelihood is

    sum over all (u, i) of c_ui s_ui - (1 + c_ui) log(1 + exp(s_ui))   -  regularization/2 (|x|^2 + |y|^2)

with ``s_ui = x_u . y_i + b_u + b_i`` and ``c_ui = 0`` where u never listened
to i. Fixing the items, its gradient for user u is

    sum over i of (c_ui - (1 + c_ui) sigmoid(s_ui)) y_i  -  regularization x_u

a sum over every item. The few items u listened to are summed exactly; the
many others all contribute ``-sigmoid(s_ui) y_i``, and that sum is estimated
from a uniform sample of them, scaled by (items not listened to) / (sample
size). Each row then takes one AdaGrad step. The biases ride in the factor
rows: users ``[x_u, b_u, 1]``, items ``[y_i, 1, b_i]``. Slow on purpose: one
Python loop iteration per row.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def sigmoid(s: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-s))


def half_step(rows: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, G: np.ndarray, negatives: np.ndarray,
              slots: np.ndarray, n_candidates: int, learning_rate: float, regularization: float,
              own_bias: int) -> tuple[np.ndarray, np.ndarray]:
    """One AdaGrad step for every row of ``X`` for fixed ``Y``; returns the new X and G (float64).

    ``rows`` holds each row's confidences (users x items for the user step,
    items x users for the item step); row r's sampled negatives are
    ``negatives[slots[r]:slots[r + 1]]`` (-1: skipped), drawn from
    ``n_candidates`` columns with stored entries.
    """
    X = np.array(X, dtype=np.float64)
    G = np.array(G, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    k = X.shape[1] - 2
    updated = np.r_[np.arange(k), own_bias]
    for r in range(rows.shape[0]):
        items = rows.indices[rows.indptr[r]:rows.indptr[r + 1]]
        if len(items) == 0:
            continue
        c = rows.data[rows.indptr[r]:rows.indptr[r + 1]].astype(np.float64)
        grad = (c - (1.0 + c) * sigmoid(Y[items] @ X[r])) @ Y[items]
        sampled = negatives[slots[r]:slots[r + 1]]
        sampled = sampled[sampled >= 0]
        if len(sampled):
            weight = (n_candidates - len(items)) / len(sampled)
            grad -= weight * sigmoid(Y[sampled] @ X[r]) @ Y[sampled]
        grad[:k] -= regularization * X[r, :k]
        G[r, updated] += grad[updated] ** 2
        X[r, updated] += learning_rate * grad[updated] / np.sqrt(G[r, updated] + 1e-6)
    return X, G


def log_likelihood(user_items: sp.csr_matrix, user_factors: np.ndarray, item_factors: np.ndarray,
                   regularization: float) -> float:
    """The exact objective above, over every (user, item) cell of the users and items with entries."""
    C = user_items.toarray().astype(np.float64)
    users = np.flatnonzero(np.diff(user_items.indptr))
    items = np.flatnonzero(np.bincount(user_items.indices, minlength=user_items.shape[1]))
    X = user_factors[users].astype(np.float64)
    Y = item_factors[items].astype(np.float64)
    C = C[np.ix_(users, items)]
    S = X @ Y.T
    k = X.shape[1] - 2
    penalty = regularization / 2 * ((X[:, :k] ** 2).sum() + (Y[:, :k] ** 2).sum())
    return float((C * S - (1.0 + C) * np.logaddexp(0.0, S)).sum() - penalty)
