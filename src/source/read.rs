//! Opening a trail file (plain or gzip, detected by magic bytes) and splitting its JSON into
//! events: `{"Records": [...]}`, a bare array of events, one event, or JSON Lines.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;
use serde_json::value::RawValue;
use serde_json::Value;

use super::{Event, FileContents, InputError, Origin, SkipReason};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Limits that keep one hostile file from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Largest decoded (decompressed) size of a file that is held whole, in bytes.
    pub max_file_bytes: u64,
    /// Largest size of one record: its JSON text as written in the file (a JSON Lines line, an
    /// element of `Records` or of an array, a file holding one event).
    pub max_record_bytes: u64,
}

/// The default record limit. CloudTrail caps an event at 256 KB (event version 1.05 and later;
/// CloudTrail Lake's "Large" events at 1 MB): 2 MiB leaves room for those pretty-printed while
/// keeping what one worker holds for one record small.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 2 << 20;

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_bytes: 1 << 30,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// Why a record over the record limit is refused (the error names the file and the record).
pub fn record_too_large(limit: u64) -> String {
    format!(
        "the record is larger than {limit} bytes; raise the limit with --max-record-size if it is genuine"
    )
}

/// Reads a file from disk, decompressing gzip. Returns the decoded bytes and the size on disk.
pub(super) fn read_file(path: &Path, limits: &ReadLimits) -> Result<(Vec<u8>, u64), String> {
    let file =
        std::fs::File::open(path).map_err(|err| format!("cannot open: {}", io_reason(&err)))?;
    decode(file, limits)
}

/// Decodes bytes fetched from elsewhere (an S3 object) exactly as a file on disk.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub(super) fn decode_slice(bytes: &[u8], limits: &ReadLimits) -> Result<(Vec<u8>, u64), String> {
    decode(bytes, limits)
}

pub(super) fn read_stdin(limits: &ReadLimits) -> Result<(Vec<u8>, u64), String> {
    decode(std::io::stdin().lock(), limits)
}

fn decode(reader: impl Read, limits: &ReadLimits) -> Result<(Vec<u8>, u64), String> {
    let mut decoded = open(reader)?;
    let mut bytes = Vec::new();
    let limit = limits.max_file_bytes;
    if let Err(err) = (&mut decoded.reader)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        return Err(decoded.read_error(&err));
    }
    if bytes.len() as u64 > limit {
        return Err(decoded.too_large(limit));
    }
    Ok((bytes, decoded.on_disk()))
}

/// An opened trail file: its decoded (gunzipped if need be) bytes as a stream.
pub(super) struct Decoded<'a> {
    pub reader: Box<dyn Read + 'a>,
    pub gzip: bool,
    on_disk: Rc<Cell<u64>>,
}

impl Decoded<'_> {
    /// Bytes read from disk so far (compressed, for gzip).
    pub(super) fn on_disk(&self) -> u64 {
        self.on_disk.get()
    }

    /// Why reading the decoded stream failed.
    pub(super) fn read_error(&self, err: &std::io::Error) -> String {
        if self.gzip {
            format!(
                "cannot decompress gzip: {} (the file is truncated or corrupt)",
                io_reason(err)
            )
        } else {
            format!("cannot read: {}", io_reason(err))
        }
    }

    pub(super) fn too_large(&self, limit: u64) -> String {
        format!(
            "the file is larger than {limit} bytes{}; raise the limit with --max-file-size if it is genuine",
            if self.gzip { " once decompressed" } else { "" }
        )
    }
}

/// Opens a stream of trail bytes, decompressing it when it starts with gzip's magic bytes.
pub(super) fn open<'a>(reader: impl Read + 'a) -> Result<Decoded<'a>, String> {
    let on_disk = Rc::new(Cell::new(0));
    let mut counted = BufReader::with_capacity(
        256 * 1024,
        Counting {
            inner: reader,
            count: on_disk.clone(),
        },
    );
    let head = counted
        .fill_buf()
        .map_err(|err| format!("cannot read: {}", io_reason(&err)))?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn Read + 'a> = if gzip {
        Box::new(MultiGzDecoder::new(counted))
    } else {
        Box::new(counted)
    };
    Ok(Decoded {
        reader,
        gzip,
        on_disk,
    })
}

struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Two `Records` arrays in one document: which one counts depends on the parser, so neither does.
pub(super) const DUPLICATE_RECORDS: &str =
    "the document has more than one `Records` key, so the records it holds are ambiguous";

/// How many `Records` keys the top-level object of `text` has (0 when it is not an object).
fn records_keys(text: &[u8]) -> usize {
    struct Count;
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut count = 0;
            while let Some(key) = map.next_key::<std::borrow::Cow<'_, str>>()? {
                count += usize::from(key == "Records");
                map.next_value::<serde::de::IgnoredAny>()?;
            }
            Ok(count)
        }
    }
    use serde::Deserializer as _;
    serde_json::Deserializer::from_slice(text)
        .deserialize_map(Count)
        .unwrap_or(0)
}

/// Splits decoded bytes into events within the default record limit. `name` is the file's
/// display name for origins and errors.
pub fn read_bytes(name: &Arc<str>, bytes: &[u8]) -> FileContents {
    read_bytes_within(name, bytes, DEFAULT_MAX_RECORD_BYTES)
}

/// Splits decoded bytes into events; a record longer than `max_record` bytes is a record error,
/// refused before it is parsed.
pub fn read_bytes_within(name: &Arc<str>, bytes: &[u8], max_record: u64) -> FileContents {
    let mut events = Vec::new();
    let (errors, skipped) = each_event_within(name, bytes, max_record, &mut |e| events.push(e));
    FileContents {
        events,
        errors,
        skipped,
        bytes: 0,
    }
}

/// What reading a file found besides its events: its errors (file and record errors, in order)
/// and whether it was passed over.
pub(super) type Rest = (Vec<InputError>, Option<SkipReason>);

/// `read_bytes_within`, handing each event to `emit` as soon as it is read rather than holding
/// them all: memory holds the decoded file and one event's tree (or a document within the record
/// limit, parsed whole).
pub(super) fn each_event_within(
    name: &Arc<str>,
    bytes: &[u8],
    max_record: u64,
    emit: &mut dyn FnMut(Event),
) -> Rest {
    let mut reading = Reading::new(emit);
    read_text(name, bytes, max_record, &mut reading);
    reading.into_rest()
}

/// What reading one file has found so far; its events go out through `emit` as they are read.
pub(super) struct Reading<'e> {
    emit: &'e mut dyn FnMut(Event),
    errors: Vec<InputError>,
    skipped: Option<SkipReason>,
    /// Records met so far, read or failed: the index of the next one.
    records: usize,
}

impl<'e> Reading<'e> {
    pub(super) fn new(emit: &'e mut dyn FnMut(Event)) -> Self {
        Reading {
            emit,
            errors: Vec::new(),
            skipped: None,
            records: 0,
        }
    }

    pub(super) fn into_rest(self) -> Rest {
        (self.errors, self.skipped)
    }

    /// A JSON Lines line refused for its size before it was read whole.
    pub(super) fn line_too_large(&mut self, name: &Arc<str>, line: usize, max_record: u64) {
        push_too_large(name, self.records, Some(line), max_record, self);
    }

    pub(super) fn push_error(&mut self, error: InputError) {
        self.error(error);
    }

    fn event(&mut self, event: Event) {
        self.records += 1;
        (self.emit)(event);
    }

    /// Record indexes count failed records too, so an index always points at the same record.
    fn error(&mut self, error: InputError) {
        self.records += usize::from(error.record.is_some());
        self.errors.push(error);
    }
}

