//! What compiled Sigma detections match: field names, modifiers, wildcards, null, lists,
//! keywords and conditions, evaluated by the engine on events. (Here rather than beside the Sigma
//! compiler, which sits below the engine and does not name it.)

use serde_json::{json, Value};
use trailgate::engine::eval::matches;
use trailgate::rule::sigma::{compile, Compiled};
use trailgate::rule::{Rule, RuleFile};

fn rule(detection: &str) -> Rule {
    let text = format!(
        "title: T\nid: 0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2\nauthor: someone\nlevel: high\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}"
    );
    let file = RuleFile {
        name: "s.yml".into(),
        text,
        pack: String::new(),
    };
    match compile(&file) {
        Ok(Compiled::Rule(rule)) => *rule,
        other => panic!("{other:?}"),
    }
}

fn hit(detection: &str, event: &Value) -> bool {
    matches(&rule(detection).condition, event)
}

#[test]
fn matching_is_case_insensitive_with_wildcards() {
    let d = "  sel:\n    eventName: 'create*user'\n  condition: sel\n";
    assert!(hit(d, &json!({"eventName": "CreateLoginUser"})));
    assert!(hit(d, &json!({"eventName": "createuser"})));
    assert!(!hit(d, &json!({"eventName": "CreateUsers"})));
    let q = "  sel:\n    eventName: 'Get?bject'\n  condition: sel\n";
    assert!(hit(q, &json!({"eventName": "GetObject"})));
    let escaped = "  sel:\n    userAgent: 'a\\*b'\n  condition: sel\n";
    assert!(hit(escaped, &json!({"userAgent": "A*B"})));
    assert!(!hit(escaped, &json!({"userAgent": "axxb"})));
    let cased = "  sel:\n    eventName|cased: CreateUser\n  condition: sel\n";
    assert!(!hit(cased, &json!({"eventName": "createuser"})));
}

#[test]
fn modifiers() {
    let event = json!({"userAgent": "aws-cli/2.0 Python", "ip": "10.1.2.3", "n": 5, "a": "x", "b": "X",
        "requestParameters": {"policy": "\"s3:GetObject\"", "layers": ["arn:1"]}});
    assert!(hit(
        "  s:\n    userAgent|contains: CLI/\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    userAgent|startswith: AWS-\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    userAgent|endswith: python\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    userAgent|contains|all: [aws, python]\n  condition: s\n",
        &event
    ));
    assert!(!hit(
        "  s:\n    userAgent|contains|all: [aws, ruby]\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    userAgent|re: '^aws-cli/\\d'\n  condition: s\n",
        &event
    ));
    assert!(!hit(
        "  s:\n    userAgent|re: '^AWS'\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    userAgent|re|i: '^AWS'\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    ip|cidr: 10.0.0.0/8\n  condition: s\n",
        &event
    ));
    assert!(hit("  s:\n    n|gte: 5\n  condition: s\n", &event));
    assert!(hit("  s:\n    n: 5\n  condition: s\n", &event));
    assert!(hit("  s:\n    n: '5'\n  condition: s\n", &event));
    assert!(hit("  s:\n    a|fieldref: b\n  condition: s\n", &event));
    assert!(hit(
        "  s:\n    missing|exists: false\n  condition: s\n",
        &event
    ));
    // String modifiers on objects and arrays look at the value's JSON text.
    assert!(hit(
        "  s:\n    requestParameters|contains: 's3:GetObject'\n  condition: s\n",
        &event
    ));
    assert!(hit(
        "  s:\n    requestParameters.layers|contains: '*'\n  condition: s\n",
        &event
    ));
    assert!(!hit(
        "  s:\n    requestParameters.absent|contains: '*'\n  condition: s\n",
        &event
    ));
}

#[test]
fn null_matches_missing_null_and_empty() {
    let d = "  s:\n    errorCode: null\n  condition: s\n";
    assert!(hit(d, &json!({})));
    assert!(hit(d, &json!({"errorCode": null})));
    assert!(hit(d, &json!({"errorCode": ""})));
    assert!(!hit(d, &json!({"errorCode": "AccessDenied"})));
}

#[test]
fn conditions_lists_and_keywords() {
    let d = "  selection:\n    eventSource: ssm.amazonaws.com\n  filter_a:\n    - eventName: X\n    - sourceIPAddress: AWS Internal\n  filter_b:\n    eventName: Y\n  condition: selection and not 1 of filter_*\n";
    assert!(hit(
        d,
        &json!({"eventSource": "ssm.amazonaws.com", "eventName": "Z"})
    ));
    assert!(!hit(
        d,
        &json!({"eventSource": "ssm.amazonaws.com", "eventName": "Y"})
    ));
    assert!(!hit(
        d,
        &json!({"eventSource": "ssm.amazonaws.com", "sourceIPAddress": "aws internal"})
    ));
    let k = "  keywords:\n    - 'evil'\n  condition: keywords\n";
    assert!(hit(k, &json!({"a": {"b": ["xx EVIL yy"]}})));
    assert!(!hit(k, &json!({"evil": "key names are not searched"})));
    let all = "  a:\n    x: 1\n  b:\n    y: 2\n  condition: all of them\n";
    assert!(hit(all, &json!({"x": 1, "y": 2})));
    assert!(!hit(all, &json!({"x": 1})));
}
