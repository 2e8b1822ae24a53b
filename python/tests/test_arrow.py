"""neardup.arrow: the stage kernels chained as an engine would chain them, over the sample and
a generated corpus, in 1, 7 and 64 batches, give exactly the clusters of scan / scan_texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import neardup
from neardup import arrow as nda
from conftest import SAMPLE, corpus_texts

Key = tuple[str, int]


def batches(table: pa.Table, n: int) -> list[pa.RecordBatch]:
    """`table` cut into `n` contiguous record batches (some may be empty)."""
    size = max(1, -(-table.num_rows // n))
    out = []
    for start in range(0, max(table.num_rows, 1), size):
        out.extend(table.slice(start, size).combine_chunks().to_batches())
    return out


def by(table: pa.Table, column: Any, n: int) -> list[pa.Table]:
    """`table` partitioned into `n` parts by an int64 column's value modulo n (whole groups
    of equal values land in one part, as an engine's shuffle puts them)."""
    values = np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False)).view(np.uint64)
    part = values % np.uint64(n)
    return [table.filter(pa.array(part == p)) for p in range(n)]


def concat(outs: list[pa.RecordBatch]) -> pa.Table:
    return pa.Table.from_batches(outs)


def keys(table: pa.Table, prefix: str = "") -> list[Key]:
    return list(zip(table.column(prefix + "doc").to_pylist(), table.column(prefix + "paragraph").to_pylist()))


def chain(ids: list[str], texts: list[str], n: int, **options: Any) -> tuple[set, dict]:
    """Every kernel over n batches; (clusters as sets of keys, verified links)."""
    k = nda.Kernels(**options)
    docs = pa.table({"doc": ids, "text": texts})
    paras = concat([k.paragraphs(b) for b in batches(docs, n)])
    sketches = concat([k.sketch(b) for b in batches(paras, n)])
    row_of = {key: i for i, key in enumerate(keys(sketches))}
    units = concat([k.units(t) for t in by(sketches, sketches.column("hash_lo"), n)])
    is_rep = pc.and_(
        pc.equal(units.column("doc"), units.column("unit_doc")),
        pc.equal(units.column("paragraph"), units.column("unit_paragraph")),
    )
    identical = units.filter(pc.invert(is_rep))
    identical = pa.table(
        {
            "a_doc": identical.column("unit_doc"),
            "a_paragraph": identical.column("unit_paragraph"),
            "b_doc": identical.column("doc"),
            "b_paragraph": identical.column("paragraph"),
        }
    )
    reps = sketches.take([row_of[key] for key in keys(units.filter(is_rep))])
    bands = concat([k.band_rows(b) for b in batches(reps, n)])
    bucket = pc.bit_wise_xor(bands.column("band_key"), pc.cast(bands.column("band"), pa.int64()))
    cands = concat([k.candidates(t) for t in by(bands, bucket, n)])
    cols = ["a_doc", "a_paragraph", "b_doc", "b_paragraph"]
    cands = cands.group_by(cols).aggregate([]).select(cols)
    text_of = dict(zip(keys(paras), paras.column("text").to_pylist()))
    a_rows = [row_of[key] for key in keys(cands, "a_")]
    b_rows = [row_of[key] for key in keys(cands, "b_")]
    pairs = cands.append_column("a_signature", sketches.column("signature").take(a_rows))
    pairs = pairs.append_column("b_signature", sketches.column("signature").take(b_rows))
    pairs = pairs.append_column("a_text", pa.array([text_of[key] for key in keys(cands, "a_")], pa.string()))
    pairs = pairs.append_column("b_text", pa.array([text_of[key] for key in keys(cands, "b_")], pa.string()))
    verified = concat([k.verify(b) for b in batches(pairs, n)])
    links = {
        (a, b): s
        for a, b, s in zip(keys(verified, "a_"), keys(verified, "b_"), verified.column("similarity").to_pylist())
    }
    edges = pa.concat_tables([identical, verified.select(cols).cast(identical.schema)])
    labels = nda.components(edges)
    clusters: dict[Key, set[Key]] = {}
    for key, label in zip(keys(pa.table(labels)), keys(pa.table(labels), "component_")):
        assert label <= key
        clusters.setdefault(label, set()).add(key)
    return {frozenset(c) for c in clusters.values()}, links


