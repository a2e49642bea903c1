/// A key policy or inventory file (`aws kms get-key-policy`, `aws rds describe-db-clusters`,
/// `aws kms list-grants`, ...; docs/INPUTS.md), recognised by its shape: a single JSON object with one of the known top-level members
/// and no `eventID`. Stored whole in `documents`; the state derivation reads it.
package struct DocumentInput: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case keyPolicy = "key-policy"
        case dbClusters = "db-clusters"
        case dbInstances = "db-instances"
        case dbClusterSnapshots = "db-cluster-snapshots"
        case dbSnapshots = "db-snapshots"
        case aliases
        case keyMetadata = "key-metadata"
        /// `aws kms list-grants` output (`{"Grants": [...]}`): a baseline of the grants that exist.
        case grants

        /// The files-ledger kind.
        var fileKind: String { self == .keyPolicy ? "policy" : "inventory" }
    }

    package var kind: Kind
    /// For key policies: the key, from the path (`.../ACCOUNT/REGION/KEY-ID.json`) or a file
    /// name that is the key ARN with `:` and `/` replaced by `_`.
    package var keyARN: String?
    package var account: String?
    package var region: String?
    package var content: [UInt8]

    /// The document kind of a top-level object, or nil when it is not a document.
    static func kind(of root: JSONValue) -> Kind? {
        guard root.kind == .object, root["eventID"] == nil else { return nil }
        if root["Policy"]?.kind == .string || root["Statement"] != nil { return .keyPolicy }
        let members: [(String, Kind)] = [
            ("DBClusters", .dbClusters), ("DBInstances", .dbInstances),
            ("DBClusterSnapshots", .dbClusterSnapshots), ("DBSnapshots", .dbSnapshots),
            ("Aliases", .aliases), ("KeyMetadata", .keyMetadata), ("Grants", .grants),
        ]
        for (name, kind) in members where root[name] != nil { return kind }
        return nil
    }

    /// The AWS CLI command whose output this kind of document is (for error messages).
    static func command(_ kind: Kind) -> String {
        switch kind {
        case .keyPolicy: return "aws kms get-key-policy"
        case .dbClusters: return "aws rds describe-db-clusters"
        case .dbInstances: return "aws rds describe-db-instances"
        case .dbClusterSnapshots: return "aws rds describe-db-cluster-snapshots"
        case .dbSnapshots: return "aws rds describe-db-snapshots"
        case .aliases: return "aws kms list-aliases"
        case .keyMetadata: return "aws kms describe-key"
        case .grants: return "aws kms list-grants"
        }
    }

    /// Why a document is not what its top-level member says it is (nil when it is): a list that
    /// is not a list, an item without its identifier, a policy that is not a policy. Such a file
    /// is refused whole, so that state is never built from half of it.
    static func problem(_ root: JSONValue, kind: Kind) -> String? {
        func items(_ member: String, id: String) -> String? {
            guard let list = root[member], list.kind == .array else { return "\(member) is not an array" }
            for (i, item) in list.elements.enumerated() {
                guard item.kind == .object else { return "\(member)[\(i)] is not an object" }
                guard let v = item[id], v.kind == .string, !(v.string ?? "").isEmpty else {
                    return "\(member)[\(i)] has no \(id)"
                }
            }
            return nil
        }
        switch kind {
        case .dbClusters: return items("DBClusters", id: "DBClusterIdentifier")
        case .dbInstances: return items("DBInstances", id: "DBInstanceIdentifier")
        case .dbClusterSnapshots: return items("DBClusterSnapshots", id: "DBClusterSnapshotIdentifier")
        case .dbSnapshots: return items("DBSnapshots", id: "DBSnapshotIdentifier")
        case .aliases: return items("Aliases", id: "AliasName")
        case .grants: return items("Grants", id: "GrantId")
        case .keyMetadata:
            guard let m = root["KeyMetadata"], m.kind == .object else { return "KeyMetadata is not an object" }
            guard let arn = m["Arn"]?.string, KeyReference.isKeyARN(arn) else { return "KeyMetadata has no key Arn" }
            return nil
        case .keyPolicy:
            var document = root
            var parsed: JSONTape?
            if let text = root["Policy"], text.kind == .string {
                let bytes = Array((text.string ?? "").utf8)
                do {
                    parsed = try JSONTape(parsing: bytes)
                } catch let e as JSONTapeError {
                    return "Policy is not JSON (\(e.reason) at byte \(e.offset))"
                } catch {
                    return "Policy is not JSON"
                }
                document = parsed!.root
            }
            guard document.kind == .object else { return "the policy is not a JSON object" }
            guard let statements = document["Statement"], statements.kind == .array || statements.kind == .object else {
                return "the policy has no Statement list"
            }
            return nil
        }
    }

    /// Account, region and (for policies) key ARN from where the file sits.
    static func locate(path: String, kind: Kind) -> (keyARN: String?, account: String?, region: String?) {
        let components = path.split(separator: "/").map(String.init)
        guard let file = components.last else { return (nil, nil, nil) }
        let stem = file.replacingOccurrences(of: ".json.gz", with: "").replacingOccurrences(of: ".json", with: "")
        // A file name that is the key ARN with ':' and '/' replaced by '_'.
        let parts = stem.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 7, parts[0] == "arn", parts[2] == "kms", parts[5] == "key" {
            return ("arn:\(parts[1]):kms:\(parts[3]):\(parts[4]):key/\(parts[6])", parts[4], parts[3])
        }
        // `.../ACCOUNT/REGION/FILE.json`.
        if components.count >= 3 {
            let account = components[components.count - 3]
            let region = components[components.count - 2]
            if account.count == 12, account.allSatisfy(\.isNumber), region.contains("-") {
                let key = kind == .keyPolicy ? "arn:aws:kms:\(region):\(account):key/\(stem)" : nil
                return (key, account, region)
            }
        }
        return (nil, nil, nil)
    }
}
