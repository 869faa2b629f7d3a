//! FLP made visible: the leader-lock protocol has a fair run without any crash that never
//! decides (a lasso), and an eventual leader oracle (Ω) restores termination. A number here
//! changes only with a commit message that explains why.

use checker::engine::{CheckOptions, Fairness, Status};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(settings: &[&str]) -> Report {
    registry::check("flp", settings, &CheckOptions::default()).expect("a valid configuration")
}

#[test]
fn without_an_oracle_a_fair_run_without_crashes_never_decides() {
    let r = check(&[]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 9295);
    assert_eq!(r.fairness, Some(Fairness::Weak));
    for name in [
        "agreement",
        "validity",
        "stability",
        "refinement",
        "deadlock",
    ] {
        assert_eq!(property(&r, name).status, Status::Holds, "{name}");
    }
    // Both outcomes are reachable (the start is bivalent) ...
    assert_eq!(property(&r, "0 is decided").status, Status::Found);
    assert_eq!(property(&r, "1 is decided").status, Status::Found);
    // ... and a fair run stays undecided forever: the contenders keep taking one lock each,
    // hearing Busy, releasing and retrying, while every message is delivered.
    let live = property(&r, "a value is chosen");
    assert_eq!(live.status, Status::Violated);
    let loop_start = live.loop_start.expect("a lasso");
    assert_eq!(loop_start, 3);
    let trace = live.trace.as_ref().unwrap();
    assert_eq!(trace[loop_start].state, trace.last().unwrap().state);
    let steps = actions(live);
    assert_eq!(steps.len(), 22);
    assert!(
        steps.iter().all(|a| a.contains(" -> ")),
        "only deliveries, no crash: {steps:?}"
    );
    let cycle = &steps[loop_start..];
    for a in [
        "c1 -> k1: Unlock",
        "c2 -> k3: Unlock",
        "k3 -> c1: Busy",
        "k1 -> c2: Busy",
    ] {
        assert!(cycle.contains(&a), "{a}: {cycle:?}");
    }
}

#[test]
fn an_eventual_leader_restores_termination() {
    for (changes, states) in [(0, 27), (1, 23842)] {
        let r = check(&["oracle=omega", &format!("changes={changes}")]);
        assert!(r.complete, "changes={changes}");
        assert_eq!(r.unique_states, states, "changes={changes}");
        assert_eq!(
            property(&r, "a value is chosen").status,
            Status::Holds,
            "changes={changes}"
        );
        assert_eq!(property(&r, "agreement").status, Status::Holds);
    }
}

#[test]
fn without_fifo_channels_a_stale_unlock_breaks_agreement() {
    // Contenders reuse Lock and Unlock without attempt numbers; on a racing network c1's
    // retried Lock overtakes its Unlock at k1, which ends up free while c1 counts it.
    let opts = CheckOptions {
        max_states: Some(200_000),
        safety_only: true,
        ..CheckOptions::default()
    };
    let r = registry::check("flp", &["network=unordered-nonduplicating"], &opts).unwrap();
    let agreement = property(&r, "agreement");
    assert_eq!(agreement.status, Status::Violated);
    assert_eq!(
        actions(agreement),
        [
            "c1 -> k1: Lock { value: 0 }",
            "c1 -> k2: Lock { value: 0 }",
            "c2 -> k3: Lock { value: 1 }",
            "c1 -> k3: Lock { value: 0 }",
            "k1 -> c1: Granted",
            "k3 -> c1: Busy",
            "c1 -> k1: Lock { value: 0 }",
            "c1 -> k1: Unlock",
            "c2 -> k1: Lock { value: 1 }",
            "k1 -> c1: Granted",
            "k1 -> c2: Granted",
            "k2 -> c1: Granted",
            "k3 -> c2: Granted",
        ]
    );
    assert_eq!(property(&r, "refinement").status, Status::Violated);
}

#[test]
fn flp_refuses_more_than_one_crash() {
    let err = match registry::check("flp", &["crashes=2"], &CheckOptions::default()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    };
    assert!(err.contains("must be in 0..=1"), "{err}");
}
