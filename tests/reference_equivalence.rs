//! The fast path (records cut out raw, most never parsed, rules picked by the index) finds
//! exactly what the straightforward path finds (every record parsed, every rule tried), over the
//! fixtures and a generated corpus, with the built-in packs and, when the corpus is present, the
//! SigmaHQ CloudTrail rules.

mod common;

use trailgate::engine::{scan, scan_streaming, RuleSet, ScanOptions};
use trailgate::finding::{Finding, ScanResult};
use trailgate::rule::load::{builtin_files, read_paths};

/// The per-event rules of these files (the engine's paths are compared without correlations).
fn compile_files(
    files: &[trailgate::rule::RuleFile],
) -> Result<Vec<trailgate::rule::Rule>, Vec<trailgate::rule::RuleError>> {
    trailgate::rule::collection::compile_collection(files).map(|loaded| loaded.rules)
}
use trailgate::source::{discover, Input, ReadLimits};

fn run(rules: &RuleSet, inputs: &[Input], reference: bool, threads: usize) -> ScanResult {
    let options = ScanOptions {
        threads,
        reference,
        ..ScanOptions::default()
    };
    scan(rules, discover(inputs), &options)
}

/// Everything a report shows, in order (durations aside).
fn outcome(result: &ScanResult) -> String {
    let mut stats = result.stats.clone();
    stats.duration = std::time::Duration::ZERO;
    format!(
        "{:#?}\n{:#?}\n{:#?}\n{stats:#?}",
        result.findings, result.errors, result.skipped
    )
}

/// Equal outcomes, or a panic showing the first lines that differ (outcomes are long).
fn assert_same(left: &str, right: &str, label: &str) {
    if left == right {
        return;
    }
    let (l, r): (Vec<&str>, Vec<&str>) = (left.lines().collect(), right.lines().collect());
    let at = l
        .iter()
        .zip(&r)
        .position(|(a, b)| a != b)
        .unwrap_or(l.len().min(r.len()));
    let from = at.saturating_sub(12);
    panic!(
        "{label}: outcomes differ at line {at}\n--- left\n{}\n--- right\n{}",
        l[from..(at + 3).min(l.len())].join("\n"),
        r[from..(at + 3).min(r.len())].join("\n")
    );
}

#[test]
fn fast_path_equals_reference_path() {
    let corpus = tempfile::tempdir().unwrap();
    let manifest = trailgate::generate::generate(corpus.path(), 6_000, 11, 400).unwrap();
    assert_eq!(manifest["events"], 6_000);

    let mut files = builtin_files();
    if let Some(shared) = common::corpus_dir() {
        let (sigma, errors) = read_paths(&[shared.join("sigma/rules")]);
        assert!(errors.is_empty(), "{errors:?}");
        files.extend(sigma);
    }
    let rules = RuleSet::new(compile_files(&files).expect("rules compile"));

    let inputs = vec![
        Input::Path("fixtures".into()),
        Input::Path(corpus.path().to_path_buf()),
    ];
    let reference = run(&rules, &inputs, true, 2);
    let fast = run(&rules, &inputs, false, 2);
    assert!(
        reference.findings.len() > 1_000,
        "the corpus exercises the rules: {}",
        reference.findings.len()
    );
    assert_same(&outcome(&fast), &outcome(&reference), "fast path");
    assert_same(
        &outcome(&run(&rules, &inputs, false, 1)),
        &outcome(&reference),
        "one thread",
    );
    // Every file cut into records as its bytes arrive, as files above 16 MiB are: the same
    // findings and counts; broken files fail at the same places, though worded per record.
    let options = ScanOptions {
        threads: 2,
        stream_above: Some(0),
        ..ScanOptions::default()
    };
    let mut streamed = scan(&rules, discover(&inputs), &options);
    let failed = |result: &ScanResult| -> Vec<String> {
        result.errors.iter().map(|e| e.file.to_string()).collect()
    };
    assert_eq!(
        failed(&streamed),
        failed(&reference),
        "streamed within files"
    );
    streamed.errors = reference.errors.clone();
    assert_same(
        &outcome(&streamed),
        &outcome(&reference),
        "streamed within files",
    );
    // And evaluated in small batches on the pool's threads, as the rest of a file above 16 MiB
    // is: the same again, and the same errors as streamed on one thread.
    let batched = |threads: usize| {
        let options = ScanOptions {
            threads,
            stream_above: Some(0),
            batch_bytes: Some(3_000),
            ..ScanOptions::default()
        };
        scan(&rules, discover(&inputs), &options)
    };
    let mut batched_two = batched(2);
    assert_same(
        &format!("{:#?}", batched_two.errors),
        &format!("{:#?}", batched(1).errors),
        "batched errors",
    );
    batched_two.errors = reference.errors.clone();
    assert_same(
        &outcome(&batched_two),
        &outcome(&reference),
        "batched within files",
    );
}

