import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// Records that are valid JSON but whose fields have shapes CloudTrail does not write: the
/// normaliser decides once what they mean (rejects the record with its reason, or SQL ignores an
/// odd element), so that no later step meets a shape its SQL assumes. Through the real binary.
@Suite struct FieldShapeTests {
    /// ingest, check, ingest again, check again and the three reports: each exits 0 or 1 and
    /// never shows SQL on stderr.
    func auditTwice(_ fixture: String, _ name: String = #function) throws -> (db: URL, outputs: [String]) {
        let dir = try TestSupport.temporaryDirectory(name)
        let trail = dir.appendingPathComponent("trail")
        try FileManager.default.createDirectory(at: trail, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.fixture("fuzz/\(fixture)"),
                                         to: trail.appendingPathComponent(fixture))
        let db = dir.appendingPathComponent("audit.sqlite").path
        var outputs: [String] = []
        let steps: [[String]] = [
            ["ingest", "--db", db, trail.path], ["check", "--db", db],
            ["ingest", "--db", db, trail.path], ["check", "--db", db],
            ["report", "--db", db, "--format", "html", "--out", dir.appendingPathComponent("r.html").path],
            ["report", "--db", db, "--format", "csv", "--out", dir.appendingPathComponent("r-csv").path],
            ["report", "--db", db, "--format", "json", "--out", dir.appendingPathComponent("r.json").path],
        ]
        for step in steps {
            let r = try TestSupport.kmsaudit(step)
            #expect([0, 1].contains(r.status), "kmsaudit \(step[0]) exit \(r.status): \(r.stderr)")
            #expect(!r.stderr.contains("SQLite") && !r.stderr.contains("SELECT"), "kmsaudit \(step[0]): \(r.stderr)")
            outputs.append(r.stdout + r.stderr)
        }
        return (URL(fileURLWithPath: db), outputs)
    }

