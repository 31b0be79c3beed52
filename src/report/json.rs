//! `--format json`: one JSON document with the summary, findings, unreadable inputs and skipped
//! files. Field names are stable; see docs/cli.md.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use crate::baseline::BaselineEntry;
use crate::engine::{Finding, ScanResult};
use crate::source::{InputError, Skipped};

use super::{counts_by_severity, Context, Report};

pub struct Json;

impl Report for Json {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut document = json!({
            "tool": tool(),
            "summary": summary(result),
            "findings": result.findings.iter().map(|f| finding(f, cx)).collect::<Vec<_>>(),
            "errors": result.errors.iter().map(error).collect::<Vec<_>>(),
            "skipped": result.skipped.iter().map(skipped).collect::<Vec<_>>(),
        });
        if let Some(baseline) = &result.baseline {
            document["gone"] = baseline.gone.iter().map(gone).collect();
        }
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}

pub(super) fn tool() -> Value {
    json!({"name": "trailgate", "version": env!("CARGO_PKG_VERSION")})
}

pub(super) fn summary(result: &ScanResult) -> Value {
    let stats = &result.stats;
    let by_severity: Map<String, Value> = counts_by_severity(result)
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    let mut summary = json!({
        "rules": stats.rules,
        "files_read": stats.files_read,
        "files_skipped": result.skipped.len(),
        "files_failed": stats.files_failed,
        "files_ignored": stats.ignored,
        "records_failed": stats.records_failed,
        "events": stats.events,
        "events_read": stats.events_read,
        "findings": result.findings.len(),
        "findings_by_severity": by_severity,
        "suppressed": stats.suppressed,
        "errors": result.errors.len(),
    });
    // Only with scope filters, so that reports without them keep exactly their old shape.
    if !result.scope.is_everything() {
        let scope = &result.scope;
        summary["scope"] = json!({
            "since": scope.since.map(|t| t.to_rfc3339()),
            "until": scope.until.map(|t| t.to_rfc3339()),
            "accounts": scope.accounts,
            "regions": scope.regions,
            "out_of_scope": stats.out_of_scope,
            "undated": stats.undated,
        });
    }
    // Only with --baseline, so that reports without one keep exactly their old shape.
    if let Some(baseline) = &result.baseline {
        summary["baseline"] = json!({
            "file": baseline.file,
            "new": baseline.new,
            "unchanged": baseline.unchanged,
            "gone": baseline.gone.len(),
        });
    }
    summary
}

/// Every file and event accounted for, for formats without a summary of their own (SARIF's
/// invocation properties, JUnit properties): records in readable files = `events_read +
/// records_failed`, and `events_read = events + out_of_scope + undated`.
pub(super) fn accounting(result: &ScanResult) -> Vec<(&'static str, usize)> {
    let stats = &result.stats;
    vec![
        ("files_read", stats.files_read),
        ("files_skipped", result.skipped.len()),
        ("files_failed", stats.files_failed),
        ("files_ignored", stats.ignored),
        ("records_failed", stats.records_failed),
        ("events_read", stats.events_read),
        ("events", stats.events),
        ("out_of_scope", stats.out_of_scope),
        ("undated", stats.undated),
    ]
}

/// A finding; findings of Sigma rules also carry the rule's Sigma metadata (the Detection Rule
/// License asks that the author travel with every result).
pub(super) fn finding(finding: &Finding, cx: &Context<'_>) -> Value {
    let mut value = json!({
        "rule_id": finding.rule_id,
        "severity": finding.severity.as_str(),
        "title": finding.title,
        "message": finding.message,
        "file": &*finding.file,
        "record": finding.record,
        "line": finding.line,
        "event_id": finding.event_id,
        "event_time": finding.event_time,
        "event_source": finding.event_source,
        "event_name": finding.event_name,
        "account": finding.account,
        "region": finding.region,
        "principal": finding.principal,
        "evidence": finding.evidence.iter().map(|e| json!({
            "path": e.path,
            "missing": e.value.is_none(),
            "value": e.value,
        })).collect::<Vec<_>>(),
        "fingerprint": finding.fingerprint(),
    });
    if let Some(state) = finding.baseline {
        value["baseline"] = json!(state.as_str());
    }
    if let Some(rule) = cx.rules.get(&finding.rule_id) {
        if let Some(sigma) = &rule.sigma {
            value["sigma"] = json!({
                "id": sigma.id,
                "status": sigma.status,
                "author": sigma.author,
                "level": sigma.level,
                "date": sigma.date,
                "modified": sigma.modified,
                "tags": rule.tags,
                "references": rule.references,
                "falsepositives": sigma.false_positives,
            });
        }
    }
    value
}

/// A finding of the baseline that this scan did not find.
pub(super) fn gone(entry: &BaselineEntry) -> Value {
    json!({"rule_id": entry.rule_id, "fingerprint": entry.fingerprint})
}

pub(super) fn error(error: &InputError) -> Value {
    json!({
        "file": &*error.file,
        "record": error.record,
        "line": error.line,
        "message": error.message,
    })
}

pub(super) fn skipped(skipped: &Skipped) -> Value {
    json!({"file": &*skipped.file, "reason": skipped.reason.as_str()})
}
