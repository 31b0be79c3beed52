//! `--format json`: one JSON document with the summary, findings, unreadable inputs and skipped
//! files. Field names are stable; see docs/cli.md.

use std::io::{self, Write};

use serde::Serialize;
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
        "findings": result.finding_count(),
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
    serde_json::to_value(FindingOut::new(finding, cx, None)).unwrap_or(Value::Null)
}

/// A finding as JSON, written straight from the `Finding` (no intermediate tree: reports of
/// hundreds of thousands of findings spend their time here). Fields in name order, as a
/// `serde_json::Map` would put them, so both ways give the same bytes. `kind` is JSON Lines'
/// `type`.
#[derive(Serialize)]
pub(super) struct FindingOut<'a> {
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'static str>,
    event_id: Option<&'a str>,
    event_name: Option<&'a str>,
    event_source: Option<&'a str>,
    event_time: Option<&'a str>,
    evidence: Vec<EvidenceOut<'a>>,
    file: &'a str,
    fingerprint: String,
    line: Option<usize>,
    message: &'a str,
    principal: Option<&'a str>,
    record: usize,
    region: Option<&'a str>,
    rule_id: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sigma: Option<SigmaOut<'a>>,
    /// JSON Lines only (`with_origin`), so that `report --from` has everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    source_ip: Option<Option<&'a str>>,
    title: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<Option<&'a str>>,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    missing: bool,
    path: &'a str,
    value: Option<&'a Value>,
}

/// A Sigma rule's metadata (the Detection Rule Specification's names).
#[derive(Serialize)]
struct SigmaOut<'a> {
    author: &'a Option<String>,
    date: &'a Option<String>,
    falsepositives: &'a [String],
    id: &'a Option<String>,
    level: &'a Option<String>,
    modified: &'a Option<String>,
    references: &'a [String],
    status: &'a Option<String>,
    tags: &'a [String],
}

impl<'a> FindingOut<'a> {
    pub(super) fn new(
        finding: &'a Finding,
        cx: &'a Context<'_>,
        kind: Option<&'static str>,
    ) -> FindingOut<'a> {
        let sigma = cx.rules.get(&finding.rule_id).and_then(|rule| {
            rule.sigma.as_ref().map(|sigma| SigmaOut {
                author: &sigma.author,
                date: &sigma.date,
                falsepositives: &sigma.false_positives,
                id: &sigma.id,
                level: &sigma.level,
                modified: &sigma.modified,
                references: &rule.references,
                status: &sigma.status,
                tags: &rule.tags,
            })
        });
        FindingOut {
            account: finding.account.as_deref(),
            baseline: finding.baseline.map(|state| state.as_str()),
            event_id: finding.event_id.as_deref(),
            event_name: finding.event_name.as_deref(),
            event_source: finding.event_source.as_deref(),
            event_time: finding.event_time.as_deref(),
            evidence: finding
                .evidence
                .iter()
                .map(|e| EvidenceOut {
                    missing: e.value.is_none(),
                    path: &e.path,
                    value: e.value.as_ref(),
                })
                .collect(),
            file: &finding.file,
            fingerprint: finding.fingerprint(),
            line: finding.line,
            message: &finding.message,
            principal: finding.principal.as_deref(),
            record: finding.record,
            region: finding.region.as_deref(),
            rule_id: &finding.rule_id,
            severity: finding.severity.as_str(),
            sigma,
            source_ip: None,
            title: &finding.title,
            kind,
            user_agent: None,
        }
    }

    /// Adds where the call came from (`sourceIPAddress`, `userAgent`), null when absent.
    pub(super) fn with_origin(mut self, finding: &'a Finding) -> FindingOut<'a> {
        self.source_ip = Some(finding.source_ip.as_deref());
        self.user_agent = Some(finding.user_agent.as_deref());
        self
    }
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
