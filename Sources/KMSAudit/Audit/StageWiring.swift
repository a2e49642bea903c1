/// Where the stages are wired together (docs/DESIGN.md "Stages and the Store's front door"):
/// what ingest hands on to Integrity and State. `kmsaudit ingest` ingests with `standard`, `audit`
/// with `checkFollows`.
extension IngestHooks {
    package static let standard = IngestHooks(
        // Integrity parses and keeps CloudTrail digest files.
        digestFiles: DigestStore.ingestStep,
        // State writes the calls' alias resolutions onto the events just stored, so that
        // `kms_events` names every call's key right after ingest.
        afterIngest: [StateBuilder.keyResolutionsStep])
}

extension IngestHooks {
    /// For `audit`, which checks as soon as it has ingested: the check's state rebuild resolves
    /// every call's key (with what RDS responses add about aliases), so resolving the new calls
    /// after ingest as well did the same work twice: 7-11 s of a 70-100 s audit of one new day on
    /// 20M records over 90 days. (That night was not measurably faster, being bound by reading a
    /// database larger than the page cache: DESIGN, "The nightly at 20M over 90 days".) Should
    /// the check fail, the calls stay unresolved until the next ingest or check, and the audit
    /// has exited with an error.
    package static let checkFollows = IngestHooks(digestFiles: standard.digestFiles, afterIngest: [])
}
