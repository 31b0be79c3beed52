//! The engine's one hook for the stages after the per-event scan (correlations, first-seen): a
//! [`Tap`] is shown the event of every match of the rules it asks for, while the event is still
//! at hand, and says which rules give no finding of their own. The engine knows nothing of what
//! a stage does with them, so those stages sit above it and never the other way round.

use serde_json::Value;

use crate::source::Origin;

/// A later stage's view of the matches. Shared by every worker (`Sync`); each file gets its own
/// [`TapFile`], so workers never contend while scanning.
pub trait Tap: Send + Sync + std::fmt::Debug {
    /// Whether matches of the rule at this index (in the engine's rule set) are shown to the tap.
    fn wants(&self, rule: usize) -> bool;
    /// Whether the rule at this index gives findings of its own (false for helper rules that
    /// exist only to feed a correlation).
    fn reports(&self, rule: usize) -> bool;
    /// The state for one file, handed back with `TapFile::finish` when the file is done.
    fn file(&self) -> Box<dyn TapFile + '_>;
}

/// What a tap gathers from one file.
pub trait TapFile {
    /// A wanted rule matched `event` (after exceptions).
    fn observe(&mut self, rule: usize, event: &Value, origin: &Origin);
    /// The file is done: fold what was gathered into the tap's state.
    fn finish(self: Box<Self>);
}

/// Several taps as one (`ScanOptions` holds one): a rule is wanted if any tap wants it, and
/// reports only if every tap lets it (each stage can take a rule's findings over).
#[derive(Debug)]
pub struct Taps(pub Vec<std::sync::Arc<dyn Tap>>);

impl Tap for Taps {
    fn wants(&self, rule: usize) -> bool {
        self.0.iter().any(|tap| tap.wants(rule))
    }

    fn reports(&self, rule: usize) -> bool {
        self.0.iter().all(|tap| tap.reports(rule))
    }

    fn file(&self) -> Box<dyn TapFile + '_> {
        Box::new(TapsFile(
            self.0.iter().map(|tap| (&**tap, tap.file())).collect(),
        ))
    }
}

/// One file's state for each tap of a [`Taps`].
struct TapsFile<'a>(Vec<(&'a dyn Tap, Box<dyn TapFile + 'a>)>);

impl TapFile for TapsFile<'_> {
    fn observe(&mut self, rule: usize, event: &Value, origin: &Origin) {
        // Each tap sees only the rules it asked for, as if it were the scan's only tap.
        for (tap, file) in &mut self.0 {
            if tap.wants(rule) {
                file.observe(rule, event, origin);
            }
        }
    }

    fn finish(self: Box<Self>) {
        for (_, file) in self.0 {
            file.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Wants and silences the rules in its lists; records what it was shown.
    #[derive(Debug)]
    struct Probe {
        wanted: Vec<usize>,
        silent: Vec<usize>,
        seen: Mutex<Vec<usize>>,
    }

    struct ProbeFile<'a>(&'a Probe, Vec<usize>);

    impl Tap for Probe {
        fn wants(&self, rule: usize) -> bool {
            self.wanted.contains(&rule)
        }
        fn reports(&self, rule: usize) -> bool {
            !self.silent.contains(&rule)
        }
        fn file(&self) -> Box<dyn TapFile + '_> {
            Box::new(ProbeFile(self, Vec::new()))
        }
    }

    impl TapFile for ProbeFile<'_> {
        fn observe(&mut self, rule: usize, _: &Value, _: &Origin) {
            self.1.push(rule);
        }
        fn finish(self: Box<Self>) {
            self.0.seen.lock().unwrap().extend(self.1);
        }
    }

    #[test]
    fn taps_fan_out_to_the_taps_that_want_a_rule() {
        let a = Arc::new(Probe {
            wanted: vec![0, 1],
            silent: vec![1],
            seen: Mutex::default(),
        });
        let b = Arc::new(Probe {
            wanted: vec![1, 2],
            silent: vec![2],
            seen: Mutex::default(),
        });
        let taps = Taps(vec![a.clone(), b.clone()]);
        assert!(taps.wants(0) && taps.wants(2) && !taps.wants(3));
        assert!(!taps.reports(1) && !taps.reports(2) && taps.reports(0) && taps.reports(3));
        let origin = Origin {
            file: Arc::from("f.json"),
            record: 0,
            line: None,
        };
        let mut file = taps.file();
        for rule in 0..4 {
            if taps.wants(rule) {
                file.observe(rule, &Value::Null, &origin);
            }
        }
        file.finish();
        assert_eq!(*a.seen.lock().unwrap(), vec![0, 1]);
        assert_eq!(*b.seen.lock().unwrap(), vec![1, 2]);
    }
}
