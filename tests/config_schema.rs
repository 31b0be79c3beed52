//! docs/config.schema.json: generated from the configuration file model, never stale, accepts
//! the documented example and rejects what the loader rejects (as far as JSON Schema can say it).

use std::path::PathBuf;

use serde_json::Value;
use trailgate::config::schema::{config_schema, config_schema_text, SCHEMA_PATH};
use trailgate::config::Config;

const EXAMPLE: &str = "docs/examples/trailgate.toml";

#[test]
fn committed_schema_is_up_to_date() {
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == config_schema_text(),
        "{SCHEMA_PATH} is stale: regenerate it with `cargo run -- config schema > {SCHEMA_PATH}`"
    );
}

/// TOML as taplo hands it to a JSON Schema validator: dates become strings.
fn json(text: &str) -> Value {
    fn convert(value: toml::Value) -> Value {
        match value {
            toml::Value::String(s) => Value::String(s),
            toml::Value::Integer(i) => Value::from(i),
            toml::Value::Float(f) => Value::from(f),
            toml::Value::Boolean(b) => Value::Bool(b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(items) => Value::Array(items.into_iter().map(convert).collect()),
            toml::Value::Table(table) => {
                Value::Object(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
            }
        }
    }
    convert(
        toml::from_str::<toml::Table>(text)
            .map(toml::Value::Table)
            .expect("valid TOML"),
    )
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&config_schema()).expect("the schema is valid draft-07")
}

fn loads(text: &str) -> bool {
    Config::parse(
        PathBuf::from("trailgate.toml"),
        PathBuf::from("."),
        text.to_string(),
    )
    .is_ok()
}

#[test]
fn schema_and_loader_accept_the_documented_example() {
    let text = std::fs::read_to_string(EXAMPLE).expect("the example exists");
    let errors: Vec<String> = validator()
        .iter_errors(&json(&text))
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(loads(&text), "the loader refuses {EXAMPLE}");
}

#[test]
fn schema_rejects_what_the_loader_rejects() {
    let validator = validator();
    let suppress = "[[suppress]]\nrule = \"aws-*\"\n";
    let bad = [
        "fial-on = \"high\"\n".to_string(),
        "fail-on = \"severe\"\n".to_string(),
        "severity = \"never\"\n".to_string(),
        "pack = 3\n".to_string(),
        "builtin = \"yes\"\n".to_string(),
        "s3-concurrency = 0\n".to_string(),
        "format = \"xml\"\n".to_string(),
        "max-file-size = \"lots\"\n".to_string(),
        suppress.to_string(),
        format!("{suppress}reason = \"\"\n"),
        format!("{suppress}reason = \"r\"\nexpire = 2025-01-01\n"),
        format!("{suppress}reason = \"r\"\naccount = 111122223333\n"),
    ];
    for text in &bad {
        assert!(
            !validator.is_valid(&json(text)),
            "the schema accepts:\n{text}"
        );
        if text.contains("s3-concurrency") || text.contains("max-file-size") {
            // Ranges and sizes are checked by the scan plan, with the same position.
            continue;
        }
        assert!(!loads(text), "the loader accepts:\n{text}");
    }
    let good = format!("{suppress}reason = \"r\"\nexpires = 2025-03-31\nprincipal = [\"arn:*\"]\n");
    assert!(validator.is_valid(&json(&good)));
    assert!(loads(&good));
}
