"""Synonyms: artists that are each other's neighbours yet share no listener.

Two names of one artist ("Arcade Fire", "The Arcade Fire") are listened to by
different people in the same way. Co-occurrence methods can never relate them,
since no user plays both; a factorization can, because their listeners look
alike. The blog shows this for LSA. This finds such pairs.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .utils import canonical_csr


def find_synonyms(related: np.ndarray, scores: np.ndarray, user_items: sp.csr_matrix, k: int = 10,
                  min_listeners: int = 1) -> np.ndarray:
    """Pairs that are in each other's top k related items and have no listener in common.

    Parameters
    ----------
    related, scores : ndarray, shape (n_items, >= k)
        Related items of every item, best first, and their similarities.
    user_items : CSR, users x items
        Who listened to what.
    k : int
    min_listeners : int
        Leave out items with fewer listeners (their factors mean little).

    Returns
    -------
    pairs : ndarray of int, shape (m, 2)
        Items (a, b) with a < b, most similar first.
    similarity : ndarray of float, shape (m,)
    """
    related, scores = np.asarray(related)[:, :k], np.asarray(scores)[:, :k]
    n_items = related.shape[0]
    user_items = canonical_csr(user_items, "user_items")
    if user_items.shape[1] != n_items:
        raise ValueError(f"user_items has {user_items.shape[1]} items (columns), related lists cover {n_items}")
    a = np.repeat(np.arange(n_items), k)
    b = related.ravel()
    a, b = a[b >= 0], b[b >= 0]  # -1: a place with no item
    keys = np.minimum(a, b).astype(np.int64) * n_items + np.maximum(a, b)
    pair_keys, counts = np.unique(keys, return_counts=True)
    mutual = pair_keys[counts == 2]  # listed from both sides
    first, second = mutual // n_items, mutual % n_items
    listeners = np.bincount(user_items.indices, minlength=n_items)
    enough = (listeners[first] >= min_listeners) & (listeners[second] >= min_listeners)
    first, second = first[enough], second[enough]
    item_users = (user_items.T.tocsr() > 0).astype(np.float32)
    shared = np.asarray(item_users[first].multiply(item_users[second]).sum(axis=1)).ravel()
    first, second = first[shared == 0], second[shared == 0]
    position = (related[first] == second[:, None]).argmax(axis=1)
    similarity = scores[first, position].astype(np.float64)
    order = np.argsort(-similarity, kind="stable")
    return np.column_stack([first[order], second[order]]), similarity[order]
