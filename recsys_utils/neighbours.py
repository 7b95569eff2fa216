"""Related items from item factors: cosine similarity, one item or every item.

* :class:`TopRelated`: the blog's exact search for one item at a time.
* :func:`all_related`: related lists for every item: exactly, in blocks of
  BLAS products with bounded memory, or approximately (:mod:`recsys_utils.ann`).

Name lookup, row normalisation and the top-n selection they share with
:mod:`recsys_utils.ann` live in :mod:`recsys_utils.utils`.
"""

from __future__ import annotations

import math

import numpy as np

from .ann import ApproximateTopRelated, nndescent_related
from .utils import (ItemNames, UnknownItemError, check_item_indices, check_n, check_whole_number, limit_threads,
                    normalize_rows, progress_bar, resolve_item, spread_rows, top_n, top_n_rows)

__all__ = ["ItemNames", "TopRelated", "UnknownItemError", "all_related", "normalize_rows"]

SCORE_BLOCK_BYTES = 128 << 20  # memory for one block of similarity scores
MIN_BLOCK_ROWS = 256  # fewer rows per BLAS product waste most of its speed


class TopRelated:
    """Exact related items by cosine similarity of item factors (as in the blog).

    Rows are normalised once; a query is then one matrix-vector product and an
    ``argpartition``. Items whose factors are all zero (no listener in the
    training data) are never returned as related: their cosine with anything
    is undefined, not 0.

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
    item_names : sequence of str, optional
        Lets :meth:`get_related` take names.
    """

    def __init__(self, item_factors: np.ndarray, item_names=None) -> None:
        self.factors = normalize_rows(item_factors)
        self.has_factors = self.factors.any(axis=1)
        self.names = ItemNames(item_names) if item_names is not None else None
        if self.names is not None and len(self.names) != len(self.factors):
            raise ValueError(f"{len(self.names)} names for {len(self.factors)} item factors")

    @property
    def n_items(self) -> int:
        """Number of items (rows of the factors)."""
        return len(self.factors)

    def index(self, item: int | str) -> int:
        """The index of ``item`` (an index or, with names, a name)."""
        return resolve_item(item, self.names, self.n_items)

    def get_related(self, item: int | str, n: int = 10, *, include_self: bool = False,
                    filter_items=None) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items most similar to ``item`` (an index or a name), best first.

        Equal scores are ordered by item index. Fewer than ``n`` come back
        when fewer items are left (the others, less items without factors and
        ``filter_items``).

        Parameters
        ----------
        item : int or str
        n : int
        include_self : bool
        filter_items : array of int, optional
            Items never to return, e.g. artists with too few listeners.

        Returns
        -------
        indices : ndarray of int, shape (<= n,)
        scores : ndarray of float32, shape (<= n,)
            Cosine similarities, in [-1, 1].

        Raises
        ------
        ValueError
            ``item`` has all-zero factors, so nothing is related to it.
        """
        i = self.index(item)
        n = min(check_whole_number(n, "n", 1), self.n_items)
        if not self.has_factors[i]:
            raise ValueError(f"item {item!r} has all-zero factors (no listener in the training data): "
                             "no item is related to it")
        scores = self.factors @ self.factors[i]
        scores[~self.has_factors] = -np.inf
        if filter_items is not None:
            scores[check_item_indices(filter_items, self.n_items, "filter_items")] = -np.inf
        if not include_self:
            scores[i] = -np.inf
        indices, top = top_n(scores[None, :], n)
        found = np.isfinite(top[0])
        return indices[0][found], top[0][found]


METHODS = ("exact", "annoy", "nndescent")


def all_related(
    item_factors: np.ndarray,
    n: int = 10,
    method: str = "exact",
    *,
    block_bytes: int = SCORE_BLOCK_BYTES,
    show_progress: bool = True,
    random_state: int = 0,
    num_threads: int | None = None,
    **options,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` most similar items of every item (itself excluded), by cosine.

    Items whose factors are all zero (no listener in the training data) are in
    no list, and their own row holds no item. A place that holds no item (that
    row, or the end of a row when fewer items have factors) is -1 with score NaN.

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
    n : int
    method : {"exact", "annoy", "nndescent"}
        ``"exact"``: blocks of rows against all items, one BLAS product each,
        memory for scores bounded by ``block_bytes``; equal scores are ordered
        by item index. ``"annoy"``: the blog's Annoy index
        (:class:`recsys_utils.ann.ApproximateTopRelated`, options ``n_trees``,
        ``search_k``), queries spread over threads. ``"nndescent"``:
        pynndescent's k-NN graph (:func:`recsys_utils.ann.nndescent_related`,
        option ``n_neighbors``).
    block_bytes : int
    show_progress : bool
    random_state : int
        Seeds the approximate methods.
    num_threads : int or None
        Threads (0 or None: all cores).

    Returns
    -------
    indices : ndarray of int32, shape (n_items, n)
    scores : ndarray of float32, shape (n_items, n)
        Cosine similarities, best first.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if method == "exact" and options:
        raise TypeError(f"options {sorted(options)} do not apply to the exact method")
    factors = normalize_rows(item_factors)
    check_n(n, len(factors) - 1)
    if method == "annoy":
        index = ApproximateTopRelated(factors, random_state=random_state, num_threads=num_threads, **options)
        return index.all_related(n, show_progress=show_progress)
    if method == "nndescent":
        return nndescent_related(factors, n, random_state=random_state, num_threads=num_threads,
                                 show_progress=show_progress, **options)
    keep = np.flatnonzero(factors.any(axis=1))
    width = max(0, min(n, len(keep) - 1))
    with limit_threads(num_threads):
        found, found_scores = _exact_related(factors[keep], width, block_bytes, show_progress)
    return spread_rows(keep, len(factors), n, found, found_scores)


def _exact_related(unit: np.ndarray, n: int, block_bytes: int, show_progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``n`` of every row of ``unit`` (unit rows) among the others, in blocks of BLAS products."""
    n_items = len(unit)
    if n == 0:
        return np.empty((n_items, 0), np.int32), np.empty((n_items, 0), np.float32)
    block = max(min(MIN_BLOCK_ROWS, n_items), min(n_items, block_bytes // (4 * n_items)))
    indices = np.empty((n_items, n), dtype=np.int32)
    scores = np.empty((n_items, n), dtype=np.float32)
    starts = range(0, n_items, block)
    for start in progress_bar(starts, total=math.ceil(n_items / block), desc="related items", unit="block",
                      disable=not show_progress, leave=False):
        stop = min(start + block, n_items)
        indices[start:stop], scores[start:stop] = top_n_rows(unit[start:stop] @ unit.T, n, start)
    return indices, scores
