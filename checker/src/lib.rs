//! The checker: a registry of protocols and abstract specs, our own exhaustive engine over any
//! stateright model (safety, step invariants, liveness under fairness, symmetry in BFS and DFS),
//! reports in text and JSON, and stateright's web explorer.

pub mod actors;
pub mod engine;
pub mod net;
pub mod params;
pub mod progress;
pub mod protocols;
pub mod registry;
pub mod report;
