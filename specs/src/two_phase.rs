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
use std::collections::BTreeSet;

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

/// The paper's four variables.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct TwoPhaseState {
    pub rm_state: Vec<RmState>,
    pub tm_state: TmState,
    /// `tmPrepared` as one flag per RM.
    pub tm_prepared: Vec<bool>,
    /// Every message ever sent.
    pub msgs: BTreeSet<Message>,
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
        vec![TwoPhaseState {
            rm_state: vec![RmState::Working; self.rms],
            tm_state: TmState::Init,
            tm_prepared: vec![false; self.rms],
            msgs: BTreeSet::new(),
        }]
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        use TwoPhaseAction::*;
        let init = s.tm_state == TmState::Init;
        if init && s.tm_prepared.iter().all(|&p| p) {
            actions.push(TmCommit);
        }
        if init {
            actions.push(TmAbort);
        }
        let commit = s.msgs.contains(&Message::Commit);
        let abort = s.msgs.contains(&Message::Abort);
        for r in 0..self.rms {
            if init && s.msgs.contains(&Message::Prepared(r)) {
                actions.push(TmRcvPrepared(r));
            }
            if s.rm_state[r] == RmState::Working {
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
        let mut next = s.clone();
        match action {
            TmRcvPrepared(r) => next.tm_prepared[r] = true,
            TmCommit => {
                next.tm_state = TmState::Done;
                next.msgs.insert(Message::Commit);
            }
            TmAbort => {
                next.tm_state = TmState::Done;
                next.msgs.insert(Message::Abort);
            }
            RmPrepare(r) => {
                next.rm_state[r] = RmState::Prepared;
                next.msgs.insert(Message::Prepared(r));
            }
            RmChooseToAbort(r) | RmRcvAbortMsg(r) => next.rm_state[r] = RmState::Aborted,
            RmRcvCommitMsg(r) => next.rm_state[r] = RmState::Committed,
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            // TCConsistent, through the refinement mapping (rmState is TCommit's state).
            Property::always("consistency", |_, s: &TwoPhaseState| {
                atomic_commit::consistent(&s.rm_state)
            }),
            Property::sometimes("all committed", |_, s: &TwoPhaseState| {
                s.rm_state.iter().all(|&r| r == RmState::Committed)
            }),
            Property::sometimes("all aborted", |_, s: &TwoPhaseState| {
                s.rm_state.iter().all(|&r| r == RmState::Aborted)
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
        s.rm_state[r],
        s.tm_prepared[r],
        s.msgs.contains(&Message::Prepared(r)),
    )
}

/// The canonical representative of `s`'s class under every permutation of the RMs (the RMs
/// of `TwoPhase` are interchangeable: every action is per RM or over all of them, and every
/// property reads the RMs as a multiset): the RMs sorted by their [`RmSignature`]s. Since the
/// signature is all the state says about an RM, the sorted signatures determine the class, and
/// the representative is one state per class (`checker/tests/symmetry.rs` compares it with the
/// minimum over all n! permutations). The cost is one sort of n triples.
pub fn representative(s: &TwoPhaseState) -> TwoPhaseState {
    let mut sigs: Vec<RmSignature> = (0..s.rm_state.len()).map(|r| signature(s, r)).collect();
    if sigs.is_sorted() {
        return s.clone();
    }
    sigs.sort_unstable();
    let mut msgs: BTreeSet<Message> = s
        .msgs
        .iter()
        .filter(|m| !matches!(m, Message::Prepared(_)))
        .copied()
        .collect();
    msgs.extend(
        (0..sigs.len())
            .filter(|&r| sigs[r].2)
            .map(Message::Prepared),
    );
    TwoPhaseState {
        rm_state: sigs.iter().map(|sig| sig.0).collect(),
        tm_state: s.tm_state,
        tm_prepared: sigs.iter().map(|sig| sig.1).collect(),
        msgs,
    }
}

/// `TPSpec => TC!TCSpec`, step by step: each step's `rmState` change is a `TCommit` step or a
/// stutter.
pub fn step_invariants() -> Vec<StepInvariant<TwoPhase>> {
    vec![StepInvariant {
        name: "refines atomic-commit",
        holds: |m, before, after| atomic_commit::is_step(m.rms, &before.rm_state, &after.rm_state),
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
            .rm_state
            .iter()
            .enumerate()
            .map(|(r, phase)| (name(r), serde_json::json!(phase)))
            .collect();
        let prepared: Vec<String> = (0..s.tm_prepared.len())
            .filter(|&r| s.tm_prepared[r])
            .map(name)
            .collect();
        let msgs: Vec<String> = s
            .msgs
            .iter()
            .map(|m| match m {
                Message::Prepared(r) => format!("Prepared({})", name(*r)),
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
        s.rm_state
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
                if seen.insert(next.clone()) {
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
        assert!(!atomic_commit::consistent(&s3.rm_state));
    }
}
