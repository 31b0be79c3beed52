//! The per-principal activity summary: what every principal seen in a scan did, whether or not
//! it raised findings. Built as a stream (one event at a time, any number of events) in bounded
//! memory; workers can each build one and `merge` them.
//!
//! What is kept, per principal (`userIdentity.arn`, else the session issuer's ARN, else
//! `userIdentity.invokedBy`, as findings name it; events with none are one `None` principal):
//! counts (events, failed calls, findings per severity), the first and last `eventTime`, and
//! capped lists of values with an event count each: accounts, regions, source addresses,
//! long-term (`AKIA`) and temporary (`ASIA`, from STS) access keys, user agents and calls
//! (`service:EventName`). A list keeps its first `Limits::values` distinct values (calls:
//! `Limits::calls`), each value at most `Limits::value_bytes` long; events whose value is not
//! kept are counted in the list's `other_events`, so every list still adds up to the events that
//! had the field. Past `Limits::principals` distinct principals, further principals' events are
//! added to one `overflow` entry, counted, never dropped.
//!
//! Worst case with the default limits: 10,000 principals, each with 6 lists of 10 and 50 calls,
//! every value distinct and 128 bytes: 271 MB peak resident, measured with
//! `examples/principal_summary_memory.rs`, whatever the number of events.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::rule::Severity;
use crate::time::{parse_rfc3339, Timestamp};

/// Caps on what the summary keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Distinct principals summarised one by one; the rest share the overflow entry.
    pub principals: usize,
    /// Distinct values kept per list (accounts, regions, addresses, keys, user agents).
    pub values: usize,
    /// Distinct calls kept per principal.
    pub calls: usize,
    /// Longer values are cut (on a character boundary) and end with `…`.
    pub value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            principals: 10_000,
            values: 10,
            calls: 50,
            value_bytes: 128,
        }
    }
}

/// Distinct values with an event count each, capped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountedValues {
    counts: HashMap<Box<str>, u64>,
    /// Events whose value was not kept (the list was full).
    pub other_events: u64,
}

impl CountedValues {
    fn add(&mut self, value: &str, cap: usize, value_bytes: usize) {
        self.add_n(value, 1, cap, value_bytes);
    }

    fn add_n(&mut self, value: &str, n: u64, cap: usize, value_bytes: usize) {
        let value = cut(value, value_bytes);
        if let Some(count) = self.counts.get_mut(value.as_ref()) {
            *count += n;
        } else if self.counts.len() < cap {
            self.counts.insert(value.into(), n);
        } else {
            self.other_events += n;
        }
    }

    fn merge(&mut self, other: CountedValues, cap: usize, value_bytes: usize) {
        self.other_events += other.other_events;
        let mut values: Vec<(Box<str>, u64)> = other.counts.into_iter().collect();
        // Most frequent first, so that a full list keeps the values that matter most.
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (value, n) in values {
            self.add_n(&value, n, cap, value_bytes);
        }
    }

    /// Values, most events first (ties by value).
    pub fn sorted(&self) -> Vec<(&str, u64)> {
        let mut list: Vec<(&str, u64)> = self.counts.iter().map(|(v, n)| (&**v, *n)).collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        list
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn count(&self, value: &str) -> Option<u64> {
        self.counts.get(value).copied()
    }
}

fn cut(value: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if value.len() <= max {
        return value.into();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end]).into()
}

/// What one principal did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalActivity {
    pub events: u64,
    /// Calls with a non-empty `errorCode`.
    pub failed: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Events without a usable `eventTime` (not in `first`/`last`).
    pub undated: u64,
    pub accounts: CountedValues,
    pub regions: CountedValues,
    pub source_addresses: CountedValues,
    /// `AKIA...`: an IAM user's or the root user's long-term key.
    pub long_term_keys: CountedValues,
    /// `ASIA...`: temporary credentials from STS.
    pub temporary_keys: CountedValues,
    pub user_agents: CountedValues,
    /// `service:EventName` (`ec2:DescribeInstances`).
    pub calls: CountedValues,
    /// Findings per severity, least serious first (`Severity::ALL` order).
    pub findings: [u64; 5],
}

