//! The state store that `scan --state DIR` keeps between runs: which trail files were scanned
//! with which rules (incremental scans), and the first-seen history of `first_seen` rules.
//!
//! One SQLite database (`DIR/state.sqlite`, through rusqlite with SQLite bundled) behind a narrow
//! interface: [`Store::open`] checks the format stamp and takes an exclusive lock for the life of
//! the `Store`; reads go through [`Store::batch`], and everything a run learns is written into
//! one transaction that [`Batch::commit`] makes durable at once. A run that dies before the
//! commit leaves the store exactly as it found it (SQLite rolls the transaction back), so running
//! again gives the findings of one clean run. docs/state.md says what is stored and why.
//!
//! This module knows nothing of events or reports: keys are bytes, times are seconds.

mod fingerprint;
pub mod plan;
mod store;

pub use fingerprint::{hex, rule_fingerprint};
pub use store::{Batch, FileStatus, Store};

use std::fmt;
use std::path::{Path, PathBuf};

/// The on-disk format this build reads and writes. Bump it when a table changes; a store with
/// another stamp is refused with [`StateError::Format`], never read or rewritten.
pub const FORMAT: i64 = 1;

/// The database file inside the state directory.
pub const DB_FILE: &str = "state.sqlite";

/// A span of `eventTime` seconds, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub from: i64,
    pub to: i64,
}

/// What a trail file is: `key` names it (an absolute path, or `s3://bucket/key`) and `version`
/// says which content it had (size and modification time, or an S3 ETag and size). A file whose
/// version changed is read again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileIdentity {
    pub key: String,
    pub version: String,
}

impl FileIdentity {
    /// The identity of a file on local disk: its canonical path, size and modification time.
    pub fn local(path: &Path) -> std::io::Result<FileIdentity> {
        let canonical = std::fs::canonicalize(path)?;
        let metadata = std::fs::metadata(&canonical)?;
        let modified = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or_else(|| "unknown".to_string(), |d| d.as_nanos().to_string());
        Ok(FileIdentity {
            key: canonical.display().to_string(),
            version: format!("size={} mtime_ns={modified}", metadata.len()),
        })
    }

    /// The identity of an S3 object: its URL, ETag (when the listing gave one) and size.
    pub fn s3(url: &str, etag: Option<&str>, size: u64) -> FileIdentity {
        FileIdentity {
            key: url.to_string(),
            version: format!("etag={} size={size}", etag.unwrap_or("none")),
        }
    }
}

/// What the store knows of one rule's first-seen history: the `eventTime` seconds it covers,
/// from the earliest event scanned with the rule (raised when old history is pruned) to the
/// latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    pub from: i64,
    pub latest: i64,
}

impl Coverage {
    /// The union of two coverages (the store's and a run's).
    pub fn join(self, other: Coverage) -> Coverage {
        Coverage {
            from: self.from.min(other.from),
            latest: self.latest.max(other.latest),
        }
    }
}

/// Why the store cannot be used. Every variant names the store's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateError {
    /// Another process (or another `Store` in this one) holds the store.
    Locked { dir: PathBuf },
    /// The store was written in another format.
    Format {
        dir: PathBuf,
        found: i64,
        written_by: Option<String>,
    },
    /// The file in the directory is not a trailgate store (another SQLite database, or not a
    /// database at all).
    Foreign { dir: PathBuf, message: String },
    /// Creating, reading or writing failed.
    Io { dir: PathBuf, message: String },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Locked { dir } => write!(
                f,
                "state store {}: in use by another trailgate run (one run at a time may use a \
                 store); wait for it to finish, or give this run another --state directory",
                dir.display()
            ),
            StateError::Format {
                dir,
                found,
                written_by,
            } => {
                let by = written_by
                    .as_deref()
                    .map(|v| format!(" by trailgate {v}"))
                    .unwrap_or_default();
                if *found > FORMAT {
                    write!(
                        f,
                        "state store {}: written{by} in format {found}, newer than this \
                         trailgate's format {FORMAT}; upgrade trailgate, or give this run \
                         another --state directory",
                        dir.display()
                    )
                } else {
                    write!(
                        f,
                        "state store {}: written{by} in format {found}, older than this \
                         trailgate's format {FORMAT}, which cannot read it; move the directory \
                         aside or delete it (the next run then reads every file again and \
                         relearns first-seen history)",
                        dir.display()
                    )
                }
            }
            StateError::Foreign { dir, message } => write!(
                f,
                "state store {}: {} is not a trailgate state store ({message}); give --state a \
                 directory of its own",
                dir.display(),
                dir.join(DB_FILE).display()
            ),
            StateError::Io { dir, message } => {
                write!(f, "state store {}: {message}", dir.display())
            }
        }
    }
}

impl std::error::Error for StateError {}

/// Encodes intervals for the store: 16 bytes each, big-endian `from` then `to`.
pub(crate) fn encode_intervals(intervals: &[Interval]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(intervals.len() * 16);
    for interval in intervals {
        bytes.extend_from_slice(&interval.from.to_be_bytes());
        bytes.extend_from_slice(&interval.to.to_be_bytes());
    }
    bytes
}

/// The inverse of `encode_intervals`; `None` if the bytes are not a whole number of intervals.
pub(crate) fn decode_intervals(bytes: &[u8]) -> Option<Vec<Interval>> {
    if bytes.len() % 16 != 0 {
        return None;
    }
    let number = |b: &[u8]| i64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
    Some(
        bytes
            .chunks_exact(16)
            .map(|chunk| Interval {
                from: number(&chunk[..8]),
                to: number(&chunk[8..]),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_trip() {
        let intervals = vec![
            Interval { from: -5, to: 3 },
            Interval {
                from: 1_700_000_000,
                to: i64::MAX,
            },
        ];
        let bytes = encode_intervals(&intervals);
        assert_eq!(bytes.len(), 32);
        assert_eq!(decode_intervals(&bytes), Some(intervals));
        assert_eq!(decode_intervals(&bytes[..15]), None);
        assert_eq!(decode_intervals(&[]), Some(Vec::new()));
    }

    #[test]
    fn local_identity_changes_with_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, "{}").unwrap();
        let first = FileIdentity::local(&path).unwrap();
        std::fs::write(&path, "{\"Records\": []}").unwrap();
        let second = FileIdentity::local(&path).unwrap();
        assert_eq!(first.key, second.key);
        assert_ne!(first.version, second.version);
        assert!(FileIdentity::local(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn messages_say_what_to_do() {
        let dir = PathBuf::from("/tmp/st");
        let newer = StateError::Format {
            dir: dir.clone(),
            found: FORMAT + 1,
            written_by: Some("9.9.9".into()),
        };
        assert!(newer.to_string().contains("newer"), "{newer}");
        assert!(newer.to_string().contains("by trailgate 9.9.9"), "{newer}");
        let older = StateError::Format {
            dir: dir.clone(),
            found: 0,
            written_by: None,
        };
        assert!(older.to_string().contains("older"), "{older}");
        assert!(StateError::Locked { dir }
            .to_string()
            .contains("in use by another trailgate run"));
    }
}
