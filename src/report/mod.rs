//! Reports: each format is one file that renders a finished `ScanResult`. Formats never evaluate
//! rules, never sort findings and never see threads. `audit.rs` computes the counts that the
//! HTML and Markdown summaries share; `escape.rs` makes trail values inert in each format.

pub mod attack;
pub mod audit;
pub mod catalog;
pub mod changes;
mod csv;
pub mod escape;
pub mod explain;
pub mod from_jsonl;
pub mod group;
mod html;
mod json;
mod jsonl;
mod junit;
mod markdown;
pub mod principals;
mod sarif;
mod text;
mod uri;
pub mod verify;

use std::io::{self, Write};
use std::path::Path;

use crate::engine::RuleSet;
use crate::finding::{Finding, ScanResult};
use crate::rule::Severity;

/// What a report says about a rule or a correlation (SARIF's rule descriptors, JUnit's test
/// cases): the metadata both have.
#[derive(Debug, Clone, Copy)]
pub struct Described<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub severity: Severity,
    pub description: &'a str,
    pub remediation: &'a str,
    pub references: &'a [String],
    pub tags: &'a [String],
    pub compliance: &'a std::collections::BTreeMap<String, Vec<String>>,
    pub pack: &'a str,
    pub file: &'a str,
    pub sigma: Option<&'a crate::rule::sigma::SigmaMeta>,
}

impl<'a> Described<'a> {
    pub fn rule(rule: &'a crate::rule::Rule) -> Described<'a> {
        Described {
            id: &rule.id,
            title: &rule.title,
            severity: rule.severity,
            description: &rule.description,
            remediation: &rule.remediation,
            references: &rule.references,
            tags: &rule.tags,
            compliance: &rule.compliance,
            pack: &rule.pack,
            file: &rule.file,
            sigma: rule.sigma.as_ref(),
        }
    }

    pub fn correlation(c: &'a crate::rule::correlation::Correlation) -> Described<'a> {
        Described {
            id: &c.id,
            title: &c.title,
            severity: c.severity,
            description: &c.description,
            remediation: &c.remediation,
            references: &c.references,
            tags: &c.tags,
            compliance: &c.compliance,
            pack: &c.pack,
            file: &c.file,
            sigma: c.sigma.as_ref(),
        }
    }
}

/// Every rule and correlation that can give findings: the rules in their order, then the
/// correlations by id. Helper rules that only feed correlations are left out.
pub fn described(rules: &RuleSet) -> Vec<Described<'_>> {
    rules
        .rules()
        .iter()
        .enumerate()
        .filter(|(i, _)| rules.reports(*i))
        .map(|(_, r)| Described::rule(r))
        .chain(
            rules
                .correlations()
                .iter()
                .filter(|c| rules.reports_id(&c.id))
                .map(Described::correlation),
        )
        .collect()
}

pub use html::MAX_HTML_FINDINGS;
pub use markdown::MAX_MARKDOWN_BYTES;
pub use sarif::{MAX_GZIP_BYTES, MAX_RESULTS, MAX_RULES};

/// Output formats of `trailgate scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Html,
    Markdown,
    Csv,
    /// The per-principal activity summary as CSV (`-o principals=FILE.csv`; a `.json` path
    /// gives the JSON form).
    Principals,
    /// The per-principal activity summary as JSON (`-o principals-json=FILE`).
    PrincipalsJson,
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Text,
        Format::Json,
        Format::Jsonl,
        Format::Sarif,
        Format::Junit,
        Format::Html,
        Format::Markdown,
        Format::Csv,
        Format::Principals,
        Format::PrincipalsJson,
    ];

    /// The name used by `--format` and `--output FORMAT=PATH`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Html => "html",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Principals => "principals",
            Format::PrincipalsJson => "principals-json",
        }
    }

    /// Is this the per-principal summary (which needs every event of the scan)?
    pub fn is_principals(self) -> bool {
        matches!(self, Format::Principals | Format::PrincipalsJson)
    }

    /// Does this format show each finding's event (so the scan must keep them)?
    pub fn shows_events(self) -> bool {
        self == Format::Html
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// What a format may use besides the result itself.
#[derive(Clone)]
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    /// Use ANSI colours (text format only).
    pub color: bool,
    /// The `--fail-on` threshold, so the text summary can say whether the gate failed.
    pub fail_on: Option<Severity>,
    /// The absolute directory that relative trail file names are relative to (the current
    /// directory of the scan).
    pub cwd: &'a Path,
    /// The absolute directory SARIF artifact URIs are relative to (`--sarif-root`).
    pub sarif_root: &'a Path,
    /// The inputs as given on the command line, for "what was scanned".
    pub inputs: &'a [String],
    /// The files of every report this run writes, so a report that leaves findings out (the
    /// Markdown summary) can say where they are.
    pub reports: &'a [(Format, String)],
    /// Which enrichment is on (`--accounts`, `--geoip`): formats with fixed columns (CSV) add
    /// theirs only then, so that without it every report is as before.
    pub enriched: Enriched,
    /// `--group-by`: how text, HTML and Markdown group findings (by event unless told
    /// otherwise); `None` (`--group-by none`) lists them one by one.
    pub group_by: Option<group::GroupBy>,
    /// The per-principal activity summary, when this run made one (`-o principals=FILE`, or
    /// HTML and Markdown reports with enrichment on): its own format, and a section of the HTML
    /// and Markdown reports.
    pub principals: Option<&'a principals::Principals>,
    /// The account names of `--accounts`, for accounts no finding names (the scanned accounts,
    /// those of resolved findings).
    pub accounts: Option<&'a crate::enrich::AccountNames>,
}

