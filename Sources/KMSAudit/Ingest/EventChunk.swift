/// A batch of normalised events on its way from a decoding thread to the writer, packed as one
/// byte buffer holding all their text plus a fixed number of spans per event.
///
/// Why packed: an event has 19 text columns and its raw record (~2.5 KB). As Strings and arrays
/// that is ~15 heap allocations per event, made on a decoding thread and freed on the writer
/// thread (glibc then takes the other thread's arena lock for every free). Packed, a chunk of
/// 512 events costs a handful of allocations, and the writer binds the text straight from the
/// buffer without SQLite copying it (`EventWriter`).
struct EventChunk {
    /// The text columns of `events`, in the order `EventWriter` binds them.
    enum Field: Int, CaseIterable {
        case eventID, eventTime, eventSource, eventName, eventType, awsRegion, account, principal,
             principalType, principalAccount, sessionName, invokedBy, sourceIP, userAgent, keyRef,
             keyARN, errorCode, errorMessage, sharedEventID, raw
    }

    /// Where one field's bytes lie in `bytes`; `count < 0` is SQL NULL.
    struct Span {
        var start: Int
        var count: Int
    }

    /// The columns that are not text.
    struct Scalars {
        var viaRDS: Bool
        var succeeded: Bool
        var recordIndex: Int
    }

    private(set) var bytes: [UInt8] = []
    /// `Field.allCases.count` spans per event, event after event.
    private(set) var spans: [Span] = []
    private(set) var scalars: [Scalars] = []

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    static let fieldCount = Field.allCases.count

    init() {}

    /// Appends one event; `raw` is the record's JSON text exactly as delivered.
    mutating func append(_ e: NormalisedEvent, raw: UnsafeRawBufferPointer) {
        // Same order as `Field`.
        add(e.eventID); add(e.eventTime); add(e.eventSource); add(e.eventName); add(e.eventType)
        add(e.awsRegion); add(e.account); add(e.principal); add(e.principalType); add(e.principalAccount)
        add(e.sessionName); add(e.invokedBy); add(e.sourceIP); add(e.userAgent); add(e.keyRef)
        add(e.keyARN); add(e.errorCode); add(e.errorMessage); add(e.sharedEventID)
        spans.append(Span(start: bytes.count, count: raw.count))
        bytes.append(contentsOf: raw)
        scalars.append(Scalars(viaRDS: e.viaRDS, succeeded: e.succeeded, recordIndex: e.recordIndex))
    }

    private mutating func add(_ s: String?) {
        guard var s else {
            spans.append(Span(start: bytes.count, count: -1))
            return
        }
        spans.append(Span(start: bytes.count, count: s.utf8.count))
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// The span of one field of event `i`.
    @inline(__always) func span(_ i: Int, _ field: Field) -> Span {
        spans[i * Self.fieldCount + field.rawValue]
    }
}
