//! Rules: the model, loading YAML with located errors, validation and compilation into the
//! condition AST the engine evaluates.

pub mod annotation;
pub mod cidr;
pub mod collection;
pub mod compile;
pub mod condition;
pub mod correlation;
pub mod error;
pub mod file;
pub mod filter;
pub mod first_seen;
pub mod load;
pub mod members;
pub mod native_correlation;
pub mod path;
pub mod recommended;
pub mod schema;
pub mod severity;
pub mod sigma;
pub mod spec;
pub mod template;

use std::collections::BTreeMap;

pub use condition::Condition;
pub use error::RuleError;
pub use file::RuleFile;
pub use filter::RuleFilter;
pub use load::{load_builtin, load_paths};
pub use severity::Severity;
pub use template::Template;

pub use spec::ExpectSpec;

/// A compiled, validated rule. Immutable and `Sync`: shared by every worker thread.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
    /// Framework name to control ids, e.g. `aws-securityhub: [AutoScaling.3]`.
    pub compliance: BTreeMap<String, Vec<String>>,
    pub tags: Vec<String>,
    pub selector: EventSelector,
    /// `Condition::All(vec![])` (always true) when the rule has no condition.
    pub condition: Condition,
    pub exceptions: Vec<Exception>,
    /// Set for a `first_seen` rule: its matches are judged after the scan (`crate::first_seen`).
    pub first_seen: Option<first_seen::FirstSeen>,
    pub message: Template,
    /// Where the rule was defined: its file (`builtin:...` for the embedded pack) and the line
    /// of its `id`.
    pub file: String,
    pub line: u64,
    /// The pack: the rule file's directory relative to the rules root, e.g. `aws/autoscaling`.
    pub pack: String,
    /// Inline test cases, run by `trailgate rules test`.
    pub tests: Vec<TestCase>,
    /// Sigma's metadata, for rules loaded from Sigma files.
    pub sigma: Option<sigma::SigmaMeta>,
}

/// One inline test case of a rule.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub expect: Expect,
    /// The exact message expected of the finding, if the case says.
    pub message: Option<String>,
    pub event: TestEvent,
    /// Line of the case in the rule file, for messages.
    pub line: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Finding,
    None,
    Suppressed,
}

impl Expect {
    /// The value written in rule files (`finding`, `none`, `suppressed`).
    pub fn key(self) -> &'static str {
        match self {
            Expect::Finding => "finding",
            Expect::None => "none",
            Expect::Suppressed => "suppressed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Finding => "a finding",
            Expect::None => "no finding",
            Expect::Suppressed => "a match suppressed by an exception",
        }
    }
}

/// Where a test case's event is: written in the rule file, or in a file beside it (read when the
/// tests run, so that scans never depend on test files).
#[derive(Debug, Clone)]
pub enum TestEvent {
    Inline(serde_json::Value),
    File(std::path::PathBuf),
}

/// Which events a rule applies to. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSelector {
    pub sources: Vec<String>,
    pub names: Vec<String>,
    pub outcome: Outcome,
}

impl EventSelector {
    /// Does this selector select the event? (The index answers the same for source and name.)
    pub fn selects(&self, event: &serde_json::Value) -> bool {
        let field = |name: &str| event.get(name).and_then(serde_json::Value::as_str);
        let listed = |wanted: &[String], name: &str| {
            wanted.is_empty()
                || field(name).is_some_and(|v| wanted.iter().any(|w| w.eq_ignore_ascii_case(v)))
        };
        let failed = event
            .get("errorCode")
            .is_some_and(|code| !code.is_null() && code.as_str() != Some(""));
        listed(&self.sources, "eventSource")
            && listed(&self.names, "eventName")
            && match self.outcome {
                Outcome::Any => true,
                Outcome::Success => !failed,
                Outcome::Failure => failed,
            }
    }
}

/// Whether a rule looks at successful calls, failed calls (`errorCode` set) or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Any,
    Success,
    Failure,
}

/// A condition that suppresses a finding, with the reason it is acceptable.
#[derive(Debug, Clone)]
pub struct Exception {
    pub reason: String,
    pub condition: Condition,
}
