//! The correlation stage: after the per-event scan, the matches of rules that correlations refer
//! to arrive here as signals, fold into bounded per-group, per-second state (`table`), and sliding
//! windows over that state (`window`) give one finding per episode. Chained correlations take
//! the findings of the correlations they refer to as signals, in dependency order. Nothing here
//! depends on the order signals arrive in. Semantics: docs/correlations.md.

pub mod cases;
pub mod collect;
pub mod explain;
pub mod extract;
pub mod render;
pub mod stage;
pub mod table;
pub mod window;

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::rule::correlation::{Correlation, FieldSource, Kind};
pub use table::{Bucket, Member, Second, Signal, SignalTable, MEMBER_CAP};
pub use window::{Episode, WindowSpec, VALUE_CAP};

/// The window computation of a correlation.
pub fn window_spec(correlation: &Correlation) -> WindowSpec {
    WindowSpec {
        measure: correlation.kind.measure(),
        inputs: correlation.inputs.len(),
        timespan: correlation.timespan,
        condition: correlation.condition.clone(),
    }
}

/// One correlation finding before rendering: which correlation (index into the slice given to
/// `evaluate`) and the episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub correlation: usize,
    pub episode: Episode,
}

/// Evaluates every correlation over the signals of its per-event inputs (`tables`, by
/// correlation id; missing means no signal), chained ones after those they refer to. Returns
/// the episodes of the correlations that report (not quiet: see `quiet_ids`), ordered by
/// correlation id, group and start. `correlations` must be resolved (inputs exist, no cycle),
/// as the loader ensures.
pub fn evaluate(
    correlations: &[Correlation],
    tables: &BTreeMap<String, SignalTable>,
) -> Vec<Fired> {
    let quiet = crate::rule::correlation::quiet_ids(correlations);
    let mut fired = evaluate_all(correlations, tables);
    fired.retain(|f| !quiet.contains(correlations[f.correlation].id.as_str()));
    fired
}

/// As `evaluate`, including the episodes of quiet correlations (for tests and `explain`).
pub fn evaluate_all(
    correlations: &[Correlation],
    tables: &BTreeMap<String, SignalTable>,
) -> Vec<Fired> {
    run(correlations, tables, false).0
}

/// As `evaluate_all`, also returning each correlation's complete table: its own signals plus
/// those its chained inputs' findings gave (for `explain`).
pub fn evaluate_with_tables(
    correlations: &[Correlation],
    tables: &BTreeMap<String, SignalTable>,
) -> (Vec<Fired>, BTreeMap<String, SignalTable>) {
    run(correlations, tables, true)
}

/// The evaluation; the complete tables are kept only when `keep` is set. A table is copied
/// only to add chained signals to it (or to keep it): a scan's tables are the largest thing the
/// stage holds, and a copy of each doubled its peak.
fn run(
    correlations: &[Correlation],
    tables: &BTreeMap<String, SignalTable>,
    keep: bool,
) -> (Vec<Fired>, BTreeMap<String, SignalTable>) {
    let index: BTreeMap<&str, usize> = correlations
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let refs = |i: usize| -> Vec<usize> {
        correlations[i]
            .inputs
            .iter()
            .filter(|input| input.chained)
            .filter_map(|input| index.get(input.id.as_str()).copied())
            .collect()
    };
    let order = match crate::rule::correlation::topological_order(correlations.len(), refs) {
        Ok(order) => order,
        // The loader rejects cycles; evaluate nothing rather than loop if one slips through.
        Err(_) => return (Vec::new(), BTreeMap::new()),
    };
    let mut complete = BTreeMap::new();
    let mut episodes: Vec<Vec<Episode>> = vec![Vec::new(); correlations.len()];
    for i in order {
        let correlation = &correlations[i];
        let empty = SignalTable::default();
        let mut table = Cow::Borrowed(tables.get(&correlation.id).unwrap_or(&empty));
        for (q, input) in correlation.inputs.iter().enumerate() {
            if !input.chained {
                continue;
            }
            let Some(&upstream) = index.get(input.id.as_str()) else {
                continue;
            };
            for episode in &episodes[upstream] {
                if let Some(signal) = chained_signal(correlation, q, episode) {
                    table.to_mut().add(signal, correlation.inputs.len());
                }
            }
        }
        let spec = window_spec(correlation);
        episodes[i] = table
            .groups()
            .flat_map(|(group, timeline)| window::episodes(&spec, group, &timeline))
            .collect();
        if keep {
            complete.insert(correlation.id.clone(), table.into_owned());
        }
    }
    let mut fired: Vec<Fired> = episodes
        .into_iter()
        .enumerate()
        .flat_map(|(i, eps)| {
            eps.into_iter().map(move |episode| Fired {
                correlation: i,
                episode,
            })
        })
        .collect();
    fired.sort_by(|a, b| {
        (
            &correlations[a.correlation].id,
            &a.episode.group,
            a.episode.start,
        )
            .cmp(&(
                &correlations[b.correlation].id,
                &b.episode.group,
                b.episode.start,
            ))
    });
    (fired, complete)
}

/// A finding of an upstream correlation as a signal of `correlation`'s input `q`: its time is
/// the episode's last event (when all its evidence was in), its group fields come from the
/// upstream group by name or alias.
fn chained_signal(correlation: &Correlation, q: usize, episode: &Episode) -> Option<Signal> {
    let pick = |source: &FieldSource| match source {
        FieldSource::Group(at) => episode.group.get(*at).cloned(),
        FieldSource::Event(_) => None,
    };
    let group = correlation
        .group_by
        .iter()
        .map(|field| field.sources.get(q).and_then(pick))
        .collect::<Option<Vec<String>>>()?;
    let values = match &correlation.kind {
        Kind::ValueCount { field } => vec![field.sources.get(q).and_then(pick)?],
        _ => Vec::new(),
    };
    Some(Signal {
        input: q,
        time: episode.end,
        group,
        values,
        members: episode.members.clone(),
    })
}
