"""BPR and logistic MF: ours against the ``implicit`` library's CPU models.

Two measurements, each fit in a fresh process (its own peak memory), the
implementations alternating within every round (A/B/A/B...), with equal
factors, epochs and threads:

1. Quality on Last.fm 2K, the notebooks' held-out split
   (``train_test_split(user_items, 0.2, random_state=42)``): MAP@10 and fit
   time, with popularity and our ALS for scale. Ours run with their defaults;
   implicit's BPR with its defaults, implicit's LMF with its defaults but our
   factors and epochs. The play counts are what every model is given
   (LogisticMF turns them into confidences itself; ALS gets BM25 confidences).
2. Speed on synthetic data at 1/10 of the 360K shape (``--synthetic-scale``;
   ``make_synthetic(0.1, random_state=42)``): median seconds per epoch (fit
   time / epochs, the same for both libraries) and peak RSS.

numba's compile time is measured once, in a process with an empty cache, and
reported separately; it is in no other figure (every child warms up first).

    python benchmarks/bench_lmf_bpr.py [--repeats 3] [--threads 2] [--synthetic-epochs 5] [--skip-synthetic]
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
kind, train_path, test_path, factors, epochs, threads = (sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                                          int(sys.argv[5]), int(sys.argv[6]))
import numpy as np, scipy.sparse as sp
from threadpoolctl import threadpool_limits
from recsys_utils.bpr import BayesianPersonalizedRanking
from recsys_utils.lmf import LogisticMF
train = sp.load_npz(train_path).tocsr().astype(np.float32)
# Warm up on a tiny matrix: numba loads its cached kernels, implicit its extension.
tiny = sp.random(30, 20, density=0.3, format="csr", dtype=np.float32, random_state=0)
model_kind = kind.split("-")[1]
ours = {"bpr": lambda **kw: BayesianPersonalizedRanking(**kw), "lmf": lambda **kw: LogisticMF(**kw)}
if kind.startswith("ours") or kind.startswith("als"):
    ours[model_kind if model_kind in ours else "bpr"](factors=4, iterations=1, show_progress=False).fit(tiny)
if kind.startswith("implicit"):
    from implicit.cpu.bpr import BayesianPersonalizedRanking as IB
    from implicit.cpu.lmf import LogisticMatrixFactorization as IL
    cls = IB if model_kind == "bpr" else IL
    with threadpool_limits(1, "blas"):
        cls(factors=4, iterations=1, num_threads=threads, random_state=0).fit(tiny, show_progress=False)
        model = cls(factors=factors, iterations=epochs, num_threads=threads, random_state=0)
        start = time.perf_counter()
        model.fit(train, show_progress=False)
        seconds = time.perf_counter() - start
elif kind == "als-bm25":
    from recsys_utils.als import ImplicitALS
    from recsys_utils.confidence import bm25_confidence
    ImplicitALS(4, iterations=1, show_progress=False).fit(tiny)
    model = ImplicitALS(factors=factors, iterations=epochs, random_state=0, num_threads=threads, show_progress=False)
    confidence = bm25_confidence(train)
    start = time.perf_counter()
    model.fit(confidence)
    seconds = time.perf_counter() - start
else:
    model = ours[model_kind](factors=factors, iterations=epochs, random_state=0, num_threads=threads,
                             show_progress=False)
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
result = {"seconds": seconds, "per_epoch": seconds / epochs, "peak_mb": peak_rss_mb()}
if test_path != "-":
    from recsys_utils.evaluate import evaluate_recommender
    test = sp.load_npz(test_path).tocsr()
    X, Y = np.asarray(model.user_factors), np.asarray(model.item_factors)
    result["map10"] = evaluate_recommender(lambda u: X[u] @ Y.T, train, test, 10)["map@k"]
print(json.dumps(result))
"""

COMPILE = r"""
import json, time
import numpy as np, scipy.sparse as sp
start = time.perf_counter()
from recsys_utils.bpr import BayesianPersonalizedRanking
from recsys_utils.lmf import LogisticMF
C = sp.random(50, 40, density=0.2, format="csr", dtype=np.float32, random_state=0)
BayesianPersonalizedRanking(8, iterations=1, random_state=0, show_progress=False).fit(C)
LogisticMF(8, iterations=1, random_state=0, show_progress=False).fit(C)
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb()}))
"""

#: (label, kind, factors, epochs) on Last.fm 2K: ours with defaults, implicit's BPR with its defaults.
QUALITY = [("BPR", "ours-bpr", 100, 100), ("BPR", "implicit-bpr", 100, 100),
           ("LMF", "ours-lmf", 50, 30), ("LMF", "implicit-lmf", 50, 30),
           ("ALS", "als-bm25", 50, 15)]


