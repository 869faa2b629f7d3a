//! Single-decree Paxos as stateright actors.
//!
//! # Problem
//!
//! Consensus: a collection of processes that can propose values must choose a single one of the
//! proposed values, and the processes that learn must learn only the chosen value. Any node may
//! crash and recover; messages may be delayed and reordered.
//!
//! # Source
//!
//! L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001, section 2 ("The Consensus
//! Algorithm"): 2.2 (choosing a value), 2.3 (learning a chosen value), 2.4 (progress). The
//! properties the protocol must satisfy, and the abstract spec `Consensus` it refines, live in
//! the `specs` crate.
//!
//! # Algorithm
//!
//! Actors `Id(0)..Id(proposers)` are proposers, then come `acceptors` acceptors, then `learners`
//! learners. A ballot (the paper's proposal number) is `(round, proposer id)`: ballots of
//! different proposers never collide, and rounds order them.
//!
//! 1. Phase 1a. A proposer picks its next round and sends `Prepare { ballot }` to every acceptor.
//! 2. Phase 1b. An acceptor that has promised nothing higher or equal promises `ballot`
//!    (durably), and answers `Promise` with the highest-ballot proposal it has accepted, if any.
//! 3. Phase 2a. A proposer with promises from a quorum sends `Accept { ballot, value }` to every
//!    acceptor, where `value` is the value of the highest-ballot proposal among the promises,
//!    or its own value if there is none.
//! 4. Phase 2b. An acceptor that has promised nothing higher accepts (durably) and tells every
//!    learner `Accepted { ballot, value }`.
//! 5. Learning. A learner that hears `Accepted` for one ballot from a quorum learns the value.
//!
//! A value is *chosen* when a quorum of acceptors has accepted it in the same ballot; the specs
//! compute that from the acceptors' votes.
//!
//! # Fault and network model
//!
//! Asynchronous: messages may be delayed and reordered, and, depending on [`SystemCfg`],
//! duplicated or lost. Nodes fail by crashing and may recover from their `Storage`: an
//! acceptor saves its promise and its accepted proposal before answering (section 2.2, last
//! paragraph), a proposer saves the last round it used so that it never reuses a ballot, and a
//! learner saves what it learnt. The model checker ignores timer durations: a timer may fire at
//! any moment after it is set.
//!
//! # Deviations from the paper
//!
//! - Proposer `i` proposes value `i % values`; there are no clients.
//! - Retries. A proposer with competitors (more than one proposer, [`PaxosCfg::retry`] on; off
//!   by default, [`PaxosCfg::RETRY`]) arms a retry timer with each
//!   ballot; when it fires it abandons the ballot, as the paper allows "at any time" (2.2), and
//!   starts the next one. Rounds are bounded by [`PaxosCfg::ballots`] so that the state space is
//!   finite: after its last ballot times out the proposer gives up. A lone proposer is the
//!   paper's *distinguished proposer* (2.4): nobody can pre-empt it, so it never abandons.
//! - A recovering proposer starts its next round if it has one left and otherwise stays idle, so
//!   repeated crashes cannot send unboundedly many messages.
//! - Ghost state: each acceptor keeps the set of every proposal it ever accepted ([`Vote`]s),
//!   in its state and its storage. No node reads it; the specs use it to define "chosen" (a
//!   value accepted by a quorum in one ballot stays chosen after those acceptors move on).
//! - [`PaxosCfg::durable`] `= false` is a deliberately broken acceptor that does not save its
//!   promise, and [`PaxosCfg::quorum`] at or below half the acceptors a deliberately broken
//!   quorum: both are kept to show that the checker catches them.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use stateright::{Rewrite, RewritePlan};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// A proposer's attempt number, from 1.
pub type Round = u32;
/// The paper's proposal number: `(round, proposer)`, totally ordered.
pub type Ballot = (Round, Id);
/// A proposed value.
pub type Value = usize;
/// An accepted proposal.
pub type Vote = (Ballot, Value);

