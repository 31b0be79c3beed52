//! Snapshot tests of every output format, exactly as users see it, over one shared set of
//! scans: with findings, with findings and unreadable inputs, and empty (a trail with no events).

mod common;

use common::trailgate_autoscaling as trailgate;

/// (name, inputs, expected exit code)
const SCANS: [(&str, &[&str], i32); 3] = [
    ("findings", &["fixtures/trails"], 1),
    (
        "input_errors",
        &[
            "fixtures/trails",
            "fixtures/bad/record-not-object.json",
            "fixtures/bad/truncated.json.gz",
        ],
        3,
    ),
    ("empty", &["fixtures/empty/no-records.json"], 0),
];

fn snapshot_every_scan(format: &str) {
    let mut settings = insta::Settings::clone_current();
    // The absolute SARIF root and the scan time differ between machines and runs.
    settings.add_filter(r#""file:///[^"]*/""#, r#""file:///[ROOT]/""#);
    settings.add_filter(r#"time="[0-9]+\.[0-9]{3}""#, r#"time="[TIME]""#);
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(|| {
        for (name, inputs, code) in SCANS {
            let mut args = vec!["scan", "--format", format];
            args.extend(inputs);
            let run = trailgate(&args);
            assert_eq!(run.code, code, "{format} {name}: {}", run.stderr);
            insta::assert_snapshot!(format!("{format}_{name}"), run.stdout);
        }
    });
}

#[test]
fn text() {
    snapshot_every_scan("text");
}

#[test]
fn json() {
    snapshot_every_scan("json");
}

#[test]
fn jsonl() {
    snapshot_every_scan("jsonl");
}

#[test]
fn sarif() {
    snapshot_every_scan("sarif");
}

#[test]
fn junit() {
    snapshot_every_scan("junit");
}

#[test]
fn clean_text_output() {
    let run = trailgate(&["scan", "fixtures/events/launch-template-compliant.json"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn csv() {
    snapshot_every_scan("csv");
}

#[test]
fn markdown() {
    snapshot_every_scan("markdown");
}
