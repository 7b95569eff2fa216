"""Exact related lists for every item at the full 360K shape: the tiled method, the block loop it replaced, BLAS alone.

Two sets of 292,385 vectors: Gaussian random vectors of 64 dimensions, and the
item factors of our ALS (as in ``bench_ann.py``: 15 iterations, BM25
confidence, synthetic data of the full 360K shape; 50 factors here unless
``--als-factors``). For each set, every measurement runs in a fresh process
that first calls its code on a slice, so compiling and loading the numba cache
are left out:

* ``tiled``: ``all_related(method="exact")``: single-threaded BLAS tiles on
  and above the diagonal, one per thread, each merged into the top-n lists
  while in cache;
* ``block loop``: the method this replaced, kept here as the baseline: blocks
  of at least 256 rows (128 MiB of scores) against all items, one BLAS product
  on all threads each, then ``top_n_rows`` (numba, parallel over rows);
* ``BLAS, full``: the whole product ``unit @ unit.T`` in the same tiles, each
  thread single-threaded on its own, with nothing selected: the floor of any
  method that computes every score once per item;
* ``BLAS, half``: only the tiles on and above the diagonal, as ``tiled``
  computes them: ``tiled`` less this is the cost of the selection.

Each line gives the median seconds of ``--repeat`` runs, the ratio to the
FLOP floor ``n_items**2 * factors * 2 / peak`` (``--peak-gflops``: 150 by
default, the figure issue 15 takes for this project's 2-core Zen 4; BLAS may
beat it when the cores boost their clock) and the ratio to ``BLAS, full``
measured. ``tiled`` and ``block loop`` lists are compared entry by entry. The
first call of the tiled kernels with an empty numba cache is timed once, apart.

    python benchmarks/bench_exact.py [--scale 1.0] [--threads 2] [--repeat 1] [--als-factors 50]
                                     [--sets random "ALS factors"]
                                     [--methods tiled "block loop" "BLAS, full" "BLAS, half"]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import run_child

CHILD = r"""
import json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from recsys_utils.neighbours import TILE_ROWS, all_related
from recsys_utils.utils import limit_threads, normalize_rows, spread_rows, top_n_rows
method, path, out_path, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
unit = normalize_rows(np.load(path))
n = 10


def block_loop(factors, n, block_bytes=128 << 20):
    # the exact method before the tiles, verbatim but for its progress bar
    keep = np.flatnonzero(factors.any(axis=1))
    unit = factors[keep]
    n_items = len(unit)
    block = max(min(256, n_items), min(n_items, block_bytes // (4 * n_items)))
    indices = np.empty((n_items, n), dtype=np.int32)
    scores = np.empty((n_items, n), dtype=np.float32)
    with limit_threads(threads):
        for start in range(0, n_items, block):
            stop = min(start + block, n_items)
            indices[start:stop], scores[start:stop] = top_n_rows(unit[start:stop] @ unit.T, n, start)
    return spread_rows(keep, len(factors), n, indices, scores)


def blas_alone(unit, half):
    side = TILE_ROWS
    starts = range(0, len(unit), side)
    strips = iter(range(len(starts)))
    lock = threading.Lock()

    def work():
        buffer = np.empty(side * side, np.float32)
        while True:
            with lock:
                strip = next(strips, None)
            if strip is None:
                return
            rows = unit[starts[strip]:starts[strip] + side]
            for first in (starts[strip:] if half else starts):
                columns = unit[first:first + side]
                np.matmul(rows, columns.T, out=buffer[:len(rows) * len(columns)].reshape(len(rows), len(columns)))

    with limit_threads(threads, blas_threads=1), ThreadPoolExecutor(threads) as pool:
        for task in [pool.submit(work) for _ in range(threads)]:
            task.result()


run = {"tiled": lambda u: all_related(u, n, show_progress=False, num_threads=threads),
       "block loop": lambda u: block_loop(u, n),
       "BLAS, full": lambda u: blas_alone(u[u.any(axis=1)], half=False),
       "BLAS, half": lambda u: blas_alone(u[u.any(axis=1)], half=True)}[method]
run(unit[:3000])  # compile, or load from the numba cache
start = time.perf_counter()
cpu = time.process_time()
found = run(unit)
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu
if found is not None:
    np.save(out_path, found[0])
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_rss_mb()}))
"""

COMPILE = r"""
import json, time
import numpy as np
start = time.perf_counter()
from recsys_utils.neighbours import all_related
all_related(np.random.default_rng(0).standard_normal((3000, 16)).astype(np.float32), 10, show_progress=False)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

