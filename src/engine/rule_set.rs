//! The compiled rules and their index, and the evaluation of one event: the hot path. A match
//! is handed on as a cheap [`Match`]; nothing is rendered or traced here.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::coverage::{Controls, Coverage};
use super::eval;
use super::index::RuleIndex;
use super::partial::{MemberSet, PartialTrees};
use crate::finding::Match;
use crate::rule::annotation::{self, AnnotationReads};
use crate::rule::correlation::Correlation;
use crate::rule::{Outcome, Rule};
use crate::source::Origin;

/// Compiled rules plus their index. Immutable and `Sync`: built once, shared by all workers.
#[derive(Debug)]
pub struct RuleSet {
    pub(super) rules: Vec<Rule>,
    index: RuleIndex,
    by_id: HashMap<String, usize>,
    pub(super) controls: Controls,
    /// Correlations over the rules' matches, sorted by id (run by `crate::correlate`).
    correlations: Vec<Correlation>,
    /// Ids of rules and correlations that run but give no findings of their own.
    silent: BTreeSet<String>,
    /// Per rule: gives findings of its own (not in `silent`).
    reports: Vec<bool>,
    /// Per rule: what it reads of the enrichment annotation (`$.trailgate`,
    /// `rule::annotation::reads`).
    annotation: Vec<AnnotationReads>,
    /// The members each rule's condition reads, for deciding events on partial trees.
    partial: PartialTrees,
    /// A rule tried on every event can be decided on a partial tree.
    partial_for_every_event: bool,
}

