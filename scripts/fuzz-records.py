#!/usr/bin/env python3
"""Structure-aware fuzzer for kmsaudit: real CloudTrail records (the test fixtures) with fields
replaced by values of other types and shapes, at every depth, written as real gzip trail files
and run through the real binary: `ingest`, `check`, and `report` in every format (html, csv,
json). A failure is an exit status other than 0, 1 or 3, a crash (signal), or a SQL statement
or SQLite error on stderr (errors must reach the user as one line naming file and record).

    scripts/fuzz-records.py [--seconds 600] [--seed 1] [--binary .build/debug/kmsaudit]
                            [--out .build-fuzz/records]

Deterministic for a seed. Each failing case is kept under OUT/failures/N/ (the trail file, the
mutations, the command and its stderr); a failure becomes a test with its input as a fixture.
"""
import argparse
import copy
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "KMSAuditTests", "Fixtures")
SQL_LEAK = ("SQLite error", "while executing", "SELECT ", "INSERT ", "UPDATE ", "CREATE ", "json_extract",
            "Fatal error", "fatal error", "AddressSanitizer", "Stack dump", "malformed JSON")


def load_records():
    """Every CloudTrail record in the fixtures (objects with eventName and eventSource)."""
    records = []
    for folder, _, names in os.walk(FIXTURES):
        for name in sorted(names):
            path = os.path.join(folder, name)
            if not (name.endswith(".json") or name.endswith(".json.gz") or name.endswith(".log")):
                continue
            try:
                opener = gzip.open if name.endswith(".gz") else open
                with opener(path, "rt", encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError, EOFError):
                continue
            docs = []
            try:
                docs.append(json.loads(text))
            except ValueError:
                for line in text.splitlines():
                    try:
                        docs.append(json.loads(line))
                    except ValueError:
                        pass
            for doc in docs:
                items = doc.get("Records") if isinstance(doc, dict) and "Records" in doc else doc
                items = items if isinstance(items, list) else [items]
                for r in items:
                    if isinstance(r, dict) and "eventName" in r and "eventSource" in r and "eventID" in r:
                        records.append(r)
    # Deduplicate by content, keep a stable order.
    seen, out = set(), []
    for r in records:
        key = json.dumps(r, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def paths(value, prefix=()):
    """Every path in a JSON value (object keys and array indexes), the root's members included."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out.extend(paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append(prefix + (i,))
            out.extend(paths(v, prefix + (i,)))
    return out


def odd_value(rng, depth=0):
    """A value of some type and shape: scalars, JSON-looking strings, arrays, objects, nesting."""
    choice = rng.randrange(16 if depth < 3 else 10)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 7, 2**31, 2**63 - 1, -2**63, 10**30, 1.5, -0.0, 1e300])
    if choice == 3:
        return rng.choice(["", "x", "null", "[", "{", '{"ARN":"arn:aws:kms:us-east-1:1:alias/x"}', "[1,2]",
                           "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                           "alias/x", "2014-11-04T00:52:27Z", "Dec 3, 2026 12:00:00 AM", "\u0000\u001f\"\\",
                           "=HYPERLINK(\"x\")", "<script>alert(1)</script>", "é" * 50, "'; DROP TABLE events; --",
                           "rds.amazonaws.com", "kms:Decrypt", "*"])
    if choice == 4:
        return "A" * rng.choice([1, 255, 4096, 70000])
    if choice == 5:
        return []
    if choice == 6:
        return {}
    if choice == 7:
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(1, 4))]
    if choice == 8:
        return {rng.choice(["ARN", "arn", "accountId", "type", "x", "", "keyId"]): odd_value(rng, depth + 1)
                for _ in range(rng.randrange(1, 4))}
    if choice == 9:
        return rng.choice(["x", 5, None, [], {}])
    if choice in (10, 11):
        return [{"ARN": "arn:aws:kms:us-east-1:123456789012:alias/x", "accountId": "123456789012"},
                odd_value(rng, depth + 1)]
    if choice == 12:
        v = "deep"
        for _ in range(rng.randrange(2, 40)):
            v = [v] if rng.random() < 0.5 else {"k": v}
        return v
    return [odd_value(rng, depth + 1), odd_value(rng, depth + 1)]


def set_path(value, path, new):
    target = value
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = new


def mutate(record, rng):
    """1-3 replacements at random paths (of any depth); sometimes an odd element in an array."""
    r = copy.deepcopy(record)
    notes = []
    for _ in range(rng.randrange(1, 4)):
        all_paths = paths(r)
        # Favour the fields SQL reads.
        favoured = [p for p in all_paths if p and p[0] in ("requestParameters", "responseElements", "resources",
                                                           "additionalEventData", "userIdentity")]
        pool = favoured if favoured and rng.random() < 0.7 else all_paths
        if not pool:
            break
        path = rng.choice(pool)
        if path in (("eventID",), ("eventTime",), ("eventSource",), ("eventName",)) and rng.random() < 0.8:
            continue  # mostly keep the record storable
        new = odd_value(rng)
        set_path(r, path, new)
        notes.append({"path": list(path), "value": new})
    if rng.random() < 0.3:
        arrays = [p for p in paths(r) if isinstance(get_path(r, p), list)]
        if arrays:
            p = rng.choice(arrays)
            get_path(r, p).append(odd_value(rng))
            notes.append({"path": list(p), "appended": True})
    r["eventID"] = r.get("eventID") if not isinstance(r.get("eventID"), str) else "%s-%d" % (r["eventID"], rng.randrange(10**9))
    return r, notes


def get_path(value, path):
    for p in path:
        value = value[p]
    return value


def trail_file(base, index, records, account="123456789012", region="us-east-1"):
    folder = os.path.join(base, "AWSLogs", account, "CloudTrail", region, "2024", "01", "01")
    os.makedirs(folder, exist_ok=True)
    name = "%s_CloudTrail_%s_20240101T%02d%02dZ_fuzz%04d.json.gz" % (account, region, index // 60 % 24, index % 60, index)
    path = os.path.join(folder, name)
    body = json.dumps({"Records": records}, ensure_ascii=bool(index % 2)).encode("utf-8")
    with gzip.open(path, "wb") as f:
        f.write(body)
    return path


def run(cmd, timeout=300):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return p.returncode, p.stderr.decode("utf-8", "replace"), p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


INGEST_LINE = re.compile(r"(\d+) events stored, .* (\d+) records rejected")


def failure_of(status, stderr):
    if status == "timeout":
        return "timed out"
    if status < 0:
        return "killed by signal %d" % -status
    if status not in (0, 1, 3):
        return "exit %d" % status
    for leak in SQL_LEAK:
        if leak in stderr:
            return "stderr shows %r" % leak
    if len([l for l in stderr.splitlines() if l.strip()]) > 40:
        return "stderr of %d lines" % len(stderr.splitlines())
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--iterations", type=int, default=0, help="stop after N cases (0: by time)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "kmsaudit"))
    ap.add_argument("--out", default=os.path.join(ROOT, ".build-fuzz", "records"))
    ap.add_argument("--records", type=int, default=6, help="mutated records per file")
    args = ap.parse_args()

    pool = load_records()
    if not pool:
        sys.exit("fuzz-records: no fixture records found under " + FIXTURES)
    rng = random.Random(args.seed)
    work = os.path.join(args.out, "work")
    failures_dir = os.path.join(args.out, "failures")
    os.makedirs(failures_dir, exist_ok=True)
    started = time.time()
    cases = commands = failures = stored = rejected = 0
    statuses = {}
    while True:
        if args.iterations and cases >= args.iterations:
            break
        if not args.iterations and time.time() - started >= args.seconds:
            break
        shutil.rmtree(work, ignore_errors=True)
        trail = os.path.join(work, "trail")
        db = os.path.join(work, "audit.sqlite")
        picked = [rng.choice(pool) for _ in range(args.records)]
        mutated, notes = [], []
        for r in picked:
            m, n = mutate(r, rng)
            mutated.append(m)
            notes.append(n)
        # A clean file beside the mutated one: the odd records must not cost the others.
        clean = [copy.deepcopy(rng.choice(pool)) for _ in range(3)]
        trail_file(trail, 2 * cases, clean)
        path = trail_file(trail, 2 * cases + 1, mutated)
        steps = [[args.binary, "ingest", "--db", db, trail],
                 [args.binary, "check", "--db", db],
                 [args.binary, "ingest", "--db", db, trail],  # again: the incremental path and its refresh
                 [args.binary, "check", "--db", db]]
        for fmt in ("html", "csv", "json"):
            steps.append([args.binary, "report", "--db", db, "--format", fmt, "--out", os.path.join(work, "report-" + fmt)])
        for cmd in steps:
            status, stderr, stdout = run(cmd)
            commands += 1
            m = INGEST_LINE.search(stdout + stderr) if cmd[1] == "ingest" and cmd is steps[0] else None
            if m:
                stored += int(m.group(1))
                rejected += int(m.group(2))
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            why = failure_of(status, stderr)
            if why:
                failures += 1
                keep = os.path.join(failures_dir, "%d-%d" % (args.seed, cases))
                shutil.rmtree(keep, ignore_errors=True)
                os.makedirs(keep)
                shutil.copy(path, keep)
                with open(os.path.join(keep, "case.json"), "w") as f:
                    json.dump({"why": why, "command": cmd[1:], "status": status, "stderr": stderr[-4000:],
                               "mutations": notes}, f, indent=1, default=str)
                print("FAIL case %d (%s): kmsaudit %s -> kept in %s" % (cases, why, " ".join(cmd[1:2]), keep),
                      flush=True)
                break
        cases += 1
        if cases % 25 == 0:
            print("%d cases, %d commands, %d failures, %.0f s" % (cases, commands, failures, time.time() - started),
                  flush=True)
    elapsed = time.time() - started
    print("fuzz-records: seed %d, %d cases (%d records each), %d commands in %.0f s (%.2f cases/s); "
          "exit statuses %s; %d events stored, %d records rejected; %d failures; %d fixture records in the pool"
          % (args.seed, cases, args.records, commands, elapsed, cases / max(elapsed, 1e-9),
             json.dumps(statuses, sort_keys=True), stored, rejected, failures, len(pool)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
