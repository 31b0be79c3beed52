//! Audit reports: scope filters (`--since`, `--until`, `--account`, `--region`), the counts the
//! summaries need (events checked per rule and control), the CSV, Markdown and HTML formats,
//! the planted hostile event in every format a person reads, and the progress bar.

mod common;

use std::collections::BTreeMap;

use common::{parse_csv, render_gfm, trailgate_autoscaling as trailgate};

use serde_json::Value;

/// These reports are checked against the built-in Auto Scaling pack's findings.
fn scan_json(args: &[&str]) -> (i32, Value) {
    common::scan_json_by(trailgate, args)
}

const AUDIT: &str = "docs/examples/audit";
const HOSTILE: &str = "fixtures/hostile/hostile-events.json";

fn findings(doc: &Value) -> &Vec<Value> {
    doc["findings"].as_array().expect("findings")
}

#[test]
fn a_time_window_limits_the_events_and_the_summary_says_so() {
    let (_, all) = scan_json(&[AUDIT]);
    let (code, window) = scan_json(&["--since", "2024-05-10", "--until", "2024-05-20", AUDIT]);
    assert_eq!(code, 1);
    let inside = |f: &&Value| {
        f["event_time"]
            .as_str()
            .is_some_and(|t| ("2024-05-10".."2024-05-20").contains(&t))
    };
    let expected: Vec<&Value> = findings(&all).iter().filter(inside).collect();
    assert!(!expected.is_empty() && expected.len() < findings(&all).len());
    assert_eq!(findings(&window).iter().collect::<Vec<_>>(), expected);
    let scope = &window["summary"]["scope"];
    assert_eq!(scope["since"], "2024-05-10T00:00:00Z");
    assert_eq!(scope["until"], "2024-05-20T00:00:00Z");
    assert_eq!(scope["undated"], 2, "the export without usable eventTimes");
    let total = |doc: &Value| doc["summary"]["events"].as_u64().unwrap();
    assert_eq!(
        total(&window) + scope["out_of_scope"].as_u64().unwrap() + 2,
        total(&all),
        "every event is evaluated or counted out of scope"
    );
    assert!(all["summary"].get("scope").is_none(), "no filter, no scope");
}

#[test]
fn relative_times_count_back_from_now() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let terminal = trailgate::cli::Terminal {
        now: trailgate::time::parse_rfc3339("2024-06-01T00:00:00Z"),
        ..Default::default()
    };
    let code = trailgate::cli::run(
        [
            "trailgate",
            "scan",
            "--format",
            "json",
            "--since",
            "20d",
            AUDIT,
        ],
        &mut out,
        &mut err,
        terminal,
    );
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&err));
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["summary"]["scope"]["since"], "2024-05-12T00:00:00Z");
    assert_eq!(doc["summary"]["scope"]["until"], Value::Null);
    assert!(findings(&doc)
        .iter()
        .all(|f| f["event_time"].as_str().unwrap() >= "2024-05-12"));
}

#[test]
fn bad_times_are_usage_errors_before_scanning() {
    for (args, message) in [
        (
            &["--since", "yesterday"][..],
            "error: --since: `yesterday` is not a time",
        ),
        (
            &["--until", "2024-02-30"][..],
            "error: --until: `2024-02-30` is not a time",
        ),
        (
            &["--since", "2024-06-01", "--until", "2024-05-01"][..],
            "error: --since 2024-06-01T00:00:00Z is not before --until 2024-05-01T00:00:00Z",
        ),
    ] {
        let mut all = vec!["scan"];
        all.extend_from_slice(args);
        all.push(AUDIT);
        let run = trailgate(&all);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stdout.is_empty());
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("nothing was scanned"));
    }
}

#[test]
fn account_and_region_filters() {
    let (_, all) = scan_json(&[AUDIT]);
    let (_, some) = scan_json(&[
        "--account",
        "444455556666,777788889999",
        "--region",
        "eu-west-1",
        AUDIT,
    ]);
    let expected: Vec<&Value> = findings(&all)
        .iter()
        .filter(|f| f["account"] != "111122223333" && f["region"] == "eu-west-1")
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(findings(&some).iter().collect::<Vec<_>>(), expected);
    let scope = &some["summary"]["scope"];
    assert_eq!(
        scope["accounts"],
        serde_json::json!(["444455556666", "777788889999"])
    );
    assert_eq!(scope["regions"], serde_json::json!(["eu-west-1"]));
    assert_eq!(
        scope["undated"], 0,
        "no time window: undated events are in scope"
    );
    let (_, none) = scan_json(&["--account", "000000000000", AUDIT]);
    assert_eq!(none["summary"]["events"], 0);
    assert_eq!(
        none["summary"]["scope"]["out_of_scope"],
        all["summary"]["events"]
    );
}

