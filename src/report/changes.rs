//! The change since the last audit (`--baseline` on an earlier report), for the HTML and Markdown
//! reports: per compliance control and per account, how many findings are new, still open
//! (already in the earlier report) and resolved (in the earlier report, not found now).
//!
//! A finding counts once for each control its rule maps to. A resolved finding is placed by the
//! rule and account the earlier report gave it; a rule that is no longer loaded has no controls
//! here, so its resolved findings count only per account.

use std::collections::BTreeMap;

use crate::engine::RuleSet;
use crate::finding::{BaselineState, Finding};

/// A finding of the earlier report that this scan did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub rule_id: &'a str,
    /// `None` when the earlier report did not say (its event had no account).
    pub account: Option<&'a str>,
}

/// Counts for one control or account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub new: usize,
    pub still_open: usize,
    pub resolved: usize,
}

/// The change per control and per account; only rows with something in them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes<'a> {
    /// (framework, control) in framework order, controls in natural order (`1.2` before `1.10`).
    pub controls: Vec<(&'a str, &'a str, Change)>,
    /// Most new findings first, then most still open, then by account (`None` last).
    pub accounts: Vec<(Option<&'a str>, Change)>,
    pub total: Change,
}

impl<'a> Changes<'a> {
    pub fn new(
        findings: &'a [Finding],
        resolved: &[Resolved<'a>],
        rules: &'a RuleSet,
    ) -> Changes<'a> {
        let mut controls: BTreeMap<(&'a str, &'a str), Change> = BTreeMap::new();
        let mut accounts: BTreeMap<Option<&'a str>, Change> = BTreeMap::new();
        let mut total = Change::default();
        let mut add = |rule_id: &str, account: Option<&'a str>, bump: fn(&mut Change)| {
            bump(&mut total);
            bump(accounts.entry(account).or_default());
            if let Some(rule) = rules.get(rule_id) {
                for (framework, ids) in &rule.compliance {
                    for id in ids {
                        bump(
                            controls
                                .entry((framework.as_str(), id.as_str()))
                                .or_default(),
                        );
                    }
                }
            }
        };
        for f in findings {
            let account = f.event_location().and_then(|e| e.account.as_deref());
            match f.baseline {
                Some(BaselineState::New) => add(&f.rule_id, account, |c| c.new += 1),
                Some(BaselineState::Unchanged) => add(&f.rule_id, account, |c| c.still_open += 1),
                // Not compared with a baseline: nothing to say about change.
                None => {}
            }
        }
        for r in resolved {
            add(r.rule_id, r.account, |c| c.resolved += 1);
        }
        let mut controls: Vec<(&'a str, &'a str, Change)> =
            controls.into_iter().map(|((f, c), n)| (f, c, n)).collect();
        controls.sort_by(|a, b| {
            a.0.cmp(b.0)
                .then_with(|| super::audit::natural_key(a.1).cmp(&super::audit::natural_key(b.1)))
        });
        let mut accounts: Vec<(Option<&'a str>, Change)> = accounts.into_iter().collect();
        accounts.sort_by(|a, b| {
            b.1.new
                .cmp(&a.1.new)
                .then_with(|| b.1.still_open.cmp(&a.1.still_open))
                .then_with(|| a.0.is_none().cmp(&b.0.is_none()))
                .then_with(|| a.0.cmp(&b.0))
        });
        Changes {
            controls,
            accounts,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{EventLocation, Location};
    use crate::rule::load::{compile_files, RuleFile};
    use crate::rule::Severity;
    use std::sync::Arc;

    fn rules() -> RuleSet {
        let file = |id: &str, compliance: &str| {
            RuleFile {
            name: format!("{id}.yaml"),
            pack: "test".into(),
            text: format!(
                "id: {id}\ntitle: T\nseverity: high\ndescription: D\nremediation: R\ncompliance:\n{compliance}\nevents:\n  eventName: [X]\nmessage: m\n"
            ),
        }
        };
        RuleSet::new(
            compile_files(&[
                file("root", "  cis: ['1.7', '1.10']"),
                file("key", "  cis: ['1.10']\n  nist: [AC-2]"),
            ])
            .unwrap_or_else(|e| panic!("{e:?}")),
        )
    }

    fn finding(rule: &str, account: &str, state: BaselineState) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: Severity::High,
            title: String::new(),
            message: String::new(),
            location: Location::Event(EventLocation {
                file: Arc::from("f"),
                account: Some(account.into()),
                ..EventLocation::default()
            }),
            evidence: Vec::new(),
            baseline: Some(state),
            event: None,
        }
    }

    #[test]
    fn counts_new_open_and_resolved_per_control_and_account() {
        let rules = rules();
        let findings = vec![
            finding("root", "111111111111", BaselineState::New),
            finding("key", "111111111111", BaselineState::Unchanged),
            finding("key", "222222222222", BaselineState::New),
        ];
        let resolved = [
            Resolved {
                rule_id: "root",
                account: Some("222222222222"),
            },
            Resolved {
                rule_id: "retired-rule",
                account: None,
            },
        ];
        let changes = Changes::new(&findings, &resolved, &rules);
        let c = |new, still_open, resolved| Change {
            new,
            still_open,
            resolved,
        };
        assert_eq!(changes.total, c(2, 1, 2));
        assert_eq!(
            changes.controls,
            vec![
                ("cis", "1.7", c(1, 0, 1)),
                ("cis", "1.10", c(2, 1, 1)),
                ("nist", "AC-2", c(1, 1, 0)),
            ]
        );
        assert_eq!(
            changes.accounts,
            vec![
                (Some("111111111111"), c(1, 1, 0)),
                (Some("222222222222"), c(1, 0, 1)),
                (None, c(0, 0, 1)),
            ]
        );
    }
}
