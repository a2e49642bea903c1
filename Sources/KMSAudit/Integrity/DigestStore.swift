import GRDB

/// Writes parsed digests into `digests` and `digest_log_files`.
package enum DigestStore {
    /// Stores `digest` for the `files` row `fileID`, replacing what an earlier read of the same
    /// file stored. `contentSHA256` is the hex SHA-256 of the digest's uncompressed content
    /// (what the next digest's `previousDigestHashValue` must equal). Returns the digest row id.
    @discardableResult
    package static func insert(_ db: Database, fileID: Int64, digest d: DigestRecord, contentSHA256: String) throws -> Int64 {
        try forget(db, fileID: fileID)
        try db.execute(sql: """
            INSERT INTO digests (file_id, object_key, digest_s3_bucket, digest_s3_object, account, region, trail,
                start_time, end_time, content_sha256, previous_s3_bucket, previous_s3_object, previous_hash,
                previous_hash_algorithm, previous_signature, signature_algorithm, public_key_fingerprint,
                newest_event_time, oldest_event_time, end_time_text, home_region, backfill, log_file_count)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: [
                fileID, d.objectKey, d.s3Bucket, d.s3Object, d.account, d.region, d.trail,
                d.startTime, d.endTime, contentSHA256.lowercased(), d.previousS3Bucket, d.previousS3Object,
                d.previousHash, d.previousHashAlgorithm, d.previousSignature, d.signatureAlgorithm,
                d.publicKeyFingerprint, d.newestEventTime, d.oldestEventTime, d.endTimeText, d.homeRegion,
                d.backfill, d.logFiles.count,
            ])
        let digestID = db.lastInsertedRowID
        let statement = try db.makeStatement(sql: """
            INSERT INTO digest_log_files (digest_id, s3_bucket, s3_object, object_key, hash_value, hash_algorithm,
                newest_event_time, oldest_event_time) VALUES (?,?,?,?,?,?,?,?)
            """)
        for f in d.logFiles {
            try statement.execute(arguments: [digestID, f.s3Bucket, f.s3Object, f.objectKey, f.hashValue,
                                              f.hashAlgorithm, f.newestEventTime, f.oldestEventTime])
        }
        return digestID
    }

    /// Drops what a digest file stored (before it is read again, or when it failed to parse).
    package static func forget(_ db: Database, fileID: Int64) throws {
        try db.execute(sql: """
            DELETE FROM digest_log_files WHERE digest_id IN (SELECT id FROM digests WHERE file_id = ?)
            """, arguments: [fileID])
        try db.execute(sql: "DELETE FROM digests WHERE file_id = ?", arguments: [fileID])
    }
}

extension DigestStore {
    /// Integrity's step for CloudTrail digest files during ingest ("digests"), wired in
    /// `IngestHooks.standard`: parsed on the decoding thread, stored in the file's transaction.
    package static let ingestStep = IngestFileStep(
        name: "digests",
        decode: { content, path, objectKey in
            let digest: DigestRecord
            do {
                digest = try DigestParser.parse(content: content, objectKey: objectKey)
            } catch let e as DigestParseError {
                throw InputError.shape(file: path, reason: "not a CloudTrail digest: \(e.reason)")
            }
            return { db, fileID, contentSHA256 in
                _ = try DigestStore.insert(db, fileID: fileID, digest: digest, contentSHA256: contentSHA256)
            }
        },
        forget: { db, fileID in try DigestStore.forget(db, fileID: fileID) })
}
