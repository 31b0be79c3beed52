//! Turning an event that a rule matched into the signal of a correlation input: its second,
//! its group-by values and its `value_count` value, read from the event's JSON.

use serde_json::Value;

use super::table::{Member, Second, Signal};
use crate::rule::correlation::{Correlation, FieldSource, Kind};
use crate::rule::path::Path;

/// Why a matched event gives no signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    /// `eventTime` is missing or not a time: the event cannot be placed in a window.
    NoTime,
    /// A group-by field (named) is missing or null: the event belongs to no group.
    NoGroup(String),
    /// The `value_count` field is missing or null: there is no value to count.
    NoValue(String),
}

/// The event's second: `eventTime` truncated to the whole second.
pub fn event_second(event: &Value) -> Option<Second> {
    let text = event.get("eventTime")?.as_str()?;
    crate::time::parse_rfc3339(text).map(|t| t.secs)
}

/// The text of a field for grouping: strings as they are, numbers and booleans as written,
/// objects and arrays as compact JSON; missing and null give nothing.
pub fn field_text(event: &Value, path: &Path) -> Option<String> {
    let names = path.as_names()?;
    let mut node = event;
    for name in names {
        node = node.get(name)?;
    }
    match node {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The values a `value_count` field counts: the field's text, or for a list each element's
/// (`requestParameters.names` of `GetParameters` counts every parameter read, not the list as
/// one value); nulls count nothing.
pub fn field_values(event: &Value, path: &Path) -> Vec<String> {
    let Some(names) = path.as_names() else {
        return Vec::new();
    };
    let mut node = event;
    for name in names {
        match node.get(name) {
            Some(next) => node = next,
            None => return Vec::new(),
        }
    }
    let text = |value: &Value| match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    };
    match node {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// The signal that `event`, matched by the rule of input `q` of `correlation`, gives.
pub fn signal(
    correlation: &Correlation,
    q: usize,
    event: &Value,
    file: &std::sync::Arc<str>,
    record: u64,
) -> Result<Signal, Dropped> {
    let rule = std::sync::Arc::from(correlation.inputs[q].id.as_str());
    shared_signal(correlation, q, &rule, event, file, record)
}

/// As [`signal`], with the rule's id given (`rule`) so that every member of its matches shares
/// one copy.
pub fn shared_signal(
    correlation: &Correlation,
    q: usize,
    rule: &std::sync::Arc<str>,
    event: &Value,
    file: &std::sync::Arc<str>,
    record: u64,
) -> Result<Signal, Dropped> {
    let time = event_second(event).ok_or(Dropped::NoTime)?;
    let read = |source: Option<&FieldSource>| match source {
        Some(FieldSource::Event(path)) => field_text(event, path),
        _ => None,
    };
    let group = correlation
        .group_by
        .iter()
        .map(|field| read(field.sources.get(q)).ok_or_else(|| Dropped::NoGroup(field.name.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let values = match &correlation.kind {
        Kind::ValueCount { field } => {
            let values = match field.sources.get(q) {
                Some(FieldSource::Event(path)) => field_values(event, path),
                _ => Vec::new(),
            };
            if values.is_empty() {
                return Err(Dropped::NoValue(field.name.clone()));
            }
            values
        }
        _ => Vec::new(),
    };
    Ok(Signal {
        input: q,
        time,
        group,
        values,
        members: vec![Member {
            time,
            rule: rule.clone(),
            file: file.clone(),
            record,
            event_id: event
                .get("eventID")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_text_of_each_shape() {
        let event = json!({"a": {"s": "x", "n": 5, "b": true, "o": {"k": 1}, "z": null}});
        let text = |p: &str| field_text(&event, &Path::parse(p).unwrap());
        assert_eq!(text("$.a.s").as_deref(), Some("x"));
        assert_eq!(text("$.a.n").as_deref(), Some("5"));
        assert_eq!(text("$.a.b").as_deref(), Some("true"));
        assert_eq!(text("$.a.o").as_deref(), Some("{\"k\":1}"));
        assert_eq!(text("$.a.z"), None);
        assert_eq!(text("$.a.missing"), None);
    }

    #[test]
    fn field_values_expand_lists() {
        let event =
            json!({"names": ["/a", "/b", null, 3], "name": "/c", "none": null, "empty": []});
        let values = |p: &str| field_values(&event, &Path::parse(p).unwrap());
        assert_eq!(values("$.names"), ["/a", "/b", "3"]);
        assert_eq!(values("$.name"), ["/c"]);
        assert!(values("$.none").is_empty());
        assert!(values("$.empty").is_empty());
        assert!(values("$.missing").is_empty());
    }

    #[test]
    fn event_second_truncates_fractions() {
        let second = |t: &str| event_second(&json!({"eventTime": t}));
        assert_eq!(second("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(second("1970-01-01T00:01:00.999Z"), Some(60));
        assert_eq!(second("yesterday"), None);
        assert_eq!(event_second(&json!({})), None);
    }
}
