//! The scan entry points: every discovered file read and evaluated in parallel, findings handed
//! on in report order (`scan_streaming`) or collected (`scan`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Instant;

use super::batch::Budget;
use super::coverage::Coverage;
use super::file::{scan_file, FileOutcome, BATCHES_PER_THREAD};
use super::ordered::{in_order, Piece};
use super::render::cap_kept_events;
use super::rule_set::RuleSet;
use super::tap::Tap;
use crate::finding::{Finding, ScanResult, Stats};
use crate::rule::Severity;
use crate::scope::Scope;
use crate::source::{Discovery, InputError, ReadLimits, TrailFile, STREAM_ABOVE};

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
    /// Records of a file past `stream_above` are evaluated in batches of about this many bytes
    /// on the pool's idle threads; `None`: `engine::BATCH_BYTES`. Tests set it low.
    pub batch_bytes: Option<usize>,
    /// A later stage shown the events of the matches it wants (correlations, first-seen); its
    /// helper rules give no findings of their own.
    pub tap: Option<Arc<dyn Tap>>,
    /// Account names and GeoIP databases (`--accounts`, `--geoip`): each finding's event gets
    /// its enrichment, and rules that read `$.trailgate` see the annotation.
    pub enricher: Option<Arc<crate::enrich::Enricher>>,
    /// Shown every evaluated event (in scope), whatever the rules: the per-principal summary.
    /// Every record is then parsed (the index's shortcut is off).
    pub watch: Option<Arc<dyn Watch>>,
}

/// Sees every event the scan evaluates, one state per file (like a [`Tap`], which sees only
/// matches). Files are done in any order: the states must merge in any order.
pub trait Watch: Send + Sync + std::fmt::Debug {
    fn file(&self) -> Box<dyn WatchFile + Send + '_>;
}

/// What a [`Watch`] gathers from one file.
pub trait WatchFile {
    /// An event in scope, before any rule sees it (without the enrichment annotation).
    fn event(&mut self, event: &Value);
    /// The file is done: fold what was gathered into the watch's state. Called on the scan's
    /// thread in file order (report order), whatever order the files finished in, so that a
    /// state whose merge is not commutative (capped lists) comes out the same on every run.
    fn finish(self: Box<Self>);
}

impl ScanOptions {
    pub(super) fn stream_above(&self) -> usize {
        self.stream_above.unwrap_or(STREAM_ABOVE)
    }
}

/// Receives progress while a scan runs, once per file, from any worker thread.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// A file is done: `events` read from it (in scope or not) and `bytes` read from disk.
    fn file_done(&self, events: usize, bytes: u64);
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
        cap_kept_events(&mut result.findings);
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
    // Batches of large files in flight across the scan (`batch`), bounded per thread.
    let threads = if options.threads == 0 {
        rayon::current_num_threads()
    } else {
        options.threads
    };
    let budget = Budget::new(threads, BATCHES_PER_THREAD);
    let payoff = super::partial::Payoff::default();

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
    let mut collect = |(mut outcome, prepared): (FileOutcome<'_>, Option<T>),
                       sink: &mut dyn FnMut(T)| {
        if let Some(watched) = outcome.watched.take() {
            watched.finish();
        }
        let mut stats = Stats {
            events: outcome.events,
            bytes: outcome.bytes,
            files_read: usize::from(outcome.read),
            findings: outcome.tally.values().sum(),
            findings_by_severity: outcome.tally,
            ..Stats::default()
        };
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
        result.stats.merge(stats);
        coverage.merge(outcome.coverage);
        result.errors.extend(outcome.errors);
        result.skipped.extend(outcome.skipped);
        if let Some(prepared) = prepared {
            sink(prepared);
        }
    };
    // Sorts one part of a file's findings (record order, then rule id: each record's come in
    // candidate order), counts them and prepares them for the sink.
    let part = |mut findings: Vec<Finding>, tally: &mut BTreeMap<Severity, usize>| -> T {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for finding in &findings {
            *tally.entry(finding.severity).or_default() += 1;
        }
        prepare(findings)
    };
    let scan_one = |file: &TrailFile, send: &mut dyn FnMut(T)| -> (FileOutcome<'_>, Option<T>) {
        let mut tally = BTreeMap::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            scan_file(rules, file, options, &held, &budget, &payoff, &mut |findings| {
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

    result.sort();
    coverage.finish(rules, &mut result.stats);
    result.stats.events_read =
        result.stats.events + result.stats.out_of_scope + result.stats.undated;
    result.stats.duration = started.elapsed();
    result
}
