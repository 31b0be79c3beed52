//! Walking the records of a decoded trail file without building a JSON tree for each: for the
//! usual `{"Records": [...]}` document every record comes out as its validated raw JSON text, so
//! the engine can decide from `eventSource`/`eventName` alone whether any rule could match before
//! it parses the record. Other shapes go through the general reader (`read.rs`) and come out
//! parsed, one at a time.

use std::fmt;
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::read::{
    each_event_within, json_reason, record_too_large, DEFAULT_MAX_RECORD_BYTES, DUPLICATE_RECORDS,
};
use super::{Event, InputError, Origin, SkipReason};

/// One record, as the engine receives it.
pub enum Record<'a> {
    /// Valid JSON text of one element of `Records` (maybe not an object: the engine checks).
    Raw { text: &'a RawValue, origin: Origin },
    /// A record read through the general path (other shapes, envelopes unwrapped).
    Parsed(Event),
    /// A record of a `{"Records": [...]}` document refused unparsed, in its place among the
    /// others: it is larger than the record limit. (The general reader's record errors are in
    /// `Walk::errors`.)
    Refused(InputError),
}

/// What walking a file found besides its records.
#[derive(Debug, Default)]
pub struct Walk {
    pub errors: Vec<InputError>,
    pub skipped: Option<SkipReason>,
}

