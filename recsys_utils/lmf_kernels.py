"""numba kernel of logistic MF; :mod:`recsys_utils.lmf_reference` is its NumPy twin.

One half-step updates every row of ``X`` (users, or items) for fixed ``Y``
(the other side) by one AdaGrad ascent step on Johnson's log-likelihood. Rows
are independent given ``Y``: ``prange`` over rows, each row computed from its
own data and its own random stream in a fixed order, so a half-step is bitwise
the same for any number of threads. Sums are taken in loops that only read
(see :mod:`recsys_utils.als_kernels`).

A user row is ``[x_u, b_u, 1]`` and an item row ``[y_i, 1, b_i]``; a half-step
updates a row's ``k`` factors and its own bias column ``own_bias`` (``k`` for
users, ``k + 1`` for items) and leaves its constant column alone.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .sgd_common import draw_negative, stream_base


@njit(cache=True)
def negative_slots(indptr, negatives_per_entry, n_candidates):
    """Per row, how many negatives it draws: ``negatives_per_entry`` per stored entry, at most the columns it lacks.

    Returns the CSR-like ``indptr`` (int64) of the slots.
    """
    n = len(indptr) - 1
    out = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        held = indptr[r + 1] - indptr[r]
        want = negatives_per_entry * held if held > 0 else 0
        out[r + 1] = out[r] + min(want, n_candidates - held)
    return out


@njit(parallel=True, cache=True)
def draw_negatives(indptr, indices, candidates, slots, seed, stream):
    """The negatives :func:`lmf_half_step` draws on the fly: ``negatives[slots[r]:slots[r + 1]]`` for row r.

    -1 marks a slot where no negative was found (skipped).
    """
    negatives = np.empty(slots[-1], dtype=np.int32)
    for r in prange(len(indptr) - 1):
        base = stream_base(seed, stream, r)
        counter = 0
        for slot in range(slots[r], slots[r + 1]):
            j, counter = draw_negative(base, counter, indices, indptr[r], indptr[r + 1], candidates, False)
            negatives[slot] = j
    return negatives


@njit(inline="always")
def _dot(X, r, Y, j):
    s = np.float32(0.0)
    for a in range(X.shape[1]):
        s += X[r, a] * Y[j, a]
    return s


@njit(inline="always")
def _log1p_exp(s):
    """``log(1 + exp(s))`` without overflow (float64)."""
    if s > 0:
        return s + np.log1p(np.exp(-s))
    return np.log1p(np.exp(s))


@njit(parallel=True, fastmath=True, cache=True)
def lmf_half_step(indptr, indices, confidence, candidates, slots, seed, stream, X, Y, G, learning_rate,
                  regularization, own_bias, negatives, log_likelihood):
    """One AdaGrad ascent step for every row of ``X`` (in place), for fixed ``Y``.

    With ``s = X[r] . Y[j]`` and ``p = sigmoid(s)``, the gradient of row r's
    log-likelihood is ``sum over stored j of (c_rj - (1 + c_rj) p) Y[j]`` plus
    ``- sum over the other columns j of p Y[j]``; the second sum is estimated
    from the row's sampled negatives, each weighted by (columns it lacks) /
    (negatives found), so that the estimate is unbiased. Then
    ``g = that - regularization x`` (no penalty on the bias),
    ``G += g²`` and ``X[r] += learning_rate g / sqrt(G + 1e-6)`` on the
    factors and the row's own bias.

    Parameters
    ----------
    indptr, indices, confidence : the rows' CSR arrays (sorted indices; confidence c_rj)
    candidates : ndarray of int32, the columns with stored entries (negatives come from these)
    slots : ndarray of int64, :func:`negative_slots`
    seed, stream : int, the random streams (see :mod:`recsys_utils.sgd_common`)
    X : ndarray, shape (n_rows, k + 2), float32; Y : ndarray, shape (n_columns, k + 2), float32
    G : ndarray, shape (n_rows, k + 2), float32, AdaGrad's sums of squared gradients (in place)
    own_bias : int, the column of X that is the row's bias
    negatives : ndarray of int32, shape (slots[-1],) drawn beforehand (:func:`draw_negatives`), or (0,)
    log_likelihood : ndarray, shape (n_rows,), float64
        Out: each row's log-likelihood before the step, the negatives' part estimated as above.
    """
    predrawn = len(negatives) > 0
    n_factors = X.shape[1] - 2
    K = X.shape[1]
    lr = np.float32(learning_rate)
    reg = np.float32(regularization)
    one = np.float32(1.0)
    for r in prange(len(indptr) - 1):
        start, stop = indptr[r], indptr[r + 1]
        log_likelihood[r] = 0.0
        if start == stop:
            continue
        grad = np.zeros(K, dtype=np.float32)
        ll = 0.0
        for jj in range(start, stop):
            j = indices[jj]
            c = confidence[jj]
            s = _dot(X, r, Y, j)
            p = one / (one + np.exp(-s))
            coef = c - (one + c) * p
            ll += np.float64(c) * s - (1.0 + np.float64(c)) * _log1p_exp(np.float64(s))
            for a in range(K):
                grad[a] += coef * Y[j, a]
        base = stream_base(seed, stream, r)
        counter = 0
        found = 0
        neg = np.zeros(K, dtype=np.float32)
        neg_ll = 0.0
        for slot in range(slots[r], slots[r + 1]):
            if predrawn:
                j = negatives[slot]
            else:
                j, counter = draw_negative(base, counter, indices, start, stop, candidates, False)
            if j < 0:
                continue
            found += 1
            s = _dot(X, r, Y, j)
            p = one / (one + np.exp(-s))
            neg_ll -= _log1p_exp(np.float64(s))
            for a in range(K):
                neg[a] -= p * Y[j, a]
        if found > 0:
            weight = np.float32((len(candidates) - (stop - start)) / found)
            ll += neg_ll * np.float64(weight)
            for a in range(K):
                grad[a] += weight * neg[a]
        for a in range(n_factors):
            grad[a] -= reg * X[r, a]
        log_likelihood[r] = ll
        for a in range(K):
            if a < n_factors or a == own_bias:
                g = grad[a]
                G[r, a] += g * g
                X[r, a] += lr * g / np.sqrt(G[r, a] + np.float32(1e-6))
