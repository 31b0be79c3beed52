//! The first-seen stage of a scan: a [`FirstSeenTap`] takes the matches of the `first_seen`
//! rules while the engine scans (one [`Observer`] per file, merged when the file is done), and
//! [`finish`] judges them once every file is read, against the store's history or none.
//!
//! The candidate finding is rendered in the worker, while the event is at hand, and only for a
//! match that starts a new span so far (at most one per key and episode in a file), so nothing
//! needs the event after the scan; it is written to a temporary file (`finding::spill`) and read
//! back when judged new or when a JSON Lines report carries it. Or, when every file can be read
//! again and no report carries the observations ([`FirstSeenTap::new`]'s `later`), only the
//! event's place is kept, and the findings of the combinations judged new are rendered at the
//! end from their events read again (`engine::render_again`). A rendered finding is some 1.7 KB
//! in memory, a place or a spilled finding's handle some 50 bytes, and a run holds one per
//! combination and episode.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::{judge, judge_carrying, EventRef, History, Judged, Observer, Span, Spans};
use crate::engine::{render, RuleSet, Tap, TapFile};
use crate::finding::observations::{ObservedKey, ObservedRule, ObservedSpan, SpanFinding};
use crate::finding::spill::{Spill, Spilled};
use crate::finding::{Finding, FirstSeenCounts, ScanResult, MAX_EVENT_BYTES};
use crate::rule::Rule;
use crate::source::{InputError, Origin};
use crate::state::{rule_fingerprint, Coverage, StateError};
use crate::wire;

/// Whether any rule of the set has `first_seen`.
pub fn any(rules: &RuleSet) -> bool {
    rules.rules().iter().any(|r| r.first_seen.is_some())
}

/// The engine's tap for first_seen rules: their matches go to the stage, never straight into
/// findings.
#[derive(Debug)]
pub struct FirstSeenTap {
    /// Per rule index of the rule set scanned: a copy of the rule when it has `first_seen`
    /// (the tap outlives the borrow of the rule set: `ScanOptions` holds it in an `Arc`).
    rules: Vec<Option<Rule>>,
    /// Per rule index of the rule set scanned: its index in the run's whole rule set. A scan
    /// with `--state` may read some files for part of the rules only, with a smaller rule set;
    /// observations are kept under the whole set's indexes so that every part merges.
    global: Vec<usize>,
    /// Keep each finding's event, for reports that show it (`ScanOptions::keep_events`).
    keep_events: bool,
    /// Keep only the place of each candidate's event (`Candidate::Later`).
    later: bool,
    /// Where rendered candidates go (`Candidate::Spilled`); `None` with `later`, or when no
    /// temporary file could be made (then they are held: `Candidate::Rendered`).
    spill: Option<Arc<Spill>>,
    observed: Mutex<Observer<Candidate>>,
}

/// What the stage keeps of the first event of a span, to make its finding if the span is new.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidate {
    /// The finding, rendered while the event was at hand.
    Rendered(Arc<Finding>),
    /// The same, in a spill: its JSON Lines text and the event it keeps (`spilled`), read back
    /// with [`unspill`]; `at` is the event's place.
    Spilled { text: Spilled, at: EventRef },
    /// Where the event is, to render its finding at the end from the event read again: the rule
    /// (its index in the run's whole rule set), the event's place and its eventTime (to check
    /// that the record read again is the one observed).
    Later {
        rule: usize,
        origin: Origin,
        time: i64,
    },
}

/// Renders the findings of candidates kept as places (`Candidate::Later`), from their events
/// read again; the caller knows the files. Gets the candidates in report order.
pub type RenderLater<'a> = dyn FnMut(Vec<LaterFinding>) -> Vec<Finding> + 'a;

/// A finding to render from its event read again.
#[derive(Debug, Clone, PartialEq)]
pub struct LaterFinding {
    /// Index in the run's whole rule set.
    pub rule: usize,
    pub origin: Origin,
    /// The eventTime the observed event had, in seconds.
    pub time: i64,
}

