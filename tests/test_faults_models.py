"""Fault suite, model side (issue 8): determinism, ties, and the defects found by probing.

Each test failed on the code before the fix. Data-side cases are in test_faults_data.py.
"""

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils.als import ImplicitALS
from recsys_utils.ann import ApproximateTopRelated, meta_path
from recsys_utils.evaluate import (genre_precision_at_k, popularity_scorer, ranking_metrics, recall_at_n,
                                   recommend_top_k, train_test_split)
from recsys_utils.neighbours import TopRelated, all_related
from recsys_utils.synonyms import find_synonyms
from recsys_utils.synthetic import clustered_vectors, make_synthetic
from recsys_utils.weighting import bm25_weight

THREADS = sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})


@pytest.fixture(scope="module")
def confidence():
    """BM25 confidences of 1,794 users x 1,462 artists (87K entries), users x items."""
    return bm25_weight(make_synthetic(0.005, random_state=0).item_users).T.tocsr()


@pytest.fixture(scope="module")
def confidence_with_silent_items(confidence):
    """The same with every 20th artist's listeners removed: 74 items with no listener."""
    silent = np.arange(0, confidence.shape[1], 20)
    matrix = confidence.tocsc()
    for item in silent:
        matrix.data[matrix.indptr[item]:matrix.indptr[item + 1]] = 0
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    return matrix, silent


# -- determinism -------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
@pytest.mark.parametrize("factors", [6, 16, 50, 64])
def test_same_seed_gives_identical_bits_over_repeated_fits_and_thread_counts(confidence, factors, solver):
    """Repeated fits in one process, other allocations in between, 1 and 2 threads: the same bits.

    Before the fix, CG with 16 factors gave other factors when the heap lay otherwise.
    """
    rng = np.random.default_rng(0)
    fits, keep_alive = [], []
    for threads in THREADS * 2:
        model = ImplicitALS(factors, 0.01, 2, solver=solver, random_state=7, num_threads=threads,
                            show_progress=False).fit(confidence)
        fits.append((model.user_factors, model.item_factors))
        keep_alive.append([np.empty(int(size), dtype=np.float32) for size in rng.integers(1, 3000, 20)])
    for user_factors, item_factors in fits[1:]:
        assert np.array_equal(user_factors, fits[0][0]) and np.array_equal(item_factors, fits[0][1])


def test_every_top_n_breaks_ties_by_item_index():
    factors = np.tile(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32), (30, 1))  # items 0, 2, 4 ... alike
    assert TopRelated(factors).get_related(0, 5)[0].tolist() == [2, 4, 6, 8, 10]
    assert TopRelated(factors).get_related(1, 3)[0].tolist() == [3, 5, 7]
    indices, _ = all_related(factors, 4, show_progress=False)
    assert indices[0].tolist() == [2, 4, 6, 8] and indices[3].tolist() == [1, 5, 7, 9]

    model = ImplicitALS(2, show_progress=False)
    model.user_factors = np.array([[1.0, 0.0]], dtype=np.float32)
    model.item_factors = factors
    model.user_items = sp.csr_matrix(([1.0], ([0], [4])), shape=(1, 60), dtype=np.float32)
    assert model.recommend(0, n=4)[0].tolist() == [0, 2, 6, 8]

    train = sp.csr_matrix(np.eye(6, dtype=np.float32)[[0, 1, 2, 3, 4, 5, 5, 4]])  # items 4, 5: 2 listeners
    recommended = recommend_top_k(popularity_scorer(train), train, k=3)
    assert recommended[0].tolist() == [4, 5, 1] and recommended[7].tolist() == [5, 0, 1]


