#!/usr/bin/env python3
"""Regenerates the Reading fixtures from the real CloudTrail samples (run once; outputs are committed).

Expected values (*.expected.txt) are computed here by Python's json/gzip/hashlib, independently of
the Swift reader under test. Big hostile inputs (50 MB string, deep nesting, gzip bomb) are not
here: the tests write them at run time.
"""
import gzip, hashlib, json, os, random, shutil, sys, zlib

# The folder of the real CloudTrail sample collection (upstream repositories' published samples,
# with `_wrapped/` batches and `elastic-integrations/`): given by the environment, never assumed.
REAL = os.environ.get("KMSAUDIT_REALWORLD") or sys.exit("set KMSAUDIT_REALWORLD to the real-sample collection")
W = REAL + "/_wrapped/"
os.chdir(os.path.dirname(os.path.abspath(__file__)))

def sha(b): return hashlib.sha256(b).hexdigest()

def es_of(rec):
    v = rec.get("eventSource") if isinstance(rec, dict) else None
    return v if isinstance(v, str) else "-"

def expected(name, records, file_bytes, content, shape):
    with open(name + ".expected.txt", "w") as f:
        f.write(f"shape {shape}\nrecords {len(records)}\nfileSHA256 {sha(file_bytes)}\ncontentSHA256 {sha(content)}\n")
        f.write(f"contentBytes {len(content)}\n")
        for r in records: f.write("eventSource " + es_of(r) + "\n")

def gz(data, mtime=0): return gzip.compress(data, 9, mtime=mtime)

# 1. Real wrapped CloudTrail batches, as published.
for src, dst in [("awsdocs-aws-kms-developer-guide", "kms-developer-guide.json.gz"),
                 ("panther-analysis", "panther-analysis.json.gz")]:
    shutil.copyfile(W + src + ".Records.json.gz", dst)
    raw = open(dst, "rb").read(); content = gzip.decompress(raw)
    expected(dst, json.loads(content)["Records"], raw, content, "cloudtrail")

kms = open("kms-developer-guide.json.gz", "rb").read()
pan = open("panther-analysis.json.gz", "rb").read()

# 2. Multi-member: cat a.gz b.gz (two batches one after the other).
mm = kms + pan
open("multi-member.json.gz", "wb").write(mm)
c = gzip.decompress(mm)
expected("multi-member.json.gz", json.loads(gzip.decompress(kms))["Records"] + json.loads(gzip.decompress(pan))["Records"], mm, c, "cloudtrail")

