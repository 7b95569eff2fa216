"""Approximate related items: Annoy (as in the blog) and NN-descent (pynndescent).

Both trade a little recall for a lot of speed; :func:`recsys_utils.evaluate.recall_at_n`
measures the trade against the exact lists of :func:`recsys_utils.neighbours.all_related`.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import __version__
from .utils import ItemNames, check_n, check_whole_number, normalize_rows, progress_bar, resolve_item, spread_rows

QUERY_CHUNK = 1024


def angular_to_cosine(distance: np.ndarray) -> np.ndarray:
    """Annoy's angular distance ``sqrt(2 (1 - cos))`` of unit vectors, back to the cosine."""
    return np.clip(1.0 - np.square(np.asarray(distance, dtype=np.float32)) / 2.0, -1.0, 1.0)


class ApproximateTopRelated:
    """The blog's Annoy index over normalised item factors.

    Items whose factors are all zero (no listener in the training data) are
    left out of the index: they are never returned, and asking for their
    related items is an error.

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
    n_trees : int
        Random-projection trees: more trees, better recall, bigger index and slower build.
    search_k : int
        Nodes inspected per query: more, better recall, slower queries.
        The defaults (50 trees, ``search_k`` 2,000) gave recall@10 0.974 on
        Last.fm 2K ALS factors (``notebooks/04_ann.ipynb``) and 0.964 on ALS
        factors of the full 360K shape (``benchmarks/bench_ann.py``).
    item_names : sequence of str, optional
        One per item.
    random_state : int
        Seeds Annoy's tree building.
    num_threads : int or None
        Threads for building and for :meth:`all_related` (Annoy releases the
        GIL); 0 or None: all cores.
    """

    def __init__(self, item_factors: np.ndarray, n_trees: int = 50, search_k: int = 2_000, item_names=None,
                 random_state: int = 0, num_threads: int | None = None) -> None:
        import annoy

        factors = normalize_rows(item_factors)
        item_ids = np.flatnonzero(factors.any(axis=1))
        index = annoy.AnnoyIndex(factors.shape[1], "angular")
        index.set_seed(check_whole_number(random_state, "random_state", 0))
        for position, i in enumerate(item_ids):
            index.add_item(position, factors[i])
        self._setup(index, len(factors), item_ids, check_whole_number(n_trees, "n_trees", 1), search_k,
                    item_names, num_threads)
        self.annoy_index.build(self.n_trees, n_jobs=self.num_threads)

    def _setup(self, index, n_items: int, item_ids: np.ndarray, n_trees: int, search_k: int, item_names,
               num_threads: int | None) -> None:
        self.annoy_index, self.n_items, self.n_trees = index, int(n_items), int(n_trees)
        self.search_k = check_whole_number(search_k, "search_k", 1)
        self.num_threads = num_threads or os.cpu_count() or 1
        self.item_ids = np.asarray(item_ids, dtype=np.int64)  # item of each Annoy id
        self._position = np.full(self.n_items, -1, dtype=np.int64)
        self._position[self.item_ids] = np.arange(len(self.item_ids))
        self.names = ItemNames(item_names) if item_names is not None else None
        if self.names is not None and len(self.names) != self.n_items:
            raise ValueError(f"{len(self.names)} item names for {self.n_items} items")

    def get_related(self, item: int | str, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """About the ``n`` most similar items to ``item`` (itself excluded), best first, with cosines.

        Fewer than ``n`` come back when Annoy finds fewer (a small ``search_k``)
        or fewer items have factors.
        """
        i = resolve_item(item, self.names, self.n_items)
        n = check_whole_number(n, "n", 1)
        if self._position[i] < 0:
            raise ValueError(f"item {item!r} has all-zero factors (no listener in the training data): "
                             "no item is related to it")
        found, scores = self._query(int(self._position[i]), min(n, len(self.item_ids) - 1))
        keep = found >= 0
        return self.item_ids[found[keep]], scores[keep]

    def _query(self, position: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The n nearest Annoy ids of Annoy id ``position`` (itself excluded); -1 and NaN pad a short answer."""
        found, distances = self.annoy_index.get_nns_by_item(position, n + 1, search_k=self.search_k,
                                                      include_distances=True)
        found, distances = np.asarray(found, dtype=np.int64), np.asarray(distances)
        keep = found != position
        found, distances = found[keep][:n], distances[keep][:n]
        pad = n - len(found)
        return np.r_[found, np.full(pad, -1)], np.r_[angular_to_cosine(distances), np.full(pad, np.nan)]

    def all_related(self, n: int = 10, show_progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Related items of every item, as :func:`recsys_utils.neighbours.all_related` returns them."""
        check_n(n, self.n_items - 1)
        m = len(self.item_ids)
        width = max(0, min(n, m - 1))
        found = np.full((m, width), -1, dtype=np.int32)
        scores = np.full((m, width), np.nan, dtype=np.float32)

        def work(start: int) -> int:
            for position in range(start, min(start + QUERY_CHUNK, m)):
                found[position], scores[position] = self._query(position, width)
            return min(QUERY_CHUNK, m - start)

        if width:
            with ThreadPoolExecutor(self.num_threads) as pool, progress_bar(
                    total=m, desc="annoy queries", disable=not show_progress, leave=False) as bar:
                for done in pool.map(work, range(0, m, QUERY_CHUNK)):
                    bar.update(done)
        return spread_rows(self.item_ids, self.n_items, n, found, scores)

    def save(self, path: str | os.PathLike) -> None:
        """Write the index (Annoy's own format, memory-mapped on load) and, beside it, ``<path>.json``.

        The JSON file holds what loading must not guess: the vector length, the
        item count, which items are in the index, the names and the index
        file's size, against which :meth:`load` checks the file.
        """
        path = Path(path)
        self.annoy_index.save(str(path))
        meta = {
            "format": ANNOY_META_FORMAT,
            "package_version": __version__,
            "dimension": self.annoy_index.f,
            "n_items": self.n_items,
            "n_trees": self.annoy_index.get_n_trees(),  # Annoy may build more than asked for on few items
            "search_k": self.search_k,
            "index_bytes": path.stat().st_size,
            "item_ids": self.item_ids.tolist(),
            "names": None if self.names is None else [str(name) for name in self.names.names],
        }
        partial = path.with_name(path.name + ".json.partial")
        partial.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, meta_path(path))

    @classmethod
    def load(cls, path: str | os.PathLike, factors: int | None = None, search_k: int | None = None,
             item_names=None, num_threads: int | None = None) -> "ApproximateTopRelated":
        """Open an index written by :meth:`save`, checked against the JSON file beside it.

        Parameters
        ----------
        path : path-like
        factors : int, optional
            The vector length you expect; an error if the index has another.
        search_k : int, optional
            Default: the one saved.
        item_names : sequence of str, optional
            Default: the names saved (if any).
        num_threads : int or None

        Raises
        ------
        FileNotFoundError
            The index or its JSON file is missing.
        ValueError
            The index file does not match its JSON file (another file, a
            truncated copy) or ``factors`` differs from the saved length.
        """
        import annoy

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no Annoy index at {path}")
        meta = _read_meta(path)
        dimension, n_items, item_ids = meta["dimension"], meta["n_items"], np.asarray(meta["item_ids"], np.int64)
        if factors is not None and factors != dimension:
            raise ValueError(f"{path} holds vectors of length {dimension}, not {factors}")
        size = path.stat().st_size
        node_bytes = 12 + 4 * dimension  # Annoy's angular node: 3 ints and the vector
        if size != meta["index_bytes"] or size % node_bytes:
            raise ValueError(f"{path} has {size:,} bytes but its {meta_path(path).name} describes an index of "
                             f"{meta['index_bytes']:,} bytes: it is another or a damaged file; build it again")
        index = annoy.AnnoyIndex(dimension, "angular")
        index.load(str(path))
        found_items, found_trees = index.get_n_items(), index.get_n_trees()
        if found_items != len(item_ids) or found_trees != meta["n_trees"]:
            index.unload()
            raise ValueError(f"{path} holds {found_items:,} items in {found_trees} trees, but its "
                             f"{meta_path(path).name} says {len(item_ids):,} in {meta['n_trees']}; build it again")
        self = cls.__new__(cls)
        self._setup(index, n_items, item_ids, meta["n_trees"], search_k or meta["search_k"],
                    meta["names"] if item_names is None else item_names, num_threads)
        return self


ANNOY_META_FORMAT = 1
_META_KEYS = {"format", "package_version", "dimension", "n_items", "n_trees", "search_k", "index_bytes", "item_ids", "names"}


def meta_path(path: Path) -> Path:
    """The JSON file that :meth:`ApproximateTopRelated.save` writes beside an index."""
    return path.with_name(path.name + ".json")


def _read_meta(path: Path) -> dict:
    where = meta_path(path)
    if not where.is_file():
        raise FileNotFoundError(f"{where} is missing: an Annoy index can only be loaded with the JSON file that "
                                "ApproximateTopRelated.save writes beside it (dimension, items, names)")
    try:
        meta = json.loads(where.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{where} is not valid JSON ({error}); save the index again") from error
    if not isinstance(meta, dict) or set(meta) != _META_KEYS:
        raise ValueError(f"{where} is not an index description written by ApproximateTopRelated.save")
    if meta["format"] > ANNOY_META_FORMAT:
        raise ValueError(f"{where} has format {meta['format']}, newer than this version reads "
                         f"({ANNOY_META_FORMAT}): upgrade recsys_utils")
    return meta


def nndescent_related(item_factors: np.ndarray, n: int = 10, n_neighbors: int | None = None,
                      random_state: int = 0, num_threads: int | None = None,
                      show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Related items of every item from pynndescent's k-NN graph (cosine).

    NN-descent builds the k-nearest-neighbour graph of all items directly, which
    is exactly "related artists for every artist". ``n_neighbors`` (default
    ``max(15, n + 5)``) is the graph's degree: larger is slower and more exact.
    Items with all-zero factors are left out, and the result has the form of
    :func:`recsys_utils.neighbours.all_related`'s.
    """
    from pynndescent import NNDescent

    factors = normalize_rows(item_factors)
    check_n(n, len(factors) - 1)
    n_neighbors = max(15, n + 5) if n_neighbors is None else check_whole_number(n_neighbors, "n_neighbors")
    if n_neighbors < n + 1:
        raise ValueError(f"n_neighbors must be at least n + 1 = {n + 1}")
    keep = np.flatnonzero(factors.any(axis=1))
    width = max(0, min(n, len(keep) - 1))
    if width == 0:
        return spread_rows(keep, len(factors), n, np.empty((len(keep), 0), np.int32), np.empty((len(keep), 0)))
    index = NNDescent(factors[keep], metric="cosine", n_neighbors=min(n_neighbors, len(keep) - 1),
                      random_state=random_state, n_jobs=num_threads or -1, verbose=show_progress,
                      low_memory=True, compressed=True)
    graph, distances = index.neighbor_graph
    found, scores = drop_self(graph, 1.0 - distances, width)
    return spread_rows(keep, len(factors), n, found, scores)


def drop_self(indices: np.ndarray, scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from a k-NN graph and keep the first ``n`` others (-1, NaN: none)."""
    rows = np.arange(len(indices))[:, None]
    is_self = (indices == rows) | (indices < 0)
    order = np.argsort(is_self, axis=1, kind="stable")  # others first, in their order
    missing = np.take_along_axis(is_self, order, axis=1)[:, :n]
    indices = np.where(missing, -1, np.take_along_axis(indices, order, axis=1)[:, :n]).astype(np.int32)
    scores = np.take_along_axis(scores, order, axis=1)[:, :n].astype(np.float32)
    return indices, np.where(missing, np.float32(np.nan), np.clip(scores, -1.0, 1.0))
