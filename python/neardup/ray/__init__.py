"""``neardup.ray``: the scan on Ray, with exactly the clusters of ``neardup scan``.

>>> import ray, neardup.ray
>>> ds = ray.data.read_parquet("news/")                            # doctest: +SKIP
>>> result = neardup.ray.scan(ds, text="body", id="url")           # doctest: +SKIP
>>> result.write("out/")                                           # doctest: +SKIP
>>> result.report().to_json() == open("scan.json").read()          # doctest: +SKIP

Input: a ``ray.data.Dataset`` with one row per document (``text`` a string column, ``id`` a
unique key). Output: a :class:`neardup._scaleout.Result` whose frames are Ray Datasets
(``members``, ``links``, ``clusters``, ``write(path)``, ``report()``). The stages are those of
:mod:`neardup._scaleout`, run by :class:`RayEngine`: ``map_batches(batch_format="pyarrow")``
tasks calling the Rust kernels (no pandas, no per-row Python on the hot path), Ray Data's
keyed hash shuffle (``repartition(keys=...)``) wherever a kernel needs whole groups, and a
reduce-side join on that same shuffle. Keys are the id (as a string) and the paragraph
ordinal, never a block position, so the report is byte for byte ``neardup scan``'s for any
number of blocks, partitions or nodes.

Command line: ``python -m neardup.ray scan INPUT --out DIR [--report FILE] [--address ADDR]``
(:mod:`neardup.ray.__main__`). docs/SCALE.md has the Ray section (workers, sizing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import _scaleout
from .._scaleout import DEFAULT_BAND_GROUP, DEFAULT_DRIVER_EDGES, Result

__all__ = ["scan", "documents", "RayEngine", "Result", "SYSTEM_CONFIG"]

#: ``_system_config`` for a Ray that :mod:`neardup.ray` starts itself (the command line, the
#: tests): Ray kills idle workers after 1 s by default, and each shuffle's map side runs in
#: its own worker pool, so every stage would start fresh Python processes (seconds each).
SYSTEM_CONFIG = {"idle_worker_killing_time_threshold_ms": 600_000, "num_workers_soft_limit": 8}


@dataclass(frozen=True)
class Frame:
    """A Ray Dataset and its Arrow schema (known without running the dataset)."""

    ds: Any
    schema: pa.Schema


def _table(t: Any) -> pa.Table:
    return t if isinstance(t, pa.Table) else pa.Table.from_batches([t])


def _conform(out: Any, schema: pa.Schema) -> pa.Table:
    """A function's output as a table of exactly ``schema`` (Ray concatenates blocks, which
    must agree)."""
    t = _table(out)
    return pa.table([t.column(f.name).cast(f.type) for f in schema], schema=schema)


def _batch_fn(fn: Callable[[pa.RecordBatch], Any], schema: pa.Schema) -> Callable[[pa.Table], pa.Table]:
    def run(t: pa.Table) -> pa.Table:
        if t.num_rows == 0:
            return schema.empty_table()
        return _conform(fn(t.combine_chunks().to_batches()[0]), schema)

    return run


def _group_fn(fn: Callable[[pa.Table], Any], schema: pa.Schema) -> Callable[[pa.Table], pa.Table]:
    def run(t: pa.Table) -> pa.Table:
        if t.num_rows == 0:
            return schema.empty_table()
        return _conform(fn(t.combine_chunks()), schema)

    return run


def _distinct(t: pa.Table) -> pa.Table:
    return t.group_by(t.column_names, use_threads=False).aggregate([]).select(t.column_names)


#: Side of a row in a join's shuffle (left, right).
_SIDE = "__neardup_side"


def _join_inputs(t: pa.Table, *, on: Sequence[str], mine: Sequence[str], other: pa.Schema, side: int, prefix: str) -> pa.Table:
    """One side of a join as rows of the union schema: the keys, the side, this side's
    columns prefixed, the other side's null."""
    cols = {k: t.column(k) for k in on}
    cols[_SIDE] = pa.array(np.full(t.num_rows, side, dtype=np.int8))
    for name in mine:
        cols[prefix + name] = t.column(name)
    for f in other:
        cols[f.name] = pa.nulls(t.num_rows, f.type)
    return pa.table(cols)


