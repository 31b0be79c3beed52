//! The JSON and JSON Lines wire format, typed both ways: the reports write these types
//! (`report::json`, `report::jsonl`) and `report --from` and `--baseline` read them back, so a
//! field cannot be written one way and read another.
//!
//! Field names are stable (docs/cli.md). Every object's fields are declared in name order: the
//! bytes are those of a sorted JSON map, as trailgate has always written them. Enums travel as
//! stable tokens (severities as `high`, skip reasons as `digest` beside the prose `reason`).
//!
//! JSON Lines records carry a `type`. A record of a type this build does not know, or of a
//! `version` above [`VERSION`], is an error naming the line: it comes from a newer trailgate, and
//! guessing would lose what it says. Records without `version` are version 1.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::finding::observations::{
    Observations, ObservedKey, ObservedRule, ObservedSpan, SpanFinding,
};
use crate::finding::signals::SignalRecord;
use crate::finding::spill::Spill;
use crate::finding::{self, EventLocation, Location, Measure, Member, Window};
use crate::rule::Severity;
use crate::source::{InputError, SkipReason, Skipped};

/// The newest record version this build reads and writes.
pub const VERSION: u32 = 1;

/// What a JSON Lines record holds (its `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Finding,
    Error,
    Skipped,
    Gone,
    Summary,
    Signal,
    Observation,
}

/// The first look at a JSON Lines record: its type and version, to pick the type to read.
#[derive(Debug, Deserialize)]
pub struct Probe<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default)]
    pub version: Option<u64>,
}

