//! The index that sends each event only to the rules that can match it, keyed by the rules'
//! eventSource / eventName selectors.

use std::collections::HashMap;

use crate::rule::Rule;

#[derive(Debug, Default)]
pub struct RuleIndex {
    /// eventSource -> eventName -> rules naming both.
    by_pair: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Rules naming sources but no event names.
    by_source: HashMap<String, Vec<usize>>,
    /// Rules naming event names but no sources.
    by_name: HashMap<String, Vec<usize>>,
    /// Rules with no event selector.
    always: Vec<usize>,
}

impl RuleIndex {
    pub fn new(rules: &[Rule]) -> RuleIndex {
        let mut index = RuleIndex::default();
        for (i, rule) in rules.iter().enumerate() {
            let selector = &rule.selector;
            match (selector.sources.is_empty(), selector.names.is_empty()) {
                (false, false) => {
                    for source in &selector.sources {
                        let names = index.by_pair.entry(source.clone()).or_default();
                        for name in &selector.names {
                            names.entry(name.clone()).or_default().push(i);
                        }
                    }
                }
                (false, true) => {
                    for source in &selector.sources {
                        index.by_source.entry(source.clone()).or_default().push(i);
                    }
                }
                (true, false) => {
                    for name in &selector.names {
                        index.by_name.entry(name.clone()).or_default().push(i);
                    }
                }
                (true, true) => index.always.push(i),
            }
        }
        index
    }

    /// Indexes of the rules that may match an event with this source and name, in rule order.
    pub fn candidates(&self, source: Option<&str>, name: Option<&str>, out: &mut Vec<usize>) {
        out.clear();
        if let Some(source) = source {
            if let Some(names) = self.by_pair.get(source) {
                if let Some(rules) = name.and_then(|n| names.get(n)) {
                    out.extend_from_slice(rules);
                }
            }
            if let Some(rules) = self.by_source.get(source) {
                out.extend_from_slice(rules);
            }
        }
        if let Some(rules) = name.and_then(|n| self.by_name.get(n)) {
            out.extend_from_slice(rules);
        }
        out.extend_from_slice(&self.always);
        out.sort_unstable();
        out.dedup();
    }
}
