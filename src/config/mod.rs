//! The project configuration file, `trailgate.toml`: where it is found, what it may hold, and
//! its errors (file:line:column and a suggestion, like rule files). It knows nothing of the
//! command line: the scan plan reads a loaded [`Config`] and lets flags win.
//!
//! Relative paths in the file are relative to the file's directory, so a scan started from any
//! directory of the repository reads the same rules and writes the same reports.

pub mod error;
pub mod file;
pub mod schema;
pub mod suppress;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use error::ConfigError;
pub use file::ConfigFile;
use file::{List, SuppressSpec};
use suppress::{Day, Pattern, Suppression};

/// The file name looked for in the current directory and its parents.
pub const FILE_NAME: &str = "trailgate.toml";

/// A configuration file is small; anything larger is a mistake, not a file to hold in memory.
const MAX_BYTES: u64 = 1 << 20;

/// A loaded, checked configuration file.
#[derive(Debug)]
pub struct Config {
    /// The file as it is named in messages.
    pub path: PathBuf,
    /// The directory relative paths in the file start from.
    pub dir: PathBuf,
    pub file: ConfigFile,
    pub suppressions: Vec<Suppression>,
    text: String,
}

impl Config {
    /// Reads and checks `path`: every problem is reported, each with its position.
    pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
        Config::load_as(path, path)
    }

    /// Reads the file at `read` and names it `path`: the path from the current directory, which
    /// relative paths in the file are resolved against.
    pub fn load_as(read: &Path, path: &Path) -> Result<Config, Vec<ConfigError>> {
        let name = path.display().to_string();
        let text = read_text(read).map_err(|message| vec![ConfigError::file(&name, message)])?;
        // A file in the current directory has the empty directory: its paths stay as written.
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::parse(path.to_path_buf(), dir, text)
    }

    /// Checks the text of a configuration file; `dir` is where its relative paths start.
    pub fn parse(path: PathBuf, dir: PathBuf, text: String) -> Result<Config, Vec<ConfigError>> {
        let name = path.display().to_string();
        let file: ConfigFile = toml::from_str(&text)
            .map_err(|err| vec![ConfigError::from_toml(&name, &text, &err)])?;
        let mut errors = Vec::new();
        let suppressions = file
            .suppress
            .iter()
            .enumerate()
            .filter_map(
                |(i, spec)| match compile_suppression(&name, &text, i, spec) {
                    Ok(suppression) => Some(suppression),
                    Err(mut problems) => {
                        errors.append(&mut problems);
                        None
                    }
                },
            )
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            path,
            dir,
            file,
            suppressions,
            text,
        })
    }

    /// `file:line:column` of a value in the file.
    pub fn location(&self, span: &Range<usize>) -> String {
        let (line, column) = error::line_column(&self.text, span.start);
        format!("{}:{line}:{column}", self.path.display())
    }

    /// An error about a value of the file, for checks made after loading (the scan plan).
    pub fn error(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::at(
            &self.path.display().to_string(),
            &self.text,
            span.clone(),
            key,
            message,
        )
    }

    /// A path written in the file, made relative to the current directory's view: absolute
    /// paths and `-` (standard input or output) are kept as they are.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let given = Path::new(path);
        if path == "-" || given.is_absolute() {
            given.to_path_buf()
        } else {
            self.dir.join(given)
        }
    }

    /// A scan input written in the file: s3:// URLs and `-` are kept, paths are resolved.
    pub fn resolve_input(&self, input: &str) -> String {
        if input.starts_with("s3://") || input == "-" {
            input.to_string()
        } else {
            self.resolve(input).display().to_string()
        }
    }
}

