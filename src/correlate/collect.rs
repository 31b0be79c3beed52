//! The bridge from per-event matches to signals: which correlation inputs each rule feeds, and
//! the per-worker tables that matches fold into. A worker keeps one `Collector`; collectors of
//! different files, threads or shards merge into the same state in any order.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::extract::{self, Dropped};
use super::table::SignalTable;
use crate::rule::correlation::Correlation;

/// For each rule id, the (correlation, input) pairs it feeds.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    by_rule: HashMap<String, Vec<(usize, usize)>>,
}

impl Routes {
    pub fn new(correlations: &[Correlation]) -> Routes {
        let mut by_rule: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (c, correlation) in correlations.iter().enumerate() {
            for (q, input) in correlation.inputs.iter().enumerate() {
                if !input.chained {
                    by_rule.entry(input.id.clone()).or_default().push((c, q));
                }
            }
        }
        Routes { by_rule }
    }

    /// Whether matches of this rule become signals (only those rules cost anything).
    pub fn feeds(&self, rule_id: &str) -> bool {
        self.by_rule.contains_key(rule_id)
    }

    pub fn is_empty(&self) -> bool {
        self.by_rule.is_empty()
    }
}

/// Signals gathered so far, per correlation id, and the matches that gave none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collector {
    pub tables: BTreeMap<String, SignalTable>,
    /// Matches left out, by correlation id and reason (`no eventTime`, `no sourceIPAddress`).
    pub dropped: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Collector {
    /// Folds in a match of `rule_id` on `event` (file and 0-based record name it).
    pub fn observe(
        &mut self,
        correlations: &[Correlation],
        routes: &Routes,
        rule_id: &str,
        event: &Value,
        file: &str,
        record: u64,
    ) {
        let Some(targets) = routes.by_rule.get(rule_id) else {
            return;
        };
        for &(c, q) in targets {
            let correlation = &correlations[c];
            match extract::signal(correlation, q, event, file, record) {
                Ok(signal) => self
                    .tables
                    .entry(correlation.id.clone())
                    .or_default()
                    .add(signal, correlation.inputs.len()),
                Err(dropped) => {
                    let reason = match dropped {
                        Dropped::NoTime => "no eventTime".to_string(),
                        Dropped::NoGroup(field) | Dropped::NoValue(field) => format!("no {field}"),
                    };
                    *self
                        .dropped
                        .entry(correlation.id.clone())
                        .or_default()
                        .entry(reason)
                        .or_insert(0) += 1;
                }
            }
        }
    }

    /// Adds another collector's signals, as if they had been observed here.
    pub fn merge(&mut self, other: Collector) {
        for (id, table) in other.tables {
            self.tables.entry(id).or_default().merge(table);
        }
        for (id, reasons) in other.dropped {
            let mine = self.dropped.entry(id).or_default();
            for (reason, n) in reasons {
                *mine.entry(reason).or_insert(0) += n;
            }
        }
    }
}
