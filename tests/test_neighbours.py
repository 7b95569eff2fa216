"""Related items: TopRelated and all_related against brute-force cosine; name lookup."""

import numba
import numpy as np
import pytest

from recsys_utils import neighbours
from recsys_utils.neighbours import ItemNames, TopRelated, UnknownItemError, all_related


def brute_force(factors, n):
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit = factors / np.where(norms > 0, norms, 1)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :n]
    return order, np.take_along_axis(sims, order, axis=1)


@pytest.fixture
def factors():
    return np.random.default_rng(0).standard_normal((300, 12)).astype(np.float32)


def test_top_related_matches_brute_force(factors):
    expected, expected_scores = brute_force(factors.astype(np.float64), 10)
    top = TopRelated(factors)
    for item in (0, 17, 299):
        indices, scores = top.get_related(item, n=10)
        assert list(indices) == list(expected[item])
        np.testing.assert_allclose(scores, expected_scores[item], atol=1e-5)
    indices, scores = top.get_related(5, n=3, include_self=True)
    assert indices[0] == 5 and scores[0] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("tile_rows", [1, 7, 64, 299, 300, 1000])  # 300 items: tiles of 1, a ragged edge, one tile
def test_all_related_matches_brute_force_whatever_the_tile(factors, tile_rows, monkeypatch):
    monkeypatch.setattr(neighbours, "MIN_TILE_ROWS", 1)  # let tiny tiles happen
    monkeypatch.setattr(neighbours, "TILE_ROWS", tile_rows)
    expected, expected_scores = brute_force(factors.astype(np.float64), 10)
    indices, scores = all_related(factors, n=10, show_progress=False)
    assert indices.shape == (300, 10) and indices.dtype == np.int32 and scores.dtype == np.float32
    assert (indices == expected).mean() > 0.999  # equal up to ties of float32 rounding
    np.testing.assert_allclose(scores, expected_scores, atol=1e-5)
    assert (scores <= 1 + 1e-6).all() and (scores >= -1 - 1e-6).all()


def test_block_bytes_bounds_the_tiles_of_every_core(monkeypatch):
    cores = numba.config.NUMBA_NUM_THREADS
    assert neighbours._tile_rows(300_000, neighbours.SCORE_BLOCK_BYTES) <= neighbours.TILE_ROWS
    for block_bytes in (0, 1, 4 * 300**2 * cores, 4 * 500**2 * cores + 3):
        side = neighbours._tile_rows(300_000, block_bytes)
        assert side == neighbours.MIN_TILE_ROWS or cores * 4 * side**2 <= block_bytes
    assert neighbours._tile_rows(100, 1) == 100  # fewer items than the smallest tile: one tile
    monkeypatch.setattr(neighbours, "MIN_TILE_ROWS", 1)
    assert neighbours._tile_rows(300, 4 * 7**2 * cores) == 7
    factors = np.random.default_rng(2).standard_normal((50, 4))
    one_tile, _ = all_related(factors, 5, show_progress=False)
    tiles_of_one_score, _ = all_related(factors, 5, block_bytes=1, show_progress=False)
    assert (tiles_of_one_score == one_tile).mean() > 0.99  # BLAS may round a 1 x 1 product otherwise


def exactly_scored(n_items, seed):
    """Vectors of four ones in 16 dimensions, where ties (and twins, at 1.0) abound.

    Unit rows hold 0 and 0.5, so every cosine (a multiple of 1/4) is exact whatever the BLAS
    kernel and its order of summation: the lists must equal the reference entry by entry.
    """
    rng = np.random.default_rng(seed)
    factors = np.zeros((n_items, 16), np.float32)
    for row in factors:
        row[rng.choice(16, 4, replace=False)] = 1.0
    return factors


def exact_reference(factors, n):
    """The top n of every row among the others, by cosine, then item index; -1/NaN where there is none."""
    nonzero = factors.any(axis=1)
    unit = factors / np.where(nonzero, np.linalg.norm(factors, axis=1), 1.0)[:, None]
    sims = unit.astype(np.float64) @ unit.T.astype(np.float64)
    sims[:, ~nonzero] = -np.inf
    np.fill_diagonal(sims, -np.inf)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :n]
    scores = np.take_along_axis(sims, order, axis=1)
    order[~np.isfinite(scores)] = -1
    order[~nonzero] = -1
    scores = np.where(order >= 0, scores, np.nan)
    return order, scores.astype(np.float32)


