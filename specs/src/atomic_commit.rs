//! The abstract specification of atomic commitment: the TLA+ module `TCommit` of J. Gray and
//! L. Lamport, "Consensus on Transaction Commit", ACM TODS 31(1), 2006, section 2.
//!
//! The state is only the phase of each resource manager (RM); there are no messages and no
//! transaction manager. An RM prepares on its own; it may commit once every RM is prepared (or
//! already committed), and it may abort while it is working or prepared, as long as no RM has
//! committed. The safety property is `TCConsistent`: no RM commits while another aborts.
//! Protocols such as two-phase commit refine this spec: each of their steps maps onto a
//! `TCommit` step or onto a stutter (see [`is_step`]).
//!
//! The paper's `Decide(r)` is split here into its two disjuncts, [`AcAction::DecideCommit`] and
//! [`AcAction::DecideAbort`], so that traces say which way an RM decided.
//!
//! `TCTypeOK` is not a checked property here: the state's type already says that each entry is
//! one of the four phases, and every state has one entry per RM by construction (the initial
//! state has `rms` entries; a step only overwrites one), so no model, correct or broken, could
//! violate it, and a property that cannot fail shows nothing. [`type_ok`] remains as
//! [`is_step`]'s guard against states of another size.

use crate::params::Param;
use crate::protocol::Spec;
use models::common::{Bounds, CfgError};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The phase of one RM (the paper's `rmState[r]`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RmState {
    Working,
    Prepared,
    Committed,
    Aborted,
}

/// A step of `TCommit`; the `usize` is the RM's 0-based index into the state.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AcAction {
    /// `Prepare(r)`: a working RM becomes prepared.
    Prepare(usize),
    /// First disjunct of `Decide(r)`: a prepared RM commits, if every RM can commit.
    DecideCommit(usize),
    /// Second disjunct of `Decide(r)`: a working or prepared RM aborts, if no RM has committed.
    DecideAbort(usize),
}

/// `TCommit` over a fixed number of RMs.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct AtomicCommit {
    /// Number of RMs. Must be in 1..=9.
    pub rms: usize,
}

impl AtomicCommit {
    /// Resource managers: 1..=9.
    pub const RMS: Bounds = Bounds::new("rms", 1, 9, 3);
    /// The largest number of RMs accepted.
    pub const RMS_MAX: usize = Self::RMS.max as usize;

    /// A validated specification.
    pub fn new(rms: usize) -> Result<Self, CfgError> {
        Self::RMS.check_usize(rms).map(|rms| Self { rms })
    }
}

/// `TCConsistent`: no RM has committed while another has aborted.
pub fn consistent(state: &[RmState]) -> bool {
    let committed = state.contains(&RmState::Committed);
    let aborted = state.contains(&RmState::Aborted);
    !(committed && aborted)
}

/// The part of `TCTypeOK` the enum does not give: there is one phase per RM. Not a property
/// (see the module docs): a guard for [`is_step`], whose arguments come from abstractions.
pub fn type_ok(rms: usize, state: &[RmState]) -> bool {
    state.len() == rms
}

/// The paper's `canCommit`: every RM is prepared or committed.
fn can_commit(state: &[RmState]) -> bool {
    state
        .iter()
        .all(|rm| matches!(rm, RmState::Prepared | RmState::Committed))
}

/// The paper's `notCommitted`: no RM has committed.
fn not_committed(state: &[RmState]) -> bool {
    !state.contains(&RmState::Committed)
}

/// The phase RM `i` has after `action`, if `action` is enabled in `state`.
fn apply(state: &[RmState], action: AcAction) -> Option<(usize, RmState)> {
    match action {
        AcAction::Prepare(i) if state.get(i) == Some(&RmState::Working) => {
            Some((i, RmState::Prepared))
        }
        AcAction::DecideCommit(i)
            if state.get(i) == Some(&RmState::Prepared) && can_commit(state) =>
        {
            Some((i, RmState::Committed))
        }
        AcAction::DecideAbort(i)
            if matches!(state.get(i), Some(RmState::Working | RmState::Prepared))
                && not_committed(state) =>
        {
            Some((i, RmState::Aborted))
        }
        _ => None,
    }
}

