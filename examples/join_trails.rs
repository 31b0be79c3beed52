//! Joins the records of a generated corpus into one uncompressed `{"Records": [...]}` file of at
//! least a given size (repeating the corpus if needed), to measure a scan of one very large file:
//!
//! ```sh
//! cargo run --release --example join_trails -- /tmp/corpus /tmp/one-big-trail.json 2000000000
//! ```

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use trailgate::source::records::{for_each_record, Record};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out, size] = args.as_slice() else {
        eprintln!("usage: join_trails CORPUS_DIR OUT_FILE BYTES");
        std::process::exit(2);
    };
    let size: u64 = size.parse().expect("BYTES is a number");
    let mut files: Vec<PathBuf> = walk(PathBuf::from(dir))
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().ends_with(".json.gz") && !p.to_string_lossy().contains("Digest")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .json.gz trail files under {dir}");
    let mut writer = BufWriter::new(std::fs::File::create(out).expect("create the output file"));
    writer.write_all(b"{\"Records\":[").unwrap();
    let (mut written, mut records) = (0u64, 0u64);
    'outer: loop {
        for path in &files {
            let mut bytes = Vec::new();
            flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
                .read_to_end(&mut bytes)
                .unwrap();
            let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
            for_each_record(&name, &bytes, &mut |record| {
                if let Record::Raw { text, .. } = record {
                    if records > 0 {
                        writer.write_all(b",\n").unwrap();
                    }
                    writer.write_all(text.get().as_bytes()).unwrap();
                    written += text.get().len() as u64 + 2;
                    records += 1;
                }
            });
            if written >= size {
                break 'outer;
            }
        }
    }
    writer.write_all(b"]}\n").unwrap();
    writer.flush().unwrap();
    println!("{{\"records\": {records}, \"bytes\": {written}}}");
}

fn walk(dir: PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(path));
        } else {
            out.push(path);
        }
    }
    out
}
