//! Loading correlation rules (Sigma multi-document files, native files, filters) and their
//! verdicts on shuffled events.

use serde_json::{json, Value};
use trailgate::correlate::{self, cases};
use trailgate::rule::collection::{compile_collection, Loaded};
use trailgate::rule::correlation::{FieldSource, Kind};
use trailgate::rule::{RuleError, RuleFile};

fn file(name: &str, text: &str) -> RuleFile {
    RuleFile {
        name: name.into(),
        text: text.into(),
        pack: "test".into(),
    }
}

fn fixture(name: &str) -> RuleFile {
    let path = format!(
        "{}/fixtures/correlations/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    file(&path, &std::fs::read_to_string(&path).expect("fixture"))
}

fn load(files: &[RuleFile]) -> Loaded {
    compile_collection(files).unwrap_or_else(|errors| panic!("{errors:#?}"))
}

fn errors(files: &[RuleFile]) -> Vec<RuleError> {
    compile_collection(files).expect_err("should not load")
}

fn login(second: u32, ip: &str, outcome: &str, user: &str) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventTime": format!("2024-03-01T10:{:02}:{:02}Z", second / 60, second % 60),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "sourceIPAddress": ip,
        "userIdentity": {"type": "IAMUser", "userName": user},
        "responseElements": {"ConsoleLogin": outcome},
        "eventID": format!("{ip}-{second}-{outcome}"),
    })
}

fn fired(loaded: &Loaded, events: &[Value]) -> Vec<(String, Vec<String>, i64, i64, u64)> {
    let tables = cases::signals(loaded, events, "events.json");
    correlate::evaluate(&loaded.correlations, &tables)
        .into_iter()
        .map(|f| {
            (
                loaded.correlations[f.correlation].id.clone(),
                f.episode.group.clone(),
                f.episode.start,
                f.episode.end,
                f.episode.total(),
            )
        })
        .collect()
}

#[test]
fn a_sigma_chain_in_one_multi_document_file_loads_and_fires_on_shuffled_events() {
    let loaded = load(&[fixture("mr_console_brute_force.yml")]);
    assert_eq!(loaded.rules.len(), 2);
    assert_eq!(loaded.correlations.len(), 2);
    let outer = loaded
        .correlations
        .iter()
        .find(|c| c.id == "0b7a3c2e-5d41-4b8e-9a57-1f2c3d4e5f60")
        .unwrap();
    assert_eq!(outer.kind, Kind::TemporalOrdered);
    assert!(outer.inputs[0].chained && !outer.inputs[1].chained);
    assert_eq!(outer.inputs[0].written, "many_failed_console_logins");
    assert_eq!(outer.group_by[0].sources[0], FieldSource::Group(0));
    // the per-event rules and the inner correlation are quiet (generate: false)
    let quiet = loaded.quiet_ids();
    assert!(
        quiet.contains("sigma-failed-console-login") || quiet.len() == 3,
        "{quiet:?}"
    );
    assert_eq!(quiet.len(), 3);

    // six failures from one address in five minutes, then a success; noise from another
    let mut events: Vec<Value> = (0..6)
        .map(|i| login(i * 50, "203.0.113.9", "Failure", &format!("u{i}")))
        .collect();
    events.push(login(400, "203.0.113.9", "Success", "u1"));
    events.push(login(100, "198.51.100.7", "Failure", "u1"));
    events.push(login(500, "198.51.100.7", "Success", "u1"));
    events.reverse();
    events.swap(1, 5);
    let found = fired(&loaded, &events);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, vec!["203.0.113.9".to_string()]);
    // the success came before the failures ended: no finding
    let mut early: Vec<Value> = (0..6)
        .map(|i| login(i * 50, "203.0.113.9", "Failure", "u"))
        .collect();
    early.push(login(120, "203.0.113.9", "Success", "u"));
    assert!(fired(&loaded, &early).is_empty());
}

