//! `--format html`: one self-contained page for the people an audit is handed to. Styles, the
//! script and the day chart (SVG) are inline; the page makes no network request, and its Content
//! Security Policy forbids any (`default-src 'none'`) and lets only its own script run
//! (`script-src 'sha256-...'`).
//!
//! The summary (what was scanned, severities, compliance controls, rules, accounts, regions,
//! principals, the timeline) is HTML written here, every trail value through `escape::html`.
//! The findings table is drawn by `html/report.js` from a JSON block (escaped by
//! `escape::json_in_html`), writing values with `textContent` only: it filters, sorts, pages,
//! and shows a finding's details and its event on demand. Events are kept by the scan only for
//! this format, within the caps of `finding::MAX_EVENT_BYTES` and `MAX_KEPT_EVENTS_BYTES`.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Value};

use crate::finding::{
    EventLocation, Finding, Location, ScanResult, SuppressionState, MAX_EVENT_BYTES,
    MAX_KEPT_EVENTS_BYTES,
};
use crate::rule::Severity;

use super::audit::{rank, Audit, Group, Status};
use super::changes::{Changes, Resolved};
use super::escape::{control, html as h, json_in_html};
use super::group::{group, GroupBy};
use super::principals::Principals;
use super::{Context, Report};
use crate::summary::principals::ValueCount;

pub(super) struct Html;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");
// `SCRIPT_SHA256`, computed by build.rs.
include!(concat!(env!("OUT_DIR"), "/script_hash.rs"));
/// Rows of the account, region and principal tables.
const GROUP_ROWS: usize = 100;
/// Findings in the findings table (the first ones, in report order): a page with more would be
/// too heavy for a browser. Every finding is still counted in the summary.
pub const MAX_HTML_FINDINGS: usize = 20_000;

impl Report for Html {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(result, cx).as_bytes())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#8e24aa",
        Severity::High => "#d1242f",
        Severity::Medium => "#bc4c00",
        Severity::Low => "#0969da",
        Severity::Info => "#6e7781",
    }
}

/// Severities in the order of `audit::rank` (most serious first).
const BY_RANK: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

fn render(result: &ScanResult, cx: &Context<'_>) -> String {
    let audit = Audit::new(result, cx);
    let stats = &result.stats;
    let script_hash = SCRIPT_SHA256;
    let mut page = String::with_capacity(64 * 1024);
    let title = if result.findings.is_empty() {
        "no findings".to_string()
    } else {
        plural(result.findings.len(), "finding", "findings")
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'sha256-{script_hash}'; img-src data:; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"generator\" content=\"trailgate {version}\">\n\
         <title>trailgate audit report: {title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        version = env!("CARGO_PKG_VERSION"),
    );

    // Header: the verdict in one line.
    let counts: Vec<String> = audit
        .by_severity
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let _ = write!(
        page,
        "<header>\n<h1>CloudTrail audit report</h1>\n<p class=\"lede\"><strong><span data-count=\"findings\">{}</span> {}</strong>{} in <span data-count=\"events\">{}</span> {} from {}.",
        result.findings.len(),
        if result.findings.len() == 1 { "finding" } else { "findings" },
        if counts.is_empty() { String::new() } else { format!(" ({})", counts.join(", ")) },
        stats.events,
        if stats.events == 1 { "event" } else { "events" },
        plural(stats.files_read, "file", "files"),
    );
    if !result.suppressed_findings.is_empty() {
        // Not among the findings counted: say there are some, and where they are listed.
        let _ = write!(
            page,
            " <a href=\"#suppressions\"><span data-count=\"suppressed_findings\">{}</span> suppressed</a>.",
            result.suppressed_findings.len()
        );
    }
    let (passed, failed, unchecked) = audit.control_totals();
    if passed + failed + unchecked > 0 {
        let _ = write!(
            page,
            " Compliance controls: <span data-count=\"controls_pass\">{passed}</span> pass, \
             <span data-count=\"controls_fail\">{failed}</span> fail, \
             <span data-count=\"controls_not_checked\">{unchecked}</span> not checked."
        );
    }
    page.push_str("</p>\n");
    if result.has_errors() {
        let _ = writeln!(
            page,
            "<p class=\"warn\">The scan is incomplete: {} could not be read (see <a href=\"#errors\">Unreadable inputs</a>).</p>",
            plural(result.errors.len(), "input", "inputs")
        );
    }
    let _ = write!(
        page,
        "<nav><a href=\"#scanned\">What was scanned</a><a href=\"#severity\">Severity</a>\
         <a href=\"#compliance\">Compliance</a><a href=\"#rules\">Rules</a>{}<a href=\"#where\">Accounts, regions, principals</a>{}{}\
         <a href=\"#timeline\">Timeline</a>{}<a href=\"#findings\">Findings</a></nav>\n</header>\n<main>\n",
        if result.suppressions.is_empty() {
            ""
        } else {
            "<a href=\"#suppressions\">Suppressions</a>"
        },
        if result.baseline.is_some() {
            "<a href=\"#changes\">Changes</a>"
        } else {
            ""
        },
        if cx.principals.is_some() {
            "<a href=\"#principals\">Principals</a>"
        } else {
            ""
        },
        if cx.group_by.is_some() {
            "<a href=\"#grouped\">Grouped</a>"
        } else {
            ""
        },
    );

    scanned(&mut page, result, cx, &audit);
    severity(&mut page, &audit);
    compliance(&mut page, &audit);
    rules(&mut page, &audit);
    suppressions(&mut page, result);
    first_seen(&mut page, result);
    correlation_dropped(&mut page, result);
    places(&mut page, &audit, result);
    if let Some(baseline) = &result.baseline {
        changes(&mut page, result, baseline, cx, &audit);
    }
    if let Some(principals) = cx.principals {
        principals_section(&mut page, principals, cx);
    }
    timeline(&mut page, &audit);
    if let Some(by) = cx.group_by {
        grouped(&mut page, result, by, &audit);
    }
    findings(&mut page, result);
    errors(&mut page, result);

    let _ = write!(
        page,
        "</main>\n<footer>trailgate {} · scope: {} · findings are listed by file, record and rule; \
         the same scan's JSON report has the same numbers.</footer>\n",
        env!("CARGO_PKG_VERSION"),
        h(&result.scope.describe())
    );
    // Findings of one event share it: each event is written once, findings point at it.
    let mut events: Vec<&str> = Vec::new();
    let mut last: Option<&std::sync::Arc<str>> = None;
    let mut findings_data = Vec::new();
    for f in result.findings.iter().take(MAX_HTML_FINDINGS) {
        let event = match &f.event {
            Some(event) if last.is_some_and(|l| std::sync::Arc::ptr_eq(l, event)) => {
                Some(events.len() - 1)
            }
            Some(event) => {
                events.push(event);
                last = Some(event);
                Some(events.len() - 1)
            }
            None => None,
        };
        findings_data.push(finding(f, cx, event));
    }
    let data = json!({
        "findings": findings_data,
        "events": events,
        "max_event_kib": MAX_EVENT_BYTES / 1024,
        "max_events_mib": MAX_KEPT_EVENTS_BYTES / (1024 * 1024),
    });
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"trailgate-data\">{}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        json_in_html(&data.to_string())
    );
    page
}

