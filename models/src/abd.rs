//! ABD: an atomic register emulated by message passing over a majority of replicas, as
//! stateright actors. The consistent, unavailable half of the CAP comparison (the other half is
//! [`crate::lww_register`]).
//!
//! # Problem
//!
//! `replicas` servers keep copies of one register; clients write and read it. What clients
//! observe must be linearizable (Herlihy and Wing 1990): as if each operation took effect at
//! one instant between its request and its answer, on one register. Up to a minority of the
//! replicas may be unreachable.
//!
//! # Source
//!
//! H. Attiya, A. Bar-Noy and D. Dolev, "Sharing Memory Robustly in Message-Passing Systems",
//! JACM 42(1), 1995, section 3 (the single-writer atomic register; majorities of the
//! processors, timestamps, and the reader's write-back that makes reads atomic).
//!
//! # Algorithm
//!
//! Each replica keeps a copy of the register as a pair (timestamp, value). A client sends its
//! operation to its home replica ([`RegisterSystem::home`]), which runs it for the client as
//! the paper's reader or writer and answers when it is done; the coordinator counts itself as
//! one of the majority.
//!
//! 1. Write (client 0 only, the single writer). The coordinator takes the next timestamp,
//!    stores `(ts, value)` itself and sends `Store` to every replica; a replica adopts a pair
//!    with a higher timestamp than its own and answers `StoreAck`. With a majority of acks,
//!    the coordinator answers `WriteOk`.
//! 2. Read, phase 1. The coordinator sends `Query`; each replica answers `QueryAck` with its
//!    pair. With a majority (itself included) it takes the pair with the highest timestamp.
//! 3. Read, phase 2 (write-back). It stores that pair at a majority as a write does (`Store`,
//!    `StoreAck`), then answers `ReadOk` with the value. The write-back is what makes a later
//!    read unable to return an older value than an earlier one: without it
//!    ([`AbdCfg::write_back`] `false`, a classic mistake) two reads that overlap a write can
//!    see the new value and then the old one (the new/old inversion).
//!
//! The workload, the partition and the history are those of [`crate::register`].
//!
//! # Fault and network model
//!
//! Messages may be delayed and reordered and, depending on [`SystemCfg`], duplicated or lost.
//! A permanent partition ([`Partition::Minority`]) cuts off a minority of the replicas with
//! the clients homed there: their operations need a majority and never complete, while the
//! majority side goes on. Nodes fail by crashing; a replica saves its copy of the register on
//! every change and recovers it, but an operation it was coordinating is lost with it (its
//! client then waits for ever, as it does across the partition). A client saves its progress.
//!
//! # Deviations from the paper
//!
//! - Clients do not run the protocol themselves: each hands its operations to a home replica
//!   that runs them on its behalf (as stateright's `linearizable-register` example does). The
//!   replicas play the paper's processors; the clients are its users.
//! - The writer's timestamp is kept by its coordinator, replica 0: every write is stored there
//!   first, so its copy's timestamp is the last one written, and the next write takes the one
//!   after it.
//! - There are no retransmissions: a lost message is never repaired, and an operation whose
//!   quorum cannot be reached never completes.

use crate::common::{ActorSystem, CfgError, NetworkKind, SystemBounds, SystemCfg};
use crate::register::{
    client_on_answer, client_start, ClientMsg, ClientState, History, Op, Partition, RegisterSystem,
    RequestId, Ret, Value, INITIAL_VALUE,
};
use serde::{Deserialize, Serialize};
use stateright::actor::{majority, Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// A write's timestamp: the writer's sequence number (0 for the initial value).
pub type Ts = u8;

/// A message of ABD, client requests and answers included.
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
/// Its variants without their fields, [`AbdMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(AbdMsgKind), derive(strum::IntoStaticStr))]
pub enum AbdMsg {
    /// Client -> home replica: write `value`.
    Write { req: RequestId, value: Value },
    /// Client -> home replica: read.
    Read { req: RequestId },
    /// Home replica -> client: the write took effect.
    WriteOk { req: RequestId },
    /// Home replica -> client: the register held `value`.
    ReadOk { req: RequestId, value: Value },
    /// Coordinator -> replica (read phase 1): what is your copy?
    Query { req: RequestId },
    /// Replica -> coordinator: my copy.
    QueryAck {
        req: RequestId,
        ts: Ts,
        value: Value,
    },
    /// Coordinator -> replica (a write, or a read's write-back): adopt this pair if newer.
    Store {
        req: RequestId,
        ts: Ts,
        value: Value,
    },
    /// Replica -> coordinator: stored (or already newer).
    StoreAck { req: RequestId },
}

impl ClientMsg for AbdMsg {
    fn request(req: RequestId, op: Op) -> Self {
        match op {
            Op::Write(value) => AbdMsg::Write { req, value },
            Op::Read => AbdMsg::Read { req },
        }
    }

    fn invocation(&self) -> Option<(RequestId, Op)> {
        match *self {
            AbdMsg::Write { req, value } => Some((req, Op::Write(value))),
            AbdMsg::Read { req } => Some((req, Op::Read)),
            _ => None,
        }
    }

    fn answer(&self) -> Option<(RequestId, Ret)> {
        match *self {
            AbdMsg::WriteOk { req } => Some((req, Ret::WriteOk)),
            AbdMsg::ReadOk { req, value } => Some((req, Ret::ReadOk(value))),
            _ => None,
        }
    }
}

/// Where an operation a replica coordinates stands.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Phase {
    /// Read phase 1: who answered, and the newest pair among them.
    Query {
        heard: BTreeSet<Id>,
        newest: (Ts, Value),
    },
    /// A write, or a read's write-back: who stored `(ts, value)`, and the answer owed once a
    /// majority has.
    Store {
        acks: BTreeSet<Id>,
        ts: Ts,
        value: Value,
        ret: Ret,
    },
}

