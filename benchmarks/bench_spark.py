"""Implicit ALS: Spark MLlib in local[2] against ours, and where one machine stops being enough.

Three parts:

1. Speed and memory at the 2K shape (Last.fm 2K, the training split below)
   and on synthetic data at 1/10 of the 360K shape and at the full shape
   (``make_synthetic(scale, random_state=42)``): 50 factors, 15 iterations.
   Each implementation and shape is fitted in a fresh process, so peak
   memory is its own:

   * Spark: ``spark_als(plays, factors=50, regularization=1.0, alpha=0.03,
     iterations=15, random_state=0)`` on ``spark_session(master="local[2]",
     user_items=plays)`` (driver memory from ``driver_memory_for``), after a
     warm-up fit on tiny data. Spark has no per-iteration callback: we time
     whole fits of 1 and 15 iterations (input conversion through parquet,
     ALS, factors back to numpy) and report (t15 - t1) / 14 as the time per
     iteration and t1 minus that as the fixed overhead. Shuffle bytes and
     spills come from Spark's own stage metrics, the same difference.
   * Ours: ``ImplicitALS(50, regularization=0.01, iterations=15,
     random_state=0, num_threads=2).fit(linear_confidence(plays, 0.03))``,
     the median of the per-iteration seconds its callback reports; numba is
     compiled in a process of its own first and excluded.

   Both fit the same confidence ``1 + 0.03 * plays``. Spark's ``regParam``
   is scaled per row by the row's count (ALS-WR), ours is not, so 1.0 and
   0.01 are not equal numbers but comparable models (see ``spark_als``).
   Peak memory: Python is VmHWM of the child (ru_maxrss would carry the
   parent's peak across exec, see common.py); JVM is VmHWM of the Java
   process that pyspark started, read just before the session stops.

2. Held-out MAP@10 on Last.fm 2K (``train_test_split(user_items, 0.2,
   random_state=42)``): Spark, ours and popularity, from the 15-iteration fits.

3. A table of sizes for the README: CSR bytes, factor bytes and Spark's
   per-iteration shuffle (an estimate from distinct (user, item block) and
   (item, user block) pairs, counted on the data at the measured sizes and
   extrapolated beyond them), and whether a fit fits in 24 GiB or 256 GiB.

The full shape takes long: on 2 shared cores, generating the data took 20 s,
Spark's 1- and 15-iteration fits 1 + 5.5 min (7 min with its session), ours
under 1 min; the whole default run took 13 min. Use --skip-full for a quick
run (~6 min).

    python benchmarks/bench_spark.py [--shapes 0.1,1.0] [--skip-full] [--repeats 3] [--full-repeats 1]
                                     [--threads 2] [--driver-memory 6g]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from common import run_child

from recsys_utils.spark import als_footprint

FACTORS = 50
ALPHA = 0.03
SPARK_REG = 1.0
OURS_REG = 0.01
#: Spark's numUserBlocks = numItemBlocks for the size table: local[2]'s 4 (as run here), Spark's default 10, a cluster's 100.
BLOCKS = (4, 10, 100)
#: Sizes beyond the full shape, as multiples of 360K's users and plays; artists grow as users ** ARTIST_EXPONENT.
MULTIPLES = (10, 100, 1000)
ARTIST_EXPONENT = 0.5
GIB = 1 << 30
INTERPRETER = int(0.3 * GIB)  # Python, numpy, numba and scipy loaded, before any data
MACHINES = (("24 GiB", 24 * GIB), ("256 GiB", 256 * GIB))

SPARK_CHILD = r"""
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
path, test_path, repeats, iterations, driver_memory = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                                       sys.argv[5])
import numpy as np, scipy.sparse as sp
from recsys_utils.spark import spark_session, spark_als
plays = sp.load_npz(path).tocsr().astype(np.float32)
result = {"error": None, "fits": []}

