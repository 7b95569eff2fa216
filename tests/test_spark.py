"""recsys_utils.spark and scripts/spark_als_job.py: Spark MLlib's implicit ALS, fed and read back in our row order.

Tests that start Spark need pyspark, pyarrow and Java 17+; they skip and say
why where one is missing, unless RECSYS_REQUIRE_SPARK is set (CI sets it:
there a missing Java fails).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_utils import spark as rspark
from recsys_utils.evaluate import evaluate_recommender, popularity_scorer, train_test_split

ROOT = Path(__file__).resolve().parents[1]
JOB = ROOT / "scripts" / "spark_als_job.py"


@pytest.fixture(scope="module")
def spark():
    reason = rspark.spark_unavailable()
    if reason:
        if os.environ.get("RECSYS_REQUIRE_SPARK"):
            pytest.fail(f"RECSYS_REQUIRE_SPARK is set but {reason}")
        pytest.skip(reason)
    session = rspark.spark_session(master="local[2]", driver_memory="1g", shuffle_partitions=4)
    yield session
    session.stop()


def two_groups(n_users: int = 40, n_items: int = 30) -> sp.csr_matrix:
    """Even users play only even items and odd users only odd ones; user 3 and item 7 play nothing."""
    rng = np.random.default_rng(5)
    users, items = np.indices((n_users, n_items))
    played = ((users + items) % 2 == 0) & (rng.random((n_users, n_items)) < 0.6)
    played[3, :] = False
    played[:, 7] = False
    plays = np.where(played, rng.integers(1, 50, (n_users, n_items)), 0)
    return sp.csr_matrix(plays.astype(np.float32))


# -- without Spark ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad, error, match", [
    (np.ones((3, 3)), TypeError, "CSR"),
    (sp.csr_matrix(np.array([[1.0, -2.0]])), ValueError, "non-negative"),
    (sp.csr_matrix(np.array([[1.0, np.nan]])), ValueError, "finite"),
    (sp.csr_matrix((4, 5), dtype=np.float32), ValueError, "no plays"),
])
def test_bad_play_counts_are_refused_before_spark_starts(bad, error, match):
    with pytest.raises(error, match=match):
        rspark.spark_als(bad, spark=object())


@pytest.mark.parametrize("kwargs, match", [({"factors": 0}, "factors"), ({"regularization": -1}, "regularization"),
                                           ({"alpha": float("nan")}, "alpha"), ({"iterations": 0}, "iterations"),
                                           ({"random_state": -1}, "random_state")])
def test_bad_parameters_are_refused_before_spark_starts(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rspark.spark_als(two_groups(), spark=object(), **kwargs)


def test_a_missing_java_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    assert rspark.java_version() is None
    with pytest.raises(rspark.SparkUnavailableError, match="openjdk-17-jre-headless"):
        rspark.spark_session()


def test_an_old_java_is_refused(monkeypatch, tmp_path):
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_392"\' >&2\n')
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    assert rspark.java_version() == 8
    with pytest.raises(rspark.SparkUnavailableError, match="Java 8 was found"):
        rspark.spark_session()


def test_driver_memory_grows_with_the_data_and_stays_within_the_machine():
    small, full = rspark.driver_memory_for(92_834, 1_892, 17_632), rspark.driver_memory_for(17_535_655, 358_868, 292_385)
    assert small == "2g" and rspark._bytes(full) > rspark._bytes(small)
    machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert rspark._bytes(rspark.driver_memory_for(10**12, 10**8, 10**8)) <= machine


def test_footprint_counts_what_spark_sends_between_blocks():
    plays = sp.csr_matrix(np.array([[1, 1, 0, 1], [0, 1, 0, 0], [1, 0, 0, 1]], dtype=np.float32))
    footprint = rspark.als_footprint(plays, factors=2, blocks=2)
    # user 0 hits item blocks {0, 1}, user 1 {1}, user 2 {0, 1}; item 0 hits user blocks {0}, item 1 {0, 1}, item 3 {0}
    assert footprint["shuffle bytes per iteration"] == (5 + 4) * 2 * 4 and footprint["shuffle measured"]
    assert footprint["plays matrix bytes"] == 6 * 8 + 4 * 4 and footprint["factor bytes"] == 7 * 2 * 4
    assert footprint["one-machine fit bytes"] == 2 * (6 * 8 + 4 * 4) + (6 * 8 + 5 * 4) + 7 * 2 * 4


def test_footprint_extrapolates_from_the_data_it_is_given():
    synthetic = sp.random(3000, 2000, 0.01, format="csr", dtype=np.float32, random_state=0)
    measured = rspark.als_footprint(synthetic, blocks=8)
    at_one = rspark.als_footprint(synthetic, blocks=8, growth=1.0000001)  # the estimate, at the data's own size
    assert not at_one["shuffle measured"] and at_one["users"] == 3000 and at_one["plays"] == synthetic.nnz
    assert abs(at_one["shuffle bytes per iteration"] / measured["shuffle bytes per iteration"] - 1) < 0.05
    bigger = rspark.als_footprint(synthetic, blocks=8, growth=100)
    assert (bigger["users"], bigger["items"], bigger["plays"]) == (300_000, 20_000, 100 * synthetic.nnz)
    assert bigger["shuffle bytes per iteration"] <= 2 * bigger["plays"] * 50 * 4
    assert bigger["one-machine fit bytes"] > 99 * measured["one-machine fit bytes"] / 2
    for bad in ({"growth": 0.5}, {"item_exponent": 2.0}, {"blocks": 0}):
        with pytest.raises(ValueError):
            rspark.als_footprint(synthetic, **bad)


def _write_output(path: Path, ids: list[int], n_users: int = 3, factors: int = 2) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, table in {
        "users": pa.table({"id": list(range(n_users)), "user": [f"u{i}" for i in range(n_users)]}),
        "items": pa.table({"id": [1, 0], "item": ["b", "a"]}),
        "user_factors": pa.table({"id": ids, "features": [[float(i), -float(i)] for i in ids]}),
        "item_factors": pa.table({"id": [0, 1], "features": [[1.0, 0.0], [0.0, 1.0]]}),
        "params": pa.table({"json": [json.dumps({"factors": factors})]}),
    }.items():
        (path / name).mkdir(parents=True)
        pq.write_table(table, path / name / "part-0.parquet")


def test_job_output_is_read_back_in_id_order_with_missing_rows_zero(tmp_path):
    _write_output(tmp_path, ids=[2, 0])
    out = rspark.load_spark_factors(tmp_path)
    assert out.user_ids.tolist() == ["u0", "u1", "u2"] and out.item_names.tolist() == ["a", "b"]
    assert out.user_factors.tolist() == [[0, 0], [0, 0], [2, -2]] and out.item_factors.dtype == np.float32
    assert out.params == {"factors": 2}


def test_damaged_job_output_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="spark_als_job"):
        rspark.load_spark_factors(tmp_path / "nothing")
    _write_output(tmp_path / "bad", ids=[5])
    with pytest.raises(ValueError, match="ids must lie in"):
        rspark.load_spark_factors(tmp_path / "bad")


# -- with Spark ---------------------------------------------------------------------------------------

def test_to_spark_holds_every_entry_once(spark):
    plays = two_groups()
    table = rspark.to_spark(plays, spark).toArrow()
    back = sp.csr_matrix((table.column("rating").to_numpy(), (table.column("user").to_numpy(),
                                                              table.column("item").to_numpy())), shape=plays.shape)
    assert table.num_rows == plays.nnz and (back != plays).nnz == 0


def test_spark_factors_come_back_in_our_row_order(spark):
    plays = two_groups()
    users, items = rspark.spark_als(plays, factors=4, regularization=0.1, alpha=1.0, iterations=5, random_state=3,
                                    spark=spark, show_progress=False)
    assert users.shape == (40, 4) and items.shape == (30, 4) and users.dtype == items.dtype == np.float32
    assert not users[3].any() and not items[7].any()  # no plays: Spark has no factors for them
    assert np.delete(users, 3, axis=0).any(axis=1).all() and np.delete(items, 7, axis=0).any(axis=1).all()
    scores = users @ items.T
    same = (np.arange(40)[:, None] + np.arange(30)[None, :]) % 2 == 0
    for u in set(range(40)) - {3}:  # every user prefers its own group: rows and columns were not mixed up
        assert scores[u, same[u] & items.any(axis=1)].mean() > scores[u, ~same[u]].mean() + 0.5


def test_the_same_seed_gives_the_same_factors(spark):
    plays = two_groups(200, 150)
    first, second = (rspark.spark_als(plays, factors=6, iterations=4, random_state=11, spark=spark,
                                      show_progress=False) for _ in range(2))
    other = rspark.spark_als(plays, factors=6, iterations=4, random_state=12, spark=spark, show_progress=False)
    for a, b in zip(first, second):  # Spark merges block sums in the order tasks end: equal to rounding
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert not np.allclose(first[1], other[1], atol=1e-3)


def test_spark_factors_beat_popularity_on_lastfm_2k(spark, hetrec_2k):
    from recsys_utils.datasets import load_dataset

    data = load_dataset("lastfm-2k", data_dir=hetrec_2k.parent, show_progress=False)
    train, test = train_test_split(data.user_items, 0.2, random_state=42)
    users, items = rspark.spark_als(train, factors=32, regularization=1.0, alpha=0.03, iterations=8,
                                    random_state=0, spark=spark, show_progress=False)
    spark_map = evaluate_recommender(lambda u: users[u] @ items.T, train, test, 10)["map@k"]
    popular_map = evaluate_recommender(popularity_scorer(train), train, test, 10)["map@k"]
    assert spark_map > popular_map + 0.03, (spark_map, popular_map)


# -- the spark-submit job -----------------------------------------------------------------------------

QUIRKS = [
    "",                                            # blank line
    "quirk-a\tm-1\tthree fields",                  # not 4 tab-separated fields
    "quirk-a\tm-1\tsome band\tmany",               # plays not a whole number
    "\tm-1\tsome band\t5",                         # no user id
    "quirk-a\tm-1\tsome band\t0",                  # zero plays
    "quirk-b\tmbid-zeta\tzeta band\t3",
    "quirk-c\tmbid-zeta\t\t7",                     # no name: recovered from its MBID
    "quirk-c\tmbid-nowhere\t\t7",                  # no name, and nothing names its MBID
    "quirk-g\tmbid-nowhere\t\t3",                  # a user with no other line: kept, with no plays
    'quirk-d\t\t"lee ""scratch"" perry"\t4',       # CSV-quoted name
    'quirk-e\t\tlee "scratch" perry\t2',
    "quirk-f\t\tdup band\t1",                      # a repeated (user, artist): summed
    "quirk-f\t\tdup band\t2",
]


def test_the_job_under_spark_submit_reads_the_360k_head_as_the_package_does(spark, head_360k, tmp_path):
    from recsys_utils.formats import read_lastfm_360k

    data_file = tmp_path / "plays.tsv"
    data_file.write_bytes(head_360k.read_bytes() + ("\n".join(QUIRKS) + "\n").encode())
    out = tmp_path / "out"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYSPARK_PYTHON": sys.executable}
    command = [str(bin_dir / "spark-submit"), "--master", "local[2]", "--driver-memory", "1g",
               "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=4",
               str(JOB), str(data_file), str(out), "--factors", "8", "--iterations", "3"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "10,013 lines" in run.stdout

    with pytest.warns(UserWarning, match="not the official"):
        ours = read_lastfm_360k(data_file, show_progress=False)
    result = rspark.load_spark_factors(out)
    assert result.item_names.tolist() == ours.artist_names.tolist()
    assert result.user_ids.tolist() == ours.user_ids.tolist()
    assert result.user_factors.shape == (ours.n_users, 8) and result.item_factors.shape == (ours.n_artists, 8)
    assert result.item_factors.any(axis=1).all()
    assert not result.user_factors[result.user_ids.tolist().index("quirk-g")].any()  # no plays: a zero row
    lines = result.params["lines"]
    assert lines.pop("lines") == 10_013 and lines.pop("names recovered from MBIDs") == ours.report.names_recovered == 1
    assert lines == ours.report.dropped
    assert result.params["ratings"] == ours.user_items.nnz
    assert not (out / "_checkpoints").exists()

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 2 and "--overwrite" in again.stdout + again.stderr  # the JVM relays Python's stderr
