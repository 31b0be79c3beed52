//! The built-in first-seen rules (rules/aws/first-seen, in the default set with `--state`, the
//! GeoIP ones with `--state` and `--geoip`): their inline cases pass, and over a stream of events
//! spread across days, the stage reports exactly the new combinations, in one run and across two
//! runs on a state store. (tests/audit_enrichment.rs runs the GeoIP ones on real databases.)

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};
use trailgate::engine::eval::matches;
use trailgate::first_seen::{judge, EventRef, History, Judged, NoHistory, Observer};
use trailgate::rule::{load_paths, Rule};
use trailgate::state::{rule_fingerprint, Coverage, Store};
use trailgate::time::Timestamp;

const DIR: &str = "rules/aws/first-seen";
const DAY: i64 = 86_400;
const T0: i64 = 1_717_200_000; // 2024-06-01T00:00:00Z

fn rules() -> Vec<Rule> {
    load_paths(&[PathBuf::from(DIR)]).expect("the drafts compile")
}

#[test]
fn inline_cases_pass() {
    let run = common::trailgate(&["rules", "test", DIR]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// An observation of `rule`: selected, matched, not excepted.
fn observed(rule: &Rule, event: &Value) -> bool {
    rule.selector.selects(event)
        && matches(&rule.condition, event)
        && !rule.exceptions.iter().any(|e| matches(&e.condition, event))
}

/// Runs the stage over `events` (day, event) for `rule`; returns the days of the findings.
fn run(rule: &Rule, events: &[(i64, Value)], history: &mut dyn History) -> Vec<i64> {
    let first_seen = rule.first_seen.as_ref().expect("a first_seen rule");
    let mut observer: Observer<i64> = Observer::default();
    let mut scanned: Option<Coverage> = None;
    let annotated = trailgate::rule::annotation::reads(rule).any();
    for (record, (secs, event)) in events.iter().enumerate() {
        let mut event = event.clone();
        // As the engine observes such rules: on the event with its annotation (here the place
        // is written by hand; the user agent family is derived).
        if annotated {
            trailgate::enrich::annotate_test_event(&mut event);
        }
        event["eventTime"] = json!(Timestamp::from_secs(*secs).to_rfc3339());
        let here = Coverage {
            from: *secs,
            latest: *secs,
        };
        scanned = Some(scanned.map_or(here, |c| c.join(here)));
        if observed(rule, &event) {
            let at = EventRef {
                file: Arc::from("f"),
                record,
            };
            observer.observe(0, first_seen, &event, at, || (*secs - T0) / DAY);
        }
    }
    let judged = [Judged {
        rule: 0,
        rule_id: &rule.id,
        fingerprint: rule_fingerprint(rule),
        history: first_seen.history,
        scanned,
    }];
    let (mut days, _) = judge(observer, &judged, history).expect("the store works");
    days.sort();
    days
}

/// Two events of the rule's subject: `a` and `b` are two values of the field that varies.
fn scenario(id: &str, value: &str) -> Value {
    match id {
        "aws-access-key-new-address" => json!({
            "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
            "sourceIPAddress": value,
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/ci", "accessKeyId": "AKIA1"}
        }),
        "aws-console-login-new-address" => json!({
            "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
            "sourceIPAddress": value, "responseElements": {"ConsoleLogin": "Success"},
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"}
        }),
        "aws-role-assumed-by-new-principal" => json!({
            "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
            "userIdentity": {"type": "IAMUser", "arn": value},
            "requestParameters": {"roleArn": "arn:aws:iam::1:role/admin"}
        }),
        "aws-api-call-new-region" => json!({
            "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
            "awsRegion": value, "recipientAccountId": "1",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"}
        }),
        "aws-bedrock-first-use-in-region" => json!({
            "eventSource": "bedrock.amazonaws.com", "eventName": "InvokeModel",
            "awsRegion": value, "recipientAccountId": "1",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/dev/alice"},
            "requestParameters": {"modelId": "anthropic.claude-3-haiku-20240307-v1:0"}
        }),
        "aws-principal-new-country" => json!({
            "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
            "sourceIPAddress": "203.0.113.7",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"},
            "trailgate": {"geo": {"kind": "public", "country": value, "country_name": value}}
        }),
        "aws-principal-new-asn" => json!({
            "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
            "sourceIPAddress": "203.0.113.7",
            "userIdentity": {"type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com"},
            "trailgate": {"geo": {"kind": "public", "country": "DE",
                "asn": if value == "a" { 3320 } else { 14061 }, "as_org": value}}
        }),
        "aws-principal-new-user-agent-family" => json!({
            "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/ci"},
            "userAgent": if value == "a" { "aws-cli/2.15.30 Python/3.11.8" } else { "Boto3/1.34.0 md/Botocore#1.34.0" }
        }),
        other => panic!("no scenario for {other}"),
    }
}

#[test]
fn each_draft_reports_new_combinations_once_and_again_after_its_history() {
    let rules = rules();
    assert_eq!(rules.len(), 8);
    for rule in &rules {
        let h = rule.first_seen.as_ref().unwrap().history / DAY;
        // `a` daily from day 0 to day h (learning, then always seen); `b` first on day h + 2 and
        // the day after; `a` again after a gap longer than the history.
        let mut events: Vec<(i64, Value)> = (0..=h)
            .map(|d| (T0 + d * DAY, scenario(&rule.id, "a")))
            .collect();
        events.push((T0 + (h + 2) * DAY, scenario(&rule.id, "b")));
        events.push((T0 + (h + 3) * DAY, scenario(&rule.id, "b")));
        events.push((T0 + (2 * h + 2) * DAY, scenario(&rule.id, "a")));
        let expected = vec![h + 2, 2 * h + 2];

        let mut shuffled = events.clone();
        shuffled.reverse();
        assert_eq!(
            run(rule, &shuffled, &mut NoHistory),
            expected,
            "{}",
            rule.id
        );

        // Across two runs on a store, cut after day h + 2: the same findings.
        let store_dir = tempfile::tempdir().unwrap();
        let cut = T0 + (h + 2) * DAY;
        let (first, second): (Vec<_>, Vec<_>) = events.iter().cloned().partition(|e| e.0 <= cut);
        let mut found = Vec::new();
        for part in [first, second] {
            let mut store = Store::open(store_dir.path()).unwrap();
            let mut batch = store.batch().unwrap();
            found.extend(run(rule, &part, &mut batch));
            batch.commit(1, 0).unwrap();
        }
        assert_eq!(found, expected, "{} across runs", rule.id);
    }
}
