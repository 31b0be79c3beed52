//! Sigma field matches (`field|modifier|...: value(s)`) and keywords, compiled into predicates of
//! the shared condition AST with Sigma's semantics: case-insensitive by default, `*`/`?`
//! wildcards, the value's text for numbers, objects and arrays, and `null` for missing fields.

use regex::RegexBuilder;
use serde_json::Value;

use crate::rule::cidr::Cidr;
use crate::rule::condition::{
    CompareOp, Condition, InterpolatedOp, Literal, Predicate, Quantifier, Test, TextOp, TextView,
};
use crate::rule::path::Path;
use crate::rule::template::{Part, Template};

const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `field|mods: value` (or a list of values).
pub fn field_match(key: &str, value: &Value) -> Result<Condition, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().trim();
    let modifiers: Vec<&str> = parts.collect();
    let all = modifiers.contains(&"all");
    let values: Vec<&Value> = match value {
        Value::Array(items) if items.is_empty() => {
            return Err(format!("`{key}` has an empty value list"))
        }
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let path = if field.is_empty() {
        None
    } else {
        Some(field_path(field)?)
    };
    let mut conditions = Vec::with_capacity(values.len());
    for value in values {
        conditions.push(match &path {
            Some(path) => value_match(path, &modifiers, value, key)?,
            None => keyword(value, &modifiers)?,
        });
    }
    Ok(if conditions.len() == 1 {
        conditions.remove(0)
    } else if all {
        Condition::All(conditions)
    } else {
        Condition::Any(conditions)
    })
}

/// A field-less search: the value appears in the text of some value of the event.
pub fn keyword(value: &Value, modifiers: &[&str]) -> Result<Condition, String> {
    let text = scalar_text(value).ok_or("keywords must be strings or numbers")?;
    let pattern = if text.starts_with('*') || text.ends_with('*') {
        text
    } else {
        format!("*{text}*")
    };
    let everywhere = Path::parse("$..*").map_err(|e| e.to_string())?;
    let cased = modifiers.contains(&"cased");
    let mut alternatives = Vec::new();
    for variant in transform(&pattern, modifiers)? {
        alternatives.push(Condition::Predicate(wildcard_predicate(
            &everywhere,
            &variant,
            cased,
            TextView::Scalars,
        )?));
    }
    Ok(any(alternatives))
}

/// Sigma field names are dotted paths into nested JSON (`userIdentity.arn`).
fn field_path(field: &str) -> Result<Path, String> {
    let names: Vec<&str> = field.split('.').collect();
    if names.iter().any(|n| n.is_empty()) {
        return Err(format!("`{field}` is not a valid field name"));
    }
    Ok(Path::from_names(&names))
}

fn value_match(
    path: &Path,
    modifiers: &[&str],
    value: &Value,
    key: &str,
) -> Result<Condition, String> {
    for modifier in modifiers {
        if !KNOWN_MODIFIERS.contains(modifier) {
            return Err(match *modifier {
                "expand" => format!("`{key}`: placeholders (`|expand`) are not supported; replace the placeholder with values"),
                other => format!("`{key}`: the modifier `{other}` is not supported"),
            });
        }
    }
    let cased = modifiers.contains(&"cased");
    let has = |m: &str| modifiers.contains(&m);
    let predicate = |test: Test, case_insensitive: bool| {
        Condition::Predicate(Predicate {
            path: path.clone(),
            quantifier: Quantifier::Any,
            test,
            case_insensitive,
            text: TextView::All,
        })
    };

    if has("exists") {
        return match value {
            Value::Bool(b) => Ok(predicate(Test::Exists(*b), false)),
            _ => Err(format!("`{key}`: `exists` takes true or false")),
        };
    }
    if has("fieldref") {
        let other = value
            .as_str()
            .ok_or(format!("`{key}`: `fieldref` takes a field name"))?;
        let template = Template {
            parts: vec![Part::Field(field_path(other)?)],
        };
        return Ok(predicate(
            Test::Interpolated {
                op: InterpolatedOp::Equals,
                template,
            },
            !cased,
        ));
    }
    if has("cidr") {
        let text = value.as_str().ok_or(format!(
            "`{key}`: `cidr` takes a network such as 10.0.0.0/8"
        ))?;
        return Ok(predicate(
            Test::InCidr(vec![Cidr::parse(text).map_err(|e| format!("`{key}`: {e}"))?]),
            false,
        ));
    }
    for (name, op) in [
        ("gt", CompareOp::Gt),
        ("gte", CompareOp::Gte),
        ("lt", CompareOp::Lt),
        ("lte", CompareOp::Lte),
    ] {
        if has(name) {
            let bound = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
            .ok_or(format!("`{key}`: `{name}` takes a number"))?;
            return Ok(predicate(Test::Compare { op, value: bound }, false));
        }
    }
    if has("re") {
        let pattern = value
            .as_str()
            .ok_or(format!("`{key}`: `re` takes a regular expression"))?;
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(has("i"))
            .multi_line(has("m"))
            .dot_matches_new_line(has("s"))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                format!(
                    "`{key}`: invalid regular expression: {}",
                    e.to_string().lines().last().unwrap_or_default().trim()
                )
            })?;
        return Ok(predicate(Test::Regex(regex), false));
    }

    match value {
        // Sigma's null: the field is missing, null or empty.
        Value::Null => Ok(Condition::Any(vec![
            predicate(Test::Exists(false), false),
            predicate(Test::IsNull(true), false),
            predicate(Test::Equals(Literal::String(String::new())), false),
        ])),
        Value::Object(_) | Value::Array(_) => Err(format!(
            "`{key}`: values must be strings, numbers, booleans or null"
        )),
        scalar => {
            let text = scalar_text(scalar).unwrap_or_default();
            let pattern = if has("contains") {
                format!("*{text}*")
            } else if has("startswith") {
                format!("{text}*")
            } else if has("endswith") {
                format!("*{text}")
            } else {
                text
            };
            let mut alternatives = Vec::new();
            for variant in transform(&pattern, modifiers)? {
                alternatives.push(Condition::Predicate(wildcard_predicate(
                    path,
                    &variant,
                    cased,
                    TextView::All,
                )?));
            }
            Ok(any(alternatives))
        }
    }
}

