"""Implicit alternating least squares (Hu, Koren & Volinsky 2008), fast and readable.

:class:`ImplicitALS` drives the numba kernels of :mod:`recsys_utils.als_kernels`;
:mod:`recsys_utils.als_reference` holds the same algorithm in plain NumPy.
The input's stored values are the confidences ``c_ui``: pass BM25 weights (the
blog) or ``1 + alpha * plays`` (Spotify's talk; see :func:`linear_confidence`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

import numba
import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from . import als_kernels
from .neighbours import TopRelated
from .playdata import PlayData
from .utils import canonical_csr, check_real, check_whole_number, top_n

log = logging.getLogger(__name__)

SOLVERS = ("cg", "cholesky")
#: Rows per task handed to a thread: small enough that a few artists with 100,000+
#: listeners do not leave the other threads idle at the end of an item half-step.
PARALLEL_CHUNKSIZE = 64


def linear_confidence(user_items: sp.csr_matrix, alpha: float = 40.0) -> sp.csr_matrix:
    """Confidence ``1 + alpha * plays`` of every stored play count (Hu et al. use alpha = 40)."""
    confidence = canonical_csr(user_items.tocsr()).astype(np.float32, copy=True)
    confidence.data = 1.0 + alpha * confidence.data
    return confidence


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


@contextlib.contextmanager
def _threads(num_threads: int | None):
    """numba's pool set to ``num_threads`` for the call and BLAS kept to one thread."""
    previous = numba.get_num_threads()
    wanted = numba.config.NUMBA_NUM_THREADS if num_threads is None else num_threads
    check_whole_number(wanted, "num_threads", 1, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(wanted)
    old_chunk = numba.set_parallel_chunksize(PARALLEL_CHUNKSIZE)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield wanted
    finally:
        numba.set_parallel_chunksize(old_chunk)
        numba.set_num_threads(previous)


class ImplicitALS:
    """Implicit-feedback matrix factorization by alternating least squares.

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
        numba threads for the fit (default: all). BLAS is held to one thread
        meanwhile, so the two never oversubscribe the cores.
    show_progress : bool

    Attributes
    ----------
    user_factors : ndarray, shape (n_users, factors), float32
    item_factors : ndarray, shape (n_items, factors), float32
    """

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
        self.random_state = random_state
        self.num_threads = num_threads
        self.show_progress = show_progress
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None
        self.user_items: sp.csr_matrix | None = None
        self._related: TopRelated | None = None

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
        self._related = None
        Ciu = Cui.T.tocsr()
        Ciu.sort_indices()
        with _threads(self.num_threads), tqdm(total=self.iterations, desc=f"ALS ({self.solver})",
                                               unit="it", disable=not self.show_progress, leave=False) as bar:
            for iteration in range(1, self.iterations + 1):
                start = time.perf_counter()
                self._half_step(Cui, self.user_factors, self.item_factors)
                self._half_step(Ciu, self.item_factors, self.user_factors)
                seconds = time.perf_counter() - start
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

    # -- using the factors ---------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if self.user_factors is None or self.item_factors is None:
            raise RuntimeError("the model is not fitted: call fit(user_items) first")

    @property
    def shape(self) -> tuple[int, int]:
        self._check_fitted()
        return self.user_factors.shape[0], self.item_factors.shape[0]

    def loss(self, user_items=None) -> float:
        """The confidence-weighted loss of the fitted factors (see :func:`confidence_loss`).

        Uses the training matrix unless ``user_items`` is given.
        """
        self._check_fitted()
        Cui = self.user_items if user_items is None else check_user_items(user_items, self.shape)
        return confidence_loss(Cui, self.user_factors, self.item_factors, self.regularization, self.num_threads)

    def recommend(self, user: int, n: int = 10, *, filter_already_listened: bool = True, explain: int = 0):
        """The ``n`` best items for ``user`` by ``x_u . y_i``, best first; equal scores by item index.

        Items with all-zero factors (no listener in the training data) are never
        recommended, so fewer than ``n`` come back when fewer items are left.
        A user with no items in the training data is an error.

        Parameters
        ----------
        user : int
        n : int
        filter_already_listened : bool
            Leave out items the user has in the training matrix.
        explain : int
            If > 0, also return, for each recommended item, the ``explain``
            listened items that contributed most to its score ("because you
            listened to"). ALS's score is a sum over the user's items j of
            ``c_uj * y_iᵀ W_u⁻¹ y_j`` with ``W_u = YᵀC_uY + reg I``
            (Hu et al., section 5), which is what is ranked.

        Returns
        -------
        items : ndarray of int, shape (<= n,)
        scores : ndarray of float32, shape (<= n,)
        because : list of (indices, contributions) per item, only if ``explain``.
        """
        self._check_fitted()
        n_users, n_items = self.shape
        user = check_whole_number(user, "user")
        if not 0 <= user < n_users:
            raise IndexError(f"user {user} is not in [0, {n_users})")
        n = check_whole_number(n, "n", 1, n_items)
        explain = check_whole_number(explain, "explain", 0)
        if not self.user_factors[user].any():
            raise ValueError(f"user {user} has no items in the training matrix, so all-zero factors: every score "
                             "would be 0 and any list arbitrary (recommend popular items to such a user instead)")
        scores = self.item_factors @ self.user_factors[user]
        scores[~self.item_factors.any(axis=1)] = -np.inf
        if filter_already_listened:
            scores[self.user_items.indices[self.user_items.indptr[user]:self.user_items.indptr[user + 1]]] = -np.inf
        top, top_scores = top_n(scores[None, :], n)
        found = np.isfinite(top_scores[0])
        top, top_scores = top[0][found], top_scores[0][found]
        if not explain:
            return top, top_scores
        return top, top_scores, self._explain(user, top, explain)

    def _explain(self, user: int, items: np.ndarray, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        start, stop = self.user_items.indptr[user], self.user_items.indptr[user + 1]
        listened, confidence = self.user_items.indices[start:stop], self.user_items.data[start:stop]
        Y = self.item_factors.astype(np.float64)
        Yu = Y[listened]
        W = Y.T @ Y + Yu.T @ ((confidence - 1.0)[:, None] * Yu) + self.regularization * np.eye(self.factors)
        out = []
        for item in items:
            contribution = confidence * (Yu @ np.linalg.solve(W, Y[item]))
            best = np.argsort(-contribution, kind="stable")[:n]
            out.append((listened[best], contribution[best]))
        return out

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` items with the most similar factors (cosine), as :class:`TopRelated`."""
        self._check_fitted()
        if self._related is None:
            self._related = TopRelated(self.item_factors)
        return self._related.get_related(item, n)

