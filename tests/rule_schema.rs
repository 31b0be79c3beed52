//! docs/rule.schema.json: generated from the spec types, never stale, accepts every built-in rule
//! and rejects what the loader rejects (as far as JSON Schema can say it).

use serde_json::Value;
use trailgate::rule::schema::{rule_schema, rule_schema_text, SCHEMA_PATH};

#[test]
fn committed_schema_is_up_to_date() {
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == rule_schema_text(),
        "{SCHEMA_PATH} is stale: regenerate it with `cargo run -- rules schema > {SCHEMA_PATH}`"
    );
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).expect("valid YAML")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&rule_schema()).expect("the schema is valid draft-07")
}

#[test]
fn schema_accepts_every_builtin_rule() {
    let validator = validator();
    let mut checked = 0;
    for entry in walk("rules") {
        let text = std::fs::read_to_string(&entry).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&yaml(&text))
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", entry.display());
        checked += 1;
    }
    assert!(checked >= 9);
}

#[test]
fn schema_rejects_what_the_loader_rejects() {
    let validator = validator();
    let head = "id: r\ntitle: R\nseverity: low\nevents: {eventName: X}\n";
    let bad = [
        "id: r\ntitle: R\nseverty: low\nevents: {eventName: X}\n".to_string(),
        "id: R_1\ntitle: R\nseverity: low\nevents: {eventName: X}\n".to_string(),
        "id: r\ntitle: R\nseverity: severe\nevents: {eventName: X}\n".to_string(),
        "id: r\ntitle: R\nseverity: low\nevents: {outcome: success}\n".to_string(),
        format!("{head}condition: {{}}\n"),
        format!("{head}condition: {{path: $.a}}\n"),
        format!("{head}condition: {{path: $.a, equals: 1, exists: true}}\n"),
        format!("{head}condition: {{all: [], any: []}}\n"),
        format!("{head}condition: {{equals: 1}}\n"),
        format!("{head}condition: {{path: a.b, exists: true}}\n"),
        format!("{head}condition: {{path: $.a, equal: 1}}\n"),
        format!("{head}condition: {{path: $.a, equals: [1]}}\n"),
        format!("{head}condition: {{path: $.a, one_of: []}}\n"),
        format!("{head}condition: {{some: {{path: $.a}}}}\n"),
        format!("{head}tests: [{{name: t, expect: maybe, event: {{}}}}]\n"),
        format!("{head}compliance: {{cis: []}}\n"),
    ];
    for text in &bad {
        assert!(
            !validator.is_valid(&yaml(text)),
            "the schema accepts:\n{text}"
        );
        assert!(
            trailgate::rule::load::compile_files(&[trailgate::rule::RuleFile {
                name: "r.yaml".into(),
                text: text.clone(),
                pack: String::new(),
            }])
            .is_err(),
            "the loader accepts:\n{text}"
        );
    }
    let good = format!("{head}condition:\n  some:\n    path: $.l\n    where: {{path: '@.x', one_of: [1, a, null], quantifier: all}}\n");
    assert!(validator.is_valid(&yaml(&good)));
}

fn walk(dir: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
