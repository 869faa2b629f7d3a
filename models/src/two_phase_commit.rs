//! Two-phase commit (2PC) as stateright actors.
//!
//! # Problem
//!
//! Atomic commitment: a distributed transaction touches several resource managers (RMs), and
//! either all of them commit their part or all of them abort it. An RM may refuse (vote No)
//! for local reasons, and any node may crash.
//!
//! # Source
//!
//! J. Gray, "Notes on Data Base Operating Systems", 1978, and J. Gray and L. Lamport,
//! "Consensus on Transaction Commit", ACM TODS 31(1), 2006, section 3 "Two-Phase Commit"
//! (the TLA+ module `TwoPhase`). The properties the protocol must satisfy live in the `specs`
//! crate, which also holds the abstract specification `TCommit` that 2PC refines.
//!
//! # Algorithm
//!
//! Actor `Id(0)` is the transaction manager (TM); actors `Id(1)..=Id(rms)` are the RMs.
//!
//! 1. Voting phase. The TM sends `Prepare` to every RM and starts a vote timer. Each working RM
//!    decides on its own whether it can commit: it either becomes *prepared* (records a Yes vote
//!    durably, then replies `Prepared`) or aborts at once (records a No vote, replies `VoteNo`).
//!    A prepared RM may no longer abort on its own: it is *in doubt* until it hears the outcome.
//! 2. Decision phase. The TM decides Commit once every RM has replied `Prepared`, and Abort as
//!    soon as one RM votes No or the vote timer fires. It records the decision durably *before*
//!    sending it (`Commit` or `Abort`) to every RM; each RM applies it and records it.
//!
//! # Fault and network model
//!
//! Messages may be delayed and reordered, and, depending on [`SystemCfg`], duplicated or lost.
//! Nodes fail by crashing: a crash erases volatile state and timers; a recovering node restarts
//! from its durable `Storage` (see [`TwoPcStorage`]). There are no Byzantine faults. The model
//! checker ignores timer durations: a timer may fire at any moment after it is set, which is how
//! an asynchronous system looks to the TM.
//!
//! # Deviations from the paper
//!
//! - Presumed abort on TM recovery. The paper's TM never fails. Here a TM that recovers without a
//!   durable decision decides Abort (cause [`AbortCause::Recovery`]) and tells every RM; a TM
//!   that recovers with a decision does not repeat it: it was sent in the step that logged it,
//!   and the modelled network keeps messages in flight across crashes. On a lossy network an
//!   in-doubt RM may therefore wait forever, which `termination` reports.
//! - TM timeout abort. The paper's TM may abort at any time (`TMAbort`); here it aborts on its own
//!   only when the vote timer fires before all votes are in ([`AbortCause::Timeout`]).
//! - An RM that crashes before voting aborts unilaterally when it recovers and tells the TM
//!   `VoteNo` (it forgot whether it could commit, so it must not vote Yes).
//! - Each RM's choice of vote is an explicit random choice ([`Vote`]), so the checker explores
//!   both outcomes.
//! - [`TmRule::FirstYes`] is a deliberately broken TM, kept to show that the checker catches it.
//! - Optional cooperative termination ([`TwoPcCfg::ask_peers`], after Bernstein et al. 1987,
//!   section 7.4, simplified): an in-doubt RM asks one peer on a timer; a decided peer tells it
//!   the outcome, an undecided one says it does not know, and the RM asks again later.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use stateright::{Rewrite, RewritePlan};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

/// The id of the transaction manager.
pub const TM_ID: usize = 0;

/// A message of two-phase commit.
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
/// Its variants without their fields, [`TwoPcMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(TwoPcMsgKind), derive(strum::IntoStaticStr))]
pub enum TwoPcMsg {
    /// TM -> RM: please vote.
    Prepare,
    /// RM -> TM: a Yes vote; the RM is prepared.
    Prepared,
    /// RM -> TM: a No vote; the RM has aborted.
    VoteNo,
    /// TM -> RM: the transaction commits.
    Commit,
    /// TM -> RM: the transaction aborts.
    Abort,
    /// RM -> RM (cooperative termination): have you learnt the outcome?
    Query,
    /// RM -> RM: the outcome, if the sender knows it.
    Reply(Option<Decision>),
}