/// The configuration file that applies in `start`: `trailgate.toml` in it or in the nearest
/// parent, looking no higher than the repository root (a directory holding `.git`). The path is
/// relative to `start` (`trailgate.toml`, `../../trailgate.toml`), as a user there would write it.
pub fn discover(start: &Path) -> Option<PathBuf> {
    for (up, dir) in start.ancestors().enumerate() {
        if dir.join(FILE_NAME).is_file() {
            let mut relative = PathBuf::new();
            for _ in 0..up {
                relative.push("..");
            }
            return Some(relative.join(FILE_NAME));
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|err| format!("cannot read: {err}"))?;
    let mut text = String::new();
    let read = file
        .take(MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|err| format!("cannot read: {err}"))?;
    if read as u64 > MAX_BYTES {
        return Err(format!(
            "larger than {} KiB: not a configuration file",
            MAX_BYTES >> 10
        ));
    }
    Ok(text)
}

fn compile_suppression(
    name: &str,
    text: &str,
    index: usize,
    spec: &toml::Spanned<SuppressSpec>,
) -> Result<Suppression, Vec<ConfigError>> {
    let key = |field: &str| format!("suppress[{index}].{field}");
    let mut errors = Vec::new();
    let spec_span = spec.span();
    let spec = spec.get_ref();
    let rule = match Pattern::new(spec.rule.get_ref().trim()) {
        Ok(pattern) if !spec.rule.get_ref().trim().is_empty() => Some(pattern),
        Ok(_) => {
            errors.push(
                ConfigError::at(
                    name,
                    text,
                    spec.rule.span(),
                    &key("rule"),
                    "the rule is empty",
                )
                .with_help("write a rule id, or a glob such as `aws-iam-*`"),
            );
            None
        }
        Err(message) => {
            errors.push(ConfigError::at(
                name,
                text,
                spec.rule.span(),
                &key("rule"),
                message,
            ));
            None
        }
    };
    let mut patterns = |field: &str, list: &Option<toml::Spanned<List>>| -> Vec<Pattern> {
        let Some(list) = list else {
            return Vec::new();
        };
        list.get_ref()
            .0
            .iter()
            .filter_map(|p| match Pattern::new(p) {
                Ok(pattern) => Some(pattern),
                Err(message) => {
                    errors.push(ConfigError::at(
                        name,
                        text,
                        list.span(),
                        &key(field),
                        message,
                    ));
                    None
                }
            })
            .collect()
    };
    let principals = patterns("principal", &spec.principal);
    let values = |list: &Option<toml::Spanned<List>>| -> Vec<String> {
        list.as_ref()
            .map(|l| l.get_ref().0.iter().map(|v| v.trim().to_string()).collect())
            .unwrap_or_default()
    };
    for (field, list) in [
        ("account", &spec.account),
        ("region", &spec.region),
        ("principal", &spec.principal),
        ("event-name", &spec.event_name),
    ] {
        if let Some(list) = list {
            if list.get_ref().0.is_empty() || list.get_ref().0.iter().any(|v| v.trim().is_empty()) {
                errors.push(
                    ConfigError::at(
                        name,
                        text,
                        list.span(),
                        &key(field),
                        "an empty value matches nothing",
                    )
                    .with_help(format!("remove `{field}` to match any, or name a value")),
                );
            }
        }
    }
    if spec.reason.get_ref().trim().is_empty() {
        errors.push(
            ConfigError::at(
                name,
                text,
                spec.reason.span(),
                &key("reason"),
                "the reason is empty",
            )
            .with_help("say why these findings are accepted: it is shown in every report"),
        );
    }
    let expires = match &spec.expires {
        None => None,
        Some(date) => match Day::parse(&date.get_ref().0) {
            Some(day) => Some(day),
            None => {
                errors.push(
                    ConfigError::at(
                        name,
                        text,
                        date.span(),
                        &key("expires"),
                        format!("`{}` is not a date", date.get_ref().0),
                    )
                    .with_help("write the last day it applies, e.g. `expires = 2025-03-31`"),
                );
                None
            }
        },
    };
    let (line, _) = error::line_column(text, spec_span.start);
    match rule {
        Some(rule) if errors.is_empty() => Ok(Suppression {
            rule,
            accounts: values(&spec.account),
            regions: values(&spec.region),
            principals,
            event_names: values(&spec.event_name),
            reason: spec.reason.get_ref().trim().to_string(),
            expires,
            origin: format!("{name}:{line}"),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
        Config::parse(
            PathBuf::from("repo/trailgate.toml"),
            PathBuf::from("repo"),
            text.to_string(),
        )
    }

    fn first_error(text: &str) -> String {
        parse(text).expect_err("refused").remove(0).to_string()
    }

    #[test]
    fn reads_every_kind_of_key() {
        let config = parse(
            r#"#:schema ./docs/config.schema.json
paths = "AWSLogs"
rules = ["my-rules", "/abs/rules"]
builtin = true
pack = ["aws/cis", "aws/threats"]
severity = "medium"
fail-on = "high"
fail-on-expired = true
since = 2024-05-01
until = "30d"
account = "111122223333"
output = ["sarif=out.sarif", "text=-"]
max-file-size = "512M"
threads = 2

[[suppress]]
rule = "aws-iam-*"
principal = "arn:aws:sts::111122223333:assumed-role/deployer/*"
reason = "the deployer assumes roles by design"
expires = 2025-03-31
"#,
        )
        .expect("valid");
        let file = &config.file;
        assert_eq!(
            file.pack.as_ref().unwrap().get_ref().0,
            ["aws/cis", "aws/threats"]
        );
        assert_eq!(file.paths.as_ref().unwrap().get_ref().0, ["AWSLogs"]);
        assert_eq!(file.since.as_ref().unwrap().get_ref().0, "2024-05-01");
        assert_eq!(file.fail_on.as_ref().unwrap().get_ref().as_str(), "high");
        assert_eq!(file.max_file_size.as_ref().unwrap().get_ref().0, "512M");
        assert_eq!(config.suppressions.len(), 1);
        let suppression = &config.suppressions[0];
        assert_eq!(suppression.origin, "repo/trailgate.toml:16");
        assert_eq!(
            suppression.expires.map(Day::to_date).as_deref(),
            Some("2025-03-31")
        );
        assert_eq!(config.resolve("my-rules"), PathBuf::from("repo/my-rules"));
        assert_eq!(config.resolve("/abs/rules"), PathBuf::from("/abs/rules"));
        assert_eq!(config.resolve_input("s3://b/p"), "s3://b/p");
        let span = file.fail_on.as_ref().unwrap().span();
        assert_eq!(config.location(&span), "repo/trailgate.toml:7:11");
    }

    #[test]
    fn unknown_keys_name_their_place_and_the_closest_key() {
        assert_eq!(
            first_error("pack = \"aws\"\nfial-on = \"high\"\n"),
            "repo/trailgate.toml:2:1: `fial-on`: unknown key `fial-on`\n  help: did you mean `fail-on`?"
        );
        let error =
            first_error("[[suppress]]\nrule = \"x\"\nreason = \"r\"\nexpire = 2025-01-01\n");
        assert!(
            error.starts_with("repo/trailgate.toml:4:1: `expire`: unknown key"),
            "{error}"
        );
        assert!(error.contains("did you mean `expires`?"), "{error}");
    }

    #[test]
    fn unknown_values_suggest_the_closest() {
        let error = first_error("fail-on = \"hgh\"\n");
        assert!(
            error.starts_with("repo/trailgate.toml:1:11: unknown value `hgh`"),
            "{error}"
        );
        assert!(error.contains("did you mean `high`?"), "{error}");
    }

    #[test]
    fn type_and_syntax_errors_have_positions() {
        let error = first_error("builtin = \"yes\"\n");
        assert!(error.starts_with("repo/trailgate.toml:1:11: "), "{error}");
        let error = first_error("pack = [1]\n");
        assert!(error.starts_with("repo/trailgate.toml:1:"), "{error}");
        let error = first_error("pack = \"aws\n");
        assert!(error.starts_with("repo/trailgate.toml:1:"), "{error}");
    }

    #[test]
    fn a_suppression_needs_a_reason() {
        let error = first_error("[[suppress]]\nrule = \"x\"\n");
        assert!(error.contains("missing required key `reason`"), "{error}");
        let errors = parse("[[suppress]]\nrule = \"x\"\nreason = \" \"\n[[suppress]]\nrule = \"[\"\nreason = \"r\"\nexpires = \"2025-02-30\"\n")
            .expect_err("refused");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{text:#?}");
        assert!(text[0]
            .starts_with("repo/trailgate.toml:3:10: `suppress[0].reason`: the reason is empty"));
        assert!(text[1]
            .starts_with("repo/trailgate.toml:5:8: `suppress[1].rule`: `[` is not a valid glob"));
        assert!(text[2].starts_with(
            "repo/trailgate.toml:7:11: `suppress[1].expires`: `2025-02-30` is not a date"
        ));
    }

    #[test]
    fn an_empty_condition_is_refused() {
        let error = first_error("[[suppress]]\nrule = \"x\"\nreason = \"r\"\naccount = []\n");
        assert!(
            error.contains("`suppress[0].account`: an empty value matches nothing"),
            "{error}"
        );
    }

    #[test]
    fn dates_with_times_are_not_expiry_days() {
        let error = first_error(
            "[[suppress]]\nrule = \"x\"\nreason = \"r\"\nexpires = 2025-03-31T10:00:00Z\n",
        );
        assert!(error.contains("is not a date"), "{error}");
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        let deep = repo.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir(repo.join(".git")).unwrap();
        std::fs::write(root.path().join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&deep), None, "not above the repository root");
        std::fs::write(repo.join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&deep), Some(PathBuf::from("../../trailgate.toml")));
        std::fs::write(deep.join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&deep), Some(PathBuf::from(FILE_NAME)));
    }

    #[test]
    fn load_reports_unreadable_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let error = Config::load(&missing).expect_err("missing").remove(0);
        assert!(error.to_string().contains("cannot read"), "{error}");
        let big = dir.path().join("big.toml");
        std::fs::write(&big, "#".repeat((MAX_BYTES + 1) as usize)).unwrap();
        let error = Config::load(&big).expect_err("big").remove(0);
        assert!(
            error.to_string().contains("not a configuration file"),
            "{error}"
        );
    }
}