/// Which enrichment a run has on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Enriched {
    /// `--accounts`: account names.
    pub accounts: bool,
    /// `--geoip`: places of source addresses.
    pub geo: bool,
}

impl Enriched {
    pub fn any(self) -> bool {
        self.accounts || self.geo
    }
}

/// One output format.
pub trait Report {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// A format that can write each finding as the scan produces it (text, JSON Lines, CSV): its
/// findings come first, and what follows them (errors, the summary) needs only the counts. Such a
/// format's `render` is `begin`, `finding` for each finding, then `end`, so both ways give the
/// same bytes.
pub trait StreamingReport: Sync {
    fn begin(&self, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()>;
    fn finding(&self, finding: &Finding, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()>;
    /// A run of findings in report order. They come in parts cut at record boundaries, so a
    /// format may write the findings of one record together (text groups them by event).
    fn findings(
        &self,
        findings: &[Finding],
        cx: &Context<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        findings.iter().try_for_each(|f| self.finding(f, cx, out))
    }
    /// Everything after the findings; `result.findings` may be empty (they were streamed).
    fn end(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// Renders a finished result with a streaming format: the one definition of its bytes.
fn render_streaming(
    report: &dyn StreamingReport,
    result: &ScanResult,
    cx: &Context<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    report.begin(cx, out)?;
    report.findings(&result.findings, cx, out)?;
    report.end(result, cx, out)
}

/// The streaming form of `format`, if it has one. Reports compared with a baseline are not
/// streamed (findings are marked new or unchanged once the whole scan is known).
pub fn streaming(format: Format) -> Option<&'static dyn StreamingReport> {
    match format {
        Format::Text => Some(&text::Text),
        Format::Jsonl => Some(&jsonl::JsonLines),
        Format::Csv => Some(&csv::Csv),
        _ => None,
    }
}

/// Renders `result` in `format`. A format that cannot represent the result (SARIF over GitHub's
/// upload limits) returns an error before writing anything.
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
        Format::Sarif => &sarif::Sarif,
        Format::Junit => &junit::Junit,
        Format::Html => &html::Html,
        Format::Markdown => &markdown::Markdown,
        Format::Csv => &csv::Csv,
        Format::Principals | Format::PrincipalsJson => {
            let Some(summary) = cx.principals else {
                return Err(io::Error::other(
                    "no per-principal summary was made (it needs the events: `trailgate scan`)",
                ));
            };
            return if format == Format::Principals {
                principals::write_csv(&summary.rows, summary.overflow.as_ref(), out)
            } else {
                principals::write_json(&summary.rows, summary.overflow.as_ref(), out)
            };
        }
    };
    report.render(result, cx, out)
}

/// Why files were skipped, for summaries: `CloudTrail digests` or, with other reasons too,
/// `2 CloudTrail digests, 1 not a regular file`.
pub(crate) fn skipped_reasons(result: &ScanResult) -> String {
    use crate::source::SkipReason;
    let digests = result
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Digest)
        .count();
    let other = result.skipped.len() - digests;
    match (digests, other) {
        (_, 0) => "CloudTrail digests".to_string(),
        (0, _) => "not regular files".to_string(),
        _ => format!("{digests} CloudTrail digests, {other} not regular files"),
    }
}

/// Findings per severity, most serious first, for summaries.
pub fn counts_by_severity(result: &ScanResult) -> Vec<(Severity, usize)> {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| (*s, result.finding_count_of(*s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
        }
        assert_eq!(Format::from_name("xml"), None);
    }
}
