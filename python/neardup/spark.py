"""``neardup.spark``: the scan on a Spark cluster, with exactly the clusters of ``neardup scan``.

>>> from neardup import spark as nds
>>> result = nds.scan(df, text="text", id="id", threshold=0.8)      # doctest: +SKIP
>>> result.write("out/")                                            # doctest: +SKIP
>>> result.report().to_json() == open("scan.json").read()           # doctest: +SKIP

Input: a DataFrame with one row per document (``text`` a string column, ``id`` a unique key).
Output: a :class:`neardup._scaleout.Result` (``members``, ``links``, ``clusters`` DataFrames,
``write(path)``, ``report()``). The stages run as ``mapInArrow`` tasks calling the Rust kernels
on Arrow batches (no pandas, no per-row Python on the hot path); Spark shuffles by exact hash,
by (band, band key) one group of bands at a time, and by node for the distributed connected
components (see :mod:`neardup._scaleout`). Keys are the id (as a string) and the paragraph
ordinal: never ``monotonically_increasing_id`` or another engine id, so the report is byte for
byte ``neardup scan``'s at any partitioning, with adaptive query execution on or off.

Command line (``spark-submit`` or plain Python)::

    python -m neardup.spark scan INPUT --out DIR [--report FILE] [--master URL]
        [--text-col text] [--id-col id] [matching options]

docs/SCALE.md covers executors (``PYSPARK_PYTHON``, shipping the wheel) and sizing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa

from . import _scaleout
from ._scaleout import DEFAULT_BAND_GROUP, DEFAULT_DRIVER_EDGES, Result

__all__ = ["scan", "dedup", "SparkEngine", "Result"]


def _spark_type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_int32(t):
        return "int"
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_list(t):
        return f"array<{_spark_type(t.value_type)}>"
    raise TypeError(f"no Spark type for {t}")


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in schema)


def _batches(out: Any) -> Iterator[pa.RecordBatch]:
    if isinstance(out, pa.Table):
        yield from out.to_batches()
    elif out.num_rows:
        yield out


class SparkEngine:
    """The :class:`neardup._scaleout.Engine` of a ``SparkSession``: ``map`` is
    ``mapInArrow``; ``map_groups`` is ``repartition(partitions, *keys)`` then ``mapInArrow``
    over each whole partition; persisted frames are cached (``MEMORY_AND_DISK``); the
    connected-components loop checkpoints each round (``checkpoint`` when the SparkContext
    has a checkpoint directory, else ``localCheckpoint``), cutting its growing lineage."""

    def __init__(self, spark: Any, partitions: int | None = None) -> None:
        self.spark = spark
        self.partitions = partitions or int(spark.conf.get("spark.sql.shuffle.partitions", "200"))

    def map(self, frame: Any, fn: Callable[[pa.RecordBatch], Any], schema: pa.Schema) -> Any:
        def run(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in it:
                yield from _batches(fn(batch))

        return frame.mapInArrow(run, _ddl(schema))

    def map_groups(self, frame: Any, keys: Sequence[str], fn: Callable[[pa.Table], Any], schema: pa.Schema) -> Any:
        def run(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            batches = [b for b in it if b.num_rows]
            if batches:
                yield from _batches(fn(pa.Table.from_batches(batches)))

        return frame.repartition(self.partitions, *keys).mapInArrow(run, _ddl(schema))

    def union(self, frames: Sequence[Any]) -> Any:
        return functools.reduce(lambda a, b: a.union(b), frames)

    def distinct(self, frame: Any) -> Any:
        return frame.distinct()

    def join(self, left: Any, right: Any, on: Sequence[str], *, small_right: bool = False) -> Any:
        if small_right:
            # A broadcast hash join: `left` (the sketches, with texts) is never shuffled.
            # Spark cannot see it alone: a mapInArrow output's size is unknown to it.
            from pyspark.sql import functions as F

            right = F.broadcast(right)
        return left.join(right, on=list(on), how="inner")

    def persist(self, frame: Any) -> Any:
        from pyspark import StorageLevel

        return frame.persist(StorageLevel.MEMORY_AND_DISK)

    def checkpoint(self, frame: Any) -> Any:
        # A reliable checkpoint when the application has a checkpoint directory (survives a
        # lost executor), else a local one: either cuts the loop's growing lineage.
        if self.spark.sparkContext.getCheckpointDir():
            return frame.checkpoint(eager=True)
        return frame.localCheckpoint(eager=True)

    def release(self, frame: Any) -> None:
        frame.unpersist()

    def count(self, frame: Any) -> int:
        return int(frame.count())

    def collect(self, frame: Any, schema: pa.Schema) -> pa.Table:
        table = frame.toArrow() if hasattr(frame, "toArrow") else frame._collect_as_arrow()
        if isinstance(table, list):
            table = pa.Table.from_batches(table, schema=None) if table else schema.empty_table()
        if table.num_rows == 0:
            return schema.empty_table()
        return pa.table([table.column(f.name).cast(f.type) for f in schema], schema=schema)

    def from_arrow(self, table: pa.Table) -> Any:
        schema = _ddl(table.schema)
        if table.num_rows == 0:
            return self.spark.createDataFrame([], schema)
        try:
            return self.spark.createDataFrame(table)
        except (TypeError, ValueError):
            return self.spark.createDataFrame(table.to_pylist(), schema)

    def same_rows(self, a: Any, b: Any) -> bool:
        return a.subtract(b).isEmpty() and b.subtract(a).isEmpty()

    def rank(self, frame: Any, keys: Sequence[str], name: str) -> Any:
        # A global sort (range partitions, each sorted), then each row's rank = rows in
        # earlier partitions + its place in its own: two passes over the persisted sort, no
        # single-partition window and no per-row Python.
        from pyspark.sql import functions as F

        ordered = self.checkpoint(frame.distinct().orderBy(*keys).withColumn("_part", F.spark_partition_id()))
        sizes = {r[0]: r[1] for r in ordered.groupBy("_part").count().collect()}
        offsets, total = {}, 0
        for part in sorted(sizes):
            offsets[part] = total
            total += sizes[part]
        cols = [c for c in ordered.columns if c != "_part"]
        out_schema = pa.schema([pa.field(f.name, _arrow_type(f.dataType)) for f in ordered.schema.fields if f.name != "_part"] + [pa.field(name, pa.int64())])

        def run(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            seen = 0
            for batch in it:
                if not batch.num_rows:
                    continue
                start = offsets[batch.column("_part")[0].as_py()] + seen + 1
                seen += batch.num_rows
                t = pa.table([batch.column(c) for c in cols], names=cols)
                yield from t.append_column(name, pa.array(range(start, start + batch.num_rows), pa.int64())).to_batches()

        return ordered.mapInArrow(run, _ddl(out_schema))

    def write_parquet(self, frame: Any, path: str) -> None:
        frame.write.mode("overwrite").parquet(path)


def _arrow_type(t: Any) -> pa.DataType:
    name = t.simpleString()
    return {"string": pa.string(), "int": pa.int32(), "bigint": pa.int64(), "boolean": pa.bool_(), "double": pa.float64()}[name]


def _session(df: Any) -> Any:
    return df.sparkSession


def documents(
    df: Any, text: str = "text", id: str | None = "id", *, source: str | None = None, order: str | None = None
) -> tuple[Any, list[tuple[str, str, bool]]]:
    """The ``(doc, name, text)`` DataFrame of ``df`` and the skips: checks that ``text`` is a
    string column and ``id`` a column with unique, non-null values; rows with a null text
    are dropped and counted in one skip (as ``neardup scan`` counts them in a Parquet file).
    With ``source`` (a file name), documents are named ``SOURCE#ID`` as ``neardup scan`` names
    the records of that file; without, by the id alone. Documents are in name order, or with
    ``order`` (a column of unique non-negative integers: the command passes each record's
    position in its file) in that order, as ``neardup scan FILE`` keeps a file's records."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    fields = {f.name: f for f in df.schema.fields}
    if text not in fields:
        raise ValueError(f"the DataFrame has no text column {text!r} (its columns: {', '.join(fields)}); pass text=NAME")
    if not isinstance(fields[text].dataType, StringType):
        raise TypeError(f"the text column {text!r} is {fields[text].dataType.simpleString()}, not a string")
    if id is None or id not in fields:
        raise ValueError(
            f"the DataFrame has no id column {id!r} (its columns: {', '.join(fields)}): documents need a unique, "
            f"stable key (pass id=NAME; engine ids such as monotonically_increasing_id change from run to run)"
        )
    key = F.col(id).cast("string")
    nulls = df.where(F.col(text).isNull()).count()
    rows = df.where(F.col(text).isNotNull())
    null_ids = rows.where(key.isNull()).limit(1).count()
    if null_ids:
        raise ValueError(f"the id column {id!r} is null in some rows: every document needs a key")
    dup = rows.groupBy(key.alias("id")).count().where("count > 1").limit(1).collect()
    if dup:
        raise ValueError(f"id {dup[0][0]!r} occurs more than once in column {id!r}: reports would be ambiguous (choose a unique id column)")
    name = F.concat(F.lit(f"{source}#"), key) if source is not None else key
    doc = F.expr(_scaleout.ORDER_KEY_SQL.format(col=order)) if order is not None else name
    docs = rows.select(doc.alias("doc"), name.alias("name"), F.col(text).alias("text"))
    skipped = []
    if nulls:
        skipped.append(_scaleout.null_texts_skip(source if source is not None else "DataFrame", nulls, text))
    return docs, skipped


