import Foundation

// The HTML report's view model: what the templates show, already formatted. Plain structs of
// strings, flags and arrays, read by swift-mustache (see `HTMLReport.reflectedOnce`). No
// optionals: Mustache looks a nil value up in the enclosing contexts, which would show, say, the
// finding's principal in an event row that has none; absent values are "" or "—" with a `has…`
// flag beside them (and "" counts as true in a Mustache section, so the flags are Bools).

/// What the report template shows. Only stored properties: Mustache reads them by reflection.
struct HTMLView {
    var generatedAt: String
    var generatorVersion: String
    var run: HTMLRunView
    var integrity: HTMLIntegrityView
    var ingest: HTMLIngestView
    var policyUnknown: HTMLPolicyUnknownView
    var coverage: HTMLCoverageView
    var summary: HTMLSummaryView
    var databases: HTMLDatabasesView
    var severityChart: SVGChart
    var ruleChart: SVGChart
    var ruleSections: [HTMLRuleSectionView]
    var hasActive: Bool
    var suppressed: [HTMLCardView]
    var hasSuppressed: Bool
    var permissions: [String]
    var notes: [String]
    var hasNotes: Bool
    var totalFindings: Int

    init(_ model: ReportModel) {
        generatedAt = model.generatedAt
        generatorVersion = model.generatorVersion
        run = HTMLRunView(model)
        integrity = HTMLIntegrityView(model.integrity)
        ingest = HTMLIngestView(model.ingest)
        policyUnknown = HTMLPolicyUnknownView(keys: model.policyUnknownKeys)
        coverage = HTMLCoverageView(gaps: model.coverageGaps)
        summary = HTMLSummaryView(model)
        databases = HTMLDatabasesView(model.databases, findings: model.findings)
        let active = model.activeFindings
        severityChart = .bySeverity(active)
        ruleChart = .byRule(active, ruleIDs: model.ruleIDs)
        var index = 0
        func card(_ f: ReportModel.Finding) -> HTMLCardView {
            index += 1
            return HTMLCardView(f, index: index, eventLimit: model.eventLimit)
        }
        ruleSections = model.ruleIDs.map { rule in
            let cards = active.filter { $0.ruleID == rule }.map(card)
            return HTMLRuleSectionView(ruleID: rule, title: model.ruleTitle(rule), anchor: htmlAnchor("rule", rule),
                                   count: cards.count, findings: cards, hasFindings: !cards.isEmpty)
        }
        hasActive = !active.isEmpty
        suppressed = model.suppressedFindings.map(card)
        hasSuppressed = !suppressed.isEmpty
        permissions = ReportModel.neptuneKeyPermissions
        notes = model.notes
        hasNotes = !notes.isEmpty
        totalFindings = model.findings.count
    }
}

struct HTMLRunView {
    var id: String
    var status: String
    var startedAt: String
    var finishedAt: String
    var toolVersion: String
    var window: String
    var configPath: String
    var hasConfig: Bool
    var configSHA256: String
    var failOn: String
    var hasFailOn: Bool
    var rules: String
    var previousRun: String
    var hasPreviousRun: Bool

    init(_ model: ReportModel) {
        let r = model.run
        id = String(r.id)
        status = r.status
        startedAt = r.startedAt
        finishedAt = r.finishedAt ?? "not finished"
        toolVersion = r.toolVersion
        // An open end of the window is the first or last ingested event (docs/rules/README.md "Audit window").
        let start = r.windowStart ?? "the first event (\(model.ingest.firstEventTime ?? "none"))"
        let end = r.windowEnd ?? "the last event (\(model.ingest.lastEventTime ?? "none"))"
        window = r.windowStart == nil && r.windowEnd == nil
            ? "everything ingested, \(start) to \(end)"
            : "\(start) to \(end)"
        configPath = r.configPath ?? ""
        hasConfig = r.configPath != nil
        configSHA256 = r.configSHA256 ?? ""
        failOn = r.failOn ?? ""
        hasFailOn = r.failOn != nil
        rules = model.ruleIDs.isEmpty ? "none recorded" : model.ruleIDs.joined(separator: ", ")
        previousRun = model.previousRunID.map(String.init) ?? ""
        hasPreviousRun = model.previousRunID != nil
    }
}

struct HTMLFileView {
    var path: String
    var kind: String
    var error: String
}

struct HTMLIntegrityView {
    var checked: Bool
    /// `ok`, `warn`, `bad` or `unknown`: the banner's colour.
    var state: String
    var headline: String
    var checkedAt: String
    var scope: String
    var verified: String
    var notVerifiable: String
    var failed: String
    var failures: [HTMLFileView]
    var hasFailures: Bool

