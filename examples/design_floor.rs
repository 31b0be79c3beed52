//! The floor of trailgate's own design, stage by stage: what reading a corpus costs before any
//! rule runs. Each stage adds one step of the engine's per-file path to the one before:
//!
//! - `inflate`: decompress every file into memory (as `inflate_floor`, but kept whole, as the
//!   engine keeps files below its streaming threshold);
//! - `split`: plus cutting the `{"Records": [...]}` document into validated raw records
//!   (`source::records::for_each_record`: serde_json's `RawValue` pass, UTF-8 checks);
//! - `head`: plus reading `eventSource`, `eventName`, `eventTime`, `recipientAccountId` and
//!   `awsRegion` from each raw record (`source::records::head`), which the index uses to skip
//!   records no rule can match and the summary uses to count what was scanned;
//! - `parse`: plus building every record's `serde_json::Value` tree (what a rule without an
//!   event selector costs on every event).
//!
//! ```sh
//! cargo run --release --example design_floor -- /tmp/trailgate-bench [THREADS [STAGE]]
//! ```
//!
//! Prints one JSON line per stage: seconds, records, events/s, and the share of the inflate stage;
//! with STAGE (`inflate`, `split`, `head` or `parse`), runs only that one (`scripts/bench.sh`
//! times it as a process). One file per rayon task, as the engine.

use std::io::Read;
use std::sync::Arc;

use rayon::prelude::*;
use trailgate::source::records::{for_each_record, head, Record};

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Stage {
    Inflate,
    Split,
    Head,
    Parse,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args.next().expect("usage: design_floor DIR [THREADS]");
    let threads: usize = args.next().map_or(0, |t| t.parse().expect("THREADS"));
    let only = args.next();
    let files: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().to_string_lossy().ends_with(".json.gz"))
        .filter(|e| !e.path().to_string_lossy().contains("CloudTrail-Digest"))
        .map(|e| e.into_path())
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let mut inflate_seconds = None;
    for (name, stage) in [
        ("inflate", Stage::Inflate),
        ("split", Stage::Split),
        ("head", Stage::Head),
        ("parse", Stage::Parse),
    ] {
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let started = std::time::Instant::now();
        let records: usize =
            pool.install(|| files.par_iter().map(|path| run_file(path, stage)).sum());
        let seconds = started.elapsed().as_secs_f64();
        let base = *inflate_seconds.get_or_insert(seconds);
        println!(
            "{{\"stage\": \"{name}\", \"seconds\": {seconds:.3}, \"records\": {records}, \"events_per_s\": {:.0}, \"vs_inflate\": \"{:.0}%\"}}",
            records as f64 / seconds,
            base / seconds * 100.0
        );
    }
}

/// Runs one file through the stages up to `stage`; returns its records (0 for `inflate`).
fn run_file(path: &std::path::Path, stage: Stage) -> usize {
    let file = std::fs::File::open(path).expect("open");
    let mut decoder =
        flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(256 * 1024, file));
    let mut bytes = Vec::new();
    decoder.read_to_end(&mut bytes).expect("inflate");
    if stage == Stage::Inflate {
        return 0;
    }
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let mut records = 0usize;
    let mut heads = 0usize;
    for_each_record(&name, &bytes, &mut |record| {
        records += 1;
        if let Record::Raw { text, .. } = record {
            if stage >= Stage::Head && head(text.get()).is_some() {
                heads += 1;
            }
            if stage >= Stage::Parse {
                let value: serde_json::Value =
                    serde_json::from_str(text.get()).expect("a valid record");
                std::hint::black_box(value);
            }
        }
    });
    std::hint::black_box(heads);
    records
}
