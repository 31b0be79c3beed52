//! docs/rules-catalog.md lists every built-in rule; it is generated, and never stale.

use trailgate::report::catalog::{markdown, CATALOG_PATH};
use trailgate::rule::load_builtin;

#[test]
fn committed_catalog_is_up_to_date() {
    let rules = load_builtin().expect("built-in rules load");
    let committed = std::fs::read_to_string(CATALOG_PATH).unwrap_or_default();
    assert!(
        committed == markdown(&rules),
        "{CATALOG_PATH} is stale: regenerate it with `cargo run -- rules list --format markdown > {CATALOG_PATH}`"
    );
    for rule in &rules {
        assert!(
            committed.contains(&format!("`{}`", rule.id)),
            "{} is missing from the catalog",
            rule.id
        );
    }
}
