//! `--format sarif`: valid against the SARIF 2.1.0 schema, with what GitHub code scanning needs,
//! stable fingerprints, relative locations, unreadable inputs as notifications, and a clear
//! refusal past GitHub's upload limits.

mod common;

use std::path::Path;

use common::{
    assert_valid_sarif, sarif_errors, trailgate_autoscaling as trailgate,
    trailgate_in_autoscaling as trailgate_in, SEED_FILE,
};
use serde_json::Value;

fn sarif(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "sarif"];
    all.extend_from_slice(args);
    let run = trailgate(&all);
    let doc = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}\n{}", run.stdout, run.stderr));
    (run.code, doc)
}

#[test]
fn report_over_all_fixtures_is_valid_and_complete() {
    let (code, doc) = sarif(&["fixtures"]);
    assert_eq!(code, 3, "fixtures/bad holds unreadable files");
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "trailgate");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["informationUri"], env!("CARGO_PKG_HOMEPAGE"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        9,
        "every loaded rule, not only those with results"
    );
    for rule in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "helpUri",
        ] {
            assert!(!rule[key].is_null(), "{key} in {rule}");
        }
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("**Remediation**"));
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.iter().any(|t| t == "security"));
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
        // helpUri points at the rule file in this repository: it must exist.
        let uri = rule["helpUri"].as_str().unwrap();
        let path = uri
            .strip_prefix(concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/"))
            .unwrap_or_else(|| panic!("helpUri outside the repository: {uri}"));
        assert!(Path::new(path).is_file(), "helpUri {uri} names no file");
    }
    let root = rules
        .iter()
        .find(|r| r["id"] == "autoscaling-root-launch-configuration")
        .unwrap();
    assert_eq!(root["defaultConfiguration"]["level"], "error");
    assert_eq!(root["properties"]["security-severity"], "8.0");
    assert!(
        root["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("cis-aws-foundations-v3.0.0/1.7")),
        "compliance controls are tags: {}",
        root["properties"]["tags"]
    );

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 25, "22, and 3 of fixtures/hostile");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0];
        let uri = location["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("fixtures/"),
            "relative to the current directory: {uri}"
        );
        assert!(
            location["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
        for key in ["account", "region", "principal", "eventTime"] {
            assert!(result["properties"][key].is_string(), "{key} in {result}");
        }
        let event_id = location["logicalLocations"][0]["name"].as_str().unwrap();
        assert_eq!(
            result["partialFingerprints"]["trailgate/v1"],
            format!("{}/{event_id}", result["ruleId"].as_str().unwrap())
        );
        assert!(result.get("baselineState").is_none(), "no baseline given");
    }

    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 8, "one per unreadable file or record");
    assert!(notifications.iter().all(|n| n["level"] == "error"));
    let truncated = notifications
        .iter()
        .find(|n| {
            n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("truncated.json.gz")
        })
        .unwrap();
    assert_eq!(
        truncated["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/bad/truncated.json.gz"
    );
}

#[test]
fn clean_scan_is_successful_with_no_results() {
    let (code, doc) = sarif(&["fixtures/events/launch-template-compliant.json"]);
    assert_eq!(code, 0);
    assert_valid_sarif(&doc);
    let run = &doc["runs"][0];
    assert_eq!(run["results"], Value::Array(vec![]));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(run["invocations"][0]
        .get("toolExecutionNotifications")
        .is_none());
}

#[test]
fn start_line_is_the_json_lines_line_or_the_record_number() {
    let (_, doc) = sarif(&[
        "fixtures/bad/bad-line.jsonl",
        "fixtures/bad/record-not-object.json",
    ]);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let jsonl = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "fixtures/bad/bad-line.jsonl"
        })
        .unwrap();
    assert_eq!(
        jsonl["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(jsonl["properties"]["startLineCounts"], "lines");
    // record-not-object.json: the finding is record 1 (0-based), so startLine is record number 2.
    let records = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "fixtures/bad/record-not-object.json"
        })
        .unwrap();
    assert_eq!(
        records["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(records["properties"]["record"], 1);
    assert_eq!(records["properties"]["startLineCounts"], "records");
}

fn uris(doc: &Value) -> Vec<String> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn sarif_root_sets_what_uris_are_relative_to() {
    let (_, doc) = sarif(&["--sarif-root", "fixtures/trails", SEED_FILE]);
    assert_eq!(
        uris(&doc)[0],
        "AWSLogs/123456789012/CloudTrail/us-west-2/2018/08/21/123456789012_CloudTrail_us-west-2_20180821T1710Z_Xk2ZJbS3Wq0eVq4B.json.gz"
    );
    let root_uri = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with("/fixtures/trails/"),
        "{root_uri}"
    );

    // A file outside the root cannot be relative to it: it gets an absolute file URI.
    let (_, doc) = sarif(&["--sarif-root", "fixtures/events", SEED_FILE]);
    let uri = &uris(&doc)[0];
    assert!(uri.starts_with("file:///") && uri.ends_with("/fixtures/trails/AWSLogs/123456789012/CloudTrail/us-west-2/2018/08/21/123456789012_CloudTrail_us-west-2_20180821T1710Z_Xk2ZJbS3Wq0eVq4B.json.gz"), "{uri}");
    assert_valid_sarif(&doc);

    // Run from a subdirectory: names are relative to it, URIs to the root.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let run = trailgate_in(
        &dir,
        &[
            "scan",
            "--format",
            "sarif",
            "--sarif-root",
            "..",
            "events/launch-configuration-public-ip.json",
        ],
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        uris(&doc),
        vec!["fixtures/events/launch-configuration-public-ip.json"]
    );
}

