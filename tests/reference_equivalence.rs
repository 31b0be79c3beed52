//! The fast path (records cut out raw, most never parsed, rules picked by the index) finds
//! exactly what the straightforward path finds (every record parsed, every rule tried), over the
//! fixtures and a generated corpus, with the built-in packs and, when the corpus is present, the
//! SigmaHQ CloudTrail rules.

mod common;

use trailgate::engine::{scan, scan_streaming, RuleSet, ScanOptions, ScanResult};
use trailgate::rule::load::{builtin_files, compile_files, read_paths};
use trailgate::source::{discover, Input};

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
    assert_eq!(outcome(&fast), outcome(&reference));
    assert_eq!(
        outcome(&run(&rules, &inputs, false, 1)),
        outcome(&reference),
        "one thread"
    );
}

/// `scan_streaming` hands out, file by file and in report order, exactly the findings `scan`
/// returns, with the same counts, whatever the thread count: reports written while the scan runs
/// are the reports written after it.
#[test]
fn streamed_findings_equal_collected_findings() {
    let corpus = tempfile::tempdir().unwrap();
    trailgate::generate::generate(corpus.path(), 4_000, 5, 100).unwrap();
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
        // One batch per file with findings, files in name order.
        for pair in batches.windows(2) {
            assert!(pair[0][0].file < pair[1][0].file, "batches out of order");
        }
        assert!(batches
            .iter()
            .all(|b| b.iter().all(|f| f.file == b[0].file)));
        assert!(streamed.findings.is_empty());
        assert_eq!(streamed.stats.findings, collected.findings.len());
        assert_eq!(streamed.finding_count(), collected.finding_count());
        streamed.findings = batches.into_iter().flatten().collect();
        assert_eq!(outcome(&streamed), outcome(&collected), "{threads} threads");
    }
}
