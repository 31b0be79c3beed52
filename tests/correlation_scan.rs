//! Correlations run by the commands: `scan` gives window findings in every format, after the
//! event findings; shards scanned apart and merged by `report --from` give the findings of one
//! scan; the gate counts them; `rules test` runs correlation cases; matches that cannot be
//! placed in a window are reported.

mod common;

use std::collections::BTreeSet;

use common::{assert_valid_junit, assert_valid_sarif, trailgate};
use serde_json::Value;

const TRAILS: &str = "fixtures/correlations/trails";
const FILE_A: &str = "fixtures/correlations/trails/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/02/123456789012_CloudTrail_us-east-1_20240502T1000Z_a.json";
const FILE_B: &str = "fixtures/correlations/trails/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/02/123456789012_CloudTrail_us-east-1_20240502T1000Z_b.json";

fn json(run: &common::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}\n{}", run.stdout, run.stderr))
}

/// Window findings of a JSON report: (rule id, group, first, total).
fn windows(document: &Value) -> Vec<(String, String, String, u64)> {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("window").is_some())
        .map(|f| {
            let w = &f["window"];
            let group: Vec<String> = w["group"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    format!(
                        "{}={}",
                        g["field"].as_str().unwrap(),
                        g["value"].as_str().unwrap()
                    )
                })
                .collect();
            (
                f["rule_id"].as_str().unwrap().to_string(),
                group.join(","),
                w["first"].as_str().unwrap().to_string(),
                w["total"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expected_windows() -> Vec<(String, String, String, u64)> {
    vec![
        (
            "aws-console-brute-force".into(),
            "sourceIPAddress=203.0.113.9".into(),
            "2024-05-02T10:00:00Z".into(),
            12,
        ),
        (
            "aws-console-brute-force-then-login".into(),
            "sourceIPAddress=203.0.113.9".into(),
            "2024-05-02T10:05:30Z".into(),
            13,
        ),
        (
            "aws-console-password-spraying".into(),
            "sourceIPAddress=198.51.100.23".into(),
            "2024-05-02T10:20:00Z".into(),
            6,
        ),
    ]
}

#[test]
fn the_built_in_correlations_fire_on_a_brute_force_split_across_two_unordered_files() {
    let run = trailgate(&["scan", "--format", "json", TRAILS]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let document = json(&run);
    assert_eq!(windows(&document), expected_windows());
    // Window findings come after every event finding, whatever the files' order.
    let findings = document["findings"].as_array().unwrap();
    let first_window = findings
        .iter()
        .position(|f| f.get("window").is_some())
        .unwrap();
    assert!(findings[first_window..]
        .iter()
        .all(|f| f.get("window").is_some()));
    // The quiet helper rule (`generate`) gives no finding of its own; the rule counted by
    // brute force (generate: true) does.
    let ids: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains("aws-console-login-succeeded"), "{ids:?}");
    assert!(ids.contains("aws-console-login-failed"), "{ids:?}");
    let brute = findings
        .iter()
        .find(|f| f["rule_id"] == "aws-console-brute-force")
        .unwrap();
    assert_eq!(
        brute["message"],
        "12 failed console sign-ins from 203.0.113.9 between 2024-05-02T10:00:00Z and 2024-05-02T10:05:30Z."
    );
    assert_eq!(brute["severity"], "medium");
    let members = brute["window"]["members"].as_array().unwrap();
    assert_eq!(members.len(), 12);
    assert_eq!(
        members[0]["event_id"],
        "c0ffee00-0000-4000-8000-000000000001"
    );
    assert_eq!(members[0]["rule"], "aws-console-login-failed");
    assert!(members[0]["file"].as_str().unwrap().ends_with("_a.json"));
    assert_eq!(brute["window"]["measure"]["count"], 12);
    let spray = findings
        .iter()
        .find(|f| f["rule_id"] == "aws-console-password-spraying")
        .unwrap();
    assert_eq!(spray["window"]["measure"]["distinct"]["total"], 6);
}

#[test]
fn each_file_alone_is_below_every_threshold() {
    for file in [FILE_A, FILE_B] {
        let document = json(&trailgate(&["scan", "--format", "json", file]));
        assert_eq!(windows(&document), Vec::new(), "{file}");
    }
}

#[test]
fn streamed_and_collected_scans_agree() {
    // JSON Lines streams findings while the scan runs; with a baseline it collects them first.
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, r#"{"findings": []}"#).unwrap();
    let streamed = trailgate(&["scan", "--format", "jsonl", TRAILS]);
    let collected = trailgate(&[
        "scan",
        "--format",
        "jsonl",
        "--baseline",
        baseline.to_str().unwrap(),
        TRAILS,
    ]);
    let windows_of = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains("\"window\""))
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("baseline");
                v.to_string()
            })
            .collect()
    };
    assert_eq!(windows_of(&streamed.stdout).len(), 3, "{}", streamed.stderr);
    assert_eq!(
        windows_of(&streamed.stdout),
        windows_of(&collected.stdout),
        "{}",
        collected.stderr
    );
}

