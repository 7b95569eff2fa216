"""Implicit alternating least squares (Hu, Koren & Volinsky 2008), fast and readable.

:class:`ImplicitALS` drives the numba kernels of :mod:`recsys_utils.als_kernels`;
:mod:`recsys_utils.als_reference` holds the same algorithm in plain NumPy.
The input's stored values are the confidences ``c_ui``: see
:mod:`recsys_utils.confidence` for BM25 weights (the blog), ``1 + alpha * plays``
(the paper, Spotify's talk) and ``1 + alpha * log(1 + plays)``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from . import als_kernels
from .confidence import bm25_confidence, linear_confidence, log_confidence
from .playdata import PlayData
from .recommender_base import RecommenderBase
from .utils import canonical_csr, check_real, check_whole_number, kernel_threads, progress_bar

__all__ = ["ImplicitALS", "bm25_confidence", "confidence_loss", "linear_confidence", "log_confidence"]

log = logging.getLogger(__name__)

SOLVERS = ("cg", "cholesky")
#: Rows per task handed to a thread: small enough that a few artists with 100,000+
#: listeners do not leave the other threads idle at the end of an item half-step.
PARALLEL_CHUNKSIZE = 64


def check_user_items(user_items, shape: tuple[int, int] | None = None) -> sp.csr_matrix:
    """Validate a users x items confidence matrix; return it as float32 CSR, each entry once, sorted.

    A (user, item) stored twice is summed (:func:`recsys_utils.utils.canonical_csr`).
    """
    if isinstance(user_items, PlayData):
        user_items = user_items.user_items
    user_items = canonical_csr(user_items, "user_items")
    if shape is not None and user_items.shape != shape:
        if user_items.shape == shape[::-1]:
            raise ValueError(
                f"user_items is {user_items.shape[0]} x {user_items.shape[1]} but the model has "
                f"{shape[0]} users and {shape[1]} items: it looks transposed (items x users). "
                "Pass users x items, e.g. PlayData.user_items."
            )
        raise ValueError(f"user_items has shape {user_items.shape}, expected {shape} (users x items)")
    if user_items.nnz:
        if not np.isfinite(user_items.data).all():
            raise ValueError("user_items contains NaN or infinite confidences")
        if user_items.data.min() < 0:
            raise ValueError("confidences must be non-negative (negative values make the systems indefinite)")
    return user_items.astype(np.float32, copy=False)


def confidence_loss(Cui: sp.csr_matrix, user_factors: np.ndarray, item_factors: np.ndarray,
                    regularization: float, num_threads: int | None = None) -> float:
    """The implicit-ALS loss, divided as ``implicit`` divides it.

    ``(sum over all cells of c_ui (p_ui - x_u . y_i)^2 + reg (|X|^2 + |Y|^2))
    / (sum of stored c_ui + n_users n_items - nnz)``, computed in
    O(nnz k + (users + items) k²) without forming the dense matrix;
    :func:`recsys_utils.als_reference.loss` is the dense twin.
    """
    Cui = check_user_items(Cui, (len(user_factors), len(item_factors)))
    X = np.ascontiguousarray(user_factors, dtype=np.float32)
    Y = np.ascontiguousarray(item_factors, dtype=np.float32)
    with _threads(num_threads):
        error, user_norms = als_kernels.loss_terms(Cui.indptr, Cui.indices, Cui.data, X, Y, als_kernels.gram(Y))
    item_norm = float(np.sum(Y.astype(np.float64) ** 2))
    total = error.sum() + regularization * (user_norms.sum() + item_norm)
    return float(total / (Cui.data.sum(dtype=np.float64) + Cui.shape[0] * Cui.shape[1] - Cui.nnz))


def _threads(num_threads: int | None):
    """:func:`recsys_utils.utils.kernel_threads` with ALS's chunk of rows per task."""
    return kernel_threads(num_threads, PARALLEL_CHUNKSIZE)


