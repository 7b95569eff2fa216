"""What BPR and LMF share: seeded random streams, negative sampling, input checks, bias columns.

Both models fold their biases into the factor matrices, as ``implicit`` does, so
that ``user_factors @ item_factors.T`` is the score and
:class:`~recsys_utils.recommender_base.RecommenderBase` recommends unchanged.

Randomness. A kernel never draws from a shared generator: row ``r`` (a user,
or an item in LMF's item step) of sweep ``stream`` reads its own stream,
``mix(seed, stream, r)`` plus a counter (SplitMix64, Steele et al. 2014). What
is drawn therefore depends on the seed, the sweep and the row only, never on
the number of threads or on which thread runs the row. :func:`draw_negative`
is the one sampler; the kernels call it on the fly, and the ``draw_*``
functions of each model call it to hand the same samples to the NumPy
references.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from numba import njit

from .als import check_user_items
from .recommender_base import RecommenderBase

#: Redraws of a negative that the row turns out to hold before the slot is skipped.
MAX_TRIES = 16

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(inline="always")
def _mix(z):
    """SplitMix64's finaliser: a uint64 to a well-scrambled uint64."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(inline="always")
def stream_base(seed, stream, row):
    """The start of row ``row``'s stream in sweep ``stream``."""
    z = _mix(np.uint64(seed) + _GOLDEN)
    z = _mix(z ^ (np.uint64(stream) * _GOLDEN))
    return _mix(z ^ (np.uint64(row) + _GOLDEN))


@njit(inline="always")
def random_below(base, counter, n):
    """The ``counter``-th draw of the stream ``base``: an integer in [0, n), n > 0."""
    z = _mix(base + np.uint64(counter + 1) * _GOLDEN)
    return np.int64((z >> np.uint64(11)) % np.uint64(n))


@njit(inline="always")
def row_has(indices, start, stop, item):
    """Whether the sorted ``indices[start:stop]`` hold ``item`` (binary search)."""
    lo, hi = start, stop
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < item:
            lo = mid + 1
        else:
            hi = mid
    return lo < stop and indices[lo] == item


@njit(inline="always")
def draw_negative(base, counter, indices, start, stop, candidates, by_popularity):
    """A column the row ``indices[start:stop]`` does not hold, and the stream's next counter.

    Uniform over ``candidates`` (the columns with at least one stored entry)
    or, with ``by_popularity``, the column of a uniformly drawn stored entry
    (so in proportion to how many rows hold it). A column the row holds is
    redrawn, at most :data:`MAX_TRIES` times; then -1 (skip the slot).
    """
    for _ in range(MAX_TRIES):
        if by_popularity:
            j = indices[random_below(base, counter, len(indices))]
        else:
            j = candidates[random_below(base, counter, len(candidates))]
        counter += 1
        if not row_has(indices, start, stop, j):
            return j, counter
    return -1, counter


@njit(cache=True)
def log_sigmoid(s):
    """``log(1 / (1 + exp(-s)))`` without overflow."""
    if s >= 0:
        return -np.log1p(np.exp(-s))
    return s - np.log1p(np.exp(s))


def check_training_matrix(user_items) -> sp.csr_matrix:
    """A users x items training matrix: float32 CSR, canonical, finite, non-negative and not empty.

    Accepts a :class:`~recsys_utils.playdata.PlayData` (its ``user_items``).
    """
    user_items = check_user_items(user_items)
    if user_items.shape[0] == 0 or user_items.shape[1] == 0:
        raise ValueError(f"user_items has shape {user_items.shape}: there must be at least one user and one item")
    if user_items.nnz == 0:
        raise ValueError("user_items stores no entries: there is nothing to learn from")
    return user_items


def check_rows_of(user_items, n_items: int, n_users: int | None = None) -> sp.csr_matrix:
    """Users' rows against a fitted model of ``n_items`` items; a clear error if they look transposed."""
    user_items = check_user_items(user_items)
    if user_items.shape[1] != n_items:
        if n_users is not None and user_items.shape == (n_items, n_users):
            raise ValueError(f"user_items is {user_items.shape[0]} x {user_items.shape[1]} but the model has "
                             f"{n_users} users and {n_items} items: it looks transposed (items x users). "
                             "Pass users x items, e.g. PlayData.user_items.")
        raise ValueError(f"user_items has {user_items.shape[1]} items (columns); the model has {n_items}")
    return user_items


def nonempty(counts: np.ndarray) -> np.ndarray:
    """The indices (int32) of the rows or columns with at least one stored entry."""
    return np.flatnonzero(counts).astype(np.int32)


def seed_of(random_state: int | None) -> int:
    """The seed of the fit's streams: ``random_state``, or a fresh one when it is None."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**63))
    return int(random_state)


class BiasedFactorsModel(RecommenderBase):
    """A :class:`RecommenderBase` whose factor rows end in ``BIAS_COLUMNS`` bias or constant columns.

    ``factors`` is the number of latent factors; the stored rows are
    ``factors + BIAS_COLUMNS`` long.
    """

    BIAS_COLUMNS: ClassVar[int] = 0
    _factors: int

    @property
    def factors(self) -> int:
        """Number of latent factors (the stored rows have ``BIAS_COLUMNS`` more)."""
        return self._factors

    def stored_width(self) -> int:
        return self._factors + self.BIAS_COLUMNS

    def recalculate_user(self, user_items) -> np.ndarray:
        """Not available: an SGD model has no closed form for a user's factors given the items.

        Raises
        ------
        NotImplementedError
            Always; refit with the new users' rows, or use ``ImplicitALS``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} cannot compute factors for new users: its user factors come from stochastic "
            "gradient steps interleaved with the items', not from a solve for fixed items. Refit with the new "
            "users' rows, or use ImplicitALS, which can.")

    def _check_finite(self, iteration: int, what: str) -> None:
        """Stop a fit whose factors are no longer finite, leaving the model unfitted."""
        if np.isfinite(self.user_factors).all() and np.isfinite(self.item_factors).all():
            return
        self.user_factors = self.item_factors = self.user_items = None
        self._factors_changed()
        raise FloatingPointError(
            f"{what} produced NaN or infinite factors in epoch {iteration}: the steps diverge "
            f"(learning_rate={self.learning_rate:g}). Use a smaller learning_rate. The model is left unfitted.")
