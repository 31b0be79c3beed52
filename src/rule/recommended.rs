//! The recommended default rule set: what `scan` runs when nothing selects rules (no `--rules`,
//! `--pack`, `--tag`, `--severity` or `--framework`, on the command line or in trailgate.toml).
//! It is every built-in rule but the informational ones. Measured on the generated month-like
//! corpus (docs/ci.md), the informational activity rules (a role assumed, a long-term key used, a
//! discovery call) raise four findings in five: a gate that fails on them cries wolf and is
//! switched off. They stay available with `--severity info`, their pack or a tag.
//!
//! The `first_seen` rules (pack `aws/first-seen`) join the default set only with a state store
//! (`--state`): without one they learn from the run's own earliest events and can report
//! nothing until a run spans more than their history, while every event they select costs an
//! observation. A nightly audit keeps a store; a CI gate over one day's trail does not.
//!
//! Rules that read the place of the source address (`$.trailgate.geo`) join it only with GeoIP
//! databases (`--geoip`): without them they see no place and could raise nothing.

use super::{Rule, RuleFilter, Severity};

/// The least severity of the default set.
pub const MIN_SEVERITY: Severity = Severity::Low;

/// Why the default is what it is, in one line (`rules list`, `config show`).
pub const WHY: &str = "with no --rules, --pack, --tag, --severity or --framework, `scan` runs every built-in rule but the informational ones (activity monitoring: four findings in five on the generated month of trails measured in docs/ci.md), and the first-seen rules only with a state store (--state), the rules that read the GeoIP place only with --geoip; `--severity info` runs them all, a pack or a tag runs its own";

/// Whether a rule is in the default set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// In it.
    Yes,
    /// In it when the scan keeps a state store (`--state`): a `first_seen` rule.
    WithState,
    /// In it when the scan has GeoIP databases (`--geoip`): a rule that reads the place.
    WithGeoip,
    /// Both: a `first_seen` rule over the place of the source address.
    WithStateAndGeoip,
    /// Not in it.
    No,
}

impl Membership {
    /// As the catalog and `rules list --format json` say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Membership::Yes => "yes",
            Membership::WithState => "with --state",
            Membership::WithGeoip => "with --geoip",
            Membership::WithStateAndGeoip => "with --state and --geoip",
            Membership::No => "no",
        }
    }
}

/// The filter `scan` applies when nothing selects rules; `with_state` when it keeps a store,
/// `with_geoip` when it has GeoIP databases.
pub fn filter(with_state: bool, with_geoip: bool) -> RuleFilter {
    RuleFilter {
        min_severity: Some(MIN_SEVERITY),
        without_first_seen: !with_state,
        without_geoip: !with_geoip,
        ..RuleFilter::default()
    }
}

/// Whether `rule` is in the default set: a built-in rule that is not informational (a
/// `first_seen` one only with a store). Rules of `--rules` files never are: giving rule files is
/// a selection.
pub fn membership(rule: &Rule) -> Membership {
    if !rule.file.starts_with("builtin:") || !filter(true, true).keeps(rule) {
        Membership::No
    } else if filter(false, false).keeps(rule) {
        Membership::Yes
    } else if filter(true, false).keeps(rule) {
        Membership::WithState
    } else if filter(false, true).keeps(rule) {
        Membership::WithGeoip
    } else {
        Membership::WithStateAndGeoip
    }
}

/// Whether `rule` is in the default set of a scan without a store.
pub fn includes(rule: &Rule) -> bool {
    membership(rule) == Membership::Yes
}

/// Whether a correlation is in the default set, by the same measure. (The rules a correlation
/// of the set counts run with it, silently, whatever their severity.)
pub fn includes_correlation(correlation: &super::correlation::Correlation) -> bool {
    correlation.file.starts_with("builtin:") && filter(false, false).keeps_correlation(correlation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_but_the_informational_ones() {
        let rules = crate::rule::load_builtin().expect("the built-in rules compile");
        let (kept, left): (Vec<&Rule>, Vec<&Rule>) = rules.iter().partition(|r| includes(r));
        assert!(!kept.is_empty() && !left.is_empty());
        assert!(kept.iter().all(|r| r.severity >= Severity::Low));
        assert!(left
            .iter()
            .all(|r| r.severity == Severity::Info || r.first_seen.is_some()));
        let first_seen: Vec<&Rule> = rules.iter().filter(|r| r.first_seen.is_some()).collect();
        assert!(!first_seen.is_empty(), "the aws/first-seen pack");
        let mut geo = 0;
        for rule in first_seen {
            let reads_geo = crate::rule::annotation::reads(rule).reads("geo");
            geo += usize::from(reads_geo);
            let expected = match (rule.severity >= Severity::Low, reads_geo) {
                (false, _) => Membership::No,
                (true, false) => Membership::WithState,
                (true, true) => Membership::WithStateAndGeoip,
            };
            assert_eq!(membership(rule), expected, "{}", rule.id);
            assert_eq!(
                filter(true, true).keeps(rule),
                expected != Membership::No,
                "{}",
                rule.id
            );
            assert_eq!(
                filter(true, false).keeps(rule),
                expected == Membership::WithState,
                "{}",
                rule.id
            );
            assert!(!filter(false, true).keeps(rule));
            assert!(!filter(false, false).keeps(rule));
        }
        assert!(geo >= 2, "the new country and new ASN rules read the place");
        let mut user = kept[0].clone();
        user.file = "team-rules/x.yaml".into();
        assert!(!includes(&user), "user rules are a selection of their own");
    }

    #[test]
    fn builtin_correlations_of_low_severity_or_more_are_in_it() {
        let loaded =
            crate::rule::collection::compile_collection(&crate::rule::load::builtin_files())
                .expect("the built-in rules compile");
        assert!(!loaded.correlations.is_empty());
        for c in &loaded.correlations {
            assert_eq!(
                includes_correlation(c),
                c.severity >= Severity::Low,
                "{}",
                c.id
            );
        }
    }
}
