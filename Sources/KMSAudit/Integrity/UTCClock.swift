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
                return TimeFormats.daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se
            }
        }
        return TimeFormats.parseISO8601(s).map { Int($0.timeIntervalSince1970.rounded(.down)) }
    }

    /// Canonical text of epoch seconds (`TimeFormats.canonical(epochSeconds:)`).
    static func text(_ t: Int) -> String { TimeFormats.canonical(epochSeconds: t) }

    /// The start of the hour holding `t`.
    static func hourFloor(_ t: Int) -> Int { Int((Double(t) / 3600).rounded(.down)) * 3600 }

    static func hourText(_ t: Int) -> String { text(hourFloor(t)) }

    /// `YYYYMMDDTHHMMSSZ`, the stamp in digest file names.
    static func stamp(_ t: Int) -> String {
        text(t).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }
}
