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

/// Every skipped file keeps its reason through `report --from` (a FIFO found in a directory was
/// once read back as a digest), and files with names that are not trail file names stay counted.
#[test]
fn skipped_files_keep_their_reasons_through_report_from() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::SEED_FILE, dir.path().join("a.json.gz")).unwrap();
    std::fs::create_dir(dir.path().join("CloudTrail-Digest")).unwrap();
    std::fs::copy(
        common::SEED_FILE,
        dir.path().join("CloudTrail-Digest/digest.json.gz"),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a trail").unwrap();
    common::fifo(&dir, "pipe.json");
    let input = dir.path().to_str().unwrap();
    let direct = trailgate(&["scan", "--format", "json", "--fail-on", "never", input]);
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    let direct: serde_json::Value = serde_json::from_str(&direct.stdout).unwrap();
    let reasons: Vec<&str> = direct["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason_code"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["digest", "not-regular-file"], "{direct:#}");
    assert_eq!(direct["summary"]["files_ignored"], 1);

    let out = tempfile::tempdir().unwrap();
    let jsonl = scan_to_jsonl(out.path(), "scan.jsonl", &[input]);
    let merged = trailgate(&[
        "report",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--from",
        &jsonl,
    ]);
    assert_eq!(merged.code, 0, "{}", merged.stderr);
    let merged: serde_json::Value = serde_json::from_str(&merged.stdout).unwrap();
    assert_eq!(merged["skipped"], direct["skipped"]);
    assert_eq!(merged["summary"], direct["summary"]);

    // Reports written before `reason_code` existed carry only the prose: it still decides.
    let old = std::fs::read_to_string(&jsonl)
        .unwrap()
        .replace(r#","reason_code":"not-regular-file""#, "")
        .replace(r#","reason_code":"digest""#, "");
    assert!(!old.contains("reason_code"));
    let old_path = out.path().join("old.jsonl");
    std::fs::write(&old_path, old).unwrap();
    let merged = trailgate(&[
        "report",
        "--format",
        "json",
        "--from",
        old_path.to_str().unwrap(),
    ]);
    let merged: serde_json::Value = serde_json::from_str(&merged.stdout).unwrap();
    assert_eq!(merged["skipped"], direct["skipped"]);
}

/// A record of a type this trailgate does not know, or of a newer version, is an error naming
/// the line, not something silently left out.
#[test]
fn unknown_record_types_and_newer_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = scan_to_jsonl(dir.path(), "scan.jsonl", &[common::SEED_FILE]);
    let text = std::fs::read_to_string(&jsonl).unwrap();
    for (extra, expected) in [
        (
            r#"{"type":"alert","rule":"x"}"#,
            "unknown record type `alert`",
        ),
        (
            r#"{"type":"error","file":"f","message":"m","version":9}"#,
            "record version 9 is newer",
        ),
    ] {
        let path = dir.path().join("extra.jsonl");
        std::fs::write(&path, format!("{extra}\n{text}")).unwrap();
        let run = trailgate(&["report", "--from", path.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(":1: "), "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
}
