//! Multi-Paxos: a replicated log behind a linearizable key-value store, as stateright actors.
//!
//! # Problem
//!
//! State-machine replication: `replicas` servers keep copies of a map from
//! [`MultiPaxosCfg::keys`] keys to values, and clients `Put(key, value)` into it and
//! `Get(key)` from it. Every replica must apply the same commands in the same order, and what
//! clients observe must be linearizable: as if each operation took effect at one instant
//! between its request and its reply, against one copy of the map ([`KvStore`] is that copy,
//! the sequential specification the history is tested against).
//!
//! # Source
//!
//! L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001, section 3 ("Implementing a
//! State Machine"), and R. van Renesse and D. Altinbuken, "Paxos Made Moderately Complex", ACM
//! Computing Surveys 47(3), 2015 (leaders, scouts and commanders, duplicate detection).
//!
//! # Algorithm
//!
//! Actors `Id(0)..Id(replicas)` are replicas; the clients follow. Every replica is an acceptor,
//! a learner and a would-be leader; a ballot is a pair `(round, leader id)`.
//!
//! 1. Phase 1, once per leadership for all slots. A replica that times out while it holds a
//!    client request it has not applied becomes a candidate: it picks the next round it owns
//!    (round `k` belongs to replica `k mod replicas`, as views do in Viewstamped Replication),
//!    promises itself, and sends `Prepare` to its peers. An acceptor that has promised nothing higher
//!    promises the new ballot and answers `Promise` with everything it has accepted. With a
//!    majority of promises the candidate leads: for each slot it re-proposes the value accepted
//!    in the highest ballot, fills holes below it with no-ops, and proposes its pending requests
//!    in the slots after that.
//! 2. Phase 2, per slot. The leader accepts its own proposal and sends `Accept`; an acceptor
//!    that has promised nothing higher accepts and answers `Accepted`. With a majority the slot
//!    is chosen: the leader tells every replica `Chosen`.
//! 3. Execution. A replica applies chosen slots in order to its register. A command already
//!    applied in an earlier slot (a request proposed by two leaders) is skipped. The replica
//!    that saw a slot chosen (counted its quorum) answers the client when it applies it. Every
//!    replica keeps each client's last answer and sends it again when that request arrives
//!    again (a late copy, or a client's retry), so an answer owed by a crashed replica or lost
//!    on the way can still come.
//!
//! Clients run a fixed workload ([`workload`]): client `k`'s operation `i` is a `Put` of a value
//! no other operation writes when `k + i` is even, a `Get` otherwise, on key
//! `(k + i / 2) mod keys` (so a client reads the key it just wrote, and clients start on
//! different keys). A client sends each request to
//! every replica and waits for the answer before it sends the next one; with
//! [`MultiPaxosCfg::retries`] it repeats an unanswered request on a timer, a bounded number of
//! times per operation.
//!
//! # Fault and network model
//!
//! Messages may be delayed and reordered and, depending on [`SystemCfg`], duplicated or lost.
//! Nodes fail by crashing. A replica saves everything but its leadership ([`ReplicaState`]
//! with `leader: None`) on every change, so a recovering replica is an acceptor and learner
//! that follows; it may lead again after a timeout. A client saves its progress. Timers have
//! no duration in the model checker: an election timeout may fire at any moment.
//!
//! # Deviations from the papers
//!
//! - Phase 1 of the first ballot `(0, r0)` is pre-executed: every replica starts having
//!   promised it, and replica 0 starts leading it. No lower ballot exists, so nothing can have
//!   been accepted that phase 1 would find.
//! - Leader changes are bounded: a replica only starts a ballot whose round is below
//!   [`MultiPaxosCfg::ballots`], and proposes only in slots below [`MultiPaxosCfg::slots`].
//!   Replicas never retransmit: a lost protocol message is only recovered by a later leader,
//!   and clients retry at most [`MultiPaxosCfg::retries`] times per operation (0 by default).
//!   All of this keeps the model finite; the runtime uses larger bounds.
//! - Rounds are owned by replicas in rotation, so two candidates never compete for one round;
//!   Paxos allows any replica any unused ballot, and this only narrows the choice.
//! - There are no negative acknowledgements and no heartbeats: a deposed leader learns of its
//!   successor from its `Prepare` or `Accept`, and a replica suspects the leader only through
//!   its election timer.
//! - `Get` goes through the log like `Put` (no leases, no local reads).
//! - [`Bug::SkipPhase1`] is a deliberately broken leader change, kept to show that the checker
//!   catches it: a new leader proposes without phase 1.
//! - [`Bug::IgnoreKey`] is a deliberately broken store, kept to show that the checker checks
//!   the map and not just one register: replicas apply every put and get to one shared cell.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{majority, Actor, ActorModel, Envelope, Id, Out};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A leadership round.
pub type Round = u32;
/// A ballot: the round, then the id of the replica that leads it (Lamport's proposal number).
pub type Ballot = (Round, Id);
/// A position in the replicated log.
pub type Slot = usize;
/// A client's request number: its operations are numbered from 0.
pub type RequestId = u8;
/// A key of the store.
pub type Key = u8;
/// A value of the store.
pub type Value = char;

/// The value of every key before any `Put` to it.
pub const INITIAL_VALUE: Value = '-';
/// The replica that leads the first ballot.
pub const FIRST_LEADER: usize = 0;
/// The first ballot, whose phase 1 is pre-executed.
pub fn first_ballot() -> Ballot {
    (0, Id::from(FIRST_LEADER))
}

/// A client operation on the store.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Op {
    /// Write `value` under `key`.
    Put(Key, Value),
    /// Read `key`.
    Get(Key),
}

/// What an operation returns.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Ret {
    PutOk,
    GetOk(Value),
}

