"""Fixtures: the repository, the CLI built from it (the reference every Python result is
compared with) and generated corpora."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "corpora" / "sample"


def _cargo_build(*args: str) -> None:
    subprocess.run(
        ["cargo", "build", "--quiet", "--locked", *args], cwd=ROOT, check=True
    )


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `neardup` binary of this checkout (NEARDUP_BIN overrides)."""
    if "NEARDUP_BIN" in os.environ:
        return Path(os.environ["NEARDUP_BIN"])
    _cargo_build("--bin", "neardup", "--example", "gen_corpus")
    return ROOT / "target" / "debug" / "neardup"


def run(cli: Path, *args: str, cwd: Path = ROOT, stdin: bytes | None = None) -> bytes:
    """Run the CLI and return its stdout (failing the test on a non-zero exit)."""
    out = subprocess.run(
        [str(cli), *args], cwd=cwd, input=stdin, capture_output=True, check=False
    )
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


@pytest.fixture(scope="session")
def generated(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus of ~4,000 paragraphs with its labels.json (benches/tools/gen_corpus.rs)."""
    out = tmp_path_factory.mktemp("generated")
    gen = cli.parent / "examples" / "gen_corpus"
    subprocess.run(
        [str(gen), "--out", str(out), "--paragraphs", "4000", "--seed", "7"],
        check=True,
        capture_output=True,
    )
    return out


def corpus_texts(root: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) of every .txt file under root, ids named as `neardup scan .` run in
    root names the files (relative, with /)."""
    files = sorted(p for p in root.rglob("*.txt"))
    ids = [p.relative_to(root).as_posix() for p in files]
    return ids, [p.read_text(encoding="utf-8") for p in files]


def shuffled_records(root: Path, out: Path) -> list[Path]:
    """The articles under root as records of `out/s.parquet` and `out/s.jsonl`, in reverse
    order of name and with ids that do not sort in row order (`r10` is written before `r9`
    but sorts before it), so a scale-out scan numbers clusters as `neardup scan FILE` only if
    it keeps the file's record order."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    ids, texts = corpus_texts(root)
    n = len(ids)
    rows = [{"id": f"r{n - i}", "text": t} for i, t in enumerate(reversed(texts))]
    table = pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.string()), ("text", pa.string())]))
    pq.write_table(table, out / "s.parquet", row_group_size=7)
    with open(out / "s.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return [out / "s.parquet", out / "s.jsonl"]
