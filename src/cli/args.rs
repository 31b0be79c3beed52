//! Command-line definitions (clap). No logic: `cli::run` turns these into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "trailgate",
    version,
    about = "Policy and compliance rules for AWS CloudTrail",
    long_about = "Evaluates YAML rules over CloudTrail trail files (gzip or plain; Records documents, arrays, single events, JSON Lines) and reports findings.\n\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 bad rules or usage, 3 some inputs could not be read, 4 a report could not be written."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate rules over trail files and report findings
    Scan(Box<ScanArgs>),
    /// List, validate or test rules
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Show how a rule evaluates an event: each condition's verdict and the values it saw
    Explain(ExplainArgs),
    /// Render reports from the JSON Lines of one or more scans (merged, de-duplicated, sorted)
    Report(Box<ReportArgs>),
    /// Show the effective settings of `scan` and where each came from, or the config file schema
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write a page for every command to a directory
    Man(ManArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The settings `trailgate scan` would run with (the same arguments), and where each came
    /// from: the command line, trailgate.toml (file:line:column) or the default
    Show(Box<ConfigShowArgs>),
    /// Print the JSON Schema of trailgate.toml (also at docs/config.schema.json)
    Schema,
}

#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell, e.g. `trailgate completions bash > /etc/bash_completion.d/trailgate`
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write trailgate.1 and a page for every command (trailgate-scan.1, ...) to DIR instead of
    /// printing trailgate.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// JSON Lines reports of `trailgate scan -o jsonl=FILE`: one scan's, or those of scans of
    /// shares of the inputs (Spark partitions). Repeatable, or several after one --from
    #[arg(long = "from", value_name = "FILE", required = true, num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// The rules of the scans (the same --rules, --builtin and filters), for rule metadata
    #[command(flatten)]
    pub selection: RuleSelection,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Output format of the report on standard output, or of a bare `--output PATH` [default: text]
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write a report to PATH, as `scan --output` (`FORMAT=PATH`, repeatable)
    #[arg(long, short = 'o', value_name = "[FORMAT=]PATH", value_parser = parse_output)]
    pub output: Vec<OutputArg>,
    /// Directory SARIF file locations are relative to [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,
    /// An earlier JSON, JSON Lines or SARIF report, as `scan --baseline`
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit with 1 when a finding has this severity or higher, as `scan --fail-on`
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// When to colour text output
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// A state store (as `scan --state`): the first_seen rules of shards scanned without one are
    /// judged against its history, over every shard at once, and the store is updated after the
    /// reports are written
    #[arg(long = "state", value_name = "DIR")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// Context for people's reports: account names, GeoIP, grouping.
