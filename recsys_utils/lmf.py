"""Logistic matrix factorization (Johnson 2014) by alternating AdaGrad steps, fast and readable.

:class:`LogisticMF` drives the numba kernel of :mod:`recsys_utils.lmf_kernels`;
:mod:`recsys_utils.lmf_reference` holds one half-step in plain NumPy and the
exact objective. The input is play counts; the model turns them into
confidences itself (``alpha * log(1 + plays)`` or ``alpha * plays``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from . import lmf_kernels
from .sgd_common import BiasedFactorsModel, check_training_matrix, nonempty, seed_of
from .utils import check_real, check_whole_number, kernel_threads, progress_bar

__all__ = ["LogisticMF"]

CONFIDENCES = ("log", "linear")
#: Rows per task handed to a thread in the item step: a few very popular artists cost far more than the rest.
PARALLEL_CHUNKSIZE = 16


class LogisticMF(BiasedFactorsModel):
    """Implicit-feedback matrix factorization of the probability that a user listens to an item.

    Johnson's model: ``P(u listens to i) = sigmoid(x_u . y_i + b_u + b_i)``,
    each listen weighted by its confidence ``c_ui``; see
    :mod:`recsys_utils.lmf_reference` for the log-likelihood. Every epoch
    takes one AdaGrad ascent step for all users with the items fixed, then one
    for all items with the users fixed.

    **How the gradient is made tractable.** A user's gradient sums over every
    item, and almost all of them were never played. The played items are
    summed exactly; the sum over the others is estimated from
    ``neg_prop`` uniformly drawn unplayed items per played one, each
    weighted by (unplayed items) / (items drawn), so the estimate is unbiased.
    Items take their steps the same way, sampling users. The cost of an epoch
    is O(nnz · (1 + neg_prop) · factors) instead of O(users · items · factors).

    The model contract (``recommend``, ``similar_items``, ``save``, ``load``)
    is :class:`recsys_utils.recommender_base.RecommenderBase`'s. The biases ride
    in the factor matrices, so ``user_factors @ item_factors.T`` is the score.

    Parameters
    ----------
    factors : int
        Latent factors (the factor matrices have two more columns).
    learning_rate : float
        AdaGrad's step size.
    regularization : float
        L2 penalty on the latent factors (not the biases).
    iterations : int
        Epochs; each steps all users, then all items.
    alpha : float
        Confidence scale: ``c_ui = alpha * log(1 + plays)`` or ``alpha * plays``.
    confidence : {"log", "linear"}
        How plays become confidence. Johnson writes ``1 + alpha log(1 + plays / epsilon)``; these
        are the simpler variants (log tames heavy listeners).
    neg_prop : int
        Unplayed entries drawn per played entry for the gradient estimate (as
        ``implicit``'s ``neg_prop``).
    random_state : int or None
        Seeds the initial factors and the negatives drawn.
    num_threads : int or None
        numba threads (0 or None: all cores); BLAS is held to one meanwhile.
    show_progress : bool

    Notes
    -----
    **What is reproducible.** Everything, for any number of threads: rows of
    one half-step are independent of each other, each draws from its own
    random stream (seed, epoch, row), and sums are taken in a fixed order. The
    same ``random_state`` gives bitwise identical factors with 1 thread or 8.

    Attributes
    ----------
    user_factors : ndarray, shape (n_users, factors + 2), float32
        ``[x_u, b_u, 1]``; all zero for a user with no plays.
    item_factors : ndarray, shape (n_items, factors + 2), float32
        ``[y_i, 1, b_i]``; all zero for an item nobody played.
    user_items : CSR matrix, shape (n_users, n_items)
        The play counts of the last ``fit``.
    history : list of dict
        Per epoch: ``objective``, the log-likelihood minus the penalty per
        (user, item) cell, estimated from the negatives drawn in the user
        step (before it), and ``seconds``.
    """

    HYPERPARAMETERS = ("factors", "learning_rate", "regularization", "iterations", "alpha", "confidence",
                       "neg_prop", "random_state")
    BIAS_COLUMNS = 2

    def __init__(self, factors: int = 50, learning_rate: float = 0.1, regularization: float = 1.0,
                 iterations: int = 30, alpha: float = 10.0, confidence: str = "log", neg_prop: int = 30,
                 random_state: int | None = None, num_threads: int | None = None,
                 show_progress: bool = True) -> None:
        if confidence not in CONFIDENCES:
            raise ValueError(f"confidence must be one of {CONFIDENCES}, not {confidence!r}")
        self._factors = check_whole_number(factors, "factors", 1)
        self.learning_rate = check_real(learning_rate, "learning_rate", 0.0)
        if self.learning_rate == 0:
            raise ValueError("learning_rate must be > 0")
        self.regularization = check_real(regularization, "regularization", 0.0)
        self.iterations = check_whole_number(iterations, "iterations", 0)
        self.alpha = check_real(alpha, "alpha", 0.0)
        if self.alpha == 0:
            raise ValueError("alpha must be positive: with alpha = 0 every confidence is 0 and no play counts")
        self.confidence = confidence
        self.neg_prop = check_whole_number(neg_prop, "neg_prop", 1)
        self.random_state = None if random_state is None else check_whole_number(random_state, "random_state", 0)
        self.num_threads = None if num_threads is None else check_whole_number(num_threads, "num_threads", 0)
        self.show_progress = show_progress
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None
        self.user_items: sp.csr_matrix | None = None
        self.history: list[dict] = []

    def confidences(self, user_items) -> sp.csr_matrix:
        """``c_ui`` of every stored play count: ``alpha * log(1 + plays)`` or ``alpha * plays``."""
        C = check_training_matrix(user_items).copy()
        if self.confidence == "log":
            C.data = (self.alpha * np.log1p(C.data.astype(np.float64))).astype(np.float32)
        else:
            C.data = (self.alpha * C.data.astype(np.float64)).astype(np.float32)
        return C

    def init_factors(self, user_counts: np.ndarray, item_counts: np.ndarray, rng: np.random.Generator) -> None:
        """Small normal factors (sd 0.01), zero biases, the constant columns at 1; zero rows where nothing is stored."""
        k = self._factors
        X = (rng.standard_normal((len(user_counts), k + 2), dtype=np.float32) * np.float32(0.01))
        Y = (rng.standard_normal((len(item_counts), k + 2), dtype=np.float32) * np.float32(0.01))
        X[:, k], X[:, k + 1] = 0.0, 1.0
        Y[:, k], Y[:, k + 1] = 1.0, 0.0
        X[user_counts == 0] = 0.0
        Y[item_counts == 0] = 0.0
        self.user_factors, self.item_factors = X, Y

    def fit(self, user_items, callback: Callable[[int, float, "LogisticMF"], None] | None = None) -> "LogisticMF":
        """Learn the factors from a users x items matrix of play counts.

        Parameters
        ----------
        user_items : CSR matrix (users x items) or PlayData
            Play counts (non-negative); turned into confidences by
            :meth:`confidences`.
        callback : callable, optional
            ``callback(epoch, seconds, model)`` after every epoch (1-based;
            seconds of that epoch); ``model.history[-1]`` holds its objective.

        Returns
        -------
        self
        """
        Cui = self.confidences(user_items)
        n_users, n_items = Cui.shape
        Ciu = Cui.T.tocsr()
        Ciu.sort_indices()
        user_counts, item_counts = np.diff(Cui.indptr), np.diff(Ciu.indptr)
        seed = seed_of(self.random_state)
        self.init_factors(user_counts, item_counts, np.random.default_rng(seed))
        self.user_items = check_training_matrix(user_items)
        self.history = []
        self._factors_changed()
        k = self._factors
        users, items = nonempty(user_counts), nonempty(item_counts)
        sides = []
        for rows, candidates, own_bias in ((Cui, items, k), (Ciu, users, k + 1)):
            indptr = rows.indptr.astype(np.int64)
            sides.append((indptr, rows.indices.astype(np.int32), rows.data, candidates,
                          lmf_kernels.negative_slots(indptr, self.neg_prop, len(candidates)), own_bias))
        G_user = np.zeros_like(self.user_factors)
        G_item = np.zeros_like(self.item_factors)
        none = np.empty(0, dtype=np.int32)
        user_ll, item_ll = np.zeros(n_users), np.zeros(n_items)
        cells = len(users) * len(items)
        with kernel_threads(self.num_threads, PARALLEL_CHUNKSIZE), progress_bar(
                total=self.iterations, desc="LMF", unit="epoch", disable=not self.show_progress, leave=False) as bar:
            for epoch in range(1, self.iterations + 1):
                start = time.perf_counter()
                penalty = self._penalty()  # of the factors the user step starts from, as its log-likelihood
                for (indptr, indices, data, candidates, slots, own_bias), X, Y, G, ll, stream in (
                        (sides[0], self.user_factors, self.item_factors, G_user, user_ll, 2 * epoch),
                        (sides[1], self.item_factors, self.user_factors, G_item, item_ll, 2 * epoch + 1)):
                    lmf_kernels.lmf_half_step(indptr, indices, data, candidates, slots, seed, stream, X, Y, G,
                                              self.learning_rate, self.regularization, own_bias, none, ll)
                seconds = time.perf_counter() - start
                self._factors_changed()
                self._check_finite(epoch, "LMF")
                self.history.append({"epoch": epoch, "objective": (float(user_ll.sum()) - penalty) / cells,
                                     "seconds": seconds})
                bar.set_postfix(objective=f"{self.history[-1]['objective']:.4f}", refresh=False)
                bar.update(1)
                if callback is not None:
                    callback(epoch, seconds, self)
        return self

    def _penalty(self) -> float:
        """``regularization / 2`` times the squared norm of the latent factors (the biases are not penalised)."""
        k = self._factors
        return self.regularization / 2 * float(np.sum(self.user_factors[:, :k].astype(np.float64) ** 2)
                                               + np.sum(self.item_factors[:, :k].astype(np.float64) ** 2))