# -- 1. items with no listeners -------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_items_with_no_listener_get_exactly_zero_factors_and_are_never_related(confidence_with_silent_items, solver):
    matrix, silent = confidence_with_silent_items
    model = ImplicitALS(16, 0.01, 3, solver=solver, random_state=0, show_progress=False).fit(matrix)
    assert (model.item_factors[silent] == 0).all()
    assert model.item_factors[np.setdiff1d(np.arange(matrix.shape[1]), silent)].any(axis=1).all()

    for method in ("exact", "annoy", "nndescent"):
        indices, scores = all_related(model.item_factors, 10, method=method, show_progress=False)
        assert not np.isin(indices, silent).any(), method
        assert (indices[silent] == -1).all() and np.isnan(scores[silent]).all(), method
    related, _ = TopRelated(model.item_factors).get_related(1, 50)
    assert not np.isin(related, silent).any()
    with pytest.raises(ValueError, match="all-zero factors"):
        TopRelated(model.item_factors).get_related(int(silent[0]))
    index = ApproximateTopRelated(model.item_factors, n_trees=5)
    assert not np.isin(index.get_related(1, 50)[0], silent).any()
    with pytest.raises(ValueError, match="all-zero factors"):
        index.get_related(int(silent[0]))


def test_items_with_no_listener_are_never_recommended():
    rng = np.random.default_rng(0)
    silent = np.arange(0, 60, 5)
    model = ImplicitALS(4, show_progress=False)
    model.item_factors = rng.random((60, 4), dtype=np.float32) + 0.1
    model.item_factors[silent] = 0
    model.user_factors = -rng.random((30, 4), dtype=np.float32) - 0.1  # real items score < 0 = a silent item's
    listened = rng.random((30, 60)) < 0.05
    listened[:, silent] = False
    model.user_items = sp.csr_matrix(listened.astype(np.float32))
    for user in range(30):
        items, scores = model.recommend(user, n=20)
        assert len(items) == 20 and not np.isin(items, silent).any() and (scores < 0).all()
    recommended = recommend_top_k(lambda users: model.user_factors[users] @ model.item_factors.T,
                                  model.user_items, k=20)
    assert not np.isin(recommended, silent).any()


def test_a_user_with_no_training_items_gets_an_error_not_an_arbitrary_list(confidence):
    matrix = confidence.tolil()
    matrix[5, :] = 0
    model = ImplicitALS(4, 0.1, 2, random_state=0, show_progress=False).fit(matrix.tocsr())
    with pytest.raises(ValueError, match="no items in the training matrix"):
        model.recommend(5)


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_stored_zeros_are_no_listeners(confidence, solver):
    matrix = confidence.tocsc()
    matrix.data[matrix.indptr[3]:matrix.indptr[4]] = 0  # item 3: its listeners are stored, with confidence 0
    matrix = matrix.tocsr()
    assert matrix.getcol(3).nnz > 0
    model = ImplicitALS(8, 0.01, 2, solver=solver, random_state=0, show_progress=False).fit(matrix)
    assert (model.item_factors[3] == 0).all()
    assert not (all_related(model.item_factors, 10, show_progress=False)[0] == 3).any()
    recommended = recommend_top_k(lambda users: np.ones((len(users), matrix.shape[1])), matrix, k=10)
    assert not (recommended == 3).any()


def test_lsa_gives_items_without_weight_exactly_zero_factors():
    from recsys_utils.lsa import lsa_factors

    weighted = sp.random(500, 300, density=0.05, format="lil", random_state=3)
    empty = np.arange(0, 500, 20)
    weighted[empty] = 0
    weighted = weighted.tocsr()
    factors = lsa_factors(weighted, 10)
    assert (factors[empty] == 0).all()
    assert not np.isin(all_related(factors, 5, show_progress=False)[0], empty).any()


# -- 2. repeated column indices ---------------------------------------------------------------------------


def repeated_entries():
    """Row 0 stores item 1 twice (2 + 3 plays) and row 1 stores item 2 three times."""
    data = np.array([2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 5.0, 2.0, 6.0], dtype=np.float32)
    indices = np.array([1, 1, 3, 2, 2, 2, 0, 0, 3])
    indptr = np.array([0, 3, 6, 9])
    return sp.csr_matrix((data, indices, indptr), shape=(3, 4))


