//! MITRE ATT&CK in rule tags: `attack.t1562.008` names a technique, `attack.ta0005` (or Sigma's
//! `attack.defense-evasion`) a tactic. This module reads those tags, places each technique under
//! its tactics, and renders the coverage table of docs/rules-catalog.md.
//!
//! The names and tactics below are ATT&CK Enterprise's, for every technique the built-in rules
//! tag (a test keeps that true); other ids are still listed, without a name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::rule::Rule;

/// ATT&CK's tactics, in the order of its matrix: (id, Sigma's short name, name).
pub const TACTICS: [(&str, &str, &str); 14] = [
    ("TA0043", "reconnaissance", "Reconnaissance"),
    ("TA0042", "resource-development", "Resource Development"),
    ("TA0001", "initial-access", "Initial Access"),
    ("TA0002", "execution", "Execution"),
    ("TA0003", "persistence", "Persistence"),
    ("TA0004", "privilege-escalation", "Privilege Escalation"),
    ("TA0005", "defense-evasion", "Defense Evasion"),
    ("TA0006", "credential-access", "Credential Access"),
    ("TA0007", "discovery", "Discovery"),
    ("TA0008", "lateral-movement", "Lateral Movement"),
    ("TA0009", "collection", "Collection"),
    ("TA0011", "command-and-control", "Command and Control"),
    ("TA0010", "exfiltration", "Exfiltration"),
    ("TA0040", "impact", "Impact"),
];

/// Techniques the built-in rules tag: (id, name, tactic ids), from ATT&CK Enterprise.
pub const TECHNIQUES: &[(&str, &str, &[&str])] = &[
    ("T1020", "Automated Exfiltration", &["TA0010"]),
    ("T1021.005", "Remote Services: VNC", &["TA0008"]),
    ("T1021.007", "Remote Services: Cloud Services", &["TA0008"]),
    (
        "T1021.008",
        "Remote Services: Direct Cloud VM Connections",
        &["TA0008"],
    ),
    ("T1040", "Network Sniffing", &["TA0006", "TA0007"]),
    (
        "T1048",
        "Exfiltration Over Alternative Protocol",
        &["TA0010"],
    ),
    ("T1059", "Command and Scripting Interpreter", &["TA0002"]),
    ("T1069", "Permission Groups Discovery", &["TA0007"]),
    ("T1070", "Indicator Removal", &["TA0005"]),
    (
        "T1078",
        "Valid Accounts",
        &["TA0001", "TA0003", "TA0004", "TA0005"],
    ),
    (
        "T1078.004",
        "Valid Accounts: Cloud Accounts",
        &["TA0001", "TA0003", "TA0004", "TA0005"],
    ),
    ("T1087", "Account Discovery", &["TA0007"]),
    ("T1087.004", "Account Discovery: Cloud Account", &["TA0007"]),
    ("T1098", "Account Manipulation", &["TA0003", "TA0004"]),
    (
        "T1098.001",
        "Account Manipulation: Additional Cloud Credentials",
        &["TA0003", "TA0004"],
    ),
    (
        "T1098.003",
        "Account Manipulation: Additional Cloud Roles",
        &["TA0003", "TA0004"],
    ),
    (
        "T1108",
        "Redundant Access (revoked by ATT&CK)",
        &["TA0003", "TA0005"],
    ),
    ("T1110", "Brute Force", &["TA0006"]),
    ("T1133", "External Remote Services", &["TA0001", "TA0003"]),
    ("T1136", "Create Account", &["TA0003"]),
    ("T1136.003", "Create Account: Cloud Account", &["TA0003"]),
    ("T1190", "Exploit Public-Facing Application", &["TA0001"]),
    ("T1201", "Password Policy Discovery", &["TA0007"]),
    ("T1204", "User Execution", &["TA0002"]),
    (
        "T1484.002",
        "Domain or Tenant Policy Modification: Trust Modification",
        &["TA0004", "TA0005"],
    ),
    ("T1485", "Data Destruction", &["TA0040"]),
    ("T1486", "Data Encrypted for Impact", &["TA0040"]),
    ("T1489", "Service Stop", &["TA0040"]),
    ("T1490", "Inhibit System Recovery", &["TA0040"]),
    ("T1496", "Resource Hijacking", &["TA0040"]),
    ("T1499", "Endpoint Denial of Service", &["TA0040"]),
    ("T1518", "Software Discovery", &["TA0007"]),
    (
        "T1518.001",
        "Software Discovery: Security Software Discovery",
        &["TA0007"],
    ),
    ("T1525", "Implant Internal Image", &["TA0003"]),
    ("T1526", "Cloud Service Discovery", &["TA0007"]),
    ("T1529", "System Shutdown/Reboot", &["TA0040"]),
    ("T1530", "Data from Cloud Storage", &["TA0009"]),
    ("T1531", "Account Access Removal", &["TA0040"]),
    ("T1535", "Unused/Unsupported Cloud Regions", &["TA0005"]),
    ("T1537", "Transfer Data to Cloud Account", &["TA0010"]),
    ("T1538", "Cloud Service Dashboard", &["TA0007"]),
    ("T1546", "Event Triggered Execution", &["TA0003", "TA0004"]),
    (
        "T1548",
        "Abuse Elevation Control Mechanism",
        &["TA0004", "TA0005"],
    ),
    (
        "T1550",
        "Use Alternate Authentication Material",
        &["TA0005", "TA0008"],
    ),
    (
        "T1550.001",
        "Use Alternate Authentication Material: Application Access Token",
        &["TA0005", "TA0008"],
    ),
    ("T1552", "Unsecured Credentials", &["TA0006"]),
    (
        "T1552.001",
        "Unsecured Credentials: Credentials In Files",
        &["TA0006"],
    ),
    (
        "T1552.005",
        "Unsecured Credentials: Cloud Instance Metadata API",
        &["TA0006"],
    ),
    ("T1555", "Credentials from Password Stores", &["TA0006"]),
    ("T1562", "Impair Defenses", &["TA0005"]),
    (
        "T1562.001",
        "Impair Defenses: Disable or Modify Tools",
        &["TA0005"],
    ),
    (
        "T1562.003",
        "Impair Defenses: Impair Command History Logging",
        &["TA0005"],
    ),
    (
        "T1562.004",
        "Impair Defenses: Disable or Modify System Firewall",
        &["TA0005"],
    ),
    (
        "T1562.007",
        "Impair Defenses: Disable or Modify Cloud Firewall",
        &["TA0005"],
    ),
    (
        "T1562.008",
        "Impair Defenses: Disable or Modify Cloud Logs",
        &["TA0005"],
    ),
    ("T1565", "Data Manipulation", &["TA0040"]),
    ("T1567", "Exfiltration Over Web Service", &["TA0010"]),
    ("T1578", "Modify Cloud Compute Infrastructure", &["TA0005"]),
    (
        "T1578.002",
        "Modify Cloud Compute Infrastructure: Create Cloud Instance",
        &["TA0005"],
    ),
    ("T1580", "Cloud Infrastructure Discovery", &["TA0007"]),
    ("T1599", "Network Boundary Bridging", &["TA0005"]),
    (
        "T1621",
        "Multi-Factor Authentication Request Generation",
        &["TA0006"],
    ),
    ("T1651", "Cloud Administration Command", &["TA0002"]),
    ("T1666", "Modify Cloud Resource Hierarchy", &["TA0005"]),
];