impl FirstSeenTap {
    /// The tap for the first_seen rules of `rules`, whose rule `i` is rule `global[i]` of the
    /// run; `None` when no rule has `first_seen`. With `keep_events`, each finding keeps its
    /// event when it is at most `MAX_EVENT_BYTES` (there are at most a few per combination).
    /// With `later`, candidates are kept as places (`Candidate::Later`): only when every file
    /// can be read again and the observations are not written out.
    pub fn new(
        rules: &RuleSet,
        global: Vec<usize>,
        keep_events: bool,
        later: bool,
    ) -> Option<FirstSeenTap> {
        if !any(rules) {
            return None;
        }
        Some(FirstSeenTap {
            rules: rules
                .rules()
                .iter()
                .map(|r| r.first_seen.is_some().then(|| r.clone()))
                .collect(),
            global,
            keep_events,
            later,
            spill: if later { None } else { Spill::new().ok() },
            observed: Mutex::new(Observer::default()),
        })
    }

    /// Everything observed so far (the scan is over), leaving the tap empty.
    pub fn take(&self) -> Observer<Candidate> {
        std::mem::take(&mut *self.observed.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Tap for FirstSeenTap {
    fn wants(&self, rule: usize) -> bool {
        self.rules.get(rule).is_some_and(Option::is_some)
    }

    fn reports(&self, rule: usize) -> bool {
        // A first_seen rule's findings come from the stage only.
        !self.wants(rule)
    }

    fn file(&self) -> Box<dyn TapFile + '_> {
        Box::new(FileObservations {
            tap: self,
            observer: Observer::default(),
        })
    }
}

/// One file's observations, merged into the tap when the file is done.
struct FileObservations<'a> {
    tap: &'a FirstSeenTap,
    observer: Observer<Candidate>,
}

impl TapFile for FileObservations<'_> {
    fn observe(&mut self, rule: usize, event: &Value, origin: &Origin) {
        let Some(Some(found)) = self.tap.rules.get(rule) else {
            return;
        };
        let Some(first_seen) = &found.first_seen else {
            return;
        };
        let global = self.tap.global.get(rule).copied().unwrap_or(rule);
        let at = EventRef {
            file: origin.file.clone(),
            record: origin.record,
        };
        let place = at.clone();
        let spill = self.tap.spill.as_ref();
        let (keep, later) = (self.tap.keep_events, self.tap.later);
        // `observe` asks for a candidate only for a match with a time and a key.
        let time = if later {
            super::event_time(event)
        } else {
            None
        };
        self.observer
            .observe(global, first_seen, event, at, || match time {
                Some(time) => Candidate::Later {
                    rule: global,
                    origin: origin.clone(),
                    time,
                },
                None => {
                    let finding = rendered(found, event, origin, keep);
                    match spill.map(|spill| spilled(spill, &finding)) {
                        Some(Ok(text)) => Candidate::Spilled { text, at: place },
                        // No spill, or it failed: held, nothing lost.
                        None | Some(Err(_)) => Candidate::Rendered(Arc::new(finding)),
                    }
                }
            });
    }

    fn finish(self: Box<Self>) {
        let FileObservations { tap, observer } = *self;
        tap.observed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .merge(observer);
    }
}

/// A candidate's finding, rendered from the event as the rule saw it; with `keep`, the finding
/// keeps the record as CloudTrail wrote it (without the annotation a rule that reads
/// `$.trailgate` is shown), when it is at most `MAX_EVENT_BYTES`.
pub fn rendered(rule: &Rule, event: &Value, origin: &Origin, keep: bool) -> Finding {
    let mut finding = render(rule, event, origin);
    if keep {
        let plain;
        let event = if event.get(crate::enrich::ANNOTATION_KEY).is_some() {
            let mut copy = event.clone();
            crate::enrich::strip(&mut copy);
            plain = copy;
            &plain
        } else {
            event
        };
        finding.event = serde_json::to_string(event)
            .ok()
            .filter(|text| text.len() <= MAX_EVENT_BYTES)
            .map(Arc::from);
    }
    finding
}

/// Writes a candidate's finding to `spill`: its JSON Lines text (what a report carries, and
/// what [`unspill`] reads) and the event it keeps.
fn spilled(spill: &Arc<Spill>, finding: &Finding) -> std::io::Result<Spilled> {
    let text = serde_json::to_vec(&wire::Finding::new(finding, None, wire::Detail::Lines))?;
    let event = finding.event.as_deref().unwrap_or_default();
    spill.put(&text, event.as_bytes())
}