def test_repeated_column_indices_are_summed_at_every_boundary():
    raw = repeated_entries()
    summed = raw.copy()
    summed.sum_duplicates()
    a = ImplicitALS(3, 0.1, 3, random_state=0, show_progress=False).fit(raw)
    b = ImplicitALS(3, 0.1, 3, random_state=0, show_progress=False).fit(summed)
    assert np.array_equal(a.user_factors, b.user_factors) and a.loss() >= 0
    assert raw.nnz == 9  # the caller's matrix is left as it was

    from recsys_utils.confidence import linear_confidence

    assert np.array_equal(linear_confidence(raw, 100).toarray(), linear_confidence(summed, 100).toarray())
    for seed in range(20):
        train, test = train_test_split(raw, 0.5, random_state=seed, min_items=2)
        assert train.multiply(test).nnz == 0 and (train + test != summed).nnz == 0

    assert popularity_scorer(raw)(np.array([0]))[0].tolist() == [1, 1, 1, 2]
    metrics = ranking_metrics(np.array([[3, 0]]), sp.csr_matrix(([1.0, 1.0], [3, 3], [0, 2]), shape=(1, 4)), k=2)
    assert metrics["recall@k"] == 1.0 and metrics["precision@k"] == 0.5


# -- 3. ranking_metrics input ---------------------------------------------------------------------------


def test_ranking_metrics_refuses_repeated_items_and_bad_k():
    test = sp.csr_matrix(np.array([[0, 1, 0, 0, 0]], dtype=np.float32))
    with pytest.raises(ValueError, match="more than once"):
        ranking_metrics(np.array([[1, 1, 1, 1, 1]]), test, k=5)
    with pytest.raises(ValueError, match="k must be"):
        ranking_metrics(np.array([[1, 2]]), test, k=0)
    with pytest.raises(ValueError, match=r">= k=3"):
        ranking_metrics(np.array([[1, 2]]), test, k=3)
    assert ranking_metrics(np.array([[1, -1, -1]]), test, k=3)["recall@k"] == 1.0  # -1: no item, a miss


# -- 4. non-finite factors -------------------------------------------------------------------------------


def test_a_fit_never_ends_with_non_finite_factors():
    few_items = sp.random(40, 5, density=0.6, format="csr", dtype=np.float32, random_state=1)
    few_items.data = 1 + 10 * few_items.data
    model = ImplicitALS(8, 0.0, 3, solver="cholesky", random_state=0, show_progress=False)
    with pytest.raises(FloatingPointError, match="regularization > 0"):
        model.fit(few_items)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.recommend(0)
    start = ImplicitALS(2, show_progress=False)
    start.init_factors(40, 5)
    start.item_factors[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        start.fit(few_items, keep_factors=True)


# -- 5. empty training rows ------------------------------------------------------------------------------


@pytest.mark.parametrize("test_fraction", [0.75, 0.9, 0.99])
def test_split_keeps_a_training_item_for_every_user(test_fraction):
    user_items = sp.random(300, 50, density=0.1, format="csr", dtype=np.float32, random_state=2)
    train, test = train_test_split(user_items, test_fraction, random_state=0)
    has_items = np.diff(user_items.indptr) > 0
    assert (np.diff(train.indptr)[has_items] >= 1).all()
    assert test.nnz > 0 and (train + test != user_items).nnz == 0


# -- 6. Annoy files --------------------------------------------------------------------------------------


@pytest.fixture
def saved_index(tmp_path):
    vectors = clustered_vectors(500, dim=16, random_state=0)
    names = [f"artist {i}" for i in range(500)]
    index = ApproximateTopRelated(vectors, n_trees=5, item_names=names)
    path = tmp_path / "artists.ann"
    index.save(path)
    return index, path, names


def test_an_annoy_index_loads_with_its_dimension_items_and_names(saved_index, tmp_path):
    index, path, names = saved_index
    loaded = ApproximateTopRelated.load(path)
    assert loaded.n_items == 500 and loaded.annoy_index.f == 16 and loaded.search_k == index.search_k
    assert loaded.get_related("artist 7", 5)[0].tolist() == index.get_related(7, 5)[0].tolist()
    few = clustered_vectors(40, dim=50, random_state=1)  # Annoy builds more trees than asked on few items
    few[[3, 9]] = 0
    small = ApproximateTopRelated(few, n_trees=10)
    small.save(tmp_path / "few.ann")
    again = ApproximateTopRelated.load(tmp_path / "few.ann")
    assert again.n_items == 40 and again.get_related(0, 5)[0].tolist() == small.get_related(0, 5)[0].tolist()
    with pytest.raises(ValueError, match="all-zero factors"):
        again.get_related(3)


def test_a_wrong_or_damaged_annoy_file_is_refused_not_a_crash(saved_index, tmp_path):
    _, path, names = saved_index
    with pytest.raises(ValueError, match="length 16, not 32"):
        ApproximateTopRelated.load(path, factors=32)
    with pytest.raises(ValueError, match="names"):
        ApproximateTopRelated.load(path, item_names=names[:10])
    with pytest.raises(ValueError, match="names"):
        ApproximateTopRelated(clustered_vectors(50, dim=4), n_trees=2, item_names=names)
    garbage = tmp_path / "garbage.ann"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, path.stat().st_size, dtype=np.uint8).tobytes())
    meta_path(garbage).write_bytes(meta_path(path).read_bytes())
    with pytest.raises(ValueError, match=r"holds -?[\d,]+ items in \d+ trees, but"):  # same size, other content
        ApproximateTopRelated.load(garbage).get_related(0)
    truncated = tmp_path / "truncated.ann"
    truncated.write_bytes(path.read_bytes()[: (16 * 4 + 12) * 100])
    meta_path(truncated).write_bytes(meta_path(path).read_bytes())
    with pytest.raises(ValueError, match="another or a damaged file"):
        ApproximateTopRelated.load(truncated)
    bare = tmp_path / "bare.ann"
    bare.write_bytes(path.read_bytes())
    with pytest.raises(FileNotFoundError, match="JSON"):
        ApproximateTopRelated.load(bare)