fn fact(page: &mut String, label: &str, key: &str, value: usize, note: &str) {
    let _ = write!(
        page,
        "<div><dt>{label}</dt><dd><span data-count=\"{key}\">{value}</span>{}</dd></div>",
        if note.is_empty() {
            String::new()
        } else {
            format!(" <small>{note}</small>")
        }
    );
}

fn chips(page: &mut String, items: impl Iterator<Item = String>) {
    page.push_str("<div class=\"chips\">");
    for item in items {
        let _ = write!(page, "<code>{}</code>", h(&item));
    }
    page.push_str("</div>");
}

fn scanned(page: &mut String, result: &ScanResult, cx: &Context<'_>, audit: &Audit<'_>) {
    let stats = &result.stats;
    page.push_str("<section id=\"scanned\">\n<h2>What was scanned</h2>\n<dl class=\"facts\">");
    fact(page, "Files read", "files_read", stats.files_read, "");
    fact(
        page,
        "Files skipped",
        "files_skipped",
        result.skipped.len(),
        &super::skipped_reasons(result),
    );
    if stats.files_unchanged > 0 {
        fact(
            page,
            "Files unchanged",
            "files_unchanged",
            stats.files_unchanged,
            "scanned by an earlier run (--state): not read",
        );
    }
    if stats.ignored > 0 {
        fact(
            page,
            "Files ignored",
            "files_ignored",
            stats.ignored,
            "not trail file names",
        );
    }
    fact(page, "Unreadable inputs", "errors", result.errors.len(), "");
    fact(
        page,
        "Unreadable records",
        "records_failed",
        stats.records_failed,
        "in files otherwise read",
    );
    fact(page, "Events read", "events_read", stats.events_read, "");
    fact(page, "Events evaluated", "events", stats.events, "");
    fact(
        page,
        "Events outside the scope",
        "out_of_scope",
        stats.out_of_scope + stats.undated,
        &if stats.undated > 0 {
            format!("{} without a usable eventTime", stats.undated)
        } else {
            String::new()
        },
    );
    fact(page, "Rules", "rules", stats.rules, "");
    let suppressed: usize = stats.suppressed.values().sum();
    fact(
        page,
        "Suppressed matches",
        "suppressed",
        suppressed,
        "rule exceptions",
    );
    let range = match (stats.first_event, stats.last_event) {
        (Some(first), Some(last)) => {
            format!("{}<br>to {}", first.to_rfc3339(), last.to_rfc3339())
        }
        _ => "no dated events".to_string(),
    };
    let _ = write!(
        page,
        "<div><dt>Event times (UTC)</dt><dd id=\"event-range\">{range}</dd></div>\
         <div><dt>Scope</dt><dd id=\"scope\">{}</dd></div>",
        h(&result.scope.describe())
    );
    fact(page, "Accounts", "accounts", stats.accounts.len(), "");
    fact(page, "Regions", "regions", stats.regions.len(), "");
    if let Some(baseline) = &result.baseline {
        let _ = write!(
            page,
            "<div><dt>Baseline</dt><dd><code>{}</code> <small>{} new, {} unchanged, {} gone</small></dd></div>",
            h(&baseline.file),
            baseline.new,
            baseline.unchanged,
            baseline.gone.len()
        );
    }
    page.push_str("</dl>\n");
    if !cx.inputs.is_empty() {
        page.push_str("<details class=\"list\" open><summary>Inputs</summary>");
        chips(page, cx.inputs.iter().cloned());
        page.push_str("</details>\n");
    }
    for (name, items) in [("Accounts", &stats.accounts), ("Regions", &stats.regions)] {
        if items.is_empty() {
            continue;
        }
        let _ = write!(
            page,
            "<details class=\"list\"{}><summary>{name} ({})</summary>",
            if items.len() <= 12 { " open" } else { "" },
            items.len()
        );
        // With --accounts: `111122223333 prod-payments`.
        let named = |id: &String| match audit.account_names.get(id.as_str()) {
            Some(account) if name == "Accounts" => format!("{id} {account}"),
            _ => id.clone(),
        };
        chips(page, items.iter().map(named));
        page.push_str("</details>\n");
    }
    let _ = write!(
        page,
        "<details class=\"list\"><summary>Rules ({})</summary>",
        cx.rules.rules().len()
    );
    chips(page, cx.rules.rules().iter().map(|r| r.id.clone()));
    page.push_str("</details>\n</section>\n");
}

