//! The consensus spec and single-decree Paxos through the registry: pinned counts, the broken
//! variants with their counterexamples, and liveness with one and with two proposers. A number
//! here changes only with a commit message that explains why.

use checker::engine::{CheckOptions, Fairness, Status};
use checker::registry;
use checker::report::{PropertyReport, Report};

mod common;
use common::{actions, property};

fn check(name: &str, settings: &[&str]) -> Report {
    common::check(name, settings, &CheckOptions::default())
}

/// Every safety property (always, step invariant, refinement, deadlock) holds.
fn assert_safe(r: &Report) {
    for p in &r.properties {
        if !matches!(
            p.name.as_str(),
            "a value is chosen" | "a chosen value is learnt"
        ) {
            assert!(
                matches!(p.status, Status::Holds | Status::Found),
                "{}: {:?}",
                p.name,
                p.status
            );
        }
    }
}

/// The chosen values in a trace's last state, read from the acceptors' votes (quorum `q`).
fn chosen_at_end(p: &PropertyReport, q: usize) -> Vec<u64> {
    let state = &p.trace.as_ref().unwrap().last().unwrap().state["actors"];
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for (_, actor) in state.as_object().unwrap() {
        if let Some(votes) = actor["state"]["Acceptor"]["votes"].as_array() {
            for v in votes {
                *tally.entry(v.to_string()).or_default() += 1;
            }
        }
    }
    let mut chosen: Vec<u64> = tally
        .into_iter()
        .filter(|(_, n)| *n >= q)
        .map(|(v, _)| {
            let v: serde_json::Value = serde_json::from_str(&v).unwrap();
            v[1].as_u64().unwrap()
        })
        .collect();
    chosen.sort();
    chosen.dedup();
    chosen
}

#[test]
fn consensus_spec_chooses_once() {
    // The empty set, then one state per value.
    for (values, states) in [(2, 3), (5, 6)] {
        let r = check("consensus", &[&format!("values={values}")]);
        assert!(r.complete && r.all_pass(), "values={values}");
        assert_eq!(r.unique_states, states, "values={values}");
        for name in ["agreement", "validity", "stability", "a value is chosen"] {
            assert_eq!(property(&r, name).status, Status::Holds, "{name}");
        }
    }
}

#[test]
fn one_proposer_chooses_under_weak_fairness() {
    for (acceptors, states) in [(3, 176), (5, 9472)] {
        let r = check("paxos", &["proposers=1", &format!("acceptors={acceptors}")]);
        assert!(r.complete && r.all_pass(), "acceptors={acceptors}");
        assert_eq!(r.unique_states, states, "acceptors={acceptors}");
        assert_eq!(r.fairness, Some(Fairness::Weak));
        assert_eq!(property(&r, "a value is chosen").status, Status::Holds);
        assert_eq!(
            property(&r, "a chosen value is learnt").status,
            Status::Holds
        );
        assert_eq!(property(&r, "refinement").status, Status::Holds);
        assert_eq!(property(&r, "a value is learnt").status, Status::Found);
    }
}

#[test]
fn two_proposers_without_retries_are_safe_and_choose() {
    // The default: each proposer keeps its one ballot; the higher ballot cannot be pre-empted,
    // so under weak fairness it completes.
    let r = check("paxos", &[]);
    assert!(r.complete && r.all_pass());
    assert_eq!(r.unique_states, 29_680);
    assert_eq!(property(&r, "a value is chosen").status, Status::Holds);
    assert_eq!(property(&r, "refinement").status, Status::Holds);
}

#[test]
fn retrying_proposers_are_safe_but_may_give_up() {
    let r = check("paxos", &["retry=true"]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 118_720);
    assert_safe(&r);
    // Both proposers' retry timers fire before their ballots complete; with one ballot each
    // they give up. Nothing is owed any more (p1's prepares are stale): a stuck run.
    let live = property(&r, "a value is chosen");
    assert_eq!(live.status, Status::Violated);
    assert_eq!(live.loop_start, None);
    assert_eq!(
        actions(live),
        [
            "p2 -> a1: Prepare { ballot: (1, Id(1)) }",
            "p2 -> a2: Prepare { ballot: (1, Id(1)) }",
            "p2 -> a3: Prepare { ballot: (1, Id(1)) }",
            "p1: timeout Retry",
            "p2: timeout Retry",
        ]
    );
    assert!(chosen_at_end(live, 2).is_empty());
}

#[test]
fn duelling_proposers_exhaust_their_ballots_and_nothing_is_chosen() {
    let r = check("paxos", &["acceptors=1", "ballots=2", "retry=true"]);
    assert_eq!(r.unique_states, 2520);
    assert_safe(&r);
    let live = property(&r, "a value is chosen");
    assert_eq!(live.status, Status::Violated);
    // A stuck run, not a lasso: ballots only grow, so the state graph has no cycle, and the
    // bound ends every duel; a retrying proposer abandons even its last ballot on a timeout.
    assert_eq!(live.loop_start, None);
    assert_eq!(
        actions(live),
        [
            "p1: timeout Retry",
            "p1: timeout Retry",
            "p2: timeout Retry",
            "p2 -> a1: Prepare { ballot: (2, Id(1)) }",
            "p2: timeout Retry",
        ]
    );
    let last = &live.trace.as_ref().unwrap().last().unwrap().state["actors"];
    for p in ["p1", "p2"] {
        assert_eq!(last[p]["state"]["Proposer"]["phase"], "Idle", "{p}");
    }
}

