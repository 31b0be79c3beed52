//! Finding rule files (the embedded pack, files, directories), parsing them as YAML and compiling
//! them. All problems in all files are collected so that one run reports every one of them.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use serde_saphyr::DuplicateKeyPolicy;

use super::compile::compile;
use super::error::RuleError;
use super::spec::RuleSpec;
use super::Rule;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The text of one rule file and where it came from.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// How errors and findings name the file: a path, or `builtin:rules/...` for the embedded pack.
    pub name: String,
    pub text: String,
    /// The rule's pack: its directory relative to the rules root (`aws/autoscaling`).
    pub pack: String,
}

/// The embedded built-in rule files, in path order.
pub fn builtin_files() -> Vec<RuleFile> {
    embedded::BUILTIN_RULES
        .iter()
        .map(|(path, text)| RuleFile {
            name: format!("builtin:rules/{path}"),
            text: (*text).to_string(),
            pack: parent_of(path),
        })
        .collect()
}

/// Loads and compiles the built-in pack.
pub fn load_builtin() -> Result<Vec<Rule>, Vec<RuleError>> {
    compile_files(&builtin_files())
}

/// Loads every rule file under `paths` (files, or directories searched recursively for `*.yaml`
/// and `*.yml`) and compiles them. Also returns the files that were found.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Rule>, Vec<RuleError>> {
    let (files, mut errors) = read_paths(paths);
    match compile_files(&files) {
        Ok(rules) if errors.is_empty() => Ok(rules),
        Ok(_) => Err(errors),
        Err(mut compile_errors) => {
            errors.append(&mut compile_errors);
            Err(errors)
        }
    }
}

/// Reads rule files from disk without compiling them.
pub fn read_paths(paths: &[PathBuf]) -> (Vec<RuleFile>, Vec<RuleError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        let name = root.display().to_string();
        let metadata = match std::fs::metadata(root) {
            Ok(metadata) => metadata,
            Err(err) => {
                errors.push(
                    RuleError::new(
                        &name,
                        0,
                        0,
                        "",
                        format!("cannot read rule path: {}", io_reason(&err)),
                    )
                    .with_help("check the path given to --rules"),
                );
                continue;
            }
        };
        if metadata.is_dir() {
            let before = files.len();
            for entry in walkdir::WalkDir::new(root)
                .follow_links(true)
                .sort_by_file_name()
            {
                match entry {
                    Ok(entry) if entry.file_type().is_file() && is_yaml(entry.path()) => {
                        let pack = entry
                            .path()
                            .parent()
                            .and_then(|p| p.strip_prefix(root).ok())
                            .map(|p| p.to_string_lossy().replace('\\', "/"))
                            .unwrap_or_default();
                        read_one(entry.path(), pack, &mut files, &mut errors);
                    }
                    Ok(_) => {}
                    Err(err) => errors.push(RuleError::new(
                        &err.path().unwrap_or(root).display().to_string(),
                        0,
                        0,
                        "",
                        format!("cannot read rule directory: {err}"),
                    )),
                }
            }
            if files.len() == before && errors.is_empty() {
                errors.push(
                    RuleError::new(
                        &name,
                        0,
                        0,
                        "",
                        "no rule files (*.yaml, *.yml) in this directory",
                    )
                    .with_help("point --rules at a directory of rule files or at a rule file"),
                );
            }
        } else {
            let pack = root
                .parent()
                .and_then(|p| p.file_name())
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            read_one(root, pack, &mut files, &mut errors);
        }
    }
    (files, errors)
}

fn read_one(path: &FsPath, pack: String, files: &mut Vec<RuleFile>, errors: &mut Vec<RuleError>) {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => files.push(RuleFile { name, text, pack }),
            Err(err) => errors.push(
                RuleError::new(
                    &name,
                    0,
                    0,
                    "",
                    format!(
                        "the file is not valid UTF-8 (invalid byte at offset {})",
                        err.utf8_error().valid_up_to()
                    ),
                )
                .with_help("save rule files as UTF-8"),
            ),
        },
        Err(err) => errors.push(RuleError::new(
            &name,
            0,
            0,
            "",
            format!("cannot read rule file: {}", io_reason(&err)),
        )),
    }
}

/// Parses and compiles rule files, then checks that ids are unique. Rules come back sorted by id.
pub fn compile_files(files: &[RuleFile]) -> Result<Vec<Rule>, Vec<RuleError>> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match parse(file) {
            Ok(spec) => match compile(spec, &file.name, &file.pack) {
                Ok(rule) => rules.push(rule),
                Err(mut errs) => errors.append(&mut errs),
            },
            Err(err) => errors.push(err),
        }
    }
    let mut first_by_id: BTreeMap<&str, &Rule> = BTreeMap::new();
    for rule in &rules {
        if let Some(first) = first_by_id.get(rule.id.as_str()) {
            errors.push(
                RuleError::new(
                    &rule.file,
                    rule.line,
                    1,
                    "id",
                    format!("duplicate rule id `{}`", rule.id),
                )
                .with_help(format!(
                    "`{}` is already defined at {}:{}; rule ids must be unique, so rename one",
                    rule.id, first.file, first.line
                )),
            );
        } else {
            first_by_id.insert(&rule.id, rule);
        }
    }
    if errors.is_empty() {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// Parses one rule file with limits against alias bombs and deep nesting.
pub fn parse(file: &RuleFile) -> Result<RuleSpec, RuleError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options::<RuleSpec>(&file.text, options)
        .map_err(|err| RuleError::from_yaml(&file.name, &err))
}

fn is_yaml(path: &FsPath) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn parent_of(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(dir, _)| dir.to_string())
        .unwrap_or_default()
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}
