//! The configuration file fed into `scan`'s arguments before they are planned: a key of
//! `trailgate.toml` fills the flag of the same name unless that flag was given on the command
//! line (flags win). Also records where each effective setting came from, for
//! `trailgate config show`. Values the plan would refuse are checked here when they come from
//! the file, so the error names the file, line and column.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde_json::{json, Value};
use toml::Spanned;

use super::args::{self, ColorArg, FailOn, FormatArg, ScanArgs, SeverityArg};
use crate::config::file::{ColorName, FailOnName, FormatName, GroupByName, List, SeverityName};
use crate::config::{self, Config, ConfigError};
use crate::time::{parse_instant, Timestamp};

/// Where an effective setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Origin {
    CommandLine,
    /// `file:line:column` of the value in the configuration file.
    Config(String),
    Default,
    /// The recommended default rule set (`rule::recommended`), as nothing selects rules.
    Recommended,
}

impl Origin {
    pub(super) fn describe(&self) -> String {
        match self {
            Origin::CommandLine => "command line".into(),
            Origin::Config(location) => location.clone(),
            Origin::Default => "default".into(),
            Origin::Recommended => {
                "default: the recommended rule set, no informational rules (--severity info for all)"
                    .into()
            }
        }
    }
}

/// One effective setting: its key (the long flag's name), its value and its origin.
#[derive(Debug, Clone)]
pub(super) struct Setting {
    pub key: &'static str,
    pub value: Value,
    pub origin: Origin,
}

/// The outcome of feeding a configuration into `scan`'s arguments.
#[derive(Debug)]
pub(super) struct Effective {
    pub settings: Vec<Setting>,
}

/// Finds the configuration that applies: `--config PATH`, none with `--no-config`, else
/// `trailgate.toml` in `cwd` or its parents up to the repository root.
pub(super) fn find_config(
    explicit: Option<&Path>,
    no_config: bool,
    cwd: &Path,
) -> Result<Option<Config>, Vec<ConfigError>> {
    if no_config {
        return Ok(None);
    }
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match config::discover(cwd) {
            Some(found) => found,
            None => return Ok(None),
        },
    };
    Config::load_as(&cwd.join(&path), &path).map(Some)
}

