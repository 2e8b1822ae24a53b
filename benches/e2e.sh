#!/usr/bin/env bash
# End-to-end benchmark of `neardup scan`: wall time and peak RSS on generated corpora.
#
#   benches/e2e.sh [SIZES...]        default sizes: 100000 400000 1600000 paragraphs
#
# For each size it generates a corpus (seed 1, the generator's defaults: paragraphs of 20-80
# words, half English half Arabic, 5% republished with edits, shared footers) into
# $NEARDUP_BENCH_DIR (default /tmp/neardup-bench), then runs
#   neardup scan DIR --format json -o OUT -q
# RUNS times (default 3) under /usr/bin/time -v and prints the median wall time and peak RSS,
# plus throughput. Default parameters: threshold 0.8, 128 permutations, word 3-grams, 16 x 8.
# Results go to benches/README.md by hand, with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 400000 1600000)
runs=${RUNS:-3}
dir=${NEARDUP_BENCH_DIR:-/tmp/neardup-bench}
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
cargo build --release --quiet --bin neardup --example gen_corpus
mkdir -p "$dir"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '| paragraphs | text MB | wall s (median of %s) | peak RSS MB | paragraphs/s | MB/s |\n' "$runs"
printf '|---:|---:|---:|---:|---:|---:|\n'
for n in "${sizes[@]}"; do
  corpus="$dir/corpus-$n"
  if [ ! -f "$corpus/labels.json" ]; then
    target/release/examples/gen_corpus --out "$corpus" --paragraphs "$n" --seed 1 >/dev/null
  fi
  bytes=$(find "$corpus" -name '*.txt' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
  walls=(); rss=()
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -v target/release/neardup scan "$corpus" --format json \
             -o "$dir/report-$n.json" -q; } 2>&1 )
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2,t,":"); s=0; for(i=1;i<=length(t);i++) s=s*60+t[i]; print s}' <<<"$out")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2/1024}' <<<"$out")")
  done
  wall=$(printf '%s\n' "${walls[@]}" | median)
  peak=$(printf '%s\n' "${rss[@]}" | median)
  awk -v n="$n" -v b="$bytes" -v w="$wall" -v r="$peak" 'BEGIN {
    printf "| %d | %.0f | %.2f | %.0f | %.0f | %.1f |\n", n, b/1e6, w, r, n/w, b/1e6/w }'
done
