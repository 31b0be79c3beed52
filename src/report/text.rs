//! `--format text`: findings a person reads in a terminal or a CI log, then unreadable inputs,
//! then a summary. Colour only when asked (the CLI decides: a terminal and no `NO_COLOR`).
//! Values from trails and rule files go through `escape::control`, so an event field holding
//! terminal escape sequences or line breaks is shown, not obeyed.

use std::io::{self, Write};

use serde_json::Value;

use crate::finding::{
    EventLocation, Evidence, Finding, Location, Measure, ScanResult, SuppressionOutcome,
    SuppressionState, Window,
};
use crate::rule::Severity;

use super::escape::control;
use super::group::{group, FindingGroup, GroupBy};
use super::{counts_by_severity, render_streaming, Context, Report, StreamingReport};

pub(super) struct Text;

const EVIDENCE_WIDTH: usize = 160;
/// Gone findings listed in the summary; a log is not the place for thousands of them.
const GONE_LISTED: usize = 10;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn severity(&self, severity: Severity) -> String {
        let label = format!("{:<8}", severity.as_str());
        let code = match severity {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "34",
            Severity::Info => "2",
        };
        self.wrap(code, &label)
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
    fn error(&self, text: &str) -> String {
        self.wrap("1;31", text)
    }
    fn warning(&self, text: &str) -> String {
        self.wrap("1;33", text)
    }
}

impl Report for Text {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        match cx.group_by {
            // By event, text groups the findings of one record as they come: the streamed and
            // the finished report are the same bytes.
            None | Some(GroupBy::Event) => render_streaming(self, result, cx, out),
            Some(by) => {
                let paint = Paint { on: cx.color };
                for g in group(&result.findings, by) {
                    write_group(out, &paint, &g, by)?;
                }
                self.end(result, cx, out)
            }
        }
    }
}

/// One group of findings (`--group-by`): a heading with the most serious severity, then the
/// findings, most serious first. An event's place and fields are written once for its group.
fn write_group(
    out: &mut dyn Write,
    paint: &Paint,
    g: &FindingGroup<'_>,
    by: GroupBy,
) -> io::Result<()> {
    let first = g.first();
    let n = g.findings.len();
    let rules = g.rule_ids().len();
    match (by, &first.location) {
        (GroupBy::Event, Location::Event(e)) => {
            let what = e.event_name.as_deref().unwrap_or("(no eventName)");
            writeln!(
                out,
                "{} {} {}: {} from {}",
                paint.severity(g.severity),
                paint.bold("event"),
                control(what),
                plural(n, "finding", "findings"),
                plural(rules, "rule", "rules"),
            )?;
            for (file, record, line) in g.places().into_iter().skip(1) {
                let line = line.map(|l| format!(" (line {l})")).unwrap_or_default();
                writeln!(
                    out,
                    "  {} {} record {record}{line}",
                    paint.dim("also at"),
                    control(file)
                )?;
            }
            write_event(out, e, paint)?;
            for f in &g.findings {
                let mut block = Vec::new();
                write_rule_lines(&mut block, paint, f)?;
                indent(out, &block)?;
            }
            writeln!(out)
        }
        // A window (correlation) is a group of its own.
        (GroupBy::Event, Location::Window(_)) => write_finding(out, paint, first),
        (GroupBy::Rule, _) => {
            writeln!(
                out,
                "{} {}  {}: {}",
                paint.severity(g.severity),
                paint.bold(&control(&first.rule_id)),
                control(&first.title),
                plural(n, "finding", "findings"),
            )?;
            for f in &g.findings {
                let mut block = Vec::new();
                write_finding(&mut block, paint, f)?;
                indent(out, &block)?;
            }
            Ok(())
        }
        (GroupBy::Principal, _) => {
            let principal = first
                .event_location()
                .and_then(|e| e.principal.as_deref())
                .unwrap_or("(no principal)");
            writeln!(
                out,
                "{} {} {}: {} from {}",
                paint.severity(g.severity),
                paint.bold("principal"),
                control(principal),
                plural(n, "finding", "findings"),
                plural(rules, "rule", "rules"),
            )?;
            for f in &g.findings {
                let mut block = Vec::new();
                write_finding(&mut block, paint, f)?;
                indent(out, &block)?;
            }
            Ok(())
        }
    }
}

