//! Anti-entropy through the registry: replicas of an LWW map and of a G-counter converge once
//! writes stop, at two sizes each, and no merge goes backwards; a broken merge is caught; and
//! the same on the simulator.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::RuntimeOptions;
use impls::nemesis::Faults;

mod common;
use common::{actions, property};

const DOMINATES: &str = "a merged state dominates its inputs";
const MONOTONE: &str = "convergence never goes backwards";
const CONVERGE: &str = "replicas converge";

fn check(settings: &[&str]) -> Report {
    common::check("anti-entropy", settings, &CheckOptions::default())
}

#[test]
fn replicas_converge_and_never_go_backwards_at_two_sizes() {
    let pinned: [(&[&str], u64); 4] = [
        (&[], LWW_DEFAULT),
        (&["keys=2"], LWW_KEYS_2),
        (&["crdt=gcounter"], GCOUNTER_DEFAULT),
        (&["crdt=gcounter", "keys=2"], GCOUNTER_KEYS_2),
    ];
    for (settings, states) in pinned {
        let r = check(settings);
        assert!(r.complete && r.all_pass(), "{settings:?}");
        assert_eq!(r.unique_states, states, "{settings:?}");
        for p in [DOMINATES, MONOTONE, CONVERGE] {
            assert_eq!(property(&r, p).status, Status::Holds, "{settings:?}: {p}");
        }
    }
}

#[test]
fn a_merge_that_keeps_the_larger_value_is_caught() {
    let r = check(&["bug=bad-merge"]);
    let p = property(&r, DOMINATES);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(actions(p), LWW_BAD_MERGE);
    assert_eq!(property(&r, CONVERGE).status, Status::Violated);
    assert_eq!(property(&r, MONOTONE).status, Status::Violated);
}

#[test]
fn a_counter_merge_that_takes_the_incoming_count_is_caught() {
    let r = check(&["crdt=gcounter", "bug=bad-merge"]);
    let p = property(&r, DOMINATES);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(actions(p).len(), GCOUNTER_BAD_MERGE_LEN);
    assert_eq!(property(&r, MONOTONE).status, Status::Violated);
}

#[test]
fn a_lost_write_is_never_reconciled() {
    let r = check(&["lossy=true"]);
    let p = property(&r, CONVERGE);
    assert_eq!(p.status, Status::Violated);
    assert!(
        actions(p).iter().any(|a| a.starts_with("lost")),
        "{:?}",
        actions(p)
    );
    assert_eq!(property(&r, "deadlock").status, Status::Violated);
    assert_eq!(property(&r, DOMINATES).status, Status::Holds);
}

#[test]
fn on_the_simulator_replicas_converge() {
    let opts = RuntimeOptions {
        seed: 0,
        runs: 200,
        faults: Faults::DEFAULT,
        require_goal: true,
        keep_traces: false,
    };
    for crdt in ["crdt=lww", "crdt=gcounter"] {
        let r = registry::run(
            "anti-entropy",
            &[crdt, "replicas=4", "keys=2", "writes=3"],
            &opts,
        )
        .unwrap()
        .expect("an actor protocol");
        assert!(
            r.failures.is_empty(),
            "{crdt}: {:?}",
            r.failures[0].problems()
        );
        assert_eq!(r.goal_reached, r.runs, "{crdt}");
    }
}

// Pinned unique-state counts (BFS, one thread): 2 replicas, 2 writes, 1 or 2 keys.
const LWW_DEFAULT: u64 = 2172;
const LWW_KEYS_2: u64 = 9178;
const GCOUNTER_DEFAULT: u64 = 1541;
const GCOUNTER_KEYS_2: u64 = 5466;
/// The later write (value 1, at r1) reaches r0, which holds the earlier one (value 2) and
/// keeps it: the larger value wins over the later stamp.
const LWW_BAD_MERGE: [&str; 9] = [
    "r0: timeout Sync",
    "client: timeout Write",
    "client chooses write = (Id(0), 0)",
    "client -> r0: Write { key: 0, value: 2 }",
    "client: timeout Write",
    "client chooses write = (Id(1), 0)",
    "client -> r1: Write { key: 0, value: 1 }",
    "r0 -> r1: Digest { digest: Lww([None]) }",
    "r1 -> r0: Delta { entries: Lww([Some(((1, 1), 1))]), digest: Lww([Some((1, 1))]) }",
];
const GCOUNTER_BAD_MERGE_LEN: usize = 12;
