//! Sigma rules (the standard YAML detection format) compiled into the same condition AST as native
//! rules. A file is Sigma when it has `logsource` and `detection`. Only rules for AWS CloudTrail
//! (or with no product) apply; others are reported as not applicable. Anything Sigma can say that
//! a single-event engine cannot (correlations, aggregations, placeholders) is a per-rule error
//! naming the feature.

pub mod condition;
pub mod correlation;
pub mod filter;
pub mod value;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::condition::{Condition, Literal, Predicate, Test};
use super::error::RuleError;
use super::file::{parse_yaml, RuleFile};
use super::{EventSelector, Outcome, Rule, Severity, Template};
use condition::{pattern_matches, Expr};

/// Sigma's own metadata, kept on the rule (the Detection Rule License requires the author).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SigmaMeta {
    pub id: Option<String>,
    pub status: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub modified: Option<String>,
    pub level: Option<String>,
    pub false_positives: Vec<String>,
}

/// What compiling a Sigma file gives.
#[derive(Debug)]
pub enum Compiled {
    Rule(Box<Rule>),
    /// The rule is for another log source; the reason says which.
    NotApplicable(String),
}

/// Cheap shape check before parsing: top-level `logsource:` and `detection:` keys.
pub fn looks_like_sigma(text: &str) -> bool {
    let top = |key: &str| text.lines().any(|line| line.starts_with(key));
    top("detection:") && top("logsource:")
}

/// Compiles one Sigma rule file.
pub fn compile(file: &RuleFile) -> Result<Compiled, Vec<RuleError>> {
    let error = |key: &str, message: String| {
        let line = line_of_key(&file.text, key.split('.').next_back().unwrap_or(key));
        vec![RuleError::new(
            &file.name,
            line,
            if line == 0 { 0 } else { 1 },
            key,
            message,
        )]
    };
    let document: Value = parse_yaml(file).map_err(|err| {
        let mut e = RuleError::from_yaml(&file.name, &err);
        if e.message.to_lowercase().contains("multiple documents") || e.message.to_lowercase().contains("more than one") {
            e.message = "multi-document Sigma files (rule collections with `action: global`) are not supported".into();
            e.help = Some("split the collection into one rule per file".into());
        }
        vec![e]
    })?;
    let Value::Object(doc) = document else {
        return Err(error("", "a Sigma rule must be a mapping".into()));
    };
    if doc.contains_key("correlation") {
        return Err(error(
            "correlation",
            "Sigma correlation rules are not supported: they count or order events across time, and trailgate evaluates one event at a time".into(),
        ));
    }
    if let Some(reason) = not_applicable(doc.get("logsource")) {
        return Ok(Compiled::NotApplicable(reason));
    }
    let title = text(&doc, "title")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| error("title", "a Sigma rule needs a `title`".into()))?;
    let Some(Value::Object(detection)) = doc.get("detection") else {
        return Err(error(
            "detection",
            "`detection` must be a mapping of selections and a `condition`".into(),
        ));
    };
    let condition =
        detection_condition(detection).map_err(|(key, message)| error(&key, message))?;

    let level = text(&doc, "level");
    let severity = match level.as_deref().map(str::to_lowercase).as_deref() {
        Some("informational") => Severity::Info,
        Some("low") => Severity::Low,
        None | Some("medium") => Severity::Medium,
        Some("high") => Severity::High,
        Some("critical") => Severity::Critical,
        Some(other) => {
            return Err(error(
                "level",
                format!("unknown Sigma level `{other}`; expected informational, low, medium, high or critical"),
            ))
        }
    };
    let sigma_id = text(&doc, "id");
    // Without an `id`, a `name` (which rule collections give each document) names the rule.
    let id = match (&sigma_id, text(&doc, "name")) {
        (None, Some(name)) => rule_id(None, &format!("{name}.yml")),
        _ => rule_id(sigma_id.as_deref(), &file.name),
    };
    let author = text(&doc, "author");
    let tags = strings(doc.get("tags"));
    let mut compliance = BTreeMap::new();
    let techniques: Vec<String> = tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack.t"))
        .map(|t| format!("T{}", t.to_uppercase()))
        .collect();
    if !techniques.is_empty() {
        compliance.insert("mitre-attack".to_string(), techniques);
    }
    let message = match &author {
        Some(author) => format!("{title} (Sigma rule by {author})"),
        None => title.clone(),
    };
    let selector = EventSelector {
        sources: required_values(&condition, "eventSource").unwrap_or_default(),
        names: required_values(&condition, "eventName").unwrap_or_default(),
        outcome: Outcome::Any,
    };
    Ok(Compiled::Rule(Box::new(Rule {
        id,
        title: title.trim().to_string(),
        severity,
        description: text(&doc, "description")
            .unwrap_or_default()
            .trim()
            .to_string(),
        remediation: String::new(),
        references: strings(doc.get("references")),
        compliance,
        tags,
        selector,
        condition,
        exceptions: Vec::new(),
        first_seen: None,
        message: Template::literal(&message),
        file: file.name.clone(),
        line: line_of_key(&file.text, "title").max(1),
        pack: file.pack.clone(),
        tests: Vec::new(),
        sigma: Some(SigmaMeta {
            id: sigma_id,
            status: text(&doc, "status"),
            author,
            date: text(&doc, "date"),
            modified: text(&doc, "modified"),
            level,
            false_positives: strings(doc.get("falsepositives")),
        }),
    })))
}