/// The technique ids a rule's tags name (`attack.t1562.008` -> `T1562.008`), in tag order,
/// without repeats.
pub fn technique_ids(tags: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for tag in tags {
        let Some(rest) = tag
            .to_ascii_lowercase()
            .strip_prefix("attack.t")
            .map(str::to_string)
        else {
            continue;
        };
        let (main, sub) = rest.split_once('.').unwrap_or((&rest, ""));
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(main, 4) || !(sub.is_empty() || digits(sub, 3)) {
            continue;
        }
        let id = format!("T{}", rest);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The tactic ids a rule's tags name: `attack.ta0005` or Sigma's `attack.defense-evasion`.
pub fn tagged_tactic_ids(tags: &[String]) -> BTreeSet<&'static str> {
    let mut ids = BTreeSet::new();
    for tag in tags {
        let Some(rest) = tag
            .to_ascii_lowercase()
            .strip_prefix("attack.")
            .map(str::to_string)
        else {
            continue;
        };
        for (id, short, _) in TACTICS {
            if rest == id.to_ascii_lowercase() || rest == short {
                ids.insert(id);
            }
        }
    }
    ids
}

/// A technique's name and tactics, when ATT&CK's table here has it.
pub fn technique(id: &str) -> Option<(&'static str, &'static [&'static str])> {
    TECHNIQUES
        .iter()
        .find(|(known, _, _)| *known == id)
        .map(|(_, name, tactics)| (*name, *tactics))
}

/// Where a rule places a technique: the technique's ATT&CK tactics that the rule also tags, or
/// all of the technique's tactics when the rule tags none of them. A technique unknown here goes
/// under the rule's tagged tactics (or under no tactic, shown as `-`).
pub fn placements(rule_tags: &[String], technique_id: &str) -> Vec<&'static str> {
    let tagged = tagged_tactic_ids(rule_tags);
    match technique(technique_id) {
        Some((_, tactics)) => {
            let both: Vec<&'static str> = tactics
                .iter()
                .copied()
                .filter(|t| tagged.contains(t))
                .collect();
            if both.is_empty() {
                tactics.to_vec()
            } else {
                both
            }
        }
        None => tagged.into_iter().collect(),
    }
}

/// The tactic ids a rule covers through its techniques, in matrix order.
pub fn rule_tactic_ids(rule_tags: &[String]) -> Vec<&'static str> {
    let covered: BTreeSet<&'static str> = technique_ids(rule_tags)
        .iter()
        .flat_map(|t| placements(rule_tags, t))
        .collect();
    TACTICS
        .iter()
        .map(|(id, _, _)| *id)
        .filter(|id| covered.contains(id))
        .collect()
}

