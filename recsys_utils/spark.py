"""Implicit ALS on Spark MLlib: the same model on a distributed engine, and the way back to numpy.

Spark is an optional extra (``pip install -e '.[spark]'``: pyspark 4 and
pyarrow) and needs Java 17 or newer; nothing else in the package imports this
module. The pieces:

* :func:`spark_session`: a local (or any) session with driver memory sized to
  the data, a checkpoint directory, the web UI off unless asked for;
* :func:`to_spark`: a users x items CSR matrix as a Spark DataFrame of
  ``(user, item, rating)``, through a parquet file written by pyarrow;
* :func:`spark_als`: ``pyspark.ml.recommendation.ALS`` with
  ``implicitPrefs=True``, returning numpy factors in our row order;
* :func:`load_spark_factors`: the output of ``scripts/spark_als_job.py``
  (parquet, from a cluster) read back into numpy, without Spark or Java.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .setup_check import MIN_JAVA, java_version
from .utils import canonical_csr, check_real, check_whole_number, progress_bar

__all__ = ["SparkFactors", "SparkUnavailableError", "als_footprint", "driver_memory_for", "java_version",
           "load_spark_factors", "spark_als", "spark_heap_bytes", "spark_session", "spark_unavailable", "to_spark"]

#: Spark ids are 32-bit ints.
MAX_ID = 2**31 - 1
INSTALL_HINT = ("install the extra with pip install -e '.[spark]' and Java 17 or newer "
                "(Debian: apt-get install openjdk-17-jre-headless; conda: conda install -c conda-forge openjdk=17)")


class SparkUnavailableError(RuntimeError):
    """pyspark, pyarrow or a recent enough Java is missing."""


def _require_spark():
    """pyspark's SparkSession, or a SparkUnavailableError that says what to install."""
    missing = [name for name in ("pyspark", "pyarrow") if not _importable(name)]
    if missing:
        raise SparkUnavailableError(f"{' and '.join(missing)} not installed: {INSTALL_HINT}")
    version = java_version()
    if version is None or version < MIN_JAVA:
        found = "no Java was found" if version is None else f"Java {version} was found"
        raise SparkUnavailableError(f"Spark 4 needs Java {MIN_JAVA} or newer and {found}: {INSTALL_HINT}; "
                                    "or set JAVA_HOME to a Java 17+ installation")
    with warnings.catch_warnings():
        # pyspark 4.x nags that it does not "fully support" pandas 3; data here moves through Arrow, not pandas.
        # The nag comes from importing pyspark.testing.utils, which starting a session does: import it here, once.
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        import pyspark.testing.utils  # noqa: F401
        from pyspark.ml.recommendation import ALS  # noqa: F401
        from pyspark.sql import SparkSession
    return SparkSession