/// Whether `after` equals `before` (a stutter) or follows from it by exactly one `TCommit`
/// action; both states must have one phase per RM.
pub fn is_step(rms: usize, before: &[RmState], after: &[RmState]) -> bool {
    if !type_ok(rms, before) || !type_ok(rms, after) {
        return false;
    }
    if before == after {
        return true;
    }
    // Every action sets one RM's phase through `apply`, as `next_state` does: `after` follows
    // by one action exactly when it differs from `before` in one RM and an action of that RM
    // sets the phase it has in `after`. (No state is built: refinement checks call this on
    // every step of a check.)
    let mut changed = (0..rms).filter(|&i| before[i] != after[i]);
    let (Some(i), None) = (changed.next(), changed.next()) else {
        return false;
    };
    [
        AcAction::Prepare(i),
        AcAction::DecideCommit(i),
        AcAction::DecideAbort(i),
    ]
    .into_iter()
    .any(|action| apply(before, action) == Some((i, after[i])))
}

impl Model for AtomicCommit {
    /// The phase of RM `i` (0-based) at index `i`.
    type State = Vec<RmState>;
    type Action = AcAction;

    fn init_states(&self) -> Vec<Self::State> {
        vec![vec![RmState::Working; self.rms]]
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        let candidates = (0..self.rms).flat_map(|i| {
            [
                AcAction::Prepare(i),
                AcAction::DecideCommit(i),
                AcAction::DecideAbort(i),
            ]
        });
        actions.extend(candidates.filter(|&a| apply(state, a).is_some()));
    }

    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
        let (i, phase) = apply(state, action)?;
        let mut next = state.clone();
        next[i] = phase;
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        type State = Vec<RmState>;
        vec![
            Property::always("consistency", |_, s: &State| consistent(s)),
            Property::sometimes("all committed", |_, s: &State| {
                s.iter().all(|&rm| rm == RmState::Committed)
            }),
            Property::sometimes("all aborted", |_, s: &State| {
                s.iter().all(|&rm| rm == RmState::Aborted)
            }),
        ]
    }
}

