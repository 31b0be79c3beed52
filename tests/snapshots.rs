//! Snapshot tests of the text, JSON and JSON Lines output, exactly as users see it.

mod common;

use common::trailgate;

const INPUTS: [&str; 3] = [
    "fixtures/trails",
    "fixtures/bad/record-not-object.json",
    "fixtures/bad/truncated.json.gz",
];

fn scan(format: &str) -> String {
    let mut args = vec!["scan", "--format", format];
    args.extend(INPUTS);
    let run = trailgate(&args);
    assert_eq!(run.code, 3);
    run.stdout
}

#[test]
fn text_output() {
    insta::assert_snapshot!(scan("text"));
}

#[test]
fn json_output() {
    insta::assert_snapshot!(scan("json"));
}

#[test]
fn jsonl_output() {
    insta::assert_snapshot!(scan("jsonl"));
}

#[test]
fn clean_text_output() {
    let run = trailgate(&["scan", "fixtures/events/launch-template-compliant.json"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
}
