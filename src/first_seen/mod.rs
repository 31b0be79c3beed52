//! The first-seen stage: after the per-event scan, decides which matches of `first_seen` rules
//! are new combinations. A sibling of the correlation stage: it consumes matches, never events.
//!
//! Semantics (docs/rules.md, `first_seen`), for one rule with history `h`:
//! - an observation is a match of the rule (selector, condition, not excepted) whose event has
//!   an `eventTime` and a value for every field; its key is the combination of those values;
//! - an observation at time `t` is *new* if no observation of the same key (this run or an
//!   earlier one kept in the store) lies in `[t - h, t)`, and none at `t` comes first (earlier
//!   runs first, then report order: file name, record). Each new observation is one finding:
//!   one per new combination, its first event, whatever order files and events come in;
//! - a new observation is *learning*, and raises nothing, when the history does not cover a
//!   whole window before it: `t - h` is earlier than the first eventTime the rule has covered
//!   (this run's earliest event without `--state`; with it, the earliest event of the first
//!   run that used the store, moved forward as old history is pruned).
//!
//! Memory: per rule and key this run saw, the key's bytes and its spans (one per episode, each
//! two times, the first event's file and record, and that event's payload); see `spans.rs`.

mod spans;
pub mod stage;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

pub use spans::{merge_intervals, seen_in, EventRef, Span, Spans};

use crate::rule::first_seen::FirstSeen;
use crate::rule::path::Path;
use crate::state::{Batch, Coverage, Interval, StateError};

/// What the stage keeps of a run's history beyond the latest event: twice the history window.
/// Events older than that (late files, clock skew) are judged as learning.
pub const KEEP_WINDOWS: i64 = 2;

/// The observations of the first_seen rules during a scan, by rule index. One per file (or per
/// worker), merged in any order.
#[derive(Debug, Clone)]
pub struct Observer<P> {
    rules: BTreeMap<usize, RuleObservations<P>>,
}

