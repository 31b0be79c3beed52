//! `first_seen`: a rule that raises a finding only for the first event of a combination of field
//! values not seen within a history window before it (Elastic's `new_terms`). This file holds
//! the YAML mirror, the compiled form and its checks; the semantics run after the scan, in
//! `crate::first_seen`.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::error::RuleError;
use super::path::{Path, Selector};

/// The most fields a combination may have.
pub const MAX_FIELDS: usize = 3;
/// The longest history: ten years.
pub const MAX_HISTORY_SECS: i64 = 3650 * 86_400;

/// `first_seen:` in a rule file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstSeenSpec {
    /// The fields whose combination of values is tracked: 1 to 3 paths from the event, each
    /// naming one value (member names and indexes, such as `$.userIdentity.arn`; no wildcards).
    #[schemars(with = "Vec<String>", length(min = 1, max = 3))]
    pub fields: Spanned<Vec<Spanned<String>>>,
    /// How long a combination stays seen: a whole number and a unit, `s`, `m`, `h`, `d` or
    /// `w` (`14d`). An event raises a finding only if its combination was not seen in this span
    /// before its `eventTime`.
    #[schemars(with = "String", pattern(r"^[0-9]+[smhdw]$"))]
    pub history: Spanned<String>,
}

/// A compiled `first_seen`.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstSeen {
    /// 1 to 3 single-value paths.
    pub fields: Vec<Path>,
    /// The history window, in seconds (at least 1).
    pub history: i64,
}

/// Checks and compiles `first_seen`; every problem is returned, located in `file`.
pub fn compile(spec: &Spanned<FirstSeenSpec>, file: &str) -> Result<FirstSeen, Vec<RuleError>> {
    let mut errors = Vec::new();
    let error = |errors: &mut Vec<RuleError>, at: Location, key: &str, message: String, help| {
        let mut error = RuleError::new(file, at.line(), at.column(), key, message);
        error.help = help;
        errors.push(error);
    };

    let fields_spec = &spec.value.fields;
    let count = fields_spec.value.len();
    if count == 0 || count > MAX_FIELDS {
        error(
            &mut errors,
            fields_spec.referenced,
            "first_seen.fields",
            format!("`fields` lists {count} paths; a combination has 1 to {MAX_FIELDS} fields"),
            Some("list the fields whose combination is tracked, e.g. `[$.userIdentity.arn, $.sourceIPAddress]`".into()),
        );
    }
    let mut fields: Vec<Path> = Vec::new();
    for (i, field) in fields_spec.value.iter().enumerate() {
        let key = format!("first_seen.fields[{i}]");
        match Path::parse(&field.value) {
            Err(err) => error(
                &mut errors,
                field.referenced,
                &key,
                err,
                Some("paths are RFC 9535 JSONPath from the event, e.g. `$.userIdentity.arn`".into()),
            ),
            Ok(path) if path.relative => error(
                &mut errors,
                field.referenced,
                &key,
                format!("`{}` starts with `@`, but a first_seen field is read from the event", path.text),
                Some(format!("use `${}`", &path.text[1..])),
            ),
            Ok(path) if !single_valued(&path) => error(
                &mut errors,
                field.referenced,
                &key,
                format!("`{}` can select several values; a first_seen field must name one value", path.text),
                Some("use member names and indexes only (`$.userIdentity.arn`, `$.resources[0].ARN`), no wildcards, slices or `..`".into()),
            ),
            Ok(path) if fields.iter().any(|f| f.segments == path.segments) => error(
                &mut errors,
                field.referenced,
                &key,
                format!("`{}` is listed twice", path.text),
                Some("list each field once".into()),
            ),
            Ok(path) => fields.push(path),
        }
    }

    let history_spec = &spec.value.history;
    let history = match crate::time::parse_relative(&history_spec.value) {
        Some(0) => {
            error(
                &mut errors,
                history_spec.referenced,
                "first_seen.history",
                "the history is empty (0): every event would be new".into(),
                Some("give how long a combination stays seen, e.g. `14d`".into()),
            );
            None
        }
        Some(secs) if secs > MAX_HISTORY_SECS => {
            error(
                &mut errors,
                history_spec.referenced,
                "first_seen.history",
                format!(
                    "`{}` is longer than ten years (3650d)",
                    history_spec.value.trim()
                ),
                None,
            );
            None
        }
        Some(secs) => Some(secs),
        None => {
            error(
                &mut errors,
                history_spec.referenced,
                "first_seen.history",
                format!("`{}` is not a duration", history_spec.value.trim()),
                Some(
                    "write a whole number and a unit: s, m, h, d or w, e.g. `14d`, `12h`, `2w`"
                        .into(),
                ),
            );
            None
        }
    };

    match history {
        Some(history) if errors.is_empty() => Ok(FirstSeen { fields, history }),
        _ => Err(errors),
    }
}

/// A path made of member names and indexes only selects at most one value.
fn single_valued(path: &Path) -> bool {
    path.segments.iter().all(|segment| {
        !segment.descendant
            && matches!(
                segment.selectors.as_slice(),
                [Selector::Name(_) | Selector::Index(_)]
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile_yaml(yaml: &str) -> Result<FirstSeen, Vec<RuleError>> {
        let spec: Spanned<FirstSeenSpec> = serde_saphyr::from_str(yaml).unwrap();
        compile(&spec, "r.yaml")
    }

    #[test]
    fn compiles_fields_and_history() {
        let first_seen =
            compile_yaml("fields: [$.userIdentity.arn, \"$.resources[0].ARN\"]\nhistory: 2w\n")
                .unwrap();
        assert_eq!(first_seen.history, 14 * 86_400);
        assert_eq!(first_seen.fields.len(), 2);
        assert_eq!(first_seen.fields[1].text, "$.resources[0].ARN");
    }

    #[test]
    fn each_mistake_is_located() {
        let errors =
            compile_yaml("fields: [$.a, \"$.b[*]\", userIdentity.arn, $.a]\nhistory: 14 days\n")
                .unwrap_err();
        let keys: Vec<(&str, u64, u64)> = errors
            .iter()
            .map(|e| (e.key.as_str(), e.line, e.column))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("first_seen.fields", 1, 9),
                ("first_seen.fields[1]", 1, 15),
                ("first_seen.fields[2]", 1, 25),
                ("first_seen.fields[3]", 1, 43),
                ("first_seen.history", 2, 10),
            ],
            "{errors:#?}"
        );
        assert!(errors[1].message.contains("several values"));
        assert!(errors[3].message.contains("listed twice"));
    }

    #[test]
    fn history_bounds() {
        assert!(compile_yaml("fields: [$.a]\nhistory: 0d\n").is_err());
        assert!(compile_yaml("fields: [$.a]\nhistory: 3651d\n").is_err());
        assert!(compile_yaml("fields: [$.a]\nhistory: 3650d\n").is_ok());
        assert!(compile_yaml("fields: []\nhistory: 1d\n").is_err());
        assert!(compile_yaml("fields: [$.a, $.b, $.c, $.d]\nhistory: 1d\n").is_err());
        assert!(compile_yaml("fields: [\"@.a\"]\nhistory: 1d\n").is_err());
    }
}
