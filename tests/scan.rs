//! End to end: `trailgate scan` over the bundled fixtures, its formats, flags and exit codes.

mod common;

use common::{rule_ids, scan_json, trailgate, SEED_FILE, SEED_FINDINGS};
use serde_json::Value;

#[test]
fn seed_event_raises_exactly_the_expected_findings() {
    let (code, doc) = scan_json(&["fixtures/trails"]);
    assert_eq!(
        code, 1,
        "high findings: at or above the default --fail-on high"
    );
    assert_eq!(
        rule_ids(&doc),
        vec![
            "autoscaling-launch-configuration-imdsv2-not-required",
            "autoscaling-launch-configuration-monitoring-disabled",
            "autoscaling-launch-configuration-unencrypted-ebs",
            "autoscaling-root-launch-configuration",
            // The root user made a change: the threat and CIS packs say so, and nothing else
            // fires in the default set.
            "aws-root-activity",
            "cis-root-account-usage",
        ]
    );
    assert_eq!(doc["findings"].as_array().unwrap().len(), SEED_FINDINGS);
    for finding in doc["findings"].as_array().unwrap() {
        assert_eq!(finding["file"], SEED_FILE);
        assert_eq!(finding["record"], 0);
        assert_eq!(finding["event_id"], "3fcfb182-98f8-4744-bd45-b38835ab61cb");
        assert_eq!(finding["event_time"], "2018-08-21T17:07:49Z");
        assert_eq!(finding["account"], "123456789012");
        assert_eq!(finding["region"], "us-west-2");
        assert_eq!(finding["principal"], "arn:aws:iam::123456789012:root");
        assert!(!finding["evidence"].as_array().unwrap().is_empty());
    }
    let summary = &doc["summary"];
    assert_eq!(summary["files_read"], 2);
    assert_eq!(summary["files_skipped"], 1, "the digest file");
    assert_eq!(summary["files_failed"], 0);
    assert_eq!(summary["events"], 3);
    // The default set is every rule of low severity or more (with the rules its correlations
    // count, which run silently) but the first-seen rules, which join it with --state.
    let (_, low) = scan_json(&["--severity", "low", "fixtures/trails"]);
    let first_seen = trailgate(&[
        "rules",
        "list",
        "--pack",
        "aws/first-seen",
        "--format",
        "json",
    ]);
    let first_seen: Value = serde_json::from_str(&first_seen.stdout).unwrap();
    let first_seen = first_seen.as_array().unwrap().len() as u64;
    assert!(first_seen >= 5);
    assert_eq!(
        summary["rules"].as_u64().unwrap() + first_seen,
        low["summary"]["rules"].as_u64().unwrap()
    );
    assert!(summary["rules"].as_u64().unwrap() < builtin_count() as u64);
    assert_eq!(doc["skipped"][0]["reason"], "CloudTrail digest file");
}

#[test]
fn the_default_leaves_out_informational_rules_and_fails_on_high() {
    // Any selection replaces the default: `--severity info` runs every rule, and the
    // informational activity rule says the root user used a long-term access key (AKIA...).
    let (code, all) = scan_json(&["--severity", "info", "fixtures/trails"]);
    assert_eq!(code, 1);
    assert_eq!(all["summary"]["rules"], builtin_count());
    let ids = rule_ids(&all);
    assert_eq!(ids.len(), SEED_FINDINGS + 1);
    assert!(ids.contains(&"aws-long-term-access-key-used".to_string()));
    let (_, activity) = scan_json(&["--pack", "aws/activity", "fixtures/trails"]);
    assert_eq!(rule_ids(&activity), vec!["aws-long-term-access-key-used"]);
    // The default --fail-on is high: the CIS pack's one low finding passes the gate, and
    // `--fail-on low` fails on it.
    let (code, cis) = scan_json(&["--pack", "aws/cis", "fixtures/trails"]);
    assert_eq!((code, rule_ids(&cis).len()), (0, 1));
    let (code, _) = scan_json(&["--pack", "aws/cis", "--fail-on", "low", "fixtures/trails"]);
    assert_eq!(code, 1);
    // `config show` says where the default rule set and --fail-on come from.
    let show = trailgate(&["config", "show", "--no-config"]);
    assert!(
        show.stdout.lines().any(|l| l.starts_with("severity")
            && l.contains("\"low\"")
            && l.ends_with("default: the recommended rule set, no informational rules (--severity info for all)")),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .lines()
            .any(|l| l.starts_with("fail-on ") && l.contains("\"high\"") && l.ends_with("default")),
        "{}",
        show.stdout
    );
}

