import Foundation
import Testing
@testable import KMSAudit

/// The state builder reads RDS and Backup requests and responses with kmsaudit's own JSON
/// parser (for speed); it must give exactly what JSONSerialization gave before.
@Suite struct StateJSONTests {
    /// Canonical text of a parsed value, to compare two parses.
    private func canonical(_ value: Any?) throws -> String {
        guard let value else { return "<nil>" }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func sameValuesAsJSONSerializationOnEveryRealRecord() throws {
        let folder = TestSupport.fixture("ingest")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json.gz") }
        #expect(files.count >= 5)
        var compared = 0
        for file in files {
            let data = try TestSupport.gunzip(folder.appendingPathComponent(file))
            let top = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            for record in top?["Records"] as? [[String: Any]] ?? [] {
                for field in ["requestParameters", "responseElements", "additionalEventData", "userIdentity"] {
                    guard let value = record[field], !(value is NSNull) else { continue }
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
                    let expected = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
                    #expect(try canonical(StateJSON.any(text)) == canonical(expected), "\(file) \(field): \(text.prefix(200))")
                    compared += 1
                }
            }
        }
        #expect(compared > 100)
    }

    /// `JSONFields` (RDS and Backup payloads, converted lazily) answers every accessor as the
    /// dictionary does, for every member of every real payload, and one level down.
    @Test func fieldsAnswerLikeTheDictionaryOnEveryRealPayload() throws {
        let folder = TestSupport.fixture("ingest")
        var compared = 0
        func same(_ dictionary: [String: Any]?, _ fields: JSONFields?, _ context: String, depth: Int = 0) throws {
            for key in (dictionary ?? [:]).keys.sorted() + ["absent-member"] {
                #expect(StateJSON.string(dictionary, key) == StateJSON.string(fields, key), "\(context) \(key)")
                #expect(StateJSON.bool(dictionary, key) == StateJSON.bool(fields, key), "\(context) \(key)")
                #expect(StateJSON.int(dictionary, key) == StateJSON.int(fields, key), "\(context) \(key)")
                #expect(try canonical(dictionary?[key]) == canonical(fields?[key]), "\(context) \(key)")
                #expect((StateJSON.dict(dictionary, key) == nil) == (StateJSON.dict(fields, key) == nil), "\(context) \(key)")
                if depth == 0 { try same(StateJSON.dict(dictionary, key), StateJSON.dict(fields, key), "\(context).\(key)", depth: 1) }
                compared += 1
            }
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".json.gz") {
            let top = try JSONSerialization.jsonObject(with: try TestSupport.gunzip(folder.appendingPathComponent(file))) as? [String: Any]
            for record in top?["Records"] as? [[String: Any]] ?? [] {
                for field in ["requestParameters", "responseElements"] {
                    guard let value = record[field] as? [String: Any] else { continue }
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
                    try same(StateJSON.object(text), StateJSON.fields(text), "\(file) \(field)")
                }
            }
        }
        #expect(compared > 1000)
        #expect(StateJSON.fields("[1]") == nil && StateJSON.fields("nope") == nil && StateJSON.fields(nil) == nil)
    }

    @Test func scalarsKeepTheirTypes() throws {
        let object = try #require(StateJSON.object(#"{"n": 7, "x": 1.5, "t": true, "f": false, "s": "7", "z": null, "a": [1, "b"], "n2": -3}"#))
        #expect(StateJSON.int(object, "n") == 7)
        #expect(StateJSON.int(object, "n2") == -3)
        #expect(StateJSON.int(object, "s") == 7)
        #expect(StateJSON.bool(object, "t") == true)
        #expect(StateJSON.bool(object, "f") == false)
        #expect((object["x"] as? NSNumber)?.doubleValue == 1.5)
        #expect(object["z"] is NSNull)
        #expect((object["a"] as? [Any])?.count == 2)
        #expect(StateJSON.string(object, "s") == "7")
    }

    @Test func textItsParserRejectsIsStillReadOrNil() {
        #expect(StateJSON.object("not json") == nil)
        #expect(StateJSON.object("[1, 2]") == nil)
        #expect(StateJSON.object(nil) == nil)
    }
}

/// Integrity rows write their details as JSON; the common case skips JSONSerialization and must
/// give the same text.
@Suite struct IntegrityJSONTests {
    private func serialised(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    @Test func plainDetailsAreWrittenLikeJSONSerialization() throws {
        let cases: [[String: Any]] = [
            [:],
            ["message": "no digest covers its delivery time (validation off, or its digest not yet delivered)"],
            ["reason": "absent", "digest": "AWSLogs/1/CloudTrail-Digest/x.json.gz", "expected_sha256": "ab12", "B": "upper first"],
        ]
        for object in cases {
            #expect(IntegrityJSON.plainJSON(object) == (try serialised(object)))
        }
    }

    @Test func anythingNeedingEscapesOrNotTextIsLeftToJSONSerialization() {
        #expect(IntegrityJSON.plainJSON(["m": "a \"quoted\" word"]) == nil)
        #expect(IntegrityJSON.plainJSON(["m": "line\nbreak"]) == nil)
        #expect(IntegrityJSON.plainJSON(["m": "back\\slash"]) == nil)
        #expect(IntegrityJSON.plainJSON(["m": "é"]) == nil)
        #expect(IntegrityJSON.plainJSON(["hours": 3]) == nil)
    }
}
