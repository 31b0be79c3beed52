//! The Spark job (`integrations/spark/trailgate_spark.py`) in local mode: its JSON Lines, merged,
//! hold exactly the findings, errors and skipped files of a direct scan of the same inputs.
//! Needs python3 with pyspark and Java; without them the test is skipped with a note, except in
//! CI (`CI=true`), where it fails: `.ci/run` installs pyspark.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn spark_available() -> bool {
    let pyspark = Command::new("python3")
        .args(["-c", "import pyspark"])
        .output()
        .is_ok_and(|o| o.status.success());
    let java = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if pyspark && java {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "the Spark test needs python3 with pyspark ({pyspark}) and java ({java}); .ci/run installs pyspark"
    );
    // Past the harness's capture, so that the line shows in a passing run.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: the Spark test needs `pip install pyspark` and Java 17"
    );
    false
}

/// The lines of a JSON Lines report, by type; `summary` lines apart. Correlation state
/// (`signal` lines) and window findings are left out: a partition holds only its share of a
/// window, so they are compared after `report --from` merges the partitions (below).
fn lines_by_type(text: &str) -> (Vec<String>, Vec<Value>) {
    let mut lines = Vec::new();
    let mut summaries = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if value["type"] == "summary" {
            summaries.push(value);
        } else if value["type"] != "signal" && value.get("window").is_none() {
            lines.push(line.to_string());
        }
    }
    lines.sort();
    (lines, summaries)
}

/// The folders of fixtures/ that hold trails (readable or broken). The others hold rule files,
/// which a directory walk counts as ignored names, while the job lists trail names only and never
/// hands them to trailgate (docs/scale-out.md says so): the two would differ in files_ignored.
const TRAIL_FIXTURES: [&str; 6] = [
    "fixtures/bad",
    "fixtures/correlations/trails",
    "fixtures/empty",
    "fixtures/events",
    "fixtures/hostile",
    "fixtures/trails",
];

