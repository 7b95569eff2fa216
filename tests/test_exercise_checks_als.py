"""The checks of notebook 03's exercises, on tiny synthetic stand-ins for the notebook's variables.

Each exercise: the notebook's solution passes, and wrong answers fail with their hint. No real
data and no ALS fit: the fitted models are replaced by small arrays or by a NumPy stand-in.
"""

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy
import scipy.sparse as sp

from recsys_utils.als import ImplicitALS
from recsys_utils.confidence import bm25_confidence
from recsys_utils.evaluate import evaluate_recommender, train_test_split
from recsys_utils.exercise_checks import check

K = 5
N_USERS, N_ARTISTS, FACTORS = 40, 24, 6
PLAYS = {"Daft Punk": 1200, "Justice": 800, "The Chemical Brothers": 600, "Kraftwerk": 400, "Boards of Canada": 300}


def _plays(seed: int = 0) -> sp.csr_matrix:
    """Play counts, users x artists, every user with a few artists."""
    rng = np.random.default_rng(seed)
    m = sp.random(N_USERS, N_ARTISTS, density=0.3, random_state=rng, format="csr", dtype=np.float32)
    m.data = np.ceil(200 * m.data)
    return m


def _data() -> SimpleNamespace:
    names = np.array(list(PLAYS) + [f"artist {i}" for i in range(N_ARTISTS - len(PLAYS))], dtype=object)
    return SimpleNamespace(user_items=_plays(), artist_names=names, n_artists=N_ARTISTS)


def _run(number: str, ns: dict, wrong: str | None = None) -> None:
    """Run the check on ``ns`` after the statements ``wrong`` (which break the right answer)."""
    if wrong is not None:
        exec(wrong, ns)
    check(number, ns)


# -- 3.1 ----------------------------------------------------------------------------------------------

def _solve(item_factors: np.ndarray, confidence_row: sp.csr_matrix, regularization: float) -> np.ndarray:
    """What als.recalculate_user returns, in NumPy (float64 solve, float32 out)."""
    Y = item_factors.astype(np.float64)
    own, c = confidence_row.indices, confidence_row.data.astype(np.float64)
    Yu = Y[own]
    A = Y.T @ Y + Yu.T @ ((c - 1)[:, None] * Yu) + regularization * np.eye(Y.shape[1])
    return np.linalg.solve(A, Yu.T @ c)[None, :].astype(np.float32)


SOLUTION_31 = """
new_user_columns = [int(np.flatnonzero(data.artist_names == name)[0]) for name in PLAYS]
new_user_items = scipy.sparse.csr_matrix(
    (np.array(list(PLAYS.values()), dtype=np.float32), ([0] * len(new_user_columns), new_user_columns)),
    shape=(1, data.n_artists))
new_user_confidence = bm25_confidence(scipy.sparse.vstack([data.user_items, new_user_items]).tocsr())[-1]
new_user_factors = recalculate_user(new_user_confidence)
new_user_scores = new_user_factors[0] @ als.item_factors.T
new_user_scores[new_user_columns] = -np.inf
new_user_recommended = np.argsort(-new_user_scores, kind="stable")[:K]
"""


@pytest.fixture
def ns_31() -> dict:
    """The notebook's variables that check 3.1 reads, and the right answer."""
    rng = np.random.default_rng(1)
    als = SimpleNamespace(item_factors=rng.standard_normal((N_ARTISTS, FACTORS)).astype(np.float32),
                          factors=FACTORS, regularization=0.01)
    ns = {"np": np, "scipy": scipy, "bm25_confidence": bm25_confidence, "data": _data(), "als": als, "K": K,
          "PLAYS": PLAYS, "recalculate_user": lambda row: _solve(als.item_factors, row.tocsr(), als.regularization)}
    exec(SOLUTION_31, ns)
    return ns


def test_3_1_right_answer_passes(ns_31, capsys):
    _run("3.1", ns_31)
    assert capsys.readouterr().out == "Exercise 3.1: correct\n"


@pytest.mark.parametrize("wrong, hint", [
    ("del new_user_recommended", "Define `new_user_recommended` first"),
    ("new_user_items = new_user_items.toarray()", "should be a scipy.sparse matrix of shape"),
    ("new_user_items = new_user_items.copy(); new_user_items.data[:] = 1", "not their play counts"),
    ("new_user_items = scipy.sparse.csr_matrix(([5.0], ([0], [7])), shape=(1, data.n_artists))",
     "exactly the five artists' columns"),
    ("new_user_confidence = new_user_items.copy()", "holds the raw play counts"),
    ("new_user_confidence = bm25_confidence(new_user_items)", "bm25_confidence(new_user_items) alone is wrong"),
    ("new_user_confidence = new_user_confidence[:, :-1]", "should be a sparse matrix of shape"),
    ("new_user_factors = recalculate_user(new_user_items)", "not the least-squares solution"),
    ("new_user_factors = als.item_factors[[0]].copy()", "not the least-squares solution"),
    ("new_user_factors = new_user_factors[0]", "should be the array als.recalculate_user"),
    ("new_user_recommended = np.argsort(-(new_user_factors[0] @ als.item_factors.T), kind='stable')[:K]",
     "already played"),
    ("new_user_recommended = new_user_recommended[::-1].copy()", "sorted best first"),
    ("new_user_recommended = new_user_recommended[:-1]", "1-d NumPy array of 5 artist indices"),
    ("new_user_recommended = new_user_recommended.astype(float)", "1-d NumPy array of 5 artist indices"),
    ("new_user_recommended = np.r_[new_user_recommended[:-1], new_user_recommended[0]]", "more than once"),
    ("_w = new_user_factors[0] @ als.item_factors.T; _w[new_user_columns] = np.inf; "
     "new_user_recommended = np.argsort(_w)[:K]", "not the 5 best-scored artists"),
])
def test_3_1_wrong_answers_fail_with_their_hint(ns_31, wrong, hint):
    with pytest.raises(AssertionError, match=re.escape(hint)):
        _run("3.1", ns_31, wrong)


