"""The model contract (tests/recommender_contract.py) for ImplicitALS, with both solvers."""

import numpy as np
import pytest
from recommender_contract import RecommenderContract

from recsys_utils.als import ImplicitALS


class TestImplicitALSCG(RecommenderContract):
    def make_model(self):
        return ImplicitALS(factors=3, regularization=0.0, iterations=15, solver="cg", random_state=23,
                           show_progress=False)


class TestImplicitALSCholesky(RecommenderContract):
    def make_model(self):
        return ImplicitALS(factors=3, regularization=0.0, iterations=15, solver="cholesky", random_state=23,
                           show_progress=False)


def test_a_fit_callback_sees_the_factors_of_its_own_iteration():
    from recommender_contract import checkerboard

    seen = []
    model = ImplicitALS(factors=3, regularization=0.01, iterations=3, random_state=1, show_progress=False)
    model.fit(checkerboard(), callback=lambda it, seconds, m: seen.append(m.similar_items(0, n=3)[1].copy()))
    fresh = ImplicitALS(factors=3, regularization=0.01, iterations=1, random_state=1, show_progress=False)
    assert np.array_equal(seen[0], fresh.fit(checkerboard()).similar_items(0, n=3)[1])
    assert np.array_equal(seen[-1], model.similar_items(0, n=3)[1])


def test_a_numpy_seed_is_saved_and_a_model_without_its_training_matrix_says_what_to_pass(tmp_path):
    from recommender_contract import checkerboard

    model = ImplicitALS(factors=3, iterations=2, random_state=np.int64(7), show_progress=False).fit(checkerboard())
    model.save(tmp_path / "model.npz", include_user_items=False)
    loaded = ImplicitALS.load(tmp_path / "model.npz")
    assert loaded.random_state == 7
    for call in (lambda: loaded.explain(0, None, 3), loaded.loss, lambda: loaded.recommend(0)):
        with pytest.raises(ValueError, match="pass user_items"):
            call()
