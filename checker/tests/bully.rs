//! The Bully algorithm through the registry: safe and live under an accurate detector, with and
//! without a crash; two coordinators under an unreliable detector; and, with the incarnation
//! check of acks switched off, two coordinators through an ack sent to a previous life.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

const ONE: &str = "at most one coordinator among live nodes";
const TAKEOVER: &str = "the highest live node coordinates and all follow it";
const RE_ELECTED: &str = "no coordinator leads to the highest live node coordinating";

fn check(settings: &[&str], opts: &CheckOptions) -> Report {
    registry::check("bully", settings, opts).expect("valid")
}

#[test]
fn accurate_detection_elects_the_highest_node_once() {
    // 3 nodes: 737 states before incarnations; 851 with them, since a coordinator answers a
    // late Election by halting the asker again before re-announcing itself.
    for (nodes, states) in [(2, 21), (3, 851)] {
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
    assert_eq!(r.unique_states, 279_026);
    assert_eq!(property(&r, ONE).status, Status::Holds);
    assert_eq!(property(&r, TAKEOVER).status, Status::Holds);
    assert_eq!(property(&r, RE_ELECTED).status, Status::Holds);
}

#[test]
fn an_unreliable_detector_makes_two_coordinators() {
    let r = check(&["detector=unreliable"], &CheckOptions::default());
    // 61,595 before incarnations: timeouts that fire while nodes are up now also mark their
    // lives over, which adds states.
    assert_eq!(r.unique_states, 146_004);
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
        registry::check("bully", settings, &CheckOptions::default()).expect_err("refused")
    };
    assert!(err(&["network=ordered"]).contains("unordered-duplicating"));
    assert!(err(&["nodes=2", "crashes=3"]).contains("crashes must be at most"));
    assert!(err(&["detector=perfect"]).contains("accurate, unreliable"));
    assert!(err(&["recoveries=4"]).contains("recoveries"));
}
