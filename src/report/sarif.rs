//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. One run: every
//! loaded rule in `tool.driver.rules`, one result per finding, unreadable inputs as
//! tool execution notifications. Findings suppressed by the configuration file are results too,
//! marked with an accepted external suppression and its reason (`suppressions`, SARIF 3.27.23
//! and 3.35): code scanning shows them as dismissed, not as open alerts. Hand-written serde structs for the subset trailgate emits: the
//! full object model (serde-sarif) would be a dependency tree for a few dozen fields.
//!
//! GitHub refuses uploads over 25,000 results or rules a run, or over 10 MB gzipped, and splitting
//! into several runs of the same tool and category is refused too (since June 2025). So past
//! those limits this format writes nothing and returns an error saying why and what to do: a
//! truncated SARIF would look like a complete scan.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use crate::finding::fingerprint::KEY as FINGERPRINT_KEY;
use crate::finding::{Finding, Location as FindingLocation, ScanResult, SuppressionOutcome};
use crate::rule::Severity;
use crate::source::InputError;

use super::uri::{artifact_uri, directory_uri};
use super::{Context, Described, Report};

/// GitHub code scanning's limits for one uploaded SARIF file.
pub const MAX_RESULTS: usize = 25_000;
pub const MAX_RULES: usize = 25_000;
pub const MAX_GZIP_BYTES: u64 = 10 * 1024 * 1024;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The base every relative artifact URI is relative to; `originalUriBaseIds` says where it was.
const SRCROOT: &str = "%SRCROOT%";

pub(super) struct Sarif;

impl Report for Sarif {
    fn render(&self, result: &ScanResult, cx: &Context<'_>, out: &mut dyn Write) -> io::Result<()> {
        check_counts(
            cx.rules.rules().len(),
            result.findings.len(),
            result.suppressed_findings.len(),
        )
        .map_err(io::Error::other)?;
        let log = log(result, cx);
        let mut bytes = serde_json::to_vec_pretty(&log)?;
        bytes.push(b'\n');
        check_size(&bytes).map_err(io::Error::other)?;
        out.write_all(&bytes)
    }
}

/// `suppressed` findings are results too (marked suppressed), so they count toward the limit.
fn check_counts(rules: usize, findings: usize, suppressed: usize) -> Result<(), String> {
    let advice = "Scan fewer trail files per upload (for example one upload per account or region, each with its own category), or load fewer rules with --rules; --format json has no such limit";
    let results = findings + suppressed;
    if results > MAX_RESULTS {
        let what = if suppressed == 0 {
            format!("{results} findings are")
        } else {
            format!("{results} results ({findings} findings and {suppressed} suppressed ones) are")
        };
        return Err(format!(
            "{what} more than the {MAX_RESULTS} results GitHub code scanning accepts in one SARIF run, so no SARIF report was written. {advice}."
        ));
    }
    if rules > MAX_RULES {
        return Err(format!(
            "{rules} rules are more than the {MAX_RULES} GitHub code scanning accepts in one SARIF run, so no SARIF report was written. {advice}."
        ));
    }
    Ok(())
}

/// Compressing costs time, so only documents that could be over the limit are compressed.
fn check_size(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() as u64 <= MAX_GZIP_BYTES {
        return Ok(());
    }
    let mut encoder = GzEncoder::new(CountingSink(0), Compression::default());
    let compressed = encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map(|sink| sink.0)
        .map_err(|err| format!("cannot measure the compressed SARIF size: {err}"))?;
    if compressed > MAX_GZIP_BYTES {
        return Err(format!(
            "the SARIF report is {compressed} bytes gzipped, more than the {MAX_GZIP_BYTES} (10 MB) GitHub code scanning accepts, so no SARIF report was written. Scan fewer trail files per upload (each upload with its own category), or load fewer rules with --rules; --format json has no such limit."
        ));
    }
    Ok(())
}

