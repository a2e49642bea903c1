/// One record of an input file, handed to the caller while the reader streams.
/// `bytes` and `eventSource` are valid only during the callback: copy what you keep.
package struct RecordRef {
    /// 0-based index of the record in its file.
    package let index: Int
    /// Byte offset of the record's first byte in the uncompressed content.
    package let offset: Int64
    /// The record's JSON text exactly as it stands in the file (for `lookup-events` output,
    /// the decoded `CloudTrailEvent` string).
    package let bytes: UnsafeRawBufferPointer
    /// Raw bytes of the record's top-level `eventSource` string value (without quotes,
    /// escapes not decoded), found while splitting so that unwanted records are skipped
    /// without a parse. nil when the record has no such string member.
    package let eventSource: UnsafeRawBufferPointer?

    package init(index: Int, offset: Int64, bytes: UnsafeRawBufferPointer, eventSource: UnsafeRawBufferPointer?) {
        self.index = index; self.offset = offset; self.bytes = bytes; self.eventSource = eventSource
    }
}

/// What a file's content turned out to be.
package enum ContentShape: String, Sendable {
    /// `{"Records": [ ... ]}` as CloudTrail writes to S3.
    case cloudTrailBatch = "cloudtrail"
    /// `aws cloudtrail lookup-events` output: `{"Events": [{"CloudTrailEvent": "<json>"}, ...]}`.
    case lookupEvents = "lookup-events"
    /// One JSON object per line (or several top-level objects one after another).
    case ndjson
    /// A single record object (as in the elastic test files).
    case singleRecord = "record"
    /// A top-level array of records.
    case recordArray = "record-array"
}

/// What reading one file measured.
package struct FileReadResult: Sendable {
    package var shape: ContentShape
    package var records: Int
    package var gzip: Bool
    /// Bytes of the file as stored on disk.
    package var fileBytes: Int64
    /// Bytes after inflating (equal to fileBytes for plain files).
    package var contentBytes: Int64
    /// Lowercase hex SHA-256 of the file's bytes as stored.
    package var fileSHA256: String
    /// Lowercase hex SHA-256 of the uncompressed content (what CloudTrail digests record).
    package var contentSHA256: String

    package init(shape: ContentShape, records: Int, gzip: Bool, fileBytes: Int64, contentBytes: Int64,
                fileSHA256: String, contentSHA256: String) {
        self.shape = shape; self.records = records; self.gzip = gzip; self.fileBytes = fileBytes
        self.contentBytes = contentBytes; self.fileSHA256 = fileSHA256; self.contentSHA256 = contentSHA256
    }
}

/// Streams the records out of one input file: gzip (multi-member) or plain, CloudTrail batch,
/// lookup-events, NDJSON, a single record or an array of records; validating the JSON and UTF-8
/// as it goes, within `ReaderLimits`, never holding the whole content.
package enum RecordReader {
    /// Calls `onRecord` for every record in file order. Throws `InputError` for bad input
    /// (errors thrown by `onRecord` propagate unchanged). A file whose content is broken
    /// anywhere throws, even after some records were delivered: the caller discards them.
    /// A thread reading many files passes its own `buffers` to reuse them (see `ReadBuffers`).
    package static func read(path: String, limits: ReaderLimits,
                            onRecord: (RecordRef) throws -> Void) throws -> FileReadResult {
        try read(path: path, limits: limits, buffers: nil, onRecord: onRecord)
    }

    static func read(path: String, limits: ReaderLimits, buffers: ReadBuffers?,
                     onRecord: (RecordRef) throws -> Void) throws -> FileReadResult {
        let source = try GzipByteSource(path: path, maxContentBytes: limits.maxInflatedBytes, hashing: limits.hashing,
                                        buffers: buffers)
        let splitter = JSONSplitter(file: path, limits: limits)
        while let chunk = try source.next() {
            try splitter.feed(chunk, onRecord: onRecord)
        }
        try splitter.finish()
        return FileReadResult(shape: splitter.shape, records: splitter.recordIndex, gzip: source.isGzip,
                              fileBytes: source.fileBytes, contentBytes: source.contentBytes,
                              fileSHA256: source.fileSHA256(), contentSHA256: source.contentSHA256())
    }

    /// Reads a small whole document (policy, inventory, digest file), inflating if gzip, at most
    /// `maxBytes` of content; returns the content bytes (BOM removed) and the hashes.
    /// More content than `maxBytes` throws `InputError.inflatedTooLarge`.
    package static func readWhole(path: String, maxBytes: Int) throws -> (content: [UInt8], fileSHA256: String, contentSHA256: String, gzip: Bool) {
        let source = try GzipByteSource(path: path, maxContentBytes: Int64(max(maxBytes, 0)))
        var content: [UInt8] = []
        while let chunk = try source.next() {
            content.append(contentsOf: chunk)
        }
        if content.count >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF {
            content.removeFirst(3)
        }
        return (content, source.fileSHA256(), source.contentSHA256(), source.isGzip)
    }
}
