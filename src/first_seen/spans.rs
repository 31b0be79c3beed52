//! The observations of one key of one `first_seen` rule, held as spans: maximal runs of
//! observations in which each is at most `history` seconds after the previous one.
//!
//! An observation is new (its combination was not seen in the `history` before it) exactly when
//! it starts a span, ties at one second going to the first event in report order. So a span
//! keeps its bounds and its first observation only, with a payload (what the finding needs)
//! for that one: memory per key is one span per episode of activity, not one per event. Spans
//! do not depend on the order observations arrive in, and two sets of spans merge into the
//! spans of all their observations.

use std::sync::Arc;

use crate::state::Interval;

/// Where an observation's event is, for report order and ties: file name, then record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventRef {
    pub file: Arc<str>,
    pub record: usize,
}

/// A span: `from..=to` in eventTime seconds, its first observation and that one's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Span<P> {
    pub from: i64,
    pub to: i64,
    pub first: EventRef,
    pub payload: P,
}

impl<P> Span<P> {
    /// Orders spans by their first observation: time, then report order.
    fn starts_before(&self, other: &Span<P>) -> bool {
        (self.from, &self.first) < (other.from, &other.first)
    }
}

/// The spans of one key, sorted by time and pairwise more than `history` apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Spans<P> {
    spans: Vec<Span<P>>,
}

impl<P> Default for Spans<P> {
    fn default() -> Self {
        Spans { spans: Vec::new() }
    }
}

impl<P> Spans<P> {
    pub fn as_slice(&self) -> &[Span<P>] {
        &self.spans
    }

    /// Whether an observation at `time` of event `at` would start a span (be new) given what is
    /// held: nothing in `[time - history, time)` and nothing at `time` earlier in report order.
    /// Observations added later can only take that away, never give it.
    pub fn would_start(&self, time: i64, at: &EventRef, history: i64) -> bool {
        let low = time.saturating_sub(history);
        !self
            .spans
            .iter()
            .any(|s| (s.from < time && s.to >= low) || (s.from == time && s.first < *at))
    }

    /// Adds one observation. `payload` is called only if the observation starts a span now.
    pub fn observe(&mut self, time: i64, at: EventRef, history: i64, payload: impl FnOnce() -> P) {
        let starts = self.would_start(time, &at, history);
        if starts {
            self.insert(
                Span {
                    from: time,
                    to: time,
                    first: at,
                    payload: payload(),
                },
                history,
            );
        } else {
            // The observation only stretches (or joins) spans: it never becomes a first.
            self.stretch(time, history);
        }
    }

    /// Adds a span (its observations), merging with every held span within `history` of it.
    pub fn insert(&mut self, span: Span<P>, history: i64) {
        let touching = |s: &Span<P>| {
            s.from.saturating_sub(history) <= span.to && span.from <= s.to.saturating_add(history)
        };
        let start = self
            .spans
            .partition_point(|s| !touching(s) && s.to < span.from);
        let mut end = start;
        while end < self.spans.len() && touching(&self.spans[end]) {
            end += 1;
        }
        // The merged span starts where its earliest part starts, with that part's first
        // observation and payload, and ends where the latest part ends.
        let mut merged = span;
        let mut to = merged.to;
        for held in self.spans.drain(start..end) {
            to = to.max(held.to);
            if held.starts_before(&merged) {
                merged = held;
            }
        }
        merged.to = to;
        if self.spans.len() == self.spans.capacity() && self.spans.len() < 4 {
            // A span holds a rendered finding (some 400 bytes before its heap): most keys
            // have one span, and growing by doubling reserved four of them (254,095 keys took
            // 709 MB on 1M events).
            self.spans.reserve_exact(1);
        }
        self.spans.insert(start, merged);
    }

