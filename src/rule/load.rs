//! Finding rule files (the embedded pack, files, directories), parsing them as YAML and compiling
//! them. All problems in all files are collected so that one run reports every one of them.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use super::compile::compile;
use super::error::RuleError;
use super::file::parse_yaml;
pub use super::file::RuleFile;
use super::sigma;
use super::spec::RuleSpec;
use super::Rule;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
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

/// Loads and compiles the per-event rules of the built-in pack (its correlations are checked
/// but not returned: `collection::compile_collection` gives both).
pub fn load_builtin() -> Result<Vec<Rule>, Vec<RuleError>> {
    super::collection::compile_collection(&builtin_files()).map(|loaded| loaded.rules)
}

/// Loads every rule file under `paths` (files, or directories searched recursively for `*.yaml`
/// and `*.yml`) and compiles their per-event rules (correlations among them are checked but not
/// returned: `collection::compile_collection` gives both).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Rule>, Vec<RuleError>> {
    let (files, mut errors) = read_paths(paths);
    match super::collection::compile_collection(&files).map(|loaded| loaded.rules) {
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
                    .with_help("check the path"),
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
                    .with_help("give a directory of rule files or a rule file"),
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

/// Largest rule file read, in bytes: the biggest built-in rule is a few KiB, and a rule path that
/// is a device or a huge file must not exhaust memory.
pub const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

fn read_limited(path: &FsPath) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_RULE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn read_one(path: &FsPath, pack: String, files: &mut Vec<RuleFile>, errors: &mut Vec<RuleError>) {
    let name = path.display().to_string();
    match read_limited(path) {
        Ok(bytes) if bytes.len() as u64 > MAX_RULE_FILE_BYTES => errors.push(
            RuleError::new(
                &name,
                0,
                0,
                "",
                format!("the rule file is larger than {MAX_RULE_FILE_BYTES} bytes"),
            )
            .with_help(
                "a rule file holds one rule; split it, or check that the path is a rule file",
            ),
        ),
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

/// A rule file passed over on purpose (a Sigma rule for another log source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleNote {
    pub file: String,
    pub message: String,
}

/// Parses and compiles rule files, then checks that ids are unique. Rules come back sorted by id.
pub fn compile_files(files: &[RuleFile]) -> Result<Vec<Rule>, Vec<RuleError>> {
    compile_files_with_notes(files).map(|(rules, _)| rules)
}

/// As `compile_files`, also returning the files passed over and why. Native rule files and Sigma
/// rule files (recognised by `logsource` and `detection`) may be mixed.
pub fn compile_files_with_notes(
    files: &[RuleFile],
) -> Result<(Vec<Rule>, Vec<RuleNote>), Vec<RuleError>> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        if sigma::looks_like_sigma(&file.text) {
            match sigma::compile(file) {
                Ok(sigma::Compiled::Rule(rule)) => rules.push(*rule),
                Ok(sigma::Compiled::NotApplicable(reason)) => notes.push(RuleNote {
                    file: file.name.clone(),
                    message: format!("Sigma rule not applicable: {reason}"),
                }),
                Err(mut errs) => errors.append(&mut errs),
            }
            continue;
        }
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
        Ok((rules, notes))
    } else {
        Err(errors)
    }
}

