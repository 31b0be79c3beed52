//! The little XML the JUnit report needs: escaped text and attribute values. Messages carry
//! event fields, which an attacker can fill with anything, so characters XML 1.0 cannot hold
//! at all (control characters, U+FFFE, U+FFFF) become U+FFFD instead of breaking the document;
//! DEL, C1 controls and bidirectional overrides are shown as `\u{9b}`.

use std::fmt::Write as _;

/// Escapes element text.
pub fn text(value: &str) -> String {
    escape(value, false)
}

/// Escapes an attribute value (to go between double quotes). Line breaks and tabs are written
/// as character references, or XML would turn them into spaces.
pub fn attr(value: &str) -> String {
    escape(value, true)
}

fn escape(value: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' | '\r' | '\t' if attribute => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            // Legal in XML but live in a terminal or a CI log (U+009B is a one-character CSI) or
            // misleading on a page (bidirectional overrides): shown as `\u{9b}`, as in text.
            '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(text("a<b>&c\"d"), "a&lt;b&gt;&amp;c\"d");
        assert_eq!(attr("a<b>&c\"d"), "a&lt;b&gt;&amp;c&quot;d");
    }

    #[test]
    fn line_breaks_survive_in_attributes() {
        assert_eq!(attr("a\nb\tc\rd"), "a&#10;b&#9;c&#13;d");
        assert_eq!(text("a\nb\tc\rd"), "a\nb\tc&#13;d");
    }

    #[test]
    fn characters_xml_cannot_hold_are_replaced() {
        assert_eq!(
            text("a\u{0}b\u{1b}[31m\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}[31m\u{FFFD}"
        );
        assert_eq!(text("ok é 𝄞"), "ok é 𝄞");
    }
}
