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
    over each whole partition; persisted frames are checkpointed (``checkpoint`` when the
    SparkContext has a checkpoint directory, else ``localCheckpoint``), which also cuts the
    lineage of the connected-components loop."""

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

    def join(self, left: Any, right: Any, on: Sequence[str]) -> Any:
        return left.join(right, on=list(on), how="inner")

    def persist(self, frame: Any) -> Any:
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

        ordered = self.persist(frame.distinct().orderBy(*keys).withColumn("_part", F.spark_partition_id()))
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


def documents(df: Any, text: str = "text", id: str | None = "id", *, source: str | None = None) -> tuple[Any, list[tuple[str, str, bool]]]:
    """The ``(doc, text)`` DataFrame of ``df`` and the skips: checks that ``text`` is a
    string column and ``id`` a column with unique, non-null values; rows with a null text
    are dropped and counted in one skip (as ``neardup scan`` counts them in a Parquet file).
    With ``source`` (a file name), documents are named ``SOURCE#ID`` as ``neardup scan`` names
    the records of that file; without, by the id alone."""
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
    docs = rows.select(name.alias("doc"), F.col(text).alias("text"))
    skipped = []
    if nulls:
        skipped.append((source if source is not None else "DataFrame", f"{nulls} rows with a null {text!r} skipped".replace("'", '"'), False))
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
    **options: Any,
) -> Result:
    """Scan a DataFrame of documents: the clusters of ``neardup scan`` over the same
    documents. ``options``: the matching options of :func:`neardup.scan` (``threshold``,
    ``num_perm``, ``bands``, ``rows``, ``shingle``, ``split``, ``min_words``, ``verify``,
    ``seed``) and ``boilerplate_min_docs``. ``band_group``: bands shuffled at once;
    ``driver_edges``: the largest link graph whose components are computed on the driver
    (else large-star/small-star on Spark); ``partitions``: shuffle partitions (default
    ``spark.sql.shuffle.partitions``). See :func:`documents` for the checks on ``df``."""
    opts = _scaleout.options(options)
    docs, skipped = documents(df, text, id, source=source)
    engine = SparkEngine(_session(df), partitions)
    return _scaleout.scan(engine, docs, opts, skipped=skipped, band_group=band_group, driver_edges=driver_edges)


def dedup(df: Any, text: str = "text", id: str | None = "id", *, keep: str = "first", **kwargs: Any) -> Any:
    """``df`` without the other copies, as ``neardup dedup`` writes a dataset: in each
    cluster one member is kept (``keep="first"``: the representative, ``"longest"``: the
    longest, then the first), the others' paragraphs are removed from the text column
    (whole lines, as in files), and with ``split="document"`` their rows are dropped."""
    return _scaleout.dedup_spark(df, text, id, keep=keep, **kwargs) if hasattr(_scaleout, "dedup_spark") else _dedup(df, text, id, keep=keep, **kwargs)


def _dedup(df: Any, text: str, id: str | None, *, keep: str, **kwargs: Any) -> Any:
    raise NotImplementedError("neardup.spark.dedup")