def java_pid(pid):
    # pyspark's launcher execs java, so the gateway's process should be the JVM; else look among its children.
    def is_java(p):
        try:
            return os.path.basename(open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")[0]) == b"java"
        except OSError:
            return False
    if is_java(pid):
        return pid, True
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid and is_java(int(entry)):
                return int(entry), False
    return None, False

def vm_hwm_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

def stage_totals(spark):
    # Spark's status store is fed asynchronously by the listener bus: wait until it stops changing.
    store = spark.sparkContext._jsc.sc().statusStore()
    default = lambda n: getattr(store, f"stageList$default${n}")()
    last = None
    for _ in range(20):
        stages = store.stageList(None, default(2), default(3), default(4), default(5))
        totals = [0, 0, 0]
        for i in range(stages.length()):
            s = stages.apply(i)
            totals[0] += s.shuffleWriteBytes()
            totals[1] += s.memoryBytesSpilled()
            totals[2] += s.diskBytesSpilled()
        totals.append(stages.length())
        if totals == last:
            return totals
        last = totals
        time.sleep(0.5)
    return last

spark = pid = None
try:
    spark = spark_session(master="local[2]", user_items=plays, factors=50,
                          driver_memory=None if driver_memory == "-" else driver_memory,
                          config={"spark.ui.retainedStages": "100000", "spark.ui.retainedJobs": "100000"})
    result["driver_memory"] = spark.sparkContext.getConf().get("spark.driver.memory", "1g")
    pid, direct = java_pid(spark.sparkContext._gateway.proc.pid)
    result["jvm_is_gateway_process"] = direct
    jvm = spark._jvm
    result["blas"] = jvm.dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getSimpleName()
    result["lapack"] = jvm.dev.ludovic.netlib.lapack.LAPACK.getInstance().getClass().getSimpleName()
    result["java"] = jvm.java.lang.System.getProperty("java.runtime.version")
    result["spark"] = spark.version
    # Warm-up on tiny data: class loading, JIT, the first parquet write and read.
    tiny = sp.random(200, 100, density=0.1, format="csr", dtype=np.float32, random_state=0)
    tiny.data = np.ceil(tiny.data * 100)
    spark_als(tiny, 50, 1.0, 0.03, 2, 0, spark, show_progress=False)
    factors = None
    for round_ in range(repeats):
        for its in ((1, iterations) if round_ % 2 == 0 else (iterations, 1)):
            before = stage_totals(spark)
            start = time.perf_counter()
            U, V = spark_als(plays, 50, 1.0, 0.03, its, 0, spark, show_progress=False)
            seconds = time.perf_counter() - start
            after = stage_totals(spark)
            result["fits"].append({"iterations": its, "seconds": seconds, "shuffle": after[0] - before[0],
                                   "spill_memory": after[1] - before[1], "spill_disk": after[2] - before[2],
                                   "stages": after[3] - before[3]})
            print(f"spark fit {its} it: {seconds:.1f} s", file=sys.stderr, flush=True)
            if its == iterations:
                factors = (U, V)
    store = spark.sparkContext._jsc.sc().statusStore()
    executors = store.executorList(True)
    for i in range(executors.length()):
        peak = executors.apply(i).peakMemoryMetrics()
        if peak.isDefined():
            result["jvm_heap_peak_mb"] = peak.get().getMetricValue("JVMHeapMemory") / 2**20
    if test_path != "-" and factors is not None:
        from recsys_utils.evaluate import evaluate_recommender
        test = sp.load_npz(test_path).tocsr()
        U, V = factors
        result["map10"] = evaluate_recommender(lambda u: U[u] @ V.T, plays, test, 10)["map@k"]
except Exception as error:
    result["error"] = f"{type(error).__name__}: {str(error)[:600]}"
finally:
    if pid is not None:
        try:
            result["jvm_peak_mb"] = vm_hwm_mb(pid)
        except OSError:
            result["jvm_peak_mb"] = None  # the JVM is gone
    if spark is not None:
        try:
            spark.stop()
        except Exception:
            pass
result["peak_mb"] = peak_rss_mb()
print(json.dumps(result))
"""

OURS_CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
path, test_path, repeats, iterations, threads = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                                 int(sys.argv[5]))
import numpy as np, scipy.sparse as sp
from recsys_utils.als import ImplicitALS
from recsys_utils.confidence import linear_confidence
plays = sp.load_npz(path).tocsr().astype(np.float32)
tiny = sp.random(30, 20, density=0.3, format="csr", dtype=np.float32, random_state=0)
ImplicitALS(4, 0.01, 1, show_progress=False).fit(tiny)  # loads the cached kernels
fits = []
for _ in range(repeats):
    start = time.perf_counter()
    confidence = linear_confidence(plays, 0.03)
    convert = time.perf_counter() - start
    times = []
    model = ImplicitALS(50, regularization=0.01, iterations=iterations, random_state=0, num_threads=threads,
                        show_progress=False)
    start = time.perf_counter()
    model.fit(confidence, callback=lambda it, seconds, m: times.append(seconds))
    fits.append({"convert": convert, "fit": time.perf_counter() - start, "times": times})
    print(f"ours fit: {fits[-1]['fit']:.1f} s", file=sys.stderr, flush=True)
result = {"fits": fits}
if test_path != "-":
    from recsys_utils.evaluate import evaluate_recommender
    test = sp.load_npz(test_path).tocsr()
    U, V = model.user_factors, model.item_factors
    result["map10"] = evaluate_recommender(lambda u: U[u] @ V.T, plays, test, 10)["map@k"]
result["peak_mb"] = peak_rss_mb()
print(json.dumps(result))
"""

COMPILE = r"""
import json, time
import numpy as np, scipy.sparse as sp
start = time.perf_counter()
from recsys_utils.als import ImplicitALS
C = sp.random(50, 40, density=0.2, format="csr", dtype=np.float32, random_state=0)
ImplicitALS(8, 0.01, 1, random_state=0, show_progress=False).fit(C)
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak_rss_mb()}))
"""

GENERATE = r"""
import json, sys, time
import numpy as np, scipy.sparse as sp
from recsys_utils.synthetic import make_synthetic
scale, path = float(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
data = make_synthetic(scale, random_state=42)
sp.save_npz(path, data.user_items.astype(np.float32), compressed=False)
print(json.dumps({"seconds": time.perf_counter() - start, "name": str(data), "peak_mb": peak_rss_mb()}))
"""


# -- the size table ----------------------------------------------------------------------------

def shape_stats(matrix, extrapolate: bool = False) -> dict:
    """als_footprint of the data for every block count, counted; and, for the full shape, at every multiple."""
    growths = (1,) + (MULTIPLES if extrapolate else ())
    return {(g, b): als_footprint(matrix, factors=FACTORS, blocks=b, growth=g) for g in growths for b in BLOCKS} | {
        ("check", b): als_footprint(matrix, factors=FACTORS, blocks=b, growth=1 + 1e-9) for b in (4, 10)}


def human(n: float) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} B"


