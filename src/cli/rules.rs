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
/// built-in pack alone, with the correlations among them, and keeps those its filter keeps
/// (plus the rules a kept correlation counts). Notes go to `stderr`.
pub fn load_rules(plan: &RulePlan, stderr: &mut dyn Write) -> Result<RuleSet, LoadError> {
    let (loaded, notes) = load_collection(plan).map_err(LoadError::Rules)?;
    for note in notes {
        let _ = writeln!(stderr, "note: {}: {}", note.file, note.message);
    }
    let mut unmatched = plan.filter.unmatched(&loaded.rules, &loaded.correlations);
    for value in &mut unmatched {
        value.origin = plan.locations.get(value.kind).cloned();
    }
    if !unmatched.is_empty() {
        return Err(LoadError::Selection(unmatched));
    }
    let selection = loaded.select(&plan.filter);
    Ok(RuleSet::with_correlations(
        selection.rules,
        selection.correlations,
        selection.silent,
    ))
}

/// Every rule, correlation and filter of the plan's files, unfiltered, and the loader's notes.
pub(super) fn load_collection(
    plan: &RulePlan,
) -> Result<(rule::collection::Loaded, Vec<rule::load::RuleNote>), Vec<RuleError>> {
    let mut files = Vec::new();
    if plan.paths.is_empty() || plan.builtin {
        files.extend(rule::load::builtin_files());
    }
    let (user_files, mut errors) = rule::load::read_paths(&plan.paths);
    files.extend(user_files);
    match rule::collection::compile_collection(&files) {
        Ok(mut loaded) if errors.is_empty() => {
            let notes = std::mem::take(&mut loaded.notes);
            Ok((loaded, notes))
        }
        Ok(_) => Err(errors),
        Err(mut compile_errors) => {
            errors.append(&mut compile_errors);
            Err(errors)
        }
    }
}

/// Why no rules were loaded: errors in rule files, or a filter value that names nothing loaded.
#[derive(Debug)]
pub enum LoadError {
    Rules(Vec<RuleError>),
    Selection(Vec<rule::filter::Unmatched>),
}