impl PrincipalActivity {
    fn add_event(&mut self, event: &Value, limits: &Limits) {
        let text = |path: &[&str]| -> Option<&str> {
            let mut value = event;
            for key in path {
                value = value.get(key)?;
            }
            value.as_str()
        };
        self.events += 1;
        if call_failed(event) {
            self.failed += 1;
        }
        match text(&["eventTime"]).and_then(parse_rfc3339) {
            Some(time) => {
                self.first = Some(self.first.map_or(time, |t| t.min(time)));
                self.last = Some(self.last.map_or(time, |t| t.max(time)));
            }
            None => self.undated += 1,
        }
        let (n, bytes) = (limits.values, limits.value_bytes);
        if let Some(account) = account_of(event) {
            self.accounts.add(account, n, bytes);
        }
        if let Some(region) = text(&["awsRegion"]) {
            self.regions.add(region, n, bytes);
        }
        if let Some(address) = text(&["sourceIPAddress"]) {
            self.source_addresses.add(address, n, bytes);
        }
        if let Some(key) = text(&["userIdentity", "accessKeyId"]) {
            if key.starts_with("ASIA") {
                self.temporary_keys.add(key, n, bytes);
            } else if !key.is_empty() {
                self.long_term_keys.add(key, n, bytes);
            }
        }
        if let Some(agent) = text(&["userAgent"]) {
            self.user_agents.add(agent, n, bytes);
        }
        if let Some(name) = text(&["eventName"]) {
            let service = text(&["eventSource"]).unwrap_or("");
            let service = service.strip_suffix(".amazonaws.com").unwrap_or(service);
            self.calls
                .add(&format!("{service}:{name}"), limits.calls, bytes);
        }
    }

    fn merge(&mut self, other: PrincipalActivity, limits: &Limits) {
        self.events += other.events;
        self.failed += other.failed;
        self.undated += other.undated;
        self.first = [self.first, other.first].into_iter().flatten().min();
        self.last = [self.last, other.last].into_iter().flatten().max();
        let (n, bytes) = (limits.values, limits.value_bytes);
        self.accounts.merge(other.accounts, n, bytes);
        self.regions.merge(other.regions, n, bytes);
        self.source_addresses
            .merge(other.source_addresses, n, bytes);
        self.long_term_keys.merge(other.long_term_keys, n, bytes);
        self.temporary_keys.merge(other.temporary_keys, n, bytes);
        self.user_agents.merge(other.user_agents, n, bytes);
        self.calls.merge(other.calls, limits.calls, bytes);
        for (mine, theirs) in self.findings.iter_mut().zip(other.findings) {
            *mine += theirs;
        }
    }

    fn add_finding(&mut self, severity: Severity) {
        self.findings[severity_index(severity)] += 1;
    }

    /// Findings of one severity.
    pub fn findings_of(&self, severity: Severity) -> u64 {
        self.findings[severity_index(severity)]
    }
}

fn severity_index(severity: Severity) -> usize {
    Severity::ALL
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0)
}

/// A failed call carries a non-empty `errorCode` (as the engine decides `outcome: failure`).
fn call_failed(event: &Value) -> bool {
    crate::engine::call_failed(event)
}

/// `recipientAccountId`, else `userIdentity.accountId`: the account findings report.
fn account_of(event: &Value) -> Option<&str> {
    event
        .get("recipientAccountId")
        .and_then(Value::as_str)
        .or_else(|| event.get("userIdentity")?.get("accountId")?.as_str())
}

/// The principal of an event, as findings name it: `userIdentity.arn`, else the session
/// issuer's ARN, else `userIdentity.invokedBy`.
pub fn principal_of(event: &Value) -> Option<&str> {
    let identity = event.get("userIdentity")?;
    identity
        .get("arn")
        .and_then(Value::as_str)
        .or_else(|| {
            identity
                .get("sessionContext")?
                .get("sessionIssuer")?
                .get("arn")?
                .as_str()
        })
        .or_else(|| identity.get("invokedBy")?.as_str())
}

