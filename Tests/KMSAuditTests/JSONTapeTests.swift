import Foundation
import Testing
@testable import KMSAudit

@Suite("JSONTape")
struct JSONTapeTests {
    func tape(_ text: String, maxDepth: Int = 256) throws -> JSONTape { try JSONTape(parsing: Array(text.utf8), maxDepth: maxDepth) }

    func tapeError(_ bytes: [UInt8], maxDepth: Int = 256) -> JSONTapeError? {
        do { _ = try JSONTape(parsing: bytes, maxDepth: maxDepth) } catch let e as JSONTapeError { return e } catch { return nil }
        return nil
    }

    @Test func lookupsOnARealRecord() throws {
        let bytes = try ReadingFixtures.bytes("test-disable-key-json.log")
        let t = try JSONTape(parsing: bytes)
        let r = t.root
        #expect(r.kind == .object)
        #expect(r["eventName"]?.string == "DisableKey")
        #expect(r["eventSource"]?.stringEquals("kms.amazonaws.com") == true)
        #expect(r["eventSource"]?.stringEquals("kms.amazonaws.co") == false)
        #expect(r["readOnly"]?.bool == false)
        #expect(r["readOnly"]?.kind == .bool)
        #expect(r["requestParameters"]?["keyId"]?.string == "arn:aws:kms:us-east-1:1010101010101:key/65479477-67d5-4b84-b71c-d540f7a8f31f")
        #expect(r["resources"]?.kind == .array)
        #expect(r["resources"]?.count == 1)
        #expect(r["resources"]?[0]?["type"]?.string == "AWS::KMS::Key")
        #expect(r["resources"]?[1] == nil)
        #expect(r["resources"]?[-1] == nil)
        #expect(r["noSuchKey"] == nil)
        #expect(r["eventName"]?["x"] == nil)       // not an object
        #expect(r[0] == nil)                        // not an array
        #expect(r["eventName"]?.int64 == nil)
        // Members in document order, matching the source's key order.
        let keys = r.members.map(\.key)
        #expect(keys.prefix(4) == ["awsRegion", "eventCategory", "eventID", "eventName"])
        #expect(keys.count == r.count)
        // rawText is the exact source slice.
        #expect(r.rawText == String(decoding: bytes.prefix { $0 != 0x0A }, as: UTF8.self))
        #expect(r["requestParameters"]?.rawText == #"{"keyId":"arn:aws:kms:us-east-1:1010101010101:key/65479477-67d5-4b84-b71c-d540f7a8f31f"}"#)
        #expect(r["eventName"]?.rawText == #""DisableKey""#)
    }

