//! Micro-benchmarks (divan): compiling the built-in rules, reading a record's index fields from
//! its raw text, and evaluating rules on one event. Whole-process numbers come from
//! `scripts/bench.sh`; see docs/performance.md.
//!
//! ```sh
//! cargo bench --bench engine
//! ```

use std::sync::Arc;

use divan::{black_box, Bencher};
use serde_json::Value;
use trailgate::engine::{render, EventResult, RuleSet};
use trailgate::rule::load::{builtin_files, compile_files};
use trailgate::source::records::head;
use trailgate::source::Origin;

fn main() {
    divan::main();
}

/// A few thousand realistic events from the generator, as raw JSON texts.
fn sample_events() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("trailgate-bench-{}", std::process::id()));
    trailgate::generate::generate(&dir, 4_000, 3, 500).expect("generate a sample corpus");
    let mut events = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.expect("walk the sample corpus");
        let path = entry.path();
        if !path.to_string_lossy().ends_with(".json.gz")
            || path.to_string_lossy().contains("Digest")
        {
            continue;
        }
        let bytes = std::fs::read(path).expect("read");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .expect("gunzip");
        let doc: Value = serde_json::from_str(&text).expect("JSON");
        for record in doc["Records"].as_array().expect("Records") {
            events.push(record.to_string());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    events
}

#[divan::bench]
fn compile_builtin_rules(bencher: Bencher) {
    let files = builtin_files();
    bencher.bench(|| compile_files(black_box(&files)).expect("compile"));
}

#[divan::bench]
fn read_index_fields_from_raw_record(bencher: Bencher) {
    let events = sample_events();
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .bench(|| {
            for text in &events {
                black_box(head(black_box(text)));
            }
        });
}

#[divan::bench]
fn parse_record_into_tree(bencher: Bencher) {
    let events = sample_events();
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .bench(|| {
            for text in &events {
                black_box(serde_json::from_str::<Value>(black_box(text)).expect("JSON"));
            }
        });
}

#[divan::bench]
fn evaluate_builtin_rules_per_event(bencher: Bencher) {
    let rules = RuleSet::new(compile_files(&builtin_files()).expect("compile"));
    let events: Vec<Value> = sample_events()
        .iter()
        .map(|t| serde_json::from_str(t).expect("JSON"))
        .collect();
    let origin = Origin {
        file: Arc::from("bench"),
        record: 0,
        line: None,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .bench(|| {
            let mut candidates = Vec::new();
            let mut out = EventResult::default();
            let mut findings = Vec::new();
            for event in &events {
                rules.evaluate(black_box(event), &origin, &mut candidates, &mut out);
                // Render what matched, as a scan does, so the numbers compare with the time
                // when evaluation rendered findings itself.
                findings.extend(
                    out.matches
                        .drain(..)
                        .map(|m| render(&rules.rules()[m.rule], event, &origin)),
                );
            }
            black_box(findings.len())
        });
}
