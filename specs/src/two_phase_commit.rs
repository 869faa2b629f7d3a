//! What two-phase commit must satisfy: the atomic-commitment conditions AC1-AC5 of
//! P. A. Bernstein, V. Hadzilacos and N. Goodman, "Concurrency Control and Recovery in Database
//! Systems", 1987, chapter 7, and refinement of the abstract spec `TCommit`
//! ([`crate::atomic_commit`]) of Gray and Lamport, "Consensus on Transaction Commit", 2006.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | AC1: no RM commits while another aborts |
//! | `commit only if all voted yes` | always | AC3: a commit needs every RM's Yes vote |
//! | `all yes and no failure gives commit` | always | AC4: an abort needs a No vote or a failure |
//! | `abstraction satisfies atomic-commit` | always | the RM phases form a `TCommit` state |
//! | `all commit` / `all abort` | sometimes | both outcomes are reachable |
//! | `termination` | eventually | every RM that is up decides (AC5's liveness, without crashes) |
//! | `decision is never reversed` | step | AC2: decisions are final ([`step_invariants`]) |
//!
//! AC4 says: if there are no failures and every RM votes Yes, the decision is Commit. In an
//! asynchronous model the TM cannot tell a slow RM from a failed one, so its vote timeout is a
//! *failure suspicion*; we read AC4 as "the TM aborts only if some RM voted No, its vote timer
//! fired, or it crashed and recovered undecided".
//!
//! The RM states the properties read include crashed RMs: stateright keeps a crashed actor's
//! last state, and an RM saves every change of its state at once, so that last state equals its
//! durable state, the one it will recover with.

use crate::atomic_commit::{self, RmState as AcRm};
use crate::StepInvariant;
use models::two_phase_commit::{
    AbortCause, Decision, RmPhase, RmState, TmPhase, TmState, TwoPcActor, TwoPcCfg, TwoPcState,
    Vote, TM_ID,
};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::{Expectation, Representative};

/// The checkable model of two-phase commit.
pub type TwoPcModel = ActorModel<TwoPcActor, TwoPcCfg, ()>;

/// A state of the whole two-phase commit system.
pub type TwoPcSysState = ActorModelState<TwoPcActor, ()>;

/// The TM's state (actor 0).
fn tm(s: &TwoPcSysState) -> &TmState {
    match &*s.actor_states[TM_ID] {
        TwoPcState::Tm(tm) => tm,
        TwoPcState::Rm(_) => unreachable!("actor {TM_ID} is the TM"),
    }
}

/// The RMs' states, RM `i + 1` at index `i`.
fn rms(s: &TwoPcSysState) -> impl Iterator<Item = &RmState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        TwoPcState::Rm(rm) => Some(rm),
        TwoPcState::Tm(_) => None,
    })
}

/// The TM's decision, if it has made one.
fn tm_decision(tm: &TmState) -> Option<(Decision, Option<AbortCause>)> {
    match tm.phase {
        TmPhase::Collecting { .. } => None,
        TmPhase::Decided { decision, cause } => Some((decision, cause)),
    }
}

/// The `TCommit` state a 2PC state maps to: each RM's phase, RM `i + 1` at index `i`.
pub fn abstraction(s: &TwoPcSysState) -> Vec<AcRm> {
    rms(s)
        .map(|rm| match rm.phase {
            RmPhase::Working => AcRm::Working,
            RmPhase::Prepared => AcRm::Prepared,
            RmPhase::Committed => AcRm::Committed,
            RmPhase::Aborted => AcRm::Aborted,
        })
        .collect()
}

/// AC1 (Bernstein et al. 1987): no RM has committed while another has aborted.
pub fn agreement(_: &TwoPcModel, s: &TwoPcSysState) -> bool {
    let committed = rms(s).any(|rm| rm.phase == RmPhase::Committed);
    let aborted = rms(s).any(|rm| rm.phase == RmPhase::Aborted);
    !(committed && aborted)
}

