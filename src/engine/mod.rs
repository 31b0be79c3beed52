//! The engine: a compiled, indexed rule set evaluated over trail files in parallel, producing
//! findings in a deterministic order whatever the thread count.

mod coverage;
pub mod eval;
pub mod explain;
mod finding;
pub mod fingerprint;
mod index;
pub mod scope;
mod select;
pub mod trace;

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use coverage::{Controls, Coverage};
pub use eval::Evidence;
pub use finding::{Finding, MAX_EVENT_BYTES, MAX_HELD_EVENTS_BYTES, MAX_KEPT_EVENTS_BYTES};
use index::RuleIndex;
pub use scope::Scope;

use crate::baseline::BaselineSummary;
use crate::rule::{Outcome, Rule, Severity};
use crate::source::records::{self, Record};
use crate::source::{
    check_record, walk_file, Discovery, InputError, Origin, ReadLimits, SkipReason, Skipped,
    TrailFile, STREAM_ABOVE,
};
use crate::time::{parse_rfc3339, Timestamp};

/// Compiled rules plus their index. Immutable and `Sync`: built once, shared by all workers.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    index: RuleIndex,
    by_id: std::collections::HashMap<String, usize>,
    controls: Controls,
}

/// What evaluating one event produced.
#[derive(Debug, Default)]
pub struct EventResult {
    pub findings: Vec<Finding>,
    /// Ids of rules that matched but were suppressed by one of their exceptions.
    pub suppressed: Vec<String>,
    /// Events each rule and control was evaluated on.
    coverage: Coverage,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        let index = RuleIndex::new(&rules);
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
        }
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
                out.findings.push(Finding::new(rule, event, origin));
            }
        }
    }
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

/// How to run a scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    pub limits: ReadLimits,
    /// Use the slow reference path (every record parsed, every rule tried): for tests.
    pub reference: bool,
    /// Which events to evaluate (`--since`, `--until`, `--account`, `--region`).
    pub scope: Scope,
    /// Keep each finding's event (compact JSON) in `Finding::event`, for reports that show it
    /// (HTML). Bounded: see `MAX_EVENT_BYTES`, `MAX_KEPT_EVENTS_BYTES` and
    /// `MAX_HELD_EVENTS_BYTES`.
    pub keep_events: bool,
    /// Told about each file when it is done (a progress bar). Called from worker threads.
    pub progress: Option<Arc<dyn Progress>>,
    /// Decoded files above this many bytes are streamed record by record; `None`: the default,
    /// `source::STREAM_ABOVE`. Tests set it low to stream small files.
    pub stream_above: Option<usize>,
}

impl ScanOptions {
    fn stream_above(&self) -> usize {
        self.stream_above.unwrap_or(STREAM_ABOVE)
    }
}

/// Receives progress while a scan runs, once per file, from any worker thread.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// A file is done: `events` read from it (in scope or not) and `bytes` read from disk.
    fn file_done(&self, events: usize, bytes: u64);
}

/// Counts for the summary of a scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Files opened and read (including those with bad records).
    pub files_read: usize,
    /// Files that could not be read at all.
    pub files_failed: usize,
    /// Records that could not be read inside otherwise readable files.
    pub records_failed: usize,
    /// Events evaluated: read, in scope, and checked against every rule that could apply.
    pub events: usize,
    /// Events read from readable files, in scope or not: `events + out_of_scope + undated`.
    /// Every record of a readable file is one of these or one of `records_failed`.
    pub events_read: usize,
    /// Bytes read from disk.
    pub bytes: u64,
    /// Files inside directories whose names are not trail file names.
    pub ignored: usize,
    pub rules: usize,
    /// Findings raised (after exceptions), in all and per severity. Equal to the findings of
    /// the `ScanResult` unless they were streamed out (`scan_streaming`).
    pub findings: usize,
    pub findings_by_severity: BTreeMap<Severity, usize>,
    /// Rule id -> events that matched but were suppressed by an exception.
    pub suppressed: BTreeMap<String, usize>,
    pub duration: Duration,
    /// Rule id -> events the rule was evaluated on (its selector and outcome applied), every
    /// loaded rule present.
    pub rule_events: BTreeMap<String, usize>,
    /// Compliance framework -> control id -> events at least one rule of that control was
    /// evaluated on (each event counted once per control).
    pub control_events: BTreeMap<String, BTreeMap<String, usize>>,
    /// Events left out by `--since`, `--until`, `--account` or `--region`.
    pub out_of_scope: usize,
    /// Events left out because a time window was given and they have no usable `eventTime`.
    pub undated: usize,
    /// The earliest and latest `eventTime` among the evaluated events.
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
    /// Accounts and regions of the evaluated events.
    pub accounts: BTreeSet<String>,
    pub regions: BTreeSet<String>,
}

