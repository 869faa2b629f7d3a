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
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement, Symmetry};
use crate::StepInvariant;
use models::common::CfgError;
use models::two_phase_commit::{
    AbortCause, Decision, RmPhase, RmState, TmPhase, TmRule, TmState, TwoPcActor, TwoPcCfg,
    TwoPcMsg, TwoPcState, TwoPcStorage, TwoPcTimer, Vote, TM_ID,
};
use stateright::actor::{ActorModel, ActorModelState, Id};
use stateright::Expectation;

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

/// Everything that tells one actor apart from another, with no actor id in it: two RMs with
/// equal keys can be swapped without changing the system state. The TM's key sorts first
/// (`TwoPcState::Tm` is the first variant), so it stays at index 0.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SymmetryKey {
    state: TwoPcState,
    storage: Option<TwoPcStorage>,
    crashed: bool,
    timers: Vec<TwoPcTimer>,
    choices: Vec<(String, Vec<Vote>)>,
    /// Messages to this actor, then from it, with the peer (see [`crate::Mail`]). With
    /// symmetry on, RMs talk to the TM only, so the peer of an RM's message is the TM.
    inbox: Vec<(Id, TwoPcMsg)>,
    outbox: Vec<(Id, TwoPcMsg)>,
    /// Whether the TM has counted this actor's Yes vote.
    counted_yes: bool,
    /// The duplicating network's last delivered message, if this actor sent or received it.
    last_msg: Option<(bool, Id, TwoPcMsg)>,
}

fn symmetry_key(s: &TwoPcSysState, i: usize) -> SymmetryKey {
    let id = Id::from(i);
    let crate::Mail {
        inbox,
        outbox,
        last: last_msg,
    } = crate::mail_of(&s.network, id);
    let mut timers: Vec<TwoPcTimer> = s.timers_set[i].iter().copied().collect();
    timers.sort();
    let mut choices: Vec<(String, Vec<Vote>)> = s.random_choices[i]
        .map
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    choices.sort();
    let counted_yes = matches!(
        &*s.actor_states[TM_ID],
        TwoPcState::Tm(TmState { phase: TmPhase::Collecting { yes } }) if yes.contains(&id)
    );
    SymmetryKey {
        state: (*s.actor_states[i]).clone(),
        storage: s.actor_storages[i],
        crashed: s.crashed[i],
        timers,
        choices,
        inbox,
        outbox,
        counted_yes,
        last_msg,
    }
}

/// The canonical representative of `s`'s symmetry class (RMs are interchangeable): RMs sorted
/// by everything that distinguishes them ([`SymmetryKey`]), ids renamed to match. Unlike
/// stateright's `Representative`, which sorts by actor state alone and breaks ties by the old
/// order, this is canonical: every permutation of the RMs has the same representative, which
/// is what lets a checker replay a reduced trace as a concrete run.
pub fn representative(s: &TwoPcSysState) -> TwoPcSysState {
    crate::sorted_by_key(s, |i| symmetry_key(s, i))
}

