"""The whole 360K pipeline, stage by stage: ours against ``implicit`` + pynndescent, in one run.

Stages, on synthetic data of the 360K shape written as the 360K TSV:

1. cached load: ``load_dataset(path)`` once more after a first parse filled the cache;
2. BM25 confidence (ours: ``bm25_confidence``; peer: ``implicit.nearest_neighbours.bm25_weight``);
3. CG ALS, 50 factors, 15 iterations (ours: ``ImplicitALS``; peer: ``implicit``'s CPU ALS);
4. related lists for every artist by NN-descent (ours: ``all_related(method="nndescent")``;
   peer: pynndescent's ``NNDescent`` on the normalised factors).

Each pipeline runs in a fresh process that first compiles on tiny data, so compile time is
excluded; the table gives each stage's seconds, the total and each process's peak memory,
then where ALS's time goes (seconds per iteration) and the recall@10 of each pipeline's
related lists against the exact lists of 2,000 sampled artists (not timed).

    python benchmarks/bench_pipeline.py [--scale 1.0] [--threads 2] [--n-neighbors 15]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import run_child

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
kind, path, threads, n_neighbors = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import numpy as np, scipy.sparse as sp
from threadpoolctl import threadpool_limits
from recsys_utils import load_dataset
from recsys_utils.als import ImplicitALS
from recsys_utils.confidence import bm25_confidence
from recsys_utils.neighbours import all_related
from recsys_utils.synthetic import make_synthetic

tiny = make_synthetic(scale=0.002, random_state=1).user_items
stages = {}
if kind == "ours":
    ImplicitALS(4, 0.01, 1, show_progress=False).fit(bm25_confidence(tiny))
    all_related(np.random.default_rng(0).random((3000, 8), dtype=np.float32), 10, method="nndescent",
                show_progress=False)
    start = time.perf_counter()
    data = load_dataset(path, show_progress=False)
    stages["cached load"] = time.perf_counter() - start
    start = time.perf_counter()
    confidence = bm25_confidence(data.user_items)
    stages["BM25"] = time.perf_counter() - start
    start = time.perf_counter()
    iterations = []
    model = ImplicitALS(50, 0.01, 15, random_state=0, num_threads=threads, show_progress=False).fit(
        confidence, callback=lambda iteration, seconds, model: iterations.append(seconds))
    stages["ALS, 15 iterations"] = time.perf_counter() - start
    start = time.perf_counter()
    found = all_related(model.item_factors, 10, method="nndescent", num_threads=threads, show_progress=False,
                        n_neighbors=n_neighbors)[0]
    stages["related lists, NN-descent"] = time.perf_counter() - start
    factors = model.item_factors
else:
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.nearest_neighbours import bm25_weight
    from pynndescent import NNDescent
    AlternatingLeastSquares(factors=4, iterations=1, num_threads=threads).fit(tiny, show_progress=False)
    NNDescent(np.random.default_rng(0).random((3000, 8), dtype=np.float32), metric="cosine", n_neighbors=15,
              random_state=0).neighbor_graph
    start = time.perf_counter()
    data = load_dataset(path, show_progress=False)
    stages["cached load"] = time.perf_counter() - start
    start = time.perf_counter()
    confidence = bm25_weight(data.user_items.T.tocsr(), K1=100, B=0.8).T.tocsr().astype(np.float32)
    stages["BM25"] = time.perf_counter() - start
    start = time.perf_counter()
    model = AlternatingLeastSquares(factors=50, regularization=0.01, iterations=15, num_threads=threads,
                                    random_state=0)
    with threadpool_limits(1, "blas"):
        model.fit(confidence, show_progress=False)
    stages["ALS, 15 iterations"] = time.perf_counter() - start
    iterations = [stages["ALS, 15 iterations"] / 15]
    start = time.perf_counter()
    factors = np.asarray(model.item_factors, dtype=np.float32)
    keep = np.flatnonzero(factors.any(axis=1))
    graph = NNDescent(factors[keep], metric="cosine", n_neighbors=n_neighbors, random_state=0,
                      n_jobs=threads).neighbor_graph[0]
    stages["related lists, NN-descent"] = time.perf_counter() - start
    found = np.full((len(factors), n_neighbors), -1)
    found[keep] = keep[graph]
peak = peak_rss_mb()
# Recall@10 against the exact lists of 2,000 sampled artists with factors (after the timings).
unit = factors / np.maximum(np.linalg.norm(factors, axis=1, keepdims=True), 1e-30)
has = np.flatnonzero(unit.any(axis=1))
sample = np.random.default_rng(0).choice(has, 2000, replace=False)
scores = unit[sample] @ unit[has].T
scores[np.arange(len(sample)), np.searchsorted(has, sample)] = -np.inf
exact = has[np.argsort(-scores, axis=1, kind="stable")[:, :10]]
recall = float(np.mean([len(set(exact[r]) & (set(found[i].tolist()) - {i})) / 10 for r, i in enumerate(sample)]))
print(json.dumps({"stages": stages, "peak_mb": peak, "recall": recall,
                  "als_s_per_iteration": float(np.median(iterations))}))
"""