/// A finding's rule, message and evidence (its event is written by the group).
fn write_rule_lines(out: &mut dyn Write, paint: &Paint, f: &Finding) -> io::Result<()> {
    let state = f
        .baseline
        .map(|s| format!("  [{}]", s.as_str()))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {}  {}{state}",
        paint.severity(f.severity),
        paint.bold(&control(&f.rule_id)),
        control(&f.title)
    )?;
    writeln!(out, "  {}", control(&f.message))?;
    for evidence in &f.evidence {
        writeln!(
            out,
            "  {} {}",
            paint.dim("evidence"),
            control(&evidence_text(evidence))
        )?;
    }
    Ok(())
}

/// Writes `block` with every non-empty line indented by two spaces.
fn indent(out: &mut dyn Write, block: &[u8]) -> io::Result<()> {
    for line in block.split_inclusive(|b| *b == b'\n') {
        if line != b"\n" {
            out.write_all(b"  ")?;
        }
        out.write_all(line)?;
    }
    Ok(())
}

impl StreamingReport for Text {
    fn begin(&self, _cx: &Context<'_>, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&self, finding: &Finding, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        write_finding(out, &Paint { on: cx.color }, finding)
    }

    /// By event (the default), the findings of one record (file and record: they are adjacent in
    /// report order, and parts are cut at record boundaries) are one item when there are
    /// several; a lone finding is written as itself. An event delivered by two trails is two
    /// records, so text shows it at each (HTML and Markdown, which hold every finding, merge
    /// them by eventID).
    fn findings(
        &self,
        findings: &[Finding],
        cx: &Context<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let paint = Paint { on: cx.color };
        if cx.group_by != Some(GroupBy::Event) {
            return findings
                .iter()
                .try_for_each(|f| write_finding(out, &paint, f));
        }
        let place = |f: &Finding| match &f.location {
            Location::Event(e) => Some((e.file.clone(), e.record)),
            Location::Window(_) => None,
        };
        let mut start = 0;
        while start < findings.len() {
            let key = place(&findings[start]);
            let mut end = start + 1;
            if key.is_some() {
                while end < findings.len() && place(&findings[end]) == key {
                    end += 1;
                }
            }
            if end - start == 1 {
                write_finding(out, &paint, &findings[start])?;
            } else {
                let g = FindingGroup::of(findings[start..end].iter().collect());
                write_group(out, &paint, &g, GroupBy::Event)?;
            }
            start = end;
        }
        Ok(())
    }

    fn end(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        let paint = Paint { on: cx.color };
        if !result.errors.is_empty() {
            for error in &result.errors {
                writeln!(
                    out,
                    "{} {}: {}",
                    paint.error("error:"),
                    control(&error.location()),
                    control(&error.message)
                )?;
            }
            writeln!(out)?;
        }
        write_summary(out, &paint, result, cx)
    }
}

fn write_finding(out: &mut dyn Write, paint: &Paint, f: &Finding) -> io::Result<()> {
    // With --baseline, say which findings are new: those are the ones the gate counts.
    let state = f
        .baseline
        .map(|s| format!("  [{}]", s.as_str()))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {}  {}{state}",
        paint.severity(f.severity),
        paint.bold(&control(&f.rule_id)),
        control(&f.title)
    )?;
    writeln!(out, "  {}", control(&f.message))?;
    match &f.location {
        Location::Event(e) => write_event(out, e, paint)?,
        Location::Window(w) => write_window(out, w, paint)?,
    }
    for evidence in &f.evidence {
        writeln!(
            out,
            "  {} {}",
            paint.dim("evidence"),
            control(&evidence_text(evidence))
        )?;
    }
    writeln!(out)
}

/// Where a finding at one event is: file, record, and the event's main fields.
fn write_event(out: &mut dyn Write, e: &EventLocation, paint: &Paint) -> io::Result<()> {
    let mut at = format!("{} record {}", control(&e.file), e.record);
    if let Some(line) = e.line {
        at.push_str(&format!(" (line {line})"));
    }
    writeln!(out, "  {} {at}", paint.dim("at"))?;
    let mut event = Vec::new();
    if let Some(name) = &e.event_name {
        event.push(name.clone());
    }
    if let Some(id) = &e.event_id {
        event.push(format!("id {id}"));
    }
    if let Some(time) = &e.event_time {
        event.push(time.clone());
    }
    if let Some(account) = &e.account {
        match e
            .enrichment
            .as_ref()
            .and_then(|x| x.account_name.as_deref())
        {
            Some(name) => event.push(format!("account {account} ({name})")),
            None => event.push(format!("account {account}")),
        }
    }
    if let Some(region) = &e.region {
        event.push(region.clone());
    }
    if !event.is_empty() {
        writeln!(
            out,
            "  {} {}",
            paint.dim("event"),
            control(&event.join(", "))
        )?;
    }
    if let Some(principal) = &e.principal {
        writeln!(out, "  {} {}", paint.dim("by"), control(principal))?;
    }
    // Only with --geoip: where the call came from.
    if let (Some(source), Some(place)) = (
        &e.source_ip,
        e.enrichment.as_ref().and_then(|x| x.source.as_ref()),
    ) {
        writeln!(
            out,
            "  {} {}",
            paint.dim("from"),
            control(&format!("{source} ({})", place.describe()))
        )?;
    }
    Ok(())
}

