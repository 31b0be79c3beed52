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
use super::changes::{Changes, Resolved};
use super::escape::{markdown_code as code, markdown_text as text};
use super::group::{group, GroupBy};
use super::principals::Principals;
use super::{Context, Format, Report};
use crate::summary::principals::ValueCount;

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
    if audit.account_names.is_empty() {
        let _ = writeln!(md, "| Accounts | {} |", list(&stats.accounts));
    } else {
        // With --accounts: each id with its name.
        const SHOWN: usize = 20;
        let mut shown: Vec<String> = stats
            .accounts
            .iter()
            .take(SHOWN)
            .map(|id| account_cell(id, Some(&audit)))
            .collect();
        if stats.accounts.len() > SHOWN {
            shown.push(format!("and {} more", stats.accounts.len() - SHOWN));
        }
        let _ = writeln!(
            md,
            "| Accounts | {}: {} |",
            stats.accounts.len(),
            shown.join(", ")
        );
    }
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
    write_first_seen(&mut md, result);
    write_correlation_dropped(&mut md, result);

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
            let named = title == "Findings by account" && !audit.account_names.is_empty();
            write_groups(&mut md, title, groups, named.then_some(&audit));
        }
        write_days(&mut md, &audit);
    }

    // The change since the earlier report (--baseline), per control and per account.
    if let Some(baseline) = &result.baseline {
        write_changes(&mut md, result, baseline, cx, &audit);
    }

    // What each principal did (with -o principals, or enrichment on).
    if let Some(principals) = cx.principals {
        write_principals(&mut md, principals, cx);
    }

    // Findings, as many as fit: grouped (--group-by), or one row each.
    if let (Some(by), false) = (cx.group_by, result.findings.is_empty()) {
        write_grouped(&mut md, result, by, cx, &audit);
    } else if !result.findings.is_empty() {
        let geo = cx.enriched.geo;
        let _ = writeln!(
            md,
            "### Findings\n\n| Severity | Rule | Time | Account | Region | Principal |{} Message |\n|---|---|---|---|---|---|{}---|",
            if geo { " From |" } else { "" },
            if geo { "---|" } else { "" },
        );
        let mut shown = 0;
        for finding in &result.findings {
            let line = finding_row(finding, geo);
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

fn write_groups(md: &mut String, title: &str, groups: &[Group<'_>], names: Option<&Audit<'_>>) {
    let _ = writeln!(
        md,
        "### {title}\n\n| | Findings | critical | high | medium | low | info |\n|---|--:|--:|--:|--:|--:|--:|"
    );
    for group in groups.iter().take(GROUP_ROWS) {
        let name = group.name.map_or_else(
            || "*(not in the event)*".to_string(),
            |id| account_cell(id, names),
        );
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

/// Per correlation: matches of its rules it could not place in a window, by reason.
fn write_correlation_dropped(md: &mut String, result: &ScanResult) {
    if result.stats.correlation_dropped.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### Correlation matches left out\n\n\
         Matches a correlation could not count (a group-by field missing, no `eventTime`): \
         windows it would have raised may be missing.\n\n\
         | Correlation | Reason | Matches |\n|---|---|--:|"
    );
    for (id, reasons) in &result.stats.correlation_dropped {
        for (reason, n) in reasons {
            let _ = writeln!(md, "| {} | {} | {n} |", code(id), text(reason));
        }
    }
    md.push('\n');
}

/// Per first_seen rule: what the run saw, what was new, what it could not judge yet.
fn write_first_seen(md: &mut String, result: &ScanResult) {
    if result.stats.first_seen.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "### First seen\n\n\
         A first-seen rule reports a combination of values not seen within its history; \
         *learning* counts the new ones it could not judge yet, because the history (the state \
         store, or this run without one) does not cover a whole window before them.\n\n\
         | Rule | Combinations this run | New (findings) | Learning | Without every field or an eventTime |\n\
         |---|--:|--:|--:|--:|"
    );
    for (id, counts) in &result.stats.first_seen {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            code(id),
            counts.keys,
            counts.new,
            counts.learning,
            counts.no_key + counts.no_time
        );
    }
    md.push('\n');
}

fn finding_row(f: &Finding, geo: bool) -> String {
    let opt = |v: &Option<String>| v.as_deref().map_or_else(|| "—".to_string(), code);
    let time = f.time().map_or_else(|| "—".to_string(), text);
    let no_event = EventLocation::default();
    let e = f.event_location().unwrap_or(&no_event);
    let account = match (&e.account, f.account_name()) {
        (Some(id), Some(name)) => format!("{} {}", text(name), code(id)),
        _ => opt(&e.account),
    };
    let from = if geo {
        format!(" {} |", source_cell(f))
    } else {
        String::new()
    };
    format!(
        "| {} | {} | {time} | {account} | {} | {} |{from} {} |\n",
        f.severity,
        code(&f.rule_id),
        opt(&e.region),
        opt(&e.principal),
        text(&f.message)
    )
}

/// An account as a cell: `prod-payments `111122223333`` when named, else the id.
fn account_cell(id: &str, names: Option<&Audit<'_>>) -> String {
    match names.and_then(|a| a.account_names.get(id)) {
        Some(name) => format!("{} {}", text(name), code(id)),
        None => code(id),
    }
}

/// Where a finding's call came from: the address and its place (`--geoip`).
fn source_cell(f: &Finding) -> String {
    let ip = f.event_location().and_then(|e| e.source_ip.as_deref());
    match (ip, f.source_place()) {
        (Some(ip), Some(place)) => format!("{} {}", code(ip), text(&place.describe())),
        (Some(ip), None) => code(ip),
        _ => "—".to_string(),
    }
}

/// Findings listed in one group of the grouped table; the rest are counted.
const GROUP_FINDINGS: usize = 10;

/// The findings grouped (`--group-by`): one row per event, rule or principal, its findings
/// most serious first in one cell.
fn write_grouped(
    md: &mut String,
    result: &ScanResult,
    by: GroupBy,
    cx: &Context<'_>,
    audit: &Audit<'_>,
) {
    let groups = group(&result.findings, by);
    let (title, head) = match by {
        GroupBy::Event => ("Findings by event", "Event"),
        GroupBy::Rule => ("Findings grouped by rule", "Rule"),
        GroupBy::Principal => ("Findings grouped by principal", "Principal"),
    };
    let _ = writeln!(
        md,
        "### {title}\n\n{} from {}.\n\n| Severity | {head} | Time | Account | Findings |\n|---|---|---|---|---|",
        plural(groups.len(), "item", "items"),
        plural(result.findings.len(), "finding", "findings"),
    );
    let mut shown = 0;
    for g in &groups {
        let first = g.first();
        let e = first.event_location();
        let what = match (by, e) {
            (GroupBy::Event, Some(e)) => {
                let mut cell = code(e.event_name.as_deref().unwrap_or("(no eventName)"));
                if let Some(principal) = &e.principal {
                    let _ = write!(cell, " by {}", code(principal));
                }
                if let Some(place) = first.source_place() {
                    let ip = e.source_ip.as_deref().unwrap_or("");
                    let _ = write!(cell, " from {} {}", code(ip), text(&place.describe()));
                }
                cell
            }
            (GroupBy::Event, None) | (GroupBy::Rule, _) => {
                format!("{} {}", code(&first.rule_id), text(&first.title))
            }
            (GroupBy::Principal, _) => e
                .and_then(|e| e.principal.as_deref())
                .map_or_else(|| "*(no principal)*".to_string(), code),
        };
        let time = first.time().map_or_else(|| "—".to_string(), text);
        let mut accounts: Vec<&str> = Vec::new();
        for f in &g.findings {
            if let Some(a) = f.event_location().and_then(|e| e.account.as_deref()) {
                if !accounts.contains(&a) {
                    accounts.push(a);
                }
            }
        }
        let account = if accounts.is_empty() {
            "—".to_string()
        } else {
            accounts
                .iter()
                .take(3)
                .map(|a| account_cell(a, Some(audit)))
                .collect::<Vec<_>>()
                .join(", ")
                + &if accounts.len() > 3 {
                    format!(" and {} more", accounts.len() - 3)
                } else {
                    String::new()
                }
        };
        let mut items: Vec<String> = g
            .findings
            .iter()
            .take(GROUP_FINDINGS)
            .map(|f| {
                let head = match by {
                    GroupBy::Rule => f.time().map_or_else(|| "—".to_string(), text),
                    _ => format!("**{}** {}", f.severity, code(&f.rule_id)),
                };
                format!("{head}: {}", text(&f.message))
            })
            .collect();
        if g.findings.len() > GROUP_FINDINGS {
            items.push(format!("*and {} more*", g.findings.len() - GROUP_FINDINGS));
        }
        let line = format!(
            "| {} | {what} | {time} | {account} | {} |\n",
            g.severity,
            items.join("<br>")
        );
        if md.len() + line.len() + FOOTER_BYTES > MAX_MARKDOWN_BYTES {
            break;
        }
        md.push_str(&line);
        shown += 1;
    }
    md.push('\n');
    let left = groups.len() - shown;
    if left > 0 {
        let _ = writeln!(
            md,
            "**{} not listed** (this summary stays under {} bytes for GitHub): {}.\n",
            plural(left, "more item is", "more items are"),
            MAX_MARKDOWN_BYTES,
            elsewhere(cx)
        );
    }
}

/// New, still open and resolved findings against the baseline, per control and per account.
fn write_changes(
    md: &mut String,
    result: &ScanResult,
    baseline: &crate::finding::BaselineSummary,
    cx: &Context<'_>,
    audit: &Audit<'_>,
) {
    let resolved: Vec<Resolved<'_>> = baseline
        .gone
        .iter()
        .map(|g| Resolved {
            rule_id: &g.rule_id,
            account: g.account.as_deref(),
        })
        .collect();
    let changes = Changes::new(&result.findings, &resolved, cx.rules);
    let t = changes.total;
    let _ = writeln!(
        md,
        "### Change since the last audit\n\nAgainst {}: **{} new**, {} still open, {} resolved.\n",
        code(&baseline.file),
        t.new,
        t.still_open,
        t.resolved
    );
    if !changes.controls.is_empty() {
        let _ = writeln!(
            md,
            "| Control | New | Still open | Resolved |\n|---|--:|--:|--:|"
        );
        for (framework, control, c) in &changes.controls {
            let _ = writeln!(
                md,
                "| {} {} | {} | {} | {} |",
                code(framework),
                code(control),
                c.new,
                c.still_open,
                c.resolved
            );
        }
        md.push('\n');
    }
    if !changes.accounts.is_empty() {
        let _ = writeln!(
            md,
            "| Account | New | Still open | Resolved |\n|---|--:|--:|--:|"
        );
        for (account, c) in changes.accounts.iter().take(GROUP_ROWS * 2) {
            let name = account.map_or_else(
                || "*(not in the event)*".to_string(),
                |id| account_cell(id, Some(audit)),
            );
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} |",
                c.new, c.still_open, c.resolved
            );
        }
        if changes.accounts.len() > GROUP_ROWS * 2 {
            let _ = writeln!(
                md,
                "| *{} more accounts* | | | |",
                changes.accounts.len() - GROUP_ROWS * 2
            );
        }
        md.push('\n');
    }
}

