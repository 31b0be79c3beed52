//! The serde mirror of a rule file: exactly what YAML may say, with source positions kept for
//! the values that compilation checks. Nothing here executes; `compile` turns it into a `Rule`.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A trailgate rule: one rule per file. See docs/rules.md.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "trailgate rule")]
pub struct RuleSpec {
    /// Unique, stable, kebab-case identifier, e.g. `my-org-root-login`.
    #[schemars(with = "String", pattern(r"^[a-z0-9]+(-[a-z0-9]+)*$"))]
    pub id: Spanned<String>,
    /// What the rule detects, in a few words.
    #[schemars(with = "String", length(min = 1))]
    pub title: Spanned<String>,
    /// How serious a finding is.
    #[schemars(with = "SeveritySchema")]
    pub severity: Spanned<String>,
    /// Why it matters.
    pub description: Option<String>,
    /// How to fix or prevent it.
    pub remediation: Option<String>,
    /// Links for the reader.
    #[serde(default)]
    pub references: Vec<String>,
    /// Compliance framework to control id(s), e.g. `aws-securityhub: [AutoScaling.3]`. Quote ids
    /// such as '3.10' so YAML keeps them as text.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, OneOrMany<String>>")]
    pub compliance: BTreeMap<String, Spanned<OneOrMany<String>>>,
    /// Free-form labels (service, MITRE ATT&CK technique, ...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Which events the rule looks at; the engine's index.
    #[schemars(with = "Option<EventsSpec>")]
    pub events: Option<Spanned<EventsSpec>>,
    /// What must hold for a finding. Without it, every selected event is a finding.
    #[schemars(with = "Option<ConditionSpec>")]
    pub condition: Option<Spanned<ConditionSpec>>,
    /// Report only the first event of a combination of field values not seen within a
    /// history window before it (docs/rules.md, `first_seen`).
    #[schemars(with = "Option<super::first_seen::FirstSeenSpec>")]
    pub first_seen: Option<Spanned<super::first_seen::FirstSeenSpec>>,
    /// Conditions that suppress a finding, each with the reason it is acceptable.
    #[serde(default)]
    #[schemars(with = "Vec<ExceptionSpec>")]
    pub exceptions: Vec<Spanned<ExceptionSpec>>,
    /// The finding's message; `{path}` placeholders are filled from the event
    /// (`{requestParameters.bucketName}` or `{$.a.b}`); `{{` and `}}` are literal braces.
    #[schemars(with = "Option<String>")]
    pub message: Option<Spanned<String>>,
    /// Test cases run by `trailgate rules test`.
    #[serde(default)]
    #[schemars(with = "Vec<TestCaseSpec>")]
    pub tests: Vec<Spanned<TestCaseSpec>>,
}

/// The severities, for the schema only (the loader checks the text to give better errors).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum SeveritySchema {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// An inline test case: an event and what the rule must do with it. Give exactly one of
/// `event` and `event_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCaseSpec {
    /// What the case shows; unique within the rule.
    #[schemars(with = "String", length(min = 1))]
    pub name: Spanned<String>,
    /// What the rule must do with the event.
    pub expect: ExpectSpec,
    /// The exact message the finding must have (only with `expect: finding`).
    #[schemars(with = "Option<String>")]
    pub message: Option<Spanned<String>>,
    /// The event, written inline (YAML or JSON syntax).
    pub event: Option<serde_json::Value>,
    /// A file holding the event, relative to the rule file.
    #[schemars(with = "Option<String>")]
    pub event_file: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExpectSpec {
    /// The rule raises a finding.
    Finding,
    /// The rule raises nothing (it does not match, or does not apply).
    None,
    /// The rule matches but one of its exceptions suppresses the finding.
    Suppressed,
}

