/// AWS service names as CloudTrail writes them in `invokedBy` and `sourceIPAddress`.
package enum ServiceNames {
    /// `rds.amazonaws.com` or `rds.REGION.amazonaws.com`: Neptune calls KMS through RDS too.
    package static func isRDS(_ name: String?) -> Bool {
        guard let name else { return false }
        if name == "rds.amazonaws.com" { return true }
        return name.hasPrefix("rds.") && name.hasSuffix(".amazonaws.com") && !name.contains("/")
    }

    /// The event sources kmsaudit stores by default.
    package static let storedSources: Set<String> = ["kms.amazonaws.com", "rds.amazonaws.com", "backup.amazonaws.com"]
}
