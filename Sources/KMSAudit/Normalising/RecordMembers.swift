#if canImport(Glibc)
import Glibc
#endif

/// The top-level members of a CloudTrail record that normalising reads, found in one pass over
/// the record's members. With duplicate keys the last wins, as with `JSONValue`'s subscript.
///
/// Why: looking each name up by subscript scanned the record's ~20 members once per name, 17
/// times a record (0.4 of ingest's ~22 CPU-seconds on the 2M benchmark trail, `perf`, on the
/// decoding threads).
struct RecordMembers {
    enum Name: Int, CaseIterable {
        case eventID, eventTime, eventSource, eventName, eventType, userIdentity, resources, awsRegion,
             recipientAccountId, sourceIPAddress, errorCode, userAgent, errorMessage, sharedEventID,
             requestParameters, responseElements, serviceEventDetails
    }

    /// Each name's key as UTF-8, in `Name` order.
    static let keys: [[UInt8]] = Name.allCases.map { Array(String(describing: $0).utf8) }

    private let record: JSONValue
    /// Tape index of each name's value, -1 when the record has no such member.
    private var found: [Int32]

    init(_ record: JSONValue) {
        self.record = record
        var found = [Int32](repeating: -1, count: Name.allCases.count)
        record.forEachMember { key, escaped, value in
            if escaped {
                var decoded: [UInt8] = []
                JSONEscapes.decode(UnsafeRawBufferPointer(key), into: &decoded)
                if let name = decoded.withUnsafeBufferPointer({ Self.name(of: $0) }) { found[name.rawValue] = Int32(value.index) }
            } else if let name = Self.name(of: key) {
                found[name.rawValue] = Int32(value.index)
            }
            return true
        }
        self.found = found
    }

    subscript(_ name: Name) -> JSONValue? {
        let i = found[name.rawValue]
        return i < 0 ? nil : JSONValue(tape: record.tape, index: Int(i))
    }

    private static func name(of key: UnsafeBufferPointer<UInt8>) -> Name? {
        guard let k = key.baseAddress else { return nil }
        for i in keys.indices where keys[i].count == key.count {
            if keys[i].withUnsafeBufferPointer({ memcmp($0.baseAddress!, k, key.count) == 0 }) { return Name(rawValue: i) }
        }
        return nil
    }
}