/// One JSON Lines record, read.
#[derive(Debug)]
pub enum Record<'a> {
    Finding(Box<Finding<'a>>),
    Error(ErrorRecord<'a>),
    Skipped(SkippedRecord<'a>),
    Gone(Gone<'a>),
    Summary(Box<Summary<'a>>),
    Signal(SignalRecord),
    Observation(Box<ObservationLine<'a>>),
}

/// A record of the correlation stage's state (`finding::signals`): a JSON Lines report carries
/// them so that `report --from` merges shards into the correlations of one scan.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignalLine<R> {
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(flatten)]
    pub record: R,
}

impl<'a> SignalLine<&'a SignalRecord> {
    pub fn new(record: &'a SignalRecord) -> SignalLine<&'a SignalRecord> {
        SignalLine {
            kind: Kind::Signal,
            record,
        }
    }
}

/// A record of the first-seen stage's state (`finding::observations`), written by a scan that
/// judged `first_seen` rules without a state store, so that `report --from` judges shards as one
/// scan. Either a rule's header (`scanned`, `no_key`, `no_time`) or one combination of its
/// (`values`, `spans`, each span with the finding of its first event).
#[derive(Debug, Serialize, Deserialize)]
pub struct ObservationLine<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_key: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_time: Option<u64>,
    #[serde(borrow)]
    pub rule_id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned: Option<Option<ScannedOut>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spans: Option<Vec<SpanOut<'a>>>,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Cow<'a, str>>>,
}

/// The `eventTime` span (seconds since the epoch) a scan covered with a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedOut {
    pub from: i64,
    pub latest: i64,
}

/// A span of observations of one combination, with its first event's finding (its text as read:
/// `report --from` keeps it in a spill, and parses it once it is judged new).
#[derive(Debug, Serialize, Deserialize)]
pub struct SpanOut<'a> {
    #[serde(borrow)]
    pub finding: &'a RawValue,
    pub from: i64,
    pub to: i64,
}

impl<'a> ObservationLine<'a> {
    /// A rule's header line.
    pub fn rule(rule: &'a ObservedRule) -> ObservationLine<'a> {
        ObservationLine {
            no_key: Some(rule.no_key),
            no_time: Some(rule.no_time),
            rule_id: Cow::Borrowed(&rule.rule_id),
            scanned: Some(
                rule.scanned
                    .map(|(from, latest)| ScannedOut { from, latest }),
            ),
            spans: None,
            kind: Kind::Observation,
            values: None,
        }
    }

    /// Writes one combination's line, without its newline: the bytes serde would write for an
    /// `ObservationLine` of the key, with each spilled finding's text copied as it was written
    /// (framed here rather than through serde, which would parse each text again to embed it).
    pub fn write_key(key: &ObservedKey, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"{\"rule_id\":")?;
        serde_json::to_writer(&mut *out, &key.rule_id)?;
        out.write_all(b",\"spans\":[")?;
        for (i, span) in key.spans.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"finding\":")?;
            match &span.finding {
                SpanFinding::Held(finding) => {
                    serde_json::to_writer(&mut *out, &Finding::new(finding, None, Detail::Lines))?
                }
                SpanFinding::Spilled { text, .. } => out.write_all(&text.read_first()?)?,
            }
            write!(out, ",\"from\":{},\"to\":{}}}", span.from, span.to)?;
        }
        out.write_all(b"],\"type\":\"observation\",\"values\":")?;
        out.write_all(&key.values_json)?;
        out.write_all(b"}")
    }

    /// Adds what the line says to `observations`. Each span's finding goes to `spill` when one
    /// is given and takes it, else it is held in memory.
    pub fn add_to(
        self,
        observations: &mut Observations,
        intern: &mut dyn FnMut(&str) -> std::sync::Arc<str>,
        spill: Option<&std::sync::Arc<Spill>>,
    ) -> Result<(), String> {
        let rule_id = self.rule_id;
        match (self.values, self.spans) {
            (Some(values), Some(spans)) => {
                let spans = spans
                    .into_iter()
                    .map(|span| {
                        let text = span.finding.get();
                        let finding = serde_json::from_str::<Finding<'_>>(text)
                            .map_err(|e| format!("a span's finding: {e}"))?
                            .into_finding(intern)?;
                        let Some(at) = finding.event_location() else {
                            return Err("a span's finding must be at one event".to_string());
                        };
                        let (file, record) = (at.file.clone(), at.record);
                        let finding = match spill.map(|s| s.put(text.as_bytes(), b"")) {
                            Some(Ok(text)) => SpanFinding::Spilled { text, file, record },
                            // No spill, or it failed: held, nothing lost.
                            None | Some(Err(_)) => SpanFinding::Held(std::sync::Arc::new(finding)),
                        };
                        Ok(ObservedSpan {
                            from: span.from,
                            to: span.to,
                            finding,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                let values_json = serde_json::to_vec(&values)
                    .map_err(|e| format!("`values`: {e}"))?
                    .into_boxed_slice();
                observations.keys.push(ObservedKey {
                    rule_id: std::sync::Arc::from(&*rule_id),
                    values_json,
                    spans: spans.into_boxed_slice(),
                });
            }
            (None, None) => observations.rules.push(ObservedRule {
                rule_id: rule_id.into_owned(),
                scanned: self.scanned.flatten().map(|s| (s.from, s.latest)),
                no_key: self.no_key.unwrap_or_default(),
                no_time: self.no_time.unwrap_or_default(),
            }),
            _ => return Err("`values` and `spans` go together".into()),
        }
        Ok(())
    }
}

/// Reads one JSON Lines record. The error says what is wrong, without the line number (the
/// caller knows it).
pub fn read_record(line: &str) -> Result<Record<'_>, String> {
    let probe: Probe<'_> = serde_json::from_str(line).map_err(|err| {
        format!("not JSON ({err}); give JSON Lines reports of `trailgate scan -o jsonl=FILE`")
    })?;
    if let Some(version) = probe.version.filter(|v| *v > u64::from(VERSION)) {
        return Err(format!(
            "record version {version} is newer than this trailgate reads ({VERSION}); read it with the trailgate that wrote it, or a newer one"
        ));
    }
    let kind = probe.kind.as_deref().unwrap_or_default();
    let typed = |err: serde_json::Error| format!("{kind} record: {err}");
    Ok(match kind {
        "finding" => Record::Finding(Box::new(serde_json::from_str(line).map_err(typed)?)),
        "error" => Record::Error(serde_json::from_str(line).map_err(typed)?),
        "skipped" => Record::Skipped(serde_json::from_str(line).map_err(typed)?),
        "gone" => Record::Gone(serde_json::from_str(line).map_err(typed)?),
        "summary" => Record::Summary(Box::new(serde_json::from_str(line).map_err(typed)?)),
        "signal" => Record::Signal(
            serde_json::from_str::<SignalLine<SignalRecord>>(line)
                .map_err(typed)?
                .record,
        ),
        "observation" => {
            Record::Observation(Box::new(serde_json::from_str(line).map_err(typed)?))
        }
        other => {
            return Err(format!(
                "unknown record type `{other}` (a newer trailgate may write it); give JSON Lines reports of `trailgate scan -o jsonl=FILE`"
            ))
        }
    })
}

/// `tool`: who wrote the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool<'a> {
    pub name: Cow<'a, str>,
    pub version: Cow<'a, str>,
}

