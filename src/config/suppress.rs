//! Suppressions as code: `[[suppress]]` tables of `trailgate.toml`, matched against findings.
//!
//! Pure: no I/O and no clock. A suppression applies through its `expires` day (UTC) and stops
//! applying the day after; the caller gives today's day number. Counting is atomic so that the
//! scan's workers can check findings while they run.

use std::sync::atomic::{AtomicUsize, Ordering};

use globset::{Glob, GlobMatcher};

/// A `*`/`?`/`[...]` pattern, or an exact value when it has no wildcard.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

impl Pattern {
    /// Compiles a glob; `*` also matches `/`, so `arn:aws:sts::1:assumed-role/ci/*` matches
    /// every session of the role.
    pub fn new(text: &str) -> Result<Pattern, String> {
        let glob = globset::GlobBuilder::new(text)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|err| format!("`{text}` is not a valid glob: {}", err.kind()))?;
        Ok(Pattern {
            text: text.to_string(),
            matcher: Glob::compile_matcher(&glob),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, value: &str) -> bool {
        self.matcher.is_match(value)
    }
}

/// A UTC calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    /// `YYYY-MM-DD`; `None` for anything else, including impossible dates.
    pub fn parse(text: &str) -> Option<Day> {
        let text = text.trim();
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        crate::time::parse_rfc3339(text).map(|t| Day(t.day_number()))
    }

    pub fn today(now: crate::time::Timestamp) -> Day {
        Day(now.day_number())
    }

    pub fn to_date(self) -> String {
        crate::time::Timestamp::from_day_number(self.0).day()
    }
}

/// One `[[suppress]]` table, compiled.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// A rule id or a glob over rule ids.
    pub rule: Pattern,
    /// Exact account ids; empty matches any.
    pub accounts: Vec<String>,
    /// Exact regions; empty matches any.
    pub regions: Vec<String>,
    /// Globs over the principal's ARN; empty matches any.
    pub principals: Vec<Pattern>,
    /// Exact event names; empty matches any.
    pub event_names: Vec<String>,
    pub reason: String,
    /// The last day the suppression applies (UTC).
    pub expires: Option<Day>,
    /// Where it is written, `trailgate.toml:14`, so reports can point at it.
    pub origin: String,
}

/// What a suppression is matched against: a finding's rule and event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub rule_id: &'a str,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub principal: Option<&'a str>,
    pub event_name: Option<&'a str>,
}

impl Suppression {
    /// True when every condition given holds. A condition on a field the event lacks (a finding
    /// without a principal) does not hold: a suppression never hides more than it says.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        fn exact(values: &[String], value: Option<&str>) -> bool {
            values.is_empty() || value.is_some_and(|v| values.iter().any(|x| x == v))
        }
        self.rule.matches(subject.rule_id)
            && exact(&self.accounts, subject.account)
            && exact(&self.regions, subject.region)
            && exact(&self.event_names, subject.event_name)
            && (self.principals.is_empty()
                || subject
                    .principal
                    .is_some_and(|p| self.principals.iter().any(|g| g.matches(p))))
    }

    pub fn is_expired(&self, today: Day) -> bool {
        self.expires.is_some_and(|last| today > last)
    }
}

// A run's outcomes are values of the result layer, which the reports render.
pub use crate::finding::{SuppressionOutcome as Outcome, SuppressionState as State};

/// The suppressions of a run and their counts.
#[derive(Debug)]
pub struct Suppressor {
    list: Vec<Suppression>,
    expired: Vec<bool>,
    suppressed: Vec<AtomicUsize>,
    expired_matches: Vec<AtomicUsize>,
}

