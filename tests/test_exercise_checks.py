"""The dispatcher of the exercise checks: numbers, registration, and missing variables."""

import pytest

from recsys_utils.exercise_checks import check
from recsys_utils.exercise_checks.registry import CHECKS, exercise, need


def test_unknown_exercises_are_keyerrors():
    with pytest.raises(KeyError, match="no exercises for notebook 9"):
        check("9.1", {})
    with pytest.raises(KeyError, match="no check for exercise '1.99'"):
        check("1.99", {})


def test_a_number_registers_once():
    @exercise("0.1")
    def first(ns):
        assert ns["x"] == 1, "x should be 1"

    try:
        with pytest.raises(ValueError, match="already has a check"):
            exercise("0.1")(first)
        CHECKS["0.1"]({"x": 1})
        with pytest.raises(AssertionError, match="x should be 1"):
            CHECKS["0.1"]({"x": 2})
    finally:
        CHECKS.pop("0.1")


def test_need_names_what_is_missing():
    assert need({"a": 1, "b": 2}, "a", "b") == (1, 2) and need({"a": 1}, "a") == 1
    with pytest.raises(AssertionError, match="Define `b` first. It is a list"):
        need({"a": 1}, "a", "b", hint="It is a list")
