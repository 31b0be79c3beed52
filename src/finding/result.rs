//! What a scan produced: findings, unreadable inputs, skipped files and the counts.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{BaselineSummary, Finding, SuppressedFinding, SuppressionOutcome};
use crate::rule::Severity;
use crate::scope::Scope;
use crate::source::{InputError, Skipped};
use crate::time::Timestamp;

/// Counts for the summary of a scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Files opened and read (including those with bad records).
    pub files_read: usize,
    /// Files that could not be read at all.
    pub files_failed: usize,
    /// Records that could not be read inside otherwise readable files.
    pub records_failed: usize,
    /// Events evaluated: read, in scope, and checked against every rule that could apply.
    pub events: usize,
    /// Events read from readable files, in scope or not: `events + out_of_scope + undated`.
    /// Every record of a readable file is one of these or one of `records_failed`.
    pub events_read: usize,
    /// Bytes read from disk.
    pub bytes: u64,
    /// Files inside directories whose names are not trail file names.
    pub ignored: usize,
    pub rules: usize,
    /// Findings raised (after exceptions), in all and per severity. Equal to the findings of
    /// the `ScanResult` unless they were streamed out (`scan_streaming`).
    pub findings: usize,
    pub findings_by_severity: BTreeMap<Severity, usize>,
    /// Rule id -> events that matched but were suppressed by an exception.
    pub suppressed: BTreeMap<String, usize>,
    pub duration: Duration,
    /// Rule id -> events the rule was evaluated on (its selector and outcome applied), every
    /// loaded rule present.
    pub rule_events: BTreeMap<String, usize>,
    /// Compliance framework -> control id -> events at least one rule of that control was
    /// evaluated on (each event counted once per control).
    pub control_events: BTreeMap<String, BTreeMap<String, usize>>,
    /// Events left out by `--since`, `--until`, `--account` or `--region`.
    pub out_of_scope: usize,
    /// Events left out because a time window was given and they have no usable `eventTime`.
    pub undated: usize,
    /// The earliest and latest `eventTime` among the evaluated events.
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
    /// Accounts and regions of the evaluated events.
    pub accounts: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    /// Correlation id -> reason -> matches of the rules it counts that could not be placed in
    /// a window (`no eventTime`, `no sourceIPAddress`): reported, never dropped silently.
    pub correlation_dropped: BTreeMap<String, BTreeMap<String, u64>>,
    /// Files not read because the state store (`--state`) says they were scanned before, at
    /// their current version, with every rule of this run.
    pub files_unchanged: usize,
    /// `first_seen` rule id -> what its first-seen stage decided.
    pub first_seen: BTreeMap<String, FirstSeenCounts>,
}

/// What the first-seen stage decided for one rule in one run (`crate::first_seen`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstSeenCounts {
    /// Distinct combinations of the rule's fields this run saw.
    pub keys: u64,
    /// New combinations reported (one finding each).
    pub new: u64,
    /// New combinations not judged: the history did not yet cover a whole window before them.
    pub learning: u64,
    /// Matches without a value for some field, or without a usable `eventTime`.
    pub no_key: u64,
    pub no_time: u64,
}

impl FirstSeenCounts {
    fn add(&mut self, other: FirstSeenCounts) {
        self.keys += other.keys;
        self.new += other.new;
        self.learning += other.learning;
        self.no_key += other.no_key;
        self.no_time += other.no_time;
    }
}

impl Stats {
    /// Adds the counts of another part of the same run (one file of a scan, one shard of a
    /// sharded scan): counts and per-rule, per-control and per-severity maps add up, the time
    /// range widens, accounts and regions join. `rules` describes the run, not a part: it is
    /// kept when set, else taken from `other`; `duration` keeps the longer.
    pub fn merge(&mut self, other: Stats) {
        self.files_read += other.files_read;
        self.files_failed += other.files_failed;
        self.records_failed += other.records_failed;
        self.events += other.events;
        self.events_read += other.events_read;
        self.bytes += other.bytes;
        self.ignored += other.ignored;
        if self.rules == 0 {
            self.rules = other.rules;
        }
        self.findings += other.findings;
        add_counts(&mut self.findings_by_severity, other.findings_by_severity);
        add_counts(&mut self.suppressed, other.suppressed);
        self.duration = self.duration.max(other.duration);
        add_counts(&mut self.rule_events, other.rule_events);
        for (framework, controls) in other.control_events {
            add_counts(self.control_events.entry(framework).or_default(), controls);
        }
        self.out_of_scope += other.out_of_scope;
        self.undated += other.undated;
        self.first_event = match (self.first_event, other.first_event) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_event = match (self.last_event, other.last_event) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.accounts.extend(other.accounts);
        self.regions.extend(other.regions);
        for (id, reasons) in other.correlation_dropped {
            let mine = self.correlation_dropped.entry(id).or_default();
            for (reason, n) in reasons {
                *mine.entry(reason).or_default() += n;
            }
        }
        self.files_unchanged += other.files_unchanged;
        // Shards judge their own combinations; keys seen by two shards count in both.
        for (id, counts) in other.first_seen {
            self.first_seen.entry(id).or_default().add(counts);
        }
    }
}