/// A message of single-decree Paxos.
#[derive(
    Clone,
    Copy,
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
/// Its variants without their fields, [`PaxosMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(PaxosMsgKind), derive(strum::IntoStaticStr))]
pub enum PaxosMsg {
    /// Phase 1a, proposer -> acceptor: promise not to accept anything below `ballot`.
    Prepare { ballot: Ballot },
    /// Phase 1b, acceptor -> proposer: the promise, with the acceptor's latest accepted vote.
    Promise {
        ballot: Ballot,
        accepted: Option<Vote>,
    },
    /// Phase 2a, proposer -> acceptor: please accept `value` in `ballot`.
    Accept { ballot: Ballot, value: Value },
    /// Phase 2b, acceptor -> learner: `value` accepted in `ballot`.
    Accepted { ballot: Ballot, value: Value },
}

/// A proposer's retry timer (only proposers with competitors arm it).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PaxosTimer {
    Retry,
}

/// Where a proposer is with its current ballot.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ProposerPhase {
    /// Phase 1: the acceptors that promised so far and the highest vote they reported.
    Preparing {
        promised: BTreeSet<Id>,
        highest: Option<Vote>,
    },
    /// Phase 2: `value` was sent to the acceptors.
    Accepting { value: Value },
    /// Gave up: the last ballot was abandoned (or the proposer recovered with none left).
    Idle,
}

/// A proposer's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ProposerState {
    pub ballot: Ballot,
    pub phase: ProposerPhase,
}

/// An acceptor's state. With a durable acceptor it always equals its storage.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct AcceptorState {
    /// The highest ballot promised (phase 1b) or accepted (phase 2b).
    pub promised: Option<Ballot>,
    /// The highest-ballot proposal accepted.
    pub accepted: Option<Vote>,
    /// Ghost: every proposal ever accepted (see the module docs).
    pub votes: BTreeSet<Vote>,
}

/// A learner's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct LearnerState {
    /// The acceptors heard from, per proposal (dropped once a value is learnt).
    pub tallies: BTreeMap<Vote, BTreeSet<Id>>,
    pub learnt: Option<Value>,
}

/// The state of one actor. Variants in id order (proposers, acceptors, learners).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PaxosState {
    Proposer(ProposerState),
    Acceptor(AcceptorState),
    Learner(LearnerState),
}

/// What an actor keeps across crashes.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PaxosStorage {
    /// The last round used, so that no ballot is used twice.
    Proposer {
        round: Round,
    },
    /// The acceptor's state (its promise only if it is durable).
    Acceptor(AcceptorState),
    Learner {
        learnt: Option<Value>,
    },
}

/// A node of Paxos: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum PaxosActor {
    Proposer {
        /// The value it proposes when no acceptor reports an earlier vote.
        value: Value,
        acceptors: Vec<Id>,
        quorum: usize,
        /// Its last round: it gives up after this one.
        rounds: Round,
        /// Whether it abandons a ballot on a timer (it has competitors).
        retry: bool,
    },
    Acceptor {
        learners: Vec<Id>,
        /// Whether the promise survives a crash (the protocol) or not (broken).
        durable: bool,
    },
    Learner {
        quorum: usize,
    },
}

/// How long a proposer waits before abandoning a ballot (the model checker ignores it).
fn retry_interval() -> std::ops::Range<Duration> {
    Duration::from_millis(100)..Duration::from_millis(200)
}

impl Actor for PaxosActor {
    type Msg = PaxosMsg;
    type State = PaxosState;
    type Timer = PaxosTimer;
    type Random = ();
    type Storage = PaxosStorage;

    fn name(&self) -> String {
        match self {
            PaxosActor::Proposer { .. } => "proposer",
            PaxosActor::Acceptor { .. } => "acceptor",
            PaxosActor::Learner { .. } => "learner",
        }
        .to_string()
    }

