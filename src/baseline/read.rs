//! Reading a baseline: a trailgate JSON report (`--format json`), JSON Lines report
//! (`--format jsonl`) or SARIF report (`--format sarif`), recognised by its content, not its
//! name. Anything else is refused with a reason: a gate that silently compared against nothing
//! would call every finding new, or worse, a wrong file would hide real ones.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::{Baseline, BaselineEntry};
use crate::engine::fingerprint::{fingerprint, KEY};

/// Reads the report at `path`. The error names the problem; the caller names the file.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let bytes = std::fs::read(path).map_err(|err| {
        let reason = err.to_string();
        // "No such file or directory (os error 2)" -> "no such file or directory"
        let reason = reason.split(" (os error").next().unwrap_or(&reason);
        format!("cannot read: {}", reason.to_lowercase())
    })?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let entries = match serde_json::from_slice::<Value>(text) {
        Ok(document) => from_document(&document)?,
        Err(err) if err.to_string().starts_with("trailing characters") => from_json_lines(text)?,
        Err(err) => {
            return Err(format!(
                "not a trailgate report: invalid JSON at line {}: {err}",
                err.line()
            ))
        }
    };
    let mut seen = HashSet::new();
    Ok(Baseline {
        file: path.display().to_string(),
        entries: entries
            .into_iter()
            .filter(|e| seen.insert(e.fingerprint.clone()))
            .collect(),
    })
}

fn from_document(document: &Value) -> Result<Vec<BaselineEntry>, String> {
    if let Some(runs) = document.get("runs") {
        return from_sarif(runs);
    }
    match document.get("findings").and_then(Value::as_array) {
        Some(findings) => findings
            .iter()
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
        let value: Value = serde_json::from_slice(line)
            .map_err(|err| format!("line {}: not JSON: {err}", i + 1))?;
        if value.get("type").and_then(Value::as_str) == Some("finding") {
            entries.push(from_finding(&value).map_err(|e| format!("line {}: {e}", i + 1))?);
        }
    }
    Ok(entries)
}

/// A finding of a JSON or JSON Lines report. Reports written before findings carried a
/// `fingerprint` still work: it is computed the same way from the fields they do have.
fn from_finding(finding: &Value) -> Result<BaselineEntry, String> {
    let text = |key: &str| finding.get(key).and_then(Value::as_str);
    let rule_id = text("rule_id").ok_or("no `rule_id`")?.to_string();
    let fingerprint = match text("fingerprint") {
        Some(fingerprint) => fingerprint.to_string(),
        None => {
            let event_id = text("event_id");
            let (file, record) = match event_id {
                Some(_) => ("", 0),
                None => (
                    text("file").ok_or("no `event_id` and no `file`")?,
                    finding
                        .get("record")
                        .and_then(Value::as_u64)
                        .and_then(|r| usize::try_from(r).ok())
                        .ok_or("no `event_id` and no `record`")?,
                ),
            };
            fingerprint(&rule_id, event_id, file, record)
        }
    };
    Ok(BaselineEntry {
        rule_id,
        fingerprint,
    })
}

fn from_sarif(runs: &Value) -> Result<Vec<BaselineEntry>, String> {
    let runs = runs.as_array().ok_or("SARIF `runs` is not an array")?;
    let mut entries = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let Some(results) = run.get("results").and_then(Value::as_array) else {
            continue;
        };
        for (i, result) in results.iter().enumerate() {
            let at = || format!("runs[{r}].results[{i}]");
            // A result another tool marked absent was not found by that run.
            if result.get("baselineState").and_then(Value::as_str) == Some("absent") {
                continue;
            }
            let rule_id = result
                .get("ruleId")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: no `ruleId`", at()))?;
            let fingerprint = result
                .get("partialFingerprints")
                .and_then(|p| p.get(KEY))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    format!(
                        "{}: no partialFingerprints.\"{KEY}\"; only SARIF written by trailgate can be a baseline",
                        at()
                    )
                })?;
            entries.push(BaselineEntry {
                rule_id: rule_id.to_string(),
                fingerprint: fingerprint.to_string(),
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
    fn sarif_report() {
        let doc = r#"{"version": "2.1.0", "runs": [{"results": [
            {"ruleId": "a", "partialFingerprints": {"trailgate/v1": "a/1"}},
            {"ruleId": "b", "baselineState": "absent", "partialFingerprints": {"trailgate/v1": "b/2"}}
        ]}]}"#;
        assert_eq!(fingerprints(doc).unwrap(), vec!["a/1".to_string()]);
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
