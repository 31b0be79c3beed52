//! Message templates: text with `{path}` placeholders filled from the event of a finding.

use super::path::Path;

/// A parsed message template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    /// A JSONPath; `{requestParameters.bucketName}` is short for `{$.requestParameters.bucketName}`.
    Field(Path),
}

impl Template {
    /// Parses `text`. `{{` and `}}` stand for literal braces.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &text[at + 1..];
                    let end = rest.find('}').ok_or_else(|| {
                        format!("unclosed `{{` at character {}: close the placeholder with `}}` or write `{{{{` for a literal brace", at + 1)
                    })?;
                    let field = rest[..end].trim();
                    if field.is_empty() {
                        return Err(format!("empty placeholder `{{}}` at character {}", at + 1));
                    }
                    let path_text = if field.starts_with('$') || field.starts_with('@') {
                        field.to_string()
                    } else {
                        format!("$.{field}")
                    };
                    let path = Path::parse(&path_text)
                        .map_err(|err| format!("placeholder `{{{field}}}`: {err}"))?;
                    if path.relative {
                        return Err(format!(
                            "placeholder `{{{field}}}`: messages are rendered from the whole event; use a `$` path"
                        ));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(path));
                    // Skip the placeholder body and its closing brace.
                    while let Some((i, _)) = chars.peek() {
                        if *i > at + end + 1 {
                            break;
                        }
                        chars.next();
                    }
                }
                '}' => {
                    return Err(format!(
                        "unmatched `}}` at character {}: write `}}}}` for a literal brace",
                        at + 1
                    ))
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The template written back as text (placeholders as `{$.path}`).
    pub fn source(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(&text.replace('{', "{{").replace('}', "}}")),
                Part::Field(path) => {
                    out.push('{');
                    out.push_str(&path.text);
                    out.push('}');
                }
            }
        }
        out
    }

    /// A template that is just this text.
    pub fn literal(text: &str) -> Template {
        Template {
            parts: vec![Part::Text(text.to_string())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_fields() {
        let t = Template::parse("Bucket {requestParameters.bucketName} in {$.awsRegion}.").unwrap();
        assert_eq!(t.parts.len(), 5);
        assert_eq!(t.parts[0], Part::Text("Bucket ".into()));
        match &t.parts[1] {
            Part::Field(p) => assert_eq!(p.text, "$.requestParameters.bucketName"),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.parts[4], Part::Text(".".into()));
    }

    #[test]
    fn doubled_braces_are_literal() {
        let t = Template::parse("{{not a field}}").unwrap();
        assert_eq!(t.parts, vec![Part::Text("{not a field}".into())]);
    }

    #[test]
    fn reports_unclosed_and_bad_placeholders() {
        assert!(Template::parse("oops {eventName")
            .unwrap_err()
            .contains("unclosed"));
        assert!(Template::parse("oops }").unwrap_err().contains("unmatched"));
        assert!(Template::parse("{}").unwrap_err().contains("empty"));
        assert!(Template::parse("{a[}")
            .unwrap_err()
            .contains("invalid JSONPath"));
    }
}
