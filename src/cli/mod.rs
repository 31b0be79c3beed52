//! The command-line glue: parse arguments, call the library, write the output, pick the exit code.

mod args;
mod config_cmd;
mod manual;
pub mod progress;
mod settings;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches};
use serde_json::json;

pub use args::Cli;
use args::{
    CatalogFormat, ColorArg, Command, ConfigCommand, ExplainArgs, FailOn, FilterArgs, FormatArg,
    ListArgs, ListFormat, ReportArgs, RuleSelection, RulesCommand, ScanArgs, SeverityArg, TestArgs,
    TestFormat, ValidateArgs,
};

use crate::baseline;
use crate::config::suppress::{Day, State as SuppressionState, Subject, Suppressor};
use crate::engine::{scan, scan_streaming, Finding, RuleSet, ScanOptions, ScanResult, Scope};
use crate::exit::ExitStatus;
use crate::report::{self, Context, Format, StreamingReport};
use crate::rule::{self, RuleError, Severity};
use crate::source::{discover, s3, Input, ReadLimits};
use crate::time::{parse_instant, Timestamp};

/// Facts about the process's surroundings: the terminal (colour, the progress bar) and the
/// clock (relative `--since` / `--until`), given by `main` and fixed by tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub stdout_is_tty: bool,
    /// Standard error is a terminal: the progress bar may be shown there.
    pub stderr_is_tty: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// The current time; `None` reads the system clock.
    pub now: Option<Timestamp>,
}

/// Runs trailgate with `args` (including the program name) and returns the exit code.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write, terminal: Terminal) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // The matches are kept: a configuration file fills only the flags the command line left out.
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let code = if err.use_stderr() {
                ExitStatus::Usage.code()
            } else {
                0
            };
            let rendered = err.render().to_string();
            let _ = if err.use_stderr() {
                stderr.write_all(rendered.as_bytes())
            } else {
                stdout.write_all(rendered.as_bytes())
            };
            return code;
        }
    };
    let now = terminal.now.unwrap_or_else(Timestamp::now);
    let empty = clap::ArgMatches::default();
    let sub = |name: &str| matches.subcommand_matches(name).unwrap_or(&empty);
    let result = match cli.command {
        Command::Scan(mut args) => match config_cmd::prepare(&mut args, sub("scan"), stderr, now) {
            Ok(Ok(prepared)) => {
                let suppressions = prepared.config.map(|c| c.suppressions).unwrap_or_default();
                let suppressor = Suppressor::new(suppressions, Day::today(now));
                run_scan(&args, &suppressor, stdout, stderr, terminal).and_then(|status| {
                    finish_suppressions(&suppressor, args.fail_on_expired, status, stderr)
                })
            }
            Ok(Err(status)) => Ok(status),
            Err(err) => Err(err),
        },
        Command::Config(ConfigCommand::Show(args)) => {
            let show = sub("config").subcommand_matches("show").unwrap_or(&empty);
            config_cmd::run_show(*args, show, stdout, stderr, now)
        }
        Command::Config(ConfigCommand::Schema) => stdout
            .write_all(crate::config::schema::config_schema_text().as_bytes())
            .map(|()| ExitStatus::Clean),
        Command::Completions(args) => {
            manual::completions(args.shell, stdout);
            Ok(ExitStatus::Clean)
        }
        Command::Man(args) => match &args.dir {
            None => manual::man_page(stdout).map(|()| ExitStatus::Clean),
            Some(dir) => manual::man_pages(dir).and_then(|names| {
                writeln!(stdout, "wrote {} pages to {}", names.len(), dir.display())?;
                Ok(ExitStatus::Clean)
            }),
        },
        Command::Rules(RulesCommand::List(args)) => run_list(&args, stdout, stderr),
        Command::Rules(RulesCommand::Validate(args)) => run_validate(&args, stdout, stderr),
        Command::Rules(RulesCommand::Test(args)) => run_test(&args, stdout, stderr),
        Command::Rules(RulesCommand::Schema) => stdout
            .write_all(rule::schema::rule_schema_text().as_bytes())
            .map(|()| ExitStatus::Clean),
        Command::Explain(args) => run_explain(&args, stdout, stderr),
        Command::Report(args) => run_report(&args, stdout, stderr, terminal),
    };
    match result {
        Ok(status) => status.code(),
        // A closed pipe (`trailgate scan ... | head`) is not an error worth a message.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(err) => {
            let _ = writeln!(stderr, "error: {err}");
            ExitStatus::Usage.code()
        }
    }
}

