//! Helpers shared by the CLI tests: run the real binary and read its JSON output.

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// Findings the built-in packs raise on the seed event (the root user creating launch
/// configuration launch_configuration_1 with a long-term access key): the four autoscaling
/// findings, CIS 4.3 root usage (`cis-root-account-usage`), `aws-root-activity` (root made a
/// change) and `aws-long-term-access-key-used` (an `AKIA` key): all of them correct.
pub const SEED_FINDINGS: usize = 7;

pub const SEED_FILE: &str = "fixtures/trails/AWSLogs/123456789012/CloudTrail/us-west-2/2018/08/21/123456789012_CloudTrail_us-west-2_20180821T1710Z_Xk2ZJbS3Wq0eVq4B.json.gz";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn trailgate(args: &[&str]) -> Run {
    let output = Command::cargo_bin("trailgate")
        .expect("binary is built")
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("trailgate runs");
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `scan --format json` and parses the document.
pub fn scan_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let run = trailgate(&all);
    let document = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}\nstderr: {}", run.stdout, run.stderr));
    (run.code, document)
}

pub fn rule_ids(document: &Value) -> Vec<String> {
    document["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule_id"].as_str().expect("rule_id").to_string())
        .collect()
}