pub(crate) fn not_applicable(logsource: Option<&Value>) -> Option<String> {
    let field = |name: &str| {
        logsource
            .and_then(|l| l.get(name))
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    };
    match (field("product").as_deref(), field("service").as_deref()) {
        (None, _) | (Some("aws"), None | Some("cloudtrail")) => None,
        (Some("aws"), Some(service)) => Some(format!(
            "its logsource is AWS service `{service}`, not CloudTrail"
        )),
        (Some(product), _) => Some(format!("its logsource product is `{product}`, not aws")),
    }
}

/// The Sigma id when it can serve as a rule id (UUIDs can), else the file stem in kebab-case.
pub(crate) fn rule_id(sigma_id: Option<&str>, file: &str) -> String {
    let valid = |id: &str| {
        !id.is_empty()
            && id.split('-').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    if let Some(id) = sigma_id.map(|s| s.trim().to_lowercase()) {
        if valid(&id) {
            return id;
        }
    }
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sigma-rule");
    let kebab: String = stem
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let parts: Vec<&str> = kebab.split('-').filter(|p| !p.is_empty()).collect();
    format!("sigma-{}", parts.join("-"))
}

/// Compiles the selections and the condition. Errors name the detection key.
pub(crate) fn detection_condition(
    detection: &Map<String, Value>,
) -> Result<Condition, (String, String)> {
    if detection.contains_key("timeframe") {
        return Err((
            "detection.timeframe".into(),
            "`timeframe` (an aggregation window) is not supported: trailgate evaluates one event at a time".into(),
        ));
    }
    let mut selections: Vec<(&str, Condition)> = Vec::new();
    for (name, value) in detection {
        if name == "condition" {
            continue;
        }
        let compiled =
            selection(value).map_err(|message| (format!("detection.{name}"), message))?;
        selections.push((name, compiled));
    }
    let conditions: Vec<&str> = match detection.get("condition") {
        Some(Value::String(c)) => vec![c.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => {
            return Err((
                "detection.condition".into(),
                "`condition` is missing or not a string".into(),
            ))
        }
    };
    let mut alternatives = Vec::new();
    for text in conditions {
        let expr = condition::parse(text).map_err(|m| ("detection.condition".to_string(), m))?;
        alternatives
            .push(resolve(&expr, &selections).map_err(|m| ("detection.condition".to_string(), m))?);
    }
    Ok(if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        Condition::Any(alternatives)
    })
}

fn selection(value: &Value) -> Result<Condition, String> {
    match value {
        Value::Object(fields) => {
            let mut parts = Vec::new();
            for (key, value) in fields {
                parts.push(value::field_match(key, value)?);
            }
            Ok(if parts.len() == 1 {
                parts.remove(0)
            } else {
                Condition::All(parts)
            })
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let alternatives = items.iter().map(selection).collect::<Result<Vec<_>, _>>()?;
            Ok(Condition::Any(alternatives))
        }
        Value::Array(items) => {
            let keywords = items
                .iter()
                .map(|k| value::keyword(k, &[]))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Condition::Any(keywords))
        }
        Value::String(_) | Value::Number(_) => value::keyword(value, &[]),
        _ => Err("a selection must be a mapping of fields, a list of mappings, or keywords".into()),
    }
}

