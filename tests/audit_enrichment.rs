//! Audit reports that say who, from where and which account (issue 20), end to end through the
//! CLI over fixtures/audit: a small organization trail (two accounts, console logins from public
//! addresses, a root call that raises several findings, private, reserved, AWS-service and
//! AWS-internal source addresses), an accounts file in both forms, and a rule that reads
//! `$.trailgate.geo`.
//!
//! The GeoIP tests use the real databases of scripts/fetch_geoip.sh (`TRAILGATE_GEOIP`, else
//! target/geoip): without them they print one `SKIPPED:` line and pass, under `CI=true` they fail.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{parse_csv, trailgate};
use serde_json::Value;

const TRAIL: &str = "fixtures/audit/trail";
const ACCOUNTS_CSV: &str = "fixtures/audit/accounts.csv";
/// The JSON of `aws organizations list-accounts` (a `.txt` name: recognised by its first `{`, and
/// not read as a trail when tests scan all of `fixtures/`).
const ACCOUNTS_JSON: &str = "fixtures/audit/list-accounts.txt";
const RULES: &str = "fixtures/audit/rules";
const PROD: &str = "111122223333";
const STAGING: &str = "444455556666";
const ROOT_EVENT: &str = "fixtures/events/launch-configuration-root-failed.json";

/// The GeoIP databases, or `None` after one `SKIPPED:` line (a failure under `CI=true`).
fn geoip_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TRAILGATE_GEOIP")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/geoip"));
    if dir.join("GeoLite2-City.mmdb").is_file() && dir.join("ASN.mmdb").is_file() {
        return Some(dir);
    }
    assert!(
        !common::in_ci(),
        "{} lacks GeoLite2-City.mmdb or ASN.mmdb: run scripts/fetch_geoip.sh (CI must test GeoIP)",
        dir.display()
    );
    common::skipped(&format!(
        "no GeoIP databases in {}; run scripts/fetch_geoip.sh or set TRAILGATE_GEOIP",
        dir.display()
    ));
    None
}

fn run_ok(args: &[&str]) -> common::Run {
    let run = trailgate(args);
    assert!(
        run.code == 0 || run.code == 1,
        "trailgate {args:?} exited {}: {}",
        run.code,
        run.stderr
    );
    run
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(args).stdout).expect("a JSON report")
}

fn findings(document: &Value) -> &Vec<Value> {
    document["findings"].as_array().expect("findings")
}

#[test]
fn account_names_show_in_every_format() {
    for accounts in [ACCOUNTS_CSV, ACCOUNTS_JSON] {
        let base = ["scan", "--fail-on", "never", "--accounts", accounts];
        let with = |extra: &[&str]| -> common::Run {
            let mut args = base.to_vec();
            args.extend(extra);
            args.push(TRAIL);
            run_ok(&args)
        };
        // JSON and JSON Lines: a separate field beside the id.
        let document: Value = serde_json::from_str(&with(&["--format", "json"]).stdout).unwrap();
        assert!(!findings(&document).is_empty());
        for f in findings(&document) {
            let expected = match f["account"].as_str() {
                Some(PROD) => "prod-payments",
                Some(STAGING) => "staging, EU",
                other => panic!("unexpected account {other:?}"),
            };
            assert_eq!(f["account_name"], expected, "{f}");
            assert_eq!(f["source_geo"], Value::Null, "no --geoip, no place: {f}");
        }
        let lines = with(&["--format", "jsonl"]).stdout;
        let named = lines
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|r| r["type"] == "finding")
            .filter(|r| r["account_name"] == "prod-payments")
            .count();
        assert!(named > 0, "{lines}");
        // SARIF: in the result properties.
        let sarif: Value = serde_json::from_str(&with(&["--format", "sarif"]).stdout).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert!(results
            .iter()
            .all(|r| r["properties"]["accountName"].is_string()));
        // CSV: the fixed columns as before, then `account_name`.
        let rows = parse_csv(&with(&["--format", "csv"]).stdout);
        let plain =
            parse_csv(&run_ok(&["scan", "--fail-on", "never", "--format", "csv", TRAIL]).stdout);
        assert_eq!(rows[0][..plain[0].len()], plain[0][..]);
        assert_eq!(rows[0].last().unwrap(), "account_name");
        let account = plain[0].iter().position(|c| c == "account").unwrap();
        for (row, before) in rows[1..].iter().zip(&plain[1..]) {
            assert_eq!(
                row[..before.len()],
                before[..],
                "existing columns are unchanged"
            );
            let name = if row[account] == PROD {
                "prod-payments"
            } else {
                "staging, EU"
            };
            assert_eq!(row.last().unwrap(), name);
        }
        // JUnit: in each finding's line of its rule's failure.
        let junit = with(&["--format", "junit"]).stdout;
        assert!(
            junit.contains("[account 444455556666 (staging, EU)]"),
            "{junit}"
        );
        // Text, Markdown and HTML: beside the id.
        let text = with(&[]).stdout;
        assert!(
            text.contains("account 111122223333 (prod-payments)"),
            "{text}"
        );
        assert!(
            text.contains("account 444455556666 (staging, EU)"),
            "{text}"
        );
        let markdown = with(&["--format", "markdown"]).stdout;
        assert!(
            markdown.contains("| prod-payments `111122223333` |"),
            "{markdown}"
        );
        assert!(markdown.contains("| staging, EU `444455556666` |"));
        let html = with(&["--format", "html"]).stdout;
        assert!(html.contains("prod-payments <code>111122223333</code>"));
        assert!(
            html.contains("111122223333 (prod-payments)"),
            "the findings' data"
        );
    }
}

