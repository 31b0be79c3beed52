//! Shell completions and manual pages, generated from the clap definitions so they cannot drift
//! from the flags (`trailgate completions SHELL`, `trailgate man`).

use std::io::{self, Write};
use std::path::Path;

use clap::CommandFactory;

use super::args::Cli;

/// The completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "trailgate", out);
}

/// The top-level page, trailgate(1), in roff.
pub(super) fn man_page(out: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(Cli::command()).render(out)
}

/// trailgate.1 and one page per command (trailgate-scan.1, trailgate-rules-list.1, ...), written
/// to `dir`; returns the file names.
pub(super) fn man_pages(dir: &Path) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let command = Cli::command();
    let mut names = Vec::new();
    write_pages(&command, "trailgate", dir, &mut names)?;
    Ok(names)
}

fn write_pages(
    command: &clap::Command,
    name: &str,
    dir: &Path,
    names: &mut Vec<String>,
) -> io::Result<()> {
    // clap_mangen titles a page with the command's own name (`scan`); give it the full name.
    let file = format!("{name}.1");
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .title(name.to_string())
        .render(&mut page)?;
    std::fs::write(dir.join(&file), page)?;
    names.push(file);
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, names)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_with_every_command() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            for word in ["scan", "rules", "fail-on", "no-config", "completions"] {
                assert!(text.contains(word), "{shell}: no {word}");
            }
        }
    }

    #[test]
    fn pages_for_every_command() {
        let dir = tempfile::tempdir().unwrap();
        let names = man_pages(dir.path()).unwrap();
        for name in [
            "trailgate.1",
            "trailgate-scan.1",
            "trailgate-rules-list.1",
            "trailgate-config-show.1",
        ] {
            assert!(names.iter().any(|n| n == name), "{names:?}");
        }
        let scan = std::fs::read_to_string(dir.path().join("trailgate-scan.1")).unwrap();
        assert!(
            scan.starts_with(".ie \\n(.g .ds Aq") || scan.contains(".TH trailgate-scan 1"),
            "{scan}"
        );
        assert!(scan.contains("fail\\-on"), "{scan}");
        let mut top = Vec::new();
        man_page(&mut top).unwrap();
        let top = String::from_utf8(top).unwrap();
        assert!(top.contains(".TH trailgate 1"), "{top}");
        assert!(top.contains("Exit codes"), "{top}");
    }
}
