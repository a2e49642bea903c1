import Foundation
import GRDB

/// Alias → key over time (docs/rules/README.md Terms "Key", docs/rules/DECISIONS.md #8).
///
/// Alias events (`CreateAlias`, `UpdateAlias`, `DeleteAlias`) are authoritative from the first of
/// them on. Before it (or for all time, when an alias has no events), observations fill in:
/// `list-aliases` inventory (valid from the beginning of time) and RDS responses that turned an
/// alias `kmsKeyId` into a key ARN (from the start of time, or from the response's time when an
/// earlier observation said otherwise). Segments of one alias never overlap.
struct AliasHistory {
    struct Segment {
        var alias: AliasName
        var keyARN: String?
        var validFrom: String?
        var validTo: String?
        var source: String
        var eventID: String?
        var fileID: Int64?
        var endedBy: String?
        var endedEventID: String?
    }

    enum FactKind { case create, update, delete, inventory, rdsResponse }

    struct Fact {
        var alias: AliasName
        var kind: FactKind
        var time: String?
        var order: Int64
        var keyARN: String?
        var eventName: String?
        var eventID: String?
        var fileID: Int64?
    }

    private(set) var segments: [AliasName: [Segment]] = [:]

    init(facts: [Fact]) {
        var byAlias: [AliasName: [Fact]] = [:]
        for f in facts { byAlias[f.alias, default: []].append(f) }
        for (alias, list) in byAlias {
            segments[alias] = Self.build(alias: alias, facts: list)
        }
    }

    private static func build(alias: AliasName, facts: [Fact]) -> [Segment] {
        let events = facts.filter { [.create, .update, .delete].contains($0.kind) }
            .sorted { ($0.time ?? "", $0.order) < ($1.time ?? "", $1.order) }
        let firstEvent = events.first
        let observations = facts.filter { f in
            guard f.kind == .inventory || f.kind == .rdsResponse, f.keyARN != nil else { return false }
            guard let first = firstEvent?.time else { return true }
            return f.time == nil || f.time! < first
        }.sorted { lhs, rhs in
            // Inventory first (no time: "from the beginning"), then responses by time.
            switch (lhs.time, rhs.time) {
            case (nil, nil): return lhs.order < rhs.order
            case (nil, _): return true
            case (_, nil): return false
            case let (l?, r?): return (l, lhs.order) < (r, rhs.order)
            }
        }

        var out: [Segment] = []
        var open: Segment?
        for o in observations {
            if let current = open {
                if current.keyARN == o.keyARN { continue }
                var closed = current
                closed.validTo = o.time
                closed.endedBy = o.kind == .inventory ? "list-aliases" : "rds-response"
                closed.endedEventID = o.eventID
                out.append(closed)
                open = segment(alias, o, from: o.time)
            } else {
                open = segment(alias, o, from: nil)
            }
        }
        for e in events {
            if var current = open {
                current.validTo = e.time
                current.endedBy = e.eventName
                current.endedEventID = e.eventID
                out.append(current)
                open = nil
            }
            if e.kind == .create || e.kind == .update {
                open = segment(alias, e, from: e.time)
            }
        }
        if let current = open { out.append(current) }
        return out
    }

    private static func segment(_ alias: AliasName, _ f: Fact, from: String?) -> Segment {
        let source: String
        switch f.kind {
        case .create: source = "CreateAlias"
        case .update: source = "UpdateAlias"
        case .inventory: source = "list-aliases"
        case .rdsResponse, .delete: source = "rds-response"
        }
        return Segment(alias: alias, keyARN: f.keyARN, validFrom: from, validTo: nil, source: source,
                       eventID: f.eventID, fileID: f.fileID, endedBy: nil, endedEventID: nil)
    }

    /// The key an alias names at `time`. AWS managed aliases (`alias/aws/...`) never change
    /// target, so any observation of them holds at every time; `time` nil asks for the latest.
    func resolve(_ alias: AliasName, at time: String?) -> String? {
        guard let list = segments[alias], !list.isEmpty else { return nil }
        if time == nil || alias.name.hasPrefix("alias/aws/") {
            return list.last(where: { $0.keyARN != nil })?.keyARN
        }
        let t = time!
        return list.first(where: { s in
            (s.validFrom == nil || s.validFrom! <= t) && (s.validTo == nil || t < s.validTo!)
        })?.keyARN
    }