/// The declaration of `atomic-commit`: the abstract spec TCommit, checkable on its own.
pub fn spec() -> Spec<AtomicCommit> {
    Spec::new(
        "atomic-commit",
        "TCommit: each RM working, prepared, committed or aborted; commit needs all prepared, abort needs none committed",
        |p| AtomicCommit::new(p.int("rms") as usize),
    )
    .param(Param::bounded(AtomicCommit::RMS, "number of resource managers"))
    .describe(|a| match a {
        AcAction::Prepare(i) => format!("rm{} prepares", i + 1),
        AcAction::DecideCommit(i) => format!("rm{} commits", i + 1),
        AcAction::DecideAbort(i) => format!("rm{} aborts", i + 1),
    })
    .view(|s| {
        let rms: serde_json::Map<String, serde_json::Value> = s
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("rm{}", i + 1), serde_json::json!(r)))
            .collect();
        serde_json::Value::Object(rms)
    })
    // The spec stops when every RM has decided; stopping anywhere else would be a deadlock.
    .end_states(|_, s| {
        s.iter()
            .all(|r| matches!(r, RmState::Committed | RmState::Aborted))
    })
    .action_kinds(&["Prepare", "DecideCommit", "DecideAbort"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    /// Counts, without the model, the states `TCommit` can reach: with no RM committed, every
    /// mix of working, prepared and aborted is reachable (prepare some, abort some); with some
    /// RM committed, every RM was prepared when the first one committed and none can have
    /// aborted, so the rest are prepared or committed. That is 3^n + (2^n - 1) states, which
    /// this brute force confirms by filtering all 4^n vectors.
    fn reachable_count(rms: usize) -> usize {
        use RmState::*;
        let phases = [Working, Prepared, Committed, Aborted];
        let all = (0..4usize.pow(rms as u32)).map(|mut code| {
            (0..rms)
                .map(|_| {
                    let phase = phases[code % 4];
                    code /= 4;
                    phase
                })
                .collect::<Vec<_>>()
        });
        let reachable = |s: &Vec<RmState>| {
            not_committed(s) || s.iter().all(|rm| matches!(rm, Prepared | Committed))
        };
        let count = all.filter(reachable).count();
        assert_eq!(count, 3usize.pow(rms as u32) + 2usize.pow(rms as u32) - 1);
        count
    }

    #[test]
    fn three_rms_satisfy_tcommit() {
        let checker = AtomicCommit::new(3).unwrap().checker().spawn_bfs().join();
        checker.assert_properties();
        assert_eq!(checker.unique_state_count(), 34);
        assert_eq!(checker.unique_state_count(), reachable_count(3));
    }

    #[test]
    fn five_rms_satisfy_tcommit() {
        let checker = AtomicCommit::new(5).unwrap().checker().spawn_bfs().join();
        checker.assert_properties();
        assert_eq!(checker.unique_state_count(), 274);
        assert_eq!(checker.unique_state_count(), reachable_count(5));
    }

    #[test]
    fn new_rejects_out_of_range() {
        assert!(AtomicCommit::new(0).is_err());
        assert!(AtomicCommit::new(10).is_err());
        assert!(AtomicCommit::new(9).is_ok());
    }

    #[test]
    fn is_step_accepts_actions_and_stutters_only() {
        use RmState::*;
        assert!(is_step(2, &[Working, Working], &[Working, Working]));
        assert!(is_step(2, &[Working, Working], &[Prepared, Working]));
        assert!(is_step(2, &[Working, Prepared], &[Working, Aborted]));
        assert!(is_step(2, &[Prepared, Prepared], &[Committed, Prepared]));
        // Two RMs at once.
        assert!(!is_step(2, &[Working, Working], &[Prepared, Prepared]));
        // Commit before every RM prepared.
        assert!(!is_step(2, &[Prepared, Working], &[Committed, Working]));
        // Abort after a commit.
        assert!(!is_step(2, &[Committed, Prepared], &[Committed, Aborted]));
        // A decision reversed.
        assert!(!is_step(1, &[Aborted], &[Committed]));
        // Wrong length.
        assert!(!is_step(2, &[Working], &[Working]));
    }

    /// `is_step` decides by `apply` alone, without building states: it must agree with the
    /// spec's own transition relation (`next_state` over `actions`, or a stutter) on every
    /// pair of states, reachable or not, at 3 RMs (4^3 x 4^3 pairs).
    #[test]
    fn is_step_agrees_with_the_transition_relation_on_every_pair() {
        use RmState::*;
        let spec = AtomicCommit::new(3).unwrap();
        let phases = [Working, Prepared, Committed, Aborted];
        let all: Vec<Vec<RmState>> = (0..64)
            .map(|n: usize| (0..3).map(|i| phases[(n >> (2 * i)) & 3]).collect())
            .collect();
        let (mut steps, mut pairs) = (0, 0);
        for before in &all {
            let mut actions = Vec::new();
            spec.actions(before, &mut actions);
            for after in &all {
                let by_relation = before == after
                    || actions
                        .iter()
                        .any(|&a| spec.next_state(before, a).as_ref() == Some(after));
                assert_eq!(
                    is_step(3, before, after),
                    by_relation,
                    "{before:?} -> {after:?}"
                );
                steps += usize::from(by_relation && before != after);
                pairs += 1;
            }
        }
        assert_eq!(pairs, 4096);
        // Not vacuous: both answers occur.
        assert!(steps > 0 && steps < pairs - 64, "{steps} steps");
    }

    /// `TCommit` with `canCommit` dropped: a prepared RM may commit while another is working.
    struct CommitWithoutAllPrepared(AtomicCommit);

    impl Model for CommitWithoutAllPrepared {
        type State = Vec<RmState>;
        type Action = AcAction;

        fn init_states(&self) -> Vec<Self::State> {
            self.0.init_states()
        }

        fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
            self.0.actions(state, actions);
            for (i, rm) in state.iter().enumerate() {
                let action = AcAction::DecideCommit(i);
                if *rm == RmState::Prepared && !actions.contains(&action) {
                    actions.push(action);
                }
            }
        }

        fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
            match action {
                AcAction::DecideCommit(i) if state[i] == RmState::Prepared => {
                    let mut next = state.clone();
                    next[i] = RmState::Committed;
                    Some(next)
                }
                _ => self.0.next_state(state, action),
            }
        }

        fn properties(&self) -> Vec<Property<Self>> {
            vec![Property::always("consistency", |_, s: &Vec<RmState>| {
                consistent(s)
            })]
        }
    }

    #[test]
    fn commit_without_all_prepared_violates_consistency() {
        let model = CommitWithoutAllPrepared(AtomicCommit::new(2).unwrap());
        let checker = model.checker().spawn_bfs().join();
        let path = checker.discovery("consistency").expect("a counterexample");
        let last = path.last_state();
        assert!(last.contains(&RmState::Committed) && last.contains(&RmState::Aborted));
        // BFS finds a shortest counterexample: prepare, commit early, abort the other.
        assert_eq!(path.into_actions().len(), 3);
    }
}