    @Test func nestedContainersAndSkipping() throws {
        let t = try tape(#" { "a" : [ 1 , [ 2 , { "b" : [ ] } ] , { } , "s" ] , "c" : { "d" : { "e" : null } } , "f" : true } "#)
        let r = t.root
        #expect(r.count == 3)
        #expect(r["a"]?.count == 4)
        #expect(r["a"]?.elements.map(\.kind) == [.number, .array, .object, .string])
        #expect(r["a"]?[1]?[1]?["b"]?.kind == .array)
        #expect(r["a"]?[1]?[1]?["b"]?.count == 0)
        #expect(r["a"]?[2]?.count == 0)
        #expect(r["a"]?[3]?.string == "s")
        #expect(r["c"]?["d"]?["e"]?.isNull == true)
        #expect(r["f"]?.bool == true)
        #expect(r["a"]?[1]?.rawText == #"[ 2 , { "b" : [ ] } ]"#)
        #expect(try tape("[]").root.elements.isEmpty)
        #expect(try tape("{}").root.members.isEmpty)
        #expect(try tape(#""top""#).root.string == "top")
        #expect(try tape(" 12 ").root.int64 == 12)
    }

    @Test func escapesInStringsAndKeys() throws {
        let t = try tape(#"{"a\"b":"x\\y\/\b\f\n\r\t\u00e9\ud83d\ude00","e\u0076":"1","lone":"\ud800x","low":"\udc00","plain":"caf\u00e9"}"#)
        let r = t.root
        #expect(r["a\"b"]?.string == "x\\y/\u{8}\u{C}\n\r\té😀")
        #expect(r["ev"]?.string == "1")                     // escaped key found by its decoded text
        #expect(r.members.map(\.key) == ["a\"b", "ev", "lone", "low", "plain"])
        #expect(r["lone"]?.string == "\u{FFFD}x")
        #expect(r["low"]?.string == "\u{FFFD}")
        #expect(r["plain"]?.stringEquals("café") == true)
        #expect(r["plain"]?.stringEquals("cafe") == false)
        #expect(r["plain"]?.rawText == #""caf\u00e9""#)
    }

    @Test func rawUnicode() throws {
        let t = try tape("{\"k€y\":\"é€😀\u{7F}\",\"ünï\":[\"日本\"]}")
        #expect(t.root["k€y"]?.string == "é€😀\u{7F}")
        #expect(t.root["ünï"]?[0]?.stringEquals("日本") == true)
        #expect(t.root["key"] == nil)
    }

    @Test func numbers() throws {
        let t = try tape(#"[123,-0,9223372036854775807,-9223372036854775808,9223372036854775808,1.5,1e3,-0.25e-2,0,2E+2,1e400]"#)
        let e = t.root.elements
        #expect(e.map(\.kind) == Array(repeating: JSONKind.number, count: 11))
        #expect(e[0].int64 == 123)
        #expect(e[1].int64 == 0)
        #expect(e[2].int64 == Int64.max)
        #expect(e[3].int64 == Int64.min)
        #expect(e[4].int64 == nil)                    // overflow
        #expect(e[4].double == 9223372036854775808.0)
        #expect(e[5].int64 == nil && e[5].double == 1.5)
        #expect(e[6].int64 == nil && e[6].double == 1000)
        #expect(e[7].double == -0.0025)
        #expect(e[8].int64 == 0)
        #expect(e[9].double == 200)
        #expect(e[10].double == .infinity)
        #expect(e[5].string == nil && e[5].bool == nil)
        #expect(e[6].rawText == "1e3")
    }

    @Test func duplicateKeysLastWins() throws {
        let t = try tape(#"{"a":1,"b":{"x":1},"a":2,"b":{"x":2},"a":3}"#)
        #expect(t.root["a"]?.int64 == 3)
        #expect(t.root["b"]?["x"]?.int64 == 2)
        #expect(t.root.members.map(\.key) == ["a", "b", "a", "b", "a"])
        #expect(t.root.members.map { $0.value.rawText } == ["1", #"{"x":1}"#, "2", #"{"x":2}"#, "3"])
        #expect(t.root.count == 5)
    }

    @Test func malformedInputsWithOffsets() {
        let cases: [(String, Int, String)] = [
            ("", 0, "empty input"),
            ("   ", 3, "empty input"),
            ("{", 1, "unexpected end of input"),
            (#"{"a"}"#, 4, "expected ':'"),
            (#"{"a":}"#, 5, "expected a value"),
            (#"{"a":1,}"#, 7, "expected a string key"),
            (#"{1:2}"#, 1, "expected a string key"),
            ("[1,]", 3, "expected a value"),
            ("[01]", 2, "expected ',' or ']'"),
            ("[1 2]", 3, "expected ',' or ']'"),
            ("[1}", 2, "expected ',' or ']'"),
            (#"{"a":1]"#, 6, "expected ',' or '}'"),
            (#""abc"#, 4, "unterminated string"),
            (#"{"a":tru}"#, 8, "invalid literal"),
            ("nul", 3, "unexpected end of input"),
            ("[nulL]", 4, "invalid literal"),
            ("{} x", 3, "unexpected data after the value"),
            ("{}{}", 2, "unexpected data after the value"),
            (#""\x""#, 2, "invalid escape"),
            (#""\u12G4""#, 5, "invalid \u{5C}u escape"),
            (#""\u12"#, 5, "unterminated string"),
            ("\"a\u{01}\"", 2, "control character in string"),
            ("-", 1, "invalid number"),
            ("-a", 1, "invalid number"),
            ("1.", 2, "invalid number"),
            ("1.e5", 2, "invalid number"),
            ("1e", 2, "invalid number"),
            ("1e+", 3, "invalid number"),
            ("+1", 0, "expected a value"),
            ("[1,2", 4, "unexpected end of input"),
        ]
        for (text, offset, reason) in cases {
            #expect(tapeError(Array(text.utf8)) == JSONTapeError(offset: offset, reason: reason), "\(text)")
        }
        #expect(tapeError([0x22, 0xC0, 0xAF, 0x22]) == JSONTapeError(offset: 1, reason: "invalid UTF-8"))        // overlong '/'
        #expect(tapeError([0x22, 0x61, 0xED, 0xA0, 0x80, 0x22]) == JSONTapeError(offset: 2, reason: "invalid UTF-8"))  // surrogate
        #expect(tapeError([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]) == JSONTapeError(offset: 1, reason: "invalid UTF-8"))  // > U+10FFFF
        #expect(tapeError([0x22, 0xE2, 0x82]) == JSONTapeError(offset: 3, reason: "unterminated string"))               // cut short
        #expect(tapeError([0x22, 0xE2, 0x41]) == JSONTapeError(offset: 1, reason: "invalid UTF-8"))
        #expect(tapeError([0x7B, 0xFF]) == JSONTapeError(offset: 1, reason: "expected a string key"))
    }

    @Test func depthLimitWithoutRecursion() throws {
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000) + Array(repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(tapeError(deep) == JSONTapeError(offset: 256, reason: "nested deeper than 256 levels"))
        #expect(tapeError(Array("[[[]]]".utf8), maxDepth: 2) == JSONTapeError(offset: 2, reason: "nested deeper than 2 levels"))
        #expect(try tape("[[[]]]", maxDepth: 3).root[0]?[0]?.count == 0)
        // Deep but within a raised limit: parsed iteratively.
        let t = try JSONTape(parsing: deep, maxDepth: 200_000)
        var v = t.root
        var levels = 1
        while let inner = v[0] { v = inner; levels += 1 }
        #expect(levels == 100_000)
    }

    @Test func everyRealRecordParses() throws {
        for name in ["kms-developer-guide.json.gz", "panther-analysis.json.gz", "lookup-events.json", "elastic.ndjson"] {
            let expected = try ReadingExpected(name)
            var sources: [String?] = []
            _ = try RecordReader.read(path: ReadingFixtures.path(name), limits: ReaderLimits()) { ref in
                let t = try JSONTape(parsing: ref.bytes)
                #expect(t.root.kind == .object)
                #expect(t.root.rawText.utf8.count == ref.bytes.count)
                let es = t.root["eventSource"]
                sources.append(es?.kind == .string ? es?.string : nil)
            }
            #expect(sources == expected.eventSources, "\(name)")
        }
    }
}

/// The splitter and the tape are two independent validators of the same grammar: on thousands of
/// randomly damaged copies of a real record they must agree on what is valid and where it breaks.
@Suite("Reading: splitter and tape agree")
struct ReadingDifferentialTests {
    /// SplitMix64: a fixed seed makes the run reproducible.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    @Test func mutatedRealRecords() throws {
        let originals = [try ReadingFixtures.bytes("test-disable-key-json.log"),
                         Array(try ReadingFixtures.bytes("lookup-events.decoded.txt").split(separator: 0x0A)[3])]
        let interesting: [UInt8] = Array(#"{}[]":,\u0e.-+ tfn"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF, 0x0A]
        var rng = Rng(state: 20_240_911)
        var accepted = 0, rejected = 0
        for iteration in 0..<3000 {
            var b = originals[iteration % originals.count]
            for _ in 0...rng.below(3) {
                let i = rng.below(b.count)
                switch rng.below(6) {
                case 0, 1: b[i] = interesting[rng.below(interesting.count)]
                case 2: b[i] = UInt8(truncatingIfNeeded: rng.next())
                case 3: b.remove(at: i)
                case 4: b.insert(interesting[rng.below(interesting.count)], at: i)
                default: b.removeLast(rng.below(min(8, b.count)))
                }
                if b.isEmpty { break }
            }
            let chunk = 1 + rng.below(300)
            var splitterRecords: [ReadRecord] = []
            var splitterError: InputError?
            do { splitterRecords = try splitInChunks(b, chunkSize: chunk).1 } catch let e as InputError { splitterError = e }
            var tape: JSONTape?
            var tapeError: JSONTapeError?
            do { tape = try JSONTape(parsing: b) } catch let e as JSONTapeError { tapeError = e }
            let label = "iteration \(iteration), chunk \(chunk)"
            switch splitterError {
            case nil:
                accepted += 1
                if splitterRecords.count == 1 {
                    #expect(tape?.root.kind == .object, "\(label)")
                    #expect(tape.map { Array($0.root.rawText.utf8) } == splitterRecords.first?.bytes, "\(label)")
                } else {
                    #expect(tapeError?.reason == "unexpected data after the value", "\(label)")
                }
            case .json(_, let offset, _)?, .utf8(_, let offset)?:
                rejected += 1
                #expect(tapeError?.offset == Int(offset), "\(label): splitter \(String(describing: splitterError)), tape \(String(describing: tapeError))")
            case .shape?:
                rejected += 1
                #expect(tapeError != nil || tape?.root.kind != .object, "\(label)")
            case .empty?:
                #expect(tapeError?.reason == "empty input", "\(label)")
            default:
                Issue.record("\(label): unexpected \(String(describing: splitterError))")
            }
        }
        // The mutations must exercise both outcomes to mean anything.
        #expect(accepted > 100 && rejected > 1000)
    }
}
