//! Every event accounted for. In the files read, each record is one of: an event evaluated, an
//! event left out by the scope (out of scope, or undated under a time window), or a record in
//! error. The records are counted here independently of trailgate's reader, over the fixtures and
//! a generated corpus, on the fast path and on the reference path, with and without a scope.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trailgate::engine::{scan, RuleSet, ScanOptions};
use trailgate::finding::ScanResult;
use trailgate::scope::Scope;
use trailgate::source::{discover, Input};

/// Records in one trail file, counted by shape: `Records`, Event History `Events`, one event, a
/// bare array, or JSON Lines (a `Records` document on a line counts its records; any other
/// non-blank line, broken or not, is one record). `None` for digests.
fn records_in(path: &Path) -> Option<usize> {
    let raw = std::fs::read(path).unwrap();
    let mut bytes = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut bytes)
            .unwrap();
    } else {
        bytes = raw;
    }
    // Records cut out as raw text, so that a record nested too deeply to parse still counts.
    #[derive(serde::Deserialize)]
    struct Records<'a> {
        #[serde(borrow, rename = "Records")]
        records: Vec<&'a serde_json::value::RawValue>,
    }
    if let Ok(document) = serde_json::from_slice::<Records<'_>>(&bytes) {
        return Some(document.records.len());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(object)) => {
            if let Some(records) = object.get("Records").or_else(|| object.get("Events")) {
                Some(records.as_array().unwrap().len())
            } else if object.contains_key("digestStartTime") {
                None
            } else {
                Some(1)
            }
        }
        Ok(Value::Array(records)) => Some(records.len()),
        Ok(_) => panic!("{} is not a trail file", path.display()),
        Err(_) => Some(
            bytes
                .split(|b| *b == b'\n')
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
                .map(|line| match serde_json::from_slice::<Value>(line) {
                    Ok(Value::Object(o)) if o.contains_key("Records") => {
                        o["Records"].as_array().unwrap().len()
                    }
                    _ => 1,
                })
                .sum(),
        ),
    }
}

fn trail_files(root: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            trail_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "gz" || e == "json" || e == "jsonl")
        {
            out.push(path);
        }
    }
}

fn run(inputs: &[PathBuf], reference: bool, scope: Scope) -> ScanResult {
    let rules = RuleSet::new(trailgate::rule::load_builtin().unwrap());
    let inputs: Vec<Input> = inputs.iter().map(|p| Input::Path(p.clone())).collect();
    let options = ScanOptions {
        reference,
        scope,
        threads: 2,
        ..ScanOptions::default()
    };
    scan(&rules, discover(&inputs), &options)
}

/// Checks the identity for a set of readable trail files, on the given paths (fast: `false`,
/// reference: `true`), with each scope.
fn check(files: &[PathBuf], scopes: &[Scope], paths: &[bool]) -> usize {
    let expected: usize = files.iter().filter_map(|f| records_in(f)).sum();
    for scope in scopes {
        for &reference in paths {
            let result = run(files, reference, scope.clone());
            let s = &result.stats;
            let errors: Vec<_> = result
                .errors
                .iter()
                .filter(|e| !e.is_record_error())
                .collect();
            assert!(errors.is_empty(), "only readable files here: {errors:?}");
            assert_eq!(
                s.events_read + s.records_failed,
                expected,
                "records = events read + records in error (reference: {reference}, scope: {scope:?})"
            );
            assert_eq!(
                s.events_read,
                s.events + s.out_of_scope + s.undated,
                "events read = evaluated + out of scope + undated"
            );
            assert_eq!(s.files_read + result.skipped.len(), files.len());
        }
    }
    expected
}

fn scopes() -> Vec<Scope> {
    let at = |t: &str| trailgate::time::parse_rfc3339(t).unwrap();
    vec![
        Scope::default(),
        Scope {
            since: Some(at("2018-08-21T17:30:00Z")),
            until: Some(at("2024-05-10T00:00:00Z")),
            ..Scope::default()
        },
        Scope {
            regions: vec!["us-west-2".into(), "eu-west-1".into()],
            accounts: vec!["123456789012".into()],
            ..Scope::default()
        },
    ]
}

