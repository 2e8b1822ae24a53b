"""``python -m neardup.ray scan INPUT --out DIR [--report FILE] [--address ADDR] ...``

INPUT: a directory of text articles, a Parquet file or a JSON Lines file (``.jsonl``,
``.jsonl.gz``, ``.jsonl.zst``). A local INPUT is read on the driver as ``neardup scan INPUT
[--id-field ID]`` reads it (the same records, names, order and skips; a file's records named
``FILE#ID``), then cut into blocks; a URI such as ``s3://...`` is read by Ray Data's readers
on the workers, records named ``FILE#ID`` and ordered by that name (not by their place in
the file). ``--out DIR`` gets the
result's Parquet tables, ``--report FILE`` the scan's JSON report (byte for byte ``neardup
scan --format json``). Without ``--address`` a local Ray is started (``--num-cpus``); with
it, the job runs on that cluster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from .._scaleout import COMMAND_ERRORS, add_matching_arguments, check_input, command_error, matching_arguments


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m neardup.ray", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scan", help="scan INPUT for duplicate and near-duplicate paragraphs")
    s.add_argument("input", help="a directory of text articles, a .parquet file or a .jsonl(.gz/.zst) file")
    s.add_argument("--out", required=True, help="directory for members/, links/, clusters/ (Parquet)")
    s.add_argument("--report", help="also write the scan's JSON report to this file")
    s.add_argument("--address", help="a running Ray cluster (default: start a local one)")
    s.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all)")
    s.add_argument("--text-col", default="text", help="text column of Parquet/JSONL input")
    s.add_argument("--id-col", default="id", help="id column of Parquet/JSONL input")
    s.add_argument("--partitions", type=int, help="hash partitions per shuffle (default: 2 × CPUs)")
    add_matching_arguments(s)
    return p


_JSONL = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson")


def read(input: str, text: str, id: str, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """INPUT → (dataset, the keywords of :func:`neardup.ray.scan` that say how to read it)."""
    import ray.data

    from .. import _core
    from .._api import _DEFAULTS

    if "://" not in input:
        # Read as `neardup scan INPUT` reads it: the same files, records, names, order and
        # skips (a missing or unreadable INPUT is the scan's error, naming it).
        if not Path(input).is_dir() and not input.endswith((".parquet", *_JSONL)):
            raise ValueError(f"{input}: not a directory, a .parquet file or a .jsonl(.gz/.zst) file")
        native = dict(_DEFAULTS)
        native.update(options)
        native["text_field"], native["id_field"] = text, id
        docs, skipped = _core.load_documents([input], native)
        table = pa.table(
            {"order": range(len(docs)), "id": [d[0] for d in docs], "text": [d[1] for d in docs]},
            schema=pa.schema([("order", pa.int64()), ("id", pa.string()), ("text", pa.string())]),
        )
        # Read on the driver (the names need the whole walk), then cut into blocks of about
        # 16 MB of text, at least two per CPU, so the map stages run on every core.
        cpus = int(ray.cluster_resources().get("CPU", 1))
        blocks = max(2 * cpus, sum(len(d[1]) for d in docs) // (16 * 2**20))
        size = max(1, -(-table.num_rows // blocks))
        parts = [table.slice(i, size) for i in range(0, table.num_rows, size)] or [table]
        return ray.data.from_arrow(parts), {"text": "text", "id": "id", "order": "order", "skipped": skipped}
    if input.endswith(".parquet"):
        ds = ray.data.read_parquet(input).select_columns([text, id])
    elif input.endswith(_JSONL):
        ds = ray.data.read_json(input, lines=True)
    else:
        raise ValueError(f"{input}: not a directory, a .parquet file or a .jsonl(.gz/.zst) file")
    return ds, {"text": text, "id": id, "source": input}


def main(argv: list[str] | None = None) -> int:
    import ray

    from . import SYSTEM_CONFIG, scan

    args = _parser().parse_args(argv)
    try:
        check_input(args.input)
    except COMMAND_ERRORS as e:
        return command_error("neardup.ray", e)
    if args.address:
        ray.init(address=args.address, log_to_driver=False)
    else:
        ray.init(
            num_cpus=args.num_cpus,
            include_dashboard=False,
            log_to_driver=False,
            _system_config=SYSTEM_CONFIG,
        )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        ds, how = read(args.input, args.text_col, args.id_col, {"split": args.split})
        result = scan(
            ds,
            **how,
            **matching_arguments(args),
            partitions=args.partitions,
        )
        result.write(args.out if "://" in args.out else str(Path(args.out).resolve()))
        if args.report:
            Path(args.report).write_text(result.report().to_json(), encoding="utf-8")
    except COMMAND_ERRORS as e:
        return command_error("neardup.ray", e)
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
