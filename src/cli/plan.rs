//! The planning step: command-line arguments (low level: what was typed) into a validated plan
//! (high level: what to do), as ripgrep turns its low-level arguments into high-level ones. The
//! plans are plain structs with no clap in them, so another front end (a config file) can fill
//! the same plan and the commands run it unchanged. Everything that can be checked before any
//! rule is loaded or any file read is checked here, so a typo costs nothing.

use std::io;
use std::path::{Path, PathBuf};

use super::args::{self, ColorArg, FailOn, FilterArgs, FormatArg, SeverityArg};
use crate::report::group::GroupBy;
use crate::report::{Enriched, Format};
use crate::rule::{recommended, RuleFilter, Severity};
use crate::scope::Scope;
use crate::source::ReadLimits;
use crate::time::{parse_instant, Timestamp};

/// Which rules to load and keep.
#[derive(Debug, Clone, Default)]
pub struct RulePlan {
    /// Rule files and directories.
    pub paths: Vec<PathBuf>,
    /// The built-in pack too (always when `paths` is empty).
    pub builtin: bool,
    /// The rules to keep of those loaded.
    pub filter: RuleFilter,
    /// Where the configuration file gave a filter key (`pack`, `tag`, `framework`), as
    /// `file:line:column`.
    pub locations: std::collections::BTreeMap<&'static str, String>,
}

/// One report to write: its format and where it goes (`None`: standard output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Whether text reports are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    #[default]
    Auto,
    Always,
    Never,
}

/// How `scan` and `report` write their reports and pick the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPlan {
    /// At most one goes to standard output; no two to the same file.
    pub destinations: Vec<Destination>,
    /// The `--fail-on` threshold; `None` for `never`.
    pub fail_on: Option<Severity>,
    pub color: Color,
    /// The directory trail names are relative to.
    pub cwd: PathBuf,
    /// SARIF locations are relative to this directory.
    pub sarif_root: PathBuf,
    /// `--group-by`: how people's formats group findings (`None`: one by one, as always).
    pub group_by: Option<GroupBy>,
    /// Which enrichment is on (`--accounts`, `--geoip`).
    pub enriched: Enriched,
}

/// The context files of `--accounts` and `--geoip`, opened by the command (they are read once,
/// before anything is scanned).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichPlan {
    pub accounts: Option<PathBuf>,
    pub geoip: Vec<PathBuf>,
}

/// Everything `trailgate scan` does, decided.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    pub rules: RulePlan,
    /// Paths and `s3://` URLs, those of `--paths-from` included, in order.
    pub inputs: Vec<String>,
    pub scope: Scope,
    pub baseline: Option<PathBuf>,
    /// `--state`: the state store's directory.
    pub state: Option<PathBuf>,
    /// `--rescan`: read every file, whatever the store says.
    pub rescan: bool,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    pub limits: ReadLimits,
    pub endpoint_url: Option<String>,
    pub s3_concurrency: usize,
    /// No progress bar.
    pub quiet: bool,
    pub enrich: EnrichPlan,
    pub output: OutputPlan,
}

/// Everything `trailgate report` does, decided.
#[derive(Debug, Clone)]
pub struct ReportPlan {
    pub rules: RulePlan,
    /// JSON Lines reports to merge.
    pub from: Vec<PathBuf>,
    pub baseline: Option<PathBuf>,
    /// `--state`: judge the shards' first-seen observations against this store.
    pub state: Option<PathBuf>,
    pub enrich: EnrichPlan,
    pub output: OutputPlan,
}

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub message: String,
    /// The options contradict each other (no consequence is worth saying), rather than a value
    /// being wrong or unreadable (then the caller adds what was not done).
    pub conflict: bool,
}

impl From<String> for PlanError {
    fn from(message: String) -> PlanError {
        PlanError {
            message,
            conflict: false,
        }
    }
}

fn conflict(message: String) -> PlanError {
    PlanError {
        message,
        conflict: true,
    }
}

