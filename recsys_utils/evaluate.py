"""Measuring related-artist lists and recommendations.

Two kinds of evaluation:

* **Planted truth** (synthetic data): are alias pairs in each other's related
  lists, and do related artists share a genre?
* **Held-out ranking**: hide a random part of every user's artists, recommend
  from the rest, and score the top k against what was hidden (precision,
  recall, MAP and NDCG at k), next to a most-popular baseline.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .utils import canonical_csr, check_real, check_whole_number, normalize_rows, top_n

ScoreFunction = Callable[[np.ndarray], np.ndarray]


def _check_related(related: np.ndarray, k: int) -> np.ndarray:
    """The first k columns of related lists (-1 marks a place with no item)."""
    related = np.asarray(related)
    k = check_whole_number(k, "k", 1)
    if related.ndim != 2 or related.shape[1] < k:
        raise ValueError(f"need related lists of at least k={k} items (shape (n_items, >= k)), got {related.shape}")
    return related[:, :k]


def alias_recovery_at_k(related: np.ndarray, alias_pairs: np.ndarray, k: int = 10) -> float:
    """Share of alias pairs (a, b) where b is in a's top k and a is in b's.

    Parameters
    ----------
    related : ndarray of int, shape (n_items, >= k)
        Related items of every item, best first (itself excluded).
    alias_pairs : ndarray of int, shape (m, 2)
    """
    related = _check_related(related, k)
    pairs = np.asarray(alias_pairs)
    if len(pairs) == 0:
        raise ValueError("no alias pairs to score")
    a, b = pairs[:, 0], pairs[:, 1]
    found = (related[a] == b[:, None]).any(axis=1) & (related[b] == a[:, None]).any(axis=1)
    return float(found.mean())


def genre_precision_at_k(related: np.ndarray, genres: np.ndarray, k: int = 10, items: np.ndarray | None = None) -> float:
    """Mean share of an item's top-k related items that have its genre.

    ``items`` restricts the mean to some items (e.g. those with enough listeners).
    """
    related = _check_related(related, k)
    genres = np.asarray(genres)
    items = np.arange(len(related)) if items is None else np.asarray(items)
    lists = related[items]
    same = (genres[np.maximum(lists, 0)] == genres[items][:, None]) & (lists >= 0)  # no item: not the genre
    return float(same.mean())


def recall_at_n(approximate: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact related items that an approximate search also found.

    Both are (n_items, n) lists of the same width; places with no item (-1)
    are not counted on either side.
    """
    approximate, exact = np.asarray(approximate), np.asarray(exact)
    if approximate.ndim != 2 or exact.ndim != 2 or approximate.shape[0] != exact.shape[0]:
        raise ValueError(f"approximate {approximate.shape} and exact {exact.shape} lists must be 2-d and "
                         "cover the same items")
    if approximate.shape[1] < exact.shape[1]:
        raise ValueError(f"approximate lists hold {approximate.shape[1]} items, fewer than the exact lists' "
                         f"{exact.shape[1]}: recall would be capped; search for as many as the exact lists hold")
    n = exact.shape[1]
    wanted = exact >= 0
    if not wanted.any():
        raise ValueError("the exact lists hold no item")
    hits = sum(np.intersect1d(a[a >= 0], e[e >= 0]).size for a, e in zip(approximate[:, :n], exact))
    return hits / int(wanted.sum())


