"""LSA at the full 360K shape: BM25 weighting and a 50-factor truncated SVD.

Synthetic data of the full shape (358,868 users x 292,385 artists, ~17.5M
play counts) is written once; each measurement then runs in a fresh process
(so peak memory is its own), alternating, ``--repeats`` times:

* ``bm25``: ``bm25_weight(item_users)``;
* ``svds``: ``lsa_factors`` (scipy ARPACK) on the weighted matrix;
* ``randomized``: scikit-learn's ``randomized_svd`` on the same matrix, when
  scikit-learn is installed (it is not a dependency: ``pip install scikit-learn``).

It prints medians, peak memory, ratios, and how closely the two SVDs agree
(the mean cosine between matching singular vectors, and the relative error of
the singular values). Usage:

    python benchmarks/bench_lsa.py [--scale 1.0] [--factors 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

from common import baseline_mb, run_child

CHILD = r"""
import json, sys, time
import numpy as np, scipy.sparse as sp
kind, path, factors, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
X = sp.load_npz(path).tocsr()
from recsys_utils.weighting import bm25_weight
from recsys_utils.lsa import lsa_factors
start = time.perf_counter()
if kind == "bm25":
    bm25_weight(X)
else:
    W = bm25_weight(X)
    start = time.perf_counter()
    if kind == "svds":
        U, s = lsa_factors(W, factors, random_state=0, return_singular_values=True)
    else:
        from sklearn.utils.extmath import randomized_svd
        U, s, _ = randomized_svd(W, factors, random_state=0)
    np.savez(out, U=U, s=s)
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--factors", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import numpy as np
    import scipy.sparse as sp

    from recsys_utils.synthetic import make_synthetic

    kinds = ["bm25", "svds"]
    if importlib.util.find_spec("sklearn") is not None:
        kinds.append("randomized")
    else:
        print("scikit-learn is not installed: randomized_svd is left out")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        data = make_synthetic(args.scale, random_state=0)
        print(f"{data} (generated in {time.perf_counter() - start:.1f} s)", flush=True)
        sp.save_npz(tmp / "item_users.npz", data.item_users, compressed=False)
        del data
        results: dict[str, list[dict]] = {k: [] for k in kinds}
        for i in range(args.repeats):
            for kind in kinds:
                r = run_child(CHILD, kind, tmp / "item_users.npz", args.factors, tmp / f"{kind}.npz")
                results[kind].append(r)
                print(f"  run {i + 1} {kind:>10}: {r['seconds']:7.2f} s, peak {r['peak_mb']:,.0f} MiB", flush=True)
        agreement = ""
        if "randomized" in kinds:
            a, b = np.load(tmp / "svds.npz"), np.load(tmp / "randomized.npz")
            cosines = np.abs(np.sum(a["U"].astype(np.float64) * b["U"], axis=0))
            rel = np.abs(a["s"] - b["s"]) / a["s"]
            agreement = (f"randomized vs svds: mean |cos| of matching singular vectors {cosines.mean():.4f} "
                         f"(min {cosines.min():.4f}); singular values within {rel.max():.2e} (relative)")

    median = {k: statistics.median(r["seconds"] for r in rs) for k, rs in results.items()}
    peak = {k: statistics.median(r["peak_mb"] for r in rs) for k, rs in results.items()}
    labels = {"bm25": "bm25_weight", "svds": f"lsa_factors (svds, {args.factors})",
              "randomized": f"sklearn randomized_svd ({args.factors})"}
    print(f"\n{'step':<36}{'median s':>10}{'peak MiB':>10}{'vs svds':>9}")
    for kind in kinds:
        print(f"{labels[kind]:<36}{median[kind]:>10.2f}{peak[kind]:>10,.0f}{median[kind] / median['svds']:>8.2f}x")
    print(f"\nLSA end to end (weighting + svds): {median['bm25'] + median['svds']:.1f} s; medians of {args.repeats}; "
          f"peak memory includes ~{baseline_mb():.0f} MiB for the interpreter and imports and the loaded matrix")
    if agreement:
        print(agreement)


if __name__ == "__main__":
    main()
