//! Opening a trail file (plain or gzip, detected by magic bytes) and splitting its JSON into
//! events: `{"Records": [...]}`, a bare array of events, one event, or JSON Lines.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;
use serde_json::Value;

use super::{Event, FileContents, InputError, Origin, SkipReason};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Limits that keep one hostile file from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Largest decoded (decompressed) size of one file, in bytes.
    pub max_file_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_bytes: 1 << 30,
        }
    }
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

/// Splits decoded bytes into events. `name` is the file's display name for origins and errors.
pub fn read_bytes(name: &Arc<str>, bytes: &[u8]) -> FileContents {
    let mut contents = FileContents::default();
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        contents.errors.push(InputError::file(
            name,
            "the file is empty (no JSON, no events)",
        ));
        return contents;
    }
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(object)) if object.contains_key("Records") && records_keys(text) > 1 => {
            contents
                .errors
                .push(InputError::file(name, DUPLICATE_RECORDS));
        }
        Ok(document) => read_document(name, document, &mut contents),
        Err(err)
            if err.to_string().starts_with("trailing characters") || later_line_is_object(text) =>
        {
            read_json_lines(name, text, &mut contents);
        }
        Err(err) => contents.errors.push(InputError::file(
            name,
            format!("invalid JSON at line {}: {}", err.line(), json_reason(&err)),
        )),
    }
    contents
}

fn read_document(name: &Arc<str>, document: Value, contents: &mut FileContents) {
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
                    other => contents.errors.push(InputError::file(
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
                contents.errors.push(InputError::file(
                    name,
                    "JSON is not CloudTrail: the object has no `Records`, `eventSource` or `eventName`; expected {\"Records\": [...]}, an array of events, one event, or JSON Lines",
                ));
            }
        }
        Value::Array(records) => push_records(name, records, None, contents),
        other => contents.errors.push(InputError::file(
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
    contents: &mut FileContents,
) {
    for record in records {
        let index = contents.events.len() + record_errors(contents);
        push_event(name, record, index, line, contents);
    }
}

/// Record indexes count failed records too, so an index always points at the same record.
fn record_errors(contents: &FileContents) -> usize {
    contents
        .errors
        .iter()
        .filter(|e| e.record.is_some())
        .count()
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
    contents: &mut FileContents,
) {
    match check_record(value) {
        Ok(value) => contents.events.push(Event {
            value,
            origin: Origin {
                file: name.clone(),
                record,
                line,
            },
        }),
        Err(message) => contents.errors.push(InputError {
            file: name.clone(),
            record: Some(record),
            line,
            message,
        }),
    }
}

/// A file whose first line is broken is still JSON Lines when a later line is a whole object:
/// then only the broken line is lost.
fn later_line_is_object(text: &[u8]) -> bool {
    text.split(|b| *b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .skip(1)
        .take(3)
        .any(|line| matches!(serde_json::from_slice::<Value>(line), Ok(Value::Object(_))))
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

fn read_json_lines(name: &Arc<str>, text: &[u8], contents: &mut FileContents) {
    for (index, line) in text.split(|b| *b == b'\n').enumerate() {
        let line_number = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(mut object)) if object.contains_key("Records") => {
                match object.remove("Records") {
                    Some(Value::Array(records)) => {
                        push_records(name, records, Some(line_number), contents)
                    }
                    _ => contents.errors.push(InputError {
                        file: name.clone(),
                        record: None,
                        line: Some(line_number),
                        message: "`Records` is not an array of events".into(),
                    }),
                }
            }
            Ok(value) => {
                let record = contents.events.len() + record_errors(contents);
                push_event(name, value, record, Some(line_number), contents);
            }
            Err(err) => {
                let record = contents.events.len() + record_errors(contents);
                contents.errors.push(InputError {
                    file: name.clone(),
                    record: Some(record),
                    line: Some(line_number),
                    message: format!("invalid JSON: {}", json_reason(&err)),
                });
            }
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

    #[test]
    fn size_limit_applies_to_decoded_bytes() {
        let limits = ReadLimits { max_file_bytes: 4 };
        let err = decode(&b"0123456789"[..], &limits).unwrap_err();
        assert!(err.contains("--max-file-size"), "{err}");
    }
}