#[test]
fn a_bad_accounts_file_is_a_usage_error_naming_file_and_line() {
    let run = trailgate(&[
        "scan",
        "--accounts",
        "fixtures/audit/bad-accounts.csv",
        TRAIL,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "--accounts fixtures/audit/bad-accounts.csv:3: `4444555566` is not an AWS account id"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was scanned"));
    assert!(run.stdout.is_empty());
    let missing = trailgate(&["scan", "--accounts", "fixtures/audit/no-such.csv", TRAIL]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("fixtures/audit/no-such.csv: cannot read the accounts file"),
        "{}",
        missing.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("scan.jsonl");
    run_ok(&["scan", "-o", &format!("jsonl={}", jsonl.display()), TRAIL]);
    let report = trailgate(&[
        "report",
        "--from",
        jsonl.to_str().unwrap(),
        "--accounts",
        "fixtures/audit/bad-accounts.csv",
    ]);
    assert_eq!(report.code, 2);
    assert!(
        report.stderr.contains("bad-accounts.csv:3:"),
        "{}",
        report.stderr
    );
}

/// Unusable GeoIP paths stop the run before anything is read, naming the path (no databases
/// needed for this).
#[test]
fn unusable_geoip_paths_are_usage_errors() {
    for (path, says) in [
        ("fixtures/audit", "no .mmdb file in this directory"),
        (
            "fixtures/audit/accounts.csv",
            "not a readable MaxMind DB file",
        ),
        ("fixtures/audit/no-such.mmdb", "fixtures/audit/no-such.mmdb"),
    ] {
        let run = trailgate(&["scan", "--geoip", path, TRAIL]);
        assert_eq!(run.code, 2, "{path}: {}", run.stderr);
        assert!(
            run.stderr.starts_with(&format!("error: --geoip {path}")) && run.stderr.contains(says),
            "{path}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("nothing was scanned"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn accounts_and_grouping_come_from_trailgate_toml() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(
        dir.path().join("trailgate.toml"),
        format!(
            "accounts = \"{}\"\ngroup-by = \"event\"\nfail-on = \"never\"\n",
            root.join(ACCOUNTS_CSV).display()
        ),
    )
    .unwrap();
    let run = common::trailgate_in(
        dir.path(),
        &["scan", root.join(ROOT_EVENT).to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("event CreateLaunchConfiguration: "),
        "{}",
        run.stdout
    );
    let shown = common::trailgate_in(dir.path(), &["config", "show", "x"]);
    assert!(shown.stdout.contains("group-by"), "{}", shown.stdout);
    assert!(shown.stdout.contains("accounts"), "{}", shown.stdout);
}

#[test]
fn one_event_with_several_findings_reads_as_one_item() {
    let text = run_ok(&["scan", "--group-by", "event", ROOT_EVENT]).stdout;
    let items: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .take_while(|l| !l.starts_with("Summary"))
        .collect();
    assert_eq!(
        items,
        ["high     event CreateLaunchConfiguration: 3 findings from 3 rules"],
        "{text}"
    );
    assert_eq!(
        text.matches("\n  at ").count(),
        1,
        "the event is written once: {text}"
    );
    // Most serious first.
    let high = text
        .find("  high     autoscaling-root-launch-configuration")
        .unwrap();
    let low = text.find("  low      cis-root-account-usage").unwrap();
    assert!(high < low);
    let html = run_ok(&[
        "scan",
        "--group-by",
        "event",
        "--format",
        "html",
        ROOT_EVENT,
    ])
    .stdout;
    assert!(html.contains("<span data-count=\"groups\">1</span> items from 3 findings"));
    assert_eq!(
        html.matches("<tr data-group-severity=\"high\" data-findings=")
            .count(),
        1
    );
    assert!(html.contains("<tr data-group-severity=\"high\" data-findings=\"3\">"));
    let markdown = run_ok(&[
        "scan",
        "--group-by",
        "event",
        "--format",
        "markdown",
        ROOT_EVENT,
    ])
    .stdout;
    assert!(markdown.contains("1 item from 3 findings."), "{markdown}");
    // Machine formats stay one finding per rule, byte for byte.
    for format in ["json", "jsonl", "sarif", "csv", "junit"] {
        let grouped = run_ok(&[
            "scan",
            "--group-by",
            "event",
            "--format",
            format,
            ROOT_EVENT,
        ]);
        let plain = run_ok(&["scan", "--format", format, ROOT_EVENT]);
        let strip = |s: &str| {
            s.lines()
                .filter(|l| !l.contains("time=\"") && !l.contains("\"duration"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&grouped.stdout), strip(&plain.stdout), "{format}");
    }
}

/// Text groups by event by default, as it streams: the same bytes as `--group-by event`, and as
/// a text report written beside a JSON one (which holds every finding, so nothing streams).
/// `--group-by none` lists one finding after another.
#[test]
fn text_groups_by_event_by_default_streamed_or_not() {
    let default = run_ok(&["scan", "--fail-on", "never", TRAIL]).stdout;
    let by_event = run_ok(&["scan", "--fail-on", "never", "--group-by", "event", TRAIL]).stdout;
    assert_eq!(default, by_event);
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let collected = run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "-o",
        "text=-",
        "-o",
        &format!("json={}", json_path.display()),
        TRAIL,
    ])
    .stdout;
    assert_eq!(collected, default);
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let findings = findings(&document);
    // Items: an event with several findings is one, a lone finding is itself.
    let mut per_event: std::collections::BTreeMap<(String, u64), usize> = Default::default();
    for f in findings {
        if let Some(file) = f["file"].as_str() {
            *per_event
                .entry((file.to_string(), f["record"].as_u64().unwrap()))
                .or_default() += 1;
        }
    }
    let windows = findings.iter().filter(|f| f["file"].is_null()).count();
    let heads = |text: &str| -> Vec<String> {
        text.lines()
            .take_while(|l| !l.starts_with("Summary"))
            .filter(|l| !l.starts_with(' ') && !l.is_empty() && !l.starts_with("error:"))
            .map(str::to_string)
            .collect()
    };
    let grouped_heads = heads(&default);
    assert_eq!(grouped_heads.len(), per_event.len() + windows, "{default}");
    let several = per_event.values().filter(|n| **n > 1).count();
    assert!(
        several >= 1,
        "the fixture has an event with several findings"
    );
    assert_eq!(
        grouped_heads
            .iter()
            .filter(|h| h.contains(" event "))
            .count(),
        several,
        "{default}"
    );
    let none = run_ok(&["scan", "--fail-on", "never", "--group-by", "none", TRAIL]).stdout;
    assert_eq!(heads(&none).len(), findings.len(), "{none}");
    assert!(!none.contains(" findings from "), "{none}");
}

#[test]
fn grouping_by_rule_and_by_principal() {
    let by_rule = run_ok(&["scan", "--fail-on", "never", "--group-by", "rule", TRAIL]).stdout;
    // One heading per rule, each with its count.
    let headings: Vec<&str> = by_rule
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .take_while(|l| !l.starts_with("Summary"))
        .collect();
    let document = json(&["scan", "--fail-on", "never", "--format", "json", TRAIL]);
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings(&document) {
        *per_rule
            .entry(f["rule_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(headings.len(), per_rule.len(), "{by_rule}");
    for (rule, n) in &per_rule {
        let suffix = format!(": {n} finding{}", if *n == 1 { "" } else { "s" });
        assert!(
            headings
                .iter()
                .any(|h| h.contains(rule.as_str()) && h.ends_with(&suffix)),
            "{rule} {n}: {headings:?}"
        );
    }
    let by_principal = run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "--group-by",
        "principal",
        TRAIL,
    ])
    .stdout;
    assert!(by_principal.contains("principal arn:aws:iam::444455556666:root: "));
    let first = by_principal.lines().next().unwrap();
    assert!(
        first.starts_with("high     principal "),
        "most serious first: {first}"
    );
}

#[test]
fn change_since_the_last_audit_per_control_and_account() {
    let dir = tempfile::tempdir().unwrap();
    let earlier = dir.path().join("earlier.json");
    let org = "fixtures/audit/trail/AWSLogs/o-audit00001";
    let staging = format!("{org}/{STAGING}");
    let prod_day1 = format!("{org}/{PROD}/CloudTrail/us-east-1/2024/05/01");
    let prod = format!("{org}/{PROD}");
    // Last month: staging and the first day of production.
    run_ok(&[
        "scan",
        "-o",
        &format!("json={}", earlier.display()),
        &staging,
        &prod_day1,
    ]);
    let before = json(&["scan", "--format", "json", &staging, &prod_day1]);
    let now = json(&["scan", "--format", "json", &prod]);
    let ids = |d: &Value| -> Vec<String> {
        findings(d)
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    let (before_ids, now_ids) = (ids(&before), ids(&now));
    let new = now_ids.iter().filter(|id| !before_ids.contains(id)).count();
    let open = now_ids.len() - new;
    let resolved = before_ids.iter().filter(|id| !now_ids.contains(id)).count();
    assert!(
        new > 0 && open > 0 && resolved > 0,
        "{new} {open} {resolved}"
    );
    // Per account, independently: staging's findings are all resolved.
    let staging_resolved = findings(&before)
        .iter()
        .filter(|f| f["account"] == STAGING)
        .count();
    assert_eq!(staging_resolved, resolved);

    let args = |format: &str| -> Vec<String> {
        vec![
            "scan".into(),
            "--fail-on".into(),
            "never".into(),
            "--accounts".into(),
            ACCOUNTS_CSV.into(),
            "--baseline".into(),
            earlier.display().to_string(),
            "--format".into(),
            format.into(),
            prod.clone(),
        ]
    };
    let run = |format: &str| {
        let a = args(format);
        run_ok(&a.iter().map(String::as_str).collect::<Vec<_>>()).stdout
    };
    let markdown = run("markdown");
    assert!(
        markdown.contains(&format!(
            "**{new} new**, {open} still open, {resolved} resolved."
        )),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("| prod-payments `{PROD}` | {new} | {open} | 0 |")),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("| staging, EU `{STAGING}` | 0 | 0 | {resolved} |")),
        "a resolved account is named from the accounts file: {markdown}"
    );
    // Per control: CIS 1.7 (root usage, v1.4.0) is new (the root call), 3.1 in v1.2.0 ... each
    // control's counts add up to the findings of the rules mapped to it.
    assert!(markdown.contains("| Control | New | Still open | Resolved |"));
    let html = run("html");
    assert!(html.contains(&format!(
        "<span data-count=\"changes_new\">{new}</span> new"
    )));
    assert!(html.contains(&format!(
        "<span data-count=\"changes_still_open\">{open}</span>"
    )));
    assert!(html.contains(&format!(
        "<span data-count=\"changes_resolved\">{resolved}</span>"
    )));
    // Without --baseline there is no change section.
    let plain = run_ok(&["scan", "--fail-on", "never", "--format", "markdown", &prod]).stdout;
    assert!(!plain.contains("Change since the last audit"));
}

/// The per-principal summary of the CLI against scripts/count_principals.py (its own reading of
/// the trail files, no caps), over the audit fixture and the example organization's month.
#[test]
fn principals_report_matches_an_independent_count() {
    // And a generated corpus of 6,000 events in gzipped files (many principals, capped lists).
    let corpus = tempfile::tempdir().unwrap();
    trailgate::generate::generate(corpus.path(), 6000, 20, 250).unwrap();
    let corpus = corpus.path().join("AWSLogs").display().to_string();
    for trail in [TRAIL, "docs/examples/audit/AWSLogs", corpus.as_str()] {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("principals.csv");
        let json_path = dir.path().join("principals.json");
        run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--quiet",
            "-o",
            &format!("principals={}", csv.display()),
            "-o",
            &format!("principals-json={}", json_path.display()),
            "-o",
            &format!("json={}", dir.path().join("f.json").display()),
            trail,
        ]);
        let ours: Value =
            serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/count_principals.py");
        let output = std::process::Command::new("python3")
            .arg(&script)
            .arg(trail)
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let theirs: BTreeMap<String, Value> = serde_json::from_slice(&output.stdout).unwrap();
        let rows = ours["principals"].as_array().unwrap();
        assert_eq!(
            rows.len(),
            theirs.len(),
            "every principal, with findings or not"
        );
        for row in rows {
            let name = row["principal"].as_str().unwrap_or("");
            let count = &theirs[name];
            assert_eq!(row["events"], count["events"], "{name}");
            assert_eq!(row["failed"], count["failed"], "{name}");
            assert_eq!(row["first_seen"], count["first"], "{name}");
            assert_eq!(row["last_seen"], count["last"], "{name}");
            for (ours_key, theirs_key) in [
                ("accounts", "accounts"),
                ("regions", "regions"),
                ("source_addresses", "source_addresses"),
                ("long_term_access_keys", "long_term_keys"),
                ("temporary_access_keys", "temporary_keys"),
                ("user_agents", "user_agents"),
            ] {
                let listed: BTreeMap<String, u64> = row[ours_key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        (
                            v["value"].as_str().unwrap().to_string(),
                            v["events"].as_u64().unwrap(),
                        )
                    })
                    .collect();
                let counted: BTreeMap<String, u64> =
                    serde_json::from_value(count[theirs_key].clone()).unwrap();
                // A list keeps its first 10 distinct values, the events of the others counted
                // together. Uncapped, every count is exact; capped, a value kept by one file's
                // summary may have had events counted as "other" in another file's, so a listed
                // count is at most the true one, and the totals still add up.
                let other = row["other_events"][ours_key].as_u64().unwrap_or(0);
                for (value, n) in &listed {
                    let truth = counted.get(value).copied().unwrap_or(0);
                    if other == 0 {
                        assert_eq!(*n, truth, "{name} {ours_key} {value}");
                    } else {
                        assert!(0 < *n && *n <= truth, "{name} {ours_key} {value}");
                    }
                }
                assert_eq!(
                    listed.values().sum::<u64>() + other,
                    counted.values().sum::<u64>(),
                    "{name} {ours_key}"
                );
                assert_eq!(listed.len(), counted.len().min(10), "{name} {ours_key}");
                assert_eq!(other > 0, counted.len() > 10, "{name} {ours_key}");
            }
        }
        // The CSV has the same principals, most events first, and the findings per severity
        // add up to the findings of the scan.
        let records = parse_csv(&std::fs::read_to_string(&csv).unwrap());
        assert_eq!(records.len() - 1, rows.len());
        let scan: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("f.json")).unwrap())
                .unwrap();
        let with_principal = findings(&scan)
            .iter()
            .filter(|f| f["principal"].is_string() || f["file"].is_string())
            .count() as u64;
        let counted: u64 = rows
            .iter()
            .flat_map(|r| r["findings"].as_object().unwrap().values())
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(counted, with_principal);
    }
    // JSON Lines do not carry events: `report --from` cannot make the summary, and says so.
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("scan.jsonl");
    run_ok(&["scan", "-o", &format!("jsonl={}", jsonl.display()), TRAIL]);
    let report = trailgate(&[
        "report",
        "--from",
        jsonl.to_str().unwrap(),
        "-o",
        &format!("principals={}", dir.path().join("p.csv").display()),
    ]);
    assert_eq!(report.code, 2);
    assert!(
        report.stderr.contains("needs the events"),
        "{}",
        report.stderr
    );
}