# 3. One document split across 3 members at arbitrary points (inside records), then zero padding.
el = gzip.decompress(open(W + "elastic-integrations.Records.json.gz", "rb").read())
cuts = [0, 1001, len(el) * 2 // 3, len(el)]
sm = b"".join(gz(el[a:b]) for a, b in zip(cuts, cuts[1:])) + b"\0" * 512
open("split-members.json.gz", "wb").write(sm)
expected("split-members.json.gz", json.loads(el)["Records"], sm, el, "cloudtrail")

# 4. The same batch as plain JSON.
open("elastic-integrations.json", "wb").write(el)
expected("elastic-integrations.json", json.loads(el)["Records"], el, el, "cloudtrail")

# 5. NDJSON: the elastic single-record files, one per line.
logs = sorted(f for f in os.listdir(REAL + "/elastic-integrations") if f.endswith(".log"))
lines = [open(REAL + "/elastic-integrations/" + f, "rb").read().strip() for f in logs]
nd = b"\n".join(lines) + b"\n"
open("elastic.ndjson", "wb").write(nd)
expected("elastic.ndjson", [json.loads(l) for l in lines], nd, nd, "ndjson")

# 6. lookup-events output built from real records (AWS CLI prints it with 4-space indent).
recs = json.loads(gzip.decompress(kms))["Records"][:12]
ev = {"Events": [{"EventId": r.get("eventID", "none"), "EventName": r.get("eventName"), "ReadOnly": "false",
                  "EventTime": r.get("eventTime"), "EventSource": r.get("eventSource"),
                  "Resources": [{"ResourceType": "AWS::KMS::Key", "ResourceName": "k"}],
                  "CloudTrailEvent": json.dumps(r, separators=(",", ":"))} for r in recs],
      "NextToken": "eyJOZXh0VG9rZW4iOiBudWxsfQ=="}
le = json.dumps(ev, indent=4).encode()
open("lookup-events.json", "wb").write(le)
expected("lookup-events.json", recs, le, le, "lookup-events")
# the decoded CloudTrailEvent strings, one per line, to compare bytes exactly
open("lookup-events.decoded.txt", "wb").write(b"".join(e["CloudTrailEvent"].encode() + b"\n" for e in ev["Events"]))

# 7. Single record object, and the same with a UTF-8 BOM.
one = open(REAL + "/elastic-integrations/test-disable-key-json.log", "rb").read()
open("test-disable-key-json.log", "wb").write(one)
expected("test-disable-key-json.log", [json.loads(one)], one, one, "record")
bom = b"\xef\xbb\xbf" + one
open("bom-single-record.json", "wb").write(bom)
expected("bom-single-record.json", [json.loads(one)], bom, bom, "record")

# 8. Records larger than the reader's chunks (1 MiB), with multi-byte UTF-8 and escapes that
#    fall on chunk boundaries; gzip keeps the fixture small.
base = json.loads(one)
big = []
for i, n in enumerate([1_500_000, 2_300_001, 700_003]):
    r = dict(base); r["eventID"] = f"straddle-{i}"
    unit = "aé€😀\"\\\n\u0001/"
    r["padding"] = (unit * (n // len(unit) + 1))[:n]
    big.append(r)
content = b'{"Records":[' + b",".join(json.dumps(r, ensure_ascii=(i == 1)).encode() for i, r in enumerate(big)) + b"]}"
raw = gz(content)
open("straddle.json.gz", "wb").write(raw)
expected("straddle.json.gz", big, raw, content, "cloudtrail")

# 9. Bad inputs.
open("truncated.json.gz", "wb").write(kms[: len(kms) // 2])
bad = bytearray(kms)
for i in range(len(bad) // 2, len(bad) // 2 + 16): bad[i] ^= 0x5A
open("corrupt.json.gz", "wb").write(bytes(bad))
rnd = random.Random(1234)
garbage = bytes([0x00, 0x9c]) + bytes(rnd.randrange(256) for _ in range(4094))
open("garbage.bin", "wb").write(garbage)
open("not-json.txt", "wb").write(b"This is not JSON, it is a plain text note.\nSecond line.\n")
open("empty.json", "wb").write(b"")
open("whitespace.json", "wb").write(b" \n\t\r\n  \n")
open("records-empty.json", "wb").write(b'{"Records":[]}')
open("records-object.json", "wb").write(b'{"Records": {}}')
open("records-number.json", "wb").write(b'{"Records":[1]}')
rec0 = json.dumps(recs[0]).encode()
open("records-third-not-object.json", "wb").write(b'{"Records":[' + rec0 + b"," + rec0 + b',"x",' + rec0 + b"]}")
# invalid UTF-8 (0xFF) inside the eventName string of a real record
i = rec0.index(b'"eventName": "') + len(b'"eventName": "') + 3
inv = b'{"Records":[' + rec0[:i] + b"\xff" + rec0[i:] + b"]}"
open("invalid-utf8.json", "wb").write(inv)
open("invalid-utf8.offset.txt", "w").write(str(len(b'{"Records":[') + i) + "\n")
open("overlong-utf8.json", "wb").write(b'{"Records":[{"a":"\xc0\xaf"}]}')
open("surrogate-utf8.json", "wb").write(b'{"Records":[{"a":"x\xed\xa0\x80"}]}')

# 10. Gzip bomb building block: 1 MiB of spaces (valid JSON whitespace, so only the size limit
#     can stop it) deflated and ended with a full flush, so copies of it can be concatenated
#     into one valid deflate stream (the test writes 1024 of them: 1 GiB).
co = zlib.compressobj(9, zlib.DEFLATED, -15)
blk = co.compress(b" " * (1 << 20)) + co.flush(zlib.Z_FULL_FLUSH)
open("spaces-1MiB.fullflush.deflate", "wb").write(blk)
crc = 0
z = b" " * (1 << 20)
for _ in range(1024): crc = zlib.crc32(z, crc)
open("spaces-1GiB.crc32.txt", "w").write("%08x\n" % crc)

# 11. More shapes: a top-level array of records; records concatenated with no separator; a
#     file mixing a record and a batch; lookup-events with a missing or broken payload.
ra = json.dumps([json.loads(l) for l in lines]).encode()
open("record-array.json", "wb").write(ra)
expected("record-array.json", [json.loads(l) for l in lines], ra, ra, "record-array")
cat = b"".join(lines[:3])
open("concatenated.json", "wb").write(cat)
expected("concatenated.json", [json.loads(l) for l in lines[:3]], cat, cat, "ndjson")
open("mixed-shapes.json", "wb").write(lines[0] + b"\n" + b'{"Records":[' + lines[1] + b"]}\n")
r0 = json.dumps(recs[0])
open("lookup-events-missing.json", "w").write(json.dumps({"Events": [{"EventId": "1", "CloudTrailEvent": r0}, {"EventId": "2"}]}, indent=4))
broken = json.dumps({"Events": [{"EventId": "1", "CloudTrailEvent": '{"eventSource":"kms.amazonaws.com","x":}'}]})
open("lookup-events-broken.json", "w").write(broken)
open("lookup-events-broken.offset.txt", "w").write(str(broken.index('{\\"eventSource')) + "\n")

# 12. Gzip edge cases: non-zero garbage after the last member; a gzip of nothing.
open("trailing-garbage.json.gz", "wb").write(kms + b"GARBAGE!")
open("empty-content.json.gz", "wb").write(gz(b""))
