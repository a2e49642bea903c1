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