/// Plans `trailgate scan`. `now` resolves relative times; standard input is read for
/// `--paths-from -`.
pub fn scan(args: &args::ScanArgs, now: Timestamp) -> Result<ScanPlan, PlanError> {
    let destinations = destinations(args.format, &args.output).map_err(conflict)?;
    let rules = recommended_unless_selected(
        rules(&args.selection, &args.filter),
        args.state.is_some(),
        !args.audit.geoip.is_empty(),
    );
    let output = output(
        destinations,
        args.fail_on,
        args.color,
        args.sarif_root.as_deref(),
        &args.audit,
    )?;
    let scope = scope(args, now)?;
    if args.rescan && args.state.is_none() {
        return Err(conflict(
            "--rescan needs --state DIR (or `state` in trailgate.toml): without a store every file is read anyway".into(),
        ));
    }
    let mut inputs = args.paths.clone();
    if let Some(list) = &args.paths_from {
        let listed = read_paths_from(list, &inputs)
            .map_err(|message| format!("--paths-from {}: {message}", list.display()))?;
        inputs.extend(listed);
    }
    Ok(ScanPlan {
        rules,
        inputs,
        scope,
        baseline: args.baseline.clone(),
        state: args.state.clone(),
        rescan: args.rescan,
        threads: args.threads,
        limits: ReadLimits {
            max_file_bytes: args.max_file_size,
            max_record_bytes: args.max_record_size,
        },
        endpoint_url: args.endpoint_url.clone(),
        s3_concurrency: usize::from(args.s3_concurrency),
        quiet: args.quiet,
        enrich: enrich(&args.audit),
        output,
    })
}

/// Plans `trailgate report`.
pub fn report(args: &args::ReportArgs) -> Result<ReportPlan, PlanError> {
    let destinations = destinations(args.format, &args.output).map_err(conflict)?;
    Ok(ReportPlan {
        // The rules its scans ran: the same default when nothing selects them.
        // (with --state, as `scan --state`, the first-seen rules are in the default set)
        rules: recommended_unless_selected(
            rules(&args.selection, &args.filter),
            args.state.is_some(),
            !args.audit.geoip.is_empty(),
        ),
        from: args.from.clone(),
        baseline: args.baseline.clone(),
        state: args.state.clone(),
        enrich: enrich(&args.audit),
        output: output(
            destinations,
            args.fail_on,
            args.color,
            args.sarif_root.as_deref(),
            &args.audit,
        )?,
    })
}

fn enrich(audit: &args::AuditArgs) -> EnrichPlan {
    EnrichPlan {
        accounts: audit.account_names.clone(),
        geoip: audit.geoip.clone(),
    }
}

/// The rule selection and filter flags.
pub fn rules(selection: &args::RuleSelection, filter: &FilterArgs) -> RulePlan {
    RulePlan {
        paths: selection.rules.clone(),
        builtin: selection.builtin,
        filter: RuleFilter {
            packs: filter.packs.clone(),
            tags: filter.tags.clone(),
            min_severity: filter.severity.map(|s| match s {
                SeverityArg::Info => Severity::Info,
                SeverityArg::Low => Severity::Low,
                SeverityArg::Medium => Severity::Medium,
                SeverityArg::High => Severity::High,
                SeverityArg::Critical => Severity::Critical,
            }),
            frameworks: filter.frameworks.clone(),
            without_first_seen: false,
            without_geoip: false,
        },
        locations: filter.config_locations.clone(),
    }
}

/// With no rule files and no filter, the recommended default set (`rule::recommended`) rather
/// than every built-in rule: a gate switched on with no flags must not fail on informational
/// activity. Any selection (a pack, a tag, `--severity info`, rule files) replaces it. The
/// first-seen rules are in it only for a scan that keeps a store (`with_state`), the rules that
/// read the GeoIP place only with databases (`with_geoip`).
fn recommended_unless_selected(mut plan: RulePlan, with_state: bool, with_geoip: bool) -> RulePlan {
    if plan.paths.is_empty() && plan.filter.is_empty() {
        plan.filter = recommended::filter(with_state, with_geoip);
    }
    plan
}

fn output(
    destinations: Vec<Destination>,
    fail_on: FailOn,
    color: ColorArg,
    sarif_root: Option<&Path>,
    audit: &args::AuditArgs,
) -> Result<OutputPlan, PlanError> {
    // SARIF locations are relative to a directory, and trail names to the current one.
    let cwd = std::env::current_dir()
        .map_err(|err| format!("cannot tell the current directory ({err})"))?;
    let sarif_root = sarif_root.map_or_else(|| cwd.clone(), |root| cwd.join(root));
    Ok(OutputPlan {
        destinations,
        fail_on: match fail_on {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        },
        color: match color {
            ColorArg::Auto => Color::Auto,
            ColorArg::Always => Color::Always,
            ColorArg::Never => Color::Never,
        },
        cwd,
        sarif_root,
        // People read one event once with every rule it raised, unless told otherwise.
        group_by: audit.group_by.map_or(
            Some(crate::report::group::GroupBy::Event),
            args::GroupByArg::group_by,
        ),
        enriched: Enriched {
            accounts: audit.account_names.is_some(),
            geo: !audit.geoip.is_empty(),
        },
    })
}

