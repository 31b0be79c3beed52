use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::rule::path::Path;
use crate::state::Store;

const DAY: i64 = 86_400;
const T0: i64 = 1_700_006_400; // 2023-11-15T00:00:00Z

/// Rows of `seen`: (rule, key) to (last, intervals).
type SeenRows = BTreeMap<([u8; 16], Vec<u8>), (i64, Vec<Interval>)>;

/// History kept in memory, as the store keeps it.
#[derive(Debug, Default, Clone)]
struct Memory {
    seen: SeenRows,
    coverage: BTreeMap<[u8; 16], Coverage>,
}

impl History for Memory {
    fn seen(&self, rule: &[u8; 16], key: &[u8]) -> Result<Vec<Interval>, StateError> {
        Ok(self
            .seen
            .get(&(*rule, key.to_vec()))
            .map(|(_, i)| i.clone())
            .unwrap_or_default())
    }
    fn put_seen(&mut self, rule: &[u8; 16], key: &[u8], i: &[Interval]) -> Result<(), StateError> {
        let last = i.iter().map(|i| i.to).max().unwrap_or(i64::MIN);
        self.seen.insert((*rule, key.to_vec()), (last, i.to_vec()));
        Ok(())
    }
    fn prune_seen(&mut self, rule: &[u8; 16], before: i64) -> Result<usize, StateError> {
        let n = self.seen.len();
        self.seen
            .retain(|(r, _), (last, _)| r != rule || *last >= before);
        Ok(n - self.seen.len())
    }
    fn coverage(&self, rule: &[u8; 16]) -> Result<Option<Coverage>, StateError> {
        Ok(self.coverage.get(rule).copied())
    }
    fn put_coverage(&mut self, rule: &[u8; 16], _: &str, c: Coverage) -> Result<(), StateError> {
        self.coverage.insert(*rule, c);
        Ok(())
    }
}

fn rule(history: i64) -> FirstSeen {
    FirstSeen {
        fields: vec![
            Path::parse("$.userIdentity.arn").unwrap(),
            Path::parse("$.sourceIPAddress").unwrap(),
        ],
        history,
    }
}

fn time(secs: i64) -> String {
    crate::time::Timestamp::from_secs(secs).to_rfc3339()
}