#[test]
fn aliases_read_a_different_field_per_rule() {
    let loaded = load(&[fixture("mr_new_user_key.yml")]);
    let c = &loaded.correlations[0];
    assert_eq!(c.group_by[0].name, "new_user");
    let event = |second: u32, name: &str, user: &str| {
        json!({"eventTime": format!("2024-03-01T10:{:02}:{:02}Z", second / 60, second % 60),
               "eventSource": "iam.amazonaws.com", "eventName": name,
               "requestParameters": {"userName": user}})
    };
    let events = vec![
        event(1000, "CreateAccessKey", "mallory"),
        event(10, "CreateUser", "mallory"),
        event(20, "CreateAccessKey", "bob"),
        event(30, "CreateUser", "alice"),
    ];
    let found = fired(&loaded, &events);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, vec!["mallory".to_string()]);
    assert_eq!((found[0].2 % 3600, found[0].4), (10, 2));
}

#[test]
fn references_resolve_across_files_and_by_id() {
    let rule = "title: Failed console login\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  selection:\n    eventName: ConsoleLogin\n    responseElements.ConsoleLogin: Failure\n  condition: selection\n";
    let correlation = "title: Brute force\ncorrelation:\n  type: event_count\n  rules: [11111111-2222-4333-8444-555555555555]\n  group-by: [sourceIPAddress]\n  timespan: 1m\n  condition: {gte: 3}\nlevel: high\n";
    let loaded = load(&[file("a.yml", rule), file("b.yml", correlation)]);
    assert_eq!(
        loaded.correlations[0].inputs[0].id,
        "11111111-2222-4333-8444-555555555555"
    );
    let events: Vec<Value> = (0..3)
        .map(|i| login(i * 20, "192.0.2.1", "Failure", "x"))
        .collect();
    assert_eq!(fired(&loaded, &events).len(), 1);
    assert!(fired(&loaded, &events[..2]).is_empty());
}

#[test]
fn located_errors() {
    let rule = "title: R\nname: r\nlogsource: {product: aws}\ndetection:\n  selection: {eventName: X}\n  condition: selection\n";
    let corr = |body: &str| format!("title: C\nname: c\ncorrelation:\n{body}");
    let cases: Vec<(String, &str, u64)> = vec![
        (corr("  type: event_count\n  rules: [rr]\n  group-by: [sourceIPAddress]\n  timespan: 1m\n  condition: {gte: 2}\n"), "unknown rule reference `rr`", 5),
        (corr("  type: event_count\n  rules: [r]\n  group-by: [sourceIPAddress]\n  timespan: 1H\n  condition: {gte: 2}\n"), "invalid timespan `1H`", 7),
        (corr("  type: event_count\n  rules: [r]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 2}\n"), "`User` is not a CloudTrail field", 6),
        (corr("  type: event_count\n  rules: [r]\n  group-by: [sourceIPAddres]\n  timespan: 1m\n  condition: {gte: 2}\n"), "not a CloudTrail field", 6),
        (corr("  type: value_count\n  rules: [r]\n  timespan: 1m\n  condition: {gte: 2}\n"), "names the field", 7),
        (corr("  type: event_count\n  rules: [r]\n  timespan: 1m\n  condition: {gt: 5, lt: 3}\n"), "holds for no count", 7),
        (corr("  type: event_count\n  rules: [r]\n  timespan: 1m\n  condition: {gte: 2}\n  groupby: [x]\n"), "unknown key `groupby`", 8),
        (corr("  type: event_count\n  rules: [r]\n  group-by: [k]\n  aliases: {k: {zz: sourceIPAddress, r: sourceIPAddress}}\n  timespan: 1m\n  condition: {gte: 2}\n"), "does not refer to", 6),
        (corr("  type: counting\n  rules: [r]\n  timespan: 1m\n  condition: {gte: 2}\n"), "unknown correlation type", 4),
    ];
    for (text, expected, line) in cases {
        let errors = errors(&[file("r.yml", rule), file("c.yml", &text)]);
        assert_eq!(errors.len(), 1, "{text}\n{errors:#?}");
        assert!(
            errors[0].message.contains(expected),
            "{text}\n{:?}",
            errors[0]
        );
        assert_eq!(
            (errors[0].file.as_str(), errors[0].line),
            ("c.yml", line),
            "{text}\n{:?}",
            errors[0]
        );
    }
    let e = errors(&[
        file("r.yml", rule),
        file(
            "c.yml",
            &corr("  type: event_count\n  rules: [rr]\n  timespan: 1m\n  condition: {gte: 2}\n"),
        ),
    ]);
    assert_eq!(e[0].help.as_deref(), Some("did you mean `r`?"));
}