def scan(
    df: Any,
    text: str = "text",
    id: str | None = "id",
    *,
    source: str | None = None,
    band_group: int = DEFAULT_BAND_GROUP,
    driver_edges: int = DEFAULT_DRIVER_EDGES,
    partitions: int | None = None,
    order: str | None = None,
    **options: Any,
) -> Result:
    """Scan a DataFrame of documents: the clusters of ``neardup scan`` over the same
    documents (in id order, or ``order``'s: see :func:`documents`). ``options``: the matching options of :func:`neardup.scan` (``threshold``,
    ``num_perm``, ``bands``, ``rows``, ``shingle``, ``split``, ``min_words``, ``verify``,
    ``seed``, ``hash``) and ``boilerplate_min_docs``. ``band_group``: bands shuffled at once;
    ``driver_edges``: the largest link graph whose components are computed on the driver
    (else large-star/small-star on Spark); ``partitions``: shuffle partitions (default
    ``spark.sql.shuffle.partitions``). See :func:`documents` for the checks on ``df``."""
    opts = _scaleout.options(options)
    docs, skipped = documents(df, text, id, source=source, order=order)
    engine = SparkEngine(_session(df), partitions)
    return _scaleout.scan(engine, docs, opts, skipped=skipped, band_group=band_group, driver_edges=driver_edges)