def test_3_1_another_dataset_accepts_any_five_artists(ns_31, capsys):
    """Without the table's artists (another DATASET), the check asks for plays, not for those five columns."""
    ns_31["data"].artist_names = np.array([f"artist {i}" for i in range(N_ARTISTS)], dtype=object)
    ns_31["PLAYS"] = dict(zip(ns_31["data"].artist_names[3:8], PLAYS.values()))
    exec(SOLUTION_31, ns_31)
    _run("3.1", ns_31)
    assert capsys.readouterr().out == "Exercise 3.1: correct\n"


# -- 3.2 ----------------------------------------------------------------------------------------------

def _fake_fit(model: ImplicitALS, user_items: sp.csr_matrix) -> ImplicitALS:
    """Stand in for model.fit: seeded factors of the right shapes, and the training matrix kept, as fit does."""
    model.init_factors(*user_items.shape)
    model.user_items = user_items
    return model


SOLUTION_32 = """
als_40 = fake_fit(ImplicitALS(40, REGULARIZATION, ITERATIONS, random_state=RANDOM_STATE, show_progress=False),
                  train_confidence)
map_40 = evaluate_recommender(lambda u: als_40.user_factors[u] @ als_40.item_factors.T, train, test, K)["map@k"]
map_gain = map_40 - held_out.loc["ALS cg (BM25)", "map@k"]
"""


@pytest.fixture
def ns_32() -> dict:
    """The notebook's variables that check 3.2 reads, and the right answer."""
    data = _data()
    train, test = train_test_split(data.user_items, 0.2, random_state=42)
    held_out = pd.DataFrame({"map@k": [0.05, 0.07]}, index=["LSA (BM25)", "ALS cg (BM25)"])
    ns = {"np": np, "ImplicitALS": ImplicitALS, "evaluate_recommender": evaluate_recommender, "fake_fit": _fake_fit,
          "data": data, "train": train, "test": test, "train_confidence": bm25_confidence(train),
          "confidence": bm25_confidence(data.user_items), "held_out": held_out, "K": K, "FACTORS": 50,
          "REGULARIZATION": 0.01, "ITERATIONS": 15, "RANDOM_STATE": 42}
    exec(SOLUTION_32, ns)
    return ns


def test_3_2_right_answer_passes(ns_32, capsys):
    _run("3.2", ns_32)
    assert capsys.readouterr().out == "Exercise 3.2: correct\n"


@pytest.mark.parametrize("wrong, hint", [
    ("del map_gain", "Define `map_gain` first"),
    ("als_40 = als_40.item_factors", "should be the ImplicitALS model itself"),
    ("als_40 = ImplicitALS(40, REGULARIZATION, ITERATIONS, random_state=RANDOM_STATE)", "not fitted yet"),
    ("als_40 = fake_fit(ImplicitALS(50, REGULARIZATION, ITERATIONS, random_state=RANDOM_STATE), train_confidence)",
     "should have 40 factors"),
    ("als_40 = fake_fit(ImplicitALS(40, REGULARIZATION, ITERATIONS, random_state=RANDOM_STATE), confidence)",
     "should be fitted on train_confidence"),
    ("als_40 = fake_fit(ImplicitALS(40, REGULARIZATION, ITERATIONS, random_state=RANDOM_STATE), train)",
     "should be fitted on train_confidence"),
    ("als_40 = fake_fit(ImplicitALS(40, 0.1, ITERATIONS, random_state=RANDOM_STATE), train_confidence)",
     "Keep everything but the factors"),
    ("als_40 = fake_fit(ImplicitALS(40, REGULARIZATION, ITERATIONS, solver='cholesky', random_state=RANDOM_STATE),"
     " train_confidence)", "Keep everything but the factors"),
    ("als_40 = fake_fit(ImplicitALS(40, REGULARIZATION, ITERATIONS), train_confidence)", "Seed the fit"),
    ("map_40 = evaluate_recommender(lambda u: als_40.user_factors[u] @ als_40.item_factors.T, train, test, K)",
     "should be one number"),
    ("map_40 = evaluate_recommender(lambda u: als_40.user_factors[u] @ als_40.item_factors.T, train, test, K)"
     "['precision@k']", "is not the MAP@5 of als_40 on the test split"),
    ("map_40 = map_40 + 0.01", "is not the MAP@5 of als_40 on the test split"),
    ("map_gain = -map_gain", "should be map_40 minus"),
    ("map_gain = str(map_gain)", "should be map_40 minus"),
])
def test_3_2_wrong_answers_fail_with_their_hint(ns_32, wrong, hint):
    assert not np.isclose(ns_32["map_gain"], 0)  # so that the reversed gain is wrong
    with pytest.raises(AssertionError, match=re.escape(hint)):
        _run("3.2", ns_32, wrong)