#[test]
fn csv_has_one_row_per_finding_and_no_formulas() {
    let (_, doc) = scan_json(&[AUDIT, HOSTILE]);
    let run = trailgate(&["scan", "--format", "csv", AUDIT, HOSTILE]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.ends_with("\r\n"));
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no raw terminal escapes in a CSV"
    );
    let rows = parse_csv(&run.stdout);
    let header = &rows[0];
    assert_eq!(
        header[..5],
        ["severity", "rule_id", "title", "message", "event_time"]
    );
    assert_eq!(rows.len(), findings(&doc).len() + 1);
    for (row, finding) in rows[1..].iter().zip(findings(&doc)) {
        assert_eq!(row.len(), header.len());
        let field = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
        assert_eq!(field("rule_id"), finding["rule_id"].as_str().unwrap());
        assert_eq!(field("record"), &finding["record"].to_string());
        assert_eq!(
            field("fingerprint"),
            finding["fingerprint"].as_str().unwrap()
        );
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would run: {cell}"
            );
        }
    }
    let hostile: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r.iter().any(|c| c.contains("HYPERLINK")))
        .collect();
    assert!(!hostile.is_empty());
    assert!(hostile[0].contains(&"'=HYPERLINK(\"http://evil.example\",\"click\")".to_string()));
    let root = rows
        .iter()
        .find(|r| r[1] == "autoscaling-root-launch-configuration" && r[3].contains("pwned=3"))
        .expect("the hostile root finding");
    assert!(
        root[10].starts_with("<script>window.__pwned=1"),
        "user agent kept as text"
    );
    assert!(root[10].contains("\\u{1b}[2J"));
}

#[test]
fn markdown_renders_as_tables_and_text_only() {
    // By default findings are grouped by event: every row of that table has its header's cells.
    let grouped = trailgate(&["scan", "--format", "markdown", AUDIT, HOSTILE]);
    assert_eq!(grouped.code, 1);
    assert!(grouped.stdout.contains("### Findings by event\n"));
    if let Some(html) = render_gfm(&grouped.stdout) {
        assert!(!html.contains("<script"), "raw HTML got through");
        let table = html.split("<h3>Findings by event</h3>").nth(1).unwrap();
        let table = &table[..table.find("</table>").unwrap()];
        assert!(table.split("<tr>").count() > 3, "{table}");
        for row in table.split("<tr>").skip(2) {
            assert_eq!(row.matches("<td").count(), 5, "{row}");
        }
    }
    // One finding after another (`--group-by none`).
    let run = trailgate(&[
        "scan",
        "--format",
        "markdown",
        "--group-by",
        "none",
        AUDIT,
        HOSTILE,
    ]);
    assert_eq!(run.code, 1);
    let md = run.stdout;
    assert!(md.starts_with("## trailgate audit report\n"));
    assert!(md.contains("| cis-aws-foundations-v3.0.0 | 1.7 | "));
    assert!(!md.contains('\u{1b}') && !md.contains('\u{202e}'));
    // Every table row has as many cells as its header.
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let cells = split_cells(line);
        match columns {
            None => columns = Some(cells),
            Some(n) => assert_eq!(cells, n, "{line}"),
        }
    }
    let Some(html) = render_gfm(&md) else {
        return;
    };
    assert!(!html.contains("<script"), "raw HTML got through");
    assert!(!html.contains("<img") && !html.contains("<svg") && !html.contains("<b>"));
    assert!(
        !html.contains("href=\"http://evil.example"),
        "a link got through"
    );
    assert!(html.contains("&lt;script&gt;window.__pwned=6&lt;/script&gt;"));
    let tables = html.matches("<table>").count();
    assert!(tables >= 8, "{tables} tables");
    // Every body row of the findings table has the seven cells of its header.
    let findings_table = html.split("<h3>Findings</h3>").nth(1).unwrap();
    let findings_table = &findings_table[..findings_table.find("</table>").unwrap()];
    for row in findings_table.split("<tr>").skip(2) {
        assert_eq!(row.matches("<td").count(), 7, "{row}");
    }
}

/// Cells of a GFM table row: unescaped pipes, outside code spans.
fn split_cells(line: &str) -> usize {
    let mut cells = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                continue;
            }
            '|' if !escaped => cells += 1,
            _ => {}
        }
        escaped = false;
    }
    cells - 1
}

