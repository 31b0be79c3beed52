//! Rendering the results of `trailgate rules test`: a line per rule and, for each failing case,
//! what was expected, what happened and the explain trace.

use std::io::{self, Write};

use serde_json::json;

use crate::verify::RuleResult;

use super::explain;
use super::junit::{write_document, Case, Document, Outcome, Suite};

/// Totals over all rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub rules: usize,
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub untested: usize,
}

pub fn totals(results: &[RuleResult]) -> Totals {
    let mut totals = Totals {
        rules: results.len(),
        ..Totals::default()
    };
    for result in results {
        totals.cases += result.cases.len();
        totals.failed += result.failed();
        if result.cases.is_empty() {
            totals.untested += 1;
        }
    }
    totals.passed = totals.cases - totals.failed;
    totals
}

pub fn write_text(out: &mut dyn Write, results: &[RuleResult]) -> io::Result<()> {
    let width = results.iter().map(|r| r.rule_id.len()).max().unwrap_or(0);
    for result in results {
        let failed = result.failed();
        let cases = result.cases.len();
        let status = match (cases, failed) {
            (0, _) => "none",
            (_, 0) => "ok",
            _ => "FAIL",
        };
        let detail = match (cases, failed) {
            (0, _) => "no test cases".to_string(),
            (n, 0) => format!("{n} {}", if n == 1 { "case" } else { "cases" }),
            (n, f) => format!("{f} of {n} cases failed"),
        };
        writeln!(out, "{status:<5} {:<width$}  {detail}", result.rule_id)?;
        for case in result.cases.iter().filter(|c| !c.passed()) {
            writeln!(
                out,
                "      case {:?} ({}:{}): {}",
                case.name,
                result.file,
                case.line,
                case.failure.as_deref().unwrap_or_default()
            )?;
            if let Some(explanation) = &case.explanation {
                explain::write_text(out, explanation, "        ")?;
            }
        }
    }
    let t = totals(results);
    write!(
        out,
        "\n{} {}, {} {}: {} passed, {} failed",
        t.rules,
        if t.rules == 1 { "rule" } else { "rules" },
        t.cases,
        if t.cases == 1 { "case" } else { "cases" },
        t.passed,
        t.failed
    )?;
    if t.untested > 0 {
        write!(
            out,
            "; {} {} without test cases",
            t.untested,
            if t.untested == 1 { "rule" } else { "rules" }
        )?;
    }
    writeln!(out)
}

pub fn write_json(out: &mut dyn Write, results: &[RuleResult]) -> io::Result<()> {
    let t = totals(results);
    let document = json!({
        "summary": {"rules": t.rules, "cases": t.cases, "passed": t.passed, "failed": t.failed, "untested_rules": t.untested},
        "rules": results.iter().map(|r| json!({
            "rule_id": r.rule_id,
            "file": r.file,
            "passed": r.failed() == 0,
            "cases": r.cases.iter().map(|c| json!({
                "name": c.name,
                "line": c.line,
                "expect": c.expect.key(),
                "passed": c.passed(),
                "failure": c.failure,
                "explanation": if c.passed() { None } else { c.explanation.as_ref().map(explain::to_json) },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

/// JUnit XML for CI test tabs (the scan's JUnit writer): one testsuite per rule, one testcase
/// per case; a failing case carries what was expected, what happened and the explain trace.
pub fn write_junit(out: &mut dyn Write, results: &[RuleResult]) -> io::Result<()> {
    let mut suites = Vec::new();
    for result in results {
        let classname = if result.pack.is_empty() {
            "rules".to_string()
        } else {
            result.pack.replace('/', ".")
        };
        let mut cases = Vec::new();
        for case in &result.cases {
            let outcome = match &case.failure {
                None => Outcome::Passed,
                Some(failure) => {
                    let mut body =
                        format!("{}:{}: {failure}\n", result.file, case.line).into_bytes();
                    if let Some(explanation) = &case.explanation {
                        explain::write_text(&mut body, explanation, "")?;
                    }
                    Outcome::Failed {
                        kind: "rule test".to_string(),
                        message: failure.clone(),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    }
                }
            };
            cases.push(Case {
                name: format!("{}: {}", result.rule_id, case.name),
                classname: classname.clone(),
                outcome,
                system_out: None,
            });
        }
        suites.push(Suite {
            name: result.rule_id.clone(),
            file: Some(result.file.clone()),
            properties: Vec::new(),
            cases,
        });
    }
    write_document(
        out,
        &Document {
            name: "trailgate rules test".to_string(),
            time: None,
            suites,
        },
    )
}