PREPARE = r"""
import json, sys, time
from recsys_utils import load_dataset
from recsys_utils.formats import write_lastfm_360k
from recsys_utils.synthetic import make_synthetic
scale, path = float(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
write_lastfm_360k(make_synthetic(scale=scale, random_state=42), path)
written = time.perf_counter() - start
start = time.perf_counter()
data = load_dataset(path, show_progress=False)  # the first parse, which fills the cache
print(json.dumps({"written": written, "parsed": time.perf_counter() - start, "name": repr(data)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 360K shape (default 1.0)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-neighbors", type=int, default=15, help="NN-descent's graph degree (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RECSYS_CACHE_DIR"] = str(Path(tmp) / "cache")  # children inherit it: a cache of this run's own
        path = Path(tmp) / "usersha1-artmbid-artname-plays.tsv"
        prepared = run_child(PREPARE, args.scale, path)
        print(f"{prepared['name']}: TSV written in {prepared['written']:.0f} s, first parse {prepared['parsed']:.0f} s "
              "(fills the cache; not a stage below)", flush=True)
        runs = {}
        for kind in ("ours", "implicit"):
            start = time.perf_counter()
            runs[kind] = run_child(CHILD, kind, path, args.threads, args.n_neighbors)
            print(f"{kind}: {time.perf_counter() - start:.0f} s wall, compile included", flush=True)
    stages = list(runs["ours"]["stages"])
    print(f"\n| stage ({args.threads} threads, scale {args.scale:g}) | ours s | implicit + pynndescent s | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for stage in stages:
        ours, peer = runs["ours"]["stages"][stage], runs["implicit"]["stages"][stage]
        print(f"| {stage} | {ours:.2f} | {peer:.2f} | {ours / peer:.2f}x |")
    total = {kind: sum(run["stages"].values()) for kind, run in runs.items()}
    print(f"| **total** | **{total['ours']:.1f}** | **{total['implicit']:.1f}** | "
          f"**{total['ours'] / total['implicit']:.2f}x** |")
    print(f"| peak memory MiB | {runs['ours']['peak_mb']:,.0f} | {runs['implicit']['peak_mb']:,.0f} | |")
    print(f"| ALS s/iteration (ours: median; implicit: mean) | {runs['ours']['als_s_per_iteration']:.2f} | "
          f"{runs['implicit']['als_s_per_iteration']:.2f} | |")
    print(f"| recall@10, NN-descent {args.n_neighbors} neighbours (2,000 sampled artists) | "
          f"{runs['ours']['recall']:.3f} | {runs['implicit']['recall']:.3f} | |")


if __name__ == "__main__":
    main()
