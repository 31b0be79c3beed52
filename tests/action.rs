//! The GitHub Action's shell part (scripts/action.sh, run by action.yml) against the real binary,
//! with the files GitHub Actions hands a step faked in a temporary directory.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Step {
    code: i32,
    stdout: String,
    /// `$GITHUB_OUTPUT`, as name=value pairs.
    outputs: Vec<(String, String)>,
    /// `$GITHUB_STEP_SUMMARY`.
    summary: String,
}

impl Step {
    fn output(&self, name: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn run(step: &str, dir: &Path, env: &[(&str, &str)]) -> Step {
    let output_file = dir.join("github-output");
    let summary_file = dir.join("step-summary");
    let mut command = Command::new("bash");
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action.sh"))
        .arg(step)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("GITHUB_WORKSPACE", env!("CARGO_MANIFEST_DIR"))
        .env("RUNNER_TEMP", dir)
        .env("TRAILGATE_BIN", env!("CARGO_BIN_EXE_trailgate"))
        .env_remove("INPUT_PATHS")
        .env_remove("INPUT_ARGS")
        .env_remove("INPUT_CONFIG");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("bash runs");
    let outputs = std::fs::read_to_string(&output_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Step {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
    }
}

fn sarif_path(dir: &Path) -> PathBuf {
    dir.join("reports/trailgate.sarif")
}

#[test]
fn findings_fail_the_step_after_writing_sarif_and_the_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = sarif_path(dir.path());
    std::fs::create_dir_all(sarif.parent().unwrap()).unwrap();
    let step = run(
        "scan",
        dir.path(),
        &[
            ("INPUT_PATHS", "fixtures/trails"),
            ("INPUT_SARIF", sarif.to_str().unwrap()),
        ],
    );
    assert_eq!(step.code, 1, "{}", step.stdout);
    assert_eq!(step.output("exit-code"), Some("1"));
    assert_eq!(step.output("sarif"), sarif.to_str());
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert!(!document["runs"][0]["results"]
        .as_array()
        .unwrap()
        .is_empty());
    // Locations are relative to the workspace, as code scanning expects.
    let uri = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("fixtures/trails/"), "{uri}");
    assert!(step.summary.starts_with("## "), "{}", step.summary);
    assert!(step.summary.contains("finding"), "{}", step.summary);
    let summary_file = step.output("summary").expect("summary output");
    assert_eq!(std::fs::read_to_string(summary_file).unwrap(), step.summary);
    assert!(step
        .stdout
        .contains("::error title=trailgate::findings at or above --fail-on"));
    // The text report is in the log.
    assert!(step.stdout.contains("fixtures/trails/"), "{}", step.stdout);
}

#[test]
fn a_clean_scan_passes() {
    let dir = tempfile::tempdir().unwrap();
    let step = run(
        "scan",
        dir.path(),
        &[
            ("INPUT_PATHS", "fixtures/empty"),
            ("INPUT_SARIF", sarif_path(dir.path()).to_str().unwrap()),
        ],
    );
    assert_eq!(step.code, 0, "{}", step.stdout);
    assert_eq!(step.output("exit-code"), Some("0"));
    assert!(step.output("sarif").is_some());
    assert!(!step.stdout.contains("::error"));
}

#[test]
fn arguments_and_several_paths_are_split_like_a_workflow_author_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let step = run(
        "scan",
        dir.path(),
        &[
            ("INPUT_PATHS", "fixtures/empty\n  fixtures/trails\n"),
            ("INPUT_ARGS", "--fail-on never  --pack aws/autoscaling"),
            ("INPUT_SARIF", sarif_path(dir.path()).to_str().unwrap()),
            ("INPUT_SUMMARY", "false"),
        ],
    );
    assert_eq!(step.code, 0, "{}", step.stdout);
    assert_eq!(step.summary, "", "no job summary when summary is false");
    assert!(step.output("summary").is_none());
    let sarif = std::fs::read_to_string(sarif_path(dir.path())).unwrap();
    assert!(sarif.contains("autoscaling-launch-configuration-imdsv2-not-required"));
    assert!(
        !sarif.contains("\"ruleId\": \"cis-"),
        "only the asked pack ran"
    );
}

#[test]
fn a_usage_error_writes_no_sarif_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = sarif_path(dir.path());
    std::fs::create_dir_all(sarif.parent().unwrap()).unwrap();
    // A report left by an earlier step must not be uploaded as this scan's.
    std::fs::write(&sarif, "{}").unwrap();
    let step = run(
        "scan",
        dir.path(),
        &[
            ("INPUT_PATHS", "fixtures/trails"),
            ("INPUT_ARGS", "--fail-on sometimes"),
            ("INPUT_SARIF", sarif.to_str().unwrap()),
        ],
    );
    assert_eq!(step.code, 2);
    assert_eq!(step.output("exit-code"), Some("2"));
    assert!(step.output("sarif").is_none(), "nothing to upload");
    assert!(!sarif.exists());
    assert!(step
        .stdout
        .contains("::error title=trailgate::bad rules, configuration or usage"));
}

#[test]
fn install_uses_the_given_binary_or_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_trailgate");
    let step = run("install", dir.path(), &[("INPUT_TRAILGATE", bin)]);
    assert_eq!(step.code, 0, "{}", step.stdout);
    assert_eq!(step.output("bin"), Some(bin));
    assert!(step.stdout.starts_with("trailgate "), "prints the version");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-trailgate");
    let step = run(
        "install",
        dir.path(),
        &[("INPUT_TRAILGATE", missing.to_str().unwrap())],
    );
    assert_eq!(step.code, 2);
    assert!(step.output("bin").is_none());
}

#[test]
fn action_yml_runs_the_script_it_ships() {
    let action =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let action: serde_json::Value = serde_saphyr::from_str(&action).expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert_eq!(
        runs,
        [
            "bash \"$GITHUB_ACTION_PATH/scripts/action.sh\" install",
            "bash \"$GITHUB_ACTION_PATH/scripts/action.sh\" scan"
        ]
    );
    // Every input the script reads is passed by the step that runs it.
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action.sh"))
            .unwrap();
    for step in steps.iter().filter(|s| s["run"].is_string()) {
        for name in step["env"].as_object().unwrap().keys() {
            assert!(
                script.contains(name.as_str()),
                "{name} is passed but not read"
            );
        }
    }
    for input in action["inputs"].as_object().unwrap().keys() {
        let env_name = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
        let used = steps.iter().any(|s| {
            s["env"].get(&env_name).is_some()
                || s["with"].as_object().is_some_and(|w| {
                    w.values().any(|v| {
                        v.as_str()
                            .is_some_and(|v| v.contains(&format!("inputs.{input}")))
                    })
                })
                || s["if"]
                    .as_str()
                    .is_some_and(|c| c.contains(&format!("inputs.{input}")))
                || s["working-directory"]
                    .as_str()
                    .is_some_and(|c| c.contains(&format!("inputs.{input}")))
        });
        assert!(used, "input `{input}` is declared but no step uses it");
    }
}
