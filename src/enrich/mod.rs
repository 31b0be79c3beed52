//! Context that CloudTrail does not carry: account names (`--accounts`) and where a source
//! address is (`--geoip`: country, city, ASN). Reports show it beside the raw values; rules can
//! test it under the reserved path `$.trailgate` (see `annotation` and docs/enrichment.md).
//!
//! The annotation also carries what is derived from the record itself and needs no flag: the
//! client family of `userAgent` (`user_agent`).
//!
//! The engine pays for it only when asked: a rule set whose conditions, exceptions, messages and
//! `first_seen` fields never name `$.trailgate` (`rule::annotation::reads`) is evaluated exactly
//! as without enrichment.

pub mod accounts;
pub mod geo;
pub mod user_agent;

use serde_json::{json, Map, Value};

pub use accounts::{AccountNames, AccountsError};
pub use geo::{classify, AddressKind, Geo, GeoError, GeoIp};

use crate::finding::{Enrichment, Finding, Location, SourcePlace};
pub use crate::rule::annotation::ANNOTATION_KEY;
use crate::rule::annotation::{ACCOUNT_NAME, GEO, USER_AGENT_FAMILY};

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

    /// `enrichment` for the account and source address of `event`.
    pub fn event_enrichment(&self, event: &Value) -> Option<Box<Enrichment>> {
        let source = event.get("sourceIPAddress").and_then(Value::as_str);
        self.enrichment(account_of(event), source)
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

    /// What the flags add to the annotation of `event` (`annotation` writes the rest).
    fn annotate_into(&self, event: &Value, out: &mut Map<String, Value>) {
        if let Some(name) = account_of(event).and_then(|id| self.account_name(id)) {
            out.insert(ACCOUNT_NAME.into(), Value::from(name));
        }
        if let Some(source) = event.get("sourceIPAddress").and_then(Value::as_str) {
            match self.geo(source) {
                Some(Ok(geo)) => {
                    out.insert(
                        GEO.into(),
                        serde_json::to_value(&geo).unwrap_or(Value::Null),
                    );
                }
                Some(Err(err)) => {
                    out.insert(
                        GEO.into(),
                        json!({"kind": classify(source).0.as_str(), "error": err.to_string()}),
                    );
                }
                None => {}
            }
        }
    }
}

/// `recipientAccountId`, else `userIdentity.accountId`: the account findings report.
fn account_of(event: &Value) -> Option<&str> {
    event
        .get("recipientAccountId")
        .and_then(Value::as_str)
        .or_else(|| event.get("userIdentity")?.get("accountId")?.as_str())
}

/// The value rules see at `$.trailgate` for this event:
///
/// ```json
/// {"account_name": "prod-payments",
///  "geo": {"kind": "public", "country": "DE", "country_name": "Germany", "city": "Berlin",
///          "asn": 3320, "as_org": "Deutsche Telekom AG"},
///  "user_agent_family": "aws-cli"}
/// ```
///
/// `account_name` is absent when the account is not in the file (or there is no file);
/// `geo` is absent without `--geoip` or without `sourceIPAddress`, and holds only `kind`
/// for an address that is not looked up (`private`, `reserved`, `aws-service`,
/// `aws-internal`, `not-an-address`). A database error at this address leaves `geo` with
/// `kind` and an `error` member, so that a rule cannot mistake it for "not in a country".
/// `user_agent_family` needs no flag; it is absent without `userAgent` and for calls AWS makes
/// itself (`user_agent::family`).
pub fn annotation(enricher: Option<&Enricher>, event: &Value) -> Value {
    let mut out = Map::new();
    if let Some(enricher) = enricher {
        enricher.annotate_into(event, &mut out);
    }
    derived_into(event, &mut out);
    Value::Object(out)
}

/// The members derived from the record alone.
fn derived_into(event: &Value, out: &mut Map<String, Value>) {
    if let Some(family) = event
        .get("userAgent")
        .and_then(Value::as_str)
        .and_then(user_agent::family)
    {
        out.insert(USER_AGENT_FAMILY.into(), Value::from(family));
    }
}

/// Writes `annotation(enricher, event)` at `$.trailgate`, replacing whatever was there (a record
/// cannot bring its own). `strip` takes it off again.
pub fn annotate(enricher: Option<&Enricher>, event: &mut Value) {
    let annotation = annotation(enricher, event);
    if let Value::Object(map) = event {
        map.insert(ANNOTATION_KEY.to_string(), annotation);
    }
}

/// For a test event (`rules test`, `explain`): adds the derived members to the annotation the
/// event gives itself (the flags' members, such as `geo`, are written by hand there), replacing
/// any the event gives, so that a test exercises the derivation.
pub fn annotate_test_event(event: &mut Value) {
    let mut derived = Map::new();
    derived_into(event, &mut derived);
    let Value::Object(map) = event else {
        return;
    };
    let annotation = map
        .entry(ANNOTATION_KEY.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(annotation) = annotation {
        annotation.remove(USER_AGENT_FAMILY);
        annotation.extend(derived);
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
            "userAgent": "aws-cli/2.15.30 Python/3.11.8", "trailgate": "forged"});
        annotate(Some(&enricher), &mut event);
        assert_eq!(
            event["trailgate"],
            json!({"account_name": "prod-payments", "user_agent_family": "aws-cli"})
        );
        strip(&mut event);
        assert!(event.get("trailgate").is_none());
        let other = json!({"userIdentity": {"accountId": "999999999999"}});
        assert_eq!(annotation(Some(&enricher), &other), json!({}));
        // The derived members need no flag.
        let browser = json!({"userAgent": "Mozilla/5.0 (X11; Linux x86_64)"});
        assert_eq!(
            annotation(None, &browser),
            json!({"user_agent_family": "browser"})
        );
    }

    #[test]
    fn test_events_keep_their_own_annotation_and_get_the_derived_one() {
        let mut event = json!({"userAgent": "Boto3/1.34.0 md/Botocore#1.34.0",
            "trailgate": {"geo": {"kind": "public", "country": "DE"}, "user_agent_family": "forged"}});
        annotate_test_event(&mut event);
        assert_eq!(
            event["trailgate"],
            json!({"geo": {"kind": "public", "country": "DE"}, "user_agent_family": "boto3"})
        );
        let mut plain = json!({"eventName": "ListBuckets"});
        annotate_test_event(&mut plain);
        assert_eq!(plain["trailgate"], json!({}));
    }
}
