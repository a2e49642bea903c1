import Foundation

/// Substring search for the per-event and per-file hot paths, answering exactly what
/// Foundation's `String.contains(_:)` / `range(of:)` answer.
///
/// Why: Foundation's search bridges to CFStringFind over UTF-16 (~0.7 µs per call here) and
/// the normaliser makes several calls per event. CloudTrail values and paths are nearly always
/// ASCII, and in ASCII text a byte search finds the same matches (no combining marks, no
/// canonically equivalent spellings), in ~30 ns. Text with any non-ASCII byte goes to Foundation
/// as before, so Unicode edge cases behave as they always did.
enum ASCIIText {
    /// `text.contains(needle)`.
    static func contains(_ text: String, _ needle: StaticString) -> Bool {
        range(of: needle, in: text) != nil
    }

    /// `text.range(of: needle)`.
    static func range(of needle: StaticString, in text: String) -> Range<String.Index>? {
        var contiguous = text  // `withUTF8` may need to make a copy contiguous; indices below use `text`
        let asciiMatch: Int?? = contiguous.withUTF8 { hay in
            guard hay.allSatisfy({ $0 < 0x80 }) else { return .none }  // not ASCII: ask Foundation
            return .some(byteSearch(hay, needle))
        }
        guard let asciiMatch else { return text.range(of: needle.description) }
        guard let offset = asciiMatch else { return nil }
        // In ASCII text every byte offset is a character boundary.
        let lower = text.utf8.index(text.startIndex, offsetBy: offset)
        return lower..<text.utf8.index(lower, offsetBy: needle.utf8CodeUnitCount)
    }

    private static func byteSearch(_ hay: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Int? {
        let n = needle.utf8CodeUnitCount
        guard n > 0, hay.count >= n, let h = hay.baseAddress else { return nil }
        let first = needle.utf8Start.pointee
        var i = 0
        while i <= hay.count - n {
            if h[i] == first && memcmp(h + i, needle.utf8Start, n) == 0 { return i }
            i += 1
        }
        return nil
    }
}
