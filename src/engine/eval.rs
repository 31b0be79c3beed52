//! Evaluating a condition over one event: a fast boolean walk for every event, and a traced walk
//! that collects evidence, run again only for the few events that matched.

use serde_json::Value;

use crate::rule::cidr::Cidr;
use crate::rule::condition::{
    Condition, ItemQuantifier, Literal, Predicate, Quantifier, Test, TextOp,
};
use crate::rule::template::{Part, Template};

use super::select::{list_items, select, Location};

/// One path and value that made a rule match. `value: None` means the field was missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub path: String,
    pub value: Option<Value>,
}

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
        Condition::Predicate(predicate) => {
            let mut nodes = Vec::new();
            select(&predicate.path, root, current, &mut nodes);
            predicate_holds(predicate, nodes.iter().map(|(v, _)| *v))
        }
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

fn predicate_holds<'a>(
    predicate: &Predicate,
    mut nodes: impl ExactSizeIterator<Item = &'a Value>,
) -> bool {
    if let Test::Exists(expected) = predicate.test {
        return (nodes.len() > 0) == expected;
    }
    match predicate.quantifier {
        Quantifier::Any => nodes.any(|n| test(predicate, n)),
        Quantifier::All => nodes.len() > 0 && nodes.all(|n| test(predicate, n)),
        Quantifier::None => !nodes.any(|n| test(predicate, n)),
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

/// Does one selected node pass the predicate's test?
pub fn test(predicate: &Predicate, node: &Value) -> bool {
    let ci = predicate.case_insensitive;
    let node = scalar_view(node);
    match &predicate.test {
        Test::Exists(expected) => *expected,
        Test::IsNull(expected) => node.is_null() == *expected,
        Test::Equals(literal) => equals(node, literal, ci),
        Test::OneOf(literals) => literals.iter().any(|l| equals(node, l, ci)),
        Test::Regex(regex) => node.as_str().is_some_and(|s| regex.is_match(s)),
        Test::Text { op, value } => node.as_str().is_some_and(|s| {
            let lowered;
            let s = if ci {
                lowered = s.to_lowercase();
                lowered.as_str()
            } else {
                s
            };
            match op {
                TextOp::Contains => s.contains(value.as_str()),
                TextOp::StartsWith => s.starts_with(value.as_str()),
                TextOp::EndsWith => s.ends_with(value.as_str()),
            }
        }),
        Test::Compare { op, value } => number(node).is_some_and(|n| op.holds(n, *value)),
        Test::InCidr(networks) => node
            .as_str()
            .and_then(|s| Cidr::parse(s).ok())
            .is_some_and(|addr| networks.iter().any(|net| net.contains(&addr))),
    }
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

/// Evaluates again, recording the paths and values that decided the result. Call it only for
/// events `matches` accepted; it returns the same verdict.
pub fn evidence(condition: &Condition, event: &Value) -> Vec<Evidence> {
    let mut out = Vec::new();
    let root = (event, "$".to_string());
    traced(condition, root.clone(), root, &mut out);
    out
}

fn traced(
    condition: &Condition,
    root: (&Value, String),
    current: (&Value, String),
    out: &mut Vec<Evidence>,
) -> bool {
    match condition {
        Condition::All(children) => {
            let mut collected = Vec::new();
            for child in children {
                if !traced(child, root.clone(), current.clone(), &mut collected) {
                    return false;
                }
            }
            out.append(&mut collected);
            true
        }
        Condition::Any(children) => children.iter().any(|child| {
            let mut collected = Vec::new();
            let holds = traced(child, root.clone(), current.clone(), &mut collected);
            if holds {
                out.append(&mut collected);
            }
            holds
        }),
        Condition::Not(inner) => {
            let mut ignored = Vec::new();
            let holds = !traced(inner, root.clone(), current.clone(), &mut ignored);
            if holds {
                describe(inner, root, current, out);
            }
            holds
        }
        Condition::Items {
            quantifier,
            path,
            condition,
        } => {
            let items = items_of(path, root.clone(), current);
            let mut collected = Vec::new();
            let mut passed = 0;
            for (item, at) in &items {
                let mut item_evidence = Vec::new();
                if traced(
                    condition,
                    root.clone(),
                    (*item, at.clone()),
                    &mut item_evidence,
                ) {
                    passed += 1;
                    collected.append(&mut item_evidence);
                }
            }
            let holds = match quantifier {
                ItemQuantifier::Some => passed > 0,
                ItemQuantifier::Every => !items.is_empty() && passed == items.len(),
            };
            if holds {
                out.append(&mut collected);
            }
            holds
        }
        Condition::Predicate(predicate) => {
            let mut nodes = Vec::new();
            select(&predicate.path, root, current.clone(), &mut nodes);
            let holds = predicate_holds(predicate, nodes.iter().map(|(v, _)| *v));
            if holds {
                let shown: Vec<&(&Value, String)> = match (&predicate.test, predicate.quantifier) {
                    (Test::Exists(_), _) | (_, Quantifier::All | Quantifier::None) => {
                        nodes.iter().collect()
                    }
                    (_, Quantifier::Any) => {
                        nodes.iter().filter(|(v, _)| test(predicate, v)).collect()
                    }
                };
                if shown.is_empty() {
                    out.push(missing(predicate, &current.1));
                }
                out.extend(shown.into_iter().map(|(v, at)| Evidence {
                    path: at.clone(),
                    value: Some((*v).clone()),
                }));
            }
            holds
        }
    }
}

/// Records what the predicates under a negated condition selected, to show why it did not hold.
fn describe(
    condition: &Condition,
    root: (&Value, String),
    current: (&Value, String),
    out: &mut Vec<Evidence>,
) {
    match condition {
        Condition::All(children) | Condition::Any(children) => {
            for child in children {
                describe(child, root.clone(), current.clone(), out);
            }
        }
        Condition::Not(inner) => describe(inner, root, current, out),
        Condition::Items { path, .. } | Condition::Predicate(Predicate { path, .. }) => {
            let mut nodes = Vec::new();
            select(path, root, current.clone(), &mut nodes);
            if nodes.is_empty() {
                out.push(Evidence {
                    path: resolve(&path.text, path.relative, &current.1),
                    value: None,
                });
            }
            out.extend(nodes.into_iter().map(|(v, at)| Evidence {
                path: at,
                value: Some(v.clone()),
            }));
        }
    }
}

fn missing(predicate: &Predicate, current: &str) -> Evidence {
    Evidence {
        path: resolve(&predicate.path.text, predicate.path.relative, current),
        value: None,
    }
}

/// Writes a relative path (`@.x`) from the item's location (`$.list[0].x`).
fn resolve(text: &str, relative: bool, current: &str) -> String {
    if relative {
        format!("{current}{}", &text[1..])
    } else {
        text.to_string()
    }
}

/// Fills a message template from the event. Missing fields read `<missing>`; several values are
/// joined with ", ".
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
