//! The numbers of an audit summary, shared by the HTML and Markdown reports so both say the same
//! thing: findings by severity, by rule, by compliance control (with the events each control
//! checked and a status), by account, region and principal, and per day. Only counts: findings
//! keep the engine's order, and groups are listed in a fixed order (most findings first, then by
//! name), so reports stay byte-identical across runs.

use std::collections::BTreeMap;

use crate::finding::{Finding, ScanResult};
use crate::rule::{Rule, Severity};
use crate::time::{parse_rfc3339, Timestamp};

use super::{counts_by_severity, Context};

/// A rule, with what it checked and found.
pub struct RuleRow<'a> {
    pub rule: &'a Rule,
    /// Events the rule was evaluated on.
    pub events: usize,
    pub findings: usize,
    /// Matches suppressed by the rule's exceptions.
    pub suppressed: usize,
}

/// Whether a control passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Events were checked and none raised a finding.
    Pass,
    /// At least one finding.
    Fail,
    /// No event in the scan was one its rules look at: nothing is known.
    NotChecked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotChecked => "not checked",
        }
    }
}

/// One control of one framework.
pub struct ControlRow<'a> {
    pub control: &'a str,
    /// Ids of the loaded rules mapped to this control.
    pub rules: Vec<&'a str>,
    /// Events at least one of those rules was evaluated on.
    pub events: usize,
    pub findings: usize,
    pub status: Status,
}

pub struct Framework<'a> {
    pub name: &'a str,
    pub controls: Vec<ControlRow<'a>>,
}

/// Findings of one account, region or principal. `name` is `None` for findings whose event
/// does not say.
pub struct Group<'a> {
    pub name: Option<&'a str>,
    pub findings: usize,
    /// Counts per severity, most serious first (the order of `Audit::by_severity`).
    pub by_severity: [usize; 5],
}

/// Findings of one UTC day.
pub struct Day {
    pub day: Timestamp,
    pub findings: usize,
    pub by_severity: [usize; 5],
}

pub struct Audit<'a> {
    pub by_severity: Vec<(Severity, usize)>,
    /// Every loaded rule: most findings first, then most serious, then by id.
    pub rules: Vec<RuleRow<'a>>,
    /// Frameworks by name; controls in natural order (`1.2` before `1.10`).
    pub frameworks: Vec<Framework<'a>>,
    pub accounts: Vec<Group<'a>>,
    pub regions: Vec<Group<'a>>,
    pub principals: Vec<Group<'a>>,
    /// Every day from the first to the last day of the scanned events and findings (days without
    /// findings included), unless that is more than `MAX_DAYS`: then only days with findings.
    pub days: Vec<Day>,
    /// Findings whose `eventTime` is missing or not a time.
    pub undated_findings: usize,
    /// Account id -> name, for the accounts the findings name (`--accounts`); empty without it.
    pub account_names: std::collections::BTreeMap<&'a str, &'a str>,
}

/// Account id -> name: the names findings carry, and (with `--accounts`) the names of every
/// scanned account and of the accounts of resolved baseline findings.
fn account_names<'a>(
    result: &'a ScanResult,
    cx: &Context<'a>,
) -> std::collections::BTreeMap<&'a str, &'a str> {
    let mut names: std::collections::BTreeMap<&'a str, &'a str> = result
        .findings
        .iter()
        .filter_map(|f| Some((f.event_location()?.account.as_deref()?, f.account_name()?)))
        .collect();
    if let Some(accounts) = cx.accounts {
        let ids = result.stats.accounts.iter().map(String::as_str).chain(
            result
                .baseline
                .iter()
                .flat_map(|b| b.gone.iter().filter_map(|g| g.account.as_deref())),
        );
        for id in ids {
            if let Some(name) = accounts.name(id) {
                names.entry(id).or_insert(name);
            }
        }
    }
    names
}

impl Audit<'_> {
    /// `prod-payments (111122223333)` when the account has a name, else the id.
    pub fn account_label(&self, id: &str) -> String {
        match self.account_names.get(id) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_string(),
        }
    }
}

/// Longest span of days listed one by one, zeros included.
pub const MAX_DAYS: i64 = 400;

/// Position of a severity in the most-serious-first arrays.
pub fn rank(severity: Severity) -> usize {
    4 - severity as usize
}

impl<'a> Audit<'a> {
    pub fn new(result: &'a ScanResult, cx: &Context<'a>) -> Audit<'a> {
        let stats = &result.stats;
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &result.findings {
            *per_rule.entry(f.rule_id.as_str()).or_default() += 1;
        }
        let mut rules: Vec<RuleRow<'a>> = cx
            .rules
            .rules()
            .iter()
            .map(|rule| RuleRow {
                rule,
                events: stats.rule_events.get(&rule.id).copied().unwrap_or(0),
                findings: per_rule.get(rule.id.as_str()).copied().unwrap_or(0),
                suppressed: stats.suppressed.get(&rule.id).copied().unwrap_or(0),
            })
            .collect();
        rules.sort_by(|a, b| {
            (b.findings, b.rule.severity)
                .cmp(&(a.findings, a.rule.severity))
                .then_with(|| a.rule.id.cmp(&b.rule.id))
        });

