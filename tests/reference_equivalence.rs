//! The fast path (records cut out raw, most never parsed, rules picked by the index) finds
//! exactly what the straightforward path finds (every record parsed, every rule tried), over the
//! fixtures and a generated corpus, with the built-in packs and, when the corpus is present, the
//! SigmaHQ CloudTrail rules.

mod common;

use trailgate::engine::{scan, RuleSet, ScanOptions, ScanResult};
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