impl Tool<'static> {
    /// This build.
    pub fn this() -> Tool<'static> {
        Tool {
            name: Cow::Borrowed("trailgate"),
            version: Cow::Borrowed(env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Which of a finding's fields a writer includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// `--format json`: no `type`, no `source_ip` / `user_agent`.
    Document,
    /// `--format jsonl`: `type: finding` and every field the other formats render.
    Lines,
}

/// A finding. Fields that only an event has (`file`, `record`, `event_id`...) are left out of a
/// finding at a window, which has `window` instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Option<Cow<'a, str>>>,
    /// The account's name (`--accounts`), when the file names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<finding::BaselineState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Option<Cow<'a, str>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<Option<Cow<'a, str>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source: Option<Option<Cow<'a, str>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<Option<Cow<'a, str>>>,
    pub evidence: Vec<Evidence<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Cow<'a, str>>,
    pub fingerprint: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<Option<usize>>,
    pub message: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Option<Cow<'a, str>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Option<Cow<'a, str>>>,
    pub rule_id: Cow<'a, str>,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<Sigma<'a>>,
    /// Where `sourceIPAddress` is (`--geoip`), or what kind of value it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_geo: Option<Cow<'a, finding::SourcePlace>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<Option<Cow<'a, str>>>,
    pub title: Cow<'a, str>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Option<Cow<'a, str>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowOut<'a>>,
}

/// One piece of evidence: `missing` when the field was absent (then `value` is null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence<'a> {
    #[serde(default)]
    pub missing: bool,
    pub path: Cow<'a, str>,
    #[serde(default)]
    pub value: Option<Cow<'a, Value>>,
}

/// A Sigma rule's metadata (the Detection Rule Specification's names), written with the
/// findings of Sigma rules (the Detection Rule License asks that the author travel with every
/// result). Not read back: `report --from` takes it from the rules it loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sigma<'a> {
    pub author: Option<Cow<'a, str>>,
    pub date: Option<Cow<'a, str>>,
    pub falsepositives: Cow<'a, [String]>,
    pub id: Option<Cow<'a, str>>,
    pub level: Option<Cow<'a, str>>,
    pub modified: Option<Cow<'a, str>>,
    pub references: Cow<'a, [String]>,
    pub status: Option<Cow<'a, str>>,
    pub tags: Cow<'a, [String]>,
}

/// Where a finding at a window of events is (a correlation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowOut<'a> {
    pub first: Cow<'a, str>,
    pub group: Vec<GroupValue<'a>>,
    pub last: Cow<'a, str>,
    pub measure: MeasureOut<'a>,
    pub members: Vec<MemberOut<'a>>,
    pub total: usize,
}

/// One group-by field and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupValue<'a> {
    pub field: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// What the window's condition measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureOut<'a> {
    Count(usize),
    Distinct {
        field: Cow<'a, str>,
        values: Vec<Cow<'a, str>>,
        /// Distinct values in all (`values` lists the first few).
        #[serde(default)]
        total: usize,
    },
    Rules(Vec<Cow<'a, str>>),
}

/// One event of a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberOut<'a> {
    pub event_id: Option<Cow<'a, str>>,
    pub event_time: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Cow<'a, str>>,
}

fn some_str(value: &Option<String>) -> Option<Option<Cow<'_, str>>> {
    Some(value.as_deref().map(Cow::Borrowed))
}

fn owned(value: Option<Option<Cow<'_, str>>>) -> Option<String> {
    value.flatten().map(Cow::into_owned)
}

impl<'a> Finding<'a> {
    /// The wire form of a finding, borrowing from it.
    pub fn new(f: &'a finding::Finding, sigma: Option<Sigma<'a>>, detail: Detail) -> Finding<'a> {
        let lines = detail == Detail::Lines;
        let mut out = Finding {
            account: None,
            account_name: f.account_name().map(Cow::Borrowed),
            baseline: f.baseline,
            event_id: None,
            event_name: None,
            event_source: None,
            event_time: None,
            evidence: f
                .evidence
                .iter()
                .map(|e| Evidence {
                    missing: e.value.is_none(),
                    path: Cow::Borrowed(&e.path),
                    value: e.value.as_ref().map(Cow::Borrowed),
                })
                .collect(),
            file: None,
            fingerprint: Cow::Owned(f.fingerprint()),
            line: None,
            message: Cow::Borrowed(&f.message),
            principal: None,
            record: None,
            region: None,
            rule_id: Cow::Borrowed(&f.rule_id),
            severity: f.severity,
            sigma,
            source_geo: f.source_place().map(Cow::Borrowed),
            source_ip: None,
            title: Cow::Borrowed(&f.title),
            kind: lines.then_some(Kind::Finding),
            user_agent: None,
            window: None,
            version: None,
        };
        match &f.location {
            Location::Event(e) => {
                out.account = some_str(&e.account);
                out.event_id = some_str(&e.event_id);
                out.event_name = some_str(&e.event_name);
                out.event_source = some_str(&e.event_source);
                out.event_time = some_str(&e.event_time);
                out.file = Some(Cow::Borrowed(&e.file));
                out.line = Some(e.line);
                out.principal = some_str(&e.principal);
                out.record = Some(e.record);
                out.region = some_str(&e.region);
                if lines {
                    out.source_ip = some_str(&e.source_ip);
                    out.user_agent = some_str(&e.user_agent);
                }
            }
            Location::Window(w) => out.window = Some(WindowOut::new(w)),
        }
        out
    }

    /// Back into a finding. `intern` shares file names between findings, as a scan does.
    pub fn into_finding(
        self,
        intern: &mut dyn FnMut(&str) -> std::sync::Arc<str>,
    ) -> Result<finding::Finding, String> {
        let location = match self.window {
            Some(window) => Location::Window(window.into_window()),
            None => Location::Event(EventLocation {
                file: intern(self.file.as_deref().ok_or("`file` is missing")?),
                record: self.record.ok_or("`record` is missing")?,
                line: self.line.flatten(),
                event_id: owned(self.event_id),
                event_time: owned(self.event_time),
                event_source: owned(self.event_source),
                event_name: owned(self.event_name),
                account: owned(self.account),
                region: owned(self.region),
                principal: owned(self.principal),
                source_ip: owned(self.source_ip),
                user_agent: owned(self.user_agent),
                enrichment: (self.account_name.is_some() || self.source_geo.is_some()).then(|| {
                    Box::new(finding::Enrichment {
                        account_name: self.account_name.map(Cow::into_owned),
                        source: self.source_geo.map(Cow::into_owned),
                    })
                }),
            }),
        };
        Ok(finding::Finding {
            rule_id: self.rule_id.into_owned(),
            severity: self.severity,
            title: self.title.into_owned(),
            message: self.message.into_owned(),
            location,
            evidence: self
                .evidence
                .into_iter()
                .map(|e| finding::Evidence {
                    path: e.path.into_owned(),
                    value: if e.missing {
                        None
                    } else {
                        Some(e.value.map_or(Value::Null, Cow::into_owned))
                    },
                })
                .collect(),
            // Recomputed by `report --baseline`, as by `scan --baseline`.
            baseline: None,
            event: None,
        })
    }
}

