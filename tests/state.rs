//! `scan --state DIR` end to end, through the binary: a second run reads no file; a new day is
//! the only file read and raises exactly the new combinations (one seen 20 days before with a
//! 14-day history is new again); a run killed midway and run again gives the findings of one
//! clean run; a store held by another run, or written in another format, is refused with a
//! clear error; the order of files and records does not change the findings.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The first-seen drafts; aws-access-key-new-address has `history: 14d` over (key, address).
const RULES: &str = "rules/aws/first-seen";
const ACCOUNT: &str = "123456789012";
const STEADY: &str = "198.51.100.1";

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trailgate"));
    command.env_remove("NO_COLOR");
    command
}

/// One ListBuckets call with long-term key AKIA1 from `address` on June `day`, 2024.
fn event(day: u32, second: u32, address: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventTime": format!("2024-06-{day:02}T10:{:02}:{:02}Z", second / 60, second % 60),
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": address,
        "recipientAccountId": ACCOUNT,
        "userIdentity": {
            "type": "IAMUser",
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/ci"),
            "accountId": ACCOUNT,
            "accessKeyId": "AKIA1"
        }
    })
}

/// Writes June `day`'s trail file `part` under `root` with these records; returns its path.
fn write_day(root: &Path, day: u32, part: &str, records: &[Value]) -> PathBuf {
    let dir = root.join(format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/06/{day:02}"
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{ACCOUNT}_CloudTrail_us-east-1_202406{day:02}T1000Z_{part}.json"
    ));
    std::fs::write(&path, json!({ "Records": records }).to_string()).unwrap();
    path
}

/// Twenty days of trails: STEADY every day; 203.0.113.5 on day 1 only; 203.0.113.9 first on
/// day 17 (new then: the history covers days 1-16 and 17 - 14 = 3).
fn twenty_days(root: &Path) {
    for day in 1..=20 {
        let mut records = vec![event(day, 0, STEADY)];
        if day == 1 {
            records.push(event(day, 1, "203.0.113.5"));
        }
        if day == 17 {
            records.push(event(day, 1, "203.0.113.9"));
        }
        write_day(root, day, "a", &records);
    }
}

struct Scan {
    code: i32,
    report: Value,
    stderr: String,
}

/// `scan` with the first-seen rules, failing on any of their findings (low and medium; the
/// default `--fail-on` is high).
fn scan(args: &[&str]) -> Scan {
    let output = binary()
        .args([
            "scan",
            "--rules",
            RULES,
            "--fail-on",
            "low",
            "--format",
            "json",
            "--quiet",
        ])
        .args(args)
        .output()
        .expect("trailgate runs");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Scan {
        code: output.status.code().expect("an exit code"),
        report,
        stderr,
    }
}