#[test]
fn cycles_and_chained_group_fields_are_errors() {
    let a = "title: A\nname: a\ncorrelation:\n  type: event_count\n  rules: [b]\n  group-by: [sourceIPAddress]\n  timespan: 1m\n  condition: {gte: 2}\n---\ntitle: B\nname: b\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [sourceIPAddress]\n  timespan: 1m\n  condition: {gte: 2}\n";
    let e = errors(&[file("cycle.yml", a)]);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(e[0].message.contains("cycle"), "{:?}", e[0]);
    assert!(
        e[0].message.contains("sigma-a -> sigma-b -> sigma-a")
            || e[0].message.contains("sigma-b -> sigma-a -> sigma-b"),
        "{}",
        e[0].message
    );
    let chained = "title: R\nname: r\nlogsource: {product: aws}\ndetection:\n  selection: {eventName: X}\n  condition: selection\n---\ntitle: Inner\nname: inner\ncorrelation:\n  type: event_count\n  rules: [r]\n  group-by: [sourceIPAddress]\n  timespan: 1m\n  condition: {gte: 2}\n---\ntitle: Outer\ncorrelation:\n  type: event_count\n  rules: [inner]\n  group-by: [userIdentity.arn]\n  timespan: 1h\n  condition: {gte: 2}\n";
    let e = errors(&[file("chain.yml", chained)]);
    assert!(
        e[0].message
            .contains("not a group-by field of the correlation `inner`"),
        "{:?}",
        e[0]
    );
    assert_eq!(e[0].line, 21);
}

#[test]
fn sigma_filters_tune_the_rules_they_name() {
    let rule = "title: Failed console login\nname: failed_login\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  selection:\n    eventName: ConsoleLogin\n    responseElements.ConsoleLogin: Failure\n  condition: selection\n";
    let filter = "title: Ignore the probe\nlogsource: {product: aws, service: cloudtrail}\nfilter:\n  rules: [failed_login]\n  selection:\n    sourceIPAddress: 192.0.2.*\n  condition: not selection\n";
    let loaded = load(&[file("r.yml", rule), file("f.yml", filter)]);
    let rule = &loaded.rules[0];
    assert!(cases::rule_matches(
        rule,
        &login(0, "198.51.100.1", "Failure", "x")
    ));
    assert!(!cases::rule_matches(
        rule,
        &login(0, "192.0.2.50", "Failure", "x")
    ));
    let windows = "title: W\nlogsource: {product: windows}\nfilter:\n  rules: any\n  selection: {User: x}\n  condition: not selection\n";
    let loaded = load(&[file("r.yml", &rule_text()), file("w.yml", windows)]);
    assert_eq!(loaded.notes.len(), 1);
    let e = errors(&[
        file("r.yml", &rule_text()),
        file("f.yml", &filter_text("[nope]")),
    ]);
    assert!(
        e[0].message.contains("unknown rule reference `nope`"),
        "{e:#?}"
    );
}

fn rule_text() -> String {
    "title: R\nname: r\nlogsource: {product: aws}\ndetection:\n  selection: {eventName: X}\n  condition: selection\n".into()
}

fn filter_text(rules: &str) -> String {
    format!("title: F\nlogsource: {{product: aws}}\nfilter:\n  rules: {rules}\n  selection: {{eventName: Y}}\n  condition: not selection\n")
}