def spark_unavailable() -> str | None:
    """Why Spark cannot start here (pyspark, pyarrow or Java 17+ missing), or None when it can."""
    try:
        _require_spark()
    except SparkUnavailableError as error:
        return str(error)
    return None


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def driver_memory_for(nnz: int, n_users: int, n_items: int, factors: int = 50) -> str:
    """Driver memory for a local-mode ALS fit of this size, as Spark spells it (``"3g"``).

    :func:`spark_heap_bytes`, rounded up to whole GiB and held to three
    quarters of this machine's memory.
    """
    gib = -(-spark_heap_bytes(nnz, n_users, n_items, factors) // (1 << 30))
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None
    if total:
        gib = max(1, min(gib, int(0.75 * total) >> 30))
    return f"{gib}g"


def spark_heap_bytes(nnz: int, n_users: int, n_items: int, factors: int = 50) -> int:
    """The heap a local-mode Spark ALS fit is given: a generous estimate.

    In local mode the driver JVM does all the work, so its heap must hold the
    ratings twice (Spark's ALS keeps user-side and item-side blocks, about 24
    bytes a rating, plus the input and shuffle copies: 64 bytes a rating is
    allowed), the factors of both sides a few times over (old, new and the
    copies shuffled between blocks: 16 copies), and 1 GiB for Spark itself.
    At the full 360K shape this gives 4 GiB, of which ``bench_spark.py``
    measured 2.2 GiB in use at the heap's sampled peak.
    """
    return (1 << 30) + 64 * int(nnz) + 16 * 4 * int(factors) * (int(n_users) + int(n_items))


def _csr_bytes(nnz: int, rows: int) -> int:
    """float32 values and int32 indices, and an indptr of int32 (int64 from 2**31 entries)."""
    return 8 * nnz + (4 if nnz < 2**31 else 8) * (rows + 1)


def _expected_blocks(degrees: np.ndarray, blocks: int) -> float:
    """Sum over rows of the expected number of distinct blocks a row's partners fall in, placed at random."""
    return float((blocks * -np.expm1(np.asarray(degrees, dtype=np.float64) * np.log1p(-1.0 / blocks))).sum())


def als_footprint(user_items, *, factors: int = 50, blocks: int = 10, growth: float = 1,
                  item_exponent: float = 0.5) -> dict[str, float]:
    """What one machine must hold to fit ALS on this data, or on ``growth`` times more, and what Spark shuffles.

    * ``plays matrix bytes``: the users x items CSR (float32 values, int32 indices);
    * ``one-machine fit bytes``: what a fit with :class:`recsys_utils.als.ImplicitALS`
      holds: the plays, their confidences and the confidences' transpose
      (three CSR matrices) and both factor matrices;
    * ``factor bytes``: ``(users + items) x factors`` float32;
    * ``spark heap bytes``: :func:`spark_heap_bytes`, the heap of a local-mode Spark fit;
    * ``shuffle bytes per iteration``: Spark's ALS sends each user's factors
      once to every item block holding one of its plays, and each item's to
      every user block with one of its listeners (blocks by id modulo
      ``blocks``): ``(distinct (user, item block) + distinct (item, user
      block)) x factors x 4`` bytes an iteration.

    With ``growth`` 1 everything is counted on the data (``shuffle measured``
    is True). With ``growth`` > 1 the data is extrapolated: users and plays
    grow by ``growth``, items by ``growth ** item_exponent`` (a bigger
    audience finds new artists ever more slowly) and each item's listeners by
    the rest, while users keep their numbers of items; the shuffle is then the
    expected number of distinct blocks ``b (1 - (1 - 1/b)^d)`` of a row with
    ``d`` partners, summed over the data's rows so scaled. At ``growth`` 1
    that expectation is within a few percent of the count (tested).
    """
    matrix = _check_plays(user_items)
    factors = check_whole_number(factors, "factors", 1)
    blocks = check_whole_number(blocks, "blocks", 1)
    growth = check_real(growth, "growth", 1.0)
    item_exponent = check_real(item_exponent, "item_exponent", 0.0)
    if item_exponent > 1:
        raise ValueError(f"item_exponent must be at most 1 (items cannot outgrow the plays), not {item_exponent}")
    user_degrees = np.diff(matrix.indptr)
    item_degrees = np.bincount(matrix.indices, minlength=matrix.shape[1])
    if growth == 1:
        n_users, n_items, plays = matrix.shape[0], matrix.shape[1], matrix.nnz
        rows = np.repeat(np.arange(n_users, dtype=np.int64), user_degrees)
        columns = matrix.indices.astype(np.int64)
        sent = len(np.unique(rows * blocks + columns % blocks)) + len(np.unique(columns * blocks + rows % blocks))
    else:
        item_growth = growth ** item_exponent
        n_users, n_items = round(matrix.shape[0] * growth), round(matrix.shape[1] * item_growth)
        plays = round(matrix.nnz * growth)
        sent = (growth * _expected_blocks(user_degrees, blocks)
                + item_growth * _expected_blocks(item_degrees * (growth / item_growth), blocks))
    factor_bytes = 4 * factors * (n_users + n_items)
    return {"users": n_users, "items": n_items, "plays": plays, "plays matrix bytes": _csr_bytes(plays, n_users),
            "one-machine fit bytes": 2 * _csr_bytes(plays, n_users) + _csr_bytes(plays, n_items) + factor_bytes,
            "factor bytes": factor_bytes, "spark heap bytes": spark_heap_bytes(plays, n_users, n_items, factors),
            "blocks": blocks, "shuffle bytes per iteration": round(sent) * factors * 4, "shuffle measured": growth == 1}


_WORK_DIRS: list[str] = []


def _work_dir() -> Path:
    """A folder of this process for parquet inputs and checkpoints, removed when Python exits."""
    if not _WORK_DIRS:
        _WORK_DIRS.append(tempfile.mkdtemp(prefix="recsys-spark-"))
        atexit.register(lambda: shutil.rmtree(_WORK_DIRS[0], ignore_errors=True))
    return Path(_WORK_DIRS[0])


def spark_session(*, master: str = "local[*]", driver_memory: str | None = None, user_items=None,
                  factors: int = 50, checkpoint_dir: str | None = None, ui: bool = False,
                  app_name: str = "similar-music", shuffle_partitions: int | None = None,
                  config: dict[str, str] | None = None, log_level: str = "ERROR"):
    """A SparkSession for ALS: the running one if there is one, else a new one.

    Parameters
    ----------
    master : str
        ``"local[*]"`` (all cores of this machine), ``"local[2]"``, or a
        cluster's master URL. On a cluster, prefer ``spark-submit`` with
        ``scripts/spark_als_job.py``.
    driver_memory : str, optional
        The driver's heap, e.g. ``"4g"``. Default: sized to ``user_items`` by
        :func:`driver_memory_for`, else Spark's 1g. In local mode this is all
        the memory Spark gets. It is fixed when the JVM starts, so it has no
        effect on a session that is already running (a warning says so).
    user_items : CSR matrix, optional
        The data to size the driver memory for.
    factors : int
        The rank the memory is sized for.
    checkpoint_dir : str, optional
        Where ALS checkpoints its factors every ``checkpointInterval``
        iterations, which keeps long fits from an ever longer lineage (and a
        StackOverflowError). Default: a temporary folder of this process.
    ui : bool
        Start Spark's web UI (http://localhost:4040) to watch the jobs.
    shuffle_partitions : int, optional
        ``spark.sql.shuffle.partitions``; default twice the local cores, or
        Spark's 200 on a cluster.
    config : dict, optional
        Any other Spark settings.

    For a local master, ``SPARK_LOCAL_IP`` is set to 127.0.0.1 in this
    process unless it is set already.
    log_level : str
        The JVM's log level; "ERROR" keeps notebooks quiet.

    Raises
    ------
    SparkUnavailableError
        pyspark or pyarrow is not installed, or Java is missing or older than 17.
    """
    SparkSession = _require_spark()
    if driver_memory is None and user_items is not None:
        matrix = canonical_csr(user_items)
        driver_memory = driver_memory_for(matrix.nnz, matrix.shape[0], matrix.shape[1], factors)
    running = SparkSession.getActiveSession()
    if running is not None:
        held = running.sparkContext.getConf().get("spark.driver.memory", "1g")
        if driver_memory and _bytes(held) < _bytes(driver_memory):
            warnings.warn(f"a Spark session is already running with driver memory {held}; {driver_memory} was asked "
                          "for but cannot be set on a running JVM: call spark.stop() first", RuntimeWarning,
                          stacklevel=2)
        return running
    local_cores = _local_cores(master)
    if local_cores:  # a local JVM need not look up this machine's public address (and warn when it is odd)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    settings = {
        "spark.ui.enabled": str(bool(ui)).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(shuffle_partitions or (2 * local_cores if local_cores else 200)),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Deep ALS lineages recurse in the JVM; the JVM logs at log_level from its start, not only after it.
        "spark.driver.extraJavaOptions": f"-Xss16m -Dlog4j2.configurationFile={_log_config(log_level).as_uri()}",
    }
    if driver_memory:
        settings["spark.driver.memory"] = driver_memory
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(log_level)
    spark.sparkContext.setCheckpointDir(checkpoint_dir or str(_work_dir() / "checkpoints"))
    return spark


