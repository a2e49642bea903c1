import Foundation
import Testing
@testable import KMSAudit

// Fixtures are real files under Fixtures/reading (see generate.py there); expected values in the
// `*.expected.txt` files were computed by Python's json, gzip and hashlib.

enum ReadingFixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reading")
    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: dir.appendingPathComponent(name))) }
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }
}

/// Python's view of a fixture.
struct ReadingExpected {
    var shape = ""
    var records = 0
    var fileSHA256 = ""
    var contentSHA256 = ""
    var contentBytes: Int64 = 0
    /// nil where the record has no string `eventSource`.
    var eventSources: [String?] = []

    init(_ fixture: String) throws {
        for line in try ReadingFixtures.text(fixture + ".expected.txt").split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "shape": shape = parts[1]
            case "records": records = Int(parts[1]) ?? -1
            case "fileSHA256": fileSHA256 = parts[1]
            case "contentSHA256": contentSHA256 = parts[1]
            case "contentBytes": contentBytes = Int64(parts[1]) ?? -1
            case "eventSource": eventSources.append(parts[1] == "-" ? nil : parts[1])
            default: break
            }
        }
    }
}

/// A record copied out of the callback.
struct ReadRecord: Equatable {
    var index: Int
    var offset: Int64
    var bytes: [UInt8]
    var eventSource: String?

    init(_ r: RecordRef) {
        index = r.index
        offset = r.offset
        bytes = Array(r.bytes)
        eventSource = r.eventSource.map { String(decoding: $0, as: UTF8.self) }
    }
}

func readAll(_ path: String, limits: ReaderLimits = ReaderLimits()) throws -> (FileReadResult, [ReadRecord]) {
    var out: [ReadRecord] = []
    let result = try RecordReader.read(path: path, limits: limits) { out.append(ReadRecord($0)) }
    return (result, out)
}

/// The InputError `body` throws (nil when it throws nothing or something else).
func inputError(_ body: () throws -> Void) -> InputError? {
    do { try body() } catch let e as InputError { return e } catch { return nil }
    return nil
}

/// Feeds `content` to a splitter in chunks of `chunkSize` bytes.
func splitInChunks(_ content: [UInt8], chunkSize: Int, limits: ReaderLimits = ReaderLimits()) throws -> (JSONSplitter, [ReadRecord]) {
    let s = JSONSplitter(file: "mem", limits: limits)
    var out: [ReadRecord] = []
    try content.withUnsafeBytes { all in
        var i = 0
        while i < all.count {
            let n = min(chunkSize, all.count - i)
            try s.feed(UnsafeRawBufferPointer(rebasing: all[i..<(i + n)])) { out.append(ReadRecord($0)) }
            i += n
        }
    }
    try s.finish()
    return (s, out)
}

func fileSize(_ path: String) -> Int64 {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? -1
}

@Suite("Reading: real files")
struct ReadingRealFileTests {
    /// Checks a fixture against Python's expectations, and each record's bytes against the content.
    func checkAgainstPython(_ name: String, shape: ContentShape, gzip: Bool) throws -> [ReadRecord] {
        let path = ReadingFixtures.path(name)
        let exp = try ReadingExpected(name)
        let (result, records) = try readAll(path)
        #expect(result.shape == shape)
        #expect(result.shape.rawValue == exp.shape)
        #expect(result.records == exp.records)
        #expect(records.count == exp.records)
        #expect(result.gzip == gzip)
        #expect(result.fileBytes == fileSize(path))
        #expect(result.contentBytes == exp.contentBytes)
        #expect(result.fileSHA256 == exp.fileSHA256)
        #expect(result.contentSHA256 == exp.contentSHA256)
        #expect(records.map(\.eventSource) == exp.eventSources)
        #expect(records.map(\.index) == Array(0..<records.count))
        return records
    }

    /// Each record's bytes are the exact slice of the content at its offset, and an object.
    func checkSlices(_ name: String, _ records: [ReadRecord]) throws {
        let content = try RecordReader.readWhole(path: ReadingFixtures.path(name), maxBytes: 64 << 20).content
        let bomLength = try ReadingFixtures.bytes(name).starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var last: Int64 = -1
        for r in records {
            #expect(r.offset > last)
            last = r.offset
            let start = Int(r.offset) - bomLength
            #expect(start >= 0 && start + r.bytes.count <= content.count)
            guard start >= 0 && start + r.bytes.count <= content.count else { continue }
            #expect(Array(content[start..<(start + r.bytes.count)]) == r.bytes)
            #expect(r.bytes.first == UInt8(ascii: "{") && r.bytes.last == UInt8(ascii: "}"))
        }
    }