    /// Resolves a key reference as written (key ARN, key id, alias name or alias ARN) to a key
    /// ARN, with `region`/`account` for the forms that do not carry them.
    func resolveKeyRef(_ ref: String?, region: String?, account: String?, at time: String?) -> String? {
        guard let ref, !ref.isEmpty else { return nil }
        if let alias = AliasName(ref: ref, account: account, region: region) {
            return resolve(alias, at: time)
        }
        if ref.hasPrefix("arn:") {
            return KeyReference.isKeyARN(ref) ? ref : nil
        }
        guard let region, let account, !ref.contains("/"), !ref.contains(":") else { return nil }
        return "arn:\(ARNParts.partition(forRegion: region)):kms:\(region):\(account):key/\(ref)"
    }

    var allSegments: [Segment] {
        segments.keys.sorted { ($0.name, $0.account ?? "", $0.region ?? "") < ($1.name, $1.account ?? "", $1.region ?? "") }
            .flatMap { segments[$0]! }
    }
}

extension StateBuild {
    /// Facts from alias events, `list-aliases` inventory and the RDS responses' facts given
    /// (`appendAliasFacts`); writes `alias_history`.
    func buildAliases(rdsFacts: [AliasHistory.Fact]) throws {
        var facts: [AliasHistory.Fact] = []

        let rows = try Row.fetchCursor(db, sql: """
            SELECT e.id, e.event_id, e.event_time, e.event_name, e.aws_region, e.account,
                   json_extract(e.raw, '$.requestParameters.aliasName') AS alias_name,
                   json_extract(e.raw, '$.requestParameters.targetKeyId') AS target,
                   (SELECT group_concat(coalesce(json_extract(r.value, '$.ARN'), json_extract(r.value, '$.arn')), ' ')
                      FROM json_each(e.raw, '$.resources') r
                     WHERE r.type = 'object' AND coalesce(json_type(r.value, '$.ARN'), json_type(r.value, '$.arn')) = 'text'
                   ) AS resource_arns
              FROM events e
             WHERE e.event_name IN ('CreateAlias', 'UpdateAlias', 'DeleteAlias')
               AND e.event_source = 'kms.amazonaws.com' AND e.succeeded = 1
            """)
        while let row = try rows.next() {
            guard let rawName = row.stateText("alias_name") else { continue }
            let region: String? = row["aws_region"]
            let account: String? = row["account"]
            let arns = (row.stateText("resource_arns") ?? "").split(separator: " ").map(String.init)
            // The alias's own ARN says where it lives; else the event's region and account.
            var alias = AliasName(ref: rawName, account: account, region: region)
                ?? AliasName(name: rawName, account: account, region: region)
            if let aliasARN = arns.first(where: { $0.contains(":alias/") }), let parts = ARNParts(aliasARN),
               parts.resource == alias.name {
                alias.account = parts.account
                alias.region = parts.region
            }
            let name: String = row["event_name"]
            let kind: AliasHistory.FactKind = name == "CreateAlias" ? .create : name == "UpdateAlias" ? .update : .delete
            var key: String?
            if kind != .delete {
                guard let target = row.stateText("target") else { continue }
                if KeyReference.isKeyARN(target) {
                    key = target
                } else if let match = arns.first(where: { KeyReference.isKeyARN($0) && $0.hasSuffix(":key/\(target)") }) {
                    key = match
                } else if let region = alias.region, let account = alias.account, !target.contains("/"), !target.contains(":") {
                    key = "arn:\(ARNParts.partition(forRegion: region)):kms:\(region):\(account):key/\(target)"
                }
                if key == nil { continue }
            }
            facts.append(.init(alias: alias, kind: kind, time: row["event_time"], order: row["id"], keyARN: key,
                               eventName: name, eventID: row["event_id"], fileID: nil))
        }

        let docs = try Row.fetchCursor(db, sql: """
            WITH d AS MATERIALIZED (
                SELECT file_id, account, region, content FROM documents
                 WHERE kind = 'aliases' AND json_valid(content) AND json_type(content, '$.Aliases') = 'array'
            )
            SELECT d.file_id, d.account, d.region,
                   json_extract(a.value, '$.AliasName') AS alias_name,
                   json_extract(a.value, '$.AliasArn') AS alias_arn,
                   json_extract(a.value, '$.TargetKeyId') AS target
              FROM d, json_each(d.content, '$.Aliases') a
             WHERE a.type = 'object'
            """)
        var inventoryOrder: Int64 = 0
        while let row = try docs.next() {
            guard let name = row.stateText("alias_name"), let target = row.stateText("target") else { continue }
            var account: String? = row["account"]
            var region: String? = row["region"]
            if let arn = row.stateText("alias_arn"), let parts = ARNParts(arn) {
                account = parts.account; region = parts.region
            }
            let key: String?
            if KeyReference.isKeyARN(target) {
                key = target
            } else if let region, let account, !target.contains("/"), !target.contains(":") {
                key = "arn:\(ARNParts.partition(forRegion: region)):kms:\(region):\(account):key/\(target)"
            } else {
                key = nil
            }
            guard let key else { continue }
            inventoryOrder += 1
            facts.append(.init(alias: AliasName(name: name, account: account, region: region), kind: .inventory,
                               time: nil, order: inventoryOrder, keyARN: key, eventName: nil, eventID: nil,
                               fileID: row["file_id"]))
        }

        facts += rdsFacts

        aliases = AliasHistory(facts: facts)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO alias_history (alias_name, account, region, key_arn, valid_from, valid_to, source,
                                       event_id, file_id, ended_by, ended_event_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for s in aliases.allSegments {
            try insert.execute(arguments: [s.alias.name, s.alias.account, s.alias.region, s.keyARN, s.validFrom,
                                           s.validTo, s.source, s.eventID, s.fileID, s.endedBy, s.endedEventID])
            summary.aliasSegments += 1
        }
    }

    /// What one RDS event's response teaches about an alias. The order facts arrive in does not
    /// matter: `AliasHistory` sorts each alias's facts by time and row id, which no two share.
    static func appendAliasFacts(of ev: RDSEvent, to facts: inout [AliasHistory.Fact]) {
        // An alias kmsKeyId in the request that the response shows as a key ARN.
        if let requested = StateJSON.string(ev.request, "kmsKeyId"),
           let alias = AliasName(ref: requested, account: ev.account, region: ev.region),
           let answered = StateJSON.string(ev.response, "kmsKeyId"), KeyReference.isKeyARN(answered) {
            facts.append(.init(alias: alias, kind: .rdsResponse, time: ev.time, order: ev.rowID, keyARN: answered,
                               eventName: ev.name, eventID: ev.eventID, fileID: nil))
        }
        // An encrypted create without kmsKeyId gets the account's aws/rds key (not so for
        // restores, replicas and cluster members, which take their source's key).
        if let answered = StateJSON.string(ev.response, "kmsKeyId"), KeyReference.isKeyARN(answered),
           ev.usesDefaultRDSKeyWhenNoKeyGiven,
           let parts = ARNParts(answered), parts.account == ev.account, parts.region == ev.region {
            facts.append(.init(alias: AliasName(name: "alias/aws/rds", account: ev.account, region: ev.region),
                               kind: .rdsResponse, time: ev.time, order: ev.rowID, keyARN: answered,
                               eventName: ev.name, eventID: ev.eventID, fileID: nil))
        }
    }

    /// The key each KMS call without a key ARN acts on (`event_keys`), from `alias_history` as of
    /// the call's time. Kept
    /// from the last build (`StateEventKeys.swift`): only the calls stored since and the calls
    /// naming an alias whose segments differ from `aliasesBefore` (the segments `event_keys` was
    /// last computed against) are resolved again; everything, without a `state_progress` mark.
    /// Each call's resolution is then written onto its event (`writeBackKeyResolutions`).
    func buildEventKeys(aliasesBefore: AliasSegments) throws {
        let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
        let scope: KeyResolutionScope
        if let through = try StateProgress.eventsThrough(db, step: StateProgress.eventKeys) {
            let changed = try AliasSegments.read(db).changed(against: aliasesBefore)
            try db.execute(sql: "DROP TABLE IF EXISTS temp.state_rekey; CREATE TEMP TABLE state_rekey (id INTEGER PRIMARY KEY)")
            if !changed.isEmpty {
                try db.execute(sql: "DROP TABLE IF EXISTS temp.state_changed_aliases; CREATE TEMP TABLE state_changed_aliases (name, account, region)")
                for alias in changed {
                    try db.execute(sql: "INSERT INTO temp.state_changed_aliases VALUES (?, ?, ?)",
                                   arguments: [alias.name, alias.account, alias.region])
                }
                try db.execute(sql: """
                    INSERT INTO temp.state_rekey (id)
                    SELECT k.event_rowid FROM event_keys k
                     WHERE EXISTS (SELECT 1 FROM temp.state_changed_aliases c
                                    WHERE c.name = k.alias_name AND c.account IS k.alias_account AND c.region IS k.alias_region);
                    DELETE FROM event_keys WHERE event_rowid IN (SELECT id FROM temp.state_rekey);
                    DROP TABLE temp.state_changed_aliases;
                    """)
            }
            summary.eventKeysKept = true
            summary.eventsRekeyed = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.state_rekey") ?? 0
            // The calls stored since (a range of row ids: NOT INDEXED keeps SQLite from walking
            // every keyless call in events_key_time) and the calls of changed aliases; both
            // have no key ARN and no resolution yet.
            try insertEventKeys(source: """
                SELECT e.id, e.event_id, e.event_time, e.key_ref, e.aws_region, e.account
                  FROM events e NOT INDEXED
                 WHERE e.id > \(through) AND e.event_source = 'kms.amazonaws.com' AND e.key_arn IS NULL
                UNION ALL
                SELECT e.id, e.event_id, e.event_time, e.key_ref, e.aws_region, e.account
                  FROM temp.state_rekey r JOIN events e ON e.id = r.id
                """)
            // temp.state_rekey stays for the write-back, which drops it.
            scope = .since(through)
        } else {
            scope = .everything
            try db.execute(sql: "DELETE FROM event_keys")
            try insertEventKeys(source: """
                -- No key ARN in the record (`key_arn` NULL): not resolved yet or unresolvable
                -- (events_key_time), or resolved by an earlier build (the key_resolution index).
                -- Two index searches; an OR of the two made SQLite scan every event.
                SELECT e.id, e.event_id, e.event_time, e.key_ref, e.aws_region, e.account
                  FROM events e
                 WHERE CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) IS NULL AND e.event_source = 'kms.amazonaws.com'
                UNION ALL
                SELECT e.id, e.event_id, e.event_time, e.key_ref, e.aws_region, e.account
                  FROM events e
                 WHERE e.key_resolution IS NOT NULL AND e.resolved_key_arn IS NOT NULL AND e.event_source = 'kms.amazonaws.com'
                """)
        }
        try StateProgress.record(db, step: StateProgress.eventKeys, eventsThrough: top)
        // On the events now, so that every later step reads each call's key through
        // events_key_time alone (the index is on the record's key or else the resolved one).
        try StateBuilder.writeBackKeyResolutions(db, scope: scope)
        summary.eventsResolvedByAlias = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_keys WHERE resolution = 'alias'") ?? 0
        summary.eventsUnresolved = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_keys WHERE resolution = 'unresolved'") ?? 0
    }

    /// Resolves the calls `source` selects (id, event_id, event_time, key_ref, aws_region,
    /// account) into `event_keys`.
    private func insertEventKeys(source: String) throws {
        try db.execute(sql: """
            INSERT INTO event_keys (event_rowid, event_id, key_ref, alias_name, alias_account, alias_region, key_arn, resolution)
            WITH c AS MATERIALIZED (
            \(source)
            ),
            a AS (
                SELECT c.*,
                       CASE WHEN c.key_ref GLOB 'arn:*:alias/*' THEN substr(c.key_ref, 5) END AS r1
                  FROM c
            ),
            b AS (SELECT a.*, substr(r1, instr(r1, ':') + 1) AS r2 FROM a),
            d AS (SELECT b.*, substr(r2, instr(r2, ':') + 1) AS r3 FROM b),
            f AS (SELECT d.*, substr(r3, 1, instr(r3, ':') - 1) AS arn_region, substr(r3, instr(r3, ':') + 1) AS r4 FROM d),
            -- MATERIALIZED: flattened, each alias part re-ran the substr/instr chain above it at
            -- every use (0.21 -> 0.13 s for 18k events).
            p AS MATERIALIZED (
                SELECT f.id, f.event_id, f.event_time, f.key_ref,
                       CASE WHEN f.key_ref GLOB 'alias/*' THEN f.key_ref
                            WHEN f.r1 IS NOT NULL THEN substr(f.r4, instr(f.r4, ':') + 1) END AS alias_name,
                       CASE WHEN f.key_ref GLOB 'alias/*' THEN f.account
                            WHEN f.r1 IS NOT NULL THEN substr(f.r4, 1, instr(f.r4, ':') - 1) END AS alias_account,
                       CASE WHEN f.key_ref GLOB 'alias/*' THEN f.aws_region
                            WHEN f.r1 IS NOT NULL THEN f.arn_region END AS alias_region
                  FROM f
            ),
            r AS (
                SELECT p.*,
                       (SELECT h.key_arn FROM alias_history h
                         WHERE h.alias_name = p.alias_name AND h.account IS p.alias_account AND h.region IS p.alias_region
                           AND h.key_arn IS NOT NULL
                           AND (p.alias_name GLOB 'alias/aws/*'
                                OR ((h.valid_from IS NULL OR h.valid_from <= p.event_time)
                                    AND (h.valid_to IS NULL OR p.event_time < h.valid_to)))
                         ORDER BY h.valid_from DESC LIMIT 1) AS key_arn
                  FROM p
            )
            SELECT id, event_id, key_ref, alias_name, alias_account, alias_region, key_arn,
                   CASE WHEN key_arn IS NOT NULL THEN 'alias'
                        WHEN key_ref IS NOT NULL THEN 'unresolved' END
              FROM r
            """)
    }
}
