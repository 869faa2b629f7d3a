//! A network driver: the same actors as separate nodes exchanging UDP datagrams, on real
//! time, with storage in files.
//!
//! * [`wire`]: the datagram format (header with magic, version, sender and epoch; one
//!   postcard message, or several coalesced as length-prefixed frames) and a decoder that
//!   refuses bad datagrams (or the rest of one after a bad frame) with a reason instead of
//!   panicking.
//! * [`node`]: one actor as a node: commands applied as the model applies them, on real
//!   timers, with seeded randomness and storage written atomically to a file.
//! * [`batch`]: datagrams received and sent in batches (`recvmmsg`/`sendmmsg` on Linux, one
//!   datagram per call elsewhere).
//! * [`transport`]: for models checked on a reliable network, a reliable channel per pair of
//!   nodes: the model-checked Selective Repeat machine of `models::arq`.
//! * [`faults`]: loss, duplication, delay, reordering and partitions injected on the wire.
//! * [`cluster`]: every actor of a system as a node on `127.0.0.1`, a generic workload of
//!   back-to-back protocol instances, safety judged on what the nodes publish.

pub mod batch;
pub mod cluster;
pub mod faults;
pub mod node;
pub mod transport;
pub mod wire;

pub use cluster::{
    run_cluster, run_cluster_traced, ClusterFailure, ClusterOptions, ClusterReport, GoalPred,
};
pub use faults::{FaultError, Partition, WireFaults};
pub use node::{Counters, Drops, NetCfg, Node, NodeCfg, NodeError, Transport};
