#!/usr/bin/env bash
# Ingest benchmark: kmsaudit side by side with the peers in ../shared/peers on one generated trail.
#
#   scripts/bench-ingest.sh [EVENTS]        (default 2000000; OUT=dir to choose the scratch folder,
#                                            BIN=path to use a release binary already built;
#                                            PEERS_RUN=0 skips the Python and DuckDB peers and the
#                                            no-hashing run, for the 20M growth run; ANALYST=0 skips
#                                            the analyst section, ROUNDS=N its alternating rounds)
#
# Builds in release, generates a trail with `kmsaudit sample`, then runs on the same files, one
# after another: the zcat floor, kmsaudit ingest (a first load: the database does not exist
# before it; and again, incremental; and once without hashing),
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
# Records in the trail (one JSON document per file); RECORDS=N skips the count (minutes at 20M).
[ -n "${RECORDS:-}" ] || RECORDS=$(python3 - "$TRAIL" <<'PY'
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
measure kmsaudit-ingest "$BIN" ingest "$ORIG" --db "$OUT/k.sqlite" --quiet --json
measure kmsaudit-ingest-again "$BIN" ingest "$ORIG" --db "$OUT/k.sqlite" --quiet
# Exit 1 = findings at or above --fail-on: the sample trail plants critical ones on purpose.
ALLOW=1 measure kmsaudit-check "$BIN" check --db "$OUT/k.sqlite" --fail-on critical
if [ "${PEERS_RUN:-1}" = 1 ]; then
rm -f "$OUT"/n.sqlite*
measure kmsaudit-ingest-nohash "$BIN" ingest "$ORIG" --db "$OUT/n.sqlite" --quiet --no-hashing
# The same load into a database that already exists (one file in it): WAL mode, as every
# ingest after the first load.
rm -f "$OUT"/w.sqlite*
"$BIN" ingest "$(find "$ORIG/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' | sort | head -1)" --db "$OUT/w.sqlite" --quiet >/dev/null
measure kmsaudit-ingest-in-place "$BIN" ingest "$ORIG" --db "$OUT/w.sqlite" --quiet --json
WWRITTEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("bytesWritten") or 0)' "$OUT/out.kmsaudit-ingest-in-place")
WDB=$(( $(stat -c %s "$OUT/w.sqlite") + $(stat -c %s "$OUT/w.sqlite-wal" 2>/dev/null || echo 0) ))
rm -f "$OUT"/w.sqlite*
rm -f "$OUT"/p.sqlite*
measure python-peer python3 "$PEERS/python_ingest.py" "$TRAIL" --db "$OUT/p.sqlite" --sources "$SOURCES"
rm -f "$OUT"/d.duckdb*
measure duckdb-peer-2threads python3 "$PEERS/duckdb_ingest.py" "$TRAIL" --db "$OUT/d.duckdb" --sources "$SOURCES" --threads 2
rm -f "$OUT"/n.sqlite* "$OUT"/p.sqlite* "$OUT"/d.duckdb*
else
  WALL[python-peer]=""; WALL[duckdb-peer-2threads]=""; WALL[kmsaudit-ingest-nohash]=""; WWRITTEN=""; WDB=""
  echo "(peers skipped)" > "$OUT/out.python-peer"; echo "(peers skipped)" > "$OUT/out.duckdb-peer-2threads"
fi

