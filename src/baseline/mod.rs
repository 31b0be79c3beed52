//! Baselines: the findings of an earlier report, so that a gate fails only on what is new.
//! `read` turns a JSON, JSON Lines or SARIF report into a `Baseline`; `compare` marks each
//! finding of a scan as new or unchanged and lists what is gone. Findings are matched on their
//! fingerprint (rule id + eventID, see `engine::fingerprint`), never on file names or lines.

mod read;

use std::collections::HashSet;

pub use read::read;

use crate::engine::ScanResult;

/// Whether a finding was already in the baseline (SARIF `baselineState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineState {
    New,
    Unchanged,
}

impl BaselineState {
    /// The name used in every format, the same as SARIF's `baselineState` values.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }
    }
}

/// One finding of the earlier report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineEntry {
    pub rule_id: String,
    pub fingerprint: String,
}

/// The findings of an earlier report, each fingerprint once, in the report's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// How to name the baseline to a person: the path given to `--baseline`.
    pub file: String,
    pub entries: Vec<BaselineEntry>,
}

/// How a scan compares with its baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineSummary {
    pub file: String,
    pub new: usize,
    pub unchanged: usize,
    /// In the baseline, not found by this scan (fixed, or no longer scanned), in baseline order.
    pub gone: Vec<BaselineEntry>,
}

/// Marks every finding of `result` new or unchanged and records the summary in the result.
/// Set semantics: every finding whose fingerprint the baseline has is unchanged, even when the
/// same event now appears twice (an organisation trail and an account trail both log it).
pub fn compare(result: &mut ScanResult, baseline: &Baseline) {
    let known: HashSet<&str> = baseline
        .entries
        .iter()
        .map(|e| e.fingerprint.as_str())
        .collect();
    let mut summary = BaselineSummary {
        file: baseline.file.clone(),
        ..BaselineSummary::default()
    };
    let mut found = HashSet::new();
    for finding in &mut result.findings {
        let fingerprint = finding.fingerprint();
        let state = if known.contains(fingerprint.as_str()) {
            summary.unchanged += 1;
            BaselineState::Unchanged
        } else {
            summary.new += 1;
            BaselineState::New
        };
        finding.baseline = Some(state);
        found.insert(fingerprint);
    }
    summary.gone = baseline
        .entries
        .iter()
        .filter(|e| !found.contains(&e.fingerprint))
        .cloned()
        .collect();
    result.baseline = Some(summary);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::Finding;
    use crate::rule::Severity;

    fn finding(rule: &str, event: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: Severity::High,
            title: String::new(),
            message: String::new(),
            file: Arc::from("f.json"),
            record: 0,
            line: None,
            event_id: Some(event.into()),
            event_time: None,
            event_source: None,
            event_name: None,
            account: None,
            region: None,
            principal: None,
            source_ip: None,
            user_agent: None,
            evidence: Vec::new(),
            baseline: None,
            event: None,
        }
    }

    fn entry(rule: &str, event: &str) -> BaselineEntry {
        BaselineEntry {
            rule_id: rule.into(),
            fingerprint: format!("{rule}/{event}"),
        }
    }

    #[test]
    fn new_unchanged_and_gone() {
        let mut result = ScanResult {
            findings: vec![finding("a", "1"), finding("a", "2"), finding("b", "1")],
            ..ScanResult::default()
        };
        let baseline = Baseline {
            file: "base.json".into(),
            entries: vec![entry("a", "1"), entry("c", "9"), entry("b", "1")],
        };
        compare(&mut result, &baseline);
        let states: Vec<_> = result.findings.iter().map(|f| f.baseline).collect();
        assert_eq!(
            states,
            vec![
                Some(BaselineState::Unchanged),
                Some(BaselineState::New),
                Some(BaselineState::Unchanged)
            ]
        );
        let summary = result.baseline.unwrap();
        assert_eq!((summary.new, summary.unchanged), (1, 2));
        assert_eq!(summary.gone, vec![entry("c", "9")]);
        assert_eq!(summary.file, "base.json");
    }

    #[test]
    fn unchanged_findings_do_not_fail_the_gate() {
        let mut result = ScanResult {
            findings: vec![finding("a", "1")],
            ..ScanResult::default()
        };
        assert_eq!(result.failing(Severity::Info), 1);
        compare(
            &mut result,
            &Baseline {
                file: "b".into(),
                entries: vec![entry("a", "1")],
            },
        );
        assert_eq!(result.failing(Severity::Info), 0);
    }
}
