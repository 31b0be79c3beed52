//! The command-line glue: parse arguments, call the library, write the output, pick the exit code.

mod args;

use std::ffi::OsString;
use std::io::{self, Write};

use clap::Parser;
use serde_json::json;

pub use args::Cli;
use args::{
    CatalogFormat, ColorArg, Command, ExplainArgs, FailOn, FilterArgs, FormatArg, ListArgs,
    ListFormat, RuleSelection, RulesCommand, ScanArgs, SeverityArg, TestArgs, ValidateArgs,
};

use crate::engine::{scan, RuleSet, ScanOptions};
use crate::exit::ExitStatus;
use crate::report::{self, Context, Format};
use crate::rule::{self, RuleError, Severity};
use crate::source::{discover, Input, ReadLimits};

/// Facts about the terminal that decide colour.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub stdout_is_tty: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
}

/// Runs trailgate with `args` (including the program name) and returns the exit code.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write, terminal: Terminal) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
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
    let result = match cli.command {
        Command::Scan(args) => run_scan(&args, stdout, stderr, terminal),
        Command::Rules(RulesCommand::List(args)) => run_list(&args, stdout, stderr),
        Command::Rules(RulesCommand::Validate(args)) => run_validate(&args, stdout, stderr),
        Command::Rules(RulesCommand::Test(args)) => run_test(&args, stdout, stderr),
        Command::Rules(RulesCommand::Schema) => stdout
            .write_all(rule::schema::rule_schema_text().as_bytes())
            .map(|()| ExitStatus::Clean),
        Command::Explain(args) => run_explain(&args, stdout, stderr),
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
pub fn load_rules(selection: &RuleSelection) -> Result<RuleSet, Vec<RuleError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if selection.rules.is_empty() || selection.builtin {
        files.extend(rule::load::builtin_files());
    }
    let (user_files, mut read_errors) = rule::load::read_paths(&selection.rules);
    files.extend(user_files);
    errors.append(&mut read_errors);
    match rule::load::compile_files(&files) {
        Ok(rules) if errors.is_empty() => Ok(RuleSet::new(rules)),
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

fn run_scan(
    args: &ScanArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    terminal: Terminal,
) -> io::Result<ExitStatus> {
    let rules = match load_rules(&args.selection) {
        Ok(rules) => filter_rules(rules, &args.filter),
        Err(errors) => return write_rule_errors(stderr, &errors, "; nothing was scanned"),
    };
    let inputs: Vec<Input> = args.paths.iter().map(|p| Input::from_arg(p)).collect();
    let discovery = discover(&inputs);
    let options = ScanOptions {
        threads: args.threads,
        limits: ReadLimits {
            max_file_bytes: args.max_file_size,
        },
    };
    let result = scan(&rules, discovery, &options);

    let fail_on = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    let format = match args.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => args.output.is_none() && terminal.stdout_is_tty && !terminal.no_color,
    };
    let cx = Context {
        rules: &rules,
        color: color && format == Format::Text,
        fail_on,
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!("cannot write {}: {err}", path.display()),
                )
            })?;
            let mut writer = io::BufWriter::new(file);
            report::render(format, &result, &cx, &mut writer)?;
            writer.flush()?;
            // The report went to a file: still tell a person in the log what happened.
            if result.has_errors() {
                for error in &result.errors {
                    writeln!(stderr, "error: {}: {}", error.location(), error.message)?;
                }
            }
        }
        None => {
            let mut writer = io::BufWriter::new(stdout);
            report::render(format, &result, &cx, &mut writer)?;
            writer.flush()?;
        }
    }
    Ok(ExitStatus::of_scan(&result, fail_on))
}

fn run_list(
    args: &ListArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let rules = match load_rules(&args.selection) {
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
            writeln!(stdout, "{} rules", rules.rules().len())?;
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
    match load_rules(&selection) {
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
    let rules = match load_rules(&selection) {
        Ok(rules) => rules,
        Err(errors) => return write_rule_errors(stderr, &errors, ""),
    };
    let results = crate::verify::run(rules.rules());
    match args.format {
        ListFormat::Text => report::verify::write_text(stdout, &results)?,
        ListFormat::Json => report::verify::write_json(stdout, &results)?,
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
    let rules = match load_rules(&args.selection) {
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
