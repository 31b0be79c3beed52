//! `--paths-from FILE|-`: the inputs of a scheduler's share, one a line.

mod common;

use assert_cmd::Command;
use common::trailgate;

#[test]
fn a_list_scans_what_the_same_arguments_scan() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "fixtures/trails\n\n  fixtures/bad/invalid.json  \r\n",
    )
    .unwrap();
    let listed = trailgate(&[
        "scan",
        "--format",
        "json",
        "--paths-from",
        list.to_str().unwrap(),
    ]);
    let direct = trailgate(&[
        "scan",
        "--format",
        "json",
        "fixtures/trails",
        "fixtures/bad/invalid.json",
    ]);
    assert_eq!(listed.code, 3, "{}", listed.stderr);
    assert_eq!(listed.stdout, direct.stdout);

    // From standard input, with a path on the command line too.
    let output = Command::cargo_bin("trailgate")
        .unwrap()
        .args([
            "scan",
            "--format",
            "json",
            "--paths-from",
            "-",
            "fixtures/bad/invalid.json",
        ])
        .write_stdin("fixtures/trails\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), direct.stdout);
}

#[test]
fn unusable_lists_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n\n").unwrap();
    let run = trailgate(&["scan", "--paths-from", empty.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("the list names no path"),
        "{}",
        run.stderr
    );

    let run = trailgate(&["scan", "--paths-from", "no/such/list.txt"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--paths-from no/such/list.txt: cannot read"),
        "{}",
        run.stderr
    );

    let run = trailgate(&["scan", "--paths-from", "-", "-"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`-` given twice"), "{}", run.stderr);

    let run = trailgate(&["scan"]);
    assert_eq!(run.code, 2, "PATHS or --paths-from is required");
}
