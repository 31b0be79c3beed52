//! Why a rule did or did not raise a finding for one event: the selector check, the condition
//! trace, each exception's trace, and the verdict. Used by `trailgate explain` and by failing
//! rule tests.

use serde_json::Value;

use crate::rule::Rule;

use super::eval::{render, select_one};
use super::trace::{trace, Trace};

/// The full story of one rule and one event.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub rule_id: String,
    /// Why the rule does not look at this event, if it does not.
    pub not_applicable: Option<String>,
    /// The condition's trace (also computed when the rule does not apply, to help debugging).
    pub condition: Trace,
    /// Each exception's reason and trace; evaluated only when the condition holds.
    pub exceptions: Vec<(String, Trace)>,
    pub verdict: Verdict,
    /// For a `first_seen` rule whose condition holds: the first of its fields the event has no
    /// value at. Such an event is not counted (no combination), so it raises nothing.
    pub first_seen_missing: Option<String>,
    /// The message a finding would have.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The rule raises a finding.
    Finding,
    /// The condition holds but the exception with this reason suppresses the finding.
    Suppressed(String),
    /// The rule applies to the event but its condition does not hold.
    NoMatch,
    /// The rule's events selector does not select this event.
    NotApplicable,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Finding => "finding",
            Verdict::Suppressed(_) => "suppressed",
            Verdict::NoMatch => "no match",
            Verdict::NotApplicable => "not applicable",
        }
    }
}

/// Explains what `rule` makes of `event`. Agrees with the engine's verdict by construction: the
/// same selector checks, the same condition semantics.
pub fn explain(rule: &Rule, event: &Value) -> Explanation {
    let not_applicable = selector_mismatch(rule, event);
    let condition = trace(&rule.condition, event);
    let mut exceptions = Vec::new();
    let mut verdict = if not_applicable.is_some() {
        Verdict::NotApplicable
    } else if condition.holds {
        Verdict::Finding
    } else {
        Verdict::NoMatch
    };
    if condition.holds {
        for exception in &rule.exceptions {
            let exception_trace = trace(&exception.condition, event);
            if exception_trace.holds && verdict == Verdict::Finding {
                verdict = Verdict::Suppressed(exception.reason.clone());
            }
            exceptions.push((exception.reason.clone(), exception_trace));
        }
    }
    let first_seen_missing = match (&rule.first_seen, &verdict) {
        (Some(first_seen), Verdict::Finding) => first_seen
            .fields
            .iter()
            .find(|path| select_one(event, path).is_none_or(Value::is_null))
            .map(|path| path.text.clone()),
        _ => None,
    };
    if first_seen_missing.is_some() {
        verdict = Verdict::NoMatch;
    }
    Explanation {
        rule_id: rule.id.clone(),
        not_applicable,
        condition,
        exceptions,
        verdict,
        first_seen_missing,
        message: render(&rule.message, event),
    }
}

fn selector_mismatch(rule: &Rule, event: &Value) -> Option<String> {
    let selector = &rule.selector;
    let field = |name: &str| event.get(name).and_then(Value::as_str);
    let check = |wanted: &[String], name: &str| -> Option<String> {
        if wanted.is_empty()
            || field(name).is_some_and(|v| wanted.iter().any(|w| w.eq_ignore_ascii_case(v)))
        {
            None
        } else {
            Some(format!(
                "{name} is {} but the rule selects {}",
                field(name).map_or("missing".to_string(), |v| format!("`{v}`")),
                wanted
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
        }
    };
    let failed = super::call_failed(event);
    check(&selector.sources, "eventSource")
        .or_else(|| check(&selector.names, "eventName"))
        .or_else(|| {
            if super::outcome_selected(selector.outcome, failed) {
                None
            } else if failed {
                Some(format!(
                    "the call failed (errorCode `{}`) and the rule looks only at successful calls (outcome: success)",
                    field("errorCode").unwrap_or("?")
                ))
            } else {
                Some("the call succeeded and the rule looks only at failed calls (outcome: failure)".to_string())
            }
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_first_seen_event_without_a_field_value_is_no_observation() {
        let file = crate::rule::load::RuleFile {
            name: "new-family.yaml".into(),
            pack: "test".into(),
            text: "id: new-family\ntitle: T\nseverity: low\ndescription: D\nremediation: R\ncondition:\n  path: $.userIdentity.type\n  equals: IAMUser\nfirst_seen:\n  fields: [$.userIdentity.arn, $.trailgate.user_agent_family]\n  history: 30d\n".into(),
        };
        let rules = crate::rule::load::compile_files(&[file]).unwrap();
        let mut event = json!({"userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a"},
            "userAgent": "AWS Internal"});
        crate::enrich::annotate_test_event(&mut event);
        let explanation = explain(&rules[0], &event);
        assert_eq!(explanation.verdict, Verdict::NoMatch);
        assert_eq!(
            explanation.first_seen_missing.as_deref(),
            Some("$.trailgate.user_agent_family")
        );
        event["userAgent"] = json!("aws-cli/2.15.30");
        crate::enrich::annotate_test_event(&mut event);
        let explanation = explain(&rules[0], &event);
        assert_eq!(explanation.verdict, Verdict::Finding);
        assert_eq!(explanation.first_seen_missing, None);
    }
}
