#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a stream of JSON content chunks into records while validating all of it.
///
/// Why a hand-written automaton: the content arrives in inflated chunks of any size, records
/// straddle chunk boundaries, and 2.6 GB must pass at several hundred MB/s. So the whole JSON
/// grammar (and UTF-8 inside strings) is a resumable state machine over bytes: every state,
/// including the middle of an escape, a number, a literal or a UTF-8 sequence, can stop at the
/// end of one chunk and go on with the next. Nesting is an explicit stack (never recursion),
/// so hostile depth only costs the configured limit.
///
/// Records are found by the content's shape (see `ContentShape`): the elements of a top-level
/// `Records` array, the decoded `CloudTrailEvent` strings of an `Events` array, top-level
/// objects (one or several), or the elements of a top-level array. A record's bytes are handed
/// out in place when the record lies inside one chunk and are copied into a buffer (bounded by
/// `maxRecordBytes`) only when it straddles chunks. A top-level object is buffered as a possible
/// single record until a `Records`/`Events` key shows it is a container instead.
final class JSONSplitter {
    let file: String
    let maxRecordBytes: Int
    let maxDepth: Int
    /// Inner mode validates one `lookup-events` payload: exactly one object, itself the record.
    let inner: Bool

    init(file: String, limits: ReaderLimits, inner: Bool = false) {
        self.file = file
        self.maxRecordBytes = limits.maxRecordBytes
        self.maxDepth = max(limits.maxDepth, 0)
        self.limits = limits
        self.inner = inner
        stackCap = min(self.maxDepth, 64) + 1
        stack = .allocate(capacity: stackCap)
        bomState = inner ? 3 : 0
    }

    deinit {
        stack.deallocate()
        recBuf?.deallocate()
    }

    private let limits: ReaderLimits

    // MARK: automaton state (loaded into locals by `scan`, saved on exit)

    enum St: UInt8 { case value, valueOrClose, keyOrClose, key, colon, afterValue, string, escape, hex, utf8, number, literal }
    private var st: St = .value
    private var depth = 0
    private var stack: UnsafeMutablePointer<UInt8>
    private var stackCap: Int
    private var strIsKey = false
    private var strEscaped = false
    private var numState: UInt8 = 0
    private var litBytes: UInt64 = 0
    private var litLeft = 0
    private var hexLeft = 0
    private var utf8Left = 0
    private var utf8Lo: UInt8 = 0
    private var utf8Hi: UInt8 = 0
    private var utf8Start: Int64 = 0
    /// What the value after the key just read means (set by `keyHook`).
    private var pending: UInt8 = 0
    /// What the end of the string being read means (set by `valueHook`).
    private var strHook: UInt8 = 0
    private var keyStart: UnsafePointer<UInt8>?

    private static let objectMark: UInt8 = 1
    private static let arrayMark: UInt8 = 2
    private static let pendingEventSource: UInt8 = 1
    private static let pendingRecords: UInt8 = 2
    private static let pendingEvents: UInt8 = 3
    private static let pendingCloudTrailEvent: UInt8 = 4
    private static let hookEventSource: UInt8 = 1
    private static let hookCloudTrailEvent: UInt8 = 2

    // MARK: position

    private var chunkBase: UnsafePointer<UInt8>?
    /// Content offset of `chunkBase`; after the last chunk, the content length.
    private(set) var chunkOffset: Int64 = 0
    /// Bytes of a leading BOM matched so far (3 = decided).
    private var bomState: Int

    /// Bytes of a key begun in an earlier chunk (only for keys the hooks look at; max 64).
    private var keyScratch: [UInt8] = []
    private var keyScratchOverflow = false

    // MARK: shape

    enum Mode { case top, candidate, batch, events, array }
    private var mode: Mode = .top
    /// Hooks run for values starting at depth <= hookDepth, keys at depth <= hookDepth + 1 and
    /// containers closing to depth <= hookDepth: everything deeper runs without a call.
    private var hookDepth = 0
    /// Inside the `Records`/`Events`/top-level array whose elements are records.
    private var inArray = false
    private var elementIndex = 0
    private var inEvent = false

