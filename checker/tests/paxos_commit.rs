//! Paxos Commit through the registry: safe and live at two sizes; with a crash every RM that
//! is up still decides; with more than F acceptors down it blocks; with F = 0 its abstraction
//! into `atomic-commit` reaches exactly the states two-phase commit's does; each broken
//! variant is caught; and the same on the simulator.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::{RuntimeOptions, RuntimeReport};
use impls::nemesis::Faults;
use models::paxos_commit::{Decision, PaxosCommitState};
use specs::atomic_commit::RmState as AcRm;
use stateright::Model;
use std::collections::{BTreeSet, HashSet};
use std::hash::Hash;

mod common;
use common::{actions, property};

const NAME: &str = "paxos-commit";
const AC1: &str = "agreement";
const NON_BLOCKING: &str = "non-blocking";

fn check(settings: &[&str]) -> Report {
    common::check(NAME, settings, &CheckOptions::default())
}

#[test]
fn fault_free_runs_are_safe_and_live_at_two_sizes() {
    // Without a crash nothing is suspected under the accurate detector: ballot 0 only.
    for (settings, states) in [(["rms=1"], 60), (["rms=2"], 3324)] {
        let r = check(&settings);
        assert!(r.complete && r.all_pass(), "{settings:?}");
        assert_eq!(r.unique_states, states, "{settings:?}");
        assert_eq!(property(&r, "refinement").status, Status::Holds);
        assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
    }
}

#[test]
fn with_one_crash_every_rm_that_is_up_decides() {
    // One node down at a time (an acceptor, the RM, the leader), recovering or not: an
    // acceptor's crash leaves a majority, an RM's makes the leader run ballot 1 and choose
    // Aborted for it. With one leader its crash leaves nobody to lead (the claim then asks
    // nothing); two leaders multiply the space past the suite's budget (see the README), and
    // the runtime test below shows the backup finishing.
    let r = check(&["rms=1", "leaders=1", "crashes=1"]);
    assert!(r.complete && r.all_pass());
    assert_eq!(r.unique_states, 136_744);
    assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
}

/// The takeover setting: one RM, `F = 1`, two leaders; only leader0 and a1 may crash, both
/// at once, and for good.
const TAKEOVER: [&str; 4] = [
    "rms=1",
    "crashable=leader0-a1",
    "crashes=2",
    "recover=false",
];

#[test]
fn a_backup_leader_finishes_with_the_first_leader_and_an_acceptor_down() {
    // Exhaustive, liveness included: whenever leader0 fails, leader1 takes over with ballot
    // 2, with a1 down or not, and every RM that is up decides.
    let r = check(&TAKEOVER);
    assert!(r.complete && r.all_pass());
    assert_eq!(r.unique_states, 23_376);
    assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
    assert_eq!(property(&r, "refinement").status, Status::Holds);
    // The same two nodes free to recover: a recovered leader0 no longer leads, a recovered
    // a1 answers again; still every RM that is up decides.
    let r = check(&TAKEOVER[..3]);
    assert!(r.complete && r.all_pass());
    assert_eq!(r.unique_states, 69_888);
    assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
    // Not vacuous: the space holds states where leader0 and a1 are both down and leader1,
    // having taken over, decided (each way).
    let cfg = specs::paxos_commit::protocol().cfg_of(&TAKEOVER).unwrap();
    let model = specs::paxos_commit::model(cfg);
    let leader1 = usize::from(cfg.leader_ids()[1]);
    let a1 = usize::from(cfg.acceptor_ids()[0]);
    let decisions = reachable(&model, |s| {
        let PaxosCommitState::Leader(l) = &*s.actor_states[leader1] else {
            unreachable!("a leader")
        };
        (s.crashed[0] && s.crashed[a1])
            .then(|| l.decision())
            .flatten()
    });
    assert_eq!(
        decisions,
        BTreeSet::from([Decision::Commit, Decision::Abort])
    );
}

/// The values `f` gives on the states reachable in `model`, by a search keyed by state
/// equality.
fn reachable<M, T: Ord>(model: &M, f: impl Fn(&M::State) -> Option<T>) -> BTreeSet<T>
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let mut seen = HashSet::new();
    let mut out = BTreeSet::new();
    let mut pending = model.init_states();
    let mut actions = Vec::new();
    while let Some(state) = pending.pop() {
        if !seen.insert(state.clone()) {
            continue;
        }
        out.extend(f(&state));
        model.actions(&state, &mut actions);
        pending.extend(
            actions
                .drain(..)
                .filter_map(|a| model.next_state(&state, a)),
        );
    }
    out
}

