//! Evaluating a condition over one event: the fast boolean walk every event gets (`trace.rs`
//! records the details for matched events and `explain`), and message templates.

use std::borrow::Cow;

use serde_json::Value;

use crate::rule::cidr::Cidr;
use crate::rule::condition::{
    Condition, InterpolatedOp, ItemQuantifier, Literal, Predicate, Quantifier, Test, TextOp,
    TextView,
};
use crate::rule::path::{Path, Selector};
use crate::rule::template::{Part, Template};

use super::select::{list_items, select, Location};

/// Does the condition hold for this event?
pub fn matches(condition: &Condition, event: &Value) -> bool {
    eval(condition, (event, ()), (event, ()))
}

fn eval<L: Location>(condition: &Condition, root: (&Value, L), current: (&Value, L)) -> bool {
    match condition {
        Condition::All(children) => children
            .iter()
            .all(|c| eval(c, root.clone(), current.clone())),
        Condition::Any(children) => children
            .iter()
            .any(|c| eval(c, root.clone(), current.clone())),
        Condition::Not(inner) => !eval(inner, root, current),
        Condition::Items {
            quantifier,
            path,
            condition,
        } => {
            let items = items_of(path, root.clone(), current);
            let holds =
                |(item, at): &(&Value, L)| eval(condition, root.clone(), (*item, at.clone()));
            match quantifier {
                ItemQuantifier::Some => items.iter().any(holds),
                ItemQuantifier::Every => !items.is_empty() && items.iter().all(holds),
            }
        }
        Condition::Json { path, condition } => {
            let mut nodes = Vec::new();
            select(path, root.clone(), current, &mut nodes);
            nodes.into_iter().any(|(node, at)| {
                decode_json(node)
                    .is_some_and(|doc| eval(condition, root.clone(), (doc.as_ref(), at.clone())))
            })
        }
        Condition::Predicate(predicate) => {
            let mut nodes = Vec::new();
            select(&predicate.path, root.clone(), current, &mut nodes);
            predicate_holds(predicate, nodes.iter().map(|(v, _)| *v), root.0)
        }
    }
}

/// The document a `json` condition tests: a string holding JSON, parsed; an object or array as
/// it is (some services log the same field either way). Anything else has no document.
pub(super) fn decode_json(node: &Value) -> Option<std::borrow::Cow<'_, Value>> {
    use std::borrow::Cow;
    match node {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(|doc| doc.is_object() || doc.is_array())
            .map(Cow::Owned),
        Value::Object(_) | Value::Array(_) => Some(Cow::Borrowed(node)),
        _ => None,
    }
}

fn items_of<'a, L: Location>(
    path: &crate::rule::path::Path,
    root: (&'a Value, L),
    current: (&'a Value, L),
) -> Vec<(&'a Value, L)> {
    let mut lists = Vec::new();
    select(path, root, current, &mut lists);
    let mut items = Vec::new();
    for (list, at) in lists {
        list_items(list, at, &mut items);
    }
    items
}

pub(super) fn predicate_holds<'a>(
    predicate: &Predicate,
    mut nodes: impl ExactSizeIterator<Item = &'a Value>,
    event: &Value,
) -> bool {
    if let Test::Exists(expected) = predicate.test {
        return (nodes.len() > 0) == expected;
    }
    match predicate.quantifier {
        Quantifier::Any => nodes.any(|n| test(predicate, n, event)),
        Quantifier::All => nodes.len() > 0 && nodes.all(|n| test(predicate, n, event)),
        Quantifier::None => !nodes.any(|n| test(predicate, n, event)),
    }
}

/// EC2 writes list members of scalars as `{"tag": N, "content": value}`: tests see `value`.
fn scalar_view(value: &Value) -> &Value {
    if let Value::Object(members) = value {
        if members.len() == 2 && members.contains_key("tag") {
            if let Some(content) = members.get("content") {
                return content;
            }
        }
    }
    value
}