/// The sequential specification of the store, for stateright's linearizability tester: one
/// map, every key [`INITIAL_VALUE`] until written. Only written keys are stored, so equal maps
/// are equal values (and hash alike).
#[derive(Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct KvStore(pub BTreeMap<Key, Value>);

impl KvStore {
    /// The value under `key`.
    pub fn get(&self, key: Key) -> Value {
        self.0.get(&key).copied().unwrap_or(INITIAL_VALUE)
    }
}

impl SequentialSpec for KvStore {
    type Op = Op;
    type Ret = Ret;

    fn invoke(&mut self, op: &Op) -> Ret {
        match *op {
            Op::Put(key, value) => {
                self.0.insert(key, value);
                Ret::PutOk
            }
            Op::Get(key) => Ret::GetOk(self.get(key)),
        }
    }
}

/// What a log slot holds.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Command {
    /// Fills a hole a new leader found below a slot that was accepted.
    Noop,
    /// Request `req` of `client`.
    Request { client: Id, req: RequestId, op: Op },
}

/// A message of multi-Paxos, client requests and answers included.
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
/// Its variants without their fields, [`MultiPaxosMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(MultiPaxosMsgKind), derive(strum::IntoStaticStr))]
pub enum MultiPaxosMsg {
    /// Client -> replica: write `value` under `key`.
    Put {
        req: RequestId,
        key: Key,
        value: Value,
    },
    /// Client -> replica: read `key`.
    Get { req: RequestId, key: Key },
    /// Replica -> client: the write took effect.
    PutOk { req: RequestId },
    /// Replica -> client: the key held `value`.
    GetOk { req: RequestId, value: Value },
    /// Candidate -> acceptor (phase 1a): promise `ballot`.
    Prepare { ballot: Ballot },
    /// Acceptor -> candidate (phase 1b): promised, with everything accepted so far.
    Promise {
        ballot: Ballot,
        accepted: Vec<(Slot, Ballot, Command)>,
    },
    /// Leader -> acceptor (phase 2a): accept `command` in `slot`.
    Accept {
        ballot: Ballot,
        slot: Slot,
        command: Command,
    },
    /// Acceptor -> leader (phase 2b): accepted in `slot`.
    Accepted { ballot: Ballot, slot: Slot },
    /// Leader -> replicas: `slot` holds `command` for good.
    Chosen { slot: Slot, command: Command },
}

/// Timers.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum MultiPaxosTimer {
    /// A replica suspects the leader is gone.
    Election,
    /// A client has waited long enough to ask again.
    Retry,
}

/// A replica's leadership, if it is trying to lead or leading (volatile: lost in a crash).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Leadership {
    /// Phase 1 of `ballot`: who promised, and the highest-ballot value each slot was accepted
    /// with among them.
    Preparing {
        ballot: Ballot,
        promises: BTreeSet<Id>,
        proposals: BTreeMap<Slot, (Ballot, Command)>,
    },
    /// Phase 2 of `ballot`: each slot proposed and not yet chosen, with who accepted it.
    Leading {
        ballot: Ballot,
        accepts: BTreeMap<Slot, (Command, BTreeSet<Id>)>,
    },
}

/// A replica's state, fields grouped by role.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ReplicaState {
    // acceptor
    /// The highest ballot promised.
    pub promised: Ballot,
    /// Per slot, the last command accepted and its ballot.
    pub accepted: BTreeMap<Slot, (Ballot, Command)>,
    // learner and register
    /// The commands applied, in slot order: slot `i` is `log[i]`.
    pub log: Vec<Command>,
    /// Slots known chosen beyond the log, waiting for the holes before them.
    pub chosen: BTreeMap<Slot, Command>,
    /// The store: the keys written so far and their values.
    pub store: KvStore,
    /// Per client, the last request applied and its answer (duplicate detection, and the
    /// answer to a repeated request).
    pub sessions: BTreeMap<Id, Session>,
    /// Slots this replica saw chosen, whose client it answers once it applies them.
    pub answer: BTreeSet<Slot>,
    /// Per client, its latest request heard and not yet applied.
    pub pending: BTreeMap<Id, (RequestId, Op)>,
    // proposer
    pub leader: Option<Leadership>,
}

/// A replica's record of a client's last applied request.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Session {
    pub req: RequestId,
    /// `PutOk` or `GetOk`, as first sent.
    pub answer: MultiPaxosMsg,
}

/// A client's state: how many of its operations have been answered, and how often it has
/// repeated the current one.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ClientState {
    pub completed: RequestId,
    pub retried: u8,
}

/// The state of one actor. (Not boxed: stateright already keeps each actor state behind an
/// `Arc`, and a client's small state wastes only its own slot.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum MultiPaxosState {
    Replica(ReplicaState),
    Client(ClientState),
}

/// What an actor keeps across crashes: a replica's state without its leadership, a client's
/// progress.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum MultiPaxosStorage {
    Replica(ReplicaState),
    Client(ClientState),
}

/// A deliberately broken variant, or none.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Bug {
    /// The protocol.
    None,
    /// A replica that takes over leads at once, without phase 1: it cannot learn what the old
    /// leader got accepted, and may choose another command in the same slot.
    SkipPhase1,
    /// Replicas apply every put and get to one shared cell, whatever its key: a register, not
    /// a map. A get of one key may read a value put on another.
    IgnoreKey,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum MultiPaxosActor {
    Replica {
        /// The other replicas.
        peers: Vec<Id>,
        /// Rounds `0..ballots` may be started.
        ballots: Round,
        /// Slots `0..slots` may be proposed in.
        slots: Slot,
        bug: Bug,
    },
    Client {
        /// Every replica, each request goes to all.
        replicas: Vec<Id>,
        /// The client's index among clients (decides its workload).
        index: usize,
        /// How many operations it performs.
        ops: RequestId,
        /// How many keys the workload spreads over.
        keys: Key,
        /// How many times it may repeat one request on a timer (0: never).
        retries: u8,
    },
}

