//! Suppressions of the project configuration (`[[suppress]]` in trailgate.toml) as a scan's
//! result holds them: how each one fared, and the findings it took out of the gate. Plain
//! values: matching findings against suppressions is `config::suppress`, and the reports render
//! these.
//!
//! A suppressed finding is kept apart from [`ScanResult::findings`](super::ScanResult), so that
//! every count, the baseline comparison and the gate (`--fail-on`) see only the findings that are
//! not suppressed, whatever the format. Formats that can mark a result as suppressed (SARIF,
//! JUnit) list them; the others count them per suppression.

use super::Finding;

/// How a suppression fared in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionState {
    /// It suppressed at least one finding.
    Applied,
    /// It is in force but matched no finding: perhaps the problem is fixed, or it is mistyped.
    Unused,
    /// Its `expires` day has passed: it suppressed nothing.
    Expired,
}

impl SuppressionState {
    /// The token every format uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionState::Applied => "applied",
            SuppressionState::Unused => "unused",
            SuppressionState::Expired => "expired",
        }
    }
}

/// One suppression's outcome in a run, in the order of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionOutcome {
    /// The rule id or glob it names.
    pub rule: String,
    pub reason: String,
    /// Its last day, `YYYY-MM-DD`.
    pub expires: Option<String>,
    /// Where it is written: `trailgate.toml:14`.
    pub origin: String,
    pub state: SuppressionState,
    /// Findings it suppressed.
    pub suppressed: usize,
    /// Findings it matched though expired: they are reported as usual.
    pub expired_matches: usize,
}

impl SuppressionOutcome {
    /// The file and 1-based line of `origin`, for formats that point at it (SARIF).
    pub fn file_and_line(&self) -> Option<(&str, usize)> {
        let (file, line) = self.origin.rsplit_once(':')?;
        Some((file, line.parse().ok()?))
    }

    /// Adds the counts of the same suppression in another part of the same run (a shard merged
    /// by `report --from`): applied when any part applied it.
    pub fn merge(&mut self, other: &SuppressionOutcome) {
        self.suppressed += other.suppressed;
        self.expired_matches += other.expired_matches;
        if self.state == SuppressionState::Unused && other.state == SuppressionState::Applied {
            self.state = SuppressionState::Applied;
        }
    }

    /// Whether `other` is the same suppression (the same place, rule and reason).
    pub fn same_as(&self, other: &SuppressionOutcome) -> bool {
        (&self.origin, &self.rule, &self.reason) == (&other.origin, &other.rule, &other.reason)
    }
}

/// A finding a suppression took out of the gate: the finding, and its suppression's index in
/// [`ScanResult::suppressions`](super::ScanResult).
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub suppression: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(state: SuppressionState, suppressed: usize) -> SuppressionOutcome {
        SuppressionOutcome {
            rule: "aws-*".into(),
            reason: "known".into(),
            expires: None,
            origin: "../repo/trailgate.toml:14".into(),
            state,
            suppressed,
            expired_matches: 0,
        }
    }

    #[test]
    fn origin_splits_at_the_last_colon() {
        let o = outcome(SuppressionState::Applied, 1);
        assert_eq!(o.file_and_line(), Some(("../repo/trailgate.toml", 14)));
        let odd = SuppressionOutcome {
            origin: "C:/repo/trailgate.toml:3".into(),
            ..o
        };
        assert_eq!(odd.file_and_line(), Some(("C:/repo/trailgate.toml", 3)));
    }

    #[test]
    fn merged_shards_add_up_and_any_use_applies() {
        let mut a = outcome(SuppressionState::Unused, 0);
        a.merge(&outcome(SuppressionState::Applied, 2));
        a.merge(&outcome(SuppressionState::Unused, 0));
        assert_eq!((a.state, a.suppressed), (SuppressionState::Applied, 2));
        let mut expired = outcome(SuppressionState::Expired, 0);
        expired.merge(&outcome(SuppressionState::Expired, 0));
        assert_eq!(expired.state, SuppressionState::Expired);
        assert!(a.same_as(&expired));
    }
}