#[test]
fn odd_file_names_and_standard_input_are_valid_uris() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("my trail #1 [a:b].json");
    std::fs::copy("fixtures/events/launch-configuration-public-ip.json", &odd).unwrap();
    let run = trailgate_in(
        dir.path(),
        &["scan", "--format", "sarif", "my trail #1 [a:b].json"],
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(uris(&doc), vec!["my%20trail%20%231%20%5Ba%3Ab%5D.json"]);
    assert_valid_sarif(&doc);

    let output = assert_cmd::Command::cargo_bin("trailgate")
        .unwrap()
        .args([
            "scan",
            "--pack",
            "aws/autoscaling",
            "--format",
            "sarif",
            "-",
        ])
        .write_stdin(std::fs::read("fixtures/events/launch-configuration-public-ip.json").unwrap())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(uris(&doc), vec!["%3Cstdin%3E"]);
    assert_valid_sarif(&doc);
}

fn fingerprints(doc: &Value) -> Vec<String> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["trailgate/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn fingerprints_are_stable_across_runs_thread_counts_and_paths() {
    let inputs = ["fixtures/trails", "fixtures/events", "fixtures/bad"];
    let runs: Vec<String> = ["1", "2", "2", "8"]
        .iter()
        .map(|j| {
            let mut args = vec!["scan", "--format", "sarif", "-j", j];
            args.extend(inputs);
            trailgate(&args).stdout
        })
        .collect();
    assert!(
        runs.windows(2).all(|w| w[0] == w[1]),
        "identical SARIF whatever the thread count"
    );
    let doc: Value = serde_json::from_str(&runs[0]).unwrap();
    let prints = fingerprints(&doc);
    assert_eq!(prints.len(), 22);
    assert!(
        prints.iter().all(|p| !p.contains("fixtures")),
        "no paths or lines in fingerprints: {prints:?}"
    );

    // The same event in a file elsewhere, scanned from elsewhere: the same fingerprints.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(SEED_FILE, dir.path().join("copy.json.gz")).unwrap();
    let moved = trailgate_in(dir.path(), &["scan", "--format", "sarif", "copy.json.gz"]);
    let (_, original) = sarif(&[SEED_FILE]);
    assert_eq!(
        fingerprints(&serde_json::from_str(&moved.stdout).unwrap()),
        fingerprints(&original)
    );
}

#[test]
fn the_schema_check_rejects_invalid_sarif() {
    let (_, mut doc) = sarif(&[SEED_FILE]);
    let Some(errors) = sarif_errors(&doc) else {
        return;
    };
    assert!(errors.is_empty(), "{errors:?}");
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    doc["runs"][0]["results"][0]["level"] = "severe".into();
    let errors = sarif_errors(&doc).expect("the schema was found above");
    assert_eq!(errors.len(), 2, "{errors:?}");
}

/// A JSON Lines trail of `count` events and a rule that matches every one of them.
fn many_findings(dir: &Path, count: usize) -> (String, String) {
    let rules = dir.join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("every-event.yaml"),
        "id: every-event\ntitle: Every event\nseverity: low\nevents:\n  eventName: Ping\nmessage: 'event {eventID}'\n",
    )
    .unwrap();
    let mut trail = String::with_capacity(count * 120);
    for i in 0..count {
        trail.push_str(&format!(
            "{{\"eventSource\":\"test.amazonaws.com\",\"eventName\":\"Ping\",\"eventID\":\"e-{i}\",\"eventTime\":\"2024-01-01T00:00:00Z\"}}\n"
        ));
    }
    let file = dir.join("many.jsonl");
    std::fs::write(&file, trail).unwrap();
    (rules.display().to_string(), file.display().to_string())
}

#[test]
fn over_github_result_limit_sarif_is_refused_and_the_other_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, trail) = many_findings(dir.path(), 25_001);
    let sarif_path = dir.path().join("out.sarif");
    let json_path = dir.path().join("out.json");
    // A stale report from an earlier run must not be left for the upload step to send.
    std::fs::write(&sarif_path, "{}").unwrap();
    let sarif_arg = format!("sarif={}", sarif_path.display());
    let json_arg = format!("json={}", json_path.display());
    let run = trailgate(&[
        "scan", "--rules", &rules, "-o", &sarif_arg, "-o", &json_arg, &trail,
    ]);
    assert_eq!(run.code, 4, "a report could not be written: {}", run.stderr);
    assert!(
        run.stderr.contains("25001 findings are more than the 25000 results GitHub code scanning accepts in one SARIF run, so no SARIF report was written"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("(the file that was there was removed)"),
        "{}",
        run.stderr
    );
    assert!(!sarif_path.exists(), "no SARIF file, not a truncated one");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 25_001);
}

#[test]
fn at_github_result_limit_sarif_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, trail) = many_findings(dir.path(), 25_000);
    let run = trailgate(&[
        "scan",
        "--rules",
        &rules,
        "--format",
        "sarif",
        "--fail-on",
        "never",
        &trail,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 25_000);
}

#[test]
fn an_empty_rendered_message_falls_back_to_the_title() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("echo.yaml"),
        "id: echo\ntitle: Echo called\nseverity: low\nevents:\n  eventName: Echo\nmessage: '{requestParameters.text}'\n",
    )
    .unwrap();
    let trail = dir.path().join("trail.json");
    std::fs::write(
        &trail,
        r#"{"eventSource": "x.amazonaws.com", "eventName": "Echo", "eventID": "1", "requestParameters": {"text": " "}}"#,
    )
    .unwrap();
    let (_, doc) = sarif(&[
        "--rules",
        dir.path().join("echo.yaml").to_str().unwrap(),
        trail.to_str().unwrap(),
    ]);
    assert_eq!(
        doc["runs"][0]["results"][0]["message"]["text"],
        "Echo called"
    );
}
