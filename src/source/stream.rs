//! Reading a trail file record by record without holding it whole. Files whose decoded size is
//! below `STREAM_ABOVE` (nearly every file CloudTrail itself writes) are read whole and walked by
//! `records::for_each_record_within`. A larger `{"Records": [...]}` document or bare array is cut
//! into records as its bytes arrive, so memory stays at a chunk plus the largest record however
//! large the file is; a record over the record limit is scanned for its end and dropped as it
//! arrives, never held.

use std::cell::Cell;
use std::io::Read;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::read::{json_line, later_line_is_object, record_too_large, Reading};
use super::read::{json_reason, open, Decoded};
use super::records::{for_each_record_within, starts_with_records_key, Record, Walk};
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
    // Room for the whole head up front: left to grow, the buffer would double past it.
    bytes.reserve_exact(head_size.min(STREAM_ABOVE as u64) as usize);
    if let Err(err) = (&mut decoded.reader).take(head_size).read_to_end(bytes) {
        return fail(decoded.read_error(&err), &decoded);
    }
    let whole = (bytes.len() as u64) < head_size;
    let head = strip_bom(bytes);
    let streamable = starts_with_records_key(head) && records_start(bytes).is_some();
    let array = head.trim_ascii_start().starts_with(b"[");
    // As the general reader judges a whole file: JSON Lines when the first line is a whole value
    // with more after it (`zcat` of each trail file, one a line, starts `{"Records"` too), or
    // when the document is not a `Records` document or an array and a later line is an object.
    let lines = !whole
        && (first_line_is_a_value(head) || (!streamable && !array && later_line_is_object(head)));
    if lines {
        let bom = bytes.len() - head.len();
        let chunk = CHUNK.min(head_size as usize);
        let (walk, read_failed) = stream_lines(name, &mut decoded, bytes, bom, limits, chunk, each);
        let on_disk = if read_failed { 0 } else { decoded.on_disk() };
        return (walk, on_disk);
    }
    if !whole && (streamable || array) {
        let mut stream = Stream {
            name,
            buffer: bytes,
            position: 0,
            decoded: &mut decoded,
            done: false,
            array,
            record_limit: limits.max_record_bytes,
            // Tests stream tiny files in tiny chunks.
            chunk: CHUNK.min(head_size as usize),
        };
        let (walk, read_failed) = stream.walk(each);
        let on_disk = if read_failed { 0 } else { decoded.on_disk() };
        return (walk, on_disk);
    }
    if !whole {
        // Not a Records document, an array or JSON Lines: read whole, within the limit.
        let rest = limit.saturating_add(1) - bytes.len() as u64;
        if let Err(err) = (&mut decoded.reader).take(rest).read_to_end(bytes) {
            return fail(decoded.read_error(&err), &decoded);
        }
    }
    if bytes.len() as u64 > limit {
        return fail(decoded.too_large(limit), &decoded);
    }
    let walk = for_each_record_within(name, bytes, limits.max_record_bytes, each);
    (walk, decoded.on_disk())
}

/// The first line is a whole JSON value, and more than whitespace follows it.
fn first_line_is_a_value(head: &[u8]) -> bool {
    let Some(end) = memchr::memchr(b'\n', head) else {
        return false;
    };
    let more = !head[end + 1..].iter().all(u8::is_ascii_whitespace);
    more && serde_json::from_slice::<IgnoredAny>(&head[..end]).is_ok()
}

