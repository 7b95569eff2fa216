"""recsys_utils: the package behind the similar-music notebooks.

One module per step of the pipeline: data (``datasets``, ``formats``, ``tsv``,
``download``, ``cache``, ``synthetic``) -> weighting -> factorization ->
neighbours -> evaluation -> plots -> the explorer; ``workshop``,
``setup_check`` and ``data_pack`` serve teachers.

The names below are imported on first use, so that ``python -m recsys_utils
check-setup`` runs, and reports what is missing, where numpy or pandas are not
installed.
"""

from __future__ import annotations  # the setup check must import this on old Pythons, to say they are too old

import importlib
import logging

__version__ = "0.1.0"
__all__ = ["DATASETS", "ParseReport", "PlayData", "SyntheticTruth", "load_dataset"]

_LAZY = {"DATASETS": ".datasets", "load_dataset": ".datasets", "ParseReport": ".playdata", "PlayData": ".playdata",
         "SyntheticTruth": ".playdata"}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
