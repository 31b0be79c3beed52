//! `--baseline`: findings already in an earlier JSON, JSON Lines or SARIF report are unchanged,
//! only new ones count toward --fail-on, and every format says what is new, unchanged and gone.

mod common;

use std::path::{Path, PathBuf};

use common::{
    assert_valid_junit, assert_valid_sarif, trailgate_autoscaling as trailgate, SEED_FILE,
};

use serde_json::Value;

const PUBLIC_IP: &str = "fixtures/events/launch-configuration-public-ip.json";

/// Writes a `format` report of scanning `inputs` into `dir` and returns its path.
fn report(dir: &Path, format: &str, inputs: &[&str]) -> PathBuf {
    let path = dir.join(format!("baseline.{format}"));
    let output = format!("{format}={}", path.display());
    let mut args = vec!["scan", "-o", &output];
    args.extend_from_slice(inputs);
    trailgate(&args);
    assert!(path.is_file());
    path
}

fn scan_json(args: &[&str]) -> (i32, Value) {
    common::scan_json_by(trailgate, args)
}

#[test]
fn every_baseline_format_gives_the_same_comparison() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "jsonl", "sarif"] {
        let baseline = report(dir.path(), format, &[SEED_FILE]);
        let baseline = baseline.to_str().unwrap();
        let (code, doc) = scan_json(&["--baseline", baseline, SEED_FILE, PUBLIC_IP]);
        assert_eq!(code, 1, "{format}: the new finding is high");
        assert_eq!(
            doc["summary"]["baseline"],
            serde_json::json!({"file": baseline, "new": 1, "unchanged": 4, "gone": 0}),
            "{format}"
        );
        for finding in doc["findings"].as_array().unwrap() {
            let expected = if finding["file"] == PUBLIC_IP {
                "new"
            } else {
                "unchanged"
            };
            assert_eq!(finding["baseline"], expected, "{format}: {finding}");
        }
        assert_eq!(doc["gone"], Value::Array(vec![]));
    }
}

#[test]
fn only_new_findings_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = report(dir.path(), "json", &[SEED_FILE]);
    let baseline = baseline.to_str().unwrap();
    // Nothing new: the four known findings no longer fail the build.
    let same = trailgate(&["scan", "--baseline", baseline, SEED_FILE]);
    assert_eq!(same.code, 0, "{}", same.stdout);
    assert!(same.stdout.contains("[unchanged]"), "{}", same.stdout);
    assert!(
        same.stdout
            .contains(&format!("baseline {baseline}: 0 new, 4 unchanged, 0 gone")),
        "{}",
        same.stdout
    );
    assert!(!same.stdout.contains("(--fail-on)"), "{}", same.stdout);
    // A new high finding fails at --fail-on high; the known medium and low ones never did.
    let new = trailgate(&[
        "scan",
        "--fail-on",
        "high",
        "--baseline",
        baseline,
        SEED_FILE,
        PUBLIC_IP,
    ]);
    assert_eq!(new.code, 1);
    assert!(
        new.stdout
            .contains("1 finding is at or above `high` (--fail-on)"),
        "{}",
        new.stdout
    );
    let critical = trailgate(&[
        "scan",
        "--fail-on",
        "critical",
        "--baseline",
        baseline,
        SEED_FILE,
        PUBLIC_IP,
    ]);
    assert_eq!(critical.code, 0);
    // Unreadable input still wins.
    let bad = trailgate(&[
        "scan",
        "--baseline",
        baseline,
        SEED_FILE,
        "fixtures/bad/empty.json",
    ]);
    assert_eq!(bad.code, 3);
}

#[test]
fn gone_findings_are_counted_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = report(dir.path(), "sarif", &[SEED_FILE, PUBLIC_IP]);
    let baseline = baseline.to_str().unwrap();
    let (code, doc) = scan_json(&["--baseline", baseline, SEED_FILE]);
    assert_eq!(code, 0);
    assert_eq!(doc["summary"]["baseline"]["gone"], 1);
    assert_eq!(
        doc["gone"],
        serde_json::json!([{
            "rule_id": "autoscaling-launch-configuration-public-ip",
            "fingerprint": "autoscaling-launch-configuration-public-ip/7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910"
        }])
    );
    let jsonl = trailgate(&[
        "scan",
        "--format",
        "jsonl",
        "--baseline",
        baseline,
        SEED_FILE,
    ]);
    let gone: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "gone")
        .collect();
    assert_eq!(gone.len(), 1, "{}", jsonl.stdout);
    assert_eq!(
        gone[0]["rule_id"],
        "autoscaling-launch-configuration-public-ip"
    );
    let text = trailgate(&["scan", "--baseline", baseline, SEED_FILE]);
    assert!(
        text.stdout.contains("    gone: autoscaling-launch-configuration-public-ip/7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn sarif_and_junit_show_the_baseline_state() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = report(
        dir.path(),
        "json",
        &[
            SEED_FILE,
            "fixtures/events/launch-template-noncompliant.json",
        ],
    );
    let baseline = baseline.to_str().unwrap();
    let sarif_path = dir.path().join("now.sarif");
    let junit_path = dir.path().join("now.xml");
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let junit_arg = format!("junit={}", junit_path.display());
    let run = trailgate(&[
        "scan",
        "--baseline",
        baseline,
        "-o",
        &sarif_arg,
        "-o",
        &junit_arg,
        SEED_FILE,
        PUBLIC_IP,
    ]);
    assert_eq!(run.code, 1);

    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_valid_sarif(&sarif);
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "new").count(), 1);
    assert_eq!(states.iter().filter(|s| **s == "unchanged").count(), 4);
    assert_eq!(
        sarif["runs"][0]["properties"]["baseline"],
        serde_json::json!({"file": baseline, "new": 1, "unchanged": 4, "absent": 4})
    );

    assert_valid_junit(&junit_path);
    let xml = std::fs::read_to_string(&junit_path).unwrap();
    // Only the rule with a new finding fails; the rules with only known findings pass and
    // list them in system-out.
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(
        xml.contains(
            r#"message="1 new finding: Launch configuration assigns public IP addresses""#
        ),
        "{xml}"
    );
    assert_eq!(
        xml.matches("<system-out>1 unchanged (in the baseline):")
            .count(),
        4,
        "{xml}"
    );
}

#[test]
fn a_file_that_is_not_a_report_is_refused() {
    let run = trailgate(&["scan", "--baseline", SEED_FILE, SEED_FILE]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with(&format!(
            "error: baseline {SEED_FILE}: not a trailgate report: invalid JSON"
        )),
        "{}",
        run.stderr
    );
    let trail = trailgate(&["scan", "--baseline", PUBLIC_IP, SEED_FILE]);
    assert_eq!(trail.code, 2);
    assert!(
        trail
            .stderr
            .contains("expected a JSON report with `findings`"),
        "{}",
        trail.stderr
    );
}
