"""The checks of notebook 06's exercises, on tiny stand-ins for the notebook's variables.

Each exercise: the notebook's own solution cell passes, and wrong answers fail with their hint.
"""

from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils.bpr import BayesianPersonalizedRanking
from recsys_utils.evaluate import evaluate_recommender, train_test_split
from recsys_utils.exercise_checks import check
from recsys_utils.lmf import LogisticMF
from recsys_utils.workshop import exercises

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_lmf_bpr.ipynb"
K, N_USERS, N_ARTISTS = 5, 60, 40


def solution(number: str) -> str:
    """The source of the solution cell of exercise ``number`` in the notebook."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    found = [e for e in exercises(notebook, NOTEBOOK.stem) if e.number == number]
    assert found, f"no exercise {number} in {NOTEBOOK.name}"
    return notebook.cells[found[0].cells[1]].source


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(4)
    plays = sp.random(N_USERS, N_ARTISTS, density=0.25, random_state=rng, format="csr", dtype=np.float32)
    plays.data = np.ceil(50 * plays.data)
    plays = sp.csr_matrix(plays.toarray() * (np.arange(N_ARTISTS) >= 3))  # three artists nobody played
    train, test = train_test_split(plays, 0.2, random_state=1)
    lmf = LogisticMF(4, iterations=3, random_state=0, show_progress=False).fit(train)
    listeners = np.diff(plays.tocsc().indptr)
    queries = np.flatnonzero(listeners >= np.median(listeners))  # a strict subset: positions are not artists
    top_lists = {m: np.random.default_rng(i).integers(0, len(queries), (len(queries), K))
                 for i, m in enumerate(("LSA", "ALS", "LMF", "BPR"))}
    return {"train": train, "test": test, "lmf": lmf, "listeners": listeners, "queries": queries,
            "top_lists": top_lists}


def run(number: str, fitted: dict, wrong: str | None = None) -> None:
    ns = {"np": np, "K": K, "BayesianPersonalizedRanking": BayesianPersonalizedRanking,
          "evaluate_recommender": evaluate_recommender, "BPR_FACTORS": 4, "BPR_ITERATIONS": 3, "RANDOM_STATE": 0, "BPR_THREADS": 1,
          **fitted}
    exec(solution(number), ns)
    if wrong is not None:
        exec(wrong, ns)
    check(number, ns)


@pytest.mark.parametrize("number", ["6.1", "6.2", "6.3"])
def test_the_notebooks_solution_passes(number, fitted, capsys):
    run(number, fitted)
    assert f"Exercise {number}: correct" in capsys.readouterr().out


@pytest.mark.parametrize("number, wrong, hint", [
    ("6.1", "bpr_popular = BayesianPersonalizedRanking(4, iterations=3, random_state=0, show_progress=False)"
            ".fit(train)", "pass negative_sampling"),
    ("6.1", "bpr_popular = BayesianPersonalizedRanking(4, iterations=3, negative_sampling='popularity', "
            "random_state=0, show_progress=False)", "not fitted"),
    ("6.1", "bpr_popular.iterations = 2", "iterations=3"),
    ("6.1", "map_bpr_popular = map_bpr_popular + 0.1", "held-out MAP@5"),
    ("6.2", "mean_related_listeners = {m: float(listeners[l].mean()) for m, l in top_lists.items()}",
     "positions within queries"),
    ("6.2", "mean_related_listeners.pop('BPR')", "one entry per method"),
    ("6.2", "least_popular_method = max(mean_related_listeners, key=mean_related_listeners.get)", "lowest mean"),
    ("6.3", "heavy_probabilities = lmf.user_factors[heavy] @ lmf.item_factors.T", "pass them through the sigmoid"),
    ("6.3", "heavy_probabilities = heavy_probabilities[:-1]", "one probability per artist"),
    ("6.3", "played_mean, unplayed_mean = unplayed_mean, played_mean", "played_mean should be the mean"),
    ("6.3", "unplayed_mean = float(heavy_probabilities[~played].mean())", "nobody played in train"),
])
def test_wrong_answers_fail_with_their_hint(number, wrong, hint, fitted):
    with pytest.raises(AssertionError, match=hint):
        run(number, fitted, wrong)