/// AC3 (Bernstein et al. 1987): if an RM committed or the TM decided Commit, every RM voted Yes.
pub fn commit_only_if_all_voted_yes(_: &TwoPcModel, s: &TwoPcSysState) -> bool {
    let committed = rms(s).any(|rm| rm.phase == RmPhase::Committed)
        || matches!(tm_decision(tm(s)), Some((Decision::Commit, _)));
    !committed || rms(s).all(|rm| rm.vote == Some(Vote::Yes))
}

/// AC4 (Bernstein et al. 1987): the TM aborts only after a No vote or a (suspected) failure.
pub fn all_yes_and_no_failure_gives_commit(_: &TwoPcModel, s: &TwoPcSysState) -> bool {
    match tm_decision(tm(s)) {
        Some((Decision::Abort, Some(AbortCause::VoteNo))) => {
            rms(s).any(|rm| rm.vote == Some(Vote::No))
        }
        Some((Decision::Abort, Some(AbortCause::Timeout | AbortCause::Recovery))) => true,
        Some((Decision::Abort, None)) => false,
        Some((Decision::Commit, _)) | None => true,
    }
}

/// Refinement (Gray & Lamport 2006): the RM phases form a consistent, well-typed `TCommit` state.
pub fn abstraction_satisfies_atomic_commit(m: &TwoPcModel, s: &TwoPcSysState) -> bool {
    let abstract_state = abstraction(s);
    atomic_commit::consistent(&abstract_state) && atomic_commit::type_ok(m.cfg.rms, &abstract_state)
}

/// Non-triviality (Gray & Lamport 2006, `TCommit` can commit): every RM committed.
pub fn all_commit(_: &TwoPcModel, s: &TwoPcSysState) -> bool {
    rms(s).all(|rm| rm.phase == RmPhase::Committed)
}

/// Non-triviality (Gray & Lamport 2006, `TCommit` can abort): every RM aborted.
pub fn all_abort(_: &TwoPcModel, s: &TwoPcSysState) -> bool {
    rms(s).all(|rm| rm.phase == RmPhase::Aborted)
}

/// AC5's liveness (Bernstein et al. 1987), for RMs that are up: every such RM has decided.
pub fn termination(_: &TwoPcModel, s: &TwoPcSysState) -> bool {
    rms(s)
        .zip(s.crashed.iter().skip(TM_ID + 1))
        .all(|(rm, &crashed)| crashed || matches!(rm.phase, RmPhase::Committed | RmPhase::Aborted))
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: TwoPcCfg) -> TwoPcModel {
    cfg.into_model()
        .property(Expectation::Always, "agreement", agreement)
        .property(
            Expectation::Always,
            "commit only if all voted yes",
            commit_only_if_all_voted_yes,
        )
        .property(
            Expectation::Always,
            "all yes and no failure gives commit",
            all_yes_and_no_failure_gives_commit,
        )
        .property(
            Expectation::Always,
            "abstraction satisfies atomic-commit",
            abstraction_satisfies_atomic_commit,
        )
        .property(Expectation::Sometimes, "all commit", all_commit)
        .property(Expectation::Sometimes, "all abort", all_abort)
        .property(Expectation::Eventually, "termination", termination)
}

/// AC2 (Bernstein et al. 1987): a decision, once made by an RM or by the TM, never changes.
pub fn decision_is_never_reversed(
    _: &TwoPcModel,
    before: &TwoPcSysState,
    after: &TwoPcSysState,
) -> bool {
    let decided = |phase: RmPhase| matches!(phase, RmPhase::Committed | RmPhase::Aborted);
    let rms_keep = rms(before)
        .zip(rms(after))
        .all(|(b, a)| !decided(b.phase) || a.phase == b.phase);
    let tm_keeps = match (tm_decision(tm(before)), tm_decision(tm(after))) {
        (Some((b, _)), Some((a, _))) => a == b,
        (Some(_), None) => false,
        (None, _) => true,
    };
    rms_keep && tm_keeps
}

