#!/usr/bin/env bash
# Runs compare.py for each library and `neardup scan` under /usr/bin/time -v,
# sequentially, and appends one TSV row per run to $OUT.
#   [TOOLS="rensa gaoya ..."] benches/compare/run.sh CORPUS_DIR [RUNS] [DATASKETCH_RUNS]
# Needs PY (default /tmp/venv-cmp/bin/python) with rensa, datasketch, gaoya installed,
# and target/release/neardup built (cargo build --release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
corpus=${1:?usage: run.sh CORPUS_DIR [RUNS] [DATASKETCH_RUNS]}
runs=${2:-3}
ds_runs=${3:-1}
PY=${PY:-/tmp/venv-cmp/bin/python}
OUT=${OUT:-/tmp/cmp-results.tsv}
logs=${LOGS:-/tmp/cmp-logs}
mkdir -p "$logs"
[ -f "$OUT" ] || printf 'tool\trun\twall_s\tmax_rss_kb\tresult_json\n' >"$OUT"

wall_of() { # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:23.45" -> seconds
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"
}
rss_of() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

measure() { # tool run cmd...
  local tool=$1 run=$2; shift 2
  local t="$logs/$tool.$run.time" o="$logs/$tool.$run.out"
  /usr/bin/time -v "$@" >"$o" 2>"$t"
  local res
  res=$(tail -n 1 "$o")
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$run" "$(wall_of "$t")" "$(rss_of "$t")" "$res" >>"$OUT"
  echo "$tool run $run: $(wall_of "$t") s, $(rss_of "$t") KB" >&2
}

# TOOLS: which to run, in this order (default: all). datasketch gets DATASKETCH_RUNS runs.
TOOLS=${TOOLS:-"neardup neardup-estimate rensa rensa-flags gaoya datasketch rensa+exact gaoya+exact datasketch+exact"}
for tool in $TOOLS; do
  n=$runs
  case $tool in datasketch*) n=$ds_runs ;; esac
  for r in $(seq 1 "$n"); do
    case $tool in
      neardup)
        measure "$tool" "$r" "$repo/target/release/neardup" scan "$corpus" --format json -o /tmp/cmp-neardup.json -q
        cp /tmp/cmp-neardup.json "$logs/neardup.$r.json" ;;
      neardup-estimate)
        measure "$tool" "$r" "$repo/target/release/neardup" scan "$corpus" --verify estimate --format json -o /tmp/cmp-neardup-estimate.json -q
        cp /tmp/cmp-neardup-estimate.json "$logs/neardup-estimate.$r.json" ;;
      *+exact)
        measure "$tool" "$r" "$PY" "$here/compare.py" --lib "${tool%+exact}" --exact-first "$corpus" ;;
      *)
        measure "$tool" "$r" "$PY" "$here/compare.py" --lib "$tool" "$corpus" ;;
    esac
  done
done
