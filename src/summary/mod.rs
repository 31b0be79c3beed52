//! Summaries of a whole scan that are not findings: what each principal did
//! (`principals`). They read events and findings and sit above the engine.

pub mod principals;

pub use principals::{Limits, PrincipalActivity, PrincipalRow, PrincipalSummary, PrincipalWatch};