def size_table(columns: list[tuple[str, dict]], full: dict, measured_shuffle: dict) -> None:
    """Print the README table: measured columns from the data, then multiples of the full shape, extrapolated."""
    cols = [{"label": label, "at": {b: stats[(1, b)] for b in BLOCKS},
             "check": {b: stats[("check", b)] for b in (4, 10)}, "measured": measured_shuffle.get(label)}
            for label, stats in columns]
    cols += [{"label": f"{m:,}x 360K", "at": {b: full[(m, b)] for b in BLOCKS}, "check": None, "measured": None}
             for m in MULTIPLES if (m, BLOCKS[0]) in full]

    def row(name, cells):
        print(f"| {name} | " + " | ".join(cells) + " |")

    def value(c, key):
        return c["at"][BLOCKS[0]][key]

    print("| | " + " | ".join(c["label"] for c in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    row("users", [f"{value(c, 'users'):,}" for c in cols])
    row("artists", [f"{value(c, 'items'):,}" for c in cols])
    row("plays (stored entries)", [f"{value(c, 'plays'):,}" for c in cols])
    row("CSR bytes of the plays", [human(value(c, "plays matrix bytes")) for c in cols])
    row(f"factor bytes (users + artists) x {FACTORS} x 4", [human(value(c, "factor bytes")) for c in cols])
    for b in BLOCKS:
        row(f"Spark shuffle per iteration, {b} blocks (estimate)",
            [human(c["at"][b]["shuffle bytes per iteration"]) + ("" if c["at"][b]["shuffle measured"] else " (extrap.)")
             for c in cols])
    row("check: the extrapolation formula at the measured sizes, 4 / 10 blocks",
        [" / ".join(human(c["check"][b]["shuffle bytes per iteration"]) for b in (4, 10)) if c["check"] else ""
         for c in cols])
    row("Spark shuffle per iteration, measured (local[2], 4 blocks)",
        [human(c["measured"]) if c["measured"] is not None else "" for c in cols])
    row("ours in one process: 3 CSR + factors + 0.3 GiB of interpreter (estimate)",
        [human(value(c, "one-machine fit bytes") + INTERPRETER) for c in cols])
    row("Spark local mode heap, spark_heap_bytes (estimate)", [human(value(c, "spark heap bytes")) for c in cols])
    for name, ram in MACHINES:
        row(f"fits one {name} machine? ours / Spark local",
            [f"{'yes' if value(c, 'one-machine fit bytes') + INTERPRETER <= 0.8 * ram else 'no'} / "
             f"{'yes' if value(c, 'spark heap bytes') + GIB <= 0.8 * ram else 'no'}" for c in cols])
    print(f"\nAssumptions (recsys_utils.spark.als_footprint): beyond 360K, users and plays grow by the multiple and "
          f"artists by multiple ** {ARTIST_EXPONENT}, so each artist's listeners grow by multiple ** "
          f"{1 - ARTIST_EXPONENT} while users keep 360K's artists per user. Shuffle = (distinct (user, artist block) "
          f"+ distinct (artist, user block) pairs) x {FACTORS} x 4 bytes an iteration; blocks are id % blocks as in "
          "Spark's ALS. At measured sizes the pairs are counted on the data; the extrapolation (and the check row) "
          "sums, over rows, the expected number of distinct blocks b(1 - (1 - 1/b)^d) of a row with d partners. "
          "Spark's measured bytes are serialized and lz4-compressed shuffle writes, so they need not equal the "
          "estimate exactly. 'Fits' means the estimate is at most 80% of the RAM (plus 1 GiB of JVM beyond the heap "
          "for Spark). The measured 2K shuffle is of the fits on the 80% train split; the other 2K figures are of "
          "all the data.")


# -- running ---------------------------------------------------------------------------------------

def machine_line(spark_info: dict, threads: int) -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "unknown CPU")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    blas = spark_info.get("blas", "?")
    native = "native" if blas.startswith("JNI") else "Java fallback (no native BLAS)"
    return (f"machine: {os.cpu_count()} cores ({model}), {ram:.0f} GiB RAM, Java {spark_info.get('java', '?')}, "
            f"Spark {spark_info.get('spark', '?')} master local[2], Spark BLAS {blas} / LAPACK "
            f"{spark_info.get('lapack', '?')} ({native}); ours with {threads} numba threads. The 2 cores are shared "
            "with other work on this machine: timings are noisy.")


def spark_summary(run: dict, iterations: int) -> dict:
    fits = run["fits"]
    t1 = statistics.median(f["seconds"] for f in fits if f["iterations"] == 1)
    tn = statistics.median(f["seconds"] for f in fits if f["iterations"] == iterations)
    s1 = statistics.median(f["shuffle"] for f in fits if f["iterations"] == 1)
    sn = statistics.median(f["shuffle"] for f in fits if f["iterations"] == iterations)
    per_iteration = (tn - t1) / (iterations - 1)
    return {"per_iteration": per_iteration, "overhead": t1 - per_iteration, "fit": tn,
            "shuffle": (sn - s1) / (iterations - 1),
            "spill": max(f["spill_memory"] + f["spill_disk"] for f in fits),
            "spill_disk": max(f["spill_disk"] for f in fits)}


def ours_summary(run: dict) -> dict:
    per_iteration = statistics.median(t for f in run["fits"] for t in f["times"])
    fit = statistics.median(f["fit"] + f["convert"] for f in run["fits"])
    overhead = statistics.median(f["fit"] + f["convert"] - sum(f["times"]) for f in run["fits"])
    return {"per_iteration": per_iteration, "overhead": overhead, "fit": fit}


def bigger(size: str) -> str:
    """Twice a Spark memory size, held to three quarters of this machine's memory."""
    gib = 2 * int(re.fullmatch(r"(\d+)g", size).group(1))
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(gib, int(0.75 * total) >> 30)}g"


