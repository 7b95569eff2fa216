"""Checks of notebook 05's exercises (Spark MLlib's ALS). None of them starts Spark."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from recsys_utils.evaluate import evaluate_recommender

from .registry import exercise, need

_HINT = "See the task above."


def _counts(matrix, axis: int) -> np.ndarray:
    """Stored entries per row (axis 1) or per column (axis 0) of a sparse matrix."""
    return np.diff(matrix.tocsr().indptr) if axis == 1 else np.diff(matrix.tocsc().indptr)


@exercise("5.1")
def check_regularization_per_row(ns: Mapping) -> None:
    """Spark's lambda of every user and artist at regParam=1.0, and the spread over the artists."""
    user_lambda, item_lambda, spread = need(ns, "spark_user_lambda", "spark_item_lambda", "lambda_spread", hint=_HINT)
    train = ns["train"]
    for name, value, axis, what in (("spark_user_lambda", user_lambda, 1, "user (row)"),
                                    ("spark_item_lambda", item_lambda, 0, "artist (column)")):
        expected = _counts(train, axis).astype(np.float64)
        value = np.asarray(value)
        assert value.shape == expected.shape, (
            f"{name} should have one entry per {what} of train, {expected.shape[0]:,}, not shape {value.shape}.")
        assert np.allclose(value, expected), (
            f"{name} should be 1.0 times each {what}'s number of stored entries in train; "
            + ("it looks like the other side's counts: rows are users, columns artists." if axis == 0
               and np.allclose(np.sort(value), np.sort(_counts(train, 1))) else
               "np.diff(train.indptr) counts per row, np.diff(train.tocsc().indptr) per column."))
    positive = _counts(train, 0)[_counts(train, 0) > 0]
    expected_spread = positive.max() / np.median(positive)
    assert np.ndim(spread) == 0 and np.isfinite(float(spread)), f"lambda_spread should be one number, not {spread!r}."
    assert np.isclose(float(spread), expected_spread, rtol=1e-6), (
        f"lambda_spread should be the largest spark_item_lambda over the median of those above zero, "
        f"{expected_spread:.1f} here" + (": the median must leave out artists without listeners."
                                          if np.isclose(float(spread), positive.max() / np.median(_counts(train, 0)))
                                          else "."))


@exercise("5.2")
def check_fewer_factors(ns: Mapping) -> None:
    """Spark's factors with 20 factors, their held-out MAP@10 and the gain over FACTORS factors."""
    users, items, map_20, gain = need(ns, "spark_20_user_factors", "spark_20_item_factors", "map_spark_20",
                                      "spark_20_gain", hint=_HINT)
    train, test, K, held_out = ns["train"], ns["test"], ns["K"], ns["held_out"]
    for name, value, rows in (("spark_20_user_factors", users, train.shape[0]),
                              ("spark_20_item_factors", items, train.shape[1])):
        value = np.asarray(value)
        assert value.shape == (rows, 20), (
            f"{name} should have shape ({rows:,}, 20): one row per "
            f"{'user' if 'user' in name else 'artist'} and 20 factors (pass factors=20), not {value.shape}.")
    assert np.asarray(users).any(), "spark_20_user_factors is all zeros: assign what spark_fit returns."
    expected = evaluate_recommender(lambda u: np.asarray(users)[u] @ np.asarray(items).T, train, test, K)["map@k"]
    assert np.ndim(map_20) == 0 and np.isclose(float(map_20), expected, atol=1e-9), (
        f"map_spark_20 should be the MAP@{K} of these factors on the test split, {expected:.4f}: "
        "ranking(spark_20_user_factors, spark_20_item_factors, train, test)['map@k'].")
    assert np.isclose(float(gain), expected - held_out["map@k"].iloc[1], atol=1e-9), (
        "spark_20_gain should be map_spark_20 minus Spark's MAP@10 with FACTORS factors "
        "(held_out['map@k'].iloc[1])" + (", not the other way round." if np.isclose(
            float(gain), held_out["map@k"].iloc[1] - expected, atol=1e-9) else "."))


@exercise("5.3")
def check_job_neighbours(ns: Mapping) -> None:
    """The job's related artists of present[1] among artists with enough listeners, and the overlap with section 4."""
    neighbours, shared = need(ns, "job_neighbours", "shared_with_spark", hint=_HINT)
    job, job_related, artist = ns["job"], ns["job_related"], ns["present"][1]
    K, min_listeners = ns["K"], ns["MIN_LISTENERS"]
    rare = np.flatnonzero(job.item_listeners < min_listeners)
    expected = [str(n) for n in job.item_names[job_related.get_related(artist, K, filter_items=rare)[0]]]
    assert isinstance(neighbours, list) and all(isinstance(n, str) for n in neighbours), (
        f"job_neighbours should be a list of artist names (str), not {type(neighbours).__name__}: "
        "look the indices up in job.item_names.")
    unfiltered = [str(n) for n in job.item_names[job_related.get_related(artist, K)[0]]]
    assert neighbours == expected, (
        f"job_neighbours should be the {K} artists nearest to {artist!r} by the job's factors, best first, "
        + ("leaving out those with fewer than MIN_LISTENERS listeners (filter_items)." if neighbours == unfiltered
           else f"among artists with at least MIN_LISTENERS listeners; the first should be {expected[0]!r}."))
    spark_names = set(ns["names"][ns["spark_related"].get_related(artist, K)[0]])
    expected_shared = len(set(expected) & spark_names)
    assert isinstance(shared, (int, np.integer)) and int(shared) == expected_shared, (
        f"shared_with_spark should be an int, how many of job_neighbours are in section 4's Spark list for "
        f"{artist!r} ({expected_shared} here), not {shared!r}.")
