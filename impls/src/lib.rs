//! Runtime drivers for the actors in `models/`. They contain no protocol logic: a driver plugs
//! a clock, a network and randomness into any `stateright::actor::Actor` and runs the very same
//! actor values the model checker explores.
//!
//! * [`sim`]: a deterministic in-memory simulator on virtual time, with seeded latency, loss,
//!   duplication, crashes, recoveries and partitions, that records every step as a model action.
//! * [`nemesis`]: a seeded fault schedule driving a simulator: faults, then healing, then quiet.
//! * [`validate`]: trace validation, replaying a recorded run through the `ActorModel`.
//! * [`plain`]: plain runs of any actor protocol until its goal, unrecorded and unchecked.
//! * [`udp`]: the network driver: each actor a UDP node, local clusters with a workload.
//! * [`checked`]: checked runs of any actor protocol: nemesis, trace validation, safety after
//!   every step and liveness after healing.
//!
//! With the `ping` feature (off by default; this crate's tests and the benches turn it on),
//! `ping` is a trivial two-actor system for measuring the drivers themselves. It is not a
//! protocol and not part of the drivers' API.

pub mod checked;
pub mod nemesis;
#[cfg(feature = "ping")]
pub mod ping;
pub mod plain;
pub mod sim;
pub mod udp;
pub mod validate;
