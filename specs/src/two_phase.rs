//! Lamport's `TwoPhase` specification of two-phase commit, encoded exactly: J. Gray and L.
//! Lamport, "Consensus on Transaction Commit", ACM TODS 31(1), 2006, section 3 and its TLA+
//! module `TwoPhase` (also in tlaplus/Examples, `specifications/transaction_commit`).
//!
//! This is the abstract protocol, not our actor model of 2PC (`two-phase-commit`): there are no
//! actors, no timers and no crashes. The state is the paper's four variables:
//!
//! - `rmState`: each RM's phase (working, prepared, committed, aborted);
//! - `tmState`: the TM's, `init` or `done`;
//! - `tmPrepared`: the RMs from which the TM has received "Prepared";
//! - `msgs`: every message ever sent. It only grows: a message, once sent, can be received any
//!   number of times, which models loss (never received), duplication and reordering at once.
//!
//! and its seven actions: `TMRcvPrepared(r)`, `TMCommit`, `TMAbort`, `RMPrepare(r)`,
//! `RMChooseToAbort(r)`, `RMRcvCommitMsg(r)`, `RMRcvAbortMsg(r)`. `TPSpec` implements `TCommit`
//! (the paper's theorem `TPSpec => TC!TCSpec`): every step maps `rmState` onto a step of the
//! `atomic-commit` spec or a stutter, checked here as a step invariant.
//!
//! The variables are held in bits (two per RM's phase, one per RM in `tmPrepared` and in the
//! "Prepared" messages), so a state is a small value that copies without allocating and hashes
//! in a few blocks; they read as the paper's (`rmState`, `tmPrepared`, `msgs` with `contains`
//! and `insert`), and the actions are the paper's, line for line.
//!
//! stateright's `examples/2pc.rs` is the same model (it splits `done` into committed and
//! aborted, which `msgs` already tells apart, so the state counts are equal: 288 states at 3
//! RMs, 8,832 at 5, 296,448 at 7). It exists here so that our checker and stateright's can be
//! measured on one model (`benches/benches/checker.rs`).

use crate::atomic_commit::{self, RmState};
use crate::params::Param;
use crate::protocol::Spec;
use crate::StepInvariant;
use models::common::{Bounds, CfgError};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The TM's phase (the paper's `tmState`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TmState {
    Init,
    Done,
}

/// A message (the paper's `Messages`); the `usize` is the RM's 0-based index.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Message {
    Prepared(usize),
    Commit,
    Abort,
}

/// The most RMs a state holds (the bound of [`TwoPhase::RMS`]).
pub const MAX_RMS: usize = 9;

/// A set of RMs (0-based indices), one bit each.
#[derive(
    Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize,
)]
pub struct RmSet(u16);

impl RmSet {
    pub fn contains(self, r: usize) -> bool {
        self.0 & (1 << r) != 0
    }

    pub fn insert(&mut self, r: usize) {
        self.0 |= 1 << r;
    }

    /// Whether every one of RMs `0..rms` is in the set.
    pub fn has_all(self, rms: usize) -> bool {
        self.0 == (1 << rms) - 1
    }

    /// The members, in increasing order.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..16).filter(move |&r| self.contains(r))
    }
}

/// A set of messages (the paper's `msgs`, a subset of `Messages`): which RMs sent "Prepared",
/// and whether "Commit" and "Abort" were sent.
#[derive(
    Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize,
)]
pub struct Messages {
    prepared: RmSet,
    commit: bool,
    abort: bool,
}

impl Messages {
    pub fn contains(&self, m: Message) -> bool {
        match m {
            Message::Prepared(r) => self.prepared.contains(r),
            Message::Commit => self.commit,
            Message::Abort => self.abort,
        }
    }

    pub fn insert(&mut self, m: Message) {
        match m {
            Message::Prepared(r) => self.prepared.insert(r),
            Message::Commit => self.commit = true,
            Message::Abort => self.abort = true,
        }
    }

    /// The messages in `Message`'s order: every "Prepared" by RM, then "Commit", "Abort".
    pub fn iter(&self) -> impl Iterator<Item = Message> + '_ {
        let decisions = [(self.commit, Message::Commit), (self.abort, Message::Abort)];
        self.prepared.iter().map(Message::Prepared).chain(
            decisions
                .into_iter()
                .filter_map(|(sent, m)| sent.then_some(m)),
        )
    }
}