fn read_text(name: &Arc<str>, bytes: &[u8], max_record: u64, contents: &mut Reading<'_>) {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        contents.error(InputError::file(
            name,
            "the file is empty (no JSON, no events)",
        ));
        return;
    }
    if text.len() as u64 > max_record {
        // A record could be over the limit: keep records as raw text until their size is known.
        match serde_json::from_slice::<&RawValue>(text) {
            Ok(document) => read_raw_document(name, document, max_record, contents),
            Err(err)
                if err.to_string().starts_with("trailing characters")
                    || later_line_is_object(text) =>
            {
                read_json_lines(name, text, max_record, contents);
            }
            Err(err) => contents.error(InputError::file(
                name,
                format!("invalid JSON at line {}: {}", err.line(), json_reason(&err)),
            )),
        }
        return;
    }
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(object)) if object.contains_key("Records") && records_keys(text) > 1 => {
            contents.error(InputError::file(name, DUPLICATE_RECORDS));
        }
        Ok(document) => read_document(name, document, contents),
        Err(err)
            if err.to_string().starts_with("trailing characters") || later_line_is_object(text) =>
        {
            read_json_lines(name, text, max_record, contents);
        }
        Err(err) => contents.error(InputError::file(
            name,
            format!("invalid JSON at line {}: {}", err.line(), json_reason(&err)),
        )),
    }
}

/// The members of a JSON object, values left raw (repeated keys kept).
struct Members<'a>(Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    members.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

