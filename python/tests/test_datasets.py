"""Datasets written by the CLI, read back by an independent reader (pyarrow): `neardup dedup`
keeps a Parquet file's schema, nullability, field and file metadata and row order, and
`--format parquet` reports have typed columns (issue 15)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from conftest import run

LEAD = (
    "the committee met on tuesday to discuss the annual budget for the regional water "
    "authority and its plans for the coming winter season"
)
OTHERS = [
    "an unrelated record with its own words and nothing in common with the others at all",
    "a third story about the football season and the new stadium that opens next spring",
    "markets closed higher on friday after a week of gains led by technology shares",
]


def _table() -> pa.Table:
    """Six rows; rows 3 and 5 repeat row 0's text. Odd types and metadata on purpose."""
    texts = [LEAD, OTHERS[0], OTHERS[1], LEAD, OTHERS[2], LEAD]
    schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False, metadata={b"role": b"key"}),
            pa.field("text", pa.large_string(), nullable=True, metadata={b"lang": b"en"}),
            pa.field("score", pa.float32()),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("meta", pa.struct([("src", pa.string()), ("n", pa.int16())])),
            pa.field("when", pa.timestamp("ms", tz="UTC")),
        ],
        metadata={b"origin": b"neardup-test", b"version": b"3"},
    )
    return pa.table(
        {
            "id": [10, 11, 12, 13, 14, 15],
            "text": texts,
            "score": [0.5, None, 1.25, 2.0, None, 3.5],
            "tags": [["a"], [], None, ["b", "c"], ["d"], None],
            "meta": [{"src": "x", "n": i} if i != 2 else None for i in range(6)],
            "when": [1_700_000_000_000 + i for i in range(6)],
        },
        schema=schema,
    )


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=2, compression="zstd")


def test_dedup_keeps_schema_metadata_and_row_order(cli: Path, tmp_path: Path) -> None:
    table = _table()
    _write(tmp_path / "in" / "data.parquet", table)
    run(cli, "dedup", "in", "--out", "out", "--split", "document", "--id-field", "id", cwd=tmp_path)
    out = tmp_path / "out" / "data.parquet"
    got = pq.read_table(out)
    # Schema: types, nullability, field metadata and schema metadata, all kept (against the
    # input file as pyarrow reads it: Parquet names a list's child `element`).
    want = pq.read_schema(tmp_path / "in" / "data.parquet")
    assert got.schema.equals(want, check_metadata=True), got.schema
    for name in table.schema.names:
        assert got.schema.field(name).nullable == table.schema.field(name).nullable
        assert got.schema.field(name).metadata == table.schema.field(name).metadata
    # File key-value metadata, as a Parquet reader sees it.
    kv = pq.read_metadata(out).metadata
    assert kv[b"origin"] == b"neardup-test" and kv[b"version"] == b"3"
    # Rows 3 and 5 repeat row 0: dropped; the others in their order, every value equal.
    assert got.to_pylist() == [table.to_pylist()[i] for i in (0, 1, 2, 4)]
    # The input is never modified.
    assert pq.read_table(tmp_path / "in" / "data.parquet").to_pylist() == table.to_pylist()


def test_mark_mode_appends_typed_columns(cli: Path, tmp_path: Path) -> None:
    table = _table()
    _write(tmp_path / "in" / "data.parquet", table)
    run(cli, "dedup", "in", "--out", "out", "--split", "document", "--mode", "mark", cwd=tmp_path)
    got = pq.read_table(tmp_path / "out" / "data.parquet")
    assert got.schema.names == table.schema.names + ["neardup_cluster", "neardup_duplicate"]
    assert got.schema.field("neardup_cluster").type == pa.uint32()
    assert got.schema.field("neardup_duplicate").type == pa.bool_()
    assert got.select(table.schema.names).equals(table)
    clusters = got.column("neardup_cluster").to_pylist()
    assert clusters[0] is not None and clusters[0] == clusters[3] == clusters[5]
    assert clusters[1] is None and clusters[2] is None and clusters[4] is None
    assert got.column("neardup_duplicate").to_pylist() == [False, False, False, True, False, True]


def test_parquet_report_has_the_csv_columns_typed(cli: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in" / "data.parquet", _table())
    run(cli, "scan", "in", "--id-field", "id", "--format", "parquet", "-o", "members.parquet", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(run(cli, "scan", "in", "--id-field", "id", "--format", "csv", cwd=tmp_path).decode())))
    got = pq.read_table(tmp_path / "members.parquet")
    assert got.schema.names == list(rows[0].keys())
    types = {f.name: f.type for f in got.schema}
    assert types["cluster"] == pa.uint32() and types["paragraph"] == pa.uint32()
    assert types["line"] == pa.uint32()
    assert types["byte_start"] == pa.uint64() and types["byte_end"] == pa.uint64()
    assert types["similarity"] == pa.float64() and types["boilerplate"] == pa.bool_()
    assert types["path"] == pa.string() and types["text"] == pa.string()
    # The same rows as the CSV report, in its order.
    assert got.num_rows == len(rows) == 3
    assert [str(p) for p in got.column("path").to_pylist()] == [r["path"] for r in rows]
    assert all(p.endswith(("#10", "#13", "#15")) for p in got.column("path").to_pylist())
