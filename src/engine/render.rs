//! From a match to a finding: everything a report needs is copied out of the event (message,
//! fields, evidence), so formats never go back to it. Also keeps events for the HTML report,
//! within caps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::finding::{
    EventLocation, Finding, Location, MAX_EVENT_BYTES, MAX_HELD_EVENTS_BYTES, MAX_KEPT_EVENTS_BYTES,
};
use crate::rule::Rule;
use crate::source::Origin;

use super::eval::render as render_message;
use super::trace::trace;

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

/// Renders a match into a finding: the rule's message over the event, the event's fields, and
/// the evidence (the condition traced again, without short-circuiting). Run only for matches that
/// become findings.
pub fn render(rule: &Rule, event: &Value, origin: &Origin) -> Finding {
    Finding {
        rule_id: rule.id.clone(),
        severity: rule.severity,
        title: rule.title.clone(),
        message: render_message(&rule.message, event),
        location: Location::Event(EventLocation::of(event, origin)),
        evidence: trace(&rule.condition, event).evidence(),
        baseline: None,
        event: None,
    }
}
