//! Errors in `trailgate.toml`: where (file:line:column and the key), what is wrong, and how to
//! fix it, printed the way rule file errors are.

use std::fmt;
use std::ops::Range;

use crate::rule::error::closest;

/// One problem in a configuration file. Line and column are 1-based; 0 means the position is
/// unknown (the file could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The offending key (`fail-on`, `suppress[2].expires`); empty for the whole file.
    pub key: String,
    pub message: String,
    pub help: Option<String>,
}

impl ConfigError {
    /// An error about the whole file (it cannot be read, it is too large).
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_string(),
            line: 0,
            column: 0,
            key: String::new(),
            message: message.into(),
            help: None,
        }
    }

    /// An error at a byte range of the file's text.
    pub fn at(
        file: &str,
        text: &str,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(text, span.start);
        ConfigError {
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

    /// Converts a TOML syntax or type error, naming the unknown key or value and suggesting the
    /// closest valid one.
    pub fn from_toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let span = err.span().unwrap_or(0..0);
        let message = err.message().trim().to_string();
        let mut error = ConfigError::at(file, text, span.clone(), "", message.clone());
        if span.end == 0 && span.start == 0 && err.span().is_none() {
            error.line = 0;
            error.column = 0;
        }
        if let Some((unknown, expected)) = parse_unknown(&message, "unknown field `") {
            error.key = unknown.clone();
            error.message = format!("unknown key `{unknown}`");
            error.help = Some(match closest(&unknown, &expected) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("valid keys here: {}", expected.join(", ")),
            });
        } else if let Some((variant, expected)) = parse_unknown(&message, "unknown variant `") {
            error.message = format!("unknown value `{variant}`");
            error.help = Some(match closest(&variant, &expected) {
                Some(best) => format!(
                    "did you mean `{best}`? expected one of: {}",
                    expected.join(", ")
                ),
                None => format!("expected one of: {}", expected.join(", ")),
            });
        } else if let Some(field) = between(&message, "missing field `", "`") {
            error.key = field.to_string();
            error.message = format!("missing required key `{field}`");
            error.help = Some(format!("add `{field} = ...` to this table"));
        }
        error
    }

    /// `file:line:column`, or just the file when the position is unknown.
    pub fn location(&self) -> String {
        if self.line == 0 {
            self.file.clone()
        } else {
            format!("{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

impl fmt::Display for ConfigError {
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

impl std::error::Error for ConfigError {}

/// The 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// `unknown field `x`, expected one of `a`, `b`` -> ("x", ["a", "b"]).
fn parse_unknown(message: &str, marker: &str) -> Option<(String, Vec<String>)> {
    let rest = message.split(marker).nth(1)?;
    let (name, tail) = rest.split_once('`')?;
    let expected = match tail.split_once("expected ") {
        Some((_, list)) => {
            let list = list.strip_prefix("one of ").unwrap_or(list);
            list.split(", ")
                .flat_map(|part| part.split(" or "))
                .map(|name| name.trim().trim_matches('`').to_string())
                .filter(|name| !name.is_empty() && !name.contains(' '))
                .collect()
        }
        None => Vec::new(),
    };
    Some((name.to_string(), expected))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3), "columns count characters");
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn reads_serde_lists() {
        let (name, expected) = parse_unknown(
            "unknown field `fial-on`, expected `pack` or `fail-on`",
            "unknown field `",
        )
        .unwrap();
        assert_eq!(name, "fial-on");
        assert_eq!(expected, vec!["pack", "fail-on"]);
    }

    #[test]
    fn displays_location_key_and_help() {
        let err = ConfigError::at(
            "trailgate.toml",
            "x\nfial-on = 1",
            2..9,
            "fial-on",
            "unknown key `fial-on`",
        )
        .with_help("did you mean `fail-on`?");
        assert_eq!(
            err.to_string(),
            "trailgate.toml:2:1: `fial-on`: unknown key `fial-on`\n  help: did you mean `fail-on`?"
        );
    }
}