    @Test func realCloudTrailBatchesMatchPython() throws {
        for name in ["kms-developer-guide.json.gz", "panther-analysis.json.gz"] {
            let records = try checkAgainstPython(name, shape: .cloudTrailBatch, gzip: true)
            try checkSlices(name, records)
            // Each record parses on its own, and the tape finds the same eventSource.
            for r in records {
                let tape = try JSONTape(parsing: r.bytes)
                #expect(tape.root["eventSource"]?.string == r.eventSource)
            }
        }
    }

    @Test func multiMemberGzipIsReadWhole() throws {
        let records = try checkAgainstPython("multi-member.json.gz", shape: .cloudTrailBatch, gzip: true)
        #expect(records.count == 150)
        try checkSlices("multi-member.json.gz", records)
    }

    @Test func documentSplitAcrossMembersWithZeroPadding() throws {
        let records = try checkAgainstPython("split-members.json.gz", shape: .cloudTrailBatch, gzip: true)
        try checkSlices("split-members.json.gz", records)
    }

    @Test func plainJSON() throws {
        let records = try checkAgainstPython("elastic-integrations.json", shape: .cloudTrailBatch, gzip: false)
        try checkSlices("elastic-integrations.json", records)
        let (result, _) = try readAll(ReadingFixtures.path("elastic-integrations.json"))
        #expect(result.fileSHA256 == result.contentSHA256)
        #expect(result.fileBytes == result.contentBytes)
    }

    @Test func ndjsonAndConcatenatedObjects() throws {
        let records = try checkAgainstPython("elastic.ndjson", shape: .ndjson, gzip: false)
        try checkSlices("elastic.ndjson", records)
        // Each line is one record, exactly.
        let lines = try ReadingFixtures.bytes("elastic.ndjson").split(separator: UInt8(ascii: "\n")).map(Array.init)
        #expect(records.map(\.bytes) == lines)
        let cat = try checkAgainstPython("concatenated.json", shape: .ndjson, gzip: false)
        try checkSlices("concatenated.json", cat)
    }

    @Test func topLevelArrayOfRecords() throws {
        let records = try checkAgainstPython("record-array.json", shape: .recordArray, gzip: false)
        try checkSlices("record-array.json", records)
    }

    @Test func singleRecordObject() throws {
        let records = try checkAgainstPython("test-disable-key-json.log", shape: .singleRecord, gzip: false)
        let file = try ReadingFixtures.bytes("test-disable-key-json.log")
        #expect(records.first?.offset == 0)
        #expect(records.first?.bytes == Array(file.prefix { $0 != UInt8(ascii: "\n") }))
    }

    @Test func leadingBOMIsSkipped() throws {
        let records = try checkAgainstPython("bom-single-record.json", shape: .singleRecord, gzip: false)
        #expect(records.first?.offset == 3)
        let plain = try readAll(ReadingFixtures.path("test-disable-key-json.log")).1
        #expect(records.first?.bytes == plain.first?.bytes)
        let whole = try RecordReader.readWhole(path: ReadingFixtures.path("bom-single-record.json"), maxBytes: 1 << 20)
        #expect(Array(whole.content) == Array(try ReadingFixtures.bytes("bom-single-record.json").dropFirst(3)))
    }

    @Test func lookupEventsPayloadsAreDecoded() throws {
        let records = try checkAgainstPython("lookup-events.json", shape: .lookupEvents, gzip: false)
        let decoded = try ReadingFixtures.bytes("lookup-events.decoded.txt").split(separator: UInt8(ascii: "\n")).map(Array.init)
        #expect(records.map(\.bytes) == decoded)
        // The offset is where the CloudTrailEvent string's contents begin in the file.
        let file = try ReadingFixtures.bytes("lookup-events.json")
        for r in records {
            let o = Int(r.offset)
            #expect(Array(file[(o - 20)..<o]) == Array(#""CloudTrailEvent": ""#.utf8))
        }
    }

