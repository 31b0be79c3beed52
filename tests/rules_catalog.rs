//! docs/rules-catalog.md lists every built-in rule; it is generated, and never stale.

use trailgate::report::catalog::{markdown, CATALOG_PATH};
use trailgate::rule::load_builtin;

#[test]
fn committed_catalog_is_up_to_date() {
    let loaded =
        trailgate::rule::collection::compile_collection(&trailgate::rule::load::builtin_files())
            .expect("built-in rules load");
    let rules = &loaded.rules;
    let committed = std::fs::read_to_string(CATALOG_PATH).unwrap_or_default();
    assert!(
        committed == markdown(rules, &loaded.correlations),
        "{CATALOG_PATH} is stale: regenerate it with `cargo run -- rules list --format markdown > {CATALOG_PATH}`"
    );
    let ids = rules
        .iter()
        .map(|r| &r.id)
        .chain(loaded.correlations.iter().map(|c| &c.id));
    for id in ids {
        assert!(
            committed.contains(&format!("`{id}`")),
            "{id} is missing from the catalog"
        );
    }
}

/// The coverage table names every technique the built-in rules tag: a new technique id in a rule
/// needs its ATT&CK name and tactics in `report::attack::TECHNIQUES`.
#[test]
fn every_tagged_technique_is_known() {
    let rules = load_builtin().expect("built-in rules load");
    let mut unknown = Vec::new();
    for rule in &rules {
        for id in trailgate::report::attack::technique_ids(&rule.tags) {
            if trailgate::report::attack::technique(&id).is_none() {
                unknown.push(format!("{}: {id}", rule.id));
            }
        }
        // A tag that looks like ATT&CK but is not an id the reader understands is a typo.
        for tag in &rule.tags {
            let lower = tag.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("attack.") {
                let is_technique =
                    !trailgate::report::attack::technique_ids(std::slice::from_ref(tag)).is_empty();
                let is_tactic =
                    !trailgate::report::attack::tagged_tactic_ids(std::slice::from_ref(tag))
                        .is_empty();
                assert!(
                    is_technique || is_tactic,
                    "{}: `{tag}` is neither a technique (attack.t1234[.001]) nor a tactic (attack.ta0001, attack.{rest})",
                    rule.id
                );
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "add these techniques to report::attack::TECHNIQUES: {unknown:?}"
    );
}
