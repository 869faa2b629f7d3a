//! Paxos Commit, as stateright actors.
//!
//! # Problem
//!
//! Atomic commitment, as for two-phase commit (`crate::two_phase_commit`): resource managers
//! (RMs) vote on a transaction and must all commit or all abort. Two-phase commit blocks when
//! its transaction manager fails after the votes; three-phase commit (`crate::three_phase_commit`)
//! does not, but only if failures are detected accurately. Paxos Commit never decides wrongly,
//! whatever the timing, and blocks only when more than `F` of its `2F + 1` acceptors are down.
//!
//! # Source
//!
//! J. Gray and L. Lamport, "Consensus on Transaction Commit", ACM TODS 31(1), 2006, section 4
//! (Paxos Commit) and the TLA+ module `PaxosCommit` of its appendix. The properties live in
//! `specs::paxos_commit`.
//!
//! # Algorithm
//!
//! Actor `Id(0)` is the initial leader (the paper's registrar / TM), actors `Id(1)..=Id(rms)`
//! are the RMs, then come the `2F + 1` acceptors, then the backup leaders. Each RM's vote is
//! the value (`Prepared` or `Aborted`) chosen by its own instance of Paxos; the transaction
//! commits if and only if every instance chose `Prepared`.
//!
//! 1. The initial leader sends `Prepare` to every RM.
//! 2. An RM votes: it logs its vote and sends it straight to every acceptor as the phase 2a
//!    message of ballot 0 of its own instance (`Phase2aFast`). Ballot 0 belongs to the RM
//!    alone, so it needs no phase 1 (the paper's fast first ballot). A No voter aborts at once.
//! 3. An acceptor that has promised no higher ballot accepts, logs, and sends the phase 2b
//!    message (`Phase2bFast`) to the initial leader.
//! 4. An instance is chosen when `F + 1` acceptors accepted it in the same ballot. Once every
//!    instance chose `Prepared` the leader commits; once one chose `Aborted` it aborts. It
//!    logs the decision and tells every RM.
//!
//! A leader that suspects an instance will never be chosen runs a full ballot of its own for
//! every instance at once: `Phase1a`; each acceptor promises and reports what it accepted in
//! each instance (`Phase1b`); with `F + 1` reports the leader proposes, per instance, the value
//! of the highest ballot reported, or `Aborted` if none was (`Phase2a`, one message per
//! acceptor for all instances, as the paper allows); with `F + 1` acceptances (`Phase2b`) every
//! instance is chosen and the leader decides as above. Leader `k` owns ballot `k + 1`: the
//! initial leader runs ballot 1 when its vote timer fires (the paper's timeout on a silent
//! RM), backup leader `k` runs ballot `k + 1` when its takeover timer fires.
//!
//! # Fault and network model
//!
//! Messages may be delayed, reordered and, per [`SystemCfg`], duplicated or lost; nothing is
//! retransmitted, so a lossy network may leave an instance unchosen for ever, as in 2PC. Any
//! node may crash and recover from its log: an acceptor logs its promise and its votes, an RM
//! its vote and phase, a leader its decision. A recovered leader that had not decided no longer
//! leads (its tallies are gone): the next leader takes over. When a timer may fire is the
//! failure detector, part of the checked model (`specs::paxos_commit`):
//!
//! - [`Detector::Accurate`] (the default): the initial leader's vote timer fires only when some
//!   RM is crashed (its vote may never come), and backup leader `k` takes over only when every
//!   leader below it is down (crashed, or recovered and so no longer leading);
//! - [`Detector::Timeout`]: either timer may fire at any time, as 2PC's vote timer does, and a
//!   backup may take over while the others still lead. Paxos Commit stays safe: that is its
//!   point.
//!
//! # Deviations from the paper
//!
//! - The transaction starts at the initial leader, not with an RM's `BeginCommit` request:
//!   the measured message delays count from the leader's first message (see the README).
//! - The initial leader is a node of its own, and acceptors are not co-located with RMs, so
//!   no message is saved by sending it to oneself.
//! - Each leader runs one full ballot, its own; a failed leader is replaced by the next one,
//!   not by itself again. The number of leaders bounds the ballots, so the state space is
//!   finite.
//! - RMs learn the outcome only from a leader's `Commit` / `Abort`; acceptors do not send their
//!   phase 2b messages to the RMs (the paper's Faster Paxos Commit).
//! - An RM's vote is an explicit random choice ([`Vote`]), so the checker explores both.
//! - [`Bug`] holds deliberately broken variants, kept to show the checker catches them.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The id of the initial leader.
pub const LEADER_ID: usize = 0;

