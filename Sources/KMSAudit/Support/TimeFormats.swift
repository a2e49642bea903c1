import Foundation

/// The time formats kmsaudit reads and writes. Stored times are always `YYYY-MM-DDTHH:MM:SSZ`
/// (UTC), so that SQL compares them as text.
public enum TimeFormats {
    public static func canonical(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// CloudTrail's own form and the looser ones tools write (`2022-09-24 00:38:26`,
    /// `2025-03-05T21:19:44.000000000Z`, `+02:00` offsets; no zone means UTC).
    public static func parseLenient(_ s: String) -> Date? {
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
              let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
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
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = year; components.month = month; components.day = day
        components.hour = hour; components.minute = minute; components.second = second
        guard let date = components.date else { return nil }
        return date.addingTimeInterval(TimeInterval(-offset))
    }

    public static func parseISO8601(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withFullDate]
        return f.date(from: s)
    }

    /// RDS and KMS responses write times like `Oct 10, 2024 3:18:55 PM` or
    /// `Oct 21, 2024, 2:25:29 PM` (and the doc's `Apr 12, 2021 18:58:30 PM`).
    public static func parseAWSConsoleTime(_ s: String) -> Date? {
        if let d = parseISO8601(s) { return d }
        let cleaned = s.replacingOccurrences(of: ", ", with: " ").replacingOccurrences(of: ",", with: " ")
        for format in ["MMM d yyyy h:mm:ss a", "MMM d yyyy H:mm:ss a", "MMM d yyyy H:mm:ss"] {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = format
            f.isLenient = false
            if let d = f.date(from: cleaned) { return d }
        }
        return nil
    }
}