const KNOWN_MODIFIERS: [&str; 20] = [
    "contains",
    "startswith",
    "endswith",
    "all",
    "re",
    "i",
    "m",
    "s",
    "exists",
    "cidr",
    "cased",
    "fieldref",
    "windash",
    "base64",
    "base64offset",
    "gt",
    "gte",
    "lt",
    "lte",
    "wide",
];

fn any(mut alternatives: Vec<Condition>) -> Condition {
    if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        Condition::Any(alternatives)
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Applies the value-transforming modifiers (`windash`, `base64`, `base64offset`), each of which
/// may turn one pattern into several alternatives.
fn transform(pattern: &str, modifiers: &[&str]) -> Result<Vec<String>, String> {
    let mut variants = vec![pattern.to_string()];
    if modifiers.contains(&"windash") {
        variants = variants
            .iter()
            .flat_map(|v| {
                ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"].map(|dash| windash(v, dash))
            })
            .collect();
        variants.dedup();
    }
    if modifiers.contains(&"wide") {
        return Err(
            "the modifier `wide` (UTF-16) does not apply to CloudTrail's UTF-8 JSON".into(),
        );
    }
    if modifiers.contains(&"base64") || modifiers.contains(&"base64offset") {
        let offsets = modifiers.contains(&"base64offset");
        let mut encoded = Vec::new();
        for variant in &variants {
            let (lead, core, trail) = split_outer_stars(variant);
            if core.contains(['*', '?']) {
                return Err("base64 of a value with inner wildcards is not defined".into());
            }
            if offsets {
                for text in base64_offsets(core.as_bytes()) {
                    encoded.push(format!("*{}*", escape_wildcards(&text)));
                }
            } else {
                encoded.push(format!(
                    "{lead}{}{trail}",
                    escape_wildcards(&base64(core.as_bytes()))
                ));
            }
        }
        variants = encoded;
    }
    Ok(variants)
}

/// Replaces a dash that starts a command-line flag (`-x`, `/x`) with `dash`.
fn windash(value: &str, dash: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in value.chars() {
        if (c == '-' || c == '/') && previous.is_none_or(|p| p == ' ' || p == '*') {
            out.push_str(dash);
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

fn split_outer_stars(value: &str) -> (&str, String, &str) {
    let lead = if value.starts_with('*') { "*" } else { "" };
    let trail = if value.len() > 1 && value.ends_with('*') && !value.ends_with("\\*") {
        "*"
    } else {
        ""
    };
    let core = &value[lead.len()..value.len() - trail.len()];
    (lead, unescape(core), trail)
}

fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('*' | '?' | '\\')) {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn escape_wildcards(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('*', "\\*")
        .replace('?', "\\?")
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

/// The three encodings of `bytes` at offsets 0, 1 and 2 inside a longer base64 text, cut to the
/// characters that do not depend on the unknown neighbours (pySigma's `base64offset`).
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const STARTS: [usize; 3] = [0, 2, 3];
    const END_CUTS: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|offset| {
            let mut padded = vec![b' '; offset];
            padded.extend_from_slice(bytes);
            let encoded = base64(&padded);
            let end = encoded.len() - END_CUTS[(bytes.len() + offset) % 3];
            encoded
                .get(STARTS[offset]..end)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// Compiles one Sigma wildcard pattern into the cheapest equivalent test.
fn wildcard_predicate(
    path: &Path,
    pattern: &str,
    cased: bool,
    text: TextView,
) -> Result<Predicate, String> {
    let ci = !cased;
    let case = |s: &str| if ci { s.to_lowercase() } else { s.to_string() };
    let make = |test: Test, case_insensitive: bool| Predicate {
        path: path.clone(),
        quantifier: Quantifier::Any,
        test,
        case_insensitive,
        text,
    };
    let tokens = wildcard_tokens(pattern);
    let inner_wildcards = tokens.iter().enumerate().any(|(i, t)| {
        matches!(t, Piece::One) || (matches!(t, Piece::Any) && i != 0 && i != tokens.len() - 1)
    });
    if !inner_wildcards {
        let lead = matches!(tokens.first(), Some(Piece::Any));
        let trail = tokens.len() > usize::from(lead) && matches!(tokens.last(), Some(Piece::Any));
        let literal: String = tokens
            .iter()
            .filter_map(|t| match t {
                Piece::Text(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let test = match (lead, trail) {
            (false, false) => Test::Equals(Literal::String(case(&literal))),
            (true, true) | (true, false) | (false, true) if literal.is_empty() => Test::Regex(
                RegexBuilder::new("(?s)^.*$")
                    .build()
                    .map_err(|e| e.to_string())?,
            ),
            (true, true) => Test::Text {
                op: TextOp::Contains,
                value: case(&literal),
            },
            (false, true) => Test::Text {
                op: TextOp::StartsWith,
                value: case(&literal),
            },
            (true, false) => Test::Text {
                op: TextOp::EndsWith,
                value: case(&literal),
            },
        };
        return Ok(make(test, ci));
    }
    let mut regex = String::from("(?s)^");
    for token in &tokens {
        match token {
            Piece::Any => regex.push_str(".*"),
            Piece::One => regex.push('.'),
            Piece::Text(s) => regex.push_str(&regex::escape(s)),
        }
    }
    regex.push('$');
    let compiled = RegexBuilder::new(&regex)
        .case_insensitive(ci)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("pattern `{pattern}` is too complex: {e}"))?;
    Ok(make(Test::Regex(compiled), false))
}

#[derive(Debug, PartialEq)]
enum Piece {
    Any,
    One,
    Text(String),
}

/// Splits a Sigma value into literal text and wildcards. `\*`, `\?` and `\\` are escapes; any
/// other backslash is literal.
fn wildcard_tokens(pattern: &str) -> Vec<Piece> {
    let mut tokens = Vec::new();
    let mut text = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => text.extend(chars.next()),
            '*' | '?' => {
                if !text.is_empty() {
                    tokens.push(Piece::Text(std::mem::take(&mut text)));
                }
                let piece = if c == '*' { Piece::Any } else { Piece::One };
                // `**` is one wildcard.
                if !(piece == Piece::Any && tokens.last() == Some(&Piece::Any)) {
                    tokens.push(piece);
                }
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        tokens.push(Piece::Text(text));
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_tokens_and_escapes() {
        assert_eq!(
            wildcard_tokens("a*b"),
            vec![Piece::Text("a".into()), Piece::Any, Piece::Text("b".into())]
        );
        assert_eq!(
            wildcard_tokens(r"a\*b\?c\\d\e"),
            vec![Piece::Text(r"a*b?c\d\e".into())]
        );
        assert_eq!(
            wildcard_tokens("**x"),
            vec![Piece::Any, Piece::Text("x".into())]
        );
    }

    #[test]
    fn base64_encodings() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"ab"), "YWI=");
        // pySigma's own example.
        assert_eq!(base64_offsets(b"test"), vec!["dGVzd", "Rlc3", "0ZXN0"]);
    }

    #[test]
    fn windash_variants() {
        assert_eq!(windash("*-enc *", "/"), "*/enc *");
        assert_eq!(windash("a-b", "/"), "a-b");
    }
}