struct CountingSink(u64);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation; 1],
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    results: Vec<SarifResult<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RunProperties<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    /// Sigma rules keep their metadata; the Detection Rule License requires the author.
    #[serde(skip_serializing_if = "Option::is_none")]
    sigma: Option<SigmaProperties>,
}

#[derive(Serialize)]
struct SigmaProperties {
    id: Option<String>,
    status: Option<String>,
    author: Option<String>,
    level: Option<String>,
    falsepositives: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
    /// Files and events accounted for (`json::accounting`), and the files skipped with why.
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    locations: [Location; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    /// Only on suppressed results: an empty list would say "evaluated, not suppressed", which
    /// some consumers read as suppressed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

/// A suppression of the configuration file, as SARIF's `suppression` object: kept outside the
/// analysed files (`external`), decided (`accepted`), with its reason as the justification.
#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    status: &'static str,
    justification: &'a str,
    /// Where the suppression is written (the configuration file and line).
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    properties: SuppressionProperties<'a>,
}

#[derive(Serialize)]
struct SuppressionProperties<'a> {
    /// `trailgate.toml:14`, as the other formats say it.
    origin: &'a str,
    /// The rule id or glob the suppression names.
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    /// Absent for a finding at a window of events: it has no one place in a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

#[derive(Serialize)]
struct LogicalLocation {
    name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: &'static str,
    /// 0-based record index in the file, as in every other format (not for a window).
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<usize>,
    /// What `region.startLine` counts: `lines` for JSON Lines files, `records` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    start_line_counts: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    /// The account's name (`--accounts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    /// `sourceIPAddress`, with `--geoip` only (beside its place).
    #[serde(skip_serializing_if = "Option::is_none")]
    source_ip: Option<&'a str>,
    /// Where the source address is (`--geoip`): the JSON report's `source_geo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    source_geo: Option<&'a crate::finding::SourcePlace>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineProperties<'a>>,
    /// Every suppression of the configuration file and how it fared (as the JSON summary's
    /// `suppressions`): the unused and expired ones have no result to be written on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<crate::wire::SuppressionOut<'a>>,
}

#[derive(Serialize)]
struct BaselineProperties<'a> {
    file: &'a str,
    new: usize,
    unchanged: usize,
    /// SARIF's name for findings of the baseline that this run did not find. They are counted,
    /// not listed as results: GitHub would show an `absent` result as an alert.
    absent: usize,
}

fn log<'a>(result: &'a ScanResult, cx: &Context<'a>) -> Log<'a> {
    let rules = super::described(cx.rules);
    let index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut base_ids = BTreeMap::new();
    base_ids.insert(
        SRCROOT,
        ArtifactLocation {
            uri: directory_uri(cx.sarif_root),
            uri_base_id: None,
        },
    );
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "trailgate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_HOMEPAGE"),
                    rules: rules.into_iter().map(descriptor).collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: !result.has_errors(),
                tool_execution_notifications: result
                    .errors
                    .iter()
                    .map(|e| notification(e, cx))
                    .collect(),
                properties: invocation_properties(result),
            }],
            original_uri_base_ids: base_ids,
            results: results(result)
                .into_iter()
                .map(|(f, suppression)| {
                    let mut out = sarif_result(f, index.get(f.rule_id.as_str()).copied(), cx);
                    out.suppressions
                        .extend(suppression.map(|s| sarif_suppression(s, cx)));
                    out
                })
                .collect(),
            properties: run_properties(result),
        }],
    }
}

/// Every finding and every suppressed finding (with its suppression), in report order.
fn results(result: &ScanResult) -> Vec<(&Finding, Option<&SuppressionOutcome>)> {
    let mut all: Vec<(&Finding, Option<&SuppressionOutcome>)> =
        result.findings.iter().map(|f| (f, None)).collect();
    if result.suppressed_findings.is_empty() {
        return all;
    }
    all.extend(
        result
            .suppressed_findings
            .iter()
            .map(|s| (&s.finding, result.suppressions.get(s.suppression))),
    );
    all.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    all
}

