//! Two-phase commit on the deterministic simulator, checked against its own spec at run time.
//!
//! Every run builds its nodes from the same [`TwoPcCfg`] the model checker uses and, after every
//! step (crashes and recoveries included), evaluates every `always` property of
//! `specs::two_phase_commit::model(cfg)` on [`Sim::snapshot`] and every step invariant on the
//! pair (previous snapshot, next snapshot). It also replays each step through the model and
//! checks that the model lands on the same snapshot, so the properties are judged on a state
//! the checker itself could reach (the harness in `common`, shared with the other scenario
//! tests). At quiescence the scenario decides what must hold: usually
//! `termination`, and every RM's phase matching the TM's decision.
//!
//! Runs are bounded by [`STEPS_MAX`]; a 2PC transaction of nine RMs takes about forty steps.

use common::Checked;
use impls::sim::{SimCfg, Step};
use models::common::{NetworkKind, SystemCfg};
use models::two_phase_commit::{
    AbortCause, Decision, RmPhase, RmState, TmPhase, TmRule, TwoPcActor, TwoPcCfg, TwoPcMsg,
    TwoPcState, Vote, TM_ID,
};
use specs::two_phase_commit::{self as spec, TwoPcModel, TwoPcSysState};
use stateright::actor::Id;
use std::collections::BTreeMap;

mod common;

/// Most steps one checked run may take; a run that needs more is a bug (2PC has no retries).
const STEPS_MAX: usize = 1_000;

/// Chance per mille that a send is duplicated on the duplicating network.
const DUP_PER_MILLE: u32 = 300;

fn two_pc(rms: usize, network: NetworkKind, crashes: usize, rule: TmRule) -> TwoPcCfg {
    let system = SystemCfg {
        crashes,
        ..SystemCfg::reliable(network)
    };
    TwoPcCfg::new(rms, system, rule).expect("a valid configuration")
}

fn sim_cfg(seed: u64) -> SimCfg {
    SimCfg {
        seed,
        dup_per_mille: DUP_PER_MILLE,
        ..SimCfg::default()
    }
}

/// A simulated 2PC run whose every step is checked against the spec (see the module docs).
type CheckedRun<'m> = Checked<'m, TwoPcModel, TwoPcActor, TwoPcCfg>;

/// A run of `model`'s system with `seed`, judged by its properties and step invariants.
fn checked_run(model: &TwoPcModel, seed: u64) -> CheckedRun<'_> {
    Checked::new(model, model, sim_cfg(seed)).with_step_invariants(spec::step_invariants())
}

impl CheckedRun<'_> {
    /// Steps to quiescence, checking every step.
    fn run(&mut self) {
        self.run_to_quiescence(STEPS_MAX);
    }

    fn holds(&self, property: fn(&TwoPcModel, &TwoPcSysState) -> bool) -> bool {
        property(self.spec(), &self.last)
    }

    fn tm_decision(&self) -> Option<(Decision, Option<AbortCause>)> {
        match &*self.sim.actor_states()[TM_ID] {
            TwoPcState::Tm(tm) => match tm.phase {
                TmPhase::Collecting { .. } => None,
                TmPhase::Decided { decision, cause } => Some((decision, cause)),
            },
            TwoPcState::Rm(_) => unreachable!("actor {TM_ID} is the TM"),
        }
    }

    fn rm(&self, id: Id) -> RmState {
        match &*self.sim.actor_states()[usize::from(id)] {
            TwoPcState::Rm(rm) => *rm,
            TwoPcState::Tm(_) => unreachable!("only actor {TM_ID} is the TM"),
        }
    }

    fn rms(&self) -> Vec<RmState> {
        (TM_ID + 1..self.sim.actor_states().len())
            .map(|i| self.rm(Id::from(i)))
            .collect()
    }

    /// Every RM has decided, the TM's way; returns the decision and its cause.
    fn assert_decided_consistently(&self) -> (Decision, Option<AbortCause>) {
        self.assert_safe();
        assert!(self.holds(spec::termination), "{:?}", self.sim.trace());
        let (decision, cause) = self.tm_decision().expect("the TM has decided");
        let phase = match decision {
            Decision::Commit => RmPhase::Committed,
            Decision::Abort => RmPhase::Aborted,
        };
        assert!(
            self.rms().iter().all(|rm| rm.phase == phase),
            "TM decided {decision:?} but RMs are {:?}",
            self.rms()
        );
        match decision {
            Decision::Commit => assert!(self.holds(spec::all_commit)),
            Decision::Abort => assert!(self.holds(spec::all_abort)),
        }
        (decision, cause)
    }
}

