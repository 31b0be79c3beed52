//! The state of the correlation stage as it travels with a scan's result: per correlation,
//! group and second, a bucket of counts, distinct values and the first few member events. A
//! JSON Lines report carries these records so that `report --from` over shards, and the Spark
//! job, merge them into the state of one scan (`crate::correlate` folds and evaluates them).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (CloudTrail's `eventTime` has one-second resolution).
pub type Second = i64;

/// How many member events a bucket (and so a finding) keeps: the first ones by `Member`'s order.
pub const MEMBER_CAP: usize = 20;

/// An event that makes up a correlation finding, named so that a reader can find it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Member {
    pub time: Second,
    /// The id of the per-event rule that matched it.
    pub rule: String,
    /// The trail file and the 0-based record within it (the name is shared with the scan's
    /// other references to the file).
    pub file: std::sync::Arc<str>,
    pub record: u64,
    /// CloudTrail's `eventID`, empty when the event has none.
    pub event_id: String,
}

/// Everything one correlation's signals left in one second of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Signals per input, indexed like the correlation's inputs.
    pub counts: Vec<u64>,
    /// Distinct `value_count` values.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub values: BTreeSet<String>,
    /// The first `MEMBER_CAP` members by their order.
    pub members: Vec<Member>,
}

impl Bucket {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub(crate) fn merge(&mut self, other: Bucket) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.values.extend(other.values);
        self.add_members(other.members);
    }

    pub(crate) fn add_members(&mut self, members: Vec<Member>) {
        self.members.extend(members);
        self.members.sort();
        self.members.dedup();
        self.members.truncate(MEMBER_CAP);
    }
}

/// One bucket of one group of one correlation, as it travels between machines (a JSON Lines
/// report's signal records): adding every record of every shard to an empty collector gives the
/// state of one scan over all of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignalRecord {
    pub correlation: String,
    pub group: Vec<String>,
    pub second: Second,
    #[serde(flatten)]
    pub bucket: Bucket,
}
