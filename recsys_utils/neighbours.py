"""Related items from item factors: cosine similarity, one item or every item.

* :class:`TopRelated`: the blog's exact search for one item at a time.
* :func:`all_related`: related lists for every item: exactly, in blocks of
  BLAS products with bounded memory, or approximately (:mod:`recsys_utils.ann`).
* :class:`ItemNames`: case-insensitive name lookup that suggests near matches.
"""

from __future__ import annotations

import difflib
import math

import numpy as np
from numba import njit, prange
from tqdm.auto import tqdm

from .utils import check_whole_number, top_n

BLOCK_BYTES = 128 << 20  # memory for one block of similarity scores
MIN_BLOCK_ROWS = 256  # fewer rows per BLAS product waste most of its speed


class UnknownItemError(KeyError):
    """An item name that is not in the catalogue; the message lists near matches."""

    def __str__(self) -> str:
        return str(self.args[0])


class ItemNames:
    """Look items up by name, ignoring case; unknown names raise with suggestions."""

    def __init__(self, names) -> None:
        self.names = np.asarray(names, dtype=object)
        self._exact: dict[str, int] = {}
        self._folded: dict[str, int] = {}
        for i, name in enumerate(self.names):
            self._exact.setdefault(str(name), i)
            self._folded.setdefault(str(name).casefold(), i)
        self._folded_list = list(self._folded)

    def __len__(self) -> int:
        return len(self.names)

    def index(self, item: int | str) -> int:
        """The index of ``item``: an index (checked) or a name (exact, else case-insensitive)."""
        if isinstance(item, (int, np.integer)):
            if not 0 <= item < len(self.names):
                raise IndexError(f"item index {item} is out of range for {len(self.names)} items")
            return int(item)
        name = str(item)
        if name in self._exact:
            return self._exact[name]
        if name.casefold() in self._folded:
            return self._folded[name.casefold()]
        suggestions = self.suggest(name)
        hint = f" Did you mean: {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        raise UnknownItemError(f"No artist named {name!r}.{hint}")

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Up to ``n`` known names closest to ``name`` (difflib ratio, then substring matches)."""
        key = name.casefold()
        close = difflib.get_close_matches(key, self._folded_list, n=n, cutoff=0.6)
        if len(close) < n and len(key) >= 3:
            close += [f for f in self._folded_list if key in f and f not in close][: n - len(close)]
        return [str(self.names[self._folded[f]]) for f in close]


def normalize_rows(factors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    factors = np.asarray(factors, dtype=np.float32)
    if factors.ndim != 2:
        raise ValueError(f"item factors must be a 2-d array (items x factors), not {factors.ndim}-d")
    if not np.isfinite(factors).all():
        raise ValueError("item factors contain NaN or infinite values")
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return factors / np.where(norms > 0, norms, 1.0)


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
        return len(self.factors)

    def index(self, item: int | str) -> int:
        """The index of ``item`` (an index or, with names, a name)."""
        return resolve_item(item, self.names, self.n_items)

    def get_related(self, item: int | str, n: int = 10, *, include_self: bool = False,
                    filter_items=None) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items most similar to ``item`` (an index or a name), best first.

        Equal scores are ordered by item index. Fewer than ``n`` come back
        when fewer items are left (items without factors, ``filter_items``).

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
        _check_n(n, self.n_items - (0 if include_self else 1))
        if not self.has_factors[i]:
            raise ValueError(f"item {item!r} has all-zero factors (no listener in the training data): "
                             "no item is related to it")
        scores = self.factors @ self.factors[i]
        scores[~self.has_factors] = -np.inf
        if filter_items is not None:
            scores[_check_indices(filter_items, self.n_items, "filter_items")] = -np.inf
        if not include_self:
            scores[i] = -np.inf
        indices, top = top_n(scores[None, :], n)
        found = np.isfinite(top[0])
        return indices[0][found], top[0][found]


@njit(parallel=True, cache=True)
def top_n_rows(scores, n, first_row):
    """Per row, the indices and values of the n largest scores, best first, skipping column ``first_row + row``.

    One pass over each row keeping a small sorted list: most scores are below
    the list's last entry and cost one comparison, where ``argpartition``
    would allocate and shuffle an index array as long as the row. Ties keep
    the lower column first.
    """
    m, n_cols = scores.shape
    indices = np.full((m, n), -1, dtype=np.int32)
    best = np.full((m, n), -np.inf, dtype=np.float32)
    for r in prange(m):
        row_best = best[r]
        row_indices = indices[r]
        worst = row_best[n - 1]
        own = first_row + r
        for j in range(n_cols):
            v = scores[r, j]
            if v > worst and j != own:
                pos = n - 1
                while pos > 0 and row_best[pos - 1] < v:
                    row_best[pos] = row_best[pos - 1]
                    row_indices[pos] = row_indices[pos - 1]
                    pos -= 1
                row_best[pos] = v
                row_indices[pos] = j
                worst = row_best[n - 1]
    return indices, best


def resolve_item(item: int | str, names: ItemNames | None, n_items: int) -> int:
    """An item's index from an index or, when ``names`` are known, a name."""
    if names is not None:
        return names.index(item)
    if isinstance(item, str):
        raise TypeError("no item names were given: pass an index, or give item_names")
    return _check_index(item, n_items)


