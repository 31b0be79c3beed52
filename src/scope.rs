//! Scope filters for periodic runs (`--since`, `--until`, `--account`, `--region`): one
//! predicate applied to each event before any rule sees it. Events outside the scope are counted,
//! not evaluated, and are not errors.

use serde_json::Value;

use crate::time::{parse_rfc3339, Timestamp};

/// Which events a scan evaluates. The default (all fields empty) takes every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Events at or after this instant (inclusive).
    pub since: Option<Timestamp>,
    /// Events before this instant (exclusive), so `--since 2024-05-01 --until 2024-06-01` is May.
    pub until: Option<Timestamp>,
    /// Account ids (`recipientAccountId`, else `userIdentity.accountId`); empty: any.
    pub accounts: Vec<String>,
    /// Regions (`awsRegion`); empty: any.
    pub regions: Vec<String>,
}

/// Where an event falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InScope {
    Yes,
    /// Outside the window, or another account or region.
    No,
    /// A time window was given and the event has no `eventTime` that parses: it cannot be placed
    /// in the window, so it is left out (and counted apart).
    Undated,
}

impl Scope {
    /// True when every event is in scope.
    pub fn is_everything(&self) -> bool {
        self.since.is_none()
            && self.until.is_none()
            && self.accounts.is_empty()
            && self.regions.is_empty()
    }

    pub fn has_window(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Decides one event. `time` is the event's parsed `eventTime`, which the caller computes
    /// once per event (it also feeds the scanned time range).
    pub fn check(&self, event: &Value, time: Option<Timestamp>) -> InScope {
        if self.has_window() {
            let Some(time) = time else {
                return InScope::Undated;
            };
            if self.since.is_some_and(|since| time < since)
                || self.until.is_some_and(|until| time >= until)
            {
                return InScope::No;
            }
        }
        if !self.accounts.is_empty() {
            match account(event) {
                Some(id) if self.accounts.iter().any(|a| a == id) => {}
                _ => return InScope::No,
            }
        }
        if !self.regions.is_empty() {
            match region(event) {
                Some(r) if self.regions.iter().any(|x| x == r) => {}
                _ => return InScope::No,
            }
        }
        InScope::Yes
    }

    /// One line for reports, e.g. `2024-05-01T00:00:00Z to 2024-06-01T00:00:00Z (exclusive);
    /// accounts 111122223333; all regions`.
    pub fn describe(&self) -> String {
        let window = match (self.since, self.until) {
            (None, None) => "all times".to_string(),
            (Some(s), None) => format!("from {}", s.to_rfc3339()),
            (None, Some(u)) => format!("before {}", u.to_rfc3339()),
            (Some(s), Some(u)) => {
                format!("from {} to {} (exclusive)", s.to_rfc3339(), u.to_rfc3339())
            }
        };
        let list = |items: &[String], one: &str, many: &str, all: &str| match items {
            [] => all.to_string(),
            [x] => format!("{one} {x}"),
            xs => format!("{many} {}", xs.join(", ")),
        };
        format!(
            "{}; {}; {}",
            window,
            list(&self.accounts, "account", "accounts", "all accounts"),
            list(&self.regions, "region", "regions", "all regions")
        )
    }
}

/// `eventTime`, parsed; `None` when missing, not a string, or not a time.
pub fn event_time(event: &Value) -> Option<Timestamp> {
    event
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
}

/// The account an event belongs to, as findings report it.
pub fn account(event: &Value) -> Option<&str> {
    event
        .get("recipientAccountId")
        .and_then(Value::as_str)
        .or_else(|| {
            event
                .get("userIdentity")
                .and_then(|u| u.get("accountId"))
                .and_then(Value::as_str)
        })
}

pub fn region(event: &Value) -> Option<&str> {
    event.get("awsRegion").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(text: &str) -> Option<Timestamp> {
        parse_rfc3339(text)
    }

    #[test]
    fn empty_scope_takes_everything() {
        let scope = Scope::default();
        assert!(scope.is_everything());
        assert_eq!(scope.check(&json!({}), None), InScope::Yes);
        assert_eq!(scope.describe(), "all times; all accounts; all regions");
    }

    #[test]
    fn window_is_inclusive_then_exclusive() {
        let scope = Scope {
            since: at("2024-05-01"),
            until: at("2024-06-01"),
            ..Scope::default()
        };
        let e = json!({});
        assert_eq!(scope.check(&e, at("2024-05-01T00:00:00Z")), InScope::Yes);
        assert_eq!(scope.check(&e, at("2024-05-31T23:59:59.9Z")), InScope::Yes);
        assert_eq!(scope.check(&e, at("2024-06-01T00:00:00Z")), InScope::No);
        assert_eq!(scope.check(&e, at("2024-04-30T23:59:59Z")), InScope::No);
        assert_eq!(scope.check(&e, None), InScope::Undated);
        assert_eq!(
            scope.describe(),
            "from 2024-05-01T00:00:00Z to 2024-06-01T00:00:00Z (exclusive); all accounts; all regions"
        );
    }

    #[test]
    fn accounts_and_regions() {
        let scope = Scope {
            accounts: vec!["111122223333".into(), "444455556666".into()],
            regions: vec!["eu-west-1".into()],
            ..Scope::default()
        };
        let event = |account: Value, region: &str| json!({"recipientAccountId": account, "awsRegion": region, "userIdentity": {"accountId": "444455556666"}});
        assert_eq!(
            scope.check(&event(json!("111122223333"), "eu-west-1"), None),
            InScope::Yes,
            "no window: an undated event is in scope"
        );
        assert_eq!(
            scope.check(&event(json!("999999999999"), "eu-west-1"), None),
            InScope::No
        );
        assert_eq!(
            scope.check(&event(Value::Null, "eu-west-1"), None),
            InScope::Yes,
            "falls back to userIdentity.accountId"
        );
        assert_eq!(
            scope.check(&event(json!("111122223333"), "us-east-1"), None),
            InScope::No
        );
        assert_eq!(scope.check(&json!({}), None), InScope::No);
        assert_eq!(
            scope.describe(),
            "all times; accounts 111122223333, 444455556666; region eu-west-1"
        );
    }

    #[test]
    fn event_times() {
        assert_eq!(
            event_time(&json!({"eventTime": "2018-08-21T17:07:49Z"})),
            at("2018-08-21T17:07:49Z")
        );
        assert_eq!(event_time(&json!({"eventTime": 5})), None);
        assert_eq!(event_time(&json!({"eventTime": "yesterday"})), None);
    }
}