/// An RM's vote on the transaction.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Vote {
    Yes,
    No,
}

/// The TM's decision on the transaction.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Decision {
    Commit,
    Abort,
}

/// Timers: the TM's deadline for collecting votes, and an in-doubt RM's reminder to ask its
/// peer for the outcome (cooperative termination only).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TwoPcTimer {
    VoteTimeout,
    AskPeer,
}

/// Why the TM decided Abort (ghost information for the specification; no node acts on it).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AbortCause {
    /// Some RM voted No.
    VoteNo,
    /// The vote timer fired before every RM had voted Yes.
    Timeout,
    /// The TM recovered from a crash without a durable decision (presumed abort).
    Recovery,
}

/// Where an RM is in the protocol (the paper's `rmState`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RmPhase {
    Working,
    Prepared,
    Committed,
    Aborted,
}

/// An RM's state. Every change of it is saved at once, so it always equals the RM's storage.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct RmState {
    pub phase: RmPhase,
    /// The vote this RM cast, if any (kept after the decision, for the specification).
    pub vote: Option<Vote>,
}

/// Where the TM is in the protocol.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TmPhase {
    /// Waiting for votes; `yes` holds the RMs that have voted Yes so far.
    Collecting { yes: BTreeSet<Id> },
    /// Decided; `cause` is `Some` exactly when `decision` is Abort.
    Decided {
        decision: Decision,
        cause: Option<AbortCause>,
    },
}

/// The TM's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct TmState {
    pub phase: TmPhase,
}

/// The state of one actor. `Tm` comes first so that sorting actor states (symmetry reduction)
/// keeps the TM at index 0.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TwoPcState {
    Tm(TmState),
    Rm(RmState),
}

/// What an actor keeps across crashes.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TwoPcStorage {
    /// The TM's decision once made (`None` while collecting votes) and, for Abort, its cause.
    Tm {
        decision: Option<Decision>,
        cause: Option<AbortCause>,
    },
    /// An RM's whole state.
    Rm(RmState),
}

/// When the TM decides Commit.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum TmRule {
    /// Commit once every RM has voted Yes (the protocol).
    AllYes,
    /// Commit on the first Yes vote: deliberately broken, violates agreement and AC3.
    FirstYes,
}

/// A node of two-phase commit: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum TwoPcActor {
    /// The transaction manager, which knows every RM and its commit rule. `resend_on_recovery`
    /// is a planted regression for the test harness, not a variant users explore (see
    /// [`TwoPcCfg::with_planted_resend`]).
    Tm {
        rms: Vec<Id>,
        rule: TmRule,
        resend_on_recovery: bool,
    },
    /// A resource manager, which knows the TM and, under cooperative termination, the peer it
    /// asks for the outcome while in doubt.
    Rm { tm: Id, peer: Option<Id> },
}

/// How long the TM waits for votes before it aborts (the model checker ignores it).
fn vote_timeout() -> std::ops::Range<Duration> {
    Duration::from_millis(500)..Duration::from_millis(1000)
}

/// How long an in-doubt RM waits before asking its peer (again).
fn ask_interval() -> std::ops::Range<Duration> {
    Duration::from_millis(200)..Duration::from_millis(400)
}

impl Actor for TwoPcActor {
    type Msg = TwoPcMsg;
    type State = TwoPcState;
    type Timer = TwoPcTimer;
    type Random = Vote;
    type Storage = TwoPcStorage;

    fn name(&self) -> String {
        match self {
            TwoPcActor::Tm { .. } => "tm".to_string(),
            TwoPcActor::Rm { .. } => "rm".to_string(),
        }
    }

