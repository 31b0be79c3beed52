//! Reports: each format is one file that renders a finished `ScanResult`. Formats never evaluate
//! rules, never sort and never see threads.

pub mod catalog;
pub mod explain;
mod json;
mod jsonl;
mod text;
pub mod verify;

use std::io::{self, Write};

use crate::engine::{RuleSet, ScanResult};
use crate::rule::Severity;

/// Output formats of `trailgate scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
}

/// What a format may use besides the result itself.
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    /// Use ANSI colours (text format only).
    pub color: bool,
    /// The `--fail-on` threshold, so the text summary can say whether the gate failed.
    pub fail_on: Option<Severity>,
}

/// One output format.
pub trait Report {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// Renders `result` in `format`.
pub fn render(
    format: Format,
    result: &ScanResult,
    cx: &Context<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report: &dyn Report = match format {
        Format::Text => &text::Text,
        Format::Json => &json::Json,
        Format::Jsonl => &jsonl::JsonLines,
    };
    report.render(result, cx, out)
}

/// Findings per severity, most serious first, for summaries.
pub fn counts_by_severity(result: &ScanResult) -> Vec<(Severity, usize)> {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| {
            (
                *s,
                result.findings.iter().filter(|f| f.severity == *s).count(),
            )
        })
        .collect()
}