/// A record limit below the size of many records refuses the same records, in the same places,
/// with the same messages, whether files are read whole, cut into records as they arrive, or
/// parsed whole by the reference path; and everything else is found as without the limit.
#[test]
fn the_record_limit_refuses_the_same_records_on_every_path() {
    let corpus = tempfile::tempdir().unwrap();
    trailgate::generate::generate(corpus.path(), 3_000, 13, 300).unwrap();
    let rules = RuleSet::new(compile_files(&builtin_files()).expect("rules compile"));
    let inputs = vec![
        Input::Path("fixtures".into()),
        Input::Path(corpus.path().to_path_buf()),
    ];
    let with = |reference: bool, stream_above: Option<usize>| {
        let options = ScanOptions {
            threads: 2,
            reference,
            stream_above,
            // Streamed files are evaluated in batches of a few records.
            batch_bytes: Some(5_000),
            limits: ReadLimits {
                max_record_bytes: 1_400,
                ..ReadLimits::default()
            },
            ..ScanOptions::default()
        };
        scan(&rules, discover(&inputs), &options)
    };
    let reference = with(true, None);
    let refused = reference
        .errors
        .iter()
        .filter(|e| {
            e.message
                .starts_with("the record is larger than 1400 bytes")
        })
        .count();
    assert!(
        refused > 100 && reference.stats.events > 1_000,
        "the limit splits the records: {refused} refused, {} read",
        reference.stats.events
    );
    assert_same(&outcome(&with(false, None)), &outcome(&reference), "whole");
    // Streamed, broken files fail at the same places though worded per record (as above); the
    // refused records are the same record errors.
    let mut streamed = with(false, Some(0));
    let file_errors = |result: &ScanResult| -> Vec<String> {
        let errors = result.errors.iter().filter(|e| !e.is_record_error());
        errors.map(|e| e.file.to_string()).collect()
    };
    assert_eq!(file_errors(&streamed), file_errors(&reference), "streamed");
    let record_errors = |result: &ScanResult| -> Vec<String> {
        let errors = result.errors.iter().filter(|e| e.is_record_error());
        errors.map(|e| format!("{e:?}")).collect()
    };
    assert_eq!(
        record_errors(&streamed),
        record_errors(&reference),
        "streamed"
    );
    streamed.errors = reference.errors.clone();
    assert_same(&outcome(&streamed), &outcome(&reference), "streamed");
}

/// `scan_streaming` hands out, file by file and in report order, exactly the findings `scan`
/// returns, with the same counts, whatever the thread count: reports written while the scan runs
/// are the reports written after it.
#[test]
fn streamed_findings_equal_collected_findings() {
    // Many small files, and files large enough that their findings go out in parts.
    let corpus = tempfile::tempdir().unwrap();
    trailgate::generate::generate(&corpus.path().join("small"), 4_000, 5, 100).unwrap();
    trailgate::generate::generate(&corpus.path().join("large"), 16_000, 6, 8_000).unwrap();
    let rules = RuleSet::new(compile_files(&builtin_files()).expect("rules compile"));
    let inputs = vec![
        Input::Path(corpus.path().to_path_buf()),
        Input::Path("fixtures".into()),
    ];
    let collected = run(&rules, &inputs, false, 2);
    assert!(
        collected.findings.len() > 100,
        "{}",
        collected.findings.len()
    );
    for threads in [1, 2, 3] {
        let mut batches = Vec::new();
        let options = ScanOptions {
            threads,
            ..ScanOptions::default()
        };
        let mut streamed = scan_streaming(
            &rules,
            discover(&inputs),
            &options,
            &|batch| batch,
            &mut |batch| batches.push(batch),
        );
        // Batches of one file each, files in name order; a large file's in several parts.
        let file = |f: &Finding| f.event_location().expect("an event finding").file.clone();
        for pair in batches.windows(2) {
            assert!(
                file(&pair[0][0]) <= file(&pair[1][0]),
                "batches out of order"
            );
        }
        assert!(batches
            .iter()
            .all(|b| b.iter().all(|f| file(f) == file(&b[0]))));
        assert!(
            batches.windows(2).any(|p| file(&p[0][0]) == file(&p[1][0])),
            "no file was handed on in parts"
        );
        assert!(streamed.findings.is_empty());
        assert_eq!(streamed.stats.findings, collected.findings.len());
        assert_eq!(streamed.finding_count(), collected.finding_count());
        streamed.findings = batches.into_iter().flatten().collect();
        assert_eq!(outcome(&streamed), outcome(&collected), "{threads} threads");
    }
}