/// A spilled candidate's finding, read back.
pub fn unspill(text: &Spilled) -> Result<Finding, String> {
    let (finding, event) = text
        .read()
        .map_err(|err| format!("cannot read the temporary file of first-seen findings: {err}"))?;
    let bad = |err: String| format!("a first-seen finding read back is not valid: {err}");
    let mut finding = serde_json::from_slice::<wire::Finding<'_>>(&finding)
        .map_err(|err| bad(err.to_string()))?
        .into_finding(&mut |name| Arc::from(name))
        .map_err(bad)?;
    if !event.is_empty() {
        let event = String::from_utf8(event).map_err(|err| bad(err.to_string()))?;
        finding.event = Some(Arc::from(event));
    }
    Ok(finding)
}

/// A spilled candidate's finding; one that cannot be read back is an error at its event in
/// `result`, never dropped.
fn read_back(text: &Spilled, at: EventRef, result: &mut ScanResult) -> Option<Finding> {
    match unspill(text) {
        Ok(finding) => Some(finding),
        Err(message) => {
            result.stats.records_failed += 1;
            result.errors.push(InputError {
                file: at.file,
                record: Some(at.record),
                line: None,
                message: format!(
                    "{message}; the first-seen finding at this event is lost: scan again"
                ),
            });
            None
        }
    }
}

/// The `eventTime` span of a scan's evaluated events (`Stats::first_event`, `last_event`): what
/// the rules it ran with covered.
pub fn scanned(result: &ScanResult) -> Option<Coverage> {
    let (first, last) = (result.stats.first_event?, result.stats.last_event?);
    Some(Coverage {
        from: first.secs,
        latest: last.secs,
    })
}

/// A combination's observations as a report carries them (JSON Lines writes them), so that
/// `report --from` can judge shards as one scan ([`recompute`]). The key moves as it is: the
/// JSON array of the values (`key_of`).
fn observed_key(rule_id: Arc<str>, key: Box<[u8]>, spans: Spans<Candidate>) -> ObservedKey {
    ObservedKey {
        rule_id,
        values_json: key,
        // A run whose observations are written out renders its candidates
        // (`FirstSeenTap::new`).
        spans: spans
            .into_spans()
            .into_iter()
            .filter_map(|span| {
                let finding = match span.payload {
                    Candidate::Rendered(finding) => SpanFinding::Held(finding),
                    Candidate::Spilled { text, at } => SpanFinding::Spilled {
                        text,
                        file: at.file,
                        record: at.record,
                    },
                    Candidate::Later { .. } => return None,
                };
                Some(ObservedSpan {
                    from: span.from,
                    to: span.to,
                    finding,
                })
            })
            .collect(),
    }
}

/// The header of every first_seen rule of `rules` as a report carries it: what it covered
/// (`scanned` as for [`finish`]) and the matches it could not place.
fn observed_rules(
    rules: &RuleSet,
    observer: &Observer<Candidate>,
    scanned: &BTreeMap<usize, Coverage>,
) -> Vec<ObservedRule> {
    let counts: BTreeMap<usize, (u64, u64)> = observer.counts().collect();
    rules
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.first_seen.is_some())
        .map(|(i, rule)| {
            let (no_key, no_time) = counts.get(&i).copied().unwrap_or_default();
            ObservedRule {
                rule_id: rule.id.clone(),
                scanned: scanned.get(&i).map(|c| (c.from, c.latest)),
                no_key,
                no_time,
            }
        })
        .collect()
}