fn resolve(expr: &Expr, selections: &[(&str, Condition)]) -> Result<Condition, String> {
    Ok(match expr {
        Expr::Name(name) => selections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .ok_or_else(|| {
                format!("the condition names `{name}`, which is not a selection in `detection`")
            })?,
        Expr::AnyOf(pattern) | Expr::AllOf(pattern) => {
            let matched: Vec<Condition> = selections
                .iter()
                .filter(|(n, _)| {
                    pattern_matches(pattern, n) && !(pattern == "them" && n.starts_with('_'))
                })
                .map(|(_, c)| c.clone())
                .collect();
            if matched.is_empty() {
                return Err(format!("`{pattern}` matches no selection in `detection`"));
            }
            if matches!(expr, Expr::AllOf(_)) {
                Condition::All(matched)
            } else {
                Condition::Any(matched)
            }
        }
        Expr::And(items) => Condition::All(
            items
                .iter()
                .map(|e| resolve(e, selections))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(items) => Condition::Any(
            items
                .iter()
                .map(|e| resolve(e, selections))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(inner) => Condition::Not(Box::new(resolve(inner, selections)?)),
    })
}

/// Values a top-level field must equal (ignoring case) for the condition to hold, if the
/// condition says so: used only to index the rule, so it must be a necessary condition.
pub fn required_values(condition: &Condition, field: &str) -> Option<Vec<String>> {
    match condition {
        Condition::Predicate(Predicate {
            path,
            test,
            quantifier,
            ..
        }) => {
            if path.relative
                || path.as_names()? != [field]
                || *quantifier != super::condition::Quantifier::Any
            {
                return None;
            }
            match test {
                Test::Equals(Literal::String(s)) => Some(vec![s.clone()]),
                Test::OneOf(values) => values
                    .iter()
                    .map(|v| match v {
                        Literal::String(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => None,
            }
        }
        Condition::All(children) => children.iter().find_map(|c| required_values(c, field)),
        Condition::Any(children) if !children.is_empty() => {
            let mut all = Vec::new();
            for child in children {
                all.extend(required_values(child, field)?);
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

pub(crate) fn text(doc: &Map<String, Value>, key: &str) -> Option<String> {
    match doc.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The 1-based line of the first `key:` in the file (0 when absent), for error locations.
pub(crate) fn line_of_key(text: &str, key: &str) -> u64 {
    if key.is_empty() {
        return 0;
    }
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
        })
        .map_or(0, |i| i as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(detection: &str) -> Rule {
        let text = format!(
            "title: T\nid: 0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2\nauthor: someone\nlevel: high\ntags: [attack.persistence, attack.t1098.001]\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}"
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

    #[test]
    fn metadata_and_index() {
        let r = rule("  sel:\n    eventSource: iam.amazonaws.com\n    eventName: [CreateUser, CreateAccessKey]\n  condition: sel\n");
        assert_eq!(r.id, "0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2");
        assert_eq!(r.severity, Severity::High);
        assert_eq!(r.compliance["mitre-attack"], vec!["T1098.001"]);
        assert_eq!(r.selector.sources, vec!["iam.amazonaws.com"]);
        assert_eq!(r.selector.names, vec!["createaccesskey", "createuser"]);
        assert_eq!(r.sigma.as_ref().unwrap().author.as_deref(), Some("someone"));
        assert!(
            matches!(&r.message.parts[0], crate::rule::template::Part::Text(t) if t == "T (Sigma rule by someone)")
        );
    }

    #[test]
    fn unsupported_features_are_errors_naming_them() {
        let errors = |detection: &str| {
            let text = format!("title: T\nlogsource: {{product: aws}}\ndetection:\n{detection}");
            match compile(&RuleFile {
                name: "s.yml".into(),
                text,
                pack: String::new(),
            }) {
                Err(errors) => errors[0].message.clone(),
                Ok(other) => panic!("{other:?}"),
            }
        };
        assert!(errors("  s:\n    a|expand: '%x%'\n  condition: s\n").contains("|expand"));
        assert!(errors("  s:\n    a: 1\n  timeframe: 5m\n  condition: s\n").contains("timeframe"));
        assert!(errors("  s:\n    a: 1\n  condition: s | count() > 5\n").contains("aggregations"));
        assert!(errors("  s:\n    a|base64offset|foo: x\n  condition: s\n").contains("`foo`"));
        assert!(errors("  s:\n    a: 1\n  condition: t\n").contains("`t`"));
    }

    #[test]
    fn other_log_sources_are_not_applicable() {
        let file = RuleFile {
            name: "w.yml".into(),
            text: "title: W\nlogsource: {product: windows, service: security}\ndetection:\n  s: {EventID: 1}\n  condition: s\n".into(),
            pack: String::new(),
        };
        assert!(
            matches!(compile(&file), Ok(Compiled::NotApplicable(reason)) if reason.contains("windows"))
        );
    }
}
