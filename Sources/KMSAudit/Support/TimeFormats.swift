import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The time formats kmsaudit reads and writes. Stored times are always `YYYY-MM-DDTHH:MM:SSZ`
/// (UTC), so that SQL compares them as text.
///
/// Parsed by hand: Foundation's formatters cost tens of microseconds to create (the state
/// rebuild parsed RDS timestamps at ~2 s per 7,500 events with them) and are not safe to share
/// across the decoding threads.
package enum TimeFormats {
    package static func canonical(_ date: Date) -> String {
        canonical(epochSeconds: Int(date.timeIntervalSince1970.rounded(.down)))
    }

    /// Written digit by digit: `String(format:)` was 15% of the integrity check at 20M records
    /// (a call per log file), and is called for every time the state reads from a response.
    /// Years outside 0...9999 take the formatter.
    static func canonical(epochSeconds t: Int) -> String {
        let days = Int((Double(t) / 86_400).rounded(.down))
        let secs = t - days * 86_400
        let (y, m, d) = civilFromDays(days)
        guard (0...9999).contains(y) else {
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, secs / 3600, (secs % 3600) / 60, secs % 60)
        }
        return String(unsafeUninitializedCapacity: 20) { out in
            func put(_ value: Int, _ at: Int, _ width: Int) {
                var v = value
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    out[i] = UInt8(0x30 + v % 10)
                    v /= 10
                }
            }
            put(y, 0, 4); out[4] = 0x2D; put(m, 5, 2); out[7] = 0x2D; put(d, 8, 2); out[10] = 0x54
            put(secs / 3600, 11, 2); out[13] = 0x3A; put((secs % 3600) / 60, 14, 2); out[16] = 0x3A
            put(secs % 60, 17, 2); out[19] = 0x5A
            return 20
        }
    }

    // Howard Hinnant's civil-date algorithms.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// A UTC date from its fields, or nil when they are out of range.
    static func date(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
                     offsetSeconds: Int = 0) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
              (0...60).contains(second), (1...9999).contains(year) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900); parts.tm_mon = Int32(month - 1); parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour); parts.tm_min = Int32(minute); parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        // timegm normalises 31 February into March: refuse it.
        var check = tm()
        var t = seconds
        gmtime_r(&t, &check)
        guard Int(check.tm_mday) == day || second == 60 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds - offsetSeconds))
    }

    /// CloudTrail's own form and the looser ones tools write (`2022-09-24 00:38:26`,
    /// `2025-03-05T21:19:44.000000000Z`, `+02:00` offsets; no zone means UTC).
    package static func parseLenient(_ s: String) -> Date? {
        let u = Array(s.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= u.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                guard u[i] >= 0x30, u[i] <= 0x39 else { return nil }
                v = v * 10 + Int(u[i] - 0x30)
            }
            return v
        }
        guard u.count >= 19, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x20, u[13] == 0x3A, u[16] == 0x3A,
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2), let hour = digits(11, 2),
              let minute = digits(14, 2), let second = digits(17, 2) else { return nil }
        var i = 19
        if i < u.count, u[i] == 0x2E {  // fraction: ignored
            i += 1
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
        }
        var offset = 0
        if i < u.count {
            if u[i] == 0x5A, i == u.count - 1 {
                offset = 0
            } else if u[i] == 0x2B || u[i] == 0x2D, let oh = digits(i + 1, 2) {
                let om = u.count > i + 3 && u[i + 3] == 0x3A ? digits(i + 4, 2) : digits(i + 3, 2)
                guard let om, oh < 24, om < 60 else { return nil }
                offset = (oh * 60 + om) * 60 * (u[i] == 0x2B ? 1 : -1)
            } else {
                return nil
            }
        }
        return date(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offsetSeconds: offset)
    }

    /// ISO-8601 times as `parseLenient` reads them, and plain dates (`2026-11-01`, midnight UTC).
    package static func parseISO8601(_ s: String) -> Date? {
        if let d = parseLenient(s) { return d }
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        return date(year: y, month: m, day: d)
    }

    private static let months = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                                 "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]

    /// RDS and KMS responses write times like `Oct 10, 2024 3:18:55 PM` or
    /// `Oct 21, 2024, 2:25:29 PM` (and the doc's `Apr 12, 2021 18:58:30 PM`: a 24-hour time with
    /// a stray marker, read as 18:58:30). ISO-8601 is accepted too.
    package static func parseAWSConsoleTime(_ s: String) -> Date? {
        if let d = parseISO8601(s) { return d }
        let words = s.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        guard words.count == 4 || words.count == 5, let month = months[words[0].prefix(3).lowercased()],
              let day = Int(words[1]), let year = Int(words[2]) else { return nil }
        let clock = words[3].split(separator: ":").map { Int($0) }
        guard clock.count == 3, let h = clock[0], let m = clock[1], let sec = clock[2] else { return nil }
        var hour = h
        if words.count == 5 {
            let marker = words[4].uppercased()
            guard marker == "AM" || marker == "PM" else { return nil }
            if h <= 12 {
                guard h >= 1 else { return nil }
                hour = marker == "AM" ? (h == 12 ? 0 : h) : (h == 12 ? 12 : h + 12)
            }
        }
        return date(year: year, month: month, day: day, hour: hour, minute: m, second: sec)
    }
}