#[test]
fn markdown_and_html_have_a_principals_section_with_enrichment() {
    let markdown = run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "--accounts",
        ACCOUNTS_CSV,
        "--format",
        "markdown",
        TRAIL,
    ])
    .stdout;
    assert!(markdown.contains("### Principals"), "{markdown}");
    assert!(markdown.contains(
        "| `arn:aws:sts::111122223333:assumed-role/deploy/ci` | 2 | 0 | 2024-05-01T09:00:00Z | 2024-05-01T09:05:00Z | `111122223333` prod-payments (2) |"
    ), "a principal without findings is listed: {markdown}");
    let html = run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "--accounts",
        ACCOUNTS_CSV,
        "--format",
        "html",
        TRAIL,
    ])
    .stdout;
    assert!(html.contains("<span data-count=\"principals\">8</span>"));
    // Without enrichment and without a principals report, the summary is not made.
    let plain = run_ok(&["scan", "--fail-on", "never", "--format", "markdown", TRAIL]).stdout;
    assert!(!plain.contains("### Principals"));
}

#[test]
fn geoip_places_source_addresses_in_every_format() {
    let Some(geoip) = geoip_dir() else { return };
    let geoip = geoip.to_str().unwrap();
    let document = json(&[
        "scan",
        "--fail-on",
        "never",
        "--severity",
        "info",
        "--geoip",
        geoip,
        "--format",
        "json",
        TRAIL,
    ]);
    let place = |event_id: &str| -> Value {
        findings(&document)
            .iter()
            .find(|f| f["event_id"] == event_id)
            .unwrap_or_else(|| panic!("a finding at {event_id}"))["source_geo"]
            .clone()
    };
    // bob's login from 45.33.32.156: Fremont, US, AS63949.
    let bob = place("aud00002-aaaa-4bbb-8ccc-000000000000");
    assert_eq!(bob["kind"], "public");
    assert_eq!(bob["country"], "US");
    assert_eq!(bob["city"], "Fremont");
    assert_eq!(bob["asn"], 63949);
    assert_eq!(bob["as_org"], "Akamai Technologies, Inc.");
    // The root call from 81.2.69.142 (GB), an IPv6 call (DE, no city), a documentation address.
    assert_eq!(
        place("aud-root-0001-4bbb-8ccc-000000000000")["country"],
        "GB"
    );
    let v6 = place("aud00005-aaaa-4bbb-8ccc-000000000000");
    assert_eq!(
        (v6["country"].as_str(), v6["city"].as_str()),
        (Some("DE"), None)
    );
    assert_eq!(v6["asn"], 24940);
    assert_eq!(
        place("aud00011-aaaa-4bbb-8ccc-000000000000"),
        serde_json::json!({"kind": "reserved"})
    );
    // Text and SARIF.
    let text = run_ok(&["scan", "--fail-on", "never", "--geoip", geoip, TRAIL]).stdout;
    assert!(
        text.contains("  from 45.33.32.156 (US (Fremont), AS63949 Akamai Technologies, Inc.)"),
        "{text}"
    );
    let sarif: Value = serde_json::from_str(
        &run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--geoip",
            geoip,
            "--format",
            "sarif",
            TRAIL,
        ])
        .stdout,
    )
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["properties"]["sourceGeo"]["country"] == "US"
            && r["properties"]["sourceIp"] == "45.33.32.156"));
    common::assert_valid_sarif(&sarif);
    let junit = run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "--geoip",
        geoip,
        "--format",
        "junit",
        TRAIL,
    ])
    .stdout;
    assert!(
        junit.contains("[from 45.33.32.156 (US (Fremont), AS63949 Akamai Technologies, Inc.)]"),
        "{junit}"
    );
    // CSV: the geo columns at the end.
    let rows = parse_csv(
        &run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--geoip",
            geoip,
            "--format",
            "csv",
            TRAIL,
        ])
        .stdout,
    );
    let at = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    assert_eq!(rows[0].last().unwrap(), "source_geo_error");
    let bob_row = rows
        .iter()
        .find(|r| r[at("event_id")] == "aud00002-aaaa-4bbb-8ccc-000000000000")
        .unwrap();
    assert_eq!(
        [
            &bob_row[at("source_kind")],
            &bob_row[at("source_country")],
            &bob_row[at("source_asn")]
        ],
        ["public", "US", "63949"]
    );
    // The principals summary: private, AWS service and AWS internal addresses are marked, not
    // looked up.
    let dir = tempfile::tempdir().unwrap();
    let principals = dir.path().join("p.json");
    run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "--geoip",
        geoip,
        "-o",
        &format!("principals={}", principals.display()),
        TRAIL,
    ]);
    let summary = std::fs::read_to_string(&principals).unwrap();
    for label in [
        "\"label\": \"private address\"",
        "\"label\": \"AWS service\"",
        "\"label\": \"AWS internal\"",
        "\"label\": \"reserved address\"",
        "\"label\": \"US (Fremont), AS63949 Akamai Technologies, Inc.\"",
    ] {
        assert!(summary.contains(label), "{label}: {summary}");
    }
}

