//! `trailgate explain CORRELATION EVENTS`: why a correlation fires on some events or not: which
//! events the rules it counts matched, which gave no signal and why, and per group how many
//! signals there were, the highest measure any window reached, and the windows that fired.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cases::rule_matches;
use super::collect::{Collector, Routes};
use super::window::{self, Episode};
use super::{evaluate_with_tables, window_spec};
use crate::engine::RuleSet;
use crate::rule::correlation::Correlation;
use crate::source::Origin;

/// What a correlation made of a set of events.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub correlation: String,
    pub summary: String,
    /// Matches per counted rule (by id), in input order; for a chained input, the findings of
    /// the correlation it names.
    pub matches: Vec<(String, u64)>,
    /// Reason -> matches that gave no signal.
    pub dropped: BTreeMap<String, u64>,
    pub groups: Vec<GroupExplanation>,
}

/// One group's signals and verdict.
#[derive(Debug, Clone)]
pub struct GroupExplanation {
    /// Group-by field and value, in group-by order.
    pub group: Vec<(String, String)>,
    /// Signals: matches of the counted rules, and findings of chained correlations.
    pub signals: u64,
    /// The highest measure any window of these signals reached.
    pub peak: u64,
    pub fired: Vec<Episode>,
}

/// Explains `correlation` (of `rules`) over `events`.
pub fn explain(
    rules: &RuleSet,
    correlation: &Correlation,
    events: &[(Origin, Value)],
) -> Explanation {
    let correlations = rules.correlations();
    let routes = Routes::new(correlations);
    let mut collector = Collector::default();
    let mut matches: Vec<(String, u64)> = correlation
        .inputs
        .iter()
        .map(|input| (input.id.clone(), 0))
        .collect();
    for (origin, event) in events {
        for rule in rules.rules().iter().filter(|r| routes.feeds(&r.id)) {
            if !rule_matches(rule, event) {
                continue;
            }
            if let Some(entry) = matches.iter_mut().find(|(id, _)| *id == rule.id) {
                entry.1 += 1;
            }
            collector.observe(
                correlations,
                &routes,
                &rule.id,
                event,
                &origin.file,
                origin.record as u64,
            );
        }
    }
    let (all, tables) = evaluate_with_tables(correlations, &collector.tables);
    // A chained input counts the findings of the correlation it names.
    for (id, n) in matches.iter_mut() {
        if let Some(upstream) = correlations.iter().position(|c| c.id == *id) {
            *n = all.iter().filter(|f| f.correlation == upstream).count() as u64;
        }
    }
    let fired: Vec<Episode> = all
        .into_iter()
        .filter(|f| correlations[f.correlation].id == correlation.id)
        .map(|f| f.episode)
        .collect();
    let spec = window_spec(correlation);
    let table = tables.get(&correlation.id).cloned().unwrap_or_default();
    let mut groups: BTreeMap<Vec<String>, GroupExplanation> = BTreeMap::new();
    let name = |values: &[String]| -> Vec<(String, String)> {
        correlation
            .group_by
            .iter()
            .map(|g| g.name.clone())
            .zip(values.iter().cloned())
            .collect()
    };
    for (values, timeline) in table.groups() {
        groups.insert(
            values.to_vec(),
            GroupExplanation {
                group: name(values),
                signals: timeline.values().map(|b| b.total()).sum(),
                peak: window::peak(&spec, &timeline),
                fired: Vec::new(),
            },
        );
    }
    for episode in fired {
        groups
            .entry(episode.group.clone())
            .or_insert_with(|| GroupExplanation {
                group: name(&episode.group),
                signals: 0,
                peak: episode.peak,
                fired: Vec::new(),
            })
            .fired
            .push(episode);
    }
    Explanation {
        correlation: correlation.id.clone(),
        summary: correlation.summary(),
        matches,
        dropped: collector
            .dropped
            .get(&correlation.id)
            .cloned()
            .unwrap_or_default(),
        groups: groups.into_values().collect(),
    }
}
