"""Shared by tests/ and the nbval run over notebooks/."""

import os
from pathlib import Path

import pytest


def shared_data_dir() -> Path | None:
    """RECSYS_DATA_DIR when it names an existing folder (CI: ../shared/data)."""
    value = os.environ.get("RECSYS_DATA_DIR")
    return Path(value) if value and Path(value).is_dir() else None


#: What each notebook's checked outputs were computed from, beside HetRec Last.fm 2K.
NOTEBOOK_NEEDS = {"01_load.ipynb": "lastfm-dataset-360K-head10000/usersha1-artmbid-artname-plays.tsv"}


#: Notebooks that start Spark: they need the spark extra and Java 17+.
SPARK_NOTEBOOKS = {"05_spark.ipynb"}


def pytest_collection_modifyitems(config, items):
    """Notebooks run on HetRec Last.fm 2K (01 also shows the 360K head); skip them, saying why, where absent.

    Notebook 05 also needs Spark: without it, it is skipped, unless RECSYS_REQUIRE_SPARK is set (CI), where it fails.
    """
    spark_reason = None
    if any(str(item.fspath).rsplit("/", 1)[-1] in SPARK_NOTEBOOKS for item in items):
        from recsys_utils.spark import spark_unavailable

        spark_reason = spark_unavailable()
    data = shared_data_dir()
    has_2k = data is not None and (data / "hetrec2011-lastfm-2k" / "user_artists.dat").is_file()
    for item in items:
        path = str(item.fspath)
        if not path.endswith(".ipynb"):
            continue
        extra = NOTEBOOK_NEEDS.get(path.rsplit("/", 1)[-1])
        if not has_2k or (extra and not (data / extra).is_file()):
            needed = "hetrec2011-lastfm-2k/" + (f" and {extra}" if extra else "")
            item.add_marker(pytest.mark.skip(
                reason=f"this notebook's checked outputs need {needed}: set RECSYS_DATA_DIR to a folder "
                       "holding them (CI uses ../shared/data)"))
        elif spark_reason and path.rsplit("/", 1)[-1] in SPARK_NOTEBOOKS and not os.environ.get("RECSYS_REQUIRE_SPARK"):
            item.add_marker(pytest.mark.skip(reason=f"this notebook runs Spark: {spark_reason}"))
