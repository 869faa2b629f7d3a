//! Chang-Roberts through the registry: pinned state counts per arrangement, the duplicate-id
//! counterexample, the comparison turned round (the minimum wins), the crash that stops the
//! ring, and bad `ids` refused with a clear error.

use checker::engine::{CheckOptions, Status, Strategy};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(settings: &[&str]) -> Report {
    common::check("chang-roberts", settings, &CheckOptions::default())
}

#[test]
fn every_arrangement_elects_the_maximum_once() {
    // (settings, unique states): on FIFO channels the only choice is which channel moves next,
    // so falling ids (longer journeys) mean more states.
    let cases: [(&[&str], u64); 7] = [
        (&["nodes=1"], 3),
        (&["nodes=3"], 14),
        (&["nodes=3", "ids=descending"], 17),
        (&["nodes=5"], 52),
        (&["nodes=5", "ids=descending"], 137),
        (&["nodes=5", "ids=random:1"], 90),
        (
            &[
                "nodes=4",
                "network=unordered-nonduplicating",
                "ids=descending",
            ],
            48,
        ),
    ];
    for (settings, states) in cases {
        let r = check(settings);
        assert!(r.complete && r.all_pass(), "{settings:?}");
        assert_eq!(r.unique_states, states, "{settings:?}");
        for name in ["refinement", "deadlock", "every node learns the leader"] {
            assert_eq!(
                property(&r, name).status,
                Status::Holds,
                "{settings:?} {name}"
            );
        }
    }
}

#[test]
fn dfs_agrees_with_bfs() {
    let opts = CheckOptions {
        strategy: Strategy::Dfs,
        ..CheckOptions::default()
    };
    let r = common::check("chang-roberts", &["nodes=5", "ids=descending"], &opts);
    assert!(r.all_pass());
    assert_eq!(r.unique_states, 137);
}

#[test]
fn duplicate_ids_elect_two_leaders() {
    let r = check(&["nodes=3", "ids=3,1,3"]);
    assert_eq!(r.unique_states, 17);
    let uniqueness = property(&r, "at most one leader");
    assert_eq!(uniqueness.status, Status::Violated);
    // n1's 3 reaches n3, which takes it for its own and declares; n3's 3 then does the same
    // to n1.
    assert_eq!(
        actions(uniqueness),
        [
            "n1 -> n2: Election { id: 3 }",
            "n2 -> n3: Election { id: 1 }",
            "n2 -> n3: Election { id: 3 }",
            "n3 -> n1: Election { id: 3 }",
        ]
    );
    assert_eq!(uniqueness.explorer_path.as_deref(), Some("0/0/0/0/0"));
    let last = &uniqueness.trace.as_ref().unwrap().last().unwrap().state["actors"];
    assert_eq!(last["n1"]["state"]["elected"], true);
    assert_eq!(last["n3"]["state"]["elected"], true);
    // The abstract spec cannot explain a second leader either.
    assert_eq!(property(&r, "refinement").status, Status::Violated);
    // No node is *the* node with the maximum id when two hold it: the first declaration
    // already violates it (n1 takes n3's 3 for its own).
    let max = property(&r, "the leader is the node with the maximum id");
    assert_eq!(max.status, Status::Violated);
    assert_eq!(actions(max), ["n3 -> n1: Election { id: 3 }"]);
    // What nodes learn is the value 3, the maximum, so that property cannot tell.
    assert_eq!(
        property(&r, "nodes learn only the maximum id").status,
        Status::Holds
    );
}

#[test]
fn nodes_that_forward_smaller_ids_elect_the_minimum() {
    // The comparison turned round: the minimum goes round, is elected once and learnt by all.
    let r = check(&["nodes=3", "forward=smaller"]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 17);
    assert_eq!(property(&r, "at most one leader").status, Status::Holds);
    assert_eq!(property(&r, "a leader is elected").status, Status::Found);
    // n3's 3 dies at n1 and n2's 2 at n3; n1's 1 goes all the way round.
    let elected = [
        "n1 -> n2: Election { id: 1 }",
        "n2 -> n3: Election { id: 2 }",
        "n2 -> n3: Election { id: 1 }",
        "n3 -> n1: Election { id: 3 }",
        "n3 -> n1: Election { id: 2 }",
        "n3 -> n1: Election { id: 1 }",
    ];
    for name in [
        "the leader is the node with the maximum id",
        "nodes learn only the maximum id",
        "refinement",
    ] {
        let p = property(&r, name);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p), elected, "{name}");
    }
    // Every node learns 1, never the maximum: the run stops there, short of the goal.
    for name in ["every node learns the leader", "deadlock"] {
        let p = property(&r, name);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p).len(), 9, "{name}");
    }
}

#[test]
fn a_node_that_stays_down_stops_the_ring() {
    let r = check(&["nodes=3", "crashes=1"]);
    assert_eq!(r.unique_states, 56);
    let learn = property(&r, "every node learns the leader");
    assert_eq!(learn.status, Status::Violated);
    assert_eq!(learn.loop_start, None, "stuck, not a lasso");
    assert_eq!(
        actions(learn),
        [
            "n1 -> n2: Election { id: 1 }",
            "n2 -> n3: Election { id: 2 }",
            "n1 crashes"
        ]
    );
    // Crashes cost liveness only.
    for name in [
        "at most one leader",
        "the leader is the node with the maximum id",
        "refinement",
    ] {
        assert_eq!(property(&r, name).status, Status::Holds, "{name}");
    }
}

#[test]
fn coverage_of_chang_roberts() {
    let opts = CheckOptions {
        coverage: true,
        ..CheckOptions::default()
    };
    let r = common::check("chang-roberts", &["crashes=1", "lossy=true"], &opts);
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.never_fired.is_empty(), "{:?}", cov.never_fired);
    assert_eq!(cov.fired["node receives Elected"], 9);
}

#[test]
fn malformed_ids_are_refused_with_a_reason() {
    let err = |settings: &[&str]| {
        registry::check("chang-roberts", settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err(&["nodes=3", "ids=1,2"]).contains("2 ids but there are 3 nodes"));
    assert!(err(&["ids=1,x,3"]).contains("ids must be"));
    assert!(err(&["ids=random:x"]).contains("integer seed"));
    assert!(err(&["ids="]).contains("not nothing"));
    assert!(err(&["nodes=2", "crashes=3"]).contains("crashes must be at most"));
}
