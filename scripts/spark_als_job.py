"""Implicit ALS on a Spark cluster: read Last.fm 360K plays, fit, write factors and id mappings as parquet.

Run it with spark-submit, on this machine or on a cluster::

    spark-submit --master local[2] scripts/spark_als_job.py \\
        data/usersha1-artmbid-artname-plays.tsv out/spark-als

    spark-submit --master yarn --deploy-mode cluster \\
        --driver-memory 4g --executor-memory 8g --num-executors 20 --executor-cores 4 \\
        scripts/spark_als_job.py hdfs:///data/lastfm360k.tsv hdfs:///out/spark-als \\
        --blocks 80 --checkpoint-dir hdfs:///tmp/als-checkpoints

The input is the 360K TSV (``user-sha1 TAB artist-mbid TAB artist-name TAB
plays``, no header) or, with ``--format parquet``, a parquet of ``(user,
item, plays)``, at any URI Spark reads (local, ``hdfs://``, ``s3a://``). The
TSV is read by the rules of ``recsys_utils.formats.read_lastfm_360k``, so the
artists and users are the same ones, in the same order (sorted by name and
id): lines that are blank, have other than 4 fields, or whose plays are not a
whole number are skipped, as are rows with no user or zero plays; names written
in CSV quotes are unquoted; a row with no name takes the name most often given
with its MBID (ties: the first name in code-point order; the package keeps the
first seen); repeated (user, artist) rows are summed. Every line is counted,
by reason, in the output's ``params``. Where Spark's text reader differs from
the package's parser, so does the job: it ends lines at a lone carriage return
too, reads invalid UTF-8 as U+FFFD and keeps a byte order mark as text (the
package skips those lines, and the mark); it unquotes names before recovering
missing ones from MBIDs, and treats a name written as ``""`` as missing; and it
checks no MD5.

The output folder holds ``user_factors`` and ``item_factors`` (``id int,
features array<float>``), ``users`` (``id``, ``user``) and ``items`` (``id``,
``item``: the artist's name, ``listeners``) and ``params`` (one JSON row: the settings, the line accounting,
the fit time). ``recsys_utils.spark.load_spark_factors(path)`` reads it back
into numpy, without Spark. The confidence is Spark's ``1 + alpha * plays``
and ``regularization`` is scaled by each row's count: see
``recsys_utils.spark.spark_als`` for how these map onto ``ImplicitALS``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

with warnings.catch_warnings():
    # pyspark 4.x nags that it does not "fully support" pandas 3 when a session starts; this job uses no pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    import pyspark.testing.utils  # noqa: F401
from pyspark.ml.recommendation import ALS
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

TSV_FIELDS = 4
MAX_PLAYS_DIGITS = 18  # longer may not fit in a 64-bit int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="the 360K TSV, or a parquet of (user, item, plays) with --format parquet")
    parser.add_argument("output", help="the folder to write (refused if it exists, unless --overwrite)")
    parser.add_argument("--format", choices=("tsv", "parquet"), default="tsv")
    parser.add_argument("--factors", type=int, default=50)
    parser.add_argument("--regularization", type=float, default=1.0,
                        help="Spark's regParam, scaled by each row's count (default 1.0)")
    parser.add_argument("--alpha", type=float, default=0.03, help="confidence 1 + alpha * plays (default 0.03)")
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blocks", type=int, default=None,
                        help="user and item blocks (default: spark.default.parallelism)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="where ALS checkpoints (default: OUTPUT/_checkpoints, removed at the end)")
    parser.add_argument("--checkpoint-interval", type=int, default=5)
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    args = parser.parse_args(argv)
    for name in ("factors", "iterations", "checkpoint_interval"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.regularization < 0 or args.alpha < 0:
        parser.error("--regularization and --alpha must be non-negative")
    if args.blocks is not None and args.blocks < 1:
        parser.error("--blocks must be at least 1")
    return args


def read_tsv_plays(spark: SparkSession, uri: str) -> tuple[DataFrame, dict[str, int], DataFrame]:
    """``(user, artist, plays)`` rows of the 360K TSV by the package's rules, the skipped lines by reason, and the users.

    The users are those with a kept line, even when none of their lines had an
    artist name to recover: the package keeps them too, as empty rows.
    """
    lines = spark.read.text(uri).select(F.split("value", "\t", -1).alias("f"), F.col("value"))
    field = F.col("f")  # get() and try_cast(): null past the end or for a bad number, where ANSI mode raises
    reason = (F.when(F.col("value") == "", "blank line")
              .when(F.size(field) != TSV_FIELDS, f"not {TSV_FIELDS} tab-separated fields")
              .when(~F.get(field, 3).rlike(rf"^[0-9]{{1,{MAX_PLAYS_DIGITS}}}$"), "plays not a whole number")
              .when(F.get(field, 0) == "", "no user id")
              .when(F.get(field, 3).try_cast("long") == 0, "zero plays"))
    rows = lines.select(reason.alias("reason"), F.get(field, 0).alias("user"), F.get(field, 1).alias("mbid"),
                        _unquote("get(f, 2)").alias("artist"), F.get(field, 3).try_cast("long").alias("plays")).cache()
    kept = rows.where(F.col("reason").isNull()).drop("reason")
    named = kept.where(F.col("artist") != "")
    # A row with no name takes the name most often given with its MBID elsewhere in the file.
    by_mbid = (named.where(F.col("mbid") != "").groupBy("mbid", "artist").count()
               .withColumn("rank", F.row_number().over(Window.partitionBy("mbid").orderBy(F.desc("count"), "artist")))
               .where("rank = 1").select("mbid", F.col("artist").alias("named_as")))
    unnamed = kept.where(F.col("artist") == "").join(by_mbid, "mbid", "left")
    recovered = unnamed.where(F.col("named_as").isNotNull()).select("user", "mbid", F.col("named_as").alias("artist"),
                                                                   "plays")
    counts = {row["reason"]: row["count"] for row in rows.where(F.col("reason").isNotNull()).groupBy("reason")
              .count().collect()}
    lost = unnamed.where(F.col("named_as").isNull()).count()
    if lost:
        counts["no artist name"] = lost
    counts["lines"] = rows.count()
    counts["names recovered from MBIDs"] = recovered.count()
    return named.unionByName(recovered).select("user", "artist", "plays"), counts, kept.select("user")


def _unquote(sql: str):
    """The name at ``sql`` unquoted if written in CSV quotes (``"lee ""scratch"" perry"``), else as it is."""
    name = F.expr(sql)
    inner = F.expr(f"substring({sql}, 2, length({sql}) - 2)")
    well_formed = (name.startswith('"') & name.endswith('"') & (F.length(name) >= 2)
                   & ~F.regexp_replace(inner, '""', "").contains('"'))
    return F.when(well_formed, F.regexp_replace(inner, '""', '"')).otherwise(name)


def read_parquet_plays(spark: SparkSession, uri: str) -> tuple[DataFrame, dict[str, int], DataFrame]:
    """``(user, artist, plays)`` from a parquet of (user, item, plays); rows with null or non-positive plays are counted."""
    frame = spark.read.parquet(uri)
    missing = {"user", "item", "plays"} - set(frame.columns)
    if missing:
        raise SystemExit(f"{uri} lacks the column(s) {sorted(missing)}: it needs user, item and plays")
    frame = frame.select(F.col("user").cast("string"), F.col("item").cast("string").alias("artist"),
                         F.col("plays").cast("double")).cache()
    bad = (F.col("user").isNull() | F.col("artist").isNull() | F.col("plays").isNull() | F.isnan("plays")
           | (F.col("plays") < 0))
    counts = {"lines": frame.count(), "null or negative plays": frame.where(bad).count(),
              "zero plays": frame.where(~bad & (F.col("plays") == 0)).count()}
    kept = frame.where(~bad & (F.col("plays") > 0))
    return kept, counts, kept.select("user")


def index(frame: DataFrame, column: str) -> DataFrame:
    """``(column, id)``: ids 0..n-1 for the distinct values, in sorted (code-point) order.

    The numbering runs in one task: it holds one row per user or artist, not
    per play (tens of MB for millions of them).
    """
    values = frame.select(column).distinct()
    return values.select(column, (F.row_number().over(Window.orderBy(column)) - 1).cast("int").alias("id"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    spark = SparkSession.builder.appName("similar-music implicit ALS").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    hadoop = spark._jvm.org.apache.hadoop.fs  # noqa: SLF001 (the only way to Hadoop's file system from Python)
    out = hadoop.Path(args.output)
    fs = out.getFileSystem(spark._jsc.hadoopConfiguration())  # noqa: SLF001
    if fs.exists(out) and not args.overwrite:
        print(f"{args.output} exists: pass --overwrite to replace it", file=sys.stderr)
        return 2
    checkpoints = args.checkpoint_dir or f"{args.output.rstrip('/')}/_checkpoints"
    spark.sparkContext.setCheckpointDir(checkpoints)

    start = time.perf_counter()
    plays, lines, user_rows = (read_tsv_plays if args.format == "tsv" else read_parquet_plays)(spark, args.input)
    users, items = index(user_rows, "user").cache(), index(plays, "artist").cache()
    ratings = (plays.join(users.withColumnRenamed("id", "user_id"), "user")
               .join(items.withColumnRenamed("id", "item_id"), "artist")
               .groupBy("user_id", "item_id").agg(F.sum("plays").cast("float").alias("plays")).cache())
    n_ratings = ratings.count()
    if n_ratings == 0:
        print(f"{args.input}: no line was kept ({json.dumps(lines)})", file=sys.stderr)
        return 1
    read_seconds = time.perf_counter() - start
    blocks = args.blocks or spark.sparkContext.defaultParallelism
    als = ALS(rank=args.factors, maxIter=args.iterations, regParam=args.regularization, alpha=args.alpha,
              implicitPrefs=True, userCol="user_id", itemCol="item_id", ratingCol="plays", seed=args.seed,
              numUserBlocks=blocks, numItemBlocks=blocks, checkpointInterval=args.checkpoint_interval)
    start = time.perf_counter()
    model = als.fit(ratings)
    mode = "overwrite" if args.overwrite else "errorifexists"
    model.userFactors.write.mode(mode).parquet(f"{args.output}/user_factors")
    model.itemFactors.write.mode(mode).parquet(f"{args.output}/item_factors")
    fit_seconds = time.perf_counter() - start
    users.select("id", "user").write.mode(mode).parquet(f"{args.output}/users")
    listeners = ratings.groupBy(F.col("item_id").alias("id")).agg(F.count("*").cast("int").alias("listeners"))
    items.join(listeners, "id").select("id", F.col("artist").alias("item"), "listeners").write.mode(mode).parquet(
        f"{args.output}/items")
    n_users, n_items = users.count(), items.count()
    params = {"input": args.input, "format": args.format, "factors": args.factors,
              "regularization": args.regularization, "alpha": args.alpha, "iterations": args.iterations,
              "seed": args.seed, "blocks": blocks, "users": n_users, "items": n_items, "ratings": n_ratings,
              "lines": lines, "read_seconds": round(read_seconds, 3), "fit_seconds": round(fit_seconds, 3),
              "spark": spark.version, "master": spark.sparkContext.master}
    spark.createDataFrame([(json.dumps(params),)], "json string").coalesce(1).write.mode(mode).parquet(
        f"{args.output}/params")
    if args.checkpoint_dir is None:
        fs.delete(hadoop.Path(checkpoints), True)
    skipped = {reason: count for reason, count in lines.items()
               if reason not in ("lines", "names recovered from MBIDs")}
    print(f"{lines['lines']:,} lines: {n_ratings:,} (user, artist) plays of {n_users:,} users and {n_items:,} "
          f"artists; skipped {skipped or 'none'}; {lines.get('names recovered from MBIDs', 0):,} names recovered "
          f"from MBIDs. Fit ({args.factors} factors, {args.iterations} iterations, {blocks} blocks) and write: "
          f"{fit_seconds:.1f} s. Output: {args.output}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
