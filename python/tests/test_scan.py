"""scan / scan_texts / Report: the same bytes as the CLI, on the sample and generated corpora."""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import neardup
from neardup import _core
from conftest import ROOT, SAMPLE, corpus_texts, run


def test_version_is_the_crate_version() -> None:
    toml = (ROOT / "Cargo.toml").read_text()
    version = re.search(r'\[workspace\.package\]\s*version = "([^"]+)"', toml)
    assert version and neardup.__version__ == version.group(1)


def test_python_defaults_are_the_library_defaults() -> None:
    library = {k: json.loads(v) for k, v in _core.defaults()}
    assert neardup._api._DEFAULTS == library
    for fn, skip in ((neardup.scan, set()), (neardup.scan_texts, None)):
        params = inspect.signature(fn).parameters
        for name, value in library.items():
            if skip is None and name not in params:
                continue  # scan_texts has no file-reading options
            default = params[name].default
            if isinstance(default, tuple):
                default = list(default)
            assert default == value, (fn.__name__, name)
    writer = inspect.signature(neardup.IndexWriter.create).parameters
    for name in ("threshold", "num_perm", "shingle", "split", "min_words", "seed", "hash"):
        assert writer[name].default == library[name]


@pytest.mark.parametrize("passages", [False, True])
def test_scan_json_is_byte_identical_to_the_cli(
    cli: Path, passages: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    flags = ["--passages"] if passages else []
    expected = run(cli, "scan", "corpora/sample", "--format", "json", *flags)
    report = neardup.scan("corpora/sample", passages=passages)
    assert report.to_json().encode() == expected
    assert report.stats["clusters"] == len(report.clusters) > 0
    assert (report.passages is not None) == passages


def test_every_cli_format_and_options(cli: Path) -> None:
    args = ["--threshold", "0.7", "--verify", "exact", "--split", "blank", "--min-words", "3"]
    for fmt in ("csv", "md", "text", "pairs", "jsonl"):
        expected = run(cli, "scan", str(SAMPLE), "--format", fmt, *args)
        got = neardup.scan(
            SAMPLE, threshold=0.7, verify="exact", split="blank", min_words=3
        ).to_string(fmt)
        assert got.encode() == expected, fmt


def test_document_split_is_the_clis(cli: Path) -> None:
    # Whole documents as units (`--split document`), for files and for texts in memory.
    expected = run(cli, "scan", str(SAMPLE), "--format", "json", "--split", "document")
    assert neardup.scan(SAMPLE, split="document").to_json().encode() == expected
    story = "the port reopens to cargo ships within a week once divers clear the wreck"
    report = neardup.scan_texts([f"{story}\nsecond line", f"{story}\nsecond line", "other"],
                                split="document")
    assert [[(m.path, m.paragraph) for m in c.members] for c in report.clusters] == [
        [("0", 0), ("1", 0)]
    ]


def test_report_objects_arrow_and_pandas(cli: Path) -> None:
    report = neardup.scan([SAMPLE])
    rows = list(csv.reader(io.StringIO(run(cli, "scan", str(SAMPLE), "--format", "csv").decode())))
    header, rows = rows[0], rows[1:]
    table = report.to_arrow()
    assert table.column_names == header
    assert table.num_rows == len(rows) == sum(len(c.members) for c in report.clusters)
    as_text = [
        [
            str(v).lower() if isinstance(v, bool) else json.dumps(v) if isinstance(v, float) else str(v)
            for v in row.values()
        ]
        for row in table.to_pylist()
    ]
    assert as_text == rows
    df = report.to_pandas()
    assert list(df.columns) == header and len(df) == len(rows)
    c = report.clusters[0]
    assert c.id == 1 and c.kind in ("exact", "near") and c.scope in ("within", "across")
    m = c.members[0]
    assert m.similarity == 1.0 and m.byte_end > m.byte_start and m.text
    assert "clusters" in repr(report)


def test_to_arrow_has_the_rows_of_the_parquet_report_passages_included(
    cli: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "r.parquet"
    run(cli, "scan", str(SAMPLE), "--passages", "--format", "parquet", "-o", str(out))
    want = pq.read_table(out).to_pylist()
    report = neardup.scan([SAMPLE], passages=True)
    got = report.to_arrow().to_pylist()
    assert got == want
    passage_rows = [r for r in got if r["kind"] == "passage"]
    assert passage_rows and all(r["similarity"] is None for r in passage_rows)
    assert len(report.to_pandas()) == len(want)


def test_scan_texts_equals_the_scan_of_the_same_files_and_scores_well(
    cli: Path, generated: Path, tmp_path: Path
) -> None:
    ids, texts = corpus_texts(generated)
    # Run in the corpus, so the CLI names files as the ids do (`scan .` → `a.txt`).
    expected = run(cli, "scan", ".", "--format", "json", cwd=generated)
    report = neardup.scan_texts(texts, ids=ids)
    assert report.to_json().encode() == expected
    # Scored against the generator's labels by the CLI's own evaluation.
    (tmp_path / "r.json").write_text(report.to_json())
    scores = json.loads(
        run(cli, "eval", str(tmp_path / "r.json"), "--labels", str(generated / "labels.json"),
            "--format", "json")
    )
    # The labels include copies edited below the threshold: 0.87 recall is the engine's at
    # 0.8 on this corpus (the CLI's, since the reports are identical).
    assert scores["precision"] >= 0.99 and scores["recall"] >= 0.85, scores


def test_scan_texts_takes_pyarrow_and_pandas(generated: Path) -> None:
    import pandas as pd
    import pyarrow as pa

    ids, texts = corpus_texts(generated)
    ids, texts = ids[:300], texts[:300]
    want = neardup.scan_texts(texts, ids).to_json()
    assert neardup.scan_texts(pa.array(texts), pa.array(ids)).to_json() == want
    chunked = pa.chunked_array([texts[:100], texts[100:]])
    assert neardup.scan_texts(chunked, ids=ids).to_json() == want
    df = pd.DataFrame({"id": ids, "text": texts})
    assert neardup.scan_texts(df["text"], ids=df["id"]).to_json() == want
    assert neardup.scan_texts(iter(texts), ids=(i for i in ids)).to_json() == want


def test_default_ids_and_threads() -> None:
    texts = ["the same words in a row here", "other", "the same words in a row here"]
    one = neardup.scan_texts(texts, threads=1)
    assert [(m.path, m.paragraph) for m in one.clusters[0].members] == [("0", 0), ("2", 0)]
    assert neardup.scan_texts(texts, threads=2).to_json() == one.to_json()


def test_normalize_is_the_cli_s(cli: Path) -> None:
    texts = ["Hello,  WORLD!", "الْعَرَبِيَّةُ ﻻ", "Ｆｕｌｌ－width ﬁ", "Straße"]
    expected = run(cli, "normalize", *texts).decode().splitlines()
    assert [neardup.normalize(t) for t in texts] == expected


def test_heavy_calls_release_the_gil(generated: Path) -> None:
    ids, texts = corpus_texts(generated)
    texts = texts * 12  # a scan of some tenths of a second
    started, done = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        neardup.scan_texts(texts, threads=1)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1  # runs only while the scan has released the GIL
        time.sleep(0.001)
    t.join()
    assert ticks >= 5, ticks


def test_minhasher_signatures_are_zero_copy_rows() -> None:
    sigs = neardup.MinHasher().signatures(["one two three four", "one two three five", ""])
    assert sigs.shape == (3, 128) and sigs.dtype == np.uint32
    assert sigs.flags["C_CONTIGUOUS"] and sigs.base is not None  # owned by Rust, not copied
    assert (sigs[2] == 2**32 - 1).all()  # no words: never matches
    assert np.array_equal(neardup.MinHasher().signature("one two three four"), sigs[0])
    est = neardup.estimate_jaccard(sigs[0], sigs[1])
    assert 0.0 < est < 1.0
    other = neardup.MinHasher(num_perm=64, seed=1, shingle=2).signatures(["a b c"])
    assert other.shape == (1, 64)


def test_hash_family_is_an_option_recorded_in_the_report(
    cli: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert neardup.DEFAULT_HASH == "xxh3-64+xor-multiply-32"
    text = "the harbour authority said on sunday that the port would reopen"
    new, old = neardup.MinHasher(), neardup.MinHasher(hash="multiply-shift")
    assert not np.array_equal(new.signature(text), old.signature(text))
    assert "multiply-shift" in repr(old)
    # The Python scan with the earlier family is byte for byte the CLI's.
    expected = run(cli, "scan", "corpora/sample", "--format", "json", "--hash", "multiply-shift")
    report = neardup.scan("corpora/sample", hash="multiply-shift")
    assert report.to_json().encode() == expected
    assert report.params["hash"] == "xxh3-64+multiply-shift-32"
    from neardup.arrow import Kernels

    assert Kernels(hash="multiply-shift").params["hash"] == "xxh3-64+multiply-shift-32"
    with pytest.raises(ValueError, match="unknown hash family"):
        neardup.MinHasher(hash="md5")