/// Everything a scan produced, sorted; reports render this and nothing else.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by file, record, rule id.
    pub findings: Vec<Finding>,
    /// Files and records that could not be read, sorted by file and record.
    pub errors: Vec<InputError>,
    /// Files passed over on purpose (digests), sorted by file.
    pub skipped: Vec<Skipped>,
    pub stats: Stats,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<BaselineSummary>,
    /// The scope the scan was limited to.
    pub scope: Scope,
}

impl ScanResult {
    /// Findings raised, whether they are held here or were streamed out.
    pub fn finding_count(&self) -> usize {
        if self.findings.is_empty() {
            self.stats.findings
        } else {
            self.findings.len()
        }
    }

    /// Findings of one severity, whether they are held here or were streamed out.
    pub fn finding_count_of(&self, severity: Severity) -> usize {
        if self.findings.is_empty() {
            self.stats
                .findings_by_severity
                .get(&severity)
                .copied()
                .unwrap_or(0)
        } else {
            self.findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
        }
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Findings that fail a gate at `threshold`: at or above it, and not already in the baseline.
    pub fn failing(&self, threshold: Severity) -> usize {
        if self.findings.is_empty() {
            // Streamed out (`scan_streaming`, never with a baseline): the counts remain.
            return self
                .stats
                .findings_by_severity
                .range(threshold..)
                .map(|(_, n)| n)
                .sum();
        }
        self.findings
            .iter()
            .filter(|f| f.severity >= threshold && f.counts_toward_gate())
            .count()
    }
}

#[derive(Default)]
struct FileOutcome {
    findings: Vec<Finding>,
    /// Findings per severity, counted before they are handed on.
    tally: BTreeMap<Severity, usize>,
    errors: Vec<InputError>,
    skipped: Option<Skipped>,
    suppressed: Vec<String>,
    events: usize,
    bytes: u64,
    read: bool,
    coverage: Coverage,
}

/// Reads and evaluates every discovered file, in parallel, and returns every finding sorted.
/// Holds all findings in memory: reports that need the whole picture (SARIF, JUnit, HTML) use it.
pub fn scan(rules: &RuleSet, discovery: Discovery, options: &ScanOptions) -> ScanResult {
    let mut findings = Vec::new();
    let mut result = scan_streaming(rules, discovery, options, &|batch| batch, &mut |batch| {
        findings.extend(batch);
    });
    result.findings = findings;
    if options.keep_events {
        finding::cap_kept_events(&mut result.findings);
    }
    result
}

/// Reads and evaluates every discovered file in parallel and hands the findings to `sink` file by
/// file, in report order (file, record, rule id), on the calling thread, as soon as every earlier
/// file is done. `prepare` runs first on each file's findings in the worker that found them (to
/// render them in parallel, say). Memory is bounded by the files in flight, not by the findings of
/// the whole scan: the returned `ScanResult` has no findings, only their counts
/// (`Stats::findings`), the errors, the skipped files and the statistics.
pub fn scan_streaming<T: Send>(
    rules: &RuleSet,
    discovery: Discovery,
    options: &ScanOptions,
    prepare: &(dyn Fn(Vec<Finding>) -> T + Sync),
    sink: &mut dyn FnMut(T),
) -> ScanResult {
    let started = Instant::now();
    let Discovery {
        mut files,
        skipped,
        errors,
        ignored,
    } = discovery;
    // Findings sort by file name first: scanning files in that order lets each file's findings
    // go out as soon as the files before it are done.
    files.sort_by(|a, b| a.name.cmp(&b.name));
    // Bytes of events kept so far (ScanOptions::keep_events), across workers.
    let held = AtomicUsize::new(0);

    let mut result = ScanResult {
        errors,
        skipped,
        scope: options.scope.clone(),
        ..ScanResult::default()
    };
    let mut coverage = Coverage::default();
    result.stats.ignored = ignored;
    result.stats.rules = rules.rules().len();
    result.stats.files_failed = result.errors.len();
    let mut collect = |(outcome, prepared): (FileOutcome, Option<T>), sink: &mut dyn FnMut(T)| {
        let stats = &mut result.stats;
        stats.events += outcome.events;
        stats.bytes += outcome.bytes;
        if outcome.read {
            stats.files_read += 1;
        }
        for error in &outcome.errors {
            if error.is_record_error() {
                stats.records_failed += 1;
            } else {
                stats.files_failed += 1;
            }
        }
        for id in outcome.suppressed {
            *stats.suppressed.entry(id).or_default() += 1;
        }
        coverage.merge(outcome.coverage);
        result.errors.extend(outcome.errors);
        result.skipped.extend(outcome.skipped);
        for (severity, n) in outcome.tally {
            stats.findings += n;
            *stats.findings_by_severity.entry(severity).or_default() += n;
        }
        if let Some(prepared) = prepared {
            sink(prepared);
        }
    };
    // Sorts one part of a file's findings (record order, then rule id: each record's come in
    // candidate order), counts them and prepares them for the sink.
    let part = |mut findings: Vec<Finding>, tally: &mut BTreeMap<Severity, usize>| -> T {
        findings.sort_by(|a, b| (a.record, &a.rule_id).cmp(&(b.record, &b.rule_id)));
        for finding in &findings {
            *tally.entry(finding.severity).or_default() += 1;
        }
        prepare(findings)
    };
    let scan_one = |file: &TrailFile, send: &mut dyn FnMut(T)| -> (FileOutcome, Option<T>) {
        let mut tally = BTreeMap::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            scan_file(rules, file, options, &held, &mut |findings| {
                send(part(findings, &mut tally))
            })
        }))
        .unwrap_or_else(|_| FileOutcome {
            errors: vec![InputError::file(
                &file.name,
                "internal error while scanning this file (a bug in trailgate: please report it with the file if you can)",
            )],
            ..FileOutcome::default()
        });
        if let Some(progress) = &options.progress {
            progress.file_done(outcome.events + outcome.coverage.left_out(), outcome.bytes);
        }
        let mut outcome = outcome;
        let findings = std::mem::take(&mut outcome.findings);
        let prepared = (!findings.is_empty()).then(|| part(findings, &mut tally));
        outcome.tally = tally;
        (outcome, prepared)
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
    {
        Ok(pool) => in_order(&pool, &files, &scan_one, &mut |piece| match piece {
            Piece::Part(prepared) => sink(prepared),
            Piece::Done(done) => collect(done, &mut *sink),
        }),
        Err(_) => {
            for file in &files {
                let done = scan_one(file, &mut *sink);
                collect(done, &mut *sink);
            }
        }
    }

    result
        .errors
        .sort_by(|a, b| (&a.file, a.record, a.line).cmp(&(&b.file, b.record, b.line)));
    result.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    coverage.finish(rules, &mut result.stats);
    result.stats.events_read =
        result.stats.events + result.stats.out_of_scope + result.stats.undated;
    result.stats.duration = started.elapsed();
    result
}

