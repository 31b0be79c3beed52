//! Sliding windows over one group's timeline. The semantics (docs/correlations.md):
//!
//! - A window is `[s, s + timespan)` in whole seconds, anchored at a second `s` that holds a
//!   signal of the group. (For `gt`/`gte` conditions the largest count of any window is the
//!   count of an anchored one, so anchoring loses nothing; for `lt`/`lte`/`eq` it fixes which
//!   windows are judged.)
//! - The measure of a window: events (`event_count`), distinct values (`value_count`), distinct
//!   inputs (`temporal`), or the longest prefix of the inputs found in order, each at or after
//!   the second of the one before (`temporal_ordered`; equal seconds count as in order, since
//!   CloudTrail cannot order events within a second).
//! - A window fires when the condition holds for its measure. Firing windows that overlap
//!   (an anchor less than `timespan` after the previous firing anchor) make one episode; an
//!   episode gives one finding, spanning its first anchor to the last signal of its last window.
//!
//! Everything here is a function of the timeline alone, never of arrival order.

use std::collections::{BTreeSet, HashMap};

use super::table::{Member, Second, Timeline, MEMBER_CAP};
use crate::rule::correlation::{CountCondition, Measure};

/// What to compute over a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSpec {
    pub measure: Measure,
    /// Number of inputs (referenced rules).
    pub inputs: usize,
    pub timespan: u64,
    pub condition: CountCondition,
}

/// How many distinct values a finding lists (the total is always given).
pub const VALUE_CAP: usize = 50;

/// One firing episode of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub group: Vec<String>,
    /// The first firing window's anchor: the episode's first signal, and its identity.
    pub start: Second,
    /// The last signal of the episode's last firing window.
    pub end: Second,
    /// The measure of the first firing window (what made it fire).
    pub measure: u64,
    /// The largest measure of any of its firing windows.
    pub peak: u64,
    /// Signals in the episode, per input.
    pub counts: Vec<u64>,
    /// Distinct `value_count` values in the episode, the first `VALUE_CAP` in order.
    pub values: Vec<String>,
    pub distinct_values: u64,
    /// The first `MEMBER_CAP` member events, and how many signals there are in all.
    pub members: Vec<Member>,
}