impl<'a> WindowOut<'a> {
    pub fn new(w: &'a Window) -> WindowOut<'a> {
        WindowOut {
            first: Cow::Borrowed(&w.first),
            group: w
                .group
                .iter()
                .map(|(field, value)| GroupValue {
                    field: Cow::Borrowed(field),
                    value: Cow::Borrowed(value),
                })
                .collect(),
            last: Cow::Borrowed(&w.last),
            measure: match &w.measure {
                Measure::Count(n) => MeasureOut::Count(*n),
                Measure::Distinct {
                    field,
                    values,
                    total,
                } => MeasureOut::Distinct {
                    field: Cow::Borrowed(field),
                    values: values.iter().map(|v| Cow::Borrowed(v.as_str())).collect(),
                    total: *total,
                },
                Measure::Rules(ids) => {
                    MeasureOut::Rules(ids.iter().map(|v| Cow::Borrowed(v.as_str())).collect())
                }
            },
            members: w
                .members
                .iter()
                .map(|m| MemberOut {
                    event_id: m.event_id.as_deref().map(Cow::Borrowed),
                    event_time: Cow::Borrowed(&m.event_time),
                    file: m.file.as_deref().map(Cow::Borrowed),
                    record: m.record,
                    rule: m.rule.as_deref().map(Cow::Borrowed),
                })
                .collect(),
            total: w.total,
        }
    }

    pub fn into_window(self) -> Window {
        Window {
            group: self
                .group
                .into_iter()
                .map(|g| (g.field.into_owned(), g.value.into_owned()))
                .collect(),
            first: self.first.into_owned(),
            last: self.last.into_owned(),
            measure: match self.measure {
                MeasureOut::Count(n) => Measure::Count(n),
                MeasureOut::Distinct {
                    field,
                    values,
                    total,
                } => Measure::Distinct {
                    field: field.into_owned(),
                    // A report written before `total` existed listed every value.
                    total: total.max(values.len()),
                    values: values.into_iter().map(Cow::into_owned).collect(),
                },
                MeasureOut::Rules(ids) => {
                    Measure::Rules(ids.into_iter().map(Cow::into_owned).collect())
                }
            },
            members: self
                .members
                .into_iter()
                .map(|m| Member {
                    event_id: m.event_id.map(Cow::into_owned),
                    event_time: m.event_time.into_owned(),
                    file: m.file.map(Cow::into_owned),
                    record: m.record,
                    rule: m.rule.map(Cow::into_owned),
                })
                .collect(),
            total: self.total,
        }
    }
}

/// A file or record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord<'a> {
    pub file: Cow<'a, str>,
    #[serde(default)]
    pub line: Option<usize>,
    pub message: Cow<'a, str>,
    #[serde(default)]
    pub record: Option<usize>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
}

