//! Sigma rules through the CLI: the SigmaHQ CloudTrail rules load, unsupported features are
//! errors naming them, other log sources are notes, and findings keep Sigma's metadata.

mod common;

use common::{corpus_dir, trailgate};
use serde_json::Value;

#[test]
fn all_sigmahq_cloudtrail_rules_load() {
    let Some(corpus) = corpus_dir() else { return };
    let rules = corpus.join("sigma/rules");
    let run = trailgate(&["rules", "validate", rules.to_str().unwrap()]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ok: 57 rules in 57 files\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn unsupported_sigma_features_are_errors_naming_them() {
    let Some(corpus) = corpus_dir() else { return };
    let run = trailgate(&[
        "rules",
        "validate",
        corpus.join("sigma/unsupported").to_str().unwrap(),
        corpus.join("sigma/rules-placeholder").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`timeframe` (an aggregation window) is not supported"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("aggregations in conditions (`selection1 | near selection2`)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("placeholders (`|expand`) are not supported"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("9 errors in 9 rule files"),
        "{}",
        run.stderr
    );
}

const SIGMA_RULE: &str = "title: Launch Configuration By Root
id: 5d0c9e47-0f5b-4a7e-9f0e-2c3b1a0d9e8f
status: experimental
description: The root user created a launch configuration
references:
    - https://example.com/root
author: Example Author
date: 2024-01-01
tags:
    - attack.persistence
    - attack.t1078.004
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: autoscaling.amazonaws.com
        eventName: createlaunchconfiguration
        userIdentity.type: root
    filter_service:
        userIdentity.invokedBy|exists: true
    condition: selection and not 1 of filter_*
falsepositives:
    - Break-glass work
level: high
";

fn rule_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root_launch_config.yml"), SIGMA_RULE).unwrap();
    std::fs::write(
        dir.path().join("windows.yml"),
        "title: W\nlogsource: {product: windows}\ndetection:\n  s: {EventID: 1}\n  condition: s\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("native.yaml"),
        "id: native-root\ntitle: Native root rule\nseverity: low\nevents: {eventName: CreateLaunchConfiguration}\ncondition: {path: $.userIdentity.type, equals: Root}\n",
    )
    .unwrap();
    dir
}

#[test]
fn sigma_and_native_rules_mix_and_keep_sigma_metadata() {
    let dir = rule_dir();
    let rules = dir.path().to_str().unwrap();
    let run = trailgate(&[
        "scan",
        "--format",
        "json",
        "--rules",
        rules,
        common::SEED_FILE,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("windows.yml: Sigma rule not applicable: its logsource product is `windows`"),
        "{}",
        run.stderr
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["5d0c9e47-0f5b-4a7e-9f0e-2c3b1a0d9e8f", "native-root"]
    );
    let sigma = &doc["findings"][0];
    assert_eq!(sigma["severity"], "high");
    assert_eq!(
        sigma["message"],
        "Launch Configuration By Root (Sigma rule by Example Author)"
    );
    assert_eq!(sigma["sigma"]["author"], "Example Author");
    assert_eq!(sigma["sigma"]["status"], "experimental");
    assert_eq!(sigma["sigma"]["falsepositives"][0], "Break-glass work");
    assert_eq!(sigma["sigma"]["tags"][1], "attack.t1078.004");

    let sarif = trailgate(&[
        "scan",
        "--format",
        "sarif",
        "--rules",
        rules,
        common::SEED_FILE,
    ]);
    let doc: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let descriptor = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "5d0c9e47-0f5b-4a7e-9f0e-2c3b1a0d9e8f")
        .unwrap();
    assert_eq!(
        descriptor["properties"]["sigma"]["author"],
        "Example Author"
    );
    assert!(descriptor["help"]["text"]
        .as_str()
        .unwrap()
        .contains("Sigma rule by Example Author"));
    assert!(descriptor["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t == "mitre-attack/T1078.004"));
}

#[test]
fn sigma_rules_explain_like_native_ones() {
    let dir = rule_dir();
    let run = trailgate(&[
        "explain",
        "--rules",
        dir.path().to_str().unwrap(),
        "--rule",
        "5d0c9e47-0f5b-4a7e-9f0e-2c3b1a0d9e8f",
        "fixtures/events/launch-configuration-root-via-service.json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(": no match"), "{}", run.stdout);
    assert!(
        run.stdout.contains("$.userIdentity.invokedBy exists: true"),
        "{}",
        run.stdout
    );
}
