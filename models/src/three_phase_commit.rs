//! Three-phase commit (3PC) with its termination protocol, as stateright actors.
//!
//! # Problem
//!
//! Atomic commitment, as for two-phase commit (`crate::two_phase_commit`): resource managers
//! (RMs) vote on a transaction and must all commit or all abort. Two-phase commit *blocks* when
//! its coordinator crashes after the votes: an RM that voted yes may neither commit nor abort.
//! Three-phase commit removes that window, so that the RMs still up can always finish the
//! transaction among themselves, provided failures are detected accurately.
//!
//! # Source
//!
//! D. Skeen, "Nonblocking Commit Protocols", SIGMOD 1981 (the central-site three-phase
//! protocol and the fundamental nonblocking theorem), and D. Skeen and M. Stonebraker, "A
//! Formal Model of Crash Recovery in a Distributed System", IEEE TSE 9(3), 1983 (timeout and
//! failure transitions). The termination protocol is the one of P. A. Bernstein, V. Hadzilacos
//! and N. Goodman, "Concurrency Control and Recovery in Database Systems", 1987, chapter 7 (a
//! backup coordinator collects states and applies the termination rules). The properties live
//! in `specs::three_phase_commit`.
//!
//! # Algorithm
//!
//! Actor `Id(0)` is the coordinator (`tm`); actors `Id(1)..=Id(rms)` are the RMs. Every node is
//! in one of the paper's local states q (initial), w (wait), p (pre-committed), c (committed)
//! or a (aborted) ([`Phase`]), and logs each change before it sends anything.
//!
//! 1. The coordinator sends `CanCommit` to every RM and waits for votes (w1).
//! 2. An RM votes: yes (moves to w, replies `Yes`) or no (aborts at once, replies `No`).
//! 3. Every vote yes: the coordinator moves to p1 and sends `PreCommit`; a vote no: it aborts
//!    and sends `Abort`. An RM in w that gets `PreCommit` moves to p and replies `Ack`.
//! 4. Every ack in: the coordinator commits and sends `DoCommit`; an RM in p commits on it.
//!
//! Timeouts, at every waiting state, with the paper's rules: the coordinator in w1 aborts; in
//! p1 it commits (every RM voted yes, and an RM that does not ack has failed); an RM in q
//! aborts; an RM in w or p suspects its coordinator and starts the termination protocol.
//!
//! No state is adjacent to both c and a, and no non-committable state (q, w) to c: the
//! conditions of Skeen's nonblocking theorem, which 2PC's w violates.
//!
//! # Termination protocol
//!
//! An RM follows one coordinator at a time, its `leader`: the TM at first. When it suspects
//! its leader it turns to the next candidate in id order (RM 1, 2, ...); when the candidate is
//! itself it becomes the *backup coordinator*. With an accurate detector every RM skips exactly
//! the nodes that are down, so the backup is the lowest live RM. The backup sends `StateReq` to
//! every other RM; an RM answers a request from a candidate at or above its leader by adopting
//! it and sending its phase (`StateReport`); an RM still in q aborts first. With every report
//! in (or the silent ones suspected) the backup decides by the rules:
//!
//! - some RM committed: commit; some aborted (or in q): abort;
//! - some pre-committed: pre-commit every RM in w (`PreCommit`, wait for `Ack`), then commit;
//! - every RM uncertain (w): abort.
//!
//! and announces the decision to every other node. If the backup fails the next candidate
//! takes over. An RM accepts `PreCommit` only from its current leader, so a pre-commit a failed
//! coordinator left in flight cannot move an RM that has already reported w to its successor
//! (the network here keeps messages for ever; the synchronous model of the paper bounds their
//! delay instead). Decisions (`DoCommit`, `Abort`) are applied from anyone, and applied even
//! when they contradict an earlier one, so that a broken variant shows as a violated property
//! instead of being masked.
//!
//! An RM that has decided keeps waiting on its leader: should the leader be suspected, it
//! announces its decision to the RMs above it (a decided RM acting as backup needs no
//! reports). Those are the RMs that may be waiting for it to act as backup, and they may not
//! have heard the decision: the RM decided on its own (it voted no, and the TM crashed before
//! telling anyone), or the decider's message to them is stuck behind a partition. A backup that
//! is told the outcome passes it on to every other node at once.
//!
//! # Recovery
//!
//! A crash erases volatile state and timers; the node restarts from its log (`Save`). A
//! recovered node is not *operational* in Skeen's sense: it may have missed a decision taken
//! while it was down, so it takes no part in the termination protocol and never acts as a
//! coordinator again. An RM that recovers in q aborts (it never voted yes) and tells the TM; in
//! w or p it waits to be told the outcome; in c or a it is done. A TM that recovers in w1
//! aborts and tells the RMs (it never sent `PreCommit`, so nobody can commit); in p1 it waits to
//! be told. Every decision is sent to every node and the model keeps messages for a crashed
//! node until it recovers, so a recovered node learns the outcome once anyone decides; the
//! recovered nodes alone (after a *total failure* of the operational ones) may wait for ever,
//! as Skeen (1985, "Determining the last process to fail") shows they must.
//!
//! # Fault and network model
//!
//! Messages may be delayed and reordered and, per [`SystemCfg`], duplicated or lost. 3PC does
//! not retransmit, so on a lossy network it may wait for ever, as 2PC does. The actors only see
//! timers fire; *when* a timer may fire is the failure detector, part of the checked model
//! (`specs::three_phase_commit`), as for Bully:
//!
//! - [`Detector::Accurate`] (the default, the synchronous assumption 3PC needs): a wait times
//!   out only when every node waited for is *down*, i.e. crashed or recovered since (a
//!   recovered node is a new life that has lost its role, as in crash-stop). The runtime
//!   realises it as the simulator's timer gate.
//! - [`Detector::Timeout`]: any set timer may fire at any time, as in an asynchronous system.
//!
//! [`ThreePcCfg::partition`] lets the network split for good into the TM with the lower half
//! of the RMs (`rm1..=rm(rms/2)`) and the rest. The checked model (a wrapper in `specs`) takes
//! the split as one step, the loss of the first message that crosses the cut, recorded in the
//! model's history ([`Split`]); from then on no message crosses, and a node across the cut
//! counts as down for every detector, since a node cut off cannot be told from a crashed one.
//! This is the classic reason 3PC is unsafe in asynchronous networks: each side runs the
//! termination protocol alone, and one may commit while the other aborts.
//!
//! # Deviations from the paper
//!
//! - Skeen's coordinator is also a site with data; here it only coordinates, and the
//!   properties are about the RMs (and the coordinator's own decision).
//! - The election is implicit (the next candidate in id order, with the failure detector's
//!   help), as in the "lowest live id" rule; there are no election messages.
//! - A recovered node does not ask for the outcome: it is sent to it anyway (see "Recovery").
//! - An RM's vote is an explicit random choice ([`Vote`]), so the checker explores both.
//! - [`Bug`] holds two deliberately broken variants, kept to show the checker catches them.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The id of the coordinator.
pub const TM_ID: usize = 0;

