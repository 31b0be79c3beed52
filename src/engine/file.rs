//! Scanning one file: records read (raw where possible), checked against the index, evaluated,
//! and the matches rendered into findings. The reference path does the same the slow way.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;

use serde_json::Value;

use super::batch::{Batches, Budget};
use super::coverage::Coverage;
use super::partial;
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

/// Records of a large file are evaluated in batches of about this many bytes of JSON text
/// (`ScanOptions::batch_bytes` in tests): large enough that handing one to another thread costs
/// little beside its evaluation, small enough that the batches in flight stay a few MiB.
pub const BATCH_BYTES: usize = 1 << 20;

/// Batches in flight per worker thread, across the scan (`batch::Budget`): enough that an idle
/// thread always finds one while the reader cuts the next.
pub(super) const BATCHES_PER_THREAD: usize = 4;

/// A record as a batch holds it: the text of a raw record is in the batch's buffer.
enum Held {
    Raw(std::ops::Range<usize>, Origin),
    Parsed(crate::source::Event),
    Refused(InputError),
}

/// Records of one file taken from the reader to be evaluated on another thread.
#[derive(Default)]
struct Batch {
    text: String,
    records: Vec<Held>,
    /// The records' sizes (`record_size`), against `BATCH_BYTES`.
    size: usize,
}

impl Batch {
    /// Takes the record, copying a raw record's text.
    fn push(&mut self, record: Record<'_>, size: usize) {
        self.size += size;
        match record {
            Record::Raw { text, origin } => {
                let start = self.text.len();
                self.text.push_str(text.get());
                self.records.push(Held::Raw(start..self.text.len(), origin));
            }
            Record::Parsed(event) => self.records.push(Held::Parsed(event)),
            Record::Refused(error) => self.records.push(Held::Refused(error)),
        }
    }

    /// Empties the batch, keeping its buffers.
    fn clear(&mut self) {
        self.text.clear();
        self.records.clear();
        self.size = 0;
    }

    fn records(&self) -> impl Iterator<Item = Item<'_>> {
        self.records.iter().map(|held| match held {
            Held::Raw(range, origin) => Item::Raw(&self.text[range.clone()], origin),
            Held::Parsed(event) => Item::Parsed(&event.value, &event.origin),
            Held::Refused(error) => Item::Refused(error),
        })
    }
}

/// A record as `FileScan::record` takes it, borrowed from the reader or from a batch.
enum Item<'r> {
    Raw(&'r str, &'r Origin),
    Parsed(&'r Value, &'r Origin),
    Refused(&'r InputError),
}

impl<'r> Item<'r> {
    fn of(record: &'r Record<'r>) -> Item<'r> {
        match record {
            Record::Raw { text, origin } => Item::Raw(text.get(), origin),
            Record::Parsed(event) => Item::Parsed(&event.value, &event.origin),
            Record::Refused(error) => Item::Refused(error),
        }
    }
}

/// Size of a record as counted against `BATCH_BYTES`. An event from the general reader (JSON
/// Lines) is counted at a typical record's size: its text is gone.
fn record_size(record: &Record<'_>) -> usize {
    match record {
        Record::Raw { text, .. } => text.get().len(),
        Record::Parsed(_) => 1024,
        Record::Refused(_) => 0,
    }
}

/// What a run of records (a whole file, or one batch) produced.
#[derive(Default)]
struct Part {
    findings: Vec<Finding>,
    events: usize,
    result: EventResult,
    errors: Vec<InputError>,
}

/// What stays the same for every record of a file.
#[derive(Clone, Copy)]
struct Context<'a> {
    rules: &'a RuleSet,
    options: &'a ScanOptions,
    keep: Option<&'a AtomicUsize>,
    /// The index's shortcut (candidates from the record's head, no tree for the others).
    shortcut: bool,
    /// How deciding records on partial trees pays off across the scan.
    payoff: &'a partial::Payoff,
}

/// What deciding a record on a partial tree came to.
enum Partial {
    /// No candidate matches; the event's coverage is counted.
    Unmatched,
    /// A candidate matches: the whole event, to be evaluated.
    Whole(Value),
    /// Not decided (a candidate needs the whole tree, or partial trees are not paying off).
    NotTried,
}