/// What `in_order` runs on each item: it may send parts of its result, then returns the rest.
type Work<'a, T, P, R> = dyn Fn(&T, &mut dyn FnMut(P)) -> R + Sync + 'a;

/// A part of an item's result, or the rest of it (`in_order`).
enum Piece<P, R> {
    Part(P),
    Done(R),
}

/// Runs `work` on every item on the pool's threads and hands the results to `done` in the items'
/// order, on the calling thread (ripgrep's ordered output). `work` may also send parts of its
/// result before it ends; they are delivered in order too, before the item's `Done`. Workers run
/// at most `window` items ahead of the oldest unfinished one, and a worker whose item is not the
/// oldest waits once it has `PARTS_AHEAD` parts waiting, so what waits for its turn stays small.
fn in_order<T: Sync, P: Send, R: Send>(
    pool: &rayon::ThreadPool,
    items: &[T],
    work: &Work<'_, T, P, R>,
    deliver: &mut dyn FnMut(Piece<P, R>),
) {
    const PARTS_AHEAD: usize = 2;
    let workers = pool.current_num_threads().max(1);
    let window = workers * 4;
    let next = AtomicUsize::new(0);
    // The oldest item not yet done; workers wait on it to stay inside the window.
    let oldest = (Mutex::new(0usize), Condvar::new());
    // Set when a worker or the receiving side panics: nobody waits for a turn that cannot come.
    let cancelled = AtomicBool::new(false);
    let cancel = || {
        cancelled.store(true, Ordering::SeqCst);
        let _turns = oldest.0.lock().unwrap_or_else(|e| e.into_inner());
        oldest.1.notify_all();
    };
    // False when the run was cancelled while waiting.
    let wait_until = |ready: &dyn Fn(usize) -> bool| -> bool {
        let (count, turn) = &oldest;
        let mut count = count.lock().unwrap_or_else(|e| e.into_inner());
        while !ready(*count) {
            if cancelled.load(Ordering::SeqCst) {
                return false;
            }
            count = turn.wait(count).unwrap_or_else(|e| e.into_inner());
        }
        true
    };
    let (sender, receiver) = mpsc::channel::<(usize, Piece<P, R>)>();
    pool.in_place_scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, wait_until, cancel) = (&next, &wait_until, &cancel);
            scope.spawn(move |_| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() || !wait_until(&|oldest| i < oldest + window) {
                    break;
                }
                let mut sent = 0usize;
                let mut send = |p: P| {
                    sent += 1;
                    if sent <= PARTS_AHEAD || wait_until(&|oldest| oldest == i) {
                        let _ = sender.send((i, Piece::Part(p)));
                    }
                };
                let result = match catch_unwind(AssertUnwindSafe(|| work(&items[i], &mut send))) {
                    Ok(result) => result,
                    Err(panic) => {
                        cancel();
                        std::panic::resume_unwind(panic);
                    }
                };
                if sender.send((i, Piece::Done(result))).is_err() {
                    break;
                }
            });
        }
        drop(sender);
        // If delivering panics, the workers must not wait for turns that will not come.
        struct OnUnwind<F: Fn()>(F);
        impl<F: Fn()> Drop for OnUnwind<F> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    (self.0)();
                }
            }
        }
        let _guard = OnUnwind(&cancel);
        let mut waiting: BTreeMap<usize, (Vec<P>, Option<R>)> = BTreeMap::new();
        let mut expected = 0;
        for (i, piece) in receiver {
            match piece {
                Piece::Part(p) if i == expected => deliver(Piece::Part(p)),
                Piece::Part(p) => waiting.entry(i).or_default().0.push(p),
                Piece::Done(r) => waiting.entry(i).or_default().1 = Some(r),
            }
            // Hand on everything that is now in turn.
            while let Some(entry) = waiting.get_mut(&expected) {
                entry.0.drain(..).for_each(|p| deliver(Piece::Part(p)));
                let Some(result) = entry.1.take() else {
                    break;
                };
                waiting.remove(&expected);
                deliver(Piece::Done(result));
                expected += 1;
                let (count, turn) = &oldest;
                *count.lock().unwrap_or_else(|e| e.into_inner()) = expected;
                turn.notify_all();
            }
        }
    });
}

