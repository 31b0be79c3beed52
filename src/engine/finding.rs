//! A finding: one rule matched one event. Everything a report needs is copied in, so formats
//! never go back to the event.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::baseline::BaselineState;
use crate::rule::{Rule, Severity};
use crate::source::Origin;

use super::eval::{render, Evidence};
use super::fingerprint::fingerprint;
use super::trace::trace;

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub file: Arc<str>,
    pub record: usize,
    pub line: Option<usize>,
    pub event_id: Option<String>,
    pub event_time: Option<String>,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    /// `recipientAccountId`, else `userIdentity.accountId`.
    pub account: Option<String>,
    pub region: Option<String>,
    /// `userIdentity.arn`, else the session issuer's ARN, else `userIdentity.invokedBy`.
    pub principal: Option<String>,
    /// `sourceIPAddress` (an IP address, or a service name for calls AWS made).
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    pub evidence: Vec<Evidence>,
    /// Set by `baseline::compare` when the scan is compared with an earlier report.
    pub baseline: Option<BaselineState>,
    /// The whole event as compact JSON, only when the scan was asked to keep events
    /// (`ScanOptions::keep_events`, for the HTML report) and within the size caps. Findings of
    /// the same event share one copy.
    pub event: Option<Arc<str>>,
}

/// Events larger than this (as compact JSON) are not kept with their findings.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Kept events add up to at most this much per scan; findings after it (in report order) carry
/// no event. Keeps a scan with very many findings from holding every event in memory twice.
pub const MAX_KEPT_EVENTS_BYTES: usize = 32 * 1024 * 1024;
/// While scanning, events are kept until this much is held, whatever their order (files finish
/// in any order); `cap_kept_events` then cuts to `MAX_KEPT_EVENTS_BYTES` in report order. The
/// choice is the same on every run unless the findings' events add up to more than this.
pub const MAX_HELD_EVENTS_BYTES: usize = 4 * MAX_KEPT_EVENTS_BYTES;

/// Gives the findings of one event a shared copy of it, if it is small enough and the scan holds
/// less than `MAX_HELD_EVENTS_BYTES` (`held` counts across threads).
pub(super) fn keep_event(findings: &mut [Finding], event: &Value, held: &AtomicUsize) {
    if findings.is_empty() || held.load(Ordering::Relaxed) >= MAX_HELD_EVENTS_BYTES {
        return;
    }
    let Ok(text) = serde_json::to_string(event) else {
        return;
    };
    if text.len() > MAX_EVENT_BYTES {
        return;
    }
    held.fetch_add(text.len(), Ordering::Relaxed);
    let shared: Arc<str> = Arc::from(text);
    for finding in findings {
        finding.event = Some(shared.clone());
    }
}

/// Drops kept events past `MAX_KEPT_EVENTS_BYTES`, counted in report order (findings are
/// sorted), so which findings keep their event does not depend on threads. An event shared by
/// several findings in a row is counted once.
pub(super) fn cap_kept_events(findings: &mut [Finding]) {
    let mut total = 0usize;
    let mut previous: Option<Arc<str>> = None;
    for finding in findings {
        let Some(event) = &finding.event else {
            continue;
        };
        if previous.as_ref().is_some_and(|p| Arc::ptr_eq(p, event)) {
            continue;
        }
        total += event.len();
        previous = Some(event.clone());
        if total > MAX_KEPT_EVENTS_BYTES {
            finding.event = None;
            previous = None;
        }
    }
}

impl Finding {
    pub fn new(rule: &Rule, event: &Value, origin: &Origin) -> Finding {
        let text = |path: &[&str]| -> Option<String> {
            let mut value = event;
            for key in path {
                value = value.get(key)?;
            }
            value.as_str().map(str::to_string)
        };
        Finding {
            rule_id: rule.id.clone(),
            severity: rule.severity,
            title: rule.title.clone(),
            message: render(&rule.message, event),
            file: origin.file.clone(),
            record: origin.record,
            line: origin.line,
            event_id: text(&["eventID"]),
            event_time: text(&["eventTime"]),
            event_source: text(&["eventSource"]),
            event_name: text(&["eventName"]),
            account: text(&["recipientAccountId"]).or_else(|| text(&["userIdentity", "accountId"])),
            region: text(&["awsRegion"]),
            principal: text(&["userIdentity", "arn"])
                .or_else(|| text(&["userIdentity", "sessionContext", "sessionIssuer", "arn"]))
                .or_else(|| text(&["userIdentity", "invokedBy"])),
            source_ip: text(&["sourceIPAddress"]),
            user_agent: text(&["userAgent"]),
            evidence: trace(&rule.condition, event).evidence(),
            baseline: None,
            event: None,
        }
    }

    /// The identity of this finding across runs (see `engine::fingerprint`).
    pub fn fingerprint(&self) -> String {
        fingerprint(
            &self.rule_id,
            self.event_id.as_deref(),
            &self.file,
            self.record,
        )
    }

    /// False for a finding already in the baseline: only the others count toward `--fail-on`.
    pub fn counts_toward_gate(&self) -> bool {
        self.baseline != Some(BaselineState::Unchanged)
    }

    /// The order of findings in every report: file, record, then rule id.
    pub fn sort_key(&self) -> (&str, usize, &str) {
        (&self.file, self.record, &self.rule_id)
    }
}