impl<'a> ErrorRecord<'a> {
    pub fn new(error: &'a InputError, detail: Detail) -> ErrorRecord<'a> {
        ErrorRecord {
            file: Cow::Borrowed(&error.file),
            line: error.line,
            message: Cow::Borrowed(&error.message),
            record: error.record,
            kind: (detail == Detail::Lines).then_some(Kind::Error),
        }
    }

    pub fn into_error(self, intern: &mut dyn FnMut(&str) -> std::sync::Arc<str>) -> InputError {
        InputError {
            file: intern(&self.file),
            record: self.record,
            line: self.line,
            message: self.message.into_owned(),
        }
    }
}

/// A file passed over on purpose: the reason as prose for people and as a stable token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRecord<'a> {
    pub file: Cow<'a, str>,
    pub reason: Cow<'a, str>,
    /// Absent in reports written before it existed: then the prose decides.
    #[serde(default)]
    pub reason_code: Option<SkipReason>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
}

impl<'a> SkippedRecord<'a> {
    pub fn new(skipped: &'a Skipped, detail: Detail) -> SkippedRecord<'a> {
        SkippedRecord {
            file: Cow::Borrowed(&skipped.file),
            reason: Cow::Borrowed(skipped.reason.as_str()),
            reason_code: Some(skipped.reason),
            kind: (detail == Detail::Lines).then_some(Kind::Skipped),
        }
    }

    pub fn into_skipped(
        self,
        intern: &mut dyn FnMut(&str) -> std::sync::Arc<str>,
    ) -> Result<Skipped, String> {
        let reason = match self.reason_code {
            Some(reason) => reason,
            None => SkipReason::from_prose(&self.reason)
                .ok_or_else(|| format!("unknown skip reason `{}`", self.reason))?,
        };
        Ok(Skipped {
            file: intern(&self.file),
            reason,
        })
    }
}

/// A finding of the baseline that this scan did not find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gone<'a> {
    pub fingerprint: Cow<'a, str>,
    pub rule_id: Cow<'a, str>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
}

impl<'a> Gone<'a> {
    pub fn new(entry: &'a finding::BaselineEntry, detail: Detail) -> Gone<'a> {
        Gone {
            fingerprint: Cow::Borrowed(&entry.fingerprint),
            rule_id: Cow::Borrowed(&entry.rule_id),
            kind: (detail == Detail::Lines).then_some(Kind::Gone),
        }
    }
}

/// The summary: counts of the scan, and with JSON Lines (`stats`, `tool`) everything the other
/// formats need to render a merged scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary<'a> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineCounts<'a>>,
    /// Correlation id -> reason -> matches that could not be placed in a window.
    #[serde(default, skip_serializing_if = "no_dropped")]
    pub correlation_dropped: Cow<'a, BTreeMap<String, BTreeMap<String, u64>>>,
    pub errors: usize,
    pub events: usize,
    pub events_read: usize,
    pub files_failed: usize,
    pub files_ignored: usize,
    pub files_read: usize,
    pub files_skipped: usize,
    /// Files not read because the state store says they were scanned before (`--state`); only
    /// when some were, so that reports without a store keep their old shape.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_unchanged: usize,
    pub findings: usize,
    pub findings_by_severity: BTreeMap<Cow<'a, str>, usize>,
    /// `first_seen` rule id -> what the first-seen stage decided; only when such rules ran.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub first_seen: BTreeMap<String, FirstSeenOut>,
    pub records_failed: usize,
    pub rules: usize,
    /// Only with scope filters, so that reports without them keep exactly their old shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeOut<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<StatsOut<'a>>,
    pub suppressed: Cow<'a, BTreeMap<String, usize>>,
    /// The configuration file's suppressions and how each fared; absent without any, so that
    /// reports without them keep exactly their old shape (and old reports still read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionOut<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool<'a>>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One `first_seen` rule's counts in the summary (`finding::FirstSeenCounts`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstSeenOut {
    /// Distinct combinations seen this run.
    pub keys: u64,
    /// New combinations reported.
    pub new: u64,
    /// New combinations not judged while the history did not cover a whole window.
    pub learning: u64,
    #[serde(default)]
    pub no_key: u64,
    #[serde(default)]
    pub no_time: u64,
}

impl From<&crate::finding::FirstSeenCounts> for FirstSeenOut {
    fn from(c: &crate::finding::FirstSeenCounts) -> Self {
        FirstSeenOut {
            keys: c.keys,
            new: c.new,
            learning: c.learning,
            no_key: c.no_key,
            no_time: c.no_time,
        }
    }
}

impl From<FirstSeenOut> for crate::finding::FirstSeenCounts {
    fn from(c: FirstSeenOut) -> Self {
        crate::finding::FirstSeenCounts {
            keys: c.keys,
            new: c.new,
            learning: c.learning,
            no_key: c.no_key,
            no_time: c.no_time,
        }
    }
}

#[allow(clippy::ptr_arg)] // serde's `skip_serializing_if` passes the field as it is
fn no_dropped(map: &Cow<'_, BTreeMap<String, BTreeMap<String, u64>>>) -> bool {
    map.is_empty()
}

