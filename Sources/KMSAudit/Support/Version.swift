/// The tool's version, shown in reports and `--version`.
package enum KMSAuditVersion {
    package static let current = "0.1.0"
}