/// A ballot number: 0 is the RMs' own, leader `k` owns `k + 1`.
pub type Ballot = usize;

/// A value an instance may choose: its RM's vote.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Value {
    Prepared,
    Aborted,
}

/// What an acceptor accepted in one instance: the ballot and the value.
pub type Accepted = Option<(Ballot, Value)>;

/// A message of Paxos Commit.
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
/// Its variants without their fields, [`PaxosCommitMsgKind`], name the message kinds a
/// protocol declares (coverage, action kinds).
#[strum_discriminants(name(PaxosCommitMsgKind), derive(strum::IntoStaticStr))]
pub enum PaxosCommitMsg {
    /// Initial leader -> RM: vote.
    Prepare,
    /// RM -> acceptor: phase 2a of ballot 0 of the sender's instance, with its vote.
    Phase2aFast { value: Value },
    /// Acceptor -> initial leader: phase 2b of ballot 0 of `rm`'s instance.
    Phase2bFast { rm: Id, value: Value },
    /// Leader -> acceptor: phase 1a of `ballot`, for every instance.
    Phase1a { ballot: Ballot },
    /// Acceptor -> leader: phase 1b of `ballot`: what it accepted in each instance (RM `i`
    /// at index `i - 1`).
    Phase1b {
        ballot: Ballot,
        accepted: Vec<Accepted>,
    },
    /// Leader -> acceptor: phase 2a of `ballot`, a value for each instance.
    Phase2a { ballot: Ballot, values: Vec<Value> },
    /// Acceptor -> leader: phase 2b of `ballot`, for every instance.
    Phase2b { ballot: Ballot },
    /// Leader -> RM: the transaction commits.
    Commit,
    /// Leader -> RM: the transaction aborts.
    Abort,
}

/// An RM's vote.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Vote {
    Yes,
    No,
}

/// The outcome of the transaction.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Decision {
    Commit,
    Abort,
}

/// The waits that time out.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PaxosCommitTimer {
    /// The initial leader, for ballot 0 to choose every instance.
    VoteTimeout,
    /// A backup leader, for the leaders below it.
    Takeover,
}

/// An RM's phase (the paper's `rmState`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RmPhase {
    Working,
    Prepared,
    Committed,
    Aborted,
}

/// An RM's state; also what it logs.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct RmState {
    pub phase: RmPhase,
    /// The vote it cast, if any.
    pub vote: Option<Vote>,
}

/// An acceptor's state, for every instance at once; also what it logs.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct AcceptorState {
    /// The highest ballot it took part in (the paper's `mbal`, shared by the instances: every
    /// ballot above 0 covers them all).
    pub promised: Ballot,
    /// What it accepted in each instance, RM `i` at index `i - 1`.
    pub accepted: Vec<Accepted>,
}

/// Where a leader is.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum LeaderPhase {
    /// The initial leader, learning ballot 0: each `(rm, acceptor, value)` phase 2b heard.
    Fast { heard: BTreeSet<(Id, Id, Value)> },
    /// A backup leader waiting to take over, or a recovered leader that no longer leads.
    Idle,
    /// Phase 1 of its ballot: the reports so far, by acceptor.
    Phase1 {
        ballot: Ballot,
        reports: BTreeMap<Id, Vec<Accepted>>,
    },
    /// Phase 2 of its ballot: what it proposed and who accepted.
    Phase2 {
        ballot: Ballot,
        values: Vec<Value>,
        acks: BTreeSet<Id>,
    },
    /// Decided (logged).
    Decided(Decision),
}

/// A leader's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct LeaderState {
    pub phase: LeaderPhase,
    /// Whether this life began with a recovery (then it no longer leads).
    pub recovered: bool,
}

impl LeaderState {
    /// The leader's decision, if it made one.
    pub fn decision(&self) -> Option<Decision> {
        match self.phase {
            LeaderPhase::Decided(d) => Some(d),
            _ => None,
        }
    }
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PaxosCommitState {
    Leader(LeaderState),
    Rm(RmState),
    Acceptor(AcceptorState),
}

/// What a node logs.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PaxosCommitStorage {
    /// A leader: its decision, once made (`None`: it has started).
    Leader(Option<Decision>),
    Rm(RmState),
    Acceptor(AcceptorState),
}

