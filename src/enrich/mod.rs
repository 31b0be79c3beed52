//! Context that CloudTrail does not carry: account names (`--accounts`) and where a source
//! address is (`--geoip`: country, city, ASN). Reports show it beside the raw values; rules can
//! test it under the reserved path `$.trailgate` (see `annotation` and docs/enrichment.md).
//!
//! The engine pays for it only when asked: a rule set whose conditions, exceptions and messages
//! never name `$.trailgate` (`rule_uses_annotation`) is evaluated exactly as without enrichment.

pub mod accounts;
pub mod geo;

use serde_json::{json, Map, Value};

pub use accounts::{AccountNames, AccountsError};
pub use geo::{classify, AddressKind, Geo, GeoError, GeoIp};

use crate::finding::{Enrichment, Finding, Location, SourcePlace};
use crate::rule::condition::{Condition, Test};
use crate::rule::path::{Path, Selector};
use crate::rule::template::{Part, Template};
use crate::rule::Rule;

/// The top-level key the annotation is written under. CloudTrail records have no such member.
pub const ANNOTATION_KEY: &str = "trailgate";

/// Account names and GeoIP databases, either or both.
#[derive(Debug, Default)]
pub struct Enricher {
    pub accounts: Option<AccountNames>,
    pub geo: Option<GeoIp>,
}

impl Enricher {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_none() && self.geo.is_none()
    }

    /// The name of an account id, when `--accounts` named it.
    pub fn account_name(&self, id: &str) -> Option<&str> {
        self.accounts.as_ref()?.name(id)
    }

    /// What the GeoIP databases say of a `sourceIPAddress`; `None` without `--geoip`.
    pub fn geo(&self, source: &str) -> Option<Result<Geo, GeoError>> {
        Some(self.geo.as_ref()?.lookup(source))
    }

    /// What reports show beside a finding's account id and source address: `None` when there
    /// is nothing to say (no name for the account and no `--geoip`, or no such fields).
    pub fn enrichment(
        &self,
        account: Option<&str>,
        source_ip: Option<&str>,
    ) -> Option<Box<Enrichment>> {
        let account_name = account
            .and_then(|id| self.account_name(id))
            .map(str::to_string);
        let source = source_ip.and_then(|ip| {
            Some(match self.geo(ip)? {
                Ok(geo) => place(&geo),
                Err(err) => SourcePlace {
                    kind: classify(ip).0.as_str().to_string(),
                    error: Some(err.to_string()),
                    ..SourcePlace::default()
                },
            })
        });
        (account_name.is_some() || source.is_some()).then(|| {
            Box::new(Enrichment {
                account_name,
                source,
            })
        })
    }

    /// Sets (or replaces) the enrichment of every event finding, from its account and source
    /// address: `report --from` with `--accounts` or `--geoip` renders old scans with today's
    /// names and databases. Window findings (correlations) have no single event.
    pub fn enrich_findings(&self, findings: &mut [Finding]) {
        for finding in findings {
            if let Location::Event(at) = &mut finding.location {
                at.enrichment = self.enrichment(at.account.as_deref(), at.source_ip.as_deref());
            }
        }
    }

    /// The value rules see at `$.trailgate` for this event:
    ///
    /// ```json
    /// {"account_name": "prod-payments",
    ///  "geo": {"kind": "public", "country": "DE", "country_name": "Germany", "city": "Berlin",
    ///          "asn": 3320, "as_org": "Deutsche Telekom AG"}}
    /// ```
    ///
    /// `account_name` is absent when the account is not in the file (or there is no file);
    /// `geo` is absent without `--geoip` or without `sourceIPAddress`, and holds only `kind`
    /// for an address that is not looked up (`private`, `reserved`, `aws-service`,
    /// `aws-internal`, `not-an-address`). A database error at this address leaves `geo` with
    /// `kind` and an `error` member, so that a rule cannot mistake it for "not in a country".
    pub fn annotation(&self, event: &Value) -> Value {
        let mut out = Map::new();
        let account = event
            .get("recipientAccountId")
            .and_then(Value::as_str)
            .or_else(|| event.get("userIdentity")?.get("accountId")?.as_str());
        if let Some(name) = account.and_then(|id| self.account_name(id)) {
            out.insert("account_name".into(), Value::from(name));
        }
        if let Some(source) = event.get("sourceIPAddress").and_then(Value::as_str) {
            match self.geo(source) {
                Some(Ok(geo)) => {
                    out.insert(
                        "geo".into(),
                        serde_json::to_value(&geo).unwrap_or(Value::Null),
                    );
                }
                Some(Err(err)) => {
                    out.insert(
                        "geo".into(),
                        json!({"kind": classify(source).0.as_str(), "error": err.to_string()}),
                    );
                }
                None => {}
            }
        }
        Value::Object(out)
    }

    /// Writes `annotation(event)` at `$.trailgate`, replacing whatever was there (a record
    /// cannot bring its own). `strip` takes it off again.
    pub fn annotate(&self, event: &mut Value) {
        let annotation = self.annotation(event);
        if let Value::Object(map) = event {
            map.insert(ANNOTATION_KEY.to_string(), annotation);
        }
    }
}

