//! Baselines: the findings of an earlier report, so that a gate fails only on what is new.
//! `read` turns a JSON, JSON Lines or SARIF report into a `Baseline`; `compare` marks each
//! finding of a scan as new or unchanged and lists what is gone. Findings are matched on their
//! fingerprint (rule id + eventID, see `finding::fingerprint`), never on file names or lines.

mod read;

use std::collections::HashSet;

pub use read::read;

use crate::finding::{Baseline, BaselineState, BaselineSummary, ScanResult};

/// Marks every finding of `result` new or unchanged and records the summary in the result.
/// Suppressed findings are neither (they never count toward the gate), nor gone.
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
    // A suppressed finding was still found: it is not gone, only kept out of the gate.
    found.extend(
        result
            .suppressed_findings
            .iter()
            .map(|s| s.finding.fingerprint()),
    );
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
    use crate::finding::{BaselineEntry, EventLocation, Finding, Location};
    use crate::rule::Severity;

    fn finding(rule: &str, event: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: Severity::High,
            title: String::new(),
            message: String::new(),
            location: Location::Event(EventLocation {
                file: Arc::from("f.json"),
                event_id: Some(event.into()),
                ..EventLocation::default()
            }),
            evidence: Vec::new(),
            baseline: None,
            event: None,
        }
    }

    fn entry(rule: &str, event: &str) -> BaselineEntry {
        BaselineEntry {
            rule_id: rule.into(),
            fingerprint: format!("{rule}/{event}"),
            account: None,
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
    fn a_suppressed_finding_is_not_gone_and_not_compared() {
        let mut result = ScanResult {
            findings: vec![finding("a", "1")],
            suppressed_findings: vec![crate::finding::SuppressedFinding {
                finding: finding("b", "1"),
                suppression: 0,
            }],
            ..ScanResult::default()
        };
        compare(
            &mut result,
            &Baseline {
                file: "b".into(),
                entries: vec![entry("a", "1"), entry("b", "1"), entry("c", "1")],
            },
        );
        let summary = result.baseline.unwrap();
        assert_eq!((summary.new, summary.unchanged), (0, 1));
        assert_eq!(summary.gone, vec![entry("c", "1")]);
        assert_eq!(result.suppressed_findings[0].finding.baseline, None);
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
