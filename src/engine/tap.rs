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