fn severity(page: &mut String, audit: &Audit<'_>) {
    page.push_str(
        "<section id=\"severity\">\n<h2>Findings by severity</h2>\n<div class=\"cards\">",
    );
    for (severity, n) in &audit.by_severity {
        let _ = write!(
            page,
            "<div class=\"card {severity}\"><span class=\"n\" data-severity=\"{severity}\">{n}</span>{severity}</div>"
        );
    }
    page.push_str("</div>\n</section>\n");
}

fn compliance(page: &mut String, audit: &Audit<'_>) {
    page.push_str("<section id=\"compliance\">\n<h2>Compliance by control</h2>\n");
    if audit.frameworks.is_empty() {
        page.push_str("<p class=\"muted\">None of the loaded rules is mapped to a compliance control.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<p class=\"muted\">A control <strong>fails</strong> when one of its rules found something, \
         <strong>passes</strong> when its rules checked events and found nothing, and is \
         <strong>not checked</strong> when the scan held no event its rules look at. \
         Events checked counts each event once per control.</p>\n",
    );
    for framework in &audit.frameworks {
        let _ = write!(
            page,
            "<h3>{}</h3>\n<table class=\"data controls\"><colgroup><col class=\"c1\"><col class=\"c2\"><col class=\"c3\"><col class=\"c4\"><col class=\"c5\"></colgroup><thead><tr><th>Control</th><th>Rules</th>\
             <th class=\"num\">Events checked</th><th class=\"num\">Findings</th><th>Status</th></tr></thead><tbody>\n",
            h(framework.name)
        );
        for control in &framework.controls {
            let status_class = match control.status {
                Status::Pass => "pass",
                Status::Fail => "fail",
                Status::NotChecked => "not-checked",
            };
            let rules: Vec<String> = control
                .rules
                .iter()
                .map(|r| format!("<code>{}</code>", h(r)))
                .collect();
            let _ = writeln!(
                page,
                "<tr data-framework=\"{f}\" data-control=\"{c}\"><td><strong>{c}</strong></td><td>{}</td>\
                 <td class=\"num\" data-col=\"events\">{}</td><td class=\"num\" data-col=\"findings\">{}</td>\
                 <td class=\"status {status_class}\" data-col=\"status\">{}</td></tr>",
                rules.join("<br>"),
                control.events,
                control.findings,
                control.status.as_str(),
                f = h(framework.name),
                c = h(control.control),
            );
        }
        page.push_str("</tbody></table>\n");
    }
    page.push_str("</section>\n");
}

fn rules(page: &mut String, audit: &Audit<'_>) {
    page.push_str(
        "<section id=\"rules\">\n<h2>Findings by rule</h2>\n<table class=\"data rules\"><thead><tr>\
         <th>Rule</th><th>Severity</th><th class=\"num\">Events checked</th><th class=\"num\">Findings</th><th></th>\
         <th class=\"num\">Suppressed</th><th>Compliance</th></tr></thead><tbody>\n",
    );
    let most = audit
        .rules
        .iter()
        .map(|r| r.findings)
        .max()
        .unwrap_or(0)
        .max(1);
    for row in &audit.rules {
        let compliance: Vec<String> = row
            .rule
            .compliance
            .iter()
            .flat_map(|(f, ids)| ids.iter().map(move |id| format!("{}&nbsp;{}", h(f), h(id))))
            .collect();
        let width = row.findings * 120 / most;
        let _ = writeln!(
            page,
            "<tr data-rule=\"{id}\"><td><code>{id}</code><br><span class=\"muted\">{title}</span></td>\
             <td><span class=\"sev {sev}\">{sev}</span></td><td class=\"num\" data-col=\"events\">{}</td>\
             <td class=\"num\" data-col=\"findings\">{}</td><td class=\"bars\"><span class=\"bar\" style=\"width:{width}px;background:{color}\"></span></td>\
             <td class=\"num\" data-col=\"suppressed\">{}</td><td class=\"muted small\">{}</td></tr>",
            row.events,
            row.findings,
            row.suppressed,
            compliance.join(", "),
            id = h(&row.rule.id),
            title = h(&row.rule.title),
            sev = row.rule.severity,
            color = severity_color(row.rule.severity),
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// The configuration file's suppressions, one row each: what each suppressed, or why nothing.
fn suppressions(page: &mut String, result: &ScanResult) {
    if result.suppressions.is_empty() {
        return;
    }
    page.push_str(
        "<section id=\"suppressions\">\n<h2>Suppressions</h2>\n<p class=\"muted\">Findings suppressed in the \
         configuration file are not counted above and do not fail the gate.</p>\n<table class=\"data\"><thead><tr>\
         <th>Suppression</th><th>Rule</th><th>Reason</th><th>Expires</th><th>State</th>\
         <th class=\"num\">Findings suppressed</th></tr></thead><tbody>\n",
    );
    for s in &result.suppressions {
        let state = match s.state {
            SuppressionState::Applied => "applied".to_string(),
            SuppressionState::Unused => {
                "<span class=\"sev medium\">unused</span> matched no finding".to_string()
            }
            SuppressionState::Expired => format!(
                "<span class=\"sev high\">expired</span> {} it matched {} reported",
                plural(s.expired_matches, "finding", "findings"),
                if s.expired_matches == 1 { "is" } else { "are" }
            ),
        };
        let _ = writeln!(
            page,
            "<tr data-suppression=\"{origin}\" data-state=\"{}\"><td><code>{origin}</code></td><td><code>{}</code></td>\
             <td>{}</td><td>{}</td><td>{state}</td><td class=\"num\" data-col=\"suppressed\">{}</td></tr>",
            s.state.as_str(),
            h(&s.rule),
            h(&s.reason),
            s.expires.as_deref().map_or_else(|| "none".to_string(), h),
            s.suppressed,
            origin = h(&s.origin),
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// Per correlation: matches of its rules it could not place in a window, by reason.
fn correlation_dropped(page: &mut String, result: &ScanResult) {
    if result.stats.correlation_dropped.is_empty() {
        return;
    }
    page.push_str(
        "<section id=\"correlation-dropped\">\n<h2>Correlation matches left out</h2>\n<p class=\"muted\">\
         Matches a correlation could not count (a group-by field missing, no <code>eventTime</code>): \
         windows it would have raised may be missing.</p>\n<table class=\"data\"><thead><tr>\
         <th>Correlation</th><th>Reason</th><th class=\"num\">Matches</th></tr></thead><tbody>\n",
    );
    for (id, reasons) in &result.stats.correlation_dropped {
        for (reason, n) in reasons {
            let _ = writeln!(
                page,
                "<tr data-correlation-dropped=\"{id}\"><td><code>{id}</code></td><td>{}</td>\
                 <td class=\"num\">{n}</td></tr>",
                h(reason),
                id = h(id),
            );
        }
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// Per first_seen rule: what the run saw, what was new, what it could not judge yet.
fn first_seen(page: &mut String, result: &ScanResult) {
    if result.stats.first_seen.is_empty() {
        return;
    }
    page.push_str(
        "<section id=\"first-seen\">\n<h2>First seen</h2>\n<p class=\"muted\">A first-seen rule reports a \
         combination of values not seen within its history; <em>learning</em> counts the new ones it could \
         not judge yet, because the history (the state store, or this run without one) does not cover a \
         whole window before them.</p>\n<table class=\"data\"><thead><tr><th>Rule</th>\
         <th class=\"num\">Combinations this run</th><th class=\"num\">New (findings)</th>\
         <th class=\"num\">Learning</th><th class=\"num\">Without every field or an eventTime</th>\
         </tr></thead><tbody>\n",
    );
    for (id, counts) in &result.stats.first_seen {
        let _ = writeln!(
            page,
            "<tr data-first-seen=\"{id}\"><td><code>{id}</code></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            counts.keys,
            counts.new,
            counts.learning,
            counts.no_key + counts.no_time,
            id = h(id),
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

fn places(page: &mut String, audit: &Audit<'_>, result: &ScanResult) {
    page.push_str("<section id=\"where\">\n<h2>Findings by account, region and principal</h2>\n");
    if result.findings.is_empty() {
        page.push_str("<p class=\"muted\">No findings.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"where\">\n");
    for (title, key, groups) in [
        ("Account", "account", &audit.accounts),
        ("Region", "region", &audit.regions),
        ("Principal", "principal", &audit.principals),
    ] {
        let names = (key == "account").then_some(audit);
        group_table(page, title, key, groups, names);
    }
    page.push_str("</div>\n</section>\n");
}

fn group_table(
    page: &mut String,
    title: &str,
    key: &str,
    groups: &[Group<'_>],
    names: Option<&Audit<'_>>,
) {
    let _ = write!(
        page,
        "<div{}><h3>{title} <small class=\"muted\">({})</small></h3><div class=\"scroll\"><table class=\"data\" data-group=\"{key}\">\
         <thead><tr><th>{title}</th><th class=\"num\">Findings</th><th>By severity</th></tr></thead><tbody>",
        if key == "principal" { " class=\"wide\"" } else { "" },
        groups.len()
    );
    for group in groups.iter().take(GROUP_ROWS) {
        let name = match group.name {
            Some(name) => account_html(name, names),
            None => "<em class=\"muted\">(not in the event)</em>".to_string(),
        };
        let mut badges = String::new();
        for (r, severity) in BY_RANK.iter().enumerate() {
            if group.by_severity[r] > 0 {
                let _ = write!(
                    badges,
                    "<span class=\"mini {severity}\" title=\"{severity}\">{} {severity}</span>",
                    group.by_severity[r]
                );
            }
        }
        let _ = writeln!(
            page,
            "<tr data-name=\"{}\"><td class=\"wrap\">{name}</td><td class=\"num\" data-col=\"findings\">{}</td><td class=\"badges\">{badges}</td></tr>",
            h(group.name.unwrap_or("")),
            group.findings,
        );
    }
    if groups.len() > GROUP_ROWS {
        let rest: usize = groups[GROUP_ROWS..].iter().map(|g| g.findings).sum();
        let _ = writeln!(
            page,
            "<tr><td><em>{} more (filter the findings table)</em></td><td class=\"num\">{rest}</td><td></td></tr>",
            groups.len() - GROUP_ROWS
        );
    }
    page.push_str("</tbody></table></div></div>\n");
}

/// An SVG bar chart of findings per UTC day, stacked by severity.
fn timeline(page: &mut String, audit: &Audit<'_>) {
    page.push_str("<section id=\"timeline\">\n<h2>Findings per day (UTC)</h2>\n");
    if audit.days.is_empty() {
        page.push_str("<p class=\"muted\">No dated events or findings.</p>\n");
    } else {
        let (width, height) = (960.0_f64, 220.0_f64);
        let (left, right, top, bottom) = (40.0, 10.0, 10.0, 30.0);
        let plot_w = width - left - right;
        let plot_h = height - top - bottom;
        let most = audit
            .days
            .iter()
            .map(|d| d.findings)
            .max()
            .unwrap_or(0)
            .max(1);
        let slot = plot_w / audit.days.len() as f64;
        let bar = (slot * 0.8).max(1.0);
        let _ = writeln!(
            page,
            "<svg class=\"timeline\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Findings per day\" xmlns=\"http://www.w3.org/2000/svg\">"
        );
        for i in 0..=4 {
            let y = top + plot_h - plot_h * f64::from(i) / 4.0;
            let value = most as f64 * f64::from(i) / 4.0;
            let _ = writeln!(
                page,
                "<line class=\"axis\" x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                width - right,
                left - 6.0,
                y + 4.0,
                if value.fract() == 0.0 || i == 4 {
                    format!("{value:.0}")
                } else {
                    String::new()
                }
            );
        }
        let labels = 8.min(audit.days.len());
        let every = audit.days.len().div_ceil(labels.max(1)).max(1);
        for (i, day) in audit.days.iter().enumerate() {
            let x = left + slot * i as f64 + (slot - bar) / 2.0;
            let label = day.day.day();
            let mut parts = Vec::new();
            for (r, severity) in BY_RANK.iter().enumerate() {
                if day.by_severity[r] > 0 {
                    parts.push(format!("{} {severity}", day.by_severity[r]));
                }
            }
            let _ = write!(
                page,
                "<g data-day=\"{label}\" data-findings=\"{}\"><title>{label}: {}{}</title>",
                day.findings,
                plural(day.findings, "finding", "findings"),
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", parts.join(", "))
                }
            );
            let mut y = top + plot_h;
            // Least serious at the bottom, most serious on top.
            for (r, severity) in BY_RANK.iter().enumerate().rev() {
                let n = day.by_severity[r];
                if n == 0 {
                    continue;
                }
                let h = plot_h * n as f64 / most as f64;
                y -= h;
                let _ = write!(
                    page,
                    "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{bar:.2}\" height=\"{h:.2}\" fill=\"{}\"/>",
                    severity_color(*severity)
                );
            }
            if day.findings == 0 {
                // A sliver on the axis: the day was scanned and was clean.
                let _ = write!(
                    page,
                    "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{bar:.2}\" height=\"1\" fill=\"#d1d9e0\"/>",
                    top + plot_h - 1.0
                );
            }
            page.push_str("</g>\n");
            if i % every == 0
                || i + 1 == audit.days.len() && audit.days.len() > 1 && i % every > every / 2
            {
                let _ = writeln!(
                    page,
                    "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
                    x + bar / 2.0,
                    height - 10.0
                );
            }
        }
        page.push_str("</svg>\n<p class=\"legend\">");
        for severity in BY_RANK {
            let _ = write!(
                page,
                "<span><i style=\"background:{}\"></i>{severity}</span>",
                severity_color(severity)
            );
        }
        page.push_str("<span class=\"muted\">Grey: days scanned without findings.</span></p>\n");
    }
    if audit.undated_findings > 0 {
        let _ = writeln!(
            page,
            "<p class=\"muted\">{} without a usable eventTime {} not in the chart.</p>",
            plural(audit.undated_findings, "finding", "findings"),
            if audit.undated_findings == 1 {
                "is"
            } else {
                "are"
            }
        );
    }
    page.push_str("</section>\n");
}

fn findings(page: &mut String, result: &ScanResult) {
    page.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if result.findings.is_empty() {
        page.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    let total = result.findings.len().min(MAX_HTML_FINDINGS);
    if result.findings.len() > MAX_HTML_FINDINGS {
        let _ = writeln!(
            page,
            "<p class=\"warn\" id=\"findings-cut\">The table holds the first {MAX_HTML_FINDINGS} of {} findings, in report order; \
             the summary above counts them all, and the JSON and CSV reports list them all.</p>",
            result.findings.len()
        );
    }
    let _ = write!(
        page,
        "<noscript><p>The findings table needs JavaScript; the JSON and CSV reports list the same findings.</p></noscript>\n\
         <div id=\"findings-ui\" hidden>\n<div class=\"filters\">\
         <input type=\"search\" id=\"filter-text\" placeholder=\"Filter: text in any field\" aria-label=\"Filter findings by text\">\
         <select id=\"filter-severity\" aria-label=\"Severity\"></select><select id=\"filter-rule\" aria-label=\"Rule\"></select>\
         <select id=\"filter-account\" aria-label=\"Account\"></select><select id=\"filter-region\" aria-label=\"Region\"></select>\
         <select id=\"filter-principal\" aria-label=\"Principal\"></select>\
         <button type=\"button\" id=\"filter-reset\">Reset</button></div>\n\
         <p class=\"muted\"><span data-count=\"shown\" id=\"shown-count\">{total}</span> of {total} findings match; \
         <span id=\"listed-count\">0</span> listed. Click a column to sort, a row for its details and event.</p>\n\
         <table class=\"data findings\" id=\"findings-table\"><thead><tr>\
         <th data-key=\"severity\">Severity</th><th data-key=\"event_time\">Time</th><th data-key=\"rule_id\">Rule</th>\
         <th data-key=\"account\">Account</th><th data-key=\"region\">Region</th><th data-key=\"principal\">Principal</th>\
         <th data-key=\"event_name\">Event</th><th data-key=\"message\">Message</th></tr></thead><tbody></tbody></table>\n\
         <button type=\"button\" class=\"more\" id=\"more\" hidden>Show more</button>\n</div>\n</section>\n"
    );
}

/// An account id as HTML, with its name when `--accounts` gave one.
fn account_html(id: &str, names: Option<&Audit<'_>>) -> String {
    match names.and_then(|a| a.account_names.get(id)) {
        Some(name) => format!("{} <code>{}</code>", h(name), h(id)),
        None => format!("<code>{}</code>", h(id)),
    }
}

/// A severity badge.
fn badge(severity: Severity) -> String {
    format!("<span class=\"mini {severity}\">{severity}</span>")
}

/// New, still open and resolved findings against the baseline, per control and per account.
fn changes(
    page: &mut String,
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
        page,
        "<section id=\"changes\">\n<h2>Change since the last audit</h2>\n<p>Against <code>{}</code>: \
         <strong><span data-count=\"changes_new\">{}</span> new</strong>, \
         <span data-count=\"changes_still_open\">{}</span> still open, \
         <span data-count=\"changes_resolved\">{}</span> resolved.</p>\n<div class=\"where\">",
        h(&baseline.file),
        t.new,
        t.still_open,
        t.resolved
    );
    let head = "<th class=\"num\">New</th><th class=\"num\">Still open</th><th class=\"num\">Resolved</th>";
    let _ = write!(
        page,
        "<div><h3>Per control</h3><div class=\"scroll\"><table class=\"data\" data-table=\"changes-control\"><thead><tr><th>Control</th>{head}</tr></thead><tbody>"
    );
    for (framework, control, c) in &changes.controls {
        let _ = writeln!(
            page,
            "<tr data-name=\"{} {}\"><td class=\"wrap\"><code>{}</code> {}</td><td class=\"num\" data-col=\"new\">{}</td><td class=\"num\" data-col=\"still_open\">{}</td><td class=\"num\" data-col=\"resolved\">{}</td></tr>",
            h(framework),
            h(control),
            h(control),
            h(framework),
            c.new,
            c.still_open,
            c.resolved
        );
    }
    page.push_str("</tbody></table></div></div>\n");
    let _ = write!(
        page,
        "<div><h3>Per account</h3><div class=\"scroll\"><table class=\"data\" data-table=\"changes-account\"><thead><tr><th>Account</th>{head}</tr></thead><tbody>"
    );
    for (account, c) in &changes.accounts {
        let name = account.map_or_else(
            || "<em class=\"muted\">(not in the event)</em>".to_string(),
            |id| account_html(id, Some(audit)),
        );
        let _ = writeln!(
            page,
            "<tr data-name=\"{}\"><td class=\"wrap\">{name}</td><td class=\"num\" data-col=\"new\">{}</td><td class=\"num\" data-col=\"still_open\">{}</td><td class=\"num\" data-col=\"resolved\">{}</td></tr>",
            h(account.unwrap_or("")),
            c.new,
            c.still_open,
            c.resolved
        );
    }
    page.push_str("</tbody></table></div></div>\n</div>\n</section>\n");
}

/// Principals listed in the HTML report; the principals report lists them all.
const HTML_PRINCIPALS: usize = 200;

/// What each principal did: every principal seen, with or without findings.
fn principals_section(page: &mut String, principals: &Principals, cx: &Context<'_>) {
    let total = principals.rows.len();
    let _ = writeln!(
        page,
        "<section id=\"principals\">\n<h2>Principals</h2>\n<p class=\"muted\">Every principal seen in the scan, \
         with or without findings: <span data-count=\"principals\">{total}</span>, most events first. Each list keeps \
         its first {} distinct values (calls: {}, the {} most frequent shown), each with its events; \
         the events of other values are counted.</p>",
        principals.limits.values,
        principals.limits.calls,
        crate::summary::principals::TOP_CALLS,
    );
    if total > HTML_PRINCIPALS {
        let full = cx
            .reports
            .iter()
            .find(|(format, _)| format.is_principals())
            .map_or_else(
                || "write them all with <code>-o principals=principals.csv</code>".to_string(),
                |(_, path)| format!("all of them are in <code>{}</code>", h(path)),
            );
        let _ = writeln!(
            page,
            "<p class=\"warn\">The first {HTML_PRINCIPALS} of {total} principals are listed; {full}.</p>"
        );
    }
    page.push_str(
        "<div class=\"scroll\"><table class=\"data\" data-table=\"principals\"><thead><tr><th>Principal</th>\
         <th class=\"num\">Events</th><th class=\"num\">Failed</th><th>First seen</th><th>Last seen</th><th>Accounts</th>\
         <th>Source addresses</th><th>Access keys</th><th>User agents</th><th>Top calls</th><th>Findings</th></tr></thead><tbody>\n",
    );
    let list = |values: &[ValueCount], other: u64| -> String {
        let mut parts: Vec<String> = values
            .iter()
            .map(|v| match &v.label {
                Some(label) => format!(
                    "<code>{}</code> {} <span class=\"muted\">({})</span>",
                    h(&v.value),
                    h(label),
                    v.events
                ),
                None => format!(
                    "<code>{}</code> <span class=\"muted\">({})</span>",
                    h(&v.value),
                    v.events
                ),
            })
            .collect();
        if other > 0 {
            parts.push(format!(
                "<em class=\"muted\">+{other} events with other values</em>"
            ));
        }
        parts.join("<br>")
    };
    for row in principals
        .rows
        .iter()
        .take(HTML_PRINCIPALS)
        .chain(principals.overflow.as_ref())
    {
        let other = |name: &str| row.other_events.get(name).copied().unwrap_or(0);
        let mut keys = list(&row.long_term_access_keys, other("long_term_access_keys"));
        let temporary = list(&row.temporary_access_keys, other("temporary_access_keys"));
        if !temporary.is_empty() {
            if !keys.is_empty() {
                keys.push_str("<br>");
            }
            let _ = write!(
                keys,
                "<span class=\"muted\">temporary (STS):</span><br>{temporary}"
            );
        }
        let mut findings = String::new();
        for severity in BY_RANK {
            let n = row.findings.get(severity.as_str()).copied().unwrap_or(0);
            if n > 0 {
                let _ = write!(
                    findings,
                    "<span class=\"mini {severity}\" title=\"{severity}\">{n} {severity}</span>"
                );
            }
        }
        let principal = row.principal.as_deref().unwrap_or("");
        let _ = writeln!(
            page,
            "<tr data-name=\"{}\"><td class=\"wrap\">{}</td><td class=\"num\" data-col=\"events\">{}</td>\
             <td class=\"num\" data-col=\"failed\">{}</td><td>{}</td><td>{}</td><td class=\"wrap\">{}</td>\
             <td class=\"wrap\">{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td><td class=\"wrap\">{}</td>\
             <td class=\"badges\">{findings}</td></tr>",
            h(principal),
            if principal.is_empty() {
                "<em class=\"muted\">(no principal)</em>".to_string()
            } else {
                format!("<code>{}</code>", h(principal))
            },
            row.events,
            row.failed,
            h(row.first_seen.as_deref().unwrap_or("—")),
            h(row.last_seen.as_deref().unwrap_or("—")),
            list(&row.accounts, other("accounts")),
            list(&row.source_addresses, other("source_addresses")),
            keys,
            list(&row.user_agents, other("user_agents")),
            list(&row.top_calls, other("calls")),
        );
    }
    page.push_str("</tbody></table></div>\n</section>\n");
}

/// Groups listed in the grouped table; the interactive table below has every finding.
const HTML_GROUPS: usize = 1_000;

/// The findings grouped (`--group-by`): one row per event, rule or principal, with its findings
/// most serious first.
fn grouped(page: &mut String, result: &ScanResult, by: GroupBy, audit: &Audit<'_>) {
    let groups = group(&result.findings, by);
    let title = match by {
        GroupBy::Event => "Findings by event",
        GroupBy::Rule => "Findings grouped by rule",
        GroupBy::Principal => "Findings grouped by principal",
    };
    let _ = writeln!(
        page,
        "<section id=\"grouped\">\n<h2>{title}</h2>\n<p class=\"muted\"><span data-count=\"groups\">{}</span> items from {} \
         (most serious first within each).</p>",
        groups.len(),
        plural(result.findings.len(), "finding", "findings")
    );
    if groups.len() > HTML_GROUPS {
        let _ = writeln!(
            page,
            "<p class=\"warn\">The first {HTML_GROUPS} of {} items are listed; the findings table below holds every finding.</p>",
            groups.len()
        );
    }
    let head = match by {
        GroupBy::Event => "Event",
        GroupBy::Rule => "Rule",
        GroupBy::Principal => "Principal",
    };
    let _ = writeln!(
        page,
        "<div class=\"scroll\"><table class=\"data\" data-table=\"grouped-{}\"><thead><tr><th>Severity</th><th>{head}</th>\
         <th>Time</th><th>Account</th><th>Findings</th></tr></thead><tbody>",
        by.name()
    );
    for g in groups.iter().take(HTML_GROUPS) {
        let first = g.first();
        let e = first.event_location();
        let what = match (by, e) {
            (GroupBy::Event, Some(e)) => {
                let mut cell = format!(
                    "<code>{}</code>",
                    h(e.event_name.as_deref().unwrap_or("(no eventName)"))
                );
                if let Some(principal) = &e.principal {
                    let _ = write!(cell, "<br>by <code>{}</code>", h(principal));
                }
                if let Some(ip) = &e.source_ip {
                    let _ = write!(cell, "<br>from <code>{}</code>", h(ip));
                    if let Some(place) = first.source_place() {
                        let _ = write!(cell, " {}", h(&place.describe()));
                    }
                }
                cell
            }
            (GroupBy::Event, None) | (GroupBy::Rule, _) => {
                format!("<code>{}</code> {}", h(&first.rule_id), h(&first.title))
            }
            (GroupBy::Principal, _) => e.and_then(|e| e.principal.as_deref()).map_or_else(
                || "<em class=\"muted\">(no principal)</em>".to_string(),
                |p| format!("<code>{}</code>", h(p)),
            ),
        };
        let mut accounts: Vec<&str> = Vec::new();
        for f in &g.findings {
            if let Some(a) = f.event_location().and_then(|e| e.account.as_deref()) {
                if !accounts.contains(&a) {
                    accounts.push(a);
                }
            }
        }
        let account: Vec<String> = accounts
            .iter()
            .map(|a| account_html(a, Some(audit)))
            .collect();
        let items: Vec<String> = g
            .findings
            .iter()
            .map(|f| {
                let head = match by {
                    GroupBy::Rule => h(f.time().unwrap_or("—")),
                    _ => format!("{} <code>{}</code>", badge(f.severity), h(&f.rule_id)),
                };
                format!("{head} {}", h(&f.message))
            })
            .collect();
        let _ = writeln!(
            page,
            "<tr data-group-severity=\"{}\" data-findings=\"{}\"><td class=\"badges\">{}</td><td class=\"wrap\">{what}</td><td>{}</td>\
             <td class=\"wrap\">{}</td><td class=\"wrap\">{}</td></tr>",
            g.severity,
            g.findings.len(),
            badge(g.severity),
            h(first.time().unwrap_or("—")),
            account.join("<br>"),
            items.join("<br>")
        );
    }
    page.push_str("</tbody></table></div>\n</section>\n");
}

fn errors(page: &mut String, result: &ScanResult) {
    if result.errors.is_empty() {
        return;
    }
    page.push_str("<section id=\"errors\">\n<h2>Unreadable inputs</h2>\n<table class=\"data\"><thead><tr><th>Input</th><th>Problem</th></tr></thead><tbody>\n");
    for error in &result.errors {
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            h(&error.location()),
            h(&error.message)
        );
    }
    page.push_str("</tbody></table>\n</section>\n");
}

/// A finding for the script. Strings have control characters shown as `\u{..}` already. `event`
/// is an index into the data's `events`, raw compact JSON (the script pretty-prints it and shows
/// its control characters the same way).
fn finding(f: &Finding, cx: &Context<'_>, event: Option<usize>) -> Value {
    let text = |v: &Option<String>| v.as_deref().map(|s| control(s).into_owned());
    let compliance = cx.rules.get(&f.rule_id).map(|rule| {
        rule.compliance
            .iter()
            .flat_map(|(framework, ids)| ids.iter().map(move |id| format!("{framework} {id}")))
            .collect::<Vec<_>>()
            .join(", ")
    });
    // A finding at a window has no one event: its event fields are null and `window` says where.
    let no_event = EventLocation::default();
    let (e, place, window) = match &f.location {
        Location::Event(e) => (e, Some((control(&e.file), e.record, e.line)), None),
        Location::Window(w) => (&no_event, None, Some(crate::wire::WindowOut::new(w))),
    };
    let mut value = json!({
        "severity": f.severity.as_str(),
        "rank": rank(f.severity),
        "rule_id": control(&f.rule_id),
        "title": control(&f.title),
        "message": control(&f.message),
        "event_time": f.time().map(|t| control(t).into_owned()),
        "account": match (&e.account, f.account_name()) {
            (Some(id), Some(name)) => Some(control(&format!("{id} ({name})")).into_owned()),
            _ => text(&e.account),
        },
        "region": text(&e.region),
        "principal": text(&e.principal),
        "source_ip": match (&e.source_ip, f.source_place()) {
            (Some(ip), Some(place)) => {
                Some(control(&format!("{ip} ({})", place.describe())).into_owned())
            }
            _ => text(&e.source_ip),
        },
        "user_agent": text(&e.user_agent),
        "event_source": text(&e.event_source),
        "event_name": text(&e.event_name),
        "event_id": text(&e.event_id),
        "file": place.as_ref().map(|p| &p.0),
        "record": place.as_ref().map(|p| p.1),
        "line": place.as_ref().and_then(|p| p.2),
        "compliance": compliance,
        "baseline": f.baseline.map(|b| b.as_str()),
        "evidence": f.evidence.iter().map(|e| json!({
            "path": control(&e.path),
            "missing": e.value.is_none(),
            "value": e.value,
        })).collect::<Vec<_>>(),
        "event": event,
    });
    if let Some(window) = window {
        value["window"] = serde_json::to_value(window).unwrap_or_default();
    }
    value
}
