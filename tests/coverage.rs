//! What the engine counts for audit summaries and keeps for the HTML report: events checked per
//! rule and per compliance control, the scanned time range, accounts and regions, and each
//! finding's event when asked.

use serde_json::Value;
use trailgate::engine::{scan, RuleSet, ScanOptions};
use trailgate::source::{discover, Input};

#[test]
fn events_checked_per_rule_and_per_control() {
    // The built-in Auto Scaling pack: the counts below are its own.
    let rules = RuleSet::new(
        trailgate::rule::load_builtin()
            .unwrap()
            .into_iter()
            .filter(|r| r.pack == "aws/autoscaling")
            .collect(),
    );
    let result = scan(
        &rules,
        discover(&[Input::from_arg("fixtures/trails")]),
        &ScanOptions::default(),
    );
    let stats = &result.stats;
    // Two CreateLaunchConfiguration events and an UpdateAutoScalingGroup.
    assert_eq!(stats.events, 3);
    assert_eq!(stats.rule_events.len(), 9, "every rule, checked or not");
    assert_eq!(
        stats.rule_events["autoscaling-root-launch-configuration"],
        2
    );
    assert_eq!(
        stats.rule_events["autoscaling-launch-template-public-ip"],
        0
    );
    assert_eq!(stats.control_events["cis-aws-foundations-v3.0.0"]["1.7"], 2);
    assert_eq!(stats.control_events["aws-securityhub"]["EC2.25"], 0);
    assert_eq!(
        stats.control_events["nist-800-53-r5"]["AC-3"], 2,
        "two rules, each event once"
    );
    assert_eq!(
        stats.first_event.unwrap().to_rfc3339(),
        "2018-08-21T17:07:49Z"
    );
    assert_eq!(
        stats.last_event.unwrap().to_rfc3339(),
        "2018-08-21T18:03:40Z"
    );
    assert_eq!(stats.accounts.iter().collect::<Vec<_>>(), ["123456789012"]);
    assert_eq!(stats.regions.iter().collect::<Vec<_>>(), ["us-west-2"]);
}

#[test]
fn an_event_two_rules_of_one_control_check_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    for (id, path) in [
        ("lc-one", "$.requestParameters.imageId"),
        ("lc-two", "$.requestParameters.instanceType"),
    ] {
        std::fs::write(
            dir.path().join(format!("{id}.yaml")),
            format!(
                "id: {id}\ntitle: {id}\nseverity: low\ncompliance:\n  demo: [X.1]\nevents:\n  eventName: CreateLaunchConfiguration\ncondition:\n  path: {path}\n  exists: true\nmessage: m\n"
            ),
        )
        .unwrap();
    }
    let rules = RuleSet::new(trailgate::rule::load_paths(&[dir.path().to_path_buf()]).unwrap());
    let result = scan(
        &rules,
        discover(&[Input::from_arg("fixtures/trails")]),
        &ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
    );
    assert_eq!(result.stats.rule_events["lc-one"], 2);
    assert_eq!(result.stats.rule_events["lc-two"], 2);
    assert_eq!(result.stats.control_events["demo"]["X.1"], 2, "not 4");
}

#[test]
fn events_are_kept_only_when_asked_and_shared_by_their_findings() {
    // The built-in Auto Scaling pack: the counts below are its own.
    let rules = RuleSet::new(
        trailgate::rule::load_builtin()
            .unwrap()
            .into_iter()
            .filter(|r| r.pack == "aws/autoscaling")
            .collect(),
    );
    let run = |keep_events| {
        scan(
            &rules,
            discover(&[Input::from_arg("fixtures/trails")]),
            &ScanOptions {
                keep_events,
                ..ScanOptions::default()
            },
        )
    };
    assert!(run(false).findings.iter().all(|f| f.event.is_none()));
    let kept = run(true);
    let first = kept.findings[0].event.clone().expect("kept");
    let event: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(event["eventID"], "3fcfb182-98f8-4744-bd45-b38835ab61cb");
    assert!(kept
        .findings
        .iter()
        .all(|f| std::sync::Arc::ptr_eq(f.event.as_ref().unwrap(), &first)));
}