/// Evaluates records one by one, in order: the sequential path, and each batch.
struct FileScan<'a> {
    context: Context<'a>,
    part: Part,
    candidates: Vec<usize>,
    /// Records decided on partial trees, and how many of them matched a rule.
    payoff: partial::LocalPayoff,
    /// Where the current record's top-level members lie (`records::head_and_members`).
    spans: Vec<records::MemberSpan>,
    /// Per member of `spans`, its bit in the partial tree's set (0: not in it).
    span_bits: Vec<partial::MemberSet>,
    tap: Tapped<'a>,
    watch: Option<Box<dyn WatchFile + Send + 'a>>,
}

impl<'a> FileScan<'a> {
    fn new(context: Context<'a>) -> FileScan<'a> {
        FileScan {
            context,
            part: Part::default(),
            candidates: Vec::new(),
            payoff: partial::LocalPayoff::default(),
            spans: Vec::new(),
            span_bits: Vec::new(),
            tap: tapped(context.options),
            watch: context.options.watch.as_deref().map(|w| w.file()),
        }
    }

    fn record(&mut self, record: Item<'_>) {
        let Context { rules, .. } = self.context;
        match record {
            Item::Raw(text, origin) => {
                // Most records meet no rule: decide that from the two fields the index uses, read
                // from the raw text, and never build their JSON tree.
                let indexed = if !self.context.shortcut {
                    None
                } else if rules.partial_trees_for_every_event()
                    && self.payoff.worth_trying(self.context.payoff)
                {
                    records::head_and_members(text, &mut self.spans)
                } else {
                    self.spans.clear();
                    records::head(text)
                };
                if let Some(head) = &indexed {
                    self.part.events += 1;
                    rules.candidates(head.source, head.name, &mut self.candidates);
                    if self.candidates.is_empty() {
                        // Still part of what was scanned: its time, account and region.
                        self.part.result.coverage.note(
                            head.time.and_then(parse_rfc3339),
                            head.account,
                            head.region,
                        );
                        return;
                    }
                    match self.decide_on_partial(text) {
                        Partial::Unmatched => {
                            self.part.result.coverage.note(
                                head.time.and_then(parse_rfc3339),
                                head.account,
                                head.region,
                            );
                            return;
                        }
                        Partial::Whole(event) => {
                            self.evaluate(&event, origin, true);
                            return;
                        }
                        Partial::NotTried => {}
                    }
                }
                let parsed = serde_json::from_str::<Value>(text)
                    .map_err(|err| format!("invalid JSON: {}", crate::source::json_reason(&err)))
                    .and_then(check_record);
                match parsed {
                    Ok(event) => {
                        if indexed.is_none() {
                            self.part.events += 1;
                        }
                        self.evaluate(&event, origin, indexed.is_some());
                    }
                    Err(message) => {
                        // Counted as an event from its head; it is a record in error instead.
                        if indexed.is_some() {
                            self.part.events -= 1;
                        }
                        self.part.errors.push(InputError {
                            file: origin.file.clone(),
                            record: Some(origin.record),
                            line: origin.line,
                            message,
                        })
                    }
                }
            }
            Item::Refused(error) => self.part.errors.push(error.clone()),
            Item::Parsed(event, origin) => {
                self.part.events += 1;
                self.evaluate(event, origin, false);
            }
        }
    }

    /// Decides a record whose head was read on a tree of the members its candidates read
    /// (`engine::partial`). Where a rule matches, the other members are parsed into the same
    /// tree, which is then the whole event. A record whose head was read parses whole, so the
    /// partial parse fails only where the whole one would; the whole one then reports it.
    fn decide_on_partial(&mut self, text: &str) -> Partial {
        let rules = self.context.rules;
        let payoff = self.context.payoff;
        // Where most events match (a broad rule), the partial tree is parsed for little: the
        // whole tree is then built at once. Either way the outcome is the same.
        if !self.payoff.worth_trying(payoff) {
            return Partial::NotTried;
        }
        let Some(set) = rules.partial_members(&self.candidates) else {
            return Partial::NotTried;
        };
        if self.spans.is_empty() {
            // Not noted with the head (no rule is tried on every event): walk it again.
            records::head_and_members(text, &mut self.spans);
        }
        // Each member's bit, looked up once for both halves of the tree.
        self.span_bits.clear();
        self.span_bits.extend(
            self.spans
                .iter()
                .map(|span| rules.member_bit(&text[span.name.clone()]) & set),
        );
        let bits = &self.span_bits;
        let mut members = serde_json::Map::new();
        if !partial::add_members(text, &self.spans, |i| bits[i] != 0, &mut members) {
            return Partial::NotTried;
        }
        let mut event = Value::Object(members);
        if rules.unmatched_on_partial(&event, &self.candidates, &mut self.part.result) {
            self.payoff.tried(false, payoff);
            return Partial::Unmatched;
        }
        self.payoff.tried(true, payoff);
        let Value::Object(members) = &mut event else {
            unreachable!("built as an object above")
        };
        if !partial::add_members(text, &self.spans, |i| bits[i] == 0, members) {
            return Partial::NotTried;
        }
        Partial::Whole(event)
    }

    fn evaluate(&mut self, event: &Value, origin: &Origin, indexed: bool) {
        let Context {
            rules,
            options,
            keep,
            ..
        } = self.context;
        let part = &mut self.part;
        if !part.result.coverage.admit(&options.scope, event) {
            return;
        }
        if let Some(watch) = &mut self.watch {
            watch.event(event);
        }
        if !indexed {
            let source = event.get("eventSource").and_then(Value::as_str);
            let name = event.get("eventName").and_then(Value::as_str);
            rules.candidates(source, name, &mut self.candidates);
        }
        let enricher = options.enricher.as_deref();
        let annotated = annotate(rules, enricher, event, &self.candidates);
        rules.evaluate_annotated(
            event,
            annotated.as_ref(),
            origin,
            &self.candidates,
            &mut part.result,
        );
        render_matches(
            rules,
            &mut part.result.matches,
            (event, annotated.as_ref()),
            origin,
            keep,
            &mut self.tap,
            enricher,
            &mut part.findings,
        );
    }

    /// Ends a batch: what the tap gathered is folded into its state (taps merge in any order).
    fn into_part(mut self) -> Part {
        self.payoff.flush(self.context.payoff);
        if let Some((_, file)) = self.tap {
            file.finish();
        }
        self.part
    }
}

/// Scans one file. Findings go to `emit` in parts at record boundaries once `PART_FINDINGS` have
/// piled up; the rest come back in the outcome. A file whose records pass the streaming size
/// (`ScanOptions::stream_above`) has the rest evaluated in batches on the pool's idle threads
/// (`batch`), when the scan has more than one thread and no watch (which must see a file's events
/// in one state); results are applied in record order, so the outcome is the same.
pub(super) fn scan_file<'a>(
    rules: &'a RuleSet,
    file: &TrailFile,
    options: &'a ScanOptions,
    held: &'a AtomicUsize,
    budget: &'a Budget,
    payoff: &'a partial::Payoff,
    emit: &mut dyn FnMut(Vec<Finding>),
) -> FileOutcome<'a> {
    if options.reference {
        return scan_file_reference(rules, file, options, held);
    }
    let context = Context {
        rules,
        options,
        keep: options.keep_events.then_some(held),
        // The index's shortcut only holds when every event is in scope: a scope needs each
        // event's time, account and region, so then every record is parsed. A watch sees every
        // event.
        shortcut: options.scope.is_everything() && options.watch.is_none(),
        payoff,
    };
    let mut scan = FileScan::new(context);
    let parallel = options.watch.is_none()
        && rayon::current_thread_index().is_some()
        && rayon::current_num_threads() > 1;
    let stream_above = options.stream_above();
    let batch_bytes = options.batch_bytes.unwrap_or(BATCH_BYTES).max(1);
    let mut seen = 0usize;
    let (walk, on_disk) = if parallel {
        rayon::in_place_scope(|pool| {
            let mut batches = Batches::new(budget);
            let mut batch = Batch::default();
            // Batches back from the workers, emptied, to be filled again: fresh ones would be
            // fresh pages from the kernel each time.
            let mut spare: Vec<Batch> = Vec::new();
            let walked = walk_file(file, &options.limits, stream_above, &mut |record| {
                let size = record_size(&record);
                if seen < stream_above {
                    seen += size;
                    scan.record(Item::of(&record));
                    hand_on(&mut scan.part, emit);
                } else if size >= batch_bytes {
                    // A record as large as a batch is evaluated here, not copied.
                    let earlier = std::mem::take(&mut batch);
                    submit(&mut batches, pool, earlier, context, &mut |r| {
                        take_back(r, &mut scan.part, &mut spare, emit)
                    });
                    let mut alone = FileScan::new(context);
                    alone.record(Item::of(&record));
                    batches.ready((alone.into_part(), None), &mut |r| {
                        take_back(r, &mut scan.part, &mut spare, emit)
                    });
                } else {
                    batch.push(record, size);
                    if batch.size >= batch_bytes {
                        let next = spare.pop().unwrap_or_default();
                        let full = std::mem::replace(&mut batch, next);
                        submit(&mut batches, pool, full, context, &mut |r| {
                            take_back(r, &mut scan.part, &mut spare, emit)
                        });
                    }
                }
            });
            submit(&mut batches, pool, batch, context, &mut |r| {
                take_back(r, &mut scan.part, &mut spare, emit)
            });
            batches.finish(&mut |r| take_back(r, &mut scan.part, &mut spare, emit));
            walked
        })
    } else {
        walk_file(file, &options.limits, stream_above, &mut |record| {
            scan.record(Item::of(&record));
            hand_on(&mut scan.part, emit);
        })
    };
    let watched = scan.watch.take();
    let part = scan.into_part();
    let mut outcome = FileOutcome {
        watched,
        bytes: on_disk,
        events: part.events - part.result.coverage.left_out(),
        coverage: part.result.coverage,
        ..FileOutcome::default()
    };
    let mut errors = walk.errors;
    errors.extend(part.errors);
    // A file is "read" when its JSON could be split into records, even if some were bad.
    outcome.read = walk.skipped.is_none() && errors.iter().all(InputError::is_record_error);
    if let Some(reason @ SkipReason::Digest) = walk.skipped {
        outcome.skipped = Some(Skipped {
            file: file.name.clone(),
            reason,
        });
        return outcome;
    }
    outcome.findings = part.findings;
    outcome.suppressed = part.result.suppressed;
    outcome.errors = errors;
    outcome
}

