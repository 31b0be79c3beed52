//! Generates a realistic CloudTrail corpus in the S3 layout, deterministic by seed, for
//! benchmarks and scale tests (see `trailgate::generate`):
//!
//! ```sh
//! cargo run --release --example generate_trails -- --out /tmp/corpus --events 1000000 --seed 7
//! ```

use std::path::PathBuf;

fn main() {
    let mut out = PathBuf::from("corpus");
    let mut events: u64 = 100_000;
    let mut seed: u64 = 7;
    let mut per_file: u64 = 500;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--out" => out = PathBuf::from(value),
            "--events" => events = value.parse().expect("--events N"),
            "--seed" => seed = value.parse().expect("--seed N"),
            "--per-file" => per_file = value.parse().expect("--per-file N"),
            other => {
                panic!("unknown argument {other}; use --out DIR --events N --seed N --per-file N")
            }
        }
    }
    match trailgate::generate::generate(&out, events, seed, per_file) {
        Ok(manifest) => println!(
            "{}",
            serde_json::to_string_pretty(&manifest).unwrap_or_default()
        ),
        Err(err) => {
            eprintln!(
                "error: cannot write the corpus under {}: {err}",
                out.display()
            );
            std::process::exit(1);
        }
    }
}