/// A node's local state in Skeen's state diagrams: q, w, p, c, a.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Phase {
    /// q: has not voted.
    Initial,
    /// w: voted yes, uncertain.
    Wait,
    /// p: pre-committed: every RM voted yes, the commit is not yet known to all.
    PreCommitted,
    /// c
    Committed,
    /// a
    Aborted,
}

impl Phase {
    /// The decision this phase is, if it is one.
    pub fn decision(self) -> Option<Decision> {
        match self {
            Phase::Committed => Some(Decision::Commit),
            Phase::Aborted => Some(Decision::Abort),
            Phase::Initial | Phase::Wait | Phase::PreCommitted => None,
        }
    }
}

/// A message of three-phase commit.
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
/// Its variants without their fields, [`ThreePcMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(ThreePcMsgKind), derive(strum::IntoStaticStr))]
pub enum ThreePcMsg {
    /// TM -> RM: can you commit? (the paper's `xact`)
    CanCommit,
    /// RM -> TM: a yes vote; the RM is in w.
    Yes,
    /// RM -> TM: a no vote; the RM has aborted.
    No,
    /// Coordinator (TM or backup) -> RM: move to p.
    PreCommit,
    /// RM -> its coordinator: moved to p.
    Ack,
    /// Decider -> every other node: the transaction commits.
    DoCommit,
    /// Decider -> every other node: the transaction aborts.
    Abort,
    /// Backup -> RM: what is your state?
    StateReq,
    /// RM -> backup: my state.
    StateReport(Phase),
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
pub enum ThreePcTimer {
    /// The TM in w1, for the votes.
    VoteTimeout,
    /// The TM in p1, or a backup pre-committing, for the acks.
    AckTimeout,
    /// An RM, for its leader (q: `CanCommit`; w: `PreCommit` or a decision; p: a decision).
    LeaderTimeout,
    /// A backup, for the state reports.
    ReportTimeout,
}

/// Why the TM aborted (ghost information for the specification; no node acts on it).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AbortCause {
    /// Some RM voted no.
    VoteNo,
    /// The vote timer fired before every RM had voted yes.
    Timeout,
    /// The TM recovered in w1.
    Recovery,
    /// The TM was told by the termination protocol (after a suspected failure).
    Told,
}

/// Where the TM is.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TmPhase {
    /// w1: `yes` holds the RMs that voted yes so far.
    Wait { yes: BTreeSet<Id> },
    /// p1: `acks` holds the RMs that acknowledged the pre-commit so far.
    PreCommitted { acks: BTreeSet<Id> },
    /// c1
    Committed,
    /// a1, and why.
    Aborted(AbortCause),
}

/// The TM's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct TmState {
    pub phase: TmPhase,
    /// Whether this life began with a recovery (then the TM no longer coordinates).
    pub recovered: bool,
}

/// An RM's part as backup coordinator.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Backup {
    /// Collecting the other RMs' states.
    Collecting { reports: BTreeMap<Id, Phase> },
    /// Pre-committing: `waiting` holds the RMs whose ack is still missing.
    PreCommitting { waiting: BTreeSet<Id> },
    /// Decided by the termination rules (kept for the specification).
    Decided(Decision),
}

/// An RM's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct RmState {
    pub phase: Phase,
    /// The vote this RM cast, if any.
    pub vote: Option<Vote>,
    /// The coordinator it follows: the TM, or the backup candidate it waits for or answered.
    pub leader: Id,
    /// Its part as backup coordinator, if it became one.
    pub backup: Option<Backup>,
    /// Whether this life began with a recovery (then the RM only waits to be told).
    pub recovered: bool,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ThreePcState {
    Tm(TmState),
    Rm(RmState),
}

impl ThreePcState {
    /// Whether this node's current life began with a recovery.
    pub fn recovered(&self) -> bool {
        match self {
            ThreePcState::Tm(tm) => tm.recovered,
            ThreePcState::Rm(rm) => rm.recovered,
        }
    }
}

/// What a node logs.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ThreePcStorage {
    /// The TM's phase (never `Initial`) and, once aborted, why.
    Tm {
        phase: Phase,
        cause: Option<AbortCause>,
    },
    /// An RM's phase and vote.
    Rm { phase: Phase, vote: Option<Vote> },
}

/// The model's history: where the network split, once it has (see [`ThreePcCfg::partition`]).
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// The ids on the TM's side of the cut; every other node is on the other side.
    pub tm_side: Vec<usize>,
}

/// Which failure detector the model assumes (see the module docs).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Detector {
    /// A wait times out only when every node waited for is down.
    Accurate,
    /// Any wait may time out at any time.
    Timeout,
}

/// Deliberately broken variants.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Bug {
    /// The protocol.
    None,
    /// An RM that recovers in w or p decides alone from its log (w: abort, p: commit) instead
    /// of waiting to be told: Skeen's "independent recovery", which no commit protocol allows.
    RecoveryDecidesAlone,
    /// A backup that finds every RM uncertain commits instead of aborting.
    BackupCommitsUncertain,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum ThreePcActor {
    /// The coordinator, which knows every RM.
    Tm { rms: Vec<Id> },
    /// A resource manager, which knows every RM (the backup candidates) and its bug, if any.
    Rm { rms: Vec<Id>, bug: Bug },
}

/// How long the TM waits for votes or acks (the model checker ignores durations).
fn tm_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(500)..Duration::from_millis(1000)
}

/// How long an RM waits for its leader: longer than the TM's own waits.
fn leader_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(1000)..Duration::from_millis(2000)
}

/// How long a backup waits for reports or acks.
fn backup_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(500)..Duration::from_millis(1000)
}

impl Actor for ThreePcActor {
    type Msg = ThreePcMsg;
    type State = ThreePcState;
    type Timer = ThreePcTimer;
    type Random = Vote;
    type Storage = ThreePcStorage;