    init(_ info: ReportModel.Integrity?) {
        guard let info else {
            checked = false
            state = "unknown"
            headline = "Not checked: no evidence-integrity check has run on this database. Run kmsaudit verify (or check) with the trail's digest files to show that no log file was altered or left out."
            checkedAt = ""; scope = ""
            verified = "—"; notVerifiable = "—"; failed = "—"
            failures = []; hasFailures = false
            return
        }
        checked = true
        checkedAt = info.checkedAt
        scope = "\(info.logFiles) log file(s) and \(info.digests) digest(s) judged; digest signatures "
            + (info.signaturesChecked ? "checked against CloudTrail's public keys." : "not checked (no public keys given).")
        verified = String(info.verified)
        notVerifiable = String(info.notVerifiable)
        failed = String(info.failed)
        failures = info.failures.map { HTMLFileView(path: $0.path, kind: $0.errorKind ?? "", error: $0.error ?? "") }
        hasFailures = !failures.isEmpty
        if info.failed > 0 {
            state = "bad"
            headline = "\(info.failed) log file(s) or digest(s) failed verification: evidence may have been altered, deleted or left out after delivery."
        } else if info.notVerifiable > 0 {
            state = "warn"
            headline = "Nothing failed verification; \(info.notVerifiable) log file(s) or digest(s) could not be verified (no digest covers them), \(info.verified) verified."
        } else {
            state = "ok"
            headline = "All \(info.verified) log file(s) and digest(s) verified against CloudTrail digests."
        }
    }
}

struct HTMLAccountRegionView {
    var account: String
    var region: String
    var events: String
}

struct HTMLIngestView {
    var filesTotal: String
    var filesOK: String
    var filesFailed: String
    var filesSkipped: String
    var events: String
    var duplicates: String
    var clashes: String
    var hasClashes: Bool
    var firstEvent: String
    var lastEvent: String
    var lastIngestAt: String
    var accounts: String
    var regions: String
    var accountRegions: [HTMLAccountRegionView]
    var hasAccountRegions: Bool
    var failedFiles: [HTMLFileView]
    var hasFailedFiles: Bool

    init(_ i: ReportModel.Ingest) {
        filesTotal = String(i.filesTotal)
        filesOK = String(i.filesOK)
        filesFailed = String(i.filesFailed)
        filesSkipped = String(i.filesSkipped)
        events = String(i.events)
        duplicates = String(i.duplicates)
        clashes = String(i.clashes)
        hasClashes = i.clashes > 0
        firstEvent = i.firstEventTime ?? "—"
        lastEvent = i.lastEventTime ?? "—"
        lastIngestAt = i.lastIngestAt ?? "—"
        accounts = i.accounts.isEmpty ? "none" : i.accounts.joined(separator: ", ")
        regions = i.regions.isEmpty ? "none" : i.regions.joined(separator: ", ")
        accountRegions = i.accountRegions.map {
            HTMLAccountRegionView(account: $0.account ?? "(unknown)", region: $0.region ?? "(unknown)", events: String($0.events))
        }
        hasAccountRegions = !accountRegions.isEmpty
        failedFiles = i.failedFiles.map { HTMLFileView(path: $0.path, kind: $0.errorKind ?? "", error: $0.error ?? "") }
        hasFailedFiles = !failedFiles.isEmpty
    }
}

struct HTMLPolicyUnknownView {
    var checked: Bool
    var keys: [String]
    var hasKeys: Bool

    init(keys: [String]?) {
        checked = keys != nil
        self.keys = keys ?? []
        hasKeys = !(keys ?? []).isEmpty
    }
}

struct HTMLGapView {
    var account: String
    var region: String
    var what: String
    var start: String
    var end: String
    var hours: String
    var message: String
}

struct HTMLCoverageView {
    var checked: Bool
    var gaps: [HTMLGapView]
    var hasGaps: Bool

    init(gaps: [ReportModel.CoverageGap]?) {
        checked = gaps != nil
        self.gaps = (gaps ?? []).map {
            HTMLGapView(account: $0.account ?? "(unknown)", region: $0.region ?? "(unknown)",
                        what: $0.kind == "stopped-delivering" ? "stopped delivering" : "no log file",
                        start: $0.start ?? "—", end: $0.end ?? "—", hours: $0.hours.map(String.init) ?? "—",
                        message: $0.message ?? "")
        }
        hasGaps = !self.gaps.isEmpty
    }
}

struct HTMLSeverityCountView {
    var severity: String
    var label: String
    var count: String
    var isZero: Bool
}

