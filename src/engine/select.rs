//! Walking a `Path` over a JSON event. The plain walk allocates nothing for simple member paths;
//! the traced walk also builds each node's concrete location (`$.a.items[0].b`) for evidence.

use serde_json::Value;

use crate::rule::path::{Path, Selector};

/// A node's location, built only when tracing.
pub(super) trait Location: Clone {
    fn name(&self, name: &str) -> Self;
    fn index(&self, index: usize) -> Self;
}

impl Location for () {
    fn name(&self, _: &str) -> Self {}
    fn index(&self, _: usize) -> Self {}
}

impl Location for String {
    fn name(&self, name: &str) -> Self {
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            format!("{self}.{name}")
        } else {
            format!(
                "{self}[{}]",
                serde_json::to_string(name).unwrap_or_default()
            )
        }
    }
    fn index(&self, index: usize) -> Self {
        format!("{self}[{index}]")
    }
}

/// Selects the nodes `path` points at. `root` is the event; `current` is the item `@` refers to.
pub(super) fn select<'a, L: Location>(
    path: &Path,
    root: (&'a Value, L),
    current: (&'a Value, L),
    out: &mut Vec<(&'a Value, L)>,
) {
    let start = if path.relative { current } else { root };
    if let Some(value) = plain_walk(path, start.0) {
        // A simple member path selects at most one node; only the traced walk needs locations.
        if let Some(value) = value {
            let mut at = start.1;
            for segment in &path.segments {
                if let Selector::Name(name) = &segment.selectors[0] {
                    at = at.name(name);
                }
            }
            out.push((value, at));
        }
        return;
    }
    let mut nodes = vec![start];
    let mut next = Vec::new();
    for segment in &path.segments {
        for (value, at) in nodes.drain(..) {
            if segment.descendant {
                descend(value, at, &segment.selectors, &mut next);
            } else {
                apply(value, &at, &segment.selectors, &mut next);
            }
        }
        std::mem::swap(&mut nodes, &mut next);
    }
    out.append(&mut nodes);
}

/// `Some(result)` when the path is made only of member names (the common case).
fn plain_walk<'a>(path: &Path, start: &'a Value) -> Option<Option<&'a Value>> {
    let mut value = start;
    for segment in &path.segments {
        match (segment.descendant, segment.selectors.as_slice()) {
            (false, [Selector::Name(_)]) => {}
            _ => return None,
        }
    }
    for segment in &path.segments {
        let Selector::Name(name) = &segment.selectors[0] else {
            return None;
        };
        match value.get(name) {
            Some(child) => value = child,
            None => return Some(None),
        }
    }
    Some(Some(value))
}

fn descend<'a, L: Location>(
    value: &'a Value,
    at: L,
    selectors: &[Selector],
    out: &mut Vec<(&'a Value, L)>,
) {
    apply(value, &at, selectors, out);
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                descend(item, at.index(i), selectors, out);
            }
        }
        Value::Object(members) => {
            for (name, member) in members {
                descend(member, at.name(name), selectors, out);
            }
        }
        _ => {}
    }
}

fn apply<'a, L: Location>(
    value: &'a Value,
    at: &L,
    selectors: &[Selector],
    out: &mut Vec<(&'a Value, L)>,
) {
    for selector in selectors {
        match (selector, value) {
            (Selector::Name(name), Value::Object(members)) => {
                if let Some(member) = members.get(name) {
                    out.push((member, at.name(name)));
                }
            }
            (Selector::Wildcard, Value::Array(items)) => {
                out.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (item, at.index(i))),
                );
            }
            (Selector::Wildcard, Value::Object(members)) => {
                out.extend(members.iter().map(|(name, member)| (member, at.name(name))));
            }
            (Selector::Index(index), Value::Array(items)) => {
                let len = items.len() as i64;
                let i = if *index < 0 { len + index } else { *index };
                if (0..len).contains(&i) {
                    let i = i as usize;
                    out.push((&items[i], at.index(i)));
                }
            }
            (Selector::Slice { start, end, step }, Value::Array(items)) => {
                for i in slice_indexes(items.len(), *start, *end, step.unwrap_or(1)) {
                    out.push((&items[i], at.index(i)));
                }
            }
            _ => {}
        }
    }
}

