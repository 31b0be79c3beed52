//! .pre-commit-hooks.yaml with the `pre-commit` package from PyPI, in a temporary repository:
//! the hooks check rule files and fail on a bad one with its file:line:column. The `-system`
//! hooks are run (against the trailgate built for these tests); the `language: rust` hooks would
//! build trailgate again with `cargo install`, so they are checked to run the same commands.
//! Without pre-commit the test is skipped loudly, and fails under CI=true (.ci/run installs it).

mod common;

use std::path::Path;
use std::process::{Command, Output};

const GOOD_RULE: &str = "id: team-bucket-deleted
title: Bucket deleted
severity: medium
events:
  eventSource: s3.amazonaws.com
  eventName: DeleteBucket
tests:
- name: deleted
  expect: finding
  event: {eventSource: s3.amazonaws.com, eventName: DeleteBucket}
- name: created
  expect: none
  event: {eventSource: s3.amazonaws.com, eventName: CreateBucket}
";

fn pre_commit_available() -> bool {
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !common::in_ci(),
            "pre-commit is not installed: CI must run the pre-commit hook test (pip install pre-commit)"
        );
        eprintln!("SKIPPED: pre-commit is not installed (pip install pre-commit)");
    }
    found
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn hook_ids() -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_string(),
                h["entry"].as_str().unwrap().to_string(),
                h["language"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn rust_hooks_run_what_the_system_hooks_run() {
    let hooks = hook_ids();
    for (id, entry, language) in hooks.iter().filter(|h| h.2 == "rust") {
        let system = hooks
            .iter()
            .find(|h| h.0 == format!("{id}-system"))
            .unwrap_or_else(|| panic!("{id} has no -system variant"));
        assert_eq!(&system.1, entry);
        assert_eq!(system.2, "system");
        assert_eq!(language, "rust");
    }
    assert!(hooks.iter().any(|h| h.1 == "trailgate rules validate"));
    assert!(hooks.iter().any(|h| h.1 == "trailgate rules test"));
}

fn run_hooks(repo: &Path, home: &Path) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_trailgate")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("pre-commit")
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(repo)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home)
        .env_remove("GIT_DIR")
        .output()
        .expect("pre-commit runs")
}

#[test]
fn hooks_pass_good_rules_and_fail_bad_ones_in_a_repository() {
    if !pre_commit_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // The hook repository: this repository's manifest, committed.
    let hooks = work.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = String::from_utf8(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(&hooks)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();

    // A team's repository with rules under rules/ and a YAML file that is not a rule.
    let repo = work.path().join("repo");
    std::fs::create_dir_all(repo.join("rules")).unwrap();
    std::fs::create_dir_all(repo.join(".github")).unwrap();
    std::fs::write(repo.join("rules/bucket.yaml"), GOOD_RULE).unwrap();
    std::fs::write(repo.join(".github/ci.yml"), "not: [a, rule]\n").unwrap();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {}\n  hooks:\n  - id: trailgate-rules-validate-system\n  - id: trailgate-rules-test-system\n",
            hooks.display(),
            rev.trim()
        ),
    )
    .unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    let home = work.path().join("pre-commit-home");

    let run = run_hooks(&repo, &home);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        out.contains("trailgate rules validate") && out.contains("Passed"),
        "{out}"
    );

    // A typo in a key: the validate hook fails and names the place.
    std::fs::write(
        repo.join("rules/bucket.yaml"),
        GOOD_RULE.replace("severity:", "severty:"),
    )
    .unwrap();
    git(&repo, &["add", "."]);
    let run = run_hooks(&repo, &home);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success(), "{out}");
    assert!(out.contains("rules/bucket.yaml:3:1"), "{out}");
    assert!(out.contains("did you mean `severity`?"), "{out}");

    // A test case that fails: the test hook fails.
    std::fs::write(
        repo.join("rules/bucket.yaml"),
        GOOD_RULE.replace("expect: none", "expect: finding"),
    )
    .unwrap();
    git(&repo, &["add", "."]);
    let run = run_hooks(&repo, &home);
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(!run.status.success(), "{out}");
    assert!(
        out.contains("trailgate rules test") && out.contains("Failed"),
        "{out}"
    );
    assert!(out.contains("created"), "names the failing case: {out}");
}
