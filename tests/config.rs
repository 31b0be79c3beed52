//! trailgate.toml end to end: a repository with the file runs its scan without flags, flags on
//! the command line win, suppressions take findings out with a count, expire and are reported
//! unused, and mistakes name the file, line and column.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(common::SEED_FILE)
}

/// A repository (a `.git` directory) with `trailgate.toml` holding `config`.
fn repository(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("trailgate.toml"), config).unwrap();
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_trailgate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn rule_ids(run: &Run) -> Vec<String> {
    let document: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    common::rule_ids(&document)
}

#[test]
fn a_repository_with_the_file_scans_without_flags_from_any_directory() {
    let config = format!(
        "paths = {:?}\nformat = \"json\"\npack = \"aws/autoscaling\"\nfail-on = \"never\"\n",
        seed().display().to_string()
    );
    let repo = repository(&config);
    for dir in [repo.path().to_path_buf(), repo.path().join("sub")] {
        let run = run_in(&dir, &["scan"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let ids = rule_ids(&run);
        assert_eq!(ids.len(), 4, "{ids:?}");
        assert!(
            ids.iter().all(|id| id.starts_with("autoscaling-")),
            "{ids:?}"
        );
    }
    // Flags win; --no-config reads nothing.
    let run = run_in(repo.path(), &["scan", "--pack", "aws/cis"]);
    assert!(rule_ids(&run).iter().all(|id| id.starts_with("cis-")));
    let run = run_in(repo.path(), &["scan", "--no-config"]);
    assert_eq!(run.code, 2, "no paths without the file");
    assert!(run.stderr.contains("no paths to scan"), "{}", run.stderr);
    let show = run_in(
        repo.path().join("sub").as_path(),
        &["config", "show", "--fail-on", "high"],
    );
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout
            .starts_with("configuration: ../trailgate.toml\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .contains("pack             [\"aws/autoscaling\"]"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .lines()
            .any(|l| l.starts_with("fail-on") && l.ends_with("command line")),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .lines()
            .any(|l| l.starts_with("pack") && l.ends_with("../trailgate.toml:3:8")),
        "{}",
        show.stdout
    );
}

#[test]
fn suppressions_apply_count_expire_and_report_unused() {
    let config = format!(
        r#"paths = {:?}
format = "json"
pack = "aws/autoscaling"
fail-on = "never"

[[suppress]]
rule = "autoscaling-launch-configuration-*"
account = "123456789012"
reason = "launch configurations are being retired"
expires = 2999-12-31

[[suppress]]
rule = "autoscaling-root-*"
reason = "old exception"
expires = 2001-01-01

[[suppress]]
rule = "autoscaling-launch-template-*"
reason = "nothing matches this"
"#,
        seed().display().to_string()
    );
    let repo = repository(&config);
    let run = run_in(repo.path(), &["scan"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        rule_ids(&run),
        ["autoscaling-root-launch-configuration"],
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("suppressed: 3 findings of rule autoscaling-launch-configuration-* (trailgate.toml:6): launch configurations are being retired"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: trailgate.toml:12: the suppression of rule autoscaling-root-* expired after 2001-01-01"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: trailgate.toml:17: the suppression of rule autoscaling-launch-template-* matched no finding (unused)"), "{}", run.stderr);
    let run = run_in(repo.path(), &["scan", "--fail-on-expired"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run
        .stderr
        .contains("error: a suppression has expired (--fail-on-expired)"));
}

#[test]
fn mistakes_name_the_file_line_and_column() {
    let repo = repository("pack = \"aws\"\nfial-on = \"high\"\n");
    let run = run_in(repo.path(), &["scan", "x"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: trailgate.toml:2:1: `fial-on`: unknown key `fial-on`\n  help: did you mean `fail-on`?\n1 error in trailgate.toml; nothing was scanned\n"
    );
}