    fn name(&self) -> String {
        match self {
            ThreePcActor::Tm { .. } => "tm".to_string(),
            ThreePcActor::Rm { .. } => "rm".to_string(),
        }
    }

    fn on_start(
        &self,
        _id: Id,
        storage: &Option<Self::Storage>,
        o: &mut Out<Self>,
    ) -> ThreePcState {
        match self {
            ThreePcActor::Tm { rms } => ThreePcState::Tm(tm_start(rms, storage, o)),
            ThreePcActor::Rm { bug, .. } => ThreePcState::Rm(rm_start(*bug, storage, o)),
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
            (ThreePcActor::Tm { rms }, ThreePcState::Tm(tm)) => {
                if let Some(next) = tm_on_msg(rms, tm, src, msg, o) {
                    *state.to_mut() = ThreePcState::Tm(next);
                }
            }
            (ThreePcActor::Rm { rms, bug }, ThreePcState::Rm(rm)) => {
                let me = Rm { id, rms, bug: *bug };
                if let Some(next) = me.on_msg(rm, src, msg, o) {
                    *state.to_mut() = ThreePcState::Rm(next);
                }
            }
            _ => unreachable!("an actor's state always matches its role"),
        }
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        match (self, &**state) {
            (ThreePcActor::Tm { rms }, ThreePcState::Tm(tm)) => {
                if let Some(next) = tm_on_timeout(rms, tm, *timer, o) {
                    *state.to_mut() = ThreePcState::Tm(next);
                }
            }
            (ThreePcActor::Rm { rms, bug }, ThreePcState::Rm(rm)) => {
                let me = Rm { id, rms, bug: *bug };
                if let Some(next) = me.on_timeout(rm, *timer, o) {
                    *state.to_mut() = ThreePcState::Rm(next);
                }
            }
            _ => unreachable!("an actor's state always matches its role"),
        }
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        o: &mut Out<Self>,
    ) {
        // Only an operational RM in q votes; a choice left pending past a decision is stale.
        if let ThreePcState::Rm(rm) = &**state {
            if rm.phase == Phase::Initial && !rm.recovered {
                *state.to_mut() = ThreePcState::Rm(cast_vote(rm, *random, o));
            }
        }
    }
}

/// The TM's start: fresh, or recovering from its log.
fn tm_start(rms: &[Id], storage: &Option<ThreePcStorage>, o: &mut Out<ThreePcActor>) -> TmState {
    let recovered = |phase| TmState {
        phase,
        recovered: true,
    };
    match storage {
        None => {
            o.save(ThreePcStorage::Tm {
                phase: Phase::Wait,
                cause: None,
            });
            o.broadcast(rms, &ThreePcMsg::CanCommit);
            o.set_timer(ThreePcTimer::VoteTimeout, tm_wait());
            TmState {
                phase: TmPhase::Wait {
                    yes: BTreeSet::new(),
                },
                recovered: false,
            }
        }
        // It never sent PreCommit, so no RM can be in p and nobody can commit: abort is safe.
        Some(ThreePcStorage::Tm {
            phase: Phase::Initial | Phase::Wait,
            ..
        }) => recovered(tm_abort(rms, AbortCause::Recovery, o)),
        // Some RM may be in p and the backup may commit, or every RM may have reported w and
        // the backup may abort: only the termination protocol knows. Wait to be told.
        Some(ThreePcStorage::Tm {
            phase: Phase::PreCommitted,
            ..
        }) => recovered(TmPhase::PreCommitted {
            acks: BTreeSet::new(),
        }),
        // The decision went out in the step that logged it.
        Some(ThreePcStorage::Tm {
            phase: Phase::Committed,
            ..
        }) => recovered(TmPhase::Committed),
        Some(ThreePcStorage::Tm {
            phase: Phase::Aborted,
            cause,
        }) => recovered(TmPhase::Aborted(cause.unwrap_or(AbortCause::Told))),
        Some(ThreePcStorage::Rm { .. }) => unreachable!("the TM never saves RM storage"),
    }
}

/// The TM's reaction to a message; `None` leaves its state untouched.
fn tm_on_msg(
    rms: &[Id],
    tm: &TmState,
    src: Id,
    msg: ThreePcMsg,
    o: &mut Out<ThreePcActor>,
) -> Option<TmState> {
    let phase = match (&tm.phase, msg) {
        (TmPhase::Wait { yes }, ThreePcMsg::Yes) if !tm.recovered && !yes.contains(&src) => {
            let mut yes = yes.clone();
            yes.insert(src);
            if rms.iter().all(|rm| yes.contains(rm)) {
                tm_pre_commit(rms, o)
            } else {
                TmPhase::Wait { yes }
            }
        }
        (TmPhase::Wait { .. }, ThreePcMsg::No) if !tm.recovered => {
            tm_abort(rms, AbortCause::VoteNo, o)
        }
        (TmPhase::PreCommitted { acks }, ThreePcMsg::Ack)
            if !tm.recovered && !acks.contains(&src) =>
        {
            let mut acks = acks.clone();
            acks.insert(src);
            if rms.iter().all(|rm| acks.contains(rm)) {
                tm_commit(rms, o)
            } else {
                TmPhase::PreCommitted { acks }
            }
        }
        // Told by the termination protocol (or, broken, contradicted: left as it is).
        (TmPhase::Wait { .. } | TmPhase::PreCommitted { .. }, ThreePcMsg::DoCommit) => {
            tm_learn(Phase::Committed, None, o);
            TmPhase::Committed
        }
        (TmPhase::Wait { .. } | TmPhase::PreCommitted { .. }, ThreePcMsg::Abort) => {
            tm_learn(Phase::Aborted, Some(AbortCause::Told), o);
            TmPhase::Aborted(AbortCause::Told)
        }
        _ => return None,
    };
    Some(TmState {
        phase,
        recovered: tm.recovered,
    })
}

/// The TM's timeouts, with the paper's rules: abort in w1, commit in p1.
fn tm_on_timeout(
    rms: &[Id],
    tm: &TmState,
    timer: ThreePcTimer,
    o: &mut Out<ThreePcActor>,
) -> Option<TmState> {
    let phase = match (&tm.phase, timer) {
        (TmPhase::Wait { .. }, ThreePcTimer::VoteTimeout) if !tm.recovered => {
            tm_abort(rms, AbortCause::Timeout, o)
        }
        // Every RM voted yes; one that does not ack has failed and will learn on recovery.
        (TmPhase::PreCommitted { .. }, ThreePcTimer::AckTimeout) if !tm.recovered => {
            tm_commit(rms, o)
        }
        _ => return None,
    };
    Some(TmState {
        phase,
        recovered: tm.recovered,
    })
}