/// Which failure detector the model assumes for the backup leaders (see the module docs).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Detector {
    /// A backup takes over only when every leader below it is down.
    Accurate,
    /// A backup may take over at any time.
    Timeout,
}

/// Which nodes the model checker lets crash (see [`PaxosCommitCfg::crashable`]).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Crashable {
    /// Any node, up to `crashes` at once.
    Any,
    /// Only the initial leader and the first acceptor: with `crashes=2`, the smallest setting
    /// in which a backup leader must take over with `F = 1` acceptor down.
    Leader0A1,
}

/// Deliberately broken variants.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Bug {
    /// The protocol.
    None,
    /// The initial leader commits once one instance chose `Prepared`, not every one.
    CommitWithoutAllPrepared,
    /// An acceptor accepts a phase 2a message of a ballot below its promise.
    AcceptLowerBallot,
    /// The initial leader aborts when its vote timer fires, as a 2PC TM does, instead of
    /// running a ballot that chooses `Aborted` for the silent instances.
    AbortOnTimeout,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum PaxosCommitActor {
    /// Leader `index` (0: the initial leader), which knows the RMs and the acceptors.
    Leader {
        index: usize,
        rms: Vec<Id>,
        acceptors: Vec<Id>,
        bug: Bug,
    },
    /// An RM, which knows the acceptors.
    Rm { acceptors: Vec<Id> },
    /// An acceptor, which knows the RMs (instance `i` is RM `rms[i]`) and where each ballot's
    /// leader is.
    Acceptor {
        rms: Vec<Id>,
        leaders: Vec<Id>,
        bug: Bug,
    },
}

/// How long the initial leader waits for ballot 0 (the model checker ignores durations).
fn vote_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(500)..Duration::from_millis(1000)
}

/// How long a backup leader waits before it takes over: longer than the initial leader.
fn takeover_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(1000)..Duration::from_millis(2000)
}

impl Actor for PaxosCommitActor {
    type Msg = PaxosCommitMsg;
    type State = PaxosCommitState;
    type Timer = PaxosCommitTimer;
    type Random = Vote;
    type Storage = PaxosCommitStorage;

    fn name(&self) -> String {
        match self {
            PaxosCommitActor::Leader { .. } => "leader".to_string(),
            PaxosCommitActor::Rm { .. } => "rm".to_string(),
            PaxosCommitActor::Acceptor { .. } => "acceptor".to_string(),
        }
    }