/// How long a client waits for an answer before it asks again.
fn retry_interval() -> std::ops::Range<Duration> {
    Duration::from_millis(400)..Duration::from_millis(600)
}

/// How long a replica waits before it suspects the leader (the model checker ignores it).
fn election_timeout() -> std::ops::Range<Duration> {
    Duration::from_millis(150)..Duration::from_millis(300)
}

/// Operation `i` of client `index`, of a system where each client performs `ops` over `keys`
/// keys: a put of a value no other operation writes when `index + i` is even, a get
/// otherwise, on key `(index + i / 2) mod keys`.
pub fn workload(index: usize, ops: RequestId, keys: Key, i: RequestId) -> Op {
    let key = ((index + usize::from(i) / 2) % usize::from(keys)) as Key;
    if (index + usize::from(i)).is_multiple_of(2) {
        let n = index * usize::from(ops) + usize::from(i);
        Op::Put(key, char::from(b'A' + (n % 26) as u8))
    } else {
        Op::Get(key)
    }
}

/// The request message for `op`.
fn request(req: RequestId, op: Op) -> MultiPaxosMsg {
    match op {
        Op::Put(key, value) => MultiPaxosMsg::Put { req, key, value },
        Op::Get(key) => MultiPaxosMsg::Get { req, key },
    }
}

impl Actor for MultiPaxosActor {
    type Msg = MultiPaxosMsg;
    type State = MultiPaxosState;
    type Timer = MultiPaxosTimer;
    type Random = ();
    type Storage = MultiPaxosStorage;

    fn name(&self) -> String {
        match self {
            MultiPaxosActor::Replica { .. } => "replica".to_string(),
            MultiPaxosActor::Client { .. } => "client".to_string(),
        }
    }