/// The summary of a whole scan.
#[derive(Debug, Clone, Default)]
pub struct PrincipalSummary {
    limits: Limits,
    /// `None`: events that name no principal.
    principals: HashMap<Option<Box<str>>, PrincipalActivity>,
    /// Events (and findings) of principals past `Limits::principals`, all together.
    pub overflow: PrincipalActivity,
}

impl PrincipalSummary {
    pub fn new(limits: Limits) -> PrincipalSummary {
        PrincipalSummary {
            limits,
            ..PrincipalSummary::default()
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn entry(&mut self, principal: Option<&str>) -> &mut PrincipalActivity {
        let key: Option<Box<str>> =
            principal.map(|p| cut(p, self.limits.value_bytes.max(2048)).into());
        if !self.principals.contains_key(&key) && self.principals.len() >= self.limits.principals {
            return &mut self.overflow;
        }
        self.principals.entry(key).or_default()
    }

    /// Counts one event (in scope or not is the caller's choice: the scan passes those it
    /// evaluates).
    pub fn add_event(&mut self, event: &Value) {
        let limits = self.limits;
        self.entry(principal_of(event)).add_event(event, &limits);
    }

    /// Counts a finding for its principal (`Finding::principal`).
    pub fn add_finding(&mut self, principal: Option<&str>, severity: Severity) {
        self.entry(principal).add_finding(severity);
    }

    /// Adds another worker's summary to this one. Counts are exact; capped lists keep the most
    /// frequent values of the other side first.
    pub fn merge(&mut self, other: PrincipalSummary) {
        let limits = self.limits;
        let mut theirs: Vec<_> = other.principals.into_iter().collect();
        theirs.sort_by(|a, b| b.1.events.cmp(&a.1.events).then_with(|| a.0.cmp(&b.0)));
        for (key, activity) in theirs {
            self.entry(key.as_deref()).merge(activity, &limits);
        }
        self.overflow.merge(other.overflow, &limits);
    }

    /// Principals with their activity, most events first (ties by name, `None` last).
    pub fn principals(&self) -> Vec<(Option<&str>, &PrincipalActivity)> {
        let mut list: Vec<(Option<&str>, &PrincipalActivity)> = self
            .principals
            .iter()
            .map(|(k, v)| (k.as_deref(), v))
            .collect();
        list.sort_by(|a, b| {
            b.1.events
                .cmp(&a.1.events)
                .then_with(|| a.0.is_none().cmp(&b.0.is_none()))
                .then_with(|| a.0.cmp(&b.0))
        });
        list
    }

    pub fn get(&self, principal: Option<&str>) -> Option<&PrincipalActivity> {
        self.principals.get(&principal.map(Box::from))
    }

    /// Events counted, overflow included.
    pub fn events(&self) -> u64 {
        self.principals.values().map(|a| a.events).sum::<u64>() + self.overflow.events
    }
}

impl PrincipalSummary {
    /// Counts each finding for its principal (as `Finding` names it; windows have none and are
    /// not counted).
    pub fn add_findings(&mut self, findings: &[crate::finding::Finding]) {
        for f in findings {
            if let Some(at) = f.event_location() {
                self.add_finding(at.principal.as_deref(), f.severity);
            }
        }
    }

    /// The rows reports show, most events first, labelled from the enrichment (when on), and
    /// the overflow row when principals past the cap were seen.
    pub fn rows(
        &self,
        enricher: Option<&crate::enrich::Enricher>,
    ) -> (Vec<PrincipalRow>, Option<PrincipalRow>) {
        let none = crate::enrich::Enricher::default();
        let label = enrichment_labels(enricher.unwrap_or(&none));
        let rows = self
            .principals()
            .into_iter()
            .map(|(p, a)| PrincipalRow::new(p, a, &label))
            .collect();
        let overflow = (self.overflow.events > 0)
            .then(|| PrincipalRow::new(Some("(other principals)"), &self.overflow, &label));
        (rows, overflow)
    }
}

/// The summary built while a scan runs: the engine shows it every evaluated event
/// (`engine::Watch`), one summary per file, merged when the file is done.
#[derive(Debug)]
pub struct PrincipalWatch {
    limits: Limits,
    summary: std::sync::Mutex<PrincipalSummary>,
}

impl PrincipalWatch {
    pub fn new(limits: Limits) -> PrincipalWatch {
        PrincipalWatch {
            limits,
            summary: std::sync::Mutex::new(PrincipalSummary::new(limits)),
        }
    }

    /// The summary of every file done so far.
    pub fn take(&self) -> PrincipalSummary {
        let mut summary = self.summary.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *summary, PrincipalSummary::new(self.limits))
    }
}

struct PrincipalFile<'a> {
    watch: &'a PrincipalWatch,
    summary: PrincipalSummary,
}

