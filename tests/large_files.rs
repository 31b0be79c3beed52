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

/// The JSON Lines of a scan with the run's duration left out.
fn without_durations(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            if let Some(object) = value.as_object_mut() {
                object.retain(|key, _| !key.contains("duration") && key != "elapsed");
            }
            value
        })
        .collect()
}

/// Past its first 16 MiB, a file's records are evaluated in batches on every thread. What comes
/// out is what one thread makes, byte for byte bar the duration: findings in record order, the
/// correlations (whose windows span batches) and the first-seen observations, the record errors
/// in their places, and every count.
#[test]
fn a_large_file_on_two_threads_gives_what_one_thread_gives() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = trailgate::generate::generate(dir.path(), 30_000, 21, 30_000).unwrap();
    assert_eq!(manifest["events"], 30_000);
    // One gzipped file; past the first 16 MiB, break two records (not objects) and give one an
    // invalid time, by rewriting it.
    let files = walk(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let text = std::process::Command::new("zcat")
        .arg(file)
        .output()
        .unwrap()
        .stdout;
    let mut document: Value = serde_json::from_slice(&text).unwrap();
    let records = document["Records"].as_array_mut().unwrap();
    // The console brute force of the correlation fixtures, spread over several batches.
    let fixture =
        "fixtures/correlations/trails/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/02";
    let mut spread = 20_000;
    for name in [
        "123456789012_CloudTrail_us-east-1_20240502T1000Z_a.json",
        "123456789012_CloudTrail_us-east-1_20240502T1000Z_b.json",
    ] {
        let text = std::fs::read_to_string(format!("{fixture}/{name}")).unwrap();
        let fixture: Value = serde_json::from_str(&text).unwrap();
        for record in fixture["Records"].as_array().unwrap() {
            records.insert(spread, record.clone());
            spread += 397;
        }
    }
    records[25_000] = Value::from(42);
    records[26_000]["eventTime"] = Value::from("yesterday");
    records[27_000] = Value::from("a string");
    let plain = dir.path().join("big.json");
    std::fs::write(&plain, serde_json::to_vec(&document).unwrap()).unwrap();
    std::fs::remove_file(file).unwrap();
    let size = std::fs::metadata(&plain).unwrap().len();
    assert!(size > 20 << 20, "past 16 MiB by several batches: {size}");
    let plain = plain.to_str().unwrap();
    let run = |threads: &str| {
        trailgate(&[
            "scan",
            "--pack",
            "aws/threats",
            "--pack",
            "aws/correlations",
            "--pack",
            "aws/first-seen",
            "--threads",
            threads,
            "--format",
            "jsonl",
            plain,
        ])
    };
    let one = run("1");
    let two = run("2");
    assert_eq!(one.code, 3, "{}", one.stderr);
    assert_eq!(two.code, one.code, "{}", two.stderr);
    assert_eq!(two.stderr, one.stderr);
    let (one, two) = (
        without_durations(&one.stdout),
        without_durations(&two.stdout),
    );
    let kinds = |lines: &[Value], kind: &str| lines.iter().filter(|l| l["type"] == kind).count();
    assert!(kinds(&one, "finding") > 200, "{}", kinds(&one, "finding"));
    assert!(
        one.iter()
            .any(|l| l["type"] == "finding" && l["window"].is_object()),
        "a correlation finding"
    );
    assert!(kinds(&one, "observation") > 0, "first-seen observations");
    let errors: Vec<&Value> = one.iter().filter(|l| l["type"] == "error").collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0]["record"], 25_000);
    assert_eq!(errors[1]["record"], 27_000);
    let summary = one.last().unwrap();
    assert_eq!(summary["events"], 30_020, "{summary}");
    assert_eq!(summary["records_failed"], 2);
    // The record without a valid time reaches the first-seen rules, which cannot place it.
    assert_eq!(
        summary["first_seen"]["aws-access-key-new-address"]["no_time"],
        1
    );
    assert_eq!(one.len(), two.len());
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a, b);
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "gz")
            && !path.to_string_lossy().contains("Digest")
        {
            files.push(path);
        }
    }
    files
}
