//! `trailgate report --from`: JSON Lines reports (of one scan, or of many scans that each read a
//! share of the inputs, such as Spark partitions) back into one `ScanResult`, which any format
//! then renders as if it came from a single scan. Findings, errors and skipped files are
//! de-duplicated (a share handed out twice counts once) and sorted exactly as the engine sorts;
//! the counts of the summaries are added up.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::engine::{Evidence, Finding, ScanResult, Scope};
use crate::rule::Severity;
use crate::source::{InputError, SkipReason, Skipped};
use crate::time::parse_rfc3339;

/// An unreadable input's identity: file, record, line, message.
type ErrorKey = (Arc<str>, Option<usize>, Option<usize>, String);

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

/// Reads and merges JSON Lines reports. Fails, naming the file and line, on anything that is
/// not a trailgate JSON Lines report, or on files from scans with different rule sets or scopes.
pub fn read(paths: &[impl AsRef<Path>]) -> Result<Merged, String> {
    let mut merged = Merged::default();
    let mut finding_keys: HashSet<(Arc<str>, usize, String)> = HashSet::new();
    let mut error_keys: HashSet<ErrorKey> = HashSet::new();
    let mut skipped_keys: HashSet<Arc<str>> = HashSet::new();
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
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("{}: cannot read: {err}", path.display()))?;
        let mut summaries = 0;
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{}:{}", path.display(), number + 1);
            let value: Value = serde_json::from_str(line)
                .map_err(|err| format!("{}: not JSON ({err}); give JSON Lines reports of `trailgate scan -o jsonl=FILE`", at()))?;
            let kind = value["type"].as_str().unwrap_or_default();
            match kind {
                "finding" => {
                    let finding = finding(&value, &mut intern).map_err(|e| format!("{}: {e}", at()))?;
                    let key = (finding.file.clone(), finding.record, finding.rule_id.clone());
                    if finding_keys.insert(key) {
                        merged.result.findings.push(finding);
                    }
                }
                "error" => {
                    let error = InputError {
                        file: intern(str_field(&value, "file").map_err(|e| format!("{}: {e}", at()))?),
                        record: usize_opt(&value["record"]),
                        line: usize_opt(&value["line"]),
                        message: str_field(&value, "message").map_err(|e| format!("{}: {e}", at()))?.to_string(),
                    };
                    let key = (error.file.clone(), error.record, error.line, error.message.clone());
                    if error_keys.insert(key) {
                        merged.result.errors.push(error);
                    }
                }
                "skipped" => {
                    let file = intern(str_field(&value, "file").map_err(|e| format!("{}: {e}", at()))?);
                    if skipped_keys.insert(file.clone()) {
                        merged.result.skipped.push(Skipped {
                            file,
                            reason: SkipReason::Digest,
                        });
                    }
                }
                // Recomputed by `report --baseline`, as by `scan --baseline`.
                "gone" => {}
                "summary" => {
                    summaries += 1;
                    let this_scope = summary(&value, &mut merged, &mut inputs_seen)
                        .map_err(|e| format!("{}: {e}", at()))?;
                    match &scope {
                        None => scope = Some(this_scope),
                        Some(earlier) if *earlier != this_scope => {
                            return Err(format!(
                                "{}: this scan had another scope ({}) than the earlier ones ({}); merge only scans run with the same --since, --until, --account and --region",
                                at(),
                                this_scope.describe(),
                                earlier.describe()
                            ));
                        }
                        Some(_) => {}
                    }
                }
                other => {
                    return Err(format!(
                        "{}: unknown line type `{other}`; give JSON Lines reports of `trailgate scan -o jsonl=FILE`",
                        at()
                    ))
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
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result
        .errors
        .sort_by(|a, b| (&a.file, a.record, a.line).cmp(&(&b.file, b.record, b.line)));
    result.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(merged)
}

fn str_field<'a>(value: &'a Value, key: &str) -> Result<&'a str, String> {
    value[key]
        .as_str()
        .ok_or_else(|| format!("`{key}` is missing or not a string"))
}

fn usize_opt(value: &Value) -> Option<usize> {
    value.as_u64().and_then(|n| usize::try_from(n).ok())
}

