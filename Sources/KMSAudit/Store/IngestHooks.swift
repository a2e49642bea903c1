import GRDB

/// What ingest hands on to the stages after it, by name, so that ingest calls none of them:
/// the stages register their steps where the command wires them (`IngestHooks.standard`,
/// Audit/StageWiring.swift). Every step runs in ingest's own transactions, on the writer thread
/// (decoding a digest excepted), exactly where ingest called the stage's code before.
package struct IngestHooks: Sendable {
    /// CloudTrail digest files, which ingest reads whole: decoded on a decoding thread, stored in
    /// the file's transaction. Without it digest files are checked as JSON and ledgered only.
    package var digestFiles: IngestFileStep?
    /// After every file is stored, when at least one was read, in this order, in the run's
    /// transaction.
    package var afterIngest: [PostIngestStep]

    package init(digestFiles: IngestFileStep?, afterIngest: [PostIngestStep]) {
        self.digestFiles = digestFiles
        self.afterIngest = afterIngest
    }
}

/// A named step after ingest (e.g. "key-resolutions": the State stage's alias resolutions
/// written onto the events that were just stored).
package struct PostIngestStep: Sendable {
    package let name: String
    package let run: @Sendable (Database) throws -> Void

    package init(name: String, run: @escaping @Sendable (Database) throws -> Void) {
        self.name = name
        self.run = run
    }
}

/// A named step that takes over a kind of input file from ingest (e.g. "digests": Integrity's
/// parser and tables for CloudTrail digest files).
package struct IngestFileStep: Sendable {
    /// What `decode` made of a file, written into the database for the file's `files` row id and
    /// the hex SHA-256 of its uncompressed content.
    package typealias Store = @Sendable (_ db: Database, _ fileID: Int64, _ contentSHA256: String) throws -> Void

    package let name: String
    /// On a decoding thread: the file's uncompressed content (well-formed JSON within the reader's
    /// limits) and S3 object key into what to store. Throws `InputError` naming the file and reason.
    package let decode: @Sendable (_ content: [UInt8], _ path: String, _ objectKey: String?) throws -> Store
    /// Drops what an earlier read of the file stored (before it is read again).
    package let forget: @Sendable (_ db: Database, _ fileID: Int64) throws -> Void

    package init(name: String,
                 decode: @escaping @Sendable (_ content: [UInt8], _ path: String, _ objectKey: String?) throws -> Store,
                 forget: @escaping @Sendable (_ db: Database, _ fileID: Int64) throws -> Void) {
        self.name = name
        self.decode = decode
        self.forget = forget
    }
}