    fn on_start(&self, _id: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> TwoPcState {
        match self {
            TwoPcActor::Tm {
                rms,
                resend_on_recovery,
                ..
            } => TwoPcState::Tm(tm_start(rms, *resend_on_recovery, storage, o)),
            TwoPcActor::Rm { tm, .. } => TwoPcState::Rm(rm_start(*tm, storage, o)),
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
        match (self, &**state) {
            (TwoPcActor::Tm { rms, rule, .. }, TwoPcState::Tm(tm)) => {
                if let Some(next) = tm_on_msg(rms, *rule, tm, src, msg, o) {
                    *state.to_mut() = TwoPcState::Tm(next);
                }
            }
            (TwoPcActor::Rm { peer, .. }, TwoPcState::Rm(rm)) => {
                if let Some(next) = rm_on_msg(*peer, rm, src, msg, o) {
                    *state.to_mut() = TwoPcState::Rm(next);
                }
            }
            _ => unreachable!("an actor's state always matches its role"),
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        match (self, &**state, timer) {
            // Only a TM still collecting votes acts on the vote deadline.
            (
                TwoPcActor::Tm { rms, .. },
                TwoPcState::Tm(TmState {
                    phase: TmPhase::Collecting { .. },
                }),
                TwoPcTimer::VoteTimeout,
            ) => {
                *state.to_mut() =
                    TwoPcState::Tm(decide(rms, Decision::Abort, Some(AbortCause::Timeout), o));
            }
            // An RM still in doubt asks its peer; the reply re-arms the reminder.
            (
                TwoPcActor::Rm {
                    peer: Some(peer), ..
                },
                TwoPcState::Rm(RmState {
                    phase: RmPhase::Prepared,
                    ..
                }),
                TwoPcTimer::AskPeer,
            ) => o.send(*peer, TwoPcMsg::Query),
            _ => {}
        }
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        o: &mut Out<Self>,
    ) {
        // Only a working RM votes; a choice left pending past a decision is stale.
        if let (
            TwoPcActor::Rm { tm, peer },
            TwoPcState::Rm(RmState {
                phase: RmPhase::Working,
                ..
            }),
        ) = (self, &**state)
        {
            *state.to_mut() = TwoPcState::Rm(cast_vote(*tm, *peer, *random, o));
        }
    }
}

/// The TM's start: fresh, recovering undecided (presumed abort), or recovering decided.
fn tm_start(
    rms: &[Id],
    resend_on_recovery: bool,
    storage: &Option<TwoPcStorage>,
    o: &mut Out<TwoPcActor>,
) -> TmState {
    match storage {
        None => {
            o.save(TwoPcStorage::Tm {
                decision: None,
                cause: None,
            });
            o.broadcast(rms, &TwoPcMsg::Prepare);
            o.set_timer(TwoPcTimer::VoteTimeout, vote_timeout());
            TmState {
                phase: TmPhase::Collecting {
                    yes: BTreeSet::new(),
                },
            }
        }
        Some(TwoPcStorage::Tm { decision: None, .. }) => {
            decide(rms, Decision::Abort, Some(AbortCause::Recovery), o)
        }
        // The decision went out in the same step that logged it, and the network keeps messages
        // in flight across crashes, so the TM need not repeat it. (Repeating it on every
        // recovery would also make the state space infinite on a non-duplicating network.)
        Some(TwoPcStorage::Tm {
            decision: Some(decision),
            cause,
        }) => {
            if resend_on_recovery {
                o.broadcast(rms, &decision_msg(*decision));
            }
            TmState {
                phase: TmPhase::Decided {
                    decision: *decision,
                    cause: *cause,
                },
            }
        }
        Some(TwoPcStorage::Rm(_)) => unreachable!("the TM never saves RM storage"),
    }
}

/// The TM's reaction to a vote; `None` leaves its state untouched.
fn tm_on_msg(
    rms: &[Id],
    rule: TmRule,
    tm: &TmState,
    src: Id,
    msg: TwoPcMsg,
    o: &mut Out<TwoPcActor>,
) -> Option<TmState> {
    match (&tm.phase, msg) {
        (TmPhase::Collecting { yes }, TwoPcMsg::Prepared) if !yes.contains(&src) => {
            let mut yes = yes.clone();
            yes.insert(src);
            let commit = match rule {
                TmRule::AllYes => rms.iter().all(|rm| yes.contains(rm)),
                TmRule::FirstYes => true,
            };
            if !commit {
                return Some(TmState {
                    phase: TmPhase::Collecting { yes },
                });
            }
            let next = decide(rms, Decision::Commit, None, o);
            o.cancel_timer(TwoPcTimer::VoteTimeout);
            Some(next)
        }
        (TmPhase::Collecting { .. }, TwoPcMsg::VoteNo) => {
            let next = decide(rms, Decision::Abort, Some(AbortCause::VoteNo), o);
            o.cancel_timer(TwoPcTimer::VoteTimeout);
            Some(next)
        }
        _ => None,
    }
}

/// The TM decides: it saves the decision first, then tells every RM.
fn decide(
    rms: &[Id],
    decision: Decision,
    cause: Option<AbortCause>,
    o: &mut Out<TwoPcActor>,
) -> TmState {
    o.save(TwoPcStorage::Tm {
        decision: Some(decision),
        cause,
    });
    o.broadcast(rms, &decision_msg(decision));
    TmState {
        phase: TmPhase::Decided { decision, cause },
    }
}

/// The message that announces `decision`.
fn decision_msg(decision: Decision) -> TwoPcMsg {
    match decision {
        Decision::Commit => TwoPcMsg::Commit,
        Decision::Abort => TwoPcMsg::Abort,
    }
}

/// An RM's start: fresh, recovering before it voted (unilateral abort), or restoring its state.
fn rm_start(tm: Id, storage: &Option<TwoPcStorage>, o: &mut Out<TwoPcActor>) -> RmState {
    match storage {
        None => {
            let rm = RmState {
                phase: RmPhase::Working,
                vote: None,
            };
            o.save(TwoPcStorage::Rm(rm));
            rm
        }
        Some(TwoPcStorage::Rm(RmState {
            phase: RmPhase::Working,
            ..
        })) => {
            // The RM forgot its work in the crash, so it can no longer vote Yes.
            let rm = RmState {
                phase: RmPhase::Aborted,
                vote: Some(Vote::No),
            };
            o.save(TwoPcStorage::Rm(rm));
            o.send(tm, TwoPcMsg::VoteNo);
            rm
        }
        // An in-doubt RM does not start a new round of asking when it recovers: a query or
        // reply of the old round may still be in flight, and one round per RM at a time keeps
        // the messages in flight (and the state space) bounded under repeated crashes.
        Some(TwoPcStorage::Rm(rm)) => *rm,
        Some(TwoPcStorage::Tm { .. }) => unreachable!("an RM never saves TM storage"),
    }
}

/// An RM's reaction to the TM; `None` leaves its state untouched.
fn rm_on_msg(
    peer: Option<Id>,
    rm: &RmState,
    src: Id,
    msg: TwoPcMsg,
    o: &mut Out<TwoPcActor>,
) -> Option<RmState> {
    match msg {
        TwoPcMsg::Prepare if rm.phase == RmPhase::Working && rm.vote.is_none() => {
            o.choose_random("vote", vec![Vote::Yes, Vote::No]);
            None
        }
        // A correct TM never sends conflicting decisions; the RM applies whatever it is told so
        // that a broken TM shows up as a violated property rather than being masked here.
        TwoPcMsg::Commit if rm.phase != RmPhase::Committed => {
            Some(apply_decision(rm, RmPhase::Committed, o))
        }
        TwoPcMsg::Abort if rm.phase != RmPhase::Aborted => {
            Some(apply_decision(rm, RmPhase::Aborted, o))
        }
        // Cooperative termination: tell a peer what we know, and learn what it knows.
        TwoPcMsg::Query => {
            o.send(src, TwoPcMsg::Reply(decision_of(rm)));
            None
        }
        TwoPcMsg::Reply(Some(decision)) if rm.phase == RmPhase::Prepared => {
            let phase = match decision {
                Decision::Commit => RmPhase::Committed,
                Decision::Abort => RmPhase::Aborted,
            };
            Some(apply_decision(rm, phase, o))
        }
        TwoPcMsg::Reply(None) if rm.phase == RmPhase::Prepared && peer.is_some() => {
            o.set_timer(TwoPcTimer::AskPeer, ask_interval());
            None
        }
        _ => None,
    }
}

/// The outcome an RM knows, if it has decided.
fn decision_of(rm: &RmState) -> Option<Decision> {
    match rm.phase {
        RmPhase::Committed => Some(Decision::Commit),
        RmPhase::Aborted => Some(Decision::Abort),
        RmPhase::Working | RmPhase::Prepared => None,
    }
}

/// The RM records the TM's decision; a vote it had not cast yet is moot.
fn apply_decision(rm: &RmState, phase: RmPhase, o: &mut Out<TwoPcActor>) -> RmState {
    let next = RmState {
        phase,
        vote: rm.vote,
    };
    o.save(TwoPcStorage::Rm(next));
    if rm.vote.is_none() {
        o.remove_random("vote");
    }
    if rm.phase == RmPhase::Prepared {
        // No longer in doubt (the timer is set only under cooperative termination).
        o.cancel_timer(TwoPcTimer::AskPeer);
    }
    next
}

/// A working RM votes: it records its vote durably before telling the TM.
fn cast_vote(tm: Id, peer: Option<Id>, vote: Vote, o: &mut Out<TwoPcActor>) -> RmState {
    let (phase, msg) = match vote {
        Vote::Yes => (RmPhase::Prepared, TwoPcMsg::Prepared),
        Vote::No => (RmPhase::Aborted, TwoPcMsg::VoteNo),
    };
    let rm = RmState {
        phase,
        vote: Some(vote),
    };
    o.save(TwoPcStorage::Rm(rm));
    o.send(tm, msg);
    if phase == RmPhase::Prepared && peer.is_some() {
        o.set_timer(TwoPcTimer::AskPeer, ask_interval());
    }
    rm
}

// Symmetry reduction renames RMs; only the TM's set of Yes voters mentions ids.

impl Rewrite<Id> for TwoPcMsg {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        *self
    }
}

impl Rewrite<Id> for Vote {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        *self
    }
}

impl Rewrite<Id> for TwoPcStorage {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        *self
    }
}