#[derive(Debug, Args, Default, Clone)]
pub struct AuditArgs {
    /// Account names: the JSON of `aws organizations list-accounts`, or a CSV of `id,name`
    /// lines. Every format shows the name beside the account id
    #[arg(long = "accounts", value_name = "FILE")]
    pub account_names: Option<PathBuf>,
    /// MaxMind DB files (GeoLite2-City or -Country, GeoLite2-ASN): a directory of .mmdb files or
    /// one file (repeatable). Every format shows where each source address is; rules can test
    /// `$.trailgate.geo`
    #[arg(long, value_name = "DIR_OR_FILE")]
    pub geoip: Vec<PathBuf>,
    /// Group findings in the text, HTML and Markdown reports: one item per event with every
    /// rule it raised, most serious first (`event`, the default), per rule, per principal, or
    /// `none` (one finding after another). Machine formats keep one finding per rule
    #[arg(long, value_enum, value_name = "BY")]
    pub group_by: Option<GroupByArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupByArg {
    Event,
    Rule,
    Principal,
    None,
}

impl GroupByArg {
    /// How the people's formats group findings; `None` lists them one after another.
    pub fn group_by(self) -> Option<crate::report::group::GroupBy> {
        use crate::report::group::GroupBy;
        match self {
            GroupByArg::Event => Some(GroupBy::Event),
            GroupByArg::Rule => Some(GroupBy::Rule),
            GroupByArg::Principal => Some(GroupBy::Principal),
            GroupByArg::None => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GroupByArg::Event => "event",
            GroupByArg::Rule => "rule",
            GroupByArg::Principal => "principal",
            GroupByArg::None => "none",
        }
    }
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The id of the rule to explain
    #[arg(long = "rule", value_name = "ID")]
    pub rule: String,
    /// A file with the event(s): any shape `scan` reads (one event, Records, array, JSON Lines, gzip)
    #[arg(value_name = "EVENT_FILE")]
    pub event_file: String,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct RuleSelection {
    /// Rule file or directory (searched recursively for *.yaml, *.yml). Repeatable. Replaces the
    /// built-in rules unless --builtin is also given.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Also load the built-in rules when --rules is given (they are loaded anyway without --rules)
    #[arg(long)]
    pub builtin: bool,
}

/// Which of the loaded rules to keep.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Keep rules of this pack (`aws/cis`) or of the packs under it (`aws`). Repeatable: any
    #[arg(long = "pack", value_name = "PACK")]
    pub packs: Vec<String>,
    /// Keep rules with this tag (`iam`, `attack.t1078`). Repeatable: any
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Keep rules of this severity or more serious
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub severity: Option<SeverityArg>,
    /// Keep rules mapped to this compliance framework: a key of `compliance`
    /// (`cis-aws-foundations-v5.0.0`) or its name without version (`cis-aws-foundations`).
    /// Repeatable: any
    #[arg(long = "framework", value_name = "NAME")]
    pub frameworks: Vec<String>,
    /// Where trailgate.toml gave `pack`, `tag` or `framework` (`file:line:column`), by key:
    /// an error about one of their values points there.
    #[arg(skip)]
    pub config_locations: std::collections::BTreeMap<&'static str, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Trail files or directories (searched recursively), `s3://bucket/prefix` URLs (every object
    /// under the prefix); `-` reads standard input
    /// [default: `paths` of trailgate.toml]
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,
    /// Also scan the paths and S3 URLs listed in FILE, one a line (`-`: standard input), e.g.
    /// a share of the objects handed out by a scheduler
    #[arg(long, value_name = "FILE")]
    pub paths_from: Option<PathBuf>,
    /// Endpoint of an S3-compatible store (MinIO, Ceph, a test server) for s3:// inputs
    /// [default: AWS_ENDPOINT_URL, else AWS]
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// S3 requests in flight at once (listing, and objects fetched ahead of the workers)
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub s3_concurrency: u16,
    #[command(flatten)]
    pub selection: RuleSelection,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Output format of the report on standard output, or of a bare `--output PATH` [default: text]
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write a report to PATH (`-` is standard output). `FORMAT=PATH` picks its format, e.g.
    /// `-o sarif=out.sarif -o junit=out.xml -o text=-`; a bare PATH uses --format. Repeatable:
    /// the scan runs once for all of them
    #[arg(long, short = 'o', value_name = "[FORMAT=]PATH", value_parser = parse_output)]
    pub output: Vec<OutputArg>,
    /// Directory SARIF file locations are relative to; use the repository root when uploading to
    /// GitHub code scanning [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,
    /// An earlier JSON, JSON Lines or SARIF report: its findings are marked unchanged and only new
    /// ones count toward --fail-on
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// A state store kept between runs (a directory, created if missing): files scanned before
    /// with the same rules are not read again, and first_seen rules remember what earlier runs
    /// saw. One run at a time per store
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// With --state: read every file again, even those the store says were scanned (first_seen
    /// history is kept)
    #[arg(long)]
    pub rescan: bool,
    /// Exit with 1 when a finding (a new one, with --baseline) has this severity or higher; `never`
    /// never fails on findings
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Worker threads (default: one per core)
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Largest decoded size of one trail file, e.g. 512M or 4G; bigger files are reported as errors
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Largest size of one record (one event's JSON text, one JSON Lines line), e.g. 16M; bigger
    /// records are refused unread and reported, the rest of the file is scanned
    #[arg(long, value_name = "SIZE", default_value = "2M", value_parser = parse_size)]
    pub max_record_size: u64,
    /// When to colour text output
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Only events at or after this time: a date (2024-05-01, midnight UTC), a date and time
    /// (2024-05-01T12:00:00Z, +02:00 offsets) or a duration back from now (30d, 12h, 90m, 2w)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events before this time (exclusive), in the same forms as --since
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only events of this account (recipientAccountId, else userIdentity.accountId).
    /// Repeatable, or comma-separated
    #[arg(long = "account", value_name = "ID", value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Only events of this region (awsRegion). Repeatable, or comma-separated
    #[arg(long = "region", value_name = "REGION", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// No progress bar (it is shown on standard error only when that is a terminal)
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Exit with 1 when a suppression of the configuration file has expired
    #[arg(long)]
    pub fail_on_expired: bool,
    #[command(flatten)]
    pub audit: AuditArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Which configuration file to read.
#[derive(Debug, Args, Default, Clone)]
pub struct ConfigArgs {
    /// Read this configuration file [default: trailgate.toml in the current directory or the
    /// nearest parent, up to the repository root]
    #[arg(long = "config", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Read no configuration file
    #[arg(long, conflicts_with = "file")]
    pub no_config: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules that would be loaded
    List(ListArgs),
    /// Check rule files and report every error with its file, line and column
    Validate(ValidateArgs),
    /// Run the test cases written in rule files (`tests:`)
    Test(TestArgs),
    /// Print the JSON Schema of rule files (also at docs/rule.schema.json)
    Schema,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rule files or directories; without any, the built-in rules are tested
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also test the built-in rules when paths are given
    #[arg(long)]
    pub builtin: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub format: TestFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub selection: RuleSelection,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Output format (`markdown` is the catalog in docs/rules-catalog.md)
    #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
    pub format: CatalogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Rule files or directories; without any, the built-in rules are validated
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Html,
    Markdown,
    Csv,
}

impl FormatArg {
    pub fn format(self) -> Format {
        match self {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Junit => Format::Junit,
            FormatArg::Html => Format::Html,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// One `--output`: an explicit format (or `--format`'s) and where the report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputArg {
    pub format: Option<Format>,
    /// `None` is standard output (`-`).
    pub path: Option<PathBuf>,
}

/// `sarif=out.sarif`, `text=-`, or a bare path. A prefix before `=` that is not a path must be a
/// format name: `xml=out.xml` is a mistake to report, not a file to create.
pub(super) fn parse_output(text: &str) -> Result<OutputArg, String> {
    let (format, path) = match text.split_once('=') {
        Some((prefix, path)) if !prefix.is_empty() && !prefix.contains(['/', '\\', '.']) => {
            match Format::from_name(prefix) {
                Some(format) => (Some(format), path),
                None => {
                    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                    return Err(format!(
                        "unknown format `{prefix}`; use one of {} (write ./{text} for a file with that name)",
                        names.join(", ")
                    ));
                }
            }
        }
        _ => (None, text),
    };
    match path {
        "" => Err(format!(
            "`{text}` names no file; write FORMAT=PATH, or FORMAT=- for standard output"
        )),
        "-" => Ok(OutputArg { format, path: None }),
        path => Ok(OutputArg {
            format,
            path: Some(PathBuf::from(path)),
        }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// `1024`, `64K`, `512M`, `4G` (powers of 1024).
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write e.g. 512M or 4G"))?;
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown size unit in `{text}`; use K, M, G or T")),
    };
    number
        .checked_mul(1u64 << shift)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("3X").is_err());
    }

    #[test]
    fn outputs() {
        let out = |format, path: Option<&str>| {
            Ok(OutputArg {
                format,
                path: path.map(PathBuf::from),
            })
        };
        assert_eq!(parse_output("out.txt"), out(None, Some("out.txt")));
        assert_eq!(parse_output("-"), out(None, None));
        assert_eq!(
            parse_output("sarif=out/x.sarif"),
            out(Some(Format::Sarif), Some("out/x.sarif"))
        );
        assert_eq!(parse_output("text=-"), out(Some(Format::Text), None));
        assert_eq!(
            parse_output("./xml=a"),
            out(None, Some("./xml=a")),
            "a path that happens to hold `=`"
        );
        assert_eq!(parse_output("a.b=c"), out(None, Some("a.b=c")));
        assert!(parse_output("xml=out.xml")
            .unwrap_err()
            .contains("unknown format `xml`"));
        assert!(parse_output("json=").unwrap_err().contains("names no file"));
        assert!(parse_output("").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
