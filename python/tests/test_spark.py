"""neardup.spark against the CLI: byte-identical reports under local[2] and
local-cluster[2,1,1024], input partitions 1/7/64, adaptive execution on and off, driver and
distributed connected components; dedup against `neardup dedup`; bad inputs.

One SparkSession per master for the whole run (session-scoped fixture, masters grouped by
pytest's parameter ordering): starting a JVM dominates these tests. The generated corpus of
24,000 paragraphs runs in two configurations only; the matrix runs on corpora/sample.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pyspark = pytest.importorskip("pyspark")

from conftest import ROOT, SAMPLE, run, shuffled_records  # noqa: E402

import neardup  # noqa: E402
from neardup import _core, _scaleout  # noqa: E402
from neardup import spark as nds  # noqa: E402

_SPARKS: dict[str, object] = {}


def _session(master: str):
    """The one SparkSession of `master` (a running one of another master is stopped first:
    one SparkContext per process)."""
    from pyspark.sql import SparkSession

    if master in _SPARKS:
        return _SPARKS[master]
    for other in list(_SPARKS):
        _SPARKS.pop(other).stop()  # type: ignore[attr-defined]
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(master)
        .appName("neardup-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.executor.memory", "700m")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    _SPARKS[master] = spark
    return spark


@pytest.fixture(scope="session", params=["local[2]", "local-cluster[2,1,1024]"])
def spark(request):
    yield _session(request.param)


@pytest.fixture(scope="session")
def local_spark():
    yield _session("local[2]")


@pytest.fixture(scope="session", autouse=True)
def _stop_sessions():
    yield
    for s in _SPARKS.values():
        s.stop()  # type: ignore[attr-defined]


def _docs_df(spark, root: Path, partitions: int):
    docs, skipped = _core.load_documents([str(root)], neardup._api._DEFAULTS)
    assert not skipped
    return spark.createDataFrame(docs, "id string, text string").repartition(partitions)


def _cli_json(cli: Path, *args: str) -> str:
    return run(cli, "scan", *args, "--format", "json").decode()


@pytest.fixture(scope="session")
def sample_json(cli: Path) -> str:
    """The CLI's report of the sample, named by its absolute path as the tests load it."""
    return _cli_json(cli, str(SAMPLE))