def _log_config(level: str) -> Path:
    """A log4j2 configuration that logs ``level`` and worse to stderr, for the JVM to read as it starts.

    pyspark starts its JVM as a shell, whose log level Spark takes from the
    ``org.apache.spark.repl.Main`` logger (and announces when it differs).
    """
    path = _work_dir() / f"log4j2-{level.lower()}.properties"
    path.write_text(f"""rootLogger.level = {level.lower()}
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = {level.lower()}
""")
    return path


def _local_cores(master: str) -> int | None:
    match = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master.strip())
    if not match:
        return None
    cores = match.group(1)
    return os.cpu_count() or 1 if cores in (None, "*") else int(cores)


def _bytes(size: str) -> int:
    match = re.fullmatch(r"(\d+)([kmgt]?)b?", str(size).strip().lower())
    if not match:
        return 0
    return int(match.group(1)) << (10 * " kmgt".index(match.group(2) or " "))


def _check_plays(user_items) -> sp.csr_matrix:
    """Users x items counts as float32 CSR: finite, non-negative, ids that fit Spark's 32-bit ints."""
    matrix = canonical_csr(user_items, "user_items").astype(np.float32)
    if matrix.nnz and (not np.isfinite(matrix.data).all() or matrix.data.min() < 0):
        raise ValueError("user_items must be finite and non-negative play counts (Spark reads a negative rating "
                         "as a dislike)")
    if max(matrix.shape) > MAX_ID:
        raise ValueError(f"Spark's ALS takes 32-bit ids: at most {MAX_ID:,} users and items, not {matrix.shape}")
    if matrix.nnz == 0:
        raise ValueError("user_items holds no plays")
    return matrix