/// Member events a text report lists per window finding.
const TEXT_MEMBERS: usize = 5;

/// Where a finding at a window of events is: the group, the time span, what was measured, and
/// the events (as many as the finding lists).
fn write_window(out: &mut dyn Write, w: &Window, paint: &Paint) -> io::Result<()> {
    let group: Vec<String> = w.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
    writeln!(
        out,
        "  {} {} to {} ({} {}){}",
        paint.dim("window"),
        control(&w.first),
        control(&w.last),
        w.total,
        if w.total == 1 { "event" } else { "events" },
        if group.is_empty() {
            String::new()
        } else {
            format!(", {}", control(&group.join(", ")))
        }
    )?;
    let measured = match &w.measure {
        Measure::Count(n) => format!("count {n}"),
        Measure::Distinct {
            field,
            values,
            total,
        } => {
            let more = total.saturating_sub(values.len());
            let more = if more > 0 {
                format!(", ... ({more} more)")
            } else {
                String::new()
            };
            format!("{total} distinct {field}: {}{more}", values.join(", "))
        }
        Measure::Rules(ids) => format!("rules {}", ids.join(", ")),
    };
    writeln!(out, "  {} {}", paint.dim("measured"), control(&measured))?;
    // A text report is read in a terminal or a CI log: the first few events say where to look;
    // every other format lists all the members the finding holds.
    for m in w.members.iter().take(TEXT_MEMBERS) {
        let id = m.event_id.as_deref().unwrap_or("(no eventID)");
        let at = match (&m.file, m.record) {
            (Some(file), Some(record)) => format!(" at {file}#{record}"),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {} {}",
            paint.dim("member"),
            control(&format!("{} {id}{at}", m.event_time))
        )?;
    }
    let shown = w.members.len().min(TEXT_MEMBERS);
    if w.total > shown {
        let more = w.total - shown;
        writeln!(
            out,
            "  {} {more} more {}",
            paint.dim("member"),
            if more == 1 { "event" } else { "events" }
        )?;
    }
    Ok(())
}

