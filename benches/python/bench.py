#!/usr/bin/env python3
"""neardup from Python against rensa 0.5.0, on a corpus written by benches/tools/gen_corpus.rs.

One tool per process, so that peak memory (`/usr/bin/time -v`) is that tool's alone:

  neardup-scan        neardup.scan_texts(list_of_paragraphs): normalise, sketch, LSH,
                      verify, cluster, report (each paragraph one document)
  neardup-signatures  neardup.MinHasher().signatures(list_of_paragraphs)
  rensa-signatures    compare.py's tokeniser (pure Python) + RMinHash.from_token_sets
  (rensa's whole pipeline is `benches/compare/compare.py --lib rensa DIR`)

Paragraphs are read as compare.py reads them (every non-empty line, stripped, sorted files),
and reading is not timed. The last stdout line is one JSON object.

Usage: python bench.py --tool TOOL DIR
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compare"))
from compare import NUM_PERM, SEED, read_corpus, shingles  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", required=True, choices=["neardup-scan", "neardup-signatures", "rensa-signatures"])
    ap.add_argument("corpus")
    args = ap.parse_args()
    paragraphs = read_corpus(args.corpus)
    result = {"tool": args.tool, "paragraphs": len(paragraphs)}
    start = time.perf_counter()
    if args.tool == "neardup-scan":
        import neardup

        report = neardup.scan_texts(paragraphs)
        result["clusters"] = report.stats["clusters"]
        result["paragraphs_in_clusters"] = report.stats["paragraphs_in_clusters"]
    elif args.tool == "neardup-signatures":
        import neardup

        sigs = neardup.MinHasher(num_perm=NUM_PERM).signatures(paragraphs)
        result["shape"] = list(sigs.shape)
    else:
        from rensa import RMinHash

        tokens = [t for t in (shingles(p) for p in paragraphs) if t]
        mhs = RMinHash.from_token_sets(tokens, num_perm=NUM_PERM, seed=SEED)
        result["signatures"] = len(mhs)
    seconds = time.perf_counter() - start
    result["seconds"] = round(seconds, 3)
    result["paragraphs_per_second"] = round(len(paragraphs) / seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