impl crate::engine::Watch for PrincipalWatch {
    fn file(&self) -> Box<dyn crate::engine::WatchFile + Send + '_> {
        Box::new(PrincipalFile {
            watch: self,
            summary: PrincipalSummary::new(self.limits),
        })
    }
}

impl crate::engine::WatchFile for PrincipalFile<'_> {
    fn event(&mut self, event: &Value) {
        self.summary.add_event(event);
    }

    fn finish(self: Box<Self>) {
        let mut summary = self.watch.summary.lock().unwrap_or_else(|e| e.into_inner());
        summary.merge(self.summary);
    }
}

/// One principal as the JSON and CSV reports show it. Lists are `value (events)`, most events
/// first, with `+N events with other values` when a list was capped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipalRow {
    pub principal: Option<String>,
    pub events: u64,
    pub failed: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub undated: u64,
    pub accounts: Vec<ValueCount>,
    pub regions: Vec<ValueCount>,
    pub source_addresses: Vec<ValueCount>,
    pub long_term_access_keys: Vec<ValueCount>,
    pub temporary_access_keys: Vec<ValueCount>,
    pub user_agents: Vec<ValueCount>,
    /// The most frequent calls (at most `TOP_CALLS`).
    pub top_calls: Vec<ValueCount>,
    /// Events with a value not listed, per list (`accounts`, ..., `calls`), when not 0.
    pub other_events: std::collections::BTreeMap<&'static str, u64>,
    pub findings: std::collections::BTreeMap<&'static str, u64>,
}

/// A value, its events and, where it applies, a label (an account's name, an address's place).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueCount {
    pub value: String,
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Calls shown per principal.
pub const TOP_CALLS: usize = 10;

impl PrincipalRow {
    /// `label` names a value of a list when it can (`accounts`: the account name,
    /// `source_addresses`: country and ASN); it is called once per listed value.
    pub fn new(
        principal: Option<&str>,
        activity: &PrincipalActivity,
        label: &dyn Fn(&str, &str) -> Option<String>,
    ) -> PrincipalRow {
        let list = |name: &'static str, values: &CountedValues, take: usize| -> Vec<ValueCount> {
            values
                .sorted()
                .into_iter()
                .take(take)
                .map(|(value, events)| ValueCount {
                    value: value.to_string(),
                    events,
                    label: label(name, value),
                })
                .collect()
        };
        let mut other_events = std::collections::BTreeMap::new();
        let top_calls = list("calls", &activity.calls, TOP_CALLS);
        let shown: u64 = top_calls.iter().map(|c| c.events).sum();
        let calls_other = activity.calls.other_events
            + activity.calls.sorted().iter().map(|c| c.1).sum::<u64>()
            - shown;
        for (name, values) in [
            ("accounts", &activity.accounts),
            ("regions", &activity.regions),
            ("source_addresses", &activity.source_addresses),
            ("long_term_access_keys", &activity.long_term_keys),
            ("temporary_access_keys", &activity.temporary_keys),
            ("user_agents", &activity.user_agents),
        ] {
            if values.other_events > 0 {
                other_events.insert(name, values.other_events);
            }
        }
        if calls_other > 0 {
            other_events.insert("calls", calls_other);
        }
        PrincipalRow {
            principal: principal.map(str::to_string),
            events: activity.events,
            failed: activity.failed,
            first_seen: activity.first.map(Timestamp::to_rfc3339),
            last_seen: activity.last.map(Timestamp::to_rfc3339),
            undated: activity.undated,
            accounts: list("accounts", &activity.accounts, usize::MAX),
            regions: list("regions", &activity.regions, usize::MAX),
            source_addresses: list("source_addresses", &activity.source_addresses, usize::MAX),
            long_term_access_keys: list(
                "long_term_access_keys",
                &activity.long_term_keys,
                usize::MAX,
            ),
            temporary_access_keys: list(
                "temporary_access_keys",
                &activity.temporary_keys,
                usize::MAX,
            ),
            user_agents: list("user_agents", &activity.user_agents, usize::MAX),
            top_calls,
            other_events,
            findings: Severity::ALL
                .iter()
                .rev()
                .map(|s| (s.as_str(), activity.findings_of(*s)))
                .collect(),
        }
    }
}

