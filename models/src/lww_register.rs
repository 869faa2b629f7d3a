//! A last-writer-wins register: replicas answer from their own copy at once and gossip
//! writes, as stateright actors. The available, inconsistent half of the CAP comparison (the
//! other half is [`crate::abd`]).
//!
//! # Problem
//!
//! The same as [`crate::abd`]'s: `replicas` servers keep copies of one register that clients
//! write and read. This register gives up linearizability for availability: every operation
//! completes at once, whatever the network does, and replicas that stop hearing writes
//! converge once they hear them again.
//!
//! # Source
//!
//! The last-writer-wins register of M. Shapiro, N. Preguiça, C. Baquero and M. Zawirski,
//! "Conflict-free Replicated Data Types", SSS 2011 (LWW-Register, state-based: a value with a
//! timestamp, merge keeps the higher), with Lamport timestamps (L. Lamport, "Time, Clocks, and
//! the Ordering of Events in a Distributed System", CACM 21(7), 1978) ordered by replica id
//! on ties. The CAP theorem it illustrates: S. Gilbert and N. Lynch, "Brewer's Conjecture and
//! the Feasibility of Consistent, Available, Partition-Tolerant Web Services", SIGACT News
//! 33(2), 2002.
//!
//! # Algorithm
//!
//! Each replica keeps `(stamp, value)`, a stamp being `(counter, replica id)`.
//!
//! 1. Write: the client's home replica ([`RegisterSystem::home`]) takes the stamp `(its
//!    counter + 1, its id)`, keeps the value, answers `WriteOk` at once and sends `Gossip`
//!    with the pair to every other replica.
//! 2. Read: the home replica answers `ReadOk` with its own value at once.
//! 3. Gossip: a replica keeps a pair whose stamp is higher than its own (last writer wins).
//!
//! A read at a replica the gossip has not reached yet returns the old value, after the write
//! has returned: not linearizable. The workload, the partition and the history are those of
//! [`crate::register`].
//!
//! # Fault and network model
//!
//! As [`crate::abd`]'s: messages may be delayed, reordered, and depending on [`SystemCfg`]
//! duplicated or lost; a permanent partition may cut off a minority; nodes crash and recover
//! their copy and progress from storage.
//!
//! # Deviations from the sources
//!
//! - A write is gossiped once, to every replica, instead of by periodic anti-entropy: a lost
//!   gossip is never repaired, and replicas split by the partition never converge. The
//!   checker judges linearizability and availability here, not convergence.

use crate::common::{ActorSystem, CfgError, NetworkKind, SystemBounds, SystemCfg};
use crate::register::{
    client_on_answer, client_start, ClientMsg, ClientState, History, Op, Partition, RegisterSystem,
    RequestId, Ret, Value, INITIAL_VALUE,
};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A write's stamp: a Lamport counter, then the id of the replica that took it.
pub type Stamp = (u8, Id);

/// The stamp of the initial value, below every write's.
pub fn initial_stamp() -> Stamp {
    (0, Id::from(0))
}

/// A message of the last-writer-wins register, client requests and answers included.
#[derive(
    Clone,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd,
    Serialize,
    Deserialize,
    strum::EnumDiscriminants,
)]
/// Its variants without their fields, [`LwwMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(LwwMsgKind), derive(strum::IntoStaticStr))]
pub enum LwwMsg {
    /// Client -> home replica: write `value`.
    Write { req: RequestId, value: Value },
    /// Client -> home replica: read.
    Read { req: RequestId },
    /// Home replica -> client: the write took effect (locally).
    WriteOk { req: RequestId },
    /// Home replica -> client: its copy held `value`.
    ReadOk { req: RequestId, value: Value },
    /// Replica -> replica: a write, to keep if newer.
    Gossip { stamp: Stamp, value: Value },
}

impl ClientMsg for LwwMsg {
    fn request(req: RequestId, op: Op) -> Self {
        match op {
            Op::Write(value) => LwwMsg::Write { req, value },
            Op::Read => LwwMsg::Read { req },
        }
    }

    fn invocation(&self) -> Option<(RequestId, Op)> {
        match *self {
            LwwMsg::Write { req, value } => Some((req, Op::Write(value))),
            LwwMsg::Read { req } => Some((req, Op::Read)),
            _ => None,
        }
    }

    fn answer(&self) -> Option<(RequestId, Ret)> {
        match *self {
            LwwMsg::WriteOk { req } => Some((req, Ret::WriteOk)),
            LwwMsg::ReadOk { req, value } => Some((req, Ret::ReadOk(value))),
            _ => None,
        }
    }
}

/// A replica's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ReplicaState {
    // the copy of the register (durable)
    pub stamp: Stamp,
    pub value: Value,
    /// Per client, how many of its requests this replica has answered (a copy of one answered
    /// already is ignored).
    pub taken: BTreeMap<Id, RequestId>,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum LwwState {
    Replica(ReplicaState),
    Client(ClientState),
}