    fn on_start(
        &self,
        _id: Id,
        storage: &Option<Self::Storage>,
        o: &mut Out<Self>,
    ) -> PaxosCommitState {
        match self {
            PaxosCommitActor::Leader { index, rms, .. } => {
                PaxosCommitState::Leader(leader_start(*index, rms, storage, o))
            }
            PaxosCommitActor::Rm { acceptors } => {
                PaxosCommitState::Rm(rm_start(acceptors, storage, o))
            }
            PaxosCommitActor::Acceptor { rms, .. } => PaxosCommitState::Acceptor(match storage {
                Some(PaxosCommitStorage::Acceptor(a)) => a.clone(),
                _ => AcceptorState {
                    promised: 0,
                    accepted: vec![None; rms.len()],
                },
            }),
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
            (PaxosCommitActor::Leader { .. }, PaxosCommitState::Leader(l)) => {
                leader_on_msg(self, l, src, msg, o).map(PaxosCommitState::Leader)
            }
            (PaxosCommitActor::Rm { .. }, PaxosCommitState::Rm(rm)) => {
                rm_on_msg(rm, msg, o).map(PaxosCommitState::Rm)
            }
            (PaxosCommitActor::Acceptor { rms, leaders, bug }, PaxosCommitState::Acceptor(a)) => {
                let me = AcceptorCfg { rms, leaders, bug };
                me.on_msg(a, src, msg, o).map(PaxosCommitState::Acceptor)
            }
            _ => unreachable!("an actor's state always matches its role"),
        };
        if let Some(next) = next {
            *state.to_mut() = next;
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        let PaxosCommitActor::Leader {
            index,
            acceptors,
            rms,
            bug,
        } = self
        else {
            return;
        };
        let PaxosCommitState::Leader(l) = &**state else {
            return;
        };
        if l.recovered {
            return;
        }
        let ballot = index + 1;
        let next = match (&l.phase, timer) {
            (LeaderPhase::Fast { .. }, PaxosCommitTimer::VoteTimeout)
                if *bug == Bug::AbortOnTimeout =>
            {
                decide(rms, Decision::Abort, o)
            }
            (LeaderPhase::Fast { .. }, PaxosCommitTimer::VoteTimeout)
            | (LeaderPhase::Idle, PaxosCommitTimer::Takeover) => {
                o.broadcast(acceptors, &PaxosCommitMsg::Phase1a { ballot });
                LeaderPhase::Phase1 {
                    ballot,
                    reports: BTreeMap::new(),
                }
            }
            _ => return,
        };
        *state.to_mut() = PaxosCommitState::Leader(LeaderState {
            phase: next,
            recovered: false,
        });
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        o: &mut Out<Self>,
    ) {
        let (PaxosCommitActor::Rm { acceptors }, PaxosCommitState::Rm(rm)) = (self, &**state)
        else {
            return;
        };
        // A choice left pending past a decision is stale.
        if rm.phase != RmPhase::Working || rm.vote.is_some() {
            return;
        }
        let (phase, value) = match random {
            Vote::Yes => (RmPhase::Prepared, Value::Prepared),
            Vote::No => (RmPhase::Aborted, Value::Aborted),
        };
        let next = RmState {
            phase,
            vote: Some(*random),
        };
        o.save(PaxosCommitStorage::Rm(next));
        o.broadcast(acceptors, &PaxosCommitMsg::Phase2aFast { value });
        *state.to_mut() = PaxosCommitState::Rm(next);
    }
}

/// A leader's start: fresh, or recovering from its log.
fn leader_start(
    index: usize,
    rms: &[Id],
    storage: &Option<PaxosCommitStorage>,
    o: &mut Out<PaxosCommitActor>,
) -> LeaderState {
    match storage {
        None => {
            // Logged so that a recovery is told from a fresh start.
            o.save(PaxosCommitStorage::Leader(None));
            let phase = if index == 0 {
                o.broadcast(rms, &PaxosCommitMsg::Prepare);
                o.set_timer(PaxosCommitTimer::VoteTimeout, vote_wait());
                LeaderPhase::Fast {
                    heard: BTreeSet::new(),
                }
            } else {
                o.set_timer(PaxosCommitTimer::Takeover, takeover_wait());
                LeaderPhase::Idle
            };
            LeaderState {
                phase,
                recovered: false,
            }
        }
        // Its tallies are lost: the next leader takes over. A decision went out in the step
        // that logged it.
        Some(PaxosCommitStorage::Leader(decision)) => LeaderState {
            phase: decision.map_or(LeaderPhase::Idle, LeaderPhase::Decided),
            recovered: true,
        },
        Some(_) => unreachable!("a leader saves leader storage only"),
    }
}

/// A leader decides: it logs the decision, then tells every RM.
fn decide(rms: &[Id], decision: Decision, o: &mut Out<PaxosCommitActor>) -> LeaderPhase {
    o.save(PaxosCommitStorage::Leader(Some(decision)));
    let msg = match decision {
        Decision::Commit => PaxosCommitMsg::Commit,
        Decision::Abort => PaxosCommitMsg::Abort,
    };
    o.broadcast(rms, &msg);
    o.cancel_timer(PaxosCommitTimer::VoteTimeout);
    o.cancel_timer(PaxosCommitTimer::Takeover);
    LeaderPhase::Decided(decision)
}

/// The decision the chosen values make: commit iff every instance chose `Prepared`.
fn outcome(values: &[Value]) -> Decision {
    if values.iter().all(|&v| v == Value::Prepared) {
        Decision::Commit
    } else {
        Decision::Abort
    }
}

/// A leader's reaction to a message; `None` leaves its state untouched.
fn leader_on_msg(
    actor: &PaxosCommitActor,
    l: &LeaderState,
    src: Id,
    msg: PaxosCommitMsg,
    o: &mut Out<PaxosCommitActor>,
) -> Option<LeaderState> {
    let PaxosCommitActor::Leader {
        rms,
        acceptors,
        bug,
        ..
    } = actor
    else {
        unreachable!("a leader's configuration")
    };
    if l.recovered {
        return None;
    }
    let quorum = acceptors.len() / 2 + 1;
    let phase = match (&l.phase, msg) {
        (LeaderPhase::Fast { heard }, PaxosCommitMsg::Phase2bFast { rm, value }) => {
            let chosen = |heard: &BTreeSet<(Id, Id, Value)>, rm: Id, v: Value| {
                heard.iter().filter(|&&(r, _, x)| r == rm && x == v).count() >= quorum
            };
            // Once an instance is chosen, more of its phase 2b messages tell nothing new.
            if chosen(heard, rm, value) {
                return None;
            }
            let mut heard = heard.clone();
            if !heard.insert((rm, src, value)) {
                return None;
            }
            let chosen = |rm: Id, v: Value| chosen(&heard, rm, v);
            let all_prepared = rms.iter().all(|&r| chosen(r, Value::Prepared));
            let some_prepared = rms.iter().any(|&r| chosen(r, Value::Prepared));
            if all_prepared || (*bug == Bug::CommitWithoutAllPrepared && some_prepared) {
                decide(rms, Decision::Commit, o)
            } else if rms.iter().any(|&r| chosen(r, Value::Aborted)) {
                decide(rms, Decision::Abort, o)
            } else {
                LeaderPhase::Fast { heard }
            }
        }
        (
            LeaderPhase::Phase1 { ballot, reports },
            PaxosCommitMsg::Phase1b {
                ballot: b,
                accepted,
            },
        ) if b == *ballot && !reports.contains_key(&src) => {
            let mut reports = reports.clone();
            reports.insert(src, accepted);
            if reports.len() < quorum {
                LeaderPhase::Phase1 {
                    ballot: *ballot,
                    reports,
                }
            } else {
                let values = propose(rms.len(), &reports);
                o.broadcast(
                    acceptors,
                    &PaxosCommitMsg::Phase2a {
                        ballot: *ballot,
                        values: values.clone(),
                    },
                );
                LeaderPhase::Phase2 {
                    ballot: *ballot,
                    values,
                    acks: BTreeSet::new(),
                }
            }
        }
        (
            LeaderPhase::Phase2 {
                ballot,
                values,
                acks,
            },
            PaxosCommitMsg::Phase2b { ballot: b },
        ) if b == *ballot && !acks.contains(&src) => {
            let mut acks = acks.clone();
            acks.insert(src);
            if acks.len() < quorum {
                LeaderPhase::Phase2 {
                    ballot: *ballot,
                    values: values.clone(),
                    acks,
                }
            } else {
                decide(rms, outcome(values), o)
            }
        }
        _ => return None,
    };
    Some(LeaderState {
        phase,
        recovered: false,
    })
}

/// Paxos's rule for phase 2, per instance: the value of the highest ballot any report
/// accepted, or `Aborted` (the paper's rule for an instance with no vote) if none did.
fn propose(instances: usize, reports: &BTreeMap<Id, Vec<Accepted>>) -> Vec<Value> {
    (0..instances)
        .map(|i| {
            reports
                .values()
                .filter_map(|accepted| accepted[i])
                .max()
                .map_or(Value::Aborted, |(_, v)| v)
        })
        .collect()
}

/// An RM's start: fresh, or recovering from its log.
fn rm_start(
    acceptors: &[Id],
    storage: &Option<PaxosCommitStorage>,
    o: &mut Out<PaxosCommitActor>,
) -> RmState {
    match storage {
        None => {
            let rm = RmState {
                phase: RmPhase::Working,
                vote: None,
            };
            o.save(PaxosCommitStorage::Rm(rm));
            rm
        }
        // It never sent a vote (it logs before sending), so it may still vote at ballot 0,
        // but it forgot whether it could commit: it votes no.
        Some(PaxosCommitStorage::Rm(RmState {
            phase: RmPhase::Working,
            ..
        })) => {
            let rm = RmState {
                phase: RmPhase::Aborted,
                vote: Some(Vote::No),
            };
            o.save(PaxosCommitStorage::Rm(rm));
            o.broadcast(
                acceptors,
                &PaxosCommitMsg::Phase2aFast {
                    value: Value::Aborted,
                },
            );
            rm
        }
        Some(PaxosCommitStorage::Rm(rm)) => *rm,
        Some(_) => unreachable!("an RM saves RM storage only"),
    }
}

/// An RM's reaction to a message. Decisions are applied even when they contradict an earlier
/// one, so that a broken variant shows as a violated property instead of being masked.
fn rm_on_msg(rm: &RmState, msg: PaxosCommitMsg, o: &mut Out<PaxosCommitActor>) -> Option<RmState> {
    let phase = match msg {
        PaxosCommitMsg::Prepare if rm.phase == RmPhase::Working && rm.vote.is_none() => {
            o.choose_random("vote", vec![Vote::Yes, Vote::No]);
            return None;
        }
        PaxosCommitMsg::Commit if rm.phase != RmPhase::Committed => RmPhase::Committed,
        PaxosCommitMsg::Abort if rm.phase != RmPhase::Aborted => RmPhase::Aborted,
        _ => return None,
    };
    if rm.phase == RmPhase::Working {
        o.remove_random("vote");
    }
    let next = RmState { phase, ..*rm };
    o.save(PaxosCommitStorage::Rm(next));
    Some(next)
}

/// One acceptor's view of its configuration, for its handler.
struct AcceptorCfg<'a> {
    rms: &'a [Id],
    leaders: &'a [Id],
    bug: &'a Bug,
}

