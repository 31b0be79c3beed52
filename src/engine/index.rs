//! The index that sends each event only to the rules that can match it, keyed by the rules'
//! eventSource / eventName selectors. Keys ignore ASCII case, as Sigma's matching does; CloudTrail
//! itself always writes them the same way.

use std::collections::HashMap;

use crate::rule::Rule;

#[derive(Debug, Default)]
pub(super) struct RuleIndex {
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
    /// The rules tried on every event (no event selector).
    pub(super) fn always(&self) -> &[usize] {
        &self.always
    }

    pub(super) fn new(rules: &[Rule]) -> RuleIndex {
        let mut index = RuleIndex::default();
        for (i, rule) in rules.iter().enumerate() {
            let selector = &rule.selector;
            match (selector.sources.is_empty(), selector.names.is_empty()) {
                (false, false) => {
                    for source in &selector.sources {
                        let names = index
                            .by_pair
                            .entry(source.to_ascii_lowercase())
                            .or_default();
                        for name in &selector.names {
                            names.entry(name.to_ascii_lowercase()).or_default().push(i);
                        }
                    }
                }
                (false, true) => {
                    for source in &selector.sources {
                        index
                            .by_source
                            .entry(source.to_ascii_lowercase())
                            .or_default()
                            .push(i);
                    }
                }
                (true, false) => {
                    for name in &selector.names {
                        index
                            .by_name
                            .entry(name.to_ascii_lowercase())
                            .or_default()
                            .push(i);
                    }
                }
                (true, true) => index.always.push(i),
            }
        }
        index
    }

    /// Indexes of the rules that may match an event with this source and name, in rule order.
    pub(super) fn candidates(
        &self,
        source: Option<&str>,
        name: Option<&str>,
        out: &mut Vec<usize>,
    ) {
        out.clear();
        with_lowercase(source, |source| {
            with_lowercase(name, |name| {
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
            });
        });
        out.extend_from_slice(&self.always);
        out.sort_unstable();
        out.dedup();
    }
}

/// Calls `f` with the ASCII-lowercased text, without allocating for the usual short names.
fn with_lowercase<R>(text: Option<&str>, f: impl FnOnce(Option<&str>) -> R) -> R {
    let Some(text) = text else { return f(None) };
    if !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return f(Some(text));
    }
    let mut buffer = [0u8; 128];
    if text.len() <= buffer.len() {
        let lower = &mut buffer[..text.len()];
        lower.copy_from_slice(text.as_bytes());
        lower.make_ascii_lowercase();
        // Lowercasing ASCII bytes keeps UTF-8 valid.
        match std::str::from_utf8(lower) {
            Ok(lower) => f(Some(lower)),
            Err(_) => f(Some(&text.to_ascii_lowercase())),
        }
    } else {
        f(Some(&text.to_ascii_lowercase()))
    }
}