fn add_counts<K: Ord>(total: &mut BTreeMap<K, usize>, more: BTreeMap<K, usize>) {
    for (key, n) in more {
        *total.entry(key).or_default() += n;
    }
}

/// Everything a scan produced, sorted; reports render this and nothing else.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by file, record, rule id. Without the suppressed findings.
    pub findings: Vec<Finding>,
    /// Each suppression of the configuration file and how it fared, in file order (empty
    /// without suppressions).
    pub suppressions: Vec<SuppressionOutcome>,
    /// The findings suppressions took out of `findings`, in report order: never counted, never
    /// failing the gate, listed by the formats that can mark a result as suppressed.
    pub suppressed_findings: Vec<SuppressedFinding>,
    /// Files and records that could not be read, sorted by file and record.
    pub errors: Vec<InputError>,
    /// Files passed over on purpose (digests), sorted by file.
    pub skipped: Vec<Skipped>,
    pub stats: Stats,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<BaselineSummary>,
    /// The scope the scan was limited to.
    pub scope: Scope,
    /// The correlation stage's state (signals by correlation, group and second), which JSON
    /// Lines reports carry so that shards merge into one scan's correlations.
    pub signals: Vec<super::signals::SignalRecord>,
    /// The first-seen stage's observations, for the rules it judged without a state store
    /// (JSON Lines reports carry them so that `report --from` judges shards as one scan).
    pub observations: super::observations::Observations,
}

impl ScanResult {
    /// Findings raised, whether they are held here or were streamed out.
    pub fn finding_count(&self) -> usize {
        if self.findings.is_empty() {
            self.stats.findings
        } else {
            self.findings.len()
        }
    }

    /// Findings of one severity, whether they are held here or were streamed out.
    pub fn finding_count_of(&self, severity: Severity) -> usize {
        if self.findings.is_empty() {
            self.stats
                .findings_by_severity
                .get(&severity)
                .copied()
                .unwrap_or(0)
        } else {
            self.findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
        }
    }

    /// Puts findings, errors and skipped files in report order (as the engine delivers them).
    pub fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.errors
            .sort_by(|a, b| (&a.file, a.record, a.line).cmp(&(&b.file, b.record, b.line)));
        self.skipped.sort_by(|a, b| a.file.cmp(&b.file));
        self.signals.sort_by(|a, b| {
            (&a.correlation, &a.group, a.second).cmp(&(&b.correlation, &b.group, b.second))
        });
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Findings that fail a gate at `threshold`: at or above it, and not already in the baseline.
    pub fn failing(&self, threshold: Severity) -> usize {
        if self.findings.is_empty() {
            // Streamed out (`scan_streaming`, never with a baseline): the counts remain.
            return self
                .stats
                .findings_by_severity
                .range(threshold..)
                .map(|(_, n)| n)
                .sum();
        }
        self.findings
            .iter()
            .filter(|f| f.severity >= threshold && f.counts_toward_gate())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339;

    #[test]
    fn merge_adds_counts_and_widens_the_time_range() {
        let t = |s: &str| parse_rfc3339(s);
        let mut a = Stats {
            files_read: 1,
            events: 3,
            rules: 2,
            findings_by_severity: [(Severity::High, 1)].into(),
            rule_events: [("r".to_string(), 2)].into(),
            first_event: t("2024-01-02T00:00:00Z"),
            last_event: t("2024-01-03T00:00:00Z"),
            accounts: ["1".to_string()].into(),
            ..Stats::default()
        };
        let b = Stats {
            files_read: 2,
            events: 4,
            rules: 2,
            findings_by_severity: [(Severity::High, 2), (Severity::Low, 1)].into(),
            rule_events: [("r".to_string(), 5), ("s".to_string(), 1)].into(),
            control_events: [("cis".to_string(), [("1.1".to_string(), 4)].into())].into(),
            first_event: t("2024-01-01T00:00:00Z"),
            accounts: ["2".to_string()].into(),
            ..Stats::default()
        };
        a.merge(b);
        assert_eq!((a.files_read, a.events, a.rules), (3, 7, 2));
        assert_eq!(
            a.findings_by_severity,
            [(Severity::High, 3), (Severity::Low, 1)].into()
        );
        assert_eq!(
            a.rule_events,
            [("r".to_string(), 7), ("s".to_string(), 1)].into()
        );
        assert_eq!(a.control_events["cis"]["1.1"], 4);
        assert_eq!(a.first_event, t("2024-01-01T00:00:00Z"));
        assert_eq!(a.last_event, t("2024-01-03T00:00:00Z"));
        assert_eq!(a.accounts.len(), 2);
    }
}
