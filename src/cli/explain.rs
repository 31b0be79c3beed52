//! `trailgate explain RULE EVENTS`: why a rule matches an event or not, node by node.

use std::io::{self, Write};

use serde_json::json;

use super::args::{ExplainArgs, ListFormat};
use super::plan::RulePlan;
use super::rules::{load_rules, write_load_error};
use crate::engine::explain::explain;
use crate::exit::ExitStatus;
use crate::report;
use crate::rule;
use crate::source::{discover, Input, InputError, Origin, ReadLimits};
use serde_json::Value;

pub(super) fn run_explain(
    args: &ExplainArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let plan = RulePlan {
        paths: args.selection.rules.clone(),
        builtin: args.selection.builtin,
        ..RulePlan::default()
    };
    let rules = match load_rules(&plan, stderr) {
        Ok(rules) => rules,
        Err(error) => return write_load_error(stderr, &error, ""),
    };
    if rules.get(&args.rule).is_none() {
        if let Some(correlation) = rules.correlation(&args.rule) {
            return explain_correlation(&rules, correlation, args, stdout, stderr);
        }
    }
    let Some(rule) = rules.get(&args.rule) else {
        let ids: Vec<String> = rules
            .rules()
            .iter()
            .map(|r| r.id.clone())
            .chain(rules.correlations().iter().map(|c| c.id.clone()))
            .collect();
        writeln!(
            stderr,
            "error: no loaded rule or correlation has the id `{}`",
            args.rule
        )?;
        match rule::error::closest(&args.rule, &ids) {
            Some(best) => writeln!(stderr, "  help: did you mean `{best}`?")?,
            None => writeln!(
                stderr,
                "  help: `trailgate rules list` shows the ids; add --rules PATH for your own rules"
            )?,
        }
        return Ok(ExitStatus::Usage);
    };
    let (events, errors) = read_events(&args.event_file);
    let explanations: Vec<_> = events
        .into_iter()
        .map(|(origin, mut event)| {
            if crate::rule::annotation::reads(rule).any() {
                crate::enrich::annotate_test_event(&mut event);
            }
            (origin, explain(rule, &event))
        })
        .collect();
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
    finish(&errors, explanations.is_empty(), &args.event_file, stderr)
}

/// `explain CORRELATION EVENTS`: the events go through the rules the correlation counts, then
/// through its windows; says per group how close it came and what fired.
fn explain_correlation(
    rules: &crate::engine::RuleSet,
    correlation: &crate::rule::correlation::Correlation,
    args: &ExplainArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let (events, errors) = read_events(&args.event_file);
    let explanation = crate::correlate::explain::explain(rules, correlation, &events);
    match args.format {
        ListFormat::Text => report::explain::write_correlation_text(stdout, &explanation)?,
        ListFormat::Json => {
            serde_json::to_writer_pretty(
                &mut *stdout,
                &report::explain::correlation_to_json(&explanation),
            )?;
            writeln!(stdout)?;
        }
    }
    finish(&errors, events.is_empty(), &args.event_file, stderr)
}

/// Every event of the input (any shape `scan` reads), and what could not be read.
fn read_events(input: &str) -> (Vec<(Origin, Value)>, Vec<InputError>) {
    let discovery = discover(&[Input::from_arg(input)]);
    let mut errors = discovery.errors;
    let mut events = Vec::new();
    for file in &discovery.files {
        let contents = file.read(&ReadLimits::default());
        errors.extend(contents.errors);
        events.extend(contents.events.into_iter().map(|e| (e.origin, e.value)));
    }
    (events, errors)
}

/// Reports what could not be read; exit 3 when anything was unreadable or nothing was there.
fn finish(
    errors: &[InputError],
    no_events: bool,
    input: &str,
    stderr: &mut dyn Write,
) -> io::Result<ExitStatus> {
    for error in errors {
        writeln!(stderr, "error: {}: {}", error.location(), error.message)?;
    }
    if no_events && errors.is_empty() {
        writeln!(stderr, "error: {input}: no events to explain")?;
        return Ok(ExitStatus::Incomplete);
    }
    Ok(if errors.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Incomplete
    })
}