echo
echo "kmsaudit: $(python3 - "$OUT/out.kmsaudit-ingest" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{s['filesRead']} files, {s['recordsRead']} records, {s['eventsStored']} events stored, {s['seconds']:.1f} s")
PY
)"
echo "python:   $(cat "$OUT/out.python-peer")"
echo "duckdb:   $(tail -1 "$OUT/out.duckdb-peer-2threads")"
# Bytes the ingest wrote to storage, as its own /proc/self/io counted them (write_bytes minus
# cancelled_write_bytes), against the database it left (the file plus any log not yet cut back).
WRITTEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("bytesWritten") or 0)' "$OUT/out.kmsaudit-ingest")
DBBYTES=$(( $(stat -c %s "$OUT/k.sqlite") + $(stat -c %s "$OUT/k.sqlite-wal" 2>/dev/null || echo 0) ))
echo "kmsaudit wrote $((WRITTEN / 1000000)) MB to storage for a $((DBBYTES / 1000000)) MB database"
ratio() { if [ -n "${1:-}" ] && [ -n "${2:-}" ]; then echo "scale=2; $1 / $2" | bc -l; else echo "n/a"; fi; }  # n/a: a run skipped
K=${WALL[kmsaudit-ingest]}
echo
echo "ratios (targets in brackets):"
echo "  records/s vs Python peer:        $(ratio "${WALL[python-peer]}" "$K")x   [>= 6]"
echo "  records/s vs DuckDB (2 threads): $(ratio "${WALL[duckdb-peer-2threads]}" "$K")x   [>= 1.5]"
echo "  wall vs zcat floor:              $(ratio "$K" "${WALL[zcat-floor]}")x   [<= 1.3]"
echo "  peak RSS:                        $(( ${RSS[kmsaudit-ingest]} / 1024 )) MB   [<= 150]"
echo "  bytes written / database size:   $(ratio "$WRITTEN" "$DBBYTES")   [<= 1.5]"
echo "    (into a database that exists, WAL: $(ratio "$WWRITTEN" "$WDB"), ${WALL[kmsaudit-ingest-in-place]:-n/a} s)"
echo "  incremental re-run / first run:  $(ratio "${WALL[kmsaudit-ingest-again]}" "$K")   [< 0.05]"
echo "  check (all rules) / ingest:      $(ratio "${WALL[kmsaudit-check]}" "$K")   [<= 0.25]"
echo "  hashing cost (with / without):   $(ratio "$K" "${WALL[kmsaudit-ingest-nohash]}")   [<= 1.15]"

[ "${ANALYST:-1}" = 1 ] || exit 0
# The analyst and the nightly job on one database. (1) A query started while ingest writes:
# time to its first row. (2) `audit` of the trail's last day on a database holding the days
# before, alone and while another process sits in a read transaction (an analyst's session or
# a database browser left open), alternating.
echo
echo "analyst and nightly job:"
# KEEP_DB=0 frees the first database's disk before the databases below (the 20M run).
[ "${KEEP_DB:-1}" = 1 ] || rm -f "$OUT"/k.sqlite*
if [ "${FIRSTROW:-1}" = 1 ]; then
rm -f "$OUT"/q.sqlite*
# A first load builds its database under another name and has no readers to let in (FirstLoad):
# the database is made with one file first, and the analyst reads while the rest lands in it.
"$BIN" ingest "$(find "$ORIG/AWSLogs" -path '*/CloudTrail/*' -name '*.json.gz' | sort | head -1)" --db "$OUT/q.sqlite" --quiet >/dev/null
"$BIN" ingest "$ORIG" --db "$OUT/q.sqlite" --quiet >/dev/null 2>&1 &
INGEST=$!
until "$BIN" query --db "$OUT/q.sqlite" "SELECT 1 FROM files WHERE status = 'ok' LIMIT 1" 2>/dev/null | grep -q 1; do sleep 0.5; done
LAT=()
for i in 1 2 3 4 5; do
  sleep 2
  kill -0 $INGEST 2>/dev/null || break
  T0=$(date +%s.%N)
  "$BIN" query --db "$OUT/q.sqlite" "SELECT event_id, event_time, event_name FROM events LIMIT 1" >/dev/null
  LAT+=("$(echo "$(date +%s.%N) - $T0" | bc -l)")
