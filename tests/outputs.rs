//! Several reports from one scan: `--output FORMAT=PATH`, repeatable, `-` for standard output,
//! and the mistakes it refuses before scanning.

mod common;

use common::{assert_valid_junit, assert_valid_sarif, trailgate_autoscaling as trailgate};
use serde_json::Value;

#[test]
fn one_scan_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let args: Vec<String> = vec![
        format!("sarif={}", path("out.sarif").display()),
        format!("junit={}", path("out.xml").display()),
        format!("json={}", path("out.json").display()),
        format!("jsonl={}", path("out.jsonl").display()),
        "text=-".to_string(),
    ];
    let mut all = vec!["scan"];
    for arg in &args {
        all.extend(["-o", arg.as_str()]);
    }
    all.push("fixtures/trails");
    let run = trailgate(&all);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("Summary: 4 findings"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(path("out.sarif")).unwrap()).unwrap();
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 4);
    assert_valid_junit(&path("out.xml"));
    let xml = std::fs::read_to_string(path("out.xml")).unwrap();
    assert_eq!(xml.matches("<failure ").count(), 4);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(path("out.json")).unwrap()).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 4);
    let jsonl = std::fs::read_to_string(path("out.jsonl")).unwrap();
    assert_eq!(
        jsonl
            .lines()
            .filter(|l| l.contains(r#""type":"finding""#))
            .count(),
        4
    );
}

#[test]
fn bare_output_path_uses_format_and_json_goes_to_stdout_with_dash() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("report.xml");
    let run = trailgate(&[
        "scan",
        "--format",
        "junit",
        "-o",
        xml.to_str().unwrap(),
        "-o",
        "json=-",
        "fixtures/trails",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(std::fs::read_to_string(&xml).unwrap().starts_with("<?xml"));
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["findings"], 4);
}

#[test]
fn input_errors_go_to_stderr_when_no_report_is_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = format!("sarif={}", dir.path().join("out.sarif").display());
    let run = trailgate(&["scan", "-o", &out, "fixtures/bad/empty.json"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        "error: fixtures/bad/empty.json: the file is empty (no JSON, no events)\n"
    );
}

#[test]
fn a_report_that_cannot_be_written_exits_4_and_the_others_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let missing = dir.path().join("no/such/dir/out.xml");
    let run = trailgate(&[
        "scan",
        "-o",
        &format!("junit={}", missing.display()),
        "-o",
        &format!("json={}", json.display()),
        "fixtures/trails",
    ]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.contains(&format!(
            "error: the junit report could not be written to {}",
            missing.display()
        )),
        "{}",
        run.stderr
    );
    assert!(json.is_file());
}

#[test]
fn contradictions_are_usage_errors_before_scanning() {
    let cases: [(&[&str], &str); 5] = [
        (&["-o", "json=-", "-o", "text=-"], "more than one report goes to standard output"),
        (&["-o", "json=same", "-o", "sarif=same"], "two reports would be written to same"),
        (&["-o", "xml=out.xml"], "unknown format `xml`"),
        (&["--format", "json", "-o", "sarif=out.sarif"], "--format json is not used"),
        (&["--baseline", "no/such/baseline.json"], "error: baseline no/such/baseline.json: cannot read: no such file or directory; nothing was scanned"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["scan"];
        all.extend_from_slice(args);
        all.push("fixtures/trails");
        let run = trailgate(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: nothing scanned");
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}

/// Text, JSON Lines and CSV reports are written while the scan runs when every report of the run
/// can be (`-o text=… -o jsonl=… -o csv=…`), and are built after it otherwise (here, with a SARIF
/// report beside them). Both ways give the same bytes and exit code.
#[test]
fn streamed_reports_equal_reports_written_after_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let write = |suffix: &str, extra: &[String]| {
        let mut args: Vec<String> = vec!["scan".into(), "--rules".into(), "rules".into()];
        for format in ["text", "jsonl", "csv"] {
            args.push("-o".into());
            args.push(format!(
                "{format}={}",
                path(&format!("{format}{suffix}")).display()
            ));
        }
        args.extend(extra.iter().cloned());
        args.push("fixtures".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        trailgate(&args)
    };
    let streamed = write(".streamed", &[]);
    let collected = write(
        ".collected",
        &[
            "-o".into(),
            format!("sarif={}", path("out.sarif").display()),
        ],
    );
    assert_eq!(streamed.code, 3, "{}", streamed.stderr);
    assert_eq!(streamed.code, collected.code);
    assert_eq!(streamed.stderr, collected.stderr);
    for format in ["text", "jsonl", "csv"] {
        let a = std::fs::read_to_string(path(&format!("{format}.streamed"))).unwrap();
        let b = std::fs::read_to_string(path(&format!("{format}.collected"))).unwrap();
        assert_eq!(a, b, "{format}");
        assert!(a.len() > 1_000, "{format}: {a}");
    }
}

#[test]
fn a_streamed_report_that_cannot_be_written_exits_4_and_the_others_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("out.jsonl");
    let missing = dir.path().join("no/such/dir/out.csv");
    let run = trailgate(&[
        "scan",
        "-o",
        &format!("csv={}", missing.display()),
        "-o",
        &format!("jsonl={}", jsonl.display()),
        "fixtures/trails",
    ]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "error: the csv report could not be written to {}",
            missing.display()
        )),
        "{}",
        run.stderr
    );
    let written = std::fs::read_to_string(&jsonl).unwrap();
    assert!(written
        .lines()
        .last()
        .unwrap()
        .contains(r#""type":"summary""#));
    assert_eq!(written.matches(r#""type":"finding""#).count(), 4);
}