def expected(report: neardup.Report) -> tuple[set, dict]:
    clusters, links = set(), {}
    for c in report.clusters:
        members = [(m.path, m.paragraph) for m in c.members]
        clusters.add(frozenset(members))
        for link in c.links:
            if link.method != "identical":
                links[(members[link.a], members[link.b])] = link.similarity
    return clusters, links


@pytest.mark.parametrize("n", [1, 7, 64])
def test_chain_gives_the_scans_clusters_on_the_sample(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `scan .` in the sample names documents as `corpus_texts` names them (relative).
    monkeypatch.chdir(SAMPLE)
    ids, texts = corpus_texts(SAMPLE)
    want = expected(neardup.scan("."))
    assert want[0], "the sample has clusters"
    assert chain(ids, texts, n) == want
    assert expected(neardup.scan_texts(texts, ids=ids)) == want


@pytest.mark.parametrize("n", [1, 7, 64])
@pytest.mark.parametrize("verify", ["auto", "exact"])
def test_chain_gives_the_scans_clusters_on_a_generated_corpus(generated: Path, n: int, verify: str) -> None:
    ids, texts = corpus_texts(generated)
    want = expected(neardup.scan_texts(texts, ids=ids, verify=verify))
    assert len(want[0]) > 50
    assert chain(ids, texts, n, verify=verify) == want


def test_schemas_are_signed_versioned_and_keyed() -> None:
    docs = pa.record_batch({"doc": ["b", "a"], "text": ["one two three four\n\nfive six seven eight", "x y z w"]})
    paras = nda.paragraphs(docs)
    assert paras.schema.metadata[b"neardup.schema"] == nda.SCHEMA_VERSION.encode()
    assert paras.schema.metadata[b"neardup.kernel"] == b"paragraphs"
    assert [paras.schema.field(c).type for c in ("paragraph", "line", "byte_start", "byte_end")] == [
        pa.int32(),
        pa.int32(),
        pa.int64(),
        pa.int64(),
    ]
    assert keys(pa.table(paras)) == [("b", 0), ("b", 1), ("a", 0)]
    sk = nda.sketch(paras)
    assert sk.schema.field("signature").type == pa.list_(pa.field("item", pa.int32(), nullable=False))
    assert sk.schema.field("hash_hi").type == pa.int64()
    assert len(sk.column("signature")[0]) == 128
    # Signatures are the MinHasher's (the one sketch path), bit-cast to int32.
    sigs = neardup.MinHasher().signatures(paras.column("text"))
    got = np.array(sk.column("signature").to_pylist(), dtype=np.int32).view(np.uint32)
    assert (got == sigs).all()
    for t in (nda.band_rows(sk),):
        assert t.schema.field("band_key").type == pa.int64()


def test_string_layouts_and_tables_are_accepted() -> None:
    texts = ["one two three four", "alpha beta gamma delta"]
    want = nda.paragraphs(pa.record_batch({"doc": ["a", "b"], "text": texts}))
    for typ in (pa.large_string(), pa.string_view()):
        docs = pa.table({"doc": pa.array(["a", "b"], typ), "text": pa.array(texts, typ)})
        assert nda.paragraphs(docs).equals(want)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(neardup.InvalidParameterError, match="`text`"):
        nda.paragraphs(pa.record_batch({"doc": ["a"]}))
    with pytest.raises(TypeError, match="RecordBatch"):
        nda.sketch([1, 2, 3])
    with pytest.raises(TypeError, match="unexpected options"):
        nda.Kernels(threads=2)
    with pytest.raises(neardup.InvalidParameterError):
        nda.Kernels(threshold=2.0)
