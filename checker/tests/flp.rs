//! FLP made visible: the leader-lock protocol has a fair run without any crash that never
//! decides (a lasso), and an eventual leader oracle (Ω) restores termination, with one crash
//! too, because a new leader takes the locks of a crashed one over (without takeovers it does
//! not). A number here changes only with a commit message that explains why.

use checker::engine::{CheckOptions, Fairness, Status};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(settings: &[&str]) -> Report {
    common::check("flp", settings, &CheckOptions::default())
}

#[test]
fn without_an_oracle_a_fair_run_without_crashes_never_decides() {
    let r = check(&[]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 15799);
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
    assert_eq!(loop_start, 0);
    let trace = live.trace.as_ref().unwrap();
    assert_eq!(trace[loop_start].state, trace.last().unwrap().state);
    let steps = actions(live);
    assert_eq!(steps.len(), 20);
    assert!(
        steps.iter().all(|a| a.contains(" -> ")),
        "only deliveries, no crash: {steps:?}"
    );
    let cycle = &steps[loop_start..];
    for a in [
        "k1 -> c1: Granted { epoch: 0, accepted: None }",
        "k1 -> c2: Busy { epoch: 0 }",
        "c1 -> k1: Unlock { epoch: 0 }",
        "c2 -> k2: Unlock { epoch: 0 }",
    ] {
        assert!(cycle.contains(&a), "{a}: {cycle:?}");
    }
}

#[test]
fn an_eventual_leader_restores_termination() {
    for (changes, states) in [(0, 106), (1, 71928)] {
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
fn with_one_crash_omega_decides_because_locks_are_taken_over() {
    // Ω starts with c2 and settles on c1; c2, or a keeper, may crash for good (c1 and Ω only
    // pause, which is Ω's assumption), and c1 takes c2's locks over in its later epoch.
    let r = check(&["oracle=omega", "crashes=1"]);
    assert!(r.complete);
    assert_eq!(r.unique_states, 503496);
    assert_eq!(r.fairness, Some(Fairness::Strong));
    assert!(r.all_pass(), "{:?}", r.properties);
}

#[test]
fn with_one_crash_and_no_takeover_the_new_leader_is_locked_out() {
    // Without a takeover the same crash blocks c1 for ever: c2 locks every keeper, Ω names
    // c1, c2 crashes for good, and c1 hears Busy, gives up and asks again, forever.
    let broken = check(&["oracle=omega", "crashes=1", "takeover=false"]);
    assert!(broken.complete);
    assert_eq!(broken.unique_states, 256256);
    for name in ["agreement", "validity", "stability", "refinement"] {
        assert_eq!(property(&broken, name).status, Status::Holds, "{name}");
    }
    let live = property(&broken, "a value is chosen");
    assert_eq!(live.status, Status::Violated);
    assert_eq!(live.loop_start, Some(6));
    assert_eq!(
        actions(live)[..6],
        [
            "c2 -> k1: Lock { epoch: 0 }",
            "c2 -> k2: Lock { epoch: 0 }",
            "c2 -> k3: Lock { epoch: 0 }",
            "omega: timeout Change",
            "omega -> c1: Leader { leader: Id(0), epoch: 1 }",
            "c2 crashes",
        ]
    );
    assert!(actions(live)[6..]
        .iter()
        .all(|a| a.starts_with("c1 -> k") || a.ends_with("-> c1: Busy { epoch: 1 }")));
}

#[test]
fn flp_runs_on_fifo_channels_only() {
    // The racing networks break agreement (a stale Unlock; the run is pinned in specs::flp).
    let err = match registry::check(
        "flp",
        &["network=unordered-nonduplicating"],
        &CheckOptions::default(),
    ) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("network"), "{err}");
}

#[test]
fn flp_refuses_more_than_one_crash() {
    let err = match registry::check("flp", &["crashes=2"], &CheckOptions::default()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("must be in 0..=1"), "{err}");
}
