//! `trailgate report --from`: the JSON Lines of a scan, or of several scans of shares of the
//! inputs, render exactly what one direct scan renders (JUnit's `time` aside).

mod common;

use common::trailgate;

const INPUTS: [&str; 4] = [
    "fixtures/trails",
    "fixtures/bad",
    "fixtures/events",
    "fixtures/empty",
];

/// JUnit's `time` attributes: the scan's duration, which a merge cannot know.
fn without_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(" time=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        let end = after.find('"').unwrap();
        out.push_str(" time=\"[TIME]\"");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn scan_to_jsonl(dir: &std::path::Path, name: &str, inputs: &[&str]) -> String {
    let path = dir.join(name).display().to_string();
    let mut args = vec!["scan", "--fail-on", "never"];
    let output = format!("jsonl={path}");
    args.extend(["-o", &output]);
    args.extend(inputs);
    let run = trailgate(&args);
    assert!(run.code == 0 || run.code == 3, "{}", run.stderr);
    path
}

#[test]
fn every_format_from_jsonl_equals_the_direct_scan() {
    let dir = tempfile::tempdir().unwrap();
    let whole = scan_to_jsonl(dir.path(), "whole.jsonl", &INPUTS);
    // Two shares of the inputs, one of them given twice: merged and de-duplicated.
    let first = scan_to_jsonl(dir.path(), "first.jsonl", &INPUTS[..2]);
    let second = scan_to_jsonl(dir.path(), "second.jsonl", &INPUTS[2..]);
    for format in ["text", "json", "sarif", "junit", "jsonl", "csv", "markdown"] {
        let mut args = vec!["scan", "--format", format, "--color", "never"];
        args.extend(INPUTS);
        let direct = trailgate(&args);
        assert_eq!(direct.code, 3, "{format}: {}", direct.stderr);
        for from in [vec![whole.as_str()], vec![first.as_str(), second.as_str()]] {
            let mut args = vec!["report", "--format", format, "--color", "never", "--from"];
            args.extend(&from);
            let report = trailgate(&args);
            assert_eq!(report.code, 3, "{format} from {from:?}: {}", report.stderr);
            assert_eq!(
                without_times(&report.stdout),
                without_times(&direct.stdout),
                "{format} from {from:?}"
            );
        }
    }
    // The same share twice: nothing counted twice in findings, errors and skipped files.
    let twice = trailgate(&["report", "--format", "json", "--from", &whole, &whole]);
    let once = trailgate(&["report", "--format", "json", "--from", &whole]);
    let (twice, once): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&twice.stdout).unwrap(),
        serde_json::from_str(&once.stdout).unwrap(),
    );
    assert_eq!(twice["findings"], once["findings"]);
    assert_eq!(twice["errors"], once["errors"]);
    assert_eq!(twice["skipped"], once["skipped"]);
}

#[test]
fn report_refuses_other_rules_and_what_is_not_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let whole = scan_to_jsonl(dir.path(), "whole.jsonl", &["fixtures/trails"]);
    let run = trailgate(&["report", "--pack", "aws/cis", "--from", &whole]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("give `report` the --rules"),
        "{}",
        run.stderr
    );

    let json = dir.path().join("report.json");
    let scan = trailgate(&[
        "scan",
        "--format",
        "json",
        "-o",
        json.to_str().unwrap(),
        "fixtures/trails",
    ]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    let run = trailgate(&["report", "--from", json.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("JSON Lines"), "{}", run.stderr);

    let cut = dir.path().join("cut.jsonl");
    let text = std::fs::read_to_string(&whole).unwrap();
    let without_summary: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(r#""type":"summary""#))
        .collect();
    std::fs::write(&cut, without_summary.join("\n")).unwrap();
    let run = trailgate(&["report", "--from", cut.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no summary line"), "{}", run.stderr);

    let since = dir.path().join("since.jsonl");
    let scan = trailgate(&[
        "scan",
        "--since",
        "2018-01-01",
        "--fail-on",
        "never",
        "-o",
        &format!("jsonl={}", since.display()),
        "fixtures/trails",
    ]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let run = trailgate(&["report", "--from", &whole, since.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("another scope"), "{}", run.stderr);
}
