//! Escaping for the formats people read. Every value that comes from a trail (messages carry
//! event fields too) can hold anything an attacker who can make an API call chooses: markup,
//! quotes, pipes, spreadsheet formulas, terminal escape sequences, bidirectional overrides.
//! Each function here makes such a value inert in one context.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that change what a terminal or a text viewer shows rather than being shown: C0
/// controls (ESC starts terminal escape sequences; line breaks would forge report lines), DEL,
/// C1 controls (U+009B is a one-character CSI) and the bidirectional overrides and isolates
/// ("Trojan Source").
fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Shows control characters as `\u{1b}`, so text is safe to print to a terminal or a log.
pub fn control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text and attribute values in HTML (between double quotes). Control characters are shown as
/// `\u{1b}` too: they are invisible in a page and some (NUL) are not allowed in HTML.
pub fn html(text: &str) -> String {
    let text = control(text);
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON to embed in `<script type="application/json">`: `<`, `>` and `&` (which JSON has only
/// inside strings) become `\u003c` and so on, so no value can close the element (`</script>`)
/// or open a comment; U+2028 and U+2029 are escaped for older parsers, and control characters
/// and bidirectional overrides so that the page source shows none.
pub fn json_in_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            // Inert in the page's source as well as in the values the script reads: C1 controls
            // and bidirectional overrides as JSON escapes, which decode to the same string.
            c if is_control(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Prose in a Markdown table cell (GitHub Flavored Markdown): control characters shown as
/// `\u{..}`, line breaks (which would end the table) among them; Markdown and HTML syntax
/// backslash-escaped so it shows as typed: no raw HTML, links, images, emphasis, math, or pipes
/// that split the cell. `://` and `www.` are escaped too, or GitHub would make links of them,
/// and `@` is followed by an invisible word joiner (U+2060), so a value cannot mention (notify)
/// a person or team in a pull-request comment.
pub fn markdown_text(text: &str) -> String {
    let text = control(text);
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            ':' if text[i..].starts_with("://") => out.push_str("\\:"),
            '.' if i >= 3 && text.as_bytes()[i - 3..i].eq_ignore_ascii_case(b"www") => {
                out.push_str("\\.");
            }
            '@' => out.push_str("@\u{2060}"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// An identifier (account, ARN, region, user agent) as a Markdown code span in a table cell:
/// shown literally, with a fence longer than any run of backticks inside, pipes escaped (GitHub
/// splits cells before it reads code spans) and control characters shown as `\u{..}`. An empty
/// value is an em dash. A value with a backslash is written as prose instead: GitHub reads `\\`
/// as an escape even in a code span when it splits cells, so `\|` would end the cell.
pub fn markdown_code(text: &str) -> String {
    let text = control(text);
    if text.is_empty() {
        return "—".to_string();
    }
    if text.contains('\\') {
        return markdown_text(&text);
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

/// A CSV field (RFC 4180): control characters shown as `\u{..}` (one finding per line, safe to
/// `cat`), quoted when it holds a comma, quote or space at either end, and a leading `'` when it
/// starts like a spreadsheet formula (`=`, `+`, `-`, `@`), which spreadsheets would run.
pub fn csv(text: &str) -> String {
    let text = control(text);
    let mut value = String::with_capacity(text.len() + 3);
    if text.starts_with(['=', '+', '-', '@']) {
        value.push('\'');
    }
    value.push_str(&text);
    if value.contains([',', '"']) || value.starts_with(' ') || value.ends_with(' ') {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// XML element text (the JUnit reports). Characters XML 1.0 cannot hold at all (C0 controls
/// other than line breaks and tabs, U+FFFE, U+FFFF) become U+FFFD instead of breaking the
/// document; the other control characters are shown as `\u{9b}`, as in text.
pub fn xml_text(value: &str) -> String {
    xml(value, false)
}

/// An XML attribute value (between double quotes). Line breaks and tabs are written as
/// character references, or XML would turn them into spaces.
pub fn xml_attr(value: &str) -> String {
    xml(value, true)
}

fn xml(value: &str, attribute: bool) -> String {
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
            c if is_control(c) => {
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

    const HOSTILE: &str = "<script>alert(\"x\")</script>\u{1b}[31m|`a`|=1+2 'q' &amp;\n\u{202e}";

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(control("plain é 𝄞"), "plain é 𝄞");
        assert!(matches!(control("plain"), Cow::Borrowed(_)));
        assert_eq!(
            control("a\u{1b}[2Jb\nc\u{9b}d\u{202e}e\u{7f}"),
            "a\\u{1b}[2Jb\\u{a}c\\u{9b}d\\u{202e}e\\u{7f}"
        );
    }

    #[test]
    fn html_text_cannot_become_markup() {
        let escaped = html(HOSTILE);
        assert_eq!(
            escaped,
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\\u{1b}[31m|`a`|=1+2 &#39;q&#39; &amp;amp;\\u{a}\\u{202e}"
        );
        assert!(!escaped.contains(['<', '>', '"', '\'', '\u{1b}', '\n']));
    }

    #[test]
    fn json_cannot_close_its_script_element() {
        let json =
            serde_json::to_string(&serde_json::json!({"ua": "</script><!-- & \u{2028}"})).unwrap();
        let embedded = json_in_html(&json);
        assert!(!embedded.contains(['<', '>', '&', '\u{2028}']));
        let back: serde_json::Value = serde_json::from_str(&embedded).unwrap();
        assert_eq!(back["ua"], "</script><!-- & \u{2028}");
    }

    #[test]
    fn markdown_cells_stay_cells() {
        let text = markdown_text(HOSTILE);
        assert!(!text.contains('\n') && !text.contains('\u{1b}'));
        assert!(text.starts_with("\\<script\\>alert(\"x\")\\</script\\>"));
        assert!(text.contains("\\|\\`a\\`\\|=1+2"));
        assert!(text.contains("&amp;amp;"));
        assert_eq!(
            markdown_text("see https://x.example, www.y.example, @team, 12:30"),
            "see https\\://x.example, www\\.y.example, @\u{2060}team, 12:30"
        );
        assert_eq!(
            markdown_code("arn:aws:iam::1:user/a|b"),
            "`arn:aws:iam::1:user/a\\|b`"
        );
        assert_eq!(markdown_code("a``b`"), "``` a``b` ```");
        assert_eq!(markdown_code(""), "—");
        assert_eq!(
            markdown_code("x\ny"),
            "x\\\\u{a}y",
            "prose: the escape has a backslash"
        );
        assert_eq!(markdown_code("a\\|b"), "a\\\\\\|b");
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv("+1"), "'+1");
        assert_eq!(csv("-2"), "'-2");
        assert_eq!(csv("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv("a\nb\u{1b}"), "a\\u{a}b\\u{1b}");
        assert_eq!(csv(" padded"), "\" padded\"");
    }

    #[test]
    fn xml_markup_is_escaped() {
        assert_eq!(xml_text("a<b>&c\"d"), "a&lt;b&gt;&amp;c\"d");
        assert_eq!(xml_attr("a<b>&c\"d"), "a&lt;b&gt;&amp;c&quot;d");
    }

    #[test]
    fn xml_line_breaks_survive_in_attributes() {
        assert_eq!(xml_attr("a\nb\tc\rd"), "a&#10;b&#9;c&#13;d");
        assert_eq!(xml_text("a\nb\tc\rd"), "a\nb\tc&#13;d");
    }

    #[test]
    fn characters_xml_cannot_hold_are_replaced() {
        assert_eq!(
            xml_text("a\u{0}b\u{1b}[31m\u{FFFF}"),
            "a\u{FFFD}b\u{FFFD}[31m\u{FFFD}"
        );
        assert_eq!(xml_text("ok é 𝄞"), "ok é 𝄞");
    }
}
