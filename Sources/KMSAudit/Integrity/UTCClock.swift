import Foundation

/// Fast conversions between canonical UTC text (`YYYY-MM-DDTHH:MM:SSZ`) and epoch seconds, for
/// the hour arithmetic of the integrity checks (thousands of files: no formatter per call).
enum UTCClock {
    static func epoch(_ s: String) -> Int? {
        let b = Array(s.utf8)
        if b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A {
            func n(_ from: Int, _ len: Int) -> Int? {
                var v = 0
                for i in from..<(from + len) {
                    let c = b[i]
                    guard c >= 0x30, c <= 0x39 else { return nil }
                    v = v * 10 + Int(c - 0x30)
                }
                return v
            }
            if let y = n(0, 4), let mo = n(5, 2), let d = n(8, 2), let h = n(11, 2), let mi = n(14, 2), let se = n(17, 2) {
                return daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se
            }
        }
        return TimeFormats.parseISO8601(s).map { Int($0.timeIntervalSince1970.rounded(.down)) }
    }

    /// Written digit by digit: `String(format:)` here was 15% of the integrity check at 20M
    /// records (a call per log file). Years outside 0...9999 take the formatter.
    static func text(_ t: Int) -> String {
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

    /// The start of the hour holding `t`.
    static func hourFloor(_ t: Int) -> Int { Int((Double(t) / 3600).rounded(.down)) * 3600 }

    static func hourText(_ t: Int) -> String { text(hourFloor(t)) }

    /// `YYYYMMDDTHHMMSSZ`, the stamp in digest file names.
    static func stamp(_ t: Int) -> String {
        text(t).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
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
}
