//! Measures the state store with its real schema: writes N first-seen keys (a principal and an
//! address, as `first_seen::key_of` encodes them) for one rule in one transaction, like the end
//! of a run, and prints the time and the file size. `cargo run --release --example
//! state_store_size -- DIR [N]`; docs/state.md quotes it.

use std::time::Instant;

use trailgate::state::{Coverage, Interval, Store};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: state_store_size DIR [KEYS]");
        std::process::exit(2);
    };
    let keys: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::remove_dir_all(&dir);
    let rule = [0x5a; 16];
    let key = |i: u64| {
        serde_json::to_vec(&[
            format!("arn:aws:iam::123456789012:user/user{}", i % 5000),
            format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        ])
        .unwrap_or_default()
    };
    let mut all: Vec<Vec<u8>> = (0..keys).map(key).collect();
    all.sort();

    let mut store = Store::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let mut batch = store.batch().unwrap_or_else(|e| panic!("{e}"));
    for (i, key) in all.iter().enumerate() {
        let t = 1_700_000_000 + i as i64;
        batch
            .put_seen(
                &rule,
                key,
                &[Interval {
                    from: t,
                    to: t + 3600,
                }],
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    batch
        .put_coverage(&rule, "bench", Coverage { from: 0, latest: 1 })
        .unwrap_or_else(|e| panic!("{e}"));
    batch.commit(0, 0).unwrap_or_else(|e| panic!("{e}"));
    let write = started.elapsed();
    drop(store);
    let size = std::fs::metadata(dir.join(trailgate::state::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "{keys} keys in one transaction: {:.2} s; state.sqlite {} bytes ({:.0} bytes per key)",
        write.as_secs_f64(),
        size,
        size as f64 / keys as f64
    );
}
