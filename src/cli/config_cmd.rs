//! `trailgate config show|schema`, and reading the configuration for `scan`: find the file,
//! feed it into the arguments (flags win), report its errors like rule errors.

use std::io::{self, Write};

use clap::ArgMatches;
use serde_json::json;

use super::args::{ConfigShowArgs, ScanArgs};
use super::settings::{self, Effective};
use crate::config::suppress::Day;
use crate::config::{Config, ConfigError};
use crate::exit::ExitStatus;
use crate::time::Timestamp;

/// A scan's configuration, read and fed into its arguments.
#[derive(Debug)]
pub(super) struct Prepared {
    pub config: Option<Config>,
    pub effective: Effective,
}

/// Reads the configuration that applies to a scan and fills `args` from it. On an error, it is
/// printed and the exit status is returned: nothing may run on a configuration that is wrong.
pub(super) fn prepare(
    args: &mut ScanArgs,
    matches: &ArgMatches,
    stderr: &mut dyn Write,
    now: Timestamp,
) -> io::Result<Result<Prepared, ExitStatus>> {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => {
            writeln!(stderr, "error: cannot tell the current directory ({err})")?;
            return Ok(Err(ExitStatus::Usage));
        }
    };
    let config =
        match settings::find_config(args.config.file.as_deref(), args.config.no_config, &cwd) {
            Ok(config) => config,
            Err(errors) => return write_config_errors(stderr, &errors).map(Err),
        };
    match settings::overlay(args, matches, config.as_ref(), now) {
        Ok(effective) => Ok(Ok(Prepared { config, effective })),
        Err(errors) => write_config_errors(stderr, &errors).map(Err),
    }
}

/// Prints every configuration error and a count.
fn write_config_errors(stderr: &mut dyn Write, errors: &[ConfigError]) -> io::Result<ExitStatus> {
    for error in errors {
        writeln!(stderr, "error: {error}")?;
    }
    let file = errors.first().map_or("", |e| e.file.as_str());
    writeln!(
        stderr,
        "{} in {file}; nothing was scanned",
        if errors.len() == 1 {
            "1 error".to_string()
        } else {
            format!("{} errors", errors.len())
        }
    )?;
    Ok(ExitStatus::Usage)
}

/// `trailgate config show`: the settings a scan with these arguments would run with.
pub(super) fn run_show(
    args: ConfigShowArgs,
    matches: &ArgMatches,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    now: Timestamp,
) -> io::Result<ExitStatus> {
    let json_output = args.json;
    let mut scan = args.scan;
    let prepared = match prepare(&mut scan, matches, stderr, now)? {
        Ok(prepared) => prepared,
        Err(status) => return Ok(status),
    };
    let file = prepared
        .config
        .as_ref()
        .map(|c| c.path.display().to_string());
    let today = Day::today(now);
    let suppressions: Vec<_> = prepared
        .config
        .iter()
        .flat_map(|c| &c.suppressions)
        .map(|s| {
            json!({
                "origin": s.origin,
                "rule": s.rule.as_str(),
                "reason": s.reason,
                "expires": s.expires.map(Day::to_date),
                "expired": s.is_expired(today),
            })
        })
        .collect();
    if json_output {
        let settings: serde_json::Map<String, serde_json::Value> = prepared
            .effective
            .settings
            .iter()
            .map(|s| {
                (
                    s.key.to_string(),
                    json!({ "value": s.value, "from": s.origin.describe() }),
                )
            })
            .collect();
        let document = json!({
            "config": file,
            "settings": settings,
            "suppressions": suppressions,
        });
        serde_json::to_writer_pretty(&mut *stdout, &document)?;
        writeln!(stdout)?;
        return Ok(ExitStatus::Clean);
    }
    match &prepared.config {
        Some(config) => writeln!(stdout, "configuration: {}", config.path.display())?,
        None if scan.config.no_config => writeln!(stdout, "configuration: none (--no-config)")?,
        None => writeln!(
            stdout,
            "configuration: none (no {} here or in a parent, up to the repository root)",
            crate::config::FILE_NAME
        )?,
    }
    writeln!(stdout)?;
    let rows: Vec<(String, String, String)> = prepared
        .effective
        .settings
        .iter()
        .map(|s| {
            let value = match &s.value {
                serde_json::Value::Null => "(not set)".to_string(),
                serde_json::Value::Array(items) if items.is_empty() => "[]".to_string(),
                other => other.to_string(),
            };
            (s.key.to_string(), value, s.origin.describe())
        })
        .collect();
    let key_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    for (key, value, origin) in &rows {
        writeln!(stdout, "{key:<key_width$}  {value:<value_width$}  {origin}")?;
    }
    if !suppressions.is_empty() {
        writeln!(stdout)?;
        writeln!(stdout, "suppressions:")?;
        for s in prepared.config.iter().flat_map(|c| &c.suppressions) {
            let expiry = match s.expires {
                None => "no expiry".to_string(),
                Some(day) if s.is_expired(today) => format!("EXPIRED {}", day.to_date()),
                Some(day) => format!("until {}", day.to_date()),
            };
            writeln!(
                stdout,
                "  {}  rule {}  ({expiry}): {}",
                s.origin,
                s.rule.as_str(),
                s.reason
            )?;
        }
    }
    Ok(ExitStatus::Clean)
}