/// An event: (seconds, principal, address, file, record).
type Ev = (i64, &'static str, &'static str, &'static str, usize);

fn value((t, arn, ip, _, _): &Ev) -> Value {
    json!({"eventTime": time(*t), "userIdentity": {"arn": arn}, "sourceIPAddress": ip})
}

/// One run over `events` (in the order given) with `history`; the payload is (file, record).
fn run(
    events: &[Ev],
    first_seen: &FirstSeen,
    history: &mut dyn History,
) -> (Vec<(String, usize)>, RuleSummary) {
    let mut observer: Observer<(String, usize)> = Observer::default();
    for ev in events {
        let at = EventRef {
            file: Arc::from(ev.3),
            record: ev.4,
        };
        observer.observe(0, first_seen, &value(ev), at, || (ev.3.to_string(), ev.4));
    }
    let scanned = events
        .iter()
        .map(|e| Coverage {
            from: e.0,
            latest: e.0,
        })
        .reduce(Coverage::join);
    let judged = [Judged {
        rule: 0,
        rule_id: "r",
        fingerprint: [9; 16],
        history: first_seen.history,
        scanned,
    }];
    let (mut findings, mut summaries) = judge(observer, &judged, history).unwrap();
    findings.sort();
    (findings, summaries.remove(0))
}

#[test]
fn one_run_learns_from_its_own_earliest_events() {
    let events = [
        (T0, "alice", "1.1.1.1", "d0", 0),
        (T0 + 15 * DAY, "alice", "1.1.1.1", "d15", 0), // seen 15 days ago: new again
        (T0 + 16 * DAY, "alice", "2.2.2.2", "d16", 0), // never seen: new
        (T0 + 16 * DAY + 60, "alice", "2.2.2.2", "d16", 1), // a minute later: seen
        (T0 + 3 * DAY, "bob", "3.3.3.3", "d3", 0),     // new, but inside the first window
    ];
    let (findings, summary) = run(&events, &rule(14 * DAY), &mut NoHistory);
    assert_eq!(
        findings,
        vec![("d15".into(), 0), ("d16".into(), 0)],
        "{summary:?}"
    );
    assert_eq!(summary.new, 2);
    assert_eq!(summary.learning, 2); // alice@1.1.1.1 on day 0, bob on day 3
    assert_eq!(summary.keys, 3);
}

#[test]
fn a_second_run_reports_only_new_combinations() {
    let first = [
        (T0, "alice", "1.1.1.1", "a", 0),
        (T0 + 20 * DAY, "alice", "1.1.1.1", "b", 0),
        (T0 + 20 * DAY, "carol", "9.9.9.9", "b", 1),
    ];
    let mut store = Memory::default();
    let (findings, _) = run(&first, &rule(14 * DAY), &mut store);
    // Alice again after 20 days (new again), carol is new; both past the first window.
    assert_eq!(findings, vec![("b".into(), 0), ("b".into(), 1)]);

    let next_day = [
        (T0 + 21 * DAY, "alice", "1.1.1.1", "c", 0), // seen yesterday
        (T0 + 21 * DAY, "dave", "4.4.4.4", "c", 1),  // new
        (T0 + 21 * DAY, "carol", "9.9.9.9", "c", 2), // seen yesterday
    ];
    let (findings, summary) = run(&next_day, &rule(14 * DAY), &mut store);
    assert_eq!(findings, vec![("c".into(), 1)], "{summary:?}");
    assert_eq!(summary.learning, 0);

    // 15 days after dave's only event, he is new again.
    let later = [(T0 + 36 * DAY + 1, "dave", "4.4.4.4", "d", 0)];
    let (findings, _) = run(&later, &rule(14 * DAY), &mut store);
    assert_eq!(findings, vec![("d".into(), 0)]);
}

#[test]
fn events_older_than_the_kept_history_are_learning() {
    let mut store = Memory::default();
    run(
        &[
            (T0, "alice", "1.1.1.1", "a", 0),
            (T0 + 60 * DAY, "alice", "1.1.1.1", "b", 0),
        ],
        &rule(14 * DAY),
        &mut store,
    );
    // The store now keeps 28 days behind day 60: a late file from day 20 cannot be judged.
    let (findings, summary) = run(
        &[(T0 + 20 * DAY, "zed", "5.5.5.5", "late", 0)],
        &rule(14 * DAY),
        &mut store,
    );
    assert!(findings.is_empty());
    assert_eq!(summary.learning, 1);
    assert_eq!(summary.covered_from, Some(T0 + 32 * DAY));
    // The key seen on day 0 only was pruned with its window.
    assert_eq!(store.seen.len(), 1);
}

#[test]
fn matches_without_a_key_or_time_are_counted() {
    let mut observer: Observer<()> = Observer::default();
    let fs = rule(DAY);
    let at = EventRef {
        file: Arc::from("f"),
        record: 0,
    };
    observer.observe(0, &fs, &json!({"eventTime": "nope"}), at.clone(), || ());
    observer.observe(
        0,
        &fs,
        &json!({"eventTime": time(T0), "userIdentity": {"arn": "a"}, "sourceIPAddress": null}),
        at,
        || (),
    );
    let judged = [Judged {
        rule: 0,
        rule_id: "r",
        fingerprint: [1; 16],
        history: DAY,
        scanned: None,
    }];
    let (findings, summaries) = judge(observer, &judged, &mut NoHistory).unwrap();
    assert!(findings.is_empty());
    assert_eq!((summaries[0].no_time, summaries[0].no_key), (1, 1));
}

#[test]
fn keys_are_unambiguous_and_typed_values_are_text() {
    let fields = [Path::parse("$.a").unwrap(), Path::parse("$.b[-1]").unwrap()];
    let k1 = key_of(&json!({"a": "x\",\"y", "b": [1, 2]}), &fields).unwrap();
    let k2 = key_of(&json!({"a": "x", "b": ["y\",\"2"]}), &fields).unwrap();
    assert_ne!(k1, k2);
    assert_eq!(k1, br#"["x\",\"y","2"]"#.to_vec());
    assert_eq!(key_of(&json!({"a": "x"}), &fields), None);
    assert_eq!(key_of(&json!({"a": null, "b": [1]}), &fields), None);
}

#[test]
fn the_store_keeps_history_only_when_the_run_commits() {
    let dir = tempfile::tempdir().unwrap();
    let first = [
        (T0, "alice", "1.1.1.1", "a", 0),
        (T0 + 15 * DAY, "bob", "2.2.2.2", "b", 0),
    ];
    let second = [(T0 + 16 * DAY, "bob", "2.2.2.2", "c", 0)];
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut batch = store.batch().unwrap();
        let (findings, _) = run(&first, &rule(14 * DAY), &mut batch);
        assert_eq!(findings, vec![("b".into(), 0)]);
        // Killed before the commit: nothing is kept.
    }
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut batch = store.batch().unwrap();
        let (findings, _) = run(&first, &rule(14 * DAY), &mut batch);
        assert_eq!(findings, vec![("b".into(), 0)], "the same findings again");
        batch.commit(2, 0).unwrap();
    }
    let mut store = Store::open(dir.path()).unwrap();
    let mut batch = store.batch().unwrap();
    let (findings, summary) = run(&second, &rule(14 * DAY), &mut batch);
    assert!(findings.is_empty(), "{summary:?}");
}

fn stream() -> impl Strategy<Value = (Vec<(i64, usize, usize)>, i64, i64)> {
    (
        prop::collection::vec((0i64..60, 0usize..3, 0usize..50), 1..60),
        1i64..15,
        0i64..60,
    )
}

const NAMES: [&str; 3] = ["p", "q", "r"];
const FILES: [&str; 50] = [
    "f00", "f01", "f02", "f03", "f04", "f05", "f06", "f07", "f08", "f09", "f10", "f11", "f12",
    "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25",
    "f26", "f27", "f28", "f29", "f30", "f31", "f32", "f33", "f34", "f35", "f36", "f37", "f38",
    "f39", "f40", "f41", "f42", "f43", "f44", "f45", "f46", "f47", "f48", "f49",
];

proptest! {
    /// Two runs cut at a time (the nightly job: yesterday's files, then today's) report exactly
    /// what one run over everything reports, whatever the order of events in each run.
    #[test]
    fn runs_cut_in_time_equal_one_run((raw, h_days, cut_day) in stream()) {
        let events: Vec<Ev> = raw
            .iter()
            .enumerate()
            .map(|(i, (d, who, f))| (T0 + d * DAY / 2, NAMES[*who], "ip", FILES[*f], i))
            .collect();
        let fs = rule(h_days * DAY);
        let (one, _) = run(&events, &fs, &mut NoHistory);

        let cut = T0 + cut_day * DAY / 2;
        let (before, after): (Vec<Ev>, Vec<Ev>) = events.iter().cloned().partition(|e| e.0 < cut);
        let mut store = Memory::default();
        let mut reversed = before.clone();
        reversed.reverse();
        let (mut two, _) = run(&reversed, &fs, &mut store);
        let (more, _) = run(&after, &fs, &mut store);
        two.extend(more);
        two.sort();
        prop_assert_eq!(one, two);
    }
}
