//! `rules test` for correlations: each case's events go through the per-event rules the
//! correlations refer to, then through the correlation stage, and the verdict is compared with
//! the case's expectation.

use std::collections::BTreeMap;

use serde_json::Value;

use super::collect::{Collector, Routes};
use super::{evaluate_all, SignalTable};
use crate::engine::eval::matches;
use crate::rule::collection::Loaded;
use crate::rule::Rule;

/// The result of one correlation test case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub correlation: String,
    pub file: String,
    pub name: String,
    pub line: u64,
    /// `None` when it passed; otherwise what happened, in one sentence.
    pub failure: Option<String>,
}

/// Whether a per-event rule gives a finding for the event (selector, condition, exceptions).
pub fn rule_matches(rule: &Rule, event: &Value) -> bool {
    rule.selector.selects(event)
        && matches(&rule.condition, event)
        && !rule.exceptions.iter().any(|e| matches(&e.condition, event))
}

/// The signal tables that `events` give every correlation (events are named `file`, record =
/// position in the list).
pub fn signals(loaded: &Loaded, events: &[Value], file: &str) -> BTreeMap<String, SignalTable> {
    let routes = Routes::new(&loaded.correlations);
    let mut collector = Collector::default();
    let file: std::sync::Arc<str> = file.into();
    for (record, event) in events.iter().enumerate() {
        for rule in loaded.rules.iter().filter(|r| routes.feeds(&r.id)) {
            if rule_matches(rule, event) {
                collector.observe(
                    &loaded.correlations,
                    &routes,
                    &rule.id,
                    event,
                    &file,
                    record as u64,
                );
            }
        }
    }
    collector.tables
}

/// Runs every correlation test case, in correlation order.
pub fn run(loaded: &Loaded) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for (index, correlation) in loaded.correlations.iter().enumerate() {
        let Some(cases) = loaded.correlation_tests.get(&correlation.id) else {
            continue;
        };
        for case in cases {
            let tables = signals(loaded, &case.events, &format!("test:{}", case.name));
            let fired: Vec<_> = evaluate_all(&loaded.correlations, &tables)
                .into_iter()
                .filter(|f| f.correlation == index)
                .collect();
            let got = fired.len();
            let failure = match (case.expect_finding, case.findings) {
                (_, Some(n)) if n != got => Some(format!("expected {n} finding(s), got {got}")),
                (true, None) if got == 0 => Some("expected a finding, got none".to_string()),
                (false, _) if got > 0 => Some(format!("expected no finding, got {got}")),
                _ => None,
            }
            .map(|message| {
                let windows: Vec<String> = fired
                    .iter()
                    .map(|f| {
                        format!(
                            "group [{}] {}..{} ({} events)",
                            f.episode.group.join(", "),
                            crate::time::Timestamp::from_secs(f.episode.start).to_rfc3339(),
                            crate::time::Timestamp::from_secs(f.episode.end).to_rfc3339(),
                            f.episode.total()
                        )
                    })
                    .collect();
                if windows.is_empty() {
                    message
                } else {
                    format!("{message}: {}", windows.join("; "))
                }
            });
            out.push(CaseResult {
                correlation: correlation.id.clone(),
                file: correlation.file.clone(),
                name: case.name.clone(),
                line: case.line,
                failure,
            });
        }
    }
    out
}