impl Episode {
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// The highest measure any window of the timeline reaches, whether or not it fires (for
/// `explain`: how close a group came).
pub fn peak(spec: &WindowSpec, timeline: &Timeline<'_>) -> u64 {
    let seconds: Vec<Second> = timeline.keys().copied().collect();
    measures(spec, &seconds, timeline)
        .into_iter()
        .max()
        .unwrap_or(0)
}

/// The episodes of one group, in time order.
pub fn episodes(spec: &WindowSpec, group: &[String], timeline: &Timeline<'_>) -> Vec<Episode> {
    let seconds: Vec<Second> = timeline.keys().copied().collect();
    let measures = measures(spec, &seconds, timeline);
    let span = i64::try_from(spec.timespan).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    let mut current: Option<(usize, usize, u64, u64)> = None; // first anchor, last anchor, measure, peak
    for (i, &measure) in measures.iter().enumerate() {
        if !spec.condition.holds(measure) {
            continue;
        }
        current = match current {
            Some((first, last, m, peak)) if seconds[i] < seconds[last].saturating_add(span) => {
                Some((first, i, m, peak.max(measure)))
            }
            Some(done) => {
                out.push(close(spec, group, timeline, &seconds, done));
                Some((i, i, measure, measure))
            }
            None => Some((i, i, measure, measure)),
        };
    }
    if let Some(done) = current {
        out.push(close(spec, group, timeline, &seconds, done));
    }
    out
}

fn close(
    spec: &WindowSpec,
    group: &[String],
    timeline: &Timeline<'_>,
    seconds: &[Second],
    (first, last, measure, peak): (usize, usize, u64, u64),
) -> Episode {
    let span = i64::try_from(spec.timespan).unwrap_or(i64::MAX);
    let start = seconds[first];
    let limit = seconds[last].saturating_add(span);
    let mut counts = vec![0u64; spec.inputs];
    let mut values = BTreeSet::new();
    let mut members = Vec::new();
    let mut end = start;
    for (&second, bucket) in timeline.range(start..limit) {
        end = second;
        for (total, n) in counts.iter_mut().zip(&bucket.counts) {
            *total += n;
        }
        values.extend(bucket.values.iter());
        // A chained signal's members are older than its second, so the same event can come
        // back in a later bucket: keep the first occurrence.
        for member in &bucket.members {
            if members.len() < MEMBER_CAP && !members.contains(member) {
                members.push(member.clone());
            }
        }
    }
    Episode {
        group: group.to_vec(),
        start,
        end,
        measure,
        peak,
        counts,
        distinct_values: values.len() as u64,
        values: values.into_iter().take(VALUE_CAP).cloned().collect(),
        members,
    }
}

/// The measure of the window anchored at each second.
fn measures(spec: &WindowSpec, seconds: &[Second], timeline: &Timeline<'_>) -> Vec<u64> {
    let span = i64::try_from(spec.timespan).unwrap_or(i64::MAX);
    let buckets: Vec<_> = timeline.values().collect();
    let n = seconds.len();
    let mut out = Vec::with_capacity(n);
    match spec.measure {
        Measure::OrderedPrefix => {
            let per_input: Vec<Vec<Second>> = (0..spec.inputs)
                .map(|q| {
                    seconds
                        .iter()
                        .zip(&buckets)
                        .filter(|(_, b)| b.counts.get(q).is_some_and(|&c| c > 0))
                        .map(|(s, _)| *s)
                        .collect()
                })
                .collect();
            for &anchor in seconds {
                let end = anchor.saturating_add(span);
                let mut at = anchor;
                let mut prefix = 0u64;
                for list in &per_input {
                    let idx = list.partition_point(|&s| s < at);
                    match list.get(idx) {
                        Some(&s) if s < end => {
                            at = s;
                            prefix += 1;
                        }
                        _ => break,
                    }
                }
                out.push(prefix);
            }
        }
        Measure::Events | Measure::DistinctValues | Measure::DistinctInputs => {
            let mut events = 0u64;
            let mut values: HashMap<&str, u32> = HashMap::new();
            let mut inputs = vec![0u32; spec.inputs];
            let mut distinct_inputs = 0u64;
            let mut j = 0;
            for i in 0..n {
                let end = seconds[i].saturating_add(span);
                while j < n && seconds[j] < end {
                    let b = buckets[j];
                    events += b.total();
                    for v in &b.values {
                        *values.entry(v.as_str()).or_insert(0) += 1;
                    }
                    for (q, &c) in b.counts.iter().enumerate() {
                        if c > 0 && q < inputs.len() {
                            if inputs[q] == 0 {
                                distinct_inputs += 1;
                            }
                            inputs[q] += 1;
                        }
                    }
                    j += 1;
                }
                out.push(match spec.measure {
                    Measure::Events => events,
                    Measure::DistinctValues => values.len() as u64,
                    _ => distinct_inputs,
                });
                let b = buckets[i];
                events -= b.total();
                for v in &b.values {
                    if let Some(c) = values.get_mut(v.as_str()) {
                        *c -= 1;
                        if *c == 0 {
                            values.remove(v.as_str());
                        }
                    }
                }
                for (q, &c) in b.counts.iter().enumerate() {
                    if c > 0 && q < inputs.len() {
                        inputs[q] -= 1;
                        if inputs[q] == 0 {
                            distinct_inputs -= 1;
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::table::{Signal, SignalTable};
    use crate::rule::correlation::CountOp;

    /// The timeline of one group with these signals; the table is leaked so that the test can
    /// hold its timeline as long as it likes.
    fn timeline(points: &[(usize, Second, &str)], inputs: usize) -> Timeline<'static> {
        let mut table = SignalTable::default();
        for (k, &(input, time, value)) in points.iter().enumerate() {
            table.add(
                Signal {
                    input,
                    time,
                    group: vec![],
                    values: if value.is_empty() {
                        Vec::new()
                    } else {
                        vec![value.to_string()]
                    },
                    members: vec![Member {
                        time,
                        rule: format!("r{input}").into(),
                        file: "f".into(),
                        record: k as u64,
                        event_id: "".into(),
                    }],
                },
                inputs,
            );
        }
        let table: &'static SignalTable = Box::leak(Box::new(table));
        table.group(&[])
    }

    fn spec(measure: Measure, inputs: usize, timespan: u64, op: CountOp, n: u64) -> WindowSpec {
        WindowSpec {
            measure,
            inputs,
            timespan,
            condition: CountCondition {
                bounds: vec![(op, n)],
            },
        }
    }

    #[test]
    fn a_burst_gives_one_episode_not_one_per_event() {
        // 30 events one per second, threshold 10 in 10 s: every anchor 0..=20 fires.
        let points: Vec<_> = (0..30).map(|t| (0, t, "")).collect();
        let eps = episodes(
            &spec(Measure::Events, 1, 10, CountOp::Gte, 10),
            &[],
            &timeline(&points, 1),
        );
        assert_eq!(eps.len(), 1);
        assert_eq!((eps[0].start, eps[0].end, eps[0].total()), (0, 29, 30));
        assert_eq!((eps[0].measure, eps[0].peak), (10, 10));
        assert_eq!(eps[0].members.len(), MEMBER_CAP);
    }

    #[test]
    fn windows_are_half_open_and_slide() {
        let s = spec(Measure::Events, 1, 10, CountOp::Gte, 2);
        // 10 s apart: not in one 10 s window
        assert!(episodes(&s, &[], &timeline(&[(0, 0, ""), (0, 10, "")], 1)).is_empty());
        // 9 s apart, across any bucket boundary: one window
        let eps = episodes(&s, &[], &timeline(&[(0, 55, ""), (0, 64, "")], 1));
        assert_eq!((eps[0].start, eps[0].end), (55, 64));
        // two bursts far apart: two episodes
        let eps = episodes(
            &s,
            &[],
            &timeline(&[(0, 0, ""), (0, 1, ""), (0, 100, ""), (0, 100, "")], 1),
        );
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[1].start, 100);
    }

    #[test]
    fn value_count_counts_distinct_values() {
        let s = spec(Measure::DistinctValues, 1, 60, CountOp::Gte, 3);
        let few = timeline(&[(0, 0, "a"), (0, 1, "a"), (0, 2, "b"), (0, 3, "b")], 1);
        assert!(episodes(&s, &[], &few).is_empty());
        let many = timeline(&[(0, 0, "a"), (0, 30, "b"), (0, 59, "c"), (0, 61, "d")], 1);
        let eps = episodes(&s, &[], &many);
        assert_eq!(eps.len(), 1);
        assert_eq!(
            (eps[0].start, eps[0].end, eps[0].distinct_values),
            (0, 61, 4)
        );
        assert_eq!(eps[0].values, ["a", "b", "c", "d"]);
    }

    #[test]
    fn temporal_needs_the_inputs_and_ordered_needs_their_order() {
        let both = timeline(&[(1, 0, ""), (0, 5, "")], 2);
        let unordered = spec(Measure::DistinctInputs, 2, 60, CountOp::Gte, 2);
        let ordered = spec(Measure::OrderedPrefix, 2, 60, CountOp::Gte, 2);
        assert_eq!(episodes(&unordered, &[], &both).len(), 1);
        assert!(episodes(&ordered, &[], &both).is_empty());
        let in_order = timeline(&[(0, 0, ""), (1, 5, "")], 2);
        assert_eq!(episodes(&ordered, &[], &in_order).len(), 1);
        let same_second = timeline(&[(1, 7, ""), (0, 7, "")], 2);
        assert_eq!(episodes(&ordered, &[], &same_second).len(), 1);
        let too_late = timeline(&[(0, 0, ""), (1, 60, "")], 2);
        assert!(episodes(&ordered, &[], &too_late).is_empty());
        // a later first input opens a window of its own
        let retry = timeline(&[(0, 0, ""), (0, 100, ""), (1, 120, "")], 2);
        assert_eq!(episodes(&ordered, &[], &retry)[0].start, 100);
    }

    #[test]
    fn upper_bounds_judge_anchored_windows() {
        // fewer than 3 events in 10 s: the windows at 20 and 30 hold 2 and 1
        let s = spec(Measure::Events, 1, 50, CountOp::Lt, 3);
        let eps = episodes(
            &s,
            &[],
            &timeline(&[(0, 0, ""), (0, 10, ""), (0, 20, ""), (0, 30, "")], 1),
        );
        assert_eq!(eps.len(), 1);
        assert_eq!((eps[0].start, eps[0].end, eps[0].measure), (20, 30, 2));
    }
}
