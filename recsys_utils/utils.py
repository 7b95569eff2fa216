"""Helpers shared across the package: input checks and the one top-n.

A leaf module: it imports nothing of the package, so every other module may
import it.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp


def check_whole_number(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an ``int`` if it is a whole number in ``[minimum, maximum]``; a clear error otherwise.

    Raises
    ------
    TypeError
        Not an integer (a float such as ``10.0``, a string, ``None`` or a bool).
    ValueError
        Out of range.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number (int), not {type(value).__name__} {value!r}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "" if minimum is None else f" >= {minimum}"
        high = "" if maximum is None else f" <= {maximum}"
        joined = " and".join(part for part in (low, high) if part)
        raise ValueError(f"{name} must be{joined}, not {value}")
    return value


def check_real(value, name: str, minimum: float | None = None) -> float:
    """``value`` as a finite ``float`` (and ``>= minimum``); a clear error otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" and >= {minimum}"
        raise ValueError(f"{name} must be finite{bound}, not {value}")
    return value


def canonical_csr(matrix, name: str = "user_items") -> sp.csr_matrix:
    """A CSR matrix with each (row, column) stored once, no stored zeros, and sorted column indices.

    A CSR matrix built from raw arrays may store a column twice in a row; most
    code would count such an entry twice (a negative ALS loss, one play in both
    the training and the test split). Repeats are summed, as ``coo_matrix``
    does, and stored zeros (no plays, no confidence: no evidence of a listen)
    are dropped, on a copy: the caller's matrix is never changed.

    Raises
    ------
    TypeError
        ``matrix`` is not a scipy.sparse CSR matrix.
    """
    if not sp.issparse(matrix) or matrix.format != "csr":
        kind = matrix.format if sp.issparse(matrix) else type(matrix).__name__
        raise TypeError(f"{name} must be a scipy.sparse CSR matrix (rows x items), not {kind}; use .tocsr()")
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be 2-d, not {matrix.ndim}-d")
    if not matrix.has_canonical_format or (matrix.nnz and not matrix.data.all()):
        matrix = matrix.copy()
        matrix.sum_duplicates()  # also sorts the indices
        matrix.eliminate_zeros()
    return sp.csr_matrix(matrix) if not isinstance(matrix, sp.csr_matrix) else matrix


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the ``n`` largest scores, best first; equal scores go to the lower column.

    ``argpartition`` picks the n best in linear time, but among scores that
    tie with the n-th best it keeps any of them; rows where that happens are
    redone by column order, so the result never depends on the platform's
    sorting code. :func:`recsys_utils.neighbours.top_n_rows` is the numba twin.

    Parameters
    ----------
    scores : ndarray, shape (n_rows, n_columns)
        No NaN; ``-inf`` marks a column that must not be chosen (the caller
        drops it from the result).
    n : int
        ``1 <= n <= n_columns``.

    Returns
    -------
    indices : ndarray of int64, shape (n_rows, n)
    values : ndarray, shape (n_rows, n)
    """
    scores = np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)  # so that -scores is exact for any integer
    if scores.ndim != 2:
        raise ValueError(f"scores must be 2-d (rows x columns), not {scores.ndim}-d")
    n = check_whole_number(n, "n", 1, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    values = np.take_along_axis(scores, part, axis=1)
    nth = values.min(axis=1)
    crowded = np.flatnonzero(np.count_nonzero(scores >= nth[:, None], axis=1) > n)
    for row in crowded:  # more columns tie with the n-th best than there are places left
        above = np.flatnonzero(scores[row] > nth[row])
        tied = np.flatnonzero(scores[row] == nth[row])[: n - len(above)]
        part[row] = np.concatenate([above, tied])
        values[row] = scores[row, part[row]]
    order = np.lexsort((part, -values), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64), np.take_along_axis(values, order, axis=1)