fn sarif_suppression<'a>(s: &'a SuppressionOutcome, cx: &Context<'_>) -> Suppression<'a> {
    Suppression {
        kind: "external",
        status: "accepted",
        justification: &s.reason,
        location: s.file_and_line().map(|(file, line)| Location {
            physical_location: Some(physical_location(file, None, Some(line), cx)),
            logical_locations: Vec::new(),
        }),
        properties: SuppressionProperties {
            origin: &s.origin,
            rule: &s.rule,
            expires: s.expires.as_deref(),
        },
    }
}

fn run_properties(result: &ScanResult) -> Option<RunProperties<'_>> {
    let properties = RunProperties {
        baseline: result.baseline.as_ref().map(|b| BaselineProperties {
            file: &b.file,
            new: b.new,
            unchanged: b.unchanged,
            absent: b.gone.len(),
        }),
        suppressions: result
            .suppressions
            .iter()
            .map(crate::wire::SuppressionOut::new)
            .collect(),
    };
    (properties.baseline.is_some() || !properties.suppressions.is_empty()).then_some(properties)
}

fn invocation_properties(result: &ScanResult) -> BTreeMap<&'static str, serde_json::Value> {
    let mut properties: BTreeMap<&'static str, serde_json::Value> = super::json::accounting(result)
        .into_iter()
        .map(|(name, count)| (name, count.into()))
        .collect();
    let stats = &result.stats;
    if !stats.first_seen.is_empty() {
        // Per first-seen rule: new combinations, those still learning, and matches not counted.
        let rules: serde_json::Map<String, serde_json::Value> = stats
            .first_seen
            .iter()
            .map(|(rule, c)| {
                (
                    rule.clone(),
                    serde_json::json!({"keys": c.keys, "new": c.new, "learning": c.learning,
                        "no_key": c.no_key, "no_time": c.no_time}),
                )
            })
            .collect();
        properties.insert("first_seen", rules.into());
    }
    if !stats.correlation_dropped.is_empty() {
        properties.insert(
            "correlation_dropped",
            serde_json::to_value(&stats.correlation_dropped).unwrap_or_default(),
        );
    }
    if !result.skipped.is_empty() {
        properties.insert(
            "skipped",
            result
                .skipped
                .iter()
                .map(|s| {
                    serde_json::to_value(crate::wire::SkippedRecord::new(
                        s,
                        crate::wire::Detail::Document,
                    ))
                    .unwrap_or_default()
                })
                .collect(),
        );
    }
    properties
}

/// SARIF level: what a viewer highlights. GitHub maps error/warning/note to its own levels.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score, chosen inside its bands: over 9.0 critical, 7.0 to 8.9
/// high, 4.0 to 6.9 medium, 0.1 to 3.9 low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn descriptor(rule: Described<'_>) -> Descriptor<'_> {
    let description = rule.description.trim();
    let description = if description.is_empty() {
        rule.title.to_string()
    } else {
        description.to_string()
    };
    // `security` puts the alerts under code scanning's security view, where GitHub reads
    // `security-severity`; controls become `framework/control` tags, as CodeQL's `external/cwe/...`.
    let mut tags = vec!["security".to_string()];
    tags.extend(rule.tags.iter().cloned());
    for (framework, controls) in rule.compliance {
        tags.extend(controls.iter().map(|c| format!("{framework}/{c}")));
    }
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    Descriptor {
        id: rule.id,
        name: pascal_case(rule.id),
        short_description: Text {
            text: rule.title.to_string(),
        },
        full_description: Text { text: description },
        help: help(rule),
        help_uri: help_uri(rule),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: DescriptorProperties {
            tags,
            security_severity: security_severity(rule.severity),
            sigma: rule.sigma.map(|sigma| SigmaProperties {
                id: sigma.id.clone(),
                status: sigma.status.clone(),
                author: sigma.author.clone(),
                level: sigma.level.clone(),
                falsepositives: sigma.false_positives.clone(),
            }),
        },
    }
}

