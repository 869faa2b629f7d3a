//! Glue between the registry and each protocol: parameters and how to build its model.
pub mod atomic_commit;
pub mod consensus;
pub mod flp;
pub mod paxos;
pub mod two_phase_commit;
