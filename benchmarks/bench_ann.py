"""Related items for every item at the full 360K shape: exact, Annoy, NN-descent (and peers).

Two sets of 292,385 vectors: the item factors of our ALS (64 factors, 15
iterations, BM25 confidence) on synthetic data of the full 360K shape, and
clustered Gaussian vectors of 64 dimensions (``clustered_vectors``). For each
we compute the exact top 10 of every item, then each approximate setting in a
fresh process: build time, query-all time, recall@10 against exact, peak RSS.
hnswlib and faiss-cpu are measured too when installed (``pip install hnswlib
faiss-cpu``; they are optional). NN-descent's first-call numba compile is
measured once, with an empty cache, and reported separately.

    python benchmarks/bench_ann.py [--scale 1.0] [--threads 2] [--sets "ALS factors" clustered]
                                   [--methods exact annoy nndescent hnswlib faiss]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path

from common import run_child

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
method, path, exact_path, threads, options = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
vectors = np.load(path)
from recsys_utils.neighbours import normalize_rows
from recsys_utils.evaluate import recall_at_n
unit = normalize_rows(vectors)
n = 10
build = query = 0.0
start = time.perf_counter()
if method == "exact":
    from recsys_utils.neighbours import all_related
    indices, _ = all_related(unit, n, show_progress=False)
    query = time.perf_counter() - start
elif method == "annoy":
    from recsys_utils.ann import ApproximateTopRelated
    index = ApproximateTopRelated(unit, num_threads=threads, **options)
    build = time.perf_counter() - start
    indices, _ = index.all_related(n, show_progress=False)
    query = time.perf_counter() - start - build
elif method == "nndescent":
    from recsys_utils.ann import nndescent_related
    # pynndescent compiles part of its numba code on the first call in each process (its
    # cache does not cover it): a call on a 30,000-row slice does that, timed apart.
    nndescent_related(unit[:30_000], n, num_threads=threads, **options)
    compile_seconds = time.perf_counter() - start
    start = time.perf_counter()
    indices, _ = nndescent_related(unit, n, num_threads=threads, **options)
    build = time.perf_counter() - start  # the graph is the answer: no separate query step
elif method == "hnswlib":
    import hnswlib
    index = hnswlib.Index(space="ip", dim=unit.shape[1])
    index.init_index(max_elements=len(unit), M=options["M"], ef_construction=200, random_seed=0)
    index.set_num_threads(threads)
    index.add_items(unit)
    build = time.perf_counter() - start
    index.set_ef(options.get("ef", 100))
    indices, _ = index.knn_query(unit, k=n + 1)
    query = time.perf_counter() - start - build
elif method == "faiss":
    import faiss
    faiss.omp_set_num_threads(threads)
    quantizer = faiss.IndexFlatIP(unit.shape[1])
    index = faiss.IndexIVFFlat(quantizer, unit.shape[1], options["nlist"], faiss.METRIC_INNER_PRODUCT)
    index.train(unit)
    index.add(unit)
    build = time.perf_counter() - start
    index.nprobe = options["nprobe"]
    _, indices = index.search(unit, n + 1)
    query = time.perf_counter() - start - build
if method in ("hnswlib", "faiss"):
    from recsys_utils.ann import drop_self
    indices, _ = drop_self(np.asarray(indices), np.zeros(indices.shape, np.float32), n)
if method == "exact":
    np.save(exact_path, indices)
    recall = 1.0
else:
    recall = recall_at_n(indices, np.load(exact_path))
print(json.dumps({"build": build, "query": query, "recall": recall, "peak_mb": peak_rss_mb(),
                  "warm_up": compile_seconds if method == "nndescent" else 0.0}))
"""

COMPILE = r"""
import json, time
import numpy as np
start = time.perf_counter()
from recsys_utils.ann import nndescent_related
nndescent_related(np.random.default_rng(0).standard_normal((2000, 16)).astype(np.float32), 10)
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb()}))
"""

SETTINGS = [
    ("annoy", {"n_trees": 10, "search_k": 110}),     # Annoy's default search_k = n_trees * (n + 1)
    ("annoy", {"n_trees": 50, "search_k": 2000}),
    ("annoy", {"n_trees": 50, "search_k": 5000}),
    ("nndescent", {"n_neighbors": 15}),
    ("nndescent", {"n_neighbors": 30}),
    ("hnswlib", {"M": 32, "ef": 100}),
    ("faiss", {"nlist": 1024, "nprobe": 8}),
]


def item_factors(scale: float, factors: int, threads: int):
    from recsys_utils.als import ImplicitALS
    from recsys_utils.synthetic import make_synthetic
    from recsys_utils.confidence import bm25_confidence

    data = make_synthetic(scale, random_state=0)
    model = ImplicitALS(factors, 0.01, 15, random_state=0, num_threads=threads, show_progress=False)
    return model.fit(bm25_confidence(data.user_items)).item_factors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sets", nargs="+", default=["ALS factors", "clustered"])
    parser.add_argument("--methods", nargs="+", default=["exact", "annoy", "nndescent", "hnswlib", "faiss"])
    args = parser.parse_args()

    import numpy as np

    from recsys_utils.synthetic import FULL_ARTISTS, clustered_vectors

    available = {m: importlib.util.find_spec(m) is not None for m in ("hnswlib", "faiss")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")
        compiled = run_child(COMPILE)
        print(f"NN-descent first call with an empty numba cache: {compiled['seconds']:.1f} s "
              "(compile; later processes load from the cache)", flush=True)
        start = time.perf_counter()
        makers = {"ALS factors": lambda: item_factors(args.scale, args.factors, args.threads),
                  "clustered": lambda: clustered_vectors(round(FULL_ARTISTS * args.scale), args.factors, random_state=0)}
        sets = {name: makers[name]() for name in args.sets}
        print(f"inputs ready in {time.perf_counter() - start:.0f} s: "
              + ", ".join(f"{k} {v.shape}" for k, v in sets.items()), flush=True)
        rows = []
        for name, vectors in sets.items():
            path, exact_path = tmp / f"{name}.npy", tmp / f"{name}-exact.npy"
            np.save(path, vectors)
            for method, options in [("exact", {})] + SETTINGS:
                if (method in available and not available[method]) or method not in args.methods:
                    continue
                r = run_child(CHILD, method, path, exact_path, args.threads, json.dumps(options))
                r.update(set=name, method=method, options=options)
                rows.append(r)
                warm = f"  (first-call compile on a slice {r['warm_up']:.1f} s, not counted)" if r["warm_up"] else ""
                print(f"  {name:<12}{method:<10}{json.dumps(options):<36} build {r['build']:7.1f} s  "
                      f"query {r['query']:7.1f} s  recall {r['recall']:.3f}  peak {r['peak_mb']:,.0f} MiB{warm}", flush=True)
        missing = [m for m, ok in available.items() if not ok]
        if missing:
            print(f"not installed, left out: {', '.join(missing)}")

    print(f"\nall-items top-10 on {args.threads} threads (compile excluded)")
    print(f"{'vectors':<13}{'method':<11}{'settings':<38}{'total s':>8}{'recall@10':>10}{'peak MiB':>10}{'meets target':>14}")
    for r in rows:
        total = r["build"] + r["query"]
        target = "yes" if total <= 10 and r["recall"] >= 0.95 else ""
        print(f"{r['set']:<13}{r['method']:<11}{json.dumps(r['options']):<38}{total:>8.1f}{r['recall']:>10.3f}"
              f"{r['peak_mb']:>10,.0f}{target:>14}")


if __name__ == "__main__":
    main()