/// Outcomes over many seeds.
#[derive(Debug, Default)]
struct Tally {
    commits: usize,
    aborts: usize,
}

/// Runs `seeds` fault-free transactions to quiescence; each must decide consistently, and,
/// since the vote timer (at least 500 ms) outlasts any message chain (at most 20 ms), every
/// abort must come from a No vote.
fn decide_for_every_seed(cfg: TwoPcCfg, seeds: std::ops::Range<u64>) -> Tally {
    let mut tally = Tally::default();
    for seed in seeds {
        let model = spec::model(cfg);
        let mut run = checked_run(&model, seed);
        run.run();
        match run.assert_decided_consistently() {
            (Decision::Commit, _) => {
                assert!(run.rms().iter().all(|rm| rm.vote == Some(Vote::Yes)));
                tally.commits += 1;
            }
            (Decision::Abort, cause) => {
                assert_eq!(cause, Some(AbortCause::VoteNo), "seed {seed}");
                tally.aborts += 1;
            }
        }
    }
    tally
}

#[test]
fn three_rms_decide_consistently_for_every_seed() {
    let cfg = two_pc(3, NetworkKind::UnorderedNonDuplicating, 0, TmRule::AllYes);
    let tally = decide_for_every_seed(cfg, 0..2000);
    assert!(tally.commits > 0 && tally.aborts > 0, "{tally:?}");
    // Each RM votes Yes with chance 1/2, so about 2000/8 = 250 runs commit (sd about 15).
    assert!((150..350).contains(&tally.commits), "{tally:?}");
}

#[test]
fn five_rms_decide_consistently_for_every_seed() {
    let cfg = two_pc(5, NetworkKind::UnorderedNonDuplicating, 0, TmRule::AllYes);
    // About 500/32 = 16 commits expected.
    let tally = decide_for_every_seed(cfg, 0..500);
    assert!(tally.commits > 0 && tally.aborts > 0, "{tally:?}");
}

#[test]
fn nine_rms_decide_consistently_for_every_seed() {
    let cfg = two_pc(9, NetworkKind::UnorderedNonDuplicating, 0, TmRule::AllYes);
    // A commit needs nine Yes votes (chance 1/512): about 6 of 3000 seeds.
    let tally = decide_for_every_seed(cfg, 0..3000);
    assert!(tally.commits > 0 && tally.aborts > 0, "{tally:?}");
}

#[test]
fn ordered_network_decides_consistently_for_every_seed() {
    let cfg = two_pc(3, NetworkKind::Ordered, 0, TmRule::AllYes);
    let tally = decide_for_every_seed(cfg, 0..1000);
    assert!(tally.commits > 0 && tally.aborts > 0, "{tally:?}");
}

#[test]
fn duplicating_network_decides_consistently_for_every_seed() {
    let cfg = two_pc(3, NetworkKind::UnorderedDuplicating, 0, TmRule::AllYes);
    let tally = decide_for_every_seed(cfg, 0..1000);
    assert!(tally.commits > 0 && tally.aborts > 0, "{tally:?}");
    // The scenario is only worth its name if some message really arrives twice.
    let duplicated = (0..100).any(|seed| {
        let model = spec::model(cfg);
        let mut run = checked_run(&model, seed);
        run.run();
        let deliveries: Vec<_> = run
            .sim
            .trace()
            .iter()
            .filter(|s| matches!(s, Step::Deliver { .. }))
            .collect();
        deliveries
            .iter()
            .enumerate()
            .any(|(i, d)| deliveries[..i].contains(d))
    });
    assert!(duplicated, "no seed in 0..100 delivered a message twice");
}

#[test]
fn tm_crash_at_any_step_then_recovery_decides_consistently() {
    let cfg = two_pc(3, NetworkKind::UnorderedNonDuplicating, 1, TmRule::AllYes);
    let tm = Id::from(TM_ID);
    let (mut blocked, mut decided_before_crash, mut presumed_abort) = (0, 0, 0);
    for seed in 0..1000 {
        let model = spec::model(cfg);
        let mut run = checked_run(&model, seed);
        // A fault-free run of three RMs takes about 12 steps; crash anywhere in it or just after.
        let k = seed % 16;
        for _ in 0..k {
            run.step();
        }
        let decided_at_crash = run.tm_decision();
        run.crash(tm);
        // While the TM is down the RMs go on; a prepared RM can only wait for the decision.
        run.run();
        run.assert_safe();
        if decided_at_crash.is_none() && run.rms().iter().any(|rm| rm.phase == RmPhase::Prepared) {
            assert!(!run.holds(spec::termination));
            blocked += 1;
        }
        run.recover(tm);
        run.run();
        let (decision, cause) = run.assert_decided_consistently();
        match decided_at_crash {
            Some((before, _)) => {
                assert_eq!(before, decision, "seed {seed}");
                decided_before_crash += 1;
            }
            None => {
                assert_eq!(
                    (decision, cause),
                    (Decision::Abort, Some(AbortCause::Recovery))
                );
                presumed_abort += 1;
            }
        }
    }
    assert!(blocked > 0, "no seed showed 2PC blocking on a down TM");
    assert!(decided_before_crash > 0 && presumed_abort > 0);
}