/// Every vote is yes: log p1, then send `PreCommit`.
fn tm_pre_commit(rms: &[Id], o: &mut Out<ThreePcActor>) -> TmPhase {
    o.save(ThreePcStorage::Tm {
        phase: Phase::PreCommitted,
        cause: None,
    });
    o.broadcast(rms, &ThreePcMsg::PreCommit);
    o.cancel_timer(ThreePcTimer::VoteTimeout);
    o.set_timer(ThreePcTimer::AckTimeout, tm_wait());
    TmPhase::PreCommitted {
        acks: BTreeSet::new(),
    }
}

/// The TM commits: log c1, then tell every RM.
fn tm_commit(rms: &[Id], o: &mut Out<ThreePcActor>) -> TmPhase {
    o.save(ThreePcStorage::Tm {
        phase: Phase::Committed,
        cause: None,
    });
    o.broadcast(rms, &ThreePcMsg::DoCommit);
    o.cancel_timer(ThreePcTimer::AckTimeout);
    TmPhase::Committed
}

/// The TM aborts: log a1, then tell every RM.
fn tm_abort(rms: &[Id], cause: AbortCause, o: &mut Out<ThreePcActor>) -> TmPhase {
    o.save(ThreePcStorage::Tm {
        phase: Phase::Aborted,
        cause: Some(cause),
    });
    o.broadcast(rms, &ThreePcMsg::Abort);
    o.cancel_timer(ThreePcTimer::VoteTimeout);
    TmPhase::Aborted(cause)
}

/// The TM logs a decision it was told.
fn tm_learn(phase: Phase, cause: Option<AbortCause>, o: &mut Out<ThreePcActor>) {
    o.save(ThreePcStorage::Tm { phase, cause });
    o.cancel_timer(ThreePcTimer::VoteTimeout);
    o.cancel_timer(ThreePcTimer::AckTimeout);
}

/// An RM's start: fresh, or recovering from its log.
fn rm_start(bug: Bug, storage: &Option<ThreePcStorage>, o: &mut Out<ThreePcActor>) -> RmState {
    let recovered = |phase, vote| RmState {
        phase,
        vote,
        leader: Id::from(TM_ID),
        backup: None,
        recovered: true,
    };
    match storage {
        None => {
            o.save(ThreePcStorage::Rm {
                phase: Phase::Initial,
                vote: None,
            });
            o.set_timer(ThreePcTimer::LeaderTimeout, leader_wait());
            RmState {
                phase: Phase::Initial,
                vote: None,
                leader: Id::from(TM_ID),
                backup: None,
                recovered: false,
            }
        }
        Some(ThreePcStorage::Rm { phase, vote }) => match (phase, bug) {
            // It forgot whether it could commit, so it must not vote yes.
            (Phase::Initial, _) => {
                let rm = recovered(Phase::Aborted, Some(Vote::No));
                save(&rm, o);
                o.send(Id::from(TM_ID), ThreePcMsg::No);
                rm
            }
            // Broken: independent recovery.
            (Phase::Wait | Phase::PreCommitted, Bug::RecoveryDecidesAlone) => {
                let decided = if *phase == Phase::Wait {
                    Phase::Aborted
                } else {
                    Phase::Committed
                };
                let rm = recovered(decided, *vote);
                save(&rm, o);
                rm
            }
            // In w or p it waits to be told; in c or a it is done.
            _ => recovered(*phase, *vote),
        },
        Some(ThreePcStorage::Tm { .. }) => unreachable!("an RM never saves TM storage"),
    }
}

/// An operational RM in q votes; it logs its vote before telling the TM.
fn cast_vote(rm: &RmState, vote: Vote, o: &mut Out<ThreePcActor>) -> RmState {
    let (phase, msg) = match vote {
        Vote::Yes => (Phase::Wait, ThreePcMsg::Yes),
        Vote::No => (Phase::Aborted, ThreePcMsg::No),
    };
    let next = RmState {
        phase,
        vote: Some(vote),
        ..rm.clone()
    };
    save(&next, o);
    o.send(Id::from(TM_ID), msg);
    // A yes voter waits for its leader anew; a no voter keeps waiting, to announce its abort
    // should the TM be suspected.
    if vote == Vote::Yes {
        o.set_timer(ThreePcTimer::LeaderTimeout, leader_wait());
    }
    next
}

/// Logs an RM's phase and vote.
fn save(rm: &RmState, o: &mut Out<ThreePcActor>) {
    o.save(ThreePcStorage::Rm {
        phase: rm.phase,
        vote: rm.vote,
    });
}

/// The message that announces `decision`.
fn decision_msg(decision: Decision) -> ThreePcMsg {
    match decision {
        Decision::Commit => ThreePcMsg::DoCommit,
        Decision::Abort => ThreePcMsg::Abort,
    }
}

/// One RM's view of its configuration, for its handlers.
struct Rm<'a> {
    id: Id,
    rms: &'a [Id],
    bug: Bug,
}