/// Fills `args` from `config` where the command line left a flag out, checks the values taken
/// from the file, and lists every setting with its origin.
pub(super) fn overlay(
    args: &mut ScanArgs,
    matches: &ArgMatches,
    config: Option<&Config>,
    now: Timestamp,
) -> Result<Effective, Vec<ConfigError>> {
    let mut overlay = Overlay {
        matches,
        config,
        errors: Vec::new(),
        settings: Vec::new(),
    };
    let file = config.map(|c| &c.file);
    let resolve = |path: &str| config.map_or_else(|| PathBuf::from(path), |c| c.resolve(path));

    if let Some(list) = overlay.take("paths", "paths", file.and_then(|f| f.paths.as_ref())) {
        args.paths = list
            .0
            .iter()
            .map(|p| config.map_or_else(|| p.clone(), |c| c.resolve_input(p)))
            .collect();
    }
    overlay.record("paths", "paths", json!(args.paths));
    if let Some(path) = overlay.take(
        "paths-from",
        "paths_from",
        file.and_then(|f| f.paths_from.as_ref()),
    ) {
        args.paths_from = Some(resolve(path));
    }
    overlay.record("paths-from", "paths_from", json!(args.paths_from));
    if let Some(url) = overlay.take(
        "endpoint-url",
        "endpoint_url",
        file.and_then(|f| f.endpoint_url.as_ref()),
    ) {
        args.endpoint_url = Some(url.clone());
    }
    overlay.record("endpoint-url", "endpoint_url", json!(args.endpoint_url));
    if let Some(spanned) = overlay.spanned(
        "s3_concurrency",
        file.and_then(|f| f.s3_concurrency.as_ref()),
    ) {
        let n = *spanned.get_ref();
        if (1..=1024).contains(&n) {
            args.s3_concurrency = n;
        } else {
            overlay.error(
                spanned.span(),
                "s3-concurrency",
                format!("{n} is not in 1..=1024"),
            );
        }
    }
    overlay.record(
        "s3-concurrency",
        "s3_concurrency",
        json!(args.s3_concurrency),
    );

    if let Some(list) = overlay.take("rules", "rules", file.and_then(|f| f.rules.as_ref())) {
        args.selection.rules = list.0.iter().map(|p| resolve(p)).collect();
    }
    overlay.record("rules", "rules", json!(args.selection.rules));
    if let Some(builtin) = overlay.take("builtin", "builtin", file.and_then(|f| f.builtin.as_ref()))
    {
        args.selection.builtin = *builtin;
    }
    overlay.record("builtin", "builtin", json!(args.selection.builtin));
    if let Some(list) = overlay.take("pack", "packs", file.and_then(|f| f.pack.as_ref())) {
        args.filter.packs = list.0.clone();
        overlay.locate("pack", &mut args.filter.config_locations);
    }
    overlay.record("pack", "packs", json!(args.filter.packs));
    if let Some(list) = overlay.take("tag", "tags", file.and_then(|f| f.tag.as_ref())) {
        args.filter.tags = list.0.clone();
        overlay.locate("tag", &mut args.filter.config_locations);
    }
    overlay.record("tag", "tags", json!(args.filter.tags));
    if let Some(severity) = overlay.take(
        "severity",
        "severity",
        file.and_then(|f| f.severity.as_ref()),
    ) {
        args.filter.severity = Some(severity_arg(*severity));
    }
    overlay.record(
        "severity",
        "severity",
        json!(args.filter.severity.map(severity_name)),
    );
    if let Some(list) = overlay.take(
        "framework",
        "frameworks",
        file.and_then(|f| f.framework.as_ref()),
    ) {
        args.filter.frameworks = list.0.clone();
        overlay.locate("framework", &mut args.filter.config_locations);
    }
    overlay.record("framework", "frameworks", json!(args.filter.frameworks));
    // Nothing selects rules: the scan plan keeps the recommended default set, so say so here.
    let f = &args.filter;
    if args.selection.rules.is_empty()
        && f.packs.is_empty()
        && f.tags.is_empty()
        && f.severity.is_none()
        && f.frameworks.is_empty()
    {
        if let Some(setting) = overlay.settings.iter_mut().find(|s| s.key == "severity") {
            setting.value = json!(crate::rule::recommended::MIN_SEVERITY.as_str());
            setting.origin = Origin::Recommended;
        }
    }

    for (key, id, field, target) in [
        (
            "since",
            "since",
            file.and_then(|f| f.since.as_ref()),
            &mut args.since,
        ),
        (
            "until",
            "until",
            file.and_then(|f| f.until.as_ref()),
            &mut args.until,
        ),
    ] {
        if let Some(spanned) = overlay.spanned(id, field) {
            let text = &spanned.get_ref().0;
            match parse_instant(text, now) {
                Ok(_) => *target = Some(text.clone()),
                Err(message) => overlay.error(spanned.span(), key, message),
            }
        }
        let value = json!(target);
        overlay.record(key, id, value);
    }
    if let Some(list) = overlay.take("account", "accounts", file.and_then(|f| f.account.as_ref())) {
        args.accounts = split_commas(list);
    }
    overlay.record("account", "accounts", json!(args.accounts));
    if let Some(list) = overlay.take("region", "regions", file.and_then(|f| f.region.as_ref())) {
        args.regions = split_commas(list);
    }
    overlay.record("region", "regions", json!(args.regions));

    if let Some(format) = overlay.take("format", "format", file.and_then(|f| f.format.as_ref())) {
        args.format = Some(format_arg(*format));
    }
    overlay.record(
        "format",
        "format",
        json!(args.format.map(|f| f.format().name())),
    );
    if let Some(spanned) = overlay.spanned("output", file.and_then(|f| f.output.as_ref())) {
        let mut outputs = Vec::new();
        for text in &spanned.get_ref().0 {
            match args::parse_output(text) {
                Ok(mut output) => {
                    output.path = output.path.map(|p| resolve(&p.to_string_lossy()));
                    outputs.push(output);
                }
                Err(message) => overlay.error(spanned.span(), "output", message),
            }
        }
        args.output = outputs;
    }
    let outputs: Vec<String> = args
        .output
        .iter()
        .map(|o| {
            let path = o
                .path
                .as_ref()
                .map_or("-".into(), |p| p.display().to_string());
            match o.format {
                Some(format) => format!("{}={path}", format.name()),
                None => path,
            }
        })
        .collect();
    overlay.record("output", "output", json!(outputs));
    if let Some(path) = overlay.take(
        "sarif-root",
        "sarif_root",
        file.and_then(|f| f.sarif_root.as_ref()),
    ) {
        args.sarif_root = Some(resolve(path));
    }
    overlay.record("sarif-root", "sarif_root", json!(args.sarif_root));
    if let Some(path) = overlay.take(
        "baseline",
        "baseline",
        file.and_then(|f| f.baseline.as_ref()),
    ) {
        args.baseline = Some(resolve(path));
    }
    overlay.record("baseline", "baseline", json!(args.baseline));
    if let Some(path) = overlay.take("state", "state", file.and_then(|f| f.state.as_ref())) {
        args.state = Some(resolve(path));
    }
    overlay.record("state", "state", json!(args.state));
    if let Some(flag) = overlay.take("rescan", "rescan", file.and_then(|f| f.rescan.as_ref())) {
        args.rescan = *flag;
    }
    overlay.record("rescan", "rescan", json!(args.rescan));
    if let Some(fail_on) = overlay.take("fail-on", "fail_on", file.and_then(|f| f.fail_on.as_ref()))
    {
        args.fail_on = fail_on_arg(*fail_on);
    }
    overlay.record("fail-on", "fail_on", json!(fail_on_name(args.fail_on)));
    if let Some(flag) = overlay.take(
        "fail-on-expired",
        "fail_on_expired",
        file.and_then(|f| f.fail_on_expired.as_ref()),
    ) {
        args.fail_on_expired = *flag;
    }
    overlay.record(
        "fail-on-expired",
        "fail_on_expired",
        json!(args.fail_on_expired),
    );
    if let Some(color) = overlay.take("color", "color", file.and_then(|f| f.color.as_ref())) {
        args.color = color_arg(*color);
    }
    overlay.record("color", "color", json!(color_name(args.color)));

    if let Some(path) = overlay.take(
        "accounts",
        "account_names",
        file.and_then(|f| f.accounts.as_ref()),
    ) {
        args.audit.account_names = Some(resolve(path));
    }
    overlay.record("accounts", "account_names", json!(args.audit.account_names));
    if let Some(list) = overlay.take("geoip", "geoip", file.and_then(|f| f.geoip.as_ref())) {
        args.audit.geoip = list.0.iter().map(|p| resolve(p)).collect();
    }
    overlay.record("geoip", "geoip", json!(args.audit.geoip));
    if let Some(by) = overlay.take(
        "group-by",
        "group_by",
        file.and_then(|f| f.group_by.as_ref()),
    ) {
        args.audit.group_by = Some(match by {
            GroupByName::Event => args::GroupByArg::Event,
            GroupByName::Rule => args::GroupByArg::Rule,
            GroupByName::Principal => args::GroupByArg::Principal,
            GroupByName::None => args::GroupByArg::None,
        });
    }
    overlay.record(
        "group-by",
        "group_by",
        json!(args.audit.group_by.map(args::GroupByArg::name)),
    );

    if let Some(threads) = overlay.take("threads", "threads", file.and_then(|f| f.threads.as_ref()))
    {
        args.threads = *threads as usize;
    }
    overlay.record("threads", "threads", json!(args.threads));
    if let Some(spanned) =
        overlay.spanned("max_file_size", file.and_then(|f| f.max_file_size.as_ref()))
    {
        match args::parse_size(&spanned.get_ref().0) {
            Ok(size) => args.max_file_size = size,
            Err(message) => overlay.error(spanned.span(), "max-file-size", message),
        }
    }
    overlay.record("max-file-size", "max_file_size", json!(args.max_file_size));
    if let Some(spanned) = overlay.spanned(
        "max_record_size",
        file.and_then(|f| f.max_record_size.as_ref()),
    ) {
        match args::parse_size(&spanned.get_ref().0) {
            Ok(size) => args.max_record_size = size,
            Err(message) => overlay.error(spanned.span(), "max-record-size", message),
        }
    }
    overlay.record(
        "max-record-size",
        "max_record_size",
        json!(args.max_record_size),
    );
    if let Some(quiet) = overlay.take("quiet", "quiet", file.and_then(|f| f.quiet.as_ref())) {
        args.quiet = *quiet;
    }
    overlay.record("quiet", "quiet", json!(args.quiet));

    let Overlay {
        errors, settings, ..
    } = overlay;
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Effective { settings })
}