#[test]
fn native_correlations_load_and_their_cases_run() {
    let failed = "id: console-login-failed\ntitle: Failed console login\nseverity: info\nevents:\n  eventSource: signin.amazonaws.com\n  eventName: ConsoleLogin\ncondition:\n  path: $.responseElements.ConsoleLogin\n  equals: Failure\n";
    let spraying = r#"id: console-password-spraying
title: Password spraying from one address
severity: high
correlation:
  type: value_count
  rules: [console-login-failed]
  group_by: [$.sourceIPAddress]
  field: $.userIdentity.userName
  timespan: 10m
  condition: {gte: 3}
message: '{sourceIPAddress} tried {distinct} user names'
tests:
  - name: three users in two minutes
    expect: finding
    findings: 1
    events:
      - {eventTime: '2024-03-01T10:02:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: c}, responseElements: {ConsoleLogin: Failure}}
      - {eventTime: '2024-03-01T10:00:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: a}, responseElements: {ConsoleLogin: Failure}}
      - {eventTime: '2024-03-01T10:01:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: b}, responseElements: {ConsoleLogin: Failure}}
  - name: one user many times
    expect: none
    events:
      - {eventTime: '2024-03-01T10:00:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: a}, responseElements: {ConsoleLogin: Failure}}
      - {eventTime: '2024-03-01T10:01:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: a}, responseElements: {ConsoleLogin: Failure}}
      - {eventTime: '2024-03-01T10:02:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: a}, responseElements: {ConsoleLogin: Failure}}
  - name: wrong on purpose
    expect: finding
    events:
      - {eventTime: '2024-03-01T10:00:00Z', eventSource: signin.amazonaws.com, eventName: ConsoleLogin, sourceIPAddress: 192.0.2.1, userIdentity: {userName: a}, responseElements: {ConsoleLogin: Failure}}
"#;
    let loaded = load(&[file("failed.yaml", failed), file("spraying.yaml", spraying)]);
    let c = &loaded.correlations[0];
    assert!(matches!(c.kind, Kind::ValueCount { .. }));
    assert_eq!(c.group_by[0].name, "sourceIPAddress");
    let results = cases::run(&loaded);
    let verdicts: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r.name.as_str(), r.failure.is_none()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("three users in two minutes", true),
            ("one user many times", true),
            ("wrong on purpose", false)
        ]
    );
    assert_eq!(
        results[2].failure.as_deref(),
        Some("expected a finding, got none")
    );

    let bad = spraying.replace("console-login-failed]", "console-login-faild]");
    let e = errors(&[file("failed.yaml", failed), file("spraying.yaml", &bad)]);
    assert_eq!(
        (e[0].line, e[0].help.as_deref()),
        (6, Some("did you mean `console-login-failed`?"))
    );
    let bad = spraying.replace("'{sourceIPAddress} tried", "'{userName} tried");
    let e = errors(&[file("failed.yaml", failed), file("spraying.yaml", &bad)]);
    assert!(e[0].message.contains("`{userName}` is neither"), "{e:#?}");
}

/// The built-in correlation pack: it loads with the built-in rules it refers to, the schema
/// accepts it, and every case passes.
#[test]
fn the_correlation_pack_loads_with_the_builtin_rules_and_its_cases_pass() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/aws/correlations");
    let (files, errors) = trailgate::rule::load::read_paths(&[dir]);
    assert!(errors.is_empty(), "{errors:#?}");
    let validator = jsonschema::draft7::new(&trailgate::rule::schema::rule_schema()).unwrap();
    for file in &files {
        let value: Value = serde_saphyr::from_str(&file.text).unwrap();
        let problems: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(problems.is_empty(), "{}: {problems:#?}", file.name);
    }
    let pack = files.len();
    let loaded = load(&trailgate::rule::load::builtin_files());
    assert_eq!(
        loaded.correlations.len(),
        pack - 5,
        "five helper rules, the rest correlations"
    );
    let results = cases::run(&loaded);
    let failed: Vec<_> = results.iter().filter(|r| r.failure.is_some()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(results.len() >= 2 * loaded.correlations.len());
    for correlation in &loaded.correlations {
        let cases = &loaded.correlation_tests[&correlation.id];
        assert!(
            cases.iter().any(|c| c.expect_finding) && cases.iter().any(|c| !c.expect_finding),
            "{}",
            correlation.id
        );
    }
    // the helper rules pass their own cases and feed only their correlations
    let helpers: Vec<_> = loaded
        .rules
        .iter()
        .filter(|r| r.file.contains("rules/aws/correlations/"))
        .cloned()
        .collect();
    assert_eq!(helpers.len(), 5);
    for result in trailgate::verify::run(&helpers) {
        assert_eq!(result.failed(), 0, "{result:#?}");
    }
    let quiet = loaded.quiet_ids();
    assert!(
        quiet.contains("aws-console-login-succeeded")
            && quiet.contains("aws-secretsmanager-secret-read")
            && quiet.contains("aws-ssm-session-started")
            && quiet.contains("aws-ssm-parameter-decrypted")
            && quiet.contains("aws-ssm-parameters-decrypted")
    );
    assert!(
        !quiet.contains("aws-console-brute-force") && !quiet.contains("aws-console-login-failed"),
        "{quiet:?}"
    );
}
