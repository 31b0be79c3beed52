//! Reading events again after the scan, for a later stage that kept only where a match was (the
//! first-seen stage keeps a place per combination instead of a rendered finding, and renders the
//! few that turn out new). Knows nothing of that stage.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde_json::Value;

use super::scan::ScanOptions;
use super::RuleSet;
use crate::source::records::Record;
use crate::source::{check_record, walk_file, Origin, TrailFile};

/// The events at `wanted` (a rule's index in `rules` and the event's place), read again from
/// `files`, in the order asked: each as that rule sees it (with the `$.trailgate` annotation if
/// the rule reads it), or why it could not be read again (the file changed or went away while
/// the scan ran). Files are read in parallel, each once, whole.
pub fn events_again(
    rules: &RuleSet,
    files: &[TrailFile],
    wanted: &[(usize, Origin)],
    options: &ScanOptions,
) -> Vec<Result<Value, String>> {
    let by_name: HashMap<&str, &TrailFile> = files.iter().map(|f| (&*f.name, f)).collect();
    // Per file: record -> the positions in `wanted` that ask for it.
    let mut per_file: BTreeMap<&str, BTreeMap<usize, Vec<usize>>> = BTreeMap::new();
    for (i, (_, origin)) in wanted.iter().enumerate() {
        per_file
            .entry(&origin.file)
            .or_default()
            .entry(origin.record)
            .or_default()
            .push(i);
    }
    let read_one = |(name, records): (&&str, &BTreeMap<usize, Vec<usize>>)| {
        let Some(file) = by_name.get(*name) else {
            let gone = Err("the file is not among the scan's files".to_string());
            return records.keys().map(|&r| (r, gone.clone())).collect();
        };
        read_records(file, records, options)
    };
    let work: Vec<(&&str, &BTreeMap<usize, Vec<usize>>)> = per_file.iter().collect();
    let found: Vec<BTreeMap<usize, Result<Value, String>>> = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
    {
        Ok(pool) => pool.install(|| work.par_iter().copied().map(read_one).collect()),
        Err(_) => work.iter().copied().map(read_one).collect(),
    };
    let mut out: Vec<Result<Value, String>> =
        vec![Err("the record was not read again".to_string()); wanted.len()];
    for ((_, records), mut events) in per_file.iter().zip(found) {
        for (record, positions) in records {
            let event = events
                .remove(record)
                .unwrap_or_else(|| Err("the record is no longer in the file".to_string()));
            for &i in positions {
                let rule = wanted[i].0;
                out[i] = event.clone().map(|mut event| {
                    if rules.annotated(rule) || rules.annotated_after_match(rule) {
                        crate::enrich::annotate(options.enricher.as_deref(), &mut event);
                    }
                    event
                });
            }
        }
    }
    out
}

/// The records of one file at the given indexes, parsed and checked as the scan did.
fn read_records(
    file: &TrailFile,
    records: &BTreeMap<usize, Vec<usize>>,
    options: &ScanOptions,
) -> BTreeMap<usize, Result<Value, String>> {
    let mut found = BTreeMap::new();
    let (walk, _) = walk_file(
        file,
        &options.limits,
        options.stream_above(),
        &mut |record| match record {
            Record::Raw { text, origin } if records.contains_key(&origin.record) => {
                let parsed = serde_json::from_str::<Value>(text.get())
                    .map_err(|err| format!("invalid JSON: {}", crate::source::json_reason(&err)))
                    .and_then(check_record);
                found.insert(origin.record, parsed);
            }
            Record::Parsed(event) if records.contains_key(&event.origin.record) => {
                found.insert(event.origin.record, Ok(event.value));
            }
            _ => {}
        },
    );
    if let Some(error) = walk.errors.iter().find(|e| !e.is_record_error()) {
        for &record in records.keys() {
            found
                .entry(record)
                .or_insert_with(|| Err(error.message.clone()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rule::load::builtin_files;
    use crate::source::{discover, Input};

    #[test]
    fn events_are_read_again_in_the_order_asked_and_what_is_gone_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let records: Vec<String> = (0..3)
            .map(|i| format!(r#"{{"eventName":"E{i}","eventTime":"2024-05-01T00:00:0{i}Z"}}"#))
            .collect();
        std::fs::write(&path, format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
        let files = discover(&[Input::Path(path.clone())]).files;
        let name: Arc<str> = files[0].name.clone();
        let at = |record: usize| Origin {
            file: name.clone(),
            record,
            line: None,
        };
        let elsewhere = Origin {
            file: Arc::from("other.json"),
            record: 0,
            line: None,
        };
        let loaded = crate::rule::collection::compile_collection(&builtin_files()).unwrap();
        let rules = RuleSet::new(loaded.rules);
        let wanted = [
            (0, at(2)),
            (0, at(0)),
            (0, at(7)),
            (0, elsewhere),
            (1, at(2)),
        ];
        let options = ScanOptions::default();
        let got = events_again(&rules, &files, &wanted, &options);
        let names: Vec<Result<String, String>> = got
            .into_iter()
            .map(|r| r.map(|event| event["eventName"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            names,
            vec![
                Ok("E2".to_string()),
                Ok("E0".to_string()),
                Err("the record is no longer in the file".to_string()),
                Err("the file is not among the scan's files".to_string()),
                Ok("E2".to_string()),
            ]
        );
        // The file went away after the scan: every event of it says why.
        std::fs::remove_file(&path).unwrap();
        let got = events_again(&rules, &files, &wanted[..1], &options);
        assert!(
            matches!(&got[0], Err(reason) if reason.starts_with("cannot open")),
            "{got:?}"
        );
    }
}
