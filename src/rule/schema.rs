//! The JSON Schema of rule files, generated from the spec types so that it cannot drift from the
//! loader. Committed as docs/rule.schema.json; a test fails when that copy is stale. Editors use
//! it through `# yaml-language-server: $schema=...`.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use super::spec::{ConditionSpec, ItemsSpec, LiteralSpec, OneOrMany, QuantifierSpec, RuleSpec};

/// Where the committed copy lives, relative to the crate root.
pub const SCHEMA_PATH: &str = "docs/rule.schema.json";

/// The schema of a rule file (JSON Schema draft-07, understood by yaml-language-server).
pub fn rule_schema() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
    // A rule file holds a per-event rule or a correlation rule (docs/correlations.md).
    let rule = generator.subschema_for::<RuleSpec>().to_value();
    let correlation = generator
        .subschema_for::<super::native_correlation::CorrelationRuleSpec>()
        .to_value();
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    let mut value = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "trailgate rule",
        "description": "A trailgate rule file: a per-event rule (docs/rules.md) or a correlation rule (docs/correlations.md).",
        "oneOf": [rule, correlation],
        "definitions": definitions,
    });
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "$id".into(),
            json!("https://github.com/trailgate/trailgate/blob/main/docs/rule.schema.json"),
        );
    }
    value
}

/// The schema as the committed file holds it: pretty JSON and a final newline.
pub fn rule_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&rule_schema()).unwrap_or_default();
    text.push('\n');
    text
}

const TESTS: [(&str, &str); 13] = [
    (
        "exists",
        "`true`: the path selects something (null counts); `false`: the field is missing.",
    ),
    (
        "is_null",
        "`true`: the node is JSON null; `false`: it is present and not null. Missing is neither.",
    ),
    (
        "equals",
        "Type-aware equality: the string \"false\" is not the boolean false; 1 equals 1.0.",
    ),
    ("one_of", "Equal to any of the values."),
    (
        "regex",
        "The node is a string the regex (Rust syntax, unanchored) matches.",
    ),
    ("contains", "The node is a string containing the text."),
    (
        "starts_with",
        "The node is a string starting with the text.",
    ),
    ("ends_with", "The node is a string ending with the text."),
    (
        "gt",
        "The node is a number (or numeric string) greater than the bound.",
    ),
    (
        "gte",
        "The node is a number (or numeric string) at least the bound.",
    ),
    (
        "lt",
        "The node is a number (or numeric string) less than the bound.",
    ),
    (
        "lte",
        "The node is a number (or numeric string) at most the bound.",
    ),
    (
        "in_cidr",
        "The node is an IP address or CIDR block inside one of the networks.",
    ),
];

impl JsonSchema for ConditionSpec {
    fn schema_name() -> Cow<'static, str> {
        "Condition".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let condition = generator.subschema_for::<ConditionSpec>().to_value();
        let items = generator.subschema_for::<ItemsSpec>().to_value();
        let literal = generator.subschema_for::<LiteralSpec>().to_value();
        let strings = generator.subschema_for::<OneOrMany<String>>().to_value();
        let quantifier = generator.subschema_for::<QuantifierSpec>().to_value();
        let only = |key: &str, schema: Value, description: &str| {
            json!({
                "type": "object",
                "description": description,
                "required": [key],
                "properties": {key: schema},
                "additionalProperties": false,
            })
        };
        let mut predicate_properties = Map::new();
        predicate_properties.insert(
            "path".into(),
            json!({"type": "string", "pattern": "^[$@]", "description": "RFC 9535 JSONPath: `$` is the event, `@` the current item of `some`/`every`."}),
        );
        predicate_properties.insert("quantifier".into(), quantifier);
        predicate_properties.insert(
            "interpolate".into(),
            json!({"type": "boolean", "description": "The text value of equals, contains, starts_with or ends_with is a template: `{path}` placeholders are filled from the event before comparing; a placeholder that selects nothing makes the test fail."}),
        );
        predicate_properties.insert(
            "case_insensitive".into(),
            json!({"type": "boolean", "description": "String tests ignore case (equals, one_of, regex, contains, starts_with, ends_with)."}),
        );
        for (key, description) in TESTS {
            let schema = match key {
                "exists" | "is_null" => json!({"type": "boolean"}),
                "equals" => literal.clone(),
                "one_of" => json!({"type": "array", "items": literal.clone(), "minItems": 1}),
                "gt" | "gte" | "lt" | "lte" => json!({"type": "number"}),
                "in_cidr" => strings.clone(),
                _ => json!({"type": "string"}),
            };
            let mut schema = schema;
            if let Some(object) = schema.as_object_mut() {
                object.insert("description".into(), json!(description));
            } else {
                schema = json!({"allOf": [schema], "description": description});
            }
            predicate_properties.insert(key.into(), schema);
        }
        let exactly_one_test: Vec<Value> = TESTS
            .iter()
            .map(|(key, _)| json!({"required": [key]}))
            .collect();
        let predicate = json!({
            "type": "object",
            "description": "A predicate: a `path` and exactly one test.",
            "required": ["path"],
            "properties": predicate_properties,
            "additionalProperties": false,
            "oneOf": exactly_one_test,
        });
        json_schema!({
            "description": "A condition: exactly one of `all`, `any`, `not`, `some`, `every`, `json`, or a `path` with one test.",
            "oneOf": [
                only("all", json!({"type": "array", "items": condition}), "True when every child is true."),
                only("any", json!({"type": "array", "items": condition}), "True when at least one child is true."),
                only("not", condition, "True when the child is false."),
                only("some", items.clone(), "True when at least one item of the list satisfies `where`."),
                only("every", items.clone(), "True when the list has items and every item satisfies `where`."),
                only("json", items, "Parses the JSON document held in the string at `path` (an object or array there is taken as it is) and tests `where` with `@` bound to it; true when it holds for at least one document."),
                predicate,
            ]
        })
    }
}

impl JsonSchema for LiteralSpec {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A scalar: string, number, boolean or null.",
            "type": ["string", "number", "boolean", "null"]
        })
    }
}

impl JsonSchema for OneOrMany<String> {
    fn schema_name() -> Cow<'static, str> {
        "OneOrMany".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A string or a non-empty list of strings.",
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
            ]
        })
    }
}
