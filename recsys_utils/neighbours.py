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


def _top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the indices of the n largest scores, best first (NumPy twin of :func:`top_n_rows`)."""
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


class TopRelated:
    """Exact related items by cosine similarity of item factors (as in the blog).

    Rows are normalised once; a query is then one matrix-vector product and an
    ``argpartition``.

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
    item_names : sequence of str, optional
        Lets :meth:`get_related` take names.
    """

    def __init__(self, item_factors: np.ndarray, item_names=None) -> None:
        self.factors = normalize_rows(item_factors)
        self.names = ItemNames(item_names) if item_names is not None else None
        if self.names is not None and len(self.names) != len(self.factors):
            raise ValueError(f"{len(self.names)} names for {len(self.factors)} item factors")

    @property
    def n_items(self) -> int:
        return len(self.factors)

    def index(self, item: int | str) -> int:
        """The index of ``item`` (an index or, with names, a name)."""
        return resolve_item(item, self.names, self.n_items)

    def get_related(self, item: int | str, n: int = 10, *, include_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items most similar to ``item`` (an index or a name), best first.

        Returns
        -------
        indices : ndarray of int, shape (n,)
        scores : ndarray of float32, shape (n,)
            Cosine similarities, in [-1, 1].
        """
        i = self.index(item)
        available = self.n_items - (0 if include_self else 1)
        _check_n(n, available)
        scores = self.factors @ self.factors[i]
        if not include_self:
            scores[i] = -np.inf
        indices, top = _top_n(scores[None, :], n)
        return indices[0], top[0]


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


def _check_n(n: int, available: int) -> None:
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

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
    n : int
    method : {"exact", "annoy", "nndescent"}
        ``"exact"``: blocks of rows against all items, one BLAS product each,
        memory for scores bounded by ``block_bytes``. ``"annoy"``: the blog's
        Annoy index (:class:`recsys_utils.ann.ApproximateTopRelated`, options
        ``n_trees``, ``search_k``), queries spread over threads.
        ``"nndescent"``: pynndescent's k-NN graph
        (:func:`recsys_utils.ann.nndescent_related`, option ``n_neighbors``).
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
    if method == "annoy":
        from .ann import ApproximateTopRelated

        index = ApproximateTopRelated(item_factors, random_state=random_state, num_threads=num_threads, **options)
        return index.all_related(n, show_progress=show_progress)
    if method == "nndescent":
        from .ann import nndescent_related

        return nndescent_related(item_factors, n, random_state=random_state, num_threads=num_threads,
                                 show_progress=show_progress, **options)
    if method != "exact":
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if options:
        raise TypeError(f"options {sorted(options)} do not apply to the exact method")
    factors = normalize_rows(item_factors)
    n_items = len(factors)
    _check_n(n, n_items - 1)
    block = max(min(MIN_BLOCK_ROWS, n_items), min(n_items, block_bytes // (4 * n_items)))
    indices = np.empty((n_items, n), dtype=np.int32)
    scores = np.empty((n_items, n), dtype=np.float32)
    starts = range(0, n_items, block)
    for start in tqdm(starts, total=math.ceil(n_items / block), desc="related items", unit="block",
                      disable=not show_progress, leave=False):
        stop = min(start + block, n_items)
        indices[start:stop], scores[start:stop] = top_n_rows(factors[start:stop] @ factors.T, n, start)
    return indices, scores