/// Reads a large JSON Lines file line by line: memory holds a chunk and the line being read. A
/// line longer than the record limit is refused once it passes the limit and dropped as it
/// arrives, unless it opens as a `{"Records": [...]}` document (a whole trail file on one line,
/// as `zcat` of each file makes), which is held within the file limit. Returns the walk and
/// whether reading failed.
fn stream_lines(
    name: &Arc<str>,
    decoded: &mut Decoded<'_>,
    bytes: &mut Vec<u8>,
    bom: usize,
    limits: &ReadLimits,
    chunk: usize,
    each: &mut dyn FnMut(Record<'_>),
) -> (Walk, bool) {
    let max_record = limits.max_record_bytes;
    let mut emit = |event| each(Record::Parsed(event));
    let mut reading = Reading::new(&mut emit);
    // The line being read starts at `start`; no line break before `searched`.
    let (mut start, mut searched) = (bom, bom);
    let mut line = 1;
    // Dropping the rest of a line refused for its size.
    let mut dropping = false;
    let mut done = false;
    let mut read_failed = false;
    loop {
        if let Some(offset) = memchr::memchr(b'\n', &bytes[searched..]) {
            let end = searched + offset;
            if !dropping {
                json_line(name, &bytes[start..end], line, max_record, &mut reading);
            }
            dropping = false;
            line += 1;
            start = end + 1;
            searched = start;
            continue;
        }
        if done {
            if !dropping {
                json_line(name, &bytes[start..], line, max_record, &mut reading);
            }
            break;
        }
        let held = (bytes.len() - start) as u64;
        if !dropping && held > max_record && !starts_with_records_key(&bytes[start..]) {
            reading.line_too_large(name, line, max_record);
            dropping = true;
        }
        if !dropping && held > limits.max_file_bytes {
            reading.push_error(InputError {
                file: name.clone(),
                record: None,
                line: Some(line),
                message: format!(
                    "the line is larger than {} bytes; raise the limit with --max-file-size if it is genuine",
                    limits.max_file_bytes
                ),
            });
            dropping = true;
        }
        if dropping {
            bytes.clear();
            start = 0;
        } else if start >= chunk {
            bytes.drain(..start);
            start = 0;
        }
        searched = bytes.len();
        bytes.reserve_exact(chunk);
        match (&mut decoded.reader).take(chunk as u64).read_to_end(bytes) {
            Ok(0) => done = true,
            Ok(_) => {}
            Err(err) => {
                reading.push_error(InputError::file(name, decoded.read_error(&err)));
                read_failed = true;
                break;
            }
        }
    }
    let (errors, skipped) = reading.into_rest();
    (Walk { errors, skipped }, read_failed)
}

/// The record at the start of `bytes` when it lies whole in them, is valid JSON and is within
/// the record limit: serde_json finds its end while validating it, one pass instead of a cut and
/// then a parse. `None` leaves the record to `Stream::cut_record`, which reads on, refuses or
/// reports it exactly as before (so errors are worded the same either way).
fn whole_record(bytes: &[u8], done: bool, record_limit: u64) -> Option<&RawValue> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<&RawValue>();
    let raw = values.next()?.ok()?;
    let end = values.byte_offset();
    // A number or literal that ends the buffer may go on in the next chunk.
    let open = end >= bytes.len() && !done;
    (!open && raw.get().len() as u64 <= record_limit).then_some(raw)
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
    /// A bare array of records rather than a `{"Records": [...]}` document.
    array: bool,
    /// The largest record held in memory; a larger one is refused and skipped unbuffered.
    record_limit: u64,
    /// How much is read at a time: `CHUNK`.
    chunk: usize,
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
        self.position = if self.array {
            // After the `[`.
            self.buffer.len() - strip_bom(self.buffer).trim_ascii_start().len() + 1
        } else {
            records_start(self.buffer).unwrap_or(self.buffer.len())
        };
        // An empty array.
        if self.next_significant()? == Some(b']') {
            self.position += 1;
            return self.document_end(*count);
        }
        loop {
            // Walked bytes are dropped between records, so the buffer holds about one chunk plus
            // the record being cut.
            if self.position >= self.chunk {
                self.buffer.drain(..self.position);
                self.position = 0;
                // The head read before streaming started was larger than what streaming needs.
                if self.buffer.capacity() > 4 * self.chunk {
                    self.buffer.shrink_to(2 * self.chunk);
                }
            }
            let Some(_) = self.next_significant()? else {
                return Err(Stop::Invalid(format!(
                    "in record {count}: the JSON ends early (is the file truncated?)"
                )));
            };
            let start = self.position;
            let origin = Origin {
                file: self.name.clone(),
                record: *count,
                line: None,
            };
            // Most records lie whole in the buffer: cut and validate them in one pass.
            if let Some(raw) = whole_record(&self.buffer[start..], self.done, self.record_limit) {
                let end = start + raw.get().len();
                *count += 1;
                each(Record::Raw { text: raw, origin });
                self.position = end;
            } else {
                self.cut_record(start, origin, count, each)?;
            }
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

    /// Cuts the record starting at `start` by its structure (reading more as needed, dropping it
    /// unbuffered if it is over the record limit), then validates it.
    fn cut_record(
        &mut self,
        start: usize,
        origin: Origin,
        count: &mut usize,
        each: &mut dyn FnMut(Record<'_>),
    ) -> Result<(), Stop> {
        let (end, kept) = match self.value_end(*count)? {
            Cut::Whole(end) => (end, true),
            Cut::TooLarge(end) => (end, false),
        };
        if !kept {
            // Its bytes are gone: report it in its place and go on after it.
            *count += 1;
            each(Record::Refused(InputError {
                file: origin.file,
                record: Some(origin.record),
                line: None,
                message: record_too_large(self.record_limit),
            }));
        } else {
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
            *count += 1;
            each(Record::Raw { text: raw, origin });
        }
        self.position = end;
        Ok(())
    }

    /// After the `Records` array: `}`, or more members and then `}`, then nothing but whitespace
    /// (after a bare array, only whitespace).
    fn document_end(&mut self, count: usize) -> Result<(), Stop> {
        match self.next_significant()? {
            _ if self.array => {}
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
        self.buffer.reserve_exact(self.chunk);
        let read = (&mut self.decoded.reader)
            .take(self.chunk as u64)
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

    /// Where the JSON value starting at `position` ends (exclusive), reading more as needed. It
    /// only finds where the value ends; `serde_json` then checks it. A value larger than the
    /// record limit is not kept: once it passes the limit, its bytes are scanned for its end and
    /// dropped as they come, and the end is in the buffer as it is then.
    fn value_end(&mut self, record: usize) -> Result<Cut, Stop> {
        let mut start = self.position;
        let mut at = start;
        // Bytes of the value already dropped (only once it is over the limit).
        let mut dropped = 0u64;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let mut end = None;
            while at < self.buffer.len() {
                if in_string && !escaped {
                    // Long strings (the usual bulk of a huge record) in one jump.
                    match memchr::memchr2(b'"', b'\\', &self.buffer[at..]) {
                        Some(offset) => at += offset,
                        None => {
                            at = self.buffer.len();
                            break;
                        }
                    }
                }
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
                            end = Some(at);
                            break;
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
                            end = Some(at);
                            break;
                        }
                    }
                    // A bare scalar (`null`, a number, `true`) ends before a separator.
                    b',' | b']' | b'}' if depth == 0 => {
                        end = Some(at - 1);
                        break;
                    }
                    b if depth == 0 && b.is_ascii_whitespace() => {
                        end = Some(at - 1);
                        break;
                    }
                    _ => {}
                }
            }
            let size = dropped + (end.unwrap_or(at) - start) as u64;
            if let Some(end) = end {
                return Ok(if size > self.record_limit {
                    Cut::TooLarge(end)
                } else {
                    Cut::Whole(end)
                });
            }
            if size > self.record_limit {
                // Refused: everything scanned so far is dropped, and the rest as it is scanned.
                dropped = size;
                self.buffer.clear();
                self.position = 0;
                start = 0;
                at = 0;
            }
            if !self.fill()? {
                if depth == 0 && !in_string && at > start {
                    return Ok(if dropped > 0 {
                        Cut::TooLarge(at)
                    } else {
                        Cut::Whole(at)
                    });
                }
                return Err(Stop::Invalid(format!(
                    "in record {record}: the JSON ends early (is the file truncated?)"
                )));
            }
        }
    }
}

