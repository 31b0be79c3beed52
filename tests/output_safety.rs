//! Values from the trail cannot forge or break output: they are never interpreted as format
//! strings or markup, terminal control sequences are shown escaped in text, and every format
//! stays well-formed and keeps the value. One hostile event, every format.

mod common;

use common::trailgate;
use serde_json::{json, Value};

/// Values an attacker who can make an API call chooses (userAgent, request parameters).
const HOSTILE: [&str; 12] = [
    "\u{1b}[2J\u{1b}[31mred\u{1b}]8;;http://evil.example/\u{7}link\u{1b}]8;;\u{7}",
    "csi\u{9b}31m",
    "bidi \u{202e}evil\u{202c} \u{2066}iso\u{2069}",
    "%s%n%x %d {} {0} {:?} {{}} $(id) `id`",
    "</script><script>alert(1)</script><!--",
    "]]><![CDATA[x]]><?xml version=\"1.0\"?>&amp;&#0;",
    "nul\u{0}vt\u{b}ff\u{c}bs\u{8}del\u{7f}",
    "line\r\nerror: forged report line\n",
    "noncharacters \u{fffe}\u{ffff} and \u{fdd0}",
    "=cmd|' /C calc'!A0",
    "| table | break |\n\n# heading\n[link](javascript:alert(1))",
    "\"quoted\" 'single' \\backslash\\",
];

fn hostile_files() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, value)| {
            json!({
                "eventVersion": "1.09",
                "eventSource": "ec2.amazonaws.com",
                "eventName": "RunInstances",
                "eventTime": "2024-05-01T00:00:00Z",
                "eventID": format!("id-{i}-{value}"),
                "awsRegion": "us-east-1",
                "recipientAccountId": "123456789012",
                "sourceIPAddress": value,
                "userAgent": value,
                "userIdentity": {"type": "IAMUser", "arn": value},
                "requestParameters": {"instanceType": value},
            })
        })
        .collect();
    let trail = dir.path().join("hostile.json");
    // A lone surrogate is not valid JSON text: that record is an error, the rest is read.
    let mut text = json!({ "Records": records }).to_string();
    text.insert_str(
        text.len() - 2,
        r#",{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","userAgent":"\ud800"}"#,
    );
    std::fs::write(&trail, text).unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("echo.yaml"),
        "id: echo\ntitle: 'Echo %s {}'\nseverity: high\nevents:\n  eventName: RunInstances\ncondition:\n  path: $.userAgent\n  exists: true\nmessage: '{userAgent} from {sourceIPAddress} as {userIdentity.arn}: {requestParameters.instanceType}'\n",
    )
    .unwrap();
    let (trail, rules) = (
        trail.to_str().unwrap().to_string(),
        rules.to_str().unwrap().to_string(),
    );
    (dir, trail, rules)
}

fn scan(format: &str) -> String {
    let (_dir, trail, rules) = hostile_files();
    let run = trailgate(&["scan", "--rules", &rules, "--format", format, &trail]);
    assert_eq!(run.code, 3, "findings and one bad record: {}", run.stderr);
    run.stdout
}

/// No control character but line breaks (and CR LF in CSV) reaches the output unescaped.
fn assert_no_raw_controls(format: &str, output: &str) {
    for (i, c) in output.char_indices() {
        let allowed =
            c == '\n' || (format == "csv" && c == '\r' && output[i..].starts_with("\r\n"));
        let control = matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(
            allowed || !control,
            "{format}: raw {c:?} at byte {i}: {:?}",
            &output[i.saturating_sub(40)..(i + 40).min(output.len())]
        );
    }
}

#[test]
fn json_and_json_lines_keep_every_value_exactly() {
    let json_doc: Value = serde_json::from_str(&scan("json")).unwrap();
    let jsonl: Vec<Value> = scan("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let from_lines: Vec<&Value> = jsonl.iter().filter(|v| v["type"] == "finding").collect();
    let findings = json_doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), HOSTILE.len());
    assert_eq!(from_lines.len(), HOSTILE.len());
    for (finding, value) in findings.iter().zip(HOSTILE) {
        // Not interpreted: the message is the template filled with the raw values.
        assert_eq!(
            finding["message"],
            format!("{value} from {value} as {value}: {value}"),
            "{finding:#}"
        );
        assert_eq!(finding["title"], "Echo %s {}");
        assert_eq!(finding["evidence"][0]["value"], value);
    }
    // The record with a lone surrogate is a record in error; the others were read.
    let error = &json_doc["errors"][0];
    assert_eq!(error["record"], HOSTILE.len(), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON"),
        "{error}"
    );
}

#[test]
fn text_shows_control_characters_escaped() {
    let text = scan("text");
    assert_no_raw_controls("text", &text);
    assert!(text.contains("\\u{1b}[2J"), "{text}");
    assert!(text.contains("\\u{202e}evil"), "{text}");
    assert!(text.contains("%s%n%x %d {} {0} {:?} {{}}"), "{text}");
    // The forged line stays inside its finding: no line starts with it.
    assert!(
        !text.lines().any(|l| l.starts_with("error: forged")),
        "{text}"
    );
}

#[test]
fn sarif_is_valid_and_keeps_the_values() {
    let sarif: Value = serde_json::from_str(&scan("sarif")).unwrap();
    common::assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), HOSTILE.len());
    for (result, value) in results.iter().zip(HOSTILE) {
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .contains(value.trim_end()),
            "{result:#}"
        );
    }
}

