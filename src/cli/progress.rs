//! The progress bar of long scans, on standard error, only when it is a terminal (and not with
//! `--quiet`). Workers only add to atomic counters (`Counters`, the engine's `Progress`); one
//! display thread reads them a few times a second, and shows the bar (indicatif) once the scan
//! has run for `DELAY`, so quick scans print nothing. The bar is cleared before any report is
//! written. What it says is computed by `Snapshot`, a plain value the tests check.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::Progress;

/// How long a scan runs before the bar appears.
pub const DELAY: Duration = Duration::from_millis(800);
const REFRESH: Duration = Duration::from_millis(120);

/// What workers report: files done, events read, bytes read from disk.
#[derive(Debug, Default)]
pub struct Counters {
    files: AtomicUsize,
    events: AtomicUsize,
    bytes: AtomicU64,
}

impl Progress for Counters {
    fn file_done(&self, events: usize, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// The state of a scan at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub files_done: usize,
    pub files_total: usize,
    pub events: usize,
    pub bytes_done: u64,
    /// Size on disk of the files to read; 0 when unknown (standard input only).
    pub bytes_total: u64,
    pub elapsed: Duration,
}

impl Snapshot {
    /// How far along, from 0 to 1: by bytes when the sizes are known, else by files.
    pub fn fraction(&self) -> f64 {
        let (done, total) = if self.bytes_total > 0 {
            (self.bytes_done as f64, self.bytes_total as f64)
        } else {
            (self.files_done as f64, self.files_total as f64)
        };
        if total <= 0.0 {
            0.0
        } else {
            (done / total).min(1.0)
        }
    }

    pub fn events_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds <= 0.0 {
            0.0
        } else {
            self.events as f64 / seconds
        }
    }

    /// Time left at the rate so far; `None` until something is done.
    pub fn eta(&self) -> Option<Duration> {
        let fraction = self.fraction();
        if fraction <= 0.0 {
            return None;
        }
        let total = self.elapsed.as_secs_f64() / fraction;
        Some(Duration::from_secs_f64(
            (total - self.elapsed.as_secs_f64()).max(0.0),
        ))
    }

    /// `12/300 files, 1.2M events, 45.1k events/s, ETA 0:42`.
    pub fn message(&self) -> String {
        let eta = match self.eta() {
            Some(eta) => clock(eta),
            None => "-:--".to_string(),
        };
        format!(
            "{}/{} files, {} events, {} events/s, ETA {eta}",
            self.files_done,
            self.files_total,
            human(self.events as f64),
            human(self.events_per_second()),
        )
    }
}

/// `950`, `12.3k`, `4.5M`, `1.2G`.
pub fn human(n: f64) -> String {
    if n < 1_000.0 {
        format!("{n:.0}")
    } else if n < 1_000_000.0 {
        format!("{:.1}k", n / 1_000.0)
    } else if n < 1_000_000_000.0 {
        format!("{:.1}M", n / 1_000_000.0)
    } else {
        format!("{:.1}G", n / 1_000_000_000.0)
    }
}

/// `0:42`, `12:05`, `2:03:04`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A running progress display. `finish` (or dropping it) stops the thread and clears the bar.
pub struct Display {
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Display {
    /// Starts the display thread for a scan of `files_total` files of `bytes_total` bytes.
    pub fn start(files_total: usize, bytes_total: u64) -> Display {
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let counters = counters.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("trailgate-progress".into())
                .spawn(move || run(&counters, &stop, files_total, bytes_total))
                .ok()
        };
        Display {
            counters,
            stop,
            thread,
        }
    }

    /// What to give the scan (`ScanOptions::progress`).
    pub fn progress(&self) -> Arc<dyn Progress> {
        self.counters.clone()
    }

    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

const SCALE: u64 = 10_000;

fn run(counters: &Counters, stop: &AtomicBool, files_total: usize, bytes_total: u64) {
    let started = Instant::now();
    let bar = ProgressBar::with_draw_target(Some(SCALE), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{bar:30.cyan/blue} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut shown = false;
    while !stop.load(Ordering::Relaxed) {
        std::thread::park_timeout(REFRESH);
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let snapshot = Snapshot {
            files_done: counters.files.load(Ordering::Relaxed),
            files_total,
            events: counters.events.load(Ordering::Relaxed),
            bytes_done: counters.bytes.load(Ordering::Relaxed),
            bytes_total,
            elapsed: started.elapsed(),
        };
        if !shown && snapshot.elapsed >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        bar.set_message(snapshot.message());
        bar.set_position((snapshot.fraction() * SCALE as f64) as u64);
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(files_done: usize, events: usize, bytes_done: u64, secs: u64) -> Snapshot {
        Snapshot {
            files_done,
            files_total: 300,
            events,
            bytes_done,
            bytes_total: 1_000,
            elapsed: Duration::from_secs(secs),
        }
    }

    #[test]
    fn message_says_files_events_rate_and_eta() {
        let s = snapshot(12, 1_200_000, 250, 10);
        assert_eq!(s.fraction(), 0.25);
        assert_eq!(s.eta(), Some(Duration::from_secs(30)));
        assert_eq!(
            s.message(),
            "12/300 files, 1.2M events, 120.0k events/s, ETA 0:30"
        );
    }

    #[test]
    fn nothing_done_yet() {
        let s = snapshot(0, 0, 0, 0);
        assert_eq!(s.fraction(), 0.0);
        assert_eq!(s.eta(), None);
        assert_eq!(s.message(), "0/300 files, 0 events, 0 events/s, ETA -:--");
    }

    #[test]
    fn without_sizes_progress_counts_files() {
        let s = Snapshot {
            bytes_total: 0,
            ..snapshot(150, 10, 0, 60)
        };
        assert_eq!(s.fraction(), 0.5);
        assert_eq!(s.eta(), Some(Duration::from_secs(60)));
        let done = Snapshot {
            files_total: 0,
            ..s
        };
        assert_eq!(done.fraction(), 0.0);
    }

    #[test]
    fn numbers_and_clocks() {
        assert_eq!(human(950.0), "950");
        assert_eq!(human(12_345.0), "12.3k");
        assert_eq!(human(4_500_000.0), "4.5M");
        assert_eq!(human(1_200_000_000.0), "1.2G");
        assert_eq!(clock(Duration::from_secs(42)), "0:42");
        assert_eq!(clock(Duration::from_secs(725)), "12:05");
        assert_eq!(clock(Duration::from_secs(7384)), "2:03:04");
    }

    #[test]
    fn counters_add_up_across_threads() {
        let counters = Arc::new(Counters::default());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                let counters = counters.clone();
                scope.spawn(move || {
                    for _ in 0..100 {
                        counters.file_done(10, 7);
                    }
                });
            }
        });
        assert_eq!(counters.files.load(Ordering::Relaxed), 400);
        assert_eq!(counters.events.load(Ordering::Relaxed), 4_000);
        assert_eq!(counters.bytes.load(Ordering::Relaxed), 2_800);
    }

    #[test]
    fn display_starts_and_stops_without_a_terminal() {
        let display = Display::start(2, 0);
        display.progress().file_done(3, 0);
        display.finish();
    }
}