#[test]
fn with_f_equal_0_it_is_two_phase_commit_up_to_abstraction() {
    // The correspondence checked: for the same RMs, no crash, and a vote timer that may fire
    // at any time in both, the atomic-commit states reachable through each protocol's
    // abstraction are the same set.
    for rms in [1, 2, 3] {
        let two_pc = specs::two_phase_commit::protocol()
            .cfg_of(&[&format!("rms={rms}")])
            .unwrap();
        let pc = specs::paxos_commit::protocol()
            .cfg_of(&[
                &format!("rms={rms}"),
                "faults=0",
                "leaders=1",
                "detector=timeout",
            ])
            .unwrap();
        let of_2pc = abstract_states(
            &specs::two_phase_commit::model(two_pc),
            specs::two_phase_commit::abstraction,
        );
        let of_pc = abstract_states(
            &specs::paxos_commit::model(pc),
            specs::paxos_commit::abstraction,
        );
        assert_eq!(of_pc, of_2pc, "rms={rms}");
        // Every consistent TCommit state but the all-working one after a decision: not a
        // vacuous agreement.
        assert!(of_pc.len() > 2 * rms, "rms={rms}: {of_pc:?}");
    }
}

/// The abstract states reachable in `model` through `abs`, by a search keyed by state
/// equality.
fn abstract_states<M>(model: &M, abs: fn(&M::State) -> Vec<AcRm>) -> BTreeSet<Vec<AcRm>>
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let mut seen = HashSet::new();
    let mut out = BTreeSet::new();
    let mut pending = model.init_states();
    let mut actions = Vec::new();
    while let Some(state) = pending.pop() {
        if !seen.insert(state.clone()) {
            continue;
        }
        out.insert(abs(&state));
        model.actions(&state, &mut actions);
        pending.extend(
            actions
                .drain(..)
                .filter_map(|a| model.next_state(&state, a)),
        );
    }
    out
}

#[test]
fn more_than_f_acceptors_down_block_it() {
    // F = 0: the one acceptor crashes and stays down (strong fairness owes no recovery); the
    // leader is up and never suspects anyone, the RM's vote is never chosen: stuck for ever.
    let r = check(&["rms=1", "faults=0", "leaders=1", "crashes=1"]);
    let p = property(&r, NON_BLOCKING);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "leader0 -> rm1: Prepare",
            "a1 crashes",
            "rm1 chooses vote = Yes",
        ]
    );
    assert_eq!(property(&r, AC1).status, Status::Holds);
    assert_eq!(property(&r, "deadlock").status, Status::Holds);
}

#[test]
fn a_lossy_network_blocks_it_too() {
    let r = check(&["rms=1", "lossy=true"]);
    let p = property(&r, NON_BLOCKING);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(actions(p), ["lost leader0 -> rm1: Prepare"]);
    assert_eq!(property(&r, AC1).status, Status::Holds);
}

#[test]
fn a_leader_that_commits_without_every_instance_prepared_is_caught() {
    let r = check(&["bug=commit-without-all-prepared"]);
    // rm1's instance chooses Prepared; the leader commits before rm2 has even voted.
    let p = property(&r, "refinement");
    assert_eq!(
        actions(p),
        [
            "leader0 -> rm1: Prepare",
            "rm1 chooses vote = Yes",
            "rm1 -> a1: Phase2aFast { value: Prepared }",
            "rm1 -> a2: Phase2aFast { value: Prepared }",
            "a1 -> leader0: Phase2bFast { rm: Id(1), value: Prepared }",
            "a2 -> leader0: Phase2bFast { rm: Id(1), value: Prepared }",
            "leader0 -> rm1: Commit",
        ]
    );
    for name in [
        AC1,
        "commit only if all voted yes",
        "abstraction satisfies atomic-commit",
        "decision is never reversed",
        "refinement",
    ] {
        assert_eq!(property(&r, name).status, Status::Violated, "{name}");
    }
}

