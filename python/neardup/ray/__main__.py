"""``python -m neardup.ray scan INPUT --out DIR [--report FILE] [--address ADDR] ...``

INPUT: a directory of text articles (read as ``neardup scan INPUT`` reads it: the same files,
names and skips), a Parquet file or a JSON Lines file (``.jsonl``, ``.jsonl.gz``,
``.jsonl.zst``; a local path or a URI such as ``s3://...``), whose records are named
``FILE#ID`` as ``neardup scan FILE --id-field ID`` names them. ``--out DIR`` gets the
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

from .._errors import NeardupError
from .._scaleout import add_matching_arguments, matching_arguments


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


def read(input: str, text: str, id: str, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """INPUT → (dataset, the keywords of :func:`neardup.ray.scan` that say how to read it)."""
    import ray.data

    from .. import _core
    from .._api import _DEFAULTS

    if Path(input).is_dir():
        # Read as `neardup scan INPUT` reads it: the same files, names and skips.
        native = dict(_DEFAULTS)
        native.update(options)
        docs, skipped = _core.load_documents([input], native)
        table = pa.table(
            {"id": [d[0] for d in docs], "text": [d[1] for d in docs]},
            schema=pa.schema([("id", pa.string()), ("text", pa.string())]),
        )
        # Read on the driver (the names need the whole walk), then cut into blocks of about
        # 16 MB of text, at least two per CPU, so the map stages run on every core.
        cpus = int(ray.cluster_resources().get("CPU", 1))
        blocks = max(2 * cpus, sum(len(d[1]) for d in docs) // (16 * 2**20))
        size = max(1, -(-table.num_rows // blocks))
        parts = [table.slice(i, size) for i in range(0, table.num_rows, size)] or [table]
        return ray.data.from_arrow(parts), {"text": "text", "id": "id", "skipped": skipped}
    # Workers resolve relative paths in their own directory: hand them absolute ones (the
    # documents keep the name as given).
    where = input if "://" in input else str(Path(input).resolve())
    if input.endswith(".parquet"):
        ds = ray.data.read_parquet(where).select_columns([text, id])
    elif input.endswith((".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson")):
        ds = ray.data.read_json(where, lines=True)
    else:
        raise ValueError(f"{input}: not a directory, a .parquet file or a .jsonl(.gz/.zst) file")
    return ds, {"text": text, "id": id, "source": input}


def main(argv: list[str] | None = None) -> int:
    import ray

    from . import SYSTEM_CONFIG, scan

    args = _parser().parse_args(argv)
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
    except (NeardupError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
