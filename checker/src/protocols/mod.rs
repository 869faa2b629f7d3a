//! Glue between the registry and each protocol: parameters and how to build its model.
pub mod atomic_commit;
pub mod multi_paxos;
pub mod two_phase_commit;
