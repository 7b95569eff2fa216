"""The model contract (tests/recommender_contract.py) for ImplicitALS, with both solvers."""

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