/// An operation a replica runs for a client.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Coordination {
    pub client: Id,
    pub req: RequestId,
    pub phase: Phase,
}

/// A replica's state, fields grouped by role.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ReplicaState {
    // the copy of the register (durable)
    pub ts: Ts,
    pub value: Value,
    // coordinator (volatile)
    /// Per client, how many of its requests this replica has taken on (a copy of one taken
    /// already is ignored).
    pub taken: BTreeMap<Id, RequestId>,
    /// The operation it is running, if any (each replica is home to at most one client).
    pub op: Option<Coordination>,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AbdState {
    Replica(ReplicaState),
    Client(ClientState),
}

/// What an actor keeps across crashes: a replica's copy of the register, a client's progress.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AbdStorage {
    Replica { ts: Ts, value: Value },
    Client(ClientState),
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum AbdActor {
    Replica {
        /// The other replicas this one can reach.
        peers: Vec<Id>,
        /// How many replicas there are (a majority of them is a quorum).
        replicas: usize,
        /// Whether a read writes back what it read before it answers.
        write_back: bool,
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

impl Actor for AbdActor {
    type Msg = AbdMsg;
    type State = AbdState;
    type Timer = ();
    type Random = ();
    type Storage = AbdStorage;

    fn name(&self) -> String {
        match self {
            AbdActor::Replica { .. } => "replica".to_string(),
            AbdActor::Client { .. } => "client".to_string(),
        }
    }

    fn on_start(&self, _: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> Self::State {
        match (self, storage) {
            (AbdActor::Replica { .. }, saved) => {
                let (ts, value) = match saved {
                    Some(AbdStorage::Replica { ts, value }) => (*ts, *value),
                    _ => (0, INITIAL_VALUE),
                };
                AbdState::Replica(ReplicaState {
                    ts,
                    value,
                    taken: BTreeMap::new(),
                    op: None,
                })
            }
            // A recovering client's request is still with its home replica: it does not
            // repeat it.
            (AbdActor::Client { .. }, Some(AbdStorage::Client(saved))) => AbdState::Client(*saved),
            (AbdActor::Client { index, home, .. }, _) => {
                let client = ClientState { completed: 0 };
                o.save(AbdStorage::Client(client));
                o.send(*home, client_start(*index));
                AbdState::Client(client)
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
            (AbdActor::Replica { .. }, AbdState::Replica(r)) => {
                if let Some(next) = self.replica_on_msg(id, r, src, msg, o) {
                    *state.to_mut() = AbdState::Replica(next);
                }
            }
            (AbdActor::Client { index, home, ops }, AbdState::Client(c)) => {
                if src != *home {
                    return;
                }
                if let Some((next, request)) = client_on_answer(*index, *ops, c, &msg) {
                    o.save(AbdStorage::Client(next));
                    if let Some(request) = request {
                        o.send(*home, request);
                    }
                    *state.to_mut() = AbdState::Client(next);
                }
            }
            _ => {}
        }
    }
}

impl AbdActor {
    /// A replica's step on `msg`: its new state, or `None` when the message changes nothing.
    fn replica_on_msg(
        &self,
        me: Id,
        r: &ReplicaState,
        src: Id,
        msg: AbdMsg,
        o: &mut Out<Self>,
    ) -> Option<ReplicaState> {
        let AbdActor::Replica { peers, .. } = self else {
            return None;
        };
        match msg {
            AbdMsg::Write { req, .. } | AbdMsg::Read { req }
                if r.op.is_none() && r.taken.get(&src).is_none_or(|&t| req >= t) =>
            {
                let mut r = r.clone();
                r.taken.insert(src, req + 1);
                let phase = match msg {
                    AbdMsg::Write { value, .. } => {
                        let ts = r.ts + 1;
                        self.broadcast_store(me, &mut r, req, ts, value, Ret::WriteOk, o)
                    }
                    _ => {
                        o.broadcast(peers, &AbdMsg::Query { req });
                        Phase::Query {
                            heard: BTreeSet::from([me]),
                            newest: (r.ts, r.value),
                        }
                    }
                };
                r.op = Some(Coordination {
                    client: src,
                    req,
                    phase,
                });
                self.complete(me, r, o)
            }
            AbdMsg::Query { req } => {
                o.send(
                    src,
                    AbdMsg::QueryAck {
                        req,
                        ts: r.ts,
                        value: r.value,
                    },
                );
                None
            }
            AbdMsg::Store { req, ts, value } => {
                o.send(src, AbdMsg::StoreAck { req });
                (ts > r.ts).then(|| {
                    o.save(AbdStorage::Replica { ts, value });
                    ReplicaState {
                        ts,
                        value,
                        ..r.clone()
                    }
                })
            }
            AbdMsg::QueryAck { req, ts, value } => {
                let mut r = r.clone();
                let Some(Coordination {
                    req: current,
                    phase: Phase::Query { heard, newest },
                    ..
                }) = &mut r.op
                else {
                    return None;
                };
                if req != *current || !heard.insert(src) {
                    return None;
                }
                *newest = (*newest).max((ts, value));
                self.complete(me, r, o)
            }
            AbdMsg::StoreAck { req } => {
                let mut r = r.clone();
                let Some(Coordination {
                    req: current,
                    phase: Phase::Store { acks, .. },
                    ..
                }) = &mut r.op
                else {
                    return None;
                };
                if req != *current || !acks.insert(src) {
                    return None;
                }
                self.complete(me, r, o)
            }
            _ => None,
        }
    }

    /// Stores `(ts, value)` at this replica (if newer) and sends it to the others: the phase
    /// that answers `ret` once a majority has it.
    #[allow(clippy::too_many_arguments)]
    fn broadcast_store(
        &self,
        me: Id,
        r: &mut ReplicaState,
        req: RequestId,
        ts: Ts,
        value: Value,
        ret: Ret,
        o: &mut Out<Self>,
    ) -> Phase {
        let AbdActor::Replica { peers, .. } = self else {
            unreachable!("only replicas coordinate");
        };
        if ts > r.ts {
            r.ts = ts;
            r.value = value;
            o.save(AbdStorage::Replica { ts, value });
        }
        o.broadcast(peers, &AbdMsg::Store { req, ts, value });
        Phase::Store {
            acks: BTreeSet::from([me]),
            ts,
            value,
            ret,
        }
    }

    /// Moves the coordinated operation on once its phase has a majority: a read's query to its
    /// write-back (or straight to the answer without one), a store to the answer.
    fn complete(&self, me: Id, mut r: ReplicaState, o: &mut Out<Self>) -> Option<ReplicaState> {
        let AbdActor::Replica {
            replicas,
            write_back,
            ..
        } = self
        else {
            return None;
        };
        let quorum = majority(*replicas);
        let Some(op) = r.op.clone() else {
            return Some(r);
        };
        match op.phase {
            Phase::Query {
                heard,
                newest: (ts, value),
            } if heard.len() >= quorum => {
                if *write_back {
                    let phase =
                        self.broadcast_store(me, &mut r, op.req, ts, value, Ret::ReadOk(value), o);
                    r.op = Some(Coordination { phase, ..op });
                } else {
                    o.send(op.client, AbdMsg::ReadOk { req: op.req, value });
                    r.op = None;
                }
            }
            Phase::Store { acks, ret, .. } if acks.len() >= quorum => {
                let answer = match ret {
                    Ret::WriteOk => AbdMsg::WriteOk { req: op.req },
                    Ret::ReadOk(value) => AbdMsg::ReadOk { req: op.req, value },
                };
                o.send(op.client, answer);
                r.op = None;
            }
            _ => {}
        }
        Some(r)
    }
}

/// The parameters of an ABD system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct AbdCfg {
    /// Replicas, clients, workload, partition and network ([`RegisterSystem`]).
    pub base: RegisterSystem,
    /// Whether a read writes back the pair it read before it answers: `true` is ABD; `false`
    /// is the classic mistake that breaks linearizability.
    pub write_back: bool,
}

impl AbdCfg {
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
        write_back: bool,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        let base = RegisterSystem::new(replicas, clients, writes, reads, partition, system)?;
        Ok(Self { base, write_back })
    }

    /// The actor system as a stateright model recording the clients' history, without
    /// properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<AbdActor, AbdCfg, History> {
        crate::common::actor_model(self, History::default())
            .record_msg_out(History::record_request::<AbdCfg, AbdMsg>)
            .record_msg_in(History::record_answer::<AbdCfg, AbdMsg>)
    }
}

impl ActorSystem for AbdCfg {
    type Actor = AbdActor;

    fn actors(&self) -> Vec<AbdActor> {
        let b = &self.base;
        let replicas = b.replica_ids().into_iter().map(|me| AbdActor::Replica {
            peers: b.peers(me),
            replicas: b.replicas,
            write_back: self.write_back,
        });
        let clients = (0..b.clients).map(|index| AbdActor::Client {
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
