//! `trailgate scan`: trail files (local or S3) through the rules into reports, written while the
//! scan runs when every report can take findings one at a time.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::sync::Arc;

use super::args::ScanArgs;
use super::output::{
    context, finish_reports, load_enricher, report_paths, wants_principals,
    write_annotation_warnings, write_failed, write_reports, Streamed,
};
use super::plan::{self, ScanPlan};
use super::rules::{load_rules, write_load_error};
use super::{progress, Terminal};
use crate::baseline;
use crate::config::suppress::{State as SuppressionState, Subject, Suppressor};
use crate::correlate::stage::{self, CorrelationTap};
use crate::engine::{scan as scan_all, scan_streaming, RuleSet, ScanOptions, Tap, Taps};
use crate::exit::ExitStatus;
use crate::finding::Finding;
use crate::finding::{Location, ScanResult};
use crate::first_seen::stage::{self as first_seen, FirstSeenTap, LaterFinding};
use crate::first_seen::{History, NoHistory, Observer};
use crate::report::principals::Principals;
use crate::report::{self, Context, Format, StreamingReport};
use crate::source::{discover, s3, Discovery, Input, InputError, Origin, TrailFile};
use crate::state::plan::{group, plan_file, FilePlan, Group};
use crate::state::{rule_fingerprint, Batch, Coverage, FileIdentity, StateError, Store};
use crate::summary::{Limits, PrincipalWatch};
use crate::time::Timestamp;

/// `trailgate scan`: plans the run from the arguments, then runs the plan.
pub(super) fn run_scan(
    args: &ScanArgs,
    suppressor: &Suppressor,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    // PATHS is optional on the command line since trailgate.toml may give `paths`.
    if args.paths.is_empty() && args.paths_from.is_none() {
        writeln!(
            stderr,
            "error: no paths to scan: give PATHS or --paths-from, or `paths` in trailgate.toml"
        )?;
        return Ok(ExitStatus::Usage);
    }
    match plan::scan(args, terminal.now.unwrap_or_else(Timestamp::now)) {
        Ok(plan) => scan_suppressed(&plan, suppressor, stdout, stderr, terminal),
        Err(err) if err.conflict => {
            writeln!(stderr, "error: {}", err.message)?;
            Ok(ExitStatus::Usage)
        }
        Err(err) => {
            writeln!(stderr, "error: {}; nothing was scanned", err.message)?;
            Ok(ExitStatus::Usage)
        }
    }
}

/// Runs a scan plan: loads the rules and the baseline, scans, writes the reports.
pub fn scan(
    plan: &ScanPlan,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    let now = terminal.now.unwrap_or_else(Timestamp::now);
    let none = Suppressor::new(Vec::new(), crate::config::suppress::Day::today(now));
    scan_suppressed(plan, &none, stdout, stderr, terminal)
}

