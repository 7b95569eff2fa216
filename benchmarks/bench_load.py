"""Parse and cached-reload time of Last.fm 360K-format data, with peak memory.

Writes synthetic data of the full 360K shape (358,868 users x 292,385 artists,
~17.5M lines) in the original TSV format, then times, each in a fresh process
so peak memory is the process's own, alternating:

* ours:   ``load_dataset(path, use_cache=False)`` (checks and accounts for every line);
* blog:   the blog's loader (``pandas.read_table`` + categories + ``coo_matrix``), the peer;
* cached: ``load_dataset(path)`` once the binary cache exists.

Prints medians over ``--repeats`` runs and ratios; ``--profile`` adds where our
parse spends its time (cProfile, one more run, the functions of most own time;
the worker threads' parsing shows as the main thread's waits). Usage:

    python benchmarks/bench_load.py [--scale 1.0] [--repeats 3] [--profile]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from common import baseline_mb, run_child

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
kind, path, cache = sys.argv[1], sys.argv[2], sys.argv[3]
import os
os.environ["RECSYS_CACHE_DIR"] = cache
import numpy as np, pandas as pd, scipy.sparse as sp
from recsys_utils import load_dataset
start = time.perf_counter()
if kind == "blog":
    data = pd.read_table(path, usecols=[0, 2, 3], names=["user", "artist", "plays"], header=None)
    data["user"] = data["user"].astype("category")
    data["artist"] = data["artist"].astype("category")
    m = sp.coo_matrix((data["plays"].astype(np.float32),
                       (data["user"].cat.codes.copy(), data["artist"].cat.codes.copy()))).tocsr()
    shape, nnz = m.shape, m.nnz
elif kind == "profile":
    import cProfile, io, pstats
    profile = cProfile.Profile()
    d = profile.runcall(load_dataset, path, use_cache=False, show_progress=False)
    shape, nnz = d.user_items.shape, d.nnz
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(14)
    print(out.getvalue(), file=sys.stderr)
else:
    d = load_dataset(path, use_cache=(kind == "cached"), show_progress=False)
    shape, nnz = d.user_items.shape, d.nnz
seconds = time.perf_counter() - start
peak_mb = peak_rss_mb()
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "shape": list(shape), "nnz": nnz}))
"""


def run(kind: str, path: Path, cache: Path) -> dict:
    return run_child(CHILD, kind, path, cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="also profile one parse")
    args = parser.parse_args()

    from recsys_utils.formats import write_lastfm_360k
    from recsys_utils.synthetic import make_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "usersha1-artmbid-artname-plays.tsv"
        start = time.perf_counter()
        data = make_synthetic(args.scale, random_state=args.seed)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        write_lastfm_360k(data, path)
        written = time.perf_counter() - start
        print(f"synthetic data at scale {args.scale:g}: {data.n_users:,} users x {data.n_artists:,} artists, "
              f"{data.nnz:,} lines, {path.stat().st_size / 2**20:,.0f} MiB "
              f"(generated in {generated:.1f} s, written in {written:.1f} s)")
        del data

        if args.profile:
            import subprocess
            import sys

            from common import PEAK_RSS
            profiled = subprocess.run([sys.executable, "-c", PEAK_RSS + CHILD, "profile", str(path), str(tmp / "cache")],
                                      check=True, capture_output=True, text=True)
            lines = [line for line in profiled.stderr.splitlines() if line.strip()]
            start = next(i for i, line in enumerate(lines) if "ncalls" in line)
            print("where our parse spends its time (cProfile, own time):\n" + "\n".join(lines[start - 1:]) + "\n")

        results: dict[str, list[dict]] = {"ours": [], "blog": [], "cached": []}
        run("cached", path, tmp / "cache")  # builds the cache once
        for i in range(args.repeats):
            for kind in ("ours", "blog", "cached"):
                results[kind].append(run(kind, path, tmp / "cache"))
                r = results[kind][-1]
                print(f"  run {i + 1} {kind:>6}: {r['seconds']:7.2f} s, peak {r['peak_mb']:,.0f} MiB", flush=True)

    shapes = {json.dumps([r["shape"], r["nnz"]]) for rs in results.values() for r in rs}
    median = {k: statistics.median(r["seconds"] for r in rs) for k, rs in results.items()}
    peak = {k: statistics.median(r["peak_mb"] for r in rs) for k, rs in results.items()}
    print()
    print(f"{'loader':<34}{'median s':>10}{'peak MiB':>10}{'vs blog':>9}")
    labels = {"ours": "ours: parse (every line checked)", "blog": "blog: pandas read_table", "cached": "ours: cached reload"}
    for kind in ("ours", "blog", "cached"):
        print(f"{labels[kind]:<34}{median[kind]:>10.2f}{peak[kind]:>10,.0f}{median[kind] / median['blog']:>8.2f}x")
    print(f"\ncached reload is {median['ours'] / median['cached']:.0f}x faster than parsing "
          f"(medians of {args.repeats}); peak memory includes the ~{baseline_mb():.0f} MiB of an interpreter with our imports")
    if len(shapes) != 1:  # all three key artists by name, so they must agree
        print(f"note: loaders disagree on shape/nnz: {shapes}")


if __name__ == "__main__":
    main()
