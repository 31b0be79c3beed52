//! Rule files are shared between teams: hostile or broken ones are rejected with a message naming
//! the file, within bounds of time and memory, and never crash the loader or the scan. (Non-UTF-8
//! rule files and a directory named like a rule file are covered in tests/scan.rs.)

mod common;

use common::{trailgate, SEED_FILE};

const HEAD: &str =
    "id: t\ntitle: T\nseverity: high\nevents:\n  eventSource: autoscaling.amazonaws.com\n";

/// Writes `text` as `name` in a new directory and runs `rules validate` on it.
fn validate(name: &str, text: impl AsRef<[u8]>) -> (common::Run, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    (trailgate(&["rules", "validate", &path]), path)
}

fn assert_rejected(name: &str, text: impl AsRef<[u8]>, expected: &str) {
    let (run, path) = validate(name, text);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&path) && run.stderr.contains(expected),
        "expected {path} and {expected:?} in:\n{}",
        run.stderr
    );
}

#[test]
fn a_yaml_alias_bomb() {
    // Nine levels of ten aliases in a test case's event (which takes any value): a billion
    // strings if expanded.
    let mut text = format!("{HEAD}condition: {{path: $.a, exists: true}}\ntests:\n- name: bomb\n  expect: finding\n  event:\n    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("    a{i}: &a{i} [{refs}]\n"));
    }
    assert_rejected(
        "bomb.yaml",
        text,
        "the YAML exceeds the loader's limits against oversized or alias-bomb documents",
    );
}

#[test]
fn a_huge_regex_hits_the_regex_size_limit() {
    assert_rejected(
        "regex.yaml",
        format!("{HEAD}condition:\n  path: $.userAgent\n  regex: '(\\w{{100}}){{100}}'\n"),
        "invalid regex: the compiled regex is larger than the 1 MiB limit; use fewer or smaller repetitions",
    );
}

#[test]
fn ten_thousand_conditions_compile_and_evaluate() {
    // 9,999 conditions that never hold, then one that does: every one is evaluated.
    let mut text = format!("{HEAD}condition:\n  any:\n");
    for i in 0..9_999 {
        text.push_str(&format!(
            "  - {{path: $.requestParameters.x{i}, exists: true}}\n"
        ));
    }
    text.push_str("  - {path: $.eventName, equals: CreateLaunchConfiguration}\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.yaml"), text).unwrap();
    let (code, doc) = common::scan_json(&["--rules", dir.path().to_str().unwrap(), SEED_FILE]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn deep_nesting_in_yaml_and_in_a_sigma_condition() {
    assert_rejected(
        "deep.yaml",
        format!(
            "{HEAD}condition: {{path: $.a, exists: true}}\ntests:\n- name: deep\n  expect: finding\n  event: {{a: {}{}}}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        "the YAML is nested too deeply (more than 64 levels)",
    );
    let condition = format!("{}selection", "not ".repeat(100_000));
    assert_rejected(
        "deep-sigma.yml",
        format!(
            "title: Deep\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  selection:\n    eventName: X\n  condition: {condition}\n"
        ),
        "the condition nests `(` and `not` more than 64 levels deep",
    );
}

#[test]
fn a_rule_path_that_never_ends_is_bounded() {
    let run = trailgate(&["rules", "validate", "/dev/zero"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("/dev/zero: the rule file is larger than 16777216 bytes"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_rule_path_that_is_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = trailgate(&["scan", "--rules", dir.path().to_str().unwrap(), SEED_FILE]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no rule files (*.yaml, *.yml) in this directory"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing is scanned: {}", run.stdout);
}

/// One snapshot of each rendered rule error (the ruff way): every file or directory in
/// `fixtures/bad-rules/` holds one mistake, and `rules validate` must reject it with exactly the
/// snapshotted message, naming the file, line and column. A new kind of error gets a fixture;
/// a changed message shows up as a snapshot diff.
#[test]
fn every_rule_error_renders_as_snapshotted() {
    let dir = std::path::Path::new("fixtures/bad-rules");
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "{cases:?}");
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    settings.set_snapshot_path("snapshots/bad-rules");
    settings.bind(|| {
        for path in cases {
            let name = path.file_stem().unwrap().to_str().unwrap().to_string();
            let run = trailgate(&["rules", "validate", path.to_str().unwrap()]);
            assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
            assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
            insta::assert_snapshot!(name, run.stderr);
        }
    });
}