/// The declaration of `two-phase-commit`: the TM and `rms` RMs as actors, checked against
/// AC1-AC4, termination and the atomic-commit spec.
pub fn protocol() -> Protocol<TwoPcModel> {
    Protocol::new(
        "two-phase-commit",
        "Two-phase commit: a transaction manager collects votes and decides; blocks if it crashes",
        TwoPcCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(TwoPcCfg::RMS, "number of resource managers"))
    .param(Param::choice(
        "commit-rule",
        &["all-yes", "first-yes"],
        "all-yes",
        "when the TM commits: on every yes vote (correct) or on the first (broken)",
    ))
    .param(Param::bool(
        "ask-peers",
        false,
        "cooperative termination: an in-doubt RM asks a peer for the outcome on a timer",
    ))
    .step_invariants(step_invariants)
    // Under weak fairness a node that crashes and recovers forever may miss its messages
    // forever (delivery is disabled while it is down); we assume, as 2PC's analyses do, that a
    // message deliverable again and again is delivered: strong fairness. Then the only way to
    // never decide is to stay blocked. `--fairness weak` shows the other run.
    .fairness(|_| Fairness::Strong)
    // Quiet after every live RM decided is the proper end of a transaction.
    .end_states(termination)
    .refinement(|cfg| {
        let spec = atomic_commit::AtomicCommit::new(cfg.rms)?;
        Ok(Some(Refinement::new("atomic-commit", spec, abstraction)))
    })
    // RMs are interchangeable, unless each asks its own neighbour.
    .symmetry(|cfg| (!cfg.ask_peers).then_some(representative as Symmetry<TwoPcSysState>))
    // Once the TM is back it decides (presumed abort if it had not), and every RM hears.
    .live_after_recovery()
    .actions(|cfg, k| {
        use models::two_phase_commit::TwoPcMsgKind as Msg;
        k.receives("rm", [Msg::Prepare, Msg::Commit, Msg::Abort])
            .chooses("rm", "vote")
            .receives("tm", [Msg::Prepared, Msg::VoteNo])
            .timeout("tm", TwoPcTimer::VoteTimeout);
        if cfg.ask_peers && cfg.rms > 1 {
            k.timeout("rm", TwoPcTimer::AskPeer)
                .receives("rm", [Msg::Query, Msg::Reply]);
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<TwoPcCfg, CfgError> {
    let rule = match p.word("commit-rule") {
        "first-yes" => TmRule::FirstYes,
        _ => TmRule::AllYes,
    };
    let cfg = TwoPcCfg::new(p.int("rms") as usize, system_cfg(p), rule)?;
    Ok(cfg.with_ask_peers(p.bool("ask-peers")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::two_phase_commit::{TmRule, TwoPcMsg};
    use stateright::actor::ActorModelAction;
    use stateright::Model;
    use std::collections::{BTreeSet, HashSet};

    fn cfg(rms: usize, rule: TmRule) -> TwoPcCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        TwoPcCfg::new(rms, system, rule).unwrap()
    }

    /// What an exhaustive search keyed by state *equality* saw: the number of reachable
    /// states, the names of the properties it found violated (always, step invariant,
    /// refinement, termination at a dead end) and the sometimes properties it found.
    ///
    /// Deliberately independent of every hash-keyed checker, ours included: stateright 0.31's
    /// `Hash` for `HashableHashMap`/`HashableHashSet` does not hash their length, so states that
    /// differ only in *which* actor holds a pending timer or random choice share a hash. The
    /// checker crate pins the same counts; if its fingerprint ever merged states, they would
    /// disagree with these.
    struct Search {
        states: usize,
        violated: BTreeSet<&'static str>,
        found: BTreeSet<&'static str>,
        all: Vec<TwoPcSysState>,
    }

    fn search(cfg: TwoPcCfg) -> Search {
        let model = model(cfg);
        let properties = model.properties();
        let (mut violated, mut found) = (BTreeSet::new(), BTreeSet::new());
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        let mut pending = model.init_states();
        let mut actions = Vec::new();
        while let Some(state) = pending.pop() {
            if !seen.insert(state.clone()) {
                continue;
            }
            for p in &properties {
                let holds = (p.condition)(&model, &state);
                match p.expectation {
                    Expectation::Always if !holds => {
                        violated.insert(p.name);
                    }
                    Expectation::Sometimes if holds => {
                        found.insert(p.name);
                    }
                    _ => {}
                }
            }
            model.actions(&state, &mut actions);
            let successors: Vec<_> = actions
                .drain(..)
                .filter_map(|action| model.next_state(&state, action))
                .collect();
            if successors.is_empty() && !termination(&model, &state) {
                violated.insert("termination");
            }
            for next in successors {
                for inv in step_invariants() {
                    if !(inv.holds)(&model, &state, &next) {
                        violated.insert(inv.name);
                    }
                }
                let (before, after) = (abstraction(&state), abstraction(&next));
                if !atomic_commit::is_step(cfg.rms, &before, &after) {
                    violated.insert("refines atomic-commit");
                }
                pending.push(next);
            }
            all.push(state);
        }
        Search {
            states: seen.len(),
            violated,
            found,
            all,
        }
    }

    fn assert_correct(cfg: TwoPcCfg) -> usize {
        let s = search(cfg);
        assert_eq!(s.violated, BTreeSet::new());
        assert_eq!(s.found, BTreeSet::from(["all commit", "all abort"]));
        s.states
    }

    #[test]
    fn two_rms_satisfy_every_property() {
        assert_eq!(assert_correct(cfg(2, TmRule::AllYes)), 123);
    }

    #[test]
    fn three_rms_satisfy_every_property() {
        assert_eq!(assert_correct(cfg(3, TmRule::AllYes)), 1096);
    }

    #[test]
    fn first_yes_tm_breaks_agreement_and_ac3() {
        let s = search(cfg(2, TmRule::FirstYes));
        for name in [
            "agreement",
            "commit only if all voted yes",
            "abstraction satisfies atomic-commit",
            "refines atomic-commit",
        ] {
            assert!(s.violated.contains(name), "{name}: {:?}", s.violated);
        }
    }

    /// Applies the permutation `perm` (new index of each actor) to a state.
    fn permute(s: &TwoPcSysState, perm: &[usize]) -> TwoPcSysState {
        crate::rename_actors(s, &stateright::RewritePlan::from_values_to_sort(perm))
    }

    #[test]
    fn representative_is_canonical_over_every_permutation_of_rms() {
        // Every reachable state of 3 RMs, under all 6 orders of the RMs, has one representative.
        let perms = [
            [0, 1, 2, 3],
            [0, 1, 3, 2],
            [0, 2, 1, 3],
            [0, 2, 3, 1],
            [0, 3, 1, 2],
            [0, 3, 2, 1],
        ];
        for s in search(cfg(3, TmRule::AllYes)).all {
            let rep = representative(&s);
            for perm in &perms {
                assert_eq!(representative(&permute(&s, perm)), rep, "{s:#?}");
            }
        }
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