impl Rm<'_> {
    /// Every node but this one: where decisions go.
    fn others(&self) -> Vec<Id> {
        std::iter::once(Id::from(TM_ID))
            .chain(self.rms.iter().copied())
            .filter(|&n| n != self.id)
            .collect()
    }

    /// The RMs above this one: those that may wait for it as a backup candidate.
    fn followers(&self) -> Vec<Id> {
        self.rms.iter().copied().filter(|&n| n > self.id).collect()
    }

    /// Every other RM: the backup's peers.
    fn peers(&self) -> Vec<Id> {
        self.rms.iter().copied().filter(|&n| n != self.id).collect()
    }

    fn on_msg(
        &self,
        rm: &RmState,
        src: Id,
        msg: ThreePcMsg,
        o: &mut Out<ThreePcActor>,
    ) -> Option<RmState> {
        let operational = !rm.recovered;
        match msg {
            ThreePcMsg::CanCommit
                if operational && rm.phase == Phase::Initial && rm.vote.is_none() =>
            {
                o.choose_random("vote", vec![Vote::Yes, Vote::No]);
                None
            }
            // Only from the leader: a pre-commit a failed coordinator left in flight must not
            // move an RM that reported w to its successor.
            ThreePcMsg::PreCommit
                if operational
                    && src == rm.leader
                    && rm.phase == Phase::Wait
                    && rm.backup.is_none() =>
            {
                let next = RmState {
                    phase: Phase::PreCommitted,
                    ..rm.clone()
                };
                save(&next, o);
                o.send(src, ThreePcMsg::Ack);
                o.set_timer(ThreePcTimer::LeaderTimeout, leader_wait());
                Some(next)
            }
            ThreePcMsg::DoCommit if rm.phase != Phase::Committed => {
                Some(self.learn(rm, Phase::Committed, o))
            }
            ThreePcMsg::Abort if rm.phase != Phase::Aborted => {
                Some(self.learn(rm, Phase::Aborted, o))
            }
            ThreePcMsg::StateReq if operational && src != self.id => self.on_state_req(rm, src, o),
            ThreePcMsg::StateReport(phase) => self.on_report(rm, src, phase, o),
            ThreePcMsg::Ack => self.on_ack(rm, src, o),
            _ => None,
        }
    }

    fn on_timeout(
        &self,
        rm: &RmState,
        timer: ThreePcTimer,
        o: &mut Out<ThreePcActor>,
    ) -> Option<RmState> {
        match (timer, &rm.backup) {
            (ThreePcTimer::LeaderTimeout, None) if !rm.recovered => self.suspect_leader(rm, o),
            (ThreePcTimer::ReportTimeout, Some(Backup::Collecting { reports })) => {
                Some(self.decide(rm, reports, o))
            }
            // The silent RMs have failed; every RM that answered is in p.
            (ThreePcTimer::AckTimeout, Some(Backup::PreCommitting { .. })) => {
                Some(self.conclude(rm, Decision::Commit, o))
            }
            _ => None,
        }
    }

    /// The leader is suspected: q aborts (and says so); w and p turn to the next candidate; an
    /// RM that has decided announces its decision to the RMs above it.
    fn suspect_leader(&self, rm: &RmState, o: &mut Out<ThreePcActor>) -> Option<RmState> {
        match rm.phase {
            Phase::Committed | Phase::Aborted => {
                let decision = rm.phase.decision().expect("decided");
                o.broadcast(&self.followers(), &decision_msg(decision));
                None
            }
            Phase::Initial => {
                let next = RmState {
                    phase: Phase::Aborted,
                    ..rm.clone()
                };
                save(&next, o);
                o.remove_random("vote");
                o.broadcast(&self.others(), &ThreePcMsg::Abort);
                Some(next)
            }
            Phase::Wait | Phase::PreCommitted => {
                let candidate = usize::from(rm.leader) + 1;
                if candidate >= usize::from(self.id) {
                    return Some(self.become_backup(rm, o));
                }
                o.set_timer(ThreePcTimer::LeaderTimeout, leader_wait());
                Some(RmState {
                    leader: Id::from(candidate),
                    ..rm.clone()
                })
            }
        }
    }

    /// This RM is the next candidate: it asks every other RM for its state.
    fn become_backup(&self, rm: &RmState, o: &mut Out<ThreePcActor>) -> RmState {
        let rm = RmState {
            leader: self.id,
            ..rm.clone()
        };
        let peers = self.peers();
        if peers.is_empty() {
            return self.decide(&rm, &BTreeMap::new(), o);
        }
        o.broadcast(&peers, &ThreePcMsg::StateReq);
        o.set_timer(ThreePcTimer::ReportTimeout, backup_wait());
        RmState {
            backup: Some(Backup::Collecting {
                reports: BTreeMap::new(),
            }),
            ..rm
        }
    }

    /// A backup candidate asks for this RM's state.
    fn on_state_req(&self, rm: &RmState, src: Id, o: &mut Out<ThreePcActor>) -> Option<RmState> {
        if rm.phase.decision().is_some() {
            o.send(src, ThreePcMsg::StateReport(rm.phase));
            return None;
        }
        // A request from below the leader comes from a candidate already suspected.
        if usize::from(src) < usize::from(rm.leader) {
            return None;
        }
        if rm.backup.is_some() {
            // A higher candidate has taken over (only an unreliable detector allows it).
            o.cancel_timer(ThreePcTimer::ReportTimeout);
            o.cancel_timer(ThreePcTimer::AckTimeout);
        }
        let mut next = RmState {
            leader: src,
            backup: None,
            ..rm.clone()
        };
        if rm.phase == Phase::Initial {
            // It never voted: it aborts, which the backup's rules then follow.
            next.phase = Phase::Aborted;
            save(&next, o);
            o.remove_random("vote");
        }
        // Decided or not, it now waits on the candidate: should the candidate fail before it
        // decides, this RM is the next candidate for the RMs above it, and must tell them
        // (a decided one announces its decision, see `suspect_leader`).
        o.set_timer(ThreePcTimer::LeaderTimeout, leader_wait());
        o.send(src, ThreePcMsg::StateReport(next.phase));
        Some(next)
    }

    /// A report to a collecting backup; with every peer's in, it decides.
    fn on_report(
        &self,
        rm: &RmState,
        src: Id,
        phase: Phase,
        o: &mut Out<ThreePcActor>,
    ) -> Option<RmState> {
        let Some(Backup::Collecting { reports }) = &rm.backup else {
            return None;
        };
        if reports.get(&src) == Some(&phase) {
            return None;
        }
        let mut reports = reports.clone();
        reports.insert(src, phase);
        if self.peers().iter().all(|p| reports.contains_key(p)) {
            o.cancel_timer(ThreePcTimer::ReportTimeout);
            return Some(self.decide(rm, &reports, o));
        }
        Some(RmState {
            backup: Some(Backup::Collecting { reports }),
            ..rm.clone()
        })
    }

    /// An ack to a pre-committing backup; with every ack in, it commits.
    fn on_ack(&self, rm: &RmState, src: Id, o: &mut Out<ThreePcActor>) -> Option<RmState> {
        let Some(Backup::PreCommitting { waiting }) = &rm.backup else {
            return None;
        };
        if !waiting.contains(&src) {
            return None;
        }
        let mut waiting = waiting.clone();
        waiting.remove(&src);
        if waiting.is_empty() {
            o.cancel_timer(ThreePcTimer::AckTimeout);
            return Some(self.conclude(rm, Decision::Commit, o));
        }
        Some(RmState {
            backup: Some(Backup::PreCommitting { waiting }),
            ..rm.clone()
        })
    }

    /// The termination rules (Bernstein et al. 1987, chapter 7), on the reports and this
    /// RM's own phase.
    fn decide(
        &self,
        rm: &RmState,
        reports: &BTreeMap<Id, Phase>,
        o: &mut Out<ThreePcActor>,
    ) -> RmState {
        let phases: Vec<Phase> = reports.values().copied().chain([rm.phase]).collect();
        let any = |p: Phase| phases.contains(&p);
        if any(Phase::Committed) {
            return self.conclude(rm, Decision::Commit, o);
        }
        if any(Phase::Aborted) || any(Phase::Initial) {
            return self.conclude(rm, Decision::Abort, o);
        }
        if any(Phase::PreCommitted) {
            return self.pre_commit(rm, reports, o);
        }
        match self.bug {
            Bug::BackupCommitsUncertain => self.conclude(rm, Decision::Commit, o),
            Bug::None | Bug::RecoveryDecidesAlone => self.conclude(rm, Decision::Abort, o),
        }
    }

    /// Some RM is in p: move every uncertain one (this one included) to p, then commit.
    fn pre_commit(
        &self,
        rm: &RmState,
        reports: &BTreeMap<Id, Phase>,
        o: &mut Out<ThreePcActor>,
    ) -> RmState {
        let waiting: BTreeSet<Id> = reports
            .iter()
            .filter(|(_, &p)| p == Phase::Wait)
            .map(|(&id, _)| id)
            .collect();
        let rm = RmState {
            phase: Phase::PreCommitted,
            ..rm.clone()
        };
        if waiting.is_empty() {
            return self.conclude(&rm, Decision::Commit, o);
        }
        save(&rm, o);
        o.broadcast(
            &waiting.iter().copied().collect::<Vec<_>>(),
            &ThreePcMsg::PreCommit,
        );
        o.set_timer(ThreePcTimer::AckTimeout, backup_wait());
        RmState {
            backup: Some(Backup::PreCommitting { waiting }),
            ..rm
        }
    }

    /// The backup decides: it logs the decision, then tells every other node.
    fn conclude(&self, rm: &RmState, decision: Decision, o: &mut Out<ThreePcActor>) -> RmState {
        let phase = match decision {
            Decision::Commit => Phase::Committed,
            Decision::Abort => Phase::Aborted,
        };
        let next = RmState {
            phase,
            backup: Some(Backup::Decided(decision)),
            ..rm.clone()
        };
        save(&next, o);
        o.broadcast(&self.others(), &decision_msg(decision));
        next
    }

    /// The RM is told the outcome. The teller sent it to every node, but the network may have
    /// split since: a backup passes it on at once to the RMs that wait for it, and any other
    /// RM keeps waiting on its leader, to announce it to the RMs above it should the leader be
    /// suspected (one of them may be waiting for this one to act as backup).
    fn learn(&self, rm: &RmState, phase: Phase, o: &mut Out<ThreePcActor>) -> RmState {
        let backup = match &rm.backup {
            Some(Backup::Decided(d)) => Some(Backup::Decided(*d)),
            _ => None,
        };
        let next = RmState {
            phase,
            backup,
            ..rm.clone()
        };
        save(&next, o);
        if rm.phase == Phase::Initial {
            o.remove_random("vote");
        }
        if matches!(
            rm.backup,
            Some(Backup::Collecting { .. } | Backup::PreCommitting { .. })
        ) {
            let decision = phase.decision().expect("told a decision");
            o.broadcast(&self.others(), &decision_msg(decision));
            o.cancel_timer(ThreePcTimer::ReportTimeout);
            o.cancel_timer(ThreePcTimer::AckTimeout);
        }
        next
    }
}

