"""Approximate related items (Annoy, NN-descent) against the exact search."""

import numba
import numpy as np
import pytest

from recsys_utils.ann import ApproximateTopRelated, angular_to_cosine, drop_self
from recsys_utils.evaluate import recall_at_n
from recsys_utils.neighbours import UnknownItemError, all_related, normalize_rows
from recsys_utils.synthetic import clustered_vectors


@pytest.fixture(scope="module")
def vectors():
    return clustered_vectors(3000, dim=32, random_state=0)


@pytest.fixture(scope="module")
def exact(vectors):
    return all_related(vectors, 10, show_progress=False)


def cosine(vectors, i, j):
    unit = normalize_rows(vectors)
    return np.sum(unit[i] * unit[j], axis=-1)


@pytest.mark.parametrize("method, floor", [("annoy", 0.95), ("nndescent", 0.95)])
def test_recall_against_exact_and_true_cosines(vectors, exact, method, floor):
    indices, scores = all_related(vectors, 10, method=method, show_progress=False,
                                  num_threads=min(2, numba.config.NUMBA_NUM_THREADS))
    assert indices.shape == (3000, 10) and indices.dtype == np.int32
    assert recall_at_n(indices, exact[0]) >= floor
    assert (indices != np.arange(3000)[:, None]).all()  # never itself
    np.testing.assert_allclose(scores, cosine(vectors, np.arange(3000)[:, None], indices), atol=1e-4)
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_annoy_by_name_and_persistence(vectors, tmp_path):
    names = [f"artist {i}" for i in range(len(vectors))]
    index = ApproximateTopRelated(vectors, n_trees=10, search_k=2000, item_names=names, random_state=1)
    related, scores = index.get_related("ARTIST 5", n=5)
    assert 5 not in related and (scores <= 1).all() and (scores >= -1).all()
    with pytest.raises(UnknownItemError, match="'artist 5'"):
        index.get_related("artist 5x")
    path = tmp_path / "index.ann"
    index.save(path)
    loaded = ApproximateTopRelated.load(path, factors=vectors.shape[1], search_k=2000, item_names=names)
    assert loaded.n_trees == 10 and loaded.n_items == len(vectors)
    again, again_scores = loaded.get_related(5, n=5)
    assert list(again) == list(related) and np.allclose(again_scores, scores)
    with pytest.raises(FileNotFoundError):
        ApproximateTopRelated.load(tmp_path / "missing.ann", factors=32)


def test_same_seed_same_annoy_lists(vectors):
    a = ApproximateTopRelated(vectors[:500], n_trees=5, search_k=100, random_state=3).all_related(5, show_progress=False)
    b = ApproximateTopRelated(vectors[:500], n_trees=5, search_k=100, random_state=3).all_related(5, show_progress=False)
    assert (a[0] == b[0]).all()


def test_bad_inputs(vectors):
    with pytest.raises(ValueError, match="between 1 and 2999"):
        all_related(vectors, 3000, method="annoy", show_progress=False)
    with pytest.raises(ValueError, match="between 1 and 2999"):
        all_related(vectors, 3000, method="nndescent")
    bad = vectors.copy()
    bad[0, 0] = np.nan
    for method in ("exact", "annoy", "nndescent"):
        with pytest.raises(ValueError, match="NaN"):
            all_related(bad, 5, method=method, show_progress=False)
    with pytest.raises(ValueError, match="unknown method"):
        all_related(vectors, 5, method="faiss")
    with pytest.raises(TypeError, match="options"):
        all_related(vectors, 5, n_trees=3)
    with pytest.raises(ValueError, match="n_neighbors"):
        all_related(vectors, 10, method="nndescent", n_neighbors=5)


def test_helpers():
    assert np.allclose(angular_to_cosine([0.0, np.sqrt(2.0), 2.0]), [1.0, 0.0, -1.0], atol=1e-6)
    indices = np.array([[0, 2, 1], [2, 1, 0], [1, 2, 0]])
    scores = np.array([[1.0, 0.9, 0.8], [0.7, 1.0, 0.6], [1.0, 0.5, 0.4]])
    out, out_scores = drop_self(indices, scores, 2)
    assert out.tolist() == [[2, 1], [2, 0], [1, 0]]
    assert np.allclose(out_scores, [[0.9, 0.8], [0.7, 0.6], [1.0, 0.4]])
    short, short_scores = drop_self(np.array([[0, 1, -1]]), np.array([[1.0, 0.5, 0.0]]), 2)
    assert short.tolist() == [[1, -1]] and short_scores[0, 0] == 0.5 and np.isnan(short_scores[0, 1])
