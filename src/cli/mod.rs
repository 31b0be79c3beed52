//! The command-line glue: parse arguments, plan (`plan.rs`), call the library, write the output,
//! pick the exit code. One file per command (`scan.rs`, `report.rs`, `rules.rs`, `explain.rs`)
//! and the output handling they share (`output.rs`); this file only dispatches.

mod args;
mod config_cmd;
mod explain;
mod manual;
mod output;
pub mod plan;
pub mod progress;
mod report;
mod rules;
mod scan;
mod settings;

use std::ffi::OsString;
use std::io::{self, Write};

use clap::{CommandFactory, FromArgMatches};

pub use args::Cli;
use args::{Command, ConfigCommand, RulesCommand};
pub use report::report;
pub use rules::load_rules;
pub use scan::scan;

use crate::config::suppress::{Day, Suppressor};
use crate::exit::ExitStatus;
use crate::time::Timestamp;
/// Facts about the process's surroundings: the terminal (colour, the progress bar) and the
/// clock (relative `--since` / `--until`), given by `main` and fixed by tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Terminal {
    pub stdout_is_tty: bool,
    /// Standard error is a terminal: the progress bar may be shown there.
    pub stderr_is_tty: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// The current time; `None` reads the system clock.
    pub now: Option<Timestamp>,
}

/// Runs trailgate with `args` (including the program name) and returns the exit code.
pub fn run<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write, terminal: Terminal) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    // The matches are kept: a configuration file fills only the flags the command line left out.
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(err) => {
            let code = if err.use_stderr() {
                ExitStatus::Usage.code()
            } else {
                0
            };
            let rendered = err.render().to_string();
            let _ = if err.use_stderr() {
                stderr.write_all(rendered.as_bytes())
            } else {
                stdout.write_all(rendered.as_bytes())
            };
            return code;
        }
    };
    let now = terminal.now.unwrap_or_else(Timestamp::now);
    let empty = clap::ArgMatches::default();
    let sub = |name: &str| matches.subcommand_matches(name).unwrap_or(&empty);
    let result = match cli.command {
        Command::Scan(mut args) => match config_cmd::prepare(&mut args, sub("scan"), stderr, now) {
            Ok(Ok(prepared)) => {
                let suppressions = prepared.config.map(|c| c.suppressions).unwrap_or_default();
                let suppressor = Suppressor::new(suppressions, Day::today(now));
                let text_on_stdout = plan::text_on_standard_output(&args);
                scan::run_scan(&args, &suppressor, stdout, stderr, terminal).and_then(|status| {
                    scan::finish_suppressions(
                        &suppressor,
                        (args.fail_on_expired, text_on_stdout),
                        status,
                        stderr,
                    )
                })
            }
            Ok(Err(status)) => Ok(status),
            Err(err) => Err(err),
        },
        Command::Config(ConfigCommand::Show(args)) => {
            let show = sub("config").subcommand_matches("show").unwrap_or(&empty);
            config_cmd::run_show(*args, show, stdout, stderr, now)
        }
        Command::Config(ConfigCommand::Schema) => stdout
            .write_all(crate::config::schema::config_schema_text().as_bytes())
            .map(|()| ExitStatus::Clean),
        Command::Completions(args) => {
            manual::completions(args.shell, stdout);
            Ok(ExitStatus::Clean)
        }
        Command::Man(args) => match &args.dir {
            None => manual::man_page(stdout).map(|()| ExitStatus::Clean),
            Some(dir) => manual::man_pages(dir).and_then(|names| {
                writeln!(stdout, "wrote {} pages to {}", names.len(), dir.display())?;
                Ok(ExitStatus::Clean)
            }),
        },
        Command::Rules(RulesCommand::List(args)) => rules::run_list(&args, stdout, stderr),
        Command::Rules(RulesCommand::Validate(args)) => rules::run_validate(&args, stdout, stderr),
        Command::Rules(RulesCommand::Test(args)) => rules::run_test(&args, stdout, stderr),
        Command::Rules(RulesCommand::Schema) => rules::run_schema(stdout),
        Command::Explain(args) => explain::run_explain(&args, stdout, stderr),
        Command::Report(args) => report::run_report(&args, stdout, stderr, terminal),
    };
    match result {
        Ok(status) => status.code(),
        // A closed pipe (`trailgate scan ... | head`) is not an error worth a message.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(err) => {
            let _ = writeln!(stderr, "error: {err}");
            ExitStatus::Usage.code()
        }
    }
}
