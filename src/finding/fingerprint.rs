//! A finding's identity across runs: what SARIF `partialFingerprints` carry and what baselines
//! match on. It must not depend on line numbers, file order or thread count, so that the same
//! event breaking the same rule is recognised in every later scan.

/// The `partialFingerprints` key trailgate writes in SARIF. Versioned so the scheme can change
/// without old and new values being compared as if they meant the same thing.
pub const KEY: &str = "trailgate/v1";

/// `rule-id/eventID`. CloudTrail gives every event a unique `eventID`, so the same event found
/// again (in a re-downloaded file, a different folder, another run) gets the same fingerprint.
/// Without an `eventID` the file name and record index are the best identity there is; they are
/// hashed so the value stays short, and they are only as stable as the path the user scans.
pub fn fingerprint(rule_id: &str, event_id: Option<&str>, file: &str, record: usize) -> String {
    match event_id {
        Some(id) if !id.is_empty() => format!("{rule_id}/{id}"),
        _ => {
            let mut hash = Fnv1a::new();
            hash.write(file.as_bytes());
            hash.write(&[0]);
            hash.write(record.to_string().as_bytes());
            format!("{rule_id}/record:{:016x}", hash.finish())
        }
    }
}

/// `rule-id/window:HASH` for a finding at a window of events (a correlation): the hash of the
/// group (field and value pairs) and the window's first event time, so the same burst found
/// again, in any shard or run, gets the same fingerprint.
pub fn window(rule_id: &str, group: &[(String, String)], first: &str) -> String {
    let mut hash = Fnv1a::new();
    for (field, value) in group {
        hash.write(field.as_bytes());
        hash.write(&[0]);
        hash.write(value.as_bytes());
        hash.write(&[0]);
    }
    hash.write(&[1]);
    hash.write(first.as_bytes());
    format!("{rule_id}/window:{:016x}", hash.finish())
}

/// 64-bit FNV-1a. The standard library's hashers may change between Rust releases; a
/// fingerprint written today must match one computed by a later build.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_makes_the_fingerprint_whatever_the_file() {
        assert_eq!(
            fingerprint("r", Some("abc"), "a/file.json", 3),
            fingerprint("r", Some("abc"), "b/other.json.gz", 0)
        );
        assert_eq!(fingerprint("r", Some("abc"), "f", 0), "r/abc");
        assert_ne!(
            fingerprint("r", Some("abc"), "f", 0),
            fingerprint("s", Some("abc"), "f", 0)
        );
    }

    #[test]
    fn without_event_id_file_and_record_decide() {
        let a = fingerprint("r", None, "trail.json", 1);
        assert_eq!(a, fingerprint("r", Some(""), "trail.json", 1));
        assert_ne!(a, fingerprint("r", None, "trail.json", 2));
        assert_ne!(a, fingerprint("r", None, "other.json", 1));
        assert!(a.starts_with("r/record:"), "{a}");
    }

    #[test]
    fn window_fingerprint_depends_on_group_and_start() {
        let group = |v: &str| vec![("sourceIPAddress".to_string(), v.to_string())];
        let a = window("r", &group("1.2.3.4"), "2024-01-01T00:00:00Z");
        assert_eq!(a, window("r", &group("1.2.3.4"), "2024-01-01T00:00:00Z"));
        assert_ne!(a, window("r", &group("1.2.3.5"), "2024-01-01T00:00:00Z"));
        assert_ne!(a, window("r", &group("1.2.3.4"), "2024-01-01T00:00:01Z"));
        assert!(a.starts_with("r/window:"), "{a}");
    }

    #[test]
    fn fnv1a_matches_the_published_test_vector() {
        // "a" -> 0xaf63dc4c8601ec8c (FNV-1a 64-bit reference values).
        let mut hash = Fnv1a::new();
        hash.write(b"a");
        assert_eq!(hash.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
