"""Where each exercise's check function is registered (a leaf: it imports nothing of the package)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

CHECKS: dict[str, Callable[[Mapping], None]] = {}


def exercise(number: str):
    """Register the decorated function as the check of exercise ``number`` ("N.K")."""
    def register(function: Callable[[Mapping], None]) -> Callable[[Mapping], None]:
        if number in CHECKS:
            raise ValueError(f"exercise {number} already has a check ({CHECKS[number].__name__})")
        CHECKS[number] = function
        return function
    return register


def need(namespace: Mapping, *names: str, hint: str = ""):
    """The values of ``names`` in the notebook; an AssertionError naming the first one not defined yet."""
    for name in names:
        assert name in namespace, f"Define `{name}` first.{' ' + hint if hint else ''}"
    return namespace[names[0]] if len(names) == 1 else tuple(namespace[name] for name in names)
