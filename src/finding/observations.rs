//! The state of the first-seen stage as it travels with a scan's result: per `first_seen` rule,
//! what the scan covered, and per combination of field values its spans of observations, each
//! with the finding its first event would raise. A JSON Lines report of a scan without a state
//! store carries these records so that `report --from` over shards (and the Spark job) judges
//! the new combinations once, over every shard, as one scan would (`crate::first_seen` holds and
//! judges them).

use std::sync::Arc;

use super::spill::Spilled;
use super::Finding;

/// One `first_seen` rule in one scan: what it covered and what it could not place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRule {
    pub rule_id: String,
    /// The `eventTime` span (seconds) of the events the scan evaluated with the rule; `None`
    /// when none had a time.
    pub scanned: Option<(i64, i64)>,
    /// Matches without a value for some field.
    pub no_key: u64,
    /// Matches without a readable `eventTime`.
    pub no_time: u64,
}

/// One combination of one rule: its spans, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedKey {
    pub rule_id: Arc<str>,
    /// The combination's values, in the order of the rule's `fields`, as a compact JSON array
    /// of strings: the first-seen stage's key as it is, and the bytes a report writes.
    pub values_json: Box<[u8]>,
    pub spans: Box<[ObservedSpan]>,
}

/// A maximal run of observations of one combination, each at most the rule's history after the
/// previous: its bounds, and the finding of its first observation (which locates that event).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedSpan {
    pub from: i64,
    pub to: i64,
    pub finding: SpanFinding,
}

/// The finding of a span's first event. A scan that writes JSON Lines carries one per
/// combination and episode, so they are kept on disk where a temporary file can be made.
#[derive(Debug, Clone, PartialEq)]
pub enum SpanFinding {
    /// In memory, shared with the stage that holds it.
    Held(Arc<Finding>),
    /// Its JSON Lines text (the wire form, `type: finding`) in a spill, the event it keeps
    /// beside it (empty when none), and where the event is.
    Spilled {
        text: Spilled,
        file: Arc<str>,
        record: usize,
    },
}

impl SpanFinding {
    /// The file and record of the finding's event; `None` for a held finding at a window,
    /// which no span has.
    pub fn place(&self) -> Option<(&Arc<str>, usize)> {
        match self {
            SpanFinding::Held(finding) => finding.event_location().map(|e| (&e.file, e.record)),
            SpanFinding::Spilled { file, record, .. } => Some((file, *record)),
        }
    }
}

/// The first-seen observations of a scan, or of shards merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observations {
    pub rules: Vec<ObservedRule>,
    pub keys: Vec<ObservedKey>,
}

impl Observations {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.keys.is_empty()
    }
}
