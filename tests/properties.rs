//! Property tests (proptest): the fast path (fields read from raw record text, rules picked by
//! the index) agrees with the reference path (every record parsed, every rule's selector tried)
//! on arbitrary CloudTrail-like events, and reading the head of a record agrees with parsing it.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{json, Value};
use trailgate::engine::{scan, RuleSet, ScanOptions};
use trailgate::finding::ScanResult;
use trailgate::scope::Scope;
use trailgate::source::records::{head, head_and_members};
use trailgate::source::{discover, Input};

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::new(trailgate::rule::load_builtin().unwrap()))
}

/// (eventSource, eventName) pairs the built-in rules select, so that generated events meet rules.
fn selected_calls() -> Vec<(String, String)> {
    let mut calls = Vec::new();
    for rule in rules().rules() {
        let source = rule.selector.sources.first().cloned().unwrap_or_default();
        for name in &rule.selector.names {
            calls.push((source.clone(), name.clone()));
        }
    }
    calls.sort();
    calls.dedup();
    calls
}

/// Strings that stress the raw reader: quotes, backslashes, braces, escapes, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9:/._-]{0,12}",
        "[\"\\\\{}\\[\\],:é\u{1b}\u{202e} ]{0,6}",
        Just(String::new()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn event(calls: &'static [(String, String)]) -> impl Strategy<Value = Value> {
    (
        0..calls.len(),
        prop::sample::select(vec!["Root", "IAMUser", "AssumedRole", "AWSService", "FederatedUser"]),
        prop::option::of(prop::sample::select(vec!["AccessDenied", "", "Client.UnauthorizedOperation"])),
        prop::option::of(0u32..2_000_000_000u32),
        prop::sample::select(vec!["123456789012", "210987654321"]),
        prop::sample::select(vec!["us-east-1", "eu-west-1"]),
        prop::collection::btree_map("[a-zA-Z]{1,8}", value(), 0..4),
        text(),
        any::<bool>(),
    )
        .prop_map(
            move |(call, identity, error, time, account, region, params, agent, mixed_case)| {
                let (source, name) = &calls[call];
                let name = if mixed_case { name.to_lowercase() } else { name.clone() };
                let mut event = json!({
                    "eventVersion": "1.09",
                    "eventSource": source,
                    "eventName": name,
                    "recipientAccountId": account,
                    "awsRegion": region,
                    "sourceIPAddress": "203.0.113.9",
                    "userAgent": agent,
                    "userIdentity": {"type": identity, "arn": format!("arn:aws:iam::{account}:user/x"), "accessKeyId": "AKIAEXAMPLE"},
                    "requestParameters": Value::Object(params.into_iter().collect()),
                });
                if let Some(error) = error {
                    event["errorCode"] = json!(error);
                }
                if let Some(seconds) = time {
                    let t = trailgate::time::Timestamp::from_secs(i64::from(seconds));
                    event["eventTime"] = json!(t.to_rfc3339());
                }
                event
            },
        )
}

fn run(dir: &std::path::Path, reference: bool, scope: &Scope) -> ScanResult {
    run_within(dir, reference, scope, &ScanOptions::default())
}

/// `run` with other options (limits, streaming) as in `base`.
fn run_within(
    dir: &std::path::Path,
    reference: bool,
    scope: &Scope,
    base: &ScanOptions,
) -> ScanResult {
    let options = ScanOptions {
        reference,
        threads: base.threads.max(1),
        scope: scope.clone(),
        ..base.clone()
    };
    scan(
        rules(),
        discover(&[Input::Path(dir.to_path_buf())]),
        &options,
    )
}

fn summary(result: &ScanResult) -> String {
    let mut stats = result.stats.clone();
    stats.duration = std::time::Duration::ZERO;
    format!("{:#?}\n{:#?}\n{stats:#?}", result.findings, result.errors)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn fast_path_equals_reference_path(
        events in prop::collection::vec(event(calls()), 1..12),
        scoped in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.json"), json!({"Records": events}).to_string()).unwrap();
        let scope = if scoped {
            Scope { since: trailgate::time::parse_rfc3339("2020-01-01T00:00:00Z"), ..Scope::default() }
        } else {
            Scope::default()
        };
        let fast = run(dir.path(), false, &scope);
        let reference = run(dir.path(), true, &scope);
        prop_assert_eq!(summary(&fast), summary(&reference));
        prop_assert_eq!(fast.stats.events_read, events.len());
    }

    #[test]
    fn the_record_limit_refuses_the_same_records_on_every_path(
        events in prop::collection::vec(event(calls()), 1..12),
        limit in 250u64..900,
        lines in any::<bool>(),
        streamed in any::<bool>(),
        batch in 1usize..3000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let text = if lines {
            events.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
        } else {
            json!({"Records": events}).to_string()
        };
        std::fs::write(dir.path().join("t.json"), text).unwrap();
        let limits = ScanOptions {
            limits: trailgate::source::ReadLimits { max_record_bytes: limit, ..Default::default() },
            // Streamed files are also evaluated in batches on two threads.
            stream_above: streamed.then_some(0),
            batch_bytes: Some(batch),
            threads: if streamed { 2 } else { 1 },
            ..ScanOptions::default()
        };
        let scope = Scope::default();
        let fast = run_within(dir.path(), false, &scope, &limits);
        let reference = run_within(dir.path(), true, &scope, &limits);
        prop_assert_eq!(summary(&fast), summary(&reference));
        let refused = events.iter().filter(|e| e.to_string().len() as u64 > limit).count();
        prop_assert_eq!(fast.stats.records_failed, refused);
        prop_assert_eq!(fast.stats.events_read + refused, events.len());
    }

    #[test]
    fn head_agrees_with_the_parser(
        fields in prop::collection::vec(
            (prop::sample::select(vec!["eventSource", "eventName", "eventTime", "recipientAccountId", "awsRegion", "other"]),
             any::<bool>(), value()),
            0..8),
    ) {
        // Written by hand so that keys may repeat or be spelled with escapes.
        let members: Vec<String> = fields
            .iter()
            .map(|(key, escaped, value)| {
                let key = if *escaped { format!("\\u0065{}", &key[1..]) } else { key.to_string() };
                format!("\"{key}\": {value}")
            })
            .collect();
        let text = format!("{{{}}}", members.join(", "));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        if let Some(found) = head(&text) {
            let field = |key: &str| parsed.get(key).and_then(Value::as_str);
            prop_assert_eq!(found.source, field("eventSource"));
            prop_assert_eq!(found.name, field("eventName"));
            prop_assert_eq!(found.account, field("recipientAccountId"));
            prop_assert_eq!(found.region, field("awsRegion"));
            prop_assert_eq!(found.time, field("eventTime"));
        }
    }

    #[test]
    fn member_spans_rebuild_the_tree(
        before in prop::collection::vec((member_name(), value()), 0..4),
        after in prop::collection::vec((member_name(), value()), 0..4),
        spacing in prop::sample::select(vec!["", " ", "\n\t "]),
    ) {
        // The member spans noted with the head rebuild the whole tree member by member (the
        // engine's partial trees, `engine::partial`), a repeated key keeping its last value.
        let member = |(key, value): &(&str, Value)| format!("{spacing}\"{key}\"{spacing}:{spacing}{value}{spacing}");
        let mut members: Vec<String> = before.iter().map(member).collect();
        members.push(r#""eventSource":"s3.amazonaws.com","eventName":"GetObject","recipientAccountId":"1""#.to_string());
        members.extend(after.iter().map(member));
        let text = format!("{spacing}{{{}}}{spacing}", members.join(","));
        let parsed: Value = serde_json::from_str(&text).unwrap();
        let mut spans = Vec::new();
        let found = head_and_members(&text, &mut spans);
        prop_assert!(found.is_some(), "{}", text);
        prop_assert_eq!(found, head(&text));
        prop_assert_eq!(spans.len(), before.len() + 3 + after.len());
        let mut rebuilt = serde_json::Map::new();
        for span in &spans {
            let value: Value = serde_json::from_str(&text[span.value.clone()]).unwrap();
            rebuilt.insert(text[span.name.clone()].to_string(), value);
        }
        prop_assert_eq!(Value::Object(rebuilt), parsed);
    }
}

/// Member names, repeated often, unusual ones included (no escapes: a record whose names have
/// escapes has no head).
fn member_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "userIdentity",
        "requestParameters",
        "other",
        "x y",
        "é",
        "",
    ])
}

fn calls() -> &'static [(String, String)] {
    static CALLS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CALLS.get_or_init(selected_calls)
}
