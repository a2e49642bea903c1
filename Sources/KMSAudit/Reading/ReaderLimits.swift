/// Bounds that keep any input, however hostile, from exhausting memory or time.
package struct ReaderLimits: Sendable, Equatable {
    /// Most bytes one file may inflate to (gzip bomb guard). CloudTrail files are a few MB.
    package var maxInflatedBytes: Int64
    /// Largest single record. CloudTrail records are at most a few hundred KB.
    package var maxRecordBytes: Int
    /// Deepest JSON nesting accepted. CloudTrail records nest about 8 deep.
    package var maxDepth: Int

    /// Compute the SHA-256 of each file and of its content while streaming. Always on in use;
    /// the benchmark turns it off once to measure what hashing costs.
    package var hashing: Bool

    package init(maxInflatedBytes: Int64 = 4 << 30, maxRecordBytes: Int = 16 << 20, maxDepth: Int = 256,
                hashing: Bool = true) {
        self.maxInflatedBytes = maxInflatedBytes
        self.maxRecordBytes = maxRecordBytes
        self.maxDepth = maxDepth
        self.hashing = hashing
    }
}