    enum TopKind: String { case record = "a record object", batch = "a `Records` batch", events = "an `Events` list", array = "an array of records" }
    private var firstKind: TopKind?
    private(set) var topCount = 0

    /// The shape seen so far (meaningful after `finish`).
    var shape: ContentShape {
        switch firstKind {
        case .batch: return .cloudTrailBatch
        case .events: return .lookupEvents
        case .array: return .recordArray
        case .record, nil: return topCount > 1 ? .ndjson : .singleRecord
        }
    }

    // MARK: current record

    /// Records handed out so far (= index of the next one).
    private(set) var recordIndex = 0
    private var recordActive = false
    /// A top-level object grew past the record limit while it might still turn out a batch.
    private var recordOverflow = false
    private var recordOffset: Int64 = 0
    private var recStartInChunk: UnsafePointer<UInt8>?
    private var buffered = 0
    private var recBuf: UnsafeMutablePointer<UInt8>?
    /// Capacity of the record buffer: what a straddling record costs in memory (<= maxRecordBytes).
    private(set) var recCap = 0
    private var esStart = 0
    private var esEnd = 0
    private var esValid = false

    // lookup-events payload of the current `Events` element
    private var decoded: [UInt8] = []
    private var cteSeen = false
    private var cteOffset: Int64 = 0
    private var cteSpan = 0..<0
    private var cteES: Range<Int>?

    // MARK: feeding

    /// Scans one chunk of content, calling `onRecord` for every record completed in it.
    func feed(_ chunk: UnsafeRawBufferPointer, onRecord: (RecordRef) throws -> Void) throws {
        guard let raw = chunk.baseAddress, chunk.count > 0 else { return }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        let end = base + chunk.count
        chunkBase = base
        var p = base
        if bomState < 3 {
            // A UTF-8 BOM at the very start is skipped; a partial one is invalid JSON anyway.
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            while bomState < 3 && p < end {
                if p.pointee == bom[bomState] { bomState += 1; p += 1; continue }
                if bomState > 0 { throw InputError.json(file: file, offset: 0, reason: "unexpected byte 0xEF") }
                bomState = 3
            }
        }
        if recordActive { recStartInChunk = base }
        if strIsKey && isInString { keyStart = base }
        try scan(p, end, onRecord)
        // The chunk goes away: keep what the current record and key still need.
        if recordActive && !recordOverflow, let rs = recStartInChunk {
            let n = end - rs
            if buffered + n > maxRecordBytes {
                if mode == .candidate && !inner { recordOverflow = true } else { throw recordTooLarge() }
            } else {
                appendRecordBytes(rs, n)
            }
        }
        if strIsKey && isInString && depth <= hookDepth + 1, let ks = keyStart {
            let n = end - ks
            if keyScratch.count + n > 64 { keyScratchOverflow = true } else { keyScratch.append(contentsOf: UnsafeBufferPointer(start: ks, count: n)) }
        }
        chunkOffset += Int64(chunk.count)
        chunkBase = nil
    }

    /// Checks that the content ended cleanly.
    func finish() throws {
        if bomState > 0 && bomState < 3 { throw InputError.json(file: file, offset: 0, reason: "unexpected byte 0xEF") }
        if st == .value && depth == 0 {
            if topCount == 0 { throw InputError.empty(file: file) }
            return
        }
        throw InputError.json(file: file, offset: chunkOffset, reason: isInString ? "unterminated string" : "unexpected end of input")
    }

    private var isInString: Bool { st == .string || st == .escape || st == .hex || st == .utf8 }

    // MARK: the automaton

