//! Proof that the liveness gap of stateright's `eventually` is closed, on two-phase commit with
//! cooperative termination (in-doubt RMs ask a peer for the outcome on a timer).

use checker::engine::{CheckOptions, Fairness, Status};
use checker::report::{PropertyReport, Report};
use models::common::{NetworkKind, SystemCfg};
use models::two_phase_commit::{TmRule, TwoPcCfg};
use stateright::{Checker, Model};

mod common;
use common::actions;

fn check(settings: &[&str], fairness: Option<Fairness>) -> Report {
    let opts = CheckOptions {
        fairness,
        ..CheckOptions::default()
    };
    common::check("two-phase-commit", settings, &opts)
}

fn termination(r: &Report) -> &PropertyReport {
    r.properties
        .iter()
        .find(|p| p.name == "termination")
        .unwrap()
}

#[test]
fn a_goal_avoiding_cycle_passes_stateright_and_fails_here() {
    // The TM crashes; the prepared RMs ask each other forever, nobody knows the outcome.
    let system = SystemCfg {
        crashes: 1,
        ..SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating)
    };
    let cfg = TwoPcCfg::new(2, system, TmRule::AllYes)
        .unwrap()
        .with_ask_peers(true);
    let model = specs::two_phase_commit::model(cfg);
    assert!(model.properties().iter().any(|p| p.name == "termination"));
    let stateright = model.checker().spawn_bfs().join();
    assert!(stateright.is_done());
    assert!(
        stateright.discovery("termination").is_none(),
        "stateright sees no violation: every state on the cycle has a successor"
    );

    let r = check(&["rms=2", "ask-peers=true", "crashes=1"], None);
    let t = termination(&r);
    assert_eq!(t.status, Status::Violated);
    let loop_start = t.loop_start.expect("a lasso");
    let trace = t.trace.as_ref().unwrap();
    assert_eq!(
        trace[loop_start].state,
        trace.last().unwrap().state,
        "the loop returns to where it started"
    );
    let actions = actions(t);
    assert!(actions[..loop_start].contains(&"tm crashes"), "{actions:?}");
    let cycle = &actions[loop_start..];
    assert!(cycle.contains(&"rm1 -> rm2: Query"), "{cycle:?}");
    assert!(cycle.contains(&"rm2 -> rm1: Reply(None)"), "{cycle:?}");
}

#[test]
fn the_only_goal_avoiding_cycles_without_faults_are_unfair() {
    // No crash: the TM's decision is always deliverable, so RMs asking each other forever
    // neglect a message that stays deliverable: unfair under weak (and strong) fairness, a
    // counterexample with no fairness at all.
    let settings = ["rms=2", "ask-peers=true"];
    for f in [Fairness::Weak, Fairness::Strong] {
        let r = check(&settings, Some(f));
        assert_eq!(termination(&r).status, Status::Holds, "{f:?}");
        assert_eq!(r.fairness, Some(f));
    }
    let r = check(&settings, Some(Fairness::None));
    let t = termination(&r);
    assert_eq!(t.status, Status::Violated);
    assert_eq!(t.loop_start, Some(2));
    assert_eq!(
        actions(t),
        [
            "tm -> rm1: Prepare",
            "rm1 chooses vote = Yes",
            "rm1: timeout AskPeer",
            "rm1 -> rm2: Query",
            "rm2 -> rm1: Reply(None)",
        ]
    );
    assert_eq!(r.unique_states, 535);
}

#[test]
fn weak_fairness_lets_a_node_that_keeps_crashing_miss_its_messages() {
    // What strong fairness buys over weak on plain 2PC with crashes: under weak fairness a
    // delivery to an RM that crashes and recovers forever is never continuously enabled.
    let strong = check(&["crashes=1"], None);
    assert_eq!(strong.fairness, Some(Fairness::Strong));
    assert_eq!(
        termination(&strong).loop_start,
        None,
        "strong: the blocking run"
    );
    let weak = check(&["crashes=1"], Some(Fairness::Weak));
    let t = termination(&weak);
    assert_eq!(t.status, Status::Violated);
    let loop_start = t.loop_start.expect("weak: a crash-recovery lasso");
    assert!(actions(t)[loop_start..]
        .iter()
        .all(|a| a.ends_with("crashes") || a.ends_with("recovers")));
}
