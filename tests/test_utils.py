"""The shared helpers of recsys_utils.utils."""

import numpy as np
import pytest

from recsys_utils.utils import check_real, check_whole_number, dot_scores


def test_dot_scores_equals_its_numpy_twin_and_does_not_depend_on_the_batch():
    rng = np.random.default_rng(5)
    vectors, items = rng.standard_normal((7, 33), dtype=np.float32), rng.standard_normal((500, 33), dtype=np.float32)
    batch = dot_scores(vectors, items)
    np.testing.assert_allclose(batch, vectors @ items.T, rtol=1e-5, atol=1e-5)
    for u in range(7):
        assert np.array_equal(dot_scores(vectors[u:u + 1], items)[0], batch[u])


def test_number_checks_say_what_is_wrong():
    assert check_whole_number(np.int64(3), "n", 1) == 3
    for bad in (3.0, "3", None, True):
        with pytest.raises(TypeError, match="n must be a whole number"):
            check_whole_number(bad, "n")
    with pytest.raises(ValueError, match="n must be >= 1 and <= 5, not 6"):
        check_whole_number(6, "n", 1, 5)
    assert check_real(np.float32(0.5), "alpha", 0.0) == 0.5
    with pytest.raises(TypeError, match="alpha must be a number"):
        check_real("0.5", "alpha")
    with pytest.raises(ValueError, match="finite"):
        check_real(float("nan"), "alpha")


def test_limit_threads_sets_numba_and_blas_for_the_block_and_restores_them(tmp_path):
    import numba
    from threadpoolctl import threadpool_info

    from recsys_utils.utils import limit_threads, write_npz

    before = numba.get_num_threads()
    with limit_threads(1) as wanted:
        assert wanted == 1 and numba.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
    assert numba.get_num_threads() == before
    with limit_threads(0) as wanted:
        assert wanted == numba.config.NUMBA_NUM_THREADS
    with pytest.raises(ValueError, match="num_threads"):
        with limit_threads(10_000):
            pass
    write_npz(tmp_path / "a.npz", {"x": np.arange(3)})
    assert np.load(tmp_path / "a.npz")["x"].tolist() == [0, 1, 2] and len(list(tmp_path.iterdir())) == 1


def test_limit_threads_can_hold_blas_apart_from_numba():
    import numba
    from threadpoolctl import threadpool_info

    from recsys_utils.utils import limit_threads

    with limit_threads(None, blas_threads=1) as wanted:
        assert wanted == numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
        assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
