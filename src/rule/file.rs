//! A rule file's text and the one way YAML is read from it, shared by both front ends (trailgate
//! rules in `load.rs`, Sigma rules in `sigma/`), so they cannot drift apart.

use serde::de::DeserializeOwned;
use serde_saphyr::DuplicateKeyPolicy;

/// The text of one rule file and where it came from.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// How errors and findings name the file: a path, or `builtin:rules/...` for the embedded pack.
    pub name: String,
    pub text: String,
    /// The rule's pack: its directory relative to the rules root (`aws/autoscaling`).
    pub pack: String,
}

/// Parses a rule file strictly: YAML 1.2 booleans only (`yes` is a string), duplicate keys
/// rejected, and serde-saphyr's default budget against alias bombs and deep nesting.
pub fn parse_yaml<T: DeserializeOwned>(file: &RuleFile) -> Result<T, serde_saphyr::Error> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::Error,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(&file.text, options)
}
