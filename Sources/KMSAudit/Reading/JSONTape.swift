// CONTRACT STUB: the Reading helper replaces the bodies; signatures are the contract.

/// The kinds of JSON value.
public enum JSONKind: Sendable { case object, array, string, number, bool, null }

/// A record's JSON parsed once into a flat tape (no allocation per node), read through
/// `JSONValue` views. Used on the hot path for the records kmsaudit stores.
public final class JSONTape {
    /// Parses `bytes` (copied). Throws `JSONTapeError` with the byte offset on malformed input.
    public init(parsing bytes: UnsafeRawBufferPointer, maxDepth: Int = 256) throws {
        fatalError("JSONTape: not implemented yet")
    }
    /// Parses `bytes`.
    public init(parsing bytes: [UInt8], maxDepth: Int = 256) throws {
        fatalError("JSONTape: not implemented yet")
    }
    /// The top-level value.
    public var root: JSONValue { fatalError() }
}

public struct JSONTapeError: Error, Equatable, Sendable {
    public var offset: Int
    public var reason: String
    public init(offset: Int, reason: String) { self.offset = offset; self.reason = reason }
}

/// A view of one value in a `JSONTape`.
public struct JSONValue {
    public var kind: JSONKind { fatalError() }
    /// Member of an object by key (nil if not an object or absent). With duplicate keys, the last wins.
    public subscript(key: String) -> JSONValue? { fatalError() }
    /// Element of an array by index (nil if not an array or out of range).
    public subscript(index: Int) -> JSONValue? { fatalError() }
    /// Number of elements (array) or members (object); 0 otherwise.
    public var count: Int { fatalError() }
    /// The decoded string when `kind == .string`, else nil.
    public var string: String? { fatalError() }
    /// True when this is a string equal to `s` (compared without allocating where possible).
    public func stringEquals(_ s: String) -> Bool { fatalError() }
    public var bool: Bool? { fatalError() }
    public var int64: Int64? { fatalError() }
    public var double: Double? { fatalError() }
    public var isNull: Bool { kind == .null }
    /// Array elements in order (empty if not an array).
    public var elements: [JSONValue] { fatalError() }
    /// Object members in order (empty if not an object).
    public var members: [(key: String, value: JSONValue)] { fatalError() }
    /// The value's JSON text exactly as in the source bytes.
    public var rawText: String { fatalError() }
}
