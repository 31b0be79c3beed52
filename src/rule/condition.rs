//! The condition AST: what a rule tests in an event. Native YAML rules compile into it and the
//! engine evaluates it; it knows nothing of YAML or of the JSON library the engine uses, so that
//! other front ends (Sigma) and back ends (explain, SQL) can share it.

use std::fmt;

use regex::Regex;

use super::cidr::Cidr;
use super::path::Path;
use super::template::Template;

/// A boolean tree over predicates.
#[derive(Debug, Clone)]
pub enum Condition {
    /// True when every child is true (and for an empty list).
    All(Vec<Condition>),
    /// True when at least one child is true (false for an empty list).
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// Tests the items of a list: `path` selects lists (an EC2 `items`/`item` wrapper, a bare
    /// object standing for a one-member list and `{}` for an empty one are all understood), and
    /// `condition` is evaluated with `@` bound to each item.
    Items {
        quantifier: ItemQuantifier,
        path: Path,
        condition: Box<Condition>,
    },
    /// Tests a JSON document written as a string (an IAM policy in `policyDocument`, say):
    /// `path` selects strings, each is parsed (objects and arrays are taken as they are), and
    /// `condition` is evaluated with `@` bound to the document. True when it holds for at least
    /// one of them; a string that is not JSON is skipped.
    Json {
        path: Path,
        condition: Box<Condition>,
    },
    Predicate(Predicate),
}

/// How many list items must satisfy an `Items` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemQuantifier {
    /// At least one item (`some`).
    Some,
    /// At least one item, and every item (`every`).
    Every,
}

/// A test of the nodes a path selects.
#[derive(Debug, Clone)]
pub struct Predicate {
    pub path: Path,
    pub quantifier: Quantifier,
    pub test: Test,
    /// String comparisons ignore case (equals, one_of, contains, starts_with, ends_with).
    pub case_insensitive: bool,
    /// Whether string tests see only JSON strings, or the text of other values too.
    pub text: TextView,
}

/// What string tests (equals, one_of, regex, contains, starts_with, ends_with, equals_field,
/// in_cidr) compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextView {
    /// Native rules: only JSON strings are text; `equals` is type-aware.
    #[default]
    Native,
    /// Scalars as text: numbers and booleans as written (`5`, `true`); objects, arrays and null
    /// have no text. Used for Sigma keyword searches over every value of an event.
    Scalars,
    /// Every value as text: scalars as written, objects and arrays as compact JSON. Sigma's
    /// meaning of matching a string against a field.
    All,
}

/// How many selected nodes must pass a predicate's test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// At least one node passes. No node selected: false.
    Any,
    /// At least one node is selected and every selected node passes. No node selected: false.
    All,
    /// No selected node passes. No node selected: true.
    None,
}

/// What a predicate checks of each selected node.
#[derive(Debug, Clone)]
pub enum Test {
    /// `true`: the path selects at least one node; `false`: it selects none (the field is
    /// missing). A JSON `null` exists. Ignores the quantifier.
    Exists(bool),
    /// `true`: the node is JSON `null`; `false`: it is anything but `null`. A missing field is
    /// neither.
    IsNull(bool),
    /// Type-aware equality: the string `"false"` is not the boolean `false`; numbers compare by
    /// value (`1` equals `1.0`).
    Equals(Literal),
    /// Equality with any of the values.
    OneOf(Vec<Literal>),
    /// The node is a string the regex matches (unanchored search).
    Regex(Regex),
    /// The node is a string that contains / starts with / ends with the value.
    Text { op: TextOp, value: String },
    /// The node is a number, or a string holding one, compared with the value.
    Compare { op: CompareOp, value: f64 },
    /// The node is an IP address or CIDR block inside one of the networks.
    InCidr(Vec<Cidr>),
    /// Compares the node's text with a value built from the event: `{path}` placeholders are
    /// filled first (`ends_with: "user/{responseElements.accessKey.userName}"`). When a
    /// placeholder selects nothing (or null) the test fails.
    Interpolated {
        op: InterpolatedOp,
        template: Template,
    },
}

/// How an interpolated value is compared with the node's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpolatedOp {
    Equals,
    Text(TextOp),
}

impl InterpolatedOp {
    pub fn key(self) -> &'static str {
        match self {
            InterpolatedOp::Equals => "equals",
            InterpolatedOp::Text(op) => op.key(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A scalar value written in a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x}"),
            Literal::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl TextOp {
    pub fn key(self) -> &'static str {
        match self {
            TextOp::Contains => "contains",
            TextOp::StartsWith => "starts_with",
            TextOp::EndsWith => "ends_with",
        }
    }
}

impl CompareOp {
    pub fn key(self) -> &'static str {
        match self {
            CompareOp::Gt => "gt",
            CompareOp::Gte => "gte",
            CompareOp::Lt => "lt",
            CompareOp::Lte => "lte",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CompareOp::Gt => left > right,
            CompareOp::Gte => left >= right,
            CompareOp::Lt => left < right,
            CompareOp::Lte => left <= right,
        }
    }
}

impl Quantifier {
    pub fn key(self) -> &'static str {
        match self {
            Quantifier::Any => "any",
            Quantifier::All => "all",
            Quantifier::None => "none",
        }
    }
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Test::Exists(b) => write!(f, "exists: {b}"),
            Test::IsNull(b) => write!(f, "is_null: {b}"),
            Test::Equals(value) => write!(f, "equals: {value}"),
            Test::OneOf(values) => {
                let values: Vec<String> = values.iter().map(ToString::to_string).collect();
                write!(f, "one_of: [{}]", values.join(", "))
            }
            Test::Regex(regex) => write!(f, "regex: {:?}", regex.as_str()),
            Test::Text { op, value } => write!(f, "{}: {value:?}", op.key()),
            Test::Compare { op, value } => write!(f, "{}: {value}", op.key()),
            Test::InCidr(networks) => {
                let networks: Vec<String> = networks.iter().map(ToString::to_string).collect();
                write!(f, "in_cidr: [{}]", networks.join(", "))
            }
            Test::Interpolated { op, template } => {
                write!(f, "{}: {:?} (interpolated)", op.key(), template.source())
            }
        }
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.path, self.test)?;
        if self.quantifier != Quantifier::Any {
            write!(f, " (quantifier: {})", self.quantifier.key())?;
        }
        if self.case_insensitive {
            f.write_str(" (case-insensitive)")?;
        }
        match self.text {
            TextView::Native => {}
            TextView::Scalars => f.write_str(" (any scalar's text)")?,
            TextView::All => f.write_str(" (the value's text)")?,
        }
        Ok(())
    }
}