/// The paper's four variables, in fixed-size fields: a state is a small value that copies
/// without allocating and hashes in a few blocks, which is most of what a check of millions of
/// states costs.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct TwoPhaseState {
    /// The number of RMs.
    rms: u8,
    /// `rmState`: RM `r`'s phase in bits `2r` and `2r + 1` (see [`TwoPhaseState::rm_state`]).
    phases: u32,
    pub tm_state: TmState,
    /// `tmPrepared`.
    pub tm_prepared: RmSet,
    /// Every message ever sent.
    pub msgs: Messages,
}

impl TwoPhaseState {
    /// The initial state: every RM working, the TM in `init`, nothing prepared or sent.
    pub fn new(rms: usize) -> Self {
        assert!(rms <= MAX_RMS, "at most {MAX_RMS} RMs");
        Self {
            rms: rms as u8,
            phases: 0,
            tm_state: TmState::Init,
            tm_prepared: RmSet::default(),
            msgs: Messages::default(),
        }
    }

    /// `rmState`: each RM's phase, in RM order.
    pub fn rm_state(&self) -> RmStates {
        let mut phases = [RmState::Working; MAX_RMS];
        for (r, phase) in phases.iter_mut().enumerate().take(self.rms as usize) {
            *phase = PHASES[(self.phases >> (2 * r)) as usize & 3];
        }
        RmStates {
            phases,
            rms: self.rms,
        }
    }

    /// `rmState[r] := phase`.
    pub fn set_rm_state(&mut self, r: usize, phase: RmState) {
        let code = PHASES.iter().position(|&p| p == phase).expect("a phase") as u32;
        self.phases = self.phases & !(3 << (2 * r)) | code << (2 * r);
    }
}

/// The phases in the order of their two-bit codes.
const PHASES: [RmState; 4] = [
    RmState::Working,
    RmState::Prepared,
    RmState::Committed,
    RmState::Aborted,
];

/// `rmState` as a slice of phases, one per RM (what [`TwoPhaseState::rm_state`] returns).
pub struct RmStates {
    phases: [RmState; MAX_RMS],
    rms: u8,
}

impl std::ops::Deref for RmStates {
    type Target = [RmState];

    fn deref(&self) -> &[RmState] {
        &self.phases[..self.rms as usize]
    }
}

/// The seven actions of `TPNext`; the `usize` is the RM's 0-based index.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum TwoPhaseAction {
    TmRcvPrepared(usize),
    TmCommit,
    TmAbort,
    RmPrepare(usize),
    RmChooseToAbort(usize),
    RmRcvCommitMsg(usize),
    RmRcvAbortMsg(usize),
}

/// `TwoPhase` over a fixed number of RMs.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct TwoPhase {
    pub rms: usize,
}

impl TwoPhase {
    /// Resource managers: 1..=9.
    pub const RMS: Bounds = Bounds::new("rms", 1, 9, 3);

    /// A validated specification.
    pub fn new(rms: usize) -> Result<Self, CfgError> {
        Self::RMS.check_usize(rms).map(|rms| Self { rms })
    }
}

impl Model for TwoPhase {
    type State = TwoPhaseState;
    type Action = TwoPhaseAction;

    fn init_states(&self) -> Vec<Self::State> {
        vec![TwoPhaseState::new(self.rms)]
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        use TwoPhaseAction::*;
        let init = s.tm_state == TmState::Init;
        if init && s.tm_prepared.has_all(self.rms) {
            actions.push(TmCommit);
        }
        if init {
            actions.push(TmAbort);
        }
        let commit = s.msgs.contains(Message::Commit);
        let abort = s.msgs.contains(Message::Abort);
        for r in 0..self.rms {
            if init && s.msgs.contains(Message::Prepared(r)) {
                actions.push(TmRcvPrepared(r));
            }
            if s.rm_state()[r] == RmState::Working {
                actions.push(RmPrepare(r));
                actions.push(RmChooseToAbort(r));
            }
            if commit {
                actions.push(RmRcvCommitMsg(r));
            }
            if abort {
                actions.push(RmRcvAbortMsg(r));
            }
        }
    }