#[test]
fn rm_crash_before_voting_then_recovery_aborts_unilaterally() {
    let cfg = two_pc(3, NetworkKind::UnorderedNonDuplicating, 1, TmRule::AllYes);
    let mut unilateral = 0;
    let mut causes = BTreeMap::new();
    for seed in 0..1000 {
        let model = spec::model(cfg);
        let mut run = checked_run(&model, seed);
        let victim = Id::from(TM_ID + 1 + (seed as usize % cfg.rms));
        // Step until a seeded count, or until the victim is about to vote or has been told.
        let k = seed % 8;
        for _ in 0..k {
            let about_to_vote = !run.last.random_choices[usize::from(victim)].map.is_empty();
            if about_to_vote || run.rm(victim).phase != RmPhase::Working {
                break;
            }
            run.step();
        }
        let working = run.rm(victim).phase == RmPhase::Working;
        assert_eq!(
            run.rm(victim).vote,
            None,
            "seed {seed}: crash before the vote"
        );
        run.crash(victim);
        // Down for a seeded number of steps; the longer outages outlast the TM's vote timer.
        for _ in 0..(seed / 8) % 24 {
            run.step();
        }
        run.recover(victim);
        run.run();
        let (decision, cause) = run.assert_decided_consistently();
        assert_eq!(decision, Decision::Abort, "seed {seed}");
        if working {
            assert_eq!(run.rm(victim).vote, Some(Vote::No), "seed {seed}");
            unilateral += 1;
        }
        *causes.entry(cause).or_insert(0) += 1;
    }
    assert!(unilateral > 0);
    assert!(
        causes.contains_key(&Some(AbortCause::VoteNo))
            && causes.contains_key(&Some(AbortCause::Timeout)),
        "{causes:?}"
    );
}

#[test]
fn first_yes_tm_violates_commit_only_if_all_voted_yes_on_the_runtime() {
    let cfg = two_pc(3, NetworkKind::UnorderedNonDuplicating, 0, TmRule::FirstYes);
    let mut agreement_violated = false;
    let mut first = None;
    for seed in 0..300 {
        let model = spec::model(cfg);
        let mut run = checked_run(&model, seed);
        run.run();
        agreement_violated |= run.violations.contains_key("agreement");
        if let Some(&at) = run.violations.get("commit only if all voted yes") {
            // The violation appears exactly when the TM commits on its first Prepared.
            let step = &run.sim.trace()[at - 1];
            assert!(
                matches!(
                    step,
                    Step::Deliver { dst, msg: TwoPcMsg::Prepared, .. } if usize::from(*dst) == TM_ID
                ),
                "seed {seed}: violated after {step:?}"
            );
            first.get_or_insert(seed);
        }
    }
    assert!(first.is_some(), "no seed in 0..300 caught the broken TM");
    assert!(agreement_violated, "no seed in 0..300 split the RMs");
}

#[test]
fn same_seed_gives_identical_trace() {
    for network in [
        NetworkKind::Ordered,
        NetworkKind::UnorderedDuplicating,
        NetworkKind::UnorderedNonDuplicating,
    ] {
        let cfg = two_pc(5, network, 1, TmRule::AllYes);
        let trace = |seed: u64| {
            let model = spec::model(cfg);
            let mut run = checked_run(&model, seed);
            for _ in 0..seed % 10 {
                run.step();
            }
            run.crash(Id::from(TM_ID));
            run.run();
            run.recover(Id::from(TM_ID));
            run.run();
            run.sim.trace().to_vec()
        };
        for seed in 0..20 {
            assert_eq!(trace(seed), trace(seed), "{network:?}, seed {seed}");
        }
        let distinct: std::collections::HashSet<_> = (0..20).map(trace).collect();
        assert!(distinct.len() > 1, "{network:?}: every seed ran alike");
    }
}
