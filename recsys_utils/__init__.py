"""recsys_utils: the package behind the similar-music notebooks.

One module per step of the pipeline: data (``datasets``, ``formats``, ``tsv``,
``download``, ``cache``, ``synthetic``) -> weighting -> factorization ->
neighbours -> evaluation -> plots.
"""

import logging

from .datasets import DATASETS, load_dataset
from .playdata import ParseReport, PlayData, SyntheticTruth

__version__ = "0.1.0"
__all__ = ["DATASETS", "ParseReport", "PlayData", "SyntheticTruth", "load_dataset"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
