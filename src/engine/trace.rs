//! Tracing a condition over one event: every node's verdict and what its path selected. `explain`
//! prints the trace; findings take their evidence from it. Slower than `eval::matches` (nothing
//! short-circuits), so it runs only for events that matched or that a person asked about.

use serde_json::Value;

use crate::rule::condition::{Condition, ItemQuantifier, Quantifier, Test};

use super::eval::{decode_json, predicate_holds, test};
use super::select::{list_items, select};
use crate::finding::Evidence;

/// One node of the condition tree, evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// What the node is: `all`, `any`, `not`, `some $.path`, `every $.path`, `item $.path[0]`, or
    /// a predicate such as `$.userIdentity.type equals: "Root"`.
    pub label: String,
    pub holds: bool,
    pub node: NodeKind,
    /// For predicates: each selected node and whether it passed the test; one entry with
    /// `value: None` when nothing was selected. For `some`/`every`: the lists selected.
    pub selected: Vec<Selected>,
    pub children: Vec<Trace>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    All,
    Any,
    Not,
    Items,
    Item,
    Predicate(Quantifier, bool),
}

/// A node a path selected (or a missing one).
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    pub path: String,
    /// `None`: nothing at this path.
    pub value: Option<Value>,
    /// For predicates: whether this node passed the test.
    pub passed: Option<bool>,
}

/// Evaluates `condition` over `event`, recording everything.
pub fn trace(condition: &Condition, event: &Value) -> Trace {
    let root = (event, "$".to_string());
    walk(condition, &root, root.clone())
}

fn walk(condition: &Condition, root: &(&Value, String), current: (&Value, String)) -> Trace {
    match condition {
        Condition::All(children) | Condition::Any(children) => {
            let all = matches!(condition, Condition::All(_));
            let children: Vec<Trace> = children
                .iter()
                .map(|c| walk(c, root, current.clone()))
                .collect();
            let holds = if all {
                children.iter().all(|c| c.holds)
            } else {
                children.iter().any(|c| c.holds)
            };
            Trace {
                label: if all { "all" } else { "any" }.to_string(),
                holds,
                node: if all { NodeKind::All } else { NodeKind::Any },
                selected: Vec::new(),
                children,
            }
        }
        Condition::Not(inner) => {
            let child = walk(inner, root, current);
            Trace {
                label: "not".to_string(),
                holds: !child.holds,
                node: NodeKind::Not,
                selected: Vec::new(),
                children: vec![child],
            }
        }
        Condition::Items {
            quantifier,
            path,
            condition,
        } => {
            let mut lists = Vec::new();
            select(path, root.clone(), current.clone(), &mut lists);
            let mut items = Vec::new();
            let selected = lists
                .iter()
                .map(|(v, at)| Selected {
                    path: at.clone(),
                    value: Some((*v).clone()),
                    passed: None,
                })
                .collect::<Vec<_>>();
            for (list, at) in lists {
                list_items(list, at, &mut items);
            }
            let children: Vec<Trace> = items
                .into_iter()
                .map(|(item, at)| {
                    let inner = walk(condition, root, (item, at.clone()));
                    Trace {
                        label: format!("item {at}"),
                        holds: inner.holds,
                        node: NodeKind::Item,
                        selected: Vec::new(),
                        children: vec![inner],
                    }
                })
                .collect();
            let holds = match quantifier {
                ItemQuantifier::Some => children.iter().any(|c| c.holds),
                ItemQuantifier::Every => !children.is_empty() && children.iter().all(|c| c.holds),
            };
            let word = match quantifier {
                ItemQuantifier::Some => "some",
                ItemQuantifier::Every => "every",
            };
            Trace {
                label: format!("{word} {path}"),
                holds,
                node: NodeKind::Items,
                selected: if selected.is_empty() {
                    vec![missing(&path.text, path.relative, &current.1)]
                } else {
                    selected
                },
                children,
            }
        }
        Condition::Json { path, condition } => {
            let mut nodes = Vec::new();
            select(path, root.clone(), current.clone(), &mut nodes);
            let selected: Vec<Selected> = nodes
                .iter()
                .map(|(v, at)| Selected {
                    path: at.clone(),
                    value: Some((*v).clone()),
                    passed: None,
                })
                .collect();
            let children: Vec<Trace> = nodes
                .iter()
                .filter_map(|(node, at)| {
                    let doc = decode_json(node)?;
                    let inner = walk(condition, root, (doc.as_ref(), at.clone()));
                    Some(Trace {
                        label: format!("document {at}"),
                        holds: inner.holds,
                        node: NodeKind::Item,
                        selected: Vec::new(),
                        children: vec![inner],
                    })
                })
                .collect();
            Trace {
                label: format!("json {path}"),
                holds: children.iter().any(|c| c.holds),
                node: NodeKind::Items,
                selected: if selected.is_empty() {
                    vec![missing(&path.text, path.relative, &current.1)]
                } else {
                    selected
                },
                children,
            }
        }
        Condition::Predicate(predicate) => {
            let mut nodes = Vec::new();
            select(&predicate.path, root.clone(), current.clone(), &mut nodes);
            let holds = predicate_holds(predicate, nodes.iter().map(|(v, _)| *v), root.0);
            let exists_test = matches!(predicate.test, Test::Exists(_));
            let mut selected: Vec<Selected> = nodes
                .iter()
                .map(|(v, at)| Selected {
                    path: at.clone(),
                    value: Some((*v).clone()),
                    passed: (!exists_test).then(|| test(predicate, v, root.0)),
                })
                .collect();
            if selected.is_empty() {
                selected.push(missing(
                    &predicate.path.text,
                    predicate.path.relative,
                    &current.1,
                ));
            }
            Trace {
                label: predicate.to_string(),
                holds,
                node: NodeKind::Predicate(predicate.quantifier, exists_test),
                selected,
                children: Vec::new(),
            }
        }
    }
}