/// The parameters of a three-phase commit system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct ThreePcCfg {
    /// Number of resource managers (actors `Id(1)..=Id(rms)`). Must be in 1..=6; 3 is a good
    /// default (see [`ThreePcCfg::RMS`]).
    pub rms: usize,
    /// Network and fault settings. `crashes` counts all actors (TM included), so it must be at
    /// most `rms + 1`.
    pub system: SystemCfg,
    /// When waits may time out (see [`Detector`]).
    pub detector: Detector,
    /// Whether the network may split for good into the TM with `rm1..=rm(rms/2)` and the other
    /// RMs. Modelled as the first loss across the cut, so it needs a network that does not
    /// otherwise lose messages (`lossy` false).
    pub partition: bool,
    /// A deliberately broken variant, or [`Bug::None`].
    pub bug: Bug,
    /// Whether the model checker lets a crashed node recover (true unless set by
    /// [`ThreePcCfg::with_recover`]); false is crash-stop. The simulator's nemesis recovers
    /// nodes whatever this says.
    pub recover: bool,
}

impl ThreePcCfg {
    /// Resource managers: 1..=6; 3 is the textbook example and checks in well under a second.
    pub const RMS: Bounds = Bounds::new("rms", 1, 6, 3);
    /// Any network (unordered, non-duplicating by default); up to 7 actors down at once.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 7);

    /// A validated configuration.
    pub fn new(
        rms: usize,
        system: SystemCfg,
        detector: Detector,
        partition: bool,
        bug: Bug,
    ) -> Result<Self, CfgError> {
        Self::RMS.check_usize(rms)?;
        system.check_crashes(rms + 1)?;
        if partition && system.lossy {
            return Err(CfgError::Inconsistent(
                "partition=true needs lossy=false: the split is modelled as the first loss across the cut"
                    .to_string(),
            ));
        }
        Ok(Self {
            rms,
            system,
            detector,
            partition,
            bug,
            recover: true,
        })
    }

    /// This configuration with the checker's recoveries allowed (`true`) or not (crash-stop).
    pub fn with_recover(self, recover: bool) -> Self {
        Self { recover, ..self }
    }

    /// The ids of the RMs.
    pub fn rm_ids(&self) -> Vec<Id> {
        Id::vec_from(TM_ID + 1..=self.rms)
    }

    /// Whether `id` is on the TM's side of the partition's cut.
    pub fn on_tm_side(&self, id: Id) -> bool {
        usize::from(id) <= self.rms / 2
    }

    /// The split this configuration's partition makes.
    pub fn split(&self) -> Split {
        Split {
            tm_side: (0..=self.rms / 2).collect(),
        }
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<ThreePcActor, ThreePcCfg, Option<Split>> {
        crate::common::actor_model(self, None)
    }
}

impl ActorSystem for ThreePcCfg {
    type Actor = ThreePcActor;

