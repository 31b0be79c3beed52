//! `--format junit`: JUnit XML for the test tabs of GitLab, Jenkins and others, valid against
//! the Jenkins xUnit schema (`junit-10.xsd`). One test case per loaded rule, grouped in one suite
//! per pack: a rule with findings fails and its failure lists every finding, one line each; a
//! rule with none passes. Each unreadable input is a test case with an `<error>`. With
//! `--baseline`, only new findings fail a rule; unchanged ones are listed in `<system-out>`.
//! Suppressions of the configuration file are a suite of their own, one test case each: skipped
//! (listing the findings it suppressed) when it applied, passing with a note when it was unused
//! or has expired; suppressed findings fail no rule.
//!
//! The one JUnit writer: `rules test --format junit` builds the same `Document` and writes it
//! with `write_document`. Written by hand: the schema allows few attributes (no `skipped` on
//! `<testsuites>`, nothing but name/classname/time/group on `<testcase>`, times with at most
//! three decimals), and a writer crate's defaults break those rules more easily than forty lines
//! of escaped XML keep them.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use crate::finding::{Finding, Location, ScanResult, SuppressionState};

use crate::source::InputError;

use super::escape::{xml_attr as attr, xml_text as text};
use super::{Context, Described, Report};

pub(super) struct Junit;

/// A whole JUnit report.
pub(super) struct Document {
    pub(super) name: String,
    /// The run's duration (`time` on `<testsuites>`), when there is one.
    pub(super) time: Option<Duration>,
    pub(super) suites: Vec<Suite>,
}

/// What one `<testcase>` says.
pub(super) enum Outcome {
    Passed,
    Failed {
        kind: String,
        message: String,
        body: String,
    },
    Error {
        message: String,
        body: String,
    },
    Skipped {
        message: String,
        body: String,
    },
}

pub(super) struct Case {
    pub(super) name: String,
    pub(super) classname: String,
    pub(super) outcome: Outcome,
    pub(super) system_out: Option<String>,
}

pub(super) struct Suite {
    pub(super) name: String,
    /// The file the suite comes from (`rules test`: the rule file).
    pub(super) file: Option<String>,
    /// `trailgate.NAME` properties.
    pub(super) properties: Vec<(String, u64)>,
    pub(super) cases: Vec<Case>,
}

impl Report for Junit {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut suites = suites(result, cx);
        // The run's accounting once, on the first suite (JUnit has no run-level properties).
        if let Some(first) = suites.first_mut() {
            first.properties = run_properties(result);
        }
        write_document(
            out,
            &Document {
                name: "trailgate".to_string(),
                time: Some(result.stats.duration),
                suites,
            },
        )
    }
}

/// The run's accounting, then per first-seen rule what its stage decided
/// (`first_seen.RULE.new`, `.learning`, `.keys`, `.no_key`, `.no_time`), then per correlation the
/// matches it could not count, by reason (`correlation_dropped.ID.REASON`).
fn run_properties(result: &ScanResult) -> Vec<(String, u64)> {
    let stats = &result.stats;
    let mut properties: Vec<(String, u64)> = super::json::accounting(result)
        .into_iter()
        .map(|(name, n)| (name.to_string(), n as u64))
        .collect();
    for (rule, counts) in &stats.first_seen {
        for (what, n) in [
            ("new", counts.new),
            ("learning", counts.learning),
            ("keys", counts.keys),
            ("no_key", counts.no_key),
            ("no_time", counts.no_time),
        ] {
            properties.push((format!("first_seen.{rule}.{what}"), n));
        }
    }
    for (id, reasons) in &stats.correlation_dropped {
        for (reason, n) in reasons {
            properties.push((format!("correlation_dropped.{id}.{reason}"), *n));
        }
    }
    properties
}