impl AcceptorCfg<'_> {
    fn on_msg(
        &self,
        a: &AcceptorState,
        src: Id,
        msg: PaxosCommitMsg,
        o: &mut Out<PaxosCommitActor>,
    ) -> Option<AcceptorState> {
        let lower_ok = *self.bug == Bug::AcceptLowerBallot;
        let next = match msg {
            PaxosCommitMsg::Phase2aFast { value } if a.promised == 0 || lower_ok => {
                let i = self.rms.iter().position(|&r| r == src)?;
                if a.accepted[i] == Some((0, value)) {
                    return None;
                }
                let mut next = a.clone();
                next.accepted[i] = Some((0, value));
                o.send(
                    self.leaders[0],
                    PaxosCommitMsg::Phase2bFast { rm: src, value },
                );
                next
            }
            PaxosCommitMsg::Phase1a { ballot } if ballot > a.promised => {
                o.send(
                    src,
                    PaxosCommitMsg::Phase1b {
                        ballot,
                        accepted: a.accepted.clone(),
                    },
                );
                AcceptorState {
                    promised: ballot,
                    accepted: a.accepted.clone(),
                }
            }
            PaxosCommitMsg::Phase2a { ballot, values } if ballot >= a.promised || lower_ok => {
                let accepted: Vec<Accepted> = values.iter().map(|&v| Some((ballot, v))).collect();
                if a.promised == ballot && a.accepted == accepted {
                    return None;
                }
                o.send(src, PaxosCommitMsg::Phase2b { ballot });
                AcceptorState {
                    promised: ballot.max(a.promised),
                    accepted,
                }
            }
            _ => return None,
        };
        // The log comes before the messages in the same step (the runtime writes it first).
        o.save(PaxosCommitStorage::Acceptor(next.clone()));
        Some(next)
    }
}