struct HTMLRuleSummaryView {
    var ruleID: String
    var title: String
    var anchor: String
    var counts: [HTMLSeverityCountView]
    var total: String
    var new: String
    var suppressed: String
}

struct HTMLBriefFindingView {
    var ruleID: String
    var severity: String
    var severityLabel: String
    var title: String
    var subject: String
    var anchor: String
}

struct HTMLSummaryView {
    var severities: [HTMLSeverityCountView]
    var rules: [HTMLRuleSummaryView]
    var hasRules: Bool
    var active: String
    var new: String
    var suppressed: String
    var expired: String
    var hasExpired: Bool
    var newFindings: [HTMLBriefFindingView]
    var hasNew: Bool
    var resolved: [HTMLBriefFindingView]
    var hasResolved: Bool
    var hasPreviousRun: Bool
    var previousRun: String

    init(_ model: ReportModel) {
        let active = model.activeFindings
        func counts(_ fs: [ReportModel.Finding]) -> [HTMLSeverityCountView] {
            Severity.reportOrder.map { s in
                let n = fs.filter { $0.severity == s }.count
                return HTMLSeverityCountView(severity: s.rawValue, label: s.label, count: String(n), isZero: n == 0)
            }
        }
        severities = counts(active)
        rules = model.ruleIDs.map { rule in
            let all = model.findings.filter { $0.ruleID == rule }
            let live = all.filter { !$0.suppressed }
            return HTMLRuleSummaryView(ruleID: rule, title: model.ruleTitle(rule), anchor: htmlAnchor("rule", rule),
                                   counts: counts(live), total: String(live.count),
                                   new: String(live.filter(\.isNew).count),
                                   suppressed: String(all.filter(\.suppressed).count))
        }
        hasRules = !rules.isEmpty
        self.active = String(active.count)
        new = String(active.filter(\.isNew).count)
        suppressed = String(model.suppressedFindings.count)
        let expiredCount = model.findings.filter(\.suppressionExpired).count
        expired = String(expiredCount)
        hasExpired = expiredCount > 0
        newFindings = active.filter(\.isNew).sorted { $0.severity > $1.severity }.map {
            HTMLBriefFindingView(ruleID: $0.ruleID, severity: $0.severity.rawValue, severityLabel: $0.severity.label,
                             title: $0.title, subject: findingSubject(key: $0.keyARN, principal: $0.principal, resource: $0.resource),
                             anchor: htmlAnchor("finding", $0.fingerprint))
        }
        hasNew = !newFindings.isEmpty
        resolved = model.resolvedSincePrevious.map {
            HTMLBriefFindingView(ruleID: $0.ruleID, severity: $0.severity.rawValue, severityLabel: $0.severity.label,
                             title: $0.title, subject: findingSubject(key: $0.keyARN, principal: $0.principal, resource: $0.resource),
                             anchor: "")
        }
        hasResolved = !resolved.isEmpty
        hasPreviousRun = model.previousRunID != nil
        previousRun = model.previousRunID.map(String.init) ?? ""
    }
}

struct HTMLRuleSectionView {
    var ruleID: String
    var title: String
    var anchor: String
    var count: Int
    var findings: [HTMLCardView]
    var hasFindings: Bool
}

/// One finding card. The `data-*` attributes the script filters and sorts by come from here.
struct HTMLCardView {
    var anchor: String
    var index: Int
    var ruleID: String
    var severity: String
    var severityLabel: String
    var severityRank: Int
    var category: String
    var hasCategory: Bool
    var title: String
    var keyARN: String
    var hasKey: Bool
    var principal: String
    var hasPrincipal: Bool
    var resource: String
    var hasResource: Bool
    var firstSeen: String
    var lastSeen: String
    var eventCount: String
    var fingerprint: String
    var isNew: Bool
    var explanation: String
    var remediation: String
    var showPermissions: Bool
    var permissions: [String]
    var controls: [String]
    var hasControls: Bool
    var evidence: [HTMLEvidenceRowView]
    var hasEvidence: Bool
    var events: [HTMLEventView]
    var hasEvents: Bool
    var eventsHeading: String
    var eventsTruncated: Bool
    var eventsNote: String
    var suppressed: Bool
    var suppressionReason: String
    var suppressionExpires: String
    var hasSuppressionExpires: Bool
    var suppressionExpired: Bool