/// SARIF's `name` is an identifier for people: `root-launch-configuration` ->
/// `RootLaunchConfiguration`.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn help(rule: Described<'_>) -> Help {
    let remediation = rule.remediation.trim();
    let remediation = if remediation.is_empty() {
        "The rule gives no remediation."
    } else {
        remediation
    };
    let mut text = format!("Remediation: {remediation}\n");
    let mut markdown = format!("**Remediation**\n\n{remediation}\n");
    if !rule.references.is_empty() {
        text.push_str("\nReferences:\n");
        markdown.push_str("\n**References**\n\n");
        for reference in rule.references {
            text.push_str(&format!("- {reference}\n"));
            markdown.push_str(&format!("- <{reference}>\n"));
        }
    }
    if !rule.compliance.is_empty() {
        text.push_str("\nCompliance:\n");
        markdown.push_str("\n**Compliance**\n\n");
        for (framework, controls) in rule.compliance {
            let line = format!("- {framework}: {}\n", controls.join(", "));
            text.push_str(&line);
            markdown.push_str(&line);
        }
    }
    if let Some(sigma) = rule.sigma {
        if !sigma.false_positives.is_empty() {
            text.push_str("\nFalse positives:\n");
            markdown.push_str("\n**False positives**\n\n");
            for fp in &sigma.false_positives {
                text.push_str(&format!("- {fp}\n"));
                markdown.push_str(&format!("- {fp}\n"));
            }
        }
        let author = sigma.author.as_deref().unwrap_or("unknown");
        let line = format!("\nSigma rule by {author}, under the Detection Rule License 1.1.\n");
        text.push_str(&line);
        markdown.push_str(&line);
    }
    Help { text, markdown }
}

/// A built-in rule's documentation is its rule file in the repository; a user's rule is
/// documented by its first reference, if it has one.
fn help_uri(rule: Described<'_>) -> Option<String> {
    match rule.file.strip_prefix("builtin:") {
        Some(path) => Some(format!("{}/blob/main/{path}", env!("CARGO_PKG_REPOSITORY"))),
        None => rule
            .references
            .iter()
            .find(|r| r.starts_with("https://") || r.starts_with("http://"))
            .cloned(),
    }
}

/// `startLine` is the JSON Lines line where there is one. Other trail files are one JSON
/// document, usually on one line, so their startLine is the record number (index + 1);
/// `properties.startLineCounts` says which, and `properties.record` keeps the 0-based index.
fn physical_location(
    file: &str,
    record: Option<usize>,
    line: Option<usize>,
    cx: &Context<'_>,
) -> PhysicalLocation {
    let uri = artifact_uri(file, cx.cwd, cx.sarif_root);
    let relative = !uri.starts_with("file:");
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri,
            uri_base_id: relative.then_some(SRCROOT),
        },
        region: line
            .or(record.map(|r| r + 1))
            .map(|start_line| Region { start_line }),
    }
}

fn sarif_result<'a>(
    finding: &'a Finding,
    rule_index: Option<usize>,
    cx: &Context<'_>,
) -> SarifResult<'a> {
    let event = finding.event_location();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY, finding.fingerprint());
    SarifResult {
        rule_id: &finding.rule_id,
        rule_index,
        level: level(finding.severity),
        // GitHub rejects a result whose message is empty, which a template over an empty event
        // field can render: the rule's title is the next best thing.
        message: Text {
            text: if finding.message.trim().is_empty() {
                finding.title.clone()
            } else {
                finding.message.clone()
            },
        },
        locations: [location(finding, cx)],
        partial_fingerprints: fingerprints,
        baseline_state: finding.baseline.map(|s| s.as_str()),
        suppressions: Vec::new(),
        properties: ResultProperties {
            severity: finding.severity.as_str(),
            record: event.map(|e| e.record),
            start_line_counts: event.map(|e| if e.line.is_some() { "lines" } else { "records" }),
            event_time: finding.time(),
            event_name: event.and_then(|e| e.event_name.as_deref()),
            account: event.and_then(|e| e.account.as_deref()),
            account_name: finding.account_name(),
            region: event.and_then(|e| e.region.as_deref()),
            principal: event.and_then(|e| e.principal.as_deref()),
            source_ip: finding
                .source_place()
                .and(event.and_then(|e| e.source_ip.as_deref())),
            source_geo: finding.source_place(),
        },
    }
}