#[test]
fn a_rule_can_test_the_country_of_a_console_login() {
    let Some(geoip) = geoip_dir() else { return };
    let geoip = geoip.to_str().unwrap();
    let document = json(&[
        "scan",
        "--rules",
        RULES,
        "--geoip",
        geoip,
        "--accounts",
        ACCOUNTS_CSV,
        "--format",
        "json",
        TRAIL,
    ]);
    let hits: Vec<&Value> = findings(&document).iter().collect();
    // alice (NL) and the staging root (DE) are inside the allowed countries; bob (US) is not.
    assert_eq!(hits.len(), 1, "{document}");
    assert_eq!(hits[0]["principal"], "arn:aws:iam::111122223333:user/bob");
    assert_eq!(
        hits[0]["message"],
        "Console login by arn:aws:iam::111122223333:user/bob from United States (45.33.32.156, AS63949 Akamai Technologies, Inc.) into prod-payments."
    );
    assert_eq!(hits[0]["evidence"][1]["path"], "$.trailgate.geo.country");
    // Other rules, kept events and reports see the record as CloudTrail wrote it.
    let html = run_ok(&[
        "scan", "--rules", RULES, "--geoip", geoip, "--format", "html", TRAIL,
    ])
    .stdout;
    assert!(
        !html.contains("\\\"trailgate\\\":"),
        "kept events carry no annotation"
    );
    // Without enrichment the rule sees no annotation: nothing matches, and the run says why.
    let run = trailgate(&["scan", "--rules", RULES, "--format", "json", TRAIL]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(
        "warning: console-login-outside-allowed-countries read `$.trailgate.geo` but --geoip is not given: they see no place of the source address there"
    ), "{}", run.stderr);
}