METHODS = ["tiled", "block loop", "BLAS, full", "BLAS, half"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--als-factors", type=int, default=50)
    parser.add_argument("--peak-gflops", type=float, default=150.0)
    parser.add_argument("--sets", nargs="+", default=["random", "ALS factors"])
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    args = parser.parse_args()

    import numpy as np

    from recsys_utils.synthetic import FULL_ARTISTS

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")
        compiled = run_child(COMPILE)["seconds"]
        print(f"tiled kernels, first call with an empty numba cache: {compiled:.1f} s (compile; not counted below)",
              flush=True)
        for name in args.sets:
            start = time.perf_counter()
            if name == "random":
                vectors = np.random.default_rng(0).standard_normal((round(FULL_ARTISTS * args.scale), 64))
            else:
                from bench_ann import item_factors

                vectors = item_factors(args.scale, args.als_factors, args.threads)
            vectors = vectors.astype(np.float32)
            path = tmp / f"{name}.npy"
            np.save(path, vectors)
            n_items, factors = vectors.shape
            kept = int(vectors.any(axis=1).sum())
            floor = kept**2 * factors * 2 / (args.peak_gflops * 1e9)
            print(f"{name}: {vectors.shape} ({kept:,} with factors) ready in {time.perf_counter() - start:.0f} s; "
                  f"FLOP floor {floor:.1f} s", flush=True)
            lists = {}
            for method in args.methods:
                out_path = tmp / f"{name}-{method}.npy"
                runs = [run_child(CHILD, method, path, out_path, args.threads) for _ in range(args.repeat)]
                seconds = statistics.median(r["seconds"] for r in runs)
                row = {"set": name, "method": method, "seconds": seconds, "floor": floor,
                       "cpu": statistics.median(r["cpu"] for r in runs),
                       "peak_mb": max(r["peak_mb"] for r in runs), "all": [r["seconds"] for r in runs]}
                if out_path.exists():
                    lists[method] = np.load(out_path)
                rows.append(row)
                print(f"  {method:<12}{seconds:8.1f} s  x{seconds / floor:.2f} floor  cpu {row['cpu']:7.1f} s  "
                      f"peak {row['peak_mb']:,.0f} MiB  runs {json.dumps([round(s, 1) for s in row['all']])}",
                      flush=True)
            if "tiled" in lists and "block loop" in lists:
                same = (lists["tiled"] == lists["block loop"]).mean()
                rows_same = (lists["tiled"] == lists["block loop"]).all(axis=1).mean()
                print(f"  tiled and block loop lists: {same:.6f} of entries and {rows_same:.6f} of rows equal",
                      flush=True)

    print(f"\nexact top-10 of every item on {args.threads} threads, median of {args.repeat} "
          f"(FLOP floor: {args.peak_gflops:g} GFLOP/s for every score)")
    print(f"{'vectors':<13}{'method':<13}{'seconds':>9}{'x floor':>9}{'x BLAS':>8}{'cpu s':>8}{'peak MiB':>10}"
          f"{'vs block loop':>15}")
    for r in rows:
        def seconds(method):
            return next((o["seconds"] for o in rows if o["set"] == r["set"] and o["method"] == method), None)

        old, blas = seconds("block loop"), seconds("BLAS, full")
        speedup = f"{old / r['seconds']:.2f}x faster" if old and r["method"] != "block loop" else ""
        of_blas = f"{r['seconds'] / blas:.2f}" if blas else ""
        print(f"{r['set']:<13}{r['method']:<13}{r['seconds']:>9.1f}{r['seconds'] / r['floor']:>9.2f}{of_blas:>8}"
              f"{r['cpu']:>8.1f}{r['peak_mb']:>10,.0f}{speedup:>15}")


if __name__ == "__main__":
    main()
