//! Deciding an event on a partial tree. Most events a rule is tried on do not match it, and
//! building an event's whole JSON tree is the largest cost of trying (docs/performance.md): the
//! engine first builds a tree of only the top-level members its candidate rules' conditions read
//! (plus those it reads itself), decides the event on it, and builds the whole tree only when a
//! rule matches, then evaluates again from the start. The outcome is the same as evaluating the
//! whole tree: a condition sees exactly the members it reads, and a match is never decided on the
//! partial tree.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use crate::rule::annotation::AnnotationReads;
use crate::rule::members::condition_reads;
use crate::rule::Rule;
use crate::source::records::MemberSpan;

/// Members the engine reads of an event it decides on a partial tree: `errorCode` (a rule's
/// `outcome`). The summary of what was scanned takes the time, account and region from the
/// record's head.
const ENGINE_READS: &[&str] = &["errorCode"];

/// A set of members, one bit per entry of `PartialTrees::names`.
pub(super) type MemberSet = u128;

#[derive(Debug, Default)]
pub(super) struct PartialTrees {
    /// Every member some rule reads; an index is its bit in a `MemberSet`.
    names: Vec<String>,
    /// Per name length (the last slot: any longer), the names of that length as their first
    /// eight bytes and their bit: what a record's member names are looked up in.
    by_len: Vec<Vec<(u64, usize)>>,
    /// Per rule: the members its condition reads, or `None` when any (then the whole tree).
    rules: Vec<Option<MemberSet>>,
    engine: MemberSet,
}

impl PartialTrees {
    pub(super) fn new(rules: &[Rule], annotation: &[AnnotationReads]) -> PartialTrees {
        let mut trees = PartialTrees::default();
        trees.engine = trees
            .set(ENGINE_READS.iter().copied())
            .unwrap_or(MemberSet::MAX);
        trees.rules = rules
            .iter()
            .zip(annotation)
            .map(|(rule, annotation)| {
                // The annotation is written into the whole tree before such a rule is tried.
                if annotation.before_match {
                    return None;
                }
                let reads: BTreeSet<String> = condition_reads(&rule.condition)?;
                trees.set(reads.iter().map(String::as_str))
            })
            .collect();
        trees
    }

    /// The set of these members, naming each; `None` past 128 distinct members.
    fn set<'a>(&mut self, members: impl Iterator<Item = &'a str>) -> Option<MemberSet> {
        let mut set: MemberSet = 0;
        for member in members {
            let bit = match self.names.iter().position(|n| n == member) {
                Some(bit) => bit,
                None if self.names.len() < MemberSet::BITS as usize => {
                    self.names.push(member.to_string());
                    let bit = self.names.len() - 1;
                    if self.by_len.is_empty() {
                        self.by_len = vec![Vec::new(); LONG_NAME + 1];
                    }
                    self.by_len[member.len().min(LONG_NAME)].push((head8(member), bit));
                    bit
                }
                None => return None,
            };
            set |= 1 << bit;
        }
        Some(set)
    }

    /// Whether this rule's condition reads only some members.
    pub(super) fn decides(&self, rule: usize) -> bool {
        self.rules[rule].is_some()
    }

    /// The members a partial tree must hold to decide an event for these candidate rules, or
    /// `None` when one of them needs the whole tree.
    pub(super) fn members(&self, candidates: &[usize]) -> Option<MemberSet> {
        candidates
            .iter()
            .try_fold(self.engine, |set, &rule| Some(set | self.rules[rule]?))
    }

    /// Whether `member` belongs in a partial tree of `set`.
    #[cfg(test)]
    pub(super) fn keeps(&self, set: MemberSet, member: &str) -> bool {
        self.bit_of(member) & set != 0
    }

    /// The one-bit set of `member`, or 0 when no rule reads it: the names of its length
    /// (rarely more than three) compared by their first eight bytes as one integer, the rest
    /// only then. Comparing the names as strings called `memcmp` for every pair of equal
    /// length, 4% of a default scan's time.
    pub(super) fn bit_of(&self, member: &str) -> MemberSet {
        let Some(names) = self.by_len.get(member.len().min(LONG_NAME)) else {
            return 0;
        };
        let head = head8(member);
        for &(other, bit) in names {
            if other == head
                && (member.len() <= 8 || self.names[bit].as_bytes()[8..] == member.as_bytes()[8..])
            {
                return 1 << bit;
            }
        }
        0
    }
}

