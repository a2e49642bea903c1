import Foundation

/// Turns one CloudTrail record into a `NormalisedEvent`, or says precisely why it is not a
/// valid CloudTrail record (the file is then rejected whole: see docs/DESIGN.md).
package enum EventNormaliser {
    /// Why a record is not a valid CloudTrail record; becomes `InputError.record`.
    package struct Invalid: Error, Equatable { package var reason: String }

    package static func normalise(_ record: JSONValue, index: Int) throws -> NormalisedEvent {
        guard record.kind == .object else { throw Invalid(reason: "record is not a JSON object") }
        let m = RecordMembers(record)
        let eventID = try requiredString(m, .eventID)
        let eventTime = try canonicalTime(try requiredString(m, .eventTime))
        let eventSource = try requiredString(m, .eventSource)
        let eventName = try requiredString(m, .eventName)
        let identity = m[.userIdentity]
        if let identity, identity.kind != .object, identity.kind != .null {
            throw Invalid(reason: "userIdentity is not an object")
        }
        if let resources = m[.resources], resources.kind != .array, resources.kind != .null {
            throw Invalid(reason: "resources is not an array")
        }
        if let reason = FieldShapes.problem(in: record, kms: eventSource == "kms.amazonaws.com") {
            throw Invalid(reason: reason)
        }
        let region = try optionalString(m, .awsRegion)
        let account = try optionalString(m, .recipientAccountId)
        let sourceIP = try optionalString(m, .sourceIPAddress)
        let errorCode = try optionalString(m, .errorCode)
        let who = PrincipalResolver.resolve(identity)
        let key = eventSource == "kms.amazonaws.com"
            ? KeyReference.resolve(m, region: region, account: account) : (ref: nil, arn: nil)

        return NormalisedEvent(
            eventID: eventID, eventTime: eventTime, eventSource: eventSource, eventName: eventName,
            eventType: try optionalString(m, .eventType), awsRegion: region, account: account,
            principal: who.principal, principalType: who.type, principalAccount: who.account,
            sessionName: who.sessionName, invokedBy: who.invokedBy, sourceIP: sourceIP,
            userAgent: try optionalString(m, .userAgent), keyRef: key.ref, keyARN: key.arn,
            viaRDS: isViaRDS(type: who.type, invokedBy: who.invokedBy, sourceIP: sourceIP),
            succeeded: errorCode == nil || errorCode == "",
            errorCode: errorCode.flatMap { $0.isEmpty ? nil : $0 },
            errorMessage: try optionalString(m, .errorMessage),
            sharedEventID: try optionalString(m, .sharedEventID),
            recordIndex: index)
    }

    /// docs/rules/README.md "Via RDS": invoked by RDS, or the RDS service itself.
    static func isViaRDS(type: String?, invokedBy: String?, sourceIP: String?) -> Bool {
        if ServiceNames.isRDS(invokedBy) { return true }
        return type == "AWSService" && ServiceNames.isRDS(sourceIP)
    }

    static func requiredString(_ record: RecordMembers, _ member: RecordMembers.Name) throws -> String {
        guard let value = record[member], !value.isNull else { throw Invalid(reason: "missing \(member)") }
        guard let s = value.string else { throw Invalid(reason: "\(member) is not a string") }
        guard !s.isEmpty else { throw Invalid(reason: "\(member) is empty") }
        return s
    }

    static func optionalString(_ record: RecordMembers, _ member: RecordMembers.Name) throws -> String? {
        guard let value = record[member], !value.isNull else { return nil }
        guard let s = value.string else { throw Invalid(reason: "\(member) is not a string") }
        return s
    }

    /// CloudTrail writes `2024-10-21T14:25:29Z`; anything ISO-8601 with another precision or
    /// offset is converted to that form so that times sort and compare as text.
    static func canonicalTime(_ s: String) throws -> String {
        let u = Array(s.utf8)
        if u.count == 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A, u[16] == 0x3A, u[19] == 0x5A,
           [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].allSatisfy({ u[$0] >= 0x30 && u[$0] <= 0x39 }) {
            return s
        }
        if let date = TimeFormats.parseLenient(s) { return TimeFormats.canonical(date) }
        throw Invalid(reason: "eventTime \"\(s.prefix(40))\" is not an ISO-8601 time")
    }
}