def recall_at_n_with_ties(found: np.ndarray, exact: np.ndarray, exact_scores: np.ndarray,
                          reference_factors: np.ndarray, tolerance: float = 1e-5) -> float:
    """:func:`recall_at_n` where an item tied with the exact list's last counts as found.

    Cosine ties are common in listening data: artists whose only listener is
    the same user have the same direction, so which of them a list keeps is
    decided by the last bits of the factors. Here a found item is a hit when
    its cosine to the query under ``reference_factors`` (the factors that gave
    ``exact``) is at least the exact list's last score less ``tolerance``.
    At most as many found items count as the exact list holds.
    """
    found, exact, exact_scores = np.asarray(found), np.asarray(exact), np.asarray(exact_scores)
    if found.ndim != 2 or exact.shape != exact_scores.shape or found.shape[0] != exact.shape[0] \
            or reference_factors.shape[0] != exact.shape[0]:
        raise ValueError(f"found {found.shape}, exact {exact.shape}, exact_scores {exact_scores.shape} and "
                         f"reference_factors {reference_factors.shape} must cover the same items")
    n = exact.shape[1]
    wanted = (exact >= 0).sum(axis=1)
    if not wanted.any():
        raise ValueError("the exact lists hold no item")
    unit = normalize_rows(reference_factors)
    floor = np.where(wanted > 0, exact_scores[np.arange(len(exact)), np.maximum(wanted - 1, 0)], np.inf)
    hits = 0
    for lo in range(0, len(found), 8192):
        rows = slice(lo, lo + 8192)
        lists = found[rows, :n]
        scores = np.einsum("ij,ikj->ik", unit[rows], unit[np.maximum(lists, 0)])
        hit = (lists >= 0) & (scores >= floor[rows, None] - tolerance)
        hits += int(np.minimum(hit.sum(axis=1), wanted[rows]).sum())
    return hits / int(wanted.sum())