    @inline(__always) private static func isWS(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    private func scan(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                      _ onRecord: (RecordRef) throws -> Void) throws {
        var p = start
        var st = self.st
        var depth = self.depth
        var stack = self.stack
        var hookDepth = self.hookDepth
        var pending = self.pending
        var strHook = self.strHook
        var strIsKey = self.strIsKey
        var keyStart = self.keyStart
        defer {
            self.st = st; self.depth = depth; self.pending = pending; self.strHook = strHook
            self.strIsKey = strIsKey; self.keyStart = keyStart
        }

        outer: while p < end {
            switch st {
            case .string:
                while p < end {
                    if end - p >= 8 {
                        let m = SWAR.stringStopMask(UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
                        if m == 0 { p += 8; continue }
                        p += m.trailingZeroBitCount &>> 3
                    }
                    let c = p.pointee
                    if c == 0x22 {
                        if strIsKey {
                            if depth <= hookDepth + 1, let ks = keyStart {
                                pending = try keyHook(depth, ks, p)
                                hookDepth = self.hookDepth
                            }
                            st = .colon
                        } else {
                            if strHook != 0 {
                                try stringEndHook(strHook, p)
                                strHook = 0
                            }
                            st = .afterValue
                        }
                        p += 1
                        continue outer
                    }
                    if c == 0x5C { self.strEscaped = true; st = .escape; p += 1; continue outer }
                    if c < 0x20 { throw jsonError(p, "control character in string") }
                    if c < 0x80 { p += 1; continue }
                    let n = UTF8Validator.sequenceLength(p, end)
                    if n > 0 { p += n; continue }
                    if n == 0 { throw InputError.utf8(file: file, offset: offset(p)) }
                    // The sequence goes on in the next chunk: check it byte by byte.
                    let (need, lo, hi) = UTF8Validator.lead(c)
                    utf8Left = need; utf8Lo = lo; utf8Hi = hi; utf8Start = offset(p)
                    st = .utf8
                    p += 1
                    continue outer
                }

            case .afterValue:
                var c = p.pointee
                if Self.isWS(c) {
                    repeat { p += 1; if p == end { break outer }; c = p.pointee } while Self.isWS(c)
                }
                let top = stack[depth - 1]
                if c == 0x2C {
                    st = top == Self.objectMark ? .key : .value
                    p += 1
                } else if (c == 0x7D && top == Self.objectMark) || (c == 0x5D && top == Self.arrayMark) {
                    depth -= 1
                    p += 1
                    if depth <= hookDepth {
                        try closeHook(depth, p, onRecord)
                        hookDepth = self.hookDepth
                    }
                    st = depth == 0 ? .value : .afterValue
                } else {
                    throw jsonError(p, top == Self.objectMark ? "expected ',' or '}'" : "expected ',' or ']'")
                }

            case .value, .valueOrClose:
                var c = p.pointee
                if Self.isWS(c) {
                    repeat { p += 1; if p == end { break outer }; c = p.pointee } while Self.isWS(c)
                }
                if c == 0x5D && st == .valueOrClose {
                    depth -= 1
                    p += 1
                    if depth <= hookDepth {
                        try closeHook(depth, p, onRecord)
                        hookDepth = self.hookDepth
                    }
                    st = depth == 0 ? .value : .afterValue
                    continue outer
                }
                if depth <= hookDepth || pending != 0 {
                    strHook = try valueHook(c, p, depth, pending)
                    pending = 0
                    hookDepth = self.hookDepth
                }
                switch c {
                case 0x22:
                    st = .string; strIsKey = false; self.strEscaped = false
                    p += 1
                case 0x7B, 0x5B:
                    if depth >= maxDepth { throw InputError.tooDeep(file: file, offset: offset(p), limit: maxDepth) }
                    if depth >= stackCap { growStack(); stack = self.stack }
                    stack[depth] = c == 0x7B ? Self.objectMark : Self.arrayMark
                    depth += 1
                    st = c == 0x7B ? .keyOrClose : .valueOrClose
                    p += 1
                case 0x2D:
                    st = .number; numState = 0; p += 1
                case 0x30:
                    st = .number; numState = 1; p += 1
                case 0x31...0x39:
                    st = .number; numState = 2; p += 1
                case 0x74, 0x66, 0x6E:
                    // true, false, null: compare at once when the chunk holds the whole word.
                    let (word, len): (UInt64, Int) = c == 0x74 ? (0x6575_7274, 4) : c == 0x66 ? (0x65_736C_6166, 5) : (0x6C6C_756E, 4)
                    if end - p >= 8 {
                        let mask: UInt64 = len == 4 ? 0xFFFF_FFFF : 0xFF_FFFF_FFFF
                        if UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) & mask == word {
                            p += len
                            st = depth == 0 ? .value : .afterValue
                            continue outer
                        }
                    }
                    litBytes = word >> 8; litLeft = len - 1
                    st = .literal
                    p += 1
                default:
                    throw jsonError(p, c == 0x5D || c == 0x7D || c == 0x2C ? "expected a value" : "unexpected character \(Self.describe(c))")
                }

            case .keyOrClose, .key:
                var c = p.pointee
                if Self.isWS(c) {
                    repeat { p += 1; if p == end { break outer }; c = p.pointee } while Self.isWS(c)
                }
                if c == 0x22 {
                    st = .string; strIsKey = true; self.strEscaped = false
                    p += 1
                    keyStart = p
                } else if c == 0x7D && st == .keyOrClose {
                    depth -= 1
                    p += 1
                    if depth <= hookDepth {
                        try closeHook(depth, p, onRecord)
                        hookDepth = self.hookDepth
                    }
                    st = depth == 0 ? .value : .afterValue
                } else {
                    throw jsonError(p, st == .keyOrClose ? "expected a string key or '}'" : "expected a string key")
                }

            case .colon:
                var c = p.pointee
                if Self.isWS(c) {
                    repeat { p += 1; if p == end { break outer }; c = p.pointee } while Self.isWS(c)
                }
                if c != 0x3A { throw jsonError(p, "expected ':'") }
                st = .value
                p += 1

            case .escape:
                switch p.pointee {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: st = .string
                case 0x75: st = .hex; hexLeft = 4
                default: throw jsonError(p, "invalid escape")
                }
                p += 1

            case .hex:
                if JSONEscapes.hexValue(p.pointee) < 0 { throw jsonError(p, "invalid \\u escape") }
                hexLeft -= 1
                if hexLeft == 0 { st = .string }
                p += 1

            case .utf8:
                let c = p.pointee
                if c < utf8Lo || c > utf8Hi { throw InputError.utf8(file: file, offset: utf8Start) }
                utf8Lo = 0x80; utf8Hi = 0xBF
                utf8Left -= 1
                if utf8Left == 0 { st = .string }
                p += 1

            case .number:
                var ns = numState
                var complete = false
                numLoop: while p < end {
                    let c = p.pointee
                    let d = c &- 0x30
                    switch ns {
                    case 0: // after '-'
                        if d == 0 { ns = 1 } else if d < 10 { ns = 2 } else { throw jsonError(p, "invalid number") }
                    case 1: // after a leading 0
                        if c == 0x2E { ns = 3 } else if c | 0x20 == 0x65 { ns = 5 } else { complete = true; break numLoop }
                    case 2: // integer digits
                        if d < 10 {
                            p += 1
                            while p < end && p.pointee &- 0x30 < 10 { p += 1 }
                            continue numLoop
                        } else if c == 0x2E { ns = 3 } else if c | 0x20 == 0x65 { ns = 5 } else { complete = true; break numLoop }
                    case 3: // after '.'
                        if d < 10 { ns = 4 } else { throw jsonError(p, "invalid number") }
                    case 4: // fraction digits
                        if d < 10 {} else if c | 0x20 == 0x65 { ns = 5 } else { complete = true; break numLoop }
                    case 5: // after 'e'
                        if c == 0x2B || c == 0x2D { ns = 6 } else if d < 10 { ns = 7 } else { throw jsonError(p, "invalid number") }
                    case 6: // after the exponent sign
                        if d < 10 { ns = 7 } else { throw jsonError(p, "invalid number") }
                    default: // exponent digits
                        if d < 10 {} else { complete = true; break numLoop }
                    }
                    p += 1
                }
                numState = ns
                if complete { st = .afterValue }  // the terminating byte is read by .afterValue

            case .literal:
                if p.pointee != UInt8(truncatingIfNeeded: litBytes) { throw jsonError(p, "invalid literal") }
                litBytes >>= 8
                litLeft -= 1
                if litLeft == 0 { st = depth == 0 ? .value : .afterValue }
                p += 1
            }
        }
    }

    private func growStack() {
        let newCap = min(stackCap * 2, maxDepth + 1)
        let s = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        s.update(from: stack, count: stackCap)
        stack.deallocate()
        stack = s
        stackCap = newCap
    }

    // MARK: hooks (run only at the shallow depths where records begin and end)

    /// A key at depth <= hookDepth + 1 ended at `keyEnd`: returns what its value means.
    private func keyHook(_ depth: Int, _ keyStart: UnsafePointer<UInt8>, _ keyEnd: UnsafePointer<UInt8>) throws -> UInt8 {
        defer { if !keyScratch.isEmpty || keyScratchOverflow { keyScratch.removeAll(keepingCapacity: true); keyScratchOverflow = false } }
        let key = KeyBytes(start: keyStart, end: keyEnd, scratch: keyScratch, overflow: keyScratchOverflow, escaped: strEscaped)
        if recordActive && mode != .events && depth == hookDepth + 1 {
            // A top-level key of the record (hookDepth is the record's parent depth here).
            if key.equals("eventSource") { return Self.pendingEventSource }
            if mode == .candidate && !inner {
                if key.equals("Records") { return Self.pendingRecords }
                if key.equals("Events") { return Self.pendingEvents }
            }
            return 0
        }
        if depth == 1 && (mode == .batch || mode == .events) && (key.equals("Records") || key.equals("Events")) {
            throw InputError.shape(file: file, reason: "more than one `Records`/`Events` member")
        }
        if mode == .events && inEvent && depth == 3 && key.equals("CloudTrailEvent") {
            return Self.pendingCloudTrailEvent
        }
        return 0
    }

    /// A value starting with byte `c` at `p`: at the top level, as an array element of interest,
    /// or after a key `keyHook` marked. Returns the string hook for a string value.
    private func valueHook(_ c: UInt8, _ p: UnsafePointer<UInt8>, _ depth: Int, _ pending: UInt8) throws -> UInt8 {
        let isValueStart = c == 0x22 || c == 0x7B || c == 0x5B || c == 0x2D || (c >= 0x30 && c <= 0x39) || c == 0x74 || c == 0x66 || c == 0x6E
        if !isValueStart { return 0 }  // the automaton reports the syntax error
        switch pending {
        case Self.pendingEventSource:
            esValid = false
            if c == 0x22 { esStart = relative(p + 1); return Self.hookEventSource }
            return 0
        case Self.pendingRecords, Self.pendingEvents:
            let name = pending == Self.pendingRecords ? "Records" : "Events"
            guard c == 0x5B else { throw InputError.shape(file: file, reason: "`\(name)` is not an array") }
            // The top-level object is a container, not a record: stop buffering it.
            recordActive = false; recordOverflow = false; buffered = 0; esValid = false
            mode = pending == Self.pendingRecords ? .batch : .events
            hookDepth = 2
            inArray = true
            elementIndex = 0
            return 0
        case Self.pendingCloudTrailEvent:
            guard c == 0x22 else {
                throw InputError.shape(file: file, reason: "Events[\(elementIndex - 1)].CloudTrailEvent is not a string")
            }
            startRecord(p + 1)
            return Self.hookCloudTrailEvent
        default:
            break
        }
        if depth == 0 {
            if inner && topCount > 0 { throw InputError.shape(file: file, reason: "more than one JSON value") }
            switch c {
            case 0x7B:
                mode = .candidate
                hookDepth = 0
                startRecord(p)
            case 0x5B where !inner:
                mode = .array
                hookDepth = 1
                inArray = true
                elementIndex = 0
            default:
                throw InputError.shape(file: file, reason: inner ? "not a JSON object" : "top-level value is not an object or array")
            }
            return 0
        }
        if depth == hookDepth && inArray {
            let i = elementIndex
            elementIndex += 1
            switch mode {
            case .batch:
                guard c == 0x7B else { throw InputError.shape(file: file, reason: "Records[\(i)] is not an object") }
                startRecord(p)
            case .events:
                guard c == 0x7B else { throw InputError.shape(file: file, reason: "Events[\(i)] is not an object") }
                inEvent = true
                cteSeen = false
            case .array:
                guard c == 0x7B else { throw InputError.shape(file: file, reason: "element \(i) of the top-level array is not an object") }
                startRecord(p)
            default:
                break
            }
        }
        return 0
    }

    /// The string value marked by `valueHook` ended at `quote`.
    private func stringEndHook(_ hook: UInt8, _ quote: UnsafePointer<UInt8>) throws {
        if hook == Self.hookEventSource {
            esEnd = relative(quote)
            esValid = true
            return
        }
        // The raw `CloudTrailEvent` string: decode it and validate it as one JSON object.
        guard let rs = recStartInChunk else { return }
        let n = quote - rs
        if buffered + n > maxRecordBytes { throw recordTooLarge() }
        let raw: UnsafeRawBufferPointer
        if buffered == 0 {
            raw = UnsafeRawBufferPointer(start: rs, count: n)
        } else {
            appendRecordBytes(rs, n)
            raw = UnsafeRawBufferPointer(start: recBuf, count: buffered)
        }
        decoded.removeAll(keepingCapacity: true)
        JSONEscapes.decode(raw, into: &decoded)
        recordActive = false
        buffered = 0
        let where_ = "Events[\(elementIndex - 1)].CloudTrailEvent"
        let check = JSONSplitter(file: file, limits: limits, inner: true)
        var span = 0..<0
        var es: Range<Int>?
        do {
            try decoded.withUnsafeBytes { d in
                guard let db = d.baseAddress else { return }
                try check.feed(d) { ref in
                    let lo = ref.bytes.baseAddress.map { $0 - db } ?? 0
                    span = lo..<(lo + ref.bytes.count)
                    if let e = ref.eventSource, let eb = e.baseAddress { es = (eb - db)..<(eb - db + e.count) }
                }
            }
            try check.finish()
        } catch let e as InputError {
            switch e {
            case .json(_, let off, let reason):
                throw InputError.json(file: file, offset: cteOffset, reason: "\(where_): \(reason) at byte \(off) of the decoded string")
            case .utf8(_, let off):
                throw InputError.json(file: file, offset: cteOffset, reason: "\(where_): invalid UTF-8 at byte \(off) of the decoded string")
            case .tooDeep(_, _, let limit):
                throw InputError.tooDeep(file: file, offset: cteOffset, limit: limit)
            case .empty:
                throw InputError.shape(file: file, reason: "\(where_) is empty")
            case .shape(_, let reason):
                throw InputError.shape(file: file, reason: "\(where_) is \(reason == "not a JSON object" ? reason : "invalid: " + reason)")
            default:
                throw e
            }
        }
        cteSeen = true
        cteSpan = span
        cteES = es
    }

    /// A container closed, leaving `depth` open ones; `after` is just past its closing byte.
    private func closeHook(_ depth: Int, _ after: UnsafePointer<UInt8>, _ onRecord: (RecordRef) throws -> Void) throws {
        switch mode {
        case .candidate:
            if depth == 0 {
                try finishRecord(after, onRecord)
                try topValueEnded(.record)
            }
        case .batch, .array:
            if depth == hookDepth && recordActive {
                try finishRecord(after, onRecord)
            } else if depth == hookDepth - 1 && inArray {
                inArray = false
            }
            if depth == 0 { try topValueEnded(mode == .batch ? .batch : .array) }
        case .events:
            if depth == 2 && inEvent {
                inEvent = false
                guard cteSeen else {
                    throw InputError.shape(file: file, reason: "Events[\(elementIndex - 1)] has no `CloudTrailEvent` string")
                }
                try deliverEvent(onRecord)
            } else if depth == 1 && inArray {
                inArray = false
            }
            if depth == 0 { try topValueEnded(.events) }
        case .top:
            break
        }
    }

    private func topValueEnded(_ kind: TopKind) throws {
        topCount += 1
        mode = .top
        hookDepth = 0
        inArray = false
        if let first = firstKind {
            if first != kind {
                throw InputError.shape(file: file, reason: "top-level value \(topCount) is \(kind.rawValue) but the first is \(first.rawValue)")
            }
        } else {
            firstKind = kind
        }
    }

    // MARK: records

    private func startRecord(_ p: UnsafePointer<UInt8>) {
        recordActive = true
        recordOverflow = false
        recStartInChunk = p
        buffered = 0
        recordOffset = offset(p)
        esValid = false
        if mode == .events { cteOffset = recordOffset }
    }

    /// Offset of `q` from the current record's first byte.
    @inline(__always) private func relative(_ q: UnsafePointer<UInt8>) -> Int {
        guard let rs = recStartInChunk else { return 0 }
        return buffered + (q - rs)
    }

    private func finishRecord(_ after: UnsafePointer<UInt8>, _ onRecord: (RecordRef) throws -> Void) throws {
        guard let rs = recStartInChunk else { return }
        let n = after - rs
        if recordOverflow || buffered + n > maxRecordBytes { throw recordTooLarge() }
        let bytes: UnsafeRawBufferPointer
        if buffered == 0 {
            bytes = UnsafeRawBufferPointer(start: rs, count: n)
        } else {
            appendRecordBytes(rs, n)
            bytes = UnsafeRawBufferPointer(start: recBuf, count: buffered)
        }
        var es: UnsafeRawBufferPointer?
        if esValid, let b = bytes.baseAddress, esStart <= esEnd, esEnd <= bytes.count {
            es = UnsafeRawBufferPointer(start: b + esStart, count: esEnd - esStart)
        }
        recordActive = false
        buffered = 0
        esValid = false
        let index = recordIndex
        recordIndex += 1
        try onRecord(RecordRef(index: index, offset: recordOffset, bytes: bytes, eventSource: es))
    }

    private func deliverEvent(_ onRecord: (RecordRef) throws -> Void) throws {
        let index = recordIndex
        recordIndex += 1
        let span = cteSpan
        let esRange = cteES
        try decoded.withUnsafeBytes { d in
            guard let b = d.baseAddress, span.upperBound <= d.count else { return }
            var es: UnsafeRawBufferPointer?
            if let r = esRange, r.upperBound <= d.count { es = UnsafeRawBufferPointer(start: b + r.lowerBound, count: r.count) }
            try onRecord(RecordRef(index: index, offset: cteOffset,
                                   bytes: UnsafeRawBufferPointer(start: b + span.lowerBound, count: span.count),
                                   eventSource: es))
        }
    }

    private func appendRecordBytes(_ src: UnsafePointer<UInt8>, _ n: Int) {
        let need = buffered + n
        if need > recCap {
            let newCap = min(max(need, recCap * 2, 64 << 10), max(need, maxRecordBytes))
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
            if let old = recBuf {
                nb.update(from: old, count: buffered)
                old.deallocate()
            }
            recBuf = nb
            recCap = newCap
        }
        if let b = recBuf { (b + buffered).update(from: src, count: n) }
        buffered = need
    }

    // MARK: errors

    @inline(__always) private func offset(_ q: UnsafePointer<UInt8>) -> Int64 {
        guard let b = chunkBase else { return chunkOffset }
        return chunkOffset + Int64(q - b)
    }

    private func jsonError(_ q: UnsafePointer<UInt8>, _ reason: String) -> InputError {
        .json(file: file, offset: offset(q), reason: reason)
    }

    private func recordTooLarge() -> InputError {
        .recordTooLarge(file: file, record: recordIndex, offset: recordOffset, limit: maxRecordBytes)
    }

    private static func describe(_ c: UInt8) -> String {
        c >= 0x21 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "0x" + String(c, radix: 16, uppercase: true)
    }
}

/// The bytes of a key, possibly begun in an earlier chunk and possibly with escapes.
private struct KeyBytes {
    let start: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>
    let scratch: [UInt8]
    let overflow: Bool
    let escaped: Bool

    func equals(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        if overflow { return false }
        if scratch.isEmpty && !escaped {
            return end - start == n && memcmp(start, s.utf8Start, n) == 0
        }
        var raw = scratch
        raw.append(contentsOf: UnsafeBufferPointer(start: start, count: end - start))
        var key: [UInt8] = []
        if escaped { raw.withUnsafeBytes { JSONEscapes.decode($0, into: &key) } } else { key = raw }
        return key.elementsEqual(UnsafeBufferPointer(start: s.utf8Start, count: n))
    }
}
