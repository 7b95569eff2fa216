"""Bayesian personalised ranking (Rendle et al. 2009) by Hogwild SGD, fast and readable.

:class:`BayesianPersonalizedRanking` drives the numba kernel of
:mod:`recsys_utils.bpr_kernels`; :mod:`recsys_utils.bpr_reference` holds one
epoch in plain NumPy. BPR reads only which entries are stored (who listened to
what), not their values.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from . import bpr_kernels
from .sgd_common import BiasedFactorsModel, check_rows_of, check_training_matrix, nonempty, seed_of
from .utils import check_real, check_whole_number, kernel_threads, progress_bar

__all__ = ["BayesianPersonalizedRanking"]

NEGATIVE_SAMPLING = ("uniform", "popularity")


class BayesianPersonalizedRanking(BiasedFactorsModel):
    """Implicit-feedback matrix factorization that learns to rank each user's items above the rest.

    Every epoch draws, for every user, as many (positive, negative) pairs as
    the user has items: the positive uniformly from the user's items, the
    negative from the items the user does not have (redrawn when it is one of
    theirs). Each pair is one SGD step on the log-likelihood of ranking them
    right. Users are processed in parallel and share the item rows without
    locks (Hogwild), as in ``implicit``.

    The model contract (``recommend``, ``similar_items``, ``save``, ``load``)
    is :class:`recsys_utils.recommender_base.RecommenderBase`'s. Item biases are
    the last column of ``item_factors``, matched by a column of ones in
    ``user_factors``, so ``user_factors @ item_factors.T`` is the score.

    Parameters
    ----------
    factors : int
        Latent factors (the factor matrices have one more column).
    learning_rate : float
        SGD step size. ``implicit`` defaults to 0.01 with popularity-weighted
        negatives; with uniform ones a larger step ranked better on a validation
        split of Last.fm 2K, so the default here is 0.05.
    regularization : float
        L2 penalty on factors and biases, applied at every step.
    iterations : int
        Epochs; each draws one pair per stored entry.
    negative_sampling : {"uniform", "popularity"}
        ``"uniform"``: negatives uniform over the items anybody has;
        ``"popularity"``: in proportion to how many users have them (what
        ``implicit`` does), which pushes popular items down harder.
    random_state : int or None
        Seeds the initial factors, the order of users and the pairs drawn.
    num_threads : int or None
        numba threads (0 or None: all cores); BLAS is held to one meanwhile.
    show_progress : bool

    Notes
    -----
    **What is reproducible.** Which pairs are drawn depends only on
    ``random_state``, the epoch and the user, never on the number of threads
    (each user reads its own random stream). With ``num_threads=1`` a fit is
    bitwise repeatable. With more threads it is not: users on different
    threads update the same item rows without locks, and which update lands
    first depends on timing, so the factors differ from run to run by an
    amount that grows over the epochs (the quality does not change).

    Attributes
    ----------
    user_factors : ndarray, shape (n_users, factors + 1), float32
        ``[x_u, 1]``; all zero for a user with no items.
    item_factors : ndarray, shape (n_items, factors + 1), float32
        ``[y_i, b_i]``; all zero for an item nobody has.
    user_items : CSR matrix, shape (n_users, n_items)
        The training matrix of the last ``fit``.
    history : list of dict
        Per epoch: ``log_likelihood`` (mean ``log sigmoid(s)`` of the pairs
        drawn, before their steps), ``correct`` (the fraction already ranked
        right, ``implicit``'s "train_auc"), ``skipped`` (fraction of slots
        with no negative found) and ``seconds``.
    """

    HYPERPARAMETERS = ("factors", "learning_rate", "regularization", "iterations", "negative_sampling",
                       "random_state")
    BIAS_COLUMNS = 1

    def __init__(self, factors: int = 100, learning_rate: float = 0.05, regularization: float = 0.01,
                 iterations: int = 100, negative_sampling: str = "uniform", random_state: int | None = None,
                 num_threads: int | None = None, show_progress: bool = True) -> None:
        if negative_sampling not in NEGATIVE_SAMPLING:
            raise ValueError(f"negative_sampling must be one of {NEGATIVE_SAMPLING}, not {negative_sampling!r}")
        self._factors = check_whole_number(factors, "factors", 1)
        self.learning_rate = check_real(learning_rate, "learning_rate", 0.0)
        if self.learning_rate == 0:
            raise ValueError("learning_rate must be > 0")
        self.regularization = check_real(regularization, "regularization", 0.0)
        self.iterations = check_whole_number(iterations, "iterations", 0)
        self.negative_sampling = negative_sampling
        self.random_state = None if random_state is None else check_whole_number(random_state, "random_state", 0)
        self.num_threads = None if num_threads is None else check_whole_number(num_threads, "num_threads", 0)
        self.show_progress = show_progress
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None
        self.user_items: sp.csr_matrix | None = None
        self.history: list[dict] = []

    def init_factors(self, user_counts: np.ndarray, item_counts: np.ndarray,
                     rng: np.random.Generator) -> None:
        """Small random factors, uniform in [-0.5, 0.5) / factors as ``implicit``; zero rows for empty users and items."""
        k = self._factors
        X = (rng.random((len(user_counts), k + 1), dtype=np.float32) - np.float32(0.5)) / np.float32(k)
        Y = (rng.random((len(item_counts), k + 1), dtype=np.float32) - np.float32(0.5)) / np.float32(k)
        X[:, k] = 1.0
        X[user_counts == 0] = 0.0
        Y[item_counts == 0] = 0.0
        self.user_factors, self.item_factors = X, Y

    def fit(self, user_items, callback: Callable[[int, float, "BayesianPersonalizedRanking"], None] | None = None
            ) -> "BayesianPersonalizedRanking":
        """Learn the factors from a users x items matrix (stored entries are the positives).

        Parameters
        ----------
        user_items : CSR matrix (users x items) or PlayData
            Any non-negative values; only which entries are stored counts.
        callback : callable, optional
            ``callback(epoch, seconds, model)`` after every epoch (1-based;
            seconds of that epoch); ``model.history[-1]`` holds its figures.

        Returns
        -------
        self
        """
        Cui = check_training_matrix(user_items)
        n_users, n_items = Cui.shape
        user_counts = np.diff(Cui.indptr)
        item_counts = np.bincount(Cui.indices, minlength=n_items)
        if (item_counts > 0).sum() < 2:
            raise ValueError("BPR needs at least two items with stored entries to rank one above another")
        seed = seed_of(self.random_state)
        rng = np.random.default_rng(seed)
        self.init_factors(user_counts, item_counts, rng)
        self.user_items = Cui
        self.history = []
        self._factors_changed()
        indptr, indices = Cui.indptr.astype(np.int64), Cui.indices.astype(np.int32)
        candidates = nonempty(item_counts)
        by_popularity = self.negative_sampling == "popularity"
        active = nonempty(user_counts).astype(np.int64)
        no_pairs = np.empty(0, dtype=np.int32)
        log_likelihood, correct, skipped = np.zeros(n_users), np.zeros(n_users, np.int64), np.zeros(n_users, np.int64)
        with kernel_threads(self.num_threads), progress_bar(total=self.iterations, desc="BPR", unit="epoch",
                                                         disable=not self.show_progress, leave=False) as bar:
            for epoch in range(1, self.iterations + 1):
                start = time.perf_counter()
                order = rng.permutation(active)
                bpr_kernels.bpr_epoch(indptr, indices, candidates, by_popularity, seed, epoch, order,
                                      self.user_factors, self.item_factors, self.learning_rate,
                                      self.regularization, no_pairs, no_pairs, log_likelihood, correct, skipped)
                seconds = time.perf_counter() - start
                self._factors_changed()
                self._check_finite(epoch, "BPR")
                used = Cui.nnz - int(skipped.sum())
                self.history.append({"epoch": epoch, "log_likelihood": float(log_likelihood.sum()) / max(used, 1),
                                     "correct": int(correct.sum()) / max(used, 1),
                                     "skipped": int(skipped.sum()) / Cui.nnz, "seconds": seconds})
                bar.set_postfix(correct=f"{self.history[-1]['correct']:.1%}", refresh=False)
                bar.update(1)
                if callback is not None:
                    callback(epoch, seconds, self)
        return self

    def log_likelihood(self, user_items=None, *, pairs_per_user: int = 100, random_state: int = 0) -> float:
        """Mean ``log sigmoid(score_ui - score_uj)`` over random pairs (u has i, not j): BPR's objective, sampled.

        Uses the training matrix unless ``user_items`` (users x items, the
        model's shape) is given, e.g. held-out entries.

        Parameters
        ----------
        user_items : CSR matrix, optional
        pairs_per_user : int
            Pairs drawn per user with items.
        random_state : int
            Seeds the pairs (the same seed gives the same pairs).
        """
        self._check_fitted()
        n_users, n_items = self.shape
        if user_items is None:
            Cui = self._training_matrix()
        else:
            Cui = check_rows_of(user_items, n_items, n_users)
            if Cui.shape[0] != n_users:
                raise ValueError(f"user_items has {Cui.shape[0]} users (rows); the model has {n_users}")
        pairs_per_user = check_whole_number(pairs_per_user, "pairs_per_user", 1)
        counts = np.diff(Cui.indptr)
        users = np.repeat(np.flatnonzero(counts), pairs_per_user)
        if not len(users):
            raise ValueError("user_items stores no entries")
        rng = np.random.default_rng(random_state)
        positives = Cui.indices[Cui.indptr[users] + (rng.random(len(users)) * counts[users]).astype(np.int64)]
        candidates = np.flatnonzero(self.item_factors.any(axis=1))
        negatives = candidates[rng.integers(0, len(candidates), len(users))]
        # A pair's negative must be one the user lacks: look (user, item) up among the sorted stored entries.
        stored = np.repeat(np.arange(n_users, dtype=np.int64), counts) * n_items + Cui.indices
        wanted = users.astype(np.int64) * n_items + negatives
        at = np.minimum(np.searchsorted(stored, wanted), len(stored) - 1)
        keep = stored[at] != wanted
        if not keep.any():
            raise ValueError("every drawn negative is an item its user has: the users hold (almost) every item, "
                             "so there is no pair to rank")
        X, Y = self.user_factors.astype(np.float64), self.item_factors.astype(np.float64)
        s = np.einsum("ij,ij->i", X[users[keep]], Y[positives[keep]] - Y[negatives[keep]])
        return float(np.mean(-np.logaddexp(0.0, -s)))
