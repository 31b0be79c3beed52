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

/// The seed event's four Auto Scaling findings, all suppressed (one suppression for three of
/// them, one for the fourth), and a third suppression that matches nothing.
const SUPPRESSING: &str = r#"pack = "aws/autoscaling"
fail-on = "low"

[[suppress]]
rule = "autoscaling-launch-configuration-*"
account = "123456789012"
reason = "launch configurations are being retired"
expires = 2999-12-31

[[suppress]]
rule = "autoscaling-root-launch-configuration"
reason = "the root user's launch configuration is a test <fixture> & known"

[[suppress]]
rule = "autoscaling-launch-template-*"
reason = "nothing matches this"
"#;

#[test]
fn suppressed_findings_show_in_every_format_and_never_fail_the_gate() {
    let repo = repository(SUPPRESSING);
    let seed = seed().display().to_string();
    let scan = |args: &[&str]| {
        let mut all = vec!["scan", seed.as_str()];
        all.extend_from_slice(args);
        run_in(repo.path(), &all)
    };

    // The same scan without the suppressions fails the gate on all four findings.
    let plain = run_in(
        repo.path(),
        &[
            "scan",
            "--no-config",
            "--pack",
            "aws/autoscaling",
            "--fail-on",
            "low",
            seed.as_str(),
        ],
    );
    assert_eq!(plain.code, 1, "{}", plain.stderr);

    // Text: the summary says what each suppression did; standard error does not repeat it.
    let text = scan(&[]);
    assert_eq!(
        text.code, 0,
        "suppressed findings fail no gate: {}",
        text.stdout
    );
    assert!(
        text.stdout.contains("Summary: no findings; 4 suppressed\n"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("\n  suppressed: 3 findings of rule autoscaling-launch-configuration-* (trailgate.toml:4, until 2999-12-31): launch configurations are being retired\n"), "{}", text.stdout);
    assert!(text.stdout.contains("\n  suppressed: 1 finding of rule autoscaling-root-launch-configuration (trailgate.toml:10): the root user's launch configuration is a test <fixture> & known\n"), "{}", text.stdout);
    assert!(text.stdout.contains("\n  warning: trailgate.toml:14: the suppression of rule autoscaling-launch-template-* matched no finding (unused)\n"), "{}", text.stdout);
    assert!(!text.stdout.contains("at or above"), "{}", text.stdout);
    assert_eq!(text.stderr, "", "the text report said it all");

    // JSON: no findings, and each suppression with its count and state.
    let json = scan(&["--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let document: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["findings"], serde_json::json!([]));
    let summary = &document["summary"];
    assert_eq!(summary["findings"], 0);
    assert_eq!(summary["findings_by_severity"]["high"], 0);
    let counts: Vec<(String, String, u64)> = summary["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["origin"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
                s["suppressed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("trailgate.toml:4".into(), "applied".into(), 3),
            ("trailgate.toml:10".into(), "applied".into(), 1),
            ("trailgate.toml:14".into(), "unused".into(), 0),
        ]
    );
    assert_eq!(summary["suppressions"][0]["expires"], "2999-12-31");
    assert!(
        json.stderr
            .contains("suppressed: 3 findings of rule autoscaling-launch-configuration-*"),
        "no text report on standard output: the log still says it: {}",
        json.stderr
    );

    // SARIF: every finding is a result, marked as an accepted external suppression with its
    // reason, and the document is valid SARIF 2.1.0.
    let sarif = scan(&["--format", "sarif"]);
    assert_eq!(sarif.code, 0, "{}", sarif.stderr);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    common::assert_valid_sarif(&log);
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "suppressed findings are kept as results");
    for result in results {
        let suppressions = result["suppressions"].as_array().unwrap();
        assert_eq!(suppressions.len(), 1, "{result}");
        assert_eq!(suppressions[0]["kind"], "external");
        assert_eq!(suppressions[0]["status"], "accepted");
        let (justification, line) = if result["ruleId"] == "autoscaling-root-launch-configuration" {
            (
                "the root user's launch configuration is a test <fixture> & known",
                10,
            )
        } else {
            ("launch configurations are being retired", 4)
        };
        assert_eq!(suppressions[0]["justification"], justification, "{result}");
        let at = &suppressions[0]["location"]["physicalLocation"];
        assert_eq!(at["artifactLocation"]["uri"], "trailgate.toml");
        assert_eq!(at["region"]["startLine"], line);
    }
    assert_eq!(run["properties"]["suppressions"][2]["state"], "unused");

    // JUnit: one skipped case per applied suppression; valid against the Jenkins schema.
    let junit = scan(&["-o", "junit=report.xml", "-o", "html=report.html"]);
    assert_eq!(junit.code, 0, "{}", junit.stderr);
    let xml = std::fs::read_to_string(repo.path().join("report.xml")).unwrap();
    assert!(
        xml.contains(
            r#"<testsuite name="suppressions" tests="3" failures="0" errors="0" skipped="2">"#
        ),
        "{xml}"
    );
    assert!(xml.contains(r#"<skipped type="suppressed" message="3 findings suppressed until 2999-12-31: launch configurations are being retired">"#), "{xml}");
    assert!(
        !xml.contains("<failure"),
        "suppressed findings fail no rule: {xml}"
    );
    common::assert_valid_junit(&repo.path().join("report.xml"));
    // HTML: the count in the header and a row per suppression.
    let html = std::fs::read_to_string(repo.path().join("report.html")).unwrap();
    assert!(
        html.contains(r#"<span data-count="suppressed_findings">4</span> suppressed"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<tr data-suppression="trailgate.toml:14" data-state="unused">"#),
        "{html}"
    );
    assert!(
        html.contains(
            "the root user&#39;s launch configuration is a test &lt;fixture&gt; &amp; known"
        ),
        "the reason is escaped"
    );

    // A SARIF report with suppressed results as a baseline: they were not accepted by it, so
    // without the suppressions they are new and fail the gate.
    std::fs::write(repo.path().join("baseline.sarif"), &sarif.stdout).unwrap();
    let compared = run_in(
        repo.path(),
        &[
            "scan",
            "--no-config",
            "--pack",
            "aws/autoscaling",
            "--baseline",
            "baseline.sarif",
            "--format",
            "json",
            seed.as_str(),
        ],
    );
    assert_eq!(compared.code, 1, "{}", compared.stderr);
    let document: Value = serde_json::from_str(&compared.stdout).unwrap();
    assert_eq!(document["summary"]["baseline"]["new"], 4);

    // JSON Lines carry the suppressions to `report --from`, which renders them again.
    let lines = scan(&["-o", "jsonl=scan.jsonl"]);
    assert_eq!(lines.code, 0, "{}", lines.stderr);
    let report = run_in(
        repo.path(),
        &[
            "report",
            "--from",
            "scan.jsonl",
            "--pack",
            "aws/autoscaling",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(report.code, 0, "{}", report.stderr);
    assert!(report.stdout.contains("| `trailgate.toml:4` | `autoscaling-launch-configuration-*` | launch configurations are being retired | 2999-12-31 | applied | 3 |"), "{}", report.stdout);
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
    // A pack no loaded rule has is found only once the rules are loaded: it still points at
    // the file's line and column, and the command line's value at the flag.
    let repo = repository(&format!(
        "paths = {:?}\nfail-on = \"never\"\n\npack = [\"aws/threats\", \"cis\"]\n",
        seed().display().to_string()
    ));
    let run = run_in(repo.path(), &["scan"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: trailgate.toml:4:8: `pack`: `cis` matches no loaded rule, so it would select nothing\n  help: did you mean `aws/cis`?\n"
        ),
        "{}",
        run.stderr
    );
    let run = run_in(repo.path(), &["scan", "--pack", "aws/cis", "--pack", "iam"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: --pack `iam` matches no loaded rule"),
        "{}",
        run.stderr
    );
}