impl<'a> Members<'a> {
    fn of(raw: &'a RawValue) -> Option<Members<'a>> {
        raw.get()
            .starts_with('{')
            .then(|| serde_json::from_str(raw.get()).ok())?
    }

    /// The value of `key`; the last one when repeated, as when parsed into a tree.
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn count(&self, key: &str) -> usize {
        self.0.iter().filter(|(k, _)| k == key).count()
    }
}

/// `read_document` for a document that may hold records over the limit: the same shapes and
/// messages, each record measured before it is parsed.
fn read_raw_document(
    name: &Arc<str>,
    document: &RawValue,
    max_record: u64,
    contents: &mut Reading<'_>,
) {
    let text = document.get();
    if text.starts_with('[') {
        return push_raw_records(name, document, None, max_record, contents);
    }
    let Some(object) = Members::of(document) else {
        return contents.error(InputError::file(
            name,
            format!(
                "JSON is not CloudTrail: the document is {}; expected {{\"Records\": [...]}}, an array of events, one event, or JSON Lines",
                raw_kind(document)
            ),
        ));
    };
    if object.count("Records") > 1 {
        return contents.error(InputError::file(name, DUPLICATE_RECORDS));
    }
    let history = || {
        let events = object.get("Events")?;
        let all_envelopes = events.get().starts_with('[')
            && serde_json::from_str::<Vec<&RawValue>>(events.get())
                .ok()?
                .iter()
                .all(|event| Members::of(event).is_some_and(|e| e.count("CloudTrailEvent") > 0));
        all_envelopes.then_some(events)
    };
    if let Some(records) = object.get("Records").or_else(history) {
        if records.get().starts_with('[') {
            push_raw_records(name, records, None, max_record, contents);
        } else {
            contents.error(InputError::file(
                name,
                format!("`Records` is {}, not an array of events", raw_kind(records)),
            ));
        }
    } else if object.count("digestStartTime") + object.count("digestPublicKeyFingerprint") > 0 {
        contents.skipped = Some(SkipReason::Digest);
    } else if ["eventSource", "eventName", "CloudTrailEvent", "detail-type"]
        .iter()
        .any(|key| object.count(key) > 0)
    {
        // One event, and the document is larger than the limit.
        push_too_large(name, 0, None, max_record, contents);
    } else {
        contents.error(InputError::file(
            name,
            "JSON is not CloudTrail: the object has no `Records`, `eventSource` or `eventName`; expected {\"Records\": [...]}, an array of events, one event, or JSON Lines",
        ));
    }
}

/// The elements of a raw JSON array, each refused when over the limit, else parsed and checked.
fn push_raw_records(
    name: &Arc<str>,
    array: &RawValue,
    line: Option<usize>,
    max_record: u64,
    contents: &mut Reading<'_>,
) {
    let records = match serde_json::from_str::<Vec<&RawValue>>(array.get()) {
        Ok(records) => records,
        Err(err) => {
            return contents.error(InputError::file(
                name,
                format!("invalid JSON: {}", json_reason(&err)),
            ))
        }
    };
    for record in records {
        let index = contents.records;
        if record.get().len() as u64 > max_record {
            push_too_large(name, index, line, max_record, contents);
            continue;
        }
        match serde_json::from_str::<Value>(record.get()) {
            Ok(value) => push_event(name, value, index, line, contents),
            Err(err) => contents.error(InputError {
                file: name.clone(),
                record: Some(index),
                line,
                message: format!("invalid JSON: {}", json_reason(&err)),
            }),
        }
    }
}

fn push_too_large(
    name: &Arc<str>,
    record: usize,
    line: Option<usize>,
    max_record: u64,
    contents: &mut Reading<'_>,
) {
    contents.error(InputError {
        file: name.clone(),
        record: Some(record),
        line,
        message: record_too_large(max_record),
    });
}

/// What a raw value is, from its first byte (it is valid JSON).
fn raw_kind(value: &RawValue) -> &'static str {
    match value.get().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

fn read_document(name: &Arc<str>, document: Value, contents: &mut Reading<'_>) {
    match document {
        Value::Object(mut object) => {
            // `aws cloudtrail lookup-events` prints {"Events": [...]} of Event History records.
            let records = object.remove("Records").or_else(|| {
                let history = object.get("Events").and_then(Value::as_array).is_some_and(|events| {
                    events.iter().all(|e| e.get("CloudTrailEvent").is_some())
                });
                if history {
                    object.remove("Events")
                } else {
                    None
                }
            });
            if let Some(records) = records {
                match records {
                    Value::Array(records) => push_records(name, records, None, contents),
                    other => contents.error(InputError::file(
                        name,
                        format!("`Records` is {}, not an array of events", kind(&other)),
                    )),
                }
            } else if object.contains_key("digestStartTime") || object.contains_key("digestPublicKeyFingerprint") {
                contents.skipped = Some(SkipReason::Digest);
            } else if ["eventSource", "eventName", "CloudTrailEvent", "detail-type"]
                .iter()
                .any(|key| object.contains_key(*key))
            {
                push_event(name, Value::Object(object), 0, None, contents);
            } else {
                contents.error(InputError::file(
                    name,
                    "JSON is not CloudTrail: the object has no `Records`, `eventSource` or `eventName`; expected {\"Records\": [...]}, an array of events, one event, or JSON Lines",
                ));
            }
        }
        Value::Array(records) => push_records(name, records, None, contents),
        other => contents.error(InputError::file(
            name,
            format!(
                "JSON is not CloudTrail: the document is {}; expected {{\"Records\": [...]}}, an array of events, one event, or JSON Lines",
                kind(&other)
            ),
        )),
    }
}

fn push_records(
    name: &Arc<str>,
    records: Vec<Value>,
    line: Option<usize>,
    contents: &mut Reading<'_>,
) {
    for record in records {
        let index = contents.records;
        push_event(name, record, index, line, contents);
    }
}

/// A record as the engine needs it: the CloudTrail event itself (envelopes unwrapped), or why it
/// is not one.
pub fn check_record(value: Value) -> Result<Value, String> {
    let value = unwrap_envelope(value)?;
    match &value {
        Value::Object(object) => {
            if object.contains_key("eventSource") || object.contains_key("eventName") {
                Ok(value)
            } else {
                Err(
                    "not a CloudTrail event: it has neither `eventSource` nor `eventName`"
                        .to_string(),
                )
            }
        }
        other => Err(format!(
            "not a CloudTrail event: the record is {}, not an object",
            kind(other)
        )),
    }
}

fn push_event(
    name: &Arc<str>,
    value: Value,
    record: usize,
    line: Option<usize>,
    contents: &mut Reading<'_>,
) {
    match check_record(value) {
        Ok(value) => contents.event(Event {
            value,
            origin: Origin {
                file: name.clone(),
                record,
                line,
            },
        }),
        Err(message) => contents.error(InputError {
            file: name.clone(),
            record: Some(record),
            line,
            message,
        }),
    }
}

/// A file whose first line is broken is still JSON Lines when a later line is a whole object:
/// then only the broken line is lost.
pub(super) fn later_line_is_object(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .skip(1)
        .take(3)
        // Checked without building a tree: a line may be huge.
        .any(|line| {
            line.trim_ascii_start().starts_with(b"{")
                && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
        })
}

/// Takes the CloudTrail record out of the envelopes other AWS services put it in: Event History
/// (`LookupEvents`: the record as a JSON string in `CloudTrailEvent`) and EventBridge (the record
/// under `detail`).
fn unwrap_envelope(value: Value) -> Result<Value, String> {
    let Value::Object(mut object) = value else {
        return Ok(value);
    };
    if object.contains_key("eventSource") || object.contains_key("eventName") {
        return Ok(Value::Object(object));
    }
    if let Some(Value::String(inner)) = object.get("CloudTrailEvent") {
        return serde_json::from_str::<Value>(inner).map_err(|err| {
            format!(
                "`CloudTrailEvent` (Event History) is not valid JSON: {}",
                json_reason(&err)
            )
        });
    }
    if object.contains_key("detail-type") && object.get("detail").is_some_and(Value::is_object) {
        return Ok(object.remove("detail").unwrap_or_default());
    }
    Ok(Value::Object(object))
}

fn read_json_lines(name: &Arc<str>, text: &[u8], max_record: u64, contents: &mut Reading<'_>) {
    for (index, line) in text.split(|b| *b == b'\n').enumerate() {
        json_line(name, line, index + 1, max_record, contents);
    }
}

/// One line of a JSON Lines file (1-based `line_number`): one event, or a `Records` document.
pub(super) fn json_line(
    name: &Arc<str>,
    line: &[u8],
    line_number: usize,
    max_record: u64,
    contents: &mut Reading<'_>,
) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    if line.len() as u64 > max_record {
        // A `Records` document on one line holds many records; any other line is one record.
        let raw = serde_json::from_slice::<&RawValue>(line).ok();
        let records = raw.and_then(Members::of).and_then(|m| m.get("Records"));
        match records {
            Some(records) if records.get().starts_with('[') => {
                push_raw_records(name, records, Some(line_number), max_record, contents)
            }
            Some(_) => contents.error(InputError {
                file: name.clone(),
                record: None,
                line: Some(line_number),
                message: "`Records` is not an array of events".into(),
            }),
            None => {
                let record = contents.records;
                push_too_large(name, record, Some(line_number), max_record, contents);
            }
        }
        return;
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(mut object)) if object.contains_key("Records") => {
            match object.remove("Records") {
                Some(Value::Array(records)) => {
                    push_records(name, records, Some(line_number), contents)
                }
                _ => contents.error(InputError {
                    file: name.clone(),
                    record: None,
                    line: Some(line_number),
                    message: "`Records` is not an array of events".into(),
                }),
            }
        }
        Ok(value) => {
            let record = contents.records;
            push_event(name, value, record, Some(line_number), contents);
        }
        Err(err) => {
            let record = contents.records;
            contents.error(InputError {
                file: name.clone(),
                record: Some(record),
                line: Some(line_number),
                message: format!("invalid JSON: {}", json_reason(&err)),
            });
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's message without its " at line X column Y" suffix, plus the column.
pub fn json_reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(r, _)| r);
    // serde_json stops at 128 levels, which keeps hostile nesting from overflowing the stack.
    let reason = if reason == "recursion limit exceeded" {
        "recursion limit exceeded (the JSON nests deeper than 128 levels)"
    } else {
        reason
    };
    match err.classify() {
        serde_json::error::Category::Eof => {
            format!("{reason} (the JSON ends early; is the file truncated?)")
        }
        _ => format!("{reason} at column {}", err.column()),
    }
}

