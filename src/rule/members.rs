//! Which top-level members of an event a rule's condition reads. The engine decides most events
//! against a tree of only the members its candidate rules read (`source::records::parse_members`)
//! and builds the whole tree only for an event a rule matches; this says which members that is.

use std::collections::BTreeSet;

use super::condition::{Condition, Test};
use super::path::{Path, Selector};
use super::template::{Part, Template};

/// The top-level members `condition` reads, or `None` when it may read any of them (a path
/// from the root through a wildcard, an index or `..`, or the root itself, as Sigma keywords
/// do). Paths relative to an item (`@`) read inside a member some enclosing path names.
pub fn condition_reads(condition: &Condition) -> Option<BTreeSet<String>> {
    let mut members = BTreeSet::new();
    condition_members(condition, &mut members).then_some(members)
}

/// Adds what `condition` reads to `out`; false when it may read anything.
fn condition_members(condition: &Condition, out: &mut BTreeSet<String>) -> bool {
    match condition {
        Condition::All(children) | Condition::Any(children) => {
            children.iter().all(|child| condition_members(child, out))
        }
        Condition::Not(child) => condition_members(child, out),
        Condition::Items {
            path, condition, ..
        }
        | Condition::Json { path, condition } => {
            path_members(path, out) && condition_members(condition, out)
        }
        Condition::Predicate(predicate) => {
            path_members(&predicate.path, out)
                && match &predicate.test {
                    Test::Interpolated { template, .. } => template_members(template, out),
                    _ => true,
                }
        }
    }
}

fn template_members(template: &Template, out: &mut BTreeSet<String>) -> bool {
    template.parts.iter().all(|part| match part {
        Part::Field(path) => path_members(path, out),
        Part::Text(_) => true,
    })
}

/// Adds the members a path starts with; false when its first step is not a plain member name.
fn path_members(path: &Path, out: &mut BTreeSet<String>) -> bool {
    if path.relative {
        return true;
    }
    let Some(first) = path.segments.first() else {
        return false;
    };
    if first.descendant || first.selectors.is_empty() {
        return false;
    }
    for selector in &first.selectors {
        match selector {
            Selector::Name(name) => {
                out.insert(name.clone());
            }
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::load::{compile_files, RuleFile};

    fn reads(condition: &str) -> Option<Vec<String>> {
        let file = RuleFile {
            name: "r.yaml".into(),
            pack: "test".into(),
            text: format!(
                "id: r\ntitle: R\nseverity: low\ndescription: D\nremediation: R\ncondition:\n{condition}"
            ),
        };
        let rule = compile_files(&[file]).expect("valid rule").remove(0);
        condition_reads(&rule.condition).map(|m| m.into_iter().collect())
    }

    #[test]
    fn a_condition_reads_the_members_its_paths_start_with() {
        assert_eq!(
            reads(
                "  all:\n  - path: $.userIdentity.type\n    equals: Root\n  - not:\n      path: $['errorCode']\n      exists: true\n  - some:\n      path: $.requestParameters.items\n      where:\n        path: '@.cidr'\n        equals: 0.0.0.0/0\n  - path: $.userIdentity.arn\n    ends_with: 'user/{responseElements.user.userName}'\n    interpolate: true\n"
            ),
            Some(
                ["errorCode", "requestParameters", "responseElements", "userIdentity"]
                    .map(String::from)
                    .to_vec()
            )
        );
    }

    #[test]
    fn a_path_that_may_reach_any_member_reads_everything() {
        for path in ["$..arn", "$.*", "$[*].x", "$"] {
            assert_eq!(
                reads(&format!("  path: '{path}'\n  exists: true\n")),
                None,
                "{path}"
            );
        }
    }
}