/// Does one selected node pass the predicate's test? `event` fills interpolated values.
pub fn test(predicate: &Predicate, node: &Value, event: &Value) -> bool {
    let ci = predicate.case_insensitive;
    let node = scalar_view(node);
    let text = text_of(node, predicate.text);
    match &predicate.test {
        Test::Exists(expected) => *expected,
        Test::IsNull(expected) => node.is_null() == *expected,
        Test::Equals(literal) => match &text {
            Some(text) if predicate.text != TextView::Native => text_equals(text, literal, ci),
            _ => equals(node, literal, ci),
        },
        Test::OneOf(literals) => literals.iter().any(|l| match &text {
            Some(text) if predicate.text != TextView::Native => text_equals(text, l, ci),
            _ => equals(node, l, ci),
        }),
        Test::Regex(regex) => text.is_some_and(|s| regex.is_match(&s)),
        Test::Text { op, value } => text.is_some_and(|s| {
            let s = if ci { Cow::Owned(s.to_lowercase()) } else { s };
            match op {
                TextOp::Contains => s.contains(value.as_str()),
                TextOp::StartsWith => s.starts_with(value.as_str()),
                TextOp::EndsWith => s.ends_with(value.as_str()),
            }
        }),
        Test::Compare { op, value } => number(node).is_some_and(|n| op.holds(n, *value)),
        Test::InCidr(networks) => text
            .and_then(|s| Cidr::parse(&s).ok())
            .is_some_and(|addr| networks.iter().any(|net| net.contains(&addr))),
        Test::Interpolated { op, template } => {
            // Sigma's view (objects and arrays as JSON text) where the rule asks for it.
            let own = match predicate.text {
                TextView::All => text_of(node, TextView::All).map(Cow::into_owned),
                _ => scalar_text(node),
            };
            let (Some(text), Some(value)) = (own, render_strict(template, event)) else {
                return false;
            };
            let (text, value) = if ci {
                (text.to_lowercase(), value.to_lowercase())
            } else {
                (text, value)
            };
            match op {
                InterpolatedOp::Equals => text == value,
                InterpolatedOp::Text(TextOp::Contains) => text.contains(&value),
                InterpolatedOp::Text(TextOp::StartsWith) => text.starts_with(&value),
                InterpolatedOp::Text(TextOp::EndsWith) => text.ends_with(&value),
            }
        }
    }
}

/// The text string tests see, per the predicate's text view.
fn text_of(node: &Value, view: TextView) -> Option<Cow<'_, str>> {
    match (node, view) {
        (Value::String(s), _) => Some(Cow::Borrowed(s)),
        (Value::Number(n), TextView::Scalars | TextView::All) => Some(Cow::Owned(n.to_string())),
        (Value::Bool(b), TextView::Scalars | TextView::All) => Some(Cow::Owned(b.to_string())),
        (Value::Object(_) | Value::Array(_), TextView::All) => Some(Cow::Owned(node.to_string())),
        _ => None,
    }
}

/// Equality of a value's text with a literal (text views): `5` equals "5" and 5.
fn text_equals(text: &str, literal: &Literal, ci: bool) -> bool {
    match literal {
        Literal::String(s) if ci => text.to_lowercase() == *s,
        Literal::String(s) => text == s,
        Literal::Int(i) => text == i.to_string(),
        Literal::Float(x) => text.parse::<f64>().is_ok_and(|t| t == *x),
        Literal::Bool(b) => text == if *b { "true" } else { "false" },
        Literal::Null => false,
    }
}

/// A string, number or boolean as text; `None` for null, objects and arrays.
fn scalar_text(node: &Value) -> Option<String> {
    match scalar_view(node) {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Fills a template for comparison: `None` when a placeholder selects nothing or null.
fn render_strict(template: &Template, event: &Value) -> Option<String> {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Field(path) => {
                let mut nodes = Vec::new();
                select(path, (event, ()), (event, ()), &mut nodes);
                let texts: Option<Vec<String>> =
                    nodes.iter().map(|(value, ())| scalar_text(value)).collect();
                let texts = texts.filter(|t| !t.is_empty())?;
                out.push_str(&texts.join(", "));
            }
        }
    }
    Some(out)
}

fn equals(node: &Value, literal: &Literal, ci: bool) -> bool {
    match (node, literal) {
        (Value::Null, Literal::Null) => true,
        (Value::Bool(a), Literal::Bool(b)) => a == b,
        (Value::String(a), Literal::String(b)) => {
            if ci {
                a.to_lowercase() == *b
            } else {
                a == b
            }
        }
        (Value::Number(n), Literal::Int(i)) => match n.as_i64() {
            Some(a) => a == *i,
            None => n.as_f64() == Some(*i as f64),
        },
        (Value::Number(n), Literal::Float(x)) => n.as_f64() == Some(*x),
        _ => false,
    }
}