/// How the scan compared with `--baseline`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineCounts<'a> {
    pub file: Cow<'a, str>,
    pub gone: usize,
    pub new: usize,
    pub unchanged: usize,
}

/// The scope filters and what they left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeOut<'a> {
    pub accounts: Cow<'a, [String]>,
    pub out_of_scope: usize,
    pub regions: Cow<'a, [String]>,
    pub since: Option<String>,
    pub undated: usize,
    pub until: Option<String>,
}

/// JSON Lines only: the coverage, time range, accounts, regions and inputs of the scan (not the
/// duration, so the same scan writes the same bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsOut<'a> {
    pub accounts: Cow<'a, BTreeSet<String>>,
    pub bytes: u64,
    pub control_events: Cow<'a, BTreeMap<String, BTreeMap<String, usize>>>,
    pub first_event: Option<String>,
    pub inputs: Cow<'a, [String]>,
    pub last_event: Option<String>,
    pub out_of_scope: usize,
    pub regions: Cow<'a, BTreeSet<String>>,
    pub rule_events: Cow<'a, BTreeMap<String, usize>>,
    pub undated: usize,
}

/// One suppression of the configuration file (`[[suppress]]`) and how it fared in the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionOut<'a> {
    /// Findings it matched after its `expires` day: reported as usual.
    pub expired_matches: usize,
    pub expires: Option<Cow<'a, str>>,
    /// Where it is written: `trailgate.toml:14`.
    pub origin: Cow<'a, str>,
    pub reason: Cow<'a, str>,
    /// The rule id or glob it names.
    pub rule: Cow<'a, str>,
    pub state: finding::SuppressionState,
    /// Findings it suppressed.
    pub suppressed: usize,
}

impl<'a> SuppressionOut<'a> {
    pub fn new(outcome: &'a finding::SuppressionOutcome) -> SuppressionOut<'a> {
        SuppressionOut {
            expired_matches: outcome.expired_matches,
            expires: outcome.expires.as_deref().map(Cow::Borrowed),
            origin: Cow::Borrowed(&outcome.origin),
            reason: Cow::Borrowed(&outcome.reason),
            rule: Cow::Borrowed(&outcome.rule),
            state: outcome.state,
            suppressed: outcome.suppressed,
        }
    }

    pub fn into_outcome(self) -> finding::SuppressionOutcome {
        finding::SuppressionOutcome {
            rule: self.rule.into_owned(),
            reason: self.reason.into_owned(),
            expires: self.expires.map(Cow::into_owned),
            origin: self.origin.into_owned(),
            state: self.state,
            suppressed: self.suppressed,
            expired_matches: self.expired_matches,
        }
    }
}

/// `--format json`: the whole report as one document.
#[derive(Debug, Serialize, Deserialize)]
pub struct Document<'a> {
    pub errors: Vec<ErrorRecord<'a>>,
    pub findings: Vec<Finding<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone: Option<Vec<Gone<'a>>>,
    pub skipped: Vec<SkippedRecord<'a>>,
    pub summary: Summary<'a>,
    pub tool: Tool<'a>,
}

