#!/usr/bin/env bash
# Builds one libFuzzer target (AddressSanitizer, coverage-guided) and runs it for SECONDS.
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
# TARGET: logreader | digest | policy | config | reportjson | filenames | times. The sanitizer build lives in .build-fuzz (its own
# scratch path, never mixed with the normal .build). Seeds: Fuzz/Corpus/TARGET (committed, small);
# inputs the fuzzer finds go to .build-fuzz/corpus/TARGET, crashes to .build-fuzz/artifacts/.
# A crash exits non-zero and prints the input's path: copy it to the tests' fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh logreader|digest|policy|config|reportjson|filenames|times SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
case "$target" in
  logreader|digest|policy|config|reportjson|filenames|times) ;;
  *) echo "fuzz.sh: unknown target '$target' (logreader, digest, policy, config, reportjson, filenames, times)" >&2; exit 2 ;;
esac
root=$PWD
scratch=$root/.build-fuzz
# The fuzz targets exist in Package.swift only with KMSAUDIT_FUZZ=1.
export KMSAUDIT_FUZZ=1
swift build --scratch-path "$scratch" --product "fuzz-$target" \
  --sanitize=address -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library 2>&1 \
  | grep -v 'ld.gold: warning: Cannot export local symbol' >&2
bin=$(swift build --scratch-path "$scratch" --show-bin-path \
  --sanitize=address -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library)/fuzz-$target
mkdir -p "$scratch/corpus/$target" "$scratch/artifacts" "$scratch/tmp"
export FUZZ_SCRATCH=$scratch/tmp
# The found corpus first (libFuzzer adds new inputs to the first directory), the seeds second.
exec "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 "$@" \
  "$scratch/corpus/$target" "$root/Fuzz/Corpus/$target"