@pytest.fixture(scope="session")
def big_corpus(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """24,000 generated paragraphs: exact copies, near copies, and (one site) a footer on
    each of its ~2,100 articles, so two footer clusters of over 1,000 members."""
    out = tmp_path_factory.mktemp("g24k")
    gen = Path(os.environ.get("NEARDUP_GEN_CORPUS", cli.parent / "examples" / "gen_corpus"))
    subprocess.run([str(gen), "--out", str(out), "--paragraphs", "24000", "--sites", "1", "--seed", "7"], check=True, capture_output=True)
    want = run(cli, "scan", str(out), "--format", "json").decode()
    report = json.loads(want)
    assert report["stats"]["paragraphs"] >= 20000
    assert max(len(c["members"]) for c in report["clusters"]) >= 1000
    assert any(c["kind"] == "near" for c in report["clusters"])
    return out, want


# (input partitions, adaptive execution, components on the driver?) per master: every value
# of each axis appears on local[2]; local-cluster runs a real shuffle between two executors.
MATRIX = {
    "local[2]": [(1, False, True), (7, True, False), (64, True, True), (64, False, False)],
    "local-cluster[2,1,1024]": [(7, True, True), (7, False, False)],
}


def test_sample_reports_equal_the_cli_byte_for_byte(spark, sample_json):
    master = spark.sparkContext.master
    for partitions, aqe, driver in MATRIX[master]:
        spark.conf.set("spark.sql.adaptive.enabled", str(aqe).lower())
        df = _docs_df(spark, SAMPLE, partitions)
        result = nds.scan(df, driver_edges=10**9 if driver else 0, partitions=5)
        assert result.components_path == ("driver" if driver else "distributed")
        got = result.report().to_json()
        assert got == sample_json, f"{master}, {partitions} partitions, AQE {aqe}, driver {driver}"
    spark.conf.set("spark.sql.adaptive.enabled", "true")


def test_generated_corpus_equals_the_cli(spark, big_corpus):
    root, want = big_corpus
    master = spark.sparkContext.master
    # One configuration per master: driver components on local[2], distributed on the cluster.
    driver = master == "local[2]"
    df = _docs_df(spark, root, 7)
    result = nds.scan(df, driver_edges=10**9 if driver else 0, band_group=4 if driver else 16, partitions=8)
    assert result.report().to_json() == want


def test_result_tables_hold_the_reports_rows(local_spark, sample_json, tmp_path):
    result = nds.scan(_docs_df(local_spark, SAMPLE, 3))
    report = json.loads(sample_json)
    result.write(str(tmp_path / "out"))
    members = pq.read_table(tmp_path / "out" / "members").sort_by([("cluster", "ascending"), ("doc", "ascending"), ("paragraph", "ascending")])
    want = [
        (c["id"], m["path"], m["paragraph"], m["line"], m["byte_start"], m["byte_end"], m["similarity"], i == 0, c["kind"], c["scope"])
        for c in report["clusters"]
        for i, m in enumerate(c["members"])
    ]
    got = list(zip(*(members.column(n).to_pylist() for n in ("cluster", "doc", "paragraph", "line", "byte_start", "byte_end", "similarity", "representative", "kind", "scope"))))
    assert got == want
    clusters = pq.read_table(tmp_path / "out" / "clusters").sort_by("cluster")
    assert clusters.column("cluster").to_pylist() == [c["id"] for c in report["clusters"]]
    assert clusters.column("members").to_pylist() == [len(c["members"]) for c in report["clusters"]]
    links = pq.read_table(tmp_path / "out" / "links")
    assert links.num_rows == sum(len(c["links"]) for c in report["clusters"])
    with pytest.raises(ValueError, match="use result.write"):
        result.report(max_members=3)


def test_command_writes_the_clis_report(cli, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "neardup.spark", "scan", "corpora/sample", "--out", str(tmp_path / "out"), "--report", str(tmp_path / "r.json"), "--master", "local[2]"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == _cli_json(cli, "corpora/sample")
    assert (tmp_path / "out" / "members").is_dir()


def test_file_records_keep_the_clis_order(local_spark, cli, tmp_path):
    # The command's path: records numbered by their place in the file, as `neardup scan FILE`
    # keeps them, whatever their ids' byte order.
    for path in shuffled_records(SAMPLE, tmp_path):
        want = run(cli, "scan", str(path), "--id-field", "id", "--format", "json").decode()
        df, text, id_, source, _ = nds.read_input(local_spark, str(path), id="id")
        got = nds.scan(df.repartition(3), text, id_, source=source, order=nds.ORDER).report().to_json()
        by_name = nds.scan(df, text, id_, source=source).report().to_json()
        assert got == want, path.name
        assert by_name != want, "ids in name order number the clusters differently (the test's premise)"


@pytest.mark.parametrize("name", ["missing.parquet", "bad.jsonl"])
def test_command_errors_name_the_input_and_exit_2(tmp_path, name):
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "neardup.spark", "scan", name, "--out", str(tmp_path / "out"), "--master", "local[1]"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )
    assert out.returncode == 2, out.stderr[-3000:]
    # The error is the last line (Spark may log before it).
    assert out.stderr.strip().splitlines()[-1].startswith(f"neardup.spark: error: {name}"), out.stderr[-3000:]


def _parquet(tmp_path: Path, rows: list[dict]) -> Path:
    (tmp_path / "in").mkdir(exist_ok=True)
    path = tmp_path / "in" / "docs.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema([("id", pa.string()), ("text", pa.string())])), path)
    return path


def _sample_rows() -> list[dict]:
    docs, _ = _core.load_documents([str(SAMPLE)], neardup._api._DEFAULTS)
    return [{"id": name, "text": text} for name, text in docs]


def test_null_texts_are_skipped_and_counted_as_the_cli_counts_them(local_spark, cli, tmp_path):
    rows = _sample_rows() + [{"id": "zz-null-1", "text": None}, {"id": "zz-null-2", "text": None}]
    path = _parquet(tmp_path, rows)
    want = run(cli, "scan", path.name, "--id-field", "id", "--format", "json", cwd=path.parent).decode()
    assert json.loads(want)["skipped"], "the CLI reports the null texts"
    df, text, id_, source, skipped = nds.read_input(local_spark, str(path), id="id")
    result = nds.scan(df, text, id_, source=path.name)
    assert result.report().to_json() == want


def test_bad_inputs_are_clear_errors(local_spark):
    df = local_spark.createDataFrame([("a", "one two three", 1), ("b", "four five six", 2), ("a", "seven", 3)], "id string, body string, n int")
    with pytest.raises(ValueError, match="no text column 'text'"):
        nds.scan(df)
    with pytest.raises(TypeError, match="'n' is int, not a string"):
        nds.scan(df, text="n")
    with pytest.raises(ValueError, match="id 'a' occurs more than once"):
        nds.scan(df, text="body")
    with pytest.raises(ValueError, match="no id column 'doc_id'"):
        nds.scan(df, text="body", id="doc_id")
    with pytest.raises(TypeError, match="unexpected options: passages"):
        nds.scan(df, text="body", passages=True)


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_dedup_equals_neardup_dedup(local_spark, cli, tmp_path, keep):
    rows = _sample_rows()
    path = _parquet(tmp_path, rows)
    out = tmp_path / "cli"
    run(cli, "dedup", str(path.parent), "--out", str(out), "--keep", keep, "--id-field", "id")
    want = pq.read_table(out / "docs.parquet").to_pylist()
    df, text, id_, source, _ = nds.read_input(local_spark, str(path), id="id")
    # read_input adds the records' order (nds.ORDER): dedup keeps it as the CLI does, then it goes.
    got = nds.dedup(df.repartition(4), text, id_, source="docs.parquet", keep=keep, order=nds.ORDER).drop(nds.ORDER).toArrow().to_pylist()
    assert sorted(got, key=lambda r: r["id"]) == sorted(want, key=lambda r: r["id"])
    assert any(a["text"] != b["text"] for a, b in zip(sorted(got, key=lambda r: r["id"]), sorted(rows, key=lambda r: r["id"])))


def test_dedup_drops_documents_with_split_document(local_spark, cli, tmp_path):
    rows = _sample_rows()
    rows.append({"id": "zz-copy", "text": rows[0]["text"]})
    path = _parquet(tmp_path, rows)
    out = tmp_path / "cli"
    run(cli, "dedup", str(path.parent), "--out", str(out), "--split", "document", "--id-field", "id")
    want = pq.read_table(out / "docs.parquet").to_pylist()
    df, text, id_, source, _ = nds.read_input(local_spark, str(path), id="id")
    got = nds.dedup(df, text, id_, source="docs.parquet", split="document", order=nds.ORDER).drop(nds.ORDER).toArrow().to_pylist()
    assert sorted(r["id"] for r in got) == sorted(r["id"] for r in want)
    assert len(got) == len(rows) - 1
