/// A key policy or inventory file (`aws kms get-key-policy`, `aws rds describe-db-clusters`,
/// `aws kms list-grants`, ...; docs/INPUTS.md), recognised by its shape: a single JSON object with one of the known top-level members
/// and no `eventID`. Stored whole in `documents`; the state derivation reads it.
public struct DocumentInput: Sendable, Equatable {
    public enum Kind: String, Sendable {
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

    public var kind: Kind
    /// For key policies: the key, from the path (`.../ACCOUNT/REGION/KEY-ID.json`) or a file
    /// name that is the key ARN with `:` and `/` replaced by `_`.
    public var keyARN: String?
    public var account: String?
    public var region: String?
    public var content: [UInt8]

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