    fn on_start(&self, id: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> PaxosState {
        match (self, storage) {
            (PaxosActor::Proposer { rounds, .. }, Some(PaxosStorage::Proposer { round })) => {
                if round < rounds {
                    PaxosState::Proposer(self.broadcast_prepare(id, round + 1, o))
                } else {
                    PaxosState::Proposer(ProposerState {
                        ballot: (*round, id),
                        phase: ProposerPhase::Idle,
                    })
                }
            }
            (PaxosActor::Proposer { .. }, _) => {
                PaxosState::Proposer(self.broadcast_prepare(id, 1, o))
            }
            (PaxosActor::Acceptor { .. }, Some(PaxosStorage::Acceptor(saved))) => {
                PaxosState::Acceptor(saved.clone())
            }
            (PaxosActor::Acceptor { .. }, _) => PaxosState::Acceptor(AcceptorState {
                promised: None,
                accepted: None,
                votes: BTreeSet::new(),
            }),
            (PaxosActor::Learner { .. }, storage) => {
                let learnt = match storage {
                    Some(PaxosStorage::Learner { learnt }) => *learnt,
                    _ => None,
                };
                PaxosState::Learner(LearnerState {
                    tallies: BTreeMap::new(),
                    learnt,
                })
            }
        }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        let next = match (self, &**state) {
            (PaxosActor::Proposer { .. }, PaxosState::Proposer(p)) => {
                self.on_promise(p, src, msg, o).map(PaxosState::Proposer)
            }
            (PaxosActor::Acceptor { learners, durable }, PaxosState::Acceptor(a)) => {
                on_acceptor_msg(learners, *durable, a, src, msg, o).map(PaxosState::Acceptor)
            }
            (PaxosActor::Learner { quorum }, PaxosState::Learner(l)) => {
                on_accepted(*quorum, l, src, msg, o).map(PaxosState::Learner)
            }
            _ => unreachable!("an actor's state always matches its role"),
        };
        if let Some(next) = next {
            *state.to_mut() = next;
        }
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        // A proposer that is still trying abandons its ballot: the next one, or give up.
        if let (PaxosActor::Proposer { rounds, .. }, PaxosState::Proposer(p), PaxosTimer::Retry) =
            (self, &**state, timer)
        {
            if p.phase == ProposerPhase::Idle {
                return;
            }
            let next = if p.ballot.0 < *rounds {
                self.broadcast_prepare(id, p.ballot.0 + 1, o)
            } else {
                ProposerState {
                    ballot: p.ballot,
                    phase: ProposerPhase::Idle,
                }
            };
            *state.to_mut() = PaxosState::Proposer(next);
        }
    }
}

impl PaxosActor {
    /// Phase 1a: a proposer starts ballot `(round, id)`, saving the round first.
    fn broadcast_prepare(&self, id: Id, round: Round, o: &mut Out<Self>) -> ProposerState {
        let PaxosActor::Proposer {
            acceptors, retry, ..
        } = self
        else {
            unreachable!("only proposers prepare");
        };
        let ballot = (round, id);
        o.save(PaxosStorage::Proposer { round });
        o.broadcast(acceptors, &PaxosMsg::Prepare { ballot });
        if *retry {
            o.set_timer(PaxosTimer::Retry, retry_interval());
        }
        ProposerState {
            ballot,
            phase: ProposerPhase::Preparing {
                promised: BTreeSet::new(),
                highest: None,
            },
        }
    }