impl Rewrite<Id> for TwoPcState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            TwoPcState::Tm(TmState {
                phase: TmPhase::Collecting { yes },
            }) => TwoPcState::Tm(TmState {
                phase: TmPhase::Collecting {
                    yes: yes.rewrite(plan),
                },
            }),
            other => other.clone(),
        }
    }
}

/// The parameters of a two-phase commit system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct TwoPcCfg {
    /// Number of resource managers (actors `Id(1)..=Id(rms)`). Must be in 1..=9. The state
    /// space grows about tenfold per RM: 3 is a good default, 5 (about 140,000 states without
    /// faults or symmetry reduction) still checks in about a second.
    pub rms: usize,
    /// Network and fault settings. `crashes` counts all actors (TM included), so it must be at
    /// most `rms + 1`; 0 or 1 is sensible.
    pub system: SystemCfg,
    /// When the TM commits: [`TmRule::AllYes`] is the protocol, [`TmRule::FirstYes`] the
    /// deliberately broken variant.
    pub rule: TmRule,
    /// Cooperative termination (Bernstein, Hadzilacos & Goodman 1987, section 7.4): an
    /// in-doubt RM periodically asks the next RM in id order for the outcome. It helps when some
    /// RM heard the decision; when none did, the RMs keep asking each other forever, which is
    /// the cycle stateright's own `eventually` check cannot see. Off by default; needs 2+ RMs.
    pub ask_peers: bool,
    /// A planted regression for the test harness (see [`TwoPcCfg::with_planted_resend`]).
    pub planted_resend: bool,
}