    @Test func recordsLargerThanTheReadChunks() throws {
        let records = try checkAgainstPython("straddle.json.gz", shape: .cloudTrailBatch, gzip: true)
        try checkSlices("straddle.json.gz", records)
        #expect(records.allSatisfy { $0.bytes.count > 1 << 20 || $0.index == 2 })
        // The padding (multi-byte UTF-8, \u escapes with surrogate pairs, \" \\ \n) decodes intact.
        let unit = Array("aé€😀\"\\\n\u{1}/".unicodeScalars)
        for (i, n) in [1_500_000, 2_300_001, 700_003].enumerated() {
            let tape = try JSONTape(parsing: records[i].bytes)
            #expect(tape.root["eventID"]?.string == "straddle-\(i)")
            var expected = String.UnicodeScalarView()
            for k in 0..<n { expected.append(unit[k % unit.count]) }
            #expect(tape.root["padding"]?.string == String(expected))
        }
    }

    @Test func emptyRecordsArrayIsValid() throws {
        let (result, records) = try readAll(ReadingFixtures.path("records-empty.json"))
        #expect(records.isEmpty)
        #expect(result.records == 0)
        #expect(result.shape == .cloudTrailBatch)
    }

    @Test func readWholeInflatesAndBounds() throws {
        let exp = try ReadingExpected("kms-developer-guide.json.gz")
        let w = try RecordReader.readWhole(path: ReadingFixtures.path("kms-developer-guide.json.gz"), maxBytes: 1 << 20)
        #expect(w.gzip)
        #expect(Int64(w.content.count) == exp.contentBytes)
        #expect(w.fileSHA256 == exp.fileSHA256)
        #expect(w.contentSHA256 == exp.contentSHA256)
        #expect(w.content.starts(with: Array(#"{"Records": [{"#.utf8)))
        let tooSmall = inputError { _ = try RecordReader.readWhole(path: ReadingFixtures.path("kms-developer-guide.json.gz"), maxBytes: 70_000) }
        #expect(tooSmall == .inflatedTooLarge(file: ReadingFixtures.path("kms-developer-guide.json.gz"), limit: 70_000))
        let plain = try RecordReader.readWhole(path: ReadingFixtures.path("elastic-integrations.json"), maxBytes: 1 << 20)
        #expect(!plain.gzip)
        #expect(plain.content == (try ReadingFixtures.bytes("elastic-integrations.json")))
        #expect(plain.fileSHA256 == plain.contentSHA256)
    }
}

@Suite("Reading: bad input")
struct ReadingBadInputTests {
    func error(_ name: String, limits: ReaderLimits = ReaderLimits()) -> InputError? {
        inputError { _ = try readAll(ReadingFixtures.path(name), limits: limits) }
    }

    @Test func truncatedGzip() {
        let p = ReadingFixtures.path("truncated.json.gz")
        #expect(error("truncated.json.gz") == .gzip(file: p, compressedOffset: fileSize(p), reason: "truncated"))
    }

    @Test func corruptGzip() {
        let p = ReadingFixtures.path("corrupt.json.gz")
        guard case .gzip(let f, let offset, let reason)? = error("corrupt.json.gz") else {
            Issue.record("expected a gzip error, got \(String(describing: error("corrupt.json.gz")))"); return
        }
        #expect(f == p)
        #expect(offset >= fileSize(p) / 2 && offset <= fileSize(p))   // the damage is in the middle
        #expect(!reason.isEmpty && reason != "truncated")
    }

    /// The gzip trailer (CRC-32 and length of the content) is checked: a flipped CRC byte with
    /// an intact deflate stream is an error, not silently different content.
    @Test func wrongCRCInTheTrailer() throws {
        var bytes = try ReadingFixtures.bytes("multi-member.json.gz")
        let dir = try TestSupport.temporaryDirectory()
        // The last member's CRC-32 is the 8th to 5th byte from the end.
        bytes[bytes.count - 8] ^= 0xFF
        let url = dir.appendingPathComponent("bad-crc.json.gz")
        try Data(bytes).write(to: url)
        let e = inputError { _ = try readAll(url.path, limits: ReaderLimits()) }
        guard case .gzip(_, _, let reason)? = e else { Issue.record("expected a gzip error, got \(String(describing: e))"); return }
        #expect(reason.contains("incorrect data check"))
    }

    @Test func garbageAfterTheLastMemberAndEmptyGzip() {
        guard case .gzip(_, let offset, let reason)? = error("trailing-garbage.json.gz") else {
            Issue.record("expected a gzip error"); return
        }
        #expect(reason == GzipByteSource.notAMember)
        #expect(offset >= 8603 && offset <= 8611)   // in the garbage after the 8603-byte member
        #expect(error("empty-content.json.gz") == .empty(file: ReadingFixtures.path("empty-content.json.gz")))
    }