/// With enrichment (account names) and the per-principal summary watching every event, the fast
/// path still finds exactly what the reference path finds, a rule that reads `$.trailgate`
/// included, and both build the same summary, capped lists included (files are folded into it
/// in file order, so which values a full list keeps does not depend on the threads).
#[test]
fn fast_path_equals_reference_path_with_enrichment_and_the_principal_summary() {
    use std::sync::Arc;
    use trailgate::enrich::{AccountNames, Enricher};
    use trailgate::summary::{Limits, PrincipalWatch};

    let corpus = tempfile::tempdir().unwrap();
    trailgate::generate::generate(corpus.path(), 3000, 11, 200).unwrap();
    let mut files = builtin_files();
    files.push(trailgate::rule::RuleFile {
        name: "named.yaml".into(),
        pack: "test".into(),
        text: "id: named-account-write\ntitle: A write in a named account\nseverity: high\n\
               description: D\nremediation: R\ncondition:\n  all:\n  - path: $.trailgate.account_name\n\
               \x20   starts_with: team-\n  - path: $.readOnly\n    equals: false\n\
               message: '{eventName} in {trailgate.account_name}'\n"
            .into(),
    });
    let rules = RuleSet::new(compile_files(&files).unwrap_or_else(|e| panic!("{e:?}")));
    let ids: String = [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
    ]
    .iter()
    .enumerate()
    .map(|(i, id)| format!("{id},team-{i}\n"))
    .collect();
    let enricher = Arc::new(Enricher {
        accounts: Some(AccountNames::from_csv("accounts.csv", &ids).unwrap()),
        geo: None,
    });
    let inputs = [
        Input::from_arg(corpus.path().join("AWSLogs").to_str().unwrap()),
        Input::from_arg("fixtures/audit/trail"),
    ];
    let run = |reference: bool, threads: usize| {
        let watch = Arc::new(PrincipalWatch::new(Limits::default()));
        let options = ScanOptions {
            threads,
            reference,
            enricher: Some(enricher.clone()),
            watch: Some(watch.clone()),
            ..ScanOptions::default()
        };
        let result = scan(&rules, discover(&inputs), &options);
        let summary = watch.take();
        let rows = summary.rows(Some(&enricher)).0;
        (result, format!("{rows:#?}"))
    };
    let (fast, fast_rows) = run(false, 2);
    let (reference, reference_rows) = run(true, 2);
    assert_same(&outcome(&fast), &outcome(&reference), "with enrichment");
    assert_same(&fast_rows, &reference_rows, "the principal summary");
    let (one, one_rows) = run(false, 1);
    assert_same(&outcome(&fast), &outcome(&one), "one thread");
    assert_same(&fast_rows, &one_rows, "the principal summary on one thread");
    let named = fast
        .findings
        .iter()
        .filter(|f| f.rule_id == "named-account-write")
        .count();
    assert!(named > 100, "the annotation reached the rule: {named}");
    assert!(fast
        .findings
        .iter()
        .filter(|f| f.rule_id == "named-account-write")
        .all(|f| f.message.contains(" in team-") && f.account_name().is_some()));
}

/// The parser that cuts records out lets through what a full parse refuses: a number beyond
/// f64's range and nesting past serde_json's 128 levels. Such a record is one record in error
/// whatever the rules, even where no rule needs its tree and the index's shortcut would count it
/// as an event from its head (found by fuzzing the trail reader); the same read whole, streamed
/// or in batches. (The reference path parses the document whole, so it fails the whole file.)
#[test]
fn records_a_full_parse_refuses_are_record_errors_whatever_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let record = |extra: &str| {
        format!(
            r#"{{"eventSource":"s3.amazonaws.com","eventName":"GetObject","recipientAccountId":"111122223333","eventTime":"2026-01-01T00:00:00Z","awsRegion":"us-east-1","x":{extra}}}"#
        )
    };
    let records = [
        record("1e999"),
        record(&format!("{}{}", "[".repeat(130), "]".repeat(130))),
        record(&format!("1{}", "0".repeat(400))),
        record("1.5e3"),
        record("[true,false,null,-2]"),
    ];
    std::fs::write(
        dir.path().join("t.json"),
        format!("{{\"Records\":[{}]}}", records.join(",")),
    )
    .unwrap();
    let inputs = [Input::Path(dir.path().to_path_buf())];

    let all = compile_files(&builtin_files()).expect("rules compile");
    // One rule about another service: no record here is a candidate for it.
    let one: Vec<_> = all
        .iter()
        .filter(|r| r.id == "cis-cloudtrail-configuration-changes")
        .cloned()
        .collect();
    assert_eq!(one.len(), 1);
    for (label, rules) in [
        ("one rule", one),
        ("built-in rules", all),
        ("no rule", vec![]),
    ] {
        let rules = RuleSet::new(rules);
        let whole = run(&rules, &inputs, false, 2);
        let records: Vec<Option<usize>> = whole.errors.iter().map(|e| e.record).collect();
        assert_eq!(
            records,
            [Some(0), Some(1), Some(2)],
            "{label}: {:?}",
            whole.errors
        );
        assert_eq!(whole.stats.events, 2, "{label}");
        for threads in [1, 2] {
            let streamed = ScanOptions {
                threads,
                stream_above: Some(0),
                batch_bytes: Some(100),
                ..ScanOptions::default()
            };
            assert_same(
                &outcome(&scan(&rules, discover(&inputs), &streamed)),
                &outcome(&whole),
                label,
            );
        }
        let reference = run(&rules, &inputs, true, 1);
        assert!(
            reference.errors.len() == 1 && !reference.errors[0].is_record_error(),
            "{label}: {:?}",
            reference.errors
        );
    }
}
