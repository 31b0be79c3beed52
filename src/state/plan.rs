//! Which rules each file must be read for, given what the store says it was scanned with: the
//! incremental part of `scan --state`.
//!
//! A file is read again only for the rules it was not scanned with at its current version: a
//! rule that is new, or whose fingerprint changed (what it matches changed), is missing from
//! every file scanned before, so every such file is read for it (a new `first_seen` rule thus
//! learns from all the history at hand); a rule removed from the set needs nothing; a file whose
//! content changed, or that was never scanned, is read for every rule. Files that need the same
//! rules form one group, scanned with those rules only, so findings of unchanged rules are not
//! reported twice.

use std::collections::BTreeMap;

use super::FileStatus;

/// What to do with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePlan {
    /// Scanned before with every rule of this run: not read.
    Skip,
    /// Read for these rules (indexes into the run's rule list, ascending).
    Read(Vec<usize>),
}

/// Plans one file. `rules` are the fingerprints of this run's rules, in rule-set order;
/// `rescan` (`--rescan`) reads every file for every rule.
pub fn plan_file(status: &FileStatus, rules: &[[u8; 16]], rescan: bool) -> FilePlan {
    let all = || (0..rules.len()).collect::<Vec<_>>();
    match status {
        _ if rescan => FilePlan::Read(all()),
        FileStatus::New | FileStatus::Changed => FilePlan::Read(all()),
        FileStatus::Scanned(done) => {
            let missing: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, fp)| done.binary_search(fp).is_err())
                .map(|(i, _)| i)
                .collect();
            if missing.is_empty() {
                FilePlan::Skip
            } else {
                FilePlan::Read(missing)
            }
        }
    }
}

/// Files (indexes) that must be read for the same rules (indexes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub rules: Vec<usize>,
    pub files: Vec<usize>,
}

/// Groups files (by index) by the rules they must be read for; skipped files are returned apart.
/// Groups come in a stable order (by their rule lists), files in each in the order given.
pub fn group(plans: &[FilePlan]) -> (Vec<Group>, Vec<usize>) {
    let mut groups: BTreeMap<&[usize], Vec<usize>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for (file, plan) in plans.iter().enumerate() {
        match plan {
            FilePlan::Skip => skipped.push(file),
            FilePlan::Read(rules) => groups.entry(rules.as_slice()).or_default().push(file),
        }
    }
    let groups = groups
        .into_iter()
        .map(|(rules, files)| Group {
            rules: rules.to_vec(),
            files,
        })
        .collect();
    (groups, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_only_for_the_rules_they_miss() {
        let rules = [[1; 16], [2; 16], [3; 16]];
        assert_eq!(
            plan_file(&FileStatus::New, &rules, false),
            FilePlan::Read(vec![0, 1, 2])
        );
        assert_eq!(
            plan_file(&FileStatus::Changed, &rules, false),
            FilePlan::Read(vec![0, 1, 2])
        );
        let all = FileStatus::Scanned(vec![[1; 16], [2; 16], [3; 16], [9; 16]]);
        assert_eq!(plan_file(&all, &rules, false), FilePlan::Skip);
        assert_eq!(plan_file(&all, &rules, true), FilePlan::Read(vec![0, 1, 2]));
        let old = FileStatus::Scanned(vec![[1; 16], [3; 16]]);
        assert_eq!(plan_file(&old, &rules, false), FilePlan::Read(vec![1]));
    }

    #[test]
    fn groups_gather_files_that_need_the_same_rules() {
        let plans = [
            FilePlan::Read(vec![1]),
            FilePlan::Skip,
            FilePlan::Read(vec![0, 1]),
            FilePlan::Read(vec![1]),
        ];
        let (groups, skipped) = group(&plans);
        assert_eq!(skipped, vec![1]);
        let pairs: Vec<(Vec<usize>, Vec<usize>)> =
            groups.into_iter().map(|g| (g.rules, g.files)).collect();
        assert_eq!(pairs, vec![(vec![0, 1], vec![2]), (vec![1], vec![0, 3])]);
    }
}
