//! Helpers shared by the CLI tests: run trailgate (in this process, or the binary as a child
//! process where a process is needed) and read its output.

#![allow(dead_code, unreachable_pub)]

use assert_cmd::Command;
use serde_json::Value;

/// Findings the default rule set (every built-in rule but the informational ones) raises on the
/// seed event (the root user creating launch configuration launch_configuration_1 with a
/// long-term access key): the four autoscaling findings, CIS 4.3 root usage
/// (`cis-root-account-usage`) and `aws-root-activity` (root made a change): all of them correct.
/// `--severity info` adds the informational `aws-long-term-access-key-used` (an `AKIA` key).
pub const SEED_FINDINGS: usize = 6;

pub const SEED_FILE: &str = "fixtures/trails/AWSLogs/123456789012/CloudTrail/us-west-2/2018/08/21/123456789012_CloudTrail_us-west-2_20180821T1710Z_Xk2ZJbS3Wq0eVq4B.json.gz";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs trailgate in this process through `trailgate::cli::run`, which is all the binary does
/// besides reading the terminal facts: no terminal, no `NO_COLOR`, the real clock. For what needs
/// a process of its own (standard input, environment variables, another working directory), use
/// `trailgate_process` or `trailgate_in`.
pub fn trailgate(args: &[&str]) -> Run {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = trailgate::cli::run(
        std::iter::once("trailgate").chain(args.iter().copied()),
        &mut stdout,
        &mut stderr,
        trailgate::cli::Terminal::default(),
    );
    Run {
        code,
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

/// Runs the `trailgate` binary as a child process.
pub fn trailgate_process(args: &[&str]) -> Run {
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

/// Makes a FIFO with mkfifo(1) in `dir`; returns its path.
pub fn fifo(dir: &tempfile::TempDir, name: &str) -> String {
    let path = dir.path().join(name);
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    path.to_str().unwrap().to_string()
}

/// Runs `scan --format json` and parses the document.
pub fn scan_json(args: &[&str]) -> (i32, Value) {
    scan_json_by(trailgate, args)
}

/// `scan_json` through another runner (e.g. `trailgate_autoscaling`).
pub fn scan_json_by(runner: fn(&[&str]) -> Run, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let run = runner(&all);
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

/// Says on standard error that a check was skipped and how to enable it. Written past the test
/// harness's output capture (which only takes `print!`/`eprint!`), so that the line shows in a
/// plain `cargo test` run even when the test passes.
pub fn skipped(note: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {note}");
}

/// Whether this run is CI (`CI=true`), where every optional check must run.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The shared third-party files (report schemas, the validate-reports checker): `TRAILGATE_SHARED`,
/// else `shared/` beside the checkout, as in CI. They are not copied into the repository. Missing:
/// a failure under `CI=true`, otherwise `None` after one `SKIPPED` line naming `what`, so that a
/// fresh clone with nothing beside it passes `cargo test`.
pub fn shared_dir(what: &str) -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("TRAILGATE_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("schemas").is_dir() {
        return Some(dir);
    }
    assert!(
        !in_ci(),
        "{} has no schemas/: set TRAILGATE_SHARED to the shared folder (CI must run {what})",
        dir.display()
    );
    skipped(&format!(
        "{what}: {} has no schemas/; set TRAILGATE_SHARED to the shared folder to run it",
        dir.display()
    ));
    None
}

/// Runs `trailgate` with `args` in `dir` (so relative paths and the SARIF root are `dir`).
pub fn trailgate_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let output = Command::cargo_bin("trailgate")
        .expect("binary is built")
        .current_dir(dir)
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

/// Validates a SARIF document against the official SARIF 2.1.0 schema (JSON Schema draft-04)
/// and panics with every error.
pub fn assert_valid_sarif(document: &Value) {
    let Some(errors) = sarif_errors(document) else {
        return;
    };
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

/// Every SARIF 2.1.0 schema error in `document`, with where it is; `None` (skipped, with a note)
/// when the schema is not beside the checkout outside CI.
pub fn sarif_errors(document: &Value) -> Option<Vec<String>> {
    let path = shared_dir("SARIF 2.1.0 schema validation")?.join("schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    Some(
        validator
            .iter_errors(document)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect(),
    )
}

/// Validates a JUnit XML file against the Jenkins xUnit schema with xmllint. Without xmllint
/// the check is skipped with a note, except in CI (`CI=true`), where it fails: `.ci/run`
/// installs it.
pub fn assert_valid_junit(file: &std::path::Path) {
    let Some(shared) = shared_dir("JUnit XSD validation") else {
        return;
    };
    let xsd = shared.join("schemas/junit.xsd");
    let output = match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(file)
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                !in_ci(),
                "xmllint is not installed (apt-get install libxml2-utils); CI must validate JUnit"
            );
            skipped("xmllint not found, JUnit schema validation (apt-get install libxml2-utils)");
            return;
        }
        Err(err) => panic!("cannot run xmllint: {err}"),
    };
    assert!(
        output.status.success(),
        "{} does not validate against junit.xsd:\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The third-party corpus (`../shared/corpus` beside the checkout, or `TRAILGATE_CORPUS`).
/// Missing: a failure under `CI=true`, otherwise `None` with a loud note so the caller skips.
pub fn corpus_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("TRAILGATE_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        });
    if dir.is_dir() {
        return Some(dir);
    }
    if in_ci() {
        panic!(
            "the corpus is missing at {}: set TRAILGATE_CORPUS",
            dir.display()
        );
    }
    skipped(&format!(
        "the corpus is missing at {}; set TRAILGATE_CORPUS to run this test",
        dir.display()
    ));
    None
}

/// `trailgate`, with `scan` limited to the built-in Auto Scaling pack unless the arguments bring
/// their own `--rules`: for tests that count the seed fixtures' findings, so that other built-in
/// packs do not change their numbers.
pub fn trailgate_autoscaling(args: &[&str]) -> Run {
    trailgate(&autoscaling_only(args))
}

/// As `trailgate_autoscaling`, run from `dir`.
pub fn trailgate_in_autoscaling(dir: &std::path::Path, args: &[&str]) -> Run {
    trailgate_in(dir, &autoscaling_only(args))
}

fn autoscaling_only<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    if all.first() == Some(&"scan") && !all.contains(&"--rules") {
        all.splice(1..1, ["--pack", "aws/autoscaling"]);
    }
    all
}

/// Renders GitHub Flavored Markdown to HTML with cmark-gfm (GitHub's own parser, Debian package
/// `cmark-gfm`), with raw HTML let through (`--unsafe`), so that a test can see any HTML a report
/// would let into a page. Without cmark-gfm: `None` with a note, or a failure under `CI=true`
/// (`.ci/run` installs it).
pub fn render_gfm(markdown: &str) -> Option<String> {
    use std::io::Write as _;
    let child = std::process::Command::new("cmark-gfm")
        .args([
            "--unsafe",
            "-e",
            "table",
            "-e",
            "strikethrough",
            "-e",
            "autolink",
            "-e",
            "tagfilter",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                !in_ci(),
                "cmark-gfm is not installed (apt-get install cmark-gfm); CI must render Markdown"
            );
            skipped(
                "cmark-gfm not found, Markdown rendering not checked (apt-get install cmark-gfm)",
            );
            return None;
        }
        Err(err) => panic!("cannot run cmark-gfm: {err}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(markdown.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "cmark-gfm failed");
    Some(String::from_utf8(output.stdout).unwrap())
}

/// Splits RFC 4180 CSV into records of fields (quoted fields, doubled quotes, CRLF).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "CSV ends with a line break"
    );
    records
}
