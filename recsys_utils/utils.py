"""Helpers shared across the package: input checks, item names, row normalisation and the one top-n.

A leaf module: it imports nothing of the package, so every other module may
import it.
"""

from __future__ import annotations

import bisect
import contextlib
import numbers
import os
import secrets
import unicodedata
from pathlib import Path

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange


def progress_bar(*args, **kwargs):
    """A tqdm progress bar: a widget in Jupyter, plain text elsewhere, or text everywhere.

    With ``RECSYS_PROGRESS=text`` (set by ``make notebooks`` and ``make run``)
    it is the text bar even in a notebook, so that executed notebooks keep a
    readable bar instead of a widget that shows "0%" wherever it is read
    without its kernel (GitHub, nbviewer).
    """
    if os.environ.get("RECSYS_PROGRESS") == "text":
        from tqdm.std import tqdm

        kwargs["leave"] = True  # the finished bar, with its timing, stays in the saved output
        kwargs.setdefault("mininterval", 30.0)  # the start and the end, not every step, in the saved output
    else:
        from tqdm.auto import tqdm
    return tqdm(*args, **kwargs)


def write_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to an uncompressed ``.npz`` at ``path``, atomically.

    They go to a temporary file of this writer's own beside ``path``, renamed
    into place when complete: a reader never sees half a file, two writers
    never share a temporary file, and a failed write removes its own.
    """
    path = Path(path)
    partial = path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
    try:
        with open(partial, "xb") as f:
            np.savez(f, **arrays)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def limit_threads(num_threads: int | None, *, blas_threads: int | None = None):
    """numba's pool held to ``num_threads`` (0 or None: all cores) for the block, BLAS to ``blas_threads``.

    ``blas_threads`` defaults to the same number; ALS holds BLAS to 1 while numba's pool runs, so
    that the two never oversubscribe the cores.
    """
    import numba
    from threadpoolctl import threadpool_limits

    wanted = numba.config.NUMBA_NUM_THREADS if num_threads in (None, 0) else num_threads
    wanted = check_whole_number(wanted, "num_threads", 1, numba.config.NUMBA_NUM_THREADS)
    previous = numba.get_num_threads()
    numba.set_num_threads(wanted)
    try:
        with threadpool_limits(limits=blas_threads or wanted, user_api="blas"):
            yield wanted
    finally:
        numba.set_num_threads(previous)


@contextlib.contextmanager
def kernel_threads(num_threads: int | None, chunksize: int = 0):
    """:func:`limit_threads` with BLAS at one thread (numba's kernels run), and numba's rows per task.

    ``chunksize`` 0 is numba's default scheduling; a fixed chunk keeps a few
    very long rows (popular artists) from leaving the other threads idle.
    """
    old_chunk = numba.set_parallel_chunksize(chunksize)
    try:
        with limit_threads(num_threads, blas_threads=1) as wanted:
            yield wanted
    finally:
        numba.set_parallel_chunksize(old_chunk)


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


def nonnegative_counts(matrix, name: str = "counts") -> sp.csr_matrix:
    """A float32 CSR copy of any scipy.sparse matrix of counts, as :func:`canonical_csr` leaves it.

    Raises
    ------
    TypeError
        Not a scipy.sparse matrix.
    ValueError
        A value is negative, NaN or infinite.
    """
    if not sp.issparse(matrix):
        raise TypeError(f"{name} must be a scipy.sparse matrix, not {type(matrix).__name__}")
    counts = canonical_csr(matrix.tocsr(), name).astype(np.float32, copy=True)
    if counts.nnz and (not np.isfinite(counts.data).all() or counts.data.min() < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    return counts


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the ``n`` largest scores, best first; equal scores go to the lower column.

    ``argpartition`` picks the n best in linear time, but among scores that
    tie with the n-th best it keeps any of them; rows where that happens are
    redone by column order, so the result never depends on the platform's
    sorting code. :func:`top_n_rows` is the numba twin.

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


#: Columns of a tile row that are tested together (SIMD) before they are looked at one by one.
TILE_SCAN = 32


@njit(cache=True)
def _rank_insert(best, indices, item, score, other):
    """Put ``other`` with ``score`` in ``item``'s sorted list if it ranks there (higher score, then lower index)."""
    last = best.shape[1] - 1
    if score < best[item, last] or (score == best[item, last] and other > indices[item, last]):
        return
    pos = last
    while pos > 0 and (best[item, pos - 1] < score
                       or (best[item, pos - 1] == score and indices[item, pos - 1] > other)):
        best[item, pos] = best[item, pos - 1]
        indices[item, pos] = indices[item, pos - 1]
        pos -= 1
    best[item, pos] = score
    indices[item, pos] = other


@njit(cache=True)
def _any_at_least(scores, bound):
    """Whether a score reaches ``bound``; written without an early exit, so that it compiles to SIMD."""
    hit = False
    for c in range(scores.shape[0]):
        hit |= scores[c] >= bound
    return hit


@njit(cache=True)
def _any_at_least_each(scores, bounds):
    """Whether ``scores[c] >= bounds[c]`` for some ``c``, in SIMD as :func:`_any_at_least`."""
    hit = False
    for c in range(scores.shape[0]):
        hit |= scores[c] >= bounds[c]
    return hit


@njit(nogil=True, cache=True)
def merge_tile_top_n(tile, first_row, first_column, best, indices, floor, mirrored):
    """Merge a tile of scores into per-item top-n lists, in place; an item never lists itself.

    ``tile[r, c]`` scores item ``first_column + c`` for item ``first_row + r``.
    Each list holds the best candidates merged so far, by higher score, then
    lower index: the same lists whatever the order the tiles come in. Most
    scores are below their item's ``floor``, and a row of the tile is first
    compared with the floors in SIMD (a whole row, then :data:`TILE_SCAN`
    columns at a time) before any score is looked at alone. With
    ``mirrored``, the tile also holds the scores of its columns' items for its
    rows' items (cosine is symmetric), which are merged too: one BLAS product
    serves two tiles. The NumPy twin is :func:`merge_tile_top_n_reference`.
    Runs without the GIL.

    Parameters
    ----------
    tile : ndarray, shape (rows, columns), float32, C-contiguous
    first_row, first_column : int
        With ``mirrored``, the two ranges of items must not overlap (a tile
        above the diagonal), or pairs would be merged twice.
    best : ndarray, shape (n_items, n), float32
        Scores, best first; ``-inf`` where a list has no item yet.
    indices : ndarray, shape (n_items, n), int32
        Items, -1 where a list has no item yet.
    floor : ndarray, shape (n_items,), float32
        Per item, a score that no candidate below it can beat into the final
        top n: such candidates are skipped. Raised here to the last score of
        the item's list once it is full. Several threads' lists may share one
        floor, so that a thread skips what another has already beaten: the
        last score of any full list is such a bound, and a racing write that
        lowers an entry leaves another. Kept apart from ``best`` so that a
        tile row is compared with the floors of its columns' items in SIMD.
    mirrored : bool
    """
    rows, columns = tile.shape
    last = best.shape[1] - 1
    for r in range(rows):
        item = first_row + r
        scores = tile[r]
        bound = floor[item]
        if _any_at_least(scores, bound):
            for c0 in range(0, columns, TILE_SCAN):
                c1 = min(c0 + TILE_SCAN, columns)
                if _any_at_least(scores[c0:c1], bound):
                    for c in range(c0, c1):
                        if scores[c] >= bound and first_column + c != item:
                            _rank_insert(best, indices, item, scores[c], first_column + c)
                            bound = max(bound, best[item, last])
            if bound > floor[item]:
                floor[item] = bound
        if mirrored and _any_at_least_each(scores, floor[first_column:first_column + columns]):
            for c0 in range(0, columns, TILE_SCAN):
                c1 = min(c0 + TILE_SCAN, columns)
                if _any_at_least_each(scores[c0:c1], floor[first_column + c0:first_column + c1]):
                    for c in range(c0, c1):
                        other = first_column + c
                        if scores[c] >= floor[other]:
                            _rank_insert(best, indices, other, scores[c], item)
                            if best[other, last] > floor[other]:
                                floor[other] = best[other, last]


@njit(nogil=True, cache=True)
def merge_top_n(best, indices, other_best, other_indices):
    """Merge lists ``other_best``/``other_indices`` into ``best``/``indices``, kept as by :func:`merge_tile_top_n`."""
    for item in range(best.shape[0]):
        for k in range(other_best.shape[1]):
            if other_indices[item, k] < 0:
                break  # the rest of that list is empty too
            _rank_insert(best, indices, item, other_best[item, k], other_indices[item, k])


def merge_tile_top_n_reference(tile: np.ndarray, first_row: int, first_column: int, best: np.ndarray,
                               indices: np.ndarray, floor: np.ndarray, mirrored: bool) -> None:
    """:func:`merge_tile_top_n`'s slow twin: every list touched is sorted again with all its new candidates.

    The same lists as the kernel's when ``floor`` is that of these lists alone (the kernel may
    skip candidates below a higher floor that the twin keeps).
    """
    rows, columns = tile.shape

    def merge(item, scores, others):
        keep = others != item
        scores = np.concatenate([best[item][indices[item] >= 0], scores[keep]])
        others = np.concatenate([indices[item][indices[item] >= 0], others[keep]])
        order = np.lexsort((others, -scores))[: best.shape[1]]
        best[item], indices[item] = -np.inf, -1
        best[item, : len(order)], indices[item, : len(order)] = scores[order], others[order]
        floor[item] = max(floor[item], best[item, -1])

    for r in range(rows):
        merge(first_row + r, tile[r], first_column + np.arange(columns))
    if mirrored:
        for c in range(columns):
            merge(first_column + c, tile[:, c], first_row + np.arange(rows))


@njit(parallel=True, fastmath=True, cache=True)
def dot_scores(vectors, item_factors):
    """``vectors @ item_factors.T`` (its NumPy twin) in float32, every score summed in one fixed order.

    BLAS picks other kernels for one row than for many, so a user's scores
    could change in the last bits with the batch they come in; here a score is
    the same alone or in any batch. Parallel over items.

    Parameters
    ----------
    vectors : ndarray, shape (m, k), float32, C-contiguous
    item_factors : ndarray, shape (n_items, k), float32, C-contiguous

    Returns
    -------
    ndarray, shape (m, n_items), float32
    """
    m, k = vectors.shape
    out = np.empty((m, item_factors.shape[0]), dtype=np.float32)
    for i in prange(item_factors.shape[0]):
        for u in range(m):
            s = np.float32(0.0)
            for a in range(k):
                s += vectors[u, a] * item_factors[i, a]
            out[u, i] = s
    return out


def resolve_item(item: int | str, names: ItemNames | None, n_items: int) -> int:
    """An item's index from an index or, when ``names`` are known, a name."""
    if names is not None:
        return names.index(item)
    if isinstance(item, str):
        raise TypeError("no item names were given: pass an index, or give item_names")
    return check_item_index(item, n_items)


def check_item_index(item, n_items: int) -> int:
    """``item`` as an int if it is an index in ``[0, n_items)``; IndexError otherwise."""
    if not isinstance(item, (int, np.integer)) or not 0 <= item < n_items:
        raise IndexError(f"item {item!r} is not an index in [0, {n_items})")
    return int(item)


def check_item_indices(items, n_items: int, name: str) -> np.ndarray:
    """``items`` as a flat integer array of indices in ``[0, n_items)``; IndexError otherwise."""
    items = np.asarray(items).ravel()
    if items.size == 0:
        return items.astype(np.int64)
    if not np.issubdtype(items.dtype, np.integer) or items.min() < 0 or items.max() >= n_items:
        raise IndexError(f"{name} must hold indices in [0, {n_items})")
    return items


def check_n(n: int, available: int) -> None:
    """Refuse a list length ``n`` outside ``[1, available]``."""
    check_whole_number(n, "n")
    if not 1 <= n <= available:
        raise ValueError(f"n must be between 1 and {available} (the other items), not {n}")


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


class UnknownItemError(KeyError):
    """An item name that is not in the catalogue; the message lists near matches."""

    def __str__(self) -> str:
        return str(self.args[0])


#: Lowercase letters that ``str.casefold`` would change further; the page's JavaScript does the same.
_FOLD_EXTRA = str.maketrans({"ß": "ss", "ς": "σ"})


def fold_name(name: str) -> str:
    """A name's lookup key: case- and accent-insensitive ("Björk" and "BJORK" give "bjork").

    Unicode compatibility decomposition (NFKD), every mark dropped (general
    category M: accents, and also vowel signs in scripts such as Devanagari),
    lowercased, then ß as ss and ς as σ. Letters that do not decompose (ø, ł)
    are kept. The explorer page folds what is typed by the same rule (NFKD,
    ``\\p{M}``, ``toLowerCase``), and is tested against this function.
    """
    decomposed = unicodedata.normalize("NFKD", str(name))
    kept = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return kept.lower().translate(_FOLD_EXTRA)


class ItemNames:
    """Look items up by name, ignoring case and accents; unknown names raise with suggestions.

    Where several names fold to the same key ("Tiësto" and "tiesto"), an
    exact name finds its own item, and otherwise the most popular one wins.

    Parameters
    ----------
    names : sequence of str
    popularity : array of numbers, optional
        E.g. listener counts: the most popular comes first among names that
        start with what was typed or that share a key.
    """

    def __init__(self, names, popularity=None) -> None:
        self.names = np.asarray(names, dtype=object)
        if self.names.ndim != 1:
            raise ValueError(f"names must be one-dimensional, not of shape {self.names.shape}")
        if popularity is None:
            self.popularity = np.zeros(len(self.names))
        else:
            self.popularity = np.asarray(popularity, dtype=np.float64)
            if self.popularity.shape != self.names.shape:
                raise ValueError(f"{len(self.popularity)} popularity values for {len(self.names)} names")
        by_popularity = np.lexsort((np.arange(len(self.names)), -self.popularity))
        self._exact: dict[str, int] = {}
        self._casefolded: dict[str, int] = {}
        self._by_key: dict[str, list[int]] = {}  # key -> items, most popular first
        for i in by_popularity.tolist():
            name = str(self.names[i])
            self._casefolded.setdefault(name.casefold(), i)
            self._by_key.setdefault(fold_name(name), []).append(i)
        for i, name in enumerate(self.names):
            self._exact.setdefault(str(name), i)
        keys = [fold_name(name) for name in self.names]
        first_seen = {key: i for i, key in reversed(list(enumerate(keys)))}
        self._keys = sorted(self._by_key, key=first_seen.__getitem__)  # distinct keys, in catalogue order
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._sorted_keys = [keys[i] for i in order]  # every item, for prefix ranges
        self._sorted_items = np.asarray(order, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.names)

    def index(self, item: int | str) -> int:
        """The index of ``item``: an index (checked) or a name (exact, else ignoring case, else also accents)."""
        if isinstance(item, (int, np.integer)):
            if not 0 <= item < len(self.names):
                raise IndexError(f"item index {item} is out of range for {len(self.names)} items")
            return int(item)
        name = str(item)
        found = self.find(name)
        if found is not None:
            return found
        suggestions = self.suggest(name)
        hint = f" Did you mean: {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        raise UnknownItemError(f"No artist named {name!r}.{hint}")

    def find(self, name: str) -> int | None:
        """The index of ``name`` (exact, else ignoring case, else also accents), or None: no suggestions made."""
        if name in self._exact:
            return self._exact[name]
        if name.casefold() in self._casefolded:
            return self._casefolded[name.casefold()]
        items = self._by_key.get(fold_name(name))
        return items[0] if items else None

    def suggest(self, name: str, n: int = 5) -> list[str]:
        """Up to ``n`` known names for what was typed: see :meth:`suggest_indices`."""
        return [str(self.names[i]) for i in self.suggest_indices(name, n)]

    def suggest_indices(self, name: str, n: int = 5) -> list[int]:
        """Up to ``n`` items whose names match ``name``, best first, ignoring case and accents.

        In order: names equal to it, names that start with it (most popular first), names close
        to it by edit distance (rapidfuzz's normalised Indel similarity of at
        least 60%, closest first; this catches misspellings), then names that
        contain it or, of four letters or more, are contained in it ("bjork
        gudmundsdottir" finds "Björk"), most popular first. Names that share a
        key come together, most popular first. Fast enough to run on every
        keystroke over 300,000 names.
        """
        from rapidfuzz import fuzz, process

        n = check_whole_number(n, "n", 0)
        key = fold_name(name).strip()
        if not key or n == 0:
            return []
        found: dict[int, None] = dict.fromkeys(self._by_key.get(key, [])[:n])  # the name itself first
        lo = bisect.bisect_left(self._sorted_keys, key)
        hi = bisect.bisect_left(self._sorted_keys, key + "\U0010ffff", lo)
        starting = self._sorted_items[lo:hi]
        by_popularity = starting[np.lexsort((starting, -self.popularity[starting]))]
        found.update(dict.fromkeys(by_popularity[:n].tolist()))
        if len(found) < n:
            close = process.extract(key, self._keys, scorer=fuzz.ratio, limit=None, score_cutoff=60)
            close.sort(key=lambda match: (-match[1], match[2]))  # equal scores: in catalogue order, as on the page
            for match, _, _ in close:
                found.update(dict.fromkeys(self._by_key[match]))
                if len(found) >= n:
                    break
        if len(found) < n and len(key) >= 3:
            overlapping = np.array([i for k in self._keys if key in k or (len(k) >= 4 and k in key)
                                    for i in self._by_key[k]], dtype=np.int64)
            by_popularity = overlapping[np.lexsort((overlapping, -self.popularity[overlapping]))]
            found.update(dict.fromkeys(by_popularity[:2 * n].tolist()))
        return list(found)[:n]


def normalize_rows(factors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    factors = np.asarray(factors, dtype=np.float32)
    if factors.ndim != 2:
        raise ValueError(f"item factors must be a 2-d array (items x factors), not {factors.ndim}-d")
    if not np.isfinite(factors).all():
        raise ValueError("item factors contain NaN or infinite values")
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    return factors / np.where(norms > 0, norms, 1.0)