    /// Phase 2a: a proposer counts a promise for its current ballot and, with a quorum, asks the
    /// acceptors to accept the value of the highest vote reported, or its own.
    fn on_promise(
        &self,
        p: &ProposerState,
        src: Id,
        msg: PaxosMsg,
        o: &mut Out<Self>,
    ) -> Option<ProposerState> {
        let PaxosActor::Proposer {
            value: own,
            acceptors,
            quorum,
            ..
        } = self
        else {
            unreachable!("only proposers receive promises");
        };
        let (
            PaxosMsg::Promise { ballot, accepted },
            ProposerPhase::Preparing { promised, highest },
        ) = (msg, &p.phase)
        else {
            return None;
        };
        if ballot != p.ballot || promised.contains(&src) {
            return None;
        }
        let mut promised = promised.clone();
        promised.insert(src);
        let highest = (*highest).max(accepted);
        if promised.len() < *quorum {
            return Some(ProposerState {
                ballot,
                phase: ProposerPhase::Preparing { promised, highest },
            });
        }
        let value = highest.map_or(*own, |(_, v)| v);
        o.broadcast(acceptors, &PaxosMsg::Accept { ballot, value });
        Some(ProposerState {
            ballot,
            phase: ProposerPhase::Accepting { value },
        })
    }
}

/// Phases 1b and 2b: an acceptor promises or accepts unless it promised a higher ballot; it
/// saves before it answers.
fn on_acceptor_msg(
    learners: &[Id],
    durable: bool,
    a: &AcceptorState,
    src: Id,
    msg: PaxosMsg,
    o: &mut Out<PaxosActor>,
) -> Option<AcceptorState> {
    let next = match msg {
        PaxosMsg::Prepare { ballot } if a.promised < Some(ballot) => AcceptorState {
            promised: Some(ballot),
            ..a.clone()
        },
        PaxosMsg::Accept { ballot, value }
            if a.promised <= Some(ballot) && a.accepted != Some((ballot, value)) =>
        {
            let mut votes = a.votes.clone();
            votes.insert((ballot, value));
            AcceptorState {
                promised: Some(ballot),
                accepted: Some((ballot, value)),
                votes,
            }
        }
        _ => return None,
    };
    // A forgetful acceptor (the broken variant) does not save its promise.
    let saved = AcceptorState {
        promised: next.promised.filter(|_| durable),
        ..next.clone()
    };
    o.save(PaxosStorage::Acceptor(saved));
    match msg {
        PaxosMsg::Prepare { ballot } => o.send(
            src,
            PaxosMsg::Promise {
                ballot,
                accepted: a.accepted,
            },
        ),
        PaxosMsg::Accept { ballot, value } => {
            o.broadcast(learners, &PaxosMsg::Accepted { ballot, value })
        }
        _ => unreachable!("only Prepare and Accept change an acceptor"),
    }
    Some(next)
}

/// Learning (section 2.3): a learner counts `Accepted` per proposal and learns at a quorum.
fn on_accepted(
    quorum: usize,
    l: &LearnerState,
    src: Id,
    msg: PaxosMsg,
    o: &mut Out<PaxosActor>,
) -> Option<LearnerState> {
    let PaxosMsg::Accepted { ballot, value } = msg else {
        return None;
    };
    if l.learnt.is_some()
        || l.tallies
            .get(&(ballot, value))
            .is_some_and(|t| t.contains(&src))
    {
        return None;
    }
    let mut tallies = l.tallies.clone();
    let tally = tallies.entry((ballot, value)).or_default();
    tally.insert(src);
    if tally.len() < quorum {
        return Some(LearnerState {
            tallies,
            learnt: None,
        });
    }
    o.save(PaxosStorage::Learner {
        learnt: Some(value),
    });
    Some(LearnerState {
        tallies: BTreeMap::new(),
        learnt: Some(value),
    })
}

// Renaming actors (for the acceptor symmetry in `specs::paxos`). Ballots name proposers, which a
// symmetry of the acceptors maps to themselves; they are rewritten all the same, so that any
// plan gives a consistent state.

impl Rewrite<Id> for PaxosMsg {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match *self {
            PaxosMsg::Prepare { ballot } => PaxosMsg::Prepare {
                ballot: ballot.rewrite(plan),
            },
            PaxosMsg::Promise { ballot, accepted } => PaxosMsg::Promise {
                ballot: ballot.rewrite(plan),
                accepted: accepted.rewrite(plan),
            },
            PaxosMsg::Accept { ballot, value } => PaxosMsg::Accept {
                ballot: ballot.rewrite(plan),
                value,
            },
            PaxosMsg::Accepted { ballot, value } => PaxosMsg::Accepted {
                ballot: ballot.rewrite(plan),
                value,
            },
        }
    }
}