class ImplicitALS(RecommenderBase):
    """Implicit-feedback matrix factorization by alternating least squares.

    The model contract (``recommend``, ``similar_items``, ``save``, ``load``)
    is :class:`recsys_utils.recommender_base.RecommenderBase`'s; ALS adds
    :meth:`explain`, :meth:`recalculate_user` for users it was not trained on,
    :meth:`loss` and :meth:`half_step`.

    Parameters
    ----------
    factors : int
        Length of the user and item vectors.
    regularization : float
        L2 penalty on all factors.
    iterations : int
        Sweeps; each solves every user, then every item.
    solver : {"cg", "cholesky"}
        ``"cg"``: a few conjugate-gradient steps per row from the current
        factors (fast, as in ``implicit``); ``"cholesky"``: the exact solution
        of each row's normal equations.
    cg_steps : int
        Conjugate-gradient steps per row and half-step.
    random_state : int or None
        Seeds the initial factors (uniform in [0, 0.01), as ``implicit``).
        With the same seed and ``num_threads`` the factors are bitwise
        identical; in fact they do not depend on the thread count at all.
    num_threads : int or None
        numba threads for the fit (0 or None: all cores). BLAS is held to one
        thread meanwhile, so the two never oversubscribe the cores.
    show_progress : bool

    Attributes
    ----------
    user_factors : ndarray, shape (n_users, factors), float32
    item_factors : ndarray, shape (n_items, factors), float32
    user_items : CSR matrix, shape (n_users, n_items)
        The confidences of the last ``fit``.
    """

    HYPERPARAMETERS = ("factors", "regularization", "iterations", "solver", "cg_steps", "random_state")

    def __init__(self, factors: int = 50, regularization: float = 0.01, iterations: int = 15, solver: str = "cg",
                 cg_steps: int = 3, random_state: int | None = None, num_threads: int | None = None,
                 show_progress: bool = True) -> None:
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, not {solver!r}")
        self.factors = check_whole_number(factors, "factors", 1)
        self.regularization = check_real(regularization, "regularization", 0.0)
        self.iterations = check_whole_number(iterations, "iterations", 0)
        self.solver = solver
        self.cg_steps = check_whole_number(cg_steps, "cg_steps", 1)
        self.random_state = None if random_state is None else check_whole_number(random_state, "random_state", 0)
        self.num_threads = num_threads
        self.show_progress = show_progress
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None
        self.user_items: sp.csr_matrix | None = None
        self._item_gram: np.ndarray | None = None

    # -- fitting -----------------------------------------------------------------------------------

    def init_factors(self, n_users: int, n_items: int) -> None:
        """Small random factors, as ``implicit`` starts from."""
        rng = np.random.default_rng(self.random_state)
        self.user_factors = (rng.random((n_users, self.factors), dtype=np.float32) * 0.01).astype(np.float32)
        self.item_factors = (rng.random((n_items, self.factors), dtype=np.float32) * 0.01).astype(np.float32)

    def fit(self, user_items, callback: Callable[[int, float, "ImplicitALS"], None] | None = None,
            *, keep_factors: bool = False) -> "ImplicitALS":
        """Factorize a users x items matrix of confidences.

        Parameters
        ----------
        user_items : CSR matrix (users x items) or PlayData
            Confidence ``c_ui`` of every stored (user, item); see the module docstring.
        callback : callable, optional
            ``callback(iteration, seconds, model)`` after every iteration
            (1-based; seconds of that iteration), e.g. to record the loss.
        keep_factors : bool
            Start from the current ``user_factors`` and ``item_factors``
            (e.g. set by hand to compare with another implementation)
            instead of fresh random ones.
        """
        Cui = check_user_items(user_items)
        n_users, n_items = Cui.shape
        if keep_factors:
            for name, rows in (("user_factors", n_users), ("item_factors", n_items)):
                current = getattr(self, name)
                if current is None or current.shape != (rows, self.factors):
                    raise ValueError(f"keep_factors needs {name} of shape {(rows, self.factors)}")
                if not np.isfinite(current).all():
                    raise ValueError(f"keep_factors: {name} holds NaN or infinite values")
                setattr(self, name, np.ascontiguousarray(current, dtype=np.float32))
        else:
            self.init_factors(n_users, n_items)
        self.user_items = Cui
        self._factors_changed()
        Ciu = Cui.T.tocsr()
        Ciu.sort_indices()
        with _threads(self.num_threads), progress_bar(total=self.iterations, desc=f"ALS ({self.solver})",
                                               unit="it", disable=not self.show_progress, leave=False) as bar:
            for iteration in range(1, self.iterations + 1):
                start = time.perf_counter()
                self._half_step(Cui, self.user_factors, self.item_factors)
                self._half_step(Ciu, self.item_factors, self.user_factors)
                seconds = time.perf_counter() - start
                self._factors_changed()
                self._check_finite(iteration)
                bar.update(1)
                if callback is not None:
                    callback(iteration, seconds, self)
        return self

    def _check_finite(self, iteration: int) -> None:
        """Stop a fit whose factors are no longer finite, leaving the model unfitted."""
        if np.isfinite(self.user_factors).all() and np.isfinite(self.item_factors).all():
            return
        self.user_factors = self.item_factors = self.user_items = None
        self._factors_changed()
        raise FloatingPointError(
            f"ALS ({self.solver}) produced NaN or infinite factors in iteration {iteration}: the least-squares "
            f"systems are singular or overflow (regularization={self.regularization:g}, factors={self.factors}). "
            "Use regularization > 0, fewer factors than items, or smaller confidences. The model is left unfitted."
        )

    def _half_step(self, Cui: sp.csr_matrix, X: np.ndarray, Y: np.ndarray) -> None:
        """Solve every row of X for fixed Y (in place)."""
        YtY = als_kernels.gram(Y)
        reg = self.regularization * np.eye(self.factors)
        if self.solver == "cholesky":
            als_kernels.cholesky_sweep(Cui.indptr, Cui.indices, Cui.data, Y, YtY + reg, X)
        else:
            als_kernels.cg_sweep(Cui.indptr, Cui.indices, Cui.data, Y, (YtY + reg).astype(np.float32), X,
                                 self.cg_steps)

    def half_step(self, user_items, user_factors: np.ndarray | None = None) -> np.ndarray:
        """One user half-step of the model's solver, as ``fit`` runs it: the users' factors for fixed items.

        Runs with the fit's thread settings; the model is not changed. Useful
        to time one half-step, or to watch what one does.

        Parameters
        ----------
        user_items : CSR matrix, shape (n_users_in_batch, n_items)
            Confidences of the users to solve.
        user_factors : ndarray, shape (n_users_in_batch, factors), optional
            Where CG starts from (default: zeros); the exact solver ignores it.

        Returns
        -------
        ndarray, shape (n_users_in_batch, factors), float32
        """
        self._check_items_fitted()
        Cui = check_user_items(user_items)
        if Cui.shape[1] != len(self.item_factors):
            raise ValueError(f"user_items has {Cui.shape[1]} items (columns); the model has {len(self.item_factors)}")
        X = (np.zeros((Cui.shape[0], self.factors), dtype=np.float32) if user_factors is None
             else np.array(user_factors, dtype=np.float32, order="C"))
        if X.shape != (Cui.shape[0], self.factors):
            raise ValueError(f"user_factors must have shape {(Cui.shape[0], self.factors)}, not {X.shape}")
        with _threads(self.num_threads):
            self._half_step(Cui, X, self.item_factors)
        return X

    # -- using the factors ---------------------------------------------------------------------------

    def _check_items_fitted(self) -> None:
        if self.item_factors is None:
            raise RuntimeError("the model is not fitted: call fit(user_items) first")

    def _factors_changed(self) -> None:
        super()._factors_changed()
        self._item_gram = None

    def loss(self, user_items=None) -> float:
        """The confidence-weighted loss of the fitted factors (see :func:`confidence_loss`).

        Uses the training matrix unless ``user_items`` is given.
        """
        self._check_fitted()
        Cui = self._training_matrix() if user_items is None else check_user_items(user_items, self.shape)
        return confidence_loss(Cui, self.user_factors, self.item_factors, self.regularization, self.num_threads)

    def recalculate_user(self, user_items) -> np.ndarray:
        """Exact factors for the users whose confidences ``user_items`` holds, from the fixed item factors.

        The same least squares as one Cholesky half-step for those users:
        ``x_u = (YᵀY + Yᵀ(C_u - I)Y + reg I)⁻¹ Yᵀ C_u p_u``. A new user, or a
        changed history, is served without refitting. Training with CG leaves
        user factors a few CG steps short of this exact solution, so scores
        differ slightly from the trained user's (in the third decimal, say).

        Parameters
        ----------
        user_items : CSR matrix, shape (n_users_in_batch, n_items)

        Returns
        -------
        ndarray, shape (n_users_in_batch, factors), float32
            Zero for a user with no items.
        """
        self._check_items_fitted()
        Cui = check_user_items(user_items)
        if Cui.shape[1] != len(self.item_factors):
            raise ValueError(f"user_items has {Cui.shape[1]} items (columns); the model has {len(self.item_factors)}")
        X = np.zeros((Cui.shape[0], self.factors), dtype=np.float32)
        with _threads(self.num_threads):
            als_kernels.cholesky_sweep(Cui.indptr, Cui.indices, Cui.data, self.item_factors, self._gram_reg(), X)
        return X

    def _gram_reg(self) -> np.ndarray:
        """YᵀY + reg I in float64, kept until the factors change."""
        if self._item_gram is None:
            self._item_gram = als_kernels.gram(self.item_factors) + self.regularization * np.eye(self.factors)
        return self._item_gram

    def explain(self, userid: int, user_items, itemid: int, n: int = 10, *, user_weights=None):
        """Why ``itemid`` scores what it does for a user: "because you listened to ...".

        ALS's score is linear in the user's confidences. With
        ``W_u = YᵀY + Yᵀ(C_u - I)Y + reg I``, the exact user factors are
        ``x_u = W_u⁻¹ Σ_j c_uj y_j``, so the score of item i splits into one
        contribution per listened item j: ``c_uj · y_iᵀ W_u⁻¹ y_j`` (Hu et al.,
        section 5).

        **The contributions add up to the score of a fresh exact solve**, the
        ``score`` returned here, which is what :meth:`recommend` ranks with
        ``recalculate_user=True``. They do not add up exactly to the score of
        the trained user factors: after CG training those are a few CG steps
        short of the exact solution (and after a Cholesky fit, one item
        half-step behind it), so the two scores differ slightly.

        Parameters
        ----------
        userid : int
            The user (a label only when ``user_items`` is given).
        user_items : CSR matrix or None
            The user's confidences, one row; None: the training row.
        itemid : int
            The item to explain.
        n : int
            How many of the largest contributions to return.
        user_weights : tuple, optional
            The ``user_weights`` a previous call returned for the same user:
            the factorised ``W_u``, so that explaining more items costs one
            triangular solve each.

        Returns
        -------
        score : float
            ``y_iᵀ x_u`` for the exact ``x_u``: the sum of all contributions.
        contributions : list of (item, contribution)
            The ``n`` largest, largest first.
        user_weights : tuple
            Pass it back in to explain other items for this user.
        """
        from scipy.linalg import cho_factor, cho_solve

        self._check_items_fitted()
        n_items = len(self.item_factors)
        itemid = check_whole_number(itemid, "itemid", 0, n_items - 1)
        n = check_whole_number(n, "n", 1)
        if user_items is None:
            self._check_fitted()
            userid = check_whole_number(userid, "userid", 0, self.shape[0] - 1)
            row = self._training_matrix()[userid]
        else:
            row = check_user_items(user_items)
            if row.shape != (1, n_items):
                raise ValueError(f"user_items must be the user's row, 1 x {n_items} items, not {row.shape}")
        listened, confidence = row.indices, row.data.astype(np.float64)
        Y = self.item_factors.astype(np.float64)
        if user_weights is None:
            Yu = Y[listened]
            W = self._gram_reg() + Yu.T @ ((confidence - 1.0)[:, None] * Yu)
            user_weights = cho_factor(W)
        contribution = confidence * (Y[listened] @ cho_solve(user_weights, Y[itemid]))
        best = np.argsort(-contribution, kind="stable")[:n]
        return (float(contribution.sum()), [(int(listened[j]), float(contribution[j])) for j in best],
                user_weights)