    fn on_start(&self, id: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> Self::State {
        match (self, storage) {
            (MultiPaxosActor::Replica { .. }, Some(MultiPaxosStorage::Replica(saved))) => {
                o.set_timer(MultiPaxosTimer::Election, election_timeout());
                MultiPaxosState::Replica(saved.clone())
            }
            (MultiPaxosActor::Replica { .. }, _) => {
                let leader = (usize::from(id) == FIRST_LEADER).then(|| Leadership::Leading {
                    ballot: first_ballot(),
                    accepts: BTreeMap::new(),
                });
                let replica = ReplicaState {
                    promised: first_ballot(),
                    accepted: BTreeMap::new(),
                    log: Vec::new(),
                    chosen: BTreeMap::new(),
                    store: KvStore::default(),
                    sessions: BTreeMap::new(),
                    answer: BTreeSet::new(),
                    pending: BTreeMap::new(),
                    leader,
                };
                o.save(durable(&replica));
                o.set_timer(MultiPaxosTimer::Election, election_timeout());
                MultiPaxosState::Replica(replica)
            }
            // A recovering client's request is still at the replicas: it does not repeat it
            // (repeating on every recovery would make the state space infinite).
            (MultiPaxosActor::Client { .. }, Some(MultiPaxosStorage::Client(saved))) => {
                MultiPaxosState::Client(*saved)
            }
            (
                MultiPaxosActor::Client {
                    replicas,
                    index,
                    ops,
                    keys,
                    retries,
                },
                _,
            ) => {
                let client = ClientState {
                    completed: 0,
                    retried: 0,
                };
                o.save(MultiPaxosStorage::Client(client));
                if *ops > 0 {
                    o.broadcast(replicas, &request(0, workload(*index, *ops, *keys, 0)));
                    if *retries > 0 {
                        o.set_timer(MultiPaxosTimer::Retry, retry_interval());
                    }
                }
                MultiPaxosState::Client(client)
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
            (MultiPaxosActor::Replica { .. }, MultiPaxosState::Replica(r)) => {
                let mut replica = Cow::Borrowed(r);
                self.replica_on_msg(id, &mut replica, src, msg, o);
                if let Cow::Owned(next) = replica {
                    o.save(durable(&next));
                    *state.to_mut() = MultiPaxosState::Replica(next);
                }
            }
            (
                MultiPaxosActor::Client {
                    replicas,
                    index,
                    ops,
                    keys,
                    retries,
                },
                MultiPaxosState::Client(c),
            ) => {
                let req = match msg {
                    MultiPaxosMsg::PutOk { req } | MultiPaxosMsg::GetOk { req, .. } => req,
                    _ => return,
                };
                // Answers to earlier requests (a second replica's, a duplicate) are stale.
                if req != c.completed || c.completed >= *ops {
                    return;
                }
                let next = ClientState {
                    completed: c.completed + 1,
                    retried: 0,
                };
                o.save(MultiPaxosStorage::Client(next));
                if next.completed < *ops {
                    let op = workload(*index, *ops, *keys, next.completed);
                    o.broadcast(replicas, &request(next.completed, op));
                    if *retries > 0 {
                        o.set_timer(MultiPaxosTimer::Retry, retry_interval());
                    }
                }
                *state.to_mut() = MultiPaxosState::Client(next);
            }
            _ => unreachable!("an actor's state always matches its role"),
        }
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        _timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        if let (
            MultiPaxosActor::Client {
                replicas,
                index,
                ops,
                keys,
                retries,
            },
            MultiPaxosState::Client(c),
        ) = (self, &**state)
        {
            // Bounded: at most `retries` repeats per operation.
            if c.completed < *ops && c.retried < *retries {
                let op = workload(*index, *ops, *keys, c.completed);
                o.broadcast(replicas, &request(c.completed, op));
                o.set_timer(MultiPaxosTimer::Retry, retry_interval());
                let next = ClientState {
                    retried: c.retried + 1,
                    ..*c
                };
                o.save(MultiPaxosStorage::Client(next));
                *state.to_mut() = MultiPaxosState::Client(next);
            }
            return;
        }
        let (MultiPaxosActor::Replica { peers, ballots, .. }, MultiPaxosState::Replica(r)) =
            (self, &**state)
        else {
            return;
        };
        // The timer stays armed, so that a replica deposed later may still take over.
        o.set_timer(MultiPaxosTimer::Election, election_timeout());
        let leading = matches!(r.leader, Some(Leadership::Leading { .. }));
        let round = next_round_of(id, peers.len() + 1, r.promised.0);
        if leading || r.pending.is_empty() || round >= *ballots {
            return;
        }
        let mut replica = r.clone();
        self.become_candidate(id, &mut replica, (round, id), peers, o);
        o.save(durable(&replica));
        *state.to_mut() = MultiPaxosState::Replica(replica);
    }
}

/// What a replica saves: everything but its leadership.
fn durable(r: &ReplicaState) -> MultiPaxosStorage {
    MultiPaxosStorage::Replica(ReplicaState {
        leader: None,
        ..r.clone()
    })
}

impl MultiPaxosActor {
    /// The broken variant a replica runs (clients run none).
    fn bug(&self) -> Bug {
        match self {
            MultiPaxosActor::Replica { bug, .. } => *bug,
            _ => Bug::None,
        }
    }

    fn replica_on_msg(
        &self,
        id: Id,
        r: &mut Cow<ReplicaState>,
        src: Id,
        msg: MultiPaxosMsg,
        o: &mut Out<Self>,
    ) {
        use MultiPaxosMsg::*;
        match msg {
            Put { req, key, value } => self.on_request(r, src, req, Op::Put(key, value), o),
            Get { req, key } => self.on_request(r, src, req, Op::Get(key), o),
            Prepare { ballot } if ballot > r.promised => {
                let r = r.to_mut();
                r.promised = ballot;
                r.leader = None;
                let accepted = r
                    .accepted
                    .iter()
                    .map(|(&slot, &(b, command))| (slot, b, command))
                    .collect();
                o.send(src, Promise { ballot, accepted });
            }
            Promise { ballot, accepted } => self.on_promise(id, r, src, ballot, accepted, o),
            Accept {
                ballot,
                slot,
                command,
            } if ballot >= r.promised => {
                let r = r.to_mut();
                if ballot > r.promised {
                    r.promised = ballot;
                    r.leader = None;
                }
                r.accepted.insert(slot, (ballot, command));
                o.send(src, Accepted { ballot, slot });
            }
            Accepted { ballot, slot } => self.on_accepted(r, src, ballot, slot, o),
            Chosen { slot, command } if slot >= r.log.len() && !r.chosen.contains_key(&slot) => {
                learn(r.to_mut(), slot, command, self.bug(), o);
            }
            _ => {}
        }
    }

    /// A client request: remembered until applied, and proposed at once by a leader.
    fn on_request(
        &self,
        r: &mut Cow<ReplicaState>,
        client: Id,
        req: RequestId,
        op: Op,
        o: &mut Out<Self>,
    ) {
        if let Some(session) = r.sessions.get(&client) {
            // A repeated request that was applied already gets its answer again.
            if session.req == req {
                o.send(client, session.answer.clone());
            }
            if session.req >= req {
                return;
            }
        }
        if r.pending.get(&client).is_some_and(|&(p, _)| p >= req) {
            return;
        }
        let r = r.to_mut();
        r.pending.insert(client, (req, op));
        self.propose_pending(r, o);
    }

    /// A candidate counts a promise; with a majority it leads.
    fn on_promise(
        &self,
        id: Id,
        r: &mut Cow<ReplicaState>,
        src: Id,
        ballot: Ballot,
        accepted: Vec<(Slot, Ballot, Command)>,
        o: &mut Out<Self>,
    ) {
        let MultiPaxosActor::Replica { peers, .. } = self else {
            return;
        };
        match &r.leader {
            Some(Leadership::Preparing {
                ballot: b,
                promises,
                ..
            }) if *b == ballot && !promises.contains(&src) => {}
            _ => return,
        }
        let r = r.to_mut();
        let Some(Leadership::Preparing {
            promises,
            proposals,
            ..
        }) = &mut r.leader
        else {
            unreachable!("checked above")
        };
        promises.insert(src);
        for (slot, b, command) in accepted {
            if proposals.get(&slot).is_none_or(|&(old, _)| old < b) {
                proposals.insert(slot, (b, command));
            }
        }
        if promises.len() < majority(peers.len() + 1) {
            return;
        }
        let proposals = std::mem::take(proposals);
        self.start_leading(id, r, ballot, proposals, o);
    }

    /// Phase 2 begins: re-propose what phase 1 found, fill holes, then propose new requests.
    fn start_leading(
        &self,
        id: Id,
        r: &mut ReplicaState,
        ballot: Ballot,
        proposals: BTreeMap<Slot, (Ballot, Command)>,
        o: &mut Out<Self>,
    ) {
        r.leader = Some(Leadership::Leading {
            ballot,
            accepts: BTreeMap::new(),
        });
        let top = proposals.keys().next_back().map_or(0, |&s| s + 1);
        for slot in r.log.len()..top {
            if r.chosen.contains_key(&slot) {
                continue;
            }
            let command = proposals.get(&slot).map_or(Command::Noop, |&(_, c)| c);
            self.propose(id, r, slot, command, o);
        }
        self.propose_pending(r, o);
    }

    /// A leader proposes every pending request it has not proposed or seen chosen yet.
    fn propose_pending(&self, r: &mut ReplicaState, o: &mut Out<Self>) {
        let MultiPaxosActor::Replica { slots, .. } = self else {
            return;
        };
        let Some(Leadership::Leading { ballot, .. }) = r.leader else {
            return;
        };
        let requests: Vec<(Id, RequestId, Op)> = r
            .pending
            .iter()
            .map(|(&c, &(req, op))| (c, req, op))
            .collect();
        for (client, req, op) in requests {
            if covered(r, client, req) {
                continue;
            }
            let slot = next_slot(r);
            if slot >= *slots {
                return;
            }
            self.propose(ballot.1, r, slot, Command::Request { client, req, op }, o);
        }
    }

    /// Phase 2a for one slot: accept it ourselves, ask the peers.
    fn propose(
        &self,
        id: Id,
        r: &mut ReplicaState,
        slot: Slot,
        command: Command,
        o: &mut Out<Self>,
    ) {
        let MultiPaxosActor::Replica { peers, .. } = self else {
            return;
        };
        let Some(Leadership::Leading { ballot, accepts }) = &mut r.leader else {
            return;
        };
        let ballot = *ballot;
        accepts.insert(slot, (command, BTreeSet::from([id])));
        r.accepted.insert(slot, (ballot, command));
        o.broadcast(
            peers,
            &MultiPaxosMsg::Accept {
                ballot,
                slot,
                command,
            },
        );
    }

    /// A leader counts an acceptance; with a majority the slot is chosen.
    fn on_accepted(
        &self,
        r: &mut Cow<ReplicaState>,
        src: Id,
        ballot: Ballot,
        slot: Slot,
        o: &mut Out<Self>,
    ) {
        let MultiPaxosActor::Replica { peers, .. } = self else {
            return;
        };
        match &r.leader {
            Some(Leadership::Leading { ballot: b, accepts })
                if *b == ballot
                    && accepts
                        .get(&slot)
                        .is_some_and(|(_, voters)| !voters.contains(&src)) => {}
            _ => return,
        }
        let r = r.to_mut();
        let Some(Leadership::Leading { accepts, .. }) = &mut r.leader else {
            unreachable!("checked above")
        };
        let (command, voters) = accepts.get_mut(&slot).expect("checked above");
        voters.insert(src);
        if voters.len() < majority(peers.len() + 1) {
            return;
        }
        let command = *command;
        accepts.remove(&slot);
        o.broadcast(peers, &MultiPaxosMsg::Chosen { slot, command });
        if slot >= r.log.len() && !r.chosen.contains_key(&slot) {
            r.answer.insert(slot);
            learn(r, slot, command, self.bug(), o);
        }
    }

    /// The election timer fired: start phase 1 of the next round (or, broken, skip it).
    fn become_candidate(
        &self,
        id: Id,
        r: &mut ReplicaState,
        ballot: Ballot,
        peers: &[Id],
        o: &mut Out<Self>,
    ) {
        let MultiPaxosActor::Replica { bug, .. } = self else {
            return;
        };
        r.promised = ballot;
        match bug {
            Bug::None | Bug::IgnoreKey => {
                r.leader = Some(Leadership::Preparing {
                    ballot,
                    promises: BTreeSet::from([id]),
                    proposals: r.accepted.clone(),
                });
                o.broadcast(peers, &MultiPaxosMsg::Prepare { ballot });
            }
            Bug::SkipPhase1 => {
                r.leader = Some(Leadership::Leading {
                    ballot,
                    accepts: BTreeMap::new(),
                });
                self.propose_pending(r, o);
            }
        }
    }
}

/// The first round after `promised` that replica `id` of `replicas` leads: round `k` belongs
/// to replica `k mod replicas`, as views do in Viewstamped Replication.
pub fn next_round_of(id: Id, replicas: usize, promised: Round) -> Round {
    let (id, n) = (usize::from(id) as Round, replicas as Round);
    let start = promised + 1;
    start + (id + n - start % n) % n
}

/// Whether request `req` of `client` is applied, chosen, or being proposed by this leader.
fn covered(r: &ReplicaState, client: Id, req: RequestId) -> bool {
    let is_it = |c: &Command| matches!(c, Command::Request { client: cl, req: rq, .. } if *cl == client && *rq == req);
    let proposing = match &r.leader {
        Some(Leadership::Leading { accepts, .. }) => accepts.values().any(|(c, _)| is_it(c)),
        _ => false,
    };
    r.sessions.get(&client).is_some_and(|s| s.req >= req)
        || r.chosen.values().any(is_it)
        || proposing
}

/// The first slot nothing is known about: beyond the log, the chosen slots and the accepted.
fn next_slot(r: &ReplicaState) -> Slot {
    let after = |k: Option<&Slot>| k.map_or(0, |s| s + 1);
    r.log
        .len()
        .max(after(r.chosen.keys().next_back()))
        .max(after(r.accepted.keys().next_back()))
}

/// A replica learns that `slot` holds `command`, and applies every slot it can in order.
fn learn(
    r: &mut ReplicaState,
    slot: Slot,
    command: Command,
    bug: Bug,
    o: &mut Out<MultiPaxosActor>,
) {
    // Broken on purpose: every key names the same cell.
    let cell = |key: Key| if bug == Bug::IgnoreKey { 0 } else { key };
    r.chosen.insert(slot, command);
    while let Some(command) = r.chosen.remove(&r.log.len()) {
        let slot = r.log.len();
        let answer = r.answer.remove(&slot);
        r.log.push(command);
        let Command::Request { client, req, op } = command else {
            continue;
        };
        if r.sessions.get(&client).is_some_and(|s| s.req >= req) {
            continue; // proposed twice; applied already
        }
        if r.pending.get(&client).is_some_and(|&(p, _)| p <= req) {
            r.pending.remove(&client);
        }
        let reply = match op {
            Op::Put(key, value) => {
                r.store.0.insert(cell(key), value);
                MultiPaxosMsg::PutOk { req }
            }
            Op::Get(key) => MultiPaxosMsg::GetOk {
                req,
                value: r.store.get(cell(key)),
            },
        };
        if answer {
            o.send(client, reply.clone());
        }
        r.sessions.insert(client, Session { req, answer: reply });
    }
}

/// The clients' history as stateright's linearizability tester sees it (the model's auxiliary
/// variable). Its `Hash` is derived: the tester keeps its records in `BTreeMap`s and
/// `VecDeque`s, so equal histories hash alike.
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct History {
    pub tester: LinearizabilityTester<Id, KvStore>,
    /// Per client, the last request recorded as invoked, so that a repeated request is not
    /// recorded twice.
    pub invoked: BTreeMap<Id, RequestId>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            tester: LinearizabilityTester::new(KvStore::default()),
            invoked: BTreeMap::new(),
        }
    }
}

