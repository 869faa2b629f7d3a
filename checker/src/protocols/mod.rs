//! Glue between the registry and each protocol: parameters and how to build its model.
pub mod atomic_commit;
pub mod bully;
pub mod chang_roberts;
pub mod consensus;
pub mod flp;
pub mod leader_election;
pub mod multi_paxos;
pub mod paxos;
pub mod raft_election;
pub mod two_phase_commit;