fn opt_string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn finding(value: &Value, intern: &mut impl FnMut(&str) -> Arc<str>) -> Result<Finding, String> {
    let severity: Severity = str_field(value, "severity")?
        .parse()
        .map_err(|_| "`severity` is not a severity".to_string())?;
    let evidence = value["evidence"]
        .as_array()
        .ok_or("`evidence` is missing")?
        .iter()
        .map(|e| {
            Ok(Evidence {
                path: str_field(e, "path")?.to_string(),
                value: if e["missing"].as_bool().unwrap_or(false) {
                    None
                } else {
                    Some(e["value"].clone())
                },
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Finding {
        rule_id: str_field(value, "rule_id")?.to_string(),
        severity,
        title: str_field(value, "title")?.to_string(),
        message: str_field(value, "message")?.to_string(),
        file: intern(str_field(value, "file")?),
        record: usize_opt(&value["record"]).ok_or("`record` is missing")?,
        line: usize_opt(&value["line"]),
        event_id: opt_string(&value["event_id"]),
        event_time: opt_string(&value["event_time"]),
        event_source: opt_string(&value["event_source"]),
        event_name: opt_string(&value["event_name"]),
        account: opt_string(&value["account"]),
        region: opt_string(&value["region"]),
        principal: opt_string(&value["principal"]),
        source_ip: opt_string(&value["source_ip"]),
        user_agent: opt_string(&value["user_agent"]),
        evidence,
        baseline: None,
        event: None,
    })
}

/// Adds one summary line's counts to `merged`; returns its scope.
fn summary(
    value: &Value,
    merged: &mut Merged,
    inputs_seen: &mut HashSet<String>,
) -> Result<Scope, String> {
    let count = |v: &Value, key: &str| -> Result<usize, String> {
        usize_opt(&v[key]).ok_or_else(|| format!("summary: `{key}` is missing"))
    };
    let rules = count(value, "rules")?;
    match merged.rules {
        Some(earlier) if earlier != rules => {
            return Err(format!(
                "this scan loaded {rules} rules, an earlier one {earlier}: merge only scans run with the same rules"
            ))
        }
        _ => merged.rules = Some(rules),
    }
    let stats = &mut merged.result.stats;
    stats.files_read += count(value, "files_read")?;
    stats.files_failed += count(value, "files_failed")?;
    stats.ignored += count(value, "files_ignored")?;
    stats.records_failed += count(value, "records_failed")?;
    stats.events += count(value, "events")?;
    if let Some(suppressed) = value["suppressed"].as_object() {
        for (id, n) in suppressed {
            *stats.suppressed.entry(id.clone()).or_default() += usize_opt(n).unwrap_or(0);
        }
    }
    let more = &value["stats"];
    if !more.is_object() {
        return Err(
            "summary: `stats` is missing: the report was written by an older trailgate; scan again with this version".into(),
        );
    }
    stats.bytes += more["bytes"].as_u64().unwrap_or(0);
    stats.out_of_scope += usize_opt(&more["out_of_scope"]).unwrap_or(0);
    stats.undated += usize_opt(&more["undated"]).unwrap_or(0);
    stats.events_read = stats.events + stats.out_of_scope + stats.undated;
    if let Some(rule_events) = more["rule_events"].as_object() {
        for (id, n) in rule_events {
            merged.rule_ids.insert(id.clone());
            *stats.rule_events.entry(id.clone()).or_default() += usize_opt(n).unwrap_or(0);
        }
    }
    if let Some(frameworks) = more["control_events"].as_object() {
        for (framework, controls) in frameworks {
            let entry: &mut BTreeMap<String, usize> =
                stats.control_events.entry(framework.clone()).or_default();
            for (control, n) in controls.as_object().into_iter().flatten() {
                *entry.entry(control.clone()).or_default() += usize_opt(n).unwrap_or(0);
            }
        }
    }
    if let Some(first) = more["first_event"].as_str().and_then(parse_rfc3339) {
        stats.first_event = Some(stats.first_event.map_or(first, |t| t.min(first)));
    }
    if let Some(last) = more["last_event"].as_str().and_then(parse_rfc3339) {
        stats.last_event = Some(stats.last_event.map_or(last, |t| t.max(last)));
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    stats.accounts.extend(strings(&more["accounts"]));
    stats.regions.extend(strings(&more["regions"]));
    for input in strings(&more["inputs"]) {
        if inputs_seen.insert(input.clone()) {
            merged.inputs.push(input);
        }
    }
    let scope = &value["scope"];
    Ok(if scope.is_object() {
        let time = |key: &str| scope[key].as_str().and_then(parse_rfc3339);
        Scope {
            since: time("since"),
            until: time("until"),
            accounts: strings(&scope["accounts"]),
            regions: strings(&scope["regions"]),
        }
    } else {
        Scope::default()
    })
}
