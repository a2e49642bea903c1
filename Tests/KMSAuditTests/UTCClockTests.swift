import Foundation
import Testing
@testable import KMSAudit

/// `UTCClock.text` writes its digits by hand; Foundation's ISO 8601 formatter is the reference.
@Suite struct UTCClockTests {
    @Test func textIsWhatFoundationWritesAndReadsBack() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime]
        reference.timeZone = TimeZone(identifier: "UTC")
        var times: [Int] = [0, -1, -86_400, 951_782_400, 951_868_799, 4_107_542_399, 253_402_300_799]  // 1970, 1969, 2000-02-29, 2100, 9999
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            times.append(Int(state >> 33) % 4_102_444_800)  // 1970 ... 2100
        }
        for t in times {
            let ours = UTCClock.text(t)
            #expect(ours == reference.string(from: Date(timeIntervalSince1970: TimeInterval(t))), "\(t)")
            #expect(UTCClock.epoch(ours) == t, "\(t)")
        }
    }

    @Test func yearsBeyondFourDigitsStillFormat() {
        let t = 253_402_300_800  // 10000-01-01T00:00:00Z
        #expect(UTCClock.text(t) == "10000-01-01T00:00:00Z")
        #expect(UTCClock.text(-62_167_219_201) == "-001-12-31T23:59:59Z")  // a second before year 0
    }

    /// The times RDS, KMS and the CLI write, as the state reads them: every form to the same
    /// canonical text, a 24-hour clock with a needless marker included.
    @Test func stateTimesInEveryFormAWSWrites() {
        let cases: [(Any, String?)] = [
            ("Jun 14, 2026 12:00:00 AM", "2026-06-14T00:00:00Z"),
            ("Jun 14, 2026 12:00:00 PM", "2026-06-14T12:00:00Z"),
            ("Oct 10, 2024 3:18:55 PM", "2024-10-10T15:18:55Z"),
            ("Oct 21, 2024, 2:25:29 AM", "2024-10-21T02:25:29Z"),
            ("Apr 12, 2021 18:58:30 PM", "2021-04-12T18:58:30Z"),
            ("Apr 12, 2021 13:00:00 AM", "2021-04-12T13:00:00Z"),
            ("2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00Z"),
            ("2024-01-01T10:00:00+02:00", "2024-01-01T08:00:00Z"),
            (NSNumber(value: 1_700_000_000), "2023-11-14T22:13:20Z"),
            ("Feb 30, 2024 1:00:00 PM", nil),
            ("Apr 12, 2021 0:58:30 AM", nil),
            ("yesterday", nil),
        ]
        for (value, expected) in cases {
            #expect(StateTime.canonical(value) == expected, "\(value)")
        }
    }
}
