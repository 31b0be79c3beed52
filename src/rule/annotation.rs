//! Which parts of the enrichment annotation (`$.trailgate`, written by `crate::enrich`) a rule
//! reads, and when: before a match (its condition or an exception: the engine must annotate the
//! event before evaluating it) or only after one (its message or its `first_seen` fields: the
//! annotation is made for matched events only, which keeps broad rules cheap).

use std::collections::BTreeSet;

use super::condition::{Condition, Test};
use super::path::{Path, Selector};
use super::template::{Part, Template};
use super::Rule;

/// The top-level key the annotation is written under. CloudTrail records have no such member.
pub const ANNOTATION_KEY: &str = "trailgate";

/// The members of the annotation that need a flag: `account_name` (`--accounts`) and `geo`
/// (`--geoip`). The others are derived from the record itself and always there.
pub const ACCOUNT_NAME: &str = "account_name";
pub const GEO: &str = "geo";
/// The client family of `userAgent` (`enrich::user_agent`), derived from the record.
pub const USER_AGENT_FAMILY: &str = "user_agent_family";

/// What a rule reads of the annotation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotationReads {
    /// Its condition or an exception reads it: the event is annotated before evaluation.
    pub before_match: bool,
    /// Its message or its `first_seen` fields read it (and the condition does not).
    pub after_match: bool,
    /// The members read (`geo`, `account_name`, `user_agent_family`); `*` for a path that
    /// reads the whole annotation or picks members by wildcard.
    pub members: BTreeSet<String>,
}

impl AnnotationReads {
    /// Whether the rule reads the annotation at all.
    pub fn any(&self) -> bool {
        self.before_match || self.after_match
    }

    /// Whether it reads `member` (or the whole annotation).
    pub fn reads(&self, member: &str) -> bool {
        self.members.contains(member) || self.members.contains("*")
    }
}

/// What `rule` reads of the annotation: rooted paths whose first step is the member
/// `trailgate`. Paths that reach it only through a wildcard or `..` do not count: such rules
/// see the plain record.
pub fn reads(rule: &Rule) -> AnnotationReads {
    let mut before = BTreeSet::new();
    condition_members(&rule.condition, &mut before);
    for exception in &rule.exceptions {
        condition_members(&exception.condition, &mut before);
    }
    let mut after = BTreeSet::new();
    template_members(&rule.message, &mut after);
    if let Some(first_seen) = &rule.first_seen {
        for path in &first_seen.fields {
            path_member(path, &mut after);
        }
    }
    let before_match = !before.is_empty();
    let after_match = !before_match && !after.is_empty();
    before.append(&mut after);
    AnnotationReads {
        before_match,
        after_match,
        members: before,
    }
}

/// Adds the annotation member `path` reads, if it reads the annotation.
fn path_member(path: &Path, out: &mut BTreeSet<String>) {
    if path.relative {
        return;
    }
    let mut segments = path.segments.iter();
    let Some(first) = segments.next() else {
        return;
    };
    let rooted = !first.descendant
        && first
            .selectors
            .iter()
            .any(|s| matches!(s, Selector::Name(name) if name == ANNOTATION_KEY));
    if !rooted {
        return;
    }
    let member = match segments.next() {
        Some(second) if !second.descendant => match second.selectors.as_slice() {
            [Selector::Name(name)] => name.clone(),
            _ => "*".to_string(),
        },
        _ => "*".to_string(),
    };
    out.insert(member);
}

fn template_members(template: &Template, out: &mut BTreeSet<String>) {
    for part in &template.parts {
        if let Part::Field(path) = part {
            path_member(path, out);
        }
    }
}

fn condition_members(condition: &Condition, out: &mut BTreeSet<String>) {
    match condition {
        Condition::All(children) | Condition::Any(children) => {
            for child in children {
                condition_members(child, out);
            }
        }
        Condition::Not(child) => condition_members(child, out),
        Condition::Items {
            path, condition, ..
        }
        | Condition::Json { path, condition } => {
            path_member(path, out);
            condition_members(condition, out);
        }
        Condition::Predicate(predicate) => {
            path_member(&predicate.path, out);
            if let Test::Interpolated { template, .. } = &predicate.test {
                template_members(template, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, rest: &str) -> crate::rule::load::RuleFile {
        crate::rule::load::RuleFile {
            name: format!("{id}.yaml"),
            pack: "test".into(),
            text: format!(
                "id: {id}\ntitle: T\nseverity: high\ndescription: D\nremediation: R\nevents:\n  eventName: [ConsoleLogin]\n{rest}\n"
            ),
        }
    }

    #[test]
    fn tells_what_is_read_and_when() {
        let files = [
            rule(
                "condition",
                "condition:\n  all:\n  - path: $.trailgate.geo.kind\n    equals: public\n  - not:\n      path: $.trailgate.geo.country\n      one_of: [DE, FR]\nmessage: 'from {trailgate.account_name}'",
            ),
            rule(
                "message-only",
                "condition:\n  path: $.sourceIPAddress\n  exists: true\nmessage: 'From {sourceIPAddress} in {trailgate.account_name}'",
            ),
            rule(
                "first-seen",
                "condition:\n  path: $.sourceIPAddress\n  exists: true\nfirst_seen:\n  fields: [$.userIdentity.arn, $.trailgate.user_agent_family]\n  history: 7d\nmessage: x",
            ),
            rule(
                "whole",
                "condition:\n  path: $.trailgate\n  exists: true\nmessage: x",
            ),
            rule(
                "wildcard",
                "condition:\n  path: $..country\n  exists: true\nmessage: x",
            ),
            rule(
                "plain",
                "condition:\n  path: $.sourceIPAddress\n  exists: true\nmessage: '{sourceIPAddress}'",
            ),
        ];
        let rules =
            crate::rule::load::compile_files(&files).unwrap_or_else(|errors| panic!("{errors:?}"));
        let got: Vec<(&str, bool, bool, Vec<String>)> = rules
            .iter()
            .map(|r| {
                let reads = reads(r);
                (
                    r.id.as_str(),
                    reads.before_match,
                    reads.after_match,
                    reads.members.into_iter().collect(),
                )
            })
            .collect();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                ("condition", true, false, s(&["account_name", "geo"])),
                ("first-seen", false, true, s(&["user_agent_family"])),
                ("message-only", false, true, s(&["account_name"])),
                ("plain", false, false, s(&[])),
                ("whole", true, false, s(&["*"])),
                ("wildcard", false, false, s(&[])),
            ]
        );
        let whole = reads(&rules[4]);
        assert!(whole.reads(GEO) && whole.reads(ACCOUNT_NAME));
    }
}
