//! `trailgate rules test`: runs the inline test cases of rules and says, for each failing case,
//! what was expected, what happened and why (the explain trace).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::engine::explain::{explain, Explanation, Verdict};
use crate::rule::{Expect, Rule, TestCase, TestEvent};
use crate::source::{ReadLimits, TrailFile};

/// The result of one test case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub line: u64,
    pub expect: Expect,
    /// `None` when the case passed; otherwise what went wrong, in one sentence.
    pub failure: Option<String>,
    /// Present when the event could be evaluated.
    pub explanation: Option<Explanation>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// The results of one rule's cases.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub rule_id: String,
    pub title: String,
    pub pack: String,
    pub file: String,
    pub cases: Vec<CaseResult>,
}

impl RuleResult {
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.passed()).count()
    }
}

/// Runs the cases of every correlation (their events through the rules each counts, then
/// through the correlation stage), as results of the same shape as a rule's.
pub fn run_correlations(loaded: &crate::rule::collection::Loaded) -> Vec<RuleResult> {
    let cases = crate::correlate::cases::run(loaded);
    loaded
        .correlations
        .iter()
        .filter(|c| loaded.correlation_tests.contains_key(&c.id))
        .map(|correlation| RuleResult {
            rule_id: correlation.id.clone(),
            title: correlation.title.clone(),
            pack: correlation.pack.clone(),
            file: correlation.file.clone(),
            cases: cases
                .iter()
                .filter(|case| case.correlation == correlation.id)
                .map(|case| CaseResult {
                    name: case.name.clone(),
                    line: case.line,
                    expect: loaded.correlation_tests[&correlation.id]
                        .iter()
                        .find(|t| t.name == case.name && t.line == case.line)
                        .map_or(Expect::Finding, |t| {
                            if t.expect_finding {
                                Expect::Finding
                            } else {
                                Expect::None
                            }
                        }),
                    failure: case.failure.clone(),
                    explanation: None,
                })
                .collect(),
        })
        .collect()
}

/// Runs every case of every rule, in rule order.
pub fn run(rules: &[Rule]) -> Vec<RuleResult> {
    rules
        .iter()
        .map(|rule| RuleResult {
            rule_id: rule.id.clone(),
            title: rule.title.clone(),
            pack: rule.pack.clone(),
            file: rule.file.clone(),
            cases: rule.tests.iter().map(|case| run_case(rule, case)).collect(),
        })
        .collect()
}

fn run_case(rule: &Rule, case: &TestCase) -> CaseResult {
    let mut result = CaseResult {
        name: case.name.clone(),
        line: case.line,
        expect: case.expect,
        failure: None,
        explanation: None,
    };
    let event = match load_event(&case.event) {
        Ok(event) => event,
        Err(problem) => {
            result.failure = Some(problem);
            return result;
        }
    };
    let mut event = event;
    if crate::rule::annotation::reads(rule).any() {
        crate::enrich::annotate_test_event(&mut event);
    }
    let explanation = explain(rule, &event);
    let got = match &explanation.verdict {
        Verdict::Finding => Expect::Finding,
        Verdict::Suppressed(_) => Expect::Suppressed,
        Verdict::NoMatch | Verdict::NotApplicable => Expect::None,
    };
    if got != case.expect {
        let detail = match &explanation.verdict {
            Verdict::Suppressed(reason) => format!(" (exception: {reason})"),
            Verdict::NotApplicable => format!(
                " (the rule does not apply: {})",
                explanation.not_applicable.as_deref().unwrap_or("")
            ),
            Verdict::NoMatch if explanation.first_seen_missing.is_some() => format!(
                " (the event has no value at the first_seen field `{}`)",
                explanation.first_seen_missing.as_deref().unwrap_or("")
            ),
            _ => String::new(),
        };
        result.failure = Some(format!(
            "expected {}, got {}{detail}",
            case.expect.as_str(),
            got.as_str()
        ));
    } else if let Some(expected) = &case.message {
        let actual = normalize(&explanation.message);
        if normalize(expected) != actual {
            result.failure = Some(format!(
                "expected the message {:?}, got {actual:?}",
                normalize(expected)
            ));
        }
    }
    result.explanation = Some(explanation);
    result
}

/// Folded YAML and templates differ in spacing only; compare words.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn load_event(event: &TestEvent) -> Result<Value, String> {
    match event {
        TestEvent::Inline(value) => Ok(value.clone()),
        TestEvent::File(path) => load_event_file(path),
    }
}

/// Reads an event file with the same reader as `scan` (plain or gzip, any shape); it must hold
/// exactly one event.
fn load_event_file(path: &Path) -> Result<Value, String> {
    if path.to_string_lossy().starts_with("builtin:") {
        return Err("built-in rules cannot refer to event files; write the event inline".into());
    }
    let name: Arc<str> = Arc::from(path.display().to_string());
    let file = TrailFile {
        name: name.clone(),
        path: Some(path.to_path_buf()),
        remote: None,
    };
    let contents = file.read(&ReadLimits::default());
    if let Some(error) = contents.errors.first() {
        return Err(format!(
            "cannot read event_file {}: {}",
            error.location(),
            error.message
        ));
    }
    let mut events = contents.events;
    match events.len() {
        1 => Ok(events.remove(0).value),
        n => Err(format!(
            "event_file {name} holds {n} events; a test case needs exactly one"
        )),
    }
}