impl Rewrite<Id> for AcceptorState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        AcceptorState {
            promised: self.promised.rewrite(plan),
            accepted: self.accepted.rewrite(plan),
            votes: self.votes.rewrite(plan),
        }
    }
}

impl Rewrite<Id> for PaxosState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            PaxosState::Proposer(p) => PaxosState::Proposer(ProposerState {
                ballot: p.ballot.rewrite(plan),
                phase: match &p.phase {
                    ProposerPhase::Preparing { promised, highest } => ProposerPhase::Preparing {
                        promised: promised.rewrite(plan),
                        highest: highest.rewrite(plan),
                    },
                    other => other.clone(),
                },
            }),
            PaxosState::Acceptor(a) => PaxosState::Acceptor(a.rewrite(plan)),
            PaxosState::Learner(l) => PaxosState::Learner(LearnerState {
                tallies: l.tallies.rewrite(plan),
                learnt: l.learnt,
            }),
        }
    }
}

impl Rewrite<Id> for PaxosStorage {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            PaxosStorage::Acceptor(a) => PaxosStorage::Acceptor(a.rewrite(plan)),
            other => other.clone(),
        }
    }
}

/// The parameters of a single-decree Paxos system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct PaxosCfg {
    /// Number of proposers, `Id(0)..Id(proposers)`. Must be in 1..=3; 1 is the paper's
    /// distinguished proposer, 2 shows duelling proposers.
    pub proposers: usize,
    /// Number of acceptors, after the proposers. Must be in 1..=5; 3 or 5 are sensible.
    pub acceptors: usize,
    /// Number of learners, after the acceptors. Must be in 1..=3; 1 is enough to check.
    pub learners: usize,
    /// Number of distinct values: proposer `i` proposes `i % values`. Must be in 1..=3.
    pub values: usize,
    /// Ballots (rounds) per proposer, after which a retrying proposer gives up. Must be in
    /// 1..=4; the state space grows steeply with it.
    pub ballots: Round,
    /// Acceptors that form a quorum (phase 1 and phase 2, and for learners). Must be in
    /// 1..=acceptors; a majority is correct, half or less is the broken variant.
    pub quorum: usize,
    /// Whether an acceptor's promise survives a crash (true: the protocol).
    pub durable: bool,
    /// Whether proposers with competitors abandon ballots on a retry timer (true) or keep
    /// their one ballot (false; then `ballots` beyond 1 are never used).
    pub retry: bool,
    /// Network and fault settings. `crashes` counts all actors.
    pub system: SystemCfg,
}

impl PaxosCfg {
    /// Acceptors: 1..=5 (3 or 5 are sensible).
    pub const ACCEPTORS: Bounds = Bounds::new("acceptors", 1, 5, 3);
    /// Proposers: 1..=3; 1 is the paper's distinguished proposer, 2 lets them compete.
    pub const PROPOSERS: Bounds = Bounds::new("proposers", 1, 3, 2);
    /// Learners: 1..=3.
    pub const LEARNERS: Bounds = Bounds::new("learners", 1, 3, 1);
    /// Distinct values (proposer i proposes i mod values): 1..=3.
    pub const VALUES: Bounds = Bounds::new("values", 1, 3, 2);
    /// Ballots per proposer before a retrying proposer gives up: 1..=4.
    pub const BALLOTS: Bounds = Bounds::new("ballots", 1, 4, 1);
    /// Acceptors per quorum, 0 meaning a majority (half or less is the broken variant).
    pub const QUORUM: Bounds = Bounds::new("quorum", 0, 5, 0);
    /// Whether competing proposers retry on a timer unless told otherwise: off, so that the
    /// default configuration is the paper's without a duel.
    pub const RETRY: bool = false;
    /// Any network (unordered, non-duplicating by default); up to 11 actors down at once.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 11);