/// The parameters of a Paxos Commit system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct PaxosCommitCfg {
    /// Number of resource managers (actors `Id(1)..=Id(rms)`). Must be in 1..=6; 2 is a good
    /// default (see [`PaxosCommitCfg::RMS`]).
    pub rms: usize,
    /// Acceptor failures tolerated: there are `2 * faults + 1` acceptors. Must be in 0..=2.
    pub faults: usize,
    /// Leaders, the initial one included: 1..=3. Each runs at most one full ballot.
    pub leaders: usize,
    /// Network and fault settings. `crashes` counts all actors.
    pub system: SystemCfg,
    /// When a backup leader may take over (see [`Detector`]).
    pub detector: Detector,
    /// A deliberately broken variant, or [`Bug::None`].
    pub bug: Bug,
    /// Which nodes may crash, for the model checker only ([`Crashable::Any`] unless set by
    /// [`PaxosCommitCfg::with_crashes_of`]); the simulator's nemesis crashes any node.
    pub crashable: Crashable,
    /// Whether the model checker lets a crashed node recover (true unless set by
    /// [`PaxosCommitCfg::with_crashes_of`]); false is crash-stop.
    pub recover: bool,
}

impl PaxosCommitCfg {
    /// Resource managers: 1..=6; 2 checks in a fraction of a second with one fault and two
    /// leaders (3 in about ten seconds).
    pub const RMS: Bounds = Bounds::new("rms", 1, 6, 2);
    /// Acceptor failures tolerated (`F`): 0..=2, 1 by default (three acceptors).
    pub const FAULTS: Bounds = Bounds::new("faults", 0, 2, 1);
    /// Leaders: 1..=3, 2 by default (the initial leader and one backup).
    pub const LEADERS: Bounds = Bounds::new("leaders", 1, 3, 2);
    /// Any network (unordered, non-duplicating by default); up to 16 actors down at once.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 16);