def train_test_split(user_items: sp.csr_matrix, test_fraction: float = 0.2, random_state: int | None = 0,
                     min_items: int = 2) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hide a random ``test_fraction`` of each user's items (at least one).

    Every user keeps at least one item in train (so a user with 2 items hides
    at most 1, whatever ``test_fraction``), and users with fewer than
    ``min_items`` items keep them all in train. Both matrices are users x
    items with the input's shape; they add up to it. An item stored twice in
    a row is summed first, so it lands on one side only.
    """
    test_fraction = check_real(test_fraction, "test_fraction")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), not {test_fraction}")
    min_items = check_whole_number(min_items, "min_items", 2)
    user_items = canonical_csr(user_items, "user_items")
    rng = np.random.default_rng(random_state)
    counts = np.diff(user_items.indptr)
    n_test = np.where(counts >= min_items, np.maximum(1, np.round(counts * test_fraction)), 0).astype(np.int64)
    n_test = np.minimum(n_test, np.maximum(counts - 1, 0))
    rows = np.repeat(np.arange(user_items.shape[0]), counts)
    # A random rank of each entry within its row: the lowest n_test go to test.
    order = np.lexsort((rng.random(user_items.nnz), rows))
    rank = np.empty(user_items.nnz, dtype=np.int64)
    rank[order] = np.arange(user_items.nnz) - np.repeat(user_items.indptr[:-1], counts)
    is_test = rank < n_test[rows]

    def part(mask: np.ndarray) -> sp.csr_matrix:
        indptr = np.r_[0, np.cumsum(np.bincount(rows[mask], minlength=user_items.shape[0]))]
        return sp.csr_matrix((user_items.data[mask], user_items.indices[mask], indptr), shape=user_items.shape)

    return part(~is_test), part(is_test)


def recommend_top_k(score_users: ScoreFunction, train: sp.csr_matrix, k: int = 10, users: np.ndarray | None = None,
                    batch_size: int = 512) -> np.ndarray:
    """Top-k items per user by ``score_users``, skipping items the user has in ``train``.

    Items that no user has in ``train`` are never recommended (a model has
    nothing to recommend them from; their scores are artefacts). Equal scores
    are ordered by item index. A user with fewer than ``k`` items left gets
    -1 in the places beyond them.

    Parameters
    ----------
    score_users : callable
        ``score_users(user_indices) -> ndarray (len(user_indices), n_items)``.
    train : CSR, users x items
    k : int
    users : ndarray of int, optional (default: all users)
    batch_size : int

    Returns
    -------
    ndarray of int, shape (len(users), k)
    """
    train = canonical_csr(train, "train")
    n_items = train.shape[1]
    k = check_whole_number(k, "k", 1)
    if k > n_items:
        raise ValueError(f"k={k} is more than the {n_items} items there are")
    batch_size = check_whole_number(batch_size, "batch_size", 1)
    users = np.arange(train.shape[0]) if users is None else np.asarray(users)
    unseen = np.bincount(train.indices, minlength=n_items) == 0
    out = np.empty((len(users), k), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        batch = users[start:start + batch_size]
        scores = np.array(score_users(batch), dtype=np.float32, copy=True)
        if scores.shape != (len(batch), n_items):
            raise ValueError(f"score_users returned shape {scores.shape}, expected {(len(batch), n_items)}")
        if np.isnan(scores).any():
            raise ValueError("score_users returned NaN scores")
        seen = train[batch]
        scores[np.repeat(np.arange(len(batch)), np.diff(seen.indptr)), seen.indices] = -np.inf
        scores[:, unseen] = -np.inf
        top, top_scores = top_n(scores, k)
        out[start:start + batch_size] = np.where(np.isneginf(top_scores), -1, top)
    return out


def ranking_metrics(recommended: np.ndarray, test: sp.csr_matrix, users: np.ndarray | None = None, k: int = 10) -> dict[str, float]:
    """Precision, recall, MAP and NDCG at k of top-k lists against held-out items.

    Users with no held-out item are left out of the means (their lists cannot
    be right or wrong); ``users`` in the result counts those scored.

    * precision@k = hits / k
    * recall@k = hits / |held out|
    * AP@k = sum over hit positions i of precision@i, / min(k, |held out|)
    * NDCG@k = sum of 1/log2(i + 1) over hits / the same for a perfect list

    ``recommended`` holds at least k items per user, each at most once
    (-1 marks a place with no item; it is a miss).
    """
    recommended = np.asarray(recommended)
    k = check_whole_number(k, "k", 1)
    if recommended.ndim != 2 or recommended.shape[1] < k:
        raise ValueError(f"recommended must be (users, >= k={k}) lists, not shape {recommended.shape}")
    recommended = recommended[:, :k]
    ordered = np.sort(recommended, axis=1)
    repeated = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    if repeated.any():
        row = int(np.flatnonzero(repeated.any(axis=1))[0])
        raise ValueError(f"list {row} recommends an item more than once ({recommended[row].tolist()}): "
                         "each item may count as a hit once")
    test = canonical_csr(test, "test")
    users = np.arange(len(recommended)) if users is None else np.asarray(users)
    held_out = np.diff(test.indptr)[users]
    scored = held_out > 0
    if not scored.any():
        raise ValueError("no user has held-out items")
    recommended, users, held_out = recommended[scored], users[scored], held_out[scored]
    truth = test[users].tocoo()
    n_items = test.shape[1]
    truth_keys = np.sort(truth.row.astype(np.int64) * n_items + truth.col)
    hits = np.isin(np.arange(len(users))[:, None] * n_items + recommended, truth_keys) & (recommended >= 0)
    positions = np.arange(1, k + 1)
    precision_at_i = np.cumsum(hits, axis=1) / positions
    discount = 1.0 / np.log2(positions + 1)
    ideal = np.cumsum(discount)[np.minimum(held_out, k) - 1]
    return {
        "precision@k": float((hits.sum(axis=1) / k).mean()),
        "recall@k": float((hits.sum(axis=1) / held_out).mean()),
        "map@k": float(((precision_at_i * hits).sum(axis=1) / np.minimum(held_out, k)).mean()),
        "ndcg@k": float(((hits * discount).sum(axis=1) / ideal).mean()),
        "users": int(len(users)),
    }


def popularity_scorer(train: sp.csr_matrix) -> ScoreFunction:
    """The most-popular baseline: every user gets items ranked by their number of listeners."""
    train = canonical_csr(train, "train")
    listeners = np.bincount(train.indices, minlength=train.shape[1]).astype(np.float32)
    return lambda users: np.broadcast_to(listeners, (len(users), len(listeners)))


def evaluate_recommender(score_users: ScoreFunction, train: sp.csr_matrix, test: sp.csr_matrix, k: int = 10) -> dict[str, float]:
    """Recommend k items to every user with held-out items and score the lists."""
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    return ranking_metrics(recommend_top_k(score_users, train, k, users), test, users, k)
