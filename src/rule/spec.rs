//! The serde mirror of a rule file: exactly what YAML may say, with source positions kept for
//! the values that compilation checks. Nothing here executes; `compile` turns it into a `Rule`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub severity: Spanned<String>,
    pub description: Option<String>,
    pub remediation: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub compliance: BTreeMap<String, OneOrMany<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub events: Option<Spanned<EventsSpec>>,
    pub condition: Option<Spanned<ConditionSpec>>,
    #[serde(default)]
    pub exceptions: Vec<Spanned<ExceptionSpec>>,
    pub message: Option<Spanned<String>>,
    #[serde(default)]
    pub tests: Vec<Spanned<TestCaseSpec>>,
}

/// An inline test case: an event and what the rule must do with it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCaseSpec {
    pub name: Spanned<String>,
    pub expect: ExpectSpec,
    /// The exact message the finding must have (only with `expect: finding`).
    pub message: Option<Spanned<String>>,
    /// The event, written inline (YAML or JSON syntax).
    pub event: Option<serde_json::Value>,
    /// A file holding the event, relative to the rule file.
    pub event_file: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectSpec {
    /// The rule raises a finding.
    Finding,
    /// The rule raises nothing (it does not match, or does not apply).
    None,
    /// The rule matches but one of its exceptions suppresses the finding.
    Suppressed,
}

/// Which events a rule looks at; also the engine's index key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSpec {
    #[serde(rename = "eventSource")]
    pub event_source: Option<Spanned<OneOrMany<String>>>,
    #[serde(rename = "eventName")]
    pub event_name: Option<Spanned<OneOrMany<String>>>,
    pub outcome: Option<OutcomeSpec>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
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

    pub path: Option<Spanned<String>>,
    pub quantifier: Option<QuantifierSpec>,
    pub case_insensitive: Option<bool>,

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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemsSpec {
    pub path: Spanned<String>,
    #[serde(rename = "where")]
    pub condition: Spanned<ConditionSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionSpec {
    pub reason: Spanned<String>,
    pub condition: Spanned<ConditionSpec>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
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