def to_spark(user_items, spark, path: str | os.PathLike | None = None):
    """A users x items matrix as a Spark DataFrame of ``(user int, item int, rating float)``, one row per entry.

    The CSR arrays are written as one parquet file by pyarrow (no Python loop
    over rows, no ``createDataFrame`` from a list), then read by Spark.

    Parameters
    ----------
    user_items : CSR matrix, shape (n_users, n_items)
        Play counts (or any non-negative ratings). Rows are users.
    spark : SparkSession
    path : path-like, optional
        Where the parquet goes (it must stay while the DataFrame is used).
        Default: a new file in this process's temporary folder.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    matrix = _check_plays(user_items)
    users = np.repeat(np.arange(matrix.shape[0], dtype=np.int32), np.diff(matrix.indptr))
    table = pa.table({"user": pa.array(users), "item": pa.array(matrix.indices.astype(np.int32, copy=False)),
                      "rating": pa.array(matrix.data)})
    path = Path(path) if path is not None else _work_dir() / f"user_items-{uuid.uuid4().hex}.parquet"
    pq.write_table(table, path)
    return spark.read.parquet(str(path))


def spark_als(user_items, factors: int = 50, regularization: float = 0.1, alpha: float = 1.0, iterations: int = 15,
              random_state: int = 0, spark=None, *, blocks: int | None = None, checkpoint_interval: int = 10,
              show_progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Fit Spark MLlib's implicit ALS; return ``(user_factors, item_factors)`` in our row order.

    How our parameters map onto Spark's (``pyspark.ml.recommendation.ALS``
    with ``implicitPrefs=True``):

    * **confidence**: Spark reads the stored values as ratings ``r_ui`` and
      sets ``c_ui = 1 + alpha * r_ui`` itself (``alpha``), with preference 1
      where ``r_ui > 0``. Pass **play counts**, not confidences: the same model
      in :class:`recsys_utils.als.ImplicitALS` is a fit on
      ``linear_confidence(user_items, alpha)``.
    * **regularization** is Spark's ``regParam``, but Spark scales it by each
      row's number of ratings (ALS-WR, Zhou et al. 2008): a user with 50
      artists is solved with ``50 * regularization``, an artist with 3
      listeners with ``3 * regularization``. ``ImplicitALS`` uses one
      ``regularization`` for every row, so **equal numbers do not mean equal
      models**: ``regularization=0.01`` here is about what 0.5 is there for a
      typical Last.fm user, and far less for a rare artist.
    * ``factors`` is ``rank``, ``iterations`` is ``maxIter``, ``random_state``
      is ``seed`` (Spark starts from unit-length Gaussian factors, we from
      uniform ones, so the two never start alike). Each half-step is an exact
      Cholesky solve, like ``ImplicitALS(solver="cholesky")``.
    * ``coldStartStrategy`` only matters to Spark's own ``transform``; users or
      items without a rating get no factors from Spark at all, and come back
      here as **zero rows**, which ``recommend`` and ``similar_items`` leave out.

    **Reproducibility**: with the same seed, data and ``blocks``, Spark draws
    the same initial factors; its sums of ``YᵀY`` over blocks are merged in
    the order tasks finish, so with more than one core the last bits can
    differ between runs. Compare Spark fits to a tolerance.

    Parameters
    ----------
    user_items : CSR matrix, shape (n_users, n_items)
        Play counts, users x items.
    factors, regularization, alpha, iterations, random_state
        See above.
    spark : SparkSession, optional
        Default: the running session, else :func:`spark_session` sized to the data.
    blocks : int, optional
        ``numUserBlocks`` and ``numItemBlocks``: how finely each side is
        split into tasks. Default: twice the cores of a local session, else 10.
    checkpoint_interval : int
        Checkpoint the factors every this many iterations (needs the
        session's checkpoint directory, which :func:`spark_session` sets).
    show_progress : bool
        A progress bar of Spark's finished tasks.

    Returns
    -------
    user_factors : ndarray, shape (n_users, factors), float32
    item_factors : ndarray, shape (n_items, factors), float32
    """
    factors = check_whole_number(factors, "factors", 1)
    regularization = check_real(regularization, "regularization", 0.0)
    alpha = check_real(alpha, "alpha", 0.0)
    iterations = check_whole_number(iterations, "iterations", 1)
    random_state = check_whole_number(random_state, "random_state", 0, MAX_ID)
    checkpoint_interval = check_whole_number(checkpoint_interval, "checkpoint_interval", 1)
    matrix = _check_plays(user_items)
    spark = spark if spark is not None else spark_session(user_items=matrix, factors=factors)
    if blocks is None:
        cores = _local_cores(spark.sparkContext.master)
        blocks = 2 * cores if cores else 10
    blocks = check_whole_number(blocks, "blocks", 1)
    from pyspark.ml.recommendation import ALS

    parquet = _work_dir() / f"user_items-{uuid.uuid4().hex}.parquet"
    ratings = to_spark(matrix, spark, parquet)
    als = ALS(rank=factors, maxIter=iterations, regParam=regularization, alpha=alpha, implicitPrefs=True,
              userCol="user", itemCol="item", ratingCol="rating", seed=random_state, numUserBlocks=blocks,
              numItemBlocks=blocks, checkpointInterval=checkpoint_interval, coldStartStrategy="drop")
    try:
        with spark_progress(spark, desc=f"Spark ALS ({iterations} iterations)", disable=not show_progress):
            model = als.fit(ratings)
            user_factors = _factor_rows(model.userFactors, matrix.shape[0], factors)
            item_factors = _factor_rows(model.itemFactors, matrix.shape[1], factors)
    finally:  # the factors are in numpy now: the input's copy on disk is not needed again
        parquet.unlink(missing_ok=True)
    return user_factors, item_factors


