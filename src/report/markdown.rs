//! `--format markdown`: the audit summary for a wiki page, a pull-request comment or a GitHub
//! Actions job summary (`$GITHUB_STEP_SUMMARY`), in GitHub Flavored Markdown.
//!
//! Size: GitHub takes at most 1 MiB per step summary and 65,536 characters per comment, so the
//! whole report is kept under `MAX_MARKDOWN_BYTES` (which fits both). The summary tables come
//! first and are always complete, except the account, region and principal tables (the
//! `GROUP_ROWS` with most findings) and the days (the `DAY_ROWS` latest days with findings); the
//! findings list comes last and stops before the limit, with a line saying how many findings are
//! left out and which report of the same run has them all.
//!
//! Every value from a trail goes through `escape::markdown_text` (prose) or
//! `escape::markdown_code` (identifiers), so it cannot become HTML, a link or a new table cell.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::finding::{EventLocation, Finding, ScanResult, SuppressionState};

use super::audit::{Audit, Group, Status};
use super::escape::{markdown_code as code, markdown_text as text};
use super::{Context, Format, Report};

pub(super) struct Markdown;

/// The largest report, in bytes: under GitHub's 65,536-character limit for comments (a byte
/// count is never below the character count), with room to spare for a heading of your own.
pub const MAX_MARKDOWN_BYTES: usize = 60_000;
/// Rows of the account, region and principal tables.
pub(super) const GROUP_ROWS: usize = 10;
/// Rows of the per-day table.
pub(super) const DAY_ROWS: usize = 31;
/// Room kept for the closing lines after the findings.
const FOOTER_BYTES: usize = 1_000;

