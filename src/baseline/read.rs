//! Reading a baseline: a trailgate JSON report (`--format json`), JSON Lines report
//! (`--format jsonl`) or SARIF report (`--format sarif`), recognised by its content, not its
//! name. Anything else is refused with a reason: a gate that silently compared against nothing
//! would call every finding new, or worse, a wrong file would hide real ones.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::finding::fingerprint::{fingerprint, KEY};
use crate::finding::{Baseline, BaselineEntry};
use crate::wire::FindingIdentity;

/// A report read as a whole: a JSON report has `findings`, SARIF has `runs`.
#[derive(Deserialize)]
struct AnyReport<'a> {
    #[serde(default, borrow)]
    findings: Option<Vec<FindingIdentity<'a>>>,
    #[serde(default, borrow)]
    runs: Option<Vec<SarifRun<'a>>>,
}

/// What a baseline needs of a SARIF run.
#[derive(Deserialize)]
struct SarifRun<'a> {
    #[serde(default, borrow)]
    results: Option<Vec<SarifResult<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(default, borrow)]
    rule_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    baseline_state: Option<Cow<'a, str>>,
    #[serde(default)]
    partial_fingerprints: Option<BTreeMap<String, String>>,
    #[serde(default, borrow)]
    suppressions: Vec<SarifSuppression<'a>>,
    #[serde(default, borrow)]
    properties: Option<SarifProperties<'a>>,
}

/// What a baseline reads of a SARIF result's properties: its account.
#[derive(Deserialize)]
struct SarifProperties<'a> {
    #[serde(default, borrow)]
    account: Option<Cow<'a, str>>,
}

/// What a baseline needs of a SARIF suppression: whether it holds.
#[derive(Deserialize)]
struct SarifSuppression<'a> {
    #[serde(default, borrow)]
    status: Option<Cow<'a, str>>,
}

/// The `type` of a JSON Lines record.
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
}

/// Reads the report at `path`. The error names the problem; the caller names the file.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let bytes = std::fs::read(path).map_err(|err| {
        let reason = err.to_string();
        // "No such file or directory (os error 2)" -> "no such file or directory"
        let reason = reason.split(" (os error").next().unwrap_or(&reason);
        format!("cannot read: {}", reason.to_lowercase())
    })?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    // A first value with a `type` is JSON Lines, even when it is the only line (a scan with no
    // findings writes only its summary).
    let first = serde_json::Deserializer::from_slice(text)
        .into_iter::<Kind<'_>>()
        .next();
    if matches!(first, Some(Ok(Kind { kind: Some(_) }))) {
        return Ok(unique(path, from_json_lines(text)?));
    }
    let entries = match serde_json::from_slice::<AnyReport<'_>>(text) {
        Ok(report) => from_document(report)?,
        Err(err) if err.to_string().starts_with("trailing characters") => from_json_lines(text)?,
        Err(err) if err.is_data() => return Err(format!("not a trailgate report: {err}")),
        Err(err) => {
            return Err(format!(
                "not a trailgate report: invalid JSON at line {}: {err}",
                err.line()
            ))
        }
    };
    Ok(unique(path, entries))
}

/// The baseline of `path`: each fingerprint once, in report order.
fn unique(path: &Path, entries: Vec<BaselineEntry>) -> Baseline {
    let mut seen = HashSet::new();
    Baseline {
        file: path.display().to_string(),
        entries: entries
            .into_iter()
            .filter(|e| seen.insert(e.fingerprint.clone()))
            .collect(),
    }
}

fn from_document(report: AnyReport<'_>) -> Result<Vec<BaselineEntry>, String> {
    if let Some(runs) = report.runs {
        return from_sarif(runs);
    }
    match report.findings {
        Some(findings) => findings
            .into_iter()
            .enumerate()
            .map(|(i, f)| from_finding(f).map_err(|e| format!("findings[{i}]: {e}")))
            .collect(),
        None => Err("not a trailgate report: expected a JSON report with `findings` (--format json), JSON Lines (--format jsonl) or SARIF with `runs` (--format sarif)".into()),
    }
}