#[test]
fn a_quorum_of_half_the_acceptors_chooses_two_values() {
    let r = check("paxos", &["acceptors=2", "quorum=1"]);
    assert_eq!(r.unique_states, 1040);
    let agreement = property(&r, "agreement");
    assert_eq!(agreement.status, Status::Violated);
    // p1 and p2 each get a "quorum" of one promise from different acceptors, and each
    // "quorum" of one accepts a different value.
    assert_eq!(
        actions(agreement),
        [
            "p1 -> a1: Prepare { ballot: (1, Id(0)) }",
            "p2 -> a1: Prepare { ballot: (1, Id(1)) }",
            "a1 -> p1: Promise { ballot: (1, Id(0)), accepted: None }",
            "p1 -> a2: Accept { ballot: (1, Id(0)), value: 0 }",
            "a1 -> p2: Promise { ballot: (1, Id(1)), accepted: None }",
            "p2 -> a1: Accept { ballot: (1, Id(1)), value: 1 }",
        ]
    );
    assert_eq!(chosen_at_end(agreement, 1), [0, 1]);
    assert_eq!(agreement.explorer_path.as_deref(), Some("0/0/1/2/2/3/2"));
    // The abstract spec cannot grow from one chosen value to two.
    let refinement = property(&r, "refinement");
    assert_eq!(refinement.status, Status::Violated);
    assert_eq!(actions(refinement).len(), 6);
    // Validity and stability are not what breaks.
    assert_eq!(property(&r, "validity").status, Status::Holds);
    assert_eq!(property(&r, "stability").status, Status::Holds);
}

#[test]
fn an_acceptor_that_forgets_its_promise_breaks_agreement() {
    let settings = ["acceptors=1", "crashes=1"];
    let durable = check("paxos", &settings);
    assert_safe(&durable);
    let r = check("paxos", &["acceptors=1", "crashes=1", "durable=false"]);
    assert_eq!(r.unique_states, 1700);
    let agreement = property(&r, "agreement");
    assert_eq!(agreement.status, Status::Violated);
    // a1 promised p2's ballot and accepted its value (chosen, with one acceptor); it crashes,
    // recovers without its promise and accepts p1's lower ballot: a second value chosen.
    assert_eq!(
        actions(agreement),
        [
            "p1 -> a1: Prepare { ballot: (1, Id(0)) }",
            "p2 -> a1: Prepare { ballot: (1, Id(1)) }",
            "a1 -> p1: Promise { ballot: (1, Id(0)), accepted: None }",
            "a1 -> p2: Promise { ballot: (1, Id(1)), accepted: None }",
            "p2 -> a1: Accept { ballot: (1, Id(1)), value: 1 }",
            "a1 crashes",
            "a1 recovers",
            "p1 -> a1: Accept { ballot: (1, Id(0)), value: 0 }",
        ]
    );
    assert_eq!(chosen_at_end(agreement, 1), [0, 1]);
}

#[test]
fn coverage_of_paxos() {
    let opts = CheckOptions {
        coverage: true,
        ..CheckOptions::default()
    };
    let r = common::check(
        "paxos",
        &["acceptors=1", "ballots=2", "crashes=1", "retry=true"],
        &opts,
    );
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.never_fired.is_empty(), "{:?}", cov.never_fired);
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let err = |settings: &[&str]| match registry::check("paxos", settings, &CheckOptions::default())
    {
        Ok(_) => panic!("{settings:?} accepted"),
        Err(e) => e.to_string(),
    };

    assert!(err(&["quorum=4"]).contains("quorum must be in 1..=3"));
    assert!(err(&["acceptors=6"]).contains("must be in 1..=5"));
    assert!(err(&["proposers=1", "acceptors=1", "crashes=4"]).contains("crashes must be at most"));
    assert!(err(&["values=4"]).contains("must be in 1..=3"));
}

fn symmetric(settings: &[&str]) -> Report {
    let opts = CheckOptions {
        symmetry: true,
        safety_only: true,
        ..CheckOptions::default()
    };
    common::check("paxos", settings, &opts)
}

#[test]
fn acceptor_symmetry_keeps_every_safety_verdict() {
    // Acceptors are interchangeable: one representative per class (29680 states without it).
    let r = symmetric(&[]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 5182);
    assert_safe(&r);
    assert!(r.all_pass(), "{:?}", r.properties);
    // The broken quorum is still caught, by a run of the same length.
    let broken = symmetric(&["acceptors=2", "quorum=1"]);
    let agreement = property(&broken, "agreement");
    assert_eq!(agreement.status, Status::Violated);
    assert_eq!(actions(agreement).len(), 6);
    assert_eq!(chosen_at_end(agreement, 1), [0, 1]);
    // Liveness is refused under symmetry (fairness names actors); see the engine.
    let refused = registry::check(
        "paxos",
        &[],
        &CheckOptions {
            symmetry: true,
            ..CheckOptions::default()
        },
    );
    assert!(refused.is_err());
}