/// Parses one rule file with limits against alias bombs and deep nesting.
pub fn parse(file: &RuleFile) -> Result<RuleSpec, RuleError> {
    parse_yaml::<RuleSpec>(file).map_err(|err| RuleError::from_yaml(&file.name, &err))
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

/// Helpers for unit tests elsewhere in the crate: compile rule text without touching the disk.
#[cfg(test)]
pub(crate) mod testing {
    use super::{compile_files, RuleFile};
    use crate::rule::{Condition, Rule, RuleError};

    pub(crate) fn compile_text(text: &str) -> Result<Rule, Vec<RuleError>> {
        compile_files(&[RuleFile {
            name: "test.yaml".into(),
            text: text.into(),
            pack: "test".into(),
        }])
        .map(|mut rules| rules.remove(0))
    }

    /// Compiles a rule whose `condition:` is `condition` (YAML, indented by the caller as a block).
    pub(crate) fn condition(condition: &str) -> Condition {
        let indented: String = condition.lines().map(|l| format!("  {l}\n")).collect();
        let text = format!(
            "id: t\ntitle: T\nseverity: low\nevents:\n  eventName: X\ncondition:\n{indented}"
        );
        match compile_text(&text) {
            Ok(rule) => rule.condition,
            Err(errors) => panic!("{text}\n{errors:#?}"),
        }
    }

    pub(crate) fn errors(text: &str) -> Vec<RuleError> {
        compile_text(text).expect_err("the rule should not compile")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{compile_text, errors};

    const HEAD: &str = "id: t\ntitle: T\nseverity: low\nevents:\n  eventName: X\n";

    fn one_error(text: &str) -> crate::rule::RuleError {
        let mut errors = errors(text);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        errors.remove(0)
    }

    #[test]
    fn builtin_pack_compiles() {
        let rules = super::load_builtin().expect("built-in rules compile");
        assert!(rules.len() >= 9);
        assert!(rules
            .iter()
            .all(|r| r.file.starts_with("builtin:rules/aws/")));
    }

    #[test]
    fn unknown_key_is_located_and_suggests_the_closest() {
        let e = one_error("id: t\ntitle: T\nseverty: low\n");
        assert_eq!((e.line, e.column, e.key.as_str()), (3, 1, "severty"));
        assert_eq!(e.help.as_deref(), Some("did you mean `severity`?"));
    }

    #[test]
    fn unknown_key_in_a_condition() {
        let e = one_error(&format!("{HEAD}condition:\n  path: $.a\n  equal: 1\n"));
        assert_eq!((e.line, e.key.as_str()), (8, "equal"));
        assert_eq!(e.help.as_deref(), Some("did you mean `equals`?"));
    }

    #[test]
    fn invalid_regex_jsonpath_cidr_and_template_are_located() {
        let text = format!(
            "{HEAD}condition:\n  all:\n    - path: $.a\n      regex: '([a-z'\n    - path: $.b[\n      exists: true\n    - path: $.c\n      in_cidr: 10.0.0.0/33\nmessage: 'oops {{a'\n"
        );
        let errors = errors(&text);
        let keys: Vec<(&str, u64)> = errors.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("condition.all[0].regex", 9),
                ("condition.all[1].path", 10),
                ("condition.all[2].in_cidr", 13),
                ("message", 14)
            ]
        );
        assert!(errors[0].message.starts_with("invalid regex"));
    }

    #[test]
    fn wrong_types_and_severity() {
        let e = one_error("id: t\ntitle: T\nseverity: severe\nevents:\n  eventName: X\n");
        assert_eq!((e.line, e.key.as_str()), (3, "severity"));
        let e = one_error(&format!("{HEAD}condition:\n  path: $.a\n  equals: [1]\n"));
        assert_eq!(e.line, 8);
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = one_error("id: t\ntitle: T\nseverity: low\nevents: {eventName: X}\ntags: yes\n");
        assert!(e.message.contains("expected a list"), "{}", e.message);
        assert_eq!(e.line, 5);
    }

    #[test]
    fn structural_condition_errors() {
        let cases = [
            ("condition: {}\n", "empty condition"),
            ("condition:\n  path: $.a\n", "has no test"),
            ("condition:\n  equals: 1\n", "needs a `path`"),
            (
                "condition:\n  path: $.a\n  equals: 1\n  exists: true\n",
                "several tests",
            ),
            ("condition:\n  all: []\n  any: []\n", "several combinators"),
            (
                "condition:\n  not: {path: $.a, exists: true}\n  path: $.b\n  exists: true\n",
                "cannot be mixed",
            ),
            (
                "condition:\n  path: $.a\n  exists: true\n  quantifier: all\n",
                "quantifier has no effect",
            ),
            (
                "condition:\n  path: $.a\n  gt: 1\n  case_insensitive: true\n",
                "no effect on `gt`",
            ),
            ("condition:\n  path: $.a\n  one_of: []\n", "can never match"),
            (
                "condition:\n  path: userIdentity.type\n  exists: true\n",
                "did you mean `$.userIdentity.type`",
            ),
            (
                "condition:\n  path: '@.a'\n  exists: true\n",
                "no `some`, `every` or `json` encloses it",
            ),
            (
                "condition:\n  path: $.a\n  gt: 1\n  interpolate: true\n",
                "`interpolate` applies to a text value",
            ),
            (
                "condition:\n  path: $.a\n  equals: 1\n  interpolate: true\n",
                "`interpolate` applies to a text value",
            ),
            (
                "condition:\n  path: $.a\n  ends_with: 'user/{b'\n  interpolate: true\n",
                "invalid interpolated value",
            ),
            (
                "condition:\n  all: []\n  interpolate: true\n",
                "applies to a path test",
            ),
            (
                "condition:\n  json: {path: a, where: {path: '@.b', exists: true}}\n",
                "did you mean `$.a`",
            ),
            (
                "condition:\n  json: {path: $.a, where: {}}\n",
                "empty condition",
            ),
        ];
        for (condition, expected) in cases {
            let e = one_error(&format!("{HEAD}{condition}"));
            assert!(e.message.contains(expected), "{condition}: {}", e.message);
        }
    }

    #[test]
    fn ids_must_be_kebab_case_and_unique() {
        let e = one_error("id: Root_Login\ntitle: T\nseverity: low\nevents: {eventName: X}\n");
        assert_eq!(e.key, "id");
        let file = |name: &str| super::RuleFile {
            name: name.into(),
            text: "id: same\ntitle: T\nseverity: low\nevents: {eventName: X}\n".into(),
            pack: String::new(),
        };
        let errors = super::compile_files(&[file("a.yaml"), file("b.yaml")]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "b.yaml");
        assert!(errors[0].help.as_deref().unwrap().contains("a.yaml:1"));
    }

    #[test]
    fn a_rule_needs_events_or_a_condition() {
        let e = one_error("id: t\ntitle: T\nseverity: low\n");
        assert!(e.message.contains("neither `events` nor `condition`"));
        assert!(compile_text(
            "id: t\ntitle: T\nseverity: low\ncondition: {path: $.a, exists: true}\n"
        )
        .is_ok());
    }

    #[test]
    fn alias_bomb_is_rejected_quickly() {
        let mut text = String::from("id: t\ntitle: T\nseverity: low\nevents: {eventName: X}\nreferences: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let prev = i - 1;
            let refs = vec![format!("*a{prev}"); 10].join(", ");
            text.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
        }
        text.push_str("tags: *a9\n");
        let started = std::time::Instant::now();
        assert!(compile_text(&text).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn yaml_booleans_are_strict_and_duplicate_keys_rejected() {
        let rule =
            compile_text(&format!("{HEAD}condition:\n  path: $.a\n  equals: yes\n")).unwrap();
        assert!(format!("{:?}", rule.condition).contains("String(\"yes\")"));
        let e = one_error("id: t\nid: u\ntitle: T\nseverity: low\nevents: {eventName: X}\n");
        assert!(
            e.message.to_lowercase().contains("duplicate"),
            "{}",
            e.message
        );
    }
}