impl Suppressor {
    pub fn new(list: Vec<Suppression>, today: Day) -> Suppressor {
        let expired = list.iter().map(|s| s.is_expired(today)).collect();
        let counters = || list.iter().map(|_| AtomicUsize::new(0)).collect();
        Suppressor {
            suppressed: counters(),
            expired_matches: counters(),
            expired,
            list,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn suppressions(&self) -> &[Suppression] {
        &self.list
    }

    /// The index (in file order, as in `outcomes`) of the first suppression in force that
    /// matches, counted; `None` keeps the finding. Expired suppressions that match are counted
    /// as such and suppress nothing.
    pub fn check(&self, subject: &Subject<'_>) -> Option<usize> {
        for (i, suppression) in self.list.iter().enumerate() {
            if !suppression.matches(subject) {
                continue;
            }
            if self.expired[i] {
                self.expired_matches[i].fetch_add(1, Ordering::Relaxed);
            } else {
                self.suppressed[i].fetch_add(1, Ordering::Relaxed);
                return Some(i);
            }
        }
        None
    }

    /// Every suppression's outcome, in file order.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let suppressed = self.suppressed[i].load(Ordering::Relaxed);
                Outcome {
                    rule: s.rule.as_str().to_string(),
                    reason: s.reason.clone(),
                    expires: s.expires.map(Day::to_date),
                    origin: s.origin.clone(),
                    state: if self.expired[i] {
                        State::Expired
                    } else if suppressed == 0 {
                        State::Unused
                    } else {
                        State::Applied
                    },
                    suppressed,
                    expired_matches: self.expired_matches[i].load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    /// True when some suppression has expired (`--fail-on-expired`).
    pub fn any_expired(&self) -> bool {
        self.expired.iter().any(|e| *e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppression(rule: &str) -> Suppression {
        Suppression {
            rule: Pattern::new(rule).unwrap(),
            accounts: Vec::new(),
            regions: Vec::new(),
            principals: Vec::new(),
            event_names: Vec::new(),
            reason: "known".into(),
            expires: None,
            origin: "trailgate.toml:1".into(),
        }
    }

    const ROLE: &str = "arn:aws:sts::111122223333:assumed-role/ci-deployer/build-42";

    fn subject() -> Subject<'static> {
        Subject {
            rule_id: "aws-iam-role-assumed",
            account: Some("111122223333"),
            region: Some("us-east-1"),
            principal: Some(ROLE),
            event_name: Some("AssumeRole"),
        }
    }

    #[test]
    fn rule_ids_and_globs() {
        assert!(suppression("aws-iam-role-assumed").matches(&subject()));
        assert!(suppression("aws-iam-*").matches(&subject()));
        assert!(suppression("*").matches(&subject()));
        assert!(
            !suppression("aws-iam-role").matches(&subject()),
            "no prefix match"
        );
        assert!(!suppression("aws-s3-*").matches(&subject()));
    }

    #[test]
    fn every_condition_must_hold() {
        let mut s = suppression("aws-iam-*");
        s.accounts = vec!["111122223333".into()];
        s.regions = vec!["eu-west-1".into(), "us-east-1".into()];
        s.event_names = vec!["AssumeRole".into()];
        s.principals =
            vec![Pattern::new("arn:aws:sts::111122223333:assumed-role/ci-deployer/*").unwrap()];
        assert!(s.matches(&subject()));
        s.regions = vec!["eu-west-1".into()];
        assert!(!s.matches(&subject()));
        s.regions.clear();
        s.principals =
            vec![Pattern::new("arn:aws:sts::111122223333:assumed-role/admin/*").unwrap()];
        assert!(!s.matches(&subject()));
    }

    #[test]
    fn a_missing_field_never_matches_a_condition_on_it() {
        let mut s = suppression("*");
        s.principals = vec![Pattern::new("*").unwrap()];
        let mut anonymous = subject();
        anonymous.principal = None;
        assert!(!s.matches(&anonymous));
        s.principals.clear();
        assert!(s.matches(&anonymous));
    }

    #[test]
    fn globs_reject_bad_patterns() {
        assert!(Pattern::new("aws-[iam").is_err());
        assert!(Pattern::new(r"a\*b").unwrap().matches("a*b"));
        assert!(!Pattern::new(r"a\*b").unwrap().matches("axb"));
    }

    #[test]
    fn days() {
        let day = Day::parse("2025-03-31").unwrap();
        assert_eq!(day.to_date(), "2025-03-31");
        assert!(Day::parse("2025-02-30").is_none());
        assert!(Day::parse("2025-03-31T00:00:00Z").is_none());
        assert!(Day::parse("31/03/2025").is_none());
    }

    #[test]
    fn expiry_is_inclusive_of_its_day() {
        let mut s = suppression("*");
        s.expires = Day::parse("2025-03-31");
        assert!(!s.is_expired(Day::parse("2025-03-31").unwrap()));
        assert!(s.is_expired(Day::parse("2025-04-01").unwrap()));
        assert!(!suppression("*").is_expired(Day(i64::MAX)));
    }

    #[test]
    fn counts_applied_unused_and_expired() {
        let mut expired = suppression("aws-iam-*");
        expired.expires = Day::parse("2025-01-01");
        let list = vec![
            expired,
            suppression("aws-iam-role-assumed"),
            suppression("aws-s3-*"),
        ];
        let suppressor = Suppressor::new(list, Day::parse("2025-06-01").unwrap());
        assert_eq!(
            suppressor.check(&subject()),
            Some(1),
            "the expired one is passed over"
        );
        assert_eq!(suppressor.check(&subject()), Some(1));
        let other = Subject {
            rule_id: "aws-root-login",
            ..subject()
        };
        assert!(suppressor.check(&other).is_none());
        let outcomes = suppressor.outcomes();
        let states: Vec<_> = outcomes
            .iter()
            .map(|o| (o.state, o.suppressed, o.expired_matches))
            .collect();
        assert_eq!(
            states,
            vec![
                (State::Expired, 0, 2),
                (State::Applied, 2, 0),
                (State::Unused, 0, 0)
            ]
        );
        assert_eq!(outcomes[0].expires.as_deref(), Some("2025-01-01"));
        assert!(suppressor.any_expired());
    }

    #[test]
    fn the_first_suppression_in_force_takes_the_finding() {
        let list = vec![suppression("aws-iam-*"), suppression("*")];
        let suppressor = Suppressor::new(list, Day(0));
        suppressor.check(&subject());
        let counts: Vec<usize> = suppressor.outcomes().iter().map(|o| o.suppressed).collect();
        assert_eq!(counts, vec![1, 0]);
    }
}
