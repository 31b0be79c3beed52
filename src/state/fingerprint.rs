//! A rule's fingerprint: what the store remembers a rule by. It covers everything that decides
//! which events give findings (id, selector, condition, exceptions, first_seen) and nothing that
//! only changes how findings read (title, severity, message, description, tags, compliance), so
//! rewording a rule does not make a scan read every file again, while changing what it matches
//! does. The compiled form is hashed, so two spellings of one condition are one rule, and a
//! trailgate upgrade that changes the compiled form rescans (the safe side).

use sha2::{Digest, Sha256};

use crate::rule::Rule;

/// The first 16 bytes of SHA-256 over the rule's matching parts.
pub fn rule_fingerprint(rule: &Rule) -> [u8; 16] {
    let mut hasher = Sha256::new();
    let text = format!(
        "trailgate rule fingerprint 1\nid {}\nselector {:?}\ncondition {:?}\nexceptions {:?}\nfirst_seen {:?}\n",
        rule.id,
        rule.selector,
        rule.condition,
        rule.exceptions.iter().map(|e| &e.condition).collect::<Vec<_>>(),
        rule.first_seen,
    );
    hasher.update(text.as_bytes());
    let digest = hasher.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// Hex, for people and messages.
pub fn hex(fingerprint: &[u8; 16]) -> String {
    fingerprint.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::load::{compile_files, RuleFile};

    fn compile(text: &str) -> Rule {
        let file = RuleFile {
            name: "r.yaml".into(),
            text: text.into(),
            pack: String::new(),
        };
        compile_files(&[file]).expect("valid rule").remove(0)
    }

    #[test]
    fn wording_does_not_count_but_matching_does() {
        let base = "id: r\ntitle: T\nseverity: low\nevents: {eventName: X}\ncondition: {path: $.a, equals: 1}\n";
        let fp = rule_fingerprint(&compile(base));
        assert_eq!(hex(&fp).len(), 32);
        let reworded = base
            .replace("title: T", "title: Other")
            .replace("low", "high");
        assert_eq!(rule_fingerprint(&compile(&reworded)), fp);
        for changed in [
            base.replace("equals: 1", "equals: 2"),
            base.replace("eventName: X", "eventName: Y"),
            base.replace("id: r", "id: s"),
            format!("{base}first_seen: {{fields: [$.a], history: 1d}}\n"),
            format!("{base}exceptions: [{{reason: ok, condition: {{path: $.b, exists: true}}}}]\n"),
        ] {
            assert_ne!(rule_fingerprint(&compile(&changed)), fp, "{changed}");
        }
    }
}