/// A trail of `n` copies of a root launch configuration (four findings each), in `dir`.
fn big_trail(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let event =
        std::fs::read_to_string("fixtures/events/launch-configuration-root-failed.json").unwrap();
    let mut event: Value = serde_json::from_str(&event).unwrap();
    event.as_object_mut().unwrap().remove("errorCode");
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let mut e = event.clone();
            e["eventID"] = Value::String(format!("{i:08}-0000-4000-8000-000000000000"));
            e
        })
        .collect();
    let trail = dir.join("big.json");
    std::fs::write(
        &trail,
        serde_json::json!({ "Records": records }).to_string(),
    )
    .unwrap();
    trail
}

#[test]
fn markdown_stays_under_the_limit_and_says_where_the_rest_is() {
    let dir = tempfile::tempdir().unwrap();
    // 3,000 events with four findings each: 12,000 findings, far over GitHub's limits.
    let trail = big_trail(dir.path(), 3000);
    let html = dir.path().join("report.html");
    let (_, doc) = scan_json(&[trail.to_str().unwrap()]);
    // Grouped by event (the default), an item is an event; one after another, a finding.
    for (group_by, what, total) in [
        ("event", "more items are not listed", 3000),
        ("none", "more findings are not listed", findings(&doc).len()),
    ] {
        let run = trailgate(&[
            "scan",
            "--group-by",
            group_by,
            "-o",
            "markdown=-",
            "-o",
            &format!("html={}", html.display()),
            trail.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let md = run.stdout;
        assert!(
            md.len() <= trailgate::report::MAX_MARKDOWN_BYTES,
            "{}",
            md.len()
        );
        assert!(
            md.len() > trailgate::report::MAX_MARKDOWN_BYTES - 2_000,
            "uses the room"
        );
        let note = md
            .lines()
            .find(|l| l.contains("not listed"))
            .expect("says what is cut");
        assert!(note.contains(what), "{note}");
        assert!(
            note.contains(&format!("`{}` (html)", html.display())),
            "{note}"
        );
        let listed = md.lines().filter(|l| l.starts_with("| high | `")).count()
            + md.lines().filter(|l| l.starts_with("| medium | `")).count()
            + md.lines().filter(|l| l.starts_with("| low | `")).count();
        let left: usize = note
            .trim_start_matches("**")
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(listed + left, total, "{group_by}");
    }
}

#[test]
fn text_shows_control_characters_instead_of_sending_them() {
    let run = trailgate(&["scan", "--color", "never", HOSTILE]);
    assert_eq!(run.code, 1);
    assert!(!run
        .stdout
        .chars()
        .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'));
    assert!(run.stdout.contains("<b>bold</b>\\u{1b}[1mBOLD\\u{1b}[0m"));
}

#[test]
fn html_is_self_contained_escaped_and_reproducible() {
    let run = trailgate(&["scan", "--format", "html", "-j", "1", AUDIT, HOSTILE]);
    assert_eq!(run.code, 1);
    let html = run.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // Every tag (outside the style and script elements) is well formed, with double-quoted
    // attributes, and none loads anything (src) or handles an event (on...).
    let outside_code = regex::Regex::new(r"(?s)<(script|style)[^>]*>.*?</(script|style)>")
        .unwrap()
        .replace_all(&html, "");
    let tag = regex::Regex::new(
        r#"<[a-zA-Z][a-zA-Z0-9]*((?:\s+[a-zA-Z][a-zA-Z0-9-]*(?:="[^"<>]*")?)*)\s*/?>"#,
    )
    .unwrap();
    let attribute = regex::Regex::new(r#"\s([a-zA-Z][a-zA-Z0-9-]*)(?:="[^"]*")?"#).unwrap();
    let mut tags = 0;
    for found in tag.captures_iter(&outside_code) {
        tags += 1;
        for name in attribute.captures_iter(&found[1]) {
            let name = name[1].to_ascii_lowercase();
            assert!(name != "src" && !name.starts_with("on"), "{}", &found[0]);
        }
    }
    let openings = regex::Regex::new(r"<[a-zA-Z]").unwrap();
    assert_eq!(
        openings.find_iter(&outside_code).count(),
        tags,
        "a tag that is not well formed"
    );
    assert!(tags > 500);
    assert_eq!(
        html.matches(" href=\"").count(),
        html.matches(" href=\"#").count()
    );
    assert!(!html.contains("url("));
    // The hostile values are text: no tag or handler from them survives, in the page or its data.
    assert!(!html.contains("<script>window.__pwned"));
    assert!(!html.contains("<img") && !html.contains("<svg onload"));
    assert!(html.contains("&lt;script&gt;window.__pwned=6&lt;/script&gt;"));
    assert_eq!(html.matches("<script").count(), 2, "the data and the code");
    assert!(!html.contains('\u{1b}'));
    let again = trailgate(&["scan", "--format", "html", "-j", "2", AUDIT, HOSTILE]);
    assert_eq!(again.stdout, html, "byte-identical across thread counts");
}

#[test]
fn every_reader_format_says_the_same_numbers() {
    let (_, doc) = scan_json(&[AUDIT]);
    let summary = &doc["summary"];
    let md = trailgate(&["scan", "--format", "markdown", AUDIT]).stdout;
    assert!(md.contains(&format!("**{} findings** (", summary["findings"])));
    assert!(md.contains(&format!("| Events | {} evaluated |", summary["events"])));
    let html = trailgate(&["scan", "--format", "html", AUDIT]).stdout;
    assert!(html.contains(&format!(
        "<span data-count=\"findings\">{}</span>",
        summary["findings"]
    )));
    let by_severity: BTreeMap<String, u64> =
        serde_json::from_value(summary["findings_by_severity"].clone()).unwrap();
    for (severity, n) in by_severity {
        assert!(md.contains(&format!("| {severity} | {n} |")), "{severity}");
        assert!(html.contains(&format!("data-severity=\"{severity}\">{n}</span>")));
    }
}

#[test]
fn no_progress_bar_without_a_terminal() {
    let run = trailgate(&["scan", "-o", "json=-", AUDIT]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// Runs `command` with standard output and error on a pseudo-terminal (24 x 120), made by
/// Python's standard library, and returns what the terminal received. `None` when python3 is
/// missing (a failure under `CI=true`).
fn in_terminal(command: &str) -> Option<String> {
    const PTY: &str = r#"
import fcntl, os, struct, subprocess, sys, termios
master, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
child = subprocess.Popen(["sh", "-c", sys.argv[1]], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
os.close(slave)
screen = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    screen += chunk
sys.stdout.buffer.write(screen)
sys.exit(child.wait())
"#;
    let output = match std::process::Command::new("python3")
        .args(["-c", PTY, command])
        .env_remove("NO_COLOR")
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !ci,
                "python3 is needed to test the progress bar in a terminal"
            );
            eprintln!("SKIPPED: python3 not found, progress bar not tested in a terminal");
            return None;
        }
        Err(err) => panic!("cannot run python3: {err}"),
    };
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn a_slow_scan_shows_progress_on_a_terminal_and_quiet_silences_it() {
    let bin = env!("CARGO_BIN_EXE_trailgate");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    // Standard input that arrives late keeps the scan running past the bar's delay (a small
    // rule set, so that loading rules does not eat the wait).
    let command = |quiet: &str| {
        format!(
            "sh -c 'sleep 3; cat fixtures/events/launch-template-compliant.json' | {bin} scan --rules rules/aws/autoscaling {quiet} -o json={} -",
            out.display()
        )
    };
    let Some(screen) = in_terminal(&command("")) else {
        return;
    };
    assert!(screen.contains("0/1 files, 0 events"), "{screen:?}");
    assert!(screen.contains("ETA -:--"), "{screen:?}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["summary"]["events"], 1, "the report is unaffected");
    let quiet = in_terminal(&command("--quiet")).unwrap();
    assert!(!quiet.contains("files"), "{quiet:?}");
}

#[test]
fn the_text_summary_states_the_window() {
    let run = trailgate(&[
        "scan",
        "--since",
        "2024-05-25",
        "--until",
        "2024-06-01",
        "--account",
        "444455556666",
        AUDIT,
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(
        "  scope: from 2024-05-25T00:00:00Z to 2024-06-01T00:00:00Z (exclusive); account 444455556666; all regions; 291 events outside it (2 without a usable eventTime)\n"
    ), "{}", run.stdout);
    let all = trailgate(&["scan", AUDIT]);
    assert!(!all.stdout.contains("scope:"), "said only when filtered");
}

#[test]
fn the_html_findings_table_is_capped_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let trail = big_trail(dir.path(), 5100);
    let run = trailgate(&["scan", "--format", "html", trail.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let total = 4 * 5100;
    assert!(run.stdout.contains(&format!(
        "The table holds the first {} of {total} findings",
        trailgate::report::MAX_HTML_FINDINGS
    )));
    assert!(run
        .stdout
        .contains(&format!("<span data-count=\"findings\">{total}</span>")));
    let data = run.stdout.split("id=\"trailgate-data\">").nth(1).unwrap();
    let data: Value = serde_json::from_str(&data[..data.find("</script>").unwrap()]).unwrap();
    assert_eq!(
        data["findings"].as_array().unwrap().len(),
        trailgate::report::MAX_HTML_FINDINGS
    );
}