    /// A validated configuration with a majority quorum, durable acceptors and
    /// [`PaxosCfg::RETRY`].
    pub fn new(
        proposers: usize,
        acceptors: usize,
        values: usize,
        ballots: Round,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::PROPOSERS.check_usize(proposers)?;
        Self::ACCEPTORS.check_usize(acceptors)?;
        Self::VALUES.check_usize(values)?;
        Self::BALLOTS.check(u64::from(ballots))?;
        let cfg = Self {
            proposers,
            acceptors,
            learners: 1,
            values,
            ballots,
            quorum: acceptors / 2 + 1,
            durable: true,
            retry: Self::RETRY,
            system,
        };
        cfg.check_crashes()?;
        Ok(cfg)
    }

    /// The same configuration with `quorum` acceptors per quorum (1..=acceptors).
    pub fn with_quorum(self, quorum: usize) -> Result<Self, CfgError> {
        Bounds::new("quorum", 1, self.acceptors as u64, 0).check_usize(quorum)?;
        Ok(Self { quorum, ..self })
    }

    /// The same configuration with `learners` learners (1..=3).
    pub fn with_learners(self, learners: usize) -> Result<Self, CfgError> {
        Self::LEARNERS.check_usize(learners)?;
        let cfg = Self { learners, ..self };
        cfg.check_crashes()?;
        Ok(cfg)
    }

    /// The same configuration with or without retry timers for competing proposers.
    pub fn with_retry(self, retry: bool) -> Self {
        Self { retry, ..self }
    }

    /// The same configuration with durable (true) or forgetful (false) acceptors.
    pub fn with_durable(self, durable: bool) -> Self {
        Self { durable, ..self }
    }

    fn check_crashes(&self) -> Result<(), CfgError> {
        self.system
            .check_crashes(self.proposers + self.acceptors + self.learners)
    }

    pub fn proposer_ids(&self) -> Vec<Id> {
        Id::vec_from(0..self.proposers)
    }

    pub fn acceptor_ids(&self) -> Vec<Id> {
        Id::vec_from(self.proposers..self.proposers + self.acceptors)
    }

    pub fn learner_ids(&self) -> Vec<Id> {
        let first = self.proposers + self.acceptors;
        Id::vec_from(first..first + self.learners)
    }

    /// The value proposer `i` proposes.
    pub fn value_of(&self, proposer: usize) -> Value {
        proposer % self.values
    }

    /// The values some proposer proposes.
    pub fn proposed(&self) -> BTreeSet<Value> {
        (0..self.proposers).map(|i| self.value_of(i)).collect()
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<PaxosActor, PaxosCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for PaxosCfg {
    type Actor = PaxosActor;

    fn actors(&self) -> Vec<PaxosActor> {
        let proposers = (0..self.proposers).map(|i| PaxosActor::Proposer {
            value: self.value_of(i),
            acceptors: self.acceptor_ids(),
            quorum: self.quorum,
            rounds: self.ballots,
            retry: self.retry && self.proposers > 1,
        });
        let acceptors = (0..self.acceptors).map(|_| PaxosActor::Acceptor {
            learners: self.learner_ids(),
            durable: self.durable,
        });
        let learners = (0..self.learners).map(|_| PaxosActor::Learner {
            quorum: self.quorum,
        });
        proposers.chain(acceptors).chain(learners).collect()
    }

    fn actor_name(&self, id: Id) -> String {
        let i = usize::from(id);
        if i < self.proposers {
            format!("p{}", i + 1)
        } else if i < self.proposers + self.acceptors {
            format!("a{}", i - self.proposers + 1)
        } else {
            format!("l{}", i - self.proposers - self.acceptors + 1)
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}
