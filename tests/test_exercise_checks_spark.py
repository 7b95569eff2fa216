"""The checks of notebook 05's exercises, on tiny stand-ins for the notebook's variables (no Spark, no Java).

Each exercise: the notebook's own solution cell passes, and wrong answers fail with their hint.
"""

from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_utils.evaluate import evaluate_recommender, train_test_split
from recsys_utils.exercise_checks import check
from recsys_utils.neighbours import TopRelated
from recsys_utils.workshop import exercises

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_spark.ipynb"
K, N_USERS, N_ARTISTS = 5, 40, 30


def solution(number: str) -> str:
    """The source of the solution cell of exercise ``number`` in the notebook."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    found = [e for e in exercises(notebook, NOTEBOOK.stem) if e.number == number]
    assert found, f"no exercise {number} in {NOTEBOOK.name}"
    return notebook.cells[found[0].cells[1]].source


def namespace() -> dict:
    rng = np.random.default_rng(3)
    plays = sp.random(N_USERS, N_ARTISTS, density=0.3, random_state=rng, format="csr", dtype=np.float32)
    plays.data = np.ceil(100 * plays.data)
    plays = sp.csr_matrix(plays.toarray() * (np.arange(N_ARTISTS) >= 5))  # five artists nobody played
    train, test = train_test_split(plays, 0.2, random_state=1)
    names = np.array([f"artist {i}" for i in range(N_ARTISTS)], dtype=object)
    factors = rng.standard_normal((N_ARTISTS, 4)).astype(np.float32)
    users = rng.standard_normal((N_USERS, 8)).astype(np.float32)
    items = rng.standard_normal((N_ARTISTS, 8)).astype(np.float32)
    held_out = pd.DataFrame({"map@k": [0.01, evaluate_recommender(lambda u: users[u] @ items.T, train, test, K)["map@k"],
                                       0.02]})
    job = SimpleNamespace(item_names=names[::-1].copy(), item_listeners=rng.integers(0, 20, N_ARTISTS),
                          item_factors=rng.standard_normal((N_ARTISTS, 3)).astype(np.float32))

    def spark_fit(plays_part, regularization, factors=8):
        r = np.random.default_rng(factors)
        return (r.standard_normal((plays_part.shape[0], factors)).astype(np.float32),
                r.standard_normal((plays_part.shape[1], factors)).astype(np.float32))

    def ranking(user_factors, item_factors, train_part, test_part):
        return evaluate_recommender(lambda u: user_factors[u] @ item_factors.T, train_part, test_part, K)

    return {"np": np, "train": train, "test": test, "K": K, "MIN_LISTENERS": 10, "held_out": held_out,
            "spark_fit": spark_fit, "ranking": ranking, "spark_regularization": 1.0, "FACTORS": 8,
            "names": names, "spark_related": TopRelated(factors, names), "present": ["artist 3", "artist 7"],
            "job": job, "job_related": TopRelated(job.item_factors, job.item_names)}


def run(number: str, wrong: str | None = None) -> None:
    ns = namespace()
    exec(solution(number), ns)
    if wrong is not None:
        exec(wrong, ns)
    check(number, ns)


@pytest.mark.parametrize("number", ["5.1", "5.2", "5.3"])
def test_the_notebooks_solution_passes(number, capsys):
    run(number)
    assert f"Exercise {number}: correct" in capsys.readouterr().out


@pytest.mark.parametrize("number, wrong, hint", [
    ("5.1", "del spark_item_lambda", "Define `spark_item_lambda`"),
    ("5.1", "spark_item_lambda = spark_user_lambda", "one entry per artist"),
    ("5.1", "spark_user_lambda = spark_user_lambda + 1", "number of stored entries"),
    ("5.1", "lambda_spread = float(spark_item_lambda.max() / np.median(spark_item_lambda))", "leave out artists"),
    ("5.2", "spark_20_user_factors = spark_20_user_factors[:, :10]", r"\(40, 20\)"),
    ("5.2", "spark_20_user_factors = spark_20_user_factors * 0", "all zeros"),
    ("5.2", "map_spark_20 = map_spark_20 + 0.01", "MAP@5 of these factors"),
    ("5.2", "spark_20_gain = -spark_20_gain", "not the other way round"),
    ("5.3", "job_neighbours = [str(n) for n in job.item_names[job_related.get_related(present[1], K)[0]]]",
     "leaving out those with fewer"),
    ("5.3", "job_neighbours = job_neighbours[::-1]", "best first"),
    ("5.3", "job_neighbours = np.array(job_neighbours)", "list of artist names"),
    ("5.3", "shared_with_spark = shared_with_spark + 1", "how many of job_neighbours"),
])
def test_wrong_answers_fail_with_their_hint(number, wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        run(number, wrong)
