//! What a scan looked at, for audit summaries: per rule and per compliance control, how many
//! events were checked (selected by the rule's `events` selector and outcome), the range of
//! `eventTime`s, the accounts and regions seen, and the events left out by the scope filters.
//!
//! Each file gets its own `Coverage` (plain counters, no locks), merged once per file at the end
//! of the scan; the result is the same whatever the thread count.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::time::Timestamp;

use super::RuleSet;
use crate::finding::Stats;
use crate::scope::{self, InScope, Scope};

/// The compliance controls of a rule set, numbered, and the controls of each rule.
#[derive(Debug, Default)]
pub(crate) struct Controls {
    /// (framework, control id), each once, sorted.
    list: Vec<(String, String)>,
    /// Rule index -> indexes into `list`.
    of_rule: Vec<Vec<usize>>,
}

impl Controls {
    pub(crate) fn new(rules: &[crate::rule::Rule]) -> Controls {
        let list: Vec<(String, String)> = rules
            .iter()
            .flat_map(|r| {
                r.compliance.iter().flat_map(|(framework, ids)| {
                    ids.iter().map(|id| (framework.clone(), id.clone()))
                })
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let of_rule = rules
            .iter()
            .map(|r| {
                let mut indexes: Vec<usize> = r
                    .compliance
                    .iter()
                    .flat_map(|(framework, ids)| {
                        ids.iter().filter_map(|id| {
                            list.binary_search_by(|(f, c)| {
                                (f.as_str(), c.as_str()).cmp(&(framework.as_str(), id.as_str()))
                            })
                            .ok()
                        })
                    })
                    .collect();
                indexes.sort_unstable();
                indexes.dedup();
                indexes
            })
            .collect();
        Controls { list, of_rule }
    }
}

/// Counters of one file (or, merged, of the whole scan).
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    /// Rule index -> events the rule was evaluated on.
    rule_events: Vec<usize>,
    /// Control index -> events at least one of its rules was evaluated on.
    control_events: Vec<usize>,
    /// Control index -> the last event counted for it, so an event selected by two rules of the
    /// same control counts once.
    stamp: Vec<u64>,
    event_no: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
    out_of_scope: usize,
    undated: usize,
}

impl Coverage {
    /// Decides whether an event is in `scope`, counting it either way. Events in scope also
    /// feed the time range, accounts and regions.
    pub(crate) fn admit(&mut self, scope: &Scope, event: &Value) -> bool {
        let time = scope::event_time(event);
        match scope.check(event, time) {
            InScope::Yes => {}
            InScope::No => {
                self.out_of_scope += 1;
                return false;
            }
            InScope::Undated => {
                self.undated += 1;
                return false;
            }
        }
        self.note(time, scope::account(event), scope::region(event));
        true
    }

    /// Records an in-scope event's time, account and region for the summary of what was scanned
    /// (also called for events the engine never parses).
    pub(crate) fn note(
        &mut self,
        time: Option<Timestamp>,
        account: Option<&str>,
        region: Option<&str>,
    ) {
        if let Some(time) = time {
            self.first = Some(self.first.map_or(time, |t| t.min(time)));
            self.last = Some(self.last.map_or(time, |t| t.max(time)));
        }
        // Look up before inserting: no allocation for an account or region already seen.
        if let Some(account) = account {
            if !self.accounts.contains(account) {
                self.accounts.insert(account.to_string());
            }
        }
        if let Some(region) = region {
            if !self.regions.contains(region) {
                self.regions.insert(region.to_string());
            }
        }
    }

    /// Events left out by the scope filters.
    pub(crate) fn left_out(&self) -> usize {
        self.out_of_scope + self.undated
    }

    /// Starts counting a new event (called once per evaluated event).
    pub(crate) fn next_event(&mut self, rules: &RuleSet) {
        if self.rule_events.len() != rules.rules.len() {
            self.rule_events.resize(rules.rules.len(), 0);
            self.control_events.resize(rules.controls.list.len(), 0);
            self.stamp.resize(rules.controls.list.len(), 0);
        }
        self.event_no += 1;
    }

    /// Rule `index` is evaluated on the current event.
    pub(crate) fn checked(&mut self, rules: &RuleSet, index: usize) {
        self.rule_events[index] += 1;
        for &control in &rules.controls.of_rule[index] {
            if self.stamp[control] != self.event_no {
                self.stamp[control] = self.event_no;
                self.control_events[control] += 1;
            }
        }
    }

    /// Adds another file's counters.
    pub(crate) fn merge(&mut self, other: Coverage) {
        add(&mut self.rule_events, &other.rule_events);
        add(&mut self.control_events, &other.control_events);
        self.first = pick_some(self.first, other.first, Ord::min);
        self.last = pick_some(self.last, other.last, Ord::max);
        self.accounts.extend(other.accounts);
        self.regions.extend(other.regions);
        self.out_of_scope += other.out_of_scope;
        self.undated += other.undated;
    }

    /// Writes the totals into `stats`, naming rules and controls.
    pub(crate) fn finish(self, rules: &RuleSet, stats: &mut Stats) {
        stats.rule_events = rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), self.rule_events.get(i).copied().unwrap_or(0)))
            .collect();
        let mut controls: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for (i, (framework, control)) in rules.controls.list.iter().enumerate() {
            controls.entry(framework.clone()).or_default().insert(
                control.clone(),
                self.control_events.get(i).copied().unwrap_or(0),
            );
        }
        stats.control_events = controls;
        stats.first_event = self.first;
        stats.last_event = self.last;
        stats.accounts = self.accounts;
        stats.regions = self.regions;
        stats.out_of_scope = self.out_of_scope;
        stats.undated = self.undated;
    }
}

fn add(total: &mut Vec<usize>, more: &[usize]) {
    if total.len() < more.len() {
        total.resize(more.len(), 0);
    }
    for (t, m) in total.iter_mut().zip(more) {
        *t += m;
    }
}

fn pick_some(
    a: Option<Timestamp>,
    b: Option<Timestamp>,
    pick: fn(Timestamp, Timestamp) -> Timestamp,
) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}
