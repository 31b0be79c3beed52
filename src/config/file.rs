//! What `trailgate.toml` may hold: the long flags of `scan` as top-level keys, with the same
//! names and meanings, and `[[suppress]]` tables. Every value keeps its position in the file
//! (`Spanned`), so that a value refused later (by the scan plan) still names its line.
//!
//! The JSON Schema in docs/config.schema.json is generated from these types.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// The whole file. Keys are the long flags of `trailgate scan`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[schemars(
    title = "trailgate.toml",
    description = "Project configuration of trailgate (https://github.com/trailgate/trailgate): the long flags of `trailgate scan` as keys, with the same meanings (flags on the command line win), and suppressions. Relative paths are relative to the directory of this file."
)]
pub struct ConfigFile {
    /// Trail files or directories, or `s3://bucket/prefix` URLs, scanned when `trailgate scan`
    /// is given no PATHS.
    #[schemars(with = "Option<List>")]
    pub paths: Option<Spanned<List>>,
    /// A file listing paths and S3 URLs to scan, one a line (`--paths-from`).
    #[schemars(with = "Option<String>")]
    pub paths_from: Option<Spanned<String>>,
    /// Endpoint of an S3-compatible store for s3:// inputs (`--endpoint-url`).
    #[schemars(with = "Option<String>")]
    pub endpoint_url: Option<Spanned<String>>,
    /// S3 requests in flight at once (`--s3-concurrency`), 1 to 1024.
    #[schemars(with = "Option<u16>", range(min = 1, max = 1024))]
    pub s3_concurrency: Option<Spanned<u16>>,

    /// Rule files or directories (`--rules`). They replace the built-in rules unless `builtin`
    /// is true.
    #[schemars(with = "Option<List>")]
    pub rules: Option<Spanned<List>>,
    /// Also load the built-in rules when `rules` is given (`--builtin`).
    #[schemars(with = "Option<bool>")]
    pub builtin: Option<Spanned<bool>>,
    /// Keep rules of these packs (`aws/cis`) or of the packs under them (`aws`) (`--pack`).
    #[schemars(with = "Option<List>")]
    pub pack: Option<Spanned<List>>,
    /// Keep rules with any of these tags (`--tag`).
    #[schemars(with = "Option<List>")]
    pub tag: Option<Spanned<List>>,
    /// Keep rules of this severity or more serious (`--severity`). With no rule selection at all,
    /// the default set: every built-in rule but the `info` ones.
    #[schemars(with = "Option<SeverityName>")]
    pub severity: Option<Spanned<SeverityName>>,
    /// Keep rules mapped to any of these compliance frameworks (`--framework`).
    #[schemars(with = "Option<List>")]
    pub framework: Option<Spanned<List>>,

    /// Only events at or after this time: a date, a date and time, or a duration back from now
    /// (`30d`) (`--since`).
    #[schemars(with = "Option<String>")]
    pub since: Option<Spanned<TimeText>>,
    /// Only events before this time, in the same forms as `since` (`--until`).
    #[schemars(with = "Option<String>")]
    pub until: Option<Spanned<TimeText>>,
    /// Only events of these accounts (`--account`). Quote account ids.
    #[schemars(with = "Option<List>")]
    pub account: Option<Spanned<List>>,
    /// Only events of these regions (`--region`).
    #[schemars(with = "Option<List>")]
    pub region: Option<Spanned<List>>,

