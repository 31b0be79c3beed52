//! Findings grouped for people (`--group-by event|rule|principal`): the text, HTML and Markdown
//! reports show one event once with every rule it raised, instead of repeating the event per
//! rule. Machine formats stay one finding per rule and never use this.
//!
//! Groups and the findings in them are in a fixed order, so reports stay byte-identical across
//! runs: events in report order (the first finding's file and record), rules and principals most
//! serious first; inside a group, the most serious finding first.

use std::collections::HashMap;

use crate::finding::Finding;
use crate::rule::Severity;

/// How the people's formats group findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// One item per event, with every rule it raised (the default).
    #[default]
    Event,
    /// One item per rule, with every event it matched.
    Rule,
    /// One item per principal, with everything it raised.
    Principal,
}

impl GroupBy {
    pub const ALL: [GroupBy; 3] = [GroupBy::Event, GroupBy::Rule, GroupBy::Principal];

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::Event => "event",
            GroupBy::Rule => "rule",
            GroupBy::Principal => "principal",
        }
    }

    pub fn from_name(name: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// Findings that belong together.
#[derive(Debug)]
pub struct FindingGroup<'a> {
    /// The most serious severity in the group.
    pub severity: Severity,
    /// Most serious first; ties keep report order.
    pub findings: Vec<&'a Finding>,
}

impl<'a> FindingGroup<'a> {
    /// A group of the given findings (not empty), most serious first; equal severities keep
    /// their order.
    pub fn of(mut findings: Vec<&'a Finding>) -> FindingGroup<'a> {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        FindingGroup {
            severity: findings[0].severity,
            findings,
        }
    }

    /// The finding that stands for the group (the most serious).
    pub fn first(&self) -> &'a Finding {
        self.findings[0]
    }

    /// Distinct rule ids, in the group's order.
    pub fn rule_ids(&self) -> Vec<&'a str> {
        let mut ids: Vec<&'a str> = Vec::new();
        for f in &self.findings {
            if !ids.contains(&f.rule_id.as_str()) {
                ids.push(&f.rule_id);
            }
        }
        ids
    }

    /// Distinct (file, record) places, in report order: an event delivered by two trails (an
    /// organization trail and an account trail) is one event in two places.
    pub fn places(&self) -> Vec<(&'a str, usize, Option<usize>)> {
        let mut places: Vec<(&'a str, usize, Option<usize>)> = self
            .findings
            .iter()
            .filter_map(|f| f.event_location())
            .map(|e| (&*e.file, e.record, e.line))
            .collect();
        places.sort();
        places.dedup();
        places
    }
}

/// The identity of an event: its `eventID`, else its place (file and record). `None` for a
/// window of events (a correlation), which is a group of its own.
fn event_key(f: &Finding) -> Option<(Option<&str>, &str, usize)> {
    let e = f.event_location()?;
    Some(match &e.event_id {
        Some(id) => (Some(id.as_str()), "", 0),
        None => (None, &e.file, e.record),
    })
}

fn principal(f: &Finding) -> Option<&str> {
    f.event_location()?.principal.as_deref()
}