#[test]
fn unencrypted_ebs_message_says_encryption_was_not_requested() {
    let (_, doc) = scan_json(&[SEED_FILE]);
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "autoscaling-launch-configuration-unencrypted-ebs")
        .unwrap();
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("encryption was not requested"));
    let evidence = &finding["evidence"][1];
    assert_eq!(
        evidence["path"],
        "$.requestParameters.blockDeviceMappings[0].ebs.encrypted"
    );
    assert_eq!(evidence["missing"], true);
}

#[test]
fn fail_on_threshold_and_never() {
    assert_eq!(
        trailgate(&["scan", "--fail-on", "high", "fixtures/trails"]).code,
        1
    );
    assert_eq!(
        trailgate(&["scan", "--fail-on", "critical", "fixtures/trails"]).code,
        0
    );
    assert_eq!(
        trailgate(&["scan", "--fail-on", "never", "fixtures/trails"]).code,
        0
    );
    let clean = trailgate(&["scan", "fixtures/events/launch-template-compliant.json"]);
    assert_eq!(clean.code, 0);
    assert!(clean.stdout.contains("no findings"), "{}", clean.stdout);
}

#[test]
fn output_is_identical_across_thread_counts_and_runs() {
    let one = trailgate(&[
        "scan",
        "--format",
        "json",
        "-j",
        "1",
        "fixtures/trails",
        "fixtures/events",
    ]);
    let two = trailgate(&[
        "scan",
        "--format",
        "json",
        "-j",
        "2",
        "fixtures/trails",
        "fixtures/events",
    ]);
    let again = trailgate(&[
        "scan",
        "--format",
        "json",
        "-j",
        "2",
        "fixtures/trails",
        "fixtures/events",
    ]);
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(two.stdout, again.stdout);
    let doc: Value = serde_json::from_str(&one.stdout).unwrap();
    let keys: Vec<(String, u64, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["record"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "findings are sorted by file, record, rule id");
}

#[test]
fn jsonl_lines_carry_the_fields_scripts_rely_on() {
    let run = trailgate(&[
        "scan",
        "--format",
        "jsonl",
        "fixtures/trails",
        "fixtures/bad/empty.json",
    ]);
    assert_eq!(run.code, 3);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let findings: Vec<&Value> = lines.iter().filter(|l| l["type"] == "finding").collect();
    assert_eq!(findings.len(), SEED_FINDINGS);
    for finding in findings {
        for key in ["rule_id", "severity", "event_id", "file", "record"] {
            assert!(!finding[key].is_null(), "{key} in {finding}");
        }
    }
    assert!(lines
        .iter()
        .any(|l| l["type"] == "error" && l["file"] == "fixtures/bad/empty.json"));
    assert!(lines.iter().any(|l| l["type"] == "skipped"));
    assert_eq!(lines.last().unwrap()["type"], "summary");
    assert_eq!(lines.last().unwrap()["findings"], SEED_FINDINGS);
}

#[test]
fn stdin_plain_and_gzip() {
    let event = std::fs::read("fixtures/events/launch-configuration-public-ip.json").unwrap();
    let seed_gz = std::fs::read(SEED_FILE).unwrap();
    // The single event: a public-IP launch configuration (made with a long-term access key,
    // which only the informational rule outside the default set reports).
    for (input, expected) in [(event, 1), (seed_gz, SEED_FINDINGS)] {
        let output = assert_cmd::Command::cargo_bin("trailgate")
            .unwrap()
            .args(["scan", "--format", "json", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(doc["findings"].as_array().unwrap().len(), expected);
        assert_eq!(doc["findings"][0]["file"], "<stdin>");
    }
}

#[test]
fn gzip_is_detected_without_a_gz_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.json");
    std::fs::copy(SEED_FILE, &path).unwrap();
    let (_, doc) = scan_json(&[path.to_str().unwrap()]);
    assert_eq!(rule_ids(&doc).len(), SEED_FINDINGS);
}

#[test]
fn output_file_and_text_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let run = trailgate(&[
        "scan",
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
        "fixtures/trails",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(rule_ids(&doc).len(), SEED_FINDINGS);

    let text = trailgate(&["scan", "fixtures/trails"]);
    assert!(
        text.stdout.contains(
            "Summary: 6 findings (3 high, 1 medium, 2 low)\n  scanned 2 files and 3 events with "
        ),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .ends_with("\n  3 findings are at or above `high` (--fail-on)\n"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let coloured = trailgate(&["scan", "--color", "always", "fixtures/trails"]);
    assert!(coloured.stdout.contains("\x1b[1;31m"));
}

#[test]
fn custom_rules_replace_or_extend_the_builtin_pack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("only-deploy-role.yaml"),
        "id: only-deploy-role-creates-launch-configurations
title: Launch configuration created by someone other than the deploy role
severity: medium
events:
  eventSource: autoscaling.amazonaws.com
  eventName: CreateLaunchConfiguration
condition:
  not:
    path: $.userIdentity.sessionContext.sessionIssuer.arn
    equals: arn:aws:iam::123456789012:role/deploy
exceptions:
  - reason: Break-glass work by the platform team is reviewed separately
    condition:
      path: $.userIdentity.arn
      ends_with: ':user/alice'
message: '{userIdentity.arn} created launch configuration {requestParameters.launchConfigurationName}'
",
    )
    .unwrap();
    let rules = dir.path().to_str().unwrap();
    let (_, replaced) = scan_json(&[
        "--rules",
        rules,
        "fixtures/trails",
        "fixtures/events/launch-configuration-public-ip.json",
    ]);
    assert_eq!(
        rule_ids(&replaced),
        vec!["only-deploy-role-creates-launch-configurations"]
    );
    assert_eq!(
        replaced["findings"][0]["message"],
        "arn:aws:iam::123456789012:root created launch configuration launch_configuration_1"
    );
    assert_eq!(
        replaced["summary"]["suppressed"]["only-deploy-role-creates-launch-configurations"],
        1
    );
    // Rule files are a selection: with them, every built-in rule (the informational one that
    // fires included), not the default set.
    let (_, extended) = scan_json(&["--rules", rules, "--builtin", "fixtures/trails"]);
    assert_eq!(rule_ids(&extended).len(), SEED_FINDINGS + 2);
    assert_eq!(extended["summary"]["rules"], builtin_count() + 1);
}

/// The number of built-in rules (one per file under rules/).
fn builtin_count() -> usize {
    trailgate::rule::load_builtin()
        .expect("built-in rules")
        .len()
}

#[test]
fn rules_list_filters() {
    let cis = trailgate(&["rules", "list", "--pack", "aws/cis", "--format", "json"]);
    let rules: Value = serde_json::from_str(&cis.stdout).unwrap();
    assert_eq!(rules.as_array().unwrap().len(), 15);
    assert!(rules
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["compliance"]["cis-aws-foundations-v5.0.0"].is_array()));
    let critical = trailgate(&["rules", "list", "--severity", "critical", "--tag", "root"]);
    assert_eq!(
        critical.stdout.lines().take(2).collect::<Vec<_>>(),
        [
            "critical aws-root-access-key-created  Access key created for the root user",
            "1 rule, 1 of them in the default set"
        ]
    );
    let securityhub = trailgate(&[
        "rules",
        "list",
        "--framework",
        "aws-securityhub",
        "--pack",
        "aws/cis",
    ]);
    assert!(
        securityhub
            .stdout
            .contains("\n14 rules, 14 of them in the default set\n"),
        "{}",
        securityhub.stdout
    );
    // `scan` takes the same filters: only the CIS root-usage rule fires on the seed event.
    let (_, doc) = scan_json(&["--pack", "aws/cis", "fixtures/trails"]);
    assert_eq!(rule_ids(&doc), vec!["cis-root-account-usage"]);
    assert_eq!(doc["summary"]["rules"], 15);
    let bad = trailgate(&["rules", "list", "--severity", "severe"]);
    assert_eq!(bad.code, 2);
    // A pack, tag or framework that no loaded rule has would select nothing, and a gate would
    // pass with no rule run: a usage error that names the likely pack instead.
    let typo = trailgate(&["scan", "--pack", "cis", "fixtures/trails"]);
    assert_eq!(typo.code, 2, "{}", typo.stderr);
    assert!(
        typo.stderr
            .contains("error: --pack `cis` matches no loaded rule")
            && typo.stderr.contains("did you mean `aws/cis`?")
            && typo.stderr.ends_with("; nothing was scanned\n")
            && typo.stdout.is_empty(),
        "{}",
        typo.stderr
    );
    for flag in ["--tag", "--framework"] {
        let typo = trailgate(&["rules", "list", flag, "no-such-thing"]);
        assert_eq!(typo.code, 2, "{flag}: {}", typo.stderr);
        assert!(typo.stderr.contains("no-such-thing"), "{}", typo.stderr);
    }
}

#[test]
fn rules_list_and_validate() {
    let list = trailgate(&["rules", "list"]);
    assert_eq!(list.code, 0);
    assert!(list
        .stdout
        .contains("autoscaling-launch-configuration-unencrypted-ebs"));
    let count = builtin_count();
    let json = trailgate(&["rules", "list", "--format", "json"]);
    let rules: Value = serde_json::from_str(&json.stdout).unwrap();
    let correlations = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "correlation")
        .count();
    assert!(correlations >= 9, "{correlations}");
    // Which are in the default set: every rule and correlation but the informational ones.
    let default = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let first_seen = r["pack"] == "aws/first-seen";
            assert_eq!(r["default"], r["severity"] != "info" && !first_seen, "{r}");
            let geo = r["default_set"] == "with --state and --geoip";
            assert_eq!(
                r["default_with_state"],
                r["severity"] != "info" && !geo,
                "{r}"
            );
            if geo {
                assert!(first_seen, "{r}");
            }
            r["default"] == true
        })
        .count();
    let with_state = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["default"] == false && r["default_with_state"] == true)
        .count();
    let with_state_and_geoip = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["default_set"] == "with --state and --geoip")
        .count();
    assert!(with_state_and_geoip >= 2, "the new country and ASN rules");
    assert!(
        list.stdout.contains(&format!(
            "\n{count} rules, {correlations} correlations, {default} of them in the default set ({with_state} more with --state, {with_state_and_geoip} more with --state and --geoip)\nthe default set: with no --rules"
        )),
        "{}",
        list.stdout
    );
    let marked: Vec<&str> = list
        .stdout
        .lines()
        .filter(|l| l.ends_with("  (not in the default set)"))
        .collect();
    let marked_with_state = list
        .stdout
        .lines()
        .filter(|l| l.ends_with("  (in the default set with --state)"))
        .count();
    assert_eq!(marked_with_state, with_state, "{}", list.stdout);
    assert_eq!(
        list.stdout
            .lines()
            .filter(|l| l.ends_with("  (in the default set with --state and --geoip)"))
            .count(),
        with_state_and_geoip,
        "{}",
        list.stdout
    );
    assert_eq!(
        marked.len(),
        count + correlations - default - with_state - with_state_and_geoip,
        "{}",
        list.stdout
    );
    assert!(marked.iter().all(|l| l.starts_with("info ")), "{marked:?}");
    assert_eq!(rules.as_array().unwrap().len(), count + correlations);
    for pack in [
        "aws/activity",
        "aws/autoscaling",
        "aws/cis",
        "aws/first-seen",
        "aws/threats",
    ] {
        assert!(
            rules.as_array().unwrap().iter().any(|r| r["pack"] == pack),
            "{pack}"
        );
    }

    let valid = trailgate(&["rules", "validate", "rules"]);
    assert_eq!(
        (valid.code, valid.stdout),
        (
            0,
            format!(
                "ok: {count} rules and {correlations} correlations in {} files\n",
                count + correlations
            )
        )
    );
    let builtin = trailgate(&["rules", "validate"]);
    assert_eq!(builtin.code, 0);
}