/// Where a finding is: the event's file and record, named by its eventID; a window of events
/// has no one place in a file and is named by its members' eventIDs.
fn location(finding: &Finding, cx: &Context<'_>) -> Location {
    let object = |id: &String| LogicalLocation {
        name: id.clone(),
        kind: "object",
    };
    match &finding.location {
        FindingLocation::Event(e) => Location {
            physical_location: Some(physical_location(&e.file, Some(e.record), e.line, cx)),
            logical_locations: e.event_id.iter().map(object).collect(),
        },
        // The first event of the window is where a viewer opens it (GitHub wants one place in
        // a file); every member is named by its eventID.
        FindingLocation::Window(w) => Location {
            physical_location: w.members.first().and_then(|m| {
                m.file
                    .as_deref()
                    .map(|file| physical_location(file, m.record, None, cx))
            }),
            logical_locations: w
                .members
                .iter()
                .filter_map(|m| m.event_id.as_ref())
                .map(object)
                .collect(),
        },
    }
}

fn notification(error: &InputError, cx: &Context<'_>) -> Notification {
    Notification {
        level: "error",
        message: Text {
            text: format!("{}: {}", error.location(), error.message),
        },
        locations: [Location {
            physical_location: Some(physical_location(&error.file, error.record, error.line, cx)),
            logical_locations: Vec::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_up_to_the_limits_are_accepted() {
        assert!(check_counts(MAX_RULES, MAX_RESULTS, 0).is_ok());
        assert!(check_counts(MAX_RULES, MAX_RESULTS - 2, 2).is_ok());
        let results = check_counts(1, MAX_RESULTS + 1, 0).unwrap_err();
        assert!(results.contains("25001 findings"), "{results}");
        assert!(results.contains("no SARIF report was written"), "{results}");
        let with_suppressed = check_counts(1, MAX_RESULTS, 1).unwrap_err();
        assert!(
            with_suppressed.contains("25001 results (25000 findings and 1 suppressed ones)"),
            "{with_suppressed}"
        );
        let rules = check_counts(MAX_RULES + 1, 0, 0).unwrap_err();
        assert!(rules.contains("25001 rules"), "{rules}");
    }

    #[test]
    fn size_is_measured_gzipped() {
        // Repetitive text compresses far under the limit even when it is larger than it.
        let repetitive = vec![b'a'; (MAX_GZIP_BYTES + 1) as usize];
        assert!(check_size(&repetitive).is_ok());
        // Pseudo-random bytes do not compress: over the limit in any form.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..MAX_GZIP_BYTES + 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        let err = check_size(&noise).unwrap_err();
        assert!(
            err.contains("bytes gzipped, more than the 10485760"),
            "{err}"
        );
    }

    #[test]
    fn severities_map_onto_github_bands() {
        let scores: Vec<f64> = Severity::ALL
            .iter()
            .map(|s| security_severity(*s).parse().unwrap())
            .collect();
        assert_eq!(scores, vec![1.0, 3.0, 5.5, 8.0, 9.5]);
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn names_are_pascal_case_ids() {
        assert_eq!(
            pascal_case("autoscaling-root-launch-configuration"),
            "AutoscalingRootLaunchConfiguration"
        );
        assert_eq!(pascal_case("a_b.c--d"), "ABCD");
    }
}