    /// Adds an observation that starts no span: it lies inside a span or within `history` after
    /// one, so it extends that span and may join it with the next.
    fn stretch(&mut self, time: i64, history: i64) {
        let Some(i) = self
            .spans
            .iter()
            .rposition(|s| s.from <= time && time <= s.to.saturating_add(history))
        else {
            return;
        };
        self.spans[i].to = self.spans[i].to.max(time);
        let to = self.spans[i].to;
        while i + 1 < self.spans.len() && self.spans[i + 1].from.saturating_sub(history) <= to {
            let next = self.spans.remove(i + 1);
            self.spans[i].to = self.spans[i].to.max(next.to);
        }
    }

    /// Adds every span of `other`.
    pub fn merge(&mut self, other: Spans<P>, history: i64) {
        for span in other.spans {
            self.insert(span, history);
        }
    }

    /// The spans as plain intervals.
    pub fn intervals(&self) -> impl Iterator<Item = Interval> + '_ {
        self.spans.iter().map(|s| Interval {
            from: s.from,
            to: s.to,
        })
    }

    pub fn into_spans(self) -> Vec<Span<P>> {
        self.spans
    }
}

/// Merges intervals (in any order) into sorted intervals pairwise more than `history` apart.
pub fn merge_intervals(mut intervals: Vec<Interval>, history: i64) -> Vec<Interval> {
    intervals.sort_unstable();
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for interval in intervals {
        match merged.last_mut() {
            Some(last) if interval.from.saturating_sub(history) <= last.to => {
                last.to = last.to.max(interval.to);
            }
            _ => merged.push(interval),
        }
    }
    merged
}

