//! The bridge from per-event matches to signals: which correlation inputs each rule feeds, and
//! the per-worker tables that matches fold into. A worker keeps one `Collector`; collectors of
//! different files, threads or shards merge into the same state in any order.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::extract::{self, Dropped};
use super::table::SignalTable;
pub use crate::finding::signals::SignalRecord;
use crate::rule::correlation::Correlation;

/// For each rule id, the (correlation, input) pairs it feeds, and the id as every member of its
/// matches shares it.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    by_rule: HashMap<String, Route>,
}

/// A rule's id, shared by the members of its matches, and the (correlation, input) pairs it
/// feeds.
type Route = (Arc<str>, Vec<(usize, usize)>);

impl Routes {
    pub fn new(correlations: &[Correlation]) -> Routes {
        let mut by_rule: HashMap<String, Route> = HashMap::new();
        for (c, correlation) in correlations.iter().enumerate() {
            for (q, input) in correlation.inputs.iter().enumerate() {
                if !input.chained {
                    by_rule
                        .entry(input.id.clone())
                        .or_insert_with(|| (Arc::from(input.id.as_str()), Vec::new()))
                        .1
                        .push((c, q));
                }
            }
        }
        Routes { by_rule }
    }

    /// Whether matches of this rule become signals (only those rules cost anything).
    pub fn feeds(&self, rule_id: &str) -> bool {
        self.by_rule.contains_key(rule_id)
    }

    pub fn is_empty(&self) -> bool {
        self.by_rule.is_empty()
    }
}

/// The most (group, second) buckets one correlation's state may hold. Past it the correlation is
/// not evaluated (and says so) rather than hold memory without bound: a bucket with one member
/// event takes a few hundred bytes, so this is some 100 MB per correlation at worst. Whether a
/// correlation passes the limit depends only on the distinct buckets its signals fill, not on
/// the order they come in, so the outcome is the same on every run and every shard split.
pub const MAX_BUCKETS: usize = 250_000;

/// The `dropped` reason of a correlation whose state passed `MAX_BUCKETS`.
pub fn over_limit_reason() -> String {
    format!("state over {MAX_BUCKETS} (group, second) buckets: correlation not evaluated")
}

/// Signals gathered so far, per correlation id, and the matches that gave none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collector {
    pub tables: BTreeMap<String, SignalTable>,
    /// Matches left out, by correlation id and reason (`no eventTime`, `no sourceIPAddress`).
    pub dropped: BTreeMap<String, BTreeMap<String, u64>>,
    /// Correlations whose state passed `MAX_BUCKETS`: their tables are dropped, and so are their
    /// later signals (counted in `dropped`).
    pub over_limit: std::collections::BTreeSet<String>,
}

impl Collector {
    /// Folds in a match of `rule_id` on `event` (file and 0-based record name it).
    pub fn observe(
        &mut self,
        correlations: &[Correlation],
        routes: &Routes,
        rule_id: &str,
        event: &Value,
        file: &std::sync::Arc<str>,
        record: u64,
    ) {
        let Some((rule, targets)) = routes.by_rule.get(rule_id) else {
            return;
        };
        for &(c, q) in targets {
            let correlation = &correlations[c];
            if self.over_limit.contains(&correlation.id) {
                self.drop_one(&correlation.id, over_limit_reason());
                continue;
            }
            match extract::shared_signal(correlation, q, rule, event, file, record) {
                Ok(signal) => {
                    let table = self.tables.entry(correlation.id.clone()).or_default();
                    table.add(signal, correlation.inputs.len());
                    if table.buckets() > MAX_BUCKETS {
                        self.overflow(&correlation.id);
                        self.drop_one(&correlation.id, over_limit_reason());
                    }
                }
                Err(dropped) => {
                    let reason = match dropped {
                        Dropped::NoTime => "no eventTime".to_string(),
                        Dropped::NoGroup(field) | Dropped::NoValue(field) => format!("no {field}"),
                    };
                    self.drop_one(&correlation.id, reason);
                }
            }
        }
    }

    fn drop_one(&mut self, id: &str, reason: String) {
        *self
            .dropped
            .entry(id.to_string())
            .or_default()
            .entry(reason)
            .or_insert(0) += 1;
    }

    /// The correlation's state passed `MAX_BUCKETS`: let it go.
    fn overflow(&mut self, id: &str) {
        self.tables.remove(id);
        self.over_limit.insert(id.to_string());
    }

    /// Adds another collector's signals, as if they had been observed here.
    pub fn merge(&mut self, other: Collector) {
        for id in other.over_limit {
            self.overflow(&id);
        }
        for (id, table) in other.tables {
            if self.over_limit.contains(&id) {
                continue;
            }
            let mine = self.tables.entry(id.clone()).or_default();
            mine.merge(table);
            if mine.buckets() > MAX_BUCKETS {
                self.overflow(&id);
            }
        }
        for (id, reasons) in other.dropped {
            let mine = self.dropped.entry(id).or_default();
            for (reason, n) in reasons {
                *mine.entry(reason).or_insert(0) += n;
            }
        }
    }
}

