//! The floor for any tool that reads every byte: decompress every trail file and do nothing else.
//!
//! ```sh
//! cargo run --release --example inflate_floor -- /tmp/corpus [THREADS]
//! ```
//!
//! Prints files, decompressed bytes, seconds and MB/s. Uses the same gzip backend as trailgate
//! (flate2 on zlib-rs) and the same one-file-per-task parallelism.

use std::io::Read;

use rayon::prelude::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args.next().expect("usage: inflate_floor DIR [THREADS]");
    let threads: usize = args.next().map_or(0, |t| t.parse().expect("THREADS"));
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
    let started = std::time::Instant::now();
    let bytes: u64 = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                let file = std::fs::File::open(path).expect("open");
                let mut decoder = flate2::read::MultiGzDecoder::new(
                    std::io::BufReader::with_capacity(256 * 1024, file),
                );
                let mut buffer = vec![0u8; 256 * 1024];
                let mut total = 0u64;
                loop {
                    let n = decoder.read(&mut buffer).expect("inflate");
                    if n == 0 {
                        break total;
                    }
                    total += n as u64;
                }
            })
            .sum()
    });
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"files\": {}, \"bytes\": {bytes}, \"seconds\": {seconds:.3}, \"mb_per_s\": {:.1}}}",
        files.len(),
        bytes as f64 / seconds / 1e6
    );
}
