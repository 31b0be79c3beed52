//! Peak memory on hostile trail input stays under the bound docs/reliability.md states:
//! `the scan's own memory + threads x (32 MiB + 40 x record limit)`, whatever the size of the
//! input. Measured as the peak resident set size of the child process (wait4's ru_maxrss),
//! against a scan of one small file by the same binary for the constant. No timing is asserted.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

const MIB: u64 = 1 << 20;

/// Runs the trailgate binary; its exit code, standard output and peak RSS in bytes.
fn run_measured(args: &[&str]) -> (i32, String, u64) {
    let out = tempfile::tempfile().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_trailgate"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("trailgate runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 reaps only this child, which std has not
    // waited for (the `Child` is never waited on or killed).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    drop(child);
    assert!(libc::WIFEXITED(status), "trailgate was killed: {status}");
    let mut stdout = String::new();
    use std::io::{Read, Seek};
    let mut out = out;
    out.rewind().unwrap();
    out.read_to_string(&mut stdout).unwrap();
    // Linux reports ru_maxrss in KiB.
    (
        libc::WEXITSTATUS(status),
        stdout,
        usage.ru_maxrss as u64 * 1024,
    )
}

fn seed_record() -> String {
    let seed = Command::new("zcat")
        .arg(common::SEED_FILE)
        .output()
        .expect("zcat runs")
        .stdout;
    let document: Value = serde_json::from_slice(&seed).unwrap();
    document["Records"][0].to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A gzip file a few hundred KB long that inflates to `{"Records": [R, seed]}` where R is one
/// record holding a string of `mib` MiB: gzip members concatenated, one of them repeated.
fn string_bomb(mib: usize, seed: &str) -> Vec<u8> {
    let mut bomb = gzip(br#"{"Records": [{"eventSource":"s3.amazonaws.com","eventName":"PutObject","recipientAccountId":"123456789012","requestParameters":{"userData":""#);
    bomb.extend(gzip(&vec![b'A'; MIB as usize]).repeat(mib));
    bomb.extend(gzip(format!(r#""}}}}, {seed}]}}"#).as_bytes()));
    bomb
}

fn errors(doc: &Value) -> Vec<(String, Option<u64>, String)> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap();
            let name = file.rsplit('/').next().unwrap().to_string();
            (
                name,
                e["record"].as_u64(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn hostile_inputs_stay_under_the_documented_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed_record();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let mut paths = Vec::new();
    // Many gzip bombs at once, each one huge string in one record, then a good record.
    for i in 0..4 {
        paths.push(write(
            &format!("bomb-{i}.json.gz"),
            &string_bomb(192, &seed),
        ));
    }
    // A record over the limit in a file read whole (under 16 MiB).
    let big = "B".repeat(12 << 20);
    paths.push(write(
        "whole.json",
        format!(r#"{{"Records":[{{"eventName":"X","s":"{big}"}},{seed}]}}"#).as_bytes(),
    ));
    // JSON Lines with a line over the limit.
    paths.push(write(
        "lines.jsonl",
        format!("{{\"eventName\":\"X\",\"s\":\"{big}\"}}\n{seed}\n").as_bytes(),
    ));
    // Deep nesting in a streamed file, behind a record just under the limit that is all
    // structure (the most tree per byte: a 2 MiB array of zeros).
    let wide = format!(
        r#"{{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","recipientAccountId":"1","requestParameters":{{"l":[{}0]}}}}"#,
        "0,".repeat((2 * MIB as usize - 200) / 2)
    );
    let deep = format!(
        r#"{{"eventName":"X","requestParameters":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // Past its first 16 MiB a file's records are evaluated in batches on both threads: records
    // just under a batch (1 MiB), all structure, fill the batches in flight.
    let batched = format!(
        r#"{{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","recipientAccountId":"1","requestParameters":{{"l":[{}0]}}}}"#,
        "0,".repeat((MIB as usize - 400) / 2)
    );
    let mut streamed = format!("{{\"Records\":[{wide},{deep}");
    while streamed.len() < 17 << 20 {
        streamed.push(',');
        streamed.push_str(&wide);
    }
    while streamed.len() < 30 << 20 {
        streamed.push(',');
        streamed.push_str(&batched);
    }
    streamed.push_str(&format!(",{seed}]}}"));
    paths.push(write("streamed.json", streamed.as_bytes()));

    let mut args = vec!["scan", "--format", "json", "--threads", "2"];
    args.extend(paths.iter().map(String::as_str));
    let (code, stdout, peak) = run_measured(&args);
    assert_eq!(code, 3, "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let too_large = "the record is larger than 2097152 bytes; raise the limit with --max-record-size if it is genuine";
    let mut expected: Vec<(String, Option<u64>, String)> = (0..4)
        .map(|i| (format!("bomb-{i}.json.gz"), Some(0), too_large.to_string()))
        .collect();
    expected.push(("lines.jsonl".into(), Some(0), too_large.into()));
    expected.push((
        "streamed.json".into(),
        Some(1),
        "invalid JSON: recursion limit exceeded (the JSON nests deeper than 128 levels) at column 164".into(),
    ));
    expected.push(("whole.json".into(), Some(0), too_large.into()));
    assert_eq!(errors(&doc), expected);
    // The record after each refused one is scanned: the seed's findings, once per file.
    let seed_findings = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws-root-activity")
        .count();
    assert_eq!(seed_findings, paths.len(), "{:#}", doc["summary"]);

    let (_, _, base) = run_measured(&["scan", "--format", "json", common::SEED_FILE]);
    let threads = 2;
    let bound = base + threads * (32 * MIB + 40 * 2 * MIB);
    eprintln!(
        "peak RSS: {} MiB on hostile input, {} MiB on one small file, bound {} MiB",
        peak / MIB,
        base / MIB,
        bound / MIB
    );
    assert!(
        peak < bound,
        "peak RSS {} MiB over the bound {} MiB",
        peak / MIB,
        bound / MIB
    );
}

#[test]
fn raising_the_record_limit_lets_a_large_record_through_within_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let seed = seed_record();
    let path = dir.path().join("bomb.json.gz");
    std::fs::write(&path, string_bomb(48, &seed)).unwrap();
    let path = path.to_str().unwrap();
    let (code, stdout, peak) = run_measured(&[
        "scan",
        "--format",
        "json",
        "--threads",
        "1",
        "--max-record-size",
        "64M",
        path,
    ]);
    assert_eq!(code, 1, "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(errors(&doc), vec![]);
    assert_eq!(doc["summary"]["events"], 2);
    let (_, _, base) = run_measured(&["scan", "--format", "json", common::SEED_FILE]);
    // One record of one string: the formula's 40 x is for records that are all structure; a
    // string costs its bytes a few times (the cut record, its tree, the value evaluated).
    let bound = base + 32 * MIB + 4 * 48 * MIB;
    eprintln!("peak RSS: {} MiB, bound {} MiB", peak / MIB, bound / MIB);
    assert!(
        peak < bound,
        "peak RSS {} MiB over the bound {} MiB",
        peak / MIB,
        bound / MIB
    );
}
