//! A correlation finding's message: the correlation's template filled from the episode, not
//! from one event. Placeholders name group-by fields (`{sourceIPAddress}`, dotted names nest)
//! and `{count}`, `{distinct}`, `{values}`, `{first}`, `{last}`, `{timespan}`.

use serde_json::{Map, Value};

use super::window::Episode;
use crate::rule::correlation::{format_timespan, Correlation};
use crate::time::Timestamp;

/// The values a correlation message can name, as a JSON object the template renderer reads.
pub fn context(correlation: &Correlation, episode: &Episode) -> Value {
    let mut root = Map::new();
    for (field, value) in correlation.group_by.iter().zip(&episode.group) {
        insert_dotted(&mut root, &field.name, Value::String(value.clone()));
    }
    root.insert("count".into(), Value::from(episode.total()));
    root.insert("distinct".into(), Value::from(episode.distinct_values));
    let mut values = episode.values.join(", ");
    if episode.distinct_values > episode.values.len() as u64 {
        values.push_str(&format!(
            ", ... ({} more)",
            episode.distinct_values - episode.values.len() as u64
        ));
    }
    root.insert("values".into(), Value::String(values));
    root.insert(
        "first".into(),
        Value::String(Timestamp::from_secs(episode.start).to_rfc3339()),
    );
    root.insert(
        "last".into(),
        Value::String(Timestamp::from_secs(episode.end).to_rfc3339()),
    );
    root.insert(
        "timespan".into(),
        Value::String(format_timespan(correlation.timespan)),
    );
    Value::Object(root)
}

/// The rendered message.
pub fn message(correlation: &Correlation, episode: &Episode) -> String {
    crate::engine::eval::render(&correlation.message, &context(correlation, episode))
}

fn insert_dotted(root: &mut Map<String, Value>, name: &str, value: Value) {
    // A group name that is a plain identifier goes in as it is; a dotted one nests, so that
    // `{userIdentity.arn}` reads it.
    let mut parts = name.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_string(), value);
            return;
        }
        let entry = node
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        node = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::correlation::{CountCondition, GroupField, Kind};
    use crate::rule::{Severity, Template};

    #[test]
    fn messages_name_the_group_and_the_window() {
        let correlation = Correlation {
            id: "c".into(),
            title: "C".into(),
            severity: Severity::High,
            description: String::new(),
            remediation: String::new(),
            references: Vec::new(),
            compliance: Default::default(),
            tags: Vec::new(),
            kind: Kind::EventCount,
            inputs: Vec::new(),
            group_by: vec![
                GroupField {
                    name: "sourceIPAddress".into(),
                    sources: Vec::new(),
                },
                GroupField {
                    name: "userIdentity.arn".into(),
                    sources: Vec::new(),
                },
            ],
            timespan: 600,
            condition: CountCondition::at_least(1),
            message: Template::parse(
                "{count} from {sourceIPAddress} as {userIdentity.arn} in {timespan}: {first} to {last} [{values}]",
            )
            .unwrap(),
            file: String::new(),
            line: 1,
            pack: String::new(),
            sigma: None,
        };
        let episode = Episode {
            group: vec!["192.0.2.1".into(), "arn:aws:iam::1:user/a".into()],
            start: 0,
            end: 61,
            measure: 3,
            peak: 3,
            counts: vec![3],
            values: vec!["a".into(), "b".into()],
            distinct_values: 4,
            members: Vec::new(),
        };
        assert_eq!(
            message(&correlation, &episode),
            "3 from 192.0.2.1 as arn:aws:iam::1:user/a in 10m: 1970-01-01T00:00:00Z to 1970-01-01T00:01:01Z [a, b, ... (2 more)]"
        );
    }
}