#[test]
fn report_from_enriches_the_findings_of_earlier_scans() {
    let Some(geoip) = geoip_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("scan.jsonl");
    run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "-o",
        &format!("jsonl={}", jsonl.display()),
        TRAIL,
    ]);
    let run = trailgate(&[
        "report",
        "--from",
        jsonl.to_str().unwrap(),
        "--fail-on",
        "never",
        "--accounts",
        ACCOUNTS_JSON,
        "--geoip",
        geoip.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    let direct = json(&[
        "scan",
        "--fail-on",
        "never",
        "--accounts",
        ACCOUNTS_JSON,
        "--geoip",
        geoip.to_str().unwrap(),
        "--format",
        "json",
        TRAIL,
    ]);
    let fields = |d: &Value| -> Vec<(Value, Value)> {
        findings(d)
            .iter()
            .map(|f| (f["account_name"].clone(), f["source_geo"].clone()))
            .collect()
    };
    assert_eq!(fields(&document), fields(&direct));
}

/// Snapshots of the new people's outputs (account names, grouping, principals), no GeoIP so
/// that they hold on a fresh clone.
#[test]
fn snapshots_of_enriched_outputs() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(|| {
        let text = run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--accounts",
            ACCOUNTS_CSV,
            "--group-by",
            "event",
            TRAIL,
        ]);
        insta::assert_snapshot!("text_grouped_by_event", text.stdout);
        let markdown = run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--accounts",
            ACCOUNTS_CSV,
            "--group-by",
            "event",
            "--format",
            "markdown",
            TRAIL,
        ]);
        insta::assert_snapshot!("markdown_grouped_by_event", markdown.stdout);
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("p.csv");
        run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--accounts",
            ACCOUNTS_CSV,
            "-o",
            &format!("principals={}", csv.display()),
            TRAIL,
        ]);
        insta::assert_snapshot!("principals_csv", std::fs::read_to_string(&csv).unwrap());
    });
}