/// Hands on the findings gathered so far once there are `PART_FINDINGS` of them.
fn hand_on(part: &mut Part, emit: &mut dyn FnMut(Vec<Finding>)) {
    if part.findings.len() >= PART_FINDINGS {
        emit(std::mem::take(&mut part.findings));
    }
}

/// Adds what a batch produced to the file's part, in record order.
fn apply(done: Part, part: &mut Part, emit: &mut dyn FnMut(Vec<Finding>)) {
    part.findings.extend(done.findings);
    part.events += done.events;
    part.errors.extend(done.errors);
    part.result.suppressed.extend(done.result.suppressed);
    part.result.coverage.merge(done.result.coverage);
    hand_on(part, emit);
}

/// Applies a batch's part and keeps its emptied buffers for another batch.
fn take_back(
    (done, used): (Part, Option<Batch>),
    part: &mut Part,
    spare: &mut Vec<Batch>,
    emit: &mut dyn FnMut(Vec<Finding>),
) {
    spare.extend(used);
    apply(done, part, emit);
}

/// Hands a batch to the pool (or runs it here when the scan's budget is spent). An empty batch
/// is not submitted.
fn submit<'s>(
    batches: &mut Batches<'s, (Part, Option<Batch>)>,
    pool: &rayon::Scope<'s>,
    mut batch: Batch,
    context: Context<'s>,
    apply: &mut dyn FnMut((Part, Option<Batch>)),
) {
    if batch.records.is_empty() {
        return;
    }
    batches.submit(
        pool,
        move || {
            let mut scan = FileScan::new(context);
            for record in batch.records() {
                scan.record(record);
            }
            batch.clear();
            (scan.into_part(), Some(batch))
        },
        apply,
    );
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