@pytest.mark.parametrize("tile_rows", [1, 5, 16, 37, 100])
@pytest.mark.parametrize("n", [1, 10, 98, 99])  # 99: every other item
def test_ties_and_twins_across_tiles_are_ordered_by_index(tile_rows, n, monkeypatch):
    monkeypatch.setattr(neighbours, "MIN_TILE_ROWS", 1)
    monkeypatch.setattr(neighbours, "TILE_ROWS", tile_rows)
    factors = exactly_scored(100, seed=tile_rows)
    factors[[3, 40, 77]] = factors[60]  # twins in other tiles: cosine 1, as with itself, which is never listed
    expected, expected_scores = exact_reference(factors, n)
    for threads in {1, min(2, numba.config.NUMBA_NUM_THREADS)}:
        indices, scores = all_related(factors, n, show_progress=False, num_threads=threads)
        assert np.array_equal(indices, expected), f"{threads} threads"
        np.testing.assert_array_equal(scores, expected_scores)
        assert not (indices == np.arange(100)[:, None]).any()


@pytest.mark.parametrize("tile_rows", [3, 8, 50])
def test_items_without_factors_across_tiles(tile_rows, monkeypatch):
    monkeypatch.setattr(neighbours, "MIN_TILE_ROWS", 1)
    monkeypatch.setattr(neighbours, "TILE_ROWS", tile_rows)
    factors = exactly_scored(50, seed=1)
    empty = [0, 7, 8, 9, 31, 49]  # at tile edges too
    factors[empty] = 0
    for n in (5, 43, 49):  # 43: every other item with factors; 49: more places than items with factors
        expected, expected_scores = exact_reference(factors, n)
        indices, scores = all_related(factors, n, show_progress=False)
        assert np.array_equal(indices, expected)
        np.testing.assert_array_equal(scores, expected_scores)  # NaN where no item
        assert (indices[empty] == -1).all() and np.isnan(scores[empty]).all()
        assert not np.isin(indices, empty).any()
    assert (all_related(factors, 49, show_progress=False)[0][:, 43:] == -1).all()


def test_results_do_not_depend_on_the_threads(factors):
    runs = [all_related(factors, 10, show_progress=False, num_threads=t, block_bytes=1)
            for t in (1, numba.config.NUMBA_NUM_THREADS)]
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])


def test_progress_bar_and_single_item(factors, capsys, monkeypatch):
    monkeypatch.delenv("RECSYS_PROGRESS", raising=False)
    indices, _ = all_related(factors, 3, show_progress=True)
    assert indices.shape == (300, 3) and "related items" in capsys.readouterr().err
    indices, scores = all_related(factors[:2], 1, show_progress=False)
    assert list(indices[:, 0]) == [1, 0]
    lonely = np.zeros((3, 4))
    lonely[1, 0] = 1  # the one item with factors: nothing to relate it to
    indices, scores = all_related(lonely, 2, show_progress=False)
    assert (indices == -1).all() and np.isnan(scores).all()


def test_an_error_in_a_thread_reaches_the_caller(factors, monkeypatch):
    def broken(*args):
        raise RuntimeError("kernel failed")

    monkeypatch.setattr(neighbours, "MIN_TILE_ROWS", 1)
    monkeypatch.setattr(neighbours, "TILE_ROWS", 50)
    monkeypatch.setattr(neighbours, "merge_tile_top_n", broken)
    for threads in {1, min(2, numba.config.NUMBA_NUM_THREADS)}:
        with pytest.raises(RuntimeError, match="kernel failed"):
            all_related(factors, 5, show_progress=False, num_threads=threads)


def empty_lists(n_items, n):
    return (np.full((n_items, n), -np.inf, np.float32), np.full((n_items, n), -1, np.int32),
            np.full(n_items, -np.inf, np.float32))


@pytest.mark.parametrize("decimals", [None, 1])  # 1 decimal: ties everywhere
@pytest.mark.parametrize("n", [1, 4, 40])  # 40: more places than a few rows get candidates
def test_tile_merge_kernel_equals_the_numpy_twin(decimals, n):
    from recsys_utils.utils import merge_tile_top_n, merge_tile_top_n_reference

    rng = np.random.default_rng(n)
    n_items = 90
    kernel, twin = empty_lists(n_items, n), empty_lists(n_items, n)
    # tiles in a shuffled order, of ragged shapes: on the diagonal (self excluded) and mirrored above it
    tiles = [(a, b, 30) for a in range(0, 90, 30) for b in range(a, 90, 30)]
    tiles += [(0, 60, 17), (13, 0, 13)]  # pairs met again, with other scores: still as the twin does
    for k in rng.permutation(len(tiles)):
        first_row, first_column, side = tiles[k]
        tile = rng.standard_normal((side, min(side + 3, n_items - first_column))).astype(np.float32)
        if decimals is not None:
            tile = np.round(tile, decimals)
        mirrored = first_row + side <= first_column
        merge_tile_top_n(tile, first_row, first_column, *kernel, mirrored)
        merge_tile_top_n_reference(tile, first_row, first_column, *twin, mirrored)
        for ours, theirs in zip(kernel, twin):
            assert np.array_equal(ours, theirs)
    best, indices, floor = kernel
    assert np.array_equal(floor, best[:, -1])
    assert not (indices == np.arange(n_items)[:, None]).any()


