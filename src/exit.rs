//! The exit-code policy, in one place. Documented in docs/cli.md.

use crate::finding::ScanResult;
use crate::rule::Severity;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No finding at or above `--fail-on`, and every input was read.
    Clean = 0,
    /// At least one finding at or above `--fail-on`.
    Findings = 1,
    /// Bad rules or bad usage: nothing was scanned.
    Usage = 2,
    /// Some inputs (files or records) could not be read; findings from the rest were reported.
    Incomplete = 3,
    /// The scan ran but a report could not be written: a file could not be created, or a SARIF
    /// report was over GitHub's upload limits. The other reports were written.
    ReportFailed = 4,
}

impl ExitStatus {
    /// `fail_on: None` (`--fail-on never`) means findings never fail the run; findings already in
    /// a `--baseline` never do either. Unreadable input wins over findings: a gate must not pass
    /// or fail on a partial picture without saying so.
    pub fn of_scan(result: &ScanResult, fail_on: Option<Severity>) -> ExitStatus {
        if result.has_errors() {
            ExitStatus::Incomplete
        } else if fail_on.is_some_and(|t| result.failing(t) > 0) {
            ExitStatus::Findings
        } else {
            ExitStatus::Clean
        }
    }

    /// A missing report wins over everything the scan found: the pipeline step that expects it
    /// (an upload, a test tab) would otherwise fail later with a less helpful message, or pass
    /// on an old file.
    pub fn of_run(
        result: &ScanResult,
        fail_on: Option<Severity>,
        reports_written: bool,
    ) -> ExitStatus {
        if reports_written {
            ExitStatus::of_scan(result, fail_on)
        } else {
            ExitStatus::ReportFailed
        }
    }

    pub fn code(self) -> i32 {
        self as i32
    }
}
