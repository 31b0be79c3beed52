//! Every kind of bad input names the file (and record), the rest of the scan goes on, the
//! problem shows in every output format, and the exit code is 3.

mod common;

use common::{trailgate, SEED_FILE};
use serde_json::Value;

/// Scans the seed trail file plus `bad`, checks that the seed's four findings survive, and
/// returns the JSON document.
fn scan_with(bad: &str, expected_message: &str, expected_record: Option<u64>) -> Value {
    let run = trailgate(&["scan", "--format", "json", SEED_FILE, bad]);
    assert_eq!(
        run.code, 3,
        "unreadable input sets exit code 3\n{}",
        run.stdout
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["file"] == SEED_FILE)
            .count()
            >= 4,
        "the good file is still scanned"
    );
    let errors = doc["errors"].as_array().unwrap();
    let error = errors
        .iter()
        .find(|e| e["file"] == bad && e["message"].as_str().unwrap().contains(expected_message))
        .unwrap_or_else(|| {
            panic!("no error for {bad} containing {expected_message:?}: {errors:#?}")
        });
    assert_eq!(error["record"].as_u64(), expected_record, "{error}");

    let text = trailgate(&["scan", SEED_FILE, bad]);
    assert_eq!(text.code, 3);
    assert!(
        text.stdout.contains(&format!("error: {bad}")),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains(expected_message), "{}", text.stdout);
    assert!(
        text.stdout.contains("the scan is incomplete"),
        "{}",
        text.stdout
    );

    let jsonl = trailgate(&["scan", "--format", "jsonl", SEED_FILE, bad]);
    assert_eq!(jsonl.code, 3);
    assert!(jsonl.stdout.lines().any(|line| {
        let v: Value = serde_json::from_str(line).unwrap();
        v["type"] == "error" && v["file"] == bad
    }));
    doc
}

#[test]
fn truncated_gzip() {
    scan_with(
        "fixtures/bad/truncated.json.gz",
        "cannot decompress gzip: unexpected end of file (the file is truncated or corrupt)",
        None,
    );
}

#[test]
fn gzip_of_garbage() {
    scan_with(
        "fixtures/bad/garbage.json.gz",
        "invalid JSON at line 1",
        None,
    );
}

#[test]
fn invalid_json() {
    scan_with(
        "fixtures/bad/invalid.json",
        "invalid JSON at line 2: trailing comma",
        None,
    );
}

#[test]
fn json_that_is_not_cloudtrail() {
    scan_with(
        "fixtures/bad/not-cloudtrail.json",
        "JSON is not CloudTrail",
        None,
    );
}

#[test]
fn empty_file() {
    scan_with("fixtures/bad/empty.json", "the file is empty", None);
}

#[test]
fn records_that_are_not_objects_keep_the_rest_of_the_file() {
    let doc = scan_with(
        "fixtures/bad/record-not-object.json",
        "the record is a number, not an object",
        Some(0),
    );
    let from_file: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "fixtures/bad/record-not-object.json")
        .collect();
    assert_eq!(
        from_file.len(),
        common::SEED_FINDINGS,
        "the good record between the bad ones is evaluated"
    );
    assert!(from_file.iter().all(|f| f["record"] == 1));
    assert!(doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["record"] == 2));
    assert_eq!(doc["summary"]["records_failed"], 2);
    assert_eq!(doc["summary"]["files_failed"], 0);
}

#[test]
fn a_bad_json_lines_line() {
    let doc = scan_with("fixtures/bad/bad-line.jsonl", "invalid JSON", Some(1));
    let error = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "fixtures/bad/bad-line.jsonl")
        .unwrap();
    assert_eq!(error["line"], 2);
    let lines: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "fixtures/bad/bad-line.jsonl")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1; common::SEED_FINDINGS]);
}

#[test]
fn a_file_that_cannot_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    let dangling = dir.path().join("gone.json.gz");
    std::os::unix::fs::symlink(dir.path().join("deleted-target.json.gz"), &dangling).unwrap();
    scan_with(
        dangling.to_str().unwrap(),
        "cannot open: no such file or directory",
        None,
    );
    scan_with(
        "fixtures/bad/does-not-exist.json",
        "cannot open: no such file or directory",
        None,
    );
}

#[test]
fn a_directory_with_no_trail_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "not a trail").unwrap();
    let doc = scan_with(
        dir.path().to_str().unwrap(),
        "no trail files in this directory",
        None,
    );
    assert_eq!(doc["summary"]["files_ignored"], 1);
}

#[test]
fn a_directory_with_only_digests_says_so() {
    scan_with(
        "fixtures/trails/AWSLogs/123456789012/CloudTrail-Digest",
        "only CloudTrail digest files",
        None,
    );
}

#[test]
fn a_file_over_the_size_limit() {
    let big = "fixtures/events/launch-template-compliant.json";
    let run = trailgate(&[
        "scan",
        "--format",
        "json",
        "--max-file-size",
        "2K",
        SEED_FILE,
        big,
    ]);
    assert_eq!(run.code, 3);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        common::SEED_FINDINGS,
        "the small gzip file is still scanned"
    );
    assert_eq!(doc["errors"][0]["file"], big);
    assert_eq!(
        doc["errors"][0]["message"],
        "the file is larger than 2048 bytes; raise the limit with --max-file-size if it is genuine"
    );
    let raised = trailgate(&["scan", "--max-file-size", "64K", big]);
    assert_eq!(raised.code, 0, "{}", raised.stdout);
}

#[test]
fn symlink_loops_are_reported_and_the_walk_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("trails");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(SEED_FILE, sub.join("a.json.gz")).unwrap();
    std::os::unix::fs::symlink(&sub, sub.join("loop")).unwrap();
    let run = trailgate(&["scan", "--format", "json", sub.to_str().unwrap()]);
    assert_eq!(run.code, 3);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        common::SEED_FINDINGS
    );
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link loop"),
        "{doc:#}"
    );
}