impl History {
    /// Whether some order of the operations, consistent with real time, explains every answer.
    pub fn is_linearizable(&self) -> bool {
        self.tester.serialized_history().is_some()
    }

    /// Records that `client` sent request `op` (stateright's `record_msg_out` hook). A request
    /// goes to every replica in one step, and may be repeated; it is recorded once.
    pub fn record_request(
        _: &MultiPaxosCfg,
        history: &Self,
        env: Envelope<&MultiPaxosMsg>,
    ) -> Option<Self> {
        let (req, op) = match env.msg {
            MultiPaxosMsg::Put { req, key, value } => (*req, Op::Put(*key, *value)),
            MultiPaxosMsg::Get { req, key } => (*req, Op::Get(*key)),
            _ => return None,
        };
        if history.invoked.get(&env.src) == Some(&req) {
            return None;
        }
        let mut history = history.clone();
        history.invoked.insert(env.src, req);
        let _ = history.tester.on_invoke(env.src, op);
        Some(history)
    }

    /// Records that a client accepted an answer (stateright's `record_msg_in` hook, called only
    /// for deliveries that change something: stale answers are ignored by the client).
    pub fn record_answer(
        _: &MultiPaxosCfg,
        history: &Self,
        env: Envelope<&MultiPaxosMsg>,
    ) -> Option<Self> {
        let ret = match env.msg {
            MultiPaxosMsg::PutOk { .. } => Ret::PutOk,
            MultiPaxosMsg::GetOk { value, .. } => Ret::GetOk(*value),
            _ => return None,
        };
        let mut history = history.clone();
        let _ = history.tester.on_return(env.dst, ret);
        Some(history)
    }
}

