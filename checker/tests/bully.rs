//! The Bully algorithm through the registry: safe and live under an accurate detector, with and
//! without a crash; two coordinators under an unreliable detector; and, with the incarnation
//! check of acks switched off, two coordinators through an ack sent to a previous life.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::RuntimeOptions;
use impls::nemesis::Faults;

mod common;
use common::{actions, property};

const ONE: &str = "at most one coordinator among live nodes";
const TAKEOVER: &str = "the highest live node coordinates and all follow it";
const RE_ELECTED: &str = "no coordinator leads to the highest live node coordinating";

fn check(settings: &[&str], opts: &CheckOptions) -> Report {
    common::check("bully", settings, opts)
}

#[test]
fn accurate_detection_elects_the_highest_node_once() {
    // 3 nodes: 737 states before incarnations, 187 with them: a halting node or a coordinator
    // answers an Election by halting the asker instead of starting a round of answers.
    for (nodes, states) in [(2, 11), (3, 187)] {
        let r = check(&[&format!("nodes={nodes}")], &CheckOptions::default());
        assert!(r.complete && r.all_pass(), "nodes={nodes}");
        assert_eq!(r.unique_states, states, "nodes={nodes}");
        assert_eq!(property(&r, TAKEOVER).status, Status::Holds);
        assert_eq!(property(&r, RE_ELECTED).status, Status::Holds);
    }
}

#[test]
fn accurate_detection_survives_a_crash_and_elects_a_new_coordinator() {
    // Any node may crash, and the run may hold one recovery: safety, and under strong fairness
    // a new coordinator after the crash and the takeover by the recovered node.
    let r = check(&["crashes=1"], &CheckOptions::default());
    assert!(r.complete && r.all_pass());
    assert_eq!(r.unique_states, 57_828);
    assert_eq!(property(&r, ONE).status, Status::Holds);
    assert_eq!(property(&r, TAKEOVER).status, Status::Holds);
    assert_eq!(property(&r, RE_ELECTED).status, Status::Holds);
}

#[test]
fn an_unreliable_detector_makes_two_coordinators() {
    let r = check(&["detector=unreliable"], &CheckOptions::default());
    // 61,595 before incarnations (see the count without crashes above).
    assert_eq!(r.unique_states, 26_340);
    let p = property(&r, ONE);
    assert_eq!(p.status, Status::Violated);
    // n1 stops waiting for answers although n2 and n3 are up, and (having no lower node to
    // halt) declares itself; n3 stops waiting for n1's and n2's acks and does the same.
    assert_eq!(
        actions(p),
        ["n1: timeout AnswerWait", "n3: timeout HaltWait"]
    );
    let last = &p.trace.as_ref().unwrap().last().unwrap().state["actors"];
    assert_eq!(last["n1"]["state"]["phase"], "Coordinator");
    assert_eq!(last["n3"]["state"]["phase"], "Coordinator");
    assert_eq!(property(&r, TAKEOVER).status, Status::Violated);
}

#[test]
fn without_the_incarnation_check_a_stale_ack_makes_two_coordinators() {
    // Accurate timeouts are not the whole synchronous assumption: the network here keeps
    // messages for ever, and without the incarnation check n2's HaltAck to n3's first life
    // counts for its second.
    let opts = CheckOptions {
        safety_only: true,
        max_states: Some(200_000),
        ..CheckOptions::default()
    };
    let r = check(&["crashes=1", "incarnation-check=false"], &opts);
    let p = property(&r, ONE);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "n3 -> n2: Halt { incarnation: 0 }",
            "n1 -> n2: Election",
            "n3 crashes",
            "n2: timeout AnswerWait",
            "n3 recovers",
            "n2 -> n3: HaltAck { incarnation: 0 }",
            "n1 crashes",
            "n2: timeout HaltWait",
            "n3: timeout HaltWait",
        ]
    );
}

#[test]
fn bad_bully_settings_are_refused() {
    let err = |settings: &[&str]| {
        registry::check("bully", settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err(&["network=ordered"]).contains("unordered-duplicating"));
    assert!(err(&["nodes=2", "crashes=3"]).contains("crashes must be at most"));
    assert!(err(&["detector=perfect"]).contains("accurate, unreliable"));
    assert!(err(&["recoveries=4"]).contains("recoveries"));
}

fn run(settings: &[&str], runs: usize) -> impls::checked::RuntimeReport {
    let opts = RuntimeOptions {
        seed: 0,
        runs,
        faults: Faults::DEFAULT,
        require_goal: true,
        keep_traces: false,
    };
    registry::run("bully", settings, &opts)
        .expect("valid")
        .expect("bully runs on the simulator")
}

#[test]
fn on_the_runtime_a_crash_costs_one_election_and_never_safety() {
    // The accurate detector as the simulator's timer gate; crashes, partitions, delays and
    // duplicates from the nemesis; every step replayed through the model.
    let r = run(&["crashes=1"], 500);
    assert!(r.failures.is_empty(), "{:?}", r.failures[0].problems());
    assert_eq!(r.goal_reached, 500);
    assert!(r.faults.crashes > 100, "{:?}", r.faults);
}

#[test]
fn on_the_runtime_an_unreliable_detector_makes_two_coordinators() {
    // Without the gate the waits time out on delayed and partitioned messages.
    let r = run(&["detector=unreliable"], 100);
    let two = r.failures.iter().filter(|f| {
        f.violations
            .iter()
            .any(|v| v.property == "at most one coordinator among live nodes")
    });
    assert!(two.count() > 50);
}
