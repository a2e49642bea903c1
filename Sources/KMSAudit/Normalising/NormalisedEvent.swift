/// One stored event: the normalised columns docs/rules/README.md "Terms" define. Built in the decoding
/// threads and packed with its raw record into an `EventChunk` for the single writer.
public struct NormalisedEvent: Sendable, Equatable {
    public var eventID: String
    /// Canonical `YYYY-MM-DDTHH:MM:SSZ`, so that SQL compares times as text.
    public var eventTime: String
    public var eventSource: String
    public var eventName: String
    public var eventType: String?
    public var awsRegion: String?
    /// `recipientAccountId`: the account whose trail received the record.
    public var account: String?
    /// Never empty: see `PrincipalResolver`.
    public var principal: String
    public var principalType: String?
    public var principalAccount: String?
    public var sessionName: String?
    public var invokedBy: String?
    public var sourceIP: String?
    public var userAgent: String?
    /// The key as the caller wrote it (key id, key ARN, alias name or alias ARN).
    public var keyRef: String?
    /// The key ARN when the record itself determines it; aliases are resolved later, as of
    /// the event's time, by the state derivation (`kmsaudit check`).
    public var keyARN: String?
    public var viaRDS: Bool
    public var succeeded: Bool
    public var errorCode: String?
    public var errorMessage: String?
    public var sharedEventID: String?
    public var recordIndex: Int
}