/// Findings of one file handed on before the file is done, so that one huge file does not hold
/// all its findings (`scan_file`'s `emit`).
const PART_FINDINGS: usize = 2048;

/// Scans one file. Findings go to `emit` in parts at record boundaries once `PART_FINDINGS` have
/// piled up; the rest come back in the outcome.
fn scan_file(
    rules: &RuleSet,
    file: &TrailFile,
    options: &ScanOptions,
    held: &AtomicUsize,
    emit: &mut dyn FnMut(Vec<Finding>),
) -> FileOutcome {
    if options.reference {
        return scan_file_reference(rules, file, options, held);
    }
    let mut outcome = FileOutcome::default();
    let mut candidates = Vec::new();
    let mut result = EventResult::default();
    let mut events = 0usize;
    let mut record_errors = Vec::new();
    // The index's shortcut only holds when every event is in scope: a scope needs each event's
    // time, account and region, so then every record is parsed.
    let shortcut = options.scope.is_everything();
    let evaluate = |event: &Value,
                    origin: &Origin,
                    candidates: &mut Vec<usize>,
                    result: &mut EventResult,
                    indexed: bool| {
        if !result.coverage.admit(&options.scope, event) {
            return;
        }
        if !indexed {
            let source = event.get("eventSource").and_then(Value::as_str);
            let name = event.get("eventName").and_then(Value::as_str);
            rules.candidates(source, name, candidates);
        }
        let before = result.findings.len();
        rules.evaluate_candidates(event, origin, candidates, result);
        if options.keep_events {
            finding::keep_event(&mut result.findings[before..], event, held);
        }
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
                            indexed.is_some(),
                        );
                        if result.findings.len() >= PART_FINDINGS {
                            emit(std::mem::take(&mut result.findings));
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
                    false,
                );
                if result.findings.len() >= PART_FINDINGS {
                    emit(std::mem::take(&mut result.findings));
                }
            }
        },
    );
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
    outcome.findings = result.findings;
    outcome.suppressed = result.suppressed;
    outcome.errors = errors;
    outcome
}