    init(_ f: ReportModel.Finding, index: Int, eventLimit: Int?) {
        anchor = HTMLView.anchorFor(f)
        self.index = index
        ruleID = f.ruleID
        severity = f.severity.rawValue
        severityLabel = f.severity.label
        severityRank = f.severity.reportRank
        category = f.category ?? ""
        hasCategory = f.category != nil
        title = f.title
        keyARN = f.keyARN ?? ""
        hasKey = f.keyARN != nil
        principal = f.principal ?? ""
        hasPrincipal = f.principal != nil
        resource = f.resource ?? ""
        hasResource = f.resource != nil
        firstSeen = f.firstSeen ?? "—"
        lastSeen = f.lastSeen ?? "—"
        eventCount = String(f.eventCount)
        fingerprint = f.fingerprint
        isNew = f.isNew
        explanation = f.explanation
        remediation = f.remediation
        // Rules about RDS's access to the key: name what Neptune needs (the seed's list).
        showPermissions = ["KMS-001", "KMS-002", "KMS-004", "KMS-006"].contains(f.ruleID)
        permissions = ReportModel.neptuneKeyPermissions
        controls = f.controls
        hasControls = !f.controls.isEmpty
        evidence = HTMLEvidenceRowView.rows(f.evidence)
        hasEvidence = !evidence.isEmpty
        events = f.events.map(HTMLEventView.init)
        hasEvents = !events.isEmpty
        eventsHeading = f.events.count < f.eventTotal
            ? "Evidence events (\(f.events.count) of \(f.eventTotal))"
            : "Evidence events (\(f.eventTotal))"
        eventsTruncated = f.events.count < f.eventTotal
        eventsNote = "Showing the first \(f.events.count) of \(f.eventTotal) events; evidence.csv lists them all."
        suppressed = f.suppressed
        suppressionReason = f.suppressionReason ?? "no reason recorded"
        suppressionExpires = f.suppressionExpires ?? ""
        hasSuppressionExpires = f.suppressionExpires != nil
        suppressionExpired = f.suppressionExpired
    }
}

struct HTMLEventView {
    var eventID: String
    var stored: Bool
    var time: String
    var name: String
    var source: String
    var region: String
    var principal: String
    var session: String
    var hasSession: Bool
    var sourceIP: String
    var userAgent: String
    var errorCode: String
    var errorMessage: String
    var failed: Bool
    var context: String
    var hasContext: Bool

    init(_ e: ReportModel.EvidenceEvent) {
        eventID = e.eventID
        stored = e.stored
        time = e.eventTime ?? "—"
        name = e.eventName ?? (e.stored ? "—" : "not in the database")
        source = e.eventSource ?? ""
        region = e.region ?? ""
        principal = e.principal ?? "—"
        session = e.sessionName ?? ""
        hasSession = !(e.sessionName ?? "").isEmpty
        sourceIP = e.sourceIP ?? "—"
        userAgent = e.userAgent ?? "—"
        errorCode = e.errorCode ?? ""
        errorMessage = e.errorMessage ?? ""
        failed = e.errorCode != nil
        // A flat object of strings as "key=value" pairs; anything else as stored.
        let pairs: String? = e.encryptionContext.flatMap(JSONReport.parseJSON).map { node in
            guard case .object(let members) = node else { return "" }
            return members.map { "\($0.key)=\(HTMLEvidenceRowView.cellText($0.value))" }.joined(separator: ", ")
        }
        context = pairs ?? e.encryptionContext ?? ""
        hasContext = !context.isEmpty
    }
}

/// One row of a finding's evidence table: a label and a value shown as text, a list, a nested
/// table or code, depending on the JSON value's shape.
struct HTMLEvidenceRowView {
    var key: String
    var label: String
    var isText: Bool
    var text: String
    var isCode: Bool
    var isList: Bool
    var items: [String]
    var moreItems: String
    var hasMoreItems: Bool
    var isTable: Bool
    var table: HTMLEvidenceTableView

    static let listCap = 100

    static func rows(_ evidence: ReportJSON) -> [HTMLEvidenceRowView] {
        switch evidence {
        case .object(let members): return members.map { HTMLEvidenceRowView(key: $0.key, value: $0.value) }
        case .null: return []
        default: return [HTMLEvidenceRowView(key: "evidence", value: evidence)]
        }
    }

