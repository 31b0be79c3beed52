//! Sigma filters (specification 2.x): a document with `logsource` and `filter` (`rules`, the
//! selections and a `condition`) that tunes many rules at once. As pySigma does, the filter's
//! condition is added with `and` to the condition of each rule it names, so a filter that drops
//! events says `condition: not selection`.

use serde_json::Value;

use super::super::collection::FilterDraft;
use super::super::error::RuleError;
use super::super::load::RuleFile;
use super::correlation::parse_document;
use super::{detection_condition, line_of_key, not_applicable, text};

/// Reads a Sigma filter; `None` when its log source is not CloudTrail.
pub fn draft(file: &RuleFile) -> Result<Option<FilterDraft>, Vec<RuleError>> {
    let doc = parse_document(file)?;
    let error = |key: &str, message: String| {
        let line = line_of_key(&file.text, key.rsplit('.').next().unwrap_or(key));
        vec![RuleError::new(
            &file.name,
            line,
            u64::from(line > 0),
            key,
            message,
        )]
    };
    if not_applicable(doc.get("logsource")).is_some() {
        return Ok(None);
    }
    let title = text(&doc, "title")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| error("title", "a Sigma filter needs a `title`".into()))?;
    let Some(Value::Object(filter)) = doc.get("filter") else {
        return Err(error(
            "filter",
            "`filter` must be a mapping with `rules`, selections and a `condition`".into(),
        ));
    };
    let rules = match filter.get("rules") {
        Some(Value::String(s)) if matches!(s.to_lowercase().as_str(), "any" | "all") => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        error("filter.rules", format!("`{v}` is not a rule id or name"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => {
            return Err(error(
                "filter.rules",
                "`rules` is required: a list of rule ids or names, or `any`".into(),
            ))
        }
    };
    if !matches!(filter.get("condition"), Some(Value::String(_))) {
        return Err(error(
            "filter.condition",
            "a Sigma filter has exactly one `condition`, a string".into(),
        ));
    }
    let mut detection = filter.clone();
    detection.remove("rules");
    let condition = detection_condition(&detection)
        .map_err(|(key, message)| error(&key.replacen("detection", "filter", 1), message))?;
    Ok(Some(FilterDraft {
        title,
        rules,
        condition,
        file: file.name.clone(),
        line: line_of_key(&file.text, "rules").max(1),
    }))
}