/// The names a scan wrote into its JSON Lines come back with `report --from`, in every format
/// (the CSV gets its `account_name` column as the scan's would).
#[test]
fn report_from_keeps_the_names_the_scan_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("scan.jsonl");
    run_ok(&[
        "scan",
        "--fail-on",
        "never",
        "--accounts",
        ACCOUNTS_CSV,
        "-o",
        &format!("jsonl={}", jsonl.display()),
        TRAIL,
    ]);
    let from = jsonl.to_str().unwrap();
    for format in ["csv", "json", "text", "markdown"] {
        let merged = run_ok(&[
            "report",
            "--from",
            from,
            "--fail-on",
            "never",
            "--format",
            format,
        ]);
        let direct = run_ok(&[
            "scan",
            "--fail-on",
            "never",
            "--accounts",
            ACCOUNTS_CSV,
            "--format",
            format,
            TRAIL,
        ]);
        if format == "csv" || format == "text" {
            let cut = |s: &str| s.split("\nSummary:").next().unwrap().to_string();
            assert_eq!(cut(&merged.stdout), cut(&direct.stdout), "{format}");
        } else {
            assert!(merged.stdout.contains("prod-payments"), "{format}");
        }
    }
}

/// A record that brings its own `trailgate` member cannot pose as enriched: the rules that read
/// `$.trailgate` see the annotation in its place with enrichment on, and nothing without it.
#[test]
fn a_forged_annotation_in_a_record_is_not_seen() {
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("forged.json");
    std::fs::write(
        &trail,
        serde_json::json!({"Records": [{
            "eventVersion": "1.09", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
            "eventTime": "2024-05-01T08:00:00Z", "eventID": "forged-1", "awsRegion": "us-east-1",
            "recipientAccountId": PROD, "sourceIPAddress": "10.0.0.1",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
            "trailgate": {"account_name": "forged", "geo": {"kind": "public", "country": "KP",
                "country_name": "forged", "asn": 1, "as_org": "forged"}}
        }]})
        .to_string(),
    )
    .unwrap();
    let trail = trail.to_str().unwrap();
    for flags in [&[][..], &["--accounts", ACCOUNTS_CSV][..]] {
        let mut args = vec!["scan", "--rules", RULES, "--format", "json"];
        args.extend(flags);
        args.push(trail);
        let document = json(&args);
        assert!(findings(&document).is_empty(), "{flags:?}: {document}");
    }
    // A rule that only reads the account name sees the real one.
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("named.yaml"),
        "id: named\ntitle: T\nseverity: high\ndescription: D\nremediation: R\nevents:\n  eventName: ConsoleLogin\ncondition:\n  path: $.trailgate.account_name\n  exists: true\nmessage: 'into {trailgate.account_name}'\n",
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let plain = json(&["scan", "--rules", rules, "--format", "json", trail]);
    assert!(findings(&plain).is_empty(), "{plain}");
    let named = json(&[
        "scan",
        "--rules",
        rules,
        "--accounts",
        ACCOUNTS_CSV,
        "--format",
        "json",
        trail,
    ]);
    assert_eq!(findings(&named).len(), 1);
    assert_eq!(findings(&named)[0]["message"], "into prod-payments");
}

