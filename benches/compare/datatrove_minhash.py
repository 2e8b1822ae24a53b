#!/usr/bin/env python3
"""datatrove's four-stage MinHash pipeline on one JSONL file, timed stage by stage.

    datatrove_minhash.py INPUT.jsonl WORK_DIR [--workers 2]

Threshold-free LSH at 16 buckets x 8 hashes (the 0.8 threshold of neardup's defaults), word
3-grams, 64-bit hashes; signatures -> buckets -> clusters -> filter (the kept records are
written under WORK_DIR/deduped). Run it from a throwaway virtual environment with
`datatrove[processing]==0.10.1`: it is a measurement script, no part of neardup.
The last stdout line is one JSON object with the stage times and the counts.
"""
import json
import os
import sys
import time

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.hashing import HashConfig


def main(argv):
    src, work = argv[0], argv[1]
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 2
    config = MinhashConfig(
        hash_config=HashConfig(precision=64),
        num_buckets=16,
        hashes_per_bucket=8,
        n_grams=3,
    )
    reader = JsonlReader(os.path.dirname(src), glob_pattern=os.path.basename(src), text_key="text", id_key="id")
    times = {}

    def run(name, pipeline, tasks):
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks),
                              logging_dir=f"{work}/logs/{name}").run()
        times[name] = round(time.perf_counter() - t, 2)
        print(f"{name}: {times[name]} s", file=sys.stderr)

    run("signatures", [reader, MinhashDedupSignature(output_folder=f"{work}/sigs", config=config)], 1)
    run("buckets", [MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets",
                                        config=config)], config.num_buckets)
    run("cluster", [MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove_ids",
                                        config=config)], 1)
    run("filter", [reader, MinhashDedupFilter(input_folder=f"{work}/remove_ids",
                                              exclusion_writer=JsonlWriter(f"{work}/removed")),
                   JsonlWriter(f"{work}/deduped")], 1)
    times["total"] = round(sum(times.values()), 2)
    print(json.dumps(times))


if __name__ == "__main__":
    main(sys.argv[1:])
