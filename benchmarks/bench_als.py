"""Implicit ALS: ours (CG and Cholesky) against the ``implicit`` library's CPU ALS.

Synthetic data of the full 360K shape (and at 1/10 of it), confidences
``bm25_confidence(user_items)`` as in the blog. Each measurement runs in a fresh
process (own peak memory), and the implementations alternate within every
round (A/B/A/B...), with equal factors, iterations, regularization and
threads. For each we record the median seconds per iteration (every iteration
of every round), peak RSS and the final loss (computed the same way for all).
numba's compile time is measured once, in a process with an empty cache, and
reported separately; it is not in the per-iteration figures.

    python benchmarks/bench_als.py [--scales 1.0 0.1] [--factors 50 64] [--iterations 3]
                                   [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import run_child

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
kind, path, factors, iterations, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
import numpy as np, scipy.sparse as sp
from threadpoolctl import threadpool_limits
from recsys_utils.als import ImplicitALS, confidence_loss
Cui = sp.load_npz(path).tocsr().astype(np.float32)
# Warm up on a tiny matrix: numba loads its cached kernels, implicit its extension.
tiny = sp.random(30, 20, density=0.3, format="csr", dtype=np.float32, random_state=0)
ImplicitALS(4, 0.01, 1, solver=kind.split("-")[1], show_progress=False).fit(tiny)
times = []
if kind.startswith("implicit"):
    from implicit.cpu.als import AlternatingLeastSquares
    model = AlternatingLeastSquares(factors=factors, regularization=0.01, iterations=iterations,
                                    use_cg=(kind == "implicit-cg"), num_threads=threads, random_state=0)
    with threadpool_limits(1, "blas"):
        model.fit(Cui, show_progress=False, callback=lambda it, elapsed, loss: times.append(elapsed))
else:
    model = ImplicitALS(factors, 0.01, iterations, solver=kind.split("-")[1], random_state=0,
                        num_threads=threads, show_progress=False)
    model.fit(Cui, callback=lambda it, seconds, m: times.append(seconds))
loss = confidence_loss(Cui, model.user_factors, model.item_factors, 0.01, threads)
print(json.dumps({"times": times, "peak_mb": peak_rss_mb(), "loss": loss}))
"""

COMPILE = r"""
import json, time
import numpy as np, scipy.sparse as sp
start = time.perf_counter()
from recsys_utils.als import ImplicitALS
C = sp.random(50, 40, density=0.2, format="csr", dtype=np.float32, random_state=0)
for solver in ("cg", "cholesky"):
    ImplicitALS(8, 0.01, 1, solver=solver, random_state=0, show_progress=False).fit(C).loss()
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.1])
    parser.add_argument("--factors", type=int, nargs="+", default=[50, 64])
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cholesky-max-scale", type=float, default=1.0,
                        help="run the Cholesky solvers only up to this scale (they are slow)")
    args = parser.parse_args()

    import scipy.sparse as sp

    from recsys_utils.synthetic import make_synthetic
    from recsys_utils.confidence import bm25_confidence

    have_implicit = importlib.util.find_spec("implicit") is not None
    if not have_implicit:
        print("the implicit library is not installed (pip install implicit): no peer to compare with")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")  # children inherit it
        compile_run = run_child(COMPILE)
        print(f"numba compile (empty cache, all ALS kernels): {compile_run['seconds']:.1f} s; "
              f"later processes load them from the cache", flush=True)
        rows = []
        for scale in args.scales:
            start = time.perf_counter()
            data = make_synthetic(scale, random_state=0)
            confidence = bm25_confidence(data.user_items)
            path = tmp / f"confidence-{scale:g}.npz"
            sp.save_npz(path, confidence, compressed=False)
            print(f"\n{data}, confidence = BM25 (generated in {time.perf_counter() - start:.0f} s)", flush=True)
            del data, confidence
            kinds = ["ours-cg"] + (["implicit-cg"] if have_implicit else [])
            if scale <= args.cholesky_max_scale:
                kinds += ["ours-cholesky"] + (["implicit-cholesky"] if have_implicit else [])
            for factors in args.factors:
                results: dict[str, list[dict]] = {k: [] for k in kinds}
                for round_ in range(args.repeats):
                    for kind in kinds:
                        r = run_child(CHILD, kind, path, factors, args.iterations, args.threads)
                        results[kind].append(r)
                        print(f"  k={factors} round {round_ + 1} {kind:>17}: "
                              f"{' '.join(f'{t:.2f}' for t in r['times'])} s/it, peak {r['peak_mb']:,.0f} MiB", flush=True)
                for kind in kinds:
                    times = [t for r in results[kind] for t in r["times"]]
                    rows.append({"scale": scale, "factors": factors, "kind": kind,
                                 "median": statistics.median(times),
                                 "peak": statistics.median(r["peak_mb"] for r in results[kind]),
                                 "loss": statistics.median(r["loss"] for r in results[kind])})

    print(f"\nseconds per iteration: medians over {args.repeats} rounds x {args.iterations} iterations, "
          f"{args.threads} threads, regularization 0.01")
    print(f"{'scale':>6}{'k':>4}  {'implementation':<18}{'s/iter':>8}{'peak MiB':>10}{'loss':>11}{'vs implicit':>13}")
    for row in rows:
        peer = next((r for r in rows if r["scale"] == row["scale"] and r["factors"] == row["factors"]
                     and r["kind"] == "implicit-" + row["kind"].split("-")[1]), None)
        ratio = f"{row['median'] / peer['median']:.2f}x" if peer else ""
        print(f"{row['scale']:>6g}{row['factors']:>4}  {row['kind']:<18}{row['median']:>8.2f}{row['peak']:>10,.0f}"
              f"{row['loss']:>11.5f}{ratio:>13}")


if __name__ == "__main__":
    main()