# -- 3.3 ----------------------------------------------------------------------------------------------

def _fake_fit_als(c: sp.csr_matrix) -> SimpleNamespace:
    """Stand in for the notebook's fit_als: the rank-3 SVD of the confidences (no numba, deterministic)."""
    u, s, vt = np.linalg.svd(np.asarray(c.todense(), dtype=np.float64), full_matrices=False)
    return SimpleNamespace(user_factors=u[:, :3] * s[:3], item_factors=vt[:3].T)


def _als_metrics(model, train_part, test_part):
    return evaluate_recommender(lambda u: model.user_factors[u] @ model.item_factors.T, train_part, test_part, K)


def _shifted_bm25(plays, a):
    c = bm25_confidence(plays)
    c.data = 1 + a * c.data
    return c


def _scaled_bm25(plays, s):
    c = bm25_confidence(plays)
    c.data *= s
    return c


SOLUTION_33 = """
confidence_small = shifted_bm25(fit_part, 0.01)
validation_map_small = als_metrics(fit_als(confidence_small), fit_part, validation)["map@k"]
smaller_is_better = bool(validation_map_small > chosen.loc["1 + a x BM25", "validation map@k"])
"""


@pytest.fixture(params=[-0.01, 0.01], ids=["smaller is better", "smaller is worse"])
def ns_33(request) -> dict:
    """The notebook's variables that check 3.3 reads, and the right answer (both ways round)."""
    data = _data()
    train, test = train_test_split(data.user_items, 0.2, random_state=42)
    fit_part, validation = train_test_split(train, 0.2, random_state=43)
    ns = {"np": np, "bm25_confidence": bm25_confidence, "shifted_bm25": _shifted_bm25, "scaled_bm25": _scaled_bm25,
          "fit_als": _fake_fit_als, "als_metrics": _als_metrics, "data": data, "train": train, "test": test,
          "fit_part": fit_part, "validation": validation, "K": K}
    small_map = _als_metrics(_fake_fit_als(_shifted_bm25(fit_part, 0.01)), fit_part, validation)["map@k"]
    ns["chosen"] = pd.DataFrame({"scale": [0.03], "validation map@k": [small_map + request.param]},
                                index=pd.Index(["1 + a x BM25"], name="confidence"))
    exec(SOLUTION_33, ns)
    assert ns["smaller_is_better"] == (request.param < 0)
    return ns


def test_3_3_right_answer_passes(ns_33, capsys):
    _run("3.3", ns_33)
    assert capsys.readouterr().out == "Exercise 3.3: correct\n"


@pytest.mark.parametrize("wrong, hint", [
    ("del confidence_small", "Define `confidence_small` first"),
    ("confidence_small = confidence_small.toarray()", "should be a sparse users x artists matrix"),
    ("confidence_small = shifted_bm25(train, 0.01)", "should have exactly fit_part's"),
    ("confidence_small = shifted_bm25(fit_part[:, :-1], 0.01)", "should be a sparse users x artists matrix"),
    ("confidence_small = shifted_bm25(data.user_items, 0.01)", "should have exactly fit_part's"),
    ("confidence_small = scaled_bm25(fit_part, 0.01)", "is 0.01 x BM25"),
    ("confidence_small = shifted_bm25(fit_part, 0.03)", "is not 1 + 0.01 x BM25 of fit_part"),
    ("validation_map_small = als_metrics(fit_als(confidence_small), fit_part, validation)",
     "should be one number"),
    ("validation_map_small = als_metrics(fit_als(confidence_small), fit_part, test)['map@k']",
     "is not the validation MAP@5"),
    ("validation_map_small = als_metrics(fit_als(shifted_bm25(fit_part, 0.03)), fit_part, validation)['map@k']",
     "is not the validation MAP@5"),
    ("smaller_is_better = not smaller_is_better", "should say whether validation_map_small"),
    ("smaller_is_better = str(smaller_is_better)", "should be True or False"),
    ("smaller_is_better = int(smaller_is_better)", "should be True or False"),
])
def test_3_3_wrong_answers_fail_with_their_hint(ns_33, wrong, hint):
    with pytest.raises(AssertionError, match=re.escape(hint)):
        _run("3.3", ns_33, wrong)
