//! The per-principal activity summary against an independent count: scripts/count_principals.py
//! reads the same trail files with Python's json and gzip and counts per principal with no caps;
//! every count the summary keeps must equal it.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use trailgate::source::{discover, Input, ReadLimits};
use trailgate::summary::principals::CountedValues;
use trailgate::summary::{Limits, PrincipalActivity, PrincipalSummary};

/// Feeds every event of every trail file under `dir` to a summary.
fn summarise(dir: &Path, limits: Limits) -> PrincipalSummary {
    let discovery = discover(&[Input::Path(dir.to_path_buf())]);
    assert!(discovery.errors.is_empty(), "{:?}", discovery.errors);
    let mut summary = PrincipalSummary::new(limits);
    for file in &discovery.files {
        let contents = file.read(&ReadLimits::default());
        assert!(contents.errors.is_empty(), "{:?}", contents.errors);
        for event in &contents.events {
            summary.add_event(&event.value);
        }
    }
    summary
}

/// The Python count, or `None` (skipped loudly; a failure under CI=true) without python3.
fn independent_count(dir: &Path) -> Option<BTreeMap<String, Value>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/count_principals.py");
    let output = match std::process::Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
    {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                !common::in_ci(),
                "python3 is required in CI for the independent count"
            );
            eprintln!("SKIPPED: python3 not found, the principal summary is not checked against the independent count");
            return None;
        }
        Err(err) => panic!("cannot run {}: {err}", script.display()),
    };
    assert!(
        output.status.success(),
        "count_principals.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the script prints JSON"))
}

/// Every kept value has the independent count; kept plus `other_events` adds up to every event
/// that had the field; an uncapped list is complete.
fn check_list(who: &str, name: &str, ours: &CountedValues, theirs: &Value, cap: usize) {
    let theirs: BTreeMap<String, u64> = serde_json::from_value(theirs.clone()).unwrap();
    let total: u64 = theirs.values().sum();
    let kept = ours.sorted();
    assert!(
        kept.len() <= cap,
        "{who} {name}: {} values kept, cap {cap}",
        kept.len()
    );
    for (value, n) in &kept {
        assert_eq!(theirs.get(*value), Some(n), "{who} {name} {value}");
    }
    let kept_total: u64 = kept.iter().map(|(_, n)| n).sum();
    assert_eq!(
        kept_total + ours.other_events,
        total,
        "{who} {name}: events with the field"
    );
    if theirs.len() <= cap {
        assert_eq!(
            kept.len(),
            theirs.len(),
            "{who} {name}: uncapped list is complete"
        );
        assert_eq!(ours.other_events, 0, "{who} {name}");
    } else {
        assert_eq!(kept.len(), cap, "{who} {name}: a capped list is full");
    }
}

fn check(summary: &PrincipalSummary, expected: &BTreeMap<String, Value>) {
    let limits = summary.limits();
    assert_eq!(
        summary.overflow.events, 0,
        "no principal past the cap in these tests"
    );
    let ours = summary.principals();
    assert_eq!(ours.len(), expected.len(), "principals");
    for (principal, activity) in ours {
        let who = principal.unwrap_or("");
        let theirs = expected
            .get(who)
            .unwrap_or_else(|| panic!("{who} is not in the independent count"));
        check_one(who, activity, theirs, limits);
    }
}

fn check_one(who: &str, a: &PrincipalActivity, theirs: &Value, limits: Limits) {
    assert_eq!(a.events, theirs["events"].as_u64().unwrap(), "{who} events");
    assert_eq!(a.failed, theirs["failed"].as_u64().unwrap(), "{who} failed");
    assert_eq!(
        a.undated,
        theirs["undated"].as_u64().unwrap(),
        "{who} undated"
    );
    assert_eq!(
        a.first.map(|t| t.to_rfc3339()),
        theirs["first"].as_str().map(str::to_string),
        "{who} first"
    );
    assert_eq!(
        a.last.map(|t| t.to_rfc3339()),
        theirs["last"].as_str().map(str::to_string),
        "{who} last"
    );
    let n = limits.values;
    check_list(who, "accounts", &a.accounts, &theirs["accounts"], n);
    check_list(who, "regions", &a.regions, &theirs["regions"], n);
    check_list(
        who,
        "source_addresses",
        &a.source_addresses,
        &theirs["source_addresses"],
        n,
    );
    check_list(
        who,
        "long_term_keys",
        &a.long_term_keys,
        &theirs["long_term_keys"],
        n,
    );
    check_list(
        who,
        "temporary_keys",
        &a.temporary_keys,
        &theirs["temporary_keys"],
        n,
    );
    check_list(
        who,
        "user_agents",
        &a.user_agents,
        &theirs["user_agents"],
        n,
    );
    check_list(who, "calls", &a.calls, &theirs["calls"], limits.calls);
}

#[test]
fn summary_of_the_fixture_trails_matches_the_independent_count() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/trails");
    let Some(expected) = independent_count(&dir) else {
        return;
    };
    let summary = summarise(&dir, Limits::default());
    assert!(summary.events() > 0);
    check(&summary, &expected);
}

#[test]
fn summary_of_a_generated_corpus_matches_the_independent_count() {
    let dir = tempfile::tempdir().unwrap();
    trailgate::generate::generate(dir.path(), 6000, 20, 250).unwrap();
    // The trails, without the generator's manifest.json beside them.
    let trails = dir.path().join("AWSLogs");
    let Some(expected) = independent_count(&trails) else {
        return;
    };
    // The defaults, then caps small enough that most lists overflow: counts stay exact.
    for limits in [
        Limits::default(),
        Limits {
            values: 3,
            calls: 4,
            ..Limits::default()
        },
    ] {
        let summary = summarise(&trails, limits);
        assert_eq!(summary.events(), 6000);
        check(&summary, &expected);
    }
    // Built by two workers and merged: the same counts.
    let files = discover(&[Input::Path(trails.clone())]).files;
    let (mut left, mut right) = (
        PrincipalSummary::new(Limits::default()),
        PrincipalSummary::new(Limits::default()),
    );
    for (i, file) in files.iter().enumerate() {
        let side = if i % 2 == 0 { &mut left } else { &mut right };
        for event in file.read(&ReadLimits::default()).events {
            side.add_event(&event.value);
        }
    }
    left.merge(right);
    check(&left, &expected);
}