/// Labels for `PrincipalRow::new` from the enrichment: an account's name, a source address's
/// place and network (`GB (Willesden), AS20712 Andrews & Arnold Ltd`, `private address`). A
/// database error at an address is shown in its label rather than hidden.
pub fn enrichment_labels(
    enricher: &crate::enrich::Enricher,
) -> impl Fn(&str, &str) -> Option<String> + '_ {
    move |list, value| match list {
        "accounts" => enricher.account_name(value).map(str::to_string),
        "source_addresses" => match enricher.geo(value)? {
            Ok(geo) => Some(geo.describe()),
            Err(err) => Some(format!("GeoIP error: {err}")),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(arn: &str, name: &str, ip: &str, key: &str, time: &str, error: bool) -> Value {
        let mut e = json!({
            "eventTime": time,
            "eventSource": "ec2.amazonaws.com",
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": ip,
            "userAgent": "aws-cli/2.15",
            "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "arn": arn, "accessKeyId": key},
        });
        if error {
            e["errorCode"] = json!("AccessDenied");
        }
        e
    }

    #[test]
    fn counts_one_principal() {
        let mut summary = PrincipalSummary::new(Limits::default());
        let alice = "arn:aws:iam::111122223333:user/alice";
        summary.add_event(&event(
            alice,
            "DescribeInstances",
            "81.2.69.142",
            "AKIAEXAMPLE",
            "2024-05-02T10:00:00Z",
            false,
        ));
        summary.add_event(&event(
            alice,
            "DescribeInstances",
            "10.0.0.1",
            "ASIAEXAMPLE",
            "2024-05-01T10:00:00Z",
            true,
        ));
        summary.add_event(&event(
            alice,
            "RunInstances",
            "81.2.69.142",
            "AKIAEXAMPLE",
            "not a time",
            false,
        ));
        summary.add_finding(Some(alice), Severity::High);
        let a = summary.get(Some(alice)).unwrap();
        assert_eq!((a.events, a.failed, a.undated), (3, 1, 1));
        assert_eq!(a.first.unwrap().to_rfc3339(), "2024-05-01T10:00:00Z");
        assert_eq!(a.last.unwrap().to_rfc3339(), "2024-05-02T10:00:00Z");
        assert_eq!(
            a.source_addresses.sorted(),
            vec![("81.2.69.142", 2), ("10.0.0.1", 1)]
        );
        assert_eq!(a.long_term_keys.sorted(), vec![("AKIAEXAMPLE", 2)]);
        assert_eq!(a.temporary_keys.sorted(), vec![("ASIAEXAMPLE", 1)]);
        assert_eq!(
            a.calls.sorted(),
            vec![("ec2:DescribeInstances", 2), ("ec2:RunInstances", 1)]
        );
        assert_eq!(a.findings_of(Severity::High), 1);
        assert_eq!(summary.events(), 3);
    }

    #[test]
    fn caps_lists_and_principals_with_counts() {
        let limits = Limits {
            principals: 2,
            values: 2,
            calls: 1,
            value_bytes: 16,
        };
        let mut summary = PrincipalSummary::new(limits);
        for i in 0..5 {
            summary.add_event(&event(
                "p1",
                &format!("Call{i}"),
                &format!("81.2.69.{i}"),
                "AKIA1",
                "2024-05-01T00:00:00Z",
                false,
            ));
        }
        summary.add_event(&event(
            "p2",
            "Call",
            "81.2.69.1",
            "AKIA1",
            "2024-05-01T00:00:00Z",
            false,
        ));
        summary.add_event(&event(
            "p3",
            "Call",
            "81.2.69.1",
            "AKIA1",
            "2024-05-01T00:00:00Z",
            false,
        ));
        summary.add_event(&event(
            "p4",
            "Call",
            "81.2.69.1",
            "AKIA1",
            "2024-05-01T00:00:00Z",
            false,
        ));
        let p1 = summary.get(Some("p1")).unwrap();
        assert_eq!(p1.source_addresses.len(), 2);
        assert_eq!(p1.source_addresses.other_events, 3);
        assert_eq!(p1.calls.len(), 1);
        assert_eq!(p1.calls.other_events, 4);
        assert_eq!(summary.overflow.events, 2);
        assert_eq!(summary.events(), 8);
        let row = PrincipalRow::new(Some("p1"), p1, &|_, _| None);
        assert_eq!(row.other_events.get("source_addresses"), Some(&3));
        assert_eq!(row.other_events.get("calls"), Some(&4));
        assert_eq!(cut("a-very-long-user-agent-string", 16), "a-very-long-u…");
    }

    #[test]
    fn merge_adds_up() {
        let mut one = PrincipalSummary::new(Limits::default());
        let mut two = PrincipalSummary::new(Limits::default());
        one.add_event(&event(
            "p",
            "A",
            "81.2.69.1",
            "AKIA1",
            "2024-05-03T00:00:00Z",
            false,
        ));
        two.add_event(&event(
            "p",
            "A",
            "81.2.69.1",
            "AKIA1",
            "2024-05-01T00:00:00Z",
            true,
        ));
        two.add_event(&json!({"eventName": "B"}));
        one.merge(two);
        let p = one.get(Some("p")).unwrap();
        assert_eq!((p.events, p.failed), (2, 1));
        assert_eq!(p.first.unwrap().to_rfc3339(), "2024-05-01T00:00:00Z");
        assert_eq!(p.calls.count("ec2:A"), Some(2));
        assert_eq!(one.get(None).unwrap().events, 1);
        assert_eq!(one.principals()[0].0, Some("p"));
    }

    #[test]
    fn labels_name_accounts_and_classify_addresses() {
        let enricher = crate::enrich::Enricher {
            accounts: Some(
                crate::enrich::AccountNames::from_csv("a.csv", "111122223333,prod\n").unwrap(),
            ),
            geo: None,
        };
        let label = enrichment_labels(&enricher);
        assert_eq!(label("accounts", "111122223333").as_deref(), Some("prod"));
        assert_eq!(label("accounts", "999999999999"), None);
        // Without --geoip, addresses carry no label at all.
        assert_eq!(label("source_addresses", "10.0.0.1"), None);
        assert_eq!(label("regions", "us-east-1"), None);
    }

    #[test]
    fn principal_falls_back_like_findings() {
        let issuer =
            json!({"userIdentity": {"sessionContext": {"sessionIssuer": {"arn": "arn:role"}}}});
        assert_eq!(principal_of(&issuer), Some("arn:role"));
        let service =
            json!({"userIdentity": {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}});
        assert_eq!(principal_of(&service), Some("ec2.amazonaws.com"));
        assert_eq!(principal_of(&json!({})), None);
    }
}