/// Shown in traces as the operations in one linearization order, or `not linearizable`.
impl Serialize for History {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.tester.serialized_history() {
            Some(ops) => {
                let ops: Vec<String> = ops
                    .iter()
                    .map(|(op, ret)| format!("{op:?} -> {ret:?}"))
                    .collect();
                ops.serialize(s)
            }
            None => "not linearizable".serialize(s),
        }
    }
}

/// The parameters of a multi-Paxos system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct MultiPaxosCfg {
    /// Number of replicas (actors `Id(0)..Id(replicas)`): 3 or 5.
    pub replicas: usize,
    /// Number of clients (the actors after the replicas), in 1..=4. 1 or 2 checks in seconds.
    pub clients: usize,
    /// Operations each client performs one after another, in 1..=4.
    pub ops: RequestId,
    /// Keys of the store the workload spreads over, in 1..=3 ([`workload`]).
    pub keys: Key,
    /// Slots a leader may propose in, at least `clients * ops`. With leader changes a request
    /// may be chosen twice (skipped the second time) and holes are filled with no-ops, so a
    /// few more are needed: with too few, the last request is never proposed and the checker
    /// reports a deadlock (for example `clients=2 ops=2 ballots=2 slots=4`; `slots=8` is
    /// enough there).
    pub slots: Slot,
    /// Rounds that may be started, in 1..=9, the first (pre-executed) included: 1 is a stable
    /// leader, 2 allows one leader change.
    pub ballots: Round,
    /// Network and fault settings; `crashes` counts all actors.
    pub system: SystemCfg,
    pub bug: Bug,
    /// How many times a client repeats an unanswered request on a timer, per operation: 0 in
    /// the model checker (each retry multiplies the interleavings), a few on a lossy runtime,
    /// where a lost answer is otherwise never recovered.
    pub retries: u8,
}

impl MultiPaxosCfg {
    /// Replicas: 3 or 5.
    pub const REPLICAS: Bounds = Bounds::new("replicas", 3, 5, 3);
    /// Clients: 1..=4.
    pub const CLIENTS: Bounds = Bounds::new("clients", 1, 4, 1);
    /// Operations per client, one after another (put, get, put, ...): 1..=4.
    pub const OPS: Bounds = Bounds::new("ops", 1, 4, 2);
    /// Keys of the replicated map (client k's operation i uses key (k + i/2) mod keys): 1..=3.
    pub const KEYS: Bounds = Bounds::new("keys", 1, 3, 2);
    /// Log slots a leader may propose in: at least clients * ops, at most 64. Leader changes
    /// need more (no-ops, requests proposed twice), or the last request starves.
    pub const SLOTS: Bounds = Bounds::new("slots", 1, 64, 4);
    /// Rounds that may be started, the first included: 1..=9 (1: a stable leader; 2: one
    /// leader change).
    pub const BALLOTS: Bounds = Bounds::new("ballots", 1, 9, 1);
    /// Times a client repeats an unanswered request on a timer, per operation: 0..=3.
    pub const RETRIES: Bounds = Bounds::new("retries", 0, 3, 0);
    /// Any network (unordered, non-duplicating by default); up to 9 actors down at once.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 9);

