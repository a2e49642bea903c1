/// Where the stages are wired together (docs/DESIGN.md "Stages and the Store's front door"):
/// what ingest hands on to Integrity and State. `kmsaudit ingest` and `audit` ingest with these.
extension IngestHooks {
    package static let standard = IngestHooks(
        // Integrity parses and keeps CloudTrail digest files.
        digestFiles: DigestStore.ingestStep,
        // State writes the calls' alias resolutions onto the events just stored, so that
        // `kms_events` names every call's key right after ingest.
        afterIngest: [StateBuilder.keyResolutionsStep])
}
