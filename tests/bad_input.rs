//! Every kind of bad input names the file (and record), the rest of the scan goes on, the
//! problem shows in every output format, and the exit code is 3.

mod common;

use common::{trailgate, SEED_FILE};
use serde_json::{json, Value};

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

/// The seed event as one JSON object (the record of `SEED_FILE`), for building hostile files.
fn seed_record() -> Value {
    use std::io::Read as _;
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(SEED_FILE).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["Records"][0].clone()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn invalid_json_deep_inside_a_record_keeps_the_records_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let record = seed_record().to_string();
    let bad = write(
        &dir,
        "deep-error.json",
        format!("{{\"Records\":[{record},\n{{\"eventName\":\"A\",\"requestParameters\":{{\"a\":[1,{{\"b\":}}]}}}}]}}"),
    );
    let doc = scan_with(
        &bad,
        "invalid JSON at line 2: expected value at column 51 (the 1 records before it were scanned)",
        None,
    );
    let from_file = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == bad.as_str())
        .count();
    assert_eq!(
        from_file,
        common::SEED_FINDINGS,
        "the record before the error is evaluated"
    );
}

#[test]
fn an_empty_records_array_is_a_clean_file_with_no_events() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(&dir, "empty-records.json", r#"{"Records": []}"#);
    let (code, doc) = common::scan_json(&[&empty]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["summary"]["files_read"], 1);
    assert_eq!(doc["summary"]["events_read"], 0);
    assert_eq!(doc["errors"].as_array().unwrap().len(), 0);
}

#[test]
fn invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = br#"{"Records":[{"eventSource":"ec2.amazonaws.com","eventName":"Run"#.to_vec();
    bytes.extend_from_slice(b"\xff\xfe");
    bytes.extend_from_slice(br#"Instances"}]}"#);
    let bad = write(&dir, "latin1.json", &bytes);
    scan_with(
        &bad,
        "invalid JSON at line 1: invalid unicode code point",
        None,
    );

    // In JSON Lines only the line with the bad byte is lost.
    let mut lines = seed_record().to_string().into_bytes();
    lines.extend_from_slice(b"\n{\"eventName\":\"\xc3\x28\"}\n");
    let bad = write(&dir, "latin1.jsonl", &lines);
    let doc = scan_with(&bad, "invalid JSON: invalid unicode code point", Some(1));
    assert_eq!(doc["summary"]["records_failed"], 1);
}

const DEEP: usize = 100_000;

#[test]
fn nesting_100000_levels_deep_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(DEEP), "]".repeat(DEEP));
    let mut record = seed_record();
    record["requestParameters"] = Value::String("PLACEHOLDER".into());
    let record = record.to_string().replace("\"PLACEHOLDER\"", &deep);
    let seed = seed_record().to_string();

    // The usual `Records` document: only the deep record is lost.
    let fast = write(
        &dir,
        "deep.json",
        format!("{{\"Records\":[{record},{seed}]}}"),
    );
    let doc = scan_with(
        &fast,
        "invalid JSON: recursion limit exceeded (the JSON nests deeper than 128 levels)",
        Some(0),
    );
    let findings = doc["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .any(|f| f["file"] == fast.as_str() && f["record"] == 1));

    // Other shapes are parsed whole: the file fails, the scan goes on.
    let array = write(&dir, "deep-array.json", format!("[{seed},{record}]"));
    scan_with(&array, "recursion limit exceeded", None);
    let unclosed = write(&dir, "deep-unclosed.json", "[".repeat(DEEP));
    scan_with(&unclosed, "recursion limit exceeded", None);

    // JSON Lines: only the line.
    let lines = write(&dir, "deep.jsonl", format!("{seed}\n{record}\n"));
    scan_with(&lines, "recursion limit exceeded", Some(1));
}

#[test]
fn a_100_mb_string_in_one_record_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut record = seed_record();
    record["requestParameters"]["userData"] = Value::String("A".repeat(100 << 20));
    let big = write(
        &dir,
        "big-string.json",
        serde_json::to_vec(&json!({"Records": [record]})).unwrap(),
    );
    let run = trailgate(&["scan", "--format", "json", &big]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["errors"].as_array().unwrap().len(), 0, "{}", run.stderr);
    assert_eq!(doc["summary"]["events"], 1);
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        common::SEED_FINDINGS
    );
}

#[test]
fn a_gzip_bomb_stops_at_the_decoded_size_limit() {
    // 10,240 gzip members of 1 MiB of zeros each: a 10 MiB file claiming 10 GiB decompressed.
    let member = gzip(&vec![b' '; 1 << 20]);
    let bomb: Vec<u8> = member.repeat(10 * 1024);
    assert!(bomb.len() < 11 << 20, "{}", bomb.len());
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "bomb.json.gz", &bomb);
    let run = trailgate(&[
        "scan",
        "--format",
        "json",
        "--max-file-size",
        "64M",
        SEED_FILE,
        &path,
    ]);
    assert_eq!(run.code, 3);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["errors"][0]["file"], path.as_str());
    assert_eq!(
        doc["errors"][0]["message"],
        "the file is larger than 67108864 bytes once decompressed; raise the limit with --max-file-size if it is genuine"
    );
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        common::SEED_FINDINGS
    );
}

