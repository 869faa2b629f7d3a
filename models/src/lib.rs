//! Each protocol written once as stateright actors: pure transition functions
//! (`on_start`, `on_msg`, `on_timeout`, `on_random`) whose every effect leaves through
//! [`stateright::actor::Out`], plus the configuration struct that builds its
//! [`stateright::actor::ActorModel`]. No sockets, no clock, no randomness: the checker and the
//! runtime drivers in `impls/` plug those in. The one seeded generator they draw from, [`rng`],
//! lives here because it is pure arithmetic and a configuration may be built from a seed.

pub mod abd;
pub mod anti_entropy;
pub mod arq;
pub mod bracha_broadcast;
pub mod bully;
pub mod chang_roberts;
pub mod common;
pub mod flp;
pub mod generals;
pub mod gossip;
pub mod lww_register;
pub mod multi_paxos;
pub mod om;
pub mod paxos;
pub mod paxos_commit;
pub mod raft_election;
pub mod rate_limiter;
pub mod register;
pub mod rng;
pub mod sliding_window;
pub mod sm;
pub mod three_phase_commit;
pub mod two_phase_commit;