/// Numbers, and strings that hold one (CloudTrail writes some numbers as strings).
fn number(node: &Value) -> Option<f64> {
    match node {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// Fills a message template from the event. Missing fields read `<missing>`; several values are
/// joined with ", ".
/// Walks a single-valued path (names and indexes; `rule::first_seen` checks that).
pub fn select_one<'a>(event: &'a Value, path: &Path) -> Option<&'a Value> {
    let mut node = event;
    for segment in &path.segments {
        node = match segment.selectors.as_slice() {
            [Selector::Name(name)] => node.get(name)?,
            [Selector::Index(i)] => {
                let items = node.as_array()?;
                let len = i64::try_from(items.len()).ok()?;
                let at = if *i < 0 { len + i } else { *i };
                items.get(usize::try_from(at).ok()?)?
            }
            _ => return None,
        };
    }
    Some(node)
}

pub fn render(template: &Template, event: &Value) -> String {
    let mut out = String::new();
    for part in &template.parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Field(path) => {
                let mut nodes = Vec::new();
                select(path, (event, ()), (event, ()), &mut nodes);
                if nodes.is_empty() {
                    out.push_str("<missing>");
                }
                for (i, (value, ())) in nodes.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match scalar_view(value) {
                        Value::String(s) => out.push_str(s),
                        other => out.push_str(&other.to_string()),
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Evidence;
    use crate::rule::load::testing::condition;
    use serde_json::json;

    fn holds(cond: &str, event: &Value) -> bool {
        let compiled = condition(cond);
        let verdict = matches(&compiled, event);
        // The traced walk must always agree with the fast one.
        assert_eq!(
            super::super::trace::trace(&compiled, event).holds,
            verdict,
            "{cond}"
        );
        verdict
    }

    #[test]
    fn equality_is_type_aware() {
        let event = json!({"a": "false", "b": false, "n": 1, "f": 1.5, "z": null});
        assert!(!holds("path: $.a\nequals: false", &event));
        assert!(holds("path: $.a\nequals: 'false'", &event));
        assert!(holds("path: $.b\nequals: false", &event));
        assert!(holds("path: $.n\nequals: 1.0", &event));
        assert!(!holds("path: $.n\nequals: '1'", &event));
        assert!(holds("path: $.f\nequals: 1.5", &event));
        assert!(holds("path: $.z\nequals: null", &event));
        assert!(!holds("path: $.missing\nequals: null", &event));
    }

    #[test]
    fn null_and_missing_differ() {
        let event = json!({"responseElements": null});
        assert!(holds("path: $.responseElements\nis_null: true", &event));
        assert!(holds("path: $.responseElements\nexists: true", &event));
        assert!(!holds("path: $.requestParameters\nis_null: true", &event));
        assert!(!holds("path: $.requestParameters\nis_null: false", &event));
        assert!(holds("path: $.requestParameters\nexists: false", &event));
    }

    #[test]
    fn quantifiers_and_empty_selections() {
        let event = json!({"l": [1, 2, 3], "e": []});
        assert!(holds("path: $.l[*]\ngt: 2", &event));
        assert!(!holds("path: $.l[*]\ngt: 2\nquantifier: all", &event));
        assert!(holds("path: $.l[*]\ngt: 0\nquantifier: all", &event));
        assert!(holds("path: $.l[*]\ngt: 5\nquantifier: none", &event));
        // Nothing selected: any and all are false, none is true.
        assert!(!holds("path: $.e[*]\ngt: 0", &event));
        assert!(!holds("path: $.e[*]\ngt: 0\nquantifier: all", &event));
        assert!(holds("path: $.e[*]\ngt: 0\nquantifier: none", &event));
    }

    #[test]
    fn text_tests_and_case() {
        let event = json!({"ua": "aws-cli/2.13 Python/3.11", "n": 5});
        assert!(holds("path: $.ua\nstarts_with: aws-cli/", &event));
        assert!(!holds("path: $.ua\ncontains: PYTHON", &event));
        assert!(holds(
            "path: $.ua\ncontains: PYTHON\ncase_insensitive: true",
            &event
        ));
        assert!(holds("path: $.ua\nends_with: '3.11'", &event));
        assert!(holds(
            "path: $.ua\nequals: AWS-CLI/2.13 PYTHON/3.11\ncase_insensitive: true",
            &event
        ));
        assert!(holds("path: $.ua\nregex: 'cli/\\d+\\.'", &event));
        assert!(!holds("path: $.n\ncontains: '5'", &event));
        assert!(holds(
            "path: $.ua\none_of: [x, 'aws-cli/2.13 Python/3.11']",
            &event
        ));
    }

    #[test]
    fn numeric_comparisons_accept_numeric_strings() {
        let event = json!({"size": "10", "hop": 2, "bad": "ten"});
        assert!(holds("path: $.size\ngte: 10", &event));
        assert!(holds("path: $.hop\ngt: 1", &event));
        assert!(!holds("path: $.hop\nlt: 2", &event));
        assert!(holds("path: $.hop\nlte: 2", &event));
        assert!(!holds("path: $.bad\ngt: 0", &event));
    }

    #[test]
    fn cidr_membership() {
        let event =
            json!({"ip": "10.1.2.3", "open": "0.0.0.0/0", "v6": "::/0", "host": "AWS Internal"});
        assert!(holds("path: $.ip\nin_cidr: 10.0.0.0/8", &event));
        assert!(!holds("path: $.ip\nin_cidr: [192.168.0.0/16]", &event));
        assert!(holds("path: $.open\nin_cidr: 0.0.0.0/0", &event));
        assert!(!holds("path: $.open\nin_cidr: 10.0.0.0/8", &event));
        assert!(holds("path: $.v6\nin_cidr: ['::/0']", &event));
        assert!(!holds("path: $.host\nin_cidr: 0.0.0.0/0", &event));
    }

    #[test]
    fn combinators() {
        let event = json!({"a": 1, "b": 2});
        assert!(holds(
            "all:\n  - {path: $.a, equals: 1}\n  - {path: $.b, equals: 2}",
            &event
        ));
        assert!(!holds(
            "all:\n  - {path: $.a, equals: 1}\n  - {path: $.b, equals: 3}",
            &event
        ));
        assert!(holds(
            "any:\n  - {path: $.a, equals: 9}\n  - {path: $.b, equals: 2}",
            &event
        ));
        assert!(!holds("any: []", &event));
        assert!(holds("all: []", &event));
        assert!(holds("not: {path: $.c, exists: true}", &event));
    }

    #[test]
    fn items_understand_ec2_lists() {
        let wrapped = json!({"p": {"items": [{"cidrIp": "10.0.0.0/8"}, {"cidrIp": "0.0.0.0/0"}]}});
        let bare = json!({"p": {"cidrIp": "0.0.0.0/0", "tag": 1}});
        let empty = json!({"p": {}});
        let cond = "some:\n  path: $.p\n  where: {path: '@.cidrIp', equals: 0.0.0.0/0}";
        assert!(holds(cond, &wrapped));
        assert!(holds(cond, &bare));
        assert!(!holds(cond, &empty));
        let every = "every:\n  path: $.p\n  where: {path: '@.cidrIp', exists: true}";
        assert!(holds(every, &wrapped));
        assert!(holds(every, &bare));
        assert!(!holds(every, &empty), "every needs at least one item");
        let not_every = "every:\n  path: $.p\n  where: {path: '@.cidrIp', equals: 0.0.0.0/0}";
        assert!(!holds(not_every, &wrapped));
    }

    #[test]
    fn items_keep_conditions_on_the_same_item() {
        // Two mappings: one encrypted EBS, one instance store. No single item has EBS without
        // encryption, even though the list has "an ebs" and "something unencrypted".
        let event = json!({"m": [{"ebs": {"encrypted": true}}, {"virtualName": "ephemeral0"}]});
        let cond = "some:\n  path: $.m\n  where:\n    all:\n      - {path: '@.ebs', exists: true}\n      - not: {path: '@.ebs.encrypted', equals: true}";
        assert!(!holds(cond, &event));
    }

    #[test]
    fn tag_content_scalars_compare_by_content() {
        let event = json!({"SecurityGroupId": [{"tag": 1, "content": "sg-1"}, {"tag": 2, "content": "sg-2"}]});
        assert!(holds("path: $.SecurityGroupId[*]\nequals: sg-2", &event));
    }

    #[test]
    fn evidence_names_concrete_paths_and_missing_fields() {
        let event = json!({"m": [{"ebs": {"size": 8}}], "t": "Root"});
        let cond = condition("all:\n  - {path: $.t, equals: Root}\n  - some:\n      path: $.m\n      where:\n        not: {path: '@.ebs.encrypted', equals: true}");
        let found = super::super::trace::trace(&cond, &event).evidence();
        assert_eq!(
            found,
            vec![
                Evidence {
                    path: "$.t".into(),
                    value: Some(json!("Root"))
                },
                Evidence {
                    path: "$.m[0].ebs.encrypted".into(),
                    value: None
                },
            ]
        );
    }

    #[test]
    fn interpolated_values_compare_with_other_fields() {
        let event = json!({
            "userIdentity": {"arn": "arn:aws:iam::1:user/alice"},
            "requestParameters": {"userName": "alice", "sourceRegion": "eu-west-1"},
            "awsRegion": "us-east-1",
            "n": 12,
            "other": {"userName": "bob", "id": "12"}
        });
        let ends = "path: $.userIdentity.arn\nends_with: 'user/{requestParameters.userName}'\ninterpolate: true";
        assert!(holds(ends, &event));
        let bob = "path: $.userIdentity.arn\nends_with: 'user/{other.userName}'\ninterpolate: true";
        assert!(!holds(bob, &event));
        // A placeholder that selects nothing fails the test (so `not` of it holds).
        let missing =
            "path: $.userIdentity.arn\nends_with: 'user/{nothing.here}'\ninterpolate: true";
        assert!(!holds(missing, &event));
        assert!(holds(
            &format!("not:\n  {}", missing.replace('\n', "\n  ")),
            &event
        ));
        let region =
            "path: $.requestParameters.sourceRegion\nequals: '{awsRegion}'\ninterpolate: true";
        assert!(!holds(region, &event));
        // Numbers compare as their text; case_insensitive applies to both sides.
        assert!(holds(
            "path: $.n\nequals: '{other.id}'\ninterpolate: true",
            &event
        ));
        assert!(holds(
            "path: $.userIdentity.arn\nstarts_with: 'ARN:AWS:IAM::1:'\ninterpolate: true\ncase_insensitive: true",
            &event
        ));
        assert!(holds(
            "path: $.userIdentity.arn\ncontains: ':{n}'\ninterpolate: true",
            &json!({"userIdentity": {"arn": "arn:aws:iam::12:root"}, "n": 12})
        ));
    }

    #[test]
    fn json_documents_in_strings() {
        let policy = r#"{"Statement": [{"Effect": "Allow", "Principal": "*"}]}"#;
        let cond = "json:\n  path: $.p\n  where:\n    some:\n      path: '@.Statement'\n      where: {path: '@.Principal', equals: '*'}";
        assert!(holds(cond, &json!({"p": policy})));
        // The same document logged as an object.
        assert!(holds(
            cond,
            &json!({"p": {"Statement": {"Effect": "Allow", "Principal": "*"}}})
        ));
        assert!(!holds(cond, &json!({"p": "not json"})));
        assert!(!holds(cond, &json!({"p": ""})));
        assert!(!holds(cond, &json!({"q": policy})));
        assert!(!holds(
            cond,
            &json!({"p": r#"{"Statement": [{"Principal": {"Service": "ec2.amazonaws.com"}}]}"#})
        ));
        // `$` still names the event inside the document.
        let root = "json:\n  path: $.p\n  where: {path: $.k, equals: 1}";
        assert!(holds(root, &json!({"p": "{}", "k": 1})));
        let evidence =
            super::super::trace::trace(&condition(cond), &json!({"p": policy})).evidence();
        assert_eq!(evidence[0].path, "$.p.Statement[0].Principal");
    }

    #[test]
    fn templates_render_values_and_missing() {
        let template = Template::parse("{a} / {b[*]} / {c} / {{x}}").unwrap();
        let event = json!({"a": "one", "b": [1, true]});
        assert_eq!(render(&template, &event), "one / 1, true / <missing> / {x}");
    }
}