def dedup(
    df: Any,
    text: str = "text",
    id: str | None = "id",
    *,
    keep: str = "first",
    source: str | None = None,
    **kwargs: Any,
) -> Any:
    """``df`` without the other copies, as ``neardup dedup`` rewrites a dataset: in each
    cluster one member is kept (``keep="first"``: the representative; ``"longest"``: the
    longest in bytes, the first of equally long ones), the others' paragraphs are deleted
    from the text column (whole lines, exactly as ``neardup dedup`` deletes them), and with
    ``split="document"`` their rows are dropped. Same schema and columns as ``df``; rows with
    a null text are kept unchanged. ``kwargs``: those of :func:`scan`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if keep not in ("first", "longest"):
        raise ValueError(f'keep must be "first" or "longest", got {keep!r}')
    split = kwargs.get("split", "lines")
    members = scan(df, text, id, source=source, **kwargs).members
    if keep == "first":
        removed = members.where(~F.col("representative"))
    else:
        # plan()'s rule: the longest member, the first (by key) of equally long ones.
        order = Window.partitionBy("cluster").orderBy(F.desc(F.col("byte_end") - F.col("byte_start")), "doc", "paragraph")
        removed = members.withColumn("_rank", F.row_number().over(order)).where("_rank > 1")
    key = F.col(id).cast("string")
    name = F.concat(F.lit(f"{source}#"), key) if source is not None else key
    keyed = df.withColumn("_neardup_doc", name)
    if split == "document":
        gone = removed.select(F.col("doc").alias("_neardup_doc")).distinct()
        return keyed.join(gone, "_neardup_doc", "left_anti").select(*df.columns)
    spans = removed.groupBy(F.col("doc").alias("_neardup_doc")).agg(
        F.collect_list("byte_start").alias("_neardup_start"), F.collect_list("byte_end").alias("_neardup_end")
    )
    joined = keyed.join(spans, "_neardup_doc", "left")
    columns = list(df.columns)
    text_at = columns.index(text)

    def run(it: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from . import _core
        from . import arrow as nda

        for batch in it:
            original = batch.column(text)
            docs = pa.record_batch(
                {
                    "doc": batch.column("_neardup_doc").fill_null(""),
                    "text": original.fill_null(""),
                    "byte_start": batch.column("_neardup_start"),
                    "byte_end": batch.column("_neardup_end"),
                }
            )
            edited = pa.record_batch(nda._Exported(_core.arrow_remove_paragraphs(split, docs))).column("text")
            import pyarrow.compute as pc

            edited = pc.if_else(pc.is_null(original), original, edited.cast(original.type))
            cols = [batch.column(c) for c in columns]
            cols[text_at] = edited
            yield pa.record_batch(cols, names=columns)

    return joined.mapInArrow(run, df.schema)


def _name(path: str) -> str:
    """The name ``neardup scan PATH`` gives a file typed as ``path`` (leading ``./`` dropped,
    ``/``-separated), as ``ingest::slash_path`` does for a file given by itself."""
    p = path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


#: The column of :func:`read_input`'s DataFrames holding each document's place in the scan's
#: order (pass it as ``order``).
ORDER = "_neardup_order"


def read_input(spark: Any, path: str, *, text: str = "text", id: str | None = None, opts: dict[str, Any] | None = None) -> tuple[Any, str, str, str | None, list[tuple[str, str, bool]]]:
    """INPUT of the command as a DataFrame, with the arguments of :func:`scan` that name its
    documents as ``neardup scan INPUT`` does: ``(df, text, id, source, skipped)``; ``df`` has
    the column :data:`ORDER` (pass ``order=ORDER``: documents in the scan's order). A Parquet
    file is read by Spark (records named ``FILE#ID``, or ``FILE#ROW`` by the row's position in
    the file without an id column; ordered by that position); anything else (a directory of
    articles, JSONL, JSONL.gz, JSONL.zst) is read on the driver by the scan's own reader, so
    names, order and skips are the scan's."""
    import os

    from . import _core
    from ._scaleout import _native

    if path.endswith(".parquet") and os.path.isfile(path):
        from pyspark.sql import functions as F

        df = spark.read.parquet(path).select("*", F.col("_metadata.row_index").alias(ORDER))
        return df, text, id if id is not None else ORDER, _name(path), []
    native = _native(dict(opts or {}))
    native["text_field"] = text
    native["id_field"] = id
    docs, skipped = _core.load_documents([path], native)
    rows = [(i, name, body) for i, (name, body) in enumerate(docs)]
    df = spark.createDataFrame(rows, f"{ORDER} bigint, id string, text string")
    return df, "text", "id", None, skipped


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m neardup.spark scan INPUT --out DIR [--report FILE] ...``."""
    import argparse
    import os
    import sys

    p = argparse.ArgumentParser(prog="python -m neardup.spark", description="neardup scan on Spark: the clusters of `neardup scan`, byte for byte.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scan", help="scan INPUT (Parquet, JSONL(.gz/.zst) or a directory of articles)")
    s.add_argument("input")
    s.add_argument("--out", required=True, help="directory for members/, links/, clusters/ (Parquet)")
    s.add_argument("--report", help="also write the JSON report (as `neardup scan --format json`) to this file")
    s.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*])")
    s.add_argument("--text-col", default="text")
    s.add_argument("--id-col", default=None)
    _scaleout.add_matching_arguments(s)
    s.add_argument("--band-group", type=int, default=DEFAULT_BAND_GROUP, help="LSH bands per shuffle")
    s.add_argument("--driver-edges", type=int, default=DEFAULT_DRIVER_EDGES, help="largest link graph for union-find on the driver")
    s.add_argument("--partitions", type=int, help="shuffle partitions (default spark.sql.shuffle.partitions)")
    a = p.parse_args(argv)
    try:
        _scaleout.check_input(a.input)
    except _scaleout.COMMAND_ERRORS as e:
        return _scaleout.command_error("neardup.spark", e)

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark import SparkConf

    builder = SparkSession.builder.appName("neardup")
    if not SparkConf().contains("spark.io.compression.codec"):
        # Shuffles of keys and hashes: zstd writes 30-40 % fewer bytes than the default lz4
        # (benches/README.md, "Scale-out"); a codec the user set is kept.
        builder = builder.config("spark.io.compression.codec", "zstd")
    if a.master:
        builder = builder.master(a.master)
    spark = builder.getOrCreate()
    opts = _scaleout.matching_arguments(a)
    try:
        df, text, id_, source, skipped = read_input(spark, a.input, text=a.text_col, id=a.id_col, opts=opts)
        docs, more = documents(df, text, id_, source=source, order=ORDER)
        engine = SparkEngine(spark, a.partitions)
        result = _scaleout.scan(engine, docs, _scaleout.options(opts), skipped=skipped + more, band_group=a.band_group, driver_edges=a.driver_edges)
        result.write(a.out)
        if a.report:
            with open(a.report, "w", encoding="utf-8") as f:
                f.write(result.report().to_json())
    except _scaleout.COMMAND_ERRORS as e:
        return _scaleout.command_error("neardup.spark", e)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
