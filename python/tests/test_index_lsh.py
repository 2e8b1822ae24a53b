"""MinHasher against the index's stored signatures, LSH against brute force, the index round
trip against the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import neardup
from conftest import SAMPLE, corpus_texts, run


def test_signatures_are_the_index_s(cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SAMPLE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    with neardup.IndexWriter.create("idx") as w:
        w.add_paths(["corpus"])
    paths, ordinals, stored = neardup.Index.open("idx")._stored_signatures()
    assert stored.shape == (len(paths), 128) and len(paths) > 50
    # Paragraph texts as the CLI cuts them.
    rows = [json.loads(line) for line in run(cli, "paragraphs", "corpus", cwd=tmp_path).splitlines()]
    # Both name documents as given: `corpus/...`.
    text = {(r["path"], r["paragraph"]): r["text"] for r in rows}
    texts = [text[(p, o)] for p, o in zip(paths, ordinals)]
    assert np.array_equal(neardup.MinHasher().signatures(texts), stored)


def band_groups(sigs: np.ndarray, bands: int, rows: int) -> list[dict[bytes, set[int]]]:
    groups: list[dict[bytes, set[int]]] = []
    for b in range(bands):
        g: dict[bytes, set[int]] = {}
        for i, s in enumerate(sigs):
            g.setdefault(s[b * rows : (b + 1) * rows].tobytes(), set()).add(i)
        groups.append(g)
    return groups


def test_lsh_query_equals_brute_force(generated: Path) -> None:
    _, texts = corpus_texts(generated)
    paragraphs = [p for t in texts for p in t.splitlines() if p.strip()][:3000]
    sigs = neardup.MinHasher().signatures(paragraphs)
    lsh = neardup.LSH(threshold=0.8, num_perm=128)
    assert (lsh.bands, lsh.rows) == (16, 8)  # what `neardup params` prints
    lsh.insert_many(range(len(sigs)), sigs)
    assert len(lsh) == len(sigs) and 5 in lsh and -1 not in lsh
    groups = band_groups(sigs, lsh.bands, lsh.rows)
    found_pairs = 0
    for i, s in enumerate(sigs):
        brute = set().union(*(g[s[b * 8 : (b + 1) * 8].tobytes()] for b, g in enumerate(groups)))
        got = lsh.query(s)
        assert len(got) == len(set(got)) and set(got) == brute
        found_pairs += len(brute) - 1
    assert found_pairs > 0  # the corpus has near duplicates
    # remove: gone from every answer.
    for i in range(0, len(sigs), 2):
        lsh.remove(i)
    assert len(lsh) == len(sigs) // 2
    for i in range(1, 200, 2):
        assert all(k % 2 == 1 for k in lsh.query(sigs[i]))
    # One-by-one inserts give the same buckets.
    one = neardup.LSH(bands=16, rows=8)
    for i, s in enumerate(sigs[:100]):
        one.insert(f"k{i}", s)
    assert one.query(sigs[0])[0] == "k0"
    # Signatures given as lists of ints work too.
    assert one.query(sigs[0].tolist()) == one.query(sigs[0])


def test_lsh_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold"):
        neardup.LSH(threshold=0)
    with pytest.raises(ValueError, match="threshold"):
        neardup.LSH(threshold=1.5)
    with pytest.raises(ValueError, match="multiple of bands"):
        neardup.LSH(num_perm=128, bands=5)
    with pytest.raises(ValueError, match="exceeds"):
        neardup.LSH(num_perm=128, bands=20, rows=8)
    assert (neardup.LSH(num_perm=128, bands=32).rows) == 4
    lsh = neardup.LSH()
    with pytest.raises(ValueError, match="num_perm = 128"):
        lsh.insert("a", np.zeros(64, dtype=np.uint32))
    with pytest.raises(ValueError, match="num_perm = 128"):
        lsh.query(np.zeros(129, dtype=np.uint32))
    lsh.insert("a", np.zeros(128, dtype=np.uint32))
    with pytest.raises(ValueError, match="already"):
        lsh.insert("a", np.zeros(128, dtype=np.uint32))
    with pytest.raises(ValueError, match="not in the LSH"):
        lsh.remove("b")
    with pytest.raises(TypeError, match="threshold"):
        neardup.LSH(threshold="0.8")  # type: ignore[arg-type]


def test_index_round_trip_equals_the_cli(cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SAMPLE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    run(cli, "index", "build", "corpus", "--index", "cli", "--passages", "--quiet", cwd=tmp_path)
    with neardup.IndexWriter.create("py", passages=True) as w:
        summary = w.add_paths("corpus", threads=1)
        assert summary.added > 0 and summary.generation == 2 and not summary.skipped
        again = w.add_paths(["corpus"])
        assert again.unchanged == summary.added and again.generation == 2
    py = neardup.Index.open("py")
    for passages in (False, True):
        flags = ["--passages"] if passages else []
        cli_scan = run(cli, "scan", "--index", "cli", "--format", "json", *flags, cwd=tmp_path)
        assert py.scan(passages=passages).to_json().encode() == cli_scan
    text = sorted((tmp_path / "corpus").rglob("*.txt"))[0].read_text(encoding="utf-8")
    for passages, limit in ((False, None), (True, 2)):
        flags = (["--passages"] if passages else []) + (["--limit", str(limit)] if limit else [])
        cli_query = run(cli, "query", "--index", "cli", "-", "--format", "json", *flags,
                        cwd=tmp_path, stdin=text.encode())
        assert py.query_json(text, passages, limit).encode() == cli_query
        assert py.query(text, passages=passages, limit=limit) == json.loads(cli_query)
    stats = py.stats()
    cli_stats = json.loads(run(cli, "index", "stats", "cli", "--format", "json", cwd=tmp_path))
    assert stats == cli_stats
    # Add texts, then compact: one segment, the same clusters as the CLI's compacted index.
    with neardup.IndexWriter.open("py") as w:
        s = w.add_texts(["A new article.\nIts second paragraph."], ["mem/new.txt"])
        assert s.added == 1
        assert w.compact() is True
    assert neardup.Index.open("py").stats()["segments"] == 1
    assert neardup.Index.open("py").query("Its second paragraph.")["paragraphs"][0]["matches"]
