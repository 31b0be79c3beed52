//! The commands in the tutorials run for real: each `$ trailgate ...` line in a ```console block
//! is executed from the repository root and must print exactly what the page shows (stdout, then
//! stderr) and exit with the code after it (`[exit N]`, 0 when absent). Each ```yaml block marked
//! `<!-- file: PATH -->` must equal that file. `scripts/render_docs.py PAGE.md` refreshes a page.

mod common;

use common::trailgate;

const PAGES: [&str; 4] = [
    "docs/writing-rules.md",
    "docs/rules.md",
    "docs/cli.md",
    "docs/audit-reports.md",
];

struct Command {
    line: usize,
    args: Vec<String>,
    output: Vec<String>,
    exit: i32,
}

fn commands(page: &str) -> (Vec<Command>, Vec<(usize, String, String)>) {
    let text = std::fs::read_to_string(page).unwrap();
    let mut commands: Vec<Command> = Vec::new();
    let mut files = Vec::new();
    let mut fence: Option<String> = None;
    let mut file_marker: Option<String> = None;
    let mut block = String::new();
    for (i, line) in text.lines().enumerate() {
        match &fence {
            None => {
                if let Some(path) = line
                    .strip_prefix("<!-- file: ")
                    .and_then(|l| l.strip_suffix(" -->"))
                {
                    file_marker = Some(path.to_string());
                } else if let Some(lang) = line.strip_prefix("```") {
                    fence = Some(lang.to_string());
                    block.clear();
                }
            }
            Some(lang) => {
                if line == "```" {
                    if let Some(path) = file_marker.take() {
                        files.push((i, path, block.clone()));
                    }
                    fence = None;
                } else if lang == "console" {
                    if let Some(cmd) = line.strip_prefix("$ ") {
                        let mut words = cmd.split_whitespace().map(str::to_string);
                        assert_eq!(
                            words.next().as_deref(),
                            Some("trailgate"),
                            "{page}:{}",
                            i + 1
                        );
                        commands.push(Command {
                            line: i + 1,
                            args: words.collect(),
                            output: Vec::new(),
                            exit: 0,
                        });
                    } else if let Some(code) = line
                        .strip_prefix("[exit ")
                        .and_then(|l| l.strip_suffix(']'))
                    {
                        commands.last_mut().unwrap().exit = code.parse().unwrap();
                    } else {
                        commands
                            .last_mut()
                            .expect("output after a command")
                            .output
                            .push(line.to_string());
                    }
                } else {
                    block.push_str(line);
                    block.push('\n');
                }
            }
        }
    }
    (commands, files)
}

#[test]
fn tutorial_commands_print_what_the_pages_show() {
    for page in PAGES {
        let (commands, _) = commands(page);
        assert!(!commands.is_empty(), "{page} has its commands");
        for command in commands {
            let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
            let run = trailgate(&args);
            let actual = format!("{}{}", run.stdout, run.stderr);
            let expected = command.output.join("\n");
            assert_eq!(
                actual.trim_end(),
                expected.trim_end(),
                "{page}:{}: output differs",
                command.line
            );
            assert_eq!(run.code, command.exit, "{page}:{}: exit code", command.line);
        }
    }
}

#[test]
fn tutorial_files_match_the_repository() {
    let mut checked = 0;
    for page in PAGES {
        let (_, files) = commands(page);
        checked += files.len();
        for (line, path, shown) in files {
            let actual = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                actual, shown,
                "{page}:{line}: the block differs from {path}"
            );
        }
    }
    assert!(checked > 0, "the pages show their example files");
}