/// The straightforward path: parse every record, try every rule on every event. Slow; kept to
/// prove that the fast path finds exactly the same (`ScanOptions::reference`).
fn scan_file_reference(
    rules: &RuleSet,
    file: &TrailFile,
    options: &ScanOptions,
    held: &AtomicUsize,
) -> FileOutcome {
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
    for event in &contents.events {
        if !result.coverage.admit(&options.scope, &event.value) {
            continue;
        }
        // Without the index, the rule's own selector decides.
        let applicable: Vec<usize> = every_rule
            .iter()
            .copied()
            .filter(|&i| rules.rules()[i].selector.selects(&event.value))
            .collect();
        let before = result.findings.len();
        rules.evaluate_candidates(&event.value, &event.origin, &applicable, &mut result);
        if options.keep_events {
            finding::keep_event(&mut result.findings[before..], &event.value, held);
        }
    }
    outcome.events -= result.coverage.left_out();
    outcome.findings = result.findings;
    outcome.suppressed = result.suppressed;
    outcome.coverage = result.coverage;
    outcome.errors = contents.errors;
    outcome
}

#[cfg(test)]
mod in_order_tests {
    use super::*;

    fn pool() -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
    }

    #[test]
    fn results_and_parts_arrive_in_item_order() {
        let items: Vec<usize> = (0..200).collect();
        let work = |&i: &usize, send: &mut dyn FnMut(usize)| {
            // Later items finish first, and some send parts before their result.
            std::thread::sleep(std::time::Duration::from_micros(
                ((200 - i) % 7) as u64 * 50,
            ));
            for part in 0..i % 4 {
                send(i * 10 + part);
            }
            i
        };
        let mut seen = Vec::new();
        in_order(&pool(), &items, &work, &mut |piece| match piece {
            Piece::Part(p) => seen.push(p),
            Piece::Done(r) => seen.push(r * 10 + 9),
        });
        let expected: Vec<usize> = items
            .iter()
            .flat_map(|&i| (0..i % 4).map(move |p| i * 10 + p).chain([i * 10 + 9]))
            .collect();
        assert_eq!(seen, expected);
    }

    /// A bug that panics in a worker, or while delivering, fails the run: it never hangs on
    /// workers waiting for a turn.
    #[test]
    fn a_panic_in_a_worker_or_while_delivering_does_not_hang() {
        let items: Vec<usize> = (0..100).collect();
        let panics_on_3 = |&i: &usize, send: &mut dyn FnMut(usize)| {
            for part in 0..5 {
                send(part);
            }
            assert!(i != 3, "item 3");
            i
        };
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            in_order(&pool(), &items, &panics_on_3, &mut |_| {});
        }));
        assert!(run.is_err());

        let fine = |&i: &usize, send: &mut dyn FnMut(usize)| {
            for part in 0..5 {
                send(part);
            }
            i
        };
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
            in_order(&pool(), &items, &fine, &mut |piece| {
                if let Piece::Done(10) = piece {
                    panic!("delivering item 10");
                }
            });
        }));
        assert!(run.is_err());
    }
}