struct Overlay<'a> {
    matches: &'a ArgMatches,
    config: Option<&'a Config>,
    errors: Vec<ConfigError>,
    settings: Vec<Setting>,
}

impl<'a> Overlay<'a> {
    fn given_on_command_line(&self, id: &str) -> bool {
        matches!(
            self.matches.value_source(id),
            Some(ValueSource::CommandLine)
        )
    }

    /// The file's value for a flag the command line left out.
    fn spanned<T>(&self, id: &str, value: Option<&'a Spanned<T>>) -> Option<&'a Spanned<T>> {
        if self.given_on_command_line(id) {
            None
        } else {
            value
        }
    }

    fn take<T>(&self, _key: &str, id: &str, value: Option<&'a Spanned<T>>) -> Option<&'a T> {
        self.spanned(id, value).map(Spanned::get_ref)
    }

    /// Notes where the file gives `key`, for errors about its values found later.
    fn locate(
        &self,
        key: &'static str,
        locations: &mut std::collections::BTreeMap<&'static str, String>,
    ) {
        if let Some(config) = self.config {
            if let Some(span) = file_span(config, key) {
                locations.insert(key, config.location(&span));
            }
        }
    }

    fn error(&mut self, span: std::ops::Range<usize>, key: &str, message: String) {
        if let Some(config) = self.config {
            self.errors.push(config.error(&span, key, message));
        }
    }

    /// Records the effective value of `key`, and where it came from.
    fn record(&mut self, key: &'static str, id: &str, value: Value) {
        let origin = if self.given_on_command_line(id) {
            Origin::CommandLine
        } else {
            match self
                .config
                .and_then(|c| file_span(c, key).map(|span| c.location(&span)))
            {
                Some(location) => Origin::Config(location),
                None => Origin::Default,
            }
        };
        self.settings.push(Setting { key, value, origin });
    }
}

/// The position of a top-level key's value in the file, when the file sets it.
fn file_span(config: &Config, key: &str) -> Option<std::ops::Range<usize>> {
    let f = &config.file;
    fn span<T>(value: &Option<Spanned<T>>) -> Option<std::ops::Range<usize>> {
        value.as_ref().map(Spanned::span)
    }
    match key {
        "paths" => span(&f.paths),
        "paths-from" => span(&f.paths_from),
        "endpoint-url" => span(&f.endpoint_url),
        "s3-concurrency" => span(&f.s3_concurrency),
        "rules" => span(&f.rules),
        "builtin" => span(&f.builtin),
        "pack" => span(&f.pack),
        "tag" => span(&f.tag),
        "severity" => span(&f.severity),
        "framework" => span(&f.framework),
        "since" => span(&f.since),
        "until" => span(&f.until),
        "account" => span(&f.account),
        "region" => span(&f.region),
        "format" => span(&f.format),
        "output" => span(&f.output),
        "sarif-root" => span(&f.sarif_root),
        "baseline" => span(&f.baseline),
        "state" => span(&f.state),
        "rescan" => span(&f.rescan),
        "fail-on" => span(&f.fail_on),
        "fail-on-expired" => span(&f.fail_on_expired),
        "color" => span(&f.color),
        "accounts" => span(&f.accounts),
        "geoip" => span(&f.geoip),
        "group-by" => span(&f.group_by),
        "threads" => span(&f.threads),
        "max-file-size" => span(&f.max_file_size),
        "max-record-size" => span(&f.max_record_size),
        "quiet" => span(&f.quiet),
        _ => None,
    }
}

/// `account = ["1,2", "3"]` means what `--account 1,2 --account 3` means.
fn split_commas(list: &List) -> Vec<String> {
    list.0
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::to_string)
        .collect()
}

fn severity_arg(name: SeverityName) -> SeverityArg {
    match name {
        SeverityName::Info => SeverityArg::Info,
        SeverityName::Low => SeverityArg::Low,
        SeverityName::Medium => SeverityArg::Medium,
        SeverityName::High => SeverityArg::High,
        SeverityName::Critical => SeverityArg::Critical,
    }
}

fn severity_name(arg: SeverityArg) -> &'static str {
    match arg {
        SeverityArg::Info => "info",
        SeverityArg::Low => "low",
        SeverityArg::Medium => "medium",
        SeverityArg::High => "high",
        SeverityArg::Critical => "critical",
    }
}