/// Which events a rule looks at; also the engine's index key. Name at least one of
/// `eventSource` and `eventName`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [{"required": ["eventSource"]}, {"required": ["eventName"]}]))]
pub struct EventsSpec {
    /// Service hostname(s), e.g. `autoscaling.amazonaws.com`.
    #[serde(rename = "eventSource")]
    #[schemars(with = "Option<OneOrMany<String>>")]
    pub event_source: Option<Spanned<OneOrMany<String>>>,
    /// API call name(s), e.g. `CreateLaunchConfiguration`.
    #[serde(rename = "eventName")]
    #[schemars(with = "Option<OneOrMany<String>>")]
    pub event_name: Option<Spanned<OneOrMany<String>>>,
    /// Successful calls (no `errorCode`), failed calls, or both (the default).
    pub outcome: Option<OutcomeSpec>,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeSpec {
    Any,
    Success,
    Failure,
}

/// A condition node: exactly one of the combinators, or a path with one test.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    pub all: Option<Vec<Spanned<ConditionSpec>>>,
    pub any: Option<Vec<Spanned<ConditionSpec>>>,
    pub not: Option<Box<Spanned<ConditionSpec>>>,
    pub some: Option<Box<Spanned<ItemsSpec>>>,
    pub every: Option<Box<Spanned<ItemsSpec>>>,
    /// A JSON document held in a string field (IAM policies, for example): `path` selects the
    /// string, which is parsed, and `where` is tested with `@` bound to the document.
    pub json: Option<Box<Spanned<ItemsSpec>>>,

    pub path: Option<Spanned<String>>,
    pub quantifier: Option<QuantifierSpec>,
    pub case_insensitive: Option<bool>,
    /// The test's text value is a template: `{path}` placeholders are filled from the event
    /// before comparing (equals, contains, starts_with, ends_with).
    pub interpolate: Option<bool>,

    pub exists: Option<bool>,
    pub is_null: Option<bool>,
    /// `equals: null` is a test for null, not an absent key.
    #[serde(default, deserialize_with = "present")]
    pub equals: Option<Spanned<LiteralSpec>>,
    pub one_of: Option<Spanned<Vec<LiteralSpec>>>,
    pub regex: Option<Spanned<String>>,
    pub contains: Option<Spanned<String>>,
    pub starts_with: Option<Spanned<String>>,
    pub ends_with: Option<Spanned<String>>,
    pub gt: Option<Spanned<f64>>,
    pub gte: Option<Spanned<f64>>,
    pub lt: Option<Spanned<f64>>,
    pub lte: Option<Spanned<f64>>,
    pub in_cidr: Option<Spanned<OneOrMany<String>>>,
}

/// Deserializes a key that is present as `Some`, even when its value is YAML null.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// `some` / `every`: a list and the condition its items are tested with.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemsSpec {
    /// JSONPath of the list(s). Arrays, EC2 `items`/`item` wrappers, `{}` (empty) and a bare
    /// object (one item) are all lists.
    #[schemars(with = "String", pattern(r"^[$@]"))]
    pub path: Spanned<String>,
    /// The condition each item is tested with; `@` paths start at the item.
    #[serde(rename = "where")]
    #[schemars(with = "ConditionSpec")]
    pub condition: Spanned<ConditionSpec>,
}

/// A condition that suppresses a finding.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionSpec {
    /// Why matching events are acceptable.
    #[schemars(with = "String", length(min = 1))]
    pub reason: Spanned<String>,
    #[schemars(with = "ConditionSpec")]
    pub condition: Spanned<ConditionSpec>,
}

/// How many selected nodes must pass: `any` (default; nothing selected is false), `all` (at
/// least one, and all; nothing selected is false) or `none` (nothing selected is true).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuantifierSpec {
    Any,
    All,
    None,
}

/// A scalar in a rule: null, boolean, number or string. Lists and maps are rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum LiteralSpec {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

impl<'de> Deserialize<'de> for LiteralSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LiteralVisitor;

        impl<'de> Visitor<'de> for LiteralVisitor {
            type Value = LiteralSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar value (string, number, boolean or null)")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(LiteralSpec::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LiteralSpec::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(LiteralSpec::Int)
                    .or(Ok(LiteralSpec::Float(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LiteralSpec::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LiteralSpec::String(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LiteralSpec::String(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LiteralSpec::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LiteralSpec::Null)
            }
        }

        deserializer.deserialize_any(LiteralVisitor)
    }
}

/// A value or a list of values (`eventName: X` or `eventName: [X, Y]`).
#[derive(Debug, Clone, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de> Deserialize<'de> for OneOrMany<String> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor;

        impl<'de> Visitor<'de> for OneOrManyVisitor {
            type Value = OneOrMany<String>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(OneOrMany(vec![v]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(OneOrMany(values))
            }
        }

        deserializer.deserialize_any(OneOrManyVisitor)
    }
}
