//! The built-in Auto Scaling pack against realistic events: each rule fires where it must and
//! stays quiet where it must not (both request shapes, absent-field defaults, failed calls).

mod common;

use common::{rule_ids, scan_json};

const LC_IMDS: &str = "autoscaling-launch-configuration-imdsv2-not-required";
const LC_MONITORING: &str = "autoscaling-launch-configuration-monitoring-disabled";
const LC_PUBLIC_IP: &str = "autoscaling-launch-configuration-public-ip";
const LC_EBS: &str = "autoscaling-launch-configuration-unencrypted-ebs";
const LT_IMDS: &str = "autoscaling-launch-template-imdsv2-not-required";
const LT_MONITORING: &str = "autoscaling-launch-template-monitoring-disabled";
const LT_PUBLIC_IP: &str = "autoscaling-launch-template-public-ip";
const LT_EBS: &str = "autoscaling-launch-template-unencrypted-ebs";
const ROOT: &str = "autoscaling-root-launch-configuration";

fn findings_for(file: &str) -> Vec<String> {
    // These cases are about the autoscaling pack; the CIS, threat and activity packs have their
    // own inline tests (and report the root user and long-term keys these fixtures use).
    let (_, doc) = scan_json(&["--fail-on", "never", "--pack", "aws/autoscaling", file]);
    assert!(doc["errors"].as_array().unwrap().is_empty(), "{doc:#}");
    rule_ids(&doc)
}

#[test]
fn launch_configurations() {
    let cases: [(&str, &[&str]); 4] = [
        (common::SEED_FILE, &[LC_IMDS, LC_MONITORING, LC_EBS, ROOT]),
        // Public IP; encrypted EBS beside a noDevice mapping; IMDSv2 required; monitoring on.
        (
            "fixtures/events/launch-configuration-public-ip.json",
            &[LC_PUBLIC_IP],
        ),
        // A failed call created nothing: only the use of root credentials is reported.
        (
            "fixtures/events/launch-configuration-root-failed.json",
            &[ROOT],
        ),
        // Root type but invoked by a service on the account's behalf; otherwise compliant.
        (
            "fixtures/events/launch-configuration-root-via-service.json",
            &[],
        ),
    ];
    for (file, expected) in cases {
        assert_eq!(findings_for(file), expected, "{file}");
    }
}

#[test]
fn launch_configuration_compliant_event_in_the_fixture_trail() {
    let (_, doc) = scan_json(&["fixtures/trails"]);
    let second_file = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().contains("20180821T1805Z"))
        .count();
    assert_eq!(
        second_file, 0,
        "launch_configuration_2 (role, encrypted, IMDSv2) is compliant"
    );
}

#[test]
fn launch_templates() {
    let cases: [(&str, &[&str]); 6] = [
        // Bare-object BlockDeviceMapping and NetworkInterface, HttpTokens optional, no Monitoring.
        (
            "fixtures/events/launch-template-noncompliant.json",
            &[LT_IMDS, LT_MONITORING, LT_PUBLIC_IP, LT_EBS],
        ),
        // Lists of mappings and interfaces, all encrypted / private, IMDSv2 and monitoring on.
        ("fixtures/events/launch-template-compliant.json", &[]),
        // Nothing set: IMDSv2 and monitoring defaults apply.
        (
            "fixtures/events/launch-template-minimal.json",
            &[LT_IMDS, LT_MONITORING],
        ),
        // A version from a source version inherits what it omits.
        ("fixtures/events/launch-template-version-inherits.json", &[]),
        (
            "fixtures/events/launch-template-version-explicit.json",
            &[LT_IMDS, LT_MONITORING],
        ),
        // A failed call created nothing.
        ("fixtures/events/launch-template-failed.json", &[]),
    ];
    for (file, expected) in cases {
        assert_eq!(findings_for(file), expected, "{file}");
    }
}

#[test]
fn launch_template_messages_name_the_template() {
    let (_, doc) = scan_json(&["fixtures/events/launch-template-noncompliant.json"]);
    for finding in doc["findings"].as_array().unwrap() {
        assert!(
            finding["message"].as_str().unwrap().contains("web-open"),
            "{finding}"
        );
    }
    let (_, doc) = scan_json(&["fixtures/events/launch-template-version-explicit.json"]);
    assert!(doc["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("lt-0a1b2c3d4e5f67890"));
    assert!(doc["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("HttpTokens: optional"));
}
