"""The model contract (tests/recommender_contract.py) for BayesianPersonalizedRanking and LogisticMF."""

import numpy as np
import pytest
from recommender_contract import N, RecommenderContract, checkerboard

from recsys_utils.bpr import BayesianPersonalizedRanking
from recsys_utils.lmf import LogisticMF


class TestBPR(RecommenderContract):
    RECALCULATES_USERS = False

    def make_model(self):
        return BayesianPersonalizedRanking(factors=8, learning_rate=0.05, regularization=0.001, iterations=200,
                                           random_state=23, num_threads=1, show_progress=False)


class TestBPRPopularityNegatives(TestBPR):
    def make_model(self):
        return BayesianPersonalizedRanking(factors=8, learning_rate=0.05, regularization=0.001, iterations=200,
                                           negative_sampling="popularity", random_state=23, num_threads=1,
                                           show_progress=False)


class TestLMF(RecommenderContract):
    RECALCULATES_USERS = False

    def make_model(self):
        return LogisticMF(factors=8, learning_rate=0.1, regularization=0.01, iterations=100, alpha=5.0,
                          neg_prop=5, random_state=23, num_threads=1, show_progress=False)


@pytest.mark.parametrize("make", [
    lambda: BayesianPersonalizedRanking(factors=4, iterations=3, random_state=1, show_progress=False),
    lambda: LogisticMF(factors=4, iterations=3, random_state=1, show_progress=False)])
def test_a_fit_callback_sees_the_factors_and_figures_of_its_own_epoch(make):
    seen = []
    model = make()
    model.fit(checkerboard(), callback=lambda it, seconds, m: seen.append(
        (it, seconds, m.item_factors.copy(), dict(m.history[-1]))))
    assert [s[0] for s in seen] == [1, 2, 3] and all(s[1] >= 0 for s in seen)
    assert np.array_equal(seen[-1][2], model.item_factors) and not np.array_equal(seen[0][2], seen[-1][2])
    assert [s[3]["epoch"] for s in seen] == [1, 2, 3] and len(model.history) == 3


@pytest.mark.parametrize("cls, columns", [(BayesianPersonalizedRanking, 1), (LogisticMF, 2)])
def test_factors_carry_the_bias_columns_and_a_saved_model_keeps_its_factors_count(cls, columns, tmp_path):
    model = cls(factors=4, iterations=2, random_state=np.int64(3), show_progress=False).fit(checkerboard())
    assert model.factors == 4 and model.user_factors.shape == (N, 4 + columns)
    assert model.item_factors.shape == (N, 4 + columns)
    model.save(tmp_path / "m.npz")
    loaded = cls.load(tmp_path / "m.npz")
    assert loaded.factors == 4 and loaded.random_state == 3
    assert np.array_equal(loaded.item_factors, model.item_factors)
    with pytest.raises(ValueError, match="holds a"):
        (LogisticMF if cls is BayesianPersonalizedRanking else BayesianPersonalizedRanking).load(tmp_path / "m.npz")
