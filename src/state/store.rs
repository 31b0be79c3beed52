//! The SQLite side of the state store: opening (lock, format stamp, tables) and the reads and
//! writes of one run's transaction.
//!
//! The lock is SQLite's own: the connection runs in `locking_mode=EXCLUSIVE`, so the first access
//! takes an exclusive lock on the database file that is held until the `Store` is dropped, and a
//! second opener gets `SQLITE_BUSY` at once (no busy timeout), reported as
//! [`StateError::Locked`]. The journal is a WAL; a transaction that is not committed is never
//! seen by the next opener, whatever killed the process.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction};

use super::{decode_intervals, encode_intervals, Coverage, FileIdentity, Interval, StateError};
use super::{DB_FILE, FORMAT};

/// `PRAGMA application_id` of a trailgate store ("TGst"), so that another SQLite database given
/// as `--state` is refused instead of written into.
const APPLICATION_ID: i64 = 0x5447_7374;

const SCHEMA: &str = "
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- One row per trail file scanned by some run: its content version and the set of rules
-- (fingerprints) it was scanned with.
CREATE TABLE files (
    key     TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    ruleset INTEGER NOT NULL REFERENCES rulesets(id),
    run     INTEGER NOT NULL
) WITHOUT ROWID;
-- Distinct sets of rule fingerprints (sorted, 16 bytes each), shared by the files scanned
-- with them.
CREATE TABLE rulesets (
    id    INTEGER PRIMARY KEY,
    rules BLOB NOT NULL UNIQUE
);
-- First-seen history: per rule fingerprint and key (the combination of field values), the
-- eventTime intervals in which the key was seen; `last` is the end of the last interval.
-- No index on `last`: it would store every key twice (measured: 211 against 115 bytes per
-- key); pruning reads the rule's rows once per run instead.
CREATE TABLE seen (
    rule      BLOB NOT NULL,
    key       BLOB NOT NULL,
    last      INTEGER NOT NULL,
    intervals BLOB NOT NULL,
    PRIMARY KEY (rule, key)
) WITHOUT ROWID;
-- Per first_seen rule fingerprint: the eventTime span its history covers.
CREATE TABLE coverage (
    rule    BLOB PRIMARY KEY,
    rule_id TEXT NOT NULL,
    from_s  INTEGER NOT NULL,
    latest  INTEGER NOT NULL
) WITHOUT ROWID;
-- One row per committed run.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    finished      TEXT NOT NULL,
    written_by    TEXT NOT NULL,
    files_read    INTEGER NOT NULL,
    files_skipped INTEGER NOT NULL
);
";

/// An open, locked state store. Dropping it releases the lock.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    dir: PathBuf,
}

impl Store {
    /// Opens (or creates) the store in `dir`, creating the directory if needed. Fails with a
    /// clear error if another run holds it, if it was written in another format, or if the file
    /// is not a trailgate store.
    pub fn open(dir: &Path) -> Result<Store, StateError> {
        let io = |message: String| StateError::Io {
            dir: dir.to_path_buf(),
            message,
        };
        std::fs::create_dir_all(dir)
            .map_err(|err| io(format!("cannot create the directory: {err}")))?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|err| sql_error(dir, "cannot open the database", &err))?;
        let mut store = Store {
            conn,
            dir: dir.to_path_buf(),
        };
        store.lock_and_check()?;
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock_and_check(&mut self) -> Result<(), StateError> {
        let dir = self.dir.clone();
        let fail = |what: &str, err: rusqlite::Error| sql_error(&dir, what, &err);
        self.conn
            .busy_timeout(std::time::Duration::ZERO)
            .map_err(|e| fail("cannot configure the database", e))?;
        // Exclusive mode first, so that the WAL set up next needs no shared memory and the lock
        // taken by the first access below is kept until the connection closes.
        self.conn
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(|e| fail("cannot lock the database", e))?;
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail("cannot lock the database", e))?;
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| fail("cannot configure the database", e))?;

        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
            .map_err(|e| fail("cannot lock the database", e))?;
        let application_id: i64 = tx
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(|e| fail("cannot read the database", e))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| fail("cannot read the database", e))?;
        let tables: i64 = tx
            .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
            .map_err(|e| fail("cannot read the database", e))?;

        if application_id == 0 && tables == 0 {
            // A new store.
            tx.execute_batch(SCHEMA)
                .map_err(|e| fail("cannot create the tables", e))?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(|e| fail("cannot stamp the database", e))?;
            tx.pragma_update(None, "user_version", FORMAT)
                .map_err(|e| fail("cannot stamp the database", e))?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('created_by', ?1)",
                [env!("CARGO_PKG_VERSION")],
            )
            .map_err(|e| fail("cannot stamp the database", e))?;
        } else if application_id != APPLICATION_ID {
            return Err(StateError::Foreign {
                dir: self.dir.clone(),
                message: format!("a SQLite database with application_id {application_id}"),
            });
        } else if version != FORMAT {
            let written_by = tx
                .query_row(
                    "SELECT value FROM meta WHERE name = 'written_by'",
                    [],
                    |row| row.get::<_, String>(0),
                )
                .ok();
            return Err(StateError::Format {
                dir: self.dir.clone(),
                found: version,
                written_by,
            });
        }
        tx.commit()
            .map_err(|e| fail("cannot write the database", e))?;
        Ok(())
    }

    /// Starts the transaction of a run: reads see the store as the last committed run left it;
    /// writes become visible (and durable) only with [`Batch::commit`].
    pub fn batch(&mut self) -> Result<Batch<'_>, StateError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| sql_error(&self.dir, "cannot start a transaction", &e))?;
        Ok(Batch {
            tx,
            dir: &self.dir,
            run: None,
        })
    }
}