/// Loads the rules a command asked for: `--rules` paths (plus the built-in pack with
/// `--builtin`), or the built-in pack alone.
pub fn load_rules(
    selection: &RuleSelection,
    stderr: &mut dyn Write,
) -> Result<RuleSet, Vec<RuleError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if selection.rules.is_empty() || selection.builtin {
        files.extend(rule::load::builtin_files());
    }
    let (user_files, mut read_errors) = rule::load::read_paths(&selection.rules);
    files.extend(user_files);
    errors.append(&mut read_errors);
    match rule::load::compile_files_with_notes(&files) {
        Ok((rules, notes)) if errors.is_empty() => {
            for note in notes {
                let _ = writeln!(stderr, "note: {}: {}", note.file, note.message);
            }
            Ok(RuleSet::new(rules))
        }
        Ok(_) => Err(errors),
        Err(mut compile_errors) => {
            errors.append(&mut compile_errors);
            Err(errors)
        }
    }
}

/// Keeps the rules the filter flags ask for.
fn filter_rules(rules: RuleSet, args: &FilterArgs) -> RuleSet {
    let filter = rule::RuleFilter {
        packs: args.packs.clone(),
        tags: args.tags.clone(),
        min_severity: args.severity.map(|s| match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }),
        frameworks: args.frameworks.clone(),
    };
    if filter.is_empty() {
        rules
    } else {
        RuleSet::new(filter.apply(rules.rules().to_vec()))
    }
}

/// Prints every rule error and a count; `consequence` ends the count line (e.g. "; nothing was
/// scanned").
fn write_rule_errors(
    stderr: &mut dyn Write,
    errors: &[RuleError],
    consequence: &str,
) -> io::Result<ExitStatus> {
    for error in errors {
        writeln!(stderr, "error: {error}")?;
    }
    let files: std::collections::BTreeSet<&str> = errors.iter().map(|e| e.file.as_str()).collect();
    writeln!(
        stderr,
        "{} in {} rule {}{consequence}",
        if errors.len() == 1 {
            "1 error".to_string()
        } else {
            format!("{} errors", errors.len())
        },
        files.len(),
        if files.len() == 1 { "file" } else { "files" }
    )?;
    Ok(ExitStatus::Usage)
}

/// One report to write: its format and where it goes (`None`: standard output).
struct Destination {
    format: Format,
    path: Option<PathBuf>,
}

/// Turns `--format` and the `--output`s into the reports to write, or says why they make no
/// sense together. Checked before scanning, so a typo costs nothing.
fn destinations(
    format: Option<FormatArg>,
    output: &[args::OutputArg],
) -> Result<Vec<Destination>, String> {
    let default = format.map_or(Format::Text, FormatArg::format);
    if output.is_empty() {
        return Ok(vec![Destination {
            format: default,
            path: None,
        }]);
    }
    let list: Vec<Destination> = output
        .iter()
        .map(|o| Destination {
            format: o.format.unwrap_or(default),
            path: o.path.clone(),
        })
        .collect();
    if let Some(format) = format {
        if output.iter().all(|o| o.format.is_some()) {
            let name = format.format().name();
            return Err(format!(
                "--format {name} is not used: every --output names its own format; add `-o {name}=-` to also write it to standard output"
            ));
        }
    }
    if list.iter().filter(|d| d.path.is_none()).count() > 1 {
        return Err(
            "more than one report goes to standard output (`-`); send all but one to files".into(),
        );
    }
    for (i, d) in list.iter().enumerate() {
        if let Some(path) = &d.path {
            if list[..i].iter().any(|e| e.path.as_ref() == Some(path)) {
                return Err(format!(
                    "two reports would be written to {}; give each its own file",
                    path.display()
                ));
            }
        }
    }
    Ok(list)
}