impl<P> Default for Observer<P> {
    fn default() -> Self {
        Observer {
            rules: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct RuleObservations<P> {
    history: i64,
    keys: HashMap<Box<[u8]>, Spans<P>>,
    /// Matches without a value for some field.
    no_key: u64,
    /// Matches without a readable `eventTime`.
    no_time: u64,
}

impl<P> RuleObservations<P> {
    fn new(history: i64) -> Self {
        RuleObservations {
            history,
            keys: HashMap::new(),
            no_key: 0,
            no_time: 0,
        }
    }
}

impl<P> Observer<P> {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Takes a match of rule `rule` (its index in the rule set), whose `first_seen` is given.
    /// `payload` (what the finding needs) is made only if the match is new so far.
    pub fn observe(
        &mut self,
        rule: usize,
        first_seen: &FirstSeen,
        event: &Value,
        at: EventRef,
        payload: impl FnOnce() -> P,
    ) {
        let entry = self
            .rules
            .entry(rule)
            .or_insert_with(|| RuleObservations::new(first_seen.history));
        let Some(time) = event_time(event) else {
            entry.no_time += 1;
            return;
        };
        let Some(key) = key_of(event, &first_seen.fields) else {
            entry.no_key += 1;
            return;
        };
        let history = entry.history;
        match entry.keys.get_mut(key.as_slice()) {
            Some(spans) => spans.observe(time, at, history, payload),
            None => {
                let mut spans = Spans::default();
                spans.observe(time, at, history, payload);
                entry.keys.insert(key.into_boxed_slice(), spans);
            }
        }
    }

    /// Adds the observations of `other` (another file's).
    pub fn merge(&mut self, other: Observer<P>) {
        for (rule, theirs) in other.rules {
            match self.rules.get_mut(&rule) {
                None => {
                    self.rules.insert(rule, theirs);
                }
                Some(ours) => {
                    ours.no_key += theirs.no_key;
                    ours.no_time += theirs.no_time;
                    let history = ours.history;
                    for (key, spans) in theirs.keys {
                        match ours.keys.get_mut(&key) {
                            Some(held) => held.merge(spans, history),
                            None => {
                                ours.keys.insert(key, spans);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One combination's key (the JSON array of its values) and spans, read back from a report.
pub type KeySpans<P> = (Box<[u8]>, Vec<Span<P>>);

impl<P> Observer<P> {
    /// Every rule's matches without a key and without a time, by rule index.
    pub fn counts(&self) -> impl Iterator<Item = (usize, (u64, u64))> + '_ {
        self.rules
            .iter()
            .map(|(&rule, observed)| (rule, (observed.no_key, observed.no_time)))
    }

    /// Adds observations read back from a report: `rule`'s counts and one combination's spans
    /// (`key`: `None` for counts only). Merges like [`Observer::merge`].
    pub fn absorb(
        &mut self,
        rule: usize,
        history: i64,
        counts: (u64, u64),
        key: Option<KeySpans<P>>,
    ) {
        let entry = self
            .rules
            .entry(rule)
            .or_insert_with(|| RuleObservations::new(history));
        entry.no_key += counts.0;
        entry.no_time += counts.1;
        if let Some((key, spans)) = key {
            let held = entry.keys.entry(key).or_default();
            for span in spans {
                held.insert(span, history);
            }
        }
    }
}

/// A first_seen rule that ran in this scan, for [`judge`].
#[derive(Debug, Clone)]
pub struct Judged<'a> {
    /// Index in the rule set.
    pub rule: usize,
    pub rule_id: &'a str,
    /// The rule's fingerprint (its key in the store).
    pub fingerprint: [u8; 16],
    pub history: i64,
    /// The eventTime span of the events this run scanned with the rule; `None` if none had a
    /// time.
    pub scanned: Option<Coverage>,
}

/// What happened to one first_seen rule, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSummary {
    pub rule_id: String,
    /// Distinct combinations this run saw.
    pub keys: u64,
    /// New combinations reported (findings).
    pub new: u64,
    /// New combinations not judged: the history did not cover a whole window before them.
    pub learning: u64,
    /// Matches without a value for some field, or without an eventTime.
    pub no_key: u64,
    pub no_time: u64,
    /// The first eventTime the rule's history covers after this run, if any.
    pub covered_from: Option<i64>,
}

/// Where the first-seen history of earlier runs is read and this run's is written.
pub trait History {
    fn seen(&self, rule: &[u8; 16], key: &[u8]) -> Result<Vec<Interval>, StateError>;
    fn put_seen(
        &mut self,
        rule: &[u8; 16],
        key: &[u8],
        intervals: &[Interval],
    ) -> Result<(), StateError>;
    fn prune_seen(&mut self, rule: &[u8; 16], before: i64) -> Result<usize, StateError>;
    fn coverage(&self, rule: &[u8; 16]) -> Result<Option<Coverage>, StateError>;
    fn put_coverage(
        &mut self,
        rule: &[u8; 16],
        rule_id: &str,
        coverage: Coverage,
    ) -> Result<(), StateError>;
}

/// No history: a run without `--state` learns from its own events only and keeps nothing.
#[derive(Debug, Default)]
pub struct NoHistory;

impl History for NoHistory {
    fn seen(&self, _: &[u8; 16], _: &[u8]) -> Result<Vec<Interval>, StateError> {
        Ok(Vec::new())
    }
    fn put_seen(&mut self, _: &[u8; 16], _: &[u8], _: &[Interval]) -> Result<(), StateError> {
        Ok(())
    }
    fn prune_seen(&mut self, _: &[u8; 16], _: i64) -> Result<usize, StateError> {
        Ok(0)
    }
    fn coverage(&self, _: &[u8; 16]) -> Result<Option<Coverage>, StateError> {
        Ok(None)
    }
    fn put_coverage(&mut self, _: &[u8; 16], _: &str, _: Coverage) -> Result<(), StateError> {
        Ok(())
    }
}

impl History for Batch<'_> {
    fn seen(&self, rule: &[u8; 16], key: &[u8]) -> Result<Vec<Interval>, StateError> {
        Batch::seen(self, rule, key)
    }
    fn put_seen(
        &mut self,
        rule: &[u8; 16],
        key: &[u8],
        intervals: &[Interval],
    ) -> Result<(), StateError> {
        Batch::put_seen(self, rule, key, intervals)
    }
    fn prune_seen(&mut self, rule: &[u8; 16], before: i64) -> Result<usize, StateError> {
        Batch::prune_seen(self, rule, before)
    }
    fn coverage(&self, rule: &[u8; 16]) -> Result<Option<Coverage>, StateError> {
        Batch::coverage(self, rule)
    }
    fn put_coverage(
        &mut self,
        rule: &[u8; 16],
        rule_id: &str,
        coverage: Coverage,
    ) -> Result<(), StateError> {
        Batch::put_coverage(self, rule, rule_id, coverage)
    }
}

/// Judges the observations of a run against the history: returns the payloads of the new
/// combinations (in no particular order; reports sort them) and a summary per rule, and writes
/// the run's observations, the coverage and the pruning into `history`.
pub fn judge<P: Clone>(
    observer: Observer<P>,
    rules: &[Judged<'_>],
    history: &mut dyn History,
) -> Result<(Vec<P>, Vec<RuleSummary>), StateError> {
    judge_carrying(observer, rules, history, &mut |_, _, _| {})
}

/// [`judge`], handing `carry` each combination (rule index, key, spans) once judged, in the
/// order of `rules` and, within a rule, of the keys' bytes, so that a report can carry the observations without a
/// copy of them all beside the observer.
pub fn judge_carrying<P: Clone>(
    observer: Observer<P>,
    rules: &[Judged<'_>],
    history: &mut dyn History,
    carry: &mut dyn FnMut(usize, Box<[u8]>, Spans<P>),
) -> Result<(Vec<P>, Vec<RuleSummary>), StateError> {
    let mut observer = observer;
    let mut findings = Vec::new();
    let mut summaries = Vec::new();
    for rule in rules {
        let observed = observer
            .rules
            .remove(&rule.rule)
            .unwrap_or_else(|| RuleObservations::new(rule.history));
        let h = rule.history;
        let stored = history.coverage(&rule.fingerprint)?;
        // The history reaches back to where the store's begins (it never reaches back past
        // what was pruned): a run can extend it forward only. Without a store, to the run's
        // earliest event.
        let coverage = match (stored, rule.scanned) {
            (Some(stored), Some(run)) => Some(Coverage {
                from: stored.from,
                latest: stored.latest.max(run.latest),
            }),
            (stored, run) => stored.or(run),
        };
        let mut summary = RuleSummary {
            rule_id: rule.rule_id.to_string(),
            keys: observed.keys.len() as u64,
            no_key: observed.no_key,
            no_time: observed.no_time,
            ..RuleSummary::default()
        };
        let mut keys: Vec<(Box<[u8]>, Spans<P>)> = observed.keys.into_iter().collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let Some(coverage) = coverage else {
            // Nothing this rule scanned had a time, and it never ran before: no observations.
            for (key, spans) in keys {
                carry(rule.rule, key, spans);
            }
            summaries.push(summary);
            continue;
        };
        let keep_from = coverage
            .latest
            .saturating_sub(h.saturating_mul(KEEP_WINDOWS));
        for (key, spans) in keys {
            let prior = history.seen(&rule.fingerprint, &key)?;
            let mut intervals: Vec<Interval> = prior.clone();
            intervals.extend(spans.intervals());
            for span in spans.as_slice() {
                if seen_in(&prior, span.from, h) {
                    continue;
                }
                if span.from.saturating_sub(h) < coverage.from {
                    summary.learning += 1;
                } else {
                    summary.new += 1;
                    findings.push(span.payload.clone());
                }
            }
            let mut merged = merge_intervals(intervals, h);
            merged.retain(|i| i.to >= keep_from);
            if !merged.is_empty() {
                history.put_seen(&rule.fingerprint, &key, &merged)?;
            }
            carry(rule.rule, key, spans);
        }
        history.prune_seen(&rule.fingerprint, keep_from)?;
        let kept = Coverage {
            from: coverage.from.max(keep_from),
            latest: coverage.latest,
        };
        history.put_coverage(&rule.fingerprint, rule.rule_id, kept)?;
        summary.covered_from = Some(kept.from);
        summaries.push(summary);
    }
    Ok((findings, summaries))
}

/// The event's `eventTime` in whole seconds.
pub fn event_time(event: &Value) -> Option<i64> {
    let text = event.get("eventTime")?.as_str()?;
    crate::time::parse_rfc3339(text).map(|t| t.secs)
}

/// The key of an event: the JSON array of its fields' values (strings as they are, other
/// values as compact JSON), or `None` if a field is missing or null.
pub fn key_of(event: &Value, fields: &[Path]) -> Option<Vec<u8>> {
    let mut values: Vec<&Value> = Vec::with_capacity(fields.len());
    for path in fields {
        let value = crate::engine::eval::select_one(event, path)?;
        if value.is_null() {
            return None;
        }
        values.push(value);
    }
    let texts: Vec<String> = values
        .into_iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    serde_json::to_vec(&texts).ok()
}

#[cfg(test)]
mod tests;
