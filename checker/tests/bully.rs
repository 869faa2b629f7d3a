//! The Bully algorithm through the registry: safe and live under an accurate detector without
//! crashes, two coordinators under an unreliable one, and what crashes add on a network that
//! keeps old messages.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

const ONE: &str = "at most one coordinator among live nodes";
const TAKEOVER: &str = "the highest live node coordinates and all follow it";

fn check(settings: &[&str], opts: &CheckOptions) -> Report {
    registry::check("bully", settings, opts).expect("valid")
}

#[test]
fn accurate_detection_elects_the_highest_node_once() {
    for (nodes, states) in [(2, 19), (3, 737)] {
        let r = check(&[&format!("nodes={nodes}")], &CheckOptions::default());
        assert!(r.complete && r.all_pass(), "nodes={nodes}");
        assert_eq!(r.unique_states, states, "nodes={nodes}");
        assert_eq!(property(&r, TAKEOVER).status, Status::Holds);
    }
}

#[test]
fn an_unreliable_detector_makes_two_coordinators() {
    let r = check(&["detector=unreliable"], &CheckOptions::default());
    assert_eq!(r.unique_states, 61_595);
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
fn a_stale_ack_from_before_a_crash_makes_two_coordinators() {
    // Accurate timeouts are not the whole synchronous assumption: the network here keeps
    // messages for ever, and n2's HaltAck to n3's first incarnation counts for its second.
    let opts = CheckOptions {
        safety_only: true,
        max_states: Some(40_000),
        ..CheckOptions::default()
    };
    let r = check(&["crashes=1"], &opts);
    let p = property(&r, ONE);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "n3 -> n2: Halt",
            "n1 -> n2: Election",
            "n3 crashes",
            "n2: timeout AnswerWait",
            "n3 recovers",
            "n2 -> n3: HaltAck",
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
}
