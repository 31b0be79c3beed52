//! The state of the correlation stage as it travels with a scan's result: per correlation,
//! group and second, a bucket of counts, distinct values and the first few member events. A
//! JSON Lines report carries these records so that `report --from` over shards, and the Spark
//! job, merge them into the state of one scan (`crate::correlate` folds and evaluates them).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (CloudTrail's `eventTime` has one-second resolution).
pub type Second = i64;

/// How many member events a bucket (and so a finding) keeps: the first ones by `Member`'s order.
pub const MEMBER_CAP: usize = 20;

/// An event that makes up a correlation finding, named so that a reader can find it.
///
/// A scan holds one per bucket (most buckets have one signal), so it is kept small: the rule id
/// and the file name are shared with every other member naming them, and the event id is
/// allocated to its length. Order, equality and the wire form are those of the texts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Member {
    pub time: Second,
    /// The id of the per-event rule that matched it.
    pub rule: Arc<str>,
    /// The trail file and the 0-based record within it (the name is shared with the scan's
    /// other references to the file).
    pub file: Arc<str>,
    pub record: u64,
    /// CloudTrail's `eventID`, empty when the event has none.
    pub event_id: Box<str>,
}

/// Everything one correlation's signals left in one second of one group.
///
/// Its vectors are sized to what they hold rather than grown by doubling: a bucket of one
/// signal (nearly all of them on a large trail) would otherwise reserve room for four members
/// and four counts, and a set of one value took a whole B-tree node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Signals per input, indexed like the correlation's inputs.
    pub counts: Vec<u64>,
    /// Distinct `value_count` values, sorted (a set).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "sorted_set"
    )]
    pub values: Vec<String>,
    /// The first `MEMBER_CAP` members by their order.
    pub members: Vec<Member>,
}

/// Values read from elsewhere (another shard's report) as a set: sorted, without repeats.
fn sorted_set<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let mut values = Vec::<String>::deserialize(d)?;
    values.sort_unstable();
    values.dedup();
    values.shrink_to_fit();
    Ok(values)
}

impl Bucket {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds `n` signals of input `input`; `inputs` is the correlation's number of inputs.
    pub(crate) fn count(&mut self, input: usize, inputs: usize, n: u64) {
        self.widen(inputs.max(input + 1));
        self.counts[input] += n;
    }

    fn widen(&mut self, len: usize) {
        if self.counts.len() < len {
            self.counts.reserve_exact(len - self.counts.len());
            self.counts.resize(len, 0);
        }
    }

    /// Adds values to the set.
    pub(crate) fn add_values(&mut self, values: impl IntoIterator<Item = String>) {
        for value in values {
            if let Err(at) = self.values.binary_search(&value) {
                if self.values.len() == self.values.capacity() && self.values.len() < 4 {
                    // Small sets (nearly all) grow one at a time, larger ones by doubling.
                    self.values.reserve_exact(1);
                }
                self.values.insert(at, value);
            }
        }
    }

    pub(crate) fn merge(&mut self, other: Bucket) {
        self.widen(other.counts.len());
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.add_values(other.values);
        self.add_members(other.members);
    }

    pub(crate) fn add_members(&mut self, members: Vec<Member>) {
        if self.members.is_empty() {
            // Taken as it is: a signal's members come in a vector of their own size.
            self.members = members;
        } else {
            self.members.reserve_exact(members.len());
            self.members.extend(members);
        }
        self.members.sort();
        self.members.dedup();
        self.members.truncate(MEMBER_CAP);
        if self.members.capacity() > MEMBER_CAP {
            self.members.shrink_to_fit();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn member(record: u64) -> Member {
        Member {
            time: 7,
            rule: "r".into(),
            file: "f".into(),
            record,
            event_id: format!("e{record}").into(),
        }
    }

    #[test]
    fn values_are_a_set_whatever_the_order_they_come_in() {
        let mut bucket = Bucket::default();
        bucket.add_values(["b", "a", "c", "a"].map(String::from));
        let mut other = Bucket::default();
        other.add_values(["d", "b"].map(String::from));
        bucket.merge(other);
        assert_eq!(bucket.values, ["a", "b", "c", "d"]);
        // Read back from a report written in any order, as a set too, and written as before
        // (when the values were a `BTreeSet`).
        let read: Bucket =
            serde_json::from_str(r#"{"counts":[1],"values":["z","a","z"],"members":[]}"#).unwrap();
        assert_eq!(read.values, ["a", "z"]);
        let written = serde_json::to_string(&read).unwrap();
        assert_eq!(written, r#"{"counts":[1],"values":["a","z"],"members":[]}"#);
        let none: Bucket = serde_json::from_str(r#"{"counts":[1],"members":[]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&none).unwrap(),
            r#"{"counts":[1],"members":[]}"#
        );
    }

    #[test]
    fn a_bucket_of_one_signal_reserves_room_for_one() {
        let mut bucket = Bucket::default();
        bucket.count(1, 6, 1);
        bucket.add_values(["v".to_string()]);
        bucket.add_members(vec![member(3)]);
        assert_eq!(bucket.counts, [0, 1, 0, 0, 0, 0]);
        assert_eq!(bucket.counts.capacity(), 6);
        assert_eq!(bucket.values.capacity(), 1);
        assert_eq!(bucket.members.capacity(), 1);
    }

    #[test]
    fn members_keep_the_first_by_order_and_never_more_than_the_cap() {
        let mut bucket = Bucket::default();
        for record in (0..50u64).rev() {
            bucket.add_members(vec![member(record)]);
            assert!(bucket.members.capacity() <= MEMBER_CAP);
        }
        let mut other = Bucket::default();
        other.add_members((0..30).map(member).collect());
        bucket.merge(other);
        let records: Vec<u64> = bucket.members.iter().map(|m| m.record).collect();
        assert_eq!(records, (0..MEMBER_CAP as u64).collect::<Vec<_>>());
        assert!(bucket.members.capacity() <= MEMBER_CAP);
    }
}