# -- 11. unclear messages (model side) ---------------------------------------------------------------------


def test_bad_arguments_get_clear_errors(confidence):
    model = ImplicitALS(4, 0.1, 1, random_state=0, show_progress=False).fit(confidence)
    for user in (1.0, "1", None):
        with pytest.raises(TypeError, match="userid must be a whole number"):
            model.recommend(user)
    with pytest.raises(TypeError, match="n must be a whole number"):
        model.recommend(0, n=10.0)
    for regularization in ("0.1", None):
        with pytest.raises(TypeError, match="regularization must be a number"):
            ImplicitALS(regularization=regularization)
    with pytest.raises(ValueError, match="more than the 1462 items"):
        recommend_top_k(popularity_scorer(confidence), confidence, k=5000)
    related = np.array([[1, 2], [0, 2], [0, 1]])
    with pytest.raises(ValueError, match="k must be"):
        genre_precision_at_k(related, np.array([0, 0, 1]), k=0)
    with pytest.raises(ValueError, match="fewer than the exact"):
        recall_at_n(related[:, :1], related)


def test_top_n_takes_any_numbers_and_empty_filters():
    from recsys_utils.utils import top_n

    assert top_n(np.array([[np.iinfo(np.int64).min, 5, 5]]), 2)[0].tolist() == [[1, 2]]
    assert top_n(np.array([[False, True, True]]), 1)[0].tolist() == [[1]]
    assert top_n(np.array([[3, 7, 1]], dtype=np.uint8), 2)[0].tolist() == [[1, 0]]
    factors = clustered_vectors(50, dim=4)
    assert TopRelated(factors).get_related(0, 5, filter_items=[])[0].tolist() == TopRelated(factors).get_related(0, 5)[0].tolist()


def test_evaluation_treats_places_with_no_item_as_misses():
    related = np.array([[1, -1], [0, -1], [-1, -1]])
    assert genre_precision_at_k(related, np.array([0, 0, 0]), k=2) == pytest.approx(2 / 6)
    assert recall_at_n(np.array([[1, -1], [-1, -1], [-1, -1]]), related) == 0.5
    user_items = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32))
    pairs, _ = find_synonyms(related, np.ones(related.shape), user_items, k=2)
    assert pairs.tolist() == [[0, 1]]
