"""Metrics against values computed by hand on tiny cases; the split; the baseline."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils.evaluate import (
    alias_recovery_at_k,
    evaluate_recommender,
    genre_precision_at_k,
    popularity_scorer,
    ranking_metrics,
    recall_at_n,
    recommend_top_k,
    train_test_split,
)


def test_alias_recovery_needs_both_directions():
    related = np.array([[1, 2], [0, 2], [3, 0], [0, 1]])
    pairs = np.array([[0, 1], [2, 3]])  # 0<->1 both ways; 2 lists 3 but 3 does not list 2
    assert alias_recovery_at_k(related, pairs, k=2) == 0.5
    assert alias_recovery_at_k(related, pairs, k=1) == 0.5
    with pytest.raises(ValueError, match="at least k=3"):
        alias_recovery_at_k(related, pairs, k=3)


def test_genre_precision():
    related = np.array([[1, 2], [0, 2], [0, 1]])
    genres = np.array([0, 0, 1])
    assert genre_precision_at_k(related, genres, k=2) == pytest.approx((0.5 + 0.5 + 0.0) / 3)
    assert genre_precision_at_k(related, genres, k=1, items=np.array([0, 1])) == 1.0


def test_recall_at_n():
    assert recall_at_n(np.array([[1, 2], [3, 4]]), np.array([[2, 1], [3, 5]])) == 0.75


def test_ranking_metrics_by_hand():
    test = sp.csr_matrix(np.array([[0, 1, 0, 1, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=np.float32))
    recommended = np.array([[3, 0, 1], [1, 2, 3], [4, 2, 1]])
    m = ranking_metrics(recommended, test, k=3)
    # user 0: hits at 1 and 3 of 2 held out; user 1 has none (left out); user 2: no hit of 1
    assert m["users"] == 2
    assert m["precision@k"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall@k"] == pytest.approx((1 + 0) / 2)
    assert m["map@k"] == pytest.approx(((1 / 1 + 2 / 3) / 2 + 0) / 2)
    ndcg0 = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m["ndcg@k"] == pytest.approx((ndcg0 + 0) / 2)


def test_ranking_metrics_with_no_held_out_items_is_an_error():
    with pytest.raises(ValueError, match="no user has held-out items"):
        ranking_metrics(np.array([[0]]), sp.csr_matrix((1, 3), dtype=np.float32), k=1)


@pytest.fixture
def user_items():
    rng = np.random.default_rng(0)
    return sp.random(200, 100, density=0.1, random_state=rng, format="csr", dtype=np.float32)


def test_split_is_disjoint_complete_and_seeded(user_items):
    train, test = train_test_split(user_items, 0.25, random_state=1)
    assert (train + test != user_items).nnz == 0
    assert train.multiply(test).nnz == 0
    counts, held = np.diff(user_items.indptr), np.diff(test.indptr)
    assert (held[counts >= 2] == np.maximum(1, np.round(counts[counts >= 2] * 0.25))).all()
    assert (held[counts < 2] == 0).all()
    again, _ = train_test_split(user_items, 0.25, random_state=1)
    other, _ = train_test_split(user_items, 0.25, random_state=2)
    assert (again != train).nnz == 0 and (other != train).nnz > 0


def test_recommendations_skip_listened_items_and_popularity_ranks_by_listeners(user_items):
    train, test = train_test_split(user_items, 0.2, random_state=0)
    recs = recommend_top_k(popularity_scorer(train), train, k=5, batch_size=7)
    listeners = np.bincount(train.indices, minlength=train.shape[1])
    for u in range(train.shape[0]):
        assert not set(recs[u]) & set(train[u].indices)
        unseen = np.setdiff1d(np.arange(train.shape[1]), train[u].indices)
        assert listeners[recs[u]].min() >= np.sort(listeners[unseen])[-5]
    oracle = lambda users: test[users].toarray()  # noqa: E731 - scores that know the answer
    assert evaluate_recommender(oracle, train, test, k=5)["recall@k"] == pytest.approx(
        np.mean(np.minimum(5, np.diff(test.indptr)[np.diff(test.indptr) > 0]) / np.diff(test.indptr)[np.diff(test.indptr) > 0]))


def test_recall_with_ties_counts_an_item_tied_with_the_last_as_found():
    from recsys_utils.evaluate import recall_at_n_with_ties

    factors = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    exact = np.array([[1, 2], [0, 2], [3, 1], [2, 1], [3, 2]])
    scores = np.array([[np.cos(0.0997), 0.0], [0.995, 0.0995], [1.0, 0.0995], [1.0, 0.0995], [0.0, 0.0]])
    found = np.array([[1, 3], [0, 3], [3, 1], [2, 1], [2, 1]])  # 3 is tied with 2 where 2 was last
    assert recall_at_n_with_ties(found, exact, scores, factors) == 1.0 - 1 / 10
    assert recall_at_n(found, exact) < recall_at_n_with_ties(found, exact, scores, factors)
    with pytest.raises(ValueError, match="same items"):
        recall_at_n_with_ties(found[:2], exact, scores, factors)