    fn actors(&self) -> Vec<ThreePcActor> {
        let rms = self.rm_ids();
        let tm = ThreePcActor::Tm { rms: rms.clone() };
        let rm = ThreePcActor::Rm {
            rms: rms.clone(),
            bug: self.bug,
        };
        std::iter::once(tm)
            .chain(std::iter::repeat_n(rm, self.rms))
            .collect()
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
    use stateright::actor::Command;

    fn cfg(rms: usize) -> ThreePcCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        ThreePcCfg::new(rms, system, Detector::Accurate, false, Bug::None).unwrap()
    }

    fn rm(phase: Phase, leader: usize) -> RmState {
        RmState {
            phase,
            vote: (phase != Phase::Initial).then_some(Vote::Yes),
            leader: Id::from(leader),
            backup: None,
            recovered: false,
        }
    }

    /// Delivers `msg` from `src` to actor `dst` of `cfg` in `state`: the next state, if it
    /// changed, and the commands.
    fn deliver(
        cfg: &ThreePcCfg,
        dst: usize,
        state: ThreePcState,
        src: usize,
        msg: ThreePcMsg,
    ) -> (ThreePcState, Out<ThreePcActor>) {
        let actor = &cfg.actors()[dst];
        let mut o = Out::new();
        let mut s = Cow::Owned(state);
        actor.on_msg(Id::from(dst), &mut s, Id::from(src), msg, &mut o);
        (s.into_owned(), o)
    }

    fn timeout(
        cfg: &ThreePcCfg,
        dst: usize,
        state: ThreePcState,
        timer: ThreePcTimer,
    ) -> (ThreePcState, Out<ThreePcActor>) {
        let actor = &cfg.actors()[dst];
        let mut o = Out::new();
        let mut s = Cow::Owned(state);
        actor.on_timeout(Id::from(dst), &mut s, &timer, &mut o);
        (s.into_owned(), o)
    }

