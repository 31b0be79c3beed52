//! Byte records kept in an unnamed temporary file instead of memory: the first-seen stage's
//! candidate findings when a report must carry every one of them (JSON Lines observations), one
//! per combination and episode, hundreds of thousands on a large run. Held in memory they were
//! most of the run's peak (about 1.7 KB each); on disk each costs the handle.
//!
//! The layer stores bytes and knows nothing of their format: producers write the wire form of a
//! finding and read it back with the wire module. The file is unlinked from the start
//! (`tempfile::tempfile`), so it goes away with the process however the process ends; `TMPDIR`
//! chooses where it lives.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// An append-only temporary file of byte records, shared by the threads of a scan.
pub struct Spill {
    file: Mutex<Appender>,
}

struct Appender {
    out: BufWriter<File>,
    /// Bytes appended so far: the offset of the next record.
    written: u64,
    /// A write failed: the file may hold part of a record, so nothing more is appended (the
    /// records before it are whole and still read back).
    broken: bool,
}

/// Where one record is: two parts (a finding's text, and the event it keeps, possibly empty),
/// read back together.
#[derive(Clone)]
pub struct Spilled {
    spill: Arc<Spill>,
    at: u64,
    first: u32,
    second: u32,
}

impl Spill {
    /// A new, empty spill in the system's temporary directory.
    pub fn new() -> io::Result<Arc<Spill>> {
        let file = tempfile::tempfile()?;
        Ok(Arc::new(Spill {
            file: Mutex::new(Appender {
                out: BufWriter::with_capacity(256 * 1024, file),
                written: 0,
                broken: false,
            }),
        }))
    }

    /// Appends a record of two parts.
    pub fn put(self: &Arc<Self>, first: &[u8], second: &[u8]) -> io::Result<Spilled> {
        let too_long = |_| io::Error::new(io::ErrorKind::InvalidInput, "record over 4 GiB");
        let (first_len, second_len) = (
            u32::try_from(first.len()).map_err(too_long)?,
            u32::try_from(second.len()).map_err(too_long)?,
        );
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if file.broken {
            return Err(io::Error::other(
                "an earlier write to the temporary file failed",
            ));
        }
        let at = file.written;
        let wrote = file
            .out
            .write_all(first)
            .and_then(|()| file.out.write_all(second));
        if let Err(err) = wrote {
            file.broken = true;
            return Err(err);
        }
        file.written += u64::from(first_len) + u64::from(second_len);
        Ok(Spilled {
            spill: self.clone(),
            at,
            first: first_len,
            second: second_len,
        })
    }

    fn read(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; len];
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.out.flush()?;
        read_exact_at(file.out.get_mut(), &mut buf, at)?;
        Ok(buf)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &mut File, buf: &mut [u8], at: u64) -> io::Result<()> {
    // One system call, and the append position is left alone.
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_exact_at(file: &mut File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(at))?;
    let read = file.read_exact(buf);
    file.seek(SeekFrom::End(0))?;
    read
}

impl Spilled {
    /// The record's two parts.
    pub fn read(&self) -> io::Result<(Vec<u8>, Vec<u8>)> {
        let mut both = self
            .spill
            .read(self.at, self.first as usize + self.second as usize)?;
        let second = both.split_off(self.first as usize);
        Ok((both, second))
    }

    /// The record's first part.
    pub fn read_first(&self) -> io::Result<Vec<u8>> {
        self.spill.read(self.at, self.first as usize)
    }
}

impl fmt::Debug for Spill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Spill")
    }
}

impl fmt::Debug for Spilled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Spilled({}+{}+{})", self.at, self.first, self.second)
    }
}

/// The same record of the same spill.
impl PartialEq for Spilled {
    fn eq(&self, other: &Spilled) -> bool {
        Arc::ptr_eq(&self.spill, &other.spill) && self.at == other.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_written_from_any_thread() {
        let spill = Spill::new().unwrap();
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let spill = spill.clone();
                std::thread::spawn(move || {
                    (0..200)
                        .map(|i| {
                            let first = format!("thread {t} record {i}").into_bytes();
                            let second = vec![b'x'; i % 3];
                            (spill.put(&first, &second).unwrap(), first, second)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let written: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        // Read in another order than written, between further writes.
        for (n, (spilled, first, second)) in written.iter().rev().enumerate() {
            assert_eq!(spilled.read().unwrap(), (first.clone(), second.clone()));
            assert_eq!(&spilled.read_first().unwrap(), first);
            if n % 50 == 0 {
                spill.put(b"more", b"").unwrap();
            }
        }
        let empty = spill.put(b"", b"").unwrap();
        assert_eq!(empty.read().unwrap(), (Vec::new(), Vec::new()));
        assert_ne!(written[0].0, written[1].0);
        assert_eq!(written[0].0, written[0].0.clone());
    }
}
