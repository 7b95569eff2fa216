"""LSA: BM25 weighting and a 50-factor truncated SVD, our solvers beside plain scipy ``svds``.

The BM25 matrix is built once (synthetic data of ``--scale`` times the full
360K shape, 358,868 users x 292,385 artists at 1.0, or Last.fm 2K with
``--lastfm-2k``); each measurement then runs in a fresh process (so peak
memory is its own), alternating, ``--repeats`` times:

* ``bm25``: ``bm25_weight(item_users)``;
* ``svds``: plain ``scipy.sparse.linalg.svds(W, 50)`` on the float32 matrix, the yardstick;
* ``arpack``: ``lsa_factors(W, solver="arpack")`` (svds in float64);
* ``krylov n``: ``lsa_factors(W, n_iter=n)``, the default block Krylov solver, at each ``--n-iter``.

It prints medians, peak memory and ratios to ``svds`` measured in the same
run, then (``--recall``, the default up to scale 0.1) each solver's related
lists against those of ``arpack``: recall@10, plain and with ties (an
artist tied with the exact list's last counts as found; see
``recall_at_n_with_ties``), and the largest relative error of the singular
values. Usage:

    python benchmarks/bench_lsa.py [--scale 1.0] [--lastfm-2k] [--n-iter 6 8 10] [--repeats 3] [--no-recall]
"""

from __future__ import annotations

import argparse
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
from scipy.sparse.linalg import svds
if kind.startswith("krylov"):
    lsa_factors(X[:1000], 5, n_iter=1)  # compile (cached) outside the timing
W = bm25_weight(X)
start = time.perf_counter()
if kind == "bm25":
    bm25_weight(X)
elif kind == "svds":
    U, s, _ = svds(W, factors)
elif kind == "arpack":
    U, s = lsa_factors(W, factors, random_state=0, solver="arpack", return_singular_values=True)
else:
    U, s = lsa_factors(W, factors, random_state=0, n_iter=int(kind.split()[1]), return_singular_values=True)
seconds = time.perf_counter() - start
if kind != "bm25":
    np.savez(out, U=U, s=s)
print(json.dumps({"seconds": seconds, "peak_mb": peak_rss_mb()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--lastfm-2k", action="store_true", help="Last.fm 2K from RECSYS_DATA_DIR, not synthetic")
    parser.add_argument("--factors", type=int, default=50)
    parser.add_argument("--n-iter", type=int, nargs="+", default=[6, 8, 10])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--recall", action=argparse.BooleanOptionalAction, default=None,
                        help="related lists against arpack's (default: up to scale 0.1, and on Last.fm 2K)")
    args = parser.parse_args()

    import numpy as np
    import scipy.sparse as sp

    kinds = ["bm25", "svds", "arpack"] + [f"krylov {n}" for n in args.n_iter]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        if args.lastfm_2k:
            from recsys_utils.datasets import load_dataset

            data = load_dataset("lastfm-2k", show_progress=False)
        else:
            from recsys_utils.synthetic import make_synthetic

            data = make_synthetic(args.scale, random_state=0)
        print(f"{data} (loaded in {time.perf_counter() - start:.1f} s)", flush=True)
        sp.save_npz(tmp / "item_users.npz", data.item_users, compressed=False)
        del data
        results: dict[str, list[dict]] = {k: [] for k in kinds}
        for i in range(args.repeats):
            for kind in kinds:
                r = run_child(CHILD, kind, tmp / "item_users.npz", args.factors, tmp / f"{kind}.npz")
                results[kind].append(r)
                print(f"  run {i + 1} {kind:>10}: {r['seconds']:7.2f} s, peak {r['peak_mb']:,.0f} MiB", flush=True)
        outputs = {k: np.load(tmp / f"{k}.npz") for k in kinds if k != "bm25"}

    median = {k: statistics.median(r["seconds"] for r in rs) for k, rs in results.items()}
    peak = {k: statistics.median(r["peak_mb"] for r in rs) for k, rs in results.items()}
    labels = {"bm25": "bm25_weight", "svds": f"plain svds float32 ({args.factors})",
              "arpack": f"lsa_factors arpack ({args.factors})"}
    labels.update({f"krylov {n}": f"lsa_factors block Krylov n_iter={n}" for n in args.n_iter})
    recall = args.recall if args.recall is not None else (args.lastfm_2k or args.scale <= 0.1)
    quality = _quality(outputs, kinds[1:]) if recall else {}
    print(f"\n{'step':<40}{'median s':>10}{'peak MiB':>10}{'vs svds':>9}"
          + (f"{'recall@10':>11}{'with ties':>11}{'sv error':>10}" if quality else ""))
    for kind in kinds:
        line = f"{labels[kind]:<40}{median[kind]:>10.2f}{peak[kind]:>10,.0f}{median[kind] / median['svds']:>8.2f}x"
        if kind in quality:
            plain, tied, error = quality[kind]
            line += f"{plain:>11.4f}{tied:>11.4f}{error:>10.1e}"
        print(line)
    print(f"\nmedians of {args.repeats}; peak memory includes ~{baseline_mb():.0f} MiB for the interpreter and "
          "imports, the loaded counts and their BM25 weights; recall and singular-value error against arpack")


def _quality(outputs: dict, kinds: list[str]) -> dict[str, tuple[float, float, float]]:
    """Per solver: recall@10 of its related lists against arpack's, plain and with ties, and the sv error."""
    import numpy as np

    from recsys_utils.evaluate import recall_at_n, recall_at_n_with_ties
    from recsys_utils.neighbours import all_related

    reference = outputs["arpack"]["U"]
    exact, exact_scores = all_related(reference, 10, show_progress=False)
    quality = {}
    for kind in kinds:
        factors = np.ascontiguousarray(outputs[kind]["U"], dtype=np.float32)
        found, _ = all_related(factors, 10, show_progress=False)
        s, s_ref = np.sort(outputs[kind]["s"])[::-1], outputs["arpack"]["s"]
        quality[kind] = (recall_at_n(found, exact), recall_at_n_with_ties(found, exact, exact_scores, reference),
                         float(np.max(np.abs(s - s_ref) / s_ref)))
    return quality


if __name__ == "__main__":
    main()