    fn next_state(&self, s: &Self::State, action: Self::Action) -> Option<Self::State> {
        use TwoPhaseAction::*;
        let mut next = *s;
        match action {
            TmRcvPrepared(r) => next.tm_prepared.insert(r),
            TmCommit => {
                next.tm_state = TmState::Done;
                next.msgs.insert(Message::Commit);
            }
            TmAbort => {
                next.tm_state = TmState::Done;
                next.msgs.insert(Message::Abort);
            }
            RmPrepare(r) => {
                next.set_rm_state(r, RmState::Prepared);
                next.msgs.insert(Message::Prepared(r));
            }
            RmChooseToAbort(r) | RmRcvAbortMsg(r) => next.set_rm_state(r, RmState::Aborted),
            RmRcvCommitMsg(r) => next.set_rm_state(r, RmState::Committed),
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // TCConsistent, through the refinement mapping (rmState is TCommit's state).
            Property::always("consistency", |_, s: &TwoPhaseState| {
                atomic_commit::consistent(&s.rm_state())
            }),
            Property::sometimes("all committed", |_, s: &TwoPhaseState| {
                s.rm_state().iter().all(|&r| r == RmState::Committed)
            }),
            Property::sometimes("all aborted", |_, s: &TwoPhaseState| {
                s.rm_state().iter().all(|&r| r == RmState::Aborted)
            }),
        ]
    }
}

/// Everything the state says about one RM: its phase, whether the TM counted its "Prepared",
/// and whether it sent "Prepared". Nothing else names an RM, so two RMs with equal signatures
/// are interchangeable.
type RmSignature = (RmState, bool, bool);

fn signature(s: &TwoPhaseState, r: usize) -> RmSignature {
    (
        s.rm_state()[r],
        s.tm_prepared.contains(r),
        s.msgs.contains(Message::Prepared(r)),
    )
}

/// The canonical representative of `s`'s class under every permutation of the RMs (the RMs
/// of `TwoPhase` are interchangeable: every action is per RM or over all of them, and every
/// property reads the RMs as a multiset): the RMs sorted by their [`RmSignature`]s. Since the
/// signature is all the state says about an RM, the sorted signatures determine the class, and
/// the representative is one state per class (`checker/tests/symmetry.rs` compares it with the
/// minimum over all n! permutations). The cost is one sort of n triples.
pub fn representative(s: &TwoPhaseState) -> TwoPhaseState {
    let mut sigs: Vec<RmSignature> = (0..s.rms as usize).map(|r| signature(s, r)).collect();
    if sigs.is_sorted() {
        return *s;
    }
    sigs.sort_unstable();
    let mut canonical = *s;
    canonical.tm_prepared = RmSet::default();
    canonical.msgs.prepared = RmSet::default();
    for (r, &(phase, counted, sent)) in sigs.iter().enumerate() {
        canonical.set_rm_state(r, phase);
        if counted {
            canonical.tm_prepared.insert(r);
        }
        if sent {
            canonical.msgs.insert(Message::Prepared(r));
        }
    }
    canonical
}

/// `TPSpec => TC!TCSpec`, step by step: each step's `rmState` change is a `TCommit` step or a
/// stutter.
pub fn step_invariants() -> Vec<StepInvariant<TwoPhase>> {
    vec![StepInvariant {
        name: "refines atomic-commit",
        holds: |m, before, after| {
            atomic_commit::is_step(m.rms, &before.rm_state(), &after.rm_state())
        },
    }]
}