#[test]
fn spark_job_in_local_mode_finds_what_a_direct_scan_finds() {
    if !spark_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let corpus = work.path().join("corpus");
    trailgate::generate::generate(&corpus, 20_000, 3, 500).unwrap();
    let out = work.path().join("findings");
    let binary = env!("CARGO_BIN_EXE_trailgate");
    let corpus_arg = corpus.to_str().unwrap();
    let job = Command::new("python3")
        .current_dir(repo())
        .args([
            "integrations/spark/trailgate_spark.py",
            "--master",
            "local[2]",
            "--trailgate",
            binary,
            "--partitions",
            "5",
            "--input",
            corpus_arg,
            "--output",
            out.to_str().unwrap(),
        ])
        .args(TRAIL_FIXTURES.iter().flat_map(|dir| ["--input", dir]))
        .output()
        .unwrap();
    assert!(
        job.status.success(),
        "the Spark job failed:\n{}",
        String::from_utf8_lossy(&job.stderr)
    );
    let mut merged = String::new();
    let mut parts = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("part-")
        {
            parts += 1;
            merged.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    assert_eq!(parts, 5, "one part file per partition");

    let direct = Command::new(binary)
        .current_dir(repo())
        .args(["scan", "--quiet", "-o", "jsonl=-", corpus_arg])
        .args(TRAIL_FIXTURES)
        .output()
        .unwrap();
    assert_eq!(
        direct.status.code(),
        Some(3),
        "fixtures/bad holds unreadable files"
    );
    let (direct_lines, direct_summary) = lines_by_type(&String::from_utf8(direct.stdout).unwrap());
    let (spark_lines, spark_summaries) = lines_by_type(&merged);
    assert_eq!(spark_summaries.len(), 5, "one summary per partition");
    assert!(direct_lines
        .iter()
        .any(|l| l.contains(r#""type":"finding""#)));
    assert!(direct_lines.iter().any(|l| l.contains(r#""type":"error""#)));
    assert!(direct_lines
        .iter()
        .any(|l| l.contains(r#""type":"skipped""#)));
    // Every finding, error and skipped file, byte for byte.
    assert_eq!(spark_lines, direct_lines);
    let total = |key: &str| -> u64 {
        spark_summaries
            .iter()
            .map(|s| s[key].as_u64().unwrap())
            .sum()
    };
    // `findings` is left out: each partition counts the windows of its own share.
    for key in ["events", "files_read", "files_failed", "records_failed"] {
        assert_eq!(
            total(key),
            direct_summary[0][key].as_u64().unwrap(),
            "{key}"
        );
    }

    // The final reports: `trailgate report` over the part files equals the direct scan's.
    let mut part_files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("part-")
        })
        .map(|p| p.display().to_string())
        .collect();
    part_files.sort();
    for format in ["json", "sarif"] {
        // The correlation fixtures' windows span two files; the merge must find them.
        let mut args = vec!["report", "--format", format, "--from"];
        args.extend(part_files.iter().map(String::as_str));
        let report = Command::new(binary)
            .current_dir(repo())
            .args(&args)
            .output()
            .unwrap();
        let direct = Command::new(binary)
            .current_dir(repo())
            .args(["scan", "--quiet", "--format", format, corpus_arg])
            .args(TRAIL_FIXTURES)
            .output()
            .unwrap();
        assert_eq!(
            report.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&report.stderr)
        );
        if format == "json" {
            let document: Value = serde_json::from_slice(&report.stdout).unwrap();
            let windows = document["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f.get("window").is_some())
                .count();
            assert!(windows >= 3, "{windows} window findings");
        }
        if report.stdout != direct.stdout {
            let (merged, scanned) = (
                String::from_utf8_lossy(&report.stdout),
                String::from_utf8_lossy(&direct.stdout),
            );
            let first = merged
                .lines()
                .zip(scanned.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(merged.lines().count().min(scanned.lines().count()));
            panic!(
                "report --from the Spark output differs from the direct scan ({format}) at line {}:\n  report --from: {}\n  scan:          {}\n  scan's exit {:?} and standard error: {}",
                first + 1,
                merged.lines().nth(first).unwrap_or("<end>"),
                scanned.lines().nth(first).unwrap_or("<end>"),
                direct.status.code(),
                String::from_utf8_lossy(&direct.stderr)
            );
        }
    }
}

/// One ListBuckets call with long-term key AKIA1 from `address` on June `day`, 2024.
fn key_call(day: u32, second: u32, address: &str) -> Value {
    serde_json::json!({
        "eventVersion": "1.08",
        "eventTime": format!("2024-06-{day:02}T10:00:{second:02}Z"),
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": address,
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/ci", "accountId": "123456789012", "accessKeyId": "AKIA1"}
    })
}

/// First-seen rules over partitions (docs/state.md, "Sharded scans and the Spark job"): each
/// partition alone covers a few days, too few for a 14-day history, so it only learns; merged
/// by `report --from`, the observations of every partition are judged as one scan's.
#[test]
fn spark_job_judges_first_seen_rules_over_every_partition() {
    if !spark_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let trails = work.path().join("trails");
    for day in 1..=30u32 {
        let dir = trails.join(format!(
            "AWSLogs/123456789012/CloudTrail/us-east-1/2024/06/{day:02}"
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut records = vec![key_call(day, 0, "198.51.100.1")];
        // .7 first on day 16 and again on day 25; .9 first on day 20 and again on day 29: with
        // five partitions of six days, each first event and its repeat are in different ones.
        for (address, days) in [("203.0.113.7", [16, 25]), ("203.0.113.9", [20, 29])] {
            if days.contains(&day) {
                records.push(key_call(day, 1, address));
            }
        }
        std::fs::write(
            dir.join(format!(
                "123456789012_CloudTrail_us-east-1_202406{day:02}T1000Z_a.json"
            )),
            serde_json::json!({ "Records": records }).to_string(),
        )
        .unwrap();
    }
    let binary = env!("CARGO_BIN_EXE_trailgate");
    let out = work.path().join("findings");
    let job = Command::new("python3")
        .current_dir(repo())
        .args([
            "integrations/spark/trailgate_spark.py",
            "--master",
            "local[2]",
            "--trailgate",
            binary,
            "--partitions",
            "5",
            "--input",
            trails.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--",
            "--rules",
            "rules/aws/first-seen",
        ])
        .output()
        .unwrap();
    assert!(
        job.status.success(),
        "the Spark job failed:\n{}",
        String::from_utf8_lossy(&job.stderr)
    );
    let mut parts: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("part-")
        })
        .map(|p| p.display().to_string())
        .collect();
    parts.sort();
    let new_addresses = |report: &[u8]| -> Vec<(String, String)> {
        let document: Value = serde_json::from_slice(report).unwrap();
        let mut found: Vec<(String, String)> = document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["event_time"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let mut args = vec![
        "report",
        "--rules",
        "rules/aws/first-seen",
        "--format",
        "json",
        "--from",
    ];
    args.extend(parts.iter().map(String::as_str));
    let merged = Command::new(binary)
        .current_dir(repo())
        .args(&args)
        .output()
        .unwrap();
    let direct = Command::new(binary)
        .current_dir(repo())
        .args([
            "scan",
            "--quiet",
            "--rules",
            "rules/aws/first-seen",
            "--format",
            "json",
        ])
        .arg(&trails)
        .output()
        .unwrap();
    let expected = new_addresses(&direct.stdout);
    assert_eq!(
        expected.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["2024-06-16T10:00:01Z", "2024-06-20T10:00:01Z"],
        "{expected:?}"
    );
    assert_eq!(
        new_addresses(&merged.stdout),
        expected,
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
}