/// Whether `scan` with these arguments writes a text report to standard output (whose summary
/// then says what standard error would).
pub fn text_on_standard_output(args: &args::ScanArgs) -> bool {
    destinations(args.format, &args.output).is_ok_and(|list| {
        list.iter()
            .any(|d| d.format == Format::Text && d.path.is_none())
    })
}

/// Turns `--format` and the `--output`s into the reports to write, or says why they make no
/// sense together.
fn destinations(
    format: Option<FormatArg>,
    output: &[args::OutputArg],
) -> Result<Vec<Destination>, String> {
    let default = format.map_or(Format::Text, FormatArg::format);
    if output.is_empty() {
        return Ok(vec![Destination {
            format: default,
            path: None,
        }]);
    }
    let list: Vec<Destination> = output
        .iter()
        .map(|o| Destination {
            format: match o.format.unwrap_or(default) {
                // `-o principals=FILE.json` is the JSON form.
                Format::Principals
                    if o.path.as_ref().is_some_and(|p| {
                        p.extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
                    }) =>
                {
                    Format::PrincipalsJson
                }
                format => format,
            },
            path: o.path.clone(),
        })
        .collect();
    if let Some(format) = format {
        if output.iter().all(|o| o.format.is_some()) {
            let name = format.format().name();
            return Err(format!(
                "--format {name} is not used: every --output names its own format; add `-o {name}=-` to also write it to standard output"
            ));
        }
    }
    if list.iter().filter(|d| d.path.is_none()).count() > 1 {
        return Err(
            "more than one report goes to standard output (`-`); send all but one to files".into(),
        );
    }
    for (i, d) in list.iter().enumerate() {
        if let Some(path) = &d.path {
            if list[..i].iter().any(|e| e.path.as_ref() == Some(path)) {
                return Err(format!(
                    "two reports would be written to {}; give each its own file",
                    path.display()
                ));
            }
        }
    }
    Ok(list)
}

/// The inputs listed in a `--paths-from` file (`-`: standard input), one a line; blank lines
/// are left out.
fn read_paths_from(list: &Path, given: &[String]) -> Result<Vec<String>, String> {
    let text = if list.as_os_str() == "-" {
        if given.iter().any(|p| p == "-") {
            return Err(
                "standard input cannot hold both the list and a trail (`-` given twice)".into(),
            );
        }
        let mut text = String::new();
        io::Read::read_to_string(&mut io::stdin().lock(), &mut text)
            .map_err(|err| format!("cannot read standard input: {err}"))?;
        text
    } else {
        std::fs::read_to_string(list).map_err(|err| format!("cannot read: {err}"))?
    };
    let paths: Vec<String> = text
        .lines()
        .map(|l| l.trim_end_matches('\r').trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if paths.is_empty() && given.is_empty() {
        return Err("the list names no path (one path or s3:// URL a line)".into());
    }
    Ok(paths)
}

/// The scope filters, with relative times taken back from `now`.
fn scope(args: &args::ScanArgs, now: Timestamp) -> Result<Scope, String> {
    let time = |flag: &str, value: &Option<String>| -> Result<Option<Timestamp>, String> {
        value
            .as_deref()
            .map(|v| parse_instant(v, now).map_err(|e| format!("{flag}: {e}")))
            .transpose()
    };
    let since = time("--since", &args.since)?;
    let until = time("--until", &args.until)?;
    if let (Some(since), Some(until)) = (since, until) {
        if since >= until {
            return Err(format!(
                "--since {} is not before --until {}: the window holds no time",
                since.to_rfc3339(),
                until.to_rfc3339()
            ));
        }
    }
    let list = |values: &[String]| -> Vec<String> {
        let mut list: Vec<String> = values
            .iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        list.sort();
        list.dedup();
        list
    };
    Ok(Scope {
        since,
        until,
        accounts: list(&args.accounts),
        regions: list(&args.regions),
    })
}
