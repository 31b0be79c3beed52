//! Paths into an event: RFC 9535 JSONPath, parsed by jsonpath-rust at load time and lowered into
//! a small owned AST that the engine walks without allocating.
//!
//! Filter selectors (`[?...]`) are rejected: conditions (`some` / `every` with `where`) express
//! the same thing, are traced by `explain`, and translate to other back ends.

use std::fmt;

use jsonpath_rust::parser::model::{Segment as JpSegment, Selector as JpSelector};

/// A parsed path. `$` paths start at the event; `@` paths start at the current item of an
/// enclosing `some` / `every`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub relative: bool,
    pub segments: Vec<Segment>,
    /// The text as the rule author wrote it, for messages and evidence.
    pub text: String,
}

/// One step of a path: the selectors apply to the current nodes (child segment) or to the
/// current nodes and all their descendants (descendant segment, `..`).
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub descendant: bool,
    pub selectors: Vec<Selector>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    /// `.name` or `['name']`: an object member.
    Name(String),
    /// `.*` or `[*]`: every array element or object member value.
    Wildcard,
    /// `[n]`: an array element; negative counts from the end.
    Index(i64),
    /// `[start:end:step]`, RFC 9535 semantics.
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
}

impl Path {
    /// Parses a JSONPath. Accepts `$...` (from the event root) and `@...` (from the current item
    /// of an enclosing `some` / `every`). A bare dotted name such as `userIdentity.type` is not a
    /// JSONPath and is rejected with a hint.
    pub fn parse(text: &str) -> Result<Path, String> {
        let trimmed = text.trim();
        let (relative, rooted) = match trimmed.chars().next() {
            Some('$') => (false, trimmed.to_string()),
            Some('@') => (true, format!("${}", &trimmed[1..])),
            _ => {
                return Err(format!(
                    "`{trimmed}` is not a JSONPath: paths start with `$` (the event) or `@` (the current item); did you mean `$.{trimmed}`?"
                ))
            }
        };
        let query = jsonpath_rust::parser::parse_json_path(&rooted).map_err(|err| {
            format!(
                "invalid JSONPath `{trimmed}`: {}",
                one_line(&err.to_string())
            )
        })?;
        let segments = query
            .segments
            .iter()
            .map(|segment| lower_segment(segment, trimmed))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Path {
            relative,
            segments,
            text: trimmed.to_string(),
        })
    }

    /// Builds a plain `$.a.b.c` path from member names, for paths the engine itself needs.
    pub fn from_names(names: &[&str]) -> Path {
        Path {
            relative: false,
            segments: names
                .iter()
                .map(|name| Segment {
                    descendant: false,
                    selectors: vec![Selector::Name((*name).to_string())],
                })
                .collect(),
            text: std::iter::once("$")
                .chain(names.iter().copied())
                .collect::<Vec<_>>()
                .join("."),
        }
    }

    /// The member names of a path made only of single name selectors (`$.a.b`), if it is one.
    pub fn as_names(&self) -> Option<Vec<&str>> {
        self.segments
            .iter()
            .map(
                |segment| match (segment.descendant, segment.selectors.as_slice()) {
                    (false, [Selector::Name(name)]) => Some(name.as_str()),
                    _ => None,
                },
            )
            .collect()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn lower_segment(segment: &JpSegment, text: &str) -> Result<Segment, String> {
    match segment {
        JpSegment::Descendant(inner) => {
            let mut lowered = lower_segment(inner, text)?;
            lowered.descendant = true;
            Ok(lowered)
        }
        JpSegment::Selector(selector) => Ok(Segment {
            descendant: false,
            selectors: vec![lower_selector(selector, text)?],
        }),
        JpSegment::Selectors(selectors) => Ok(Segment {
            descendant: false,
            selectors: selectors
                .iter()
                .map(|selector| lower_selector(selector, text))
                .collect::<Result<_, _>>()?,
        }),
    }
}

fn lower_selector(selector: &JpSelector, text: &str) -> Result<Selector, String> {
    Ok(match selector {
        JpSelector::Name(name) => Selector::Name(unquote(name)),
        JpSelector::Wildcard => Selector::Wildcard,
        JpSelector::Index(index) => Selector::Index(*index),
        JpSelector::Slice(start, end, step) => {
            if *step == Some(0) {
                return Err(format!("slice step 0 in `{text}` selects nothing"));
            }
            Selector::Slice {
                start: *start,
                end: *end,
                step: *step,
            }
        }
        JpSelector::Filter(_) => {
            return Err(format!(
                "filter selectors (`[?...]`) are not supported in `{text}`; select the list and test its items with `some` / `every` and `where` instead"
            ))
        }
    })
}

/// jsonpath-rust keeps the quotes of bracketed names (`['a b']`); member names never have them.
fn unquote(name: &str) -> String {
    let bytes = name.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'\'' || bytes[0] == b'"')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        name[1..name.len() - 1].to_string()
    } else {
        name.to_string()
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(path: &Path) -> Vec<Selector> {
        path.segments
            .iter()
            .flat_map(|s| s.selectors.clone())
            .collect()
    }

    #[test]
    fn parses_dotted_and_bracketed_names() {
        let path = Path::parse("$.userIdentity['type']").unwrap();
        assert!(!path.relative);
        assert_eq!(
            names(&path),
            vec![
                Selector::Name("userIdentity".into()),
                Selector::Name("type".into())
            ]
        );
    }

    #[test]
    fn parses_relative_paths_wildcards_indexes_and_slices() {
        let path = Path::parse("@.items[*].a[-1][1:3]").unwrap();
        assert!(path.relative);
        assert_eq!(path.segments.len(), 5);
        assert_eq!(path.segments[1].selectors, vec![Selector::Wildcard]);
        assert_eq!(path.segments[3].selectors, vec![Selector::Index(-1)]);
        assert!(matches!(
            path.segments[4].selectors[0],
            Selector::Slice {
                start: Some(1),
                end: Some(3),
                step: None
            }
        ));
    }

    #[test]
    fn parses_descendant_segments() {
        let path = Path::parse("$..encrypted").unwrap();
        assert!(path.segments[0].descendant);
    }

    #[test]
    fn rejects_bare_names_with_a_hint() {
        let err = Path::parse("userIdentity.type").unwrap_err();
        assert!(err.contains("did you mean `$.userIdentity.type`"), "{err}");
    }

    #[test]
    fn rejects_invalid_syntax() {
        let err = Path::parse("$.a[").unwrap_err();
        assert!(err.starts_with("invalid JSONPath `$.a[`"), "{err}");
    }

    #[test]
    fn rejects_filters_with_a_hint() {
        let err = Path::parse("$.a[?@.b == 1]").unwrap_err();
        assert!(err.contains("some"), "{err}");
    }

    #[test]
    fn as_names_only_for_plain_member_paths() {
        assert_eq!(
            Path::parse("$.a.b").unwrap().as_names(),
            Some(vec!["a", "b"])
        );
        assert_eq!(Path::parse("$.a[*]").unwrap().as_names(), None);
        assert_eq!(Path::from_names(&["a", "b"]).text, "$.a.b");
    }
}
