/// One stored event: the normalised columns docs/rules/README.md "Terms" define. Built in the decoding
/// threads and packed with its raw record into an `EventChunk` for the single writer.
package struct NormalisedEvent: Sendable, Equatable {
    package var eventID: String
    /// Canonical `YYYY-MM-DDTHH:MM:SSZ`, so that SQL compares times as text.
    package var eventTime: String
    package var eventSource: String
    package var eventName: String
    package var eventType: String?
    package var awsRegion: String?
    /// `recipientAccountId`: the account whose trail received the record.
    package var account: String?
    /// Never empty: see `PrincipalResolver`.
    package var principal: String
    package var principalType: String?
    package var principalAccount: String?
    package var sessionName: String?
    package var invokedBy: String?
    package var sourceIP: String?
    package var userAgent: String?
    /// The key as the caller wrote it (key id, key ARN, alias name or alias ARN).
    package var keyRef: String?
    /// The key ARN when the record itself determines it; aliases are resolved later, as of
    /// the event's time, by the state derivation (`kmsaudit check`).
    package var keyARN: String?
    package var viaRDS: Bool
    package var succeeded: Bool
    package var errorCode: String?
    package var errorMessage: String?
    package var sharedEventID: String?
    package var recordIndex: Int
}