/// `scan` with the configuration file's suppressions applied to the findings.
fn scan_suppressed(
    plan: &ScanPlan,
    suppressor: &Suppressor,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    let enricher = match load_enricher(&plan.enrich) {
        Ok(enricher) => enricher.map(Arc::new),
        Err(message) => {
            writeln!(stderr, "error: {message}; nothing was scanned")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let rules = match load_rules(&plan.rules, stderr) {
        Ok(rules) => rules,
        Err(error) => return write_load_error(stderr, &error, "; nothing was scanned"),
    };
    write_annotation_warnings(&rules, enricher.as_deref(), stderr)?;
    let baseline = match &plan.baseline {
        Some(path) => match baseline::read(path) {
            Ok(baseline) => Some(baseline),
            Err(reason) => {
                writeln!(
                    stderr,
                    "error: baseline {}: {reason}; nothing was scanned",
                    path.display()
                )?;
                return Ok(ExitStatus::Usage);
            }
        },
        None => None,
    };
    // The store is opened (and locked) before anything is read: a second run on it, or a store
    // of another format, stops here with nothing done.
    let mut store = match &plan.state {
        None => None,
        Some(dir) => match Store::open(dir) {
            Ok(store) => Some(store),
            Err(err) => {
                writeln!(stderr, "error: {err}; nothing was scanned")?;
                return Ok(ExitStatus::Usage);
            }
        },
    };
    let destinations = &plan.output.destinations;
    let scope = &plan.scope;
    let paths = &plan.inputs;
    let (urls, local): (Vec<String>, Vec<String>) =
        paths.iter().cloned().partition(|p| s3::is_s3_url(p));
    let inputs: Vec<Input> = local.iter().map(|p| Input::from_arg(p)).collect();
    let mut discovery = discover(&inputs);
    discovery.append(s3::discover(
        &urls,
        &s3::S3Options {
            endpoint: plan.endpoint_url.clone(),
            concurrency: plan.s3_concurrency,
            accounts: scope.accounts.clone(),
            regions: scope.regions.clone(),
            since: scope.since,
            until: scope.until,
        },
    ));
    // Correlations see the matches of the rules they count while the scan runs, and give
    // their findings once every file is read.
    let correlations = CorrelationTap::new(&rules).map(Arc::new);
    let mut options = ScanOptions {
        threads: plan.threads,
        limits: plan.limits,
        scope: scope.clone(),
        keep_events: destinations.iter().any(|d| d.format.shows_events()),
        progress: None,
        tap: correlations.clone().map(|tap| tap as Arc<dyn Tap>),
        enricher: enricher.clone(),
        ..ScanOptions::default()
    };
    // The per-principal summary sees every event in scope (so every record is parsed).
    let principal_watch =
        wants_principals(&plan.output).then(|| Arc::new(PrincipalWatch::new(Limits::default())));
    options.watch = principal_watch
        .clone()
        .map(|watch| watch as Arc<dyn crate::engine::Watch>);
    let display = (terminal.stderr_is_tty && !plan.quiet).then(|| {
        let bytes = discovery
            .files
            .iter()
            .filter_map(|f| f.path.as_ref().and_then(|p| std::fs::metadata(p).ok()))
            .map(|m| m.len())
            .sum();
        progress::Display::start(discovery.files.len(), bytes)
    });
    options.progress = display.as_ref().map(progress::Display::progress);

    // Findings go out while the scan runs when every report can take them that way: memory then
    // stays bounded whatever the number of findings. Not with a baseline (findings are marked new
    // or unchanged against the whole scan), nor when findings and the progress bar would share
    // one terminal. Not with first_seen rules either: their findings are event findings decided
    // only once every file is read, yet they sort among the others (file, record, rule), so
    // they are collected and sorted with the rest. Nor with a state store: files are then read
    // in groups (by the rules each still needs), and the store is committed after the reports.
    let streaming: Option<Vec<&'static dyn StreamingReport>> = if baseline.is_none()
        && suppressor.is_empty()
        && !first_seen::any(&rules)
        && store.is_none()
        && principal_watch.is_none()
        // Text groups by event as it goes (an event's findings are never split between parts);
        // by rule or by principal it needs every finding first.
        && (matches!(plan.output.group_by, None | Some(report::group::GroupBy::Event))
            || destinations
                .iter()
                .all(|d| d.format != report::Format::Text))
        && !(display.is_some()
            && terminal.stdout_is_tty
            && destinations.iter().any(|d| d.path.is_none()))
    {
        destinations
            .iter()
            .map(|d| report::streaming(d.format))
            .collect()
    } else {
        None
    };
    if let Some(streaming) = streaming {
        let reports = report_paths(destinations);
        let mut streams = Vec::new();
        let mut all_written = true;
        // At most one report goes to standard output (checked by `destinations`).
        let mut standard_output = Some(&mut *stdout);
        for (destination, report) in destinations.iter().zip(streaming) {
            let writer: Box<dyn Write + '_> = match &destination.path {
                None => match standard_output.take() {
                    Some(stdout) => Box::new(io::BufWriter::with_capacity(1 << 16, stdout)),
                    None => continue,
                },
                Some(path) => match std::fs::File::create(path) {
                    Ok(file) => Box::new(io::BufWriter::with_capacity(1 << 16, file)),
                    Err(err) => {
                        all_written &= write_failed(stderr, destination, &err)?;
                        continue;
                    }
                },
            };
            let cx = context(
                &plan.output,
                destination,
                &rules,
                (paths, &reports),
                (None, enricher.as_ref().and_then(|e| e.accounts.as_ref())),
                terminal,
            );
            streams.push(Streamed {
                destination,
                report,
                cx,
                writer,
                error: None,
            });
        }
        for stream in &mut streams {
            let Streamed {
                report, cx, writer, ..
            } = stream;
            stream.error = report.begin(cx, writer).err();
        }
        // Each file's findings are rendered by the worker that found them, for every report,
        // and written here in order.
        let renderers: Vec<(&dyn StreamingReport, Context<'_>)> =
            streams.iter().map(|o| (o.report, o.cx.clone())).collect();
        let render = |findings: Vec<Finding>| -> Vec<io::Result<Vec<u8>>> {
            renderers
                .iter()
                .map(|(report, cx)| {
                    let mut bytes = Vec::new();
                    report.findings(&findings, cx, &mut bytes).map(|()| bytes)
                })
                .collect()
        };
        let mut write = |rendered: Vec<io::Result<Vec<u8>>>| {
            for (stream, bytes) in streams.iter_mut().zip(rendered) {
                if stream.error.is_none() {
                    stream.error = bytes.and_then(|b| stream.writer.write_all(&b)).err();
                }
            }
        };
        let mut result = scan_streaming(&rules, discovery, &options, &render, &mut write);
        // Window findings sort after every event finding: they go out last.
        if let Some(tap) = &correlations {
            let windows = stage::finish(&rules, tap, &mut result);
            if !windows.is_empty() {
                write(render(windows));
            }
        }
        if let Some(display) = display {
            display.finish();
        }
        for stream in streams {
            let Streamed {
                destination,
                report,
                cx,
                mut writer,
                error,
            } = stream;
            let written = match error {
                Some(err) => Err(err),
                None => report
                    .end(&result, &cx, &mut writer)
                    .and_then(|()| writer.flush()),
            };
            drop(writer);
            if let Err(err) = written {
                all_written &= write_failed(stderr, destination, &err)?;
            }
        }
        return finish_reports(&result, &plan.output, all_written, stderr);
    }

    let mut batch = match store.as_mut().map(Store::batch).transpose() {
        Ok(batch) => batch,
        Err(err) => {
            writeln!(stderr, "error: {err}; nothing was scanned")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let scanned = scan_collected(
        &rules,
        discovery,
        &options,
        correlations.as_ref(),
        batch.as_mut(),
        (
            plan.rescan,
            destinations.iter().any(|d| d.format == Format::Jsonl),
        ),
    );
    if let Some(display) = display {
        display.finish();
    }
    let (mut result, marks) = match scanned {
        Ok(scanned) => scanned,
        Err(err) => {
            writeln!(stderr, "error: {err}; no report was written")?;
            return Ok(ExitStatus::Usage);
        }
    };
    suppress(&mut result, suppressor);
    if let Some(baseline) = &baseline {
        baseline::compare(&mut result, baseline);
    }
    let principals = principal_watch.map(|watch| {
        let mut summary = watch.take();
        summary.add_findings(&result.findings);
        Principals::new(&summary, enricher.as_deref())
    });
    let status = write_reports(
        &plan.output,
        &result,
        &rules,
        (
            paths,
            principals.as_ref(),
            enricher.as_ref().and_then(|e| e.accounts.as_ref()),
        ),
        (stdout, stderr),
        terminal,
    )?;
    let Some(mut batch) = batch else {
        return Ok(status);
    };
    // Committed only once the reports are out: a run that dies before this point leaves the
    // store as it was, so the next run reads the same files and reports what this one did.
    if status == ExitStatus::ReportFailed {
        writeln!(
            stderr,
            "warning: state store {}: not updated, since a report could not be written; the next \
             run reads these files again",
            plan.state
                .as_deref()
                .unwrap_or(std::path::Path::new("?"))
                .display()
        )?;
        return Ok(status);
    }
    let committed = marks
        .iter()
        .try_for_each(|(file, rules)| batch.mark_file(file, rules))
        .and_then(|()| batch.commit(result.stats.files_read, result.stats.files_unchanged));
    if let Err(err) = committed {
        writeln!(
            stderr,
            "error: {err}; the reports were written but the store was not updated: the next run \
             reads these files again"
        )?;
        return Ok(ExitStatus::ReportFailed);
    }
    Ok(status)
}

/// A file read in full by this run and the rules (fingerprints) it was read for: recorded in
/// the store when the run commits.
type Mark = (FileIdentity, Vec<[u8; 16]>);

/// The collected scan: with a store (`batch`), files the store says were scanned with every
/// rule are skipped and the others read for the rules they still need (`state::plan`), a group
/// of files per set of rules; then the correlation and first-seen stages. Returns the sorted
/// result and the files to mark in the store. `jsonl`: a JSON Lines report is written, so the
/// first-seen observations travel in the result (a copy of the stage's state, made only then).
fn scan_collected(
    rules: &RuleSet,
    discovery: Discovery,
    options: &ScanOptions,
    correlations: Option<&Arc<CorrelationTap>>,
    batch: Option<&mut Batch<'_>>,
    (rescan, jsonl): (bool, bool),
) -> Result<(ScanResult, Vec<Mark>), StateError> {
    let started = std::time::Instant::now();
    let all: Vec<usize> = (0..rules.rules().len()).collect();
    let fingerprints: Vec<[u8; 16]> = rules.rules().iter().map(rule_fingerprint).collect();
    let Discovery {
        files,
        skipped,
        errors,
        ignored,
    } = discovery;
    let names: Vec<Arc<str>> = files.iter().map(|f| f.name.clone()).collect();
    let mut identities = Vec::with_capacity(files.len());
    let mut plans = Vec::with_capacity(files.len());
    for file in &files {
        // A local file by its path, size and modification time; a listed S3 object by its URL,
        // ETag and size. An object named by its full key is not listed, so has no version to
        // compare: it is read every run.
        let identity = match (&batch, &file.path, &file.remote) {
            (Some(_), Some(path), _) => FileIdentity::local(path).ok(),
            (Some(_), None, Some(remote)) => remote
                .version()
                .map(|v| FileIdentity::s3(&file.name, v.etag.as_deref(), v.size)),
            _ => None,
        };
        let plan = match (&batch, &identity) {
            (Some(batch), Some(identity)) => {
                plan_file(&batch.file_status(identity)?, &fingerprints, rescan)
            }
            _ => FilePlan::Read(all.clone()),
        };
        identities.push(identity);
        plans.push(plan);
    }
    let (mut groups, unchanged) = group(&plans);
    if groups.is_empty() {
        // Nothing to read: one empty scan still gives the discovery's errors and counts.
        groups.push(Group {
            rules: all.clone(),
            files: Vec::new(),
        });
    }
    // An unchanged S3 object is not fetched, not even ahead of the workers.
    for &i in &unchanged {
        if let Some(remote) = &files[i].remote {
            remote.forget();
        }
    }
    // First-seen candidates are kept as places and their findings rendered at the end from the
    // events read again, when every file can be read again (local files, not standard input or
    // S3) and no report carries the observations (which hold rendered findings).
    let observations_out = batch.is_none() && jsonl;
    let later = first_seen::any(rules)
        && !observations_out
        && files.iter().all(|f| f.path.is_some() && f.remote.is_none());
    let every_file: Vec<TrailFile> = if later { files.clone() } else { Vec::new() };
    let mut files: Vec<Option<_>> = files.into_iter().map(Some).collect();
    let mut rest = Some(Discovery {
        files: Vec::new(),
        skipped,
        errors,
        ignored,
    });
    let mut result = ScanResult::default();
    let mut observer = Observer::default();
    let mut scanned: BTreeMap<usize, Coverage> = BTreeMap::new();
    let mut marks = Vec::new();
    for group in groups {
        let mut discovery = rest.take().unwrap_or_default();
        discovery.files = group
            .files
            .iter()
            .filter_map(|&i| files[i].take())
            .collect();
        let whole = group.rules.len() == all.len();
        let part_rules;
        let set = if whole {
            rules
        } else {
            part_rules = part(rules, &group.rules);
            &part_rules
        };
        let first_seen_tap =
            FirstSeenTap::new(set, group.rules.clone(), options.keep_events, later).map(Arc::new);
        let mut taps: Vec<Arc<dyn Tap>> = Vec::new();
        // Correlations run over the files read for every rule (they keep no state between runs).
        if let Some(tap) = correlations.filter(|_| whole) {
            taps.push(tap.clone());
        }
        if let Some(tap) = &first_seen_tap {
            taps.push(tap.clone());
        }
        let options = ScanOptions {
            tap: match taps.len() {
                0 | 1 => taps.pop(),
                _ => Some(Arc::new(Taps(taps))),
            },
            ..options.clone()
        };
        let mut part_result = scan_all(set, discovery, &options);
        if let Some(tap) = correlations.filter(|_| whole) {
            let windows = stage::finish(rules, tap, &mut part_result);
            part_result.findings.extend(windows);
        }
        if let Some(tap) = &first_seen_tap {
            observer.merge(tap.take());
        }
        if let Some(span) = first_seen::scanned(&part_result) {
            for &rule in &group.rules {
                scanned
                    .entry(rule)
                    .and_modify(|c| *c = c.join(span))
                    .or_insert(span);
            }
        }
        // A file that could not be read, or was skipped while reading, is not remembered: the
        // next run tries it again.
        let unread: HashSet<&str> = part_result
            .errors
            .iter()
            .filter(|e| !e.is_record_error())
            .map(|e| &*e.file)
            .chain(part_result.skipped.iter().map(|s| &*s.file))
            .collect();
        let read_for: Vec<[u8; 16]> = group.rules.iter().map(|&r| fingerprints[r]).collect();
        for &i in &group.files {
            if let Some(identity) = &identities[i] {
                if !unread.contains(&*names[i]) {
                    marks.push((identity.clone(), read_for.clone()));
                }
            }
        }
        result.findings.append(&mut part_result.findings);
        result.errors.append(&mut part_result.errors);
        result.skipped.append(&mut part_result.skipped);
        result.signals.append(&mut part_result.signals);
        result.scope = part_result.scope;
        result.stats.merge(part_result.stats);
    }
    if first_seen::any(rules) {
        let mut none = NoHistory;
        let history: &mut dyn History = match batch {
            Some(batch) => batch,
            None => &mut none,
        };
        let mut unread = Vec::new();
        let mut render_later = |places: Vec<LaterFinding>| {
            render_again(rules, &every_file, places, options, &mut unread)
        };
        let mut found = first_seen::finish(
            rules,
            observer,
            &scanned,
            history,
            &mut result,
            &mut render_later,
            // Judged without a store, the run's observations travel in its JSON Lines report,
            // so that `report --from` can judge shards together (with a store they are final).
            observations_out,
        )?;
        result.stats.records_failed += unread.len();
        result.errors.append(&mut unread);
        // Rendered in the stage, where the enricher is not at hand: one look-up per finding.
        if let Some(enricher) = &options.enricher {
            enricher.enrich_findings(&mut found);
        }
        result.findings.extend(found);
    }
    let stats = &mut result.stats;
    stats.rules = rules.rules().len();
    // Every loaded rule is listed, read for or not.
    for rule in rules.rules() {
        stats.rule_events.entry(rule.id.clone()).or_default();
    }
    stats.files_unchanged = unchanged.len();
    stats.duration = started.elapsed();
    result.sort();
    Ok((result, marks))
}

/// The findings of new first-seen combinations kept as places, rendered from their events read
/// again; an event that cannot be read again, or is no longer the one observed (the file changed
/// while the scan ran), is an error in its place.
fn render_again(
    rules: &RuleSet,
    files: &[TrailFile],
    places: Vec<LaterFinding>,
    options: &ScanOptions,
    unread: &mut Vec<InputError>,
) -> Vec<Finding> {
    let wanted: Vec<(usize, Origin)> = places.iter().map(|p| (p.rule, p.origin.clone())).collect();
    let events = crate::engine::events_again(rules, files, &wanted, options);
    let mut findings = Vec::with_capacity(places.len());
    for (place, event) in places.iter().zip(events) {
        let rule = &rules.rules()[place.rule];
        let event = event.and_then(|event| {
            if crate::first_seen::event_time(&event) == Some(place.time) {
                Ok(event)
            } else {
                Err("the record changed while the scan ran".to_string())
            }
        });
        match event {
            Ok(event) => findings.push(first_seen::rendered(
                rule,
                &event,
                &place.origin,
                options.keep_events,
            )),
            Err(reason) => unread.push(InputError {
                file: place.origin.file.clone(),
                record: Some(place.origin.record),
                line: place.origin.line,
                message: format!(
                    "{reason}: the first-seen finding of {} at this event could not be made; scan again",
                    rule.id
                ),
            }),
        }
    }
    findings
}

/// The rules at `which` (indexes into `rules`) as a rule set of their own, for files read only
/// for them; helper rules stay silent.
fn part(rules: &RuleSet, which: &[usize]) -> RuleSet {
    let picked = which.iter().map(|&i| rules.rules()[i].clone()).collect();
    let silent = which
        .iter()
        .filter(|&&i| !rules.reports(i))
        .map(|&i| rules.rules()[i].id.clone())
        .collect();
    RuleSet::with_correlations(picked, Vec::new(), silent)
}

/// Moves the findings the configuration's suppressions match out of the result's findings
/// (before the baseline comparison and the reports) into its suppressed findings, each with its
/// suppression, and records how every suppression fared, for the reports.
fn suppress(result: &mut ScanResult, suppressor: &Suppressor) {
    if suppressor.is_empty() {
        return;
    }
    let findings = std::mem::take(&mut result.findings);
    for f in findings {
        let suppression = {
            let none = None;
            let (account, region, principal, event_name) = match &f.location {
                Location::Event(at) => (&at.account, &at.region, &at.principal, &at.event_name),
                // A window has no single account or principal: only rule-wide suppressions apply.
                Location::Window(_) => (&none, &none, &none, &none),
            };
            suppressor.check(&Subject {
                rule_id: &f.rule_id,
                account: account.as_deref(),
                region: region.as_deref(),
                principal: principal.as_deref(),
                event_name: event_name.as_deref(),
            })
        };
        let Some(suppression) = suppression else {
            result.findings.push(f);
            continue;
        };
        let stats = &mut result.stats;
        stats.findings = stats.findings.saturating_sub(1);
        if let Some(n) = stats.findings_by_severity.get_mut(&f.severity) {
            *n = n.saturating_sub(1);
        }
        result
            .suppressed_findings
            .push(crate::finding::SuppressedFinding {
                finding: f,
                suppression,
            });
    }
    result.suppressions = suppressor.outcomes();
}

/// Says what each suppression did on standard error, for the CI log, unless a text report on
/// standard output already says it in its summary; and applies `--fail-on-expired`.
pub(super) fn finish_suppressions(
    suppressor: &Suppressor,
    (fail_on_expired, text_on_stdout): (bool, bool),
    status: ExitStatus,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let outcomes = if text_on_stdout {
        Vec::new()
    } else {
        suppressor.outcomes()
    };
    for outcome in outcomes {
        let findings = |n: usize| if n == 1 { "finding" } else { "findings" };
        match outcome.state {
            SuppressionState::Applied => writeln!(
                stderr,
                "suppressed: {} {} of rule {} ({}): {}",
                outcome.suppressed,
                findings(outcome.suppressed),
                outcome.rule,
                outcome.origin,
                outcome.reason
            )?,
            SuppressionState::Unused => writeln!(
                stderr,
                "warning: {}: the suppression of rule {} matched no finding (unused)",
                outcome.origin, outcome.rule
            )?,
            SuppressionState::Expired => writeln!(
                stderr,
                "warning: {}: the suppression of rule {} expired after {}: it no longer applies ({} {} it matched {} reported)",
                outcome.origin,
                outcome.rule,
                outcome.expires.as_deref().unwrap_or("?"),
                outcome.expired_matches,
                findings(outcome.expired_matches),
                if outcome.expired_matches == 1 { "is" } else { "are" },
            )?,
        }
    }
    if fail_on_expired && suppressor.any_expired() && status == ExitStatus::Clean {
        writeln!(
            stderr,
            "error: a suppression has expired (--fail-on-expired)"
        )?;
        return Ok(ExitStatus::Findings);
    }
    Ok(status)
}
