//! `--format junit`: valid against the Jenkins xUnit schema (xmllint), one test case per rule,
//! failures listing every finding, unreadable inputs as errors, right counts, whole milliseconds.

mod common;

use std::path::Path;

use common::{assert_valid_junit, trailgate};

/// Runs a JUnit scan into a file, validates it and returns the exit code and the XML.
fn junit(dir: &Path, args: &[&str]) -> (i32, String) {
    let file = dir.join("report.xml");
    let output = format!("junit={}", file.display());
    // The built-in Auto Scaling pack only, so that other built-in packs do not change the
    // counts below.
    let mut all = vec!["scan", "-o", &output];
    if !args.contains(&"--rules") {
        all.extend(["--pack", "aws/autoscaling"]);
    }
    all.extend_from_slice(args);
    let run = trailgate(&all);
    assert!(
        run.stdout.is_empty(),
        "the report went to a file: {}",
        run.stdout
    );
    assert_valid_junit(&file);
    (run.code, std::fs::read_to_string(file).unwrap())
}

/// The value of `name="..."` in the first tag that starts with `tag`.
fn attribute(xml: &str, tag: &str, name: &str) -> String {
    let start = xml
        .find(tag)
        .unwrap_or_else(|| panic!("no {tag} in\n{xml}"));
    let rest = &xml[start..];
    let rest = &rest[..rest.find('>').unwrap()];
    let key = format!(" {name}=\"");
    let at = rest
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {rest}"))
        + key.len();
    rest[at..at + rest[at..].find('"').unwrap()].to_string()
}

#[test]
fn fixtures_with_findings_and_unreadable_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (code, xml) = junit(dir.path(), &["fixtures"]);
    assert_eq!(code, 3);
    // 9 rules, 7 unreadable files.
    assert_eq!(xml.matches("<testcase ").count(), 16);
    assert_eq!(attribute(&xml, "<testsuites", "tests"), "16");
    // Rules with findings fail; each failure lists every finding of the rule, one per line.
    let failures = xml.matches("<failure ").count();
    assert_eq!(failures, 9);
    assert_eq!(
        attribute(&xml, "<testsuites", "failures"),
        failures.to_string()
    );
    assert_eq!(attribute(&xml, "<testsuites", "errors"), "7");
    assert_eq!(xml.matches("<error ").count(), 7);
    let time = attribute(&xml, "<testsuites", "time");
    let (_, millis) = time.split_once('.').unwrap();
    assert_eq!(millis.len(), 3, "whole milliseconds: {time}");

    let root = r#"<testcase name="autoscaling-root-launch-configuration: Launch configuration created by the root user" classname="aws.autoscaling">"#;
    let case = &xml[xml
        .find(root)
        .expect("name from id and title, classname from pack")..];
    let case = &case[..case.find("</testcase>").unwrap()];
    assert_eq!(
        attribute(case, "<failure", "message"),
        "5 findings: Launch configuration created by the root user"
    );
    assert_eq!(attribute(case, "<failure", "type"), "high");
    assert!(case.contains("fixtures/bad/record-not-object.json record 1: The root user created launch configuration launch_configuration_1 from 192.0.2.0. [eventID 11111111-2222-4333-8444-555555555555]\n"), "{case}");
    assert!(
        case.contains("fixtures/bad/bad-line.jsonl record 0 (line 1): "),
        "{case}"
    );
    // 4 in fixtures/bad and fixtures/trails, 1 in fixtures/hostile.
    assert_eq!(case.lines().filter(|l| l.contains(" record ")).count(), 5);

    let bad = &xml[xml
        .find(
            r#"<testcase name="fixtures/bad/record-not-object.json" classname="trailgate.inputs">"#,
        )
        .unwrap()..];
    let bad = &bad[..bad.find("</testcase>").unwrap()];
    assert!(bad.contains("fixtures/bad/record-not-object.json: record 0: not a CloudTrail event: the record is a number, not an object\nfixtures/bad/record-not-object.json: record 2: "), "{bad}");
}

#[test]
fn clean_and_empty_scans_pass_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    for input in [
        "fixtures/events/launch-template-compliant.json",
        "fixtures/empty/no-records.json",
    ] {
        let (code, xml) = junit(dir.path(), &[input]);
        assert_eq!(code, 0);
        assert_eq!(xml.matches("<testcase ").count(), 9, "{xml}");
        assert_eq!(attribute(&xml, "<testsuites", "failures"), "0");
        assert_eq!(attribute(&xml, "<testsuites", "errors"), "0");
        assert!(!xml.contains("<failure"));
    }
}

#[test]
fn hostile_event_text_stays_valid_xml() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("echo.yaml"),
        "id: echo\ntitle: 'Echo <&> \"quoted\"'\nseverity: info\nevents:\n  eventName: Echo\nmessage: 'said {requestParameters.text}'\n",
    )
    .unwrap();
    let trail = dir.path().join("trail.json");
    std::fs::write(
        &trail,
        r#"{"Records": [{"eventSource": "x.amazonaws.com", "eventName": "Echo", "eventID": "a]]>b", "requestParameters": {"text": "</failure><x>&amp; \u0001\u001b[31m\ud7ff\uffff line\nbreak"}}]}"#,
    )
    .unwrap();
    let (code, xml) = junit(
        dir.path(),
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--fail-on",
            "info",
            trail.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(xml.contains("said &lt;/failure&gt;&lt;x&gt;&amp;amp; \u{FFFD}\u{FFFD}[31m\u{D7FF}\u{FFFD} line break [eventID a]]&gt;b]"), "{xml}");
    assert!(
        xml.contains(r#"name="echo: Echo &lt;&amp;&gt; &quot;quoted&quot;""#),
        "{xml}"
    );
}