impl Collector {
    /// The state as records, in (correlation, group, second) order.
    pub fn records(&self) -> impl Iterator<Item = SignalRecord> + '_ {
        self.tables.iter().flat_map(|(id, table)| {
            table
                .entries()
                .map(move |(group, second, bucket)| SignalRecord {
                    correlation: id.clone(),
                    group: group.to_vec(),
                    second,
                    bucket: bucket.clone(),
                })
        })
    }

    /// The state as records, in (correlation, group, second) order, leaving nothing behind.
    pub fn into_records(self) -> Vec<SignalRecord> {
        // Sized once: growing by doubling would briefly hold twice the records.
        let mut out = Vec::with_capacity(self.tables.values().map(SignalTable::buckets).sum());
        for (correlation, table) in self.tables {
            for (group, second, bucket) in table.into_entries() {
                out.push(SignalRecord {
                    correlation: correlation.clone(),
                    group,
                    second,
                    bucket,
                });
            }
        }
        out
    }

    /// Adds one record (from this scan or another shard's report).
    pub fn absorb(&mut self, record: SignalRecord) {
        if self.over_limit.contains(&record.correlation) {
            return;
        }
        let id = record.correlation;
        let mine = self.tables.entry(id.clone()).or_default();
        mine.add_bucket(record.group, record.second, record.bucket);
        if mine.buckets() > MAX_BUCKETS {
            self.overflow(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::correlation::{CountCondition, FieldSource, GroupField, Input, Kind};
    use crate::rule::path::Path;
    use crate::rule::{Severity, Template};
    use serde_json::json;

    fn correlation() -> Correlation {
        Correlation {
            id: "c".into(),
            title: "C".into(),
            severity: Severity::High,
            description: String::new(),
            remediation: String::new(),
            references: Vec::new(),
            compliance: Default::default(),
            tags: Vec::new(),
            kind: Kind::EventCount,
            inputs: vec![Input {
                id: "r".into(),
                chained: false,
                written: "r".into(),
                generate: true,
            }],
            group_by: vec![GroupField {
                name: "sourceIPAddress".into(),
                sources: vec![FieldSource::Event(Path::from_names(&["sourceIPAddress"]))],
            }],
            timespan: 60,
            condition: CountCondition::at_least(2),
            message: Template::literal("C"),
            file: String::new(),
            line: 1,
            pack: String::new(),
            sigma: None,
        }
    }

    #[test]
    fn shards_travel_as_records_and_merge_into_one_scan() {
        let correlations = [correlation()];
        let routes = Routes::new(&correlations);
        assert!(routes.feeds("r") && !routes.feeds("other"));
        let event = |t: u32, ip: &str| json!({"eventTime": format!("2024-01-01T00:00:{t:02}Z"), "sourceIPAddress": ip, "eventID": format!("{ip}{t}")});
        let events = [
            event(1, "a"),
            event(2, "a"),
            event(2, "b"),
            json!({"sourceIPAddress": "a"}),
            json!({"eventTime": "2024-01-01T00:00:09Z"}),
        ];
        let mut whole = Collector::default();
        let mut shards = [Collector::default(), Collector::default()];
        for (i, e) in events.iter().enumerate() {
            whole.observe(&correlations, &routes, "r", e, &"f".into(), i as u64);
            shards[i % 2].observe(&correlations, &routes, "r", e, &"f".into(), i as u64);
        }
        assert_eq!(whole.dropped["c"]["no eventTime"], 1);
        assert_eq!(whole.dropped["c"]["no sourceIPAddress"], 1);
        let mut merged = Collector::default();
        for shard in &shards {
            for record in shard.records() {
                let text = serde_json::to_string(&record).unwrap();
                merged.absorb(serde_json::from_str(&text).unwrap());
            }
        }
        merged.dropped = whole.dropped.clone();
        assert_eq!(merged, whole);
    }

    #[test]
    fn a_state_past_the_limit_is_dropped_and_said_whatever_the_split() {
        let correlations = [correlation()];
        let routes = Routes::new(&correlations);
        let event = |second: usize| {
            json!({"eventTime": crate::time::Timestamp::from_secs(second as i64).to_rfc3339(),
                   "sourceIPAddress": "a"})
        };
        let mut whole = Collector::default();
        let mut halves = [Collector::default(), Collector::default()];
        for second in 0..=MAX_BUCKETS {
            let e = event(second);
            whole.observe(&correlations, &routes, "r", &e, &"f".into(), second as u64);
            halves[second % 2].observe(&correlations, &routes, "r", &e, &"f".into(), second as u64);
        }
        assert!(whole.over_limit.contains("c") && whole.tables.is_empty());
        assert_eq!(whole.dropped["c"][&over_limit_reason()], 1);
        // Neither half passes the limit alone; together they do.
        assert!(halves.iter().all(|h| h.over_limit.is_empty()));
        let [a, b] = halves;
        let mut merged = a;
        merged.merge(b);
        assert!(merged.over_limit.contains("c") && merged.tables.is_empty());
    }
}