def _match(a: pa.Table, b: pa.Table, on: Sequence[str]) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Row positions ``(i, j)`` of every pair of rows with equal keys (an inner join), by a
    pyarrow hash join on the keys carrying the positions: pyarrow joins carry no list
    columns, so the other columns are taken by position afterwards."""
    on = list(on)
    ak = a.select(on).append_column("__a", pa.array(np.arange(a.num_rows, dtype=np.int64)))
    bk = b.select(on).append_column("__b", pa.array(np.arange(b.num_rows, dtype=np.int64)))
    m = ak.join(bk, on, join_type="inner", use_threads=False).sort_by([("__a", "ascending"), ("__b", "ascending")])
    return m.column("__a"), m.column("__b")


def _join_reduce(t: pa.Table, *, on: Sequence[str], left: Sequence[str], right: Sequence[str]) -> pa.Table:
    """A partition holding every row of each key from both sides → the inner join."""
    t = t.combine_chunks()
    side = t.column(_SIDE)
    lt, rt = t.filter(pc.equal(side, 0)), t.filter(pc.equal(side, 1))
    li, ri = _match(lt, rt, on)
    cols = {k: lt.column(k).take(li) for k in on}
    for name in left:
        cols[name] = lt.column("l." + name).take(li)
    for name in right:
        cols[name] = rt.column("r." + name).take(ri)
    return pa.table(cols)


def _broadcast_join(big: pa.Table, small: pa.Table, *, on: Sequence[str], out: pa.Schema) -> pa.Table:
    """A block of the big side joined with the whole small side."""
    bi, si = _match(big, small, on)
    cols = {k: big.column(k).take(bi) for k in on}
    for name in out.names:
        if name in cols:
            continue
        src, idx = (small, si) if name in small.schema.names else (big, bi)
        cols[name] = src.column(name).take(idx)
    return pa.table(cols)


def _rank_block(t: pa.Table, *, name: str, start: int) -> pa.Table:
    return t.append_column(name, pa.array(np.arange(start, start + t.num_rows, dtype=np.int64)))


class RayEngine:
    """The :class:`neardup._scaleout.Engine` of Ray Data. ``map`` is ``map_batches`` with
    ``batch_format="pyarrow"``; ``map_groups`` is ``repartition(partitions, keys=...)`` then
    ``map_batches(batch_size=None)``: a keyed repartition's reduce emits each partition as
    one block (it never splits blocks: the contract ``GroupedData.map_groups`` rests on), so
    the function sees every group whole; ``join`` is a reduce-side join on that shuffle (both
    sides in one union, matched per partition), ``persist`` is ``materialize()``."""

    def __init__(self, partitions: int | None = None, broadcast_bytes: int = 32 * 2**20) -> None:
        import ray
        import ray.data

        ctx = ray.data.DataContext.get_current()
        kind = getattr(ctx.shuffle_strategy, "name", str(ctx.shuffle_strategy))
        if kind not in ("HASH_SHUFFLE", "SHUFFLE_V2"):
            raise ValueError(
                f"neardup.ray needs Ray Data's hash shuffle (DataContext.shuffle_strategy is {kind}): "
                f"set ray.data.DataContext.get_current().shuffle_strategy = ray.data.ShuffleStrategy.HASH_SHUFFLE"
            )
        if partitions is None:
            partitions = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
        if partitions < 1:
            raise ValueError(f"partitions must be at least 1, got {partitions}")
        self.partitions = partitions
        #: Joins with a materialised side of at most this many bytes broadcast it instead of
        #: shuffling both sides (Spark's autoBroadcastJoinThreshold is 10 MB).
        self.broadcast_bytes = broadcast_bytes

    def map(self, frame: Frame, fn: Callable[[pa.RecordBatch], Any], schema: pa.Schema) -> Frame:
        return Frame(frame.ds.map_batches(_batch_fn(fn, schema), batch_format="pyarrow", zero_copy_batch=True), schema)

    def map_groups(self, frame: Frame, keys: Sequence[str], fn: Callable[[pa.Table], Any], schema: pa.Schema) -> Frame:
        ds = frame.ds.repartition(self.partitions, keys=list(keys))
        return Frame(ds.map_batches(_group_fn(fn, schema), batch_size=None, batch_format="pyarrow", zero_copy_batch=True), schema)

    def union(self, frames: Sequence[Frame]) -> Frame:
        first = frames[0]
        return Frame(first.ds.union(*(f.ds for f in frames[1:])) if len(frames) > 1 else first.ds, first.schema)

    def distinct(self, frame: Frame) -> Frame:
        return self.map_groups(frame, frame.schema.names, _distinct, frame.schema)

    def join(self, left: Frame, right: Frame, on: Sequence[str], *, small_right: bool = False) -> Frame:
        on = list(on)
        if small_right:
            # Materialised, so that it is broadcast when it is within `broadcast_bytes`.
            right = self.persist(right)
        lcols = [n for n in left.schema.names if n not in on]
        rcols = [n for n in right.schema.names if n not in on]
        clash = set(lcols) & set(rcols)
        if clash:
            raise ValueError(f"join: both sides have the columns {sorted(clash)}")
        out = pa.schema([left.schema.field(k) for k in on] + [left.schema.field(n) for n in lcols] + [right.schema.field(n) for n in rcols])
        for small, big in ((left, right), (right, left)):
            if self._small(small):
                # Broadcast: the small side (already materialised) goes to every task of the
                # big one, which is joined where it lies, without a shuffle.
                table = self.collect(small, small.schema)
                fn = _group_fn(lambda t: _broadcast_join(t, table, on=on, out=out), out)
                return Frame(big.ds.map_batches(fn, batch_format="pyarrow"), out)
        lschema = pa.schema([pa.field("l." + n, left.schema.field(n).type) for n in lcols])
        rschema = pa.schema([pa.field("r." + n, right.schema.field(n).type) for n in rcols])
        union = pa.schema([left.schema.field(k) for k in on] + [pa.field(_SIDE, pa.int8())] + list(lschema) + list(rschema))
        a = left.ds.map_batches(
            lambda t: _conform(_join_inputs(t, on=on, mine=lcols, other=rschema, side=0, prefix="l."), union),
            batch_format="pyarrow",
        )
        b = right.ds.map_batches(
            lambda t: _conform(_join_inputs(t, on=on, mine=rcols, other=lschema, side=1, prefix="r."), union),
            batch_format="pyarrow",
        )
        fn = _group_fn(lambda t: _join_reduce(t, on=on, left=lcols, right=rcols), out)
        ds = a.union(b).repartition(self.partitions, keys=on).map_batches(fn, batch_size=None, batch_format="pyarrow")
        return Frame(ds, out)

    def _small(self, frame: Frame) -> bool:
        """A materialised frame of at most :attr:`broadcast_bytes` bytes."""
        from ray.data.dataset import MaterializedDataset

        ds = frame.ds
        if not isinstance(ds, MaterializedDataset):
            return False
        size = ds.size_bytes()
        return size is not None and size <= self.broadcast_bytes

    def persist(self, frame: Frame) -> Frame:
        return Frame(frame.ds.materialize(), frame.schema)

    def release(self, frame: Frame) -> None:
        # A materialised dataset's blocks are freed when its last reference goes.
        pass

    def count(self, frame: Frame) -> int:
        return int(frame.ds.count())

    def collect(self, frame: Frame, schema: pa.Schema) -> pa.Table:
        import ray

        tables = [t for t in ray.get(frame.ds.to_arrow_refs()) if t.num_rows]
        if not tables:
            return schema.empty_table()
        return _conform(pa.concat_tables([_conform(t, schema) for t in tables]), schema)

    def from_arrow(self, table: pa.Table) -> Frame:
        import ray.data

        return Frame(ray.data.from_arrow(table), table.schema)

    def same_rows(self, a: Frame, b: Frame) -> bool:
        # Both hold distinct rows: equal sets iff equal sizes and the union has no more.
        n = self.count(a)
        return n == self.count(b) and n == self.count(self.distinct(self.union([a, b])))

    def rank(self, frame: Frame, keys: Sequence[str], name: str) -> Frame:
        # Distinct rows, globally sorted (Ray's range-partitioned sort; blocks in key order,
        # strings compared by UTF-8 bytes as pyarrow compares them); each block's ranks start
        # after the rows of the blocks before it.
        import ray
        import ray.data

        ordered = self.distinct(frame).ds.sort(list(keys)).materialize()
        refs = ordered.to_arrow_refs()
        sizes = ray.get([_num_rows.remote(r) for r in refs])
        starts = np.concatenate([[1], 1 + np.cumsum(sizes)[:-1]]) if sizes else []
        ranked = [_ranked.remote(r, name, int(s)) for r, s in zip(refs, starts)]
        out = pa.schema(list(frame.schema) + [pa.field(name, pa.int64())])
        if not ranked:
            return self.from_arrow(out.empty_table())
        return Frame(ray.data.from_arrow_refs(ranked), out)

    def write_parquet(self, frame: Frame, path: str) -> None:
        frame.ds.write_parquet(path)


def _remote(fn: Callable[..., Any]) -> Any:
    """``ray.remote(fn)``, made on first use (importing this module must not need Ray running)."""

    class Lazy:
        def __init__(self) -> None:
            self._f: Any = None

        def remote(self, *args: Any) -> Any:
            if self._f is None:
                import ray

                self._f = ray.remote(fn)
            return self._f.remote(*args)

    return Lazy()


_num_rows = _remote(lambda t: t.num_rows)
_ranked = _remote(lambda t, name, start: _rank_block(t, name=name, start=start))


# ---------------------------------------------------------------------------------------
# Documents


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


_DOCS = _scaleout.DOCS
_CHECK = pa.schema([("doc", pa.string()), ("nulls", pa.int64()), ("null_ids", pa.int64())])


def _docs_fn(text: str, id: str, source: str | None, order: str | None) -> Callable[[pa.Table], pa.Table]:
    """User rows → ``doc`` (the name, or the :func:`~neardup._scaleout.order_key` of
    ``order``), ``name`` (the id as a string, or ``SOURCE#ID``), ``text``; null texts dropped."""

    def fn(t: pa.Table) -> pa.Table:
        t = t.filter(pc.is_valid(t.column(text)))
        name = pc.cast(t.column(id), pa.string())
        if source is not None:
            name = pc.binary_join_element_wise(pa.scalar(source), name, "#")
        doc = _scaleout.order_key(t.column(order)) if order is not None else name
        return pa.table({"doc": doc, "name": name, "text": pc.cast(t.column(text), pa.string())}, schema=_DOCS)

    return fn


def _check_fn(text: str, id: str) -> Callable[[pa.Table], pa.Table]:
    """User rows → one row per present document key (for the duplicate check) and one row
    with the block's counts of null texts and null ids (``doc`` null)."""

    def fn(t: pa.Table) -> pa.Table:
        present = t.filter(pc.is_valid(t.column(text)))
        key = pc.cast(present.column(id), pa.string())
        nulls = t.num_rows - present.num_rows
        keys = pa.table({"doc": key, "nulls": pa.nulls(len(key), pa.int64()), "null_ids": pa.nulls(len(key), pa.int64())}, schema=_CHECK)
        counts = pa.table({"doc": pa.nulls(1, pa.string()), "nulls": [nulls], "null_ids": [key.null_count]}, schema=_CHECK)
        return pa.concat_tables([keys.filter(pc.is_valid(key)), counts])

    return fn


def _first_duplicate(t: pa.Table) -> pa.Table:
    """Check rows of whole keys → the smallest key occurring twice (at most one row), and the
    partition's null counts."""
    named = t.filter(pc.is_valid(t.column("doc")))
    counts = named.group_by("doc", use_threads=False).aggregate([("doc", "count")])
    dup = counts.filter(pc.greater(counts.column("doc_count"), 1)).column("doc")
    rows = t.filter(pc.is_null(t.column("doc")))
    nulls = int(pc.sum(rows.column("nulls")).as_py() or 0)
    null_ids = int(pc.sum(rows.column("null_ids")).as_py() or 0)
    first = pc.min(dup).as_py() if len(dup) else None
    return pa.table({"doc": [first], "nulls": [nulls], "null_ids": [null_ids]}, schema=_CHECK)


def documents(
    ds: Any,
    text: str = "text",
    id: str | None = "id",
    *,
    source: str | None = None,
    order: str | None = None,
    engine: RayEngine | None = None,
) -> tuple[Frame, list[tuple[str, str, bool]]]:
    """The ``(doc, name, text)`` frame of ``ds`` and the skips: checks that ``text`` is a
    string column and ``id`` a column with unique, non-null values (one shuffle of the keys);
    rows with a null text are dropped and counted in one skip (as ``neardup scan`` counts them
    in a Parquet file). With ``source`` (a file name), documents are named ``SOURCE#ID`` as
    ``neardup scan`` names the records of that file; without, by the id alone. Documents are
    in name order, or with ``order`` (a column of unique non-negative integers, such as each
    record's position in its file) in that order, as ``neardup scan FILE`` keeps a file's
    records."""
    schema = ds.schema()
    names = list(schema.names) if schema is not None else []
    types = dict(zip(names, schema.types)) if schema is not None else {}
    if text not in types:
        raise ValueError(f"the Dataset has no text column {text!r} (its columns: {', '.join(names)}); pass text=NAME")
    if not _is_string(types[text]):
        raise TypeError(f"the text column {text!r} is {types[text]}, not a string")
    if id is None or id not in types:
        raise ValueError(
            f"the Dataset has no id column {id!r} (its columns: {', '.join(names)}): documents need a unique, "
            f"stable key (pass id=NAME; block positions change with the partitioning)"
        )
    engine = engine or RayEngine()
    # Only the two columns travel (a projection the reader can push down).
    rows = ds.select_columns(list(dict.fromkeys([text, id] + ([order] if order is not None else []))))
    checks = engine.map_groups(
        Frame(rows.map_batches(_check_fn(text, id), batch_format="pyarrow"), _CHECK), ["doc"], _first_duplicate, _CHECK
    )
    found = engine.collect(checks, _CHECK)
    if int(pc.sum(found.column("null_ids")).as_py() or 0):
        raise ValueError(f"the id column {id!r} is null in some rows: every document needs a key")
    dups = found.column("doc").drop_null()
    if len(dups):
        raise ValueError(
            f"id {pc.min(dups).as_py()!r} occurs more than once in column {id!r}: reports would be ambiguous "
            f"(choose a unique id column)"
        )
    nulls = int(pc.sum(found.column("nulls")).as_py() or 0)
    docs = Frame(rows.map_batches(_docs_fn(text, id, source, order), batch_format="pyarrow"), _DOCS)
    skipped = []
    if nulls:
        skipped.append(_scaleout.null_texts_skip(source if source is not None else "Dataset", nulls, text))
    return docs, skipped


def scan(
    ds: Any,
    text: str = "text",
    id: str | None = "id",
    *,
    source: str | None = None,
    band_group: int = DEFAULT_BAND_GROUP,
    driver_edges: int = DEFAULT_DRIVER_EDGES,
    partitions: int | None = None,
    skipped: Sequence[tuple[str, str, bool]] = (),
    order: str | None = None,
    **options: Any,
) -> Result:
    """Scan a ``ray.data.Dataset`` of documents: the clusters of ``neardup scan`` over the
    same documents. ``options``: the matching options of :func:`neardup.scan` (``threshold``,
    ``num_perm``, ``bands``, ``rows``, ``shingle``, ``split``, ``min_words``, ``verify``,
    ``seed``, ``hash``) and ``boilerplate_min_docs``. ``band_group``: bands shuffled at once;
    ``driver_edges``: the largest link graph whose components are computed on the driver
    (else large-star/small-star on Ray); ``partitions``: hash partitions per shuffle (default
    twice the cluster's CPUs); ``skipped``: skips of reading the input, reported first;
    ``order``: a column giving the documents' order (default: by name). See :func:`documents`
    for the checks on ``ds``."""
    opts = _scaleout.options(options)
    engine = RayEngine(partitions)
    docs, nulls = documents(ds, text, id, source=source, order=order, engine=engine)
    return _scaleout.scan(engine, docs, opts, skipped=[*skipped, *nulls], band_group=band_group, driver_edges=driver_edges)
