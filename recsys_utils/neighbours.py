"""Related items from item factors: cosine similarity, one item or every item.

* :class:`TopRelated`: the blog's exact search for one item at a time.
* :func:`all_related`: related lists for every item: exactly, in tiles of
  BLAS products merged into the lists while in cache, or approximately
  (:mod:`recsys_utils.ann`).

Name lookup, row normalisation and the top-n selection they share with
:mod:`recsys_utils.ann` live in :mod:`recsys_utils.utils`.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from .ann import ApproximateTopRelated, nndescent_related
from .utils import (ItemNames, UnknownItemError, check_item_indices, check_n, check_whole_number, limit_threads,
                    merge_tile_top_n, merge_top_n, normalize_rows, progress_bar, resolve_item, spread_rows, top_n)

__all__ = ["ItemNames", "TopRelated", "UnknownItemError", "all_related", "normalize_rows"]

SCORE_BLOCK_BYTES = 128 << 20  # memory for tiles of similarity scores: one per core
# Side of a tile of scores: 3.5 MiB, in L3 beside the other threads' tiles while its top n are merged.
# Not 1024: rows 4 KiB apart alias in the cache, and the BLAS product runs 20% slower.
TILE_ROWS = 960
MIN_TILE_ROWS = 256  # smaller BLAS products waste most of its speed


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
        ``"exact"``: every cosine, in square tiles of BLAS products
        (single-threaded, one per thread) on and above the diagonal: the
        product is symmetric, so a tile also stands for its mirror image
        below it. Each tile is merged into the lists as soon as it is
        computed, while still in cache
        (:func:`recsys_utils.utils.merge_tile_top_n`). Memory for the tiles
        is bounded by ``block_bytes``; each thread keeps lists of its own
        (``n_items x n x 8`` bytes), merged at the end. Equal scores are
        ordered by item index, and the lists are the same whatever the
        threads. ``"annoy"``: the blog's Annoy index
        (:class:`recsys_utils.ann.ApproximateTopRelated`, options ``n_trees``,
        ``search_k``), queries spread over threads. ``"nndescent"``:
        pynndescent's k-NN graph (:func:`recsys_utils.ann.nndescent_related`,
        option ``n_neighbors``).
    block_bytes : int
        The exact method's memory for scores (a tile's side is at least
        ``MIN_TILE_ROWS``, whatever ``block_bytes``).
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
    with limit_threads(num_threads, blas_threads=1) as threads:
        found, found_scores = _exact_related(factors[keep], width, block_bytes, show_progress, threads)
    return spread_rows(keep, len(factors), n, found, found_scores)


def _tile_rows(n_items: int, block_bytes: int) -> int:
    """The side of a tile: :data:`TILE_ROWS`, less if ``block_bytes`` must hold one tile per core.

    It depends on the machine's cores, not on the threads of a call: the tiles,
    and so every score, are the same whatever ``num_threads``.
    """
    most = math.isqrt(max(block_bytes, 0) // (4 * numba.config.NUMBA_NUM_THREADS))
    return max(min(MIN_TILE_ROWS, n_items), min(TILE_ROWS, n_items, most))


def _exact_related(unit: np.ndarray, n: int, block_bytes: int, show_progress: bool,
                   threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``n`` of every row of ``unit`` (unit rows) among the others, in tiles on and above the diagonal.

    A strip is the tiles of one block of rows, from the diagonal to the right;
    threads take strips in turn, each into lists of its own (merged at the
    end) beside one shared floor. The last strip (the shortest) comes first:
    most items then meet their first candidates, when their lists take many
    of them, along their own row of a tile, with one floor for the whole row,
    rather than down a column, with one floor per column (40% less time
    merging, measured on 60,000 random vectors).
    """
    n_items = len(unit)
    if n == 0:
        return np.empty((n_items, 0), np.int32), np.empty((n_items, 0), np.float32)
    side = _tile_rows(n_items, block_bytes)
    starts = range(0, n_items, side)
    threads = min(threads, len(starts))
    lists = [(np.full((n_items, n), -np.inf, np.float32), np.full((n_items, n), -1, np.int32))
             for _ in range(threads)]
    floor = np.full(n_items, -np.inf, np.float32)  # shared: what one thread has beaten, the others skip
    strips = iter(range(len(starts) - 1, -1, -1))
    lock = threading.Lock()
    stop = threading.Event()
    bar = progress_bar(total=len(starts) * (len(starts) + 1) // 2, desc="related items", unit="tile",
                       disable=not show_progress, leave=False)

    def work(best: np.ndarray, indices: np.ndarray) -> None:
        buffer = np.empty(side * side, np.float32)
        while not stop.is_set():
            with lock:
                strip = next(strips, None)
            if strip is None:
                return
            first = starts[strip]
            rows = unit[first:first + side]
            for first_column in starts[strip:]:
                if stop.is_set():
                    return
                columns = unit[first_column:first_column + side]
                # a C-contiguous tile even at the edges, so that the kernel has one layout to compile
                tile = buffer[:len(rows) * len(columns)].reshape(len(rows), len(columns))
                np.matmul(rows, columns.T, out=tile)
                merge_tile_top_n(tile, first, first_column, best, indices, floor, first_column != first)
            with lock:
                bar.update(len(starts) - strip)

    try:
        if threads == 1:
            work(*lists[0])
        else:
            with ThreadPoolExecutor(threads) as pool:
                running = [pool.submit(work, *state) for state in lists]
                try:
                    for task in running:
                        task.result()
                except BaseException:
                    stop.set()  # the other threads finish their tile and return
                    raise
    finally:
        bar.close()
    best, indices = lists[0]
    for other_best, other_indices in lists[1:]:
        merge_top_n(best, indices, other_best, other_indices)
    return indices, best