/// `report --from`: judges the first_seen rules whose observations the merged reports carry
/// again, over every shard at once, against `history` (a store with `report --state`, else
/// none), replacing the shards' own first-seen findings and summaries for those rules. A shard
/// scanned with a store carries no observations: its first-seen findings stand as judged.
/// With `keep`, the observations stay in the result (a JSON Lines report writes them again);
/// without, they are moved into the judgement, not copied beside it.
pub fn recompute(
    rules: &RuleSet,
    result: &mut ScanResult,
    history: &mut dyn History,
    keep: bool,
) -> Result<(), StateError> {
    if result.observations.is_empty() {
        return Ok(());
    }
    let index: BTreeMap<&str, (usize, &Rule)> = rules
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.first_seen.is_some())
        .map(|(i, r)| (r.id.as_str(), (i, r)))
        .collect();
    let history_of = |rule: &Rule| rule.first_seen.as_ref().map_or(1, |f| f.history);
    let mut observer: Observer<Candidate> = Observer::default();
    let mut scanned: BTreeMap<usize, Coverage> = BTreeMap::new();
    let mut judged_ids: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for header in &result.observations.rules {
        let Some(&(i, rule)) = index.get(header.rule_id.as_str()) else {
            continue;
        };
        judged_ids.insert(rule.id.clone());
        observer.absorb(i, history_of(rule), (header.no_key, header.no_time), None);
        if let Some((from, latest)) = header.scanned {
            let span = Coverage { from, latest };
            scanned
                .entry(i)
                .and_modify(|c| *c = c.join(span))
                .or_insert(span);
        }
    }
    let mut absorb = |key: ObservedKey| {
        let Some(&(i, rule)) = index.get(&*key.rule_id) else {
            return;
        };
        let spans = key
            .spans
            .into_vec()
            .into_iter()
            .filter_map(|span| {
                let (file, record) = span.finding.place()?;
                let first = EventRef {
                    file: file.clone(),
                    record,
                };
                let payload = match span.finding {
                    SpanFinding::Held(finding) => Candidate::Rendered(finding),
                    SpanFinding::Spilled { text, .. } => Candidate::Spilled {
                        text,
                        at: first.clone(),
                    },
                };
                Some(Span {
                    from: span.from,
                    to: span.to,
                    first,
                    payload,
                })
            })
            .collect();
        observer.absorb(i, history_of(rule), (0, 0), Some((key.values_json, spans)));
    };
    if keep {
        result
            .observations
            .keys
            .iter()
            .cloned()
            .for_each(&mut absorb);
    } else {
        std::mem::take(&mut result.observations.keys)
            .into_iter()
            .for_each(&mut absorb);
    }
    result
        .findings
        .retain(|f| !judged_ids.contains(f.rule_id.as_str()));
    result
        .stats
        .first_seen
        .retain(|id, _| !judged_ids.contains(id.as_str()));
    let only: Vec<usize> = judged_ids
        .iter()
        .filter_map(|id| index.get(id.as_str()).map(|&(i, _)| i))
        .collect();
    // Read back from reports, every candidate is rendered: nothing to render later.
    let found = judge_rules(
        rules,
        &only,
        observer,
        &scanned,
        history,
        result,
        &mut |_| Vec::new(),
        false,
    )?;
    result.findings.extend(found);
    result.sort();
    Ok(())
}

/// Ends the first-seen stage: judges `observer` against `history` for every first_seen rule of
/// `rules` (`scanned`: rule index -> the eventTime span this run scanned with it), writes the
/// run's observations into `history`, counts the findings and each rule's summary into the
/// result's statistics, and returns the findings in report order. `later` renders the findings
/// of new combinations kept as places (`Candidate::Later`). With `carry`, the result carries
/// the observations (`ScanResult::observations`) for a JSON Lines report, so that
/// `report --from` can judge shards as one scan ([`recompute`]).
pub fn finish(
    rules: &RuleSet,
    observer: Observer<Candidate>,
    scanned: &BTreeMap<usize, Coverage>,
    history: &mut dyn History,
    result: &mut ScanResult,
    later: &mut RenderLater<'_>,
    carry: bool,
) -> Result<Vec<Finding>, StateError> {
    let every: Vec<usize> = (0..rules.rules().len()).collect();
    let findings = judge_rules(
        rules, &every, observer, scanned, history, result, later, carry,
    )?;
    let stats = &mut result.stats;
    for finding in &findings {
        stats.findings += 1;
        *stats
            .findings_by_severity
            .entry(finding.severity)
            .or_default() += 1;
    }
    Ok(findings)
}