/// The findings of a report as (rule, eventTime, message): what a finding says, whatever the
/// record number of its event.
fn findings(report: &Value) -> BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {report}"))
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["event_time"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The addresses of the access-key findings.
fn addresses(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws-access-key-new-address")
        .map(|f| f["evidence"][1]["value"].as_str().unwrap().to_string())
        .collect()
}

fn summary(report: &Value, key: &str) -> u64 {
    report["summary"][key].as_u64().unwrap_or(0)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_second_run_reads_no_file_and_a_new_day_raises_exactly_its_new_combinations() {
    let dir = tempfile::tempdir().unwrap();
    let trails = dir.path().join("trails");
    let state = dir.path().join("state");
    twenty_days(&trails);

    let first = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(addresses(&first.report), ["203.0.113.9"]);
    assert_eq!(summary(&first.report, "files_read"), 20);
    assert_eq!(summary(&first.report, "files_unchanged"), 0);
    let learning = &first.report["summary"]["first_seen"]["aws-access-key-new-address"];
    // STEADY and 203.0.113.5 first show on day 1, before a whole window is covered.
    assert_eq!(learning["learning"], 2, "{learning}");
    assert_eq!(learning["new"], 1, "{learning}");

    let second = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(summary(&second.report, "files_read"), 0);
    assert_eq!(summary(&second.report, "events"), 0);
    assert_eq!(summary(&second.report, "files_unchanged"), 20);
    assert!(findings(&second.report).is_empty());

    // Day 21: 203.0.113.5 was seen 20 days before, past the 14-day history: new again;
    // 203.0.113.9 was seen 4 days before: not new; 192.0.2.44 never: new.
    write_day(
        &trails,
        21,
        "a",
        &[
            event(21, 0, STEADY),
            event(21, 1, "203.0.113.9"),
            event(21, 2, "203.0.113.5"),
            event(21, 3, "192.0.2.44"),
            event(21, 4, "192.0.2.44"),
        ],
    );
    let third = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(third.code, 1, "{}", third.stderr);
    assert_eq!(summary(&third.report, "files_read"), 1);
    assert_eq!(summary(&third.report, "files_unchanged"), 20);
    assert_eq!(addresses(&third.report), ["203.0.113.5", "192.0.2.44"]);
    let counts = &third.report["summary"]["first_seen"]["aws-access-key-new-address"];
    assert_eq!(counts["new"], 2, "{counts}");
    assert_eq!(counts["learning"], 0, "{counts}");

    // --rescan reads every file again; the history it keeps already holds every combination.
    let rescan = scan(&["--state", arg(&state), "--rescan", arg(&trails)]);
    assert_eq!(rescan.code, 0, "{}", rescan.stderr);
    assert_eq!(summary(&rescan.report, "files_read"), 21);
    assert!(findings(&rescan.report).is_empty());
}

#[test]
fn without_a_store_first_seen_rules_learn_from_the_run_itself() {
    let dir = tempfile::tempdir().unwrap();
    twenty_days(dir.path());
    let run = scan(&[arg(dir.path())]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // One finding per new combination, not one per match (STEADY matches 20 times).
    assert_eq!(addresses(&run.report), ["203.0.113.9"]);
    assert_eq!(summary(&run.report, "findings"), 1);
    assert_eq!(run.report["summary"]["findings_by_severity"]["medium"], 1);
    // The text summary says what each first_seen rule did.
    let text = binary()
        .args(["scan", "--rules", RULES, "--quiet", arg(dir.path())])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("first seen aws-access-key-new-address: 1 new of 3 combinations this run; learning: 2 not judged"),
        "{text}"
    );
    // So do the Markdown and HTML reports, a row per first_seen rule.
    let report = |format: &str| {
        let output = binary()
            .args([
                "scan",
                "--rules",
                RULES,
                "--quiet",
                "--format",
                format,
                arg(dir.path()),
            ])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let markdown = report("markdown");
    assert!(markdown.contains("### First seen"), "{markdown}");
    // A table, not an indented code block: its rows start their lines.
    assert!(
        markdown.contains(
            "\n| Rule | Combinations this run | New (findings) | Learning | Without every field or an eventTime |\n|---|"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `aws-access-key-new-address` | 3 | 1 | 2 | 0 |"),
        "{markdown}"
    );
    let html = report("html");
    assert!(
        html.contains(
            "<tr data-first-seen=\"aws-access-key-new-address\"><td><code>aws-access-key-new-address</code></td>\
             <td class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">2</td><td class=\"num\">0</td></tr>"
        ),
        "{html}"
    );
}

/// Without a JSON Lines report, the stage keeps only where each candidate's event is and renders
/// the findings of new combinations at the end from their events read again; with one, it
/// renders every candidate while scanning (the observations carry them). Same findings.
#[test]
fn findings_rendered_from_events_read_again_equal_findings_rendered_while_scanning() {
    let dir = tempfile::tempdir().unwrap();
    twenty_days(dir.path());
    let read_again = scan(&[arg(dir.path())]);
    let lines = dir.path().join("run.jsonl");
    let output = binary()
        .args(["scan", "--rules", RULES, "--fail-on", "low", "--quiet"])
        .args(["-o", "json=-", "-o", &format!("jsonl={}", arg(&lines))])
        .arg(arg(dir.path()))
        .output()
        .unwrap();
    let rendered = Scan {
        code: output.status.code().unwrap(),
        report: serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert_eq!(read_again.code, 1, "{}", read_again.stderr);
    assert_eq!(rendered.code, 1, "{}", rendered.stderr);
    assert_eq!(addresses(&read_again.report), ["203.0.113.9"]);
    assert_eq!(read_again.report["findings"], rendered.report["findings"]);
    assert_eq!(read_again.report["errors"], rendered.report["errors"]);
    // The observations went out with the run that wrote JSON Lines.
    let jsonl = std::fs::read_to_string(&lines).unwrap();
    assert!(jsonl.contains(r#""type":"observation""#), "{jsonl}");

    // Where no temporary file can be made, the candidates are held in memory instead of
    // spilled: the same bytes.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(&lines, elsewhere.path().join("run.jsonl")).unwrap();
    let held = elsewhere.path().join("held.jsonl");
    let output = binary()
        .env("TMPDIR", dir.path().join("no such directory"))
        .args(["scan", "--rules", RULES, "--fail-on", "never", "--quiet"])
        .args(["-o", &format!("jsonl={}", arg(&held))])
        .arg(arg(dir.path()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(std::fs::read_to_string(&held).unwrap(), jsonl);
}

#[test]
fn the_order_of_files_and_records_does_not_change_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let ordered = dir.path().join("ordered");
    let shuffled = dir.path().join("shuffled");
    let mut paths = Vec::new();
    for day in 1..=30 {
        // Addresses come in blocks of three days: each block's are new on its first day, and
        // each shows twice a day.
        let mut records: Vec<Value> = (0..6)
            .map(|i| event(day, i, &format!("192.0.2.{}", (day / 3) * 3 + i % 3)))
            .collect();
        write_day(&ordered, day, "a", &records);
        records.reverse();
        paths.push(write_day(&shuffled, day, "a", &records));
    }
    let base = scan(&[arg(&ordered)]);
    assert!(!findings(&base.report).is_empty(), "{}", base.report);
    // Files named one by one in a shuffled order, records reversed in each.
    paths.sort_by_key(|p| {
        let text = p.display().to_string();
        text.bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    });
    let named: Vec<&str> = paths.iter().map(|p| arg(p)).collect();
    let other = scan(&named);
    assert_eq!(findings(&other.report), findings(&base.report));
    // And with a store, in one run: the same.
    let state = dir.path().join("state");
    let stored = scan(&[&["--state", arg(&state)], named.as_slice()].concat());
    assert_eq!(findings(&stored.report), findings(&base.report));
}

#[test]
fn a_run_killed_midway_and_run_again_gives_the_findings_of_one_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let trails = dir.path().join("trails");
    // Enough events that a one-thread debug scan takes well over the kill delay.
    for file in 0..120u32 {
        let day = 1 + file / 4;
        let records: Vec<Value> = (0..1500u32)
            .map(|i| {
                let address = if i == 700 {
                    // Seen again 20 days later (new again) or first after day 14 (new).
                    format!("203.0.113.{}", file % 80)
                } else {
                    STEADY.to_string()
                };
                event(day, i % 3600, &address)
            })
            .collect();
        write_day(&trails, day, &format!("p{file}"), &records);
    }
    let clean = scan(&["--threads", "1", arg(&trails)]);
    assert_eq!(clean.code, 1, "{}", clean.stderr);
    assert!(!findings(&clean.report).is_empty());

    let state = dir.path().join("state");
    let mut child = binary()
        .args(["scan", "--rules", RULES, "--format", "json", "--quiet"])
        .args(["--threads", "1", "--state", arg(&state), arg(&trails)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the run holds the store and is reading: its work so far is uncommitted.
    for _ in 0..200 {
        if state.join("state.sqlite").exists() || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(400));
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        !finished_early,
        "the scan finished within the kill delay: make the input larger"
    );

    let rerun = scan(&["--threads", "1", "--state", arg(&state), arg(&trails)]);
    assert_eq!(rerun.code, 1, "{}", rerun.stderr);
    assert_eq!(summary(&rerun.report, "files_read"), 120);
    assert_eq!(summary(&rerun.report, "files_unchanged"), 0);
    assert_eq!(findings(&rerun.report), findings(&clean.report));
    // And the store it committed is complete: nothing is read again.
    let after = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(summary(&after.report, "files_read"), 0);
    assert!(findings(&after.report).is_empty());
}

#[test]
fn a_store_in_use_by_another_run_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let trails = dir.path().join("trails");
    let state = dir.path().join("state");
    twenty_days(&trails);
    let held = trailgate::state::Store::open(&state).expect("the store opens");
    let run = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("in use by another trailgate run"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was scanned"), "{}", run.stderr);
    drop(held);
    let run = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn a_store_of_another_format_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let trails = dir.path().join("trails");
    let state = dir.path().join("state");
    twenty_days(&trails);
    assert_eq!(scan(&["--state", arg(&state), arg(&trails)]).code, 1);
    let db = rusqlite::Connection::open(state.join("state.sqlite")).unwrap();
    db.pragma_update(None, "user_version", 99).unwrap();
    drop(db);
    let run = scan(&["--state", arg(&state), arg(&trails)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("in format 99, newer"), "{}", run.stderr);
    assert_eq!(run.report, Value::Null, "no report is written");
}

#[test]
fn rescan_without_a_store_is_a_usage_error() {
    let run = common::trailgate(&["scan", "--rescan", "fixtures/trails"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--rescan needs --state"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_format_counts_the_unchanged_files_and_report_from_keeps_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let trails = dir.path().join("trails");
    let state = dir.path().join("state");
    twenty_days(&trails);
    assert_eq!(scan(&["--state", arg(&state), arg(&trails)]).code, 1);
    write_day(&trails, 21, "a", &[event(21, 0, "192.0.2.44")]);
    let out = |name: &str| dir.path().join(name);
    let outputs: Vec<String> = ["jsonl", "markdown", "html", "text", "sarif", "junit"]
        .iter()
        .map(|format| format!("{format}={}", out(format).display()))
        .collect();
    let mut command = binary();
    command.args([
        "scan",
        "--rules",
        RULES,
        "--fail-on",
        "low",
        "--quiet",
        "--state",
        arg(&state),
    ]);
    for output in &outputs {
        command.args(["-o", output.as_str()]);
    }
    let run = command.arg(arg(&trails)).output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(out(name)).unwrap();
    assert!(
        read("text").contains("skipped 20 files unchanged since an earlier run (--state)"),
        "{}",
        read("text")
    );
    assert!(read("markdown").contains("1 read, 20 unchanged since an earlier run"));
    assert!(read("html").contains("Files unchanged"));
    assert!(
        read("sarif").contains("\"files_unchanged\": 20")
            || read("sarif").contains("\"files_unchanged\":20")
    );
    assert!(read("junit").contains("files_unchanged"));
    // What the first-seen stage decided, per rule, in the run-level places of SARIF and JUnit.
    let sarif: Value = serde_json::from_str(&read("sarif")).unwrap();
    let counts = &sarif["runs"][0]["invocations"][0]["properties"]["first_seen"]
        ["aws-access-key-new-address"];
    assert_eq!(counts["new"], 1, "{sarif:#}");
    assert!(counts["keys"].as_u64().unwrap() >= 1, "{counts}");
    assert!(
        read("junit").contains(
            r#"<property name="trailgate.first_seen.aws-access-key-new-address.new" value="1"/>"#
        ),
        "{}",
        read("junit")
    );

    let merged = binary()
        .args(["report", "--rules", RULES, "--format", "json", "--from"])
        .arg(out("jsonl"))
        .output()
        .unwrap();
    let merged: Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(summary(&merged, "files_unchanged"), 20);
    assert_eq!(addresses(&merged), ["192.0.2.44"]);
    assert_eq!(
        merged["summary"]["first_seen"]["aws-access-key-new-address"]["new"], 1,
        "{}",
        merged["summary"]
    );
}

#[test]
fn an_added_rule_reads_the_files_again_for_that_rule_only() {
    let dir = tempfile::tempdir().unwrap();
    let trails = dir.path().join("trails");
    let state = dir.path().join("state");
    let rules = dir.path().join("rules");
    twenty_days(&trails);
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::copy(
        format!("{RULES}/aws-access-key-new-address.yaml"),
        rules.join("aws-access-key-new-address.yaml"),
    )
    .unwrap();
    let run = |rules: &Path| {
        let output = binary()
            .args(["scan", "--quiet", "--format", "json", "--rules"])
            .args([arg(rules), "--state", arg(&state), arg(&trails)])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
            panic!("{}", String::from_utf8_lossy(&output.stderr));
        });
        report
    };
    let first = run(&rules);
    assert_eq!(addresses(&first), ["203.0.113.9"]);

    std::fs::write(
        rules.join("list-buckets.yaml"),
        "id: list-buckets\ntitle: Buckets listed\nseverity: low\n\
         events: {eventName: ListBuckets}\ncondition: {path: $.sourceIPAddress, exists: true}\n",
    )
    .unwrap();
    let second = run(&rules);
    assert_eq!(summary(&second, "files_read"), 20);
    assert_eq!(summary(&second, "files_unchanged"), 0);
    // The new rule sees every event; the unchanged first_seen rule reports nothing again.
    let ids: Vec<&str> = second["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 22, "{ids:?}");
    assert!(ids.iter().all(|id| *id == "list-buckets"), "{ids:?}");
    assert_eq!(
        second["summary"]["first_seen"]["aws-access-key-new-address"]["keys"],
        0
    );
    assert_eq!(second["summary"]["rules"], 2);

    let third = run(&rules);
    assert_eq!(summary(&third, "files_read"), 0);
    assert_eq!(summary(&third, "files_unchanged"), 20);
}

#[test]
fn the_store_can_be_set_in_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    twenty_days(&dir.path().join("trails"));
    let rules = std::fs::canonicalize(RULES).unwrap();
    std::fs::write(
        dir.path().join("trailgate.toml"),
        format!(
            "rules = [{:?}]\nstate = \"store\"\npaths = [\"trails\"]\nformat = \"json\"\nquiet = true\nfail-on = \"low\"\n",
            rules.display().to_string()
        ),
    )
    .unwrap();
    let first = common::trailgate_in(dir.path(), &["scan"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(dir.path().join("store/state.sqlite").exists());
    let second = common::trailgate_in(dir.path(), &["scan"]);
    let report: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(summary(&report, "files_unchanged"), 20);
    let rescan = common::trailgate_in(dir.path(), &["scan", "--rescan"]);
    let report: Value = serde_json::from_str(&rescan.stdout).unwrap();
    assert_eq!(summary(&report, "files_read"), 20, "{}", rescan.stderr);
}

/// With no selection, the default set has the built-in first-seen rules only when the scan keeps
/// a store: a nightly audit with `--state` gets them; a gate without one does not learn in vain.
#[test]
fn the_default_set_has_the_first_seen_rules_with_a_store_only() {
    let trails = tempfile::tempdir().unwrap();
    twenty_days(trails.path());
    let store = tempfile::tempdir().unwrap();
    let run = |state: bool| {
        let mut command = binary();
        command.args(["scan", "--fail-on", "never", "--format", "json", "--quiet"]);
        if state {
            command.arg("--state").arg(store.path());
        }
        let output = command.arg(trails.path()).output().expect("trailgate runs");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let without = run(false);
    let with = run(true);
    let rules = |report: &Value| report["summary"]["rules"].as_u64().unwrap();
    // Eight first-seen rules, of which the two on the GeoIP place need --geoip as well.
    assert_eq!(
        rules(&with),
        rules(&without) + 6,
        "the six first-seen rules that need no GeoIP databases"
    );
    assert!(
        without["summary"]["first_seen"].is_null(),
        "{:#}",
        without["summary"]
    );
    let first_seen = &with["summary"]["first_seen"]["aws-access-key-new-address"];
    assert_eq!(first_seen["new"], 1, "{:#}", with["summary"]);
    let new: Vec<&Value> = with["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "aws-access-key-new-address")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["event_time"], "2024-06-17T10:00:01Z", "{:#}", new[0]);
}

/// Runs `trailgate` with `args`; returns the exit code, standard output and standard error.
fn run_tool(args: &[&str]) -> (i32, String, String) {
    let output = binary().args(args).output().expect("trailgate runs");
    (
        output.status.code().expect("an exit code"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Twenty days in two shards, odd days and even days, as Spark partitions or sharded scans cut
/// them: 203.0.113.7 first on day 16 (even) and again on day 17 (odd); 203.0.113.9 first on day
/// 17 (odd) and again on day 18 (even). Each shard alone reports a combination whose first event
/// sits in the other shard; merged, each is new once, at its first event.
fn two_shards(root: &Path) -> (PathBuf, PathBuf) {
    let (odd, even) = (root.join("odd"), root.join("even"));
    for day in 1..=20 {
        let mut records = vec![event(day, 0, STEADY)];
        if day == 16 || day == 17 {
            records.push(event(day, 1, "203.0.113.7"));
        }
        if day == 17 || day == 18 {
            records.push(event(day, 2, "203.0.113.9"));
        }
        write_day(if day % 2 == 1 { &odd } else { &even }, day, "a", &records);
    }
    (odd, even)
}

#[test]
fn shards_merged_by_report_from_give_the_first_seen_findings_of_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (odd, even) = two_shards(dir.path());
    let one = scan(&[odd.to_str().unwrap(), even.to_str().unwrap()]);
    assert_eq!(one.code, 1, "{}", one.stderr);
    let mut expected = addresses(&one.report);
    expected.sort();
    assert_eq!(expected, ["203.0.113.7", "203.0.113.9"]);
    let times: BTreeSet<String> = findings(&one.report).into_iter().map(|f| f.1).collect();
    assert_eq!(
        times,
        BTreeSet::from([
            "2024-06-16T10:00:01Z".to_string(),
            "2024-06-17T10:00:02Z".to_string()
        ])
    );

    let mut parts = Vec::new();
    for (name, shard) in [("odd", &odd), ("even", &even)] {
        let part = dir.path().join(format!("{name}.jsonl"));
        let out = format!("jsonl={}", part.display());
        let (code, _, stderr) = run_tool(&[
            "scan",
            "--rules",
            RULES,
            "--fail-on",
            "never",
            "--quiet",
            "-o",
            &out,
            shard.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        let text = std::fs::read_to_string(&part).unwrap();
        assert!(text.contains(r#""type":"observation""#), "{text}");
        parts.push(part);
    }
    // Each shard alone gets it wrong: the odd days report .7 on day 17, not 16 (and the even
    // days report .9 on day 18): a naive concatenation would report both twice.
    let alone = |part: &Path| {
        let (_, stdout, stderr) = run_tool(&[
            "report",
            "--rules",
            RULES,
            "--fail-on",
            "never",
            "--format",
            "json",
            "--from",
            part.to_str().unwrap(),
        ]);
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
        findings(&report)
    };
    let (odd_alone, even_alone) = (alone(&parts[0]), alone(&parts[1]));
    assert!(
        odd_alone.iter().any(|f| f.1 == "2024-06-17T10:00:01Z"),
        "{odd_alone:?}"
    );
    assert!(
        even_alone.iter().any(|f| f.1 == "2024-06-18T10:00:02Z"),
        "{even_alone:?}"
    );

    let merge = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--rules",
            RULES,
            "--fail-on",
            "low",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        args.push("--from");
        args.extend(parts.iter().map(|p| p.to_str().unwrap()));
        let (code, stdout, stderr) = run_tool(&args);
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
        (code, report)
    };
    let (code, merged) = merge(&[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&merged), findings(&one.report));
    assert_eq!(
        merged["summary"]["first_seen"], one.report["summary"]["first_seen"],
        "the per-rule counts of one scan"
    );

    // With a store: judged once, and the store remembers for the next night's scan.
    let store = tempfile::tempdir().unwrap();
    let state = store.path().to_str().unwrap();
    let (code, stored) = merge(&["--state", state]);
    assert_eq!(code, 1);
    assert_eq!(findings(&stored), findings(&one.report));
    let next = tempfile::tempdir().unwrap();
    write_day(
        next.path(),
        21,
        "a",
        &[
            event(21, 0, STEADY),
            event(21, 1, "203.0.113.9"),
            event(21, 2, "203.0.113.44"),
        ],
    );
    let night = scan(&["--state", state, next.path().to_str().unwrap()]);
    assert_eq!(
        addresses(&night.report),
        ["203.0.113.44"],
        "{}",
        night.stderr
    );
}