/// A trail of `alice`'s calls, one file a day: day `d` of `days` from `address` with `agent`.
fn daily_trail(dir: &Path, days: &[(i64, &str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    const T0: i64 = 1_717_200_000; // 2024-06-01T00:00:00Z
    for (i, (day, address, agent)) in days.iter().enumerate() {
        let time = trailgate::time::Timestamp::from_secs(T0 + day * 86_400 + 3_600).to_rfc3339();
        let record = serde_json::json!({
            "eventVersion": "1.09", "eventTime": time, "eventSource": "s3.amazonaws.com",
            "eventName": "ListBuckets", "awsRegion": "eu-west-1", "sourceIPAddress": address,
            "userAgent": agent, "eventID": format!("e-{i}"), "eventType": "AwsApiCall",
            "recipientAccountId": PROD,
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAALICE", "accountId": PROD,
                "arn": "arn:aws:iam::111122223333:user/alice", "userName": "alice"}
        });
        let body = serde_json::json!({ "Records": [record] });
        std::fs::write(dir.join(format!("day-{day:02}.json")), body.to_string()).unwrap();
    }
}

/// The built-in first-seen rules over the place and the client of a call (issue 17): with
/// `--state` and `--geoip` the default set has them, and a month of alice's calls from the
/// Netherlands with the AWS CLI, then one from the United States and one with boto3, raises
/// exactly one new country, one new network and one new client, each at its first event. Without
/// `--geoip` the default set leaves the place rules out (and says nothing); chosen by pack, they
/// run, see no place, raise nothing, and the run warns.
#[test]
fn first_seen_rules_on_the_place_and_the_client_of_calls() {
    let Some(geoip) = geoip_dir() else { return };
    let geoip = geoip.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail");
    const NL: &str = "193.0.6.139";
    const US: &str = "45.33.32.156";
    const CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0";
    let mut days: Vec<(i64, &str, &str)> = (0..=31).map(|d| (d, NL, CLI)).collect();
    days.push((32, US, "aws-cli/2.17.0 Python/3.12.1 Darwin/23.0.0"));
    days.push((33, NL, "Boto3/1.34.0 md/Botocore#1.34.0 lang/python#3.11.6"));
    daily_trail(&trail, &days);
    let trail = trail.to_str().unwrap();
    let of = |document: &Value, rule: &str| -> Vec<Value> {
        findings(document)
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .cloned()
            .collect()
    };

    let state = dir.path().join("state");
    let run = run_ok(&[
        "scan",
        "--state",
        state.to_str().unwrap(),
        "--geoip",
        geoip,
        "--fail-on",
        "never",
        "--format",
        "json",
        trail,
    ]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    let country = of(&document, "aws-principal-new-country");
    assert_eq!(country.len(), 1, "{document}");
    assert_eq!(
        country[0]["message"],
        "arn:aws:iam::111122223333:user/alice called ListBuckets from United States (US, 45.33.32.156), a country it has not called from in 30 days."
    );
    assert_eq!(country[0]["event_id"], "e-32", "{}", country[0]);
    let network = of(&document, "aws-principal-new-asn");
    assert_eq!(network.len(), 1, "{document}");
    assert_eq!(network[0]["event_id"], "e-32");
    assert!(
        network[0]["message"]
            .as_str()
            .unwrap()
            .contains("from AS63949 "),
        "{}",
        network[0]
    );
    // A new version of the AWS CLI on day 32 is not a new client; boto3 on day 33 is.
    let client = of(&document, "aws-principal-new-user-agent-family");
    assert_eq!(client.len(), 1, "{document}");
    assert_eq!(client[0]["event_id"], "e-33");
    assert!(client[0]["message"]
        .as_str()
        .unwrap()
        .contains(" with boto3 (Boto3/1.34.0"));
    // The findings carry the place of their address, as other findings do.
    assert!(
        country[0].to_string().contains("\"United States\""),
        "{}",
        country[0]
    );

    // A second run on the store reads nothing and raises nothing new.
    let again: Value = serde_json::from_str(
        &run_ok(&[
            "scan",
            "--state",
            state.to_str().unwrap(),
            "--geoip",
            geoip,
            "--fail-on",
            "never",
            "--format",
            "json",
            trail,
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        of(&again, "aws-principal-new-country").is_empty(),
        "{again}"
    );

    // Without --geoip the default set leaves the place rules out, silently.
    let plain_state = dir.path().join("plain-state");
    let run = run_ok(&[
        "scan",
        "--state",
        plain_state.to_str().unwrap(),
        "--fail-on",
        "never",
        "--format",
        "json",
        trail,
    ]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    let first_seen = &document["summary"]["first_seen"];
    assert_eq!(
        first_seen["aws-principal-new-user-agent-family"]["new"], 1,
        "{document}"
    );
    assert!(
        first_seen.get("aws-principal-new-country").is_none(),
        "{first_seen}"
    );
    assert_eq!(
        of(&document, "aws-principal-new-user-agent-family").len(),
        1
    );

    // Chosen by pack without --geoip: they run, see no place, and the run says so.
    let run = run_ok(&[
        "scan",
        "--rules",
        "rules/aws/first-seen",
        "--fail-on",
        "never",
        "--format",
        "json",
        trail,
    ]);
    assert!(
        run.stderr.contains(
            "warning: aws-principal-new-asn, aws-principal-new-country read `$.trailgate.geo` but --geoip is not given"
        ),
        "{}",
        run.stderr
    );
    let document: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(of(&document, "aws-principal-new-country").is_empty());
    // Every one of alice's calls matched, and none had a country to count.
    assert_eq!(
        document["summary"]["first_seen"]["aws-principal-new-country"]["no_key"],
        days.len(),
        "{document}"
    );
}