/// Whether stored intervals (observations of earlier runs) hold an observation in
/// `[time - history, time]`: an observation of an earlier run at the same second came first.
pub fn seen_in(intervals: &[Interval], time: i64, history: i64) -> bool {
    let low = time.saturating_sub(history);
    intervals.iter().any(|i| i.from <= time && i.to >= low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(file: &str, record: usize) -> EventRef {
        EventRef {
            file: Arc::from(file),
            record,
        }
    }

    /// The brute-force definition: an observation is new iff no other observation is in
    /// `[t - h, t)` and none at `t` comes first in report order.
    fn brute_new(obs: &[(i64, EventRef)], h: i64) -> Vec<(i64, EventRef)> {
        let mut new: Vec<(i64, EventRef)> = obs
            .iter()
            .filter(|(t, r)| {
                !obs.iter()
                    .any(|(u, s)| (*u < *t && *u >= t - h) || (*u == *t && s < r))
            })
            .cloned()
            .collect();
        new.sort();
        new.dedup();
        new
    }

    fn firsts(spans: &Spans<(i64, EventRef)>) -> Vec<(i64, EventRef)> {
        spans.as_slice().iter().map(|s| s.payload.clone()).collect()
    }

    #[test]
    fn a_gap_longer_than_the_history_makes_a_key_new_again() {
        let day = 86_400;
        let mut spans = Spans::default();
        for (t, r) in [(0, 0), (20 * day, 1), (21 * day, 2), (10 * day, 3)] {
            spans.observe(t, at("f", r), 14 * day, || (t, r));
        }
        // 10d bridges 0 and 20d: one span; nothing is new but the first.
        assert_eq!(spans.as_slice().len(), 1);
        assert_eq!(spans.as_slice()[0].payload, (0, 0));

        let mut spans = Spans::default();
        for (t, r) in [(21 * day, 2), (20 * day, 1), (0, 0)] {
            spans.observe(t, at("f", r), 14 * day, || (t, r));
        }
        let got: Vec<_> = spans.as_slice().iter().map(|s| s.payload).collect();
        assert_eq!(got, vec![(0, 0), (20 * day, 1)]);
    }

    #[test]
    fn ties_go_to_the_first_in_report_order() {
        let mut spans = Spans::default();
        spans.observe(5, at("b", 0), 10, || "b");
        spans.observe(5, at("a", 9), 10, || "a");
        spans.observe(5, at("a", 10), 10, || "late");
        assert_eq!(spans.as_slice().len(), 1);
        assert_eq!(spans.as_slice()[0].payload, "a");
    }

    #[test]
    fn payloads_are_made_only_for_starts() {
        let mut spans: Spans<u32> = Spans::default();
        let mut made = 0;
        for t in [100, 101, 102, 50, 103] {
            spans.observe(t, at("f", t as usize), 10, || {
                made += 1;
                0
            });
        }
        // 100 starts, 101..103 do not, 50 starts a span of its own.
        assert_eq!(made, 2);
        assert_eq!(spans.as_slice().len(), 2);
    }

    #[test]
    fn a_key_seen_in_one_episode_reserves_one_span() {
        let mut spans: Spans<[u8; 512]> = Spans::default();
        for t in [100, 101, 99] {
            spans.observe(t, at("f", t as usize), 10, || [0; 512]);
        }
        assert_eq!(spans.as_slice().len(), 1);
        assert_eq!(spans.spans.capacity(), 1);
        // Episodes far apart: each adds its span, and the spans stay in time order.
        for t in [1_000, 500, 2_000] {
            spans.observe(t, at("f", t as usize), 10, || [0; 512]);
        }
        let froms: Vec<i64> = spans.as_slice().iter().map(|s| s.from).collect();
        assert_eq!(froms, [99, 500, 1_000, 2_000]);
        assert_eq!(spans.spans.capacity(), 4);
    }

    #[test]
    fn stored_intervals_answer_like_observations() {
        let stored = vec![Interval { from: 10, to: 20 }, Interval { from: 50, to: 50 }];
        assert!(seen_in(&stored, 10, 5));
        assert!(seen_in(&stored, 25, 5));
        assert!(!seen_in(&stored, 26, 5));
        assert!(!seen_in(&stored, 9, 5));
        assert!(seen_in(&stored, 50, 0));
        assert_eq!(
            merge_intervals(
                vec![
                    Interval { from: 30, to: 30 },
                    Interval { from: 0, to: 10 },
                    Interval { from: 15, to: 20 }
                ],
                5
            ),
            vec![Interval { from: 0, to: 20 }, Interval { from: 30, to: 30 }]
        );
    }

    fn observations() -> impl Strategy<Value = (Vec<(i64, EventRef)>, i64, Vec<usize>, u64)> {
        (
            prop::collection::vec((0i64..200, 0usize..3, 0usize..4), 0..40),
            1i64..40,
            prop::collection::vec(0usize..4, 40),
            any::<u64>(),
        )
            .prop_map(|(raw, h, split, seed)| {
                let obs = raw
                    .into_iter()
                    .map(|(t, f, r)| (t, at(["a", "b", "c"][f], r)))
                    .collect();
                (obs, h, split, seed)
            })
    }

    proptest! {
        /// Any arrival order and any split into parts merged in any order give the spans whose
        /// firsts are exactly the brute-force new observations.
        #[test]
        fn spans_match_the_definition_whatever_the_order(
            (obs, h, split, seed) in observations()
        ) {
            let expected = brute_new(&obs, h);

            let mut shuffled = obs.clone();
            // A cheap deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut parts: Vec<Spans<(i64, EventRef)>> = vec![Spans::default(); 4];
            for (i, (t, r)) in shuffled.iter().enumerate() {
                let payload = (*t, r.clone());
                parts[split[i % split.len()]].observe(*t, r.clone(), h, || payload);
            }
            let mut whole = Spans::default();
            for part in parts.into_iter().rev() {
                whole.merge(part, h);
            }
            let mut got = firsts(&whole);
            got.sort();
            prop_assert_eq!(&got, &expected);
            // Spans are sorted and more than h apart.
            for pair in whole.as_slice().windows(2) {
                prop_assert!(pair[1].from - pair[0].to > h);
            }
            let intervals: Vec<Interval> = whole.intervals().collect();
            prop_assert_eq!(merge_intervals(intervals.clone(), h), intervals);
        }
    }
}