    @Test func garbageBinaryIsNotJSON() {
        let e = error("garbage.bin")
        #expect(e == .json(file: ReadingFixtures.path("garbage.bin"), offset: 0, reason: "unexpected character 0x0"))
    }

    @Test func plainTextIsNotJSON() {
        #expect(error("not-json.txt") == .json(file: ReadingFixtures.path("not-json.txt"), offset: 0, reason: "unexpected character 'T'"))
    }

    @Test func emptyAndWhitespaceFiles() {
        #expect(error("empty.json") == .empty(file: ReadingFixtures.path("empty.json")))
        #expect(error("whitespace.json") == .empty(file: ReadingFixtures.path("whitespace.json")))
    }

    @Test func unreadable() {
        guard case .unreadable? = error("no-such-file.json") else { Issue.record("expected unreadable"); return }
        guard case .unreadable? = inputError({ _ = try readAll(ReadingFixtures.dir.path) }) else { Issue.record("directory: expected unreadable"); return }
    }

    @Test func recordsNotAnArrayOrNotObjects() throws {
        #expect(error("records-object.json") == .shape(file: ReadingFixtures.path("records-object.json"), reason: "`Records` is not an array"))
        #expect(error("records-number.json") == .shape(file: ReadingFixtures.path("records-number.json"), reason: "Records[0] is not an object"))
        var delivered = 0
        let e = inputError { _ = try RecordReader.read(path: ReadingFixtures.path("records-third-not-object.json"), limits: ReaderLimits()) { _ in delivered += 1 } }
        #expect(e == .shape(file: ReadingFixtures.path("records-third-not-object.json"), reason: "Records[2] is not an object"))
        #expect(delivered == 2)
    }

    @Test func mixedTopLevelShapes() {
        guard case .shape(_, let reason)? = error("mixed-shapes.json") else { Issue.record("expected shape"); return }
        #expect(reason.contains("top-level value 2"))
    }