def _factor_rows(frame, n_rows: int, factors: int) -> np.ndarray:
    """Spark's ``(id, features)`` factors as an (n_rows, factors) float32 array; ids Spark lacks are zero rows."""
    table = frame.toArrow()
    return _scatter(table.column("id").to_numpy(), table.column("features"), n_rows, factors)


def _scatter(ids: np.ndarray, features, n_rows: int, factors: int) -> np.ndarray:
    import pyarrow as pa

    features = features.combine_chunks() if isinstance(features, pa.ChunkedArray) else features
    values = features.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    if len(values) != len(ids) * factors:
        raise ValueError(f"factor rows are not all of length {factors}")
    out = np.zeros((n_rows, factors), dtype=np.float32)
    ids = np.asarray(ids, dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= n_rows):
        raise ValueError(f"factor ids must lie in [0, {n_rows}), found {ids.min()}..{ids.max()}")
    out[ids] = values.reshape(len(ids), factors)
    return out


@contextlib.contextmanager
def spark_progress(spark, desc: str, disable: bool = False, interval: float = 0.5):
    """A progress bar of the tasks Spark finishes for the jobs the block starts.

    Spark does not say in advance how many jobs and tasks a fit will run, so
    the bar counts finished tasks and time, without a total.
    """
    if disable:
        yield
        return
    context = spark.sparkContext
    tracker = context.statusTracker()
    group = f"recsys-{uuid.uuid4().hex}"
    caller = {key: context.getLocalProperty(key) for key in ("spark.jobGroup.id", "spark.job.description")}
    context.setJobGroup(group, desc)
    stop = threading.Event()
    bar = progress_bar(desc=desc, unit=" tasks", total=None)

    def finished_tasks() -> int:
        done = 0
        for job_id in tracker.getJobIdsForGroup(group):
            job = tracker.getJobInfo(job_id)
            for stage_id in job.stageIds if job is not None else ():
                stage = tracker.getStageInfo(stage_id)
                done += stage.numCompletedTasks if stage is not None else 0
        return done

    def poll() -> None:
        while not stop.wait(interval):
            with contextlib.suppress(Exception):  # Spark may be shutting a stage down as it is asked
                bar.update(max(0, finished_tasks() - bar.n))

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with contextlib.suppress(Exception):
            bar.update(max(0, finished_tasks() - bar.n))
        for key, value in caller.items():  # the caller's job group and description, as they were
            context.setLocalProperty(key, value)
        bar.close()