#[test]
fn a_fifo_found_in_a_directory_is_skipped_with_a_reason_and_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(SEED_FILE, dir.path().join("a.json.gz")).unwrap();
    let pipe = common::fifo(&dir, "b.json");
    // Nobody ever writes to the FIFO: opening it would block the scan forever.
    let run = trailgate(&["scan", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(
        run.code, 1,
        "the seed's findings, and no error: {}",
        run.stdout
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["files_skipped"], 1);
    assert_eq!(doc["skipped"][0]["file"], pipe.as_str());
    assert!(
        doc["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not a regular file"),
        "{doc:#}"
    );
    let text = trailgate(&["scan", dir.path().to_str().unwrap()]);
    assert!(
        text.stdout.contains("skipped 1 file (not regular files)"),
        "{}",
        text.stdout
    );
}

/// Runs `trailgate args` while another thread writes `bytes` into the FIFO `pipe` and closes it.
fn scan_feeding_fifo(pipe: &str, bytes: Vec<u8>, args: &[&str]) -> common::Run {
    let pipe_path = pipe.to_string();
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        // Opening for writing waits for the reader; a reader that has gone makes this fail,
        // which the assertions below then explain.
        if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(&pipe_path) {
            let _ = file.write_all(&bytes);
        }
    });
    let run = trailgate(args);
    writer.join().unwrap();
    run
}

#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = common::fifo(&dir, "process-substitution");
    let run = scan_feeding_fifo(
        &pipe,
        std::fs::read(SEED_FILE).unwrap(),
        &["scan", "--format", "json", &pipe],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        common::SEED_FINDINGS
    );
}

#[test]
fn a_file_cut_short_while_it_is_read() {
    // The writer stops half-way through a gzip stream, as when the file is truncated or replaced
    // under the reader: the reader sees the end of its data early.
    let dir = tempfile::tempdir().unwrap();
    let pipe = common::fifo(&dir, "cut.json.gz");
    let whole = std::fs::read(SEED_FILE).unwrap();
    let run = scan_feeding_fifo(
        &pipe,
        whole[..whole.len() / 2].to_vec(),
        &["scan", "--format", "json", SEED_FILE, &pipe],
    );
    assert_eq!(run.code, 3);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["errors"][0]["file"], pipe.as_str());
    assert_eq!(
        doc["errors"][0]["message"],
        "cannot decompress gzip: unexpected end of file (the file is truncated or corrupt)"
    );
    assert_eq!(
        doc["findings"].as_array().unwrap().len(),
        common::SEED_FINDINGS
    );

    // Plain JSON cut short.
    let pipe = common::fifo(&dir, "cut.json");
    let text = serde_json::to_vec(&json!({"Records": [seed_record(), seed_record()]})).unwrap();
    let run = scan_feeding_fifo(
        &pipe,
        text[..text.len() - 100].to_vec(),
        &["scan", "--format", "json", &pipe],
    );
    assert_eq!(run.code, 3);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let message = doc["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("the JSON ends early; is the file truncated?")
            && message.contains("(the 1 records before it were scanned)"),
        "{message}"
    );
}

#[test]
fn a_device_is_bounded_by_the_size_limit() {
    let run = trailgate(&[
        "scan",
        "--format",
        "json",
        "--max-file-size",
        "1M",
        SEED_FILE,
        "/dev/zero",
    ]);
    assert_eq!(run.code, 3);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["errors"][0]["file"], "/dev/zero");
    assert_eq!(
        doc["errors"][0]["message"],
        "the file is larger than 1048576 bytes; raise the limit with --max-file-size if it is genuine"
    );
}

#[test]
fn a_file_that_cannot_be_read() {
    // Opening /proc/self/mem works, reading its first page fails (EIO), even for root: the test
    // holds whoever runs it, unlike a file with mode 000.
    scan_with("/proc/self/mem", "cannot read: Input/output error", None);
}

#[test]
fn a_symlink_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("self.json");
    std::os::unix::fs::symlink(&path, &path).unwrap();
    scan_with(
        path.to_str().unwrap(),
        "cannot open: too many levels of symbolic links",
        None,
    );
}

#[test]
fn standard_input_closed_early() {
    let run = |stdin: Vec<u8>| {
        let output = assert_cmd::Command::cargo_bin("trailgate")
            .unwrap()
            .args(["scan", "--format", "json", SEED_FILE, "-"])
            .write_stdin(stdin)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            common::SEED_FINDINGS
        );
        assert_eq!(doc["errors"][0]["file"], "<stdin>");
        doc["errors"][0]["message"].as_str().unwrap().to_string()
    };
    assert_eq!(run(Vec::new()), "the file is empty (no JSON, no events)");
    let whole = std::fs::read(SEED_FILE).unwrap();
    assert_eq!(
        run(whole[..whole.len() / 2].to_vec()),
        "cannot decompress gzip: unexpected end of file (the file is truncated or corrupt)"
    );
}