fn evidence_text(evidence: &Evidence) -> String {
    match &evidence.value {
        None => format!("{} is missing", evidence.path),
        Some(value) => {
            let mut text = match value {
                Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
                other => other.to_string(),
            };
            if text.chars().count() > EVIDENCE_WIDTH {
                text = text.chars().take(EVIDENCE_WIDTH).collect::<String>() + "…";
            }
            format!("{} = {text}", evidence.path)
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn write_summary(
    out: &mut dyn Write,
    paint: &Paint,
    result: &ScanResult,
    cx: &Context<'_>,
) -> io::Result<()> {
    let stats = &result.stats;
    let counts: Vec<String> = counts_by_severity(result)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let findings = if counts.is_empty() {
        "no findings".to_string()
    } else {
        format!(
            "{} ({})",
            plural(result.finding_count(), "finding", "findings"),
            counts.join(", ")
        )
    };
    // Suppressed findings are not among the findings counted: say there are some.
    let suppressed = match result.suppressed_findings.len() {
        0 => String::new(),
        n => format!("; {n} suppressed"),
    };
    writeln!(out, "{} {findings}{suppressed}", paint.bold("Summary:"))?;
    writeln!(
        out,
        "  scanned {} and {} with {}",
        plural(stats.files_read, "file", "files"),
        plural(stats.events, "event", "events"),
        plural(stats.rules, "rule", "rules"),
    )?;
    if !result.scope.is_everything() {
        let left = stats.out_of_scope + stats.undated;
        let mut line = format!(
            "  scope: {}; {} outside it",
            control(&result.scope.describe()),
            plural(left, "event", "events")
        );
        if stats.undated > 0 {
            line.push_str(&format!(" ({} without a usable eventTime)", stats.undated));
        }
        writeln!(out, "{line}")?;
    }
    let mut notes = Vec::new();
    if !result.skipped.is_empty() {
        notes.push(format!(
            "skipped {} ({})",
            plural(result.skipped.len(), "file", "files"),
            super::skipped_reasons(result)
        ));
    }
    if stats.files_unchanged > 0 {
        notes.push(format!(
            "skipped {} unchanged since an earlier run (--state)",
            plural(stats.files_unchanged, "file", "files")
        ));
    }
    if stats.ignored > 0 {
        notes.push(format!(
            "ignored {} without a trail file name",
            plural(stats.ignored, "file", "files")
        ));
    }
    let suppressed: usize = stats.suppressed.values().sum();
    if suppressed > 0 {
        notes.push(format!(
            "{} suppressed by rule exceptions",
            plural(suppressed, "match", "matches")
        ));
    }
    if !notes.is_empty() {
        writeln!(out, "  {}", notes.join("; "))?;
    }
    for (id, counts) in &stats.first_seen {
        let mut line = format!(
            "  first seen {}: {} new of {} this run",
            control(id),
            counts.new,
            plural(counts.keys as usize, "combination", "combinations"),
        );
        if counts.learning > 0 {
            line.push_str(&format!(
                "; learning: {} not judged (the history does not yet cover a whole window before them)",
                counts.learning
            ));
        }
        let incomplete = counts.no_key + counts.no_time;
        if incomplete > 0 {
            line.push_str(&format!(
                "; {} without every field or an eventTime",
                plural(incomplete as usize, "match", "matches")
            ));
        }
        writeln!(out, "{line}")?;
    }
    for (id, reasons) in &stats.correlation_dropped {
        let reasons: Vec<String> = reasons
            .iter()
            .map(|(reason, n)| format!("{} ({reason})", plural(*n as usize, "match", "matches")))
            .collect();
        writeln!(
            out,
            "  {} correlation {}: left out {}: they cannot be placed in a window",
            paint.warning("warning:"),
            control(id),
            reasons.join(", ")
        )?;
    }
    if result.has_errors() {
        let mut failed = Vec::new();
        if stats.files_failed > 0 {
            failed.push(format!(
                "{} could not be read",
                plural(stats.files_failed, "input", "inputs")
            ));
        }
        if stats.records_failed > 0 {
            failed.push(format!(
                "{} could not be read",
                plural(stats.records_failed, "record", "records")
            ));
        }
        writeln!(
            out,
            "  {} {}: the scan is incomplete (see the errors above)",
            paint.error("error:"),
            failed.join(", ")
        )?;
    }
    if let Some(baseline) = &result.baseline {
        writeln!(
            out,
            "  baseline {}: {} new, {} unchanged, {} gone",
            control(&baseline.file),
            baseline.new,
            baseline.unchanged,
            baseline.gone.len()
        )?;
        for gone in baseline.gone.iter().take(GONE_LISTED) {
            writeln!(out, "    gone: {}", control(&gone.fingerprint))?;
        }
        if baseline.gone.len() > GONE_LISTED {
            writeln!(
                out,
                "    and {} more gone (the JSON report lists them all)",
                baseline.gone.len() - GONE_LISTED
            )?;
        }
    }
    for suppression in &result.suppressions {
        write_suppression(out, paint, suppression)?;
    }
    if let Some(threshold) = cx.fail_on {
        let failing = result.failing(threshold);
        if failing > 0 {
            writeln!(
                out,
                "  {} at or above `{threshold}` (--fail-on)",
                plural(failing, "finding is", "findings are")
            )?;
        }
    }
    Ok(())
}

/// One line per suppression of the configuration file: what it suppressed, or why it did not.
fn write_suppression(out: &mut dyn Write, paint: &Paint, s: &SuppressionOutcome) -> io::Result<()> {
    let warning = paint.wrap("1;33", "warning:");
    match s.state {
        SuppressionState::Applied => writeln!(
            out,
            "  suppressed: {} of rule {} ({}{}): {}",
            plural(s.suppressed, "finding", "findings"),
            control(&s.rule),
            control(&s.origin),
            s.expires
                .as_deref()
                .map(|day| format!(", until {day}"))
                .unwrap_or_default(),
            control(&s.reason)
        ),
        SuppressionState::Unused => writeln!(
            out,
            "  {warning} {}: the suppression of rule {} matched no finding (unused)",
            control(&s.origin),
            control(&s.rule)
        ),
        SuppressionState::Expired => writeln!(
            out,
            "  {warning} {}: the suppression of rule {} expired after {}: it no longer applies ({} it matched {} reported)",
            control(&s.origin),
            control(&s.rule),
            s.expires.as_deref().unwrap_or("?"),
            plural(s.expired_matches, "finding", "findings"),
            if s.expired_matches == 1 { "is" } else { "are" },
        ),
    }
}
