"""BPR in plain NumPy: one epoch as Rendle et al. (2009) write it, for teaching and as test oracle.

Bayesian personalised ranking maximises, over user factors ``x_u``, item
factors ``y_i`` and item biases ``b_i``,

    sum over (u, i, j) of log sigmoid(x_u . (y_i - y_j) + b_i - b_j)  -  regularization/2 (|x|^2 + |y|^2 + |b|^2)

where user u holds item i and not item j: u should rank what they listened to
above what they did not. There are far too many triples to sum, so SGD draws
them: one step per drawn triple. The biases live in the last column of the
item factors, matched by a column of ones in the user factors. Slow on purpose:
one Python loop iteration per triple.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + np.exp(-s))


def epoch(user_items: sp.csr_matrix, user_factors: np.ndarray, item_factors: np.ndarray, order: np.ndarray,
          positives: np.ndarray, negatives: np.ndarray, learning_rate: float,
          regularization: float) -> tuple[np.ndarray, np.ndarray, float]:
    """One epoch over the given pairs; returns new user and item factors (float64) and the mean log-likelihood.

    Users are visited in ``order``; user u's pairs are ``positives[s]``,
    ``negatives[s]`` for the slots ``s`` of u's row in ``user_items`` (a
    negative of -1 is skipped), as :func:`recsys_utils.bpr_kernels.draw_pairs`
    draws them.
    """
    X = np.array(user_factors, dtype=np.float64)
    Y = np.array(item_factors, dtype=np.float64)
    k = X.shape[1] - 1
    total, used = 0.0, 0
    for u in order:
        for slot in range(user_items.indptr[u], user_items.indptr[u + 1]):
            i, j = positives[slot], negatives[slot]
            if j < 0:
                continue
            x = X[u].copy()
            s = x @ (Y[i] - Y[j])
            total += np.log(sigmoid(s))
            used += 1
            z = 1.0 - sigmoid(s)  # d log sigmoid(s) / ds
            X[u, :k] += learning_rate * (z * (Y[i, :k] - Y[j, :k]) - regularization * x[:k])
            Y[i, :k] += learning_rate * (z * x[:k] - regularization * Y[i, :k])
            Y[j, :k] += learning_rate * (-z * x[:k] - regularization * Y[j, :k])
            Y[i, k] += learning_rate * (z - regularization * Y[i, k])
            Y[j, k] += learning_rate * (-z - regularization * Y[j, k])
    return X, Y, total / max(used, 1)