    /// Format of the report on standard output, or of a bare `output` path (`--format`).
    #[schemars(with = "Option<FormatName>")]
    pub format: Option<Spanned<FormatName>>,
    /// Reports to write, each `[FORMAT=]PATH` (`-` is standard output) (`--output`).
    #[schemars(with = "Option<List>")]
    pub output: Option<Spanned<List>>,
    /// Directory SARIF file locations are relative to (`--sarif-root`).
    #[schemars(with = "Option<String>")]
    pub sarif_root: Option<Spanned<String>>,
    /// An earlier JSON, JSON Lines or SARIF report: only new findings count (`--baseline`).
    #[schemars(with = "Option<String>")]
    pub baseline: Option<Spanned<String>>,
    /// A state store kept between runs, a directory (`--state`): files scanned before with the
    /// same rules are not read again; first_seen rules remember earlier runs.
    #[schemars(with = "Option<String>")]
    pub state: Option<Spanned<String>>,
    /// Read every file again even with a state store (`--rescan`).
    #[schemars(with = "Option<bool>")]
    pub rescan: Option<Spanned<bool>>,
    /// Exit with 1 when a finding has this severity or higher; `never` never fails on findings
    /// (`--fail-on`). Default `high`.
    #[schemars(with = "Option<FailOnName>")]
    pub fail_on: Option<Spanned<FailOnName>>,
    /// Exit with 1 when a suppression has expired (`--fail-on-expired`).
    #[schemars(with = "Option<bool>")]
    pub fail_on_expired: Option<Spanned<bool>>,
    /// When to colour text output (`--color`).
    #[schemars(with = "Option<ColorName>")]
    pub color: Option<Spanned<ColorName>>,

    /// Account names: the JSON of `aws organizations list-accounts`, or a CSV of `id,name` lines
    /// (`--accounts`).
    #[schemars(with = "Option<String>")]
    pub accounts: Option<Spanned<String>>,
    /// MaxMind DB files (GeoLite2-City or -Country, GeoLite2-ASN): directories of .mmdb files
    /// or files (`--geoip`).
    #[schemars(with = "Option<List>")]
    pub geoip: Option<Spanned<List>>,
    /// Group findings in the text, HTML and Markdown reports by event, rule or principal
    /// (`--group-by`).
    #[schemars(with = "Option<GroupByName>")]
    pub group_by: Option<Spanned<GroupByName>>,

    /// Worker threads; 0 is one per core (`--threads`).
    #[schemars(with = "Option<u32>")]
    pub threads: Option<Spanned<u32>>,
    /// Largest decoded size of one trail file: bytes, or `512M`, `4G` (`--max-file-size`).
    #[schemars(with = "Option<SizeText>")]
    pub max_file_size: Option<Spanned<SizeText>>,
    /// Largest size of one record (one event's JSON text, one JSON Lines line): bytes, or
    /// `2M`, `16M` (`--max-record-size`).
    #[schemars(with = "Option<SizeText>")]
    pub max_record_size: Option<Spanned<SizeText>>,
    /// No progress bar (`--quiet`).
    #[schemars(with = "Option<bool>")]
    pub quiet: Option<Spanned<bool>>,

    /// Findings to suppress, each with a reason and, best, an expiry date.
    #[serde(default)]
    #[schemars(with = "Vec<SuppressSpec>")]
    pub suppress: Vec<Spanned<SuppressSpec>>,
}

/// One `[[suppress]]` table.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SuppressSpec {
    /// A rule id, or a glob over rule ids (`aws-iam-*`).
    #[schemars(with = "String")]
    pub rule: Spanned<String>,
    /// Only findings of these account ids.
    #[schemars(with = "Option<List>")]
    pub account: Option<Spanned<List>>,
    /// Only findings of these regions.
    #[schemars(with = "Option<List>")]
    pub region: Option<Spanned<List>>,
    /// Only findings whose principal ARN matches one of these globs
    /// (`arn:aws:sts::111122223333:assumed-role/deployer/*`).
    #[schemars(with = "Option<List>")]
    pub principal: Option<Spanned<List>>,
    /// Only findings of these event names (`AssumeRole`).
    #[schemars(with = "Option<List>")]
    pub event_name: Option<Spanned<List>>,
    /// Why these findings are accepted: shown in every report (SARIF's justification).
    #[schemars(with = "String", length(min = 1))]
    pub reason: Spanned<String>,
    /// The last day (UTC) the suppression applies, e.g. `expires = 2025-03-31`; after it the
    /// findings count again and the suppression is reported as expired.
    #[schemars(with = "Option<DateText>")]
    pub expires: Option<Spanned<TimeText>>,
}