fn missing(text: &str, relative: bool, current: &str) -> Selected {
    Selected {
        path: if relative {
            format!("{current}{}", &text[1..])
        } else {
            text.to_string()
        },
        value: None,
        passed: None,
    }
}

impl Trace {
    /// The paths and values that made a holding condition hold: a finding's evidence.
    pub fn evidence(&self) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = Vec::new();
        if self.holds {
            self.collect_evidence(&mut out);
        }
        // Two predicates on the same path (`exists` and `not equals`) show the same node once.
        let mut unique: Vec<Evidence> = Vec::with_capacity(out.len());
        for evidence in out {
            if !unique.contains(&evidence) {
                unique.push(evidence);
            }
        }
        unique
    }

    fn collect_evidence(&self, out: &mut Vec<Evidence>) {
        match self.node {
            NodeKind::All | NodeKind::Item => {
                self.children.iter().for_each(|c| c.collect_evidence(out))
            }
            NodeKind::Any => {
                if let Some(first) = self.children.iter().find(|c| c.holds) {
                    first.collect_evidence(out);
                }
            }
            // A negation held because its inner condition did not: show what the inner
            // condition looked at.
            NodeKind::Not => self.children.iter().for_each(|c| c.collect_selections(out)),
            NodeKind::Items => self
                .children
                .iter()
                .filter(|c| c.holds)
                .for_each(|c| c.collect_evidence(out)),
            NodeKind::Predicate(quantifier, exists_test) => {
                let any_passed = quantifier == Quantifier::Any && !exists_test;
                out.extend(
                    self.selected
                        .iter()
                        .filter(|s| !any_passed || s.passed != Some(false))
                        .map(Selected::to_evidence),
                );
            }
        }
    }

    fn collect_selections(&self, out: &mut Vec<Evidence>) {
        match self.node {
            NodeKind::Predicate(..) => out.extend(self.selected.iter().map(Selected::to_evidence)),
            NodeKind::Items if self.children.is_empty() => {
                out.extend(self.selected.iter().map(Selected::to_evidence))
            }
            _ => self.children.iter().for_each(|c| c.collect_selections(out)),
        }
    }
}

impl Selected {
    fn to_evidence(&self) -> Evidence {
        Evidence {
            path: self.path.clone(),
            value: self.value.clone(),
        }
    }
}
