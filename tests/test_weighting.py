"""BM25 and TF-IDF against their formulas computed entry by entry."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils.weighting import bm25_weight, tfidf_weight


@pytest.fixture
def counts():
    return sp.random(30, 40, density=0.2, random_state=np.random.default_rng(0),
                     data_rvs=lambda n: np.random.default_rng(1).integers(1, 500, n)).tocsr()


def test_bm25_matches_the_formula_entry_by_entry(counts):
    K1, B = 100.0, 0.8
    weighted = bm25_weight(counts, K1=K1, B=B)
    dense = counts.toarray()
    n_docs = dense.shape[0]
    df = (dense > 0).sum(axis=0)
    lengths = dense.sum(axis=1)
    avg = lengths.mean()
    for d, t in zip(*counts.nonzero()):
        x = dense[d, t]
        idf = math.log(n_docs / (1 + df[t]))
        expected = x * (K1 + 1) / (K1 * ((1 - B) + B * lengths[d] / avg) + x) * idf
        assert weighted[d, t] == pytest.approx(expected, rel=1e-5)
    assert weighted.nnz == counts.nnz and weighted.dtype == np.float32 and weighted.format == "csr"


def test_tfidf_matches_the_formula_entry_by_entry(counts):
    weighted = tfidf_weight(counts)
    dense = counts.toarray()
    df = (dense > 0).sum(axis=0)
    for d, t in zip(*counts.nonzero()):
        assert weighted[d, t] == pytest.approx(math.sqrt(dense[d, t]) * math.log(30 / (1 + df[t])), rel=1e-5)


def test_bm25_damps_long_documents_and_saturates_counts():
    X = sp.csr_matrix(np.array([[1, 0, 0, 0], [1, 50, 50, 50], [0, 0, 0, 1], [0, 0, 0, 1]], dtype=float))
    w = bm25_weight(X, K1=1.0, B=1.0).toarray()
    assert w[0, 0] > w[1, 0]  # same count in a shorter document weighs more


def test_inputs_are_not_modified_and_bad_ones_rejected(counts):
    before = counts.copy()
    bm25_weight(counts)
    assert (counts != before).nnz == 0
    with pytest.raises(TypeError):
        bm25_weight(counts.toarray())
    with pytest.raises(ValueError, match="non-negative"):
        bm25_weight(sp.csr_matrix(np.array([[1.0, -2.0]])))
    with pytest.raises(ValueError, match="B"):
        bm25_weight(counts, B=1.5)