def rounds(kinds, repeats, *args_of):
    """Run every kind ``repeats`` times, alternating; return each kind's results."""
    results = {kind: [] for kind, *_ in kinds}
    for round_ in range(repeats):
        for kind, *args in kinds:
            r = run_child(CHILD, kind, *args)
            results[kind].append(r)
            extra = f", MAP@10 {r['map10']:.4f}" if "map10" in r else ""
            print(f"  round {round_ + 1} {kind:>13}: {r['seconds']:.2f} s ({r['per_epoch']:.3f} s/epoch), "
                  f"peak {r['peak_mb']:,.0f} MiB{extra}", flush=True)
    return results


def median(results, key):
    return statistics.median(r[key] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--synthetic-epochs", type=int, default=5)
    parser.add_argument("--synthetic-repeats", type=int, default=2)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--synthetic-scale", type=float, default=0.1,
                        help="share of the 360K shape for the speed table (default 0.1; 1.0: about 110 s an LMF epoch)")
    args = parser.parse_args()

    import numpy as np
    import scipy.sparse as sp

    from recsys_utils.datasets import load_dataset
    from recsys_utils.evaluate import evaluate_recommender, popularity_scorer, train_test_split
    from recsys_utils.synthetic import make_synthetic

    if importlib.util.find_spec("implicit") is None:
        raise SystemExit("the implicit library is not installed (pip install implicit): no peer to compare with")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")  # children inherit it
        compile_run = run_child(COMPILE)
        print(f"numba compile (empty cache, BPR and LMF kernels): {compile_run['seconds']:.1f} s; "
              "later processes load them from the cache", flush=True)

        train, test = train_test_split(load_dataset("lastfm-2k", show_progress=False).user_items, 0.2,
                                       random_state=42)
        sp.save_npz(tmp / "train.npz", train, compressed=False)
        sp.save_npz(tmp / "test.npz", test, compressed=False)
        popularity = evaluate_recommender(popularity_scorer(train), train, test, 10)["map@k"]
        print(f"\nLast.fm 2K: train {train.shape[0]:,} x {train.shape[1]:,}, {train.nnz:,} entries; "
              f"test {test.nnz:,}", flush=True)
        quality = rounds([(kind, tmp / "train.npz", tmp / "test.npz", factors, epochs, args.threads)
                          for _, kind, factors, epochs in QUALITY], args.repeats)

        speed = {}
        if not args.skip_synthetic:
            start = time.perf_counter()
            data = make_synthetic(args.synthetic_scale, random_state=42)
            sp.save_npz(tmp / "synthetic.npz", data.user_items.astype(np.float32), compressed=False)
            print(f"\n{data} (generated in {time.perf_counter() - start:.0f} s)", flush=True)
            del data
            speed = rounds([(kind, tmp / "synthetic.npz", "-", factors, args.synthetic_epochs, args.threads)
                            for _, kind, factors, _ in QUALITY if kind != "als-bm25"], args.synthetic_repeats)

    print(f"\nLast.fm 2K, held-out split: medians over {args.repeats} rounds, {args.threads} threads "
          f"(popularity MAP@10 {popularity:.4f})")
    print(f"{'model':<6}{'implementation':<15}{'k':>4}{'epochs':>7}{'MAP@10':>9}{'fit s':>8}{'vs implicit':>13}"
          f"{'MAP / pop.':>11}")
    for label, kind, factors, epochs in QUALITY:
        r = quality[kind]
        peer = quality.get(f"implicit-{kind.split('-')[1]}") if kind.startswith("ours") else None
        ratio = f"{median(r, 'seconds') / median(peer, 'seconds'):.2f}x" if peer else ""
        print(f"{label:<6}{kind:<15}{factors:>4}{epochs:>7}{median(r, 'map10'):>9.4f}{median(r, 'seconds'):>8.2f}"
              f"{ratio:>13}{median(r, 'map10') / popularity:>10.1f}x")
    if speed:
        print(f"\nsynthetic, {args.synthetic_scale:g} of the 360K shape: seconds per epoch (fit time / "
              f"{args.synthetic_epochs} epochs), "
              f"medians over {args.synthetic_repeats} rounds, {args.threads} threads")
        print(f"{'model':<6}{'implementation':<15}{'k':>4}{'s/epoch':>9}{'peak MiB':>10}{'time vs implicit':>18}"
              f"{'memory vs implicit':>20}")
        for label, kind, factors, _ in QUALITY:
            if kind not in speed:
                continue
            r = speed[kind]
            peer = speed.get(f"implicit-{kind.split('-')[1]}") if kind.startswith("ours") else None
            time_ratio = f"{median(r, 'per_epoch') / median(peer, 'per_epoch'):.2f}x" if peer else ""
            memory_ratio = f"{median(r, 'peak_mb') / median(peer, 'peak_mb'):.2f}x" if peer else ""
            print(f"{label:<6}{kind:<15}{factors:>4}{median(r, 'per_epoch'):>9.3f}{median(r, 'peak_mb'):>10,.0f}"
                  f"{time_ratio:>18}{memory_ratio:>20}")


if __name__ == "__main__":
    main()
