/// The tool's version, shown in reports and `--version`.
public enum KMSAuditVersion {
    public static let current = "0.1.0"
}
