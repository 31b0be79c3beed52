//! The result layer: what a scan produced, below the engine that produces it, the baseline that
//! compares it and the reports that render it. It names rules only by id and severity and
//! events only by where they were found, so any stage (the per-event engine, a correlation
//! stage, `report --from`) can make these values and any report can render them.
//!
//! - [`Match`]: the cheap, unrendered result of one rule matching one event, handed on by the
//!   engine before any message is rendered or any condition traced.
//! - [`Finding`]: a rendered result, located at one event or at a window of events
//!   ([`Location`]), with its evidence.
//! - [`ScanResult`] and [`Stats`]: everything a scan or a merge of scans produced.
//! - [`fingerprint`]: a finding's identity across runs; [`baseline`]: how it compares with an
//!   earlier report.
//! - [`suppression`]: how the configuration's suppressions fared, and the findings they took
//!   out of the gate.
//! - [`signals`] and [`observations`]: the state of the correlation and first-seen stages,
//!   carried by JSON Lines reports so that shards merge into the results of one scan.
//! - [`spill`]: byte records kept in a temporary file (the observations' findings).

pub mod baseline;
pub mod fingerprint;
pub mod observations;
mod result;
pub mod signals;
pub mod spill;

use std::sync::Arc;

use serde_json::Value;

pub use baseline::{Baseline, BaselineEntry, BaselineState, BaselineSummary};
pub use result::{FirstSeenCounts, ScanResult, Stats};
pub mod suppression;
pub use suppression::{SuppressedFinding, SuppressionOutcome, SuppressionState};

use crate::rule::Severity;
use crate::source::Origin;

/// One rule matched one event (after exceptions), nothing rendered yet: the rule's index in the
/// rule set the engine ran, where the event was, and the few event fields a later stage needs
/// without the event (its time and id). Rendering it into a [`Finding`] needs the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the engine's rule set (`RuleSet::rules`).
    pub rule: usize,
    pub origin: Origin,
    /// `eventID`.
    pub event_id: Option<Box<str>>,
    /// `eventTime`, as written in the event.
    pub event_time: Option<Box<str>>,
}

/// One path and value that made a rule match. `value: None` means the field was missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub path: String,
    pub value: Option<Value>,
}

/// A rule's verdict that a report shows: the rule, the message, where, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub location: Location,
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

/// Where a finding is: at one event, or at a window of events (a correlation).
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    Event(EventLocation),
    Window(Window),
}

/// One event: where it was read and the fields reports show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventLocation {
    pub file: Arc<str>,
    /// 0-based record in the file.
    pub record: usize,
    /// 1-based line, for JSON Lines input.
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
    /// Account name and source address place (`--accounts`, `--geoip`), when enrichment is on.
    pub enrichment: Option<Box<Enrichment>>,
}

/// Context from files the user gave (`--accounts`, `--geoip`, see `crate::enrich`), shown
/// beside the raw values of a finding's event. Made by `enrich`, carried by `wire`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Enrichment {
    /// The name of the event's account (`recipientAccountId`, else `userIdentity.accountId`),
    /// when the accounts file names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// What the GeoIP databases say of `sourceIPAddress` (with `--geoip` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePlace>,
}

/// Where a source address is, or what kind of value it is when it is not looked up. Fields in
/// name order (the bytes of a sorted JSON map, as every wire type).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SourcePlace {
    /// The organisation the ASN is registered to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    /// English name, when the City database knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 (`DE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// English name (`Germany`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_name: Option<String>,
    /// A database failed at this address (never mistaken for "not in a country").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `public`, `private`, `reserved`, `aws-service`, `aws-internal`, `not-an-address`.
    pub kind: String,
}

impl SourcePlace {
    /// `DE (Berlin), AS3320 Deutsche Telekom AG`, `private address`, `AWS service`: for people.
    pub fn describe(&self) -> String {
        if let Some(error) = &self.error {
            return format!("GeoIP error: {error}");
        }
        match self.kind.as_str() {
            "public" => {
                let mut parts = Vec::new();
                match (&self.country, &self.city) {
                    (Some(country), Some(city)) => parts.push(format!("{country} ({city})")),
                    (Some(country), None) => parts.push(country.clone()),
                    (None, _) => {}
                }
                match (self.asn, &self.as_org) {
                    (Some(asn), Some(org)) => parts.push(format!("AS{asn} {org}")),
                    (Some(asn), None) => parts.push(format!("AS{asn}")),
                    (None, _) => {}
                }
                if parts.is_empty() {
                    "not in the GeoIP databases".to_string()
                } else {
                    parts.join(", ")
                }
            }
            "private" => "private address".to_string(),
            "reserved" => "reserved address".to_string(),
            "aws-service" => "AWS service".to_string(),
            "aws-internal" => "AWS internal".to_string(),
            "not-an-address" => "not an address".to_string(),
            other => other.to_string(),
        }
    }
}