/// Calls `each` for every record of the decoded file `bytes`, in order, within the default
/// record limit.
pub fn for_each_record(name: &Arc<str>, bytes: &[u8], each: &mut dyn FnMut(Record<'_>)) -> Walk {
    for_each_record_within(name, bytes, DEFAULT_MAX_RECORD_BYTES, each)
}

/// Calls `each` for every record of the decoded file `bytes`, in order; a record longer than
/// `max_record` bytes comes out as `Record::Refused`, never parsed.
pub fn for_each_record_within(
    name: &Arc<str>,
    bytes: &[u8],
    max_record: u64,
    each: &mut dyn FnMut(Record<'_>),
) -> Walk {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // `zcat *.json.gz > all.jsonl` gives JSON Lines of `Records` documents: the general reader
    // reads those line by line. A second `"Records"` anywhere sends the file there (at worst a
    // value that happens to be "Records" costs the slower path, never a wrong result).
    if starts_with_records_key(text)
        && memchr::memmem::find_iter(text, b"\"Records\"")
            .nth(1)
            .is_none()
    {
        let mut count = 0usize;
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        let result = (&mut deserializer)
            .deserialize_map(Document {
                name,
                each: &mut *each,
                count: &mut count,
                max_record,
            })
            .and_then(|()| deserializer.end());
        let mut walk = Walk::default();
        if let Err(err) = result {
            // The full parser words syntax errors better ("trailing comma" rather than "key must
            // be a string"); broken files are rare enough to parse twice.
            let (what, err) = match serde_json::from_slice::<serde_json::Value>(text) {
                Err(syntax) => ("invalid JSON", syntax),
                Ok(_) => ("not a CloudTrail document", err),
            };
            walk.errors.push(InputError::file(
                name,
                format!(
                    "{what} at line {}: {}{}",
                    err.line(),
                    json_reason(&err),
                    if count > 0 {
                        format!(" (the {count} records before it were scanned)")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        return walk;
    }
    // Other shapes: events handed on as they are read, so that at most one is held.
    let (errors, skipped) = each_event_within(name, bytes, max_record, &mut |event| {
        each(Record::Parsed(event))
    });
    Walk { errors, skipped }
}

/// `{"Records":` after optional whitespace: the shape CloudTrail writes to S3.
pub(super) fn starts_with_records_key(text: &[u8]) -> bool {
    let rest = trim_start(text);
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    trim_start(rest).starts_with(b"\"Records\"")
}

fn trim_start(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    &text[start..]
}

struct Document<'n, 'e, 'f> {
    name: &'n Arc<str>,
    each: &'e mut dyn FnMut(Record<'_>),
    count: &'f mut usize,
    max_record: u64,
}

impl<'de> Visitor<'de> for Document<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail {\"Records\": [...]} document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        // Owned: a borrowed `&str` cannot hold a key written with escapes (`"a\"b"`), which is
        // valid JSON and must not fail the file.
        while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
            if key == "Records" {
                if seen {
                    return Err(serde::de::Error::custom(DUPLICATE_RECORDS));
                }
                seen = true;
                map.next_value_seed(RecordsSeed {
                    name: self.name,
                    each: &mut *self.each,
                    count: &mut *self.count,
                    max_record: self.max_record,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct RecordsSeed<'n, 'e, 'f> {
    name: &'n Arc<str>,
    each: &'e mut dyn FnMut(Record<'_>),
    count: &'f mut usize,
    max_record: u64,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`Records`: an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(text) = seq.next_element::<&'de RawValue>()? {
            let origin = Origin {
                file: self.name.clone(),
                record: *self.count,
                line: None,
            };
            *self.count += 1;
            if text.get().len() as u64 > self.max_record {
                (self.each)(Record::Refused(InputError {
                    file: origin.file,
                    record: Some(origin.record),
                    line: None,
                    message: record_too_large(self.max_record),
                }));
            } else {
                (self.each)(Record::Raw { text, origin });
            }
        }
        Ok(())
    }
}

/// The top-level fields the engine needs before deciding whether to parse a record, read from its
/// raw text. Values are unescaped strings; a field written with escapes counts as unreadable.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Head<'a> {
    pub source: Option<&'a str>,
    pub name: Option<&'a str>,
    pub time: Option<&'a str>,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
}

/// `eventSource` and `eventName` (for the index) plus `eventTime`, `recipientAccountId` and
/// `awsRegion` (for the scan's summary) of a record, without parsing the rest. `None` when the
/// record is not a plain object, lacks `eventSource`, `eventName` or `recipientAccountId` as
/// plain strings, or writes one of these fields with escapes or another type: the caller then
/// parses it properly.
pub fn head(text: &str) -> Option<Head<'_>> {
    head_and(text, |_| {})
}

/// Where one top-level member of a record lies in its text: its name (unescaped, so the text is
/// the name) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpan {
    pub name: std::ops::Range<usize>,
    pub value: std::ops::Range<usize>,
}

/// `head`, and the span of every top-level member, in order, into `members` (cleared first).
/// With `head` given, the record parses whole (see `skip_value`), and so does each member's
/// value on its own: the engine builds a tree of some members from their spans
/// (`engine::partial`).
pub fn head_and_members<'t>(text: &'t str, members: &mut Vec<MemberSpan>) -> Option<Head<'t>> {
    members.clear();
    head_and(text, |span| members.push(span))
}

fn head_and(text: &str, mut member: impl FnMut(MemberSpan)) -> Option<Head<'_>> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut head = Head::default();
    loop {
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b'}' => break,
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let (key, after) = string(text, i)?;
        let name = i + 1..after - 1;
        i = skip_ws(bytes, after);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        let start = i;
        let slot = match key {
            "eventSource" => Some(&mut head.source),
            "eventName" => Some(&mut head.name),
            "eventTime" => Some(&mut head.time),
            "recipientAccountId" => Some(&mut head.account),
            "awsRegion" => Some(&mut head.region),
            _ => None,
        };
        match slot {
            Some(slot) => {
                if bytes.get(i) != Some(&b'"') {
                    return None;
                }
                let (value, after) = string(text, i)?;
                *slot = Some(value);
                i = after;
            }
            None => i = skip_value(bytes, i)?,
        }
        member(MemberSpan {
            name,
            value: start..i,
        });
    }
    (head.source.is_some() && head.name.is_some() && head.account.is_some()).then_some(head)
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// An unescaped string starting at `i` (a quote) and the index after it; `None` when it holds
/// escapes (rare in keys and in these values; the caller falls back to a real parse). A slice
/// of `text` between two quotes (ASCII, so at character boundaries): no UTF-8 to check again,
/// which was 3% of a default scan's instructions.
fn string(text: &str, i: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    let start = i + 1;
    let len = memchr::memchr2(b'"', b'\\', bytes.get(start..)?)?;
    if bytes[start + len] == b'\\' {
        return None;
    }
    Some((text.get(start..start + len)?, start + len + 1))
}

/// The index after the JSON value starting at `i`. The text was validated by the parser that cut
/// the record out, so only strings and nesting need care; and what that parser lets through but a
/// full parse refuses (a number beyond f64's range, nesting past serde_json's 128 levels) gives
/// `None`, so the record is parsed and counted as a record in error exactly as the reference
/// reader counts it, never as an event from its head.
fn skip_value(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *bytes.get(i)? {
            b'"' => {
                i += 1;
                loop {
                    let at = memchr::memchr2(b'"', b'\\', &bytes[i..])?;
                    i += at;
                    if bytes[i] == b'\\' {
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                }
                if depth == 0 {
                    return Some(i);
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth >= PARSE_DEPTH {
                    return None;
                }
                i += 1;
            }
            b'}' | b']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b',' if depth == 0 => return Some(i),
            // Outside strings an `E`, or an `e` after a digit, is an exponent: the number may be
            // out of f64's range (`1e999`). Rare in CloudTrail; let the full parse judge it.
            b'E' => return None,
            b'e' if i > 0 && bytes[i - 1].is_ascii_digit() => return None,
            b'0'..=b'9' => {
                let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                // f64 ends near 1.8e308: a run of this many digits may be past it.
                if digits >= LONG_NUMBER_DIGITS {
                    return None;
                }
                i += digits;
            }
            _ => i += 1,
        }
    }
}

/// serde_json refuses JSON nested 128 levels deep; a record nested this deep goes to a full parse.
const PARSE_DEPTH: usize = 100;

/// A number with this many digits in a row may be beyond f64's range (about 1.8e308).
const LONG_NUMBER_DIGITS: usize = 300;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::read_bytes;

    fn walk(text: &str) -> (Vec<String>, Walk) {
        let mut seen = Vec::new();
        let walk = for_each_record(
            &Arc::from("t.json"),
            text.as_bytes(),
            &mut |record| match record {
                Record::Raw { text, origin } => {
                    seen.push(format!("raw {} {}", origin.record, text.get()))
                }
                Record::Parsed(event) => {
                    seen.push(format!("parsed {} {}", event.origin.record, event.value))
                }
                Record::Refused(error) => {
                    seen.push(format!("refused {:?} {}", error.record, error.message))
                }
            },
        );
        (seen, walk)
    }

    #[test]
    fn records_come_out_raw_and_in_order() {
        let (seen, walk) = walk(r#" {"Records": [{"eventName":"A"}, 42, {"eventName":"C"}]}"#);
        assert_eq!(
            seen,
            vec![
                r#"raw 0 {"eventName":"A"}"#,
                "raw 1 42",
                r#"raw 2 {"eventName":"C"}"#
            ]
        );
        assert!(walk.errors.is_empty());
    }

    #[test]
    fn a_syntax_error_keeps_the_records_before_it() {
        let (seen, walk) = walk(r#"{"Records": [{"eventName":"A"}, {"eventName": }]}"#);
        assert_eq!(seen.len(), 1);
        assert!(
            walk.errors[0]
                .message
                .contains("the 1 records before it were scanned"),
            "{:?}",
            walk.errors
        );
    }

    #[test]
    fn json_lines_of_records_documents_take_the_general_path() {
        let line = r#"{"Records":[{"eventName":"A"}]}"#;
        let (seen, walk) = walk(&format!("{line}\n{line}\n"));
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(walk.errors.is_empty(), "{:?}", walk.errors);
    }

    #[test]
    fn json_lines_of_records_documents_with_indented_lines() {
        let line = r#"{"Records":[{"eventName":"A"}]}"#;
        let (seen, walk) = walk(&format!("{line}\n  {line}\r\n\t{line}\n"));
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(walk.errors.is_empty(), "{:?}", walk.errors);
    }

    #[test]
    fn garbage_after_a_records_document_fails_the_file_and_keeps_its_records() {
        // Found by fuzz/trail_reader.
        let (seen, walk) = walk("{\"Records\":[{\"eventName\":\"A\"}]}\n\u{1}garbage\n");
        assert_eq!(seen.len(), 1);
        assert!(
            walk.errors[0]
                .message
                .contains("trailing characters at column 1 (the 1 records before it were scanned)"),
            "{:?}",
            walk.errors
        );
    }

    #[test]
    fn two_records_keys_are_an_error_on_both_paths() {
        let text = r#"{"Records":[{"eventName":"A"}],"Records":[{"eventName":"B"}]}"#;
        let (_, walk) = walk(text);
        assert!(
            walk.errors[0].message.contains(DUPLICATE_RECORDS),
            "{:?}",
            walk.errors
        );
        let general = read_bytes(&Arc::from("t.json"), text.as_bytes());
        assert!(general.events.is_empty());
        assert!(
            general.errors[0].message.contains(DUPLICATE_RECORDS),
            "{:?}",
            general.errors
        );
    }

    #[test]
    fn top_level_keys_with_escapes_are_valid() {
        let (seen, walk) = walk(r#"{"Records":[{"eventName":"A"}],"a\"b":1,"\u0078":[]}"#);
        assert_eq!(seen, vec![r#"raw 0 {"eventName":"A"}"#]);
        assert!(walk.errors.is_empty(), "{:?}", walk.errors);
    }

    #[test]
    fn other_shapes_take_the_general_path() {
        let (seen, _) = walk(r#"[{"eventName":"A"}]"#);
        assert_eq!(seen, vec![r#"parsed 0 {"eventName":"A"}"#]);
    }

    #[test]
    fn head_reads_the_indexed_and_summary_fields() {
        let text = r#"{"userIdentity":{"type":"Root","x":[1,{"eventName":"nested"}]},"note":"a \"quoted\" } ]","eventSource":"s3.amazonaws.com","eventName":"GetObject","recipientAccountId":"1","awsRegion":"eu-west-1","requestParameters":{"a":1}}"#;
        let found = head(text).unwrap();
        assert_eq!(
            (found.source, found.name),
            (Some("s3.amazonaws.com"), Some("GetObject"))
        );
        assert_eq!(
            (found.account, found.region, found.time),
            (Some("1"), Some("eu-west-1"), None)
        );
        assert_eq!(
            head(r#"{"eventSource":"a","eventName":"B"}"#),
            None,
            "no recipientAccountId"
        );
        assert_eq!(
            head(r#"{"eventName":"A","recipientAccountId":"1"}"#),
            None,
            "no source"
        );
        assert_eq!(
            head(r#"{"eventSource":"a\u0041","eventName":"B","recipientAccountId":"1"}"#),
            None,
            "escaped"
        );
        assert_eq!(
            head(r#"{"eventSource":"a","eventName":"B","recipientAccountId":"1","awsRegion":7}"#),
            None,
            "not a string"
        );
        assert_eq!(head("42"), None);
    }

    /// The index's shortcut counts a record as an event from its head alone, so `head` must give
    /// `None` for every record a full parse refuses though the cutting parser let it through.
    #[test]
    fn head_leaves_what_a_full_parse_may_refuse_to_that_parse() {
        let record = |extra: &str| {
            format!(
                r#"{{"eventSource":"a","eventName":"B","recipientAccountId":"1","x":{extra},"ok":[true,false,null,-1.5,0]}}"#
            )
        };
        let refused = [
            "1e999".to_string(),
            "-2.5E+400".to_string(),
            format!("1{}", "0".repeat(400)),
            format!("{}{}", "[".repeat(130), "]".repeat(130)),
        ];
        for extra in &refused {
            let text = record(extra);
            assert!(
                serde_json::from_str::<serde_json::Value>(&text).is_err(),
                "{extra}"
            );
            assert_eq!(head(&text), None, "{extra}");
        }
        // What a full parse takes but may refuse elsewhere is left to it too; plain numbers and
        // literals are read past.
        assert_eq!(head(&record("1.5e3")), None);
        for extra in ["12345", "-0.25", "true", "{\"a\":[1,2,{\"b\":false}]}"] {
            assert!(head(&record(extra)).is_some(), "{extra}");
        }
    }
}