    /// A validated configuration.
    pub fn new(
        rms: usize,
        faults: usize,
        leaders: usize,
        system: SystemCfg,
        detector: Detector,
        bug: Bug,
    ) -> Result<Self, CfgError> {
        Self::RMS.check_usize(rms)?;
        Self::FAULTS.check_usize(faults)?;
        Self::LEADERS.check_usize(leaders)?;
        let cfg = Self {
            rms,
            faults,
            leaders,
            system,
            detector,
            bug,
            crashable: Crashable::Any,
            recover: true,
        };
        system.check_crashes(cfg.actor_count())?;
        Ok(cfg)
    }

    /// This configuration with the checker's crashes restricted to `crashable`, and
    /// recoveries allowed (`recover`) or not (crash-stop).
    pub fn with_crashes_of(self, crashable: Crashable, recover: bool) -> Self {
        Self {
            crashable,
            recover,
            ..self
        }
    }

    /// Whether the model checker may crash node `id` (see [`Crashable`]).
    pub fn may_crash(&self, id: Id) -> bool {
        match self.crashable {
            Crashable::Any => true,
            Crashable::Leader0A1 => {
                usize::from(id) == LEADER_ID || Some(&id) == self.acceptor_ids().first()
            }
        }
    }

    /// Number of acceptors: `2F + 1`.
    pub fn acceptor_count(&self) -> usize {
        2 * self.faults + 1
    }

    /// Number of actors.
    pub fn actor_count(&self) -> usize {
        self.rms + self.acceptor_count() + self.leaders
    }

    /// The ids of the RMs.
    pub fn rm_ids(&self) -> Vec<Id> {
        Id::vec_from(LEADER_ID + 1..=self.rms)
    }

    /// The ids of the acceptors.
    pub fn acceptor_ids(&self) -> Vec<Id> {
        Id::vec_from(self.rms + 1..=self.rms + self.acceptor_count())
    }