#[test]
fn every_record_of_the_fixtures_is_accounted_for() {
    let mut files = Vec::new();
    for dir in [
        "fixtures/trails",
        "fixtures/events",
        "fixtures/hostile",
        "fixtures/empty",
    ] {
        trail_files(Path::new(dir), &mut files);
    }
    // Readable files with bad records: a number in `Records`, a broken JSON Lines line.
    files.push("fixtures/bad/record-not-object.json".into());
    files.push("fixtures/bad/bad-line.jsonl".into());
    // Records the scope cannot date, and records of every kind of brokenness a readable file
    // can hold.
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("odd.json");
    std::fs::write(
        &odd,
        json!({"Records": [
            {"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "recipientAccountId": "123456789012"},
            {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "eventTime": "yesterday"},
            {"hello": "world"},
            [1, 2],
            "text",
            null,
            {"CloudTrailEvent": "{broken"},
        ]})
        .to_string(),
    )
    .unwrap();
    files.push(odd);
    let counted = check(&files, &scopes(), &[false, true]);
    assert!(counted > 20, "{counted}");

    // A record nested deeper than JSON's limit is a record in error on the fast path (the
    // reference path parses the document whole, so there the file fails).
    let deep = dir.path().join("deep.json");
    let record = r#"{"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "recipientAccountId": "1", "requestParameters": X}"#;
    let nested = format!("{}{}", "[".repeat(200), "]".repeat(200));
    std::fs::write(
        &deep,
        format!(
            "{{\"Records\": [{}, {}]}}",
            record.replace('X', "1"),
            record.replace('X', &nested)
        ),
    )
    .unwrap();
    assert_eq!(check(&[deep], &scopes(), &[false]), 2);
}

#[test]
fn every_record_of_a_generated_corpus_is_accounted_for() {
    let corpus = tempfile::tempdir().unwrap();
    let manifest = trailgate::generate::generate(corpus.path(), 3_000, 7, 250).unwrap();
    let mut files = Vec::new();
    trail_files(&corpus.path().join("AWSLogs"), &mut files);
    let counted = check(&files, &scopes(), &[false, true]);
    assert_eq!(counted, 3_000);
    assert_eq!(manifest["events"], 3_000);
}

#[test]
fn a_file_broken_half_way_counts_the_records_before_the_break() {
    // The fast path scans the records before a syntax error; they are events read, and the file
    // is failed, not read.
    let (code, doc) = common::scan_json(&["fixtures/bad/invalid.json", common::SEED_FILE]);
    assert_eq!(code, 3);
    let summary = &doc["summary"];
    assert_eq!(summary["files_read"], 1);
    assert_eq!(summary["files_failed"], 1);
    let message = doc["errors"][0]["message"].as_str().unwrap();
    let before: u64 = message
        .split("(the ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .map_or(0, |n| n.parse().unwrap());
    assert_eq!(
        summary["events_read"].as_u64().unwrap(),
        1 + before,
        "{message}"
    );
}

#[test]
fn every_machine_readable_format_states_the_accounting() {
    let args = [
        "fixtures/bad/record-not-object.json",
        "fixtures/bad/empty.json",
        "fixtures/trails",
    ];
    let (_, doc) = common::scan_json(&args);
    let summary = doc["summary"].clone();
    assert_eq!(summary["records_failed"], 2);
    assert_eq!(summary["files_failed"], 1);
    assert_eq!(summary["files_skipped"], 1);
    let expected = |name: &str| summary[name].as_u64().unwrap();

    let sarif = common::trailgate(&[&["scan", "--format", "sarif"][..], &args[..]].concat());
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let properties = &sarif["runs"][0]["invocations"][0]["properties"];
    let junit = common::trailgate(&[&["scan", "--format", "junit"][..], &args[..]].concat()).stdout;
    for name in [
        "files_read",
        "files_skipped",
        "files_failed",
        "records_failed",
        "events_read",
        "events",
    ] {
        assert_eq!(
            properties[name].as_u64(),
            Some(expected(name)),
            "SARIF {name}"
        );
        let property = format!(
            r#"<property name="trailgate.{name}" value="{}"/>"#,
            expected(name)
        );
        assert!(junit.contains(&property), "JUnit {property}:\n{junit}");
    }
    assert_eq!(
        properties["skipped"][0]["reason"], "CloudTrail digest file",
        "SARIF lists skipped files with why"
    );
    let html = common::trailgate(&[&["scan", "--format", "html"][..], &args[..]].concat()).stdout;
    for name in [
        "files_read",
        "files_skipped",
        "records_failed",
        "events_read",
        "events",
    ] {
        let count = format!(r#"<span data-count="{name}">{}</span>"#, expected(name));
        assert!(html.contains(&count), "HTML {count}");
    }
    let markdown =
        common::trailgate(&[&["scan", "--format", "markdown"][..], &args[..]].concat()).stdout;
    assert!(
        markdown.contains(&format!(
            "| Events | {} evaluated, {} unreadable records |",
            expected("events"),
            expected("records_failed")
        )),
        "{markdown}"
    );
}