/// Writes a JUnit report.
pub(super) fn write_document(out: &mut dyn Write, document: &Document) -> io::Result<()> {
    let count = |f: fn(&Case) -> bool| -> usize {
        document
            .suites
            .iter()
            .map(|s| s.cases.iter().filter(|c| f(c)).count())
            .sum()
    };
    let tests = count(|_| true);
    let failures = count(|c| matches!(c.outcome, Outcome::Failed { .. }));
    let errors = count(|c| matches!(c.outcome, Outcome::Error { .. }));
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    write!(
        out,
        r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="{errors}""#,
        attr(&document.name)
    )?;
    if let Some(time) = document.time {
        write!(out, r#" time="{}""#, seconds(time))?;
    }
    writeln!(out, ">")?;
    for suite in &document.suites {
        write_suite(out, suite)?;
    }
    writeln!(out, "</testsuites>")
}

/// Whole milliseconds, as the schema allows at most three decimals.
fn seconds(duration: Duration) -> String {
    let millis = duration.as_millis();
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

fn suites(result: &ScanResult, cx: &Context<'_>) -> Vec<Suite> {
    let mut by_rule: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for finding in &result.findings {
        by_rule.entry(&finding.rule_id).or_default().push(finding);
    }
    // Packs in the order their first rule was loaded: rules are already in a stable order.
    let mut suites: Vec<Suite> = Vec::new();
    for rule in super::described(cx.rules) {
        let case = rule_case(rule, by_rule.get(rule.id).map_or(&[], Vec::as_slice));
        let name = if rule.pack.is_empty() {
            "rules".to_string()
        } else {
            rule.pack.to_string()
        };
        match suites.iter_mut().find(|s| s.name == name) {
            Some(suite) => suite.cases.push(case),
            None => suites.push(Suite {
                name,
                file: None,
                properties: Vec::new(),
                cases: vec![case],
            }),
        }
    }
    if !result.suppressions.is_empty() {
        suites.push(Suite {
            name: "suppressions".to_string(),
            file: None,
            properties: Vec::new(),
            cases: suppression_cases(result),
        });
    }
    let inputs = input_cases(&result.errors);
    if !inputs.is_empty() {
        suites.push(Suite {
            name: "unreadable inputs".to_string(),
            file: None,
            properties: Vec::new(),
            cases: inputs,
        });
    }
    // Some CI systems reject a report without a single test case.
    if suites.is_empty() {
        suites.push(Suite {
            name: "trailgate".to_string(),
            file: None,
            properties: Vec::new(),
            cases: vec![Case {
                name: "scan".to_string(),
                classname: "trailgate".to_string(),
                outcome: Outcome::Passed,
                system_out: Some(format!(
                    "no rules were loaded; {} events in {} files were read",
                    result.stats.events, result.stats.files_read
                )),
            }],
        });
    }
    suites
}

fn rule_case(rule: Described<'_>, findings: &[&Finding]) -> Case {
    let (counted, unchanged): (Vec<&Finding>, Vec<&Finding>) =
        findings.iter().partition(|f| f.counts_toward_gate());
    let outcome = if counted.is_empty() {
        Outcome::Passed
    } else {
        let noun = if counted.len() == 1 {
            "finding"
        } else {
            "findings"
        };
        // With a baseline, the findings that fail a rule are the new ones: say so.
        let new = if findings.iter().any(|f| f.baseline.is_some()) {
            "new "
        } else {
            ""
        };
        Outcome::Failed {
            kind: rule.severity.as_str().to_string(),
            message: format!("{} {new}{noun}: {}", counted.len(), rule.title),
            body: lines(&counted),
        }
    };
    Case {
        name: format!("{}: {}", rule.id, rule.title),
        classname: if rule.pack.is_empty() {
            "rules".to_string()
        } else {
            rule.pack.replace('/', ".")
        },
        outcome,
        system_out: (!unchanged.is_empty()).then(|| {
            format!(
                "{} unchanged (in the baseline):\n{}",
                unchanged.len(),
                lines(&unchanged)
            )
        }),
    }
}

/// One line per finding: where it is, what it says, which event.
fn lines(findings: &[&Finding]) -> String {
    let mut body = String::new();
    for f in findings {
        match &f.location {
            Location::Event(e) => {
                body.push_str(&e.file);
                body.push_str(&format!(" record {}", e.record));
                if let Some(line) = e.line {
                    body.push_str(&format!(" (line {line})"));
                }
            }
            Location::Window(w) => {
                body.push_str(&format!(
                    "window {} to {} ({} events)",
                    w.first, w.last, w.total
                ));
            }
        }
        body.push_str(": ");
        // A message rendered from event fields may hold line breaks; a finding stays one line.
        body.push_str(&f.message.replace(['\n', '\r'], " "));
        if let Some(id) = f.event_location().and_then(|e| e.event_id.as_ref()) {
            body.push_str(&format!(" [eventID {id}]"));
        }
        // With --accounts and --geoip: which account, and from where.
        if let (Some(account), Some(name)) = (
            f.event_location().and_then(|e| e.account.as_deref()),
            f.account_name(),
        ) {
            body.push_str(&format!(" [account {account} ({name})]"));
        }
        if let (Some(ip), Some(place)) = (
            f.event_location().and_then(|e| e.source_ip.as_deref()),
            f.source_place(),
        ) {
            body.push_str(&format!(
                " [from {} ({})]",
                ip.replace(['\n', '\r'], " "),
                place.describe()
            ));
        }
        body.push('\n');
    }
    body
}

/// One case per suppression: skipped with the findings it suppressed, or passing with why it
/// suppressed nothing.
fn suppression_cases(result: &ScanResult) -> Vec<Case> {
    result
        .suppressions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let findings: Vec<&Finding> = result
                .suppressed_findings
                .iter()
                .filter(|f| f.suppression == i)
                .map(|f| &f.finding)
                .collect();
            let until = s
                .expires
                .as_deref()
                .map(|day| format!(" until {day}"))
                .unwrap_or_default();
            let (outcome, system_out) = match s.state {
                SuppressionState::Applied => (
                    Outcome::Skipped {
                        message: format!(
                            "{} suppressed{until}: {}",
                            if findings.len() == 1 {
                                "1 finding".to_string()
                            } else {
                                format!("{} findings", findings.len())
                            },
                            s.reason
                        ),
                        body: lines(&findings),
                    },
                    None,
                ),
                SuppressionState::Unused => (
                    Outcome::Passed,
                    Some(format!("matched no finding (unused): {}", s.reason)),
                ),
                SuppressionState::Expired => (
                    Outcome::Passed,
                    Some(format!(
                        "expired after {}: it no longer applies; {} it matched {} reported under {} rule",
                        s.expires.as_deref().unwrap_or("?"),
                        if s.expired_matches == 1 {
                            "1 finding".to_string()
                        } else {
                            format!("{} findings", s.expired_matches)
                        },
                        if s.expired_matches == 1 { "is" } else { "are" },
                        if s.expired_matches == 1 { "its" } else { "their" },
                    )),
                ),
            };
            Case {
                name: format!("{}: {}", s.origin, s.rule),
                classname: "trailgate.suppressions".to_string(),
                outcome,
                system_out,
            }
        })
        .collect()
}

