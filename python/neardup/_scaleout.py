"""The engine-neutral half of neardup's scale-out drivers (:mod:`neardup.spark`, ``neardup.ray``).

Input: an engine (an object with the methods of :class:`Engine`, over the engine's own
distributed tables, "frames") and a frame of documents ``doc, name, text`` (all strings: the
document key, which orders documents; the name reports show — the user's id or the file's
name as ``neardup scan`` gives it; the text; null texts removed and counted by the driver).
The key is the name itself (documents in name order) or, where the documents have an order
of their own (the records of a file, which ``neardup scan`` keeps in file order), that
order's :func:`order_key`. Output: a :class:`Result`.

The pipeline is the scan's, stage by stage, every decision one of the library's kernels
(:mod:`neardup.arrow`), the engine only moving rows between them::

    docs ─map: paragraphs+sketch─▶ S (persisted: key, line, span, text, hash, band keys)
      ─shuffle by (hash_hi, hash_lo): units─▶ U (unit per compared paragraph)
    S's band keys ⋈ U's representatives (broadcast while few: band keys do not move)
      ─for each group of bands: map: band rows ─shuffle by (band, band_key): candidates─▶
      ─distinct─▶ C ─join texts of both ends─▶ map: verify ─▶ V (verified links)
      identical links (U) + V ─components (driver union-find, or large-star/small-star)─▶ L
      L ⋈ S ⋈ U, V ─▶ Result: report() on the driver (the scan's own report builder,
      ``_core.assemble_report``), or members/links/clusters frames (the same builder per
      group of whole clusters) written as Parquet.

Invariants: rows are keyed by ``(doc, paragraph)`` — never an engine id, a batch position or a
hash of content — and keys order as the scan orders paragraphs (document key by UTF-8 bytes,
then ordinal), so the report equals ``neardup scan``'s byte for byte for any partitioning.
Names appear only where a result is shown (the report's documents, the result tables).
Every group a kernel needs whole (a hash group, a bucket, a neighbourhood, a cluster) is
brought together by the engine's shuffle (:meth:`Engine.map_groups`). Kernels run on the
task's thread (one native thread per task: no oversubscription of the executor's cores).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from . import arrow as nda
from ._api import _DEFAULTS
from ._errors import NeardupError
from ._report import Report

#: Matching options a distributed scan takes (those of ``neardup scan`` that decide matches),
#: plus ``boilerplate_min_docs`` (a labelling choice).
MATCHING = (
    "threshold", "num_perm", "bands", "rows", "shingle", "split", "min_words", "verify", "seed", "hash"
)

#: Default number of LSH bands shuffled at once (``band_group``): each group is one shuffle
#: of (band, band_key, key) rows, so a group bounds the shuffle's size and the buckets held
#: at once; all bands in one group is one shuffle of ``bands`` rows per distinct text.
DEFAULT_BAND_GROUP = 16

#: Default limit of edges (identical + verified links) for union-find on the driver; above it
#: components run distributed (large-star/small-star). 20 million edges of two keys each take
#: a few GB on the driver.
DEFAULT_DRIVER_EDGES = 20_000_000

#: Default limit of clustered paragraphs for :meth:`Result.report` (their texts are collected).
DEFAULT_REPORT_MEMBERS = 2_000_000

#: Largest number of rows of keys (candidate pairs, cluster labels) a join copies to every
#: task instead of shuffling the other side (the sketches, with every paragraph's text):
#: 2 million rows of two short keys are some tens of MB per task.
BROADCAST_ROWS = 2_000_000

_KEY = [("doc", pa.string()), ("paragraph", pa.int32())]


def _keys(prefix: str) -> list[tuple[str, pa.DataType]]:
    return [(prefix + name, t) for name, t in _KEY]


SKETCHES = pa.schema(
    _KEY
    + [
        ("line", pa.int32()),
        ("byte_start", pa.int64()),
        ("byte_end", pa.int64()),
        ("text", pa.string()),
        ("compared", pa.bool_()),
        ("hash_hi", pa.int64()),
        ("hash_lo", pa.int64()),
        ("band_keys", pa.list_(pa.int64())),
    ]
)
"""S: one row per paragraph (``band_keys`` null when not compared)."""

UNIT_INPUT = pa.schema([("hash_hi", pa.int64()), ("hash_lo", pa.int64())] + _KEY)
UNITS = pa.schema(_KEY + _keys("unit_"))
"""U: one row per compared paragraph, its unit."""
KEYS = pa.schema(_KEY)
BAND_KEYS = pa.schema(_KEY + [("band_keys", pa.list_(pa.int64()))])

BAND_ROWS = pa.schema([("band", pa.int32()), ("band_key", pa.int64())] + _KEY)
PAIRS = pa.schema(_keys("a_") + _keys("b_"))
COUNTED_PAIRS = pa.schema(_keys("a_") + _keys("b_") + [("capped", pa.int32())])
TEXTS = pa.schema(_KEY + [("text", pa.string())])
PAIR_TEXTS = pa.schema(_keys("a_") + _keys("b_") + [("a_text", pa.string()), ("b_text", pa.string())])
LINKS = pa.schema(_keys("a_") + _keys("b_") + [("similarity", pa.float64()), ("method", pa.string())])
EDGES = PAIRS
LABELS = pa.schema(_KEY + _keys("component_"))
DOCS = pa.schema([("doc", pa.string()), ("name", pa.string()), ("text", pa.string())])
"""The documents a scan takes: key (orders documents), name (reports show it), text."""
NAMES = pa.schema([("doc", pa.string()), ("name", pa.string())])
DOC_STATS = pa.schema([("doc", pa.string()), ("name", pa.string()), ("paragraphs", pa.int64()), ("paragraph_bytes", pa.int64())])
CLUSTER_ROWS = pa.schema(
    _keys("component_")
    + [
        ("row", pa.string()),  # "member" or "link"
        ("doc", pa.string()),
        ("name", pa.string()),  # the document's name (tables only; null in a report's rows)
        ("paragraph", pa.int32()),
        ("line", pa.int32()),
        ("byte_start", pa.int64()),
        ("byte_end", pa.int64()),
        ("text", pa.string()),
        ("unit_doc", pa.string()),
        ("unit_paragraph", pa.int32()),
        ("b_doc", pa.string()),
        ("b_paragraph", pa.int32()),
        ("similarity", pa.float64()),
        ("method", pa.string()),
    ]
)
"""Everything one cluster's report needs, one row per member and per verified link, keyed by
the component label (rows of kind ``link`` hold ``doc``/``paragraph`` = a, ``b_*`` = b)."""

MEMBERS = pa.schema(
    [
        ("cluster", pa.int64()),
        ("kind", pa.string()),
        ("scope", pa.string()),
        ("boilerplate", pa.bool_()),
        ("doc", pa.string()),
        ("paragraph", pa.int32()),
        ("line", pa.int32()),
        ("byte_start", pa.int64()),
        ("byte_end", pa.int64()),
        ("similarity", pa.float64()),
        ("representative", pa.bool_()),
        ("text", pa.string()),
    ]
)
"""``Result.members``: the members of ``neardup scan --format csv`` keyed by document key, with
the representative flagged (the first member, similarity 1)."""

RESULT_LINKS = pa.schema(
    [("cluster", pa.int64())] + _keys("a_") + _keys("b_") + [("similarity", pa.float64()), ("method", pa.string())]
)
"""``Result.links``: every link of every cluster (``identical``, ``estimate``, ``exact``)."""

CLUSTERS = pa.schema(
    [
        ("cluster", pa.int64()),
        ("kind", pa.string()),
        ("scope", pa.string()),
        ("boilerplate", pa.bool_()),
        ("members", pa.int64()),
        ("documents", pa.int64()),
        ("representative_doc", pa.string()),
        ("representative_paragraph", pa.int32()),
        ("text", pa.string()),
    ]
)
"""``Result.clusters``: one row per cluster."""


class Engine(Protocol):
    """What a driver provides: the engine's distributed tables ("frames") and a few
    operations on them. Functions handed to the engine take and return pyarrow record batches
    or tables and are pure (they may run on any worker, any number of times)."""

    def map(self, frame: Any, fn: Callable[[pa.RecordBatch], pa.Table | pa.RecordBatch], schema: pa.Schema) -> Any:
        """``fn`` over every batch, any partitioning; the result has ``schema``."""

    def map_groups(
        self,
        frame: Any,
        keys: Sequence[str],
        fn: Callable[[pa.Table], pa.Table | pa.RecordBatch],
        schema: pa.Schema,
    ) -> Any:
        """Shuffle so that rows with equal ``keys`` share a partition, then ``fn`` once per
        partition over all of its rows (never a partition split across calls)."""

    def union(self, frames: Sequence[Any]) -> Any:
        """The rows of all frames (same schema)."""

    def distinct(self, frame: Any) -> Any:
        """The distinct rows."""

    def join(self, left: Any, right: Any, on: Sequence[str], *, small_right: bool = False) -> Any:
        """Inner equi-join on the columns ``on`` (same names on both sides). ``small_right``:
        ``right`` fits every task, so it may be copied to them (a broadcast join: ``left`` is
        joined where it lies, never shuffled); a hint an engine may ignore."""

    def persist(self, frame: Any) -> Any:
        """Keep a frame that is read more than once (computed once, on first use)."""

    def checkpoint(self, frame: Any) -> Any:
        """Optional: materialise a frame now and cut its lineage (the connected-components
        loop calls it once per round; without it, :meth:`persist` is used)."""

    def release(self, frame: Any) -> None:
        """Drop a persisted frame."""

    def count(self, frame: Any) -> int:
        """Number of rows."""

    def collect(self, frame: Any, schema: pa.Schema) -> pa.Table:
        """All rows on the driver, as a table of ``schema``."""

    def from_arrow(self, table: pa.Table) -> Any:
        """A frame of a driver-side table."""

    def same_rows(self, a: Any, b: Any) -> bool:
        """Whether two frames of distinct rows hold the same set of rows."""

    def rank(self, frame: Any, keys: Sequence[str], name: str) -> Any:
        """The frame of distinct rows with an int64 column ``name``: 1 + the number of rows
        with smaller ``keys`` (strings by UTF-8 bytes)."""


# ---------------------------------------------------------------------------------------
# Document keys and the commands' errors


#: Letters marking the number of digits of an order key ("b" one digit … "t" nineteen).
_DIGIT_COUNT = pa.array([chr(ord("a") + n) for n in range(21)], pa.string())

#: :func:`order_key` as a Spark SQL expression of the column ``{col}``.
ORDER_KEY_SQL = "concat(chr(97 + length(cast(`{col}` as string))), cast(`{col}` as string))"


def order_key(order: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Document keys for documents with an order of their own (non-negative int64, e.g. a
    record's position in its file): the decimal digits after a letter for their count
    (``7`` → ``"b7"``, ``10`` → ``"c10"``), so UTF-8 byte order is the numbers' order — what
    the kernels sort keys by — and a key is short (up to 10⁷ records it fits Spark's 8 bytes
    of inline string). :data:`ORDER_KEY_SQL` is the same function in Spark SQL."""
    digits = pc.cast(order, pa.string())
    return pc.binary_join_element_wise(_DIGIT_COUNT.take(pc.utf8_length(digits)), digits, "")


