//! Files larger than 16 MiB once decoded are cut into records as they are read, not held whole:
//! the same findings as a file read whole, and a file broken half-way is reported with the records
//! before the break scanned.

mod common;

use std::io::Write;

use common::trailgate;
use serde_json::Value;

/// A plain `{"Records": [...]}` file of `copies` copies of the seed event (about 1.1 KB each),
/// each with its own eventID, written by hand so the test does not depend on the generator.
fn large_trail(path: &std::path::Path, copies: usize, close: bool) {
    let seed = std::process::Command::new("zcat")
        .arg(common::SEED_FILE)
        .output()
        .expect("zcat runs")
        .stdout;
    let document: Value = serde_json::from_slice(&seed).unwrap();
    let event = &document["Records"][0];
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"{\"Records\": [\n").unwrap();
    for i in 0..copies {
        let mut copy = event.clone();
        copy["eventID"] = Value::String(format!("00000000-0000-0000-0000-{i:012}"));
        if i > 0 {
            out.write_all(b",\n").unwrap();
        }
        serde_json::to_writer(&mut out, &copy).unwrap();
    }
    if close {
        out.write_all(b"\n]}\n").unwrap();
    }
    out.flush().unwrap();
}

fn summary(stdout: &str) -> Value {
    let last = stdout.lines().last().expect("a summary line");
    serde_json::from_str(last).unwrap()
}

#[test]
fn a_file_above_16_mib_is_streamed_with_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    large_trail(&path, 20_000, true);
    assert!(std::fs::metadata(&path).unwrap().len() > 16 << 20);
    let path = path.to_str().unwrap();
    let run = trailgate(&[
        "scan",
        "--pack",
        "aws/autoscaling",
        "--format",
        "jsonl",
        path,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary = summary(&run.stdout);
    assert_eq!(summary["events"], 20_000);
    // The seed event raises the pack's four findings, on every copy, in record order.
    assert_eq!(summary["findings"], 4 * 20_000);
    let records: Vec<u64> = run
        .stdout
        .lines()
        .filter(|l| l.contains(r#""type":"finding""#))
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["record"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert!(records.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(records.last(), Some(&19_999));
}

#[test]
fn a_large_file_cut_short_reports_the_break_after_scanning_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.json");
    large_trail(&path, 20_000, false);
    let path = path.to_str().unwrap();
    let run = trailgate(&[
        "scan",
        "--pack",
        "aws/autoscaling",
        "--format",
        "jsonl",
        path,
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let summary = summary(&run.stdout);
    assert_eq!(summary["events"], 20_000);
    assert_eq!(summary["findings"], 4 * 20_000);
    let error = run
        .stdout
        .lines()
        .find(|l| l.contains(r#""type":"error""#))
        .expect("an error line");
    let error: Value = serde_json::from_str(error).unwrap();
    assert_eq!(error["file"], path);
    assert_eq!(
        error["message"],
        "invalid JSON after the last record: the JSON ends early (is the file truncated?) (the 20000 records before it were scanned)"
    );
}