@dataclass
class SparkFactors:
    """What ``scripts/spark_als_job.py`` wrote, as numpy arrays (rows are the job's ids).

    Attributes
    ----------
    user_factors : ndarray, shape (n_users, factors), float32
    item_factors : ndarray, shape (n_items, factors), float32
    user_ids : ndarray of str, shape (n_users,)
        The user of each row (the data's own user id).
    item_names : ndarray of str, shape (n_items,)
        The artist of each row.
    item_listeners : ndarray of int, shape (n_items,)
        Users who played each artist (0 where the output does not say).
    params : dict
        The job's settings and its line accounting.
    """

    user_factors: np.ndarray
    item_factors: np.ndarray
    user_ids: np.ndarray
    item_names: np.ndarray
    item_listeners: np.ndarray
    params: dict = field(default_factory=dict)


def load_spark_factors(path: str | os.PathLike) -> SparkFactors:
    """Read the output folder of ``scripts/spark_als_job.py`` into numpy (pyarrow only: no Spark, no Java).

    ``path`` may be a local folder or any URI pyarrow reads (``s3://…``,
    ``hdfs://…`` with the matching pyarrow filesystem).

    Raises
    ------
    FileNotFoundError
        A part of the output is missing (the job failed or is still writing).
    ValueError
        The parts disagree (ids out of range, rows of different lengths).
    """
    import pyarrow.dataset as ds

    base = str(path).rstrip("/")

    def table(name: str):
        try:
            return ds.dataset(f"{base}/{name}", format="parquet").to_table()
        except (FileNotFoundError, OSError) as error:
            raise FileNotFoundError(f"{base}/{name} is missing: is {base} the output of scripts/spark_als_job.py, "
                                    f"and did the job finish? ({error})") from error

    params_table = table("params")
    if params_table.num_rows != 1:
        raise ValueError(f"{base}/params must hold one row, not {params_table.num_rows}")
    params = json.loads(params_table.column("json")[0].as_py())
    users, items = table("users"), table("items")
    user_ids = _labels(users, "user")
    item_names = _labels(items, "item")
    user_table, item_table = table("user_factors"), table("item_factors")
    factors = int(params["factors"])
    item_listeners = np.zeros(len(item_names), dtype=np.int64)
    if "listeners" in items.column_names:
        item_listeners[items.column("id").to_numpy()] = items.column("listeners").to_numpy()
    return SparkFactors(_scatter(user_table.column("id").to_numpy(), user_table.column("features"), len(user_ids), factors),
                        _scatter(item_table.column("id").to_numpy(), item_table.column("features"), len(item_names), factors),
                        user_ids, item_names, item_listeners, params)


def _labels(table, column: str) -> np.ndarray:
    """The label of every id 0..n-1 of an ``(id, <column>)`` table, checked to cover each id once."""
    ids = table.column("id").to_numpy().astype(np.int64)
    labels = np.array(table.column(column).to_pylist(), dtype=object)
    if len(ids) and not np.array_equal(np.sort(ids), np.arange(len(ids))):
        raise ValueError(f"the {column} ids are not 0..{len(ids) - 1}, each once")
    out = np.empty(len(ids), dtype=object)
    out[ids] = labels
    return out