impl Report for Markdown {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(result, cx).as_bytes())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn render(result: &ScanResult, cx: &Context<'_>) -> String {
    let audit = Audit::new(result, cx);
    let stats = &result.stats;
    let mut md = String::new();
    let _ = writeln!(md, "## trailgate audit report\n");

    let counts: Vec<String> = audit
        .by_severity
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let headline = if result.findings.is_empty() {
        "**No findings**".to_string()
    } else {
        format!(
            "**{}** ({})",
            plural(result.findings.len(), "finding", "findings"),
            counts.join(", ")
        )
    };
    let (passed, failed, unchecked) = audit.control_totals();
    let mut controls = String::new();
    if passed + failed + unchecked > 0 {
        controls =
            format!("; compliance controls: {passed} pass, {failed} fail, {unchecked} not checked");
    }
    let suppressed = match result.suppressed_findings.len() {
        0 => String::new(),
        n => format!(" and {n} suppressed"),
    };
    let _ = writeln!(
        md,
        "{headline}{suppressed} in {} from {}{controls}.\n",
        plural(stats.events, "event", "events"),
        plural(stats.files_read, "file", "files"),
    );
    if result.has_errors() {
        let _ = writeln!(
            md,
            "> [!WARNING]\n> The scan is incomplete: {} could not be read (listed at the end).\n",
            plural(result.errors.len(), "input", "inputs")
        );
    }

    // What was scanned.
    let _ = writeln!(md, "### What was scanned\n\n| | |\n|---|---|");
    if !cx.inputs.is_empty() {
        let inputs: Vec<String> = cx.inputs.iter().map(|i| code(i)).collect();
        let _ = writeln!(md, "| Inputs | {} |", inputs.join(" "));
    }
    let mut files = format!("{} read", stats.files_read);
    if !result.skipped.is_empty() {
        let _ = write!(
            files,
            ", {} skipped ({})",
            result.skipped.len(),
            super::skipped_reasons(result)
        );
    }
    if stats.files_unchanged > 0 {
        let _ = write!(
            files,
            ", {} unchanged since an earlier run (--state)",
            stats.files_unchanged
        );
    }
    if stats.ignored > 0 {
        let _ = write!(files, ", {} ignored (not trail file names)", stats.ignored);
    }
    if stats.files_failed > 0 {
        let _ = write!(files, ", {} unreadable", stats.files_failed);
    }
    let _ = writeln!(md, "| Files | {files} |");
    let mut events = if stats.events_read == stats.events {
        format!("{} evaluated", stats.events)
    } else {
        format!("{} read, {} evaluated", stats.events_read, stats.events)
    };
    if stats.out_of_scope + stats.undated > 0 {
        let _ = write!(
            events,
            ", {} outside the scope",
            stats.out_of_scope + stats.undated
        );
        if stats.undated > 0 {
            let _ = write!(events, " ({} without a usable eventTime)", stats.undated);
        }
    }
    if stats.records_failed > 0 {
        let _ = write!(events, ", {} unreadable records", stats.records_failed);
    }
    let _ = writeln!(md, "| Events | {events} |");
    let range = match (stats.first_event, stats.last_event) {
        (Some(first), Some(last)) => format!("{} to {}", first.to_rfc3339(), last.to_rfc3339()),
        _ => "no dated events".to_string(),
    };
    let _ = writeln!(md, "| Event times | {range} |");
    let _ = writeln!(md, "| Scope | {} |", text(&result.scope.describe()));
    let _ = writeln!(md, "| Accounts | {} |", list(&stats.accounts));
    let _ = writeln!(md, "| Regions | {} |", list(&stats.regions));
    let _ = writeln!(md, "| Rules | {} |", stats.rules);
    if let Some(baseline) = &result.baseline {
        let _ = writeln!(
            md,
            "| Baseline | {}: {} new, {} unchanged, {} gone |",
            code(&baseline.file),
            baseline.new,
            baseline.unchanged,
            baseline.gone.len()
        );
    }
    md.push('\n');

    // By severity.
    let _ = writeln!(
        md,
        "### Findings by severity\n\n| Severity | Findings |\n|---|--:|"
    );
    for (severity, n) in &audit.by_severity {
        let _ = writeln!(md, "| {severity} | {n} |");
    }
    md.push('\n');

    write_suppressions(&mut md, result);

    // Compliance.
    if !audit.frameworks.is_empty() {
        let _ = writeln!(
            md,
            "### Compliance\n\nA control passes when its rules checked events and found nothing; \
             it is *not checked* when the scan held no event its rules look at.\n\n\
             | Framework | Control | Events checked | Findings | Status |\n|---|---|--:|--:|---|"
        );
        for framework in &audit.frameworks {
            for control in &framework.controls {
                let status = match control.status {
                    Status::Pass => "✅ pass",
                    Status::Fail => "❌ fail",
                    Status::NotChecked => "➖ not checked",
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {status} |",
                    text(framework.name),
                    text(control.control),
                    control.events,
                    control.findings
                );
            }
        }
        md.push('\n');
    }

    // By rule.
    let _ = writeln!(
        md,
        "### Findings by rule\n\n| Rule | Severity | Events checked | Findings | Suppressed |\n|---|---|--:|--:|--:|"
    );
    for row in &audit.rules {
        let _ = writeln!(
            md,
            "| {} {} | {} | {} | {} | {} |",
            code(&row.rule.id),
            text(&row.rule.title),
            row.rule.severity,
            row.events,
            row.findings,
            row.suppressed
        );
    }
    md.push('\n');

    // Where.
    if !result.findings.is_empty() {
        for (title, groups) in [
            ("Findings by account", &audit.accounts),
            ("Findings by region", &audit.regions),
            ("Findings by principal", &audit.principals),
        ] {
            write_groups(&mut md, title, groups);
        }
        write_days(&mut md, &audit);
    }

    // Findings, as many as fit.
    if !result.findings.is_empty() {
        let _ = writeln!(
            md,
            "### Findings\n\n| Severity | Rule | Time | Account | Region | Principal | Message |\n|---|---|---|---|---|---|---|"
        );
        let mut shown = 0;
        for finding in &result.findings {
            let line = finding_row(finding);
            if md.len() + line.len() + FOOTER_BYTES > MAX_MARKDOWN_BYTES {
                break;
            }
            md.push_str(&line);
            shown += 1;
        }
        md.push('\n');
        let left = result.findings.len() - shown;
        if left > 0 {
            let _ = writeln!(
                md,
                "**{} not listed** (this summary stays under {} bytes for GitHub): {}.\n",
                plural(left, "more finding is", "more findings are"),
                MAX_MARKDOWN_BYTES,
                elsewhere(cx)
            );
        }
    }

    if result.has_errors() {
        let _ = writeln!(md, "### Unreadable inputs\n");
        let mut listed = 0;
        for error in &result.errors {
            let line = format!("- {}: {}\n", code(&error.location()), text(&error.message));
            if md.len() + line.len() + 200 > MAX_MARKDOWN_BYTES {
                break;
            }
            md.push_str(&line);
            listed += 1;
        }
        if listed < result.errors.len() {
            let _ = writeln!(
                md,
                "- and {} more: {}",
                result.errors.len() - listed,
                elsewhere(cx)
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "<sub>trailgate {}</sub>", env!("CARGO_PKG_VERSION"));
    md
}

/// Where the full lists are: the other reports of this run, or how to get one.
fn elsewhere(cx: &Context<'_>) -> String {
    let full: Vec<String> = cx
        .reports
        .iter()
        .filter(|(format, _)| {
            matches!(
                format,
                Format::Html | Format::Json | Format::Jsonl | Format::Csv | Format::Sarif
            )
        })
        .map(|(format, path)| format!("{} ({})", code(path), format.name()))
        .collect();
    if full.is_empty() {
        "add another report to the same run to list them all, e.g. `-o html=report.html` or `-o json=findings.json`".to_string()
    } else {
        format!("see {}", full.join(", "))
    }
}

fn list(items: &std::collections::BTreeSet<String>) -> String {
    const SHOWN: usize = 20;
    if items.is_empty() {
        return "none".to_string();
    }
    let mut shown: Vec<String> = items.iter().take(SHOWN).map(|i| code(i)).collect();
    if items.len() > SHOWN {
        shown.push(format!("and {} more", items.len() - SHOWN));
    }
    format!("{}: {}", items.len(), shown.join(" "))
}

fn write_groups(md: &mut String, title: &str, groups: &[Group<'_>]) {
    let _ = writeln!(
        md,
        "### {title}\n\n| | Findings | critical | high | medium | low | info |\n|---|--:|--:|--:|--:|--:|--:|"
    );
    for group in groups.iter().take(GROUP_ROWS) {
        let name = group
            .name
            .map_or_else(|| "*(not in the event)*".to_string(), code);
        let s = group.by_severity;
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} |",
            group.findings, s[0], s[1], s[2], s[3], s[4]
        );
    }
    if groups.len() > GROUP_ROWS {
        let rest: usize = groups[GROUP_ROWS..].iter().map(|g| g.findings).sum();
        let _ = writeln!(
            md,
            "| *{} more* | {rest} | | | | | |",
            groups.len() - GROUP_ROWS
        );
    }
    md.push('\n');
}

fn write_days(md: &mut String, audit: &Audit<'_>) {
    let days: Vec<_> = audit.days.iter().filter(|d| d.findings > 0).collect();
    if days.is_empty() && audit.undated_findings == 0 {
        return;
    }
    let most = days.iter().map(|d| d.findings).max().unwrap_or(1);
    let _ = writeln!(
        md,
        "### Findings per day (UTC)\n\n| Day | Findings | |\n|---|--:|---|"
    );
    let start = days.len().saturating_sub(DAY_ROWS);
    if start > 0 {
        let earlier: usize = days[..start].iter().map(|d| d.findings).sum();
        let _ = writeln!(md, "| *{start} earlier days* | {earlier} | |");
    }
    for day in &days[start..] {
        let bar = "█".repeat((day.findings * 20).div_ceil(most).max(1));
        let _ = writeln!(md, "| {} | {} | {bar} |", day.day.day(), day.findings);
    }
    if audit.undated_findings > 0 {
        let _ = writeln!(
            md,
            "| *no usable eventTime* | {} | |",
            audit.undated_findings
        );
    }
    md.push('\n');
}

/// The configuration file's suppressions, one row each: what each suppressed, or why nothing.
fn write_suppressions(md: &mut String, result: &ScanResult) {
    if result.suppressions.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Suppressions\n\nFindings suppressed in the configuration file are not counted above and do not fail the gate.\n\n\
         | Suppression | Rule | Reason | Expires | State | Findings suppressed |\n|---|---|---|---|---|--:|"
    );
    for s in &result.suppressions {
        let state = match s.state {
            SuppressionState::Applied => "applied".to_string(),
            SuppressionState::Unused => "⚠️ unused: matched no finding".to_string(),
            SuppressionState::Expired => format!(
                "⚠️ expired: {} it matched {} reported",
                plural(s.expired_matches, "finding", "findings"),
                if s.expired_matches == 1 { "is" } else { "are" }
            ),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {state} | {} |",
            code(&s.origin),
            code(&s.rule),
            text(&s.reason),
            s.expires.as_deref().map_or_else(|| "—".to_string(), text),
            s.suppressed
        );
    }
    md.push('\n');
}

fn finding_row(f: &Finding) -> String {
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "—".to_string(), code);
    let time = f.time().map_or_else(|| "—".to_string(), text);
    let no_event = EventLocation::default();
    let e = f.event_location().unwrap_or(&no_event);
    format!(
        "| {} | {} | {time} | {} | {} | {} | {} |\n",
        f.severity,
        code(&f.rule_id),
        opt(&e.account),
        opt(&e.region),
        opt(&e.principal),
        text(&f.message)
    )
}
