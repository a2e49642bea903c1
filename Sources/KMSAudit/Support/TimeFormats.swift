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