#[test]
fn shards_merged_by_report_from_give_the_correlations_of_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |file: &str, name: &str| {
        let path = dir.path().join(name);
        let run = trailgate(&[
            "scan",
            "--format",
            "jsonl",
            "--output",
            path.to_str().unwrap(),
            file,
        ]);
        assert!(run.code <= 1, "{}", run.stderr);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"type\":\"signal\""), "{text}");
        path
    };
    let a = shard(FILE_A, "a.jsonl");
    let b = shard(FILE_B, "b.jsonl");
    let merged = trailgate(&[
        "report",
        "--from",
        a.to_str().unwrap(),
        "--from",
        b.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    let merged = json(&merged);
    let whole = json(&trailgate(&["scan", "--format", "json", FILE_A, FILE_B]));
    assert_eq!(windows(&merged), expected_windows());
    assert_eq!(merged["findings"], whole["findings"]);
    // The same shard given twice counts once.
    let twice = json(&trailgate(&[
        "report",
        "--from",
        a.to_str().unwrap(),
        "--from",
        a.to_str().unwrap(),
        "--from",
        b.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(twice["findings"], whole["findings"]);
}

#[test]
fn window_findings_appear_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name);
    let run = trailgate(&[
        "scan",
        "-o",
        &format!("text={}", out("r.txt").display()),
        "-o",
        &format!("json={}", out("r.json").display()),
        "-o",
        &format!("jsonl={}", out("r.jsonl").display()),
        "-o",
        &format!("sarif={}", out("r.sarif").display()),
        "-o",
        &format!("junit={}", out("r.xml").display()),
        "-o",
        &format!("html={}", out("r.html").display()),
        "-o",
        &format!("markdown={}", out("r.md").display()),
        "-o",
        &format!("csv={}", out("r.csv").display()),
        TRAILS,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for name in [
        "r.txt", "r.json", "r.jsonl", "r.sarif", "r.xml", "r.html", "r.md", "r.csv",
    ] {
        let text = std::fs::read_to_string(out(name)).unwrap();
        for id in [
            "aws-console-brute-force",
            "aws-console-brute-force-then-login",
            "aws-console-password-spraying",
        ] {
            assert!(text.contains(id), "{name} lacks {id}");
        }
        assert!(
            text.contains("203.0.113.9"),
            "{name} does not name the group"
        );
    }
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out("r.sarif")).unwrap()).unwrap();
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let brute = results
        .iter()
        .find(|r| r["ruleId"] == "aws-console-brute-force")
        .unwrap();
    assert!(
        brute["locations"].as_array().is_some_and(|l| !l.is_empty()),
        "{brute}"
    );
    assert_valid_junit(&out("r.xml"));
    let text = std::fs::read_to_string(out("r.txt")).unwrap();
    assert!(text.contains("window 2024-05-02T10:00:00Z to 2024-05-02T10:05:30Z (12 events), sourceIPAddress=203.0.113.9"), "{text}");
    assert!(text.contains("member 7 more events"), "{text}");
}

#[test]
fn the_gate_counts_window_findings() {
    // Only the correlation of brute force then sign-in is high in this trail.
    let run = trailgate(&[
        "scan",
        "--format",
        "json",
        "--fail-on",
        "high",
        "--pack",
        "aws/correlations",
        TRAILS,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let document = json(&run);
    let ids: Vec<&str> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    // The pack's rules only: the per-event rules its correlations count run without findings
    // of their own, since the filter left them out.
    assert_eq!(
        ids,
        [
            "aws-console-brute-force",
            "aws-console-brute-force-then-login",
            "aws-console-password-spraying"
        ]
    );
    let quiet = trailgate(&["scan", "--fail-on", "critical", TRAILS]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
}

#[test]
fn rules_test_runs_correlation_cases() {
    let run = trailgate(&["rules", "test", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let results = json(&run);
    let brute = results["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "aws-console-brute-force")
        .unwrap_or_else(|| panic!("{results}"));
    assert!(brute["cases"].as_array().unwrap().len() >= 2, "{brute}");

    // A case that expects the wrong thing fails, and says what happened.
    let dir = tempfile::tempdir().unwrap();
    let pack =
        std::fs::read_to_string("rules/aws/correlations/aws-console-brute-force.yaml").unwrap();
    let broken = pack.replacen("condition: {gte: 10}", "condition: {gte: 11}", 1);
    assert_ne!(broken, pack);
    let file = dir.path().join("brute.yaml");
    std::fs::write(
        &file,
        broken.replace("id: aws-console-brute-force\n", "id: my-brute-force\n"),
    )
    .unwrap();
    let run = trailgate(&["rules", "test", "--builtin", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("my-brute-force"), "{}", run.stdout);
    assert!(
        run.stdout.contains("expected 1 finding(s), got 0"),
        "{}",
        run.stdout
    );
}

#[test]
fn matches_that_cannot_be_placed_in_a_window_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail.json");
    // Sign-ins without a source address (ten failures in this file): brute force groups by it.
    let text = std::fs::read_to_string(FILE_A).unwrap();
    let mut document: Value = serde_json::from_str(&text).unwrap();
    for record in document["Records"].as_array_mut().unwrap() {
        record.as_object_mut().unwrap().remove("sourceIPAddress");
    }
    std::fs::write(&trail, document.to_string()).unwrap();
    let run = trailgate(&["scan", trail.to_str().unwrap()]);
    assert!(
        run.stdout.contains(
            "warning: correlation aws-console-brute-force: left out 10 matches (no sourceIPAddress)"
        ),
        "{}",
        run.stdout
    );
    let document = json(&trailgate(&[
        "scan",
        "--format",
        "json",
        trail.to_str().unwrap(),
    ]));
    assert_eq!(
        document["summary"]["correlation_dropped"]["aws-console-brute-force"]["no sourceIPAddress"],
        10
    );
    // SARIF and JUnit say it in their run-level places too.
    let sarif = json(&trailgate(&[
        "scan",
        "--format",
        "sarif",
        trail.to_str().unwrap(),
    ]));
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["properties"]["correlation_dropped"]
            ["aws-console-brute-force"]["no sourceIPAddress"],
        10,
        "{sarif:#}"
    );
    let junit = trailgate(&["scan", "--format", "junit", trail.to_str().unwrap()]).stdout;
    assert!(
        junit.contains(
            r#"<property name="trailgate.correlation_dropped.aws-console-brute-force.no sourceIPAddress" value="10"/>"#
        ),
        "{junit}"
    );
    let markdown = trailgate(&["scan", "--format", "markdown", trail.to_str().unwrap()]).stdout;
    assert!(
        markdown.contains("| `aws-console-brute-force` | no sourceIPAddress | 10 |"),
        "{markdown}"
    );
    let html = trailgate(&["scan", "--format", "html", trail.to_str().unwrap()]).stdout;
    assert!(
        html.contains("<tr data-correlation-dropped=\"aws-console-brute-force\"><td><code>aws-console-brute-force</code></td><td>no sourceIPAddress</td><td class=\"num\">10</td></tr>"),
        "{html}"
    );
}

#[test]
fn a_correlation_over_a_rule_that_is_not_loaded_names_the_reference() {
    let run = trailgate(&[
        "scan",
        "--rules",
        "rules/aws/correlations/aws-console-brute-force.yaml",
        TRAILS,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("aws-console-login-failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("aws-console-brute-force.yaml:"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_says_how_close_each_group_came() {
    let run = trailgate(&["explain", "--rule", "aws-console-brute-force", TRAILS]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("correlation aws-console-brute-force: 1 finding\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("input aws-console-login-failed: 20 in these events"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("group sourceIPAddress=198.51.100.23: 6 signals, highest measure in a window 6\n    no window met the condition"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("fired: 2024-05-02T10:00:00Z to 2024-05-02T10:05:30Z, 12 events, measure 12"),
        "{}",
        run.stdout
    );
    // One file alone: the burst is half there.
    let run = trailgate(&[
        "explain",
        "--rule",
        "aws-console-brute-force",
        "--format",
        "json",
        FILE_A,
    ]);
    let explanation = json(&run);
    let groups = explanation["groups"].as_array().unwrap();
    let burst = groups
        .iter()
        .find(|g| g["group"][0]["value"] == "203.0.113.9")
        .unwrap();
    assert_eq!(
        (burst["signals"].as_u64(), burst["peak"].as_u64()),
        (Some(6), Some(6))
    );
    assert!(burst["fired"].as_array().unwrap().is_empty());
    // A chained input counts the findings of the correlation it names.
    let run = trailgate(&[
        "explain",
        "--rule",
        "aws-console-brute-force-then-login",
        TRAILS,
    ]);
    assert!(
        run.stdout
            .contains("input aws-console-brute-force: 1 in these events"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_baseline_marks_window_findings_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let first = trailgate(&[
        "scan",
        "-o",
        &format!("json={}", baseline.display()),
        TRAILS,
    ]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let again = json(&trailgate(&[
        "scan",
        "--format",
        "json",
        "--baseline",
        baseline.to_str().unwrap(),
        TRAILS,
    ]));
    let windows: Vec<&Value> = again["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("window").is_some())
        .collect();
    assert_eq!(windows.len(), 3);
    assert!(
        windows.iter().all(|f| f["baseline"] == "unchanged"),
        "{windows:?}"
    );
    // Nothing new: the gate passes.
    let gate = trailgate(&["scan", "--baseline", baseline.to_str().unwrap(), TRAILS]);
    assert_eq!(gate.code, 0, "{}", gate.stdout);
}
