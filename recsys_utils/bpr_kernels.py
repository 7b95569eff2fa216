"""numba kernels of BPR; :mod:`recsys_utils.bpr_reference` is their NumPy twin.

Factors are row-major float32. A user row is ``[x_u, 1]`` and an item row
``[y_i, b_i]`` (``k + 1`` columns), so ``x_u . y_i + b_i`` is one dot product.
One epoch visits the users in a given order, in parallel (``prange``), and for
each user draws as many (positive, negative) pairs as the user has items; each
pair is one SGD step on the user's, the positive's and the negative's rows.
Items are shared between users, and threads update them without locks
(Hogwild, Niu et al. 2011, as ``implicit`` does): with one thread an epoch is
bitwise repeatable, with more the interleaving of the item updates depends on
timing. Sums are taken in loops that only read (see :mod:`recsys_utils.als_kernels`),
so a single-thread fit does not depend on where the heap puts the arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .sgd_common import draw_negative, log_sigmoid, random_below, stream_base


@njit(inline="always")
def _draw_pair(base, counter, indices, start, stop, candidates, by_popularity):
    """One (positive, negative) pair of a user: the positive uniform over the row, then a negative."""
    i = indices[start + random_below(base, counter, stop - start)]
    j, counter = draw_negative(base, counter + 1, indices, start, stop, candidates, by_popularity)
    return i, j, counter


@njit(parallel=True, cache=True)
def draw_pairs(indptr, indices, candidates, by_popularity, seed, stream):
    """The pairs :func:`bpr_epoch` draws on the fly in sweep ``stream``, one per stored entry.

    Returns
    -------
    positives, negatives : ndarray of int32, shape (nnz,)
        Slot ``indptr[u] + t`` holds user u's t-th pair; a negative of -1 is a skipped slot.
    """
    positives = np.empty(len(indices), dtype=np.int32)
    negatives = np.empty(len(indices), dtype=np.int32)
    for u in prange(len(indptr) - 1):
        start, stop = indptr[u], indptr[u + 1]
        base = stream_base(seed, stream, u)
        counter = 0
        for slot in range(start, stop):
            i, j, counter = _draw_pair(base, counter, indices, start, stop, candidates, by_popularity)
            positives[slot] = i
            negatives[slot] = j
    return positives, negatives


@njit(parallel=True, fastmath=True, cache=True)
def bpr_epoch(indptr, indices, candidates, by_popularity, seed, stream, order, X, Y, learning_rate,
              regularization, positives, negatives, log_likelihood, correct, skipped):
    """One epoch of BPR's SGD, in place on ``X`` (users, ``[x_u, 1]``) and ``Y`` (items, ``[y_i, b_i]``).

    For each pair (u, i, j) with ``s = x_u . (y_i - y_j) + b_i - b_j`` and
    ``z = 1 - sigmoid(s)``, simultaneously::

        x_u += learning_rate (z (y_i - y_j) - regularization x_u)
        y_i += learning_rate (z x_u - regularization y_i)
        y_j += learning_rate (-z x_u - regularization y_j)
        b_i += learning_rate (z - regularization b_i);  b_j += learning_rate (-z - regularization b_j)

    Parameters
    ----------
    indptr, indices : the training matrix's CSR arrays (users x items, sorted indices)
    candidates : ndarray of int32, the items negatives are drawn from (uniform)
    by_popularity : bool, draw negatives as the item of a random stored entry instead
    seed, stream : int, the random streams (see :mod:`recsys_utils.sgd_common`)
    order : ndarray of int64, the users in the order visited (prange splits it among threads)
    X : ndarray, shape (n_users, k + 1), float32; Y : ndarray, shape (n_items, k + 1), float32
    positives, negatives : ndarray of int32, shape (nnz,) or (0,)
        Pairs drawn beforehand (:func:`draw_pairs`), or empty to draw them here.
    log_likelihood, correct, skipped : ndarray, shape (n_users,)
        Out: per user, the sum of ``log sigmoid(s)`` before each step, the
        pairs already ordered right (s > 0), and the slots skipped.
    """
    predrawn = len(negatives) > 0
    k = X.shape[1] - 1
    lr = np.float32(learning_rate)
    reg = np.float32(regularization)
    one = np.float32(1.0)
    for position in prange(len(order)):
        u = order[position]
        start, stop = indptr[u], indptr[u + 1]
        ll = 0.0
        right = 0
        skip = 0
        base = stream_base(seed, stream, u)
        counter = 0
        for slot in range(start, stop):
            if predrawn:
                i = positives[slot]
                j = negatives[slot]
            else:
                i, j, counter = _draw_pair(base, counter, indices, start, stop, candidates, by_popularity)
            if j < 0:
                skip += 1
                continue
            s = np.float32(0.0)
            for a in range(k + 1):  # read-only: a fixed order of summation
                s += X[u, a] * (Y[i, a] - Y[j, a])
            ll += log_sigmoid(np.float64(s))
            if s > 0:
                right += 1
            z = one / (one + np.exp(s))
            for a in range(k):
                x = X[u, a]
                yi = Y[i, a]
                yj = Y[j, a]
                X[u, a] = x + lr * (z * (yi - yj) - reg * x)
                Y[i, a] = yi + lr * (z * x - reg * yi)
                Y[j, a] = yj + lr * (-z * x - reg * yj)
            Y[i, k] += lr * (z - reg * Y[i, k])
            Y[j, k] += lr * (-z - reg * Y[j, k])
        log_likelihood[u] = ll
        correct[u] = right
        skipped[u] = skip
