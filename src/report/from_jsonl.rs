//! `trailgate report --from`: JSON Lines reports (of one scan, or of many scans that each read a
//! share of the inputs, such as Spark partitions) back into one `ScanResult`, which any format
//! then renders as if it came from a single scan. Findings, errors and skipped files are
//! de-duplicated (a share handed out twice counts once) and sorted exactly as the engine sorts;
//! the counts of the summaries are added up.

use std::collections::{BTreeSet, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use crate::finding::spill::Spill;
use crate::finding::{Location, ScanResult, Stats};
use crate::scope::Scope;
use crate::time::parse_rfc3339;
use crate::wire::{self, Record};

/// What the JSON Lines files held, merged.
#[derive(Debug, Default)]
pub struct Merged {
    pub result: ScanResult,
    /// The inputs the scans were given, in order, each once.
    pub inputs: Vec<String>,
    /// The rule count of the scans (the same in every file).
    pub rules: Option<usize>,
    /// Ids of the rules the scans loaded (every loaded rule is in `rule_events`).
    pub rule_ids: BTreeSet<String>,
}

/// A finding's identity for de-duplication: the same event and rule, or the same window.
#[derive(Debug, PartialEq, Eq, Hash)]
enum FindingKey {
    Event(Arc<str>, usize, String),
    Window(String),
}

/// Reads and merges JSON Lines reports. Fails, naming the file and line, on anything that is
/// not a trailgate JSON Lines report, or on files from scans with different rule sets or scopes.
pub fn read(paths: &[impl AsRef<Path>]) -> Result<Merged, String> {
    let mut merged = Merged::default();
    let mut finding_keys: HashSet<FindingKey> = HashSet::new();
    let mut error_keys: HashSet<crate::source::InputError> = HashSet::new();
    let mut skipped_keys: HashSet<Arc<str>> = HashSet::new();
    // Signal and observation records are told apart by their whole line: kept as a digest, since
    // the lines of a large run add up to hundreds of MB (a SHA-256 collision is not a concern).
    let mut signal_keys: HashSet<[u8; 32]> = HashSet::new();
    let mut observation_lines: HashSet<[u8; 32]> = HashSet::new();
    // The observations' findings (one per combination and episode) wait in a temporary file,
    // made at the first observation line; without one they are held in memory.
    let mut spill: Option<Option<Arc<Spill>>> = None;
    let mut scope: Option<Scope> = None;
    let mut inputs_seen: HashSet<String> = HashSet::new();
    // File names are shared, as in a scan.
    let mut names: HashSet<Arc<str>> = HashSet::new();
    let mut intern = |name: &str| -> Arc<str> {
        if let Some(existing) = names.get(name) {
            return existing.clone();
        }
        let name: Arc<str> = Arc::from(name);
        names.insert(name.clone());
        name
    };
    for path in paths {
        let path = path.as_ref();
        // Line by line: the file is never held whole.
        let file = std::fs::File::open(path)
            .map_err(|err| format!("{}: cannot read: {err}", path.display()))?;
        let mut summaries = 0;
        for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line
                .map_err(|err| format!("{}:{}: cannot read: {err}", path.display(), number + 1))?;
            let line = line.as_str();
            if line.trim().is_empty() {
                continue;
            }
            let at = |e: String| format!("{}:{}: {e}", path.display(), number + 1);
            match wire::read_record(line).map_err(at)? {
                Record::Finding(finding) => {
                    let finding = finding.into_finding(&mut intern).map_err(at)?;
                    let key = match &finding.location {
                        Location::Event(e) => {
                            FindingKey::Event(e.file.clone(), e.record, finding.rule_id.clone())
                        }
                        Location::Window(_) => FindingKey::Window(finding.fingerprint()),
                    };
                    if finding_keys.insert(key) {
                        merged.result.findings.push(finding);
                    }
                }
                Record::Error(error) => {
                    let error = error.into_error(&mut intern);
                    if error_keys.insert(error.clone()) {
                        merged.result.errors.push(error);
                    }
                }
                Record::Skipped(skipped) => {
                    let skipped = skipped.into_skipped(&mut intern).map_err(at)?;
                    if skipped_keys.insert(skipped.file.clone()) {
                        merged.result.skipped.push(skipped);
                    }
                }
                // Recomputed by `report --baseline`, as by `scan --baseline`.
                Record::Gone(_) => {}
                // The same share read twice gives the same records: count them once.
                Record::Signal(signal) => {
                    if signal_keys.insert(digest(line)) {
                        merged.result.signals.push(signal);
                    }
                }
                // Likewise: a share read twice adds its observations once.
                Record::Observation(observation) => {
                    if observation_lines.insert(digest(line)) {
                        let spill = spill.get_or_insert_with(|| Spill::new().ok());
                        observation
                            .add_to(&mut merged.result.observations, &mut intern, spill.as_ref())
                            .map_err(|e| at(format!("observation record: {e}")))?;
                    }
                }
                Record::Summary(summary) => {
                    summaries += 1;
                    let this_scope =
                        add_summary(*summary, &mut merged, &mut inputs_seen).map_err(at)?;
                    match &scope {
                        None => scope = Some(this_scope),
                        Some(earlier) if *earlier != this_scope => {
                            return Err(at(format!(
                                "this scan had another scope ({}) than the earlier ones ({}); merge only scans run with the same --since, --until, --account and --region",
                                this_scope.describe(),
                                earlier.describe()
                            )));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if summaries == 0 {
            return Err(format!(
                "{}: no summary line: the file is cut short or is not a trailgate JSON Lines report (the scan writes its summary last)",
                path.display()
            ));
        }
    }
    let result = &mut merged.result;
    result.scope = scope.unwrap_or_default();
    result.stats.rules = merged.rules.unwrap_or_default();
    result.sort();
    Ok(merged)
}

fn digest(line: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(line.as_bytes()).into()
}

/// Adds one summary's counts to `merged`; returns its scope.
fn add_summary(
    summary: wire::Summary<'_>,
    merged: &mut Merged,
    inputs_seen: &mut HashSet<String>,
) -> Result<Scope, String> {
    let rules = summary.rules;
    match merged.rules {
        Some(earlier) if earlier != rules => {
            return Err(format!(
                "this scan loaded {rules} rules, an earlier one {earlier}: merge only scans run with the same rules"
            ))
        }
        _ => merged.rules = Some(rules),
    }
    let Some(more) = summary.stats else {
        return Err(
            "summary: `stats` is missing: the report was written by an older trailgate; scan again with this version".into(),
        );
    };
    let time = |name: &str, value: Option<String>| {
        value
            .map(|text| {
                parse_rfc3339(&text)
                    .ok_or_else(|| format!("summary: `{name}` is not an RFC 3339 time: {text}"))
            })
            .transpose()
    };
    for id in more.rule_events.keys() {
        merged.rule_ids.insert(id.clone());
    }
    for input in more.inputs.iter() {
        if inputs_seen.insert(input.clone()) {
            merged.inputs.push(input.clone());
        }
    }
    // The same suppressions in every scan of the same configuration: their counts add up.
    for outcome in summary.suppressions {
        let outcome = outcome.into_outcome();
        let outcomes = &mut merged.result.suppressions;
        match outcomes.iter_mut().find(|o| o.same_as(&outcome)) {
            Some(known) => known.merge(&outcome),
            None => outcomes.push(outcome),
        }
    }
    // Findings are counted from the findings themselves (they are all here).
    merged.result.stats.merge(Stats {
        files_read: summary.files_read,
        files_failed: summary.files_failed,
        ignored: summary.files_ignored,
        records_failed: summary.records_failed,
        events: summary.events,
        events_read: summary.events + more.out_of_scope + more.undated,
        suppressed: summary.suppressed.into_owned(),
        correlation_dropped: summary.correlation_dropped.into_owned(),
        files_unchanged: summary.files_unchanged,
        first_seen: summary
            .first_seen
            .into_iter()
            .map(|(id, counts)| (id, counts.into()))
            .collect(),
        bytes: more.bytes,
        out_of_scope: more.out_of_scope,
        undated: more.undated,
        rule_events: more.rule_events.into_owned(),
        control_events: more.control_events.into_owned(),
        first_event: time("first_event", more.first_event)?,
        last_event: time("last_event", more.last_event)?,
        accounts: more.accounts.into_owned(),
        regions: more.regions.into_owned(),
        ..Stats::default()
    });
    Ok(match summary.scope {
        Some(scope) => Scope {
            since: time("scope.since", scope.since)?,
            until: time("scope.until", scope.until)?,
            accounts: scope.accounts.into_owned(),
            regions: scope.regions.into_owned(),
        },
        None => Scope::default(),
    })
}