@pytest.mark.parametrize("decimals", [None, 1])
def test_lists_that_share_a_floor_merge_into_the_one_list(decimals):
    from recsys_utils.utils import merge_tile_top_n, merge_top_n

    rng = np.random.default_rng(5)
    n_items, n = 120, 6
    whole = empty_lists(n_items, n)
    (left_best, left_indices, floor), (right_best, right_indices, _) = empty_lists(n_items, n), empty_lists(n_items, n)
    tiles = [(a, b) for a in range(0, n_items, 20) for b in range(a, n_items, 20)]
    for k, t in enumerate(rng.permutation(len(tiles))):  # the tiles in any order, dealt to two lists
        first_row, first_column = tiles[t]
        tile = rng.standard_normal((20, 20)).astype(np.float32)
        if decimals is not None:
            tile = np.round(tile, decimals)
        mirrored = first_row != first_column
        merge_tile_top_n(tile, first_row, first_column, *whole, mirrored)
        if k % 3:
            merge_tile_top_n(tile, first_row, first_column, left_best, left_indices, floor, mirrored)
        else:
            merge_tile_top_n(tile, first_row, first_column, right_best, right_indices, floor, mirrored)
    assert (floor <= whole[0][:, -1]).all()
    merge_top_n(left_best, left_indices, right_best, right_indices)
    assert np.array_equal(left_best, whole[0]) and np.array_equal(left_indices, whole[1])


def test_bad_inputs(factors):
    with pytest.raises(ValueError, match="between 1 and 299"):
        all_related(factors, n=300, show_progress=False)
    with pytest.raises(ValueError, match="n must be >= 1"):
        TopRelated(factors).get_related(0, n=0)
    assert len(TopRelated(factors).get_related(0, n=500)[0]) == 299  # more than there are: all of them
    bad = factors.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TopRelated(bad)
    with pytest.raises(ValueError, match="2-d"):
        all_related(factors[0], show_progress=False)
    with pytest.raises(IndexError):
        TopRelated(factors).get_related(300)
    with pytest.raises(TypeError, match="no item names"):
        TopRelated(factors).get_related("radiohead")


def test_names_are_case_insensitive_and_unknown_names_suggest_near_matches():
    names = ItemNames(["Radiohead", "The Beatles", "Beatles Tribute", "Muse", "radiohead"])
    assert names.index("Radiohead") == 0 and names.index("radiohead") == 4  # exact case wins
    assert names.index("THE BEATLES") == 1 and names.index(3) == 3
    with pytest.raises(UnknownItemError) as error:
        names.index("the beatels")
    assert "No artist named 'the beatels'" in str(error.value) and "'The Beatles'" in str(error.value)
    with pytest.raises(UnknownItemError, match="Beatles Tribute"):
        names.index("beatles")  # no close match by ratio, but a substring one


def test_top_related_by_name(factors):
    names = [f"artist {i}" for i in range(300)]
    top = TopRelated(factors, names)
    assert list(top.get_related("ARTIST 17")[0]) == list(TopRelated(factors).get_related(17)[0])
    with pytest.raises(ValueError, match="names"):
        TopRelated(factors, names[:10])


@pytest.mark.parametrize("decimals", [None, 1])  # 1 decimal: hundreds of ties in every row
def test_numba_top_n_equals_the_numpy_twin(decimals):
    from recsys_utils.utils import top_n_rows
    from recsys_utils.utils import top_n

    scores = np.random.default_rng(4).standard_normal((50, 400)).astype(np.float32)
    if decimals is not None:
        scores = np.round(scores, decimals)
    indices, best = top_n_rows(scores, 7, 10)  # row r skips column 10 + r
    masked = scores.copy()
    masked[np.arange(50), 10 + np.arange(50)] = -np.inf
    expected, expected_scores = top_n(masked, 7)
    assert (indices == expected).all() and np.array_equal(best, expected_scores)


def test_filtered_items_are_never_related(factors):
    everything, _ = TopRelated(factors).get_related(0, n=10)
    filtered, scores = TopRelated(factors).get_related(0, n=10, filter_items=everything[:4])
    assert list(filtered[:6]) == list(everything[4:]) and not set(filtered) & set(everything[:4])
    with pytest.raises(IndexError):
        TopRelated(factors).get_related(0, filter_items=[300])

