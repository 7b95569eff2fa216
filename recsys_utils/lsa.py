"""Latent semantic analysis: a truncated SVD of the weighted artists x users matrix.

Two solvers give the same factors. ``"block_krylov"`` (the default) builds an
orthonormal basis of the block Krylov space of ``X Xᵀ`` started from
``X Ω`` for a random ``Ω``, and takes the leading eigenvectors of ``X Xᵀ``
within it (Rayleigh-Ritz): every product with ``X`` is a sparse matrix times a
block of dense columns, on every core. ``"arpack"`` is scipy's ``svds`` in
float64, one vector at a time on one core: the reference.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from .lsa_kernels import column_tiles, tiled_times_dense
from .utils import check_whole_number, kernel_threads, progress_bar

SOLVERS = ("block_krylov", "arpack")
#: Bytes of the dense block read at random by one tile of a sparse product (fits in the L2/L3 caches).
TILE_BYTES = 4 << 20
#: Rows of the basis in one single-threaded BLAS call; fixed, so that sums are added in one order.
DENSE_CHUNK_ROWS = 8192
#: A new column whose part outside the basis is below this fraction of the block's largest column is lost
#: (about the square root of float32's epsilon: below it, the part is mostly rounding).
RANK_TOLERANCE = 1e-3


def lsa_factors(
    weighted_item_users,
    factors: int = 50,
    random_state: int | np.random.Generator | None = 0,
    *,
    solver: str = "block_krylov",
    block_size: int | None = None,
    n_iter: int = 10,
    num_threads: int | None = None,
    show_progress: bool = False,
    return_singular_values: bool = False,
):
    """Item factors from the ``factors`` largest singular triplets.

    ``X ≈ U Σ Vᵀ`` for the weighted items x users matrix ``X``; as in the blog,
    the item factors are the rows of ``U`` (the left singular vectors), and
    cosine similarity between them gives related items. ``U Uᵀ x`` projects a
    user's weighted column ``x`` on the factor space, which is how
    :func:`lsa_user_scores` recommends.

    Parameters
    ----------
    weighted_item_users : sparse matrix, shape (n_items, n_users)
        E.g. ``bm25_weight(data.item_users)``.
    factors : int
        Number of singular triplets; must be below ``min(shape)``.
    random_state : int, Generator or None
        Seeds the random start (``Ω``, or ARPACK's start vector): the same seed
        gives the same bits, with any number of threads.
    solver : {"block_krylov", "arpack"}
        ``"block_krylov"``: float32 products on every core (see the module
        docstring); ``"arpack"``: ``scipy.sparse.linalg.svds`` in float64.
    block_size : int, optional
        Columns of ``Ω`` and of every block of the basis (block Krylov only);
        by default ``max(64, factors + 10)``. Must be at least ``factors``.
    n_iter : int
        How many times the basis grows by a block of ``X Xᵀ`` times its last
        block (block Krylov only): the basis holds ``n_iter + 1`` blocks, and
        the solve costs ``2 n_iter + 3`` sparse products. More is more
        accurate; ``benchmarks/bench_lsa.py`` measures the trade.
    num_threads : int, optional
        Threads for the block Krylov solver (default: all cores).
    show_progress : bool
        A progress bar over the blocks of the basis.
    return_singular_values : bool
        Also return the singular values (descending).

    Returns
    -------
    item_factors : ndarray, shape (n_items, factors), float32
        Each column's sign is fixed so its largest-magnitude entry is positive.
        Items with no stored weight get exactly zero factors.
    singular_values : ndarray, shape (factors,), only if asked for.
    """
    if not sp.issparse(weighted_item_users):
        raise TypeError("weighted_item_users must be a scipy.sparse matrix (items x users)")
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, not {solver!r}")
    n_items, n_users = weighted_item_users.shape
    if not 1 <= factors < min(n_items, n_users):
        raise ValueError(
            f"factors must be between 1 and min(shape) - 1 = {min(n_items, n_users) - 1} for a "
            f"{n_items} x {n_users} matrix, not {factors}"
        )
    rng = np.random.default_rng(random_state)
    if solver == "arpack":
        X = weighted_item_users.tocsr().astype(np.float64)
        v0 = rng.uniform(-1, 1, size=min(X.shape))
        U, s, _ = svds(X, k=factors, v0=v0, solver="arpack")
    else:
        block_size = max(64, factors + 10) if block_size is None else block_size
        block_size = check_whole_number(block_size, "block_size", factors)
        n_iter = check_whole_number(n_iter, "n_iter", 0)
        X = weighted_item_users.tocsr().astype(np.float32)
        X.sum_duplicates()  # sorted column indices, which the tiles need
        if not np.isfinite(X.data).all():
            raise ValueError("weighted_item_users holds NaN or infinite weights")
        U, s = _block_krylov(X, factors, block_size, n_iter, rng, num_threads, show_progress)
    order = np.argsort(-s, kind="stable")
    U, s = U[:, order], s[order]
    X.eliminate_zeros()
    U[np.diff(X.indptr) == 0] = 0.0  # exactly: the solvers leave ~1e-17 there, which normalising would blow up
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(factors)])
    U *= np.where(signs == 0, 1, signs)
    item_factors = np.ascontiguousarray(U, dtype=np.float32)
    return (item_factors, s) if return_singular_values else item_factors


def _block_krylov(X: sp.csr_matrix, factors: int, block_size: int, n_iter: int, rng: np.random.Generator,
                  num_threads: int | None, show_progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Leading eigenpairs of ``X Xᵀ`` by Rayleigh-Ritz on a block Krylov basis: ``(U, singular values)``.

    The basis ``Q`` holds ``X Ω``, then ``X Xᵀ`` times each block in turn,
    every new block orthonormalised against all earlier ones (see
    :func:`_append_orthonormal`). ``T = Qᵀ X Xᵀ Q`` is filled from the products themselves, so it
    needs no recurrence to hold exactly; the eigenvectors of ``T`` for its
    ``factors`` largest eigenvalues, mapped back by ``Q``, are the factors.
    BLAS runs single-threaded on fixed chunks of rows in a pool of threads,
    and each product's sums are added in chunk order: the same bits with any
    number of threads.
    """
    n_items, n_users = X.shape
    width = min(block_size, n_items)
    n_blocks = max(1, min(n_iter + 1, n_items // width))
    dimension = width * n_blocks
    with kernel_threads(num_threads) as threads, ThreadPoolExecutor(threads) as pool, progress_bar(
            total=n_blocks, desc="LSA", unit="block", disable=not show_progress) as bar:
        item_users = _tiles(X, width)
        user_items = _tiles(X.T.tocsr(), width)
        basis = np.empty((n_items, dimension), dtype=np.float32)
        projected = np.zeros((dimension, dimension))
        start = tiled_times_dense(*item_users, rng.standard_normal((n_users, width), dtype=np.float32))
        _append_orthonormal(basis, 0, start, None, rng, pool)
        for j in range(n_blocks):
            lo, hi = j * width, (j + 1) * width
            block = tiled_times_dense(*item_users, tiled_times_dense(*user_items, np.ascontiguousarray(basis[:, lo:hi])))
            coefficients = _project(basis[:, :hi], block, pool)
            projected[:hi, lo:hi] = coefficients
            projected[lo:hi, :hi] = coefficients.T
            if hi < dimension:
                _append_orthonormal(basis, hi, block, coefficients, rng, pool)
            bar.update()
        projected = (projected + projected.T) / 2
        eigenvalues, eigenvectors = np.linalg.eigh(projected)  # BLAS at one thread: the same bits every time
        top = np.argsort(-eigenvalues, kind="stable")[:factors]
        item_factors = _times(basis, eigenvectors[:, top].astype(np.float32), pool)
    return item_factors, np.sqrt(np.maximum(eigenvalues[top], 0.0))


def _tiles(X: sp.csr_matrix, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X`` in :func:`~recsys_utils.lsa_kernels.column_tiles` form for products with ``width`` dense columns."""
    tile_columns = max(1, TILE_BYTES // (4 * width))
    return column_tiles(X.indptr, X.indices, X.data, X.shape[1], tile_columns)


def _chunks(n_rows: int) -> list[slice]:
    return [slice(lo, min(n_rows, lo + DENSE_CHUNK_ROWS)) for lo in range(0, n_rows, DENSE_CHUNK_ROWS)]


def _project(basis: np.ndarray, block: np.ndarray, pool: ThreadPoolExecutor) -> np.ndarray:
    """``basisᵀ block`` in float64, summed over fixed chunks of rows in chunk order."""
    total = np.zeros((basis.shape[1], block.shape[1]))
    for part in pool.map(lambda rows: basis[rows].T @ block[rows], _chunks(basis.shape[0])):
        total += part
    return total


def _subtract(block: np.ndarray, basis: np.ndarray, coefficients: np.ndarray, pool: ThreadPoolExecutor) -> None:
    """``block -= basis @ coefficients`` in place, chunk by chunk."""
    coefficients = coefficients.astype(np.float32)

    def subtract(rows: slice) -> None:
        np.subtract(block[rows], basis[rows] @ coefficients, out=block[rows])

    list(pool.map(subtract, _chunks(block.shape[0])))


def _times(basis: np.ndarray, coefficients: np.ndarray, pool: ThreadPoolExecutor) -> np.ndarray:
    """``basis @ coefficients``, chunk by chunk."""
    out = np.empty((basis.shape[0], coefficients.shape[1]), dtype=np.float32)

    def times(rows: slice) -> None:
        np.matmul(basis[rows], coefficients, out=out[rows])

    list(pool.map(times, _chunks(basis.shape[0])))
    return out


def _append_orthonormal(basis: np.ndarray, at: int, block: np.ndarray, coefficients: np.ndarray | None,
                        rng: np.random.Generator, pool: ThreadPoolExecutor) -> None:
    """Orthonormalise ``block`` against ``basis[:, :at]`` and store it at ``basis[:, at:at + width]``.

    ``coefficients`` (``basis[:, :at]ᵀ block``, when already known) serve the
    first Gram-Schmidt pass; the block is then orthonormalised by Cholesky QR,
    projected once more and orthonormalised again (each pass is two chunked
    products on every core; LAPACK's Householder QR of a tall block runs on
    one core and took seconds). A column that the others
    already span (the space is invariant, or ``X`` has low rank) is replaced by
    a random direction: any orthonormal extension keeps the Rayleigh-Ritz step
    exact, because ``T`` is computed, not recurred.
    """
    previous = basis[:, :at]
    n_rows = block.shape[0]
    # "Lost" is judged against the incoming columns' size, which no attempt changes.
    scale2 = float(np.einsum("ij,ij->j", block, block, dtype=np.float64).max(initial=0.0)) or 1.0
    for attempt in range(3):
        if at:
            _subtract(block, previous, coefficients if attempt == 0 and coefficients is not None
                      else _project(previous, block, pool), pool)
        r, lost = _cholesky(_project(block, block, pool), RANK_TOLERANCE ** 2 * scale2)
        if not lost.any():
            block = _times(block, np.linalg.inv(r).astype(np.float32), pool)
            if at:  # again, now that the columns are of unit length: what rounding left, scaled up with them
                _subtract(block, previous, _project(previous, block, pool), pool)
            r, lost = _cholesky(_project(block, block, pool), RANK_TOLERANCE ** 2)
            if not lost.any():
                basis[:, at:at + block.shape[1]] = _times(block, np.linalg.inv(r).astype(np.float32), pool)
                return
            scale2 = 1.0  # the block is now of unit columns
        block[:, lost] = rng.standard_normal((n_rows, int(lost.sum())), dtype=np.float32) * np.float32(
            np.sqrt(scale2 / n_rows))
    raise RuntimeError("could not extend the Krylov basis with random directions")


def _cholesky(gram: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper ``R`` with ``RᵀR = gram``, and which columns' pivots fell to ``floor`` or below (lost).

    A lost column gets a zero row in ``R``; the caller replaces it before ``R`` is used.
    """
    n = gram.shape[0]
    r = np.zeros_like(gram)
    lost = np.zeros(n, dtype=bool)
    for i in range(n):
        pivot = gram[i, i] - r[:i, i] @ r[:i, i]
        if pivot <= floor:
            lost[i] = True
            continue
        r[i, i] = np.sqrt(pivot)
        r[i, i + 1:] = (gram[i, i + 1:] - r[:i, i] @ r[:i, i + 1:]) / r[i, i]
    return r, lost


def lsa_user_scores(item_factors: np.ndarray, weighted_user_items) -> np.ndarray:
    """Scores of every item for some users: ``(x_u U) Uᵀ``, the rank-k projection.

    Parameters
    ----------
    item_factors : ndarray, shape (n_items, factors)
        ``U`` from :func:`lsa_factors`.
    weighted_user_items : sparse matrix, shape (n_users_in_batch, n_items)
        The users' weighted rows (the transpose of the weighted items x users).

    Returns
    -------
    ndarray, shape (n_users_in_batch, n_items), float32
    """
    if weighted_user_items.shape[1] != item_factors.shape[0]:
        raise ValueError(
            f"weighted_user_items has {weighted_user_items.shape[1]} columns (items) but there are "
            f"{item_factors.shape[0]} item factors"
        )
    user_vectors = np.asarray(weighted_user_items @ item_factors, dtype=np.float32)
    return user_vectors @ item_factors.T
