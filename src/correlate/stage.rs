//! The correlation stage of a scan: a [`CorrelationTap`] folds the matches of the rules the
//! correlations count into signals while the engine scans (one collector per file, merged when
//! the file is done), and [`findings`] turns the merged signals into window findings once every
//! file is read.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::collect::{Collector, Routes};
use super::window::Episode;
use super::{evaluate, render, Fired};
use crate::engine::{RuleSet, Tap, TapFile};
use crate::finding::{Evidence, Finding, Location, Measure, Member, ScanResult, Stats, Window};
use crate::rule::correlation::{Correlation, Kind};
use crate::source::Origin;
use crate::time::Timestamp;

/// The engine's tap for correlations: which rules feed them, which give no findings of their
/// own, and the signals gathered so far.
#[derive(Debug)]
pub struct CorrelationTap {
    correlations: Arc<[Correlation]>,
    routes: Routes,
    /// Per rule index: its id when its matches feed a correlation.
    feeds: Vec<Option<String>>,
    reports: Vec<bool>,
    collected: Mutex<Collector>,
}

impl CorrelationTap {
    /// The tap for a rule set's correlations; `None` when it has none.
    pub fn new(rules: &RuleSet) -> Option<CorrelationTap> {
        if rules.correlations().is_empty() {
            return None;
        }
        let correlations: Arc<[Correlation]> = rules.correlations().into();
        let routes = Routes::new(&correlations);
        let feeds = rules
            .rules()
            .iter()
            .map(|r| routes.feeds(&r.id).then(|| r.id.clone()))
            .collect();
        let reports = (0..rules.rules().len()).map(|i| rules.reports(i)).collect();
        Some(CorrelationTap {
            correlations,
            routes,
            feeds,
            reports,
            collected: Mutex::new(Collector::default()),
        })
    }

    /// Everything gathered so far (the scan is over), leaving the tap empty.
    pub fn take(&self) -> Collector {
        std::mem::take(
            &mut *self
                .collected
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

impl Tap for CorrelationTap {
    fn wants(&self, rule: usize) -> bool {
        self.feeds.get(rule).is_some_and(Option::is_some)
    }

    fn reports(&self, rule: usize) -> bool {
        self.reports.get(rule).copied().unwrap_or(true)
    }

    fn file(&self) -> Box<dyn TapFile + '_> {
        Box::new(FileSignals {
            tap: self,
            collector: Collector::default(),
        })
    }
}

/// One file's signals, merged into the tap when the file is done.
struct FileSignals<'a> {
    tap: &'a CorrelationTap,
    collector: Collector,
}

impl TapFile for FileSignals<'_> {
    fn observe(&mut self, rule: usize, event: &Value, origin: &Origin) {
        if let Some(Some(id)) = self.tap.feeds.get(rule) {
            self.collector.observe(
                &self.tap.correlations,
                &self.tap.routes,
                id,
                event,
                &origin.file,
                origin.record as u64,
            );
        }
    }

    fn finish(self: Box<Self>) {
        let FileSignals { tap, collector } = *self;
        tap.collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge(collector);
    }
}

/// Ends the correlation stage of a scan: evaluates the gathered signals, counts the findings
/// and the matches that gave no signal into the result's statistics, keeps the state in the
/// result (JSON Lines carries it) and returns the findings, in report order (after every
/// event finding).
pub fn finish(rules: &RuleSet, tap: &CorrelationTap, result: &mut ScanResult) -> Vec<Finding> {
    let collected = tap.take();
    let findings = findings(rules, &collected);
    count(&mut result.stats, &findings, &collected);
    result.signals = collected.into_records();
    findings
}

