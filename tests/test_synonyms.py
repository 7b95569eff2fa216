"""The synonym finder on hand-made lists and on synthetic data with planted aliases."""

import numpy as np
import scipy.sparse as sp

from recsys_utils.lsa import lsa_factors
from recsys_utils.neighbours import all_related
from recsys_utils.synonyms import find_synonyms
from recsys_utils.synthetic import make_synthetic
from recsys_utils.weighting import bm25_weight


def test_mutual_neighbours_without_common_listeners():
    related = np.array([[1, 2], [0, 2], [0, 1]])
    scores = np.array([[0.9, 0.5], [0.9, 0.4], [0.5, 0.4]])
    user_items = sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 1]], dtype=np.float32))  # 0 and 1 never together
    pairs, similarity = find_synonyms(related, scores, user_items, k=2)
    assert pairs.tolist() == [[0, 1]] and similarity.tolist() == [0.9]
    assert find_synonyms(related, scores, user_items, k=2, min_listeners=2)[0].shape == (0, 2)


def test_finds_the_planted_aliases():
    data = make_synthetic(0.01, random_state=0)
    factors = lsa_factors(bm25_weight(data.item_users), 50, random_state=0)
    related, scores = all_related(factors, 10, show_progress=False)
    pairs, _ = find_synonyms(related, scores, data.user_items, k=10)
    found = {tuple(p) for p in pairs}
    planted = {tuple(sorted(p)) for p in data.truth.alias_pairs}
    assert len(found & planted) >= 0.8 * len(planted)
    by_artist = data.user_items.T.tocsr()
    assert all(len(np.intersect1d(by_artist[a].indices, by_artist[b].indices)) == 0 for a, b in pairs)