impl TwoPcCfg {
    /// Resource managers: 1..=9; 3 is the textbook example and checks in milliseconds.
    pub const RMS: Bounds = Bounds::new("rms", 1, 9, 3);
    /// The largest number of RMs accepted.
    pub const RMS_MAX: usize = Self::RMS.max as usize;
    /// Any network (unordered, non-duplicating by default); up to 10 actors down at once.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 10);

    /// A validated configuration.
    pub fn new(rms: usize, system: SystemCfg, rule: TmRule) -> Result<Self, CfgError> {
        Self::RMS.check_usize(rms)?;
        system.check_crashes(rms + 1)?;
        Ok(Self {
            rms,
            system,
            rule,
            ask_peers: false,
            planted_resend: false,
        })
    }

    /// The same configuration with a planted regression: a TM that re-sends its logged decision
    /// on every recovery. On a non-duplicating network with crashes every recovery adds
    /// messages, so the state space is infinite; the test harness must then fail with the
    /// count it reached, not hang. Not a protocol parameter.
    pub fn with_planted_resend(self, planted_resend: bool) -> Self {
        Self {
            planted_resend,
            ..self
        }
    }

    /// The same configuration with cooperative termination on or off.
    pub fn with_ask_peers(self, ask_peers: bool) -> Self {
        Self { ask_peers, ..self }
    }