pub(super) fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::UnexpectedEof => "unexpected end of file".to_string(),
        std::io::ErrorKind::InvalidData
            if err
                .to_string()
                .contains("stream did not contain valid UTF-8") =>
        {
            "invalid UTF-8".to_string()
        }
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> FileContents {
        read_bytes(&Arc::from("t.json"), text.as_bytes())
    }

    #[test]
    fn records_document() {
        let c = read(r#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#);
        assert_eq!(c.events.len(), 2);
        assert_eq!(c.events[1].origin.record, 1);
        assert!(c.errors.is_empty());
    }

    #[test]
    fn bare_array_single_event_and_empty_records() {
        assert_eq!(read(r#"[{"eventName":"A"}]"#).events.len(), 1);
        assert_eq!(
            read(r#"{"eventSource":"s3.amazonaws.com"}"#).events.len(),
            1
        );
        let empty = read(r#"{"Records":[]}"#);
        assert!(empty.events.is_empty() && empty.errors.is_empty());
    }

    #[test]
    fn json_lines_with_a_bad_line() {
        let c = read("{\"eventName\":\"A\"}\n\n{oops\n{\"eventName\":\"C\"}\n");
        assert_eq!(c.events.len(), 2);
        assert_eq!(c.events[0].origin.line, Some(1));
        assert_eq!(c.events[1].origin.line, Some(4));
        assert_eq!(c.events[1].origin.record, 2);
        assert_eq!(c.errors.len(), 1);
        assert_eq!(c.errors[0].line, Some(3));
        assert_eq!(c.errors[0].record, Some(1));
    }

    #[test]
    fn json_lines_with_a_broken_first_line() {
        let c = read("{\"eventName\":\n{\"eventName\":\"B\"}\n");
        assert_eq!(c.events.len(), 1);
        assert_eq!(c.errors.len(), 1);
        assert_eq!(c.errors[0].line, Some(1));
    }

    #[test]
    fn record_that_is_not_an_object_keeps_the_others() {
        let c = read(r#"{"Records":[{"eventName":"A"}, 42, {"eventName":"C"}]}"#);
        assert_eq!(c.events.len(), 2);
        assert_eq!(c.events[1].origin.record, 2);
        assert_eq!(c.errors[0].record, Some(1));
        assert!(
            c.errors[0].message.contains("a number"),
            "{}",
            c.errors[0].message
        );
    }

    #[test]
    fn event_history_and_eventbridge_envelopes() {
        let inner = r#"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"RunInstances\"}"#;
        let line =
            format!(r#"{{"EventId":"1","EventName":"RunInstances","CloudTrailEvent":"{inner}"}}"#);
        let c = read(&format!("{line}\n{line}\n"));
        assert_eq!(c.events.len(), 2, "{:?}", c.errors);
        assert_eq!(c.events[0].value["eventName"], "RunInstances");
        let c = read(&format!(r#"{{"Events":[{line}]}}"#));
        assert_eq!(c.events.len(), 1);
        let c = read(
            r#"{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances"}}"#,
        );
        assert_eq!(c.events.len(), 1);
        assert_eq!(c.events[0].value["eventSource"], "ec2.amazonaws.com");
        let bad = read(r#"[{"EventId":"1","CloudTrailEvent":"{oops"}]"#);
        assert!(
            bad.errors[0].message.contains("CloudTrailEvent"),
            "{:?}",
            bad.errors
        );
    }

    #[test]
    fn digest_by_shape_is_skipped() {
        let c = read(r#"{"digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}"#);
        assert_eq!(c.skipped, Some(SkipReason::Digest));
        assert!(c.errors.is_empty());
    }

    #[test]
    fn not_cloudtrail_and_invalid_json() {
        let not_cloudtrail = read(r#"{"hello":"world"}"#);
        assert!(not_cloudtrail.errors[0].message.contains("not CloudTrail"));
        assert_eq!(not_cloudtrail.errors[0].record, None);
        assert!(read(r#"[{"hello":"world"}]"#).errors[0]
            .message
            .contains("neither"));
        assert!(read("42").errors[0].message.contains("not CloudTrail"));
        let truncated = read(r#"{"Records":[{"eventName":"#);
        assert!(
            truncated.errors[0].message.contains("truncated"),
            "{}",
            truncated.errors[0].message
        );
        assert!(read("   \n").errors[0].message.contains("empty"));
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(br#"{"Records":[{"eventName":"A"}]}"#)
            .unwrap();
        let gz = encoder.finish().unwrap();
        let (bytes, on_disk) = decode(&gz[..], &ReadLimits::default()).unwrap();
        assert_eq!(on_disk, gz.len() as u64);
        assert_eq!(read_bytes(&Arc::from("x"), &bytes).events.len(), 1);
        let err = decode(&gz[..gz.len() / 2], &ReadLimits::default()).unwrap_err();
        assert!(err.contains("truncated or corrupt"), "{err}");
    }

    /// Errors as `record line message`, for comparing.
    fn errors(contents: &FileContents) -> Vec<String> {
        contents
            .errors
            .iter()
            .map(|e| format!("{:?} {:?} {}", e.record, e.line, e.message))
            .collect()
    }

    #[test]
    fn records_over_the_record_limit_are_refused_in_every_shape() {
        let big = format!(r#"{{"eventName":"B","pad":"{}"}}"#, "x".repeat(100));
        let small = r#"{"eventName":"A"}"#;
        let too_large = record_too_large(64);
        let within = |text: &str| read_bytes_within(&Arc::from("t.json"), text.as_bytes(), 64);
        for text in [
            format!(r#"{{"Records":[{small},{big},{small}]}}"#),
            format!(r#"[{small}, {big}, {small}]"#),
        ] {
            let c = within(&text);
            assert_eq!(c.events.len(), 2, "{text}");
            assert_eq!(c.events[1].origin.record, 2);
            assert_eq!(errors(&c), vec![format!("Some(1) None {too_large}")]);
        }
        // JSON Lines: a long line is one record; a long `Records` line holds several.
        let c = within(&format!("{small}\n{big}\n{small}\n"));
        assert_eq!(c.events.len(), 2);
        assert_eq!(errors(&c), vec![format!("Some(1) Some(2) {too_large}")]);
        let c = within(&format!(
            "{small}\n{{\"Records\":[{small},{small},{small},{big}]}}\n"
        ));
        assert_eq!(c.events.len(), 4);
        assert_eq!(errors(&c), vec![format!("Some(4) Some(2) {too_large}")]);
        // One event larger than the limit: record 0.
        let c = within(&big);
        assert!(c.events.is_empty());
        assert_eq!(errors(&c), vec![format!("Some(0) None {too_large}")]);
    }

    #[test]
    fn large_documents_read_with_raw_records_match_the_tree_reader() {
        // A document over the record limit whose records are under it gives what the tree
        // reader gives.
        let event = r#"{"eventSource":"s3.amazonaws.com","eventName":"A"}"#;
        let envelope = r#"{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"R\"}"}"#;
        let documents = [
            format!(r#"{{"Records":[{event}, 42, {{"x":1}}], "other": [1]}}"#),
            format!(r#"{{"Records":[{event}],"Records":[{event}]}}"#),
            r#"{"Records": {"a": 1}}"#.to_string(),
            format!(r#"{{"Events":[{envelope},{envelope}]}}"#),
            format!(r#"{{"Events":[{envelope},{event}]}}"#),
            r#"{"digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}"#.to_string(),
            format!(r#"{{"hello":"world", "pad": "{}"}}"#, "x".repeat(60)),
            format!(r#""{}""#, "x".repeat(60)),
            format!("[{event},{event}] x"),
            format!("{event}\n{{oops\n{event}\n"),
            format!(r#"{{"Records":[{event}, {{"eventName": }}]}}"#),
        ];
        for text in documents {
            let tree = read_bytes_within(&Arc::from("t.json"), text.as_bytes(), u64::MAX);
            let limit = text.len() as u64 - 1;
            let raw = read_bytes_within(&Arc::from("t.json"), text.as_bytes(), limit);
            let events = |c: &FileContents| {
                c.events
                    .iter()
                    .map(|e| format!("{} {}", e.origin.record, e.value))
                    .collect::<Vec<_>>()
            };
            let refused = raw
                .errors
                .iter()
                .filter(|e| e.message == record_too_large(limit))
                .count();
            if refused == 0 {
                assert_eq!(events(&raw), events(&tree), "{text}");
                assert_eq!(errors(&raw), errors(&tree), "{text}");
            }
            assert_eq!(raw.skipped, tree.skipped, "{text}");
        }
    }

    #[test]
    fn size_limit_applies_to_decoded_bytes() {
        let limits = ReadLimits {
            max_file_bytes: 4,
            ..ReadLimits::default()
        };
        let err = decode(&b"0123456789"[..], &limits).unwrap_err();
        assert!(err.contains("--max-file-size"), "{err}");
    }
}
