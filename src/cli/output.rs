//! Shared output handling of `scan` and `report`: the report context, writing every report to
//! its destination, what a failed write means, and the exit status.

use std::io::{self, Write};

use super::plan::{Color, Destination, EnrichPlan, OutputPlan};
use super::Terminal;
use crate::engine::RuleSet;
use crate::enrich::{AccountNames, Enricher, GeoIp};
use crate::exit::ExitStatus;
use crate::finding::ScanResult;
use crate::report::principals::Principals;
use crate::report::{self, Context, Format, StreamingReport};

/// The reports written to files, for reports that point at the others.
pub(super) fn report_paths(destinations: &[Destination]) -> Vec<(Format, String)> {
    destinations
        .iter()
        .filter_map(|d| Some((d.format, d.path.as_ref()?.display().to_string())))
        .collect()
}

/// What a report may use besides the result.
pub(super) fn context<'a>(
    plan: &'a OutputPlan,
    destination: &Destination,
    rules: &'a RuleSet,
    (paths, reports): (&'a [String], &'a [(Format, String)]),
    (principals, accounts): (Option<&'a Principals>, Option<&'a AccountNames>),
    terminal: Terminal,
) -> Context<'a> {
    let color = destination.format == Format::Text
        && match plan.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                destination.path.is_none() && terminal.stdout_is_tty && !terminal.no_color
            }
        };
    Context {
        rules,
        color,
        fail_on: plan.fail_on,
        cwd: &plan.cwd,
        sarif_root: &plan.sarif_root,
        inputs: paths,
        reports,
        enriched: plan.enriched,
        group_by: plan.group_by,
        principals,
        accounts,
    }
}

/// Opens `--accounts` and `--geoip`; `None` when neither is given. The error names the file
/// (and the line, for the accounts file).
pub(super) fn load_enricher(plan: &EnrichPlan) -> Result<Option<Enricher>, String> {
    let accounts = match &plan.accounts {
        Some(path) => Some(AccountNames::load(path).map_err(|e| format!("--accounts {e}"))?),
        None => None,
    };
    let geo = if plan.geoip.is_empty() {
        None
    } else {
        Some(GeoIp::open(&plan.geoip).map_err(|e| format!("--geoip {e}"))?)
    };
    let enricher = Enricher { accounts, geo };
    Ok((!enricher.is_empty()).then_some(enricher))
}

/// Warns of rules that read a member of `$.trailgate` whose flag is not given: they see no such
/// member (a GeoIP rule raises nothing without `--geoip`). The derived members need no flag.
pub(super) fn write_annotation_warnings(
    rules: &RuleSet,
    enricher: Option<&Enricher>,
    stderr: &mut dyn Write,
) -> io::Result<()> {
    use crate::rule::annotation::{ACCOUNT_NAME, GEO};
    let flags = [
        (
            GEO,
            "--geoip",
            enricher.is_some_and(|e| e.geo.is_some()),
            "no place of the source address",
        ),
        (
            ACCOUNT_NAME,
            "--accounts",
            enricher.is_some_and(|e| e.accounts.is_some()),
            "no account name",
        ),
    ];
    for (member, flag, given, what) in flags {
        if given {
            continue;
        }
        let reading = rules.rules_reading(&[member, "*"]);
        if !reading.is_empty() {
            writeln!(
                stderr,
                "warning: {} read `$.trailgate.{member}` but {flag} is not given: they see {what} there",
                reading.join(", ")
            )?;
        }
    }
    Ok(())
}

/// Whether the run must build the per-principal summary: a principals report, or an HTML or
/// Markdown report (which then has a section of it) with enrichment on.
pub(super) fn wants_principals(plan: &OutputPlan) -> bool {
    plan.destinations.iter().any(|d| {
        d.format.is_principals()
            || (plan.enriched.any() && matches!(d.format, Format::Html | Format::Markdown))
    })
}