#: What a command reports as an error (a message naming the file or problem, exit status 2)
#: rather than a traceback.
COMMAND_ERRORS: tuple[type[BaseException], ...] = (NeardupError, ValueError, TypeError, OSError)


def null_texts_skip(where: str, nulls: int, text: str) -> tuple[str, str, bool]:
    """The skip row ``neardup scan`` reports for ``nulls`` rows of ``where`` whose ``text`` is
    null (its reason quotes the column name as the Rust reader does)."""
    return (where, f"{nulls} rows with a null {json.dumps(text, ensure_ascii=False)} skipped", False)


def check_input(path: str) -> None:
    """A command's INPUT, before an engine starts: a local path must exist (a URI is the
    engine's to read)."""
    import os

    if "://" not in path and not os.path.exists(path):
        raise FileNotFoundError(f"{path}: cannot access: no such file or directory")


def command_error(prog: str, error: BaseException) -> int:
    """The tail of every distributed command on bad input, as ``neardup``'s own: ``PROG:
    error: MESSAGE`` on stderr, exit status 2 (returned)."""
    print(f"{prog}: error: {error}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------------------
# Options


def options(given: dict[str, Any]) -> dict[str, Any]:
    """The matching options (and ``boilerplate_min_docs``) of a distributed scan, checked:
    unknown names are a ``TypeError``; ``passages`` is not supported here."""
    allowed = set(MATCHING) | {"boilerplate_min_docs"}
    unknown = set(given) - allowed
    if unknown:
        raise TypeError(
            f"unexpected options: {', '.join(sorted(unknown))} (a distributed scan takes "
            f"{', '.join(sorted(allowed))})"
        )
    nda.Kernels(**{k: v for k, v in given.items() if k in MATCHING})  # validates, as the scan does
    return dict(given)


def add_matching_arguments(parser: Any) -> None:
    """The matching options of ``neardup scan``, with its defaults, on an ``argparse`` parser:
    one list for every distributed command (``python -m neardup.spark``, ``neardup.ray``)."""
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--bands", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--shingle", type=int, default=3)
    parser.add_argument("--split", default="lines", choices=["lines", "blank", "document"])
    parser.add_argument("--min-words", type=int, default=1)
    parser.add_argument("--verify", default="auto", choices=["auto", "estimate", "exact"])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--hash", help="MinHash permutation family: xor-multiply or multiply-shift")
    parser.add_argument("--boilerplate-min-docs", type=int, default=10)


