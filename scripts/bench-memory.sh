#!/usr/bin/env bash
# Memory under a single huge log file: one 2 GB (uncompressed) CloudTrail batch, gzip'd, ingested
# by the release binary; prints peak RSS (target: under 150 MB). Not a test: run it by hand.
#
#   scripts/bench-memory.sh [GB]      (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
GB=${1:-2}
OUT=${OUT:-/tmp/kmsaudit-bench-memory}
mkdir -p "$OUT"
swift build -c release --product kmsaudit >/dev/null
BIN=$(swift build -c release --show-bin-path)/kmsaudit
BIG="$OUT/huge-${GB}G.json.gz"
if [ ! -f "$BIG" ]; then
  echo "writing $BIG ..."
  python3 - "$BIG" "$GB" <<'PY'
import gzip, json, sys
target = int(float(sys.argv[2]) * (1 << 30))
template = json.load(gzip.open("Tests/KMSAuditTests/Fixtures/ingest/elastic-integrations.Records.json.gz"))["Records"]
with gzip.open(sys.argv[1], "wb", compresslevel=1) as out:
    out.write(b'{"Records":[')
    written, i = 12, 0
    while written < target:
        r = dict(template[i % len(template)]); r["eventID"] = "huge-%d" % i
        b = (b"," if i else b"") + json.dumps(r, separators=(",", ":")).encode()
        out.write(b); written += len(b); i += 1
    out.write(b"]}")
print("records:", i)
PY
fi
rm -f "$OUT"/m.sqlite*
/usr/bin/time -f "ingest of one ${GB} GB file: %e s, peak RSS %M KB" "$BIN" ingest "$BIG" --db "$OUT/m.sqlite" --quiet
