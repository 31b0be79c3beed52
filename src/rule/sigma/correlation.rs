//! Sigma correlation documents (specification 2.x: `event_count`, `value_count`, `temporal`,
//! `temporal_ordered`, names, aliases, chains) read into drafts of the correlation model. The
//! references are resolved later, across every file loaded (`rule::collection`).

use serde_json::{Map, Value};
use serde_saphyr::DuplicateKeyPolicy;

use super::super::collection::{Dialect, Draft, DraftField, Generate};
use super::super::correlation::{parse_timespan, Correlation, CountCondition, CountOp, Kind};
use super::super::error::{closest, RuleError};
use super::super::load::RuleFile;
use super::super::{Severity, Template};
use super::{line_of_key, rule_id, strings, text, SigmaMeta};

const CORRELATION_KEYS: [&str; 7] = [
    "type",
    "rules",
    "aliases",
    "group-by",
    "timespan",
    "condition",
    "generate",
];

/// Parses one YAML document into a JSON value with the loader's strict options.
pub(crate) fn parse_document(file: &RuleFile) -> Result<Map<String, Value>, Vec<RuleError>> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    let value: Value = serde_saphyr::from_str_with_options(&file.text, options)
        .map_err(|err| vec![RuleError::from_yaml(&file.name, &err)])?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(vec![RuleError::new(
            &file.name,
            0,
            0,
            "",
            "a Sigma document must be a mapping",
        )]),
    }
}

