//! Scanning one file: records read (raw where possible), checked against the index, evaluated,
//! and the matches rendered into findings. The reference path does the same the slow way.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;

use serde_json::Value;

use super::coverage::Coverage;
use super::render::{keep_event, render};
use super::rule_set::{EventResult, RuleSet};
use super::scan::{ScanOptions, WatchFile};
use super::tap::{Tap, TapFile};
use crate::enrich::Enricher;
use crate::finding::{Finding, Location, Match};
use crate::rule::Severity;
use crate::source::records::{self, Record};
use crate::source::{check_record, walk_file, InputError, Origin, SkipReason, Skipped, TrailFile};
use crate::time::parse_rfc3339;

/// What scanning one file produced, besides the parts already handed on.
#[derive(Default)]
pub(super) struct FileOutcome<'a> {
    /// What the scan's watch gathered from this file, folded in by the scan in file order (so
    /// that what it builds does not depend on which file finished first).
    pub(super) watched: Option<Box<dyn WatchFile + Send + 'a>>,
    pub(super) findings: Vec<Finding>,
    /// Findings per severity, counted before they are handed on.
    pub(super) tally: BTreeMap<Severity, usize>,
    pub(super) errors: Vec<InputError>,
    pub(super) skipped: Option<Skipped>,
    pub(super) suppressed: Vec<String>,
    pub(super) events: usize,
    pub(super) bytes: u64,
    pub(super) read: bool,
    pub(super) coverage: Coverage,
}

/// A file's view of the scan's tap (`ScanOptions::tap`), if it has one.
type Tapped<'a> = Option<(&'a dyn Tap, Box<dyn TapFile + 'a>)>;

fn tapped(options: &ScanOptions) -> Tapped<'_> {
    options.tap.as_deref().map(|tap| (tap, tap.file()))
}

/// Renders the matches of one event into findings (and, for the HTML report, keeps the event
/// with them), after showing the tap the matches it wants. The event is still at hand: this is
/// the only place a match costs more than its few fields.
#[allow(clippy::too_many_arguments)]
fn render_matches(
    rules: &RuleSet,
    matches: &mut Vec<Match>,
    (event, annotated): (&Value, Option<&Value>),
    origin: &Origin,
    keep: Option<&AtomicUsize>,
    tap: &mut Tapped<'_>,
    enricher: Option<&Enricher>,
    findings: &mut Vec<Finding>,
) {
    let before = findings.len();
    // Made once per event, at the first match of a rule that reads `$.trailgate` only in its
    // message or `first_seen` fields: such rules cost nothing on the events they do not match.
    let mut late: Option<Value> = None;
    for m in matches.drain(..) {
        let wanted = tap.as_ref().is_some_and(|(tap, _)| tap.wants(m.rule));
        let reported = tap.as_ref().is_none_or(|(tap, _)| tap.reports(m.rule));
        if !wanted && !reported {
            continue;
        }
        // A rule that reads `$.trailgate` is observed and renders its message and evidence from
        // the annotated event; the finding's fields are the same either way.
        let seen = match annotated {
            Some(annotated) if rules.annotated(m.rule) => annotated,
            _ if rules.annotated_after_match(m.rule) => late.get_or_insert_with(|| {
                let mut copy = event.clone();
                crate::enrich::annotate(enricher, &mut copy);
                copy
            }),
            _ => event,
        };
        if wanted {
            if let Some((_, file)) = tap {
                file.observe(m.rule, seen, origin);
            }
        }
        if reported {
            findings.push(render(&rules.rules()[m.rule], seen, origin));
        }
    }
    if let Some(enricher) = enricher {
        if findings.len() > before {
            let enrichment = enricher.event_enrichment(event);
            for finding in &mut findings[before..] {
                if let Location::Event(at) = &mut finding.location {
                    at.enrichment.clone_from(&enrichment);
                }
            }
        }
    }
    if let Some(held) = keep {
        keep_event(&mut findings[before..], event, held);
    }
}