/// Prints why no rules were loaded; `consequence` ends the last line (e.g. "; nothing was
/// scanned"). A usage error either way.
pub(super) fn write_load_error(
    stderr: &mut dyn Write,
    error: &LoadError,
    consequence: &str,
) -> io::Result<ExitStatus> {
    match error {
        LoadError::Rules(errors) => write_rule_errors(stderr, errors, consequence),
        LoadError::Selection(unmatched) => {
            for value in unmatched {
                writeln!(stderr, "error: {value}")?;
            }
            writeln!(
                stderr,
                "the rule selection names what no loaded rule has{consequence}"
            )?;
            Ok(ExitStatus::Usage)
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
        Err(error) => return write_load_error(stderr, &error, ""),
    };
    match args.format {
        CatalogFormat::Markdown => {
            stdout.write_all(
                report::catalog::markdown(rules.rules(), rules.correlations()).as_bytes(),
            )?;
        }
        CatalogFormat::Text => {
            let width = rules.rules().iter().map(|r| r.id.len()).max().unwrap_or(0);
            let outside = |membership: rule::recommended::Membership| match membership {
                rule::recommended::Membership::Yes => "",
                rule::recommended::Membership::WithState => "  (in the default set with --state)",
                rule::recommended::Membership::WithGeoip => "  (in the default set with --geoip)",
                rule::recommended::Membership::WithStateAndGeoip => {
                    "  (in the default set with --state and --geoip)"
                }
                rule::recommended::Membership::No => "  (not in the default set)",
            };
            for rule in rules.rules() {
                writeln!(
                    stdout,
                    "{:<8} {:<width$}  {}{}",
                    rule.severity.as_str(),
                    rule.id,
                    rule.title,
                    outside(rule::recommended::membership(rule))
                )?;
            }
            for c in rules.correlations() {
                writeln!(
                    stdout,
                    "{:<8} {:<width$}  {} (correlation: {}){}",
                    c.severity.as_str(),
                    c.id,
                    c.title,
                    c.summary(),
                    outside(if rule::recommended::includes_correlation(c) {
                        rule::recommended::Membership::Yes
                    } else {
                        rule::recommended::Membership::No
                    })
                )?;
            }
            let n = rules.rules().len();
            let m = rules.correlations().len();
            let default = rules
                .rules()
                .iter()
                .filter(|r| rule::recommended::includes(r))
                .count()
                + rules
                    .correlations()
                    .iter()
                    .filter(|c| rule::recommended::includes_correlation(c))
                    .count();
            let count = |which: rule::recommended::Membership| {
                rules
                    .rules()
                    .iter()
                    .filter(|r| rule::recommended::membership(r) == which)
                    .count()
            };
            let more: Vec<String> = [
                rule::recommended::Membership::WithState,
                rule::recommended::Membership::WithGeoip,
                rule::recommended::Membership::WithStateAndGeoip,
            ]
            .into_iter()
            .filter_map(|which| match count(which) {
                0 => None,
                k => Some(format!("{k} more {}", which.as_str())),
            })
            .collect();
            writeln!(
                stdout,
                "{n} {}{}, {default} of them in the default set{}",
                if n == 1 { "rule" } else { "rules" },
                match m {
                    0 => String::new(),
                    1 => ", 1 correlation".to_string(),
                    m => format!(", {m} correlations"),
                },
                if more.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", more.join(", "))
                }
            )?;
            writeln!(stdout, "the default set: {}", rule::recommended::WHY)?;
        }
        CatalogFormat::Json => {
            let correlations = rules.correlations().iter().map(|c| {
                json!({
                    "id": c.id,
                    "kind": "correlation",
                    "title": c.title,
                    "severity": c.severity.as_str(),
                    "pack": c.pack,
                    "file": c.file,
                    "default": rule::recommended::includes_correlation(c),
                    "default_with_state": rule::recommended::includes_correlation(c),
                    "correlation": {
                        "type": c.kind.key(),
                        "rules": c.inputs.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
                        "group_by": c.group_by.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
                        "timespan": crate::rule::correlation::format_timespan(c.timespan),
                        "condition": c.condition.to_string(),
                        "summary": c.summary(),
                    },
                    "compliance": c.compliance,
                    "tags": c.tags,
                    "attack": {
                        "techniques": report::attack::technique_ids(&c.tags),
                        "tactics": report::attack::rule_tactic_ids(&c.tags),
                    },
                })
            });
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
                        "default": rule::recommended::includes(r),
                        "default_with_state": matches!(
                            rule::recommended::membership(r),
                            rule::recommended::Membership::Yes
                                | rule::recommended::Membership::WithState
                        ),
                        "default_set": rule::recommended::membership(r).as_str(),
                        "event_sources": r.selector.sources,
                        "event_names": r.selector.names,
                        "compliance": r.compliance,
                        "tags": r.tags,
                        "attack": {
                            "techniques": report::attack::technique_ids(&r.tags),
                            "tactics": report::attack::rule_tactic_ids(&r.tags),
                        },
                    })
                })
                .chain(correlations)
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
            let files: BTreeSet<&str> = rules
                .rules()
                .iter()
                .map(|r| r.file.as_str())
                .chain(rules.correlations().iter().map(|c| c.file.as_str()))
                .collect();
            let correlations = match rules.correlations().len() {
                0 => String::new(),
                1 => " and 1 correlation".to_string(),
                n => format!(" and {n} correlations"),
            };
            writeln!(
                stdout,
                "ok: {} {}{correlations} in {} {}",
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
        Err(error) => write_load_error(stderr, &error, ""),
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
    let loaded = match load_collection(&plan) {
        Ok((loaded, notes)) => {
            for note in notes {
                writeln!(stderr, "note: {}: {}", note.file, note.message)?;
            }
            loaded
        }
        Err(errors) => return write_rule_errors(stderr, &errors, ""),
    };
    let mut results = crate::verify::run(&loaded.rules);
    results.extend(crate::verify::run_correlations(&loaded));
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