/// What an actor keeps across crashes: a replica's whole state, a client's progress.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum LwwStorage {
    Replica(ReplicaState),
    Client(ClientState),
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum LwwActor {
    Replica {
        /// The other replicas this one can reach.
        peers: Vec<Id>,
    },
    Client {
        /// The client's index among clients (decides its workload).
        index: usize,
        /// The replica it sends its operations to.
        home: Id,
        /// How many operations it performs.
        ops: RequestId,
    },
}

impl Actor for LwwActor {
    type Msg = LwwMsg;
    type State = LwwState;
    type Timer = ();
    type Random = ();
    type Storage = LwwStorage;

    fn name(&self) -> String {
        match self {
            LwwActor::Replica { .. } => "replica".to_string(),
            LwwActor::Client { .. } => "client".to_string(),
        }
    }

    fn on_start(&self, _: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> Self::State {
        match (self, storage) {
            (LwwActor::Replica { .. }, Some(LwwStorage::Replica(saved))) => {
                LwwState::Replica(saved.clone())
            }
            (LwwActor::Replica { .. }, _) => LwwState::Replica(ReplicaState {
                stamp: initial_stamp(),
                value: INITIAL_VALUE,
                taken: BTreeMap::new(),
            }),
            (LwwActor::Client { .. }, Some(LwwStorage::Client(saved))) => LwwState::Client(*saved),
            (LwwActor::Client { index, home, .. }, _) => {
                let client = ClientState { completed: 0 };
                o.save(LwwStorage::Client(client));
                o.send(*home, client_start(*index));
                LwwState::Client(client)
            }
        }
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        match (self, &**state) {
            (LwwActor::Replica { peers }, LwwState::Replica(r)) => {
                if let Some(next) = replica_on_msg(id, peers, r, src, msg, o) {
                    o.save(LwwStorage::Replica(next.clone()));
                    *state.to_mut() = LwwState::Replica(next);
                }
            }
            (LwwActor::Client { index, home, ops }, LwwState::Client(c)) => {
                if src != *home {
                    return;
                }
                if let Some((next, request)) = client_on_answer(*index, *ops, c, &msg) {
                    o.save(LwwStorage::Client(next));
                    if let Some(request) = request {
                        o.send(*home, request);
                    }
                    *state.to_mut() = LwwState::Client(next);
                }
            }
            _ => {}
        }
    }
}

/// A replica's step on `msg`: its new state, or `None` when the message changes nothing.
fn replica_on_msg(
    me: Id,
    peers: &[Id],
    r: &ReplicaState,
    src: Id,
    msg: LwwMsg,
    o: &mut Out<LwwActor>,
) -> Option<ReplicaState> {
    match msg {
        LwwMsg::Write { req, value } if r.taken.get(&src).is_none_or(|&t| req >= t) => {
            let stamp = (r.stamp.0 + 1, me);
            o.send(src, LwwMsg::WriteOk { req });
            o.broadcast(peers, &LwwMsg::Gossip { stamp, value });
            let mut taken = r.taken.clone();
            taken.insert(src, req + 1);
            Some(ReplicaState {
                stamp,
                value,
                taken,
            })
        }
        LwwMsg::Read { req } if r.taken.get(&src).is_none_or(|&t| req >= t) => {
            o.send(
                src,
                LwwMsg::ReadOk {
                    req,
                    value: r.value,
                },
            );
            let mut r = r.clone();
            r.taken.insert(src, req + 1);
            Some(r)
        }
        LwwMsg::Gossip { stamp, value } if stamp > r.stamp => Some(ReplicaState {
            stamp,
            value,
            ..r.clone()
        }),
        _ => None,
    }
}

/// The parameters of a last-writer-wins register system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct LwwCfg {
    /// Replicas, clients, workload, partition and network ([`RegisterSystem`]).
    pub base: RegisterSystem,
}

impl LwwCfg {
    /// Any network (unordered, non-duplicating by default); up to 2 actors down at once.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 2);

    /// A validated configuration.
    pub fn new(
        replicas: usize,
        clients: usize,
        writes: RequestId,
        reads: RequestId,
        partition: Partition,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        let base = RegisterSystem::new(replicas, clients, writes, reads, partition, system)?;
        Ok(Self { base })
    }

    /// The actor system as a stateright model recording the clients' history, without
    /// properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<LwwActor, LwwCfg, History> {
        crate::common::actor_model(self, History::default())
            .record_msg_out(History::record_request::<LwwCfg, LwwMsg>)
            .record_msg_in(History::record_answer::<LwwCfg, LwwMsg>)
    }
}

impl ActorSystem for LwwCfg {
    type Actor = LwwActor;

    fn actors(&self) -> Vec<LwwActor> {
        let b = &self.base;
        let replicas = b
            .replica_ids()
            .into_iter()
            .map(|me| LwwActor::Replica { peers: b.peers(me) });
        let clients = (0..b.clients).map(|index| LwwActor::Client {
            index,
            home: b.home(index),
            ops: b.ops_of(index),
        });
        replicas.chain(clients).collect()
    }

    fn actor_name(&self, id: Id) -> String {
        self.base.actor_name(id)
    }

    fn system(&self) -> SystemCfg {
        self.base.system
    }
}