/// The event as the rules whose condition reads `$.trailgate` see it: with the annotation
/// (`enrich::annotation`: the flags' context and what is derived from the record), made only
/// when such a rule is a candidate (the other rules, the tap and kept events see the plain
/// event). A record that brings its own `trailgate` member has it replaced, so a forged record
/// cannot pose as enriched.
fn annotate(
    rules: &RuleSet,
    enricher: Option<&Enricher>,
    event: &Value,
    candidates: &[usize],
) -> Option<Value> {
    if !candidates.iter().any(|&i| rules.annotated(i)) {
        return None;
    }
    let mut annotated = event.clone();
    crate::enrich::annotate(enricher, &mut annotated);
    Some(annotated)
}

/// Findings of one file handed on before the file is done, so that one huge file does not hold
/// all its findings (`scan_file`'s `emit`).
const PART_FINDINGS: usize = 2048;

/// Scans one file. Findings go to `emit` in parts at record boundaries once `PART_FINDINGS` have
/// piled up; the rest come back in the outcome.
pub(super) fn scan_file<'a>(
    rules: &RuleSet,
    file: &TrailFile,
    options: &'a ScanOptions,
    held: &AtomicUsize,
    emit: &mut dyn FnMut(Vec<Finding>),
) -> FileOutcome<'a> {
    if options.reference {
        return scan_file_reference(rules, file, options, held);
    }
    let mut outcome = FileOutcome::default();
    let mut candidates = Vec::new();
    let mut result = EventResult::default();
    let mut findings: Vec<Finding> = Vec::new();
    let mut events = 0usize;
    let mut record_errors = Vec::new();
    let keep = options.keep_events.then_some(held);
    let mut tap = tapped(options);
    let enricher = options.enricher.as_deref();
    let mut watch: Option<Box<dyn WatchFile + Send + 'a>> =
        options.watch.as_deref().map(|w| w.file());
    // The index's shortcut only holds when every event is in scope: a scope needs each event's
    // time, account and region, so then every record is parsed. A watch sees every event.
    let shortcut = options.scope.is_everything() && watch.is_none();
    let mut evaluate = |event: &Value,
                        origin: &Origin,
                        candidates: &mut Vec<usize>,
                        result: &mut EventResult,
                        tap: &mut Tapped<'_>,
                        findings: &mut Vec<Finding>,
                        indexed: bool| {
        if !result.coverage.admit(&options.scope, event) {
            return;
        }
        if let Some(watch) = &mut watch {
            watch.event(event);
        }
        if !indexed {
            let source = event.get("eventSource").and_then(Value::as_str);
            let name = event.get("eventName").and_then(Value::as_str);
            rules.candidates(source, name, candidates);
        }
        let annotated = annotate(rules, enricher, event, candidates);
        rules.evaluate_annotated(event, annotated.as_ref(), origin, candidates, result);
        render_matches(
            rules,
            &mut result.matches,
            (event, annotated.as_ref()),
            origin,
            keep,
            tap,
            enricher,
            findings,
        );
    };
    let (walk, on_disk) = walk_file(
        file,
        &options.limits,
        options.stream_above(),
        &mut |record| match record {
            Record::Raw { text, origin } => {
                // Most records meet no rule: decide that from the two fields the index uses, read
                // from the raw text, and never build their JSON tree.
                let indexed = if shortcut {
                    records::head(text.get())
                } else {
                    None
                };
                if let Some(head) = indexed {
                    events += 1;
                    rules.candidates(head.source, head.name, &mut candidates);
                    if candidates.is_empty() {
                        // Still part of what was scanned: its time, account and region.
                        result.coverage.note(
                            head.time.and_then(parse_rfc3339),
                            head.account,
                            head.region,
                        );
                        return;
                    }
                }
                let parsed = serde_json::from_str::<Value>(text.get())
                    .map_err(|err| format!("invalid JSON: {}", crate::source::json_reason(&err)))
                    .and_then(check_record);
                match parsed {
                    Ok(event) => {
                        if indexed.is_none() {
                            events += 1;
                        }
                        evaluate(
                            &event,
                            &origin,
                            &mut candidates,
                            &mut result,
                            &mut tap,
                            &mut findings,
                            indexed.is_some(),
                        );
                        if findings.len() >= PART_FINDINGS {
                            emit(std::mem::take(&mut findings));
                        }
                    }
                    Err(message) => {
                        // Counted as an event from its head; it is a record in error instead.
                        if indexed.is_some() {
                            events -= 1;
                        }
                        record_errors.push(InputError {
                            file: origin.file.clone(),
                            record: Some(origin.record),
                            line: origin.line,
                            message,
                        })
                    }
                }
            }
            Record::Refused(error) => record_errors.push(error),
            Record::Parsed(event) => {
                events += 1;
                evaluate(
                    &event.value,
                    &event.origin,
                    &mut candidates,
                    &mut result,
                    &mut tap,
                    &mut findings,
                    false,
                );
                if findings.len() >= PART_FINDINGS {
                    emit(std::mem::take(&mut findings));
                }
            }
        },
    );
    outcome.watched = watch;
    outcome.bytes = on_disk;
    outcome.events = events - result.coverage.left_out();
    outcome.coverage = std::mem::take(&mut result.coverage);
    let mut errors = walk.errors;
    errors.append(&mut record_errors);
    // A file is "read" when its JSON could be split into records, even if some were bad.
    outcome.read = walk.skipped.is_none() && errors.iter().all(InputError::is_record_error);
    if let Some(reason @ SkipReason::Digest) = walk.skipped {
        outcome.skipped = Some(Skipped {
            file: file.name.clone(),
            reason,
        });
        return outcome;
    }
    if let Some((_, file)) = tap {
        file.finish();
    }
    outcome.findings = findings;
    outcome.suppressed = result.suppressed;
    outcome.errors = errors;
    outcome
}