/// A report being written while the scan runs.
pub(super) struct Streamed<'a, 'w> {
    pub(super) destination: &'a Destination,
    pub(super) report: &'static dyn StreamingReport,
    pub(super) cx: Context<'a>,
    pub(super) writer: Box<dyn Write + 'w>,
    /// The first write error; nothing more is written to this report after it.
    pub(super) error: Option<io::Error>,
}

/// Renders `result` to every destination and picks the exit code.
pub(super) fn write_reports(
    plan: &OutputPlan,
    result: &ScanResult,
    rules: &RuleSet,
    (paths, principals, accounts): (&[String], Option<&Principals>, Option<&AccountNames>),
    (stdout, stderr): (&mut dyn Write, &mut dyn Write),
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    let destinations = &plan.destinations;
    let reports = report_paths(destinations);
    let mut all_written = true;
    for destination in destinations {
        let cx = context(
            plan,
            destination,
            rules,
            (paths, &reports),
            (principals, accounts),
            terminal,
        );
        let written = if destination.format == Format::Sarif {
            // Rendered whole before anything is written: a SARIF report over GitHub's limits is
            // refused and must leave no half-written file behind.
            let mut buffer = Vec::new();
            report::render(destination.format, result, &cx, &mut buffer).and_then(|()| {
                match &destination.path {
                    None => {
                        stdout.write_all(&buffer)?;
                        stdout.flush()
                    }
                    Some(path) => std::fs::write(path, &buffer),
                }
            })
        } else {
            // Other formats stream: a large report is never held in memory twice.
            match &destination.path {
                None => {
                    let mut writer = io::BufWriter::with_capacity(1 << 16, &mut *stdout);
                    report::render(destination.format, result, &cx, &mut writer)
                        .and_then(|()| writer.flush())
                }
                Some(path) => std::fs::File::create(path).and_then(|file| {
                    let mut writer = io::BufWriter::with_capacity(1 << 16, file);
                    report::render(destination.format, result, &cx, &mut writer)?;
                    writer.flush()
                }),
            }
        };
        if let Err(err) = written {
            all_written &= write_failed(stderr, destination, &err)?;
        }
    }
    finish_reports(result, plan, all_written, stderr)
}

/// Says that a report could not be written; false when that fails the run. A reader that
/// stopped early (`| head`) is not a failure to write; the exit code still says what the scan
/// found, so a gate cannot mistake it for a clean run.
pub(super) fn write_failed(
    stderr: &mut dyn Write,
    destination: &Destination,
    err: &io::Error,
) -> io::Result<bool> {
    if destination.path.is_none() && err.kind() == io::ErrorKind::BrokenPipe {
        return Ok(true);
    }
    let name = destination.format.name();
    match &destination.path {
        Some(path) => {
            // An old report at the same path would be uploaded as if it were this one.
            let removed = path.is_file() && std::fs::remove_file(path).is_ok();
            writeln!(
                stderr,
                "error: the {name} report could not be written to {}: {err}{}",
                path.display(),
                if removed {
                    " (the file that was there was removed)"
                } else {
                    ""
                }
            )?;
        }
        None => writeln!(
            stderr,
            "error: the {name} report could not be written to standard output: {err}"
        )?,
    }
    Ok(false)
}

/// The end of a run once its reports are written: input errors on standard error when no report
/// went to standard output, and the exit status.
pub(super) fn finish_reports(
    result: &ScanResult,
    plan: &OutputPlan,
    all_written: bool,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    // No report on standard output: still tell a person in the log what went wrong.
    if plan.destinations.iter().all(|d| d.path.is_some()) {
        for error in &result.errors {
            writeln!(
                stderr,
                "error: {}: {}",
                report::escape::control(&error.location()),
                report::escape::control(&error.message)
            )?;
        }
    }
    Ok(ExitStatus::of_run(result, plan.fail_on, all_written))
}
