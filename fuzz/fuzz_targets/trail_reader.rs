//! Trail files are partly attacker-controlled. Any bytes as a trail file (gzip or not, any shape)
//! must give events and errors, never a panic, a hang or unbounded memory; and the fast way
//! through a `{"Records": [...]}` document must read exactly what the general reader reads.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use trailgate::source::records::{for_each_record_within, head, head_and_members, Record};
use trailgate::source::{check_record, read_bytes_within, walk_file, ReadLimits, TrailFile};

/// One scratch file per fuzzing process, so the input goes through the real open-and-decode path.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("trailgate-fuzz-{}.json", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(scratch(), data).expect("the scratch file is writable");
    let file = TrailFile {
        name: Arc::from("fuzz.json"),
        path: Some(scratch().clone()),
        remote: None,
    };
    // A small file limit keeps a gzip bomb in the corpus from using the fuzzer's memory; a small
    // record limit puts records on both sides of it.
    let limits = ReadLimits {
        max_file_bytes: 8 << 20,
        max_record_bytes: 512,
    };
    let Ok((bytes, _)) = file.read_decoded(&limits) else {
        return;
    };
    let general = read_bytes_within(&file.name, &bytes, limits.max_record_bytes);

    // A plain {"Records": [...]} document cut as its bytes arrive (as files above 16 MiB are)
    // gives exactly the records of reading it whole.
    let records = |stream_above: usize| {
        let mut out: Vec<(usize, String)> = Vec::new();
        let mut parsed = false;
        let (walk, _) = walk_file(&file, &limits, stream_above, &mut |record| match record {
            Record::Raw { text, origin } => out.push((origin.record, text.get().to_string())),
            Record::Refused(error) => out.push((error.record.unwrap_or(usize::MAX), error.message)),
            Record::Parsed(_) => parsed = true,
        });
        (
            out,
            walk.errors.is_empty() && walk.skipped.is_none() && !parsed,
        )
    };
    let (whole, plain) = records(usize::MAX);
    if plain {
        let (streamed, clean) = records(0);
        assert!(clean, "streaming fails a document read cleanly whole");
        assert_eq!(streamed, whole, "streaming cuts different records");
    }

    let mut fast: Vec<(usize, Result<Value, String>)> = Vec::new();
    let max_record = limits.max_record_bytes;
    let walk = for_each_record_within(&file.name, &bytes, max_record, &mut |record| match record {
        Record::Raw { text, origin } => {
            // The cutting parser lets through what a full parse may refuse (a number beyond f64,
            // nesting past 128 levels); the engine parses the record then and reports it as a
            // record in error. The index's shortcut counts a record whose head it reads as an
            // event without parsing it, so such a record must never have a head.
            let parsed = serde_json::from_str::<Value>(text.get());
            if let Some(found) = head(text.get()) {
                let parsed = parsed
                    .as_ref()
                    .expect("a record whose head is read parses (the shortcut counts it an event)");
                let field = |key: &str| parsed.get(key).and_then(Value::as_str);
                assert_eq!(found.source, field("eventSource"));
                assert_eq!(found.name, field("eventName"));
                assert_eq!(found.account, field("recipientAccountId"));
                assert_eq!(found.region, field("awsRegion"));
                assert_eq!(found.time, field("eventTime"));
                // Its member spans rebuild the tree member by member (the engine's partial
                // trees), a repeated name keeping its last value.
                let mut spans = Vec::new();
                assert_eq!(head_and_members(text.get(), &mut spans), Some(found));
                let mut members = serde_json::Map::new();
                for span in &spans {
                    let value = serde_json::from_str::<Value>(&text.get()[span.value.clone()])
                        .expect("a member of a record with a head parses on its own");
                    members.insert(text.get()[span.name.clone()].to_string(), value);
                }
                assert_eq!(&Value::Object(members), parsed, "member spans");
            }
            let checked = parsed.map_err(|err| err.to_string()).and_then(check_record);
            fast.push((origin.record, checked));
        }
        Record::Refused(error) => {
            fast.push((error.record.unwrap_or(usize::MAX), Err(error.message)))
        }
        Record::Parsed(event) => fast.push((event.origin.record, Ok(event.value))),
    });

    let file_error =
        |errors: &[trailgate::source::InputError]| errors.iter().any(|e| !e.is_record_error());
    // The fast path may read more than the general reader (a record nested too deeply to parse
    // is one record in error there, the whole file for the general reader), never less: it fails
    // a file only when the general reader finds it broken too (a file error, or bad lines).
    if file_error(&walk.errors) {
        assert!(
            !general.errors.is_empty(),
            "the fast path fails a file the general reader reads:\nfast: {:?}\ngeneral: {:?}",
            walk.errors,
            general.errors
        );
    }
    if file_error(&general.errors) || file_error(&walk.errors) {
        return;
    }
    assert_eq!(walk.skipped, general.skipped);
    let fast_events: Vec<(usize, &Value)> = fast
        .iter()
        .filter_map(|(record, r)| r.as_ref().ok().map(|v| (*record, v)))
        .collect();
    let general_events: Vec<(usize, &Value)> = general
        .events
        .iter()
        .map(|e| (e.origin.record, &e.value))
        .collect();
    assert_eq!(fast_events, general_events, "different events");
    let fast_failed = fast.iter().filter(|(_, r)| r.is_err()).count()
        + walk.errors.iter().filter(|e| e.is_record_error()).count();
    let general_failed = general
        .errors
        .iter()
        .filter(|e| e.is_record_error())
        .count();
    assert_eq!(fast_failed, general_failed, "different record errors");
});
