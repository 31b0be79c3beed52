//! Finding trail files and reading events out of them, each event with its origin. Failures are
//! values (`InputError`) naming the file and record, never panics, so the rest of a scan goes on.

mod discover;
mod read;
pub mod records;
pub mod s3;
mod stream;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

pub use discover::{discover, Discovery};
pub use read::{check_record, json_reason, read_bytes, ReadLimits};
pub use stream::{walk_file, STREAM_ABOVE};

/// What the user asked to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    /// `-`: standard input.
    Stdin,
}

impl Input {
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// One file to read, found by `discover`.
#[derive(Debug, Clone)]
pub struct TrailFile {
    /// How reports name the file: the path as found, or `<stdin>`.
    pub name: Arc<str>,
    /// `None` for standard input or an S3 object.
    pub path: Option<PathBuf>,
    /// Set for an object in S3 (`s3://bucket/key`): its bytes come from the scan's fetcher.
    pub remote: Option<s3::Remote>,
}

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    /// 0-based position of the record in its file (its index in `Records`, in the array, or
    /// among the JSON Lines), as in `jq '.Records[N]'`.
    pub record: usize,
    /// 1-based line, for JSON Lines input.
    pub line: Option<usize>,
}

/// One CloudTrail record and its origin.
#[derive(Debug, Clone)]
pub struct Event {
    pub value: Value,
    pub origin: Origin,
}

/// A file or a record that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InputError {
    pub file: Arc<str>,
    /// Set when one record failed and the rest of the file was read.
    pub record: Option<usize>,
    /// The JSON Lines line of a failed record (1-based).
    pub line: Option<usize>,
    pub message: String,
}

impl InputError {
    /// True when only one record (or JSON Lines line) failed and the rest of the file was read.
    pub fn is_record_error(&self) -> bool {
        self.record.is_some() || self.line.is_some()
    }

    pub fn file(file: &Arc<str>, message: impl Into<String>) -> InputError {
        InputError {
            file: file.clone(),
            record: None,
            line: None,
            message: message.into(),
        }
    }

    /// `file`, `file: record 3` or `file: line 4 (record 3)`.
    pub fn location(&self) -> String {
        match (self.record, self.line) {
            (Some(record), Some(line)) => format!("{}: line {line} (record {record})", self.file),
            (Some(record), None) => format!("{}: record {record}", self.file),
            (None, Some(line)) => format!("{}: line {line}", self.file),
            (None, None) => self.file.to_string(),
        }
    }
}

/// Why a file was passed over without being an error. Its serde form is a stable token
/// (`digest`, `not-regular-file`); `as_str` is the prose for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// A CloudTrail digest file (integrity hashes, not events).
    Digest,
    /// A FIFO, socket or device found while walking a directory: reading it could block forever
    /// or never end. Given explicitly (`<(zcat f.gz)`), such a path is read.
    NotRegularFile,
}

impl SkipReason {
    pub const ALL: [SkipReason; 2] = [SkipReason::Digest, SkipReason::NotRegularFile];

    /// The reason whose prose (`as_str`) this is: reports written before the token existed
    /// carry only the prose.
    pub fn from_prose(prose: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.as_str() == prose)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Digest => "CloudTrail digest file",
            SkipReason::NotRegularFile => {
                "not a regular file (a FIFO, socket or device found in a directory); name it on the command line to read it"
            }
        }
    }
}

/// A file passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub file: Arc<str>,
    pub reason: SkipReason,
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub struct FileContents {
    pub events: Vec<Event>,
    pub errors: Vec<InputError>,
    pub skipped: Option<SkipReason>,
    /// Bytes read from disk (compressed size for gzip).
    pub bytes: u64,
}

impl TrailFile {
    /// Reads and decodes (gunzips) the whole file: the decoded bytes and the size on disk.
    pub fn read_decoded(&self, limits: &ReadLimits) -> Result<(Vec<u8>, u64), String> {
        if let Some(remote) = &self.remote {
            return remote.read_decoded(limits);
        }
        match &self.path {
            Some(path) => read::read_file(path, limits),
            None => read::read_stdin(limits),
        }
    }

    /// Reads and decodes the file. Never fails as a whole: problems are in `errors`.
    pub fn read(&self, limits: &ReadLimits) -> FileContents {
        let raw = self.read_decoded(limits);
        match raw {
            Ok((bytes, on_disk)) => {
                let mut contents = read_bytes(&self.name, &bytes);
                contents.bytes = on_disk;
                contents
            }
            Err(message) => FileContents {
                errors: vec![InputError::file(&self.name, message)],
                ..FileContents::default()
            },
        }
    }
}
