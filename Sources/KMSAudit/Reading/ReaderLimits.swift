/// Bounds that keep any input, however hostile, from exhausting memory or time.
public struct ReaderLimits: Sendable, Equatable {
    /// Most bytes one file may inflate to (gzip bomb guard). CloudTrail files are a few MB.
    public var maxInflatedBytes: Int64
    /// Largest single record. CloudTrail records are at most a few hundred KB.
    public var maxRecordBytes: Int
    /// Deepest JSON nesting accepted. CloudTrail records nest about 8 deep.
    public var maxDepth: Int

    /// Compute the SHA-256 of each file and of its content while streaming. Always on in use;
    /// the benchmark turns it off once to measure what hashing costs.
    public var hashing: Bool

    public init(maxInflatedBytes: Int64 = 4 << 30, maxRecordBytes: Int = 16 << 20, maxDepth: Int = 256,
                hashing: Bool = true) {
        self.maxInflatedBytes = maxInflatedBytes
        self.maxRecordBytes = maxRecordBytes
        self.maxDepth = maxDepth
        self.hashing = hashing
    }
}