/// One case per unreadable file, listing every problem in it.
fn input_cases(errors: &[InputError]) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut i = 0;
    while i < errors.len() {
        let file = &errors[i].file;
        let same = errors[i..].iter().take_while(|e| &e.file == file).count();
        let group = &errors[i..i + same];
        let body: String = group
            .iter()
            .map(|e| {
                format!(
                    "{}: {}\n",
                    e.location(),
                    e.message.replace(['\n', '\r'], " ")
                )
            })
            .collect();
        let message = if same == 1 {
            group[0].message.clone()
        } else {
            format!("{same} problems, the first: {}", group[0].message)
        };
        cases.push(Case {
            name: file.to_string(),
            classname: "trailgate.inputs".to_string(),
            outcome: Outcome::Error { message, body },
            system_out: None,
        });
        i += same;
    }
    cases
}

fn write_suite(out: &mut dyn Write, suite: &Suite) -> io::Result<()> {
    let failures = suite
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Failed { .. }))
        .count();
    let errors = suite
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Error { .. }))
        .count();
    let skipped = suite
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped { .. }))
        .count();
    write!(
        out,
        r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="{errors}""#,
        attr(&suite.name),
        suite.cases.len()
    )?;
    // `skipped` is allowed on a suite (not on `<testsuites>`); only written when there are some.
    if skipped > 0 {
        write!(out, r#" skipped="{skipped}""#)?;
    }
    if let Some(file) = &suite.file {
        write!(out, r#" file="{}""#, attr(file))?;
    }
    writeln!(out, ">")?;
    if !suite.properties.is_empty() {
        writeln!(out, "    <properties>")?;
        for (name, value) in &suite.properties {
            writeln!(
                out,
                r#"      <property name="trailgate.{}" value="{value}"/>"#,
                attr(name)
            )?;
        }
        writeln!(out, "    </properties>")?;
    }
    for case in &suite.cases {
        write!(
            out,
            r#"    <testcase name="{}" classname="{}""#,
            attr(&case.name),
            attr(&case.classname)
        )?;
        if matches!(case.outcome, Outcome::Passed) && case.system_out.is_none() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        match &case.outcome {
            Outcome::Passed => {}
            Outcome::Failed {
                kind,
                message,
                body,
            } => writeln!(
                out,
                r#"      <failure type="{}" message="{}">{}</failure>"#,
                attr(kind),
                attr(message),
                text(body)
            )?,
            Outcome::Error { message, body } => writeln!(
                out,
                r#"      <error type="unreadable input" message="{}">{}</error>"#,
                attr(message),
                text(body)
            )?,
            Outcome::Skipped { message, body } => writeln!(
                out,
                r#"      <skipped type="suppressed" message="{}">{}</skipped>"#,
                attr(message),
                text(body)
            )?,
        }
        if let Some(system_out) = &case.system_out {
            writeln!(out, "      <system-out>{}</system-out>", text(system_out))?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_rules_one_passing_case_remains() {
        // The CLI refuses to scan without rules, but a library caller may not.
        let rules = crate::engine::RuleSet::new(Vec::new());
        let cx = Context {
            rules: &rules,
            color: false,
            fail_on: None,
            cwd: std::path::Path::new("/"),
            sarif_root: std::path::Path::new("/"),
            inputs: &[],
            reports: &[],
            enriched: Default::default(),
            group_by: None,
            principals: None,
            accounts: None,
        };
        let mut out = Vec::new();
        Junit.render(&ScanResult::default(), &cx, &mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(
            xml.contains(
                r#"<testsuites name="trailgate" tests="1" failures="0" errors="0" time="0.000">"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="scan" classname="trailgate">"#),
            "{xml}"
        );
        assert!(
            xml.contains("no rules were loaded; 0 events in 0 files were read"),
            "{xml}"
        );
    }

    #[test]
    fn times_have_whole_milliseconds() {
        assert_eq!(seconds(Duration::from_micros(12_345)), "0.012");
        assert_eq!(seconds(Duration::from_millis(61_005)), "61.005");
        assert_eq!(seconds(Duration::ZERO), "0.000");
    }
}
