//! `trailgate rules test` and `trailgate explain`: the built-in packs' inline tests pass, and a
//! failing case says what was expected, what happened and why.

mod common;

use common::trailgate;
use serde_json::Value;
use trailgate::rule::{load_builtin, Expect};

#[test]
fn builtin_rule_tests_pass() {
    let run = trailgate(&["rules", "test"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains(" 0 failed"), "{}", run.stdout);
    assert!(!run.stdout.contains("without test cases"), "{}", run.stdout);
}

#[test]
fn every_builtin_rule_has_a_case_that_fires_and_one_that_does_not() {
    for rule in load_builtin().expect("built-in rules compile") {
        assert!(
            rule.tests.iter().any(|t| t.expect == Expect::Finding),
            "{} has no finding case",
            rule.id
        );
        assert!(
            rule.tests.iter().any(|t| t.expect == Expect::None),
            "{} has no quiet case",
            rule.id
        );
    }
}

const RULE: &str = "id: only-deploy-role
title: Launch configuration not created by the deploy role
severity: medium
events:
  eventSource: autoscaling.amazonaws.com
  eventName: CreateLaunchConfiguration
condition:
  not:
    path: $.userIdentity.sessionContext.sessionIssuer.userName
    equals: deploy
exceptions:
  - reason: break-glass role, reviewed separately
    condition:
      path: $.userIdentity.arn
      contains: ':assumed-role/break-glass/'
message: '{userIdentity.arn} created {requestParameters.launchConfigurationName}'
tests:
  - name: alice is not the deploy role
    expect: finding
    message: arn:aws:iam::123456789012:user/alice created lc-1
    event_file: events/alice.json
  - name: the deploy role
    expect: none
    event:
      eventSource: autoscaling.amazonaws.com
      eventName: CreateLaunchConfiguration
      userIdentity:
        arn: arn:aws:sts::123456789012:assumed-role/deploy/ci
        sessionContext: {sessionIssuer: {userName: deploy}}
  - name: break glass
    expect: suppressed
    event:
      eventSource: autoscaling.amazonaws.com
      eventName: CreateLaunchConfiguration
      userIdentity:
        arn: arn:aws:sts::123456789012:assumed-role/break-glass/bob
";

fn rule_dir(rule: &str, alice: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("only-deploy-role.yaml"), rule).unwrap();
    std::fs::create_dir(dir.path().join("events")).unwrap();
    std::fs::write(dir.path().join("events/alice.json"), alice).unwrap();
    dir
}

const ALICE: &str = r#"{"eventSource": "autoscaling.amazonaws.com", "eventName": "CreateLaunchConfiguration",
  "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
  "requestParameters": {"launchConfigurationName": "lc-1"}}"#;

#[test]
fn custom_rule_cases_pass_with_event_files_and_exceptions() {
    let dir = rule_dir(RULE, ALICE);
    let run = trailgate(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("ok    only-deploy-role  3 cases"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("1 rule, 3 cases: 3 passed, 0 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failing_case_shows_expected_got_and_the_trace() {
    // The rule now compares the wrong field, so alice's event no longer raises a finding.
    let broken = RULE
        .replace("sessionIssuer.userName", "sessionIssuer.arn")
        .replace("equals: deploy", "starts_with: 'arn:'");
    let dir = rule_dir(&broken, ALICE);
    let run = trailgate(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("FAIL  only-deploy-role  1 of 3 cases failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("case \"the deploy role\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("expected no finding, got a finding"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("✗ $.userIdentity.sessionContext.sessionIssuer.arn starts_with: \"arn:\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("$.userIdentity.sessionContext.sessionIssuer.arn: missing"),
        "{}",
        run.stdout
    );

    let json = trailgate(&[
        "rules",
        "test",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["summary"]["failed"], 1);
    assert_eq!(
        doc["rules"][0]["cases"][1]["explanation"]["verdict"],
        "finding"
    );
}

#[test]
fn message_mismatch_and_unreadable_event_files_fail() {
    let wrong_message = RULE.replace(
        "message: arn:aws:iam::123456789012:user/alice created lc-1",
        "message: someone created lc-1",
    );
    let dir = rule_dir(&wrong_message, "{not json");
    let run = trailgate(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("cannot read event_file"),
        "{}",
        run.stdout
    );

    let dir = rule_dir(&wrong_message, ALICE);
    let run = trailgate(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("expected the message \"someone created lc-1\", got \"arn:aws:iam::123456789012:user/alice created lc-1\""),
        "{}",
        run.stdout
    );
}

#[test]
fn test_case_mistakes_are_rule_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.yaml"),
        "id: r\ntitle: R\nseverity: low\nevents: {eventName: X}\ntests:\n  - name: a\n    expect: nothing\n    event: {eventName: X}\n  - name: b\n    expect: none\n",
    )
    .unwrap();
    let run = trailgate(&["rules", "test", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("r.yaml:7:13: unknown value `nothing`"),
        "{}",
        run.stderr
    );
}

#[test]
fn explain_text_json_and_unknown_ids() {
    let run = trailgate(&[
        "explain",
        "--rule",
        "autoscaling-launch-configuration-unencrypted-ebs",
        common::SEED_FILE,
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("rule autoscaling-launch-configuration-unencrypted-ebs: finding"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✗ @.ebs.encrypted equals: true"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("$.requestParameters.blockDeviceMappings[0].ebs.encrypted: missing"));

    let json = trailgate(&[
        "explain",
        "--format",
        "json",
        "--rule",
        "autoscaling-launch-template-public-ip",
        "fixtures/events/launch-template-compliant.json",
    ]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc[0]["verdict"], "no match");
    assert_eq!(
        doc[0]["condition"]["children"].as_array().unwrap().len(),
        2,
        "two interfaces, two items"
    );

    let not_applicable = trailgate(&[
        "explain",
        "--rule",
        "autoscaling-launch-template-public-ip",
        common::SEED_FILE,
    ]);
    assert!(
        not_applicable
            .stdout
            .contains("applies: no, eventSource is `autoscaling.amazonaws.com`"),
        "{}",
        not_applicable.stdout
    );

    let unknown = trailgate(&[
        "explain",
        "--rule",
        "autoscaling-root-launch-config",
        common::SEED_FILE,
    ]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("did you mean `autoscaling-root-launch-configuration`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn rules_test_junit_for_ci() {
    let broken = RULE
        .replace("sessionIssuer.userName", "sessionIssuer.arn")
        .replace("equals: deploy", "starts_with: 'arn:'");
    let dir = rule_dir(&broken, ALICE);
    let run = trailgate(&[
        "rules",
        "test",
        "--format",
        "junit",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(
            r#"<testsuites name="trailgate rules test" tests="3" failures="1" errors="0">"#
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("expected no finding, got a finding"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("✗ $.userIdentity.sessionContext.sessionIssuer.arn starts_with"),
        "{}",
        run.stdout
    );
    let report = dir.path().join("rules.xml");
    std::fs::write(&report, &run.stdout).unwrap();
    common::assert_valid_junit(&report);

    let builtin = trailgate(&["rules", "test", "--format", "junit"]);
    assert_eq!(builtin.code, 0);
    std::fs::write(&report, &builtin.stdout).unwrap();
    common::assert_valid_junit(&report);
}
