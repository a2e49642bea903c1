import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The reports' own JSON parser (findings' evidence, run metadata): order kept, SQLite's number
/// reading, typed errors, limits that hold against hostile nesting and size.
struct ReportJSONParserTests {
    @Test func keepsMemberOrderAndRepeatedKeys() throws {
        let value = try ReportJSON.parseOrThrow(#" { "z" : 1 , "a" : { } , "z" : [ ] , "" : "" } "#)
        guard case .object(let members) = value else { Issue.record("not an object: \(value)"); return }
        #expect(members.map(\.key) == ["z", "a", "z", ""])
        #expect(value.serialized(indent: nil) == #"{"z":1,"a":{},"z":[],"":""}"#)
    }

    @Test func readsNumbersAsSQLiteDoes() throws {
        let value = try ReportJSON.parseOrThrow("[0, -0, 42, -7, 2.5, 1e3, 1E-2, 9223372036854775807, -9223372036854775808, 9223372036854775808]")
        #expect(value == .array([.int(0), .int(0), .int(42), .int(-7), .double(2.5), .double(1000), .double(0.01),
                                 .int(.max), .int(.min), .double(9223372036854775808)]))
        for bad in ["01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity"] {
            #expect(throws: ReportJSONError.self, "\(bad)") { try ReportJSON.parseOrThrow(bad) }
        }
    }

    @Test func decodesEscapes() throws {
        let value = try ReportJSON.parseOrThrow(#"["\"\\\/\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "\ud800x", "\udc00", "é"]"#)
        #expect(value == .array([.string("\"\\/\u{08}\u{0C}\n\r\t"), .string("é中"), .string("😀"),
                                 .string("\u{FFFD}x"), .string("\u{FFFD}"), .string("é")]))
    }

    @Test func errorsAreTypedWithTheirOffset() {
        func error(_ text: String, _ limits: ReportJSON.Limits = .init()) -> ReportJSONError? {
            do { _ = try ReportJSON.parseOrThrow(text, limits: limits); return nil } catch { return error }
        }
        #expect(error("") == .unexpectedEnd)
        #expect(error("{\"a\":1") == .unexpectedEnd)
        #expect(error("[1,]") == .unexpected(offset: 3, expected: "a JSON value"))
        #expect(error("{\"a\" 1}") == .unexpected(offset: 5, expected: "':'"))
        #expect(error("{1:2}") == .unexpected(offset: 1, expected: "a member name"))
        #expect(error("[1] x") == .trailingText(offset: 4))
        #expect(error(#""a\qb""#) == .invalidEscape(offset: 2))
        #expect(error("\"a\u{01}\"") == .unexpected(offset: 2, expected: "an escaped control character"))
        #expect(error("tru") == .unexpectedEnd)
        #expect(error("nul!") == .unexpected(offset: 3, expected: "null"))
        #expect(error("[[1]]", .init(maxBytes: 100, maxDepth: 1)) == .tooDeep(offset: 1, limit: 1))
        #expect(error("[1,2]", .init(maxBytes: 4, maxDepth: 8)) == .tooLarge(bytes: 5, limit: 4))
        #expect(ReportJSON.parse("[[1]]", limits: .init(maxBytes: 100, maxDepth: 2)) == .array([.array([.int(1)])]))
    }

    /// A million nested arrays (hostile evidence) is an error at the depth limit, not a stack overflow.
    @Test func deepNestingStopsAtTheLimit() {
        let text = String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000)
        #expect(throws: ReportJSONError.tooDeep(offset: 256, limit: 256)) { try ReportJSON.parseOrThrow(text) }
    }

    /// The evidence the built-in rules write (json_object in SQL) reads back in SQLite's order:
    /// the parser and `serialized` give what SQLite's `json()` gives for the same text.
    @Test func agreesWithSQLiteOnRuleEvidence() throws {
        let queue = try DatabaseQueue()
        let texts = try queue.read { db in
            try String.fetchAll(db, sql: """
                SELECT json_object('count', 3, 'first_seen', '2026-01-01T00:00:00Z', 'ids', json_array('a', 'b"c', 'd\\e'),
                                   'nested', json_object('z', 1, 'a', json('[true,false,null,-5]')), 'text', char(1, 10))
                UNION ALL SELECT json_array(json_object('id', 'KMS-001', 'title', 'é 😀 <script>'), 'KMS-002')
                UNION ALL SELECT json_object()
                """)
        }
        for text in texts {
            let sqlite = try queue.read { db in try String.fetchOne(db, sql: "SELECT json(?)", arguments: [text]) }
            let ours = try ReportJSON.parseOrThrow(text)
            #expect(ours.serialized(indent: nil) == sqlite)
        }
    }
}
