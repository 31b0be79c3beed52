//! The engine: a compiled, indexed rule set evaluated over trail files in parallel, handing on
//! matches rendered into findings in a deterministic order whatever the thread count.
//!
//! - `rule_set.rs`: the rules and their index; evaluating one event gives cheap [`Match`]es.
//! - `scan.rs`: the scan entry points (`scan`, `scan_streaming`) and their options.
//! - `file.rs`: scanning one file (the fast path and the reference path).
//! - `ordered.rs`: ordered delivery of parallel work; knows nothing of rules.
//! - `tap.rs`: the hook through which later stages (correlations, first-seen) see matches.
//! - `render.rs`: a match into a [`Finding`](crate::finding::Finding), only for what is reported.

mod again;
mod batch;
mod coverage;
pub mod eval;
pub mod explain;
mod file;
mod index;
mod ordered;
mod partial;
mod render;
mod rule_set;
mod scan;
mod select;
mod tap;
pub mod trace;

pub use again::events_again;
pub use file::BATCH_BYTES;
pub use render::render;
pub use rule_set::{call_failed, outcome_selected, EventResult, RuleSet};
pub use scan::{scan, scan_streaming, Progress, ScanOptions, Watch, WatchFile};
pub use tap::{Tap, TapFile, Taps};

#[cfg(doc)]
use crate::finding::Match;