/// `report --from`: the correlations of the merged scans, from their merged state. The window
/// findings each shard wrote (from its share of the events alone) give way to those of the
/// whole; reports of scans that carried no state keep the findings they had.
pub fn recompute(rules: &RuleSet, result: &mut ScanResult) {
    if result.signals.is_empty() || rules.correlations().is_empty() {
        return;
    }
    let mut collected = Collector::default();
    // A shard whose state passed the limit wrote none for that correlation: the merge cannot
    // evaluate it either (its summary's `correlation_dropped` says so).
    let over = super::collect::over_limit_reason();
    for (id, reasons) in &result.stats.correlation_dropped {
        if reasons.contains_key(&over) {
            collected.over_limit.insert(id.clone());
        }
    }
    for record in result.signals.iter().cloned() {
        collected.absorb(record);
    }
    for id in &collected.over_limit {
        let reasons = result
            .stats
            .correlation_dropped
            .entry(id.clone())
            .or_default();
        reasons.entry(over.clone()).or_insert(0);
    }
    let ids: std::collections::BTreeSet<&str> =
        rules.correlations().iter().map(|c| c.id.as_str()).collect();
    result
        .findings
        .retain(|f| f.event_location().is_some() || !ids.contains(f.rule_id.as_str()));
    result.findings.extend(findings(rules, &collected));
    result.sort();
}

/// The findings of every correlation that fires over the collected signals (those of the
/// correlations the rule set reports), in report order.
pub fn findings(rules: &RuleSet, collected: &Collector) -> Vec<Finding> {
    let correlations = rules.correlations();
    evaluate(correlations, &collected.tables)
        .into_iter()
        .filter(|f| rules.reports_id(&correlations[f.correlation].id))
        .map(
            |Fired {
                 correlation,
                 episode,
             }| finding(&correlations[correlation], &episode),
        )
        .collect()
}

/// Adds window findings to a scan's counts, and the matches that gave no signal.
pub fn count(stats: &mut Stats, findings: &[Finding], collected: &Collector) {
    for finding in findings {
        stats.findings += 1;
        *stats
            .findings_by_severity
            .entry(finding.severity)
            .or_default() += 1;
    }
    for (id, reasons) in &collected.dropped {
        let mine = stats.correlation_dropped.entry(id.clone()).or_default();
        for (reason, n) in reasons {
            *mine.entry(reason.clone()).or_default() += n;
        }
    }
}

/// One episode of one correlation as a finding.
pub fn finding(correlation: &Correlation, episode: &Episode) -> Finding {
    let group: Vec<(String, String)> = correlation
        .group_by
        .iter()
        .map(|field| field.name.clone())
        .zip(episode.group.iter().cloned())
        .collect();
    let measure = match &correlation.kind {
        Kind::EventCount => Measure::Count(episode.total() as usize),
        Kind::ValueCount { field } => Measure::Distinct {
            field: field.name.clone(),
            values: episode.values.clone(),
            total: episode.distinct_values as usize,
        },
        Kind::Temporal | Kind::TemporalOrdered => Measure::Rules(
            correlation
                .inputs
                .iter()
                .zip(&episode.counts)
                .filter(|(_, &n)| n > 0)
                .map(|(input, _)| input.id.clone())
                .collect(),
        ),
    };
    let time = |second| Timestamp::from_secs(second).to_rfc3339();
    let mut evidence: Vec<Evidence> = group
        .iter()
        .map(|(field, value)| Evidence {
            path: field.clone(),
            value: Some(Value::String(value.clone())),
        })
        .collect();
    let counted: BTreeMap<&str, u64> = correlation
        .inputs
        .iter()
        .zip(&episode.counts)
        .map(|(input, &n)| (input.id.as_str(), n))
        .collect();
    for (id, n) in counted {
        evidence.push(Evidence {
            path: format!("matches of {id}"),
            value: Some(Value::from(n)),
        });
    }
    Finding {
        rule_id: correlation.id.clone(),
        severity: correlation.severity,
        title: correlation.title.clone(),
        message: render::message(correlation, episode),
        location: Location::Window(Window {
            group,
            first: time(episode.start),
            last: time(episode.end),
            measure,
            members: episode
                .members
                .iter()
                .map(|m| Member {
                    event_id: (!m.event_id.is_empty()).then(|| m.event_id.to_string()),
                    event_time: time(m.time),
                    file: Some(m.file.to_string()),
                    record: Some(m.record as usize),
                    rule: Some(m.rule.to_string()),
                })
                .collect(),
            // A chained correlation counts each upstream finding as one signal; the window
            // holds at least the events those findings list.
            total: (episode.total() as usize).max(episode.members.len()),
        }),
        evidence,
        baseline: None,
        event: None,
    }
}
