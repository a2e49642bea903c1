import Testing
@testable import KMSAudit
@Test func versionIsSet() { #expect(!KMSAuditVersion.current.isEmpty) }