fn run_scan(
    args: &ScanArgs,
    suppressor: &Suppressor,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    if args.paths.is_empty() && args.paths_from.is_none() {
        writeln!(
            stderr,
            "error: no paths to scan: give PATHS or --paths-from, or `paths` in trailgate.toml"
        )?;
        return Ok(ExitStatus::Usage);
    }
    let destinations = match destinations(args.format, &args.output) {
        Ok(destinations) => destinations,
        Err(message) => {
            writeln!(stderr, "error: {message}")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let rules = match load_rules(&args.selection, stderr) {
        Ok(rules) => filter_rules(rules, &args.filter),
        Err(errors) => return write_rule_errors(stderr, &errors, "; nothing was scanned"),
    };
    let baseline = match &args.baseline {
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
    // SARIF locations are relative to a directory, and trail names to the current one.
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => {
            writeln!(
                stderr,
                "error: cannot tell the current directory ({err}); nothing was scanned"
            )?;
            return Ok(ExitStatus::Usage);
        }
    };
    let sarif_root = args
        .sarif_root
        .as_ref()
        .map_or_else(|| cwd.clone(), |root| cwd.join(root));

    let scope = match scope(args, terminal.now.unwrap_or_else(Timestamp::now)) {
        Ok(scope) => scope,
        Err(message) => {
            writeln!(stderr, "error: {message}; nothing was scanned")?;
            return Ok(ExitStatus::Usage);
        }
    };

    let mut paths = args.paths.clone();
    if let Some(list) = &args.paths_from {
        match read_paths_from(list, &paths) {
            Ok(listed) => paths.extend(listed),
            Err(message) => {
                writeln!(
                    stderr,
                    "error: --paths-from {}: {message}; nothing was scanned",
                    list.display()
                )?;
                return Ok(ExitStatus::Usage);
            }
        }
    }
    let (urls, local): (Vec<String>, Vec<String>) =
        paths.iter().cloned().partition(|p| s3::is_s3_url(p));
    let inputs: Vec<Input> = local.iter().map(|p| Input::from_arg(p)).collect();
    let mut discovery = discover(&inputs);
    discovery.append(s3::discover(
        &urls,
        &s3::S3Options {
            endpoint: args.endpoint_url.clone(),
            concurrency: usize::from(args.s3_concurrency),
            accounts: scope.accounts.clone(),
            regions: scope.regions.clone(),
            since: scope.since,
            until: scope.until,
        },
    ));
    let mut options = ScanOptions {
        threads: args.threads,
        limits: ReadLimits {
            max_file_bytes: args.max_file_size,
        },
        scope,
        keep_events: destinations.iter().any(|d| d.format.shows_events()),
        progress: None,
        ..ScanOptions::default()
    };
    let display = (terminal.stderr_is_tty && !args.quiet).then(|| {
        let bytes = discovery
            .files
            .iter()
            .filter_map(|f| f.path.as_ref().and_then(|p| std::fs::metadata(p).ok()))
            .map(|m| m.len())
            .sum();
        progress::Display::start(discovery.files.len(), bytes)
    });
    options.progress = display.as_ref().map(progress::Display::progress);
    let outputs = Outputs {
        fail_on: args.fail_on,
        color: args.color,
    };

    // Findings go out while the scan runs when every report can take them that way: memory then
    // stays bounded whatever the number of findings. Not with a baseline (findings are marked new
    // or unchanged against the whole scan), nor when findings and the progress bar would share
    // one terminal.
    let streaming: Option<Vec<&'static dyn StreamingReport>> = if baseline.is_none()
        && suppressor.is_empty()
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
        let reports = report_paths(&destinations);
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
                &outputs,
                destination,
                &rules,
                (&cwd, &sarif_root),
                (&paths, &reports),
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
                    findings
                        .iter()
                        .try_for_each(|f| report.finding(f, cx, &mut bytes))
                        .map(|()| bytes)
                })
                .collect()
        };
        let result = scan_streaming(&rules, discovery, &options, &render, &mut |rendered| {
            for (stream, bytes) in streams.iter_mut().zip(rendered) {
                if stream.error.is_none() {
                    stream.error = bytes.and_then(|b| stream.writer.write_all(&b)).err();
                }
            }
        });
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
        return finish_reports(
            &result,
            &destinations,
            fail_on(outputs.fail_on),
            all_written,
            stderr,
        );
    }

    let mut result = scan(&rules, discovery, &options);
    if let Some(display) = display {
        display.finish();
    }
    suppress(&mut result, suppressor);
    if let Some(baseline) = &baseline {
        baseline::compare(&mut result, baseline);
    }
    write_reports(
        &outputs,
        &destinations,
        &result,
        &rules,
        (&cwd, &sarif_root),
        &paths,
        (stdout, stderr),
        terminal,
    )
}