    fn sends(o: &Out<ThreePcActor>) -> Vec<(usize, ThreePcMsg)> {
        o.iter()
            .filter_map(|c| match c {
                Command::Send(dst, m) => Some((usize::from(*dst), *m)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn new_validates_rms_crashes_and_partition() {
        let system = cfg(2).system;
        let new = |rms, system, partition| {
            ThreePcCfg::new(rms, system, Detector::Accurate, partition, Bug::None)
        };
        assert!(new(0, system, false).is_err());
        assert!(new(7, system, false).is_err());
        let crashes = |crashes| SystemCfg { crashes, ..system };
        assert!(new(2, crashes(3), false).is_ok());
        assert!(new(2, crashes(4), false).is_err());
        let lossy = SystemCfg {
            lossy: true,
            ..system
        };
        assert!(new(2, lossy, true).is_err());
        assert!(new(2, system, true).is_ok());
    }

    #[test]
    fn the_cut_puts_the_lower_half_of_the_rms_with_the_tm() {
        let c = cfg(3);
        let sides: Vec<bool> = (0..4).map(|i| c.on_tm_side(Id::from(i))).collect();
        assert_eq!(sides, [true, true, false, false]);
        assert_eq!(c.split().tm_side, [0, 1]);
        assert_eq!(cfg(1).split().tm_side, [0]);
    }

    #[test]
    fn tm_pre_commits_on_every_yes_and_commits_on_every_ack() {
        let c = cfg(2);
        let wait = |yes: &[usize]| {
            ThreePcState::Tm(TmState {
                phase: TmPhase::Wait {
                    yes: yes.iter().map(|&i| Id::from(i)).collect(),
                },
                recovered: false,
            })
        };
        let (s, o) = deliver(&c, 0, wait(&[1]), 2, ThreePcMsg::Yes);
        let ThreePcState::Tm(tm) = &s else { panic!() };
        assert!(matches!(tm.phase, TmPhase::PreCommitted { .. }));
        assert!(matches!(
            o[0],
            Command::Save(ThreePcStorage::Tm {
                phase: Phase::PreCommitted,
                ..
            })
        ));
        assert_eq!(
            sends(&o),
            [(1, ThreePcMsg::PreCommit), (2, ThreePcMsg::PreCommit)]
        );
        let (s, _) = deliver(&c, 0, s, 1, ThreePcMsg::Ack);
        let (s, o) = deliver(&c, 0, s, 2, ThreePcMsg::Ack);
        let ThreePcState::Tm(tm) = &s else { panic!() };
        assert_eq!(tm.phase, TmPhase::Committed);
        assert_eq!(
            sends(&o),
            [(1, ThreePcMsg::DoCommit), (2, ThreePcMsg::DoCommit)]
        );
    }

    #[test]
    fn tm_timeouts_abort_in_w1_and_commit_in_p1() {
        let c = cfg(2);
        let tm = |phase| {
            ThreePcState::Tm(TmState {
                phase,
                recovered: false,
            })
        };
        let wait = tm(TmPhase::Wait {
            yes: BTreeSet::new(),
        });
        let (s, _) = timeout(&c, 0, wait, ThreePcTimer::VoteTimeout);
        assert_eq!(s, tm(TmPhase::Aborted(AbortCause::Timeout)));
        let p1 = tm(TmPhase::PreCommitted {
            acks: BTreeSet::new(),
        });
        let (s, _) = timeout(&c, 0, p1, ThreePcTimer::AckTimeout);
        assert_eq!(s, tm(TmPhase::Committed));
    }

    #[test]
    fn recovering_tm_aborts_in_w1_and_waits_in_p1() {
        let tm = &cfg(2).actors()[0];
        let log = |phase| Some(ThreePcStorage::Tm { phase, cause: None });
        let mut o = Out::new();
        let s = tm.on_start(Id::from(0), &log(Phase::Wait), &mut o);
        let ThreePcState::Tm(t) = &s else { panic!() };
        assert_eq!(t.phase, TmPhase::Aborted(AbortCause::Recovery));
        assert_eq!(sends(&o), [(1, ThreePcMsg::Abort), (2, ThreePcMsg::Abort)]);
        let mut o = Out::new();
        let s = tm.on_start(Id::from(0), &log(Phase::PreCommitted), &mut o);
        assert!(s.recovered());
        assert!(o.is_empty());
    }

    #[test]
    fn rm_accepts_pre_commit_only_from_its_leader() {
        let c = cfg(2);
        let (s, o) = deliver(
            &c,
            2,
            ThreePcState::Rm(rm(Phase::Wait, 1)),
            0,
            ThreePcMsg::PreCommit,
        );
        assert_eq!(s, ThreePcState::Rm(rm(Phase::Wait, 1)));
        assert!(o.is_empty());
        let (s, o) = deliver(
            &c,
            2,
            ThreePcState::Rm(rm(Phase::Wait, 1)),
            1,
            ThreePcMsg::PreCommit,
        );
        assert_eq!(s, ThreePcState::Rm(rm(Phase::PreCommitted, 1)));
        assert_eq!(sends(&o), [(1, ThreePcMsg::Ack)]);
    }

    #[test]
    fn suspecting_the_leader_walks_the_candidates_to_itself() {
        let c = cfg(3);
        let (s, o) = timeout(
            &c,
            2,
            ThreePcState::Rm(rm(Phase::Wait, 0)),
            ThreePcTimer::LeaderTimeout,
        );
        assert_eq!(s, ThreePcState::Rm(rm(Phase::Wait, 1)));
        assert!(sends(&o).is_empty());
        let (s, o) = timeout(&c, 2, s, ThreePcTimer::LeaderTimeout);
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!(r.leader, Id::from(2));
        assert!(matches!(r.backup, Some(Backup::Collecting { .. })));
        assert_eq!(
            sends(&o),
            [(1, ThreePcMsg::StateReq), (3, ThreePcMsg::StateReq)]
        );
    }

    #[test]
    fn backup_applies_the_termination_rules() {
        let c = cfg(3);
        let collecting = ThreePcState::Rm(RmState {
            leader: Id::from(1),
            backup: Some(Backup::Collecting {
                reports: BTreeMap::new(),
            }),
            ..rm(Phase::Wait, 1)
        });
        let report = |s, src, p| deliver(&c, 1, s, src, ThreePcMsg::StateReport(p));
        // Every RM uncertain: abort, told to every other node.
        let (s, _) = report(collecting.clone(), 2, Phase::Wait);
        let (s, o) = report(s, 3, Phase::Wait);
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!(r.phase, Phase::Aborted);
        assert_eq!(r.backup, Some(Backup::Decided(Decision::Abort)));
        assert_eq!(
            sends(&o),
            [
                (0, ThreePcMsg::Abort),
                (2, ThreePcMsg::Abort),
                (3, ThreePcMsg::Abort)
            ]
        );
        // Some RM pre-committed: pre-commit the uncertain ones, then commit on their acks.
        let (s, _) = report(collecting.clone(), 2, Phase::PreCommitted);
        let (s, o) = report(s, 3, Phase::Wait);
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!(r.phase, Phase::PreCommitted);
        assert_eq!(sends(&o), [(3, ThreePcMsg::PreCommit)]);
        let (s, o) = deliver(&c, 1, s, 3, ThreePcMsg::Ack);
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!(r.backup, Some(Backup::Decided(Decision::Commit)));
        assert_eq!(sends(&o).len(), 3);
        // The broken backup commits when every RM is uncertain.
        let broken = ThreePcCfg {
            bug: Bug::BackupCommitsUncertain,
            ..c
        };
        let (s, _) = deliver(
            &broken,
            1,
            collecting,
            2,
            ThreePcMsg::StateReport(Phase::Wait),
        );
        let (s, _) = deliver(&broken, 1, s, 3, ThreePcMsg::StateReport(Phase::Wait));
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!(r.phase, Phase::Committed);
    }

    #[test]
    fn recovering_rm_waits_unless_it_never_voted_or_decides_alone_when_broken() {
        let log = |phase| {
            Some(ThreePcStorage::Rm {
                phase,
                vote: Some(Vote::Yes),
            })
        };
        let start = |bug, phase| {
            let c = ThreePcCfg { bug, ..cfg(2) };
            let mut o = Out::new();
            let s = c.actors()[1].on_start(Id::from(1), &log(phase), &mut o);
            let ThreePcState::Rm(r) = s else { panic!() };
            (r, o)
        };
        let (r, o) = start(Bug::None, Phase::Wait);
        assert_eq!((r.phase, r.recovered), (Phase::Wait, true));
        assert!(o.is_empty());
        let (r, o) = start(Bug::None, Phase::Initial);
        assert_eq!(r.phase, Phase::Aborted);
        assert_eq!(sends(&o), [(0, ThreePcMsg::No)]);
        assert_eq!(
            start(Bug::RecoveryDecidesAlone, Phase::Wait).0.phase,
            Phase::Aborted
        );
        assert_eq!(
            start(Bug::RecoveryDecidesAlone, Phase::PreCommitted)
                .0
                .phase,
            Phase::Committed
        );
    }

    #[test]
    fn a_decided_rm_announces_to_the_rms_above_it_and_a_told_backup_to_everyone() {
        let c = cfg(3);
        let (s, o) = timeout(
            &c,
            2,
            ThreePcState::Rm(rm(Phase::Committed, 0)),
            ThreePcTimer::LeaderTimeout,
        );
        assert_eq!(s, ThreePcState::Rm(rm(Phase::Committed, 0)));
        assert_eq!(sends(&o), [(3, ThreePcMsg::DoCommit)]);
        let collecting = ThreePcState::Rm(RmState {
            backup: Some(Backup::Collecting {
                reports: BTreeMap::new(),
            }),
            ..rm(Phase::Wait, 2)
        });
        let (s, o) = deliver(&c, 2, collecting, 0, ThreePcMsg::Abort);
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!((r.phase, &r.backup), (Phase::Aborted, &None));
        assert_eq!(
            sends(&o),
            [
                (0, ThreePcMsg::Abort),
                (1, ThreePcMsg::Abort),
                (3, ThreePcMsg::Abort)
            ]
        );
    }

    #[test]
    fn a_state_request_from_below_the_leader_is_stale() {
        let c = cfg(3);
        let (s, o) = deliver(
            &c,
            3,
            ThreePcState::Rm(rm(Phase::Wait, 2)),
            1,
            ThreePcMsg::StateReq,
        );
        assert_eq!(s, ThreePcState::Rm(rm(Phase::Wait, 2)));
        assert!(o.is_empty());
        let (s, o) = deliver(
            &c,
            3,
            ThreePcState::Rm(rm(Phase::Initial, 0)),
            2,
            ThreePcMsg::StateReq,
        );
        let ThreePcState::Rm(r) = &s else { panic!() };
        assert_eq!((r.phase, r.leader), (Phase::Aborted, Id::from(2)));
        assert_eq!(sends(&o), [(2, ThreePcMsg::StateReport(Phase::Aborted))]);
    }
}