fn from_json_lines(text: &[u8]) -> Result<Vec<BaselineEntry>, String> {
    let mut entries = Vec::new();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let kind: Kind<'_> = serde_json::from_slice(line)
            .map_err(|err| format!("line {}: not JSON: {err}", i + 1))?;
        if kind.kind.as_deref() == Some("finding") {
            let finding: FindingIdentity<'_> =
                serde_json::from_slice(line).map_err(|err| format!("line {}: {err}", i + 1))?;
            entries.push(from_finding(finding).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
    }
    Ok(entries)
}

/// A finding of a JSON or JSON Lines report. Reports written before findings carried a
/// `fingerprint` still work: it is computed the same way from the fields they do have.
fn from_finding(finding: FindingIdentity<'_>) -> Result<BaselineEntry, String> {
    let rule_id = finding.rule_id.ok_or("no `rule_id`")?.into_owned();
    let fingerprint = match finding.fingerprint {
        Some(fingerprint) => fingerprint.into_owned(),
        None => {
            let event_id = finding.event_id.as_deref();
            let (file, record) = match event_id {
                Some(_) => ("", 0),
                None => (
                    finding
                        .file
                        .as_deref()
                        .ok_or("no `event_id` and no `file`")?,
                    finding.record.ok_or("no `event_id` and no `record`")?,
                ),
            };
            fingerprint(&rule_id, event_id, file, record)
        }
    };
    Ok(BaselineEntry {
        rule_id,
        fingerprint,
        account: finding.account.map(Cow::into_owned),
    })
}

fn from_sarif(runs: Vec<SarifRun<'_>>) -> Result<Vec<BaselineEntry>, String> {
    let mut entries = Vec::new();
    for (r, run) in runs.into_iter().enumerate() {
        for (i, result) in run.results.into_iter().flatten().enumerate() {
            let at = || format!("runs[{r}].results[{i}]");
            // A result another tool marked absent was not found by that run.
            if result.baseline_state.as_deref() == Some("absent") {
                continue;
            }
            // A suppressed result was not accepted by the baseline: when its suppression ends
            // (it expires or is removed), the finding must be new. SARIF: a suppression holds
            // unless it is under review or rejected.
            if result
                .suppressions
                .iter()
                .any(|s| !matches!(s.status.as_deref(), Some("underReview" | "rejected")))
            {
                continue;
            }
            let rule_id = result
                .rule_id
                .ok_or_else(|| format!("{}: no `ruleId`", at()))?;
            let fingerprint = result
                .partial_fingerprints
                .and_then(|mut p| p.remove(KEY))
                .ok_or_else(|| {
                    format!(
                        "{}: no partialFingerprints.\"{KEY}\"; only SARIF written by trailgate can be a baseline",
                        at()
                    )
                })?;
            entries.push(BaselineEntry {
                rule_id: rule_id.into_owned(),
                fingerprint,
                account: result
                    .properties
                    .and_then(|p| p.account)
                    .map(Cow::into_owned),
            });
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn fingerprints(text: &str) -> Result<Vec<String>, String> {
        let (_dir, path) = write(text);
        read(&path).map(|b| b.entries.into_iter().map(|e| e.fingerprint).collect())
    }

    #[test]
    fn json_report_with_and_without_fingerprints() {
        let doc = r#"{"findings": [
            {"rule_id": "a", "event_id": "1", "fingerprint": "a/1"},
            {"rule_id": "b", "event_id": "2"},
            {"rule_id": "c", "event_id": null, "file": "t.json", "record": 4},
            {"rule_id": "a", "event_id": "1"}
        ]}"#;
        assert_eq!(
            fingerprints(doc).unwrap(),
            vec![
                "a/1".to_string(),
                "b/2".to_string(),
                fingerprint("c", None, "t.json", 4)
            ],
            "duplicates are kept once"
        );
    }

    #[test]
    fn json_lines_report() {
        let doc = "{\"type\":\"finding\",\"rule_id\":\"a\",\"event_id\":\"1\"}\n{\"type\":\"error\",\"file\":\"x\"}\n\n{\"type\":\"summary\",\"findings\":1}\n";
        assert_eq!(fingerprints(doc).unwrap(), vec!["a/1".to_string()]);
    }

    #[test]
    fn json_lines_report_of_a_clean_scan() {
        let doc = "{\"type\":\"summary\",\"findings\":0}\n";
        assert_eq!(fingerprints(doc).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn sarif_report() {
        let doc = r#"{"version": "2.1.0", "runs": [{"results": [
            {"ruleId": "a", "partialFingerprints": {"trailgate/v1": "a/1"}},
            {"ruleId": "b", "baselineState": "absent", "partialFingerprints": {"trailgate/v1": "b/2"}},
            {"ruleId": "c", "partialFingerprints": {"trailgate/v1": "c/3"},
             "suppressions": [{"kind": "external", "status": "accepted", "justification": "known"}]},
            {"ruleId": "d", "partialFingerprints": {"trailgate/v1": "d/4"},
             "suppressions": [{"kind": "external"}]},
            {"ruleId": "e", "partialFingerprints": {"trailgate/v1": "e/5"},
             "suppressions": [{"kind": "external", "status": "rejected"}]},
            {"ruleId": "f", "partialFingerprints": {"trailgate/v1": "f/6"}, "suppressions": []}
        ]}]}"#;
        assert_eq!(
            fingerprints(doc).unwrap(),
            vec!["a/1".to_string(), "e/5".to_string(), "f/6".to_string()],
            "suppressed results are not in the baseline"
        );
    }

    #[test]
    fn what_is_not_a_trailgate_report_is_refused_with_a_reason() {
        let cases = [
            ("", "invalid JSON"),
            (
                "{\"Records\": []}",
                "expected a JSON report with `findings`",
            ),
            (
                "{\"findings\": [{\"event_id\": \"1\"}]}",
                "findings[0]: no `rule_id`",
            ),
            (
                "{\"findings\": [{\"rule_id\": \"a\"}]}",
                "no `event_id` and no `file`",
            ),
            (
                r#"{"runs": [{"results": [{"ruleId": "a"}]}]}"#,
                "runs[0].results[0]: no partialFingerprints",
            ),
            ("{\"type\":\"finding\"}\nnot json\n", "line 1: no `rule_id`"),
            ("{\"type\":\"summary\"}\nnot json\n", "line 2: not JSON"),
        ];
        for (text, expected) in cases {
            let err = fingerprints(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let missing = read(Path::new("no/such/baseline.json")).unwrap_err();
        assert_eq!(missing, "cannot read: no such file or directory");
    }
}
