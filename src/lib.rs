//! trailgate: a policy and compliance rule engine for AWS CloudTrail.
//!
//! Data flows one way: paths -> [`source`] (find and open trail files) -> events ->
//! [`engine`] (compiled [`engine::RuleSet`], rayon) -> findings -> [`report`] -> writer.
//! Rules are loaded and compiled by [`rule`]. With `--baseline`, [`baseline`] marks each finding
//! new or unchanged before the reports are rendered.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod correlate;
pub mod engine;
pub mod enrich;
pub mod exit;
pub mod finding;
pub mod first_seen;
pub mod generate;
pub mod report;
pub mod rule;
pub mod scope;
pub mod source;
pub mod state;
pub mod summary;
pub mod time;
pub mod verify;
pub mod wire;