/// The properties of transitions, for checkers that evaluate them (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<TwoPcModel>> {
    vec![StepInvariant {
        name: "decision is never reversed",
        holds: decision_is_never_reversed,
    }]
}

/// The representative of `s`'s symmetry class: RMs sorted by state, ids renamed to match; the
/// TM stays at index 0 because `TwoPcState::Tm` sorts first.
pub fn representative(s: &TwoPcSysState) -> TwoPcSysState {
    s.representative()
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::two_phase_commit::{TmRule, TwoPcMsg};
    use stateright::actor::{ActorModelAction, Id};
    use stateright::{Checker, Model};
    use std::collections::hash_map::DefaultHasher;
    use std::collections::{BTreeSet, HashSet};
    use std::hash::{Hash, Hasher};

    fn cfg(rms: usize, rule: TmRule) -> TwoPcCfg {
        let system = SystemCfg {
            network: NetworkKind::UnorderedNonDuplicating,
            lossy: false,
            crashes: 0,
        };
        TwoPcCfg::new(rms, system, rule).unwrap()
    }

    /// Checks `cfg` twice and returns both state counts.
    ///
    /// First with stateright's BFS checker (`assert_properties`). Then with an exhaustive search
    /// keyed by state *equality*, which evaluates every property on every state, every step
    /// invariant and the refinement mapping on every transition, and `termination` on every
    /// terminal state. The second search is needed because stateright 0.31 keys visited states by
    /// a hash in which `HashableHashMap` does not hash its length, so two states that differ
    /// only in *which* actor holds a pending random choice get the same fingerprint and the BFS
    /// explores just one of them (its count is lower than the true one).
    fn check_all(cfg: TwoPcCfg) -> (usize, usize) {
        let model = model(cfg);
        let checker = model.clone().checker().spawn_bfs().join();
        checker.assert_properties();

        let properties = model.properties();
        let mut found = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut pending = model.init_states();
        let mut actions = Vec::new();
        while let Some(state) = pending.pop() {
            if !seen.insert(state.clone()) {
                continue;
            }
            for p in &properties {
                let holds = (p.condition)(&model, &state);
                match p.expectation {
                    Expectation::Always => assert!(holds, "{} violated: {state:#?}", p.name),
                    Expectation::Sometimes if holds => {
                        found.insert(p.name);
                    }
                    Expectation::Sometimes | Expectation::Eventually => {}
                }
            }
            model.actions(&state, &mut actions);
            let successors: Vec<_> = actions
                .drain(..)
                .filter_map(|action| model.next_state(&state, action))
                .collect();
            if successors.is_empty() {
                assert!(termination(&model, &state), "not terminated: {state:#?}");
            }
            for next in successors {
                for inv in step_invariants() {
                    assert!((inv.holds)(&model, &state, &next), "{} violated", inv.name);
                }
                let (before, after) = (abstraction(&state), abstraction(&next));
                assert!(atomic_commit::is_step(cfg.rms, &before, &after));
                pending.push(next);
            }
        }
        assert_eq!(found, BTreeSet::from(["all commit", "all abort"]));

        // The whole gap between the two counts is states with equal hashes.
        let hashes: HashSet<u64> = seen
            .iter()
            .map(|s| {
                let mut hasher = DefaultHasher::new();
                s.hash(&mut hasher);
                hasher.finish()
            })
            .collect();
        assert_eq!(hashes.len(), checker.unique_state_count());
        (checker.unique_state_count(), seen.len())
    }

    #[test]
    fn two_rms_satisfy_every_property() {
        assert_eq!(check_all(cfg(2, TmRule::AllYes)), (143, 144));
    }

    #[test]
    fn three_rms_satisfy_every_property() {
        assert_eq!(check_all(cfg(3, TmRule::AllYes)), (1393, 1424));
    }

    #[test]
    fn three_rms_satisfy_every_property_under_symmetry() {
        // Stateright 0.31 applies symmetry reduction in its DFS checker only (BFS ignores it).
        let checker = model(cfg(3, TmRule::AllYes))
            .checker()
            .symmetry_fn(representative)
            .spawn_dfs()
            .join();
        checker.assert_properties();
        assert_eq!(checker.unique_state_count(), 360);
    }

    #[test]
    fn first_yes_tm_breaks_agreement_and_ac3() {
        let checker = model(cfg(2, TmRule::FirstYes)).checker().spawn_bfs().join();

        let path = checker
            .discovery("commit only if all voted yes")
            .expect("a counterexample to AC3");
        let last = path.last_state();
        assert!(matches!(
            tm_decision(tm(last)),
            Some((Decision::Commit, None))
        ));
        assert!(rms(last).any(|rm| rm.vote != Some(Vote::Yes)));
        // Not a shortest path (that has 3 steps): stateright 0.31's BFS replaces a discovery
        // each time it meets another violating state while other properties are still open.
        assert_eq!(path.into_actions().len(), 7);

        let path = checker
            .discovery("agreement")
            .expect("a counterexample to AC1");
        let phases: BTreeSet<RmPhase> = rms(path.last_state()).map(|rm| rm.phase).collect();
        assert_eq!(
            phases,
            BTreeSet::from([RmPhase::Committed, RmPhase::Aborted])
        );
        // Prepare reaches both RMs, one votes No and one Yes, the Yes reaches the TM, and the
        // TM's Commit reaches the RM that voted Yes.
        assert_eq!(path.into_actions().len(), 6);
    }

    #[test]
    fn representative_sorts_rms_and_keeps_the_tm_first() {
        let model = model(cfg(2, TmRule::AllYes));
        let (tm_id, rm1) = (Id::from(0), Id::from(1));
        let steps = [
            ActorModelAction::Deliver {
                src: tm_id,
                dst: rm1,
                msg: TwoPcMsg::Prepare,
            },
            ActorModelAction::SelectRandom {
                actor: rm1,
                key: "vote".to_string(),
                random: Vote::Yes,
            },
            ActorModelAction::Deliver {
                src: rm1,
                dst: tm_id,
                msg: TwoPcMsg::Prepared,
            },
        ];
        let state = steps
            .into_iter()
            .fold(model.init_states().remove(0), |s, a| {
                model.next_state(&s, a).expect("enabled")
            });
        // rm1 is prepared and counted by the TM; rm2 is still working.
        let yes = |ids: &[usize]| TmPhase::Collecting {
            yes: ids.iter().map(|&i| Id::from(i)).collect(),
        };
        assert_eq!(tm(&state).phase, yes(&[1]));
        assert_eq!(
            rms(&state).map(|rm| rm.phase).collect::<Vec<_>>(),
            [RmPhase::Prepared, RmPhase::Working]
        );

        let rep = representative(&state);
        assert_eq!(tm(&rep).phase, yes(&[2]));
        assert_eq!(
            rms(&rep).map(|rm| rm.phase).collect::<Vec<_>>(),
            [RmPhase::Working, RmPhase::Prepared]
        );
        // rm2's pending Prepare is now addressed to rm1, and storage moved with the states.
        let pending: Vec<_> = rep
            .network
            .iter_deliverable()
            .map(|e| (e.src, e.dst))
            .collect();
        assert_eq!(pending, [(tm_id, rm1)]);
        assert_eq!(
            rep.actor_storages[2],
            Some(models::two_phase_commit::TwoPcStorage::Rm(RmState {
                phase: RmPhase::Prepared,
                vote: Some(Vote::Yes)
            }))
        );
        // A state that is already sorted is its own representative.
        assert_eq!(representative(&rep), rep);
    }
}
