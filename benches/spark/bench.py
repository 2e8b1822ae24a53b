"""neardup.spark end to end: wall time (session start included) and shuffle bytes per
paragraph from Spark's own metrics (the status REST API of the driver UI).

    .venv/bin/python benches/spark/bench.py CORPUS.parquet --id-col id [--master local[2]]
        [--partitions N] [--band-group G] [--codec zstd|lz4] [--report FILE]

Prints one JSON line: seconds (session start → report written), stage seconds, paragraphs,
shuffle write bytes (total and per paragraph), shuffle read bytes. Timing only; the identity
with `neardup scan` is the tests' job (compare --report FILE with the CLI's to check here).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.request

T0 = time.perf_counter()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("--id-col", default=None)
    p.add_argument("--text-col", default="text")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--partitions", type=int, default=8)
    p.add_argument("--band-group", type=int, default=16)
    p.add_argument("--codec", default="zstd", help="spark.io.compression.codec (shuffle and spill compression)")
    p.add_argument("--report")
    p.add_argument("--out")
    a = p.parse_args()

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from neardup import _scaleout
    from neardup import spark as nds

    spark = (
        SparkSession.builder.master(a.master)
        .appName("neardup-bench")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(a.partitions))
        .config("spark.driver.memory", "4g")
        .config("spark.io.compression.codec", a.codec)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    t_session = time.perf_counter() - T0
    marks = {}
    df, text, id_, source, skipped = nds.read_input(spark, a.input, text=a.text_col, id=a.id_col)
    docs, more = nds.documents(df, text, id_, source=source, order=nds.ORDER)
    engine = nds.SparkEngine(spark, a.partitions)
    result = _scaleout.scan(engine, docs, _scaleout.options({}), skipped=skipped + more, band_group=a.band_group)
    marks["scan"] = time.perf_counter() - T0
    report = result.report()
    json_text = report.to_json()
    if a.report:
        with open(a.report, "w", encoding="utf-8") as f:
            f.write(json_text)
    marks["report"] = time.perf_counter() - T0
    if a.out:
        result.write(a.out)
        marks["write"] = time.perf_counter() - T0
    seconds = time.perf_counter() - T0

    ui = spark.sparkContext.uiWebUrl
    app = spark.sparkContext.applicationId
    stages = json.load(urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/stages?status=complete"))
    write = sum(s.get("shuffleWriteBytes", 0) for s in stages)
    read = sum(s.get("shuffleReadBytes", 0) for s in stages)
    paragraphs = result.stats["paragraphs"]
    print(json.dumps({
        "master": a.master, "partitions": a.partitions, "band_group": a.band_group, "codec": a.codec,
        "seconds": round(seconds, 1), "session_start": round(t_session, 1),
        "marks": {k: round(v, 1) for k, v in marks.items()},
        "paragraphs": paragraphs, "clusters": report.stats["clusters"],
        "shuffle_write_bytes": write, "shuffle_write_per_paragraph": round(write / max(paragraphs, 1), 1),
        "shuffle_read_bytes": read,
        # The stages that wrote most: id, bytes, and the neardup lines that built them.
        "top_stages": [
            [s["stageId"], s.get("shuffleWriteBytes", 0), _where(s.get("details", ""))]
            for s in sorted(stages, key=lambda s: -s.get("shuffleWriteBytes", 0))[:10]
        ],
    }))
    spark.stop()


def _where(details: str) -> str:
    """The neardup frames of a stage's call site (file:line), innermost first."""
    lines = [line.strip() for line in details.splitlines() if "neardup/" in line]
    return " < ".join(line.rsplit("/", 1)[-1] for line in lines[:3])


if __name__ == "__main__":
    main()