pub fn spec() -> Spec<TwoPhase> {
    Spec::new(
        "two-phase",
        "Lamport's TwoPhase: rmState, tmState, tmPrepared and a set of messages that only grows; seven actions; refines atomic-commit",
        |p| TwoPhase::new(p.int("rms") as usize),
    )
    .param(Param::bounded(TwoPhase::RMS, "number of resource managers"))
    .step_invariants(step_invariants)
    // The RMs are interchangeable (`--symmetry`).
    .symmetry(representative)
    .describe(|a| match a {
        TwoPhaseAction::TmRcvPrepared(r) => format!("tm receives Prepared from rm{}", r + 1),
        TwoPhaseAction::TmCommit => "tm commits".into(),
        TwoPhaseAction::TmAbort => "tm aborts".into(),
        TwoPhaseAction::RmPrepare(r) => format!("rm{} prepares", r + 1),
        TwoPhaseAction::RmChooseToAbort(r) => format!("rm{} chooses to abort", r + 1),
        TwoPhaseAction::RmRcvCommitMsg(r) => format!("rm{} receives Commit", r + 1),
        TwoPhaseAction::RmRcvAbortMsg(r) => format!("rm{} receives Abort", r + 1),
    })
    .view(|s| {
        let name = |r: usize| format!("rm{}", r + 1);
        let rm_state: serde_json::Map<String, serde_json::Value> = s
            .rm_state()
            .iter()
            .enumerate()
            .map(|(r, phase)| (name(r), serde_json::json!(phase)))
            .collect();
        let prepared: Vec<String> = s.tm_prepared.iter().map(name).collect();
        let msgs: Vec<String> = s
            .msgs
            .iter()
            .map(|m| match m {
                Message::Prepared(r) => format!("Prepared({})", name(r)),
                Message::Commit => "Commit".into(),
                Message::Abort => "Abort".into(),
            })
            .collect();
        serde_json::json!({
            "rmState": rm_state,
            "tmState": s.tm_state,
            "tmPrepared": prepared,
            "msgs": msgs,
        })
    })
    // Every RM decided: nothing left to do but receive the decision again.
    .end_states(|_, s| {
        s.rm_state()
            .iter()
            .all(|r| matches!(r, RmState::Committed | RmState::Aborted))
    })
    .action_kinds(&[
        "TmRcvPrepared",
        "TmCommit",
        "TmAbort",
        "RmPrepare",
        "RmChooseToAbort",
        "RmRcvCommitMsg",
        "RmRcvAbortMsg",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    /// stateright's own BFS agrees with stateright's `examples/2pc.rs` counts on this model.
    #[test]
    fn stateright_counts_the_states_of_its_own_example() {
        for (rms, states) in [(3, 288), (5, 8_832)] {
            let checker = TwoPhase::new(rms).unwrap().checker().spawn_bfs().join();
            checker.assert_properties();
            assert_eq!(checker.unique_state_count(), states, "{rms} RMs");
        }
    }

    #[test]
    fn each_rm_phase_is_kept_apart_from_the_others() {
        let mut s = TwoPhaseState::new(MAX_RMS);
        let mut want = [RmState::Working; MAX_RMS];
        for step in 0..4 * MAX_RMS {
            let (r, phase) = ((step * 5) % MAX_RMS, PHASES[step % 4]);
            s.set_rm_state(r, phase);
            want[r] = phase;
            assert_eq!(*s.rm_state(), want, "after rmState[{r}] := {phase:?}");
        }
        assert_eq!(TwoPhaseState::new(3).rm_state().len(), 3);
    }

    #[test]
    fn every_step_refines_tcommit() {
        let m = TwoPhase::new(3).unwrap();
        let refines = step_invariants()[0].holds;
        let mut frontier = m.init_states();
        let mut seen: std::collections::HashSet<TwoPhaseState> = frontier.iter().cloned().collect();
        while let Some(s) = frontier.pop() {
            let mut actions = Vec::new();
            m.actions(&s, &mut actions);
            for a in actions {
                let next = m.next_state(&s, a).unwrap();
                assert!(refines(&m, &s, &next), "{a:?} from {s:?}");
                if seen.insert(next) {
                    frontier.push(next);
                }
            }
        }
        assert_eq!(seen.len(), 288);
    }

    #[test]
    fn a_tm_that_commits_without_every_prepared_breaks_the_refinement() {
        // TMCommit without its guard: the RMs commit while one is still working, which no
        // TCommit step allows (and an RM may then choose to abort: inconsistent).
        let m = TwoPhase::new(2).unwrap();
        let refines = step_invariants()[0].holds;
        let s0 = m.init_states().remove(0);
        let s1 = m.next_state(&s0, TwoPhaseAction::TmCommit).unwrap();
        let s2 = m
            .next_state(&s1, TwoPhaseAction::RmRcvCommitMsg(0))
            .unwrap();
        assert!(!refines(&m, &s1, &s2));
        let s3 = m
            .next_state(&s2, TwoPhaseAction::RmChooseToAbort(1))
            .unwrap();
        assert!(!atomic_commit::consistent(&s3.rm_state()));
    }
}