    /// The ids of the RMs.
    pub fn rm_ids(&self) -> Vec<Id> {
        Id::vec_from(TM_ID + 1..=self.rms)
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<TwoPcActor, TwoPcCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for TwoPcCfg {
    type Actor = TwoPcActor;

    fn actors(&self) -> Vec<TwoPcActor> {
        let tm = TwoPcActor::Tm {
            rms: self.rm_ids(),
            rule: self.rule,
            resend_on_recovery: self.planted_resend,
        };
        let ids = self.rm_ids();
        let rms = ids.iter().enumerate().map(|(i, _)| TwoPcActor::Rm {
            tm: Id::from(TM_ID),
            peer: (self.ask_peers && ids.len() > 1).then(|| ids[(i + 1) % ids.len()]),
        });
        std::iter::once(tm).chain(rms).collect()
    }

    fn actor_name(&self, id: Id) -> String {
        match usize::from(id) {
            TM_ID => "tm".to_string(),
            i => format!("rm{i}"),
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
    use stateright::actor::Command;

    fn cfg(rms: usize) -> TwoPcCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        TwoPcCfg::new(rms, system, TmRule::AllYes).unwrap()
    }

    fn collecting(yes: &[usize]) -> TwoPcState {
        TwoPcState::Tm(TmState {
            phase: TmPhase::Collecting {
                yes: yes.iter().map(|&i| Id::from(i)).collect(),
            },
        })
    }

    fn rm(phase: RmPhase, vote: Option<Vote>) -> TwoPcState {
        TwoPcState::Rm(RmState { phase, vote })
    }

    #[test]
    fn new_validates_rms_and_crashes() {
        let system = cfg(2).system;
        assert!(TwoPcCfg::new(0, system, TmRule::AllYes).is_err());
        assert!(TwoPcCfg::new(10, system, TmRule::AllYes).is_err());
        let crashes = |crashes| SystemCfg { crashes, ..system };
        assert!(TwoPcCfg::new(2, crashes(3), TmRule::AllYes).is_ok());
        assert!(TwoPcCfg::new(2, crashes(4), TmRule::AllYes).is_err());
    }

    #[test]
    fn actors_are_tm_then_rms() {
        let cfg = cfg(3);
        let actors = cfg.actors();
        assert_eq!(actors.len(), 4);
        assert_eq!(
            actors[0],
            TwoPcActor::Tm {
                rms: Id::vec_from(1..=3),
                rule: TmRule::AllYes,
                resend_on_recovery: false,
            }
        );
        assert_eq!(
            actors[3],
            TwoPcActor::Rm {
                tm: Id::from(0),
                peer: None
            }
        );
        let names: Vec<_> = (0..4).map(|i| cfg.actor_name(Id::from(i))).collect();
        assert_eq!(names, ["tm", "rm1", "rm2", "rm3"]);
    }

    #[test]
    fn fresh_tm_saves_then_prepares_and_arms_timer() {
        let tm = &cfg(2).actors()[0];
        let mut o = Out::new();
        assert_eq!(tm.on_start(Id::from(0), &None, &mut o), collecting(&[]));
        assert!(matches!(
            &o[..],
            [
                Command::Save(TwoPcStorage::Tm {
                    decision: None,
                    cause: None
                }),
                Command::Send(a, TwoPcMsg::Prepare),
                Command::Send(b, TwoPcMsg::Prepare),
                Command::SetTimer(TwoPcTimer::VoteTimeout, _),
            ] if *a == Id::from(1) && *b == Id::from(2)
        ));
    }

    #[test]
    fn recovering_undecided_tm_presumes_abort() {
        let tm = &cfg(1).actors()[0];
        let mut o = Out::new();
        let storage = Some(TwoPcStorage::Tm {
            decision: None,
            cause: None,
        });
        let state = tm.on_start(Id::from(0), &storage, &mut o);
        let cause = Some(AbortCause::Recovery);
        let decided = TmPhase::Decided {
            decision: Decision::Abort,
            cause,
        };
        assert_eq!(state, TwoPcState::Tm(TmState { phase: decided }));
        assert!(matches!(
            &o[..],
            [
                Command::Save(TwoPcStorage::Tm {
                    decision: Some(Decision::Abort),
                    cause: Some(AbortCause::Recovery)
                }),
                Command::Send(_, TwoPcMsg::Abort),
            ]
        ));
    }

    #[test]
    fn recovering_decided_tm_keeps_its_decision_and_stays_quiet() {
        let tm = &cfg(2).actors()[0];
        let mut o = Out::new();
        let storage = Some(TwoPcStorage::Tm {
            decision: Some(Decision::Commit),
            cause: None,
        });
        let state = tm.on_start(Id::from(0), &storage, &mut o);
        let decided = TmPhase::Decided {
            decision: Decision::Commit,
            cause: None,
        };
        assert_eq!(state, TwoPcState::Tm(TmState { phase: decided }));
        assert!(o.is_empty());
    }

    #[test]
    fn tm_commits_only_when_all_voted_yes() {
        let tm = &cfg(2).actors()[0];
        let mut state = Cow::Owned(collecting(&[]));
        let mut o = Out::new();
        tm.on_msg(
            Id::from(0),
            &mut state,
            Id::from(2),
            TwoPcMsg::Prepared,
            &mut o,
        );
        assert_eq!(*state, collecting(&[2]));
        assert!(o.is_empty());

        // A repeated vote changes nothing.
        let mut again = Cow::Borrowed(&*state);
        tm.on_msg(
            Id::from(0),
            &mut again,
            Id::from(2),
            TwoPcMsg::Prepared,
            &mut o,
        );
        assert!(stateright::actor::is_no_op(&again, &o));

        tm.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            TwoPcMsg::Prepared,
            &mut o,
        );
        let committed = TmPhase::Decided {
            decision: Decision::Commit,
            cause: None,
        };
        assert_eq!(*state, TwoPcState::Tm(TmState { phase: committed }));
        assert!(matches!(o[0], Command::Save(_)));
        assert!(matches!(
            o[3],
            Command::CancelTimer(TwoPcTimer::VoteTimeout)
        ));
    }

    #[test]
    fn first_yes_tm_commits_at_once() {
        let cfg = TwoPcCfg {
            rule: TmRule::FirstYes,
            ..cfg(2)
        };
        let tm = &cfg.actors()[0];
        let mut state = Cow::Owned(collecting(&[]));
        let mut o = Out::new();
        tm.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            TwoPcMsg::Prepared,
            &mut o,
        );
        assert!(matches!(
            &*state,
            TwoPcState::Tm(TmState {
                phase: TmPhase::Decided {
                    decision: Decision::Commit,
                    ..
                }
            })
        ));
    }

    #[test]
    fn tm_aborts_on_no_vote_or_timeout_and_then_ignores_both() {
        let tm = &cfg(2).actors()[0];
        let mut state = Cow::Owned(collecting(&[1]));
        let mut o = Out::new();
        tm.on_msg(
            Id::from(0),
            &mut state,
            Id::from(2),
            TwoPcMsg::VoteNo,
            &mut o,
        );
        let aborted = TmPhase::Decided {
            decision: Decision::Abort,
            cause: Some(AbortCause::VoteNo),
        };
        assert_eq!(*state, TwoPcState::Tm(TmState { phase: aborted }));

        let mut o = Out::new();
        let mut timed_out = Cow::Owned(collecting(&[]));
        tm.on_timeout(
            Id::from(0),
            &mut timed_out,
            &TwoPcTimer::VoteTimeout,
            &mut o,
        );
        let aborted = TmPhase::Decided {
            decision: Decision::Abort,
            cause: Some(AbortCause::Timeout),
        };
        assert_eq!(*timed_out, TwoPcState::Tm(TmState { phase: aborted }));

        let decided = state.into_owned();
        let mut o = Out::new();
        let mut again = Cow::Borrowed(&decided);
        tm.on_msg(
            Id::from(0),
            &mut again,
            Id::from(1),
            TwoPcMsg::Prepared,
            &mut o,
        );
        tm.on_timeout(Id::from(0), &mut again, &TwoPcTimer::VoteTimeout, &mut o);
        assert!(stateright::actor::is_no_op(&again, &o));
    }

    #[test]
    fn rm_votes_by_random_choice() {
        let rm_actor = &cfg(1).actors()[1];
        let mut o = Out::new();
        let working = rm_actor.on_start(Id::from(1), &None, &mut o);
        assert_eq!(working, rm(RmPhase::Working, None));
        assert!(matches!(o[..], [Command::Save(_)]));

        let mut o = Out::new();
        let mut state = Cow::Borrowed(&working);
        rm_actor.on_msg(
            Id::from(1),
            &mut state,
            Id::from(0),
            TwoPcMsg::Prepare,
            &mut o,
        );
        assert!(matches!(state, Cow::Borrowed(_)));
        assert!(matches!(&o[..], [Command::ChooseRandom(key, v)] if key == "vote" && v.len() == 2));

        for (vote, phase, msg) in [
            (Vote::Yes, RmPhase::Prepared, TwoPcMsg::Prepared),
            (Vote::No, RmPhase::Aborted, TwoPcMsg::VoteNo),
        ] {
            let mut o = Out::new();
            let mut state = Cow::Borrowed(&working);
            rm_actor.on_random(Id::from(1), &mut state, &vote, &mut o);
            assert_eq!(*state, rm(phase, Some(vote)));
            assert!(
                matches!(&o[..], [Command::Save(_), Command::Send(tm, m)] if *tm == Id::from(0) && *m == msg)
            );
        }
    }

    #[test]
    fn rm_recovery_aborts_only_if_it_had_not_voted() {
        let rm_actor = &cfg(1).actors()[1];
        let mut o = Out::new();
        let working = Some(TwoPcStorage::Rm(RmState {
            phase: RmPhase::Working,
            vote: None,
        }));
        let state = rm_actor.on_start(Id::from(1), &working, &mut o);
        assert_eq!(state, rm(RmPhase::Aborted, Some(Vote::No)));
        assert!(matches!(
            &o[..],
            [Command::Save(_), Command::Send(_, TwoPcMsg::VoteNo)]
        ));

        let mut o = Out::new();
        let prepared = RmState {
            phase: RmPhase::Prepared,
            vote: Some(Vote::Yes),
        };
        let state = rm_actor.on_start(Id::from(1), &Some(TwoPcStorage::Rm(prepared)), &mut o);
        assert_eq!(state, TwoPcState::Rm(prepared));
        assert!(o.is_empty());
    }

    #[test]
    fn rm_applies_decisions_without_second_guessing() {
        let rm_actor = &cfg(1).actors()[1];
        let mut o = Out::new();
        let mut state = Cow::Owned(rm(RmPhase::Prepared, Some(Vote::Yes)));
        rm_actor.on_msg(
            Id::from(1),
            &mut state,
            Id::from(0),
            TwoPcMsg::Commit,
            &mut o,
        );
        assert_eq!(*state, rm(RmPhase::Committed, Some(Vote::Yes)));

        // A repeated decision is a no-op.
        let committed = state.into_owned();
        let mut o = Out::new();
        let mut again = Cow::Borrowed(&committed);
        rm_actor.on_msg(
            Id::from(1),
            &mut again,
            Id::from(0),
            TwoPcMsg::Commit,
            &mut o,
        );
        assert!(stateright::actor::is_no_op(&again, &o));

        // A conflicting decision (only a broken TM sends one) is applied, not hidden.
        rm_actor.on_msg(
            Id::from(1),
            &mut again,
            Id::from(0),
            TwoPcMsg::Abort,
            &mut o,
        );
        assert_eq!(*again, rm(RmPhase::Aborted, Some(Vote::Yes)));
    }

    #[test]
    fn tm_state_sorts_before_every_rm_state() {
        let tm_state = TwoPcState::Tm(TmState {
            phase: TmPhase::Decided {
                decision: Decision::Abort,
                cause: Some(AbortCause::Recovery),
            },
        });
        assert!(tm_state < rm(RmPhase::Working, None));
    }
}