    /// A validated configuration.
    pub fn new(
        replicas: usize,
        clients: usize,
        ops: RequestId,
        slots: Slot,
        ballots: Round,
        system: SystemCfg,
        bug: Bug,
    ) -> Result<Self, CfgError> {
        Self::REPLICAS.check_usize(replicas)?;
        if replicas != 3 && replicas != 5 {
            return Err(CfgError::Inconsistent(format!(
                "replicas must be 3 or 5, got {replicas}"
            )));
        }
        Self::CLIENTS.check_usize(clients)?;
        Self::OPS.check(u64::from(ops))?;
        let needed = clients * usize::from(ops);
        Self::SLOTS.check_usize(slots)?;
        if slots < needed {
            return Err(CfgError::Inconsistent(format!(
                "slots must be in {needed}..={} (clients * ops), got {slots}",
                Self::SLOTS.max
            )));
        }
        Self::BALLOTS.check(u64::from(ballots))?;
        system.check_crashes(replicas + clients)?;
        Ok(Self {
            replicas,
            clients,
            ops,
            keys: 1,
            slots,
            ballots,
            system,
            bug,
            retries: 0,
        })
    }

    /// The same configuration with the workload spread over `keys` keys (1..=3).
    pub fn with_keys(self, keys: Key) -> Result<Self, CfgError> {
        Self::KEYS.check(u64::from(keys))?;
        Ok(Self { keys, ..self })
    }

    /// Operation `i` of client `index` ([`workload`] with this configuration's bounds).
    pub fn op(&self, index: usize, i: RequestId) -> Op {
        workload(index, self.ops, self.keys, i)
    }

    /// The same configuration with clients that repeat a request up to `retries` times.
    pub fn with_retries(self, retries: u8) -> Self {
        Self { retries, ..self }
    }

    /// The ids of the replicas.
    pub fn replica_ids(&self) -> Vec<Id> {
        Id::vec_from(0..self.replicas)
    }

    /// The ids of the clients.
    pub fn client_ids(&self) -> Vec<Id> {
        Id::vec_from(self.replicas..self.replicas + self.clients)
    }

    /// The actor system as a stateright model recording the clients' history, without
    /// properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<MultiPaxosActor, MultiPaxosCfg, History> {
        crate::common::actor_model(self, History::default())
            .record_msg_out(History::record_request)
            .record_msg_in(History::record_answer)
    }
}

impl ActorSystem for MultiPaxosCfg {
    type Actor = MultiPaxosActor;

    fn actors(&self) -> Vec<MultiPaxosActor> {
        let replicas = self.replica_ids();
        let servers = replicas.iter().map(|&me| MultiPaxosActor::Replica {
            peers: replicas.iter().copied().filter(|&p| p != me).collect(),
            ballots: self.ballots,
            slots: self.slots,
            bug: self.bug,
        });
        let clients = (0..self.clients).map(|index| MultiPaxosActor::Client {
            replicas: replicas.clone(),
            index,
            ops: self.ops,
            keys: self.keys,
            retries: self.retries,
        });
        servers.chain(clients).collect()
    }

