//! Reading a trail file record by record without holding it whole. Files whose decoded size is
//! below `STREAM_ABOVE` (nearly every file CloudTrail itself writes) are read whole and walked by
//! `records::for_each_record`. A larger `{"Records": [...]}` document is cut into records as its
//! bytes arrive, so memory stays at the size of the largest record however large the file is.

use std::cell::Cell;
use std::io::Read;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::read::{json_reason, open, Decoded};
use super::records::{for_each_record, starts_with_records_key, Record, Walk};
use super::{InputError, Origin, ReadLimits, TrailFile};

/// Decoded files larger than this are streamed when they are a `{"Records": [...]}` document.
pub const STREAM_ABOVE: usize = 16 << 20;

/// How much is read from the decoded stream at a time while streaming.
const CHUNK: usize = 4 << 20;

/// Calls `each` for every record of `file`, in order. Returns what the walk found besides records
/// (errors, a digest) and the bytes read from disk. The file's failures are in `Walk::errors`.
pub fn walk_file(
    file: &TrailFile,
    limits: &ReadLimits,
    stream_above: usize,
    each: &mut dyn FnMut(Record<'_>),
) -> (Walk, u64) {
    // Each worker thread reads file after file into one buffer: a fresh one per file would be
    // fresh pages from the kernel, zeroed, every time.
    thread_local! {
        static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }
    let mut buffer = BUFFER.take();
    buffer.clear();
    let mut walk =
        |d: Decoded<'_>| walk_decoded(&file.name, d, limits, stream_above, each, &mut buffer);
    let opened = match (&file.remote, &file.path) {
        // An S3 object, fetched whole (objects are a few MB) and decoded like a file.
        (Some(remote), _) => remote
            .fetch()
            .and_then(|bytes| open(std::io::Cursor::new(bytes)).map(&mut walk)),
        (None, Some(path)) => std::fs::File::open(path)
            .map_err(|err| format!("cannot open: {}", super::read::io_reason(&err)))
            .and_then(|f| open(f).map(&mut walk)),
        (None, None) => open(std::io::stdin().lock()).map(&mut walk),
    };
    if buffer.capacity() <= 2 * STREAM_ABOVE {
        BUFFER.set(buffer);
    }
    opened.unwrap_or_else(|message| {
        let walk = Walk {
            errors: vec![InputError::file(&file.name, message)],
            skipped: None,
        };
        (walk, 0)
    })
}

fn walk_decoded(
    name: &Arc<str>,
    mut decoded: Decoded<'_>,
    limits: &ReadLimits,
    stream_above: usize,
    each: &mut dyn FnMut(Record<'_>),
    bytes: &mut Vec<u8>,
) -> (Walk, u64) {
    let limit = limits.max_file_bytes;
    // A file that could not be read counts no bytes, as when it is read whole.
    let fail = |message: String, _: &Decoded<'_>| {
        let walk = Walk {
            errors: vec![InputError::file(name, message)],
            skipped: None,
        };
        (walk, 0)
    };
    // The head of the file: all of it, for any file CloudTrail writes.
    // At least enough to see `{"Records": [`.
    let head_size = (stream_above.max(64) as u64).min(limit.saturating_add(1));
    if let Err(err) = (&mut decoded.reader).take(head_size).read_to_end(bytes) {
        return fail(decoded.read_error(&err), &decoded);
    }
    let whole = (bytes.len() as u64) < head_size;
    let streamable = starts_with_records_key(strip_bom(bytes)) && records_start(bytes).is_some();
    if !whole && streamable {
        let mut stream = Stream {
            name,
            buffer: bytes,
            position: 0,
            decoded: &mut decoded,
            done: false,
            record_limit: limit,
        };
        let (walk, read_failed) = stream.walk(each);
        let on_disk = if read_failed { 0 } else { decoded.on_disk() };
        return (walk, on_disk);
    }
    if !whole {
        // Not a Records document: read whole, within the limit.
        let rest = limit.saturating_add(1) - bytes.len() as u64;
        if let Err(err) = (&mut decoded.reader).take(rest).read_to_end(bytes) {
            return fail(decoded.read_error(&err), &decoded);
        }
    }
    if bytes.len() as u64 > limit {
        return fail(decoded.too_large(limit), &decoded);
    }
    (for_each_record(name, bytes, each), decoded.on_disk())
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Where the first record starts in `{"Records": [` (after the `[`), if the document opens that way.
fn records_start(bytes: &[u8]) -> Option<usize> {
    let offset = bytes.len() - strip_bom(bytes).len();
    let mut at = offset;
    for expected in [&b"{"[..], b"\"Records\"", b":", b"["] {
        at = skip_whitespace(bytes, at);
        if !bytes[at..].starts_with(expected) {
            return None;
        }
        at += expected.len();
    }
    Some(at)
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

struct Stream<'n, 'd, 'r, 'b> {
    name: &'n Arc<str>,
    /// Decoded bytes not yet walked start at `position`.
    buffer: &'b mut Vec<u8>,
    position: usize,
    decoded: &'d mut Decoded<'r>,
    /// The decoded stream has ended.
    done: bool,
    /// The largest record held in memory.
    record_limit: u64,
}

/// Why streaming stopped early.
enum Stop {
    Read(String),
    Invalid(String),
}

impl Stream<'_, '_, '_, '_> {
    /// The walk, and whether reading the file failed (rather than its JSON).
    fn walk(&mut self, each: &mut dyn FnMut(Record<'_>)) -> (Walk, bool) {
        let mut count = 0usize;
        let result = self.records(each, &mut count);
        let mut walk = Walk::default();
        let read_failed = matches!(result, Err(Stop::Read(_)));
        if let Err(stop) = result {
            let message = match stop {
                Stop::Read(message) => message,
                Stop::Invalid(reason) => format!("invalid JSON {reason}"),
            };
            let scanned = if count > 0 {
                format!(" (the {count} records before it were scanned)")
            } else {
                String::new()
            };
            walk.errors
                .push(InputError::file(self.name, format!("{message}{scanned}")));
        }
        (walk, read_failed)
    }

    fn records(&mut self, each: &mut dyn FnMut(Record<'_>), count: &mut usize) -> Result<(), Stop> {
        self.position = records_start(self.buffer).unwrap_or(self.buffer.len());
        // An empty array.
        if self.next_significant()? == Some(b']') {
            self.position += 1;
            return self.document_end(*count);
        }
        loop {
            // Walked bytes are dropped between records, so the buffer holds about one chunk plus
            // the record being cut.
            if self.position >= CHUNK {
                self.buffer.drain(..self.position);
                self.position = 0;
                // The head read before streaming started was larger than what streaming needs.
                if self.buffer.capacity() > 4 * CHUNK {
                    self.buffer.shrink_to(2 * CHUNK);
                }
            }
            let Some(_) = self.next_significant()? else {
                return Err(Stop::Invalid(format!(
                    "in record {count}: the JSON ends early (is the file truncated?)"
                )));
            };
            let start = self.position;
            let end = self.value_end(*count)?;
            if end == start {
                return Err(Stop::Invalid(format!(
                    "in record {count}: expected a value, found `{}`",
                    char::from(self.buffer[start]).escape_default()
                )));
            }
            let text = std::str::from_utf8(&self.buffer[start..end])
                .map_err(|_| Stop::Invalid(format!("in record {count}: invalid UTF-8")))?;
            let raw: &RawValue = serde_json::from_str(text).map_err(|err| {
                Stop::Invalid(format!("in record {count}: {}", json_reason(&err)))
            })?;
            let origin = Origin {
                file: self.name.clone(),
                record: *count,
                line: None,
            };
            *count += 1;
            each(Record::Raw { text: raw, origin });
            self.position = end;
            match self.next_significant()? {
                Some(b',') => self.position += 1,
                Some(b']') => {
                    self.position += 1;
                    return self.document_end(*count);
                }
                Some(other) => {
                    return Err(Stop::Invalid(format!(
                        "after record {}: expected `,` or `]`, found `{}`",
                        *count - 1,
                        char::from(other).escape_default()
                    )))
                }
                None => {
                    return Err(Stop::Invalid(
                        "after the last record: the JSON ends early (is the file truncated?)"
                            .into(),
                    ))
                }
            }
        }
    }

    /// After the `Records` array: `}`, or more members and then `}`, then nothing but whitespace.
    fn document_end(&mut self, count: usize) -> Result<(), Stop> {
        match self.next_significant()? {
            Some(b'}') => self.position += 1,
            Some(b',') => {
                // Other members after `Records`: rare and small; check them as one object.
                let mut rest = b"{".to_vec();
                rest.extend_from_slice(&self.buffer[self.position + 1..]);
                self.buffer.clear();
                self.position = 0;
                while self.fill()? {
                    rest.extend_from_slice(self.buffer);
                    self.buffer.clear();
                    if rest.len() as u64 > self.record_limit {
                        return Err(Stop::Invalid(format!(
                            "after `Records`: more than {} bytes of other members",
                            self.record_limit
                        )));
                    }
                }
                return serde_json::from_slice::<IgnoredAny>(&rest)
                    .map(|_| ())
                    .map_err(|err| {
                        // Its column would count from the members, not the file: leave it out.
                        let text = err.to_string();
                        let reason = text.rsplit_once(" at line ").map_or(&*text, |(r, _)| r);
                        Stop::Invalid(format!("after the {count} records: {reason}"))
                    });
            }
            _ => {
                return Err(Stop::Invalid(format!(
                    "after the {count} records: expected `}}` to close the document"
                )))
            }
        }
        match self.next_significant()? {
            None => Ok(()),
            Some(_) => Err(Stop::Invalid(format!(
                "after the {count} records: trailing characters after the document"
            ))),
        }
    }

    /// Skips whitespace and returns the next byte without taking it; `None` at the end.
    fn next_significant(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            while self.position < self.buffer.len() {
                let byte = self.buffer[self.position];
                if !byte.is_ascii_whitespace() {
                    return Ok(Some(byte));
                }
                self.position += 1;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Reads more of the decoded stream onto the end of the buffer; false at its end.
    fn fill(&mut self) -> Result<bool, Stop> {
        if self.done {
            return Ok(false);
        }
        let before = self.buffer.len();
        self.buffer.reserve_exact(CHUNK);
        let read = (&mut self.decoded.reader)
            .take(CHUNK as u64)
            .read_to_end(self.buffer);
        match read {
            Err(err) => Err(Stop::Read(self.decoded.read_error(&err))),
            Ok(0) => {
                self.done = true;
                Ok(false)
            }
            Ok(_) => Ok(self.buffer.len() > before),
        }
    }

    /// The end (exclusive) of the JSON value starting at `position`, reading more as needed. It
    /// only finds where the value ends; `serde_json` then checks it.
    fn value_end(&mut self, record: usize) -> Result<usize, Stop> {
        let start = self.position;
        let mut at = start;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            while at < self.buffer.len() {
                let byte = self.buffer[at];
                at += 1;
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if byte == b'\\' {
                        escaped = true;
                    } else if byte == b'"' {
                        in_string = false;
                        if depth == 0 {
                            return Ok(at);
                        }
                    }
                    continue;
                }
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(at);
                        }
                    }
                    // A bare scalar (`null`, a number, `true`) ends before a separator.
                    b',' | b']' | b'}' if depth == 0 => return Ok(at - 1),
                    b if depth == 0 && b.is_ascii_whitespace() => return Ok(at - 1),
                    _ => {}
                }
            }
            if (at - start) as u64 > self.record_limit {
                return Err(Stop::Invalid(format!(
                    "in record {record}: the record is larger than {} bytes; raise the limit with --max-file-size if it is genuine",
                    self.record_limit
                )));
            }
            if !self.fill()? {
                if depth == 0 && !in_string && at > start {
                    return Ok(at);
                }
                return Err(Stop::Invalid(format!(
                    "in record {record}: the JSON ends early (is the file truncated?)"
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &[u8], stream_above: usize) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, text).unwrap();
        let file = TrailFile {
            name: Arc::from("t.json"),
            path: Some(path),
            remote: None,
        };
        let mut out = Vec::new();
        let (walk, _) = walk_file(&file, &ReadLimits::default(), stream_above, &mut |r| {
            if let Record::Raw { text, origin } = r {
                out.push(format!("{}:{}", origin.record, text.get()));
            }
        });
        (out, walk.errors.iter().map(|e| e.message.clone()).collect())
    }

    #[test]
    fn streaming_cuts_the_same_records_as_reading_whole() {
        let text = br#" {"Records": [ {"eventName":"A","x":"}]\"{["} , {"eventName":"B","l":[1,{"y":[]}]}, 7, "s",null ] , "more": {"a":[1]} } "#;
        let whole = records(text, usize::MAX);
        for stream_above in [1, 8, 20, 40] {
            assert_eq!(records(text, stream_above), whole, "{stream_above}");
        }
        assert_eq!(whole.0.len(), 5);
        assert!(whole.1.is_empty(), "{:?}", whole.1);
    }

    #[test]
    fn streaming_reports_broken_documents_with_the_records_before() {
        let cases: [(&[u8], &str); 5] = [
            (br#"{"Records":[{"eventName":"A"},{"eventName":"#, "invalid JSON in record 1: the JSON ends early (is the file truncated?) (the 1 records before it were scanned)"),
            (br#"{"Records":[{"eventName":"A"} {"eventName":"B"}]}"#, "invalid JSON after record 0: expected `,` or `]`, found `{` (the 1 records before it were scanned)"),
            (br#"{"Records":[{"eventName":"A"},{"eventName" "B"}]}"#, "invalid JSON in record 1: expected `:` at column 14 (the 1 records before it were scanned)"),
            (br#"{"Records":[{"eventName":"A"}]} x"#, "invalid JSON after the 1 records: trailing characters after the document (the 1 records before it were scanned)"),
            (br#"{"Records":[{"eventName":"A"}], "k": }"#, "invalid JSON after the 1 records: expected value (the 1 records before it were scanned)"),
        ];
        for (text, message) in cases {
            // Whitespace after `[` makes each document longer than the head read before deciding.
            let text = [&text[..12], &[b' '; 80][..], &text[12..]].concat();
            let (_, errors) = records(&text, 4);
            assert_eq!(
                errors,
                vec![message.to_string()],
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
    }
}
