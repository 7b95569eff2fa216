"""The checks of the notebooks' exercises, kept out of the notebooks so that they do not show the answers.

A check cell is one call::

    from recsys_utils.exercise_checks import check
    check("2.3", globals())

which runs the check registered for exercise 2.3 on the notebook's variables:
it raises AssertionError with a hint when the learner's answer is not right,
and prints ``Exercise 2.3: correct`` when it is. One module per notebook
(``load``, ``lsa``, ``als``, ``ann``, ``spark``, ``lmf_bpr``, ``explorer``) holds its checks.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from .registry import CHECKS

#: Which module holds the checks of each notebook's exercises (by notebook number).
MODULES = {1: "load", 2: "lsa", 3: "als", 4: "ann", 5: "spark", 6: "lmf_bpr", 7: "explorer"}

__all__ = ["check"]


def check(number: str, namespace: Mapping) -> None:
    """Run the check of exercise ``number`` ("N.K") on ``namespace`` (the notebook's ``globals()``).

    Raises
    ------
    AssertionError
        The answer is not right yet; the message says what is wrong.
    KeyError
        No check is registered for ``number``.
    """
    notebook = int(str(number).split(".")[0])
    if notebook not in MODULES:
        raise KeyError(f"no exercises for notebook {notebook}: exercise numbers start with one of {sorted(MODULES)}")
    importlib.import_module(f".{MODULES[notebook]}", __name__)
    if number not in CHECKS:
        raise KeyError(f"no check for exercise {number!r}; known: {', '.join(sorted(CHECKS))}")
    CHECKS[number](namespace)
    print(f"Exercise {number}: correct")