/// Bytes the principals table leaves for the findings list after it.
const FINDINGS_RESERVE: usize = 20_000;

/// Principals listed in the Markdown summary (most events first).
const PRINCIPAL_ROWS: usize = 25;

/// The per-principal activity summary, the principals with most events first.
fn write_principals(md: &mut String, principals: &Principals, cx: &Context<'_>) {
    let total = principals.rows.len();
    let _ = writeln!(
        md,
        "### Principals\n\nEvery principal seen in the scan, with or without findings ({total}).\n\n\
         | Principal | Events | Failed | First seen | Last seen | Accounts | Source addresses | Top calls | Findings |\n\
         |---|--:|--:|---|---|---|---|---|---|"
    );
    let cell = |values: &[ValueCount], other: Option<&u64>, take: usize| -> String {
        let mut parts: Vec<String> = values
            .iter()
            .take(take)
            .map(|v| match &v.label {
                Some(label) => format!("{} {} ({})", code(&v.value), text(label), v.events),
                None => format!("{} ({})", code(&v.value), v.events),
            })
            .collect();
        let hidden: u64 =
            values.iter().skip(take).map(|v| v.events).sum::<u64>() + other.copied().unwrap_or(0);
        if hidden > 0 {
            parts.push(format!("+{hidden} other"));
        }
        if parts.is_empty() {
            "—".to_string()
        } else {
            parts.join("<br>")
        }
    };
    for row in principals
        .rows
        .iter()
        .take(PRINCIPAL_ROWS)
        .chain(principals.overflow.as_ref())
    {
        let findings: Vec<String> = ["critical", "high", "medium", "low", "info"]
            .iter()
            .filter_map(|s| Some((s, *row.findings.get(s)?)))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let line = format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.principal
                .as_deref()
                .map_or_else(|| "*(no principal)*".to_string(), code),
            row.events,
            row.failed,
            row.first_seen
                .as_deref()
                .map_or_else(|| "—".to_string(), text),
            row.last_seen
                .as_deref()
                .map_or_else(|| "—".to_string(), text),
            cell(&row.accounts, row.other_events.get("accounts"), 3),
            cell(
                &row.source_addresses,
                row.other_events.get("source_addresses"),
                3
            ),
            cell(&row.top_calls, row.other_events.get("calls"), 3),
            if findings.is_empty() {
                "—".to_string()
            } else {
                findings.join(", ")
            },
        );
        // Room is kept for the findings, which come after.
        if md.len() + line.len() + FINDINGS_RESERVE > MAX_MARKDOWN_BYTES {
            break;
        }
        md.push_str(&line);
    }
    md.push('\n');
    if total > PRINCIPAL_ROWS {
        let full = cx
            .reports
            .iter()
            .find(|(format, _)| format.is_principals())
            .map_or_else(
                || "write them all with `-o principals=principals.csv`".to_string(),
                |(_, path)| format!("all of them are in {}", code(path)),
            );
        let _ = writeln!(
            md,
            "{} more principals are not listed: {full}.\n",
            total - PRINCIPAL_ROWS
        );
    }
}