/// RFC 9535 section 2.3.4.2.2 slice semantics.
fn slice_indexes(len: usize, start: Option<i64>, end: Option<i64>, step: i64) -> Vec<usize> {
    let len = len as i64;
    let normalize = |i: i64| if i >= 0 { i } else { len + i };
    let mut indexes = Vec::new();
    if step > 0 {
        let lower = normalize(start.unwrap_or(0)).clamp(0, len);
        let upper = normalize(end.unwrap_or(len)).clamp(0, len);
        let mut i = lower;
        while i < upper {
            indexes.push(i as usize);
            i += step;
        }
    } else if step < 0 {
        let upper = normalize(start.unwrap_or(len - 1)).clamp(-1, len - 1);
        let lower = end.map_or(-1, |e| normalize(e).clamp(-1, len - 1));
        let mut i = upper;
        while lower < i {
            indexes.push(i as usize);
            i += step;
        }
    }
    indexes
}

/// The items of a list as CloudTrail writes lists: an array; an EC2 `{"items": [...]}` or
/// `{"item": ...}` wrapper; `{}` for an empty list; `null` for none; and a bare object or
/// scalar standing for a one-member list.
pub(super) fn list_items<'a, L: Location>(value: &'a Value, at: L, out: &mut Vec<(&'a Value, L)>) {
    match value {
        Value::Array(items) => out.extend(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (item, at.index(i))),
        ),
        Value::Null => {}
        Value::Object(members) if members.is_empty() => {}
        Value::Object(members) if members.len() == 1 => match members.iter().next() {
            Some((key, inner)) if key == "items" || key == "item" => {
                list_items(inner, at.name(key), out)
            }
            _ => out.push((value, at)),
        },
        _ => out.push((value, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn texts(path: &str, doc: &Value) -> Vec<(String, Value)> {
        let path = Path::parse(path).unwrap();
        let mut out = Vec::new();
        select(
            &path,
            (doc, "$".to_string()),
            (doc, "@".to_string()),
            &mut out,
        );
        out.into_iter().map(|(v, at)| (at, v.clone())).collect()
    }

    #[test]
    fn member_paths() {
        let doc = json!({"a": {"b": 1}});
        assert_eq!(texts("$.a.b", &doc), vec![("$.a.b".to_string(), json!(1))]);
        assert!(texts("$.a.c", &doc).is_empty());
        assert!(texts("$.a.b.c", &doc).is_empty());
    }

    #[test]
    fn wildcards_indexes_slices_and_descendants() {
        let doc = json!({"l": [{"x": 1}, {"x": 2}, {"y": 3}]});
        assert_eq!(texts("$.l[*].x", &doc).len(), 2);
        assert_eq!(
            texts("$.l[-1].y", &doc),
            vec![("$.l[2].y".to_string(), json!(3))]
        );
        assert_eq!(texts("$.l[0:2]", &doc).len(), 2);
        assert_eq!(texts("$.l[::-1]", &doc)[0].0, "$.l[2]");
        assert_eq!(texts("$..x", &doc).len(), 2);
        assert_eq!(texts("$.l[0,2]", &doc).len(), 2);
    }

    #[test]
    fn relative_paths_start_at_the_current_item() {
        let doc = json!({"a": 1});
        let item = json!({"b": 2});
        let path = Path::parse("@.b").unwrap();
        let mut out = Vec::new();
        select(&path, (&doc, ()), (&item, ()), &mut out);
        assert_eq!(out[0].0, &json!(2));
    }

    #[test]
    fn odd_member_names_are_bracketed() {
        let doc = json!({"aws:ebs": {"a b": 1}});
        assert_eq!(
            texts("$['aws:ebs']['a b']", &doc)[0].0,
            "$[\"aws:ebs\"][\"a b\"]"
        );
    }

    #[test]
    fn list_items_understands_cloudtrail_lists() {
        let cases = [
            (json!([1, 2]), 2),
            (json!({"items": [1, 2, 3]}), 3),
            (json!({"item": {"a": 1}}), 1),
            (json!({}), 0),
            (json!(null), 0),
            (json!({"DeviceName": "/dev/sda1", "tag": 1}), 1),
            (json!("sg-1"), 1),
        ];
        for (value, expected) in cases {
            let mut out = Vec::new();
            list_items(&value, (), &mut out);
            assert_eq!(out.len(), expected, "{value}");
        }
    }
}
