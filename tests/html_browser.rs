//! The HTML report in a real browser: headless Chromium opens reports of `docs/examples/audit`
//! (with the planted hostile events of `fixtures/hostile`) and of an empty trail, and
//! `scripts/check_html_report.py` checks, over the DevTools protocol, that each page renders with
//! no console error, CSP violation or network request, shows the JSON report's numbers, filters
//! and sorts, and shows the hostile values as text. Screenshots are kept in
//! `target/test-artifacts/`. Without Chromium the test is skipped with a note, except under
//! `CI=true`, where it fails: `.ci/run` installs Debian's `chromium`.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::trailgate_autoscaling as trailgate;

fn chromium() -> Option<String> {
    let candidates = [
        std::env::var("TRAILGATE_CHROMIUM").ok(),
        Some("chromium".to_string()),
        Some("chromium-browser".to_string()),
        Some("google-chrome".to_string()),
    ];
    for name in candidates.into_iter().flatten() {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v '{name}'")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(name);
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "chromium is not installed (apt-get install chromium, or set TRAILGATE_CHROMIUM): CI must test the HTML report in a browser"
    );
    common::skipped("chromium not found; the HTML report was not opened in a browser (apt-get install chromium, or set TRAILGATE_CHROMIUM)");
    None
}

/// `target/test-artifacts`, kept after the test for people and CI to look at.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target/tmp has a parent")
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn check(name: &str, inputs: &[&str], code: i32, extra: &[&str]) {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = artifacts();
    let html = dir.join(format!("{name}.html"));
    let json = dir.join(format!("{name}.json"));
    let mut args = vec![
        "scan".to_string(),
        "-o".to_string(),
        format!("html={}", html.display()),
        "-o".to_string(),
        format!("json={}", json.display()),
    ];
    args.extend(inputs.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = trailgate(&args);
    assert_eq!(run.code, code, "{}", run.stderr);
    let output = Command::new("python3")
        .arg("scripts/check_html_report.py")
        .arg("--chromium")
        .arg(&browser)
        .arg("--html")
        .arg(&html)
        .arg("--json")
        .arg(&json)
        .arg("--screenshot")
        .arg(dir.join(format!("{name}.png")))
        .args(extra)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "{name}: the report failed in the browser:\n{stdout}"
    );
}

#[test]
fn audit_report_with_hostile_events_in_chromium() {
    check(
        "report",
        &["docs/examples/audit", "fixtures/hostile"],
        1,
        &["--hostile"],
    );
}

#[test]
fn report_without_findings_in_chromium() {
    check("report-empty", &["fixtures/empty"], 0, &[]);
}

/// An enriched report (issue 20): account names, the principals section, findings grouped by
/// event and, with the GeoIP databases of scripts/fetch_geoip.sh when present, source places.
/// The same checks: no console error, CSP violation or request, the JSON report's numbers.
#[test]
fn enriched_audit_report_in_chromium() {
    let geoip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/geoip");
    let mut inputs = vec![
        "--accounts",
        "fixtures/audit/accounts.csv",
        "--group-by",
        "event",
        "--fail-on",
        "never",
    ];
    let geoip = geoip.display().to_string();
    if std::path::Path::new(&geoip).join("ASN.mmdb").is_file() {
        inputs.extend(["--geoip", geoip.as_str()]);
    }
    inputs.push("fixtures/audit/trail");
    check("report-enriched", &inputs, 0, &[]);
}
