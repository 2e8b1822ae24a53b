#!/usr/bin/env bash
# Issue-15 dataset benchmarks: scan and dedup of a Parquet and a JSONL.zst dataset, each run
# under /usr/bin/time -v; one TSV row per run (label, wall s, peak RSS KB) to stdout.
#   benches/tools/dataset_bench.sh WORK_DIR      (WORK_DIR/pq/news.parquet, WORK_DIR/jz/news.jsonl.zst
#                                                  from benches/tools/gen_dataset.py)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${NEARDUP:-$repo/target/release/neardup}
work=${1:?usage: dataset_bench.sh WORK_DIR}
runs=${RUNS:-1}
measure() { # label cmd...
  local label=$1; shift
  for r in $(seq 1 "$runs"); do
    /usr/bin/time -v "$@" >"$work/$label.out" 2>"$work/$label.time" || { cat "$work/$label.time" >&2; exit 1; }
    awk -F': ' -v l="$label" '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; w=s}
      /Maximum resident set size/ {m=$2} END {printf "%s\t%s\t%s\n", l, w, m}' "$work/$label.time"
  done
}
for d in pq jz; do
  measure "scan-document-$d" "$bin" scan "$work/$d" --split document --id-field id --format json -o "$work/scan-document-$d.json" -q
  measure "scan-paragraphs-$d" "$bin" scan "$work/$d" --id-field id --format json -o "$work/scan-paragraphs-$d.json" -q
  measure "dedup-document-$d" "$bin" dedup "$work/$d" --out "$work/out-$d" --force --split document --id-field id -q
  rm -rf "$work/out-$d"
done
