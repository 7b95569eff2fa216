"""numba kernels of the block Krylov SVD in :mod:`recsys_utils.lsa`.

The NumPy reference of :func:`tiled_times_dense` is scipy's own product,
``csr_matrix @ dense``, which adds each row's terms in the same order: the
two agree bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .als_kernels import prefetch_row

#: How many stored entries ahead :func:`tiled_times_dense` asks for the dense row it will read.
PREFETCH_AHEAD = 8


@njit(parallel=True, cache=True)
def column_tiles(indptr, indices, data, n_columns, tile_columns):
    """The CSR matrix's entries regrouped by ranges of ``tile_columns`` columns, then by row.

    Returns ``(tile_indptr, tile_indices, tile_data)``: the entries of row ``r``
    in columns ``[t * tile_columns, (t + 1) * tile_columns)`` are
    ``tile_indptr[t, r]:tile_indptr[t, r + 1]``, still in column order, with
    their column numbers unchanged. The columns' indices must be sorted within
    each row (canonical CSR).
    """
    n_rows = indptr.size - 1
    n_tiles = max(1, (n_columns + tile_columns - 1) // tile_columns)
    counts = np.zeros((n_tiles, n_rows), dtype=np.int64)
    for r in prange(n_rows):
        for p in range(indptr[r], indptr[r + 1]):
            counts[indices[p] // tile_columns, r] += 1
    tile_indptr = np.empty((n_tiles, n_rows + 1), dtype=np.int64)
    total = 0
    for t in range(n_tiles):
        for r in range(n_rows):
            tile_indptr[t, r] = total
            total += counts[t, r]
        tile_indptr[t, n_rows] = total
    tile_indices = np.empty(total, dtype=indices.dtype)
    tile_data = np.empty(total, dtype=data.dtype)
    for r in prange(n_rows):
        tile, first = -1, 0
        for p in range(indptr[r], indptr[r + 1]):
            t = indices[p] // tile_columns
            if t != tile:
                tile, first = t, p
            q = tile_indptr[t, r] + p - first
            tile_indices[q] = indices[p]
            tile_data[q] = data[p]
    return tile_indptr, tile_indices, tile_data


@njit(parallel=True, cache=True)
def tiled_times_dense(tile_indptr, tile_indices, tile_data, dense):
    """``X @ dense`` for ``X`` in :func:`column_tiles` form, ``dense`` C-contiguous float32.

    Every stored entry reads one row of ``dense`` from a random place, which
    is asked for a few entries ahead. The columns are taken one tile at a
    time, so the rows read at random are a slice that stays in cache (the
    whole of ``dense`` does not). Each row of the result adds its terms in
    column order, one row per task: the bits do not depend on the number of
    threads. No ``fastmath``: without reassociation or fused multiply-adds,
    the vector and scalar paths LLVM picks between give the same bits.
    """
    n_tiles, n_rows = tile_indptr.shape[0], tile_indptr.shape[1] - 1
    width = dense.shape[1]
    out = np.zeros((n_rows, width), dtype=np.float32)
    for t in range(n_tiles):
        for r in prange(n_rows):
            start, stop = tile_indptr[t, r], tile_indptr[t, r + 1]
            row = out[r]
            for p in range(start, stop):
                if p + PREFETCH_AHEAD < stop:
                    prefetch_row(dense, tile_indices[p + PREFETCH_AHEAD])
                weight = tile_data[p]
                source = dense[tile_indices[p]]
                for c in range(width):
                    row[c] += weight * source[c]
    return out