/// The `name` of a Sigma document, if it has one (read without a full parse).
pub fn sigma_name(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix("name:")?;
        let value = rest.split(" #").next().unwrap_or(rest).trim();
        let value = value.trim_matches(|c| c == '\'' || c == '"');
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// The trailgate id that `sigma::compile` gives a Sigma rule document.
pub fn sigma_rule_id(file: &RuleFile) -> String {
    let id = file.text.lines().find_map(|line| {
        let rest = line.strip_prefix("id:")?;
        let value = rest.split(" #").next().unwrap_or(rest).trim();
        Some(value.trim_matches(|c| c == '\'' || c == '"').to_string())
    });
    match (&id, sigma_name(&file.text)) {
        (None, Some(name)) => rule_id(None, &format!("{name}.yml")),
        _ => rule_id(id.as_deref(), &file.name),
    }
}

/// Reads a Sigma correlation document.
pub fn draft(file: &RuleFile) -> Result<Draft, Vec<RuleError>> {
    let doc = parse_document(file)?;
    let at = |key: &str| line_of_key(&file.text, key);
    let error = |key: &str, line_key: &str, message: String| {
        let line = at(line_key);
        RuleError::new(&file.name, line, u64::from(line > 0), key, message)
    };
    let mut errors = Vec::new();
    let title = text(&doc, "title").filter(|t| !t.trim().is_empty());
    if title.is_none() {
        errors.push(error(
            "title",
            "title",
            "a Sigma correlation needs a `title`".into(),
        ));
    }
    let Some(Value::Object(correlation)) = doc.get("correlation") else {
        return Err(vec![error(
            "correlation",
            "correlation",
            "`correlation` must be a mapping with `type`, `rules`, `group-by`, `timespan` and `condition`".into(),
        )]);
    };
    for key in correlation.keys() {
        if !CORRELATION_KEYS.contains(&key.as_str()) {
            let known: Vec<String> = CORRELATION_KEYS.iter().map(|k| k.to_string()).collect();
            let e = error(
                &format!("correlation.{key}"),
                key,
                format!("unknown key `{key}` in `correlation`"),
            );
            errors.push(match closest(key, &known) {
                Some(near) => e.with_help(format!("did you mean `{near}`?")),
                None => e.with_help(format!("valid keys: {}", CORRELATION_KEYS.join(", "))),
            });
        }
    }
    let kind_text = correlation
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = match kind_text {
        "event_count" => Some(Kind::EventCount),
        "value_count" => Some(Kind::EventCount), // the field is filled when resolved
        "temporal" => Some(Kind::Temporal),
        "temporal_ordered" => Some(Kind::TemporalOrdered),
        _ => {
            errors.push(error(
                "correlation.type",
                "type",
                format!("unknown correlation type `{kind_text}`; expected event_count, value_count, temporal or temporal_ordered"),
            ));
            None
        }
    };
    let rules: Vec<String> = match correlation.get("rules") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => {
            errors.push(error(
                "correlation.rules",
                "rules",
                "`rules` must list the ids or names of the rules (or correlations) it correlates"
                    .into(),
            ));
            Vec::new()
        }
    };
    let timespan = match correlation.get("timespan") {
        Some(Value::String(s)) => match parse_timespan(s) {
            Ok(secs) => secs,
            Err(message) => {
                errors.push(error("correlation.timespan", "timespan", message));
                0
            }
        },
        _ => {
            errors.push(error(
                "correlation.timespan",
                "timespan",
                "`timespan` is required: a number and a unit, s, m, h or d (`10m`)".into(),
            ));
            0
        }
    };
    // aliases: name -> { rule reference -> field }
    let mut aliases: Vec<(String, Vec<(String, String)>)> = Vec::new();
    match correlation.get("aliases") {
        None => {}
        Some(Value::Object(map)) => {
            for (name, per_rule) in map {
                match per_rule {
                    Value::Object(per_rule) => aliases.push((
                        name.clone(),
                        per_rule
                            .iter()
                            .filter_map(|(r, f)| f.as_str().map(|f| (r.clone(), f.to_string())))
                            .collect(),
                    )),
                    _ => errors.push(error(
                        &format!("correlation.aliases.{name}"),
                        "aliases",
                        format!("alias `{name}` must map rule names to field names"),
                    )),
                }
            }
        }
        Some(_) => errors.push(error(
            "correlation.aliases",
            "aliases",
            "`aliases` must be a mapping: alias -> { rule name: field }".into(),
        )),
    }
    let group_line = at("group-by");
    let field = |name: &str, line: u64| -> DraftField {
        let per_rule = aliases
            .iter()
            .find(|(alias, _)| alias == name)
            .map(|(_, per_rule)| per_rule.clone());
        DraftField {
            name: name.to_string(),
            default: if per_rule.is_some() {
                None
            } else {
                Some(name.to_string())
            },
            aliases: per_rule.unwrap_or_default(),
            line,
        }
    };
    let group_by: Vec<DraftField> = match correlation.get("group-by") {
        None => Vec::new(),
        Some(value @ (Value::Array(_) | Value::String(_))) => {
            let names = strings(Some(value));
            let mut seen = Vec::new();
            for name in &names {
                if seen.contains(name) {
                    errors.push(error(
                        "correlation.group-by",
                        "group-by",
                        format!("`{name}` is listed twice in `group-by`"),
                    ));
                }
                seen.push(name.clone());
            }
            names.iter().map(|n| field(n, group_line)).collect()
        }
        Some(_) => {
            errors.push(error(
                "correlation.group-by",
                "group-by",
                "`group-by` must be a list of field names".into(),
            ));
            Vec::new()
        }
    };
    let condition_line = at("condition");
    let mut value_field = None;
    let condition = match correlation.get("condition") {
        None => None,
        Some(Value::Object(map)) => {
            let mut bounds = Vec::new();
            for (key, value) in map {
                if key == "field" {
                    match value.as_str() {
                        Some(name) => value_field = Some(field(name, condition_line)),
                        None => errors.push(error(
                            "correlation.condition.field",
                            "field",
                            "`field` must name one field (counting several fields at once is not supported)".into(),
                        )),
                    }
                    continue;
                }
                let Some(op) = CountOp::from_key(key) else {
                    errors.push(error(
                        &format!("correlation.condition.{key}"),
                        "condition",
                        format!("unknown comparison `{key}`; expected gt, gte, lt, lte or eq (and `field` for value_count)"),
                    ));
                    continue;
                };
                match value.as_u64() {
                    Some(n) => bounds.push((op, n)),
                    None => errors.push(error(
                        &format!("correlation.condition.{key}"),
                        "condition",
                        format!("`{key}` must be a whole number, not {value}"),
                    )),
                }
            }
            if bounds.is_empty() {
                errors.push(error(
                    "correlation.condition",
                    "condition",
                    "the condition needs a comparison: gt, gte, lt, lte or eq".into(),
                ));
            }
            Some(CountCondition { bounds })
        }
        Some(_) => {
            errors.push(error(
                "correlation.condition",
                "condition",
                "`condition` must be a mapping such as `gte: 10`".into(),
            ));
            None
        }
    };
    match kind_text {
        "event_count" | "value_count" if condition.is_none() => errors.push(error(
            "correlation.condition",
            "correlation",
            format!("a `{kind_text}` correlation needs a `condition` (`gte: 10`)"),
        )),
        "value_count" if value_field.is_none() => errors.push(error(
            "correlation.condition.field",
            "condition",
            "a `value_count` correlation names the field whose distinct values it counts: `condition: {field: ..., gte: N}`".into(),
        )),
        "event_count" | "temporal" | "temporal_ordered" if value_field.is_some() => {
            errors.push(error(
                "correlation.condition.field",
                "field",
                format!("`field` applies to value_count, not `{kind_text}`"),
            ))
        }
        _ => {}
    }
    let level = text(&doc, "level");
    let severity = match level.as_deref().map(str::to_lowercase).as_deref() {
        Some("informational") => Severity::Info,
        Some("low") => Severity::Low,
        None | Some("medium") => Severity::Medium,
        Some("high") => Severity::High,
        Some("critical") => Severity::Critical,
        Some(other) => {
            errors.push(error(
                "level",
                "level",
                format!("unknown Sigma level `{other}`; expected informational, low, medium, high or critical"),
            ));
            Severity::Medium
        }
    };
    let generate = match doc.get("generate").or_else(|| correlation.get("generate")) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(error(
                "generate",
                "generate",
                "`generate` must be true or false".into(),
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let title = title.unwrap_or_default().trim().to_string();
    let sigma_id = text(&doc, "id");
    let name = text(&doc, "name");
    let id = match (&sigma_id, &name) {
        (None, Some(name)) => rule_id(None, &format!("{name}.yml")),
        _ => rule_id(sigma_id.as_deref(), &file.name),
    };
    let author = text(&doc, "author");
    let message = match &author {
        Some(author) => format!("{title} (Sigma correlation by {author})"),
        None => title.clone(),
    };
    let tags = strings(doc.get("tags"));
    Ok(Draft {
        header: Correlation {
            id,
            title,
            severity,
            description: text(&doc, "description")
                .unwrap_or_default()
                .trim()
                .to_string(),
            remediation: String::new(),
            references: strings(doc.get("references")),
            compliance: Default::default(),
            tags,
            kind: kind.unwrap_or(Kind::EventCount),
            inputs: Vec::new(),
            group_by: Vec::new(),
            timespan,
            condition: CountCondition { bounds: Vec::new() },
            message: Template::literal(&message),
            file: file.name.clone(),
            line: at("title").max(1),
            pack: file.pack.clone(),
            sigma: Some(SigmaMeta {
                id: sigma_id,
                status: text(&doc, "status"),
                author,
                date: text(&doc, "date"),
                modified: text(&doc, "modified"),
                level,
                false_positives: strings(doc.get("falsepositives")),
            }),
        },
        name,
        rules,
        rules_line: at("rules"),
        group_by,
        value_field,
        condition,
        condition_line,
        dialect: Dialect::Sigma,
        generate: Generate::All(generate),
    })
}