def _check_index(item, n_items: int) -> int:
    if not isinstance(item, (int, np.integer)) or not 0 <= item < n_items:
        raise IndexError(f"item {item!r} is not an index in [0, {n_items})")
    return int(item)


def _check_indices(items, n_items: int, name: str) -> np.ndarray:
    items = np.asarray(items).ravel()
    if items.size == 0:
        return items.astype(np.int64)
    if not np.issubdtype(items.dtype, np.integer) or items.min() < 0 or items.max() >= n_items:
        raise IndexError(f"{name} must hold item indices in [0, {n_items})")
    return items


def _check_n(n: int, available: int) -> None:
    check_whole_number(n, "n")
    if not 1 <= n <= available:
        raise ValueError(f"n must be between 1 and {available} (the other items), not {n}")


METHODS = ("exact", "annoy", "nndescent")


def all_related(
    item_factors: np.ndarray,
    n: int = 10,
    method: str = "exact",
    *,
    block_bytes: int = BLOCK_BYTES,
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
        Threads for the approximate methods (default: all cores).

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
    _check_n(n, len(factors) - 1)
    if method == "annoy":
        from .ann import ApproximateTopRelated

        index = ApproximateTopRelated(factors, random_state=random_state, num_threads=num_threads, **options)
        return index.all_related(n, show_progress=show_progress)
    if method == "nndescent":
        from .ann import nndescent_related

        return nndescent_related(factors, n, random_state=random_state, num_threads=num_threads,
                                 show_progress=show_progress, **options)
    keep = np.flatnonzero(factors.any(axis=1))
    width = max(0, min(n, len(keep) - 1))
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
    for start in tqdm(starts, total=math.ceil(n_items / block), desc="related items", unit="block",
                      disable=not show_progress, leave=False):
        stop = min(start + block, n_items)
        indices[start:stop], scores[start:stop] = top_n_rows(unit[start:stop] @ unit.T, n, start)
    return indices, scores


def spread_rows(keep: np.ndarray, n_items: int, n: int, found: np.ndarray,
                found_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Related lists computed among the items ``keep`` only, as lists over all ``n_items`` items.

    ``found`` holds positions in ``keep`` (-1 for no item), ``len(keep)`` rows
    of at most ``n``. Rows of the other items, and places beyond ``found``'s
    width, are -1 with score NaN.
    """
    indices = np.full((n_items, n), -1, dtype=np.int32)
    scores = np.full((n_items, n), np.nan, dtype=np.float32)
    width = found.shape[1]
    valid = found >= 0
    indices[keep, :width] = np.where(valid, keep[np.maximum(found, 0)], -1)
    scores[keep, :width] = np.where(valid, found_scores, np.nan)
    return indices, scores