    /// The ids of the leaders, the initial one first.
    pub fn leader_ids(&self) -> Vec<Id> {
        let first_backup = self.rms + self.acceptor_count() + 1;
        std::iter::once(Id::from(LEADER_ID))
            .chain(Id::vec_from(first_backup..first_backup + self.leaders - 1))
            .collect()
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<PaxosCommitActor, PaxosCommitCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for PaxosCommitCfg {
    type Actor = PaxosCommitActor;

    fn actors(&self) -> Vec<PaxosCommitActor> {
        let (rms, acceptors, leaders) = (self.rm_ids(), self.acceptor_ids(), self.leader_ids());
        let leader = |index| PaxosCommitActor::Leader {
            index,
            rms: rms.clone(),
            acceptors: acceptors.clone(),
            bug: self.bug,
        };
        let rm = PaxosCommitActor::Rm {
            acceptors: acceptors.clone(),
        };
        let acceptor = PaxosCommitActor::Acceptor {
            rms: rms.clone(),
            leaders: leaders.clone(),
            bug: self.bug,
        };
        std::iter::once(leader(0))
            .chain(std::iter::repeat_n(rm, self.rms))
            .chain(std::iter::repeat_n(acceptor, self.acceptor_count()))
            .chain((1..self.leaders).map(leader))
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        let i = usize::from(id);
        if i == LEADER_ID {
            "leader0".to_string()
        } else if i <= self.rms {
            format!("rm{i}")
        } else if i <= self.rms + self.acceptor_count() {
            format!("a{}", i - self.rms)
        } else {
            format!("leader{}", i - self.rms - self.acceptor_count())
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::Command;

    fn cfg(rms: usize, faults: usize, leaders: usize) -> PaxosCommitCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        PaxosCommitCfg::new(rms, faults, leaders, system, Detector::Accurate, Bug::None).unwrap()
    }

    fn sends(o: &Out<PaxosCommitActor>) -> Vec<(usize, PaxosCommitMsg)> {
        o.iter()
            .filter_map(|c| match c {
                Command::Send(dst, m) => Some((usize::from(*dst), m.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn new_validates_every_setting() {
        let system = cfg(2, 1, 2).system;
        let new = |rms, faults, leaders, system| {
            PaxosCommitCfg::new(rms, faults, leaders, system, Detector::Accurate, Bug::None)
        };
        assert!(new(0, 1, 2, system).is_err());
        assert!(new(7, 1, 2, system).is_err());
        assert!(new(2, 3, 2, system).is_err());
        assert!(new(2, 1, 0, system).is_err());
        assert!(new(2, 1, 4, system).is_err());
        let crashes = |crashes| SystemCfg { crashes, ..system };
        assert!(new(2, 1, 2, crashes(7)).is_ok());
        assert!(new(2, 1, 2, crashes(8)).is_err());
    }

    #[test]
    fn ids_and_names_follow_the_layout() {
        let c = cfg(2, 1, 2);
        assert_eq!(c.rm_ids(), Id::vec_from(1..=2));
        assert_eq!(c.acceptor_ids(), Id::vec_from(3..=5));
        assert_eq!(c.leader_ids(), [Id::from(0), Id::from(6)]);
        let names: Vec<String> = (0..7).map(|i| c.actor_name(Id::from(i))).collect();
        assert_eq!(
            names,
            ["leader0", "rm1", "rm2", "a1", "a2", "a3", "leader1"]
        );
    }

    #[test]
    fn a_new_ballot_proposes_the_highest_accepted_value_or_aborted() {
        let reports = BTreeMap::from([
            (
                Id::from(3),
                vec![Some((0, Value::Prepared)), None, Some((0, Value::Prepared))],
            ),
            (Id::from(4), vec![None, None, Some((1, Value::Aborted))]),
        ]);
        assert_eq!(
            propose(3, &reports),
            [Value::Prepared, Value::Aborted, Value::Aborted]
        );
    }

    #[test]
    fn an_acceptor_refuses_a_ballot_below_its_promise() {
        let c = cfg(1, 1, 2);
        let actor = &c.actors()[2];
        let promised = PaxosCommitState::Acceptor(AcceptorState {
            promised: 2,
            accepted: vec![None],
        });
        let mut o = Out::new();
        let mut s = Cow::Borrowed(&promised);
        let fast = PaxosCommitMsg::Phase2aFast {
            value: Value::Prepared,
        };
        actor.on_msg(Id::from(2), &mut s, Id::from(1), fast.clone(), &mut o);
        assert!(matches!(s, Cow::Borrowed(_)));
        assert!(o.is_empty());
        // The broken acceptor takes it.
        let broken = PaxosCommitCfg {
            bug: Bug::AcceptLowerBallot,
            ..c
        };
        let mut s = Cow::Borrowed(&promised);
        broken.actors()[2].on_msg(Id::from(2), &mut s, Id::from(1), fast, &mut o);
        let PaxosCommitState::Acceptor(a) = s.into_owned() else {
            panic!()
        };
        assert_eq!(a.accepted, [Some((0, Value::Prepared))]);
        assert_eq!(
            sends(&o),
            [(
                0,
                PaxosCommitMsg::Phase2bFast {
                    rm: Id::from(1),
                    value: Value::Prepared
                }
            )]
        );
    }

    #[test]
    fn the_initial_leader_commits_once_every_instance_chose_prepared() {
        let c = cfg(2, 1, 1);
        let leader = &c.actors()[0];
        let mut state = PaxosCommitState::Leader(LeaderState {
            phase: LeaderPhase::Fast {
                heard: BTreeSet::new(),
            },
            recovered: false,
        });
        let mut last = Out::new();
        for (rm, acceptor) in [(1, 3), (1, 4), (2, 3), (2, 5)] {
            let mut o = Out::new();
            let mut s = Cow::Borrowed(&state);
            let msg = PaxosCommitMsg::Phase2bFast {
                rm: Id::from(rm),
                value: Value::Prepared,
            };
            leader.on_msg(Id::from(0), &mut s, Id::from(acceptor), msg, &mut o);
            state = s.into_owned();
            last = o;
        }
        let PaxosCommitState::Leader(l) = &state else {
            panic!()
        };
        assert_eq!(l.decision(), Some(Decision::Commit));
        assert_eq!(
            sends(&last),
            [(1, PaxosCommitMsg::Commit), (2, PaxosCommitMsg::Commit)]
        );
    }
}