def run_spark(path, test, repeats, iterations, driver_memory) -> dict:
    try:
        run = run_child(SPARK_CHILD, path, test, repeats, iterations, driver_memory)
    except subprocess.CalledProcessError as error:
        run = {"error": f"child exited {error.returncode}: {error.stderr[-600:]}", "fits": []}
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="0.1,1.0",
                        help="synthetic scales of the 360K shape, comma-separated (default 0.1,1.0; 1.0 took "
                             "~8 min on 2 cores, 7 of them Spark)")
    parser.add_argument("--skip-full", action="store_true", help="leave out scale 1.0 (the long one)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds at 2K and at scales < 1 (medians)")
    parser.add_argument("--full-repeats", type=int, default=1,
                        help="rounds at scale 1.0: one round is a 1- and a 15-iteration Spark fit, ~6.5 min on 2 cores")
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2, help="numba threads for ours (Spark: local[2])")
    parser.add_argument("--driver-memory", default=None,
                        help="Spark driver memory for every shape (default: driver_memory_for, sized to the data; "
                             "a fit that fails is retried once with twice the memory)")
    args = parser.parse_args()
    if args.iterations < 2:
        parser.error("--iterations must be at least 2 (time per iteration is a difference of 1- and n-iteration fits)")
    scales = [float(s) for s in args.shapes.split(",") if s.strip()]
    if args.skip_full:
        scales = [s for s in scales if s < 1.0]

    import scipy.sparse as sp

    from recsys_utils.datasets import load_dataset
    from recsys_utils.evaluate import evaluate_recommender, popularity_scorer, train_test_split

    started = time.perf_counter()
    rows, stats, measured_shuffle, spark_info = [], [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")  # children inherit it
        compiled = run_child(COMPILE)
        print(f"numba compile (empty cache, ALS kernels): {compiled['seconds']:.1f} s, excluded from every figure "
              "below", flush=True)

        data = load_dataset("lastfm-2k", show_progress=False)
        train, test = train_test_split(data.user_items, 0.2, random_state=42)
        sp.save_npz(tmp / "train.npz", train.astype(np.float32), compressed=False)
        sp.save_npz(tmp / "test.npz", test, compressed=False)
        popularity = evaluate_recommender(popularity_scorer(train), train, test, 10)["map@k"]
        stats.append(("2K", shape_stats(data.user_items)))
        print(f"\nLast.fm 2K: {data.user_items.shape[0]:,} x {data.user_items.shape[1]:,}, "
              f"{data.user_items.nnz:,} plays; train {train.nnz:,}, test {test.nnz:,}", flush=True)
        del data

        shapes = [("2K (train)", tmp / "train.npz", tmp / "test.npz", args.repeats)]
        for scale in scales:
            path = tmp / f"synthetic-{scale:g}.npz"
            generated = run_child(GENERATE, scale, path)
            print(f"{generated['name']} generated in {generated['seconds']:.0f} s (peak {generated['peak_mb']:,.0f} "
                  "MiB)", flush=True)
            matrix = sp.load_npz(path).tocsr()
            label = "360K/10" if scale == 0.1 else "360K" if scale == 1.0 else f"{scale:g} x 360K"
            stats.append((label, shape_stats(matrix, extrapolate=scale == 1.0)))
            del matrix
            shapes.append((label, path, "-", args.full_repeats if scale >= 1.0 else args.repeats))

        maps = {"popularity": popularity}
        for label, path, test_path, repeats in shapes:
            print(f"\n{label}: {repeats} round(s)", flush=True)
            start = time.perf_counter()
            spark = run_spark(path, test_path, repeats, args.iterations, args.driver_memory or "-")
            failures = []
            while spark.get("error"):
                failures.append((spark.get("driver_memory", args.driver_memory or "driver_memory_for"),
                                 spark["error"], spark.get("jvm_peak_mb")))
                print(f"  Spark failed with driver memory {failures[-1][0]}: {spark['error']}", flush=True)
                if len(failures) > 1 or "driver_memory" not in spark:
                    break
                retry = bigger(spark["driver_memory"])
                print(f"  retrying with driver memory {retry}", flush=True)
                spark = run_spark(path, test_path, repeats, args.iterations, retry)
            spark_info = {k: spark[k] for k in ("blas", "lapack", "java", "spark") if k in spark} or spark_info
            print(f"  Spark: {time.perf_counter() - start:.0f} s wall; fits "
                  + ", ".join(f"{f['iterations']} it {f['seconds']:.1f} s" for f in spark["fits"])
                  + f"; driver memory {spark.get('driver_memory')}, JVM peak {spark.get('jvm_peak_mb') or 0:,.0f} MiB, "
                  f"heap peak {spark.get('jvm_heap_peak_mb') or 0:,.0f} MiB, Python peak {spark['peak_mb']:,.0f} MiB, "
                  f"JVM is pyspark's gateway process: {spark.get('jvm_is_gateway_process')}", flush=True)
            start = time.perf_counter()
            ours = run_child(OURS_CHILD, path, test_path, repeats, args.iterations, args.threads)
            print(f"  ours: {time.perf_counter() - start:.0f} s wall; fits "
                  + ", ".join(f"{f['fit']:.1f} s" for f in ours["fits"]) + f"; peak {ours['peak_mb']:,.0f} MiB",
                  flush=True)
            row = {"label": label, "spark": spark, "ours": ours, "failures": failures,
                   "ours_summary": ours_summary(ours)}
            if not spark.get("error") and spark["fits"]:
                row["spark_summary"] = spark_summary(spark, args.iterations)
                measured_shuffle[label.split(" ")[0]] = row["spark_summary"]["shuffle"]
            rows.append(row)
            if test_path != "-":
                maps["Spark"] = spark.get("map10")
                maps["ours"] = ours.get("map10")

    total = time.perf_counter() - started
    print("\n" + machine_line(spark_info, args.threads))
    print(f"\n### Speed and memory: {FACTORS} factors, {args.iterations} iterations, confidence 1 + {ALPHA} x plays")
    print(f"Spark regParam {SPARK_REG} (scaled per row by its count, ALS-WR), ours regularization {OURS_REG} (not "
          "scaled): not equal numbers, comparable models. Spark s/iter = (t15 - t1) / 14 of whole fits, overhead = t1 "
          "- s/iter (parquet conversion, setup, factors back to numpy); ours s/iter = median of the callback's "
          "seconds, overhead = fit + linear_confidence - the iterations' seconds (transpose, initial factors). Fit = the whole 15-iteration fit. Medians "
          f"over {args.repeats} rounds (scale 1.0: {args.full_repeats}). Memory: peak RSS (VmHWM) of each process.\n")
    print("| shape | impl. | s/iter | overhead s | fit s | Python peak MiB | JVM peak MiB | driver mem. "
          "| shuffle/iter | spilled |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for row in rows:
        o, s = row["ours_summary"], row.get("spark_summary")
        spark = row["spark"]
        if s:
            print(f"| {row['label']} | Spark | {s['per_iteration']:.2f} | {s['overhead']:.1f} | {s['fit']:.1f} "
                  f"| {spark['peak_mb']:,.0f} | {spark.get('jvm_peak_mb') or 0:,.0f} | {spark.get('driver_memory')} "
                  f"| {human(s['shuffle'])} | {human(s['spill'])} |")
        else:
            print(f"| {row['label']} | Spark | failed: {spark.get('error', '')[:80]} | | | | | | | |")
        print(f"| {row['label']} | ours | {o['per_iteration']:.2f} | {o['overhead']:.1f} | {o['fit']:.1f} "
              f"| {row['ours']['peak_mb']:,.0f} | | | | |")
        if s:
            memory = (spark["peak_mb"] + (spark.get("jvm_peak_mb") or 0)) / row["ours"]["peak_mb"]
            print(f"| {row['label']} | **Spark / ours** | **{s['per_iteration'] / o['per_iteration']:.1f}x** | "
                  f" | **{s['fit'] / o['fit']:.1f}x** | "
                  f"{spark['peak_mb'] / row['ours']['peak_mb']:.1f}x | Python + JVM: **{memory:.1f}x** | | | |")
    for row in rows:
        for memory, error, jvm_peak in row["failures"]:
            print(f"\n{row['label']}: Spark failed with driver memory {memory} (JVM peak "
                  f"{jvm_peak or 0:,.0f} MiB): {error}")
        if row.get("spark_summary") and row["spark_summary"]["spill"]:
            print(f"\n{row['label']}: Spark spilled {human(row['spark_summary']['spill'])} "
                  f"({human(row['spark_summary']['spill_disk'])} to disk) in a fit")
        heap = row["spark"].get("jvm_heap_peak_mb")
        if heap:
            print(f"{row['label']}: JVM heap in use at its sampled peak {heap:,.0f} MiB of driver memory "
                  f"{row['spark'].get('driver_memory')}")

    print(f"\n### Held-out MAP@10, Last.fm 2K (train_test_split(user_items, 0.2, random_state=42)), "
          f"{args.iterations}-iteration fits\n")
    print("| model | MAP@10 | vs popularity |")
    print("|---|---:|---:|")
    for name in ("popularity", "ours", "Spark"):
        value = maps.get(name)
        print(f"| {name} | {value:.4f} | {value / popularity:.2f}x |" if value is not None else f"| {name} | n/a | |")

    print("\n### Where one machine stops being enough (sizes; shuffle and memory rows are estimates)\n")
    full = next((s for label, s in stats if label == "360K"), None)
    if full is None:
        print("(needs the full shape: run without --skip-full for the extrapolated columns)")
        full = {}
    size_table(stats, full, measured_shuffle)
    print(f"\ntotal run time {total / 60:.1f} min")


if __name__ == "__main__":
    main()