/// Names of this length or longer share the last slot of `PartialTrees::by_len`.
const LONG_NAME: usize = 40;

/// A name's first eight bytes (zero past its end) as one integer: with its length, equal only
/// for equal names of at most eight bytes.
fn head8(name: &str) -> u64 {
    let mut head = [0u8; 8];
    let bytes = name.as_bytes();
    let n = bytes.len().min(8);
    head[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(head)
}

/// Records are decided on partial trees until this many have been, across the scan...
const SAMPLE: u64 = 1024;
/// ...and then only while at most this share of them matched a rule: a matched record is parsed
/// in parts and evaluated twice, which costs more than one whole parse.
const MATCHED_PERCENT: u64 = 50;
/// Each file's counts are added to the scan's every this many records.
const FLUSH: u32 = 32;

/// How deciding on partial trees pays off across one scan (shared by its threads). Whether a
/// record is decided on a partial tree never changes what is found, only how fast.
#[derive(Debug, Default)]
pub(super) struct Payoff {
    tried: AtomicU64,
    matched: AtomicU64,
}

impl Payoff {
    fn worth_trying(&self) -> bool {
        let tried = self.tried.load(Ordering::Relaxed);
        tried < SAMPLE || self.matched.load(Ordering::Relaxed) * 100 <= tried * MATCHED_PERCENT
    }
}

/// One file's (or batch's) share of a `Payoff`, added to it now and then.
#[derive(Debug, Default)]
pub(super) struct LocalPayoff {
    tried: u32,
    matched: u32,
    worth: Option<bool>,
}

impl LocalPayoff {
    /// Whether to decide the next record on a partial tree.
    pub(super) fn worth_trying(&mut self, scan: &Payoff) -> bool {
        *self.worth.get_or_insert_with(|| scan.worth_trying())
    }

    /// Counts a record decided on a partial tree.
    pub(super) fn tried(&mut self, matched: bool, scan: &Payoff) {
        self.tried += 1;
        self.matched += u32::from(matched);
        if self.tried >= FLUSH {
            self.flush(scan);
        }
    }

    pub(super) fn flush(&mut self, scan: &Payoff) {
        scan.tried
            .fetch_add(u64::from(self.tried), Ordering::Relaxed);
        scan.matched
            .fetch_add(u64::from(self.matched), Ordering::Relaxed);
        *self = LocalPayoff::default();
    }
}

/// Adds to `members` the top-level members of the record `text` (whose spans `head_and_members`
/// gave) that `keep` accepts (given each span's index), each parsed from its own text; a
/// repeated name keeps its last value, as in the whole tree. False when a value does not parse
/// (never, for a record with a head).
pub(super) fn add_members(
    text: &str,
    spans: &[MemberSpan],
    keep: impl Fn(usize) -> bool,
    members: &mut Map<String, Value>,
) -> bool {
    for (i, span) in spans.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let name = &text[span.name.clone()];
        match serde_json::from_str::<Value>(&text[span.value.clone()]) {
            Ok(value) => {
                members.insert(name.to_string(), value);
            }
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::load::{compile_files, RuleFile};

    fn rules(conditions: &[&str]) -> Vec<Rule> {
        let files: Vec<RuleFile> = conditions
            .iter()
            .enumerate()
            .map(|(i, condition)| RuleFile {
                name: format!("r{i}.yaml"),
                pack: "test".into(),
                text: format!(
                    "id: r{i}\ntitle: R\nseverity: low\ndescription: D\nremediation: R\ncondition:\n{condition}"
                ),
            })
            .collect();
        compile_files(&files).expect("valid rules")
    }

    #[test]
    fn the_members_of_candidates_are_theirs_and_the_engines() {
        let rules = rules(&[
            "  path: $.requestParameters.bucketName\n  exists: true\n",
            "  path: $.vpcEndpointId\n  exists: true\n",
            "  path: $..arn\n  exists: true\n",
            "  path: $.trailgate.account_name\n  exists: true\n",
        ]);
        let annotation: Vec<_> = rules.iter().map(crate::rule::annotation::reads).collect();
        let trees = PartialTrees::new(&rules, &annotation);
        let kept = |candidates: &[usize]| {
            let set = trees.members(candidates)?;
            let names = [
                "requestParameters",
                "vpcEndpointId",
                "errorCode",
                "eventTime",
            ];
            let kept: Vec<&str> = names.into_iter().filter(|n| trees.keeps(set, n)).collect();
            Some(kept)
        };
        assert_eq!(kept(&[0]), Some(vec!["requestParameters", "errorCode"]));
        assert_eq!(
            kept(&[1, 0]),
            Some(vec!["requestParameters", "vpcEndpointId", "errorCode"])
        );
        assert_eq!(kept(&[]), Some(vec!["errorCode"]));
        // `..` may reach any member; a rule that reads the annotation is tried on the whole,
        // annotated tree.
        assert_eq!(kept(&[0, 2]), None);
        assert_eq!(kept(&[3]), None);
        assert!(!trees.keeps(trees.members(&[0]).unwrap(), "notAMember"));
    }

    #[test]
    fn member_names_are_told_apart_past_their_first_eight_bytes() {
        let names = [
            "eventName",
            "eventTime",
            "errorCode",
            "requestParameters",
            "requestParametersX",
            "responseElements",
            "n",
            "",
            "awsRegion",
        ];
        let conditions: Vec<String> = names
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| format!("  path: $.{n}\n  exists: true\n"))
            .collect();
        let conditions: Vec<&str> = conditions.iter().map(String::as_str).collect();
        let rules = rules(&conditions[..conditions.len() - 1]);
        let annotation: Vec<_> = rules.iter().map(crate::rule::annotation::reads).collect();
        let trees = PartialTrees::new(&rules, &annotation);
        let all = trees
            .members(&(0..rules.len()).collect::<Vec<_>>())
            .unwrap();
        for name in names {
            // `awsRegion` (read by no rule) has the length of three that are read.
            let read = !name.is_empty() && name != "awsRegion";
            assert_eq!(trees.keeps(all, name), read, "{name}");
            assert_eq!(trees.bit_of(name).count_ones(), u32::from(read), "{name}");
        }
        assert!(!trees.keeps(all, "requestParametersY"));
        assert!(!trees.keeps(all, "requestParameter"));
        assert_ne!(
            trees.bit_of("requestParameters"),
            trees.bit_of("requestParametersX")
        );
        let only_first = trees.members(&[0]).unwrap();
        assert!(trees.keeps(only_first, "eventName"));
        assert!(!trees.keeps(only_first, "eventTime"));
    }

    #[test]
    fn a_partial_tree_and_the_rest_make_the_whole_tree() {
        let text = r#" { "eventSource" : "s3.amazonaws.com","eventName":"GetObject", "n": 12 , "recipientAccountId":"1","userIdentity":{"type":"Root","x":[1,{"y":"]}"}]},"requestParameters":null,"flag":true,"n":-0.5,"s":"a\"b\u00e9"}"#;
        let mut spans = Vec::new();
        assert!(crate::source::records::head_and_members(text, &mut spans).is_some());
        assert_eq!(spans.len(), 9);
        let whole: Value = serde_json::from_str(text).unwrap();
        let kept = |i: usize| {
            matches!(
                &text[spans[i].name.clone()],
                "userIdentity" | "n" | "eventName"
            )
        };
        let mut members = Map::new();
        assert!(add_members(text, &spans, kept, &mut members));
        assert_eq!(
            Value::Object(members.clone()),
            serde_json::json!({"eventName": "GetObject", "n": -0.5, "userIdentity": whole["userIdentity"]})
        );
        assert!(add_members(text, &spans, |n| !kept(n), &mut members));
        assert_eq!(Value::Object(members), whole);
    }
}