#[test]
fn bad_rules_are_all_reported_with_locations_and_nothing_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-typo.yaml"),
        "id: a\ntitle: A\nseverty: high\nevents: {eventName: X}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-regex.yaml"),
        "id: b\ntitle: B\nseverity: high\nevents: {eventName: X}\ncondition:\n  path: $.userAgent\n  regex: '(unclosed'\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c-dup.yaml"),
        "id: c\ntitle: C\nseverity: low\nevents: {eventName: X}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d-dup.yaml"),
        "id: c\ntitle: D\nseverity: low\nevents: {eventName: Y}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("e-not-utf8.yaml"),
        b"id: e\ntitle: \xff\xfe\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("f-dir.yaml")).unwrap();
    let rules = dir.path().to_str().unwrap();
    for args in [
        vec!["scan", "--rules", rules, "fixtures/trails"],
        vec!["rules", "validate", rules],
    ] {
        let run = trailgate(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing scanned: {}", run.stdout);
        let a = format!("{rules}/a-typo.yaml:3:1: `severty`: unknown key `severty`\n  help: did you mean `severity`?");
        assert!(run.stderr.contains(&a), "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "{rules}/b-regex.yaml:7:10: `condition.regex`: invalid regex"
            )),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!(
                "{rules}/d-dup.yaml:1:1: `id`: duplicate rule id `c`"
            )),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!(
                "{rules}/e-not-utf8.yaml: the file is not valid UTF-8"
            )),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("4 errors in 4 rule files"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn missing_rules_path_and_usage_errors_exit_2() {
    let run = trailgate(&["scan", "--rules", "no/such/dir", "fixtures/trails"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no/such/dir: cannot read rule path: no such file or directory"),
        "{}",
        run.stderr
    );
    assert_eq!(trailgate(&["scan"]).code, 2, "a path is required");
    assert_eq!(trailgate(&["scan", "--format", "xml", "x"]).code, 2);
    assert_eq!(trailgate(&["--version"]).code, 0);
}
