//! A finding: one rule matched one event. Everything a report needs is copied in, so formats
//! never go back to the event.

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
    pub evidence: Vec<Evidence>,
    /// Set by `baseline::compare` when the scan is compared with an earlier report.
    pub baseline: Option<BaselineState>,
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
            evidence: trace(&rule.condition, event).evidence(),
            baseline: None,
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