/// What evaluating one event produced.
#[derive(Debug, Default)]
pub struct EventResult {
    /// Rules that matched (after exceptions), in candidate order, not yet rendered.
    pub matches: Vec<Match>,
    /// Ids of rules that matched but were suppressed by one of their exceptions.
    pub suppressed: Vec<String>,
    /// Events each rule and control was evaluated on.
    pub(super) coverage: Coverage,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        RuleSet::with_correlations(rules, Vec::new(), BTreeSet::new())
    }

    /// Rules with correlations over their matches; the rules and correlations in `silent` give
    /// no findings of their own (see `rule::collection::Selection`).
    pub fn with_correlations(
        rules: Vec<Rule>,
        correlations: Vec<Correlation>,
        silent: BTreeSet<String>,
    ) -> RuleSet {
        let reports = rules.iter().map(|r| !silent.contains(&r.id)).collect();
        let annotation: Vec<AnnotationReads> = rules.iter().map(annotation::reads).collect();
        let partial = PartialTrees::new(&rules, &annotation);
        let index = RuleIndex::new(&rules);
        let partial_for_every_event = index.always().iter().any(|&rule| partial.decides(rule));
        let controls = Controls::new(&rules);
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        RuleSet {
            rules,
            index,
            by_id,
            controls,
            correlations,
            silent,
            reports,
            annotation,
            partial,
            partial_for_every_event,
        }
    }

    /// The top-level members a partial tree must hold to decide an event for these candidates
    /// (`engine::partial`), or `None` when one of them needs the whole tree.
    pub(super) fn partial_members(&self, candidates: &[usize]) -> Option<MemberSet> {
        self.partial.members(candidates)
    }

    /// Whether a rule tried on every event can be decided on a partial tree: then every
    /// record's member spans are noted as its head is read (otherwise only a record with such
    /// a candidate has them read, in a second walk).
    pub(super) fn partial_trees_for_every_event(&self) -> bool {
        self.partial_for_every_event
    }

    /// The one-bit set of `member` in partial trees, or 0 when no rule reads it.
    pub(super) fn member_bit(&self, member: &str) -> MemberSet {
        self.partial.bit_of(member)
    }

    /// Decides an event on a partial tree holding at least `partial_members(candidates)`. True
    /// when no candidate matches: the event's coverage is then counted exactly as
    /// `evaluate_annotated` counts it. False, with nothing counted, when one matches: the caller
    /// evaluates the whole tree.
    pub(super) fn unmatched_on_partial(
        &self,
        partial: &Value,
        candidates: &[usize],
        out: &mut EventResult,
    ) -> bool {
        let failed = call_failed(partial);
        let selected = |i: &&usize| outcome_selected(self.rules[**i].selector.outcome, failed);
        if candidates
            .iter()
            .filter(selected)
            .any(|&i| eval::matches(&self.rules[i].condition, partial))
        {
            return false;
        }
        if !candidates.is_empty() {
            out.coverage.next_event(self);
            for &i in candidates.iter().filter(selected) {
                out.coverage.checked(self, i);
            }
        }
        true
    }

    /// Whether the rule at this index is evaluated on the annotated event: its condition or an
    /// exception reads `$.trailgate` (the enrichment annotation).
    pub fn annotated(&self, rule: usize) -> bool {
        self.annotation.get(rule).is_some_and(|a| a.before_match)
    }

    /// Whether the rule at this index reads `$.trailgate` only once it matched: in its message
    /// or its `first_seen` fields. Its matches are rendered and observed on the annotated event.
    pub fn annotated_after_match(&self, rule: usize) -> bool {
        self.annotation.get(rule).is_some_and(|a| a.after_match)
    }

    /// Ids of the rules that read one of these annotation members (`*`: the whole
    /// annotation), in rule order.
    pub fn rules_reading(&self, members: &[&str]) -> Vec<&str> {
        self.rules
            .iter()
            .zip(&self.annotation)
            .filter(|(_, a)| members.iter().any(|m| a.reads(m)))
            .map(|(r, _)| r.id.as_str())
            .collect()
    }

    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    pub fn correlation(&self, id: &str) -> Option<&Correlation> {
        self.correlations
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.correlations[i])
    }

    /// Whether the rule at this index gives findings of its own.
    pub fn reports(&self, rule: usize) -> bool {
        self.reports.get(rule).copied().unwrap_or(true)
    }

    /// Whether the rule or correlation with this id gives findings of its own.
    pub fn reports_id(&self, id: &str) -> bool {
        !self.silent.contains(id)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// Evaluates every candidate rule on one event.
    pub fn evaluate(
        &self,
        event: &Value,
        origin: &Origin,
        candidates: &mut Vec<usize>,
        out: &mut EventResult,
    ) {
        let source = event.get("eventSource").and_then(Value::as_str);
        let name = event.get("eventName").and_then(Value::as_str);
        self.index.candidates(source, name, candidates);
        self.evaluate_candidates(event, origin, candidates, out);
    }

    /// The rules that may match an event with this `eventSource` and `eventName`, by index.
    pub fn candidates(&self, source: Option<&str>, name: Option<&str>, out: &mut Vec<usize>) {
        self.index.candidates(source, name, out);
    }

    /// Evaluates the given rules (indexes into `rules()`) on one event.
    pub fn evaluate_candidates(
        &self,
        event: &Value,
        origin: &Origin,
        candidates: &[usize],
        out: &mut EventResult,
    ) {
        self.evaluate_annotated(event, None, origin, candidates, out);
    }

    /// `evaluate_candidates`, with the rules that read `$.trailgate` evaluated on `annotated`
    /// (the event with the enrichment annotation) and the others on the plain event.
    pub fn evaluate_annotated(
        &self,
        plain: &Value,
        annotated: Option<&Value>,
        origin: &Origin,
        candidates: &[usize],
        out: &mut EventResult,
    ) {
        let event = plain;
        if candidates.is_empty() {
            return;
        }
        let failed = call_failed(event);
        out.coverage.next_event(self);
        for &i in candidates.iter() {
            let rule = &self.rules[i];
            if !outcome_selected(rule.selector.outcome, failed) {
                continue;
            }
            out.coverage.checked(self, i);
            let event = match annotated {
                Some(annotated) if self.annotated(i) => annotated,
                _ => plain,
            };
            if !eval::matches(&rule.condition, event) {
                continue;
            }
            if rule
                .exceptions
                .iter()
                .any(|e| eval::matches(&e.condition, event))
            {
                out.suppressed.push(rule.id.clone());
            } else {
                out.matches.push(Match {
                    rule: i,
                    origin: origin.clone(),
                    event_id: text_field(event, "eventID"),
                    event_time: text_field(event, "eventTime"),
                });
            }
        }
    }
}

fn text_field(event: &Value, key: &str) -> Option<Box<str>> {
    event.get(key).and_then(Value::as_str).map(Box::from)
}

/// A failed call carries a non-empty `errorCode` (absent on success).
pub fn call_failed(event: &Value) -> bool {
    event
        .get("errorCode")
        .is_some_and(|code| !code.is_null() && code.as_str() != Some(""))
}

/// Does a rule with this `outcome` look at a call that failed (or not)?
pub fn outcome_selected(outcome: Outcome, failed: bool) -> bool {
    match outcome {
        Outcome::Any => true,
        Outcome::Success => !failed,
        Outcome::Failure => failed,
    }
}
