/// UTC time formatting without Foundation formatters (far too slow for millions of records).
/// Times are whole seconds since 1970.
enum SampleTime {
    struct Civil { var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int }

    /// Howard Hinnant's days-from-civil inverse.
    static func civil(_ t: Int64) -> Civil {
        let days = Int(t >= 0 ? t / 86_400 : (t - 86_399) / 86_400)
        let secs = Int(t - Int64(days) * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return Civil(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d,
                     hour: secs / 3600, minute: secs / 60 % 60, second: secs % 60)
    }

    @inline(__always) static func two(_ out: inout [UInt8], _ v: Int) {
        out.append(UInt8(0x30 + v / 10)); out.append(UInt8(0x30 + v % 10))
    }

    static func four(_ out: inout [UInt8], _ v: Int) { two(&out, v / 100); two(&out, v % 100) }

    /// `2026-11-01T00:00:00Z`, CloudTrail's eventTime.
    static func appendISO(_ out: inout [UInt8], _ t: Int64) {
        let c = civil(t)
        four(&out, c.year); out.append(0x2D); two(&out, c.month); out.append(0x2D); two(&out, c.day)
        out.append(0x54); two(&out, c.hour); out.append(0x3A); two(&out, c.minute); out.append(0x3A)
        two(&out, c.second); out.append(0x5A)
    }

    static func iso(_ t: Int64) -> String { render { appendISO(&$0, t) } }

    /// `20261101T0005Z`: the delivery stamp in a log file's name (to the minute).
    static func fileStamp(_ t: Int64) -> String {
        let c = civil(t)
        return render { o in
            four(&o, c.year); two(&o, c.month); two(&o, c.day); o.append(0x54); two(&o, c.hour); two(&o, c.minute); o.append(0x5A)
        }
    }

    /// `20261101T013649Z`: the stamp in a digest file's name (to the second).
    static func digestStamp(_ t: Int64) -> String {
        let c = civil(t)
        return render { o in
            four(&o, c.year); two(&o, c.month); two(&o, c.day); o.append(0x54)
            two(&o, c.hour); two(&o, c.minute); two(&o, c.second); o.append(0x5A)
        }
    }

    /// `2026/11/01`: the date folders (delivery date, not event date).
    static func datePath(_ t: Int64) -> String {
        let c = civil(t)
        return render { o in four(&o, c.year); o.append(0x2F); two(&o, c.month); o.append(0x2F); two(&o, c.day) }
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RDS response style: `Nov 3, 2026 3:18:55 PM`; with `kmsComma`, KMS's
    /// `Nov 3, 2026, 3:18:55 PM` (creationDate, deletionDate).
    static func console(_ t: Int64, kmsComma: Bool = false) -> String {
        let c = civil(t)
        let h12 = c.hour % 12 == 0 ? 12 : c.hour % 12
        let mm = c.minute < 10 ? "0\(c.minute)" : "\(c.minute)"
        let ss = c.second < 10 ? "0\(c.second)" : "\(c.second)"
        return "\(months[c.month - 1]) \(c.day), \(c.year)\(kmsComma ? "," : "") \(h12):\(mm):\(ss) \(c.hour < 12 ? "AM" : "PM")"
    }

    /// AWS CLI style: `2025-06-12T09:14:03.512000+00:00`.
    static func cli(_ t: Int64, micros: Int = 0) -> String {
        let base = iso(t)
        let frac = String(micros + 1_000_000).dropFirst()
        return String(base.dropLast()) + "." + frac + "+00:00"
    }

    private static func render(_ body: (inout [UInt8]) -> Void) -> String {
        var b: [UInt8] = []
        b.reserveCapacity(24)
        body(&b)
        return String(decoding: b, as: UTF8.self)
    }
}