/// Groups `findings` (in report order).
pub fn group(findings: &[Finding], by: GroupBy) -> Vec<FindingGroup<'_>> {
    let mut groups: Vec<FindingGroup<'_>> = Vec::new();
    match by {
        GroupBy::Event => {
            let mut index: HashMap<(Option<&str>, &str, usize), usize> = HashMap::new();
            for f in findings {
                let Some(key) = event_key(f) else {
                    groups.push(FindingGroup {
                        severity: f.severity,
                        findings: vec![f],
                    });
                    continue;
                };
                let at = *index.entry(key).or_insert_with(|| {
                    groups.push(FindingGroup {
                        severity: f.severity,
                        findings: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[at].findings.push(f);
            }
        }
        GroupBy::Rule | GroupBy::Principal => {
            let mut index: HashMap<Option<&str>, usize> = HashMap::new();
            for f in findings {
                let key = match by {
                    GroupBy::Rule => Some(f.rule_id.as_str()),
                    _ => principal(f),
                };
                let at = *index.entry(key).or_insert_with(|| {
                    groups.push(FindingGroup {
                        severity: f.severity,
                        findings: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[at].findings.push(f);
            }
        }
    }
    let mut groups: Vec<FindingGroup<'_>> = groups
        .into_iter()
        .map(|g| FindingGroup::of(g.findings))
        .collect();
    if by != GroupBy::Event {
        // Most serious first, then most findings, then by name (rule id or principal; no
        // principal last).
        groups.sort_by(|a, b| {
            let name = |g: &FindingGroup<'_>| match by {
                GroupBy::Rule => Some(g.first().rule_id.clone()),
                _ => principal(g.first()).map(str::to_string),
            };
            b.severity
                .cmp(&a.severity)
                .then_with(|| b.findings.len().cmp(&a.findings.len()))
                .then_with(|| name(a).is_none().cmp(&name(b).is_none()))
                .then_with(|| name(a).cmp(&name(b)))
        });
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{EventLocation, Location};
    use std::sync::Arc;

    fn finding(
        rule: &str,
        severity: Severity,
        file: &str,
        record: usize,
        id: Option<&str>,
        who: Option<&str>,
    ) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity,
            title: String::new(),
            message: String::new(),
            location: Location::Event(EventLocation {
                file: Arc::from(file),
                record,
                event_id: id.map(str::to_string),
                principal: who.map(str::to_string),
                ..EventLocation::default()
            }),
            evidence: Vec::new(),
            baseline: None,
            event: None,
        }
    }

    #[test]
    fn one_event_with_three_rules_is_one_group_most_serious_first() {
        let findings = vec![
            finding(
                "aws-long-term-access-key-used",
                Severity::Low,
                "a",
                0,
                Some("e1"),
                Some("root"),
            ),
            finding(
                "aws-root-activity",
                Severity::High,
                "a",
                0,
                Some("e1"),
                Some("root"),
            ),
            finding(
                "cis-root-account-usage",
                Severity::High,
                "a",
                0,
                Some("e1"),
                Some("root"),
            ),
            finding("x", Severity::Medium, "a", 1, None, None),
            // The same event delivered by a second trail.
            finding(
                "aws-root-activity",
                Severity::High,
                "b",
                4,
                Some("e1"),
                Some("root"),
            ),
        ];
        let groups = group(&findings, GroupBy::Event);
        assert_eq!(groups.len(), 2);
        let ids: Vec<&str> = groups[0]
            .findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect();
        assert_eq!(
            ids,
            vec![
                "aws-root-activity",
                "cis-root-account-usage",
                "aws-root-activity",
                "aws-long-term-access-key-used"
            ]
        );
        assert_eq!(groups[0].severity, Severity::High);
        assert_eq!(groups[0].rule_ids().len(), 3);
        assert_eq!(groups[0].places(), vec![("a", 0, None), ("b", 4, None)]);
        assert_eq!(groups[1].findings.len(), 1);
    }

    #[test]
    fn by_rule_and_principal_most_serious_first() {
        let findings = vec![
            finding("low-rule", Severity::Low, "a", 0, Some("e1"), Some("alice")),
            finding("high-rule", Severity::High, "a", 1, Some("e2"), None),
            finding("low-rule", Severity::Low, "a", 2, Some("e3"), Some("bob")),
        ];
        let by_rule = group(&findings, GroupBy::Rule);
        assert_eq!(by_rule[0].first().rule_id, "high-rule");
        assert_eq!(by_rule[1].findings.len(), 2);
        let by_principal = group(&findings, GroupBy::Principal);
        let names: Vec<Option<&str>> = by_principal.iter().map(|g| principal(g.first())).collect();
        assert_eq!(names, vec![None, Some("alice"), Some("bob")]);
        assert_eq!(GroupBy::from_name("principal"), Some(GroupBy::Principal));
    }
}
