//! Signals and the bounded state they fold into: per correlation, per group, per second, a count
//! for each input, the distinct values seen (`value_count` only) and the first few events by a
//! fixed order. Adding signals and merging tables are commutative and associative, so the state
//! of a scan does not depend on the order of files, of events within them, or of threads, and
//! shard A merged with shard B equals one scan of both.

use std::collections::BTreeMap;

pub use crate::finding::signals::{Bucket, Member, Second, MEMBER_CAP};

/// One match of an input of one correlation, reduced to what the window needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// Index of the input (the referenced rule) in the correlation's `inputs`.
    pub input: usize,
    pub time: Second,
    /// The group-by values, in `group_by` order.
    pub group: Vec<String>,
    /// The `value_count` field's values: one, or each element of a list-valued field (a
    /// `GetParameters` call names many parameters); empty for the other kinds.
    pub values: Vec<String>,
    /// The events behind it: one for a rule's match, several for a chained correlation's
    /// finding.
    pub members: Vec<Member>,
}

/// A group's buckets by second, borrowed from its table for one evaluation.
pub type Timeline<'a> = BTreeMap<Second, &'a Bucket>;

/// The signals of one correlation: (group values, second) -> bucket. One ordered map for every
/// group, so that a group with one bucket (most of them: a session key, an address) costs one
/// entry, not a map of its own; a group's buckets are next to each other in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalTable {
    buckets: BTreeMap<(Vec<String>, Second), Bucket>,
}

impl SignalTable {
    /// Folds one signal in. `inputs` is the correlation's number of inputs.
    pub fn add(&mut self, signal: Signal, inputs: usize) {
        let bucket = self.buckets.entry((signal.group, signal.time)).or_default();
        bucket.count(signal.input, inputs, 1);
        bucket.add_values(signal.values);
        if bucket.members.len() < MEMBER_CAP || signal.members.first() < bucket.members.last() {
            bucket.add_members(signal.members);
        }
    }

    /// Adds one bucket (of another table, or read from a report), as if its signals had been
    /// added here.
    pub fn add_bucket(&mut self, group: Vec<String>, second: Second, bucket: Bucket) {
        self.buckets
            .entry((group, second))
            .or_default()
            .merge(bucket);
    }

    /// Adds another table's signals, as if they had been added here.
    pub fn merge(&mut self, other: SignalTable) {
        for ((group, second), bucket) in other.buckets {
            self.add_bucket(group, second, bucket);
        }
    }

    /// Number of (group, second) buckets held: the state's size.
    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }

    /// Every bucket, in (group, second) order.
    pub fn entries(&self) -> impl Iterator<Item = (&[String], Second, &Bucket)> {
        self.buckets
            .iter()
            .map(|((group, second), bucket)| (group.as_slice(), *second, bucket))
    }

    /// Every bucket, in (group, second) order, leaving nothing behind.
    pub fn into_entries(self) -> impl Iterator<Item = (Vec<String>, Second, Bucket)> {
        self.buckets
            .into_iter()
            .map(|((group, second), bucket)| (group, second, bucket))
    }

    /// Each group with its timeline, in group order, one at a time: evaluating a table holds
    /// the timeline of one group, not of all of them (a map per group cost some 30 MB more
    /// than the table itself on 1M events).
    pub fn groups(&self) -> impl Iterator<Item = (&[String], Timeline<'_>)> {
        let mut buckets = self.buckets.iter().peekable();
        std::iter::from_fn(move || {
            let ((group, second), bucket) = buckets.next()?;
            let mut timeline = BTreeMap::from([(*second, bucket)]);
            while let Some(((_, second), bucket)) = buckets.next_if(|((g, _), _)| g == group) {
                timeline.insert(*second, bucket);
            }
            Some((group.as_slice(), timeline))
        })
    }

    /// One group's timeline (empty when it has no signal).
    pub fn group(&self, group: &[String]) -> Timeline<'_> {
        self.buckets
            .range((group.to_vec(), Second::MIN)..=(group.to_vec(), Second::MAX))
            .map(|((_, second), bucket)| (*second, bucket))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(input: usize, time: Second, group: &str, record: u64) -> Signal {
        Signal {
            input,
            time,
            group: vec![group.into()],
            values: vec![format!("v{}", record % 3)],
            members: vec![Member {
                time,
                rule: format!("r{input}").into(),
                file: std::sync::Arc::from("f"),
                record,
                event_id: "".into(),
            }],
        }
    }

    #[test]
    fn a_million_matches_in_one_second_keep_one_bucket_and_capped_members() {
        let mut table = SignalTable::default();
        for record in 0..1_000_000u64 {
            table.add(signal(0, 100, "g", 1_000_000 - record), 1);
        }
        assert_eq!(table.buckets(), 1);
        let bucket = table.group(&["g".to_string()])[&100];
        assert_eq!(bucket.total(), 1_000_000);
        assert_eq!(bucket.values.len(), 3);
        assert_eq!(bucket.members.len(), MEMBER_CAP);
        assert_eq!(bucket.members[0].record, 1);
    }

    #[test]
    fn groups_come_one_at_a_time_each_with_its_whole_timeline() {
        let mut table = SignalTable::default();
        for (group, time) in [("b", 5), ("a", 9), ("b", 1), ("c", 2), ("a", 3), ("b", 5)] {
            table.add(signal(0, time, group, time as u64), 1);
        }
        type Totals = Vec<(Second, u64)>;
        let groups: Vec<(Vec<String>, Totals)> = table
            .groups()
            .map(|(group, timeline)| {
                let seconds = timeline.iter().map(|(s, b)| (*s, b.total())).collect();
                (group.to_vec(), seconds)
            })
            .collect();
        let expected = [
            ("a", vec![(3, 1), (9, 1)]),
            ("b", vec![(1, 1), (5, 2)]),
            ("c", vec![(2, 1)]),
        ]
        .map(|(g, t)| (vec![g.to_string()], t));
        assert_eq!(groups, expected);
        assert!(SignalTable::default().groups().next().is_none());
    }

    #[test]
    fn merging_is_order_independent() {
        let signals: Vec<Signal> = (0..200u64)
            .map(|i| {
                signal(
                    (i % 2) as usize,
                    (i * 7 % 13) as i64,
                    ["a", "b"][(i % 5 % 2) as usize],
                    i,
                )
            })
            .collect();
        let mut whole = SignalTable::default();
        for s in signals.iter().cloned() {
            whole.add(s, 2);
        }
        let mut left = SignalTable::default();
        let mut right = SignalTable::default();
        for (i, s) in signals.iter().rev().cloned().enumerate() {
            if i % 3 == 0 {
                left.add(s, 2);
            } else {
                right.add(s, 2);
            }
        }
        right.merge(left);
        assert_eq!(whole, right);
    }
}
