//! `trailgate rules list | validate | test | schema`, and loading the rules every command uses.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde_json::json;

use super::args::{CatalogFormat, ListArgs, TestArgs, TestFormat, ValidateArgs};
use super::plan::{self, RulePlan};
use crate::engine::RuleSet;
use crate::exit::ExitStatus;
use crate::report;
use crate::rule::{self, RuleError};

/// Loads the rules a plan asks for: its paths (plus the built-in pack with `builtin`), or the
/// built-in pack alone, and keeps those its filter keeps. Notes go to `stderr`.
pub fn load_rules(plan: &RulePlan, stderr: &mut dyn Write) -> Result<RuleSet, Vec<RuleError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    if plan.paths.is_empty() || plan.builtin {
        files.extend(rule::load::builtin_files());
    }
    let (user_files, mut read_errors) = rule::load::read_paths(&plan.paths);
    files.extend(user_files);
    errors.append(&mut read_errors);
    match rule::load::compile_files_with_notes(&files) {
        Ok((rules, notes)) if errors.is_empty() => {
            for note in notes {
                let _ = writeln!(stderr, "note: {}: {}", note.file, note.message);
            }
            Ok(if plan.filter.is_empty() {
                RuleSet::new(rules)
            } else {
                RuleSet::new(plan.filter.apply(rules))
            })
        }
        Ok(_) => Err(errors),
        Err(mut compile_errors) => {
            errors.append(&mut compile_errors);
            Err(errors)
        }
    }
}

/// Prints every rule error and a count; `consequence` ends the count line (e.g. "; nothing was
/// scanned").
pub(super) fn write_rule_errors(
    stderr: &mut dyn Write,
    errors: &[RuleError],
    consequence: &str,
) -> io::Result<ExitStatus> {
    for error in errors {
        writeln!(stderr, "error: {error}")?;
    }
    let files: BTreeSet<&str> = errors.iter().map(|e| e.file.as_str()).collect();
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

pub(super) fn run_list(
    args: &ListArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let rules = match load_rules(&plan::rules(&args.selection, &args.filter), stderr) {
        Ok(rules) => rules,
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

pub(super) fn run_validate(
    args: &ValidateArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let plan = RulePlan {
        paths: args.paths.clone(),
        ..RulePlan::default()
    };
    match load_rules(&plan, stderr) {
        Ok(rules) => {
            let files: BTreeSet<&str> = rules.rules().iter().map(|r| r.file.as_str()).collect();
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

pub(super) fn run_test(
    args: &TestArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let plan = RulePlan {
        paths: args.paths.clone(),
        builtin: args.builtin,
        ..RulePlan::default()
    };
    let rules = match load_rules(&plan, stderr) {
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

/// `trailgate rules schema`: the JSON Schema of rule files.
pub(super) fn run_schema(stdout: &mut dyn Write) -> io::Result<ExitStatus> {
    stdout
        .write_all(rule::schema::rule_schema_text().as_bytes())
        .map(|()| ExitStatus::Clean)
}