/// Judges the first_seen rules among `which` (rule indexes) and writes each one's summary into
/// the result's statistics; returns their findings in report order. With `carry`, the result
/// carries the observations, made while they are judged.
#[allow(clippy::too_many_arguments)]
fn judge_rules(
    rules: &RuleSet,
    which: &[usize],
    observer: Observer<Candidate>,
    scanned: &BTreeMap<usize, Coverage>,
    history: &mut dyn History,
    result: &mut ScanResult,
    later: &mut RenderLater<'_>,
    carry: bool,
) -> Result<Vec<Finding>, StateError> {
    let judged: Vec<Judged<'_>> = which
        .iter()
        .filter_map(|&i| {
            let rule = rules.rules().get(i)?;
            let first_seen = rule.first_seen.as_ref()?;
            Some(Judged {
                rule: i,
                rule_id: &rule.id,
                fingerprint: rule_fingerprint(rule),
                history: first_seen.history,
                scanned: scanned.get(&i).copied(),
            })
        })
        .collect();
    let mut carried = Vec::new();
    if carry {
        result.observations.rules = observed_rules(rules, &observer, scanned);
    }
    let (found, summaries) = if carry {
        let mut ids: BTreeMap<usize, Arc<str>> = BTreeMap::new();
        judge_carrying(observer, &judged, history, &mut |rule, key, spans| {
            let rule_id = ids
                .entry(rule)
                .or_insert_with(|| Arc::from(rules.rules()[rule].id.as_str()));
            carried.push(observed_key(rule_id.clone(), key, spans));
        })?
    } else {
        judge(observer, &judged, history)?
    };
    result.observations.keys.append(&mut carried);
    let mut findings = Vec::new();
    let mut places = Vec::new();
    for candidate in found {
        match candidate {
            // Unshared unless a JSON Lines report's observations still hold the finding: copied
            // then.
            Candidate::Rendered(f) => {
                findings.push(Arc::try_unwrap(f).unwrap_or_else(|shared| (*shared).clone()))
            }
            Candidate::Spilled { text, at } => findings.extend(read_back(&text, at, result)),
            // Helper rules give no findings: not read again.
            Candidate::Later { rule, origin, time } if rules.reports(rule) => {
                places.push(LaterFinding { rule, origin, time })
            }
            Candidate::Later { .. } => {}
        }
    }
    if !places.is_empty() {
        places.sort_by(|a, b| {
            (&a.origin.file, a.origin.record).cmp(&(&b.origin.file, b.origin.record))
        });
        findings.extend(later(places));
    }
    // A first_seen rule that only feeds a correlation gives no findings of its own.
    findings.retain(|f| rules.reports_id(&f.rule_id));
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let stats = &mut result.stats;
    for summary in summaries {
        stats.first_seen.insert(
            summary.rule_id,
            FirstSeenCounts {
                keys: summary.keys,
                new: summary.new,
                learning: summary.learning,
                no_key: summary.no_key,
                no_time: summary.no_time,
            },
        );
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{EventLocation, Evidence, Location};
    use crate::rule::Severity;

    fn candidate() -> Finding {
        Finding {
            rule_id: "aws-access-key-new-address".into(),
            severity: Severity::Medium,
            title: "Long-term access key used from a new address".into(),
            message: "Access key AKIA1 used from 192.0.2.1, new in 14 days.".into(),
            location: Location::Event(EventLocation {
                file: Arc::from("trail.json"),
                record: 3,
                event_id: Some("e3".into()),
                source_ip: Some("192.0.2.1".into()),
                ..EventLocation::default()
            }),
            evidence: vec![Evidence {
                path: "$.sourceIPAddress".into(),
                value: Some(serde_json::json!("192.0.2.1")),
            }],
            baseline: None,
            event: Some(Arc::from(r#"{"eventName":"ListBuckets"}"#)),
        }
    }

    #[test]
    fn a_spilled_candidate_reads_back_whole_with_its_event() {
        let spill = Spill::new().unwrap();
        let mut finding = candidate();
        assert_eq!(
            unspill(&spilled(&spill, &finding).unwrap()).unwrap(),
            finding
        );
        finding.event = None;
        assert_eq!(
            unspill(&spilled(&spill, &finding).unwrap()).unwrap(),
            finding
        );
    }

    #[test]
    fn a_candidate_that_does_not_read_back_is_an_error_at_its_event() {
        let spill = Spill::new().unwrap();
        let torn = spill.put(b"{\"rule_id\":", b"").unwrap();
        let err = unspill(&torn).unwrap_err();
        assert!(err.contains("not valid"), "{err}");
        let mut result = ScanResult::default();
        let at = EventRef {
            file: Arc::from("trail.json"),
            record: 3,
        };
        assert_eq!(read_back(&torn, at, &mut result), None);
        let [error] = result.errors.as_slice() else {
            panic!("{:?}", result.errors);
        };
        assert_eq!((&*error.file, error.record), ("trail.json", Some(3)));
        assert!(
            error.message.contains("is lost: scan again"),
            "{}",
            error.message
        );
        assert_eq!(result.stats.records_failed, 1);
        let whole = spilled(&spill, &candidate()).unwrap();
        let at = EventRef {
            file: Arc::from("trail.json"),
            record: 3,
        };
        assert_eq!(read_back(&whole, at, &mut result), Some(candidate()));
    }
}