/// A GeoIP answer as findings carry it.
fn place(geo: &Geo) -> SourcePlace {
    SourcePlace {
        as_org: geo.as_org.clone(),
        asn: geo.asn,
        city: geo.city.clone(),
        country: geo.country.clone(),
        country_name: geo.country_name.clone(),
        error: None,
        kind: geo.kind.unwrap_or(AddressKind::Public).as_str().to_string(),
    }
}

/// Removes the annotation, so that other rules, kept events and reports see the record as
/// CloudTrail wrote it.
pub fn strip(event: &mut Value) {
    if let Value::Object(map) = event {
        map.remove(ANNOTATION_KEY);
    }
}

/// Whether a rule reads the annotation: a rooted path (in its condition, an exception or its
/// message) whose first step is the member `trailgate`. Paths that reach it only through a
/// wildcard or `..` do not count: such rules see the plain record.
pub fn rule_uses_annotation(rule: &Rule) -> bool {
    condition_uses(&rule.condition)
        || rule.exceptions.iter().any(|e| condition_uses(&e.condition))
        || template_uses(&rule.message)
}

fn path_uses(path: &Path) -> bool {
    !path.relative
        && path.segments.first().is_some_and(|segment| {
            !segment.descendant
                && segment
                    .selectors
                    .iter()
                    .any(|s| matches!(s, Selector::Name(name) if name == ANNOTATION_KEY))
        })
}

fn template_uses(template: &Template) -> bool {
    template
        .parts
        .iter()
        .any(|part| matches!(part, Part::Field(path) if path_uses(path)))
}

fn condition_uses(condition: &Condition) -> bool {
    match condition {
        Condition::All(children) | Condition::Any(children) => children.iter().any(condition_uses),
        Condition::Not(child) => condition_uses(child),
        Condition::Items {
            path, condition, ..
        }
        | Condition::Json { path, condition } => path_uses(path) || condition_uses(condition),
        Condition::Predicate(predicate) => {
            path_uses(&predicate.path)
                || matches!(&predicate.test, Test::Interpolated { template, .. } if template_uses(template))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> AccountNames {
        AccountNames::from_csv("a.csv", "111122223333,prod-payments\n").unwrap()
    }

    #[test]
    fn annotates_and_strips() {
        let enricher = Enricher {
            accounts: Some(names()),
            geo: None,
        };
        let mut event = json!({"recipientAccountId": "111122223333", "sourceIPAddress": "10.0.0.1",
            "trailgate": "forged"});
        enricher.annotate(&mut event);
        assert_eq!(event["trailgate"], json!({"account_name": "prod-payments"}));
        strip(&mut event);
        assert!(event.get("trailgate").is_none());
        let other = json!({"userIdentity": {"accountId": "999999999999"}});
        assert_eq!(enricher.annotation(&other), json!({}));
    }

    fn rule(id: &str, condition: &str, message: &str) -> crate::rule::load::RuleFile {
        crate::rule::load::RuleFile {
            name: format!("{id}.yaml"),
            pack: "test".into(),
            text: format!(
                "id: {id}\ntitle: T\nseverity: high\ndescription: D\nremediation: R\nevents:\n  eventName: [ConsoleLogin]\ncondition:\n{condition}\nmessage: '{message}'\n"
            ),
        }
    }

    #[test]
    fn finds_rules_that_read_the_annotation() {
        let files = [
            rule(
                "login-outside-allowed-countries",
                "  all:\n  - path: $.trailgate.geo.kind\n    equals: public\n  - not:\n      path: $.trailgate.geo.country\n      one_of: [DE, FR]",
                "Console login from {$.trailgate.geo.country}",
            ),
            rule(
                "message-only",
                "  path: $.sourceIPAddress\n  exists: true",
                "From {sourceIPAddress} in {trailgate.account_name}",
            ),
            rule("wildcard", "  path: $..country\n  exists: true", "x"),
            rule("plain", "  path: $.sourceIPAddress\n  exists: true", "{sourceIPAddress}"),
        ];
        let rules =
            crate::rule::load::compile_files(&files).unwrap_or_else(|errors| panic!("{errors:?}"));
        let uses: Vec<(&str, bool)> = rules
            .iter()
            .map(|r| (r.id.as_str(), rule_uses_annotation(r)))
            .collect();
        assert_eq!(
            uses,
            vec![
                ("login-outside-allowed-countries", true),
                ("message-only", true),
                ("plain", false),
                ("wildcard", false)
            ]
        );
    }
}
