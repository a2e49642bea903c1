import GRDB

/// Derives keys, aliases, policies, grants, key states, DB resources and snapshots from every
/// ingested event and document (docs/rules/DECISIONS.md #7), before the rules read them.
struct StatePreparation: RulePreparation {
    let name = "derived-state"

    func prepare(_ db: Database, _ context: CheckContext) throws {
        let options = StateOptions(
            // A key the config lists database principals for is named by the config too.
            extraDatabaseKeys: context.options.config.databaseKeys + context.options.config.databasePrincipals.keys.sorted(),
            policyNamesRDSViaService: { text in (try? KeyPolicy(json: text))?.hasRDSViaServiceCondition ?? false })
        _ = try StateBuilder.rebuild(db, options: options)
    }
}