/// Where a value ends in the buffer, and whether it was kept.
enum Cut {
    Whole(usize),
    /// Larger than the record limit: not kept (the buffer may hold only its end).
    TooLarge(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_record_takes_only_records_it_can_vouch_for() {
        let cut = |bytes: &str, done: bool, limit: u64| {
            whole_record(bytes.as_bytes(), done, limit).map(|raw| raw.get().to_string())
        };
        assert_eq!(
            cut(r#"{"a":[1,"]"]},{"b":2}"#, false, 100).as_deref(),
            Some(r#"{"a":[1,"]"]}"#)
        );
        assert_eq!(cut("42,7", false, 100).as_deref(), Some("42"));
        // The buffer ends inside a record, or where a number might go on: read on first.
        assert_eq!(cut(r#"{"a":"b"#, false, 100), None);
        assert_eq!(cut("42", false, 100), None);
        assert_eq!(cut("42", true, 100).as_deref(), Some("42"));
        // Over the limit or invalid: left to the structural cut, which refuses or reports it.
        assert_eq!(cut(r#"{"a":"bbbbbbbbbb"},"#, false, 10), None);
        assert_eq!(cut(r#"{"a":tru},"#, false, 100), None);
        assert!(whole_record(b"{\"a\":\"\xff\"},", false, 100).is_none());
    }

    fn records(text: &[u8], stream_above: usize) -> (Vec<String>, Vec<String>) {
        records_within(text, stream_above, &ReadLimits::default())
    }

    fn records_within(
        text: &[u8],
        stream_above: usize,
        limits: &ReadLimits,
    ) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, text).unwrap();
        let file = TrailFile {
            name: Arc::from("t.json"),
            path: Some(path),
            remote: None,
        };
        let mut out = Vec::new();
        let (walk, _) = walk_file(&file, limits, stream_above, &mut |r| match r {
            Record::Raw { text, origin } => out.push(format!("{}:{}", origin.record, text.get())),
            Record::Refused(error) => out.push(format!("{:?}:{}", error.record, error.message)),
            Record::Parsed(event) => out.push(format!("parsed {}", event.origin.record)),
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

    #[test]
    fn records_over_the_limit_are_refused_in_place_streamed_or_whole() {
        let big = format!(
            r#"{{"eventName":"B","pad":"{}\"{{[","l":[[{{}}]]}}"#,
            "x".repeat(300)
        );
        let text = format!(
            r#"{{"Records": [{{"eventName":"A"}}, {big}, 12345678901234567890123, {big}, {{"eventName":"C"}}]}}"#
        );
        let limits = ReadLimits {
            max_record_bytes: 20,
            ..ReadLimits::default()
        };
        let whole = records_within(text.as_bytes(), usize::MAX, &limits);
        let refused = format!("Some(1):{}", super::record_too_large(20));
        assert_eq!(whole.0[1], refused, "{whole:?}");
        assert_eq!(whole.0.len(), 5);
        assert_eq!(whole.0[4], r#"4:{"eventName":"C"}"#);
        assert!(whole.1.is_empty(), "{:?}", whole.1);
        // Streamed with chunks far smaller than the record: it is dropped as it is scanned.
        for stream_above in [1, 8, 40, 100] {
            assert_eq!(
                records_within(text.as_bytes(), stream_above, &limits),
                whole,
                "{stream_above}"
            );
        }
    }

    #[test]
    fn a_refused_record_cut_short_is_a_truncated_file() {
        let text = format!(
            r#"{{"Records":[{{"eventName":"A"}},{{"s":"{}"#,
            "x".repeat(200)
        );
        let limits = ReadLimits {
            max_record_bytes: 50,
            ..ReadLimits::default()
        };
        let (records, errors) = records_within(text.as_bytes(), 8, &limits);
        assert_eq!(records, vec![r#"0:{"eventName":"A"}"#.to_string()]);
        assert_eq!(
            errors,
            vec!["invalid JSON in record 1: the JSON ends early (is the file truncated?) (the 1 records before it were scanned)".to_string()]
        );
    }

    #[test]
    fn a_large_bare_array_is_streamed_too() {
        // Longer than the smallest head (64 bytes), so that it is streamed.
        let text = br#" [                                   {"eventName":"A"}, 7 , {"eventName":"C","x":"]"} ] "#;
        let (cut, errors) = records(text, 1);
        assert_eq!(
            cut,
            vec![
                r#"0:{"eventName":"A"}"#,
                "1:7",
                r#"2:{"eventName":"C","x":"]"}"#
            ]
        );
        assert!(errors.is_empty(), "{errors:?}");
        // Whole, it takes the general path: events come out parsed, 7 is a record error there.
        let (whole, errors) = records_within(text, usize::MAX, &ReadLimits::default());
        assert_eq!(whole, vec!["parsed 0", "parsed 2"]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (_, errors) = records(&[&text[..], b"x"].concat(), 1);
        assert_eq!(
            errors,
            vec!["invalid JSON after the 3 records: trailing characters after the document (the 3 records before it were scanned)".to_string()]
        );
    }

    /// Events as `record/line value` and errors as `record/line message`, through `walk_file`.
    fn lines_walk(text: &[u8], stream_above: usize, max_record: u64) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, text).unwrap();
        let file = TrailFile {
            name: Arc::from("t.jsonl"),
            path: Some(path),
            remote: None,
        };
        let limits = ReadLimits {
            max_record_bytes: max_record,
            ..ReadLimits::default()
        };
        let mut events = Vec::new();
        let (walk, _) = walk_file(&file, &limits, stream_above, &mut |record| {
            if let Record::Parsed(event) = record {
                let origin = &event.origin;
                events.push(format!(
                    "{}/{:?} {}",
                    origin.record, origin.line, event.value
                ));
            }
        });
        let errors = walk.errors.iter();
        let errors = errors.map(|e| format!("{:?}/{:?} {}", e.record, e.line, e.message));
        (events, errors.collect())
    }

    #[test]
    fn large_json_lines_are_read_line_by_line_with_long_lines_refused() {
        let long = format!(r#"{{"eventName":"L","pad":"{}"}}"#, "x".repeat(300));
        let records =
            format!(r#"{{"Records":[{{"eventName":"R1"}},{long},{{"eventName":"R2"}}]}}"#);
        let text = format!(
            "{{\"eventName\":\"A\"}}\n\n{long}\r\n{{oops\n{records}\n   \n{long}\n{{\"eventName\":\"Z\"}}"
        );
        let whole = lines_walk(text.as_bytes(), usize::MAX, 100);
        assert_eq!(whole.0.len(), 4, "{whole:?}");
        assert_eq!(whole.1.len(), 4, "{whole:?}");
        assert!(
            whole.1[0].starts_with("Some(1)/Some(3) the record is larger than 100 bytes"),
            "{whole:?}"
        );
        for stream_above in [1, 10, 64, 200] {
            assert_eq!(
                lines_walk(text.as_bytes(), stream_above, 100),
                whole,
                "{stream_above}"
            );
        }
        // Without a limit in the way, streamed and whole agree too.
        let whole = lines_walk(text.as_bytes(), usize::MAX, 1 << 20);
        assert_eq!(whole.0.len(), 7, "{whole:?}");
        assert_eq!(lines_walk(text.as_bytes(), 1, 1 << 20), whole);
    }
}
