//! Errors in rule files: where (file:line:column and the key), what is wrong, and how to fix it.

use std::fmt;

/// One problem in one rule file. Line and column are 1-based; 0 means the position is unknown
/// (for example a file that could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    /// The key path inside the rule, such as `condition.all[1].regex`; empty for the whole file.
    pub key: String,
    pub message: String,
    pub help: Option<String>,
}

impl RuleError {
    pub fn new(file: &str, line: u64, column: u64, key: &str, message: impl Into<String>) -> Self {
        RuleError {
            file: file.to_string(),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:column`, or just the file when the position is unknown.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.column)
        }
    }

    /// Converts a YAML parse or type error, naming the offending key and suggesting the closest
    /// valid one for a typo.
    pub fn from_yaml(file: &str, err: &serde_saphyr::Error) -> Self {
        let (line, column) = err
            .location()
            .map(|loc| (loc.line(), loc.column()))
            .unwrap_or((0, 0));
        let raw = err.without_snippet().to_string();
        let joined = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let message = strip_position_suffix(&joined)
            .replace("expected sequence start", "expected a list")
            .replace(
                "expected mapping start",
                "expected a mapping (key: value pairs)",
            )
            .replace(", set DuplicateKeyPolicy in Options if acceptable", "");
        let message = if message.starts_with("multiple YAML documents") {
            "the file holds several YAML documents; a rule file holds one rule (split the file at each `---`)".to_string()
        } else if message.contains("budget breached") || message == "recursion limit exceeded" {
            if message.contains("Depth") || message == "recursion limit exceeded" {
                "the YAML is nested too deeply (more than 64 levels)".to_string()
            } else {
                format!(
                    "the YAML exceeds the loader's limits against oversized or alias-bomb documents ({})",
                    message.trim_start_matches("budget breached: ")
                )
            }
        } else {
            message
        };
        let mut error = RuleError::new(file, line, column, "", message.clone());
        if let Some((unknown, expected)) = parse_unknown_field(&message) {
            error.key = unknown.clone();
            error.message = format!("unknown key `{unknown}`");
            error.help = Some(match closest(&unknown, &expected) {
                // A native correlation rule read where only per-event rules are compiled (the
                // library's `compile_files`); the commands load correlations.
                _ if unknown == "correlation" => "this is a correlation rule: load it with `rule::collection::compile_collection` (as every command does), together with the rules it counts (docs/correlations.md)".to_string(),
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("valid keys here: {}", expected.join(", ")),
            });
        } else if let Some(field) = between(&message, "missing field `", "`") {
            error.key = field.to_string();
            error.message = format!("missing required key `{field}`");
            error.help = Some(format!("add `{field}:` to this mapping"));
        } else if let Some((variant, expected)) = parse_unknown_variant(&message) {
            error.message = format!("unknown value `{variant}`");
            error.help = Some(match closest(&variant, &expected) {
                Some(best) => format!(
                    "did you mean `{best}`? expected one of: {}",
                    expected.join(", ")
                ),
                None => format!("expected one of: {}", expected.join(", ")),
            });
        } else if message.contains("invalid type: floating point") {
            error.help = Some(
                "quote values such as control ids ('3.10') so that YAML keeps them as text".into(),
            );
        }
        error
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location())?;
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleError {}

/// The candidate closest to `word` by edit distance, if close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    // Short words are close to everything: allow one edit up to five letters.
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The names after "expected" in a serde message: "expected one of a, b, c", "expected `a` or `b`".
fn expected_names(text: &str) -> Vec<String> {
    let Some((_, list)) = text.split_once("expected ") else {
        return Vec::new();
    };
    let list = strip_position_suffix(list);
    let list = list.strip_prefix("one of ").unwrap_or(list);
    list.split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|name| name.trim().trim_matches('`').to_string())
        .filter(|name| !name.is_empty() && !name.contains(' '))
        .collect()
}

fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, tail) = rest.split_once('`')?;
    Some((field.to_string(), expected_names(tail)))
}

fn parse_unknown_variant(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.split("unknown variant `").nth(1)?;
    let (variant, tail) = rest.split_once('`')?;
    Some((variant.to_string(), expected_names(tail)))
}

/// serde-saphyr appends " at line X column Y"; the location is printed separately.
fn strip_position_suffix(message: &str) -> &str {
    let Some(at) = message.rfind(" at line ") else {
        return message;
    };
    let tail = &message[at + " at line ".len()..];
    let is_position = tail.split_once(", column ").is_some_and(|(line, column)| {
        !line.is_empty()
            && !column.is_empty()
            && (line.to_owned() + column)
                .bytes()
                .all(|b| b.is_ascii_digit())
    });
    if is_position {
        &message[..at]
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_key() {
        let keys: Vec<String> = ["severity", "title", "tags"].map(String::from).to_vec();
        assert_eq!(closest("severty", &keys), Some("severity"));
        assert_eq!(closest("tag", &keys), Some("tags"));
        assert_eq!(closest("zzzzzzzz", &keys), None);
    }

    #[test]
    fn reads_serde_expected_lists() {
        assert_eq!(
            expected_names(", expected one of id, title, severity at line 3, column 1"),
            vec!["id", "title", "severity"]
        );
        assert_eq!(
            expected_names(", expected `any` or `all`"),
            vec!["any", "all"]
        );
        assert!(expected_names(", there are no fields").is_empty());
    }

    #[test]
    fn displays_location_key_and_help() {
        let err = RuleError::new("r.yaml", 3, 5, "condition.regex", "invalid regex")
            .with_help("escape the bracket");
        assert_eq!(
            err.to_string(),
            "r.yaml:3:5: `condition.regex`: invalid regex\n  help: escape the bracket"
        );
    }
}
