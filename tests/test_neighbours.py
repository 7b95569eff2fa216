"""Related items: TopRelated and all_related against brute-force cosine; name lookup."""

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


@pytest.mark.parametrize("block_bytes", [1, 300 * 4 * 7, 1 << 30])
def test_all_related_matches_brute_force_whatever_the_block(factors, block_bytes, monkeypatch):
    monkeypatch.setattr(neighbours, "MIN_BLOCK_ROWS", 1)  # let tiny blocks (1 and 7 rows) happen
    expected, expected_scores = brute_force(factors.astype(np.float64), 10)
    indices, scores = all_related(factors, n=10, block_bytes=block_bytes, show_progress=False)
    assert indices.shape == (300, 10) and scores.dtype == np.float32
    assert (indices == expected).mean() > 0.999  # equal up to ties of float32 rounding
    np.testing.assert_allclose(scores, expected_scores, atol=1e-5)
    assert (scores <= 1 + 1e-6).all() and (scores >= -1 - 1e-6).all()




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

