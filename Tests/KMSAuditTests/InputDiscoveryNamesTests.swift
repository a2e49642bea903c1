import Foundation
import Testing
@testable import KMSAudit

/// Discovery reads an all-ASCII path byte by byte (`ASCIIPath`) and any other path by
/// Characters, as it always did. On ASCII the two must agree: every path of a generated trail and
/// of the fixtures, and names built to sit on each rule's edge, go through both.
@Suite struct InputDiscoveryNamesTests {
    static let edges: [String] = {
        var names = ["", "/", "//", "a", "a/", "a//", "/a/b/", ".hidden.json", "dir/.x.json.gz", "X.JSON.GZ", "x.Json",
                     "x.jsonl", "x.NDJSON", "x.ndjson.gz", "x.log", "x.LOG", "x.gz", "x.json.gzip", "x.txt", "json", ".json",
                     "a/CloudTrail-Digest/b.json.gz", "a/b_CloudTrail-Digest_c.txt", "a/CloudTrail-Digestx/b.json"]
        let account = "111122223333"
        for stamp in ["20240101T0000Z", "20240101T000000Z", "20241021T142529Z", "20240101T000Z", "20240101X0000Z", "20240101T0000", "2024010aT0000Z",
                      "20240101T00000Z", "20240101T0000Z.json.gz"] {
            names.append("AWSLogs/\(account)/CloudTrail/us-east-1/2024/01/01/\(account)_CloudTrail_us-east-1_\(stamp)_abc.json.gz")
            names.append("\(account)_CloudTrail-Digest_us-east-1_trail_us-east-1_\(stamp).json.gz")
        }
        for head in ["11112222333", "1111222233334", "11112222333a", "", "111122223333"] {
            names.append("x/\(head)_CloudTrail_us-east-1_20240101T0000Z_u.json.gz")
            names.append("x/\(head)_CloudTrail_us-east-1_20240101T0000Z")
            names.append("x/\(head)_Cloudtrail_us-east-1_20240101T0000Z_u.json.gz")
            names.append("x/\(head)_CloudTrail-Digest_us-east-1_t_20240101T000000Z.json.gz")
            names.append("x/\(head)__us-east-1_20240101T0000Z_u_v")
            names.append("x/\(head)_CloudTrail_us-east-1_20240101T0000Z_u/")
        }
        return names
    }()

    static func agree(_ path: String) {
        #expect(InputDiscovery.lastComponent(path) == InputDiscovery.lastComponentByCharacter(path), "\(path)")
        #expect(InputDiscovery.classify(path) == InputDiscovery.classifyByCharacter(path), "\(path)")
        #expect(CloudTrailFileName(path: path) == CloudTrailFileName(byCharacter: path), "\(path)")
    }

    @Test func bytesAndCharactersAgreeOnEdges() {
        for path in Self.edges { Self.agree(path) }
        // The edges do reach both answers of each rule.
        #expect(Set(Self.edges.map(InputDiscovery.classify)) == [.log, .digest, .other])
        #expect(Self.edges.contains { CloudTrailFileName(path: $0) != nil })
        #expect(Self.edges.contains { CloudTrailFileName(path: $0)?.deliveredAt.hasSuffix(":00Z") == false })
        #expect(Self.edges.contains { CloudTrailFileName(path: $0) == nil && $0.contains("_CloudTrail_") })
    }

    @Test func bytesAndCharactersAgreeOnATrailAndTheFixtures() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = try TestSupport.kmsaudit(["sample", "--out", dir.path, "--events", "2000", "--seed", "3", "--days", "2"])
        #expect(sample.status == 0, "\(sample.stderr)")
        let files = try InputDiscovery.discover([dir.path, TestSupport.fixture("").path])
        #expect(files.count > 200)
        #expect(files.contains { $0.kind == .digest } && files.contains { $0.deliveredAt != nil })
        for file in files { Self.agree(file.path) }
    }

    /// A path that is not all ASCII still goes by Characters (the old answers, unchanged).
    @Test func nonASCIIPathsGoByCharacters() {
        for path in ["x/ünïcode.json", "x/111122223333_CloudTrail_eu-west-1_20240101T0000Z_é.json.gz", "ж/", "a\u{0600}.json"] {
            Self.agree(path)
        }
        #expect(CloudTrailFileName(path: "x/111122223333_CloudTrail_eu-west-1_20240101T0000Z_é.json.gz")?.region == "eu-west-1")
    }
}
