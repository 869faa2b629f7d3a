//! The checker: a registry of protocols and abstract specs, our own exhaustive engine over any
//! stateright model (safety, step invariants, liveness under fairness, symmetry in BFS and DFS),
//! reports in text and JSON, and stateright's web explorer.

pub mod actors;
pub mod engine;
pub mod explorer;
pub mod net;
pub mod progress;
pub mod registry;
pub mod report;
pub mod target;

/// Parameters live with the declarations in `specs`; re-exported for the CLI.
pub use specs::params;
