"""neardup.ray: on a local Ray (num_cpus=2) and on a two-node cluster, for several block
counts, ``scan(ds).report()`` is byte for byte ``neardup scan --format json``; bad input is a
clear error; ``python -m neardup.ray`` writes the same report.

One Ray instance per test class (class-scoped fixtures, shut down at the end of the class),
idle workers kept alive so each stage reuses warm workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import neardup
from conftest import ROOT, SAMPLE, corpus_texts, run, shuffled_records

ray = pytest.importorskip("ray")
import neardup.ray as ndr  # noqa: E402

SYSTEM = ndr.SYSTEM_CONFIG
OBJECT_STORE = 300 * 2**20


def dataset(ids: list[Any], texts: list[Any], blocks: int, **extra: list[Any]) -> Any:
    table = pa.table({"id": ids, "text": pa.array(texts, pa.string()), **extra})
    return ray.data.from_arrow(table).repartition(blocks)


@pytest.fixture(scope="session")
def footer_corpus(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """≥ 20,000 paragraphs with exact and near copies; one site, so its footer is repeated
    on more than 1,000 articles."""
    out = tmp_path_factory.mktemp("footer")
    gen = os.environ.get("NEARDUP_GEN_CORPUS", str(cli.parent / "examples" / "gen_corpus"))
    args = ["--paragraphs", "20000", "--seed", "7", "--sites", "1", "--arabic-share", "0.2"]
    subprocess.run([gen, "--out", str(out), *args], check=True, capture_output=True)
    return out


def expected(cli: Path, root: Path, *flags: str) -> str:
    """`neardup scan . --format json` in root: documents named as `corpus_texts` names them."""
    return run(cli, "scan", ".", "--format", "json", *flags, cwd=root).decode()


def check_identical(cli: Path, root: Path, blocks: int, **options: Any) -> None:
    ids, texts = corpus_texts(root)
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    want = expected(cli, root, *flags)
    got = ndr.scan(dataset(ids, texts, blocks), **options).report().to_json()
    assert got == want
    assert json.loads(got)["stats"]["clusters"] > 0


@pytest.fixture(scope="class")
def local_ray() -> Iterator[None]:
    """A local Ray with two CPUs, for one test class."""
    ray.init(num_cpus=2, object_store_memory=OBJECT_STORE, include_dashboard=False, _system_config=SYSTEM)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="class")
def two_nodes() -> Iterator[None]:
    """A Ray cluster of two nodes (one CPU each) in this machine, for one test class."""
    from ray.cluster_utils import Cluster

    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": OBJECT_STORE, "_system_config": SYSTEM},
    )
    c.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    ray.init(address=c.address)
    ray.data.DataContext.get_current().enable_progress_bars = False
    c.wait_for_nodes()
    yield
    ray.shutdown()
    c.shutdown()


@pytest.mark.usefixtures("local_ray")
class TestLocal:
    def test_engine_operations(self) -> None:
        """The Engine contract on Ray: join (many to many, list payloads), distinct, rank
        (UTF-8 byte order), same_rows, map_groups (whole groups per call)."""
        e = ndr.RayEngine(partitions=3)
        left = pa.table({"k": ["b", "a", "é", "a", "z"], "n": pa.array([1, 2, 3, 4, 5], pa.int32())})
        right = pa.table({"k": ["a", "a", "é", "q"], "sig": pa.array([[1], [2, 3], [4], [5]], pa.list_(pa.int32()))})
        lf = e.from_arrow(left)
        lf = ndr.Frame(lf.ds.repartition(4), lf.schema)
        out = pa.schema([("k", pa.string()), ("n", pa.int32()), ("sig", pa.list_(pa.int32()))])
        rf = e.from_arrow(right)
        # both sides shuffled; the right side broadcast; the left side broadcast
        for a, b in ((lf, rf), (lf, e.persist(rf)), (e.persist(lf), rf)):
            joined = e.join(a, b, ["k"])
            got = e.collect(joined, out)
            assert joined.schema == out
            rows = sorted(zip(got["k"].to_pylist(), got["n"].to_pylist(), got["sig"].to_pylist()))
            assert rows == [("a", 2, [1]), ("a", 2, [2, 3]), ("a", 4, [1]), ("a", 4, [2, 3]), ("é", 3, [4])]
        dup = e.from_arrow(pa.table({"k": ["x", "y", "x", "x"], "n": [1, 2, 1, 3]}))
        assert sorted(e.collect(e.distinct(dup), pa.schema([("k", pa.string()), ("n", pa.int64())])).to_pylist(), key=str) == sorted(
            [{"k": "x", "n": 1}, {"k": "y", "n": 2}, {"k": "x", "n": 3}], key=str
        )
        keys = pa.table({"k": ["é", "b", "B", "b", "a", "z"] * 3})
        ranked = e.collect(e.rank(e.from_arrow(keys), ["k"], "r"), pa.schema([("k", pa.string()), ("r", pa.int64())]))
        assert sorted(zip(ranked["r"].to_pylist(), ranked["k"].to_pylist())) == [(1, "B"), (2, "a"), (3, "b"), (4, "z"), (5, "é")]
        a = e.from_arrow(pa.table({"k": ["x", "y"]}))
        assert e.same_rows(a, e.from_arrow(pa.table({"k": ["y", "x"]})))
        assert not e.same_rows(a, e.from_arrow(pa.table({"k": ["y", "z"]})))
        groups = e.map_groups(
            e.from_arrow(pa.table({"g": [i % 5 for i in range(100)]})),
            ["g"],
            lambda t: pa.table({"g": pc.unique(t["g"]), "n": pa.array([len(t)] * len(pc.unique(t["g"])))}),
            pa.schema([("g", pa.int64()), ("n", pa.int64())]),
        )
        assert sorted(e.collect(groups, pa.schema([("g", pa.int64())]))["g"].to_pylist()) == [0, 1, 2, 3, 4]

    @pytest.mark.parametrize("blocks", [1, 7])
    def test_sample_report_is_the_clis(self, cli: Path, blocks: int) -> None:
        check_identical(cli, SAMPLE, blocks)

    def test_options_reach_the_stages(self, cli: Path) -> None:
        check_identical(cli, SAMPLE, 3, threshold=0.6, verify="exact", shingle=2, boilerplate_min_docs=3)

    def test_distributed_components_give_the_same_report(self, cli: Path) -> None:
        ids, texts = corpus_texts(SAMPLE)
        result = ndr.scan(dataset(ids, texts, 4), driver_edges=1, band_group=5)
        assert result.components_path == "distributed"
        assert result.report().to_json() == expected(cli, SAMPLE)

    def test_footer_corpus_report_is_the_clis(self, cli: Path, footer_corpus: Path) -> None:
        report = json.loads(expected(cli, footer_corpus))
        assert report["stats"]["paragraphs"] >= 20_000
        assert max(len(c["members"]) for c in report["clusters"]) >= 1_000
        assert {c["kind"] for c in report["clusters"]} == {"exact", "near"}
        check_identical(cli, footer_corpus, 5)

    def test_missing_or_mistyped_columns_are_errors(self) -> None:
        ds = ray.data.from_arrow(pa.table({"id": ["a"], "body": ["x"]}))
        with pytest.raises(ValueError, match="no text column 'text'.*id, body"):
            ndr.scan(ds)
        with pytest.raises(ValueError, match="no id column 'key'"):
            ndr.scan(ds, text="body", id="key")
        ds = ray.data.from_arrow(pa.table({"id": ["a"], "text": [3]}))
        with pytest.raises(TypeError, match="text column 'text' is int64, not a string"):
            ndr.scan(ds)
        with pytest.raises(TypeError, match="unexpected options: passages"):
            ndr.scan(ds, passages=True)

    def test_null_texts_are_skipped_and_counted(self) -> None:
        texts = ["one two three four", None, "one two three four", None, "five six seven"]
        ids = ["a", "b", "c", "d", "e"]
        report = ndr.scan(dataset(ids, texts, 2)).report()
        present = [(i, t) for i, t in zip(ids, texts) if t is not None]
        want = neardup.scan_texts([t for _, t in present], ids=[i for i, _ in present])
        assert report.clusters == want.clusters
        # The skip is counted as the CLI counts a Parquet file's null texts: one skip row.
        assert report.stats == {**want.stats, "skipped_files": 1}
        assert report.skipped == [{"path": "Dataset", "reason": '2 rows with a null "text" skipped', "error": False}]

    def test_duplicate_ids_are_an_error_naming_one(self) -> None:
        ids = ["a", "dup", "b", "dup", "zz", "zz"]
        texts = [f"text number {i} here" for i in range(6)]
        with pytest.raises(ValueError, match="id 'dup' occurs more than once in column 'id'"):
            ndr.scan(dataset(ids, texts, 3))

    def test_integer_ids_are_names(self) -> None:
        texts = ["one two three four", "one two three four"]
        report = ndr.scan(dataset([10, 2], texts, 1)).report()
        assert report.to_json() == neardup.scan_texts(texts, ids=["10", "2"]).to_json()

    def test_command_line_on_a_directory_and_parquet(self, cli: Path, tmp_path: Path) -> None:
        address = ray.get_runtime_context().gcs_address
        out = tmp_path / "out"
        subprocess.run(
            [sys.executable, "-m", "neardup.ray", "scan", "corpora/sample", "--out", str(out),
             "--report", str(tmp_path / "r.json"), "--address", address],
            cwd=ROOT, check=True, capture_output=True,
        )
        want = run(cli, "scan", "corpora/sample", "--format", "json").decode()
        assert (tmp_path / "r.json").read_text() == want
        # The written members are the report's, numbered alike.
        members = pq.read_table(out / "members")
        got = sorted(zip(*(members[c].to_pylist() for c in ("cluster", "doc", "paragraph", "line", "byte_start", "byte_end", "similarity", "representative"))))
        report = json.loads(want)
        assert got == sorted(
            (c["id"], m["path"], m["paragraph"], m["line"], m["byte_start"], m["byte_end"], m["similarity"], i == 0)
            for c in report["clusters"]
            for i, m in enumerate(c["members"])
        )
        assert pq.read_table(out / "clusters").num_rows == len(report["clusters"])

    def test_parquet_and_jsonl_records_are_named_and_ordered_as_the_cli_does(
        self, cli: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from neardup.ray.__main__ import read

        # Ids in reverse and not in row order by bytes: the records keep the file's order.
        monkeypatch.chdir(tmp_path)
        ids, texts = corpus_texts(SAMPLE)
        table = pa.table({"id": ids, "text": texts})
        with pa.CompressedOutputStream("s.jsonl.zst", "zstd") as f:
            for row in table.to_pylist():
                f.write((json.dumps(row, ensure_ascii=False) + "\n").encode())
        paths = [p.name for p in shuffled_records(SAMPLE, tmp_path)] + ["s.jsonl.zst"]
        for name in paths:
            ds, how = read(name, "text", "id", {})
            got = ndr.scan(ds, **how).report().to_json()
            assert got == run(cli, "scan", name, "--id-field", "id", "--format", "json", cwd=tmp_path).decode(), name

    @pytest.mark.parametrize("name", ["missing.parquet", "bad.jsonl", "notes.csv"])
    def test_command_errors_name_the_input_and_exit_2(self, tmp_path: Path, name: str) -> None:
        (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
        (tmp_path / "notes.csv").write_text("a,b\n", encoding="utf-8")
        address = ray.get_runtime_context().gcs_address
        out = subprocess.run(
            [sys.executable, "-m", "neardup.ray", "scan", name, "--out", str(tmp_path / "out"), "--address", address],
            cwd=tmp_path, capture_output=True, text=True,
        )
        assert out.returncode == 2, out.stderr[-3000:]
        assert out.stderr.strip().splitlines()[-1].startswith(f"neardup.ray: error: {name}"), out.stderr[-3000:]


@pytest.mark.usefixtures("two_nodes")
class TestTwoNodes:
    def test_two_nodes(self, cli: Path, footer_corpus: Path) -> None:
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        check_identical(cli, SAMPLE, 7)
        check_identical(cli, footer_corpus, 4)
