"""Approximate related items: Annoy (as in the blog) and NN-descent (pynndescent).

Both trade a little recall for a lot of speed; :func:`recsys_utils.evaluate.recall_at_n`
measures the trade against the exact lists of :func:`recsys_utils.neighbours.all_related`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .neighbours import ItemNames, _check_n, normalize_rows, resolve_item

QUERY_CHUNK = 1024


def angular_to_cosine(distance: np.ndarray) -> np.ndarray:
    """Annoy's angular distance ``sqrt(2 (1 - cos))`` of unit vectors, back to the cosine."""
    return np.clip(1.0 - np.square(np.asarray(distance, dtype=np.float32)) / 2.0, -1.0, 1.0)


class ApproximateTopRelated:
    """The blog's Annoy index over normalised item factors.

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
    random_state : int
        Seeds Annoy's tree building.
    num_threads : int or None
        Threads for building and for :meth:`all_related` (Annoy releases the GIL).
    """

    def __init__(self, item_factors: np.ndarray, n_trees: int = 50, search_k: int = 2_000, item_names=None,
                 random_state: int = 0, num_threads: int | None = None, *, _index=None) -> None:
        import annoy

        if n_trees < 1 or search_k < 1:
            raise ValueError("n_trees and search_k must be >= 1")
        self.n_trees, self.search_k = int(n_trees), int(search_k)
        self.num_threads = num_threads or os.cpu_count() or 1
        self.names = ItemNames(item_names) if item_names is not None else None
        if _index is not None:
            self.index, self.n_items = _index, _index.get_n_items()
            return
        factors = normalize_rows(item_factors)
        self.n_items = len(factors)
        self.index = annoy.AnnoyIndex(factors.shape[1], "angular")
        self.index.set_seed(int(random_state))
        for i, row in enumerate(factors):
            self.index.add_item(i, row)
        self.index.build(self.n_trees, n_jobs=self.num_threads)

    def get_related(self, item: int | str, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """About the ``n`` most similar items to ``item`` (itself excluded), best first, with cosines."""
        i = resolve_item(item, self.names, self.n_items)
        _check_n(n, self.n_items - 1)
        return self._query(i, n)

    def _query(self, i: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        found, distances = self.index.get_nns_by_item(i, n + 1, search_k=self.search_k, include_distances=True)
        found, distances = np.asarray(found, dtype=np.int64), np.asarray(distances)
        keep = found != i
        found, distances = found[keep][:n], distances[keep][:n]
        if len(found) < n:  # Annoy can return fewer than asked for with a small search_k
            pad = n - len(found)
            found, distances = np.r_[found, np.full(pad, -1)], np.r_[distances, np.full(pad, 2.0)]
        return found, angular_to_cosine(distances)

    def all_related(self, n: int = 10, show_progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Related items of every item; missing places (rare) are -1 with cosine -1."""
        _check_n(n, self.n_items - 1)
        indices = np.empty((self.n_items, n), dtype=np.int32)
        scores = np.empty((self.n_items, n), dtype=np.float32)

        def work(start: int) -> int:
            for i in range(start, min(start + QUERY_CHUNK, self.n_items)):
                indices[i], scores[i] = self._query(i, n)
            return min(QUERY_CHUNK, self.n_items - start)

        with ThreadPoolExecutor(self.num_threads) as pool, tqdm(
                total=self.n_items, desc="annoy queries", disable=not show_progress, leave=False) as bar:
            for done in pool.map(work, range(0, self.n_items, QUERY_CHUNK)):
                bar.update(done)
        return indices, scores

    def save(self, path: str | os.PathLike) -> None:
        """Write the index (Annoy's own format, memory-mapped on load)."""
        self.index.save(str(path))

    @classmethod
    def load(cls, path: str | os.PathLike, factors: int, search_k: int = 2_000, item_names=None,
             num_threads: int | None = None) -> "ApproximateTopRelated":
        """Open an index written by :meth:`save`; ``factors`` is the vector length."""
        import annoy

        if not Path(path).is_file():
            raise FileNotFoundError(path)
        index = annoy.AnnoyIndex(int(factors), "angular")
        index.load(str(path))
        return cls(None, n_trees=max(1, index.get_n_trees()), search_k=search_k, item_names=item_names,
                   num_threads=num_threads, _index=index)


def nndescent_related(item_factors: np.ndarray, n: int = 10, n_neighbors: int | None = None,
                      random_state: int = 0, num_threads: int | None = None,
                      show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Related items of every item from pynndescent's k-NN graph (cosine).

    NN-descent builds the k-nearest-neighbour graph of all items directly, which
    is exactly "related artists for every artist". ``n_neighbors`` (default
    ``max(15, n + 5)``) is the graph's degree: larger is slower and more exact.
    """
    from pynndescent import NNDescent

    factors = normalize_rows(item_factors)
    _check_n(n, len(factors) - 1)
    n_neighbors = max(15, n + 5) if n_neighbors is None else n_neighbors
    if n_neighbors < n + 1:
        raise ValueError(f"n_neighbors must be at least n + 1 = {n + 1}")
    index = NNDescent(factors, metric="cosine", n_neighbors=n_neighbors, random_state=random_state,
                      n_jobs=num_threads or -1, verbose=show_progress, low_memory=True, compressed=True)
    graph, distances = index.neighbor_graph
    return drop_self(graph, 1.0 - distances, n)


def drop_self(indices: np.ndarray, scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from a k-NN graph and keep the first ``n`` others."""
    rows = np.arange(len(indices))[:, None]
    is_self = (indices == rows) | (indices < 0)
    order = np.argsort(is_self, axis=1, kind="stable")  # others first, in their order
    indices = np.take_along_axis(indices, order, axis=1)[:, :n].astype(np.int32)
    scores = np.take_along_axis(scores, order, axis=1)[:, :n].astype(np.float32)
    return indices, np.clip(scores, -1.0, 1.0)