    fn actor_name(&self, id: Id) -> String {
        let i = usize::from(id);
        if i < self.replicas {
            format!("r{i}")
        } else {
            format!("c{}", i - self.replicas)
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::NetworkKind;
    use stateright::actor::{is_no_op, Command as Cmd};

    fn cfg(ballots: Round) -> MultiPaxosCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        MultiPaxosCfg::new(3, 1, 2, 4, ballots, system, Bug::None).unwrap()
    }

    fn replica(s: &MultiPaxosState) -> &ReplicaState {
        match s {
            MultiPaxosState::Replica(r) => r,
            MultiPaxosState::Client(_) => panic!("not a replica"),
        }
    }

    fn put_a() -> Command {
        Command::Request {
            client: Id::from(3),
            req: 0,
            op: Op::Put(0, 'A'),
        }
    }

    #[test]
    fn rounds_rotate_over_replicas() {
        let id = Id::from;
        assert_eq!(next_round_of(id(1), 3, 0), 1);
        assert_eq!(next_round_of(id(2), 3, 0), 2);
        assert_eq!(next_round_of(id(0), 3, 0), 3);
        assert_eq!(next_round_of(id(1), 3, 1), 4);
        assert_eq!(next_round_of(id(4), 5, 7), 9);
    }

    #[test]
    fn workload_alternates_and_writes_distinct_values() {
        assert_eq!(workload(0, 2, 1, 0), Op::Put(0, 'A'));
        assert_eq!(workload(0, 2, 1, 1), Op::Get(0));
        assert_eq!(workload(1, 2, 1, 0), Op::Get(0));
        assert_eq!(workload(1, 2, 1, 1), Op::Put(0, 'D'));
        // Over two keys a client reads the key it just wrote, and clients start apart.
        assert_eq!(workload(0, 4, 2, 1), Op::Get(0));
        assert_eq!(workload(0, 4, 2, 2), Op::Put(1, 'C'));
        assert_eq!(workload(1, 4, 2, 0), Op::Get(1));
        assert_eq!(workload(1, 4, 2, 3), Op::Put(0, 'H'));
    }

    #[test]
    fn the_store_reads_what_was_last_written_per_key() {
        let mut kv = KvStore::default();
        assert_eq!(kv.invoke(&Op::Get(1)), Ret::GetOk(INITIAL_VALUE));
        assert_eq!(kv.invoke(&Op::Put(1, 'B')), Ret::PutOk);
        assert_eq!(kv.invoke(&Op::Put(0, 'A')), Ret::PutOk);
        assert!(kv.is_valid_step(&Op::Get(1), &Ret::GetOk('B')));
        assert!(!kv.is_valid_step(&Op::Get(0), &Ret::GetOk('B')));
        // A put to one key leaves another alone: a history that reads a stale value of the
        // written key is not linearizable, one that reads the other key's initial value is.
        let mut h = LinearizabilityTester::new(KvStore::default());
        let (c0, c1) = (Id::from(3), Id::from(4));
        h.on_invoke(c0, Op::Put(0, 'A')).unwrap();
        h.on_return(c0, Ret::PutOk).unwrap();
        h.on_invoke(c1, Op::Get(1)).unwrap();
        h.on_return(c1, Ret::GetOk(INITIAL_VALUE)).unwrap();
        assert!(h.serialized_history().is_some());
        h.on_invoke(c1, Op::Get(0)).unwrap();
        h.on_return(c1, Ret::GetOk(INITIAL_VALUE)).unwrap();
        assert!(h.serialized_history().is_none());
    }

    #[test]
    fn new_validates_every_bound() {
        let system = cfg(1).system;
        let new = |replicas, clients, ops, slots, ballots| {
            MultiPaxosCfg::new(replicas, clients, ops, slots, ballots, system, Bug::None)
        };
        assert!(new(3, 1, 2, 4, 1).is_ok());
        assert!(new(4, 1, 2, 4, 1).is_err());
        assert!(new(3, 0, 2, 4, 1).is_err());
        assert!(new(3, 1, 0, 4, 1).is_err());
        assert!(new(3, 2, 2, 3, 1).is_err());
        assert!(new(3, 1, 2, 4, 0).is_err());
        assert!(new(3, 1, 2, 4, 10).is_err());
    }

    #[test]
    fn replica_0_leads_the_first_ballot_and_clients_ask_everyone() {
        let cfg = cfg(2);
        let actors = cfg.actors();
        let mut o = Out::new();
        let r0 = actors[0].on_start(Id::from(0), &None, &mut o);
        assert!(matches!(
            replica(&r0).leader,
            Some(Leadership::Leading { ballot, .. }) if ballot == first_ballot()
        ));
        let mut o = Out::new();
        let r1 = actors[1].on_start(Id::from(1), &None, &mut o);
        assert_eq!(replica(&r1).leader, None);
        assert_eq!(replica(&r1).promised, first_ballot());
        assert!(matches!(
            &o[..],
            [Cmd::Save(_), Cmd::SetTimer(MultiPaxosTimer::Election, _)]
        ));
        let mut o = Out::new();
        actors[3].on_start(Id::from(3), &None, &mut o);
        let sends = o
            .iter()
            .filter(|c| {
                matches!(
                    c,
                    Cmd::Send(
                        _,
                        MultiPaxosMsg::Put {
                            req: 0,
                            key: 0,
                            value: 'A'
                        }
                    )
                )
            })
            .count();
        assert_eq!(sends, 3);
    }

    #[test]
    fn acceptor_ignores_lower_ballots_and_is_deposed_by_higher() {
        let actors = cfg(3).actors();
        let mut o = Out::new();
        let r0 = actors[0].on_start(Id::from(0), &None, &mut o);
        let mut state = Cow::Borrowed(&r0);
        let mut o = Out::new();
        let prepare = MultiPaxosMsg::Prepare {
            ballot: (1, Id::from(1)),
        };
        actors[0].on_msg(Id::from(0), &mut state, Id::from(1), prepare, &mut o);
        assert_eq!(replica(&state).leader, None, "deposed");
        assert_eq!(replica(&state).promised, (1, Id::from(1)));
        let deposed = state.into_owned();
        let mut again = Cow::Borrowed(&deposed);
        let mut o = Out::new();
        let stale = MultiPaxosMsg::Accept {
            ballot: first_ballot(),
            slot: 0,
            command: put_a(),
        };
        actors[0].on_msg(Id::from(0), &mut again, Id::from(2), stale, &mut o);
        assert!(is_no_op(&again, &o));
    }

    #[test]
    fn slots_apply_in_order_and_duplicates_once() {
        let actors = cfg(1).actors();
        let mut o = Out::new();
        let r1 = actors[1].on_start(Id::from(1), &None, &mut o);
        let mut state = Cow::Borrowed(&r1);
        let chosen = |slot| MultiPaxosMsg::Chosen {
            slot,
            command: put_a(),
        };
        let mut o = Out::new();
        actors[1].on_msg(Id::from(1), &mut state, Id::from(0), chosen(1), &mut o);
        assert!(replica(&state).log.is_empty(), "slot 0 is still a hole");
        actors[1].on_msg(Id::from(1), &mut state, Id::from(0), chosen(0), &mut o);
        let r = replica(&state);
        assert_eq!(r.log, [put_a(), put_a()]);
        assert_eq!(r.store.get(0), 'A');
        assert_eq!(r.sessions[&Id::from(3)].req, 0);
        // Followers that did not count the quorum do not answer.
        assert!(o.iter().all(|c| !matches!(c, Cmd::Send(..))));
        // A repeated request is answered from the session.
        let mut o = Out::new();
        let put = MultiPaxosMsg::Put {
            req: 0,
            key: 0,
            value: 'A',
        };
        actors[1].on_msg(Id::from(1), &mut state, Id::from(3), put, &mut o);
        assert!(
            matches!(&o[..], [Cmd::Send(c, MultiPaxosMsg::PutOk { req: 0 })] if *c == Id::from(3))
        );
    }

    #[test]
    fn recovering_replica_follows_with_its_saved_state() {
        let actors = cfg(2).actors();
        let mut o = Out::new();
        let r0 = actors[0].on_start(Id::from(0), &None, &mut o);
        let saved = o
            .iter()
            .find_map(|c| match c {
                Cmd::Save(saved) => Some(saved.clone()),
                _ => None,
            })
            .expect("a fresh replica saves");
        let mut o = Out::new();
        let back = actors[0].on_start(Id::from(0), &Some(saved), &mut o);
        assert_eq!(replica(&back).leader, None);
        assert_eq!(replica(&back).promised, replica(&r0).promised);
        assert!(matches!(
            &o[..],
            [Cmd::SetTimer(MultiPaxosTimer::Election, _)]
        ));
    }

    #[test]
    fn recovering_client_does_not_repeat_its_request() {
        let actors = cfg(1).actors();
        let mut o = Out::new();
        let saved = MultiPaxosStorage::Client(ClientState {
            completed: 1,
            retried: 0,
        });
        actors[3].on_start(Id::from(3), &Some(saved), &mut o);
        assert!(o.is_empty());
    }
}