        // framework -> control -> rule ids
        let mut mapped: BTreeMap<&'a str, BTreeMap<&'a str, Vec<&'a str>>> = BTreeMap::new();
        for rule in cx.rules.rules() {
            for (framework, ids) in &rule.compliance {
                for id in ids {
                    let list = mapped
                        .entry(framework.as_str())
                        .or_default()
                        .entry(id.as_str())
                        .or_default();
                    if !list.contains(&rule.id.as_str()) {
                        list.push(rule.id.as_str());
                    }
                }
            }
        }
        let frameworks = mapped
            .into_iter()
            .map(|(name, controls)| {
                let mut controls: Vec<ControlRow<'a>> = controls
                    .into_iter()
                    .map(|(control, rule_ids)| {
                        let findings = rule_ids
                            .iter()
                            .map(|id| per_rule.get(id).copied().unwrap_or(0))
                            .sum();
                        let events = stats
                            .control_events
                            .get(name)
                            .and_then(|c| c.get(control))
                            .copied()
                            .unwrap_or(0);
                        let status = if findings > 0 {
                            Status::Fail
                        } else if events > 0 {
                            Status::Pass
                        } else {
                            Status::NotChecked
                        };
                        ControlRow {
                            control,
                            rules: rule_ids,
                            events,
                            findings,
                            status,
                        }
                    })
                    .collect();
                controls.sort_by_key(|a| natural_key(a.control));
                Framework { name, controls }
            })
            .collect();

        let mut days: BTreeMap<i64, Day> = BTreeMap::new();
        let mut undated_findings = 0;
        for f in &result.findings {
            match f.time().and_then(parse_rfc3339) {
                Some(time) => {
                    let day = days.entry(time.day_number()).or_insert_with(|| Day {
                        day: Timestamp::from_day_number(time.day_number()),
                        findings: 0,
                        by_severity: [0; 5],
                    });
                    day.findings += 1;
                    day.by_severity[rank(f.severity)] += 1;
                }
                None => undated_findings += 1,
            }
        }
        let first = [
            stats.first_event.map(Timestamp::day_number),
            days.keys().next().copied(),
        ]
        .into_iter()
        .flatten()
        .min();
        let last = [
            stats.last_event.map(Timestamp::day_number),
            days.keys().next_back().copied(),
        ]
        .into_iter()
        .flatten()
        .max();
        if let (Some(first), Some(last)) = (first, last) {
            if last - first < MAX_DAYS {
                for n in first..=last {
                    days.entry(n).or_insert_with(|| Day {
                        day: Timestamp::from_day_number(n),
                        findings: 0,
                        by_severity: [0; 5],
                    });
                }
            }
        }

        Audit {
            by_severity: counts_by_severity(result),
            rules,
            frameworks,
            accounts: groups(&result.findings, |f| {
                f.event_location().and_then(|e| e.account.as_deref())
            }),
            regions: groups(&result.findings, |f| {
                f.event_location().and_then(|e| e.region.as_deref())
            }),
            principals: groups(&result.findings, |f| {
                f.event_location().and_then(|e| e.principal.as_deref())
            }),
            days: days.into_values().collect(),
            undated_findings,
            account_names: account_names(result, cx),
        }
    }

    /// (passed, failed, not checked) controls over every framework.
    pub fn control_totals(&self) -> (usize, usize, usize) {
        let mut totals = (0, 0, 0);
        for control in self.frameworks.iter().flat_map(|f| &f.controls) {
            match control.status {
                Status::Pass => totals.0 += 1,
                Status::Fail => totals.1 += 1,
                Status::NotChecked => totals.2 += 1,
            }
        }
        totals
    }
}

fn groups<'a>(
    findings: &'a [Finding],
    key: impl Fn(&'a Finding) -> Option<&'a str>,
) -> Vec<Group<'a>> {
    let mut map: BTreeMap<Option<&'a str>, Group<'a>> = BTreeMap::new();
    for f in findings {
        let name = key(f);
        let group = map.entry(name).or_insert_with(|| Group {
            name,
            findings: 0,
            by_severity: [0; 5],
        });
        group.findings += 1;
        group.by_severity[rank(f.severity)] += 1;
    }
    let mut list: Vec<Group<'a>> = map.into_values().collect();
    // Most findings first; the BTreeMap order (unknown first, then by name) breaks ties.
    list.sort_by_key(|g| std::cmp::Reverse(g.findings));
    list
}

/// Orders `1.2` before `1.10` and `AC-6` before `AC-6(9)` before `AC-10`: runs of digits compare
/// as numbers (and before text), everything else as text.
pub(crate) fn natural_key(id: &str) -> Vec<(u8, u64, String)> {
    let mut key = Vec::new();
    let mut rest = id;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            key.push((0, rest[..digits].parse().unwrap_or(u64::MAX), String::new()));
            rest = &rest[digits..];
        } else {
            let text = rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
            key.push((1, 0, rest[..text].to_string()));
            rest = &rest[text..];
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_sort_naturally() {
        let mut ids = vec!["1.10", "AC-10", "1.2", "AC-6(9)", "AC-6", "1.7", "AC-6(10)"];
        ids.sort_by_key(|id| natural_key(id));
        assert_eq!(
            ids,
            vec!["1.2", "1.7", "1.10", "AC-6", "AC-6(9)", "AC-6(10)", "AC-10"]
        );
    }

    #[test]
    fn ranks_put_critical_first() {
        assert_eq!(rank(Severity::Critical), 0);
        assert_eq!(rank(Severity::Info), 4);
    }
}