done
wait $INGEST
printf "  query during ingest, first row: %s s   [<= 1]\n" "$(printf '%s\n' "${LAT[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f, max %.2f (%d queries)", a[int((NR+1)/2)], a[NR], NR}')"
rm -f "$OUT"/q.sqlite*
fi

NIGHT="$OUT/nightly-$EVENTS"
LAST=$(find "$ORIG/AWSLogs" -path '*/CloudTrail/*' -type d -regex '.*/[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]' | sed 's|.*/\([0-9]*/[0-9]*/[0-9]*\)$|\1|' | sort -u | tail -1)
# The database of the days before is made by the binary under test (a database left by another
# version would be migrated inside every timed audit).
BINSUM=$(sha256sum "$BIN" | cut -c1-64)
if [ ! -f "$OUT/nightly-before-$EVENTS.sqlite" ] || [ "$(cat "$OUT/nightly-before-$EVENTS.bin" 2>/dev/null)" != "$BINSUM" ]; then
  rm -f "$OUT/nightly-before-$EVENTS.sqlite"*
  rm -rf "$NIGHT" && cp -al "$ORIG" "$NIGHT"
  find "$NIGHT/AWSLogs" -type d -path "*/$LAST" -prune -exec rm -rf {} +
  "$BIN" audit "$NIGHT" --db "$OUT/nightly-before-$EVENTS.sqlite" --report-dir "$OUT/nightly-reports" --fail-on critical >/dev/null 2>&1 || true
  # Back to the full trail: the last day's files are the new ones.
  rm -rf "$NIGHT" && cp -al "$ORIG" "$NIGHT"
  echo "$BINSUM" > "$OUT/nightly-before-$EVENTS.bin"
fi
nightly() {  # name [reader]: audit of the last day on a copy of the database before it
  rm -f "$OUT"/nightly.sqlite*
  cp "$OUT/nightly-before-$EVENTS.sqlite" "$OUT/nightly.sqlite"
  local reader=""
  case "${2:-}" in
    idle) python3 -c 'import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN"); c.execute("SELECT count(*) FROM events").fetchone(); print("reading", flush=True); time.sleep(600)' "$OUT/nightly.sqlite" >"$OUT/reader.out" & reader=$! ;;
    busy) python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("reading", flush=True); c.execute("SELECT count(*) FROM events a JOIN events b ON a.event_name = b.event_name AND a.id < b.id").fetchone()' "$OUT/nightly.sqlite" >"$OUT/reader.out" & reader=$! ;;
  esac
  if [ -n "$reader" ]; then until grep -q reading "$OUT/reader.out" 2>/dev/null; do sleep 0.1; done; sleep 1; fi
  ALLOW=1 measure "$1" "$BIN" audit "$NIGHT" --db "$OUT/nightly.sqlite" --report-dir "$OUT/nightly-reports" --fail-on critical
  [ -z "$reader" ] || { kill $reader; wait $reader 2>/dev/null || true; }
}
for round in $(seq 1 "${ROUNDS:-3}"); do
  nightly "audit-new-day-$round"
  [ "${READERS:-1}" = 0 ] && continue
  nightly "audit-new-day-idle-reader-$round" idle
  nightly "audit-new-day-busy-reader-$round" busy
done
if [ "${READERS:-1}" = 0 ]; then
  echo "  audit of the new day alone: ${WALL[audit-new-day-1]} s; / full ingest: $(ratio "${WALL[audit-new-day-1]}" "$K")"
  exit 0
fi
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
walls() { for round in $(seq 1 "${ROUNDS:-3}"); do echo "${WALL[$1-$round]}"; done; }
A=$(med $(walls audit-new-day))
I=$(med $(walls audit-new-day-idle-reader))
B=$(med $(walls audit-new-day-busy-reader))
echo "  audit of the day $LAST (medians of ${ROUNDS:-3}): alone $A s; beside a reader in a transaction $I s ($(ratio "$I" "$A")x) [<= 1.2];"
echo "    beside a query computing on one of the $(nproc) cores $B s ($(ratio "$B" "$A")x)"
echo "  new day's audit / full ingest:   $(ratio "$A" "$K")   (the nightly re-run)"