/// The coverage section of the catalog: one row per (tactic, technique) with the rules that tag
/// it and their severities.
pub fn coverage_markdown(rules: &[Rule]) -> String {
    // tactic -> technique -> rules
    let mut cells: BTreeMap<&str, BTreeMap<String, Vec<&Rule>>> = BTreeMap::new();
    for rule in rules {
        for technique_id in technique_ids(&rule.tags) {
            let tactics = placements(&rule.tags, &technique_id);
            let tactics = if tactics.is_empty() {
                vec!["-"]
            } else {
                tactics
            };
            for tactic in tactics {
                cells
                    .entry(tactic)
                    .or_default()
                    .entry(technique_id.clone())
                    .or_default()
                    .push(rule);
            }
        }
    }
    let mut out = String::new();
    out.push_str("\n## ATT&CK coverage\n\n");
    let tagged = rules
        .iter()
        .filter(|r| !technique_ids(&r.tags).is_empty())
        .count();
    let techniques: BTreeSet<&String> = cells.values().flat_map(|t| t.keys()).collect();
    let _ = writeln!(
        out,
        "{tagged} of {} rules name MITRE ATT&CK techniques in their tags (`attack.t1562.008`), {} techniques in all. A technique is listed under the tactics of ATT&CK that the rule also tags (`attack.ta0005` or `attack.defense-evasion`), or under all of its ATT&CK tactics when the rule tags none of them. `trailgate rules list --format json` gives each rule's `attack` techniques and tactics.\n",
        rules.len(),
        techniques.len()
    );
    out.push_str("| tactic | technique | rules |\n|---|---|---|\n");
    let order = TACTICS
        .iter()
        .map(|(id, _, name)| (*id, format!("{id} {name}")))
        .chain(std::iter::once(("-", "no tactic".to_string())));
    for (tactic, tactic_label) in order {
        let Some(by_technique) = cells.get(tactic) else {
            continue;
        };
        for (technique_id, rules) in by_technique {
            let name = technique(technique_id).map_or("", |(name, _)| name);
            let mut listed: Vec<(&str, &str)> = rules
                .iter()
                .map(|r| (r.id.as_str(), r.severity.as_str()))
                .collect();
            listed.sort();
            listed.dedup();
            let listed: Vec<String> = listed
                .iter()
                .map(|(id, severity)| format!("`{id}` ({severity})"))
                .collect();
            let _ = writeln!(
                out,
                "| {tactic_label} | {technique_id} {name} | {} |",
                listed.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn technique_ids_are_read_from_tags() {
        let t = tags(&[
            "aws",
            "attack.t1562.008",
            "attack.ta0005",
            "attack.T1078",
            "attack.t1562.008",
            "attack.t15",
            "attack.t1234.5",
            "attack.defense-evasion",
        ]);
        assert_eq!(technique_ids(&t), vec!["T1562.008", "T1078"]);
        assert_eq!(
            tagged_tactic_ids(&t).into_iter().collect::<Vec<_>>(),
            vec!["TA0005"]
        );
    }

    #[test]
    fn techniques_go_under_the_tactics_the_rule_tags() {
        // Valid Accounts has four tactics; the rule says Initial Access.
        let t = tags(&["attack.t1078", "attack.ta0001"]);
        assert_eq!(placements(&t, "T1078"), vec!["TA0001"]);
        // A tactic tag that does not belong to the technique is not used for it.
        let t = tags(&["attack.t1537", "attack.ta0005"]);
        assert_eq!(placements(&t, "T1537"), vec!["TA0010"]);
        // No tactic tag: every tactic of the technique.
        let t = tags(&["attack.t1550"]);
        assert_eq!(placements(&t, "T1550"), vec!["TA0005", "TA0008"]);
        // Unknown technique: the rule's own tactics.
        let t = tags(&["attack.t9999", "attack.impact"]);
        assert_eq!(placements(&t, "T9999"), vec!["TA0040"]);
        assert_eq!(rule_tactic_ids(&t), vec!["TA0040"]);
    }

    #[test]
    fn every_tactic_of_the_table_is_a_known_tactic() {
        for (id, _, tactics) in TECHNIQUES {
            for tactic in *tactics {
                assert!(
                    TACTICS.iter().any(|(known, _, _)| known == tactic),
                    "{id}: {tactic}"
                );
            }
        }
    }
}