impl EventLocation {
    /// Copies the fields reports show out of the event.
    pub fn of(event: &Value, origin: &Origin) -> EventLocation {
        let text = |path: &[&str]| -> Option<String> {
            let mut value = event;
            for key in path {
                value = value.get(key)?;
            }
            value.as_str().map(str::to_string)
        };
        EventLocation {
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
            enrichment: None,
        }
    }
}

/// A window of events that together made a finding (a correlation): the group they share, the
/// time they span, what was counted, and the events themselves (capped, with the total).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Window {
    /// Group-by field -> value, in the rule's group-by order.
    pub group: Vec<(String, String)>,
    /// `eventTime` of the first and of the last event of the window.
    pub first: String,
    pub last: String,
    pub measure: Measure,
    /// The events of the window in time order, at most a cap of them.
    pub members: Vec<Member>,
    /// How many events the window holds (`members` may list fewer).
    pub total: usize,
}

/// What a window's condition measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// Events counted.
    Count(usize),
    /// Distinct values of a field: `total` of them, the first few listed in `values`.
    Distinct {
        field: String,
        values: Vec<String>,
        total: usize,
    },
    /// Rules (by id) that matched in the window, in the order they first matched.
    Rules(Vec<String>),
}

impl Default for Measure {
    fn default() -> Measure {
        Measure::Count(0)
    }
}

/// One event of a window: when, which, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Member {
    pub event_id: Option<String>,
    pub event_time: String,
    /// The trail file and the 0-based record within it (`None` when read from a report that
    /// did not say).
    pub file: Option<String>,
    pub record: Option<usize>,
    /// The per-event rule that matched it.
    pub rule: Option<String>,
}

/// The order of findings in every report: event findings by file, record and rule id, then
/// window findings by rule id, window start and group.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey<'a> {
    Event(&'a str, usize, &'a str),
    Window(&'a str, &'a str, &'a [(String, String)]),
}

impl Finding {
    /// The enrichment of the finding's event, when enrichment is on.
    pub fn enrichment(&self) -> Option<&Enrichment> {
        self.event_location()?.enrichment.as_deref()
    }

    /// The name of the finding's account, when `--accounts` names it.
    pub fn account_name(&self) -> Option<&str> {
        self.enrichment()?.account_name.as_deref()
    }

    /// The place of the finding's source address, with `--geoip`.
    pub fn source_place(&self) -> Option<&SourcePlace> {
        self.enrichment()?.source.as_ref()
    }

    /// The event this finding is at, unless it is at a window.
    pub fn event_location(&self) -> Option<&EventLocation> {
        match &self.location {
            Location::Event(event) => Some(event),
            Location::Window(_) => None,
        }
    }

    /// When it happened: the event's `eventTime`, or the window's first event time.
    pub fn time(&self) -> Option<&str> {
        match &self.location {
            Location::Event(e) => e.event_time.as_deref(),
            Location::Window(w) => Some(&w.first),
        }
    }

    /// The identity of this finding across runs (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        match &self.location {
            Location::Event(e) => {
                fingerprint::fingerprint(&self.rule_id, e.event_id.as_deref(), &e.file, e.record)
            }
            Location::Window(w) => fingerprint::window(&self.rule_id, &w.group, &w.first),
        }
    }

    /// False for a finding already in the baseline: only the others count toward `--fail-on`.
    pub fn counts_toward_gate(&self) -> bool {
        self.baseline != Some(BaselineState::Unchanged)
    }

    /// The order of findings in every report.
    pub fn sort_key(&self) -> SortKey<'_> {
        match &self.location {
            Location::Event(e) => SortKey::Event(&e.file, e.record, &self.rule_id),
            Location::Window(w) => SortKey::Window(&self.rule_id, &w.first, &w.group),
        }
    }
}