fn fail_on_arg(name: FailOnName) -> FailOn {
    match name {
        FailOnName::Info => FailOn::Info,
        FailOnName::Low => FailOn::Low,
        FailOnName::Medium => FailOn::Medium,
        FailOnName::High => FailOn::High,
        FailOnName::Critical => FailOn::Critical,
        FailOnName::Never => FailOn::Never,
    }
}

fn fail_on_name(arg: FailOn) -> &'static str {
    match arg {
        FailOn::Info => "info",
        FailOn::Low => "low",
        FailOn::Medium => "medium",
        FailOn::High => "high",
        FailOn::Critical => "critical",
        FailOn::Never => "never",
    }
}

fn format_arg(name: FormatName) -> FormatArg {
    match name {
        FormatName::Text => FormatArg::Text,
        FormatName::Json => FormatArg::Json,
        FormatName::Jsonl => FormatArg::Jsonl,
        FormatName::Sarif => FormatArg::Sarif,
        FormatName::Junit => FormatArg::Junit,
        FormatName::Html => FormatArg::Html,
        FormatName::Markdown => FormatArg::Markdown,
        FormatName::Csv => FormatArg::Csv,
    }
}

fn color_arg(name: ColorName) -> ColorArg {
    match name {
        ColorName::Auto => ColorArg::Auto,
        ColorName::Always => ColorArg::Always,
        ColorName::Never => ColorArg::Never,
    }
}