def matching_arguments(args: Any) -> dict[str, Any]:
    """The options :func:`add_matching_arguments` parsed, as keywords of a distributed scan
    (``seed`` and ``hash`` only when given, so the scan's defaults apply)."""
    names = ("threshold", "num_perm", "bands", "rows", "shingle", "split", "min_words", "verify")
    opts = {name: getattr(args, name) for name in names}
    opts["boilerplate_min_docs"] = args.boilerplate_min_docs
    if args.seed is not None:
        opts["seed"] = args.seed
    if args.hash is not None:
        opts["hash"] = args.hash
    return opts


def _matching(opts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in opts.items() if k in MATCHING}


def _native(opts: dict[str, Any]) -> dict[str, Any]:
    full = dict(_DEFAULTS)
    full.update(opts)
    full["include"], full["exclude"] = list(full["include"]), list(full["exclude"])
    return full


def bands_of(opts: dict[str, Any]) -> int:
    """The number of LSH bands these options resolve to (as the scan resolves them)."""
    return int(nda.Kernels(**_matching(opts)).params["bands"])


# ---------------------------------------------------------------------------------------
# Batch functions (pure; run in tasks). Each builds its kernels once per worker thread.


def _table(obj: Any) -> pa.Table:
    return obj if isinstance(obj, pa.Table) else pa.Table.from_batches([obj])


