//! How findings compare with an earlier report (`--baseline`): the values the baseline stage
//! produces and every report shows. Reading and comparing are in `crate::baseline`.

/// Whether a finding was already in the baseline (SARIF `baselineState`); its serde form is
/// the token of `as_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// The account the earlier report gave the finding (for the change per account), when it
    /// said.
    pub account: Option<String>,
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