/// One run's reads and writes, in one SQLite transaction. Dropped without `commit`, it leaves
/// the store unchanged.
#[derive(Debug)]
pub struct Batch<'a> {
    tx: Transaction<'a>,
    dir: &'a Path,
    /// This run's id in `runs`, allocated on the first file mark.
    run: Option<i64>,
}

/// How a file stands in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Never scanned.
    New,
    /// Scanned, but its content changed since (another size, modification time or ETag).
    Changed,
    /// Scanned with these rules (fingerprints, sorted) and unchanged since.
    Scanned(Vec<[u8; 16]>),
}

impl Batch<'_> {
    fn fail(&self, what: &str, err: rusqlite::Error) -> StateError {
        sql_error(self.dir, what, &err)
    }

    fn corrupt(&self, what: &str) -> StateError {
        StateError::Io {
            dir: self.dir.to_path_buf(),
            message: format!("the database is damaged: {what}"),
        }
    }

    /// Whether `file` was scanned before, and with which rules.
    pub fn file_status(&self, file: &FileIdentity) -> Result<FileStatus, StateError> {
        let row = self
            .tx
            .prepare_cached(
                "SELECT files.version, rulesets.rules FROM files \
                 JOIN rulesets ON rulesets.id = files.ruleset WHERE files.key = ?1",
            )
            .and_then(|mut st| {
                st.query_row([&file.key], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
                })
                .optional()
            })
            .map_err(|e| self.fail("cannot read scanned files", e))?;
        Ok(match row {
            None => FileStatus::New,
            Some((version, _)) if version != file.version => FileStatus::Changed,
            Some((_, rules)) => FileStatus::Scanned(
                decode_fingerprints(&rules).ok_or_else(|| self.corrupt("a bad rule set"))?,
            ),
        })
    }

    /// Records that `file` was read by this run with `rules` (fingerprints). Rules it was
    /// scanned with before, at the same version, are kept: a file read again only for rules
    /// that changed stays marked for the others.
    pub fn mark_file(&mut self, file: &FileIdentity, rules: &[[u8; 16]]) -> Result<(), StateError> {
        let mut all: Vec<[u8; 16]> = rules.to_vec();
        if let FileStatus::Scanned(before) = self.file_status(file)? {
            all.extend(before);
        }
        all.sort_unstable();
        all.dedup();
        let blob: Vec<u8> = all.concat();
        let ruleset: i64 = self
            .tx
            .prepare_cached(
                "INSERT INTO rulesets (rules) VALUES (?1) \
                 ON CONFLICT (rules) DO UPDATE SET rules = excluded.rules RETURNING id",
            )
            .and_then(|mut st| st.query_row([&blob], |row| row.get(0)))
            .map_err(|e| self.fail("cannot record a rule set", e))?;
        let run = self.run_id()?;
        self.tx
            .prepare_cached(
                "INSERT INTO files (key, version, ruleset, run) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (key) DO UPDATE SET version = excluded.version, \
                 ruleset = excluded.ruleset, run = excluded.run",
            )
            .and_then(|mut st| st.execute(params![file.key, file.version, ruleset, run]))
            .map_err(|e| self.fail("cannot record a scanned file", e))?;
        Ok(())
    }

    fn run_id(&mut self) -> Result<i64, StateError> {
        if let Some(run) = self.run {
            return Ok(run);
        }
        let next: i64 = self
            .tx
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM runs", [], |row| {
                row.get(0)
            })
            .map_err(|e| self.fail("cannot read runs", e))?;
        self.run = Some(next);
        Ok(next)
    }

    /// The intervals in which `rule` saw `key`, in time order; empty if never.
    pub fn seen(&self, rule: &[u8; 16], key: &[u8]) -> Result<Vec<Interval>, StateError> {
        let blob = self
            .tx
            .prepare_cached("SELECT intervals FROM seen WHERE rule = ?1 AND key = ?2")
            .and_then(|mut st| {
                st.query_row(params![rule.as_slice(), key], |row| {
                    row.get::<_, Vec<u8>>(0)
                })
                .optional()
            })
            .map_err(|e| self.fail("cannot read first-seen history", e))?;
        match blob {
            None => Ok(Vec::new()),
            Some(blob) => decode_intervals(&blob).ok_or_else(|| self.corrupt("bad intervals")),
        }
    }

    /// Replaces the intervals of `key` for `rule` (time order, not empty).
    pub fn put_seen(
        &mut self,
        rule: &[u8; 16],
        key: &[u8],
        intervals: &[Interval],
    ) -> Result<(), StateError> {
        let last = intervals.iter().map(|i| i.to).max().unwrap_or(i64::MIN);
        self.tx
            .prepare_cached(
                "INSERT INTO seen (rule, key, last, intervals) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (rule, key) DO UPDATE SET last = excluded.last, \
                 intervals = excluded.intervals",
            )
            .and_then(|mut st| {
                st.execute(params![
                    rule.as_slice(),
                    key,
                    last,
                    encode_intervals(intervals)
                ])
            })
            .map_err(|e| self.fail("cannot write first-seen history", e))?;
        Ok(())
    }

    /// Deletes `rule`'s keys last seen before `before`; returns how many.
    pub fn prune_seen(&mut self, rule: &[u8; 16], before: i64) -> Result<usize, StateError> {
        self.tx
            .prepare_cached("DELETE FROM seen WHERE rule = ?1 AND last < ?2")
            .and_then(|mut st| st.execute(params![rule.as_slice(), before]))
            .map_err(|e| self.fail("cannot prune first-seen history", e))
    }

    /// The span of eventTime that `rule`'s history covers, if the rule ran before.
    pub fn coverage(&self, rule: &[u8; 16]) -> Result<Option<Coverage>, StateError> {
        self.tx
            .prepare_cached("SELECT from_s, latest FROM coverage WHERE rule = ?1")
            .and_then(|mut st| {
                st.query_row([rule.as_slice()], |row| {
                    Ok(Coverage {
                        from: row.get(0)?,
                        latest: row.get(1)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.fail("cannot read first-seen coverage", e))
    }

    /// Sets the span `rule`'s history covers; `rule_id` is for people reading the database.
    pub fn put_coverage(
        &mut self,
        rule: &[u8; 16],
        rule_id: &str,
        coverage: Coverage,
    ) -> Result<(), StateError> {
        self.tx
            .prepare_cached(
                "INSERT INTO coverage (rule, rule_id, from_s, latest) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (rule) DO UPDATE SET rule_id = excluded.rule_id, \
                 from_s = excluded.from_s, latest = excluded.latest",
            )
            .and_then(|mut st| {
                st.execute(params![
                    rule.as_slice(),
                    rule_id,
                    coverage.from,
                    coverage.latest
                ])
            })
            .map_err(|e| self.fail("cannot write first-seen coverage", e))?;
        Ok(())
    }

    /// Makes everything this batch wrote durable at once, recording the run.
    pub fn commit(mut self, files_read: usize, files_skipped: usize) -> Result<(), StateError> {
        let run = self.run_id()?;
        let now = crate::time::Timestamp::now().to_rfc3339();
        let version = env!("CARGO_PKG_VERSION");
        let write = |tx: &Transaction<'_>| -> rusqlite::Result<()> {
            tx.execute(
                "INSERT INTO runs (id, finished, written_by, files_read, files_skipped) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    run,
                    now,
                    version,
                    i64::try_from(files_read).unwrap_or(i64::MAX),
                    i64::try_from(files_skipped).unwrap_or(i64::MAX)
                ],
            )?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('written_by', ?1) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                [version],
            )?;
            Ok(())
        };
        write(&self.tx).map_err(|e| self.fail("cannot record the run", e))?;
        let dir = self.dir;
        self.tx
            .commit()
            .map_err(|e| sql_error(dir, "cannot commit the run", &e))
    }
}

fn decode_fingerprints(blob: &[u8]) -> Option<Vec<[u8; 16]>> {
    if blob.len() % 16 != 0 {
        return None;
    }
    Some(
        blob.chunks_exact(16)
            .map(|c| c.try_into().unwrap_or([0; 16]))
            .collect(),
    )
}

/// Maps SQLite's failures to the store's errors: a busy or locked database is another run.
fn sql_error(dir: &Path, what: &str, err: &rusqlite::Error) -> StateError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StateError::Locked {
            dir: dir.to_path_buf(),
        },
        Some(ErrorCode::NotADatabase) => StateError::Foreign {
            dir: dir.to_path_buf(),
            message: "not a SQLite database".into(),
        },
        _ => StateError::Io {
            dir: dir.to_path_buf(),
            message: format!("{what}: {err}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::FileIdentity;
    use super::*;

    fn file(key: &str, version: &str) -> FileIdentity {
        FileIdentity {
            key: key.into(),
            version: version.into(),
        }
    }

    #[test]
    fn writes_are_seen_after_commit_and_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let rule = [7u8; 16];
        {
            let mut store = Store::open(dir.path()).unwrap();
            let mut batch = store.batch().unwrap();
            batch
                .put_seen(&rule, b"k", &[Interval { from: 1, to: 5 }])
                .unwrap();
            batch.mark_file(&file("a", "v1"), &[rule]).unwrap();
            // Dropped: rolled back.
        }
        {
            let mut store = Store::open(dir.path()).unwrap();
            let batch = store.batch().unwrap();
            assert!(batch.seen(&rule, b"k").unwrap().is_empty());
            assert_eq!(
                batch.file_status(&file("a", "v1")).unwrap(),
                FileStatus::New
            );
        }
        {
            let mut store = Store::open(dir.path()).unwrap();
            let mut batch = store.batch().unwrap();
            batch
                .put_seen(&rule, b"k", &[Interval { from: 1, to: 5 }])
                .unwrap();
            batch.mark_file(&file("a", "v1"), &[rule]).unwrap();
            batch
                .put_coverage(&rule, "r", Coverage { from: 0, latest: 9 })
                .unwrap();
            batch.commit(1, 0).unwrap();
        }
        let mut store = Store::open(dir.path()).unwrap();
        let batch = store.batch().unwrap();
        assert_eq!(
            batch.seen(&rule, b"k").unwrap(),
            vec![Interval { from: 1, to: 5 }]
        );
        assert_eq!(
            batch.file_status(&file("a", "v1")).unwrap(),
            FileStatus::Scanned(vec![rule])
        );
        assert_eq!(
            batch.file_status(&file("a", "v2")).unwrap(),
            FileStatus::Changed
        );
        assert_eq!(
            batch.coverage(&rule).unwrap(),
            Some(Coverage { from: 0, latest: 9 })
        );
    }

    #[test]
    fn marks_add_up_rules_and_reset_on_a_new_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut batch = store.batch().unwrap();
        let a = file("a", "v1");
        batch.mark_file(&a, &[[2; 16]]).unwrap();
        batch.mark_file(&a, &[[1; 16], [2; 16]]).unwrap();
        assert_eq!(
            batch.file_status(&a).unwrap(),
            FileStatus::Scanned(vec![[1; 16], [2; 16]])
        );
        let a2 = file("a", "v2");
        batch.mark_file(&a2, &[[3; 16]]).unwrap();
        assert_eq!(
            batch.file_status(&a2).unwrap(),
            FileStatus::Scanned(vec![[3; 16]])
        );
        batch.commit(2, 0).unwrap();
    }

    #[test]
    fn pruning_drops_keys_last_seen_before_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut batch = store.batch().unwrap();
        let rule = [1; 16];
        batch
            .put_seen(&rule, b"old", &[Interval { from: 1, to: 10 }])
            .unwrap();
        batch
            .put_seen(&rule, b"new", &[Interval { from: 5, to: 50 }])
            .unwrap();
        batch
            .put_seen(&[2; 16], b"other", &[Interval { from: 1, to: 1 }])
            .unwrap();
        assert_eq!(batch.prune_seen(&rule, 20).unwrap(), 1);
        assert!(batch.seen(&rule, b"old").unwrap().is_empty());
        assert_eq!(batch.seen(&rule, b"new").unwrap().len(), 1);
        assert_eq!(batch.seen(&[2; 16], b"other").unwrap().len(), 1);
    }

    #[test]
    fn a_second_open_is_refused_while_the_first_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let second = Store::open(dir.path()).unwrap_err();
        assert!(
            matches!(second, StateError::Locked { .. }),
            "{second:?}: {second}"
        );
        drop(first);
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn another_format_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        for stamp in [FORMAT + 1, FORMAT - 1] {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            conn.pragma_update(None, "user_version", stamp).unwrap();
            drop(conn);
            let err = Store::open(dir.path()).unwrap_err();
            assert!(
                matches!(err, StateError::Format { found, .. } if found == stamp),
                "{err:?}"
            );
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            let kept: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(kept, stamp, "the store must not be rewritten");
        }
    }

    #[test]
    fn foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(conn);
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StateError::Foreign { .. }), "{err:?}");

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DB_FILE), vec![b'x'; 4096]).unwrap();
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StateError::Foreign { .. }), "{err:?}");

        let file = tempfile::NamedTempFile::new().unwrap();
        let err = Store::open(file.path()).unwrap_err();
        assert!(matches!(err, StateError::Io { .. }), "{err:?}");
    }

    /// Run by `a_killed_run_leaves_the_store_as_the_last_commit_left_it` in a child process:
    /// commits one run, then writes a large second run that it never commits, and waits to be
    /// killed.
    #[test]
    #[ignore = "run as a child process by another test"]
    fn child_writer() {
        let Ok(dir) = std::env::var("TRAILGATE_STATE_CHILD_DIR") else {
            return;
        };
        let dir = PathBuf::from(dir);
        let mut store = Store::open(&dir).unwrap();
        let mut batch = store.batch().unwrap();
        batch
            .put_seen(&[1; 16], b"committed", &[Interval { from: 1, to: 1 }])
            .unwrap();
        batch.commit(1, 0).unwrap();
        let mut batch = store.batch().unwrap();
        for i in 0..50_000u32 {
            batch
                .put_seen(&[1; 16], &i.to_be_bytes(), &[Interval { from: 2, to: 2 }])
                .unwrap();
        }
        batch.mark_file(&file("f", "v"), &[[1; 16]]).unwrap();
        std::fs::write(dir.join("ready"), "").unwrap();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    #[test]
    fn a_killed_run_leaves_the_store_as_the_last_commit_left_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "state::store::tests::child_writer",
                "--test-threads=1",
            ])
            .env("TRAILGATE_STATE_CHILD_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let ready = dir.path().join("ready");
        let started = std::time::Instant::now();
        while !ready.exists() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(120),
                "the child never got ready"
            );
            assert!(child.try_wait().unwrap().is_none(), "the child exited");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // Another process holds the store: refused, not waited for, not corrupted.
        let err = Store::open(dir.path()).unwrap_err();
        assert!(matches!(err, StateError::Locked { .. }), "{err:?}");
        // SIGKILL in the middle of the uncommitted run.
        child.kill().unwrap();
        child.wait().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let batch = store.batch().unwrap();
        assert_eq!(batch.seen(&[1; 16], b"committed").unwrap().len(), 1);
        assert!(batch
            .seen(&[1; 16], &7u32.to_be_bytes())
            .unwrap()
            .is_empty());
        assert_eq!(batch.file_status(&file("f", "v")).unwrap(), FileStatus::New);
        let integrity: String = batch
            .tx
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
}
