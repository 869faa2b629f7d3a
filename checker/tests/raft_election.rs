//! Raft's leader election through the registry: Election Safety with and without crashes (also
//! as a refinement of `leader-election`), the split vote that defeats liveness in an
//! asynchronous model, the non-durable vote that elects two leaders in one term, and the
//! candidate that does not record its own vote, whose second vote only the ghost record of
//! granted votes sees.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(settings: &[&str], opts: &CheckOptions) -> Report {
    common::check("raft-election", settings, opts)
}

const SAFETY: [&str; 6] = [
    "at most one leader per term",
    "votes granted at most once per term",
    "a recorded vote is kept for its term",
    "terms never decrease",
    "refinement",
    "deadlock",
];

#[test]
fn election_safety_holds_with_and_without_crashes() {
    // With crashes=1, 4,740 states before the ghost fields `led` and `known` (for the
    // refinement into leader-election): a recovered server now remembers whom it knew as leader.
    for (settings, states) in [
        (&["terms=1"][..], 500),
        (&["terms=1", "crashes=1"][..], 6156),
        (&["terms=1", "lossy=true"][..], 30941),
    ] {
        let r = check(settings, &CheckOptions::default());
        assert!(r.complete, "{settings:?}");
        assert_eq!(r.unique_states, states, "{settings:?}");
        for name in SAFETY {
            assert_eq!(
                property(&r, name).status,
                Status::Holds,
                "{settings:?} {name}"
            );
        }
        assert_eq!(
            property(&r, "a leader can be elected").status,
            Status::Found
        );
    }
}

#[test]
fn three_candidates_in_the_last_term_split_the_vote() {
    let r = check(&["terms=1"], &CheckOptions::default());
    let p = property(&r, "a leader is elected");
    assert_eq!(p.status, Status::Violated);
    assert_eq!(p.loop_start, None);
    // Each votes for itself, refuses the others, and the term bound stops the next election.
    assert_eq!(
        actions(p),
        [
            "s1: timeout Election",
            "s2: timeout Election",
            "s3: timeout Election"
        ]
    );
}

#[test]
fn split_votes_repeat_in_a_fair_lasso() {
    // Two terms: the first is abandoned (s1 times out again before its votes come back), the
    // second splits three ways; the loop then only redelivers duplicates, for ever.
    let r = check(&["terms=2"], &CheckOptions::default());
    assert!(r.complete);
    // 267,819 before the ghost fields `led` and `known` (a server that led or followed term 1
    // remembers it in term 2).
    assert_eq!(r.unique_states, 301_527);
    for name in SAFETY {
        assert_eq!(property(&r, name).status, Status::Holds, "{name}");
    }
    let p = property(&r, "a leader is elected");
    assert_eq!(p.status, Status::Violated);
    let loop_start = p.loop_start.expect("a lasso");
    assert_eq!(loop_start, 8);
    let trace = p.trace.as_ref().unwrap();
    assert_eq!(trace[loop_start].state, trace.last().unwrap().state);
    let actors = &trace[loop_start].state["actors"];
    for s in ["s1", "s2", "s3"] {
        assert_eq!(actors[s]["state"]["term"], 2, "{s}");
        assert!(actors[s]["state"]["role"]["Candidate"].is_object(), "{s}");
    }
    let elections = actions(p)
        .iter()
        .filter(|a| a.ends_with("timeout Election"))
        .count();
    assert_eq!(elections, 4);
}

#[test]
fn a_vote_forgotten_in_a_crash_elects_two_leaders_in_one_term() {
    // The full space is large (about half a million states); the counterexample is at depth 8, well inside the first 20,000.
    let opts = CheckOptions {
        safety_only: true,
        max_states: Some(20_000),
        ..CheckOptions::default()
    };
    let r = check(&["terms=1", "crashes=1", "durable=false"], &opts);
    let p = property(&r, "at most one leader per term");
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "s1: timeout Election",
            "s1 -> s2: RequestVote { term: 1 }",
            "s2 -> s1: Vote { term: 1, granted: true }",
            "s3: timeout Election",
            "s2 crashes",
            "s2 recovers",
            "s3 -> s2: RequestVote { term: 1 }",
            "s2 -> s3: Vote { term: 1, granted: true }",
        ]
    );
    let last = &p.trace.as_ref().unwrap().last().unwrap().state["actors"];
    assert_eq!(last["s1"]["state"]["role"], "Leader");
    assert_eq!(last["s3"]["state"]["role"], "Leader");
    // The refinement sees one step further back: s1, leader of term 1, crashes, forgets its own
    // vote and elects s3 in the same term (s1 is a follower again, so no state has two
    // leaders, but the spec's term 1 would have two).
    let refinement = property(&r, "refinement");
    assert_eq!(refinement.status, Status::Violated);
    assert_eq!(
        actions(refinement),
        [
            "s1: timeout Election",
            "s1 -> s2: RequestVote { term: 1 }",
            "s2 -> s1: Vote { term: 1, granted: true }",
            "s3: timeout Election",
            "s1 crashes",
            "s1 recovers",
            "s3 -> s1: RequestVote { term: 1 }",
            "s1 -> s3: Vote { term: 1, granted: true }",
        ]
    );
    // The forgotten vote itself, before any second vote.
    let forgot = property(&r, "a recorded vote is kept for its term");
    assert_eq!(forgot.status, Status::Violated);
    assert_eq!(
        actions(forgot),
        ["s1: timeout Election", "s1 crashes", "s1 recovers"]
    );
    // The second vote: s1 voted for itself, forgot it in the crash, and grants s2.
    let twice = property(&r, "votes granted at most once per term");
    assert_eq!(twice.status, Status::Violated);
    assert_eq!(
        actions(twice),
        [
            "s1: timeout Election",
            "s2: timeout Election",
            "s1 crashes",
            "s1 recovers",
            "s2 -> s1: RequestVote { term: 1 }",
        ]
    );
}

#[test]
fn a_candidate_that_does_not_record_its_own_vote_votes_twice_unseen_by_voted_for() {
    // The candidate counts its own vote but leaves votedFor empty, so it grants a rival of its
    // term; votedFor, once set, never changes, so the property over votedFor passes. Only the
    // ghost record of granted votes sees the second vote.
    let r = check(
        &["terms=1", "vote-for-self=false"],
        &CheckOptions::default(),
    );
    assert!(r.complete);
    assert_eq!(r.unique_states, 14510);
    assert_eq!(
        property(&r, "a recorded vote is kept for its term").status,
        Status::Holds
    );
    let twice = property(&r, "votes granted at most once per term");
    assert_eq!(twice.status, Status::Violated);
    assert_eq!(
        actions(twice),
        [
            "s1: timeout Election",
            "s2: timeout Election",
            "s1 -> s2: RequestVote { term: 1 }",
        ]
    );
    // Two votes in one term elect two leaders, three steps later.
    for name in ["at most one leader per term", "refinement"] {
        let p = property(&r, name);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p).len(), 6, "{name}");
    }
}

#[test]
fn bad_raft_settings_are_refused() {
    let err = |settings: &[&str]| {
        registry::check("raft-election", settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err(&["network=ordered"]).contains("unordered-duplicating"));
    assert!(err(&["nodes=2", "crashes=3"]).contains("crashes must be at most"));
}