    @Test func aStringBesideTheResourceObjectsIsIgnored() throws {
        let (db, _) = try auditTwice("deletealias-resources-string.json.gz")
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db in
            // The event is stored (its odd element ignored) and its alias deletion is understood.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE event_name IN ('CreateAlias', 'DeleteAlias')") == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rejected_records") == 0)
            // The object elements still say where the alias lives and which key it names.
            let history = try Row.fetchAll(db, sql: "SELECT alias_name, account, region, key_arn, ended_by FROM alias_history")
            #expect(history.count == 1, "\(history)")
            #expect(history.first?["alias_name"] == "alias/x")
            #expect(history.first?["account"] == "123456789012")
            #expect(history.first?["key_arn"] == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
            #expect(history.first?["ended_by"] == "DeleteAlias")
        }
    }

    @Test func recordsWithOddShapesAreRejectedWithTheirReason() throws {
        let (db, outputs) = try auditTwice("creategrant-odd-shapes.json.gz")
        // Ingest names the file and the record, on one line each.
        #expect(outputs[0].contains("creategrant-odd-shapes.json.gz"))
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db in
            let rejected = try Row.fetchAll(db, sql: "SELECT record_index, reason FROM rejected_records ORDER BY record_index")
            #expect(rejected.map { $0["record_index"] as Int } == [0, 1, 2])
            #expect(rejected.map { $0["reason"] as String } == [
                "requestParameters is a string, not an object",
                "requestParameters.operations is a string, not an array of strings",
                "requestParameters.granteePrincipal is a number, not a string",
            ])
            #expect(try String.fetchAll(db, sql: "SELECT event_id FROM events") == ["odd-0004"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM grants") == 1)
        }
    }

    /// The normaliser's shape check reads every duplicate of a key: SQLite reads the first, the
    /// tape the last, so a well-shaped last copy must not hide an odd first one.
    @Test func aDuplicateKeyCannotHideAnOddShape() throws {
        let text = """
            {"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"CreateGrant",
             "requestParameters":"x","requestParameters":{"keyId":"k"}}
            """
        let tape = try JSONTape(parsing: Array(text.utf8))
        #expect(throws: EventNormaliser.Invalid(reason: "requestParameters is a string, not an object")) {
            try EventNormaliser.normalise(tape.root, index: 0)
        }
        let nested = """
            {"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"CreateGrant",
             "requestParameters":{"operations":{"a":1},"operations":["Decrypt"]}}
            """
        let tape2 = try JSONTape(parsing: Array(nested.utf8))
        #expect(throws: EventNormaliser.Invalid(reason: "requestParameters.operations is an object, not an array of strings")) {
            try EventNormaliser.normalise(tape2.root, index: 0)
        }
    }

    /// Shapes only the KMS state reads are not imposed on other services' records.
    @Test func otherServicesKeepTheirOwnShapes() throws {
        let text = """
            {"eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"rds.amazonaws.com","eventName":"CreateDBCluster",
             "requestParameters":{"name":{"first":1},"operations":7}}
            """
        let tape = try JSONTape(parsing: Array(text.utf8))
        #expect(try EventNormaliser.normalise(tape.root, index: 0).eventName == "CreateDBCluster")
    }

    /// The one-pass check (`FieldShapes.fits`) may clear a record only when the path-by-path
    /// reference finds nothing wrong in it: over every record of the real samples, and over a
    /// record with each checked path (and each container) given each kind of value, as the only
    /// copy, as the first of two and as the second, and under a key written with an escape.
    @Test func theOnePassCheckClearsExactlyTheRecordsThePathByPathCheckClears() throws {
        var texts = try TestSupport.realSampleRecordTexts()
        let realRecords = texts.count
        #expect(realRecords > 100, "the real samples hold \(realRecords) records")

        let values = ["\"x\"", "7", "true", "null", "[]", "[\"Decrypt\"]", "[1]", "{}", "{\"a\":1}"]
        let head = #""eventID":"e1","eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"CreateGrant""#
        /// The JSON of `path` set to `value`, written as nested objects.
        func nested(_ path: ArraySlice<String>, _ value: String) -> String {
            guard let first = path.first else { return value }
            return "{\"\(first)\":\(nested(path.dropFirst(), value))}"
        }
        let paths = FieldShapes.kmsPaths.map(\.path) + FieldShapes.containers.map { [$0] }
        for path in paths {
            for value in values {
                let member = String(nested(path[...], value).dropFirst().dropLast())
                let fine = String(nested(path[...], "null").dropFirst().dropLast())
                texts.append("{\(head),\(member)}")
                texts.append("{\(head),\(member),\(fine)}")
                texts.append("{\(head),\(fine),\(member)}")
                texts.append("{\(head),\(member.replacingOccurrences(of: "\"\(path.last!)\"", with: "\"\\u00\(String(path.last!.utf8.first!, radix: 16))\(path.last!.dropFirst())\""))}")
            }
        }
        var odd = 0, cleared = 0
        for text in texts {
            let tape = try JSONTape(parsing: Array(text.utf8))
            for kms in [true, false] {
                let reference = FieldShapes.problemPathByPath(in: tape.root, kms: kms)
                let tree = kms ? FieldShapes.kmsTree : FieldShapes.containersTree
                if FieldShapes.fits(tape.root, tree) {
                    #expect(reference == nil, "cleared in one pass, but: \(reference ?? "") in \(text)")
                    cleared += 1
                }
                #expect(FieldShapes.problem(in: tape.root, kms: kms) == reference, "\(text)")
                if reference != nil { odd += 1 }
            }
        }
        // Both outcomes occur: the check is not vacuous either way.
        #expect(odd > 300 && cleared > 2 * realRecords, "odd \(odd), cleared \(cleared)")
    }
}

/// `RecordMembers` finds in one pass what `JSONValue`'s subscript finds name by name.
@Suite struct RecordMembersTests {
    @Test func onePassFindsWhatTheSubscriptFinds() throws {
        var texts = try TestSupport.realSampleRecordTexts()
        #expect(texts.count > 100)
        // Duplicates (the last wins), a key written with escapes, a near miss of a name, an empty key.
        texts.append(#"{"eventID":"a","eventID":"b","\u0065ventTime":"t","eventNam":"x","":1,"awsRegion":null,"awsRegion":"r"}"#)
        texts.append(#"{"eventSource":"s","eventSource":7,"userIdentity":{"eventID":"inner"},"resources":[]}"#)
        texts.append(#"{}"#)
        var found = 0
        for text in texts {
            let tape = try JSONTape(parsing: Array(text.utf8))
            let members = RecordMembers(tape.root)
            for name in RecordMembers.Name.allCases {
                let expected = tape.root["\(name)"]
                #expect(members[name]?.index == expected?.index, "\(name) in \(text)")
                if expected != nil { found += 1 }
            }
        }
        #expect(found > 10 * texts.count, "found \(found)")
    }
}
