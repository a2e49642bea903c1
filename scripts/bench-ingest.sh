#!/usr/bin/env bash
# Ingest benchmark: kmsaudit side by side with the peers in ../shared/peers on one generated trail.
#
#   scripts/bench-ingest.sh [EVENTS]        (default 2000000; OUT=dir to choose the scratch folder,
#                                            BIN=path to use a release binary already built)
#
# Builds in release, generates a trail with `kmsaudit sample`, then runs on the same files, one
# after another: the zcat floor, kmsaudit ingest (and again, incremental; and once without hashing),
# kmsaudit check, the Python stdlib peer and the DuckDB peer (2 threads). Prints records/s, wall
# time, peak RSS and the ratios the issues set as targets. Not a test: run it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-2000000}
OUT=${OUT:-/tmp/kmsaudit-bench}
PEERS=${PEERS:-../shared/peers}
SOURCES=kms.amazonaws.com,rds.amazonaws.com,backup.amazonaws.com
mkdir -p "$OUT"

# BIN=path uses a release binary already built (e.g. scripts/install.sh's static one).
if [ -z "${BIN:-}" ]; then
  swift build -c release --product kmsaudit >/dev/null
  BIN=$(swift build -c release --show-bin-path)/kmsaudit
fi
python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb==2.0.0

TRAIL="$OUT/trail-$EVENTS"
if [ ! -f "$TRAIL/expected-findings.json" ]; then
  rm -rf "$TRAIL"
  echo "generating $EVENTS events into $TRAIL ..."
  /usr/bin/time -f "sample: %e s, %M KB peak" "$BIN" sample --out "$TRAIL" --events "$EVENTS" --seed 7 >/dev/null
fi
# The peers' globs expect AWSLogs/ACCOUNT/CloudTrail/...; an organization trail has an o-xxx
# level more. The peers read the same files through a flat view made of hard links; kmsaudit reads
# them where CloudTrail put them (ORIG), because its digests name the files by that S3 key: on the
# flat view every file would be "missing" and "unlisted" (24,000 LOG-002/003 findings that only
# the renaming made, and 0.1 of check's ratio).
ORIG="$TRAIL"
if ls -d "$TRAIL"/AWSLogs/o-* >/dev/null 2>&1; then
  FLAT="$TRAIL-flat"
  if [ ! -d "$FLAT/AWSLogs" ]; then
    mkdir -p "$FLAT/AWSLogs"
    for org in "$TRAIL"/AWSLogs/o-*; do cp -al "$org"/* "$FLAT/AWSLogs/"; done
    for f in expected-findings.json public-keys.json digest-signatures.json; do
      [ -f "$TRAIL/$f" ] && cp "$TRAIL/$f" "$FLAT/" || true
    done
  fi
  TRAIL="$FLAT"
fi
# Records in the trail (one JSON document per file).
RECORDS=$(python3 - "$TRAIL" <<'PY'
import gzip, json, os, sys
n = 0
for d, _, fs in os.walk(os.path.join(sys.argv[1], "AWSLogs")):
    if "/CloudTrail/" not in d + "/":
        continue
    for f in fs:
        if f.endswith(".json.gz"):
            with gzip.open(os.path.join(d, f)) as fh:
                n += len(json.load(fh)["Records"])
print(n)
PY
)
FILES=$(find "$TRAIL/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' | wc -l)
echo "trail: $FILES log files, $RECORDS records, $(du -sh "$TRAIL/AWSLogs" | cut -f1) compressed"

declare -A WALL RSS
measure() {  # name, command...   (ALLOW=N: exit statuses up to N are success, as check's 1)
  local name=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$OUT/time.$name" "$@" >"$OUT/out.$name" 2>"$OUT/err.$name" || status=$?
  if [ "$status" -gt "${ALLOW:-0}" ]; then echo "$name failed (exit $status):"; tail -5 "$OUT/err.$name"; fi
  read -r WALL[$name] RSS[$name] < <(tail -1 "$OUT/time.$name")
  printf "%-28s %8.1f s  %10.0f records/s  %7.0f MB peak RSS\n" "$name" "${WALL[$name]}" \
    "$(echo "$RECORDS / ${WALL[$name]}" | bc -l)" "$(echo "${RSS[$name]} / 1024" | bc -l)"
}

# Warm the page cache once so every contender reads from memory.
find "$TRAIL/AWSLogs" -type f -print0 | xargs -0 cat > /dev/null

echo
measure zcat-floor sh "$PEERS/zcat_floor.sh" "$TRAIL"
rm -f "$OUT"/k.sqlite*
measure kmsaudit-ingest "$BIN" ingest "$ORIG" --db "$OUT/k.sqlite" --quiet --threads 2
measure kmsaudit-ingest-again "$BIN" ingest "$ORIG" --db "$OUT/k.sqlite" --quiet --threads 2
# Exit 1 = findings at or above --fail-on: the sample trail plants critical ones on purpose.
ALLOW=1 measure kmsaudit-check "$BIN" check --db "$OUT/k.sqlite" --fail-on critical
rm -f "$OUT"/n.sqlite*
measure kmsaudit-ingest-nohash "$BIN" ingest "$ORIG" --db "$OUT/n.sqlite" --quiet --threads 2 --no-hashing
rm -f "$OUT"/p.sqlite*
measure python-peer python3 "$PEERS/python_ingest.py" "$TRAIL" --db "$OUT/p.sqlite" --sources "$SOURCES"
rm -f "$OUT"/d.duckdb*
measure duckdb-peer-2threads python3 "$PEERS/duckdb_ingest.py" "$TRAIL" --db "$OUT/d.duckdb" --sources "$SOURCES" --threads 2

echo
echo "kmsaudit: $(cat "$OUT/out.kmsaudit-ingest")"
echo "python:   $(cat "$OUT/out.python-peer")"
echo "duckdb:   $(tail -1 "$OUT/out.duckdb-peer-2threads")"
ratio() { echo "scale=2; $1 / $2" | bc -l; }
K=${WALL[kmsaudit-ingest]}
echo
echo "ratios (targets in brackets):"
echo "  records/s vs Python peer:        $(ratio "${WALL[python-peer]}" "$K")x   [>= 5]"
echo "  records/s vs DuckDB (2 threads): $(ratio "${WALL[duckdb-peer-2threads]}" "$K")x   [>= 1.0]"
echo "  wall vs zcat floor:              $(ratio "$K" "${WALL[zcat-floor]}")x   [<= 2.5]"
echo "  peak RSS:                        $(( ${RSS[kmsaudit-ingest]} / 1024 )) MB   [<= 150]"
echo "  incremental re-run / first run:  $(ratio "${WALL[kmsaudit-ingest-again]}" "$K")   [< 0.05]"
echo "  check (all rules) / ingest:      $(ratio "${WALL[kmsaudit-check]}" "$K")   [<= 0.25]"
echo "  hashing cost (with / without):   $(ratio "$K" "${WALL[kmsaudit-ingest-nohash]}")   [<= 1.15]"