    @Test func lookupEventsWithoutOrWithBrokenPayload() throws {
        #expect(error("lookup-events-missing.json") == .shape(file: ReadingFixtures.path("lookup-events-missing.json"), reason: "Events[1] has no `CloudTrailEvent` string"))
        let offset = Int64(try ReadingFixtures.text("lookup-events-broken.offset.txt").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        guard case .json(_, let o, let reason)? = error("lookup-events-broken.json") else { Issue.record("expected json"); return }
        #expect(o == offset)
        #expect(reason.hasPrefix("Events[0].CloudTrailEvent: expected a value at byte 39"))
    }

    @Test func invalidUTF8InStrings() throws {
        let offset = Int64(try ReadingFixtures.text("invalid-utf8.offset.txt").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(error("invalid-utf8.json") == .utf8(file: ReadingFixtures.path("invalid-utf8.json"), offset: offset))
        #expect(error("overlong-utf8.json") == .utf8(file: ReadingFixtures.path("overlong-utf8.json"), offset: 18))
        #expect(error("surrogate-utf8.json") == .utf8(file: ReadingFixtures.path("surrogate-utf8.json"), offset: 19))
    }

    @Test func errorsAreTheSameWhateverTheChunking() throws {
        for name in ["invalid-utf8.json", "overlong-utf8.json", "surrogate-utf8.json", "records-number.json", "not-json.txt", "lookup-events-broken.json"] {
            let content = try ReadingFixtures.bytes(name)
            let whole = inputError { _ = try splitInChunks(content, chunkSize: content.count) }
            #expect(whole != nil)
            for size in [1, 2, 3, 5] {
                #expect(inputError { _ = try splitInChunks(content, chunkSize: size) } == whole, "\(name) in \(size)-byte chunks")
            }
        }
    }
}

@Suite("Reading: chunk boundaries")
struct ReadingChunkingTests {
    @Test func sameRecordsWhateverTheChunkSize() throws {
        for name in ["kms-developer-guide.json.gz", "lookup-events.json", "elastic.ndjson", "bom-single-record.json", "record-array.json"] {
            let content = try RecordReader.readWhole(path: ReadingFixtures.path(name), maxBytes: 64 << 20).content
            let raw = try ReadingFixtures.bytes(name)
            let input = raw.starts(with: [0xEF, 0xBB, 0xBF]) ? raw : content   // keep the BOM to test its split
            let (s0, whole) = try splitInChunks(input, chunkSize: input.count)
            #expect(whole.count == (try ReadingExpected(name)).records)
            for size in [1, 2, 3, 7, 64, 4093] {
                let (s, chunked) = try splitInChunks(input, chunkSize: size)
                #expect(chunked == whole, "\(name) in \(size)-byte chunks")
                #expect(s.shape == s0.shape)
            }
        }
    }

    @Test func straddlingRecordsInOddChunks() throws {
        let content = try RecordReader.readWhole(path: ReadingFixtures.path("straddle.json.gz"), maxBytes: 64 << 20).content
        let (_, whole) = try splitInChunks(content, chunkSize: content.count)
        let (_, chunked) = try splitInChunks(content, chunkSize: 65_521)
        #expect(whole.count == 3)
        #expect(chunked == whole)
    }

    @Test func syntaxErrorsWithOffsets() {
        let cases: [(String, Int64, String)] = [
            (#"{"Records":[{"a":1,}]}"#, 19, "expected a string key"),
            (#"{"Records":[{"a" 1}]}"#, 17, "expected ':'"),
            (#"{"Records":[{"a":01}]}"#, 18, "expected ',' or '}'"),
            (#"{"Records":[{"a":-}]}"#, 18, "invalid number"),
            (#"{"Records":[{"a":1.}]}"#, 19, "invalid number"),
            (#"{"Records":[{"a":1e+}]}"#, 20, "invalid number"),
            (#"{"Records":[{"a":tru}]}"#, 20, "invalid literal"),
            (#"{"Records":[{"a":"\x"}]}"#, 19, "invalid escape"),
            (#"{"Records":[{"a":"\u12g4"}]}"#, 22, "invalid \\u escape"),
            (#"{"Records":[{"a":[1,]}]}"#, 20, "expected a value"),
            (#"{"Records":[{"a":[1}]}"#, 19, "expected ',' or ']'"),
            (#"{"Records":[{"a":1}]]"#, 20, "expected ',' or '}'"),
            (#"{"Records":[{"a":1}]},"#, 21, "expected a value"),
            ("{\"Records\":[{\"a\":\"x\ty\"}]}", 19, "control character in string"),
            (#"{"Records":[{"a":1}"#, 19, "unexpected end of input"),
            (#"{"Records":[{"a":"1}]}"#, 22, "unterminated string"),
            ("\u{FEFF}{\"a\":}", 8, "expected a value"),
        ]
        for (text, offset, reason) in cases {
            let e = inputError { _ = try splitInChunks(Array(text.utf8), chunkSize: 1 << 20) }
            #expect(e == .json(file: "mem", offset: offset, reason: reason), "\(text)")
        }
        #expect(inputError { _ = try splitInChunks(Array("42".utf8), chunkSize: 99) } == .shape(file: "mem", reason: "top-level value is not an object or array"))
        #expect(inputError { _ = try splitInChunks([0xEF, 0xBB], chunkSize: 1) } == .json(file: "mem", offset: 0, reason: "unexpected byte 0xEF"))
        #expect(inputError { _ = try splitInChunks([0xEF, 0xBB, 0xBF], chunkSize: 1) } == .empty(file: "mem"))
    }

    @Test func eventSourceOnlyAtTheRecordsTopLevel() throws {
        let text = #"{"Records":[{"x":{"eventSource":"nested"},"eventSource":"kms.amazonaws.com"},{"eventSource":5},{"ev\u0065ntSource":"esc"},{"eventSource":"a","eventSource":"b"}],"eventSource":"top"}"#
        for size in [1, 3, 1000] {
            let (s, recs) = try splitInChunks(Array(text.utf8), chunkSize: size)
            #expect(recs.map(\.eventSource) == ["kms.amazonaws.com", nil, "esc", "b"])
            #expect(s.shape == .cloudTrailBatch)
        }
        // Other top-level members are validated and ignored, wherever they are.
        let (_, recs) = try splitInChunks(Array(#"{"a":{"b":[{"c":{}}]},"Records":[{"eventSource":"x"}],"z":{"d":[{}]}}"#.utf8), chunkSize: 2)
        #expect(recs.map(\.eventSource) == ["x"])
        #expect(inputError { _ = try splitInChunks(Array(#"{"Records":[],"Records":[]}"#.utf8), chunkSize: 5) }
                == .shape(file: "mem", reason: "more than one `Records`/`Events` member"))
    }
}
