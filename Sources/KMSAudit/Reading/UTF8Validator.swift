/// UTF-8 and JSON-string byte classes shared by the splitter and the tape.
///
/// Both scanners skip string contents 8 bytes at a time and stop only on bytes that need a
/// decision (quote, backslash, control character, non-ASCII); non-ASCII bytes then go through
/// `UTF8Validator.lead`, which says how many continuation bytes follow and what range the first
/// of them must fall in (this is what rejects overlongs, surrogates and code points > U+10FFFF).
enum UTF8Validator {
    /// For a lead byte >= 0x80: the number of continuation bytes (0 = the byte cannot start a
    /// sequence) and the allowed range of the first continuation byte (RFC 3629 table).
    @inline(__always)
    static func lead(_ c: UInt8) -> (need: Int, lo: UInt8, hi: UInt8) {
        switch c {
        case 0xC2...0xDF: return (1, 0x80, 0xBF)
        case 0xE0: return (2, 0xA0, 0xBF)          // no overlongs
        case 0xE1...0xEC, 0xEE...0xEF: return (2, 0x80, 0xBF)
        case 0xED: return (2, 0x80, 0x9F)          // no UTF-16 surrogates
        case 0xF0: return (3, 0x90, 0xBF)          // no overlongs
        case 0xF1...0xF3: return (3, 0x80, 0xBF)
        case 0xF4: return (3, 0x80, 0x8F)          // nothing above U+10FFFF
        default: return (0, 0, 0)                  // continuation byte, C0/C1, F5...FF
        }
    }

    /// Validates the whole sequence starting at `p` (a byte >= 0x80) when it lies before `end`.
    /// Returns its length, or 0 when invalid, or -1 when the buffer ends inside the sequence.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int {
        let (need, lo, hi) = lead(p.pointee)
        if need == 0 { return 0 }
        if end - p <= need {
            // Check what is there, so a bad byte is reported even in a truncated sequence.
            if end - p > 1, p[1] < lo || p[1] > hi { return 0 }
            if end - p > 2, p[2] & 0xC0 != 0x80 { return 0 }
            return -1
        }
        let c1 = p[1]
        if c1 < lo || c1 > hi { return 0 }
        if need >= 2, p[2] & 0xC0 != 0x80 { return 0 }
        if need == 3, p[3] & 0xC0 != 0x80 { return 0 }
        return need + 1
    }

    /// True when all of `bytes` is valid UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let b = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
        var p = b
        let end = b + bytes.count
        while p < end {
            if end - p >= 8 {
                let x = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
                if x & 0x8080_8080_8080_8080 == 0 { p += 8; continue }
            }
            if p.pointee < 0x80 { p += 1; continue }
            let n = sequenceLength(p, end)
            if n <= 0 { return false }
            p += n
        }
        return true
    }
}

/// Bit tricks over 8 bytes loaded as a little-endian UInt64.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Nonzero when one of the 8 bytes is `"`, `\`, below 0x20 or at/above 0x80. The lowest set
    /// bit is exact (borrows only spread upwards), so `trailingZeroBitCount >> 3` is the index of
    /// the first such byte.
    @inline(__always)
    static func stringStopMask(_ x: UInt64) -> UInt64 {
        let q = x ^ (ones &* 0x22)
        let b = x ^ (ones &* 0x5C)
        let mq = (q &- ones) & ~q
        let mb = (b &- ones) & ~b
        let mc = (x &- ones &* 0x20) & ~x
        return (mq | mb | mc | x) & highs
    }
}

/// Decoding of JSON string escapes (used for `lookup-events` payloads and `JSONValue.string`).
enum JSONEscapes {
    @inline(__always)
    static func hexValue(_ c: UInt8) -> Int {
        switch c {
        case 0x30...0x39: return Int(c &- 0x30)
        case 0x41...0x46: return Int(c &- 0x41 &+ 10)
        case 0x61...0x66: return Int(c &- 0x61 &+ 10)
        default: return -1
        }
    }

    /// Appends the decoded UTF-8 of the raw string contents `src` (between the quotes) to `out`.
    /// Input is expected to be validated already; a malformed escape is copied through, a lone
    /// surrogate becomes U+FFFD, so this never fails.
    static func decode(_ src: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        guard let b = src.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let n = src.count
        out.reserveCapacity(out.count + n)
        var i = 0
        var runStart = 0
        while i < n {
            if b[i] != 0x5C { i += 1; continue }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(start: b + runStart, count: i - runStart)) }
            guard i + 1 < n else { out.append(0x5C); i += 1; runStart = i; break }
            let e = b[i + 1]
            i += 2
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var cp = hex4(b, i, n)
                if cp < 0 { out.append(0x5C); out.append(e); break }
                i += 4
                if cp >= 0xD800 && cp < 0xDC00 {
                    // High surrogate: combine with a following \uDC00-\uDFFF, else U+FFFD.
                    if i + 6 <= n, b[i] == 0x5C, b[i + 1] == 0x75 {
                        let lo = hex4(b, i + 2, n)
                        if lo >= 0xDC00 && lo < 0xE000 {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                            i += 6
                        } else { cp = 0xFFFD }
                    } else { cp = 0xFFFD }
                } else if cp >= 0xDC00 && cp < 0xE000 {
                    cp = 0xFFFD
                }
                appendUTF8(cp, to: &out)
            default:
                out.append(0x5C); out.append(e)
            }
            runStart = i
        }
        if runStart < n { out.append(contentsOf: UnsafeBufferPointer(start: b + runStart, count: n - runStart)) }
    }

    @inline(__always)
    private static func hex4(_ b: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
        guard i + 4 <= n else { return -1 }
        let a = hexValue(b[i]), c = hexValue(b[i + 1]), d = hexValue(b[i + 2]), e = hexValue(b[i + 3])
        if a < 0 || c < 0 || d < 0 || e < 0 { return -1 }
        return a << 12 | c << 8 | d << 4 | e
    }

    static func appendUTF8(_ cp: Int, to out: inout [UInt8]) {
        switch cp {
        case 0..<0x80:
            out.append(UInt8(cp))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (cp >> 6)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (cp >> 12)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (cp >> 18)))
            out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }
}
