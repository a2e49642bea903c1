import Foundation
import Testing
@testable import KMSAudit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hostile inputs too big to commit: written to a temp dir at run time, streaming.
/// Serialized: they write tens of MB of temp files each.
@Suite("Reading: limits on hostile input", .serialized)
struct ReadingLimitsTests {
    static func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kmsaudit-reading-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// Writes `head`, then `repeatCount` copies of `unit`, then `tail`, without building it in memory.
    static func writeFile(_ path: String, head: [UInt8], unit: [UInt8], repeatCount: Int, tail: [UInt8]) throws {
        guard let f = fopen(path, "wb") else { throw InputError.unreadable(file: path, reason: "cannot create") }
        defer { fclose(f) }
        _ = head.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        // Group small units into ~1 MiB writes.
        let perWrite = max(1, (1 << 20) / max(unit.count, 1))
        let block = Array([[UInt8]](repeating: unit, count: min(perWrite, max(repeatCount, 1))).joined())
        var left = repeatCount
        while left > 0 {
            let n = min(left, perWrite)
            _ = block.withUnsafeBytes { fwrite($0.baseAddress, 1, n * unit.count, f) }
            left -= n
        }
        _ = tail.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    }

    @Test func fiftyMegabyteStringIsRejectedEarly() throws {
        let path = Self.tempPath("big-string.json")
        defer { unlink(path) }
        let head = Array(#"{"Records":[{"eventSource":"kms.amazonaws.com","big":""#.utf8)
        try Self.writeFile(path, head: head, unit: Array(repeating: UInt8(ascii: "a"), count: 1 << 20), repeatCount: 50, tail: Array(#""}]}"#.utf8))
        let limits = ReaderLimits()
        // Stops once the record passes the limit, not at the end of the 50 MB.
        let source = try GzipByteSource(path: path, maxContentBytes: limits.maxInflatedBytes)
        let splitter = JSONSplitter(file: path, limits: limits)
        let e = inputError {
            while let chunk = try source.next() { try splitter.feed(chunk) { _ in } }
            try splitter.finish()
        }
        #expect(e == .recordTooLarge(file: path, record: 0, offset: 12, limit: 16 << 20))
        #expect(source.contentBytes <= (16 << 20) + (2 << 20))
        #expect(splitter.recCap <= 16 << 20)   // the only buffer that grows with the record
        // Through the public API, the same error.
        #expect(inputError { _ = try readAll(path) } == .recordTooLarge(file: path, record: 0, offset: 12, limit: 16 << 20))
    }

    @Test func oversizedSingleRecordObject() throws {
        let path = Self.tempPath("big-single.json")
        defer { unlink(path) }
        try Self.writeFile(path, head: Array(#"{"eventSource":"kms.amazonaws.com","big":""#.utf8),
                           unit: Array(repeating: UInt8(ascii: "b"), count: 1 << 20), repeatCount: 20, tail: Array(#""}"#.utf8))
        let splitter = JSONSplitter(file: path, limits: ReaderLimits())
        let source = try GzipByteSource(path: path, maxContentBytes: 1 << 30)
        let e = inputError {
            while let chunk = try source.next() { try splitter.feed(chunk) { _ in } }
            try splitter.finish()
        }
        #expect(e == .recordTooLarge(file: path, record: 0, offset: 0, limit: 16 << 20))
        // It might still have been a batch (a later `Records` key), so it read on, but stopped buffering.
        #expect(splitter.recCap <= 16 << 20)
        #expect(inputError { _ = try readAll(path) } == .recordTooLarge(file: path, record: 0, offset: 0, limit: 16 << 20))
        // With a limit that fits, it is one record carrying its eventSource.
        let (result, records) = try readAll(path, limits: ReaderLimits(maxRecordBytes: 32 << 20))
        #expect(result.shape == .singleRecord)
        #expect(records.count == 1 && records.first?.eventSource == "kms.amazonaws.com")
        #expect(records.first?.bytes.count == Int(fileSize(path)))
    }

    @Test func deepNestingIsRejectedWithoutRecursion() throws {
        let path = Self.tempPath("deep.json")
        defer { unlink(path) }
        try Self.writeFile(path, head: Array(#"{"a":"#.utf8), unit: [UInt8(ascii: "[")], repeatCount: 100_000, tail: Array(repeating: UInt8(ascii: "]"), count: 100_000) + [UInt8(ascii: "}")])
        // The object is depth 1, so the 256th '[' (at 5 + 255) is one too many.
        #expect(inputError { _ = try readAll(path) } == .tooDeep(file: path, offset: 5 + 255, limit: 256))
        let objects = Self.tempPath("deep-objects.json")
        defer { unlink(objects) }
        try Self.writeFile(objects, head: Array(#"{"Records":["#.utf8), unit: Array(#"{"a":"#.utf8), repeatCount: 100_000, tail: Array(repeating: UInt8(ascii: "}"), count: 100_000) + Array("]}".utf8))
        // Depth counts from the document: 2 containers, then one per {"a": (5 bytes).
        #expect(inputError { _ = try readAll(objects) } == .tooDeep(file: objects, offset: 12 + 254 * 5, limit: 256))
        #expect(inputError { _ = try readAll(objects, limits: ReaderLimits(maxDepth: 10)) } == .tooDeep(file: objects, offset: 12 + 8 * 5, limit: 10))
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        // A valid gzip of 1 GiB of spaces (JSON whitespace, so only the size limit stops it):
        // header, 1024 copies of a full-flushed deflate block of 1 MiB of spaces, an empty final block, CRC-32 and size (computed by generate.py).
        let block = try ReadingFixtures.bytes("spaces-1MiB.fullflush.deflate")
        let crcText = try ReadingFixtures.text("spaces-1GiB.crc32.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let crc = UInt32(crcText, radix: 16) ?? 0
        let path = Self.tempPath("bomb.json.gz")
        defer { unlink(path) }
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        let size: UInt32 = 1 << 30
        let trailer: [UInt8] = [0x03, 0x00] + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) } + (0..<4).map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
        try Self.writeFile(path, head: header, unit: block, repeatCount: 1024, tail: trailer)
        #expect(fileSize(path) < 2 << 20)

        let limit: Int64 = 64 << 20
        #expect(inputError { _ = try readAll(path, limits: ReaderLimits(maxInflatedBytes: limit)) } == .inflatedTooLarge(file: path, limit: limit))
        // It stopped while inflating, one output buffer past the limit at most.
        let source = try GzipByteSource(path: path, maxContentBytes: limit)
        let e = inputError { while try source.next() != nil {} }
        #expect(e == .inflatedTooLarge(file: path, limit: limit))
        #expect(source.contentBytes <= limit + (1 << 20))
        // Below the limit the same stream inflates fine (first 8 MiB, via readWhole's bound).
        #expect(inputError { _ = try RecordReader.readWhole(path: path, maxBytes: 8 << 20) } == .inflatedTooLarge(file: path, limit: 8 << 20))
        // Through ingest, beside a good file: the bomb fails whole, nothing of it stored, the good file lands.
        let ingested = try BadInputTests().ingestBeside("bomb.json.gz", limits: ReaderLimits(maxInflatedBytes: limit)) { url in
            try FileManager.default.copyItem(atPath: path, toPath: url.path)
        }
        try BadInputTests().expectFailed(ingested, kind: "inflated-too-large")
    }
}
