//! Condition evaluation over arbitrary events: every built-in rule (and the Sigma-compiled ones
//! among them) on any JSON value, never a panic; the short-circuiting evaluator and the tracing
//! one agree on every rule; the index picks exactly the rules whose selectors select the event.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use trailgate::engine::{EventResult, RuleSet};
use trailgate::source::Origin;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        RuleSet::new(trailgate::rule::load::load_builtin().expect("the built-in rules compile"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let rules = rules();
    let origin = Origin {
        file: "fuzz.json".into(),
        record: 0,
        line: None,
    };
    // The fast path: the index chooses the candidates.
    let mut candidates = Vec::new();
    let mut indexed = EventResult::default();
    rules.evaluate(&event, &origin, &mut candidates, &mut indexed);
    // The reference path: each rule's own selector chooses.
    let selected: Vec<usize> = (0..rules.rules().len())
        .filter(|&i| rules.rules()[i].selector.selects(&event))
        .collect();
    let mut reference = EventResult::default();
    rules.evaluate_candidates(&event, &origin, &selected, &mut reference);
    let ids = |r: &EventResult| {
        let mut ids: Vec<String> = r
            .matches
            .iter()
            .map(|m| rules.rules()[m.rule].id.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(&indexed),
        ids(&reference),
        "index and selectors disagree"
    );
    let mut suppressed = (indexed.suppressed.clone(), reference.suppressed.clone());
    suppressed.0.sort();
    suppressed.1.sort();
    assert_eq!(suppressed.0, suppressed.1);
    for rule in rules.rules() {
        let fast = trailgate::engine::eval::matches(&rule.condition, &event);
        let traced = trailgate::engine::trace::trace(&rule.condition, &event).holds;
        assert_eq!(fast, traced, "eval and trace disagree on rule {}", rule.id);
    }
});