/// Takes the findings the configuration's suppressions match out of the result (before the
/// baseline comparison and the reports), counting each suppression's findings.
fn suppress(result: &mut ScanResult, suppressor: &Suppressor) {
    if suppressor.is_empty() {
        return;
    }
    let stats = &mut result.stats;
    result.findings.retain(|f| {
        let subject = Subject {
            rule_id: &f.rule_id,
            account: f.account.as_deref(),
            region: f.region.as_deref(),
            principal: f.principal.as_deref(),
            event_name: f.event_name.as_deref(),
        };
        if suppressor.check(&subject).is_none() {
            return true;
        }
        stats.findings = stats.findings.saturating_sub(1);
        if let Some(n) = stats.findings_by_severity.get_mut(&f.severity) {
            *n = n.saturating_sub(1);
        }
        false
    });
}

/// Says what each suppression did (on standard error, whatever the formats) and applies
/// `--fail-on-expired`.
fn finish_suppressions(
    suppressor: &Suppressor,
    fail_on_expired: bool,
    status: ExitStatus,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    for outcome in suppressor.outcomes() {
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
                "warning: {}: the suppression of rule {} expired after {}: it no longer applies ({} {} it matched are reported)",
                outcome.origin,
                outcome.rule,
                outcome.expires.as_deref().unwrap_or("?"),
                outcome.expired_matches,
                findings(outcome.expired_matches),
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

/// `trailgate report --from FILE...`: the JSON Lines of one or more scans, merged and rendered
/// as the scan would have rendered them.
fn run_report(
    args: &ReportArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    let destinations = match destinations(args.format, &args.output) {
        Ok(destinations) => destinations,
        Err(message) => {
            writeln!(stderr, "error: {message}")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let rules = match load_rules(&args.selection, stderr) {
        Ok(rules) => filter_rules(rules, &args.filter),
        Err(errors) => return write_rule_errors(stderr, &errors, "; no report was written"),
    };
    let merged = match report::from_jsonl::read(&args.from) {
        Ok(merged) => merged,
        Err(message) => {
            writeln!(stderr, "error: {message}; no report was written")?;
            return Ok(ExitStatus::Usage);
        }
    };
    // The reports describe the rules (SARIF's rule list, JUnit's test cases): they must be the
    // rules the scans ran.
    let loaded: std::collections::BTreeSet<String> =
        rules.rules().iter().map(|r| r.id.clone()).collect();
    if merged.rule_ids != loaded {
        let missing: Vec<&String> = merged.rule_ids.difference(&loaded).take(5).collect();
        let extra: Vec<&String> = loaded.difference(&merged.rule_ids).take(5).collect();
        writeln!(
            stderr,
            "error: the scans ran {} rules, these options load {}{}{}; give `report` the --rules, --builtin, --pack, --tag, --severity and --framework of the scans; no report was written",
            merged.rule_ids.len(),
            loaded.len(),
            if missing.is_empty() { String::new() } else { format!(" (not loaded: {})", list(&missing)) },
            if extra.is_empty() { String::new() } else { format!(" (not in the scans: {})", list(&extra)) },
        )?;
        return Ok(ExitStatus::Usage);
    }
    let mut result = merged.result;
    if let Some(path) = &args.baseline {
        match baseline::read(path) {
            Ok(baseline) => baseline::compare(&mut result, &baseline),
            Err(reason) => {
                writeln!(
                    stderr,
                    "error: baseline {}: {reason}; no report was written",
                    path.display()
                )?;
                return Ok(ExitStatus::Usage);
            }
        }
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => {
            writeln!(stderr, "error: cannot tell the current directory ({err})")?;
            return Ok(ExitStatus::Usage);
        }
    };
    let sarif_root = args
        .sarif_root
        .as_ref()
        .map_or_else(|| cwd.clone(), |root| cwd.join(root));
    let outputs = Outputs {
        fail_on: args.fail_on,
        color: args.color,
    };
    write_reports(
        &outputs,
        &destinations,
        &result,
        &rules,
        (&cwd, &sarif_root),
        &merged.inputs,
        (stdout, stderr),
        terminal,
    )
}

fn list(ids: &[&String]) -> String {
    ids.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How `scan` and `report` write their reports.
struct Outputs {
    fail_on: FailOn,
    color: ColorArg,
}

/// The `--fail-on` threshold; `None` for `never`.
fn fail_on(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    }
}

/// The reports written to files, for reports that point at the others.
fn report_paths(destinations: &[Destination]) -> Vec<(Format, String)> {
    destinations
        .iter()
        .filter_map(|d| Some((d.format, d.path.as_ref()?.display().to_string())))
        .collect()
}

/// What a report may use besides the result.
fn context<'a>(
    args: &Outputs,
    destination: &Destination,
    rules: &'a RuleSet,
    (cwd, sarif_root): (&'a std::path::Path, &'a std::path::Path),
    (paths, reports): (&'a [String], &'a [(Format, String)]),
    terminal: Terminal,
) -> Context<'a> {
    let color = destination.format == Format::Text
        && match args.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => {
                destination.path.is_none() && terminal.stdout_is_tty && !terminal.no_color
            }
        };
    Context {
        rules,
        color,
        fail_on: fail_on(args.fail_on),
        cwd,
        sarif_root,
        inputs: paths,
        reports,
    }
}

/// A report being written while the scan runs.
struct Streamed<'a, 'w> {
    destination: &'a Destination,
    report: &'static dyn StreamingReport,
    cx: Context<'a>,
    writer: Box<dyn Write + 'w>,
    /// The first write error; nothing more is written to this report after it.
    error: Option<io::Error>,
}

/// Renders `result` to every destination and picks the exit code.
#[allow(clippy::too_many_arguments)]
fn write_reports(
    args: &Outputs,
    destinations: &[Destination],
    result: &ScanResult,
    rules: &RuleSet,
    (cwd, sarif_root): (&std::path::Path, &std::path::Path),
    paths: &[String],
    (stdout, stderr): (&mut dyn Write, &mut dyn Write),
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    let reports = report_paths(destinations);
    let mut all_written = true;
    for destination in destinations {
        let cx = context(
            args,
            destination,
            rules,
            (cwd, sarif_root),
            (paths, &reports),
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
    finish_reports(
        result,
        destinations,
        fail_on(args.fail_on),
        all_written,
        stderr,
    )
}

/// Says that a report could not be written; false when that fails the run. A reader that
/// stopped early (`| head`) is not a failure to write; the exit code still says what the scan
/// found, so a gate cannot mistake it for a clean run.
fn write_failed(
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
fn finish_reports(
    result: &ScanResult,
    destinations: &[Destination],
    fail_on: Option<Severity>,
    all_written: bool,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    // No report on standard output: still tell a person in the log what went wrong.
    if destinations.iter().all(|d| d.path.is_some()) {
        for error in &result.errors {
            writeln!(
                stderr,
                "error: {}: {}",
                report::escape::control(&error.location()),
                report::escape::control(&error.message)
            )?;
        }
    }
    Ok(ExitStatus::of_run(result, fail_on, all_written))
}

/// The inputs listed in a `--paths-from` file (`-`: standard input), one a line; blank lines
/// are left out.
fn read_paths_from(list: &std::path::Path, given: &[String]) -> Result<Vec<String>, String> {
    let text = if list.as_os_str() == "-" {
        if given.iter().any(|p| p == "-") {
            return Err(
                "standard input cannot hold both the list and a trail (`-` given twice)".into(),
            );
        }
        let mut text = String::new();
        io::Read::read_to_string(&mut io::stdin().lock(), &mut text)
            .map_err(|err| format!("cannot read standard input: {err}"))?;
        text
    } else {
        std::fs::read_to_string(list).map_err(|err| format!("cannot read: {err}"))?
    };
    let paths: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if paths.is_empty() && given.is_empty() {
        return Err("the list names no path (one path or s3:// URL a line)".into());
    }
    Ok(paths)
}

/// The scope filters, with relative times taken back from `now`.
fn scope(args: &ScanArgs, now: Timestamp) -> Result<Scope, String> {
    let time = |flag: &str, value: &Option<String>| -> Result<Option<Timestamp>, String> {
        value
            .as_deref()
            .map(|v| parse_instant(v, now).map_err(|e| format!("{flag}: {e}")))
            .transpose()
    };
    let since = time("--since", &args.since)?;
    let until = time("--until", &args.until)?;
    if let (Some(since), Some(until)) = (since, until) {
        if since >= until {
            return Err(format!(
                "--since {} is not before --until {}: the window holds no time",
                since.to_rfc3339(),
                until.to_rfc3339()
            ));
        }
    }
    let list = |values: &[String]| -> Vec<String> {
        let mut list: Vec<String> = values
            .iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        list.sort();
        list.dedup();
        list
    };
    Ok(Scope {
        since,
        until,
        accounts: list(&args.accounts),
        regions: list(&args.regions),
    })
}

fn run_list(
    args: &ListArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let rules = match load_rules(&args.selection, stderr) {
        Ok(rules) => filter_rules(rules, &args.filter),
        Err(errors) => return write_rule_errors(stderr, &errors, ""),
    };
    match args.format {
        CatalogFormat::Markdown => {
            stdout.write_all(report::catalog::markdown(rules.rules()).as_bytes())?;
        }
        CatalogFormat::Text => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            for rule in rules.rules() {
                writeln!(
                    stdout,
                    "{:<8} {:<width$}  {}",
                    rule.severity.as_str(),
                    rule.id,
                    rule.title
                )?;
            }
            let n = rules.rules().len();
            writeln!(stdout, "{n} {}", if n == 1 { "rule" } else { "rules" })?;
        }
        CatalogFormat::Json => {
            let list: Vec<_> = rules
                .rules()
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id,
                        "title": r.title,
                        "severity": r.severity.as_str(),
                        "pack": r.pack,
                        "file": r.file,
                        "event_sources": r.selector.sources,
                        "event_names": r.selector.names,
                        "compliance": r.compliance,
                        "tags": r.tags,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *stdout, &list)?;
            writeln!(stdout)?;
        }
    }
    Ok(ExitStatus::Clean)
}

fn run_validate(
    args: &ValidateArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let selection = RuleSelection {
        rules: args.paths.clone(),
        builtin: false,
    };
    match load_rules(&selection, stderr) {
        Ok(rules) => {
            let files: std::collections::BTreeSet<&str> =
                rules.rules().iter().map(|r| r.file.as_str()).collect();
            writeln!(
                stdout,
                "ok: {} {} in {} {}",
                rules.rules().len(),
                if rules.rules().len() == 1 {
                    "rule"
                } else {
                    "rules"
                },
                files.len(),
                if files.len() == 1 { "file" } else { "files" }
            )?;
            Ok(ExitStatus::Clean)
        }
        Err(errors) => write_rule_errors(stderr, &errors, ""),
    }
}

fn run_test(
    args: &TestArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let selection = RuleSelection {
        rules: args.paths.clone(),
        builtin: args.builtin,
    };
    let rules = match load_rules(&selection, stderr) {
        Ok(rules) => rules,
        Err(errors) => return write_rule_errors(stderr, &errors, ""),
    };
    let results = crate::verify::run(rules.rules());
    match args.format {
        TestFormat::Text => report::verify::write_text(stdout, &results)?,
        TestFormat::Json => report::verify::write_json(stdout, &results)?,
        TestFormat::Junit => report::verify::write_junit(stdout, &results)?,
    }
    Ok(if report::verify::totals(&results).failed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

fn run_explain(
    args: &ExplainArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let rules = match load_rules(&args.selection, stderr) {
        Ok(rules) => rules,
        Err(errors) => return write_rule_errors(stderr, &errors, ""),
    };
    let Some(rule) = rules.get(&args.rule) else {
        let ids: Vec<String> = rules.rules().iter().map(|r| r.id.clone()).collect();
        writeln!(stderr, "error: no loaded rule has the id `{}`", args.rule)?;
        match rule::error::closest(&args.rule, &ids) {
            Some(best) => writeln!(stderr, "  help: did you mean `{best}`?")?,
            None => writeln!(
                stderr,
                "  help: `trailgate rules list` shows the ids; add --rules PATH for your own rules"
            )?,
        }
        return Ok(ExitStatus::Usage);
    };
    let discovery = discover(&[Input::from_arg(&args.event_file)]);
    let mut errors = discovery.errors;
    let mut explanations = Vec::new();
    for file in &discovery.files {
        let contents = file.read(&ReadLimits::default());
        errors.extend(contents.errors);
        for event in contents.events {
            explanations.push((
                event.origin,
                crate::engine::explain::explain(rule, &event.value),
            ));
        }
    }
    match args.format {
        ListFormat::Text => {
            for (origin, explanation) in &explanations {
                let line = origin
                    .line
                    .map(|l| format!(" (line {l})"))
                    .unwrap_or_default();
                writeln!(stdout, "{} record {}{line}", origin.file, origin.record)?;
                report::explain::write_text(stdout, explanation, "  ")?;
                writeln!(stdout)?;
            }
        }
        ListFormat::Json => {
            let list: Vec<_> = explanations
                .iter()
                .map(|(origin, explanation)| {
                    let mut value = report::explain::to_json(explanation);
                    value["file"] = json!(&*origin.file);
                    value["record"] = json!(origin.record);
                    value["line"] = json!(origin.line);
                    value
                })
                .collect();
            serde_json::to_writer_pretty(&mut *stdout, &list)?;
            writeln!(stdout)?;
        }
    }
    for error in &errors {
        writeln!(stderr, "error: {}: {}", error.location(), error.message)?;
    }
    if explanations.is_empty() && errors.is_empty() {
        writeln!(stderr, "error: {}: no events to explain", args.event_file)?;
        return Ok(ExitStatus::Incomplete);
    }
    Ok(if errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Incomplete
    })
}
