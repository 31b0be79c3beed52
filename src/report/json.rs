//! `--format json`: one JSON document with the summary, findings, unreadable inputs and skipped
//! files. Field names are stable; see docs/cli.md.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::finding::{Finding, ScanResult};
use crate::wire::{self, Detail, Tool};

use super::{counts_by_severity, Context, Report};

pub(super) struct Json;

impl Report for Json {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        let document = wire::Document {
            errors: result
                .errors
                .iter()
                .map(|e| wire::ErrorRecord::new(e, Detail::Document))
                .collect(),
            findings: result
                .findings
                .iter()
                .map(|f| finding(f, cx, Detail::Document))
                .collect(),
            gone: result.baseline.as_ref().map(|baseline| {
                baseline
                    .gone
                    .iter()
                    .map(|g| wire::Gone::new(g, Detail::Document))
                    .collect()
            }),
            skipped: result
                .skipped
                .iter()
                .map(|s| wire::SkippedRecord::new(s, Detail::Document))
                .collect(),
            summary: summary(result),
            tool: Tool::this(),
        };
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}

/// The summary both JSON formats share (JSON Lines adds `stats`, `tool` and `type`).
pub(super) fn summary(result: &ScanResult) -> wire::Summary<'_> {
    let stats = &result.stats;
    wire::Summary {
        baseline: result.baseline.as_ref().map(|b| wire::BaselineCounts {
            file: Cow::Borrowed(&b.file),
            gone: b.gone.len(),
            new: b.new,
            unchanged: b.unchanged,
        }),
        errors: result.errors.len(),
        events: stats.events,
        events_read: stats.events_read,
        files_failed: stats.files_failed,
        files_ignored: stats.ignored,
        files_read: stats.files_read,
        files_skipped: result.skipped.len(),
        files_unchanged: stats.files_unchanged,
        findings: result.finding_count(),
        first_seen: stats
            .first_seen
            .iter()
            .map(|(id, counts)| (id.clone(), counts.into()))
            .collect(),
        findings_by_severity: counts_by_severity(result)
            .into_iter()
            .map(|(s, n)| (Cow::Borrowed(s.as_str()), n))
            .collect(),
        records_failed: stats.records_failed,
        rules: stats.rules,
        suppressions: result
            .suppressions
            .iter()
            .map(wire::SuppressionOut::new)
            .collect(),
        // Only with scope filters, so that reports without them keep exactly their old shape.
        scope: (!result.scope.is_everything()).then(|| wire::ScopeOut {
            accounts: Cow::Borrowed(&result.scope.accounts),
            out_of_scope: stats.out_of_scope,
            regions: Cow::Borrowed(&result.scope.regions),
            since: result.scope.since.map(|t| t.to_rfc3339()),
            undated: stats.undated,
            until: result.scope.until.map(|t| t.to_rfc3339()),
        }),
        stats: None,
        suppressed: Cow::Borrowed(&stats.suppressed),
        correlation_dropped: Cow::Borrowed(&stats.correlation_dropped),
        tool: None,
        kind: None,
        version: None,
    }
}

/// Every file and event accounted for, for formats without a summary of their own (SARIF's
/// invocation properties, JUnit properties): records in readable files = `events_read +
/// records_failed`, and `events_read = events + out_of_scope + undated`.
pub(super) fn accounting(result: &ScanResult) -> Vec<(&'static str, usize)> {
    let stats = &result.stats;
    let mut counts = vec![
        ("files_read", stats.files_read),
        ("files_skipped", result.skipped.len()),
        ("files_failed", stats.files_failed),
        ("files_ignored", stats.ignored),
        ("records_failed", stats.records_failed),
        ("events_read", stats.events_read),
        ("events", stats.events),
        ("out_of_scope", stats.out_of_scope),
        ("undated", stats.undated),
    ];
    // Only with a state store that skipped files, so that other reports keep their shape.
    if stats.files_unchanged > 0 {
        counts.insert(2, ("files_unchanged", stats.files_unchanged));
    }
    counts
}

/// A finding as written, straight from the `Finding` (no intermediate tree: reports of
/// hundreds of thousands of findings spend their time here); findings of Sigma rules also carry
/// the rule's Sigma metadata.
pub(super) fn finding<'a>(
    finding: &'a Finding,
    cx: &'a Context<'_>,
    detail: Detail,
) -> wire::Finding<'a> {
    let sigma = cx.rules.get(&finding.rule_id).and_then(|rule| {
        rule.sigma.as_ref().map(|sigma| wire::Sigma {
            author: sigma.author.as_deref().map(Cow::Borrowed),
            date: sigma.date.as_deref().map(Cow::Borrowed),
            falsepositives: Cow::Borrowed(&sigma.false_positives),
            id: sigma.id.as_deref().map(Cow::Borrowed),
            level: sigma.level.as_deref().map(Cow::Borrowed),
            modified: sigma.modified.as_deref().map(Cow::Borrowed),
            references: Cow::Borrowed(&rule.references),
            status: sigma.status.as_deref().map(Cow::Borrowed),
            tags: Cow::Borrowed(&rule.tags),
        })
    });
    wire::Finding::new(finding, sigma, detail)
}
