//! Any registered actor protocol over UDP ([`impls::udp`]): one node (`checker node`) or a
//! local cluster with a workload (`checker cluster`). Reached through the generic actor target
//! ([`crate::target`]), so every actor protocol registered now or later gets both with no code
//! of its own.

use crate::engine::Checkable;
use impls::udp::cluster::{run_cluster_traced, ClusterOptions, ClusterReport, GoalPred};
use impls::udp::node::{bind, Counters, NetCfg, Node, NodeCfg, Transport};
use impls::udp::WireFaults;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, ActorModelAction, ActorModelState, Id};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One node of a protocol, as `checker node` runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeOptions {
    /// This node's actor id (its index in `peers`).
    pub id: usize,
    /// The address to bind.
    pub listen: SocketAddr,
    /// Every node's address in id order, this node's included.
    pub peers: Vec<SocketAddr>,
    /// How long the node runs.
    pub seconds: f64,
    /// Where storage is written and read back.
    pub storage: Option<PathBuf>,
    /// The run id every node of the run must share.
    pub epoch: u64,
    pub seed: u64,
    /// The channel; `None`: the network the model was checked on.
    #[serde(default)]
    pub transport: Option<Transport>,
    /// Faults injected on the wire.
    #[serde(default)]
    pub faults: WireFaults,
}

/// What a node did, printed at its end.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeReport {
    pub id: usize,
    /// The actor's name (`tm`, `rm1`, `replica0`...).
    pub name: String,
    pub listen: SocketAddr,
    pub seconds: f64,
    pub counters: Counters,
    /// The actor's final state, as JSON.
    pub state: serde_json::Value,
}

/// What the network driver is asked to do.
#[derive(Clone, Debug)]
pub enum NetRequest {
    Cluster(ClusterOptions),
    Node(NodeOptions),
}

/// Its answer.
#[derive(Clone, Debug)]
pub enum NetReport {
    /// The cluster's report, and its first failing instance state by state (when one failed
    /// and trace validation was on).
    Cluster(ClusterReport, Option<ClusterTrace>),
    Node(NodeReport),
}

/// A cluster's first failing instance: the property that failed (or `trace validation: ...`),
/// the instance, and the nodes' steps up to the failure as a trace of the model.
#[derive(Clone, Debug)]
pub struct ClusterTrace {
    pub property: String,
    pub instance: u64,
    pub steps: Vec<crate::report::Step>,
}

/// Why a node or a cluster could not run.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// `--id` names no actor of the configuration.
    #[error("--id {id} out of range: this configuration has {actors} actors (ids 0..{actors})")]
    IdOutOfRange { id: usize, actors: usize },
    /// `--peers` does not list one address per actor.
    #[error("--peers lists {listed} addresses, but this configuration has {actors} actors: list every node's address in id order, this node's included")]
    PeerCount { listed: usize, actors: usize },
    /// The bound socket has no local address.
    #[error("cannot read the bound address: {0}")]
    LocalAddr(std::io::Error),
    /// The node could not start or run.
    #[error(transparent)]
    Node(#[from] impls::udp::node::NodeError),
    /// The cluster could not run.
    #[error(transparent)]
    Cluster(#[from] impls::udp::cluster::ClusterError),
}

/// Serves a [`NetRequest`] for an actor system: the cluster judges the model's `always`
/// properties and reaches the model's `eventually` properties plus its declared end state.
pub fn serve<M, A, C, H>(
    c: &Checkable<M>,
    actors: &ActorModel<A, C, H>,
    names: &[String],
    req: &NetRequest,
) -> Result<NetReport, NetError>
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>
        + Sync,
    A: Actor + Sync,
    A::Msg: Ord + Serialize + DeserializeOwned + Send + Sync,
    A::State: Serialize + Send + Sync,
    A::Storage: Serialize + DeserializeOwned + Send + Sync,
    A::Timer: Ord + Send + Sync,
    A::Random: Send + Sync,
    C: Sync,
    H: Clone + Debug + Hash + Send + Sync,
{
    let model = &c.model;
    match req {
        NetRequest::Cluster(opts) => {
            let goal: Vec<GoalPred<'_, A, H>> = c
                .end_state
                .map(|end| {
                    let pred: GoalPred<'_, A, H> = ("end state", Box::new(move |s| end(model, s)));
                    vec![pred]
                })
                .unwrap_or_default();
            let (report, failure) = run_cluster_traced(actors, &goal, opts)?;
            let trace = failure.map(|f| ClusterTrace {
                property: f.property,
                instance: f.instance,
                steps: crate::actors::steps_of_actions(c, actors, f.actions),
            });
            Ok(NetReport::Cluster(report, trace))
        }
        NetRequest::Node(opts) => {
            let system = actors;
            let actors = system.actors.len();
            if opts.id >= actors {
                return Err(NetError::IdOutOfRange {
                    id: opts.id,
                    actors,
                });
            }
            if opts.peers.len() != actors {
                return Err(NetError::PeerCount {
                    listed: opts.peers.len(),
                    actors,
                });
            }
            let socket = bind(opts.listen)?;
            let listen = socket.local_addr().map_err(NetError::LocalAddr)?;
            let cfg = NodeCfg {
                id: Id::from(opts.id),
                peers: opts.peers.clone(),
                epoch: opts.epoch,
                seed: opts.seed,
                storage_dir: opts.storage.clone(),
            };
            let started = Instant::now();
            let net = NetCfg {
                transport: opts
                    .transport
                    .unwrap_or_else(|| impls::udp::cluster::checked_transport(system)),
                faults: opts.faults.clone(),
            };
            let mut node = Node::start_with(&system.actors, socket, cfg, &(), net)?;
            node.run_until(started + Duration::from_secs_f64(opts.seconds.max(0.0)));
            Ok(NetReport::Node(NodeReport {
                id: opts.id,
                name: names.get(opts.id).cloned().unwrap_or_default(),
                listen,
                seconds: started.elapsed().as_secs_f64(),
                counters: *node.counters(),
                state: serde_json::to_value(&**node.state()).unwrap_or(serde_json::Value::Null),
            }))
        }
    }
}