#[test]
fn an_acceptor_that_accepts_below_its_promise_breaks_agreement() {
    let r = check(&["rms=1", "faults=0", "crashes=1", "bug=accept-lower-ballot"]);
    let p = property(&r, AC1);
    assert_eq!(p.status, Status::Violated);
    // rm1 votes yes and crashes before its vote reaches a1; leader0 suspects it, runs ballot
    // 1 and has a1 accept Aborted. Then rm1's ballot-0 vote arrives and the broken a1 accepts
    // it below its promise, overwriting the chosen Aborted. leader0 aborts; once rm1 is back
    // (one crash at a time) leader0 crashes, and the backup runs ballot 2, is told Prepared
    // and commits.
    assert_eq!(
        actions(p),
        [
            "leader0 -> rm1: Prepare",
            "rm1 chooses vote = Yes",
            "rm1 crashes",
            "leader0: timeout VoteTimeout",
            "leader0 -> a1: Phase1a { ballot: 1 }",
            "a1 -> leader0: Phase1b { ballot: 1, accepted: [None] }",
            "leader0 -> a1: Phase2a { ballot: 1, values: [Aborted] }",
            "rm1 -> a1: Phase2aFast { value: Prepared }",
            "a1 -> leader0: Phase2b { ballot: 1 }",
            "rm1 recovers",
            "leader0 crashes",
            "leader1: timeout Takeover",
            "leader1 -> a1: Phase1a { ballot: 2 }",
            "a1 -> leader1: Phase1b { ballot: 2, accepted: [Some((0, Prepared))] }",
            "leader1 -> a1: Phase2a { ballot: 2, values: [Prepared] }",
            "a1 -> leader1: Phase2b { ballot: 2 }",
        ]
    );
    for name in ["decision is never reversed", "refinement"] {
        assert_eq!(property(&r, name).status, Status::Violated, "{name}");
    }
}

#[test]
fn a_leader_that_aborts_on_its_timer_without_a_ballot_breaks_ac4() {
    // 2PC's timeout rule carried over: the leader aborts at once, though no instance chose
    // Aborted. Still agreed (nobody else decides), but against AC4.
    let r = check(&[
        "rms=1",
        "leaders=1",
        "detector=timeout",
        "bug=abort-on-timeout",
    ]);
    let p = property(&r, "all yes and no failure gives commit");
    assert_eq!(p.status, Status::Violated);
    assert_eq!(actions(p), ["leader0: timeout VoteTimeout"]);
    assert_eq!(property(&r, AC1).status, Status::Holds);
}

#[test]
fn bad_settings_are_refused() {
    let err = |settings: &[&str]| {
        registry::check(NAME, settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err(&["rms=7"]).contains("rms must be in 1..=6"));
    assert!(err(&["faults=3"]).contains("faults must be in 0..=2"));
    assert!(err(&["leaders=0"]).contains("leaders must be in 1..=3"));
    assert!(
        err(&["rms=1", "faults=0", "leaders=1", "crashes=4"]).contains("crashes must be at most")
    );
    assert!(err(&["detector=perfect"]).contains("accurate, timeout"));
}

fn run(settings: &[&str], runs: usize) -> RuntimeReport {
    let opts = RuntimeOptions {
        seed: 0,
        runs,
        faults: Faults::HEAVY,
        require_goal: false,
        keep_traces: true,
    };
    registry::run(NAME, settings, &opts)
        .expect("valid")
        .expect("an actor protocol")
}

#[test]
fn on_the_runtime_a_backup_leader_finishes_after_a_crash() {
    // The accurate detector as the simulator's timer gate; crashes, partitions, duplicates;
    // every step replayed against the model.
    let r = run(&["crashes=1"], 1000);
    assert!(r.failures.is_empty(), "{:?}", r.failures[0].problems());
    assert!(r.faults.crashes > 300, "{:?}", r.faults);
    // Runs in which a leader ran a ballot above 0.
    let ballots = r
        .all
        .iter()
        .filter(|run| run.trace.iter().any(|l| l.contains("Phase1a")))
        .count();
    assert!(ballots > 20, "{ballots}");
    // Runs in which the backup leader took over and decided.
    let takeovers = r
        .all
        .iter()
        .filter(|run| run.trace.iter().any(|l| l.contains("leader1 -> rm")))
        .count();
    assert!(takeovers > 5, "{takeovers}");
}