def _cast(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table``'s columns named by ``schema``, in its order and types (kernel outputs carry
    metadata and non-null flags that engines do not need)."""
    return pa.table([table.column(f.name).cast(f.type) for f in schema], schema=schema)


def sketch_fn(opts: dict[str, Any]) -> Callable[[pa.RecordBatch], pa.Table]:
    """Documents → S: paragraphs, their exact hash and band keys (of every compared one)."""
    m = _matching(opts)

    def fn(docs: pa.RecordBatch) -> pa.Table:
        k = nda._cached(m)
        paras = k.paragraphs(docs.select(["doc", "text"]))
        sk = k.sketch(paras)
        bands = k.band_rows(sk)  # compared rows only, in input order, `bands` rows each
        compared = sk.column("compared")
        n_bands = bands_of(m)
        counts = pc.multiply(pc.cast(compared, pa.int32()), n_bands)
        offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(counts).cast(pa.int32())])
        keys = pa.ListArray.from_arrays(offsets, bands.column("band_key"), mask=pc.invert(compared))
        cols = [paras.column(f.name) for f in SKETCHES if f.name in paras.schema.names]
        cols += [compared, sk.column("hash_hi"), sk.column("hash_lo"), keys]
        return _cast(pa.table(cols, names=SKETCHES.names), SKETCHES)

    return fn


def doc_stats_fn(opts: dict[str, Any]) -> Callable[[pa.RecordBatch], pa.Table]:
    """Documents → one row each: key, name, paragraph count and bytes (the report's documents)."""
    m = _matching(opts)

    def fn(docs: pa.RecordBatch) -> pa.Table:
        paras = nda._cached(m).paragraphs(docs.select(["doc", "text"]))
        t = pa.table({"doc": paras.column("doc"), "bytes": pc.subtract(paras.column("byte_end"), paras.column("byte_start"))})
        agg = t.group_by("doc").aggregate([("bytes", "count"), ("bytes", "sum")])
        all_docs = pa.table({"doc": docs.column("doc").cast(pa.string()), "name": docs.column("name").cast(pa.string())})
        joined = all_docs.join(agg, "doc", join_type="left outer")
        return pa.table(
            {
                "doc": joined.column("doc"),
                "name": joined.column("name"),
                "paragraphs": pc.fill_null(joined.column("bytes_count"), 0).cast(pa.int64()),
                "paragraph_bytes": pc.fill_null(joined.column("bytes_sum"), 0).cast(pa.int64()),
            },
            schema=DOC_STATS,
        )

    return fn


def counts_fn(batch: pa.RecordBatch) -> pa.Table:
    """S → one row of partial counts (paragraphs, compared)."""
    return pa.table(
        {"paragraphs": [batch.num_rows], "compared": [pc.sum(pc.cast(batch.column("compared"), pa.int64())).as_py() or 0]},
        schema=pa.schema([("paragraphs", pa.int64()), ("compared", pa.int64())]),
    )


def unit_input_fn(batch: pa.RecordBatch) -> pa.Table:
    """S → the compared rows, with what the units shuffle carries."""
    t = _table(batch).filter(batch.column("compared"))
    return _cast(t, UNIT_INPUT)


def units_fn(opts: dict[str, Any]) -> Callable[[pa.Table], pa.Table]:
    """Whole hash groups → U (the scan's units, :meth:`neardup.arrow.Kernels.units`)."""
    m = _matching(opts)

    def fn(rows: pa.Table) -> pa.Table:
        rows = rows.sort_by([("doc", "ascending"), ("paragraph", "ascending")])
        sk = pa.table(
            {
                "doc": rows.column("doc"),
                "paragraph": rows.column("paragraph"),
                "compared": pa.array([True] * rows.num_rows, pa.bool_()),
                "hash_hi": rows.column("hash_hi"),
                "hash_lo": rows.column("hash_lo"),
            }
        )
        return _cast(_table(nda._cached(m).units(sk)), UNITS)

    return fn


def representatives(batch: pa.RecordBatch) -> pa.Table:
    """U → the keys of the units' representatives (the rows that are their own unit), which
    alone go on to LSH."""
    t = _table(batch)
    rep = pc.and_(
        pc.equal(t.column("doc"), t.column("unit_doc")),
        pc.equal(t.column("paragraph"), t.column("unit_paragraph")),
    )
    return _cast(t.filter(rep), KEYS)


def band_keys_fn(batch: pa.RecordBatch) -> pa.Table:
    """S → key and band keys of the compared paragraphs."""
    return _cast(_table(batch).filter(batch.column("compared")), BAND_KEYS)


def band_rows_fn(bands: range, n_bands: int) -> Callable[[pa.RecordBatch], pa.Table]:
    """Representatives with their band keys → band rows (``band``, ``band_key``, key), for
    the bands of one group."""

    def fn(batch: pa.RecordBatch) -> pa.Table:
        t = _table(batch)
        t = t.filter(pc.is_valid(t.column("band_keys")))
        n = t.num_rows
        if n == 0:
            return BAND_ROWS.empty_table()
        flat = pc.list_flatten(t.column("band_keys"))
        band = pa.array(list(range(n_bands)) * n, pa.int32())
        idx = pc.indices_nonzero(pc.and_(pc.greater_equal(band, bands.start), pc.less(band, bands.stop)))
        row = pc.divide(idx, n_bands).cast(pa.int64())
        return pa.table(
            [
                band.take(idx),
                flat.take(idx) if isinstance(flat, pa.Array) else flat.combine_chunks().take(idx),
                t.column("doc").take(row),
                t.column("paragraph").take(row),
            ],
            schema=BAND_ROWS,
        )

    return fn


def candidates_fn(opts: dict[str, Any]) -> Callable[[pa.Table], pa.Table]:
    """Whole buckets → candidate pairs (the scan's bucket rule) with ``capped``: the number of
    capped buckets of the partition on its first row, 0 on the others (summed: the report's
    ``capped_buckets``)."""
    m = _matching(opts)

    def fn(rows: pa.Table) -> pa.Table:
        k = nda._cached(m)
        pairs, capped = k._native.candidates_counted(nda._batch(rows, "bucket_rows"))
        pairs = _cast(_table(pa.record_batch(nda._Exported(pairs))), PAIRS)
        col = [0] * pairs.num_rows
        if col:
            col[0] = capped
        return pairs.append_column("capped", pa.array(col, pa.int32()))

    return fn


def drop_capped(batch: pa.RecordBatch) -> pa.Table:
    return _cast(_table(batch), PAIRS)


def capped_sum(batch: pa.RecordBatch) -> pa.Table:
    return pa.table({"capped": [pc.sum(batch.column("capped").cast(pa.int64())).as_py() or 0]})


def texts_fn(batch: pa.RecordBatch) -> pa.Table:
    """S → (key, text) of compared paragraphs: what verification joins."""
    t = _table(batch).filter(batch.column("compared"))
    return _cast(t, TEXTS)


def prefixed(prefix: str, schema: pa.Schema) -> tuple[Callable[[pa.RecordBatch], pa.Table], pa.Schema]:
    """A batch function renaming every column to ``prefix + name``, and its output schema."""
    out = pa.schema([pa.field(prefix + f.name, f.type) for f in schema])

    def fn(batch: pa.RecordBatch) -> pa.Table:
        return _table(batch).rename_columns(out.names)

    return fn, out


def verify_fn(opts: dict[str, Any]) -> Callable[[pa.RecordBatch], pa.Table]:
    """Pairs with both texts → verified links, :meth:`neardup.arrow.Kernels.verify` (each
    side's signature re-derived from its text by the one sketch path, so only texts travel)."""
    m = _matching(opts)

    def fn(batch: pa.RecordBatch) -> pa.Table:
        t = _table(batch)
        if t.num_rows == 0:
            return LINKS.empty_table()
        k = nda._cached(m)
        sig = {}
        for side in ("a_", "b_"):
            paras = pa.table({"doc": t.column(side + "doc"), "paragraph": t.column(side + "paragraph"), "text": t.column(side + "text")})
            sig[side] = k.sketch(paras).column("signature")
        pairs = t.append_column("a_signature", sig["a_"]).append_column("b_signature", sig["b_"])
        return _cast(_table(k.verify(pairs)), LINKS)

    return fn


def identical_edges(batch: pa.RecordBatch) -> pa.Table:
    """U → identical links: (unit representative, paragraph) for every non-representative."""
    t = _table(batch)
    t = t.filter(pc.invert(pc.and_(pc.equal(t.column("doc"), t.column("unit_doc")), pc.equal(t.column("paragraph"), t.column("unit_paragraph")))))
    return pa.table([t.column("unit_doc"), t.column("unit_paragraph"), t.column("doc"), t.column("paragraph")], schema=EDGES)


def link_edges(batch: pa.RecordBatch) -> pa.Table:
    return _cast(_table(batch), EDGES)


# ---------------------------------------------------------------------------------------
# Connected components


def _orient(batch: pa.RecordBatch) -> pa.Table:
    """Edges → oriented larger key → smaller (``a_`` > ``b_``), self-loops dropped."""
    t = _table(batch)
    a_gt = pc.or_(
        pc.greater(t.column("a_doc"), t.column("b_doc")),
        pc.and_(pc.equal(t.column("a_doc"), t.column("b_doc")), pc.greater(t.column("a_paragraph"), t.column("b_paragraph"))),
    )
    b_gt = pc.or_(
        pc.less(t.column("a_doc"), t.column("b_doc")),
        pc.and_(pc.equal(t.column("a_doc"), t.column("b_doc")), pc.less(t.column("a_paragraph"), t.column("b_paragraph"))),
    )
    hi = pa.table([t.column(c) for c in ("a_doc", "a_paragraph", "b_doc", "b_paragraph")], schema=EDGES).filter(a_gt)
    lo = pa.table([t.column(c) for c in ("b_doc", "b_paragraph", "a_doc", "a_paragraph")], schema=EDGES).filter(b_gt)
    return pa.concat_tables([hi, lo])


def _both_directions(batch: pa.RecordBatch) -> pa.Table:
    t = _cast(_table(batch), EDGES)
    swapped = pa.table([t.column(c) for c in ("b_doc", "b_paragraph", "a_doc", "a_paragraph")], schema=EDGES)
    return pa.concat_tables([t, swapped])


def _large_star(rows: pa.Table) -> pa.Table:
    return _cast(_table(pa.record_batch(nda._Exported(_core.arrow_large_star(nda._batch(rows, "edges"))))), EDGES)


def _small_star(rows: pa.Table) -> pa.Table:
    return _cast(_table(pa.record_batch(nda._Exported(_core.arrow_small_star(nda._batch(rows, "edges"))))), EDGES)


def _star_labels(batch: pa.RecordBatch) -> pa.Table:
    """Converged (star) edges a → b: each a labelled b, and each b labelled itself."""
    t = _table(batch)
    return pa.concat_tables(
        [
            pa.table([t.column("a_doc"), t.column("a_paragraph"), t.column("b_doc"), t.column("b_paragraph")], schema=LABELS),
            pa.table([t.column("b_doc"), t.column("b_paragraph"), t.column("b_doc"), t.column("b_paragraph")], schema=LABELS),
        ]
    )


def components(engine: Engine, edges: Any, *, driver_edges: int = DEFAULT_DRIVER_EDGES, max_rounds: int = 200) -> tuple[Any, str]:
    """Connected components of ``edges`` (a frame of :data:`EDGES`): a frame of
    :data:`LABELS`, one row per key on an edge, labelled by the smallest key of its component,
    and how it was computed (``"driver"`` or ``"distributed"``).

    Up to ``driver_edges`` edges, union-find on the driver (:func:`neardup.arrow.components`).
    Above, large-star/small-star (Kiveris et al. 2014) on the engine: each round shuffles the
    edges by node twice and persists the result (cutting the lineage); it stops when a round
    leaves the edge set exactly unchanged — a set comparison, never a count of changes — which
    happens only when every component is a star around its smallest key."""
    n = engine.count(edges)
    if n <= driver_edges:
        table = engine.collect(edges, EDGES)
        labels = _cast(_table(nda.components(table)), LABELS) if n else LABELS.empty_table()
        return engine.from_arrow(labels), "driver"
    checkpoint = getattr(engine, "checkpoint", engine.persist)
    current = checkpoint(engine.distinct(engine.map(edges, _orient, EDGES)))
    for _ in range(max_rounds):
        both = engine.map(current, _both_directions, EDGES)
        large = engine.distinct(engine.map_groups(both, ["a_doc", "a_paragraph"], _large_star, EDGES))
        small = checkpoint(engine.distinct(engine.map_groups(large, ["a_doc", "a_paragraph"], _small_star, EDGES)))
        if engine.same_rows(small, current):
            engine.release(small)
            labels = engine.distinct(engine.map(current, _star_labels, LABELS))
            return labels, "distributed"
        engine.release(current)
        current = small
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds (a bug: please report it)")


# ---------------------------------------------------------------------------------------
# The scan


def _sum(engine: Engine, frame: Any, fn: Callable[[pa.RecordBatch], pa.Table], schema: pa.Schema) -> dict[str, int]:
    t = engine.collect(engine.map(frame, fn, schema), schema)
    return {name: int(pc.sum(t.column(name)).as_py() or 0) for name in schema.names}


def scan(
    engine: Engine,
    docs: Any,
    opts: dict[str, Any],
    *,
    skipped: Sequence[tuple[str, str, bool]] = (),
    band_group: int = DEFAULT_BAND_GROUP,
    driver_edges: int = DEFAULT_DRIVER_EDGES,
) -> Result:
    """The scan over a frame of :data:`DOCS` (no null text, unique ``doc`` and ``name``):
    every stage as the module docs say. ``skipped`` are the skips the driver counted (path,
    reason, error), reported as the scan reports them. ``band_group`` bands are shuffled at
    once (1 ≤ band_group; fewer shuffles with more, smaller shuffles with fewer)."""
    if band_group < 1:
        raise ValueError(f"band_group must be at least 1, got {band_group}")
    opts = options(opts)
    n_bands = bands_of(opts)
    s = engine.persist(engine.map(docs, sketch_fn(opts), SKETCHES))
    counts = _sum(engine, s, counts_fn, pa.schema([("paragraphs", pa.int64()), ("compared", pa.int64())]))
    u = engine.persist(engine.map_groups(engine.map(s, unit_input_fn, UNIT_INPUT), ["hash_hi", "hash_lo"], units_fn(opts), UNITS))
    # The band keys stay where the sketches are: the representatives' keys meet them there
    # (copied to every task while they are few), so the units shuffle carries keys and hashes
    # only and the band keys are shuffled once, by band.
    reps = engine.persist(engine.map(u, representatives, KEYS))
    few = engine.count(reps) <= BROADCAST_ROWS
    rep_keys = engine.join(engine.map(s, band_keys_fn, BAND_KEYS), reps, ["doc", "paragraph"], small_right=few)
    per_group = []
    for first in range(0, n_bands, band_group):
        bands = range(first, min(first + band_group, n_bands))
        rows = engine.map(rep_keys, band_rows_fn(bands, n_bands), BAND_ROWS)
        per_group.append(engine.map_groups(rows, ["band", "band_key"], candidates_fn(opts), COUNTED_PAIRS))
    counted = engine.persist(engine.union(per_group))
    capped = _sum(engine, counted, capped_sum, pa.schema([("capped", pa.int64())]))["capped"]
    # Frames a persisted frame was built from stay persisted while it is used: Spark drops a
    # cached frame's data when one it was built from is released (it re-plans it), so
    # releasing `counted` or `c` here would run the band shuffle again.
    c = engine.persist(engine.distinct(engine.map(counted, drop_capped, PAIRS)))
    candidate_pairs = engine.count(c)
    v = engine.persist(engine.map(_pair_texts(engine, s, c, candidate_pairs), verify_fn(opts), LINKS))
    edges = engine.union([engine.map(u, identical_edges, EDGES), engine.map(v, link_edges, EDGES)])
    labels, how = components(engine, edges, driver_edges=driver_edges)
    labels = engine.persist(labels)
    return Result(
        engine,
        opts,
        docs=docs,
        sketches=s,
        units=u,
        links=v,
        labels=labels,
        counts=(counts["paragraphs"], counts["compared"], candidate_pairs, capped),
        skipped=list(skipped),
        components_path=how,
    )


def _pair_texts(engine: Engine, s: Any, c: Any, pairs: int) -> Any:
    """Candidate pairs ``c`` with the texts of both ends (:data:`PAIR_TEXTS`). Few pairs
    (≤ :data:`BROADCAST_ROWS`): the pairs are copied to the tasks holding the sketches, which
    pick the texts of a ends and of b ends where they lie; only those texts move, to meet per
    pair. Many: the texts of every compared paragraph are shuffled to meet the pairs."""
    texts = engine.map(s, texts_fn, TEXTS)
    fa, sa = prefixed("a_", TEXTS)
    fb, sb = prefixed("b_", TEXTS)
    a_key, b_key = ["a_doc", "a_paragraph"], ["b_doc", "b_paragraph"]
    if pairs <= BROADCAST_ROWS:
        with_a = engine.join(engine.map(texts, fa, sa), c, a_key, small_right=True)
        with_b = engine.join(engine.map(texts, fb, sb), c, b_key, small_right=True)
        return engine.join(with_a, with_b, a_key + b_key)
    return engine.join(engine.join(c, engine.map(texts, fa, sa), a_key), engine.map(texts, fb, sb), b_key)


def _cluster_rows(kind: str, columns: dict[str, str]) -> Callable[[pa.RecordBatch], pa.Table]:
    """A batch function to :data:`CLUSTER_ROWS` of ``kind``: each output column from the
    input column ``columns`` names (the same name when not listed), null where absent."""

    def fn(batch: pa.RecordBatch) -> pa.Table:
        t = _table(batch)
        n = t.num_rows
        out = []
        for f in CLUSTER_ROWS:
            if f.name == "row":
                out.append(pa.array([kind] * n, pa.string()))
                continue
            name = columns.get(f.name, f.name)
            out.append(t.column(name).cast(f.type) if name in t.schema.names else pa.nulls(n, f.type))
        return pa.table(out, schema=CLUSTER_ROWS)

    return fn


#: (labels ⋈ S ⋈ U) → cluster rows of kind ``member``.
_member_rows = _cluster_rows("member", {})
#: (V ⋈ labels of a) → cluster rows of kind ``link`` (``doc``/``paragraph`` = a).
_link_rows = _cluster_rows("link", {"doc": "a_doc", "paragraph": "a_paragraph"})


def _assemble(opts: dict[str, Any], rows: pa.Table, documents: pa.Table, counts: tuple[int, int, int, int], skipped: Sequence[tuple[str, str, bool]]) -> Report:
    """The scan's report of cluster rows (``CLUSTER_ROWS``) and documents, by the library's
    report builder (``_core.assemble_report``); representatives' signatures re-derived from
    their texts by the one sketch path."""
    is_member = pc.equal(rows.column("row"), "member")
    members = rows.filter(is_member)
    links = rows.filter(pc.invert(is_member))
    k = nda._cached(_matching(opts))
    rep = pc.and_(pc.equal(members.column("doc"), members.column("unit_doc")), pc.equal(members.column("paragraph"), members.column("unit_paragraph")))
    sig = k.sketch(pa.table({"doc": members.column("doc"), "paragraph": members.column("paragraph"), "text": members.column("text")})).column("signature")
    sig = pc.if_else(rep, sig, pa.scalar(None, sig.type))
    members_batch = pa.table(
        {
            "doc": members.column("doc"),
            "paragraph": members.column("paragraph"),
            "line": members.column("line"),
            "byte_start": members.column("byte_start"),
            "byte_end": members.column("byte_end"),
            "text": members.column("text"),
            "unit_doc": members.column("unit_doc"),
            "unit_paragraph": members.column("unit_paragraph"),
            "signature": sig,
        }
    )
    links_batch = pa.table(
        {
            "a_doc": links.column("doc"),
            "a_paragraph": links.column("paragraph"),
            "b_doc": links.column("b_doc"),
            "b_paragraph": links.column("b_paragraph"),
            "similarity": links.column("similarity"),
            "method": links.column("method"),
        }
    )
    native = _core.assemble_report(
        _native(opts),
        nda._batch(_cast(documents, DOC_STATS), "documents"),
        nda._batch(members_batch, "members"),
        nda._batch(links_batch, "links"),
        tuple(counts),
        list(skipped),
    )
    return Report(native)


def _cluster_tables_fn(opts: dict[str, Any], what: str) -> Callable[[pa.Table], pa.Table]:
    """Cluster rows of whole clusters → rows of ``members``, ``links`` or ``clusters`` with
    the local cluster number replaced by the representative's key (ranked later): the scan's
    report builder run on just these clusters gives each cluster exactly as the whole report
    does (a cluster depends on its own members and links only)."""

    def fn(rows: pa.Table) -> pa.Table:
        members = rows.filter(pc.equal(rows.column("row"), "member"))
        docs = pa.table({"doc": members.column("doc"), "name": members.column("name")}).group_by(["doc", "name"]).aggregate([])
        zeros = pa.array([0] * docs.num_rows, pa.int64())
        documents = pa.table({"doc": docs.column("doc"), "name": docs.column("name"), "paragraphs": zeros, "paragraph_bytes": zeros})
        key_of = dict(zip(docs.column("name").to_pylist(), docs.column("doc").to_pylist()))
        report = _assemble(opts, rows, documents, (0, 0, 0, 0), ())
        out: dict[str, list[Any]] = {}
        schema = {"members": _LOCAL_MEMBERS, "links": _LOCAL_LINKS, "clusters": _LOCAL_CLUSTERS}[what]
        for name in schema.names:
            out[name] = []
        for c in report.clusters:
            rep = c.members[0]
            # The representative's key (its component's label) numbers the clusters.
            rep_key = key_of[rep.path]
            if what == "clusters":
                row = dict(
                    representative_key=rep_key, representative_doc=rep.path, representative_paragraph=rep.paragraph, kind=c.kind, scope=c.scope,
                    boilerplate=c.boilerplate, members=len(c.members), documents=len({m.path for m in c.members}), text=rep.text,
                )
                for name in schema.names:
                    out[name].append(row[name])
            elif what == "members":
                for i, m in enumerate(c.members):
                    row = dict(
                        representative_key=rep_key, representative_paragraph=rep.paragraph, kind=c.kind, scope=c.scope,
                        boilerplate=c.boilerplate, doc=m.path, paragraph=m.paragraph, line=m.line, byte_start=m.byte_start,
                        byte_end=m.byte_end, similarity=m.similarity, representative=i == 0, text=m.text,
                    )
                    for name in schema.names:
                        out[name].append(row[name])
            else:
                for link in c.links:
                    a, b = c.members[link.a], c.members[link.b]
                    row = dict(
                        representative_key=rep_key, representative_paragraph=rep.paragraph, a_doc=a.path, a_paragraph=a.paragraph,
                        b_doc=b.path, b_paragraph=b.paragraph, similarity=link.similarity, method=link.method,
                    )
                    for name in schema.names:
                        out[name].append(row[name])
        return pa.table(out, schema=schema)

    return fn


_REP = [("representative_key", pa.string()), ("representative_paragraph", pa.int32())]
_LOCAL_MEMBERS = pa.schema(_REP + [f for f in MEMBERS if f.name != "cluster"])
_LOCAL_LINKS = pa.schema(_REP + [f for f in RESULT_LINKS if f.name != "cluster"])
_LOCAL_CLUSTERS = pa.schema(_REP[:1] + [f for f in CLUSTERS if f.name != "cluster"])
_RANKS = pa.schema(_REP + [("cluster", pa.int64())])


class Result:
    """A distributed scan's result: ``members``, ``links`` and ``clusters`` as the engine's
    frames (computed on first use), :meth:`write` (Parquet), :meth:`report` (the scan's
    report, collected on the driver).

    Attributes: ``stats`` (counts known without collecting clusters: ``paragraphs``,
    ``compared_paragraphs``, ``candidate_pairs``, ``capped_buckets``), ``components_path``
    (``"driver"`` or ``"distributed"``)."""

    def __init__(self, engine: Engine, opts: dict[str, Any], *, docs: Any, sketches: Any, units: Any, links: Any, labels: Any,
                 counts: tuple[int, int, int, int], skipped: list[tuple[str, str, bool]], components_path: str) -> None:
        self._engine = engine
        self._opts = opts
        self._docs = docs
        self._s = sketches
        self._u = units
        self._v = links
        self._labels = labels
        self._labelled = engine.count(labels)
        self._counts = counts
        self._skipped = skipped
        self.components_path = components_path
        self._rows: dict[bool, Any] = {}
        self._tables: dict[str, Any] = {}
        self.stats = dict(zip(("paragraphs", "compared_paragraphs", "candidate_pairs", "capped_buckets"), counts))

    def _cluster_rows(self, named: bool) -> Any:
        """CLUSTER_ROWS: every member (labels ⋈ S ⋈ U) and every verified link (⋈ label of a);
        ``named``: members with their document's name (the tables show names; the report
        takes them from its documents)."""
        if named not in self._rows:
            e = self._engine
            key = ["doc", "paragraph"]
            # Few labels (clustered paragraphs): copied to the tasks of U and then of S, so
            # only clustered paragraphs' rows move; many: shuffled joins.
            small = self._labelled <= BROADCAST_ROWS
            units = e.join(e.map(self._u, _unit_of, _UNIT_OF), self._labels, key, small_right=small)
            members = e.join(self._s, units, key, small_right=small)
            if named:
                members = e.join(members, e.map(self._docs, _names, NAMES), ["doc"])
            a_labels = e.map(self._labels, _a_label, _A_LABEL)
            links = e.join(self._v, a_labels, ["a_doc", "a_paragraph"])
            self._rows[named] = e.persist(e.union([e.map(members, _member_rows, CLUSTER_ROWS), e.map(links, _link_rows, CLUSTER_ROWS)]))
        return self._rows[named]

    def _table(self, what: str) -> Any:
        if what not in self._tables:
            e = self._engine
            local = {"members": _LOCAL_MEMBERS, "links": _LOCAL_LINKS, "clusters": _LOCAL_CLUSTERS}[what]
            final = {"members": MEMBERS, "links": RESULT_LINKS, "clusters": CLUSTERS}[what]
            rows = e.map_groups(self._cluster_rows(True), ["component_doc", "component_paragraph"], _cluster_tables_fn(self._opts, what), local)
            ranks = self._ranks()
            joined = e.join(rows, ranks, [n for n, _ in _REP])
            self._tables[what] = e.map(joined, _finish(final), final)
        return self._tables[what]

    def _ranks(self) -> Any:
        if "ranks" not in self._tables:
            e = self._engine
            reps = e.map(self._labels, _labels_as_reps, pa.schema(_REP))
            self._tables["ranks"] = e.persist(e.rank(reps, [n for n, _ in _REP], "cluster"))
        return self._tables["ranks"]

    @property
    def members(self) -> Any:
        """Frame of :data:`MEMBERS`: one row per cluster member (the scan's CSV rows)."""
        return self._table("members")

    @property
    def links(self) -> Any:
        """Frame of :data:`RESULT_LINKS`: every link of every cluster, by key."""
        return self._table("links")

    @property
    def clusters(self) -> Any:
        """Frame of :data:`CLUSTERS`: one row per cluster."""
        return self._table("clusters")

    def report(self, *, max_members: int = DEFAULT_REPORT_MEMBERS) -> Report:
        """The scan's report (``.to_json()`` is byte for byte ``neardup scan --format json``
        over the same documents), collected on the driver. Refuses with ``ValueError`` when
        the clusters hold more than ``max_members`` paragraphs: use :meth:`write`."""
        e = self._engine
        rows = self._cluster_rows(False)
        n = e.count(rows)
        if n > max_members:
            raise ValueError(
                f"the clusters hold {n:,} paragraphs and links, more than max_members={max_members:,} collect "
                f"on the driver: use result.write(path) to write members, links and clusters as Parquet "
                f"(or raise max_members if the driver has the memory)"
            )
        table = e.collect(rows, CLUSTER_ROWS)
        documents = e.collect(e.map(self._docs, doc_stats_fn(self._opts), DOC_STATS), DOC_STATS)
        return _assemble(self._opts, table, documents, self._counts, self._skipped)

    def write(self, path: str) -> None:
        """Write ``members``, ``links`` and ``clusters`` as Parquet datasets under ``path``
        (``path/members``, ``path/links``, ``path/clusters``)."""
        for what in ("members", "links", "clusters"):
            self._engine.write_parquet(self._table(what), f"{path.rstrip('/')}/{what}")


_UNIT_OF = pa.schema(_KEY + _keys("unit_"))
_A_LABEL = pa.schema(_keys("a_") + _keys("component_"))


def _names(batch: pa.RecordBatch) -> pa.Table:
    return _cast(_table(batch), NAMES)


def _unit_of(batch: pa.RecordBatch) -> pa.Table:
    return _cast(_table(batch), _UNIT_OF)


def _a_label(batch: pa.RecordBatch) -> pa.Table:
    t = _table(batch)
    return pa.table([t.column("doc"), t.column("paragraph"), t.column("component_doc"), t.column("component_paragraph")], schema=_A_LABEL)


def _labels_as_reps(batch: pa.RecordBatch) -> pa.Table:
    t = _table(batch)
    return pa.table([t.column("component_doc"), t.column("component_paragraph")], schema=pa.schema(_REP))


def _finish(schema: pa.Schema) -> Callable[[pa.RecordBatch], pa.Table]:
    def fn(batch: pa.RecordBatch) -> pa.Table:
        return _cast(_table(batch), schema)

    return fn


__all__ = ["Engine", "Result", "scan", "components", "options", "MATCHING"]