/// One string or a list of strings: `pack = "aws/cis"` or `pack = ["aws/cis", "aws/threats"]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List(pub Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<List, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = List;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<List, E> {
                Ok(List(vec![value.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    list.push(item);
                }
                Ok(List(list))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

impl JsonSchema for List {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "List".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A string, or a list of strings.",
            "anyOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

/// A time or a date: a TOML string (`"30d"`, `"2024-05-01T12:00:00Z"`) or a TOML date or
/// date-time written bare (`2024-05-01`), kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeText(pub String);

impl<'de> Deserialize<'de> for TimeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TimeText, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(text) => Ok(TimeText(text)),
            toml::Value::Datetime(datetime) => Ok(TimeText(datetime.to_string())),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a date (2025-03-31) or a string",
            )),
        }
    }
}

/// A size: a TOML integer (bytes) or a string (`"512M"`), kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeText(pub String);

impl<'de> Deserialize<'de> for SizeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SizeText, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::String(text) => Ok(SizeText(text)),
            toml::Value::Integer(bytes) => Ok(SizeText(bytes.to_string())),
            other => Err(de::Error::invalid_type(
                unexpected(&other),
                &"a number of bytes or a size such as \"512M\"",
            )),
        }
    }
}

impl JsonSchema for SizeText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Size".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Bytes, or a number with K, M, G or T (powers of 1024).",
            "anyOf": [
                { "type": "integer", "minimum": 1 },
                { "type": "string", "pattern": "^[0-9]+([KkMmGgTt]([iI]?[bB])?)?$" }
            ]
        })
    }
}

/// Schema only: a date as TOML writes it.
struct DateText;

impl JsonSchema for DateText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A date, YYYY-MM-DD (a bare TOML date or a string).",
            "type": "string",
            "format": "date"
        })
    }
}

fn unexpected(value: &toml::Value) -> de::Unexpected<'_> {
    match value {
        toml::Value::String(s) => de::Unexpected::Str(s),
        toml::Value::Integer(i) => de::Unexpected::Signed(*i),
        toml::Value::Float(f) => de::Unexpected::Float(*f),
        toml::Value::Boolean(b) => de::Unexpected::Bool(*b),
        toml::Value::Datetime(_) => de::Unexpected::Other("a date-time"),
        toml::Value::Array(_) => de::Unexpected::Seq,
        toml::Value::Table(_) => de::Unexpected::Map,
    }
}

/// `severity`: the same names as `--severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityName {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

/// `fail-on`: the same names as `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FailOnName {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

/// `format`: the same names as `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FormatName {
    Text,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Html,
    Markdown,
    Csv,
}

/// `group-by`: the same names as `--group-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupByName {
    Event,
    Rule,
    Principal,
    None,
}

/// `color`: the same names as `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ColorName {
    Auto,
    Always,
    Never,
}

macro_rules! names {
    ($($ty:ty { $($variant:ident => $name:literal),* $(,)? })*) => {$(
        impl $ty {
            /// The name, as the flag and the file write it.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }
    )*};
}

names! {
    SeverityName { Info => "info", Low => "low", Medium => "medium", High => "high", Critical => "critical" }
    FailOnName { Info => "info", Low => "low", Medium => "medium", High => "high", Critical => "critical", Never => "never" }
    FormatName { Text => "text", Json => "json", Jsonl => "jsonl", Sarif => "sarif", Junit => "junit", Html => "html", Markdown => "markdown", Csv => "csv" }
    ColorName { Auto => "auto", Always => "always", Never => "never" }
    GroupByName { Event => "event", Rule => "rule", Principal => "principal", None => "none" }
}