fn color_name(arg: ColorArg) -> &'static str {
    match arg {
        ColorArg::Auto => "auto",
        ColorArg::Always => "always",
        ColorArg::Never => "never",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    use super::super::args::{Cli, Command};

    fn scan_args(argv: &[&str]) -> (ScanArgs, ArgMatches) {
        let mut all = vec!["trailgate", "scan"];
        all.extend_from_slice(argv);
        let matches = Cli::command()
            .try_get_matches_from(all)
            .expect("valid arguments");
        let cli = Cli::from_arg_matches(&matches).expect("valid arguments");
        let sub = matches.subcommand_matches("scan").expect("scan").clone();
        match cli.command {
            Command::Scan(args) => (*args, sub),
            _ => unreachable!(),
        }
    }

    fn config(text: &str) -> Config {
        Config::parse(
            PathBuf::from("repo/trailgate.toml"),
            PathBuf::from("repo"),
            text.to_string(),
        )
        .expect("valid configuration")
    }

    fn origin<'a>(effective: &'a Effective, key: &str) -> (&'a Value, &'a Origin) {
        let s = effective
            .settings
            .iter()
            .find(|s| s.key == key)
            .expect("every key is listed");
        (&s.value, &s.origin)
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_out() {
        let config = config(
            "paths = [\"trails\", \"s3://bucket/AWSLogs\"]\nfail-on = \"high\"\npack = \"aws/cis\"\nrules = \"team-rules\"\noutput = [\"sarif=out/x.sarif\", \"text=-\"]\nsince = 2024-05-01\naccount = \"1,2\"\n",
        );
        let (mut args, matches) = scan_args(&["--pack", "aws/threats"]);
        let effective =
            overlay(&mut args, &matches, Some(&config), Timestamp::from_secs(0)).unwrap();
        assert_eq!(args.paths, ["repo/trails", "s3://bucket/AWSLogs"]);
        assert_eq!(args.fail_on, FailOn::High);
        assert_eq!(args.filter.packs, ["aws/threats"], "the flag wins");
        assert_eq!(args.selection.rules, [PathBuf::from("repo/team-rules")]);
        assert_eq!(args.output[0].path, Some(PathBuf::from("repo/out/x.sarif")));
        assert_eq!(args.output[1].path, None);
        assert_eq!(args.since.as_deref(), Some("2024-05-01"));
        assert_eq!(args.accounts, ["1", "2"]);
        assert_eq!(
            origin(&effective, "fail-on").1,
            &Origin::Config("repo/trailgate.toml:2:11".into())
        );
        assert_eq!(origin(&effective, "pack").1, &Origin::CommandLine);
        assert_eq!(origin(&effective, "pack").0, &json!(["aws/threats"]));
        assert_eq!(origin(&effective, "threads").1, &Origin::Default);
    }

    #[test]
    fn bad_values_in_the_file_name_their_place() {
        let config = config("max-file-size = \"lots\"\nsince = \"yesterday\"\noutput = \"xml=out.xml\"\ns3-concurrency = 0\n");
        let (mut args, matches) = scan_args(&["trails"]);
        let errors =
            overlay(&mut args, &matches, Some(&config), Timestamp::from_secs(0)).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 4, "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.starts_with("repo/trailgate.toml:1:17: `max-file-size`:")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("repo/trailgate.toml:2:9: `since`:")),
            "{text:#?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("repo/trailgate.toml:3:10: `output`: unknown format `xml`")),
            "{text:#?}"
        );
        assert!(
            text.iter().any(|t| t
                .starts_with("repo/trailgate.toml:4:18: `s3-concurrency`: 0 is not in 1..=1024")),
            "{text:#?}"
        );
    }

    #[test]
    fn a_bad_value_the_command_line_overrides_is_not_an_error() {
        let config = config("since = \"yesterday\"\n");
        let (mut args, matches) = scan_args(&["--since", "2024-01-01", "trails"]);
        assert!(overlay(&mut args, &matches, Some(&config), Timestamp::from_secs(0)).is_ok());
    }

    #[test]
    fn every_scan_flag_is_a_key_of_the_file() {
        let schema = crate::config::schema::config_schema();
        let keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        let command = Cli::command();
        let scan = command.find_subcommand("scan").unwrap();
        for arg in scan.get_arguments() {
            let Some(long) = arg.get_long() else {
                if arg.get_id() == "paths" {
                    continue;
                }
                panic!("{} has no long flag", arg.get_id());
            };
            if matches!(long, "config" | "no-config" | "help") {
                continue;
            }
            assert!(
                keys.iter().any(|k| *k == long),
                "--{long} is not a key of trailgate.toml"
            );
        }
        let (mut args, matches) = scan_args(&["trails"]);
        let effective = overlay(&mut args, &matches, None, Timestamp::from_secs(0)).unwrap();
        for key in keys.iter().filter(|k| **k != "suppress") {
            assert!(
                effective.settings.iter().any(|s| s.key == key.as_str()),
                "{key} is not listed by config show"
            );
        }
    }

    #[test]
    fn discovery_and_opt_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        assert!(find_config(None, false, dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join(config::FILE_NAME), "fail-on = \"high\"\n").unwrap();
        let found = find_config(None, false, dir.path())
            .unwrap()
            .expect("found");
        assert_eq!(found.path, PathBuf::from(config::FILE_NAME));
        assert!(find_config(None, true, dir.path()).unwrap().is_none());
        let other = dir.path().join("other.toml");
        std::fs::write(&other, "fial-on = 1\n").unwrap();
        assert!(find_config(Some(&other), false, dir.path()).is_err());
    }
}