/// The straightforward path: parse every record, try every rule on every event. Slow; kept to
/// prove that the fast path finds exactly the same (`ScanOptions::reference`).
fn scan_file_reference<'a>(
    rules: &RuleSet,
    file: &TrailFile,
    options: &'a ScanOptions,
    held: &AtomicUsize,
) -> FileOutcome<'a> {
    let contents = file.read(&options.limits);
    let mut outcome = FileOutcome {
        bytes: contents.bytes,
        events: contents.events.len(),
        ..FileOutcome::default()
    };
    outcome.read =
        contents.skipped.is_none() && contents.errors.iter().all(InputError::is_record_error);
    if let Some(reason @ SkipReason::Digest) = contents.skipped {
        outcome.skipped = Some(Skipped {
            file: file.name.clone(),
            reason,
        });
        return outcome;
    }
    let every_rule: Vec<usize> = (0..rules.rules().len()).collect();
    let mut result = EventResult::default();
    let mut findings = Vec::new();
    let keep = options.keep_events.then_some(held);
    let mut tap = tapped(options);
    let enricher = options.enricher.as_deref();
    let mut watch = options.watch.as_deref().map(|w| w.file());
    for event in &contents.events {
        if !result.coverage.admit(&options.scope, &event.value) {
            continue;
        }
        if let Some(watch) = &mut watch {
            watch.event(&event.value);
        }
        // Without the index, the rule's own selector decides.
        let applicable: Vec<usize> = every_rule
            .iter()
            .copied()
            .filter(|&i| rules.rules()[i].selector.selects(&event.value))
            .collect();
        let annotated = annotate(rules, enricher, &event.value, &applicable);
        rules.evaluate_annotated(
            &event.value,
            annotated.as_ref(),
            &event.origin,
            &applicable,
            &mut result,
        );
        render_matches(
            rules,
            &mut result.matches,
            (&event.value, annotated.as_ref()),
            &event.origin,
            keep,
            &mut tap,
            enricher,
            &mut findings,
        );
    }
    if let Some((_, file)) = tap {
        file.finish();
    }
    outcome.watched = watch;
    outcome.events -= result.coverage.left_out();
    outcome.findings = findings;
    outcome.suppressed = result.suppressed;
    outcome.coverage = result.coverage;
    outcome.errors = contents.errors;
    outcome
}