#[test]
fn junit_is_valid_xml() {
    let dir = tempfile::tempdir().unwrap();
    let xml = scan("junit");
    assert_no_raw_controls("junit", &xml);
    assert!(!xml.contains("<script>"), "{xml}");
    assert!(!xml.contains("<![CDATA[x"), "{xml}");
    let file = dir.path().join("report.xml");
    std::fs::write(&file, &xml).unwrap();
    common::assert_valid_junit(&file);
}

#[test]
fn html_and_markdown_hold_no_markup_from_the_trail() {
    let html = scan("html");
    assert_no_raw_controls("html", &html);
    for raw in ["<script>alert(1)", "<!--", "<![CDATA[", "<?xml"] {
        assert!(!html.contains(raw), "HTML holds {raw}");
    }
    let markdown = scan("markdown");
    assert_no_raw_controls("markdown", &markdown);
    // Raw `<script>` may stand in a code span; what counts is what GitHub renders.
    assert!(!markdown.contains("\n# heading"), "{markdown}");
    if let Some(rendered) = common::render_gfm(&markdown) {
        assert!(!rendered.contains("<script>"), "{rendered}");
        assert!(!rendered.contains("href=\"javascript:"), "{rendered}");
        assert!(!rendered.contains("<h1>heading"), "{rendered}");
    }
}

#[test]
fn csv_neither_breaks_rows_nor_starts_formulas() {
    let csv = scan("csv");
    assert_no_raw_controls("csv", &csv);
    // The header and one row per finding: no value added a row.
    assert_eq!(csv.matches("\r\n").count(), 1 + HOSTILE.len(), "{csv}");
    assert!(!csv.contains(",=cmd") && !csv.contains(",\"=cmd"), "{csv}");
}

/// The people's sections of issue 20 with the same hostile values: findings grouped by event,
/// rule and principal (text, HTML, Markdown), the principals section and report (HTML,
/// Markdown, CSV, JSON), account names from a file.
#[test]
fn grouped_findings_and_the_principals_summary_hold_no_markup_from_the_trail() {
    let (dir, trail, rules) = hostile_files();
    let accounts = dir.path().join("accounts.csv");
    // A name is a value too: quoted, with markup and a formula in it.
    std::fs::write(
        &accounts,
        "123456789012,\"=cmd <script>alert(1)</script> | x |\"\n",
    )
    .unwrap();
    let accounts = accounts.to_str().unwrap();
    for by in ["event", "rule", "principal"] {
        let principals = dir.path().join(format!("principals-{by}.csv"));
        let principals_json = dir.path().join(format!("principals-{by}.json"));
        let html = dir.path().join(format!("report-{by}.html"));
        let run = trailgate(&[
            "scan",
            "--rules",
            &rules,
            "--accounts",
            accounts,
            "--group-by",
            by,
            "-o",
            "markdown=-",
            "-o",
            &format!("html={}", html.display()),
            "-o",
            &format!("principals={}", principals.display()),
            "-o",
            &format!("principals-json={}", principals_json.display()),
            &trail,
        ]);
        assert_eq!(run.code, 3, "{}", run.stderr);
        let markdown = run.stdout;
        assert!(markdown.contains("### Principals"), "{markdown}");
        assert_no_raw_controls("markdown", &markdown);
        assert!(!markdown.contains("\n# heading"), "{markdown}");
        if let Some(rendered) = common::render_gfm(&markdown) {
            assert!(!rendered.contains("<script>"), "{rendered}");
            assert!(!rendered.contains("href=\"javascript:"), "{rendered}");
            assert!(!rendered.contains("<h1>heading"), "{rendered}");
        }
        let html = std::fs::read_to_string(&html).unwrap();
        assert_no_raw_controls("html", &html);
        for raw in ["<script>alert(1)", "<!--", "<![CDATA[", "<?xml"] {
            assert!(!html.contains(raw), "HTML grouped by {by} holds {raw}");
        }
        let csv = std::fs::read_to_string(&principals).unwrap();
        assert_no_raw_controls("csv", &csv);
        // A header and one row per principal: no value added a row. Each hostile ARN is one
        // principal (the bad record has no principal and is not an event).
        assert_eq!(csv.matches("\r\n").count(), 1 + HOSTILE.len(), "{csv}");
        assert!(!csv.contains(",=cmd") && !csv.contains(",\"=cmd"), "{csv}");
        let document: Value =
            serde_json::from_str(&std::fs::read_to_string(&principals_json).unwrap()).unwrap();
        let arns: Vec<&str> = document["principals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["principal"].as_str().unwrap())
            .collect();
        for value in HOSTILE {
            assert!(
                arns.contains(&value),
                "the value is kept as it was: {value:?}"
            );
        }
        let junit = trailgate(&[
            "scan",
            "--rules",
            &rules,
            "--accounts",
            accounts,
            "--format",
            "junit",
            &trail,
        ]);
        assert!(
            junit.stdout.contains("(=cmd &lt;script&gt;"),
            "{}",
            junit.stdout
        );
        let file = dir.path().join(format!("junit-{by}.xml"));
        std::fs::write(&file, &junit.stdout).unwrap();
        common::assert_valid_junit(&file);
        let text = trailgate(&[
            "scan",
            "--rules",
            &rules,
            "--accounts",
            accounts,
            "--group-by",
            by,
            &trail,
        ]);
        assert_no_raw_controls("text", &text.stdout);
        assert!(!text.stdout.contains("\nerror: forged"), "{}", text.stdout);
    }
}