/// The identity of a finding in an earlier report, which is all a baseline needs. Reports
/// written before findings carried a `fingerprint` give the fields it is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FindingIdentity<'a> {
    #[serde(default, borrow)]
    pub rule_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub fingerprint: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub event_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub file: Option<Cow<'a, str>>,
    #[serde(default)]
    pub record: Option<usize>,
    #[serde(default, borrow)]
    pub account: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::finding::Finding as Found;

    fn intern(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    fn window_finding() -> Found {
        Found {
            rule_id: "brute-force".into(),
            severity: Severity::High,
            title: "Console login brute force".into(),
            message: "12 failed logins from 192.0.2.1".into(),
            location: Location::Window(Window {
                group: vec![("sourceIPAddress".into(), "192.0.2.1".into())],
                first: "2024-05-01T10:00:00Z".into(),
                last: "2024-05-01T10:04:00Z".into(),
                measure: Measure::Distinct {
                    field: "userIdentity.userName".into(),
                    values: vec!["alice".into(), "bob".into()],
                    total: 2,
                },
                members: vec![Member {
                    event_id: Some("e1".into()),
                    event_time: "2024-05-01T10:00:00Z".into(),
                    file: Some("trail.json".into()),
                    record: Some(4),
                    rule: Some("aws-console-login-failed".into()),
                }],
                total: 12,
            }),
            evidence: Vec::new(),
            baseline: None,
            event: None,
        }
    }

    #[test]
    fn a_window_finding_round_trips_through_json_lines() {
        let found = window_finding();
        let line = serde_json::to_string(&Finding::new(&found, None, Detail::Lines)).unwrap();
        let object: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(object.get("file").is_none(), "{line}");
        assert!(line.contains("\"window\""), "{line}");
        let Record::Finding(read) = read_record(&line).unwrap() else {
            panic!("not a finding: {line}");
        };
        assert_eq!(read.into_finding(&mut intern).unwrap(), found);
        for measure in [
            Measure::Count(3),
            Measure::Rules(vec!["a".into(), "b".into()]),
        ] {
            let mut found = window_finding();
            if let Location::Window(w) = &mut found.location {
                w.measure = measure;
            }
            let line = serde_json::to_string(&Finding::new(&found, None, Detail::Lines)).unwrap();
            let Record::Finding(read) = read_record(&line).unwrap() else {
                panic!("not a finding: {line}");
            };
            assert_eq!(read.into_finding(&mut intern).unwrap(), found);
        }
    }

    #[test]
    fn an_event_finding_round_trips_with_nulls_kept() {
        let found = Found {
            location: Location::Event(EventLocation {
                file: Arc::from("t.json"),
                record: 3,
                event_id: Some("e".into()),
                ..EventLocation::default()
            }),
            evidence: vec![
                finding::Evidence {
                    path: "$.a".into(),
                    value: None,
                },
                finding::Evidence {
                    path: "$.b".into(),
                    value: Some(Value::Null),
                },
            ],
            ..window_finding()
        };
        let line = serde_json::to_string(&Finding::new(&found, None, Detail::Lines)).unwrap();
        assert!(line.contains("\"account\":null"), "{line}");
        assert!(line.contains("\"user_agent\":null"), "{line}");
        let Record::Finding(read) = read_record(&line).unwrap() else {
            panic!("not a finding: {line}");
        };
        assert_eq!(read.into_finding(&mut intern).unwrap(), found);
    }

    fn event_finding(record: usize, message: &str) -> Found {
        Found {
            message: message.into(),
            location: Location::Event(EventLocation {
                file: Arc::from("a \"quoted\" trail.json"),
                record,
                event_id: Some(format!("e{record}")),
                source_ip: Some("192.0.2.9".into()),
                ..EventLocation::default()
            }),
            evidence: vec![finding::Evidence {
                path: "$.n".into(),
                value: Some(serde_json::json!({"f": 1.5, "u": "\u{e9}\n"})),
            }],
            ..window_finding()
        }
    }

    /// The key line is framed by hand: it must be the bytes serde writes for the same line,
    /// read back into the same observations, and written again unchanged from a spill.
    #[test]
    fn an_observation_key_line_is_serdes_bytes_and_round_trips_through_a_spill() {
        let findings = [event_finding(7, "first"), event_finding(9, "second")];
        let values = vec!["AKIA1".to_string(), "é\t".to_string()];
        let key = ObservedKey {
            rule_id: "aws-new \"key\"".into(),
            values_json: serde_json::to_vec(&values).unwrap().into_boxed_slice(),
            spans: findings
                .iter()
                .enumerate()
                .map(|(i, f)| ObservedSpan {
                    from: 100 * i as i64,
                    to: 100 * i as i64 + 5,
                    finding: SpanFinding::Held(Arc::new(f.clone())),
                })
                .collect(),
        };
        let mut framed = Vec::new();
        ObservationLine::write_key(&key, &mut framed).unwrap();
        let framed = String::from_utf8(framed).unwrap();
        let texts: Vec<String> = findings
            .iter()
            .map(|f| serde_json::to_string(&Finding::new(f, None, Detail::Lines)).unwrap())
            .collect();
        let raws: Vec<Box<RawValue>> = texts
            .iter()
            .map(|t| RawValue::from_string(t.clone()).unwrap())
            .collect();
        let by_serde = ObservationLine {
            no_key: None,
            no_time: None,
            rule_id: Cow::Borrowed(&key.rule_id),
            scanned: None,
            spans: Some(
                key.spans
                    .iter()
                    .zip(&raws)
                    .map(|(span, raw)| SpanOut {
                        finding: raw,
                        from: span.from,
                        to: span.to,
                    })
                    .collect(),
            ),
            kind: Kind::Observation,
            values: Some(values.iter().map(|v| Cow::Borrowed(v.as_str())).collect()),
        };
        assert_eq!(framed, serde_json::to_string(&by_serde).unwrap());

        for spill in [None, Some(Spill::new().unwrap())] {
            let Record::Observation(line) = read_record(&framed).unwrap() else {
                panic!("not an observation: {framed}");
            };
            let mut read = Observations::default();
            line.add_to(&mut read, &mut intern, spill.as_ref()).unwrap();
            let [again] = read.keys.as_slice() else {
                panic!("{read:?}");
            };
            assert_eq!(
                (&again.rule_id, &again.values_json),
                (&key.rule_id, &key.values_json)
            );
            for (span, found) in again.spans.iter().zip(&findings) {
                let at = found.event_location().unwrap();
                assert_eq!(span.finding.place(), Some((&at.file, at.record)));
                match (&span.finding, &spill) {
                    (SpanFinding::Held(held), None) => assert_eq!(**held, *found),
                    (SpanFinding::Spilled { .. }, Some(_)) => {}
                    (other, _) => panic!("{other:?} with spill {spill:?}"),
                }
            }
            let mut written = Vec::new();
            ObservationLine::write_key(again, &mut written).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), framed);
        }

        let windowed = framed.replace(
            &texts[0],
            &serde_json::to_string(&Finding::new(&window_finding(), None, Detail::Lines)).unwrap(),
        );
        let Record::Observation(line) = read_record(&windowed).unwrap() else {
            panic!("{windowed}");
        };
        let err = line
            .add_to(&mut Observations::default(), &mut intern, None)
            .unwrap_err();
        assert!(err.contains("must be at one event"), "{err}");

        // A span's finding that is not a finding is an error (the caller adds file and line),
        // in a spill or not.
        let broken = framed.replace(&texts[1], r#"{"rule_id":5}"#);
        for spill in [None, Some(Spill::new().unwrap())] {
            let Record::Observation(line) = read_record(&broken).unwrap() else {
                panic!("{broken}");
            };
            let err = line
                .add_to(&mut Observations::default(), &mut intern, spill.as_ref())
                .unwrap_err();
            assert!(err.starts_with("a span's finding: "), "{err}");
        }
    }

    #[test]
    fn skip_reasons_keep_their_token_and_old_prose_still_reads() {
        for reason in SkipReason::ALL {
            let skipped = Skipped {
                file: Arc::from("f"),
                reason,
            };
            let line = serde_json::to_string(&SkippedRecord::new(&skipped, Detail::Lines)).unwrap();
            let Record::Skipped(read) = read_record(&line).unwrap() else {
                panic!("{line}");
            };
            assert_eq!(read.into_skipped(&mut intern).unwrap(), skipped);
            let old = format!(
                r#"{{"file":"f","reason":"{}","type":"skipped"}}"#,
                reason.as_str()
            );
            let Record::Skipped(read) = read_record(&old).unwrap() else {
                panic!("{old}");
            };
            assert_eq!(read.into_skipped(&mut intern).unwrap(), skipped);
        }
        let line =
            r#"{"file":"digest.json","reason":"digest","reason_code":"digest","type":"skipped"}"#;
        assert!(matches!(read_record(line), Ok(Record::Skipped(_))));
        let unknown = r#"{"file":"f","reason":"sideways","type":"skipped"}"#;
        let Record::Skipped(read) = read_record(unknown).unwrap() else {
            panic!();
        };
        assert!(read
            .into_skipped(&mut intern)
            .unwrap_err()
            .contains("sideways"));
    }

    #[test]
    fn suppressions_round_trip_and_old_summaries_have_none() {
        let outcome = finding::SuppressionOutcome {
            rule: "aws-*".into(),
            reason: "known".into(),
            expires: Some("2026-12-31".into()),
            origin: "trailgate.toml:6".into(),
            state: finding::SuppressionState::Applied,
            suppressed: 3,
            expired_matches: 0,
        };
        let text = serde_json::to_string(&SuppressionOut::new(&outcome)).unwrap();
        assert_eq!(
            text,
            r#"{"expired_matches":0,"expires":"2026-12-31","origin":"trailgate.toml:6","reason":"known","rule":"aws-*","state":"applied","suppressed":3}"#
        );
        let read: SuppressionOut<'_> = serde_json::from_str(&text).unwrap();
        assert_eq!(read.into_outcome(), outcome);
        let old = r#"{"type":"summary","errors":0,"events":0,"events_read":0,"files_failed":0,"files_ignored":0,"files_read":0,"files_skipped":0,"findings":0,"findings_by_severity":{},"records_failed":0,"rules":0,"suppressed":{}}"#;
        let Record::Summary(summary) = read_record(old).unwrap() else {
            panic!("{old}");
        };
        assert!(summary.suppressions.is_empty());
        let again = serde_json::to_string(&summary).unwrap();
        assert!(!again.contains("suppressions"), "{again}");
    }

    #[test]
    fn unknown_types_and_newer_versions_are_errors() {
        let err = read_record(r#"{"type":"alert","rule":"x"}"#).unwrap_err();
        assert!(err.contains("unknown record type `alert`"), "{err}");
        let err = read_record(r#"{"type":"finding","version":2}"#).unwrap_err();
        assert!(err.contains("record version 2 is newer"), "{err}");
        let err = read_record(r#"{"type":"error","file":"f"}"#).unwrap_err();
        assert!(
            err.contains("error record: missing field `message`"),
            "{err}"
        );
        let err = read_record("not json").unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
    }
}
