"""numba kernels of implicit ALS; :mod:`recsys_utils.als_reference` is their NumPy twin.

Every kernel runs ``prange`` over rows and computes each row from that row's
data alone, in a fixed order, so results do not depend on the number of
threads or on how rows are shared among them. Factors are row-major float32:
a row is one contiguous 50-float vector. The CG kernel prefetches the rows of
the next few items, which hides most of the memory latency of its first pass,
and gathers them into one block that its later passes read in order. Inner loops
over the factor dimension are plain loops that numba vectorises
(``fastmath`` lets it reorder the sums). A loop that both sums and stores is
vectorised only after run-time checks on where its arrays lie, so its sum could
be added in an order that depends on the heap: the kernels keep every sum in a
loop of its own that only reads, which makes a fit bitwise repeatable.
"""

from __future__ import annotations

import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

#: Rows summed by one task of :func:`gram`; fixed, so the sum's order never changes.
GRAM_CHUNK = 4096
#: How many factor rows ahead the CG kernel asks the CPU to fetch from memory.
PREFETCH_AHEAD = 4
_PREFETCH = "llvm.prefetch.p0" if llvm_binding.llvm_version_info >= (15,) else "llvm.prefetch.p0i8"


@intrinsic
def prefetch_row(typingctx, matrix, row):
    """Hint the CPU to load the first 256 bytes of ``matrix[row]`` (a C-contiguous 2-d array).

    The first pass over a user's items reads their factor rows from random
    places in memory; asking for the next rows a few items ahead overlaps those
    cache misses with arithmetic. It changes no result: a hint, not a load.
    """
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        zero = context.get_constant(types.intp, 0)
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [index, zero], wraparound=False)
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer(), i32, i32, i32]), _PREFETCH)
        for offset in range(0, 256, 64):  # read, keep in all cache levels, data
            address = builder.gep(byte_pointer, [ir.Constant(ir.IntType(64), offset)])
            builder.call(function, [address, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(matrix, row), codegen


@njit(parallel=True, fastmath=True, cache=True)
def gram(Y):
    """YᵀY in float64, summed in fixed chunks of rows and then in chunk order.

    Each chunk is copied transposed into float64, so every entry of its YᵀY is
    one contiguous dot product of two columns (vectorised, in a loop that only
    reads, in an order that depends on the chunk's length alone).
    """
    n, k = Y.shape
    n_chunks = (n + GRAM_CHUNK - 1) // GRAM_CHUNK
    partial = np.zeros((n_chunks, k, k))
    for c in prange(n_chunks):
        lo = c * GRAM_CHUNK
        hi = min(n, lo + GRAM_CHUNK)
        columns = np.empty((k, hi - lo))
        for i in range(lo, hi):
            for a in range(k):
                columns[a, i - lo] = Y[i, a]
        out = partial[c]
        for a in range(k):
            for b in range(a + 1):
                s = dot(columns[a], columns[b])
                out[a, b] = s
                out[b, a] = s
    total = np.zeros((k, k))
    for c in range(n_chunks):
        total += partial[c]
    return total


@njit(parallel=True, fastmath=True, cache=True)
def cholesky_sweep(indptr, indices, data, Y, YtY_reg, X):
    """Exact half-step: X[u] = (YᵀY + reg I + Yᵀ(C_u - I)Y)⁻¹ Yᵀ C_u p_u for every row u.

    ``YtY_reg`` is YᵀY + reg I in float64; the system is built and solved in
    float64 (Cholesky, then two triangular solves). A row with nothing stored
    gets x = 0, the exact solution.
    """
    n, k = X.shape
    for u in prange(n):
        start, stop = indptr[u], indptr[u + 1]
        if start == stop:
            X[u, :] = 0.0
            continue
        A = YtY_reg.copy()
        b = np.zeros(k)
        for jj in range(start, min(stop, start + PREFETCH_AHEAD)):
            prefetch_row(Y, indices[jj])
        for jj in range(start, stop):
            if jj + PREFETCH_AHEAD < stop:
                prefetch_row(Y, indices[jj + PREFETCH_AHEAD])
            i = indices[jj]
            c = np.float64(data[jj])
            for a in range(k):
                ya = np.float64(Y[i, a])
                b[a] += c * ya
                w = (c - 1.0) * ya
                for bb in range(a + 1):
                    A[a, bb] += w * Y[i, bb]
        # In-place Cholesky of the lower triangle: A = L Lᵀ.
        for j in range(k):
            s = A[j, j]
            for m in range(j):
                s -= A[j, m] * A[j, m]
            d = np.sqrt(s)
            A[j, j] = d
            for i2 in range(j + 1, k):
                t = A[i2, j]
                for m in range(j):
                    t -= A[i2, m] * A[j, m]
                A[i2, j] = t / d
        for j in range(k):  # L z = b
            t = b[j]
            for m in range(j):
                t -= A[j, m] * b[m]
            b[j] = t / A[j, j]
        for j in range(k - 1, -1, -1):  # Lᵀ x = z
            t = b[j]
            for m in range(j + 1, k):
                t -= A[m, j] * b[m]
            b[j] = t / A[j, j]
        for a in range(k):
            X[u, a] = b[a]


@njit(fastmath=True, cache=True, inline="always")
def dot(a, b):
    """Sum of a[i] * b[i], in a loop that only reads, so its summation order depends on the length alone."""
    s = np.float32(0.0)  # float32 input: float32 sums; float64 input makes the sum float64
    for i in range(len(a)):
        s += a[i] * b[i]
    return s


@njit(fastmath=True, cache=True, inline="always")
def row_dot(M, row, b):
    """``dot(M[row], b)`` without making a view of the row (this runs once per stored entry)."""
    s = np.float32(0.0)  # float32 input: float32 sums; float64 input makes the sum float64
    for i in range(len(b)):
        s += M[row, i] * b[i]
    return s


@njit(parallel=True, fastmath=True, cache=True)
def cg_sweep(indptr, indices, data, Y, YtY_reg, X, cg_steps):
    """Conjugate-gradient half-step from the current X (``cg_steps`` steps per row).

    ``YtY_reg`` is YᵀY + reg I. Everything is float32 (what ``fit`` uses) or,
    given float64 arrays, float64 throughout (to measure what precision costs).
    Mirrors :func:`recsys_utils.als_reference.least_squares_cg` step for step. A row
    with nothing stored gets x = 0, the exact solution (CG would only shrink
    it towards 0, leaving noise that normalised factors blow up to unit length).

    The first pass gathers the row's item factors from their random places in
    ``Y`` into one contiguous block, which every CG step then reads in order
    (a popular artist's listeners do not fit in cache: without the block, each
    step would fetch them from memory again).

    Bitwise reproducible: LLVM vectorises a loop only after run-time checks on
    where its arrays lie in memory, and takes a scalar path otherwise. A sum in
    a loop that also stores would then be added in another order depending on
    the heap. So every sum is computed in a loop that only reads (:func:`dot`),
    and a row's vectors live in one scratch block at fixed offsets.
    """
    n, k = X.shape
    for u in prange(n):
        start, stop = indptr[u], indptr[u + 1]
        if start == stop:
            X[u, :] = 0.0
            continue
        for jj in range(start, min(stop, start + PREFETCH_AHEAD)):
            prefetch_row(Y, indices[jj])
        scratch = np.empty((4, k), dtype=X.dtype)
        x, r, p, Ap = scratch[0], scratch[1], scratch[2], scratch[3]
        rows = np.empty((stop - start, k), dtype=X.dtype)  # Y[indices[start:stop]], gathered once
        x[:] = X[u]
        for a in range(k):  # r = b - A x, with b = Yᵀ C_u p_u
            r[a] = -row_dot(YtY_reg, a, x)
        for jj in range(start, stop):
            if jj + PREFETCH_AHEAD < stop:
                prefetch_row(Y, indices[jj + PREFETCH_AHEAD])
            i = indices[jj]
            j = jj - start
            for a in range(k):
                rows[j, a] = Y[i, a]
            c = data[jj]
            w = c - (c - np.float32(1.0)) * row_dot(rows, j, x)
            for a in range(k):
                r[a] += w * rows[j, a]
        p[:] = r
        rs_old = dot(r, r)
        for _ in range(cg_steps):
            if rs_old < 1e-20:
                break
            for a in range(k):
                Ap[a] = row_dot(YtY_reg, a, p)
            for j in range(stop - start):
                w = (data[start + j] - np.float32(1.0)) * row_dot(rows, j, p)
                for a in range(k):
                    Ap[a] += w * rows[j, a]
            alpha = rs_old / dot(p, Ap)
            for a in range(k):
                x[a] += alpha * p[a]
                r[a] -= alpha * Ap[a]
            rs_new = dot(r, r)
            beta = rs_new / rs_old
            for a in range(k):
                p[a] = r[a] + beta * p[a]
            rs_old = rs_new
        X[u] = x


@njit(parallel=True, fastmath=True, cache=True)
def loss_terms(indptr, indices, data, X, Y, YtY):
    """Per row u: x_uᵀ YᵀY x_u + sum over stored i of (c - 1) p̂² - 2 c p̂ + c, and |x_u|².

    Summed over rows this is the confidence-weighted squared error over the
    whole matrix (unstored cells have c = 1, p = 0) in O(nnz k + rows k²).
    """
    n, k = X.shape
    error = np.zeros(n)
    norms = np.zeros(n)
    for u in prange(n):
        s = 0.0
        norm = 0.0
        for a in range(k):
            t = 0.0
            for bb in range(k):
                t += YtY[a, bb] * X[u, bb]
            s += t * X[u, a]
            norm += np.float64(X[u, a]) * X[u, a]
        norms[u] = norm
        for jj in range(indptr[u], indptr[u + 1]):
            i = indices[jj]
            c = np.float64(data[jj])
            pred = 0.0
            for a in range(k):
                pred += np.float64(X[u, a]) * Y[i, a]
            s += (c - 1.0) * pred * pred - 2.0 * c * pred + c
        error[u] = s
    return error, norms