    init(key: String, value: ReportJSON) {
        self.key = key
        label = HTMLEvidenceRowView.humanise(key)
        isText = false; text = ""; isCode = false
        isList = false; items = []; moreItems = ""; hasMoreItems = false
        isTable = false; table = HTMLEvidenceTableView(hasHeader: false, columns: [], rows: [])
        switch value {
        case .array(let elements) where elements.allSatisfy(\.isScalar):
            if elements.isEmpty {
                isText = true; text = "none"
            } else {
                isList = true
                items = elements.prefix(HTMLEvidenceRowView.listCap).map(HTMLEvidenceRowView.cellText)
                if elements.count > HTMLEvidenceRowView.listCap {
                    hasMoreItems = true
                    moreItems = "and \(elements.count - HTMLEvidenceRowView.listCap) more"
                }
            }
        case .array(let elements):
            isTable = true
            table = HTMLEvidenceTableView.rowsOfObjects(elements)
        case .object(let members):
            isTable = true
            table = HTMLEvidenceTableView(hasHeader: false, columns: [],
                                      rows: members.map { HTMLEvidenceTableRow(cells: [HTMLEvidenceRowView.humanise($0.key), HTMLEvidenceRowView.cellText($0.value)]) })
        default:
            let s = HTMLEvidenceRowView.cellText(value)
            // SQL and other long multi-line text read better as code.
            if s.contains("\n") || key.lowercased().hasSuffix("sql") || s.uppercased().hasPrefix("SELECT ") {
                isCode = true
            } else {
                isText = true
            }
            text = s
        }
    }

    /// A compact, readable text for any JSON value.
    static func cellText(_ v: ReportJSON) -> String {
        switch v {
        case .null: return "—"
        case .bool(let b): return b ? "yes" : "no"
        case .int(let i): return String(i)
        case .double(let d): return "\(d)"
        case .string(let s): return s
        case .array(let items):
            if items.isEmpty { return "none" }
            if items.allSatisfy(\.isScalar) { return items.map(cellText).joined(separator: ", ") }
            return items.map { $0.serialized(indent: nil) }.joined(separator: "; ")
        case .object(let members):
            if members.allSatisfy(\.value.isScalar) {
                return members.map { "\($0.key): \(cellText($0.value))" }.joined(separator: "; ")
            }
            return v.serialized(indent: nil)
        }
    }

    /// `source_ips` → "Source IPs": the evidence keys as a reader would write them.
    static func humanise(_ key: String) -> String {
        let words = key.replacingOccurrences(of: "-", with: "_").split(separator: "_")
            .map { acronyms[$0.lowercased()] ?? String($0) }
        guard let first = words.first else { return key }
        let head = first.prefix(1).uppercased() + first.dropFirst()
        return ([head] + words.dropFirst()).joined(separator: " ")
    }

    static let acronyms = [
        "ip": "IP", "ips": "IPs", "arn": "ARN", "arns": "ARNs", "sql": "SQL", "id": "ID", "ids": "IDs",
        "kms": "KMS", "rds": "RDS", "db": "DB", "url": "URL", "json": "JSON", "aws": "AWS",
    ]
}

struct HTMLEvidenceTableRow {
    var cells: [HTMLEvidenceCell]

    init(cells: [String]) { self.cells = cells.map(HTMLEvidenceCell.init) }
}

/// A nested-table cell. Only long unbroken values (ARNs, ids) may break anywhere: letting short
/// words break too would squeeze their columns to a letter wide.
struct HTMLEvidenceCell {
    var text: String
    var long: Bool

    init(_ text: String) {
        self.text = text
        long = text.split(separator: " ").contains { $0.count > 20 }
    }
}

struct HTMLEvidenceTableView {
    var hasHeader: Bool
    var columns: [String]
    var rows: [HTMLEvidenceTableRow]

    /// An array of objects (exposed resources with their backups, say): a column per key.
    static func rowsOfObjects(_ elements: [ReportJSON]) -> HTMLEvidenceTableView {
        var keys: [String] = []
        for case .object(let members) in elements {
            for m in members where !keys.contains(m.key) { keys.append(m.key) }
        }
        let rows = elements.map { element -> HTMLEvidenceTableRow in
            if case .object = element {
                return HTMLEvidenceTableRow(cells: keys.map { element[$0].map(HTMLEvidenceRowView.cellText) ?? "—" })
            }
            return HTMLEvidenceTableRow(cells: [HTMLEvidenceRowView.cellText(element)] + Array(repeating: "", count: max(0, keys.count - 1)))
        }
        return HTMLEvidenceTableView(hasHeader: !keys.isEmpty, columns: keys.map(HTMLEvidenceRowView.humanise), rows: rows)
    }
}

extension HTMLView {
    static func anchorFor(_ f: ReportModel.Finding) -> String { htmlAnchor("finding", f.fingerprint) }
}

/// An id attribute value: a prefix and the text reduced to letters, digits and dashes.
func htmlAnchor(_ prefix: String, _ text: String) -> String {
    let safe = text.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? String($0) : "-" }.joined()
    return prefix + "-" + safe
}

/// "key · principal · resource": what a short line about a finding names.
private func findingSubject(key: String?, principal: String?, resource: String?) -> String {
    [resource, principal, key].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ")
}
