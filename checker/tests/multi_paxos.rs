//! Multi-Paxos through the registry: pinned state counts, a witness for each `sometimes`
//! property, and a counterexample for every other property, from a broken variant or a broken
//! assumption. A number here changes only with a commit message that explains why.

use checker::engine::{CheckOptions, Status, Strategy};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(settings: &[&str], opts: CheckOptions) -> Report {
    registry::check("multi-paxos", settings, &opts).expect("a valid configuration")
}

fn bfs() -> CheckOptions {
    CheckOptions::default()
}

fn statuses(r: &Report) -> Vec<(&str, Status)> {
    r.properties
        .iter()
        .map(|p| (p.name.as_str(), p.status))
        .collect()
}

#[test]
fn stable_leader_put_then_get_passes_with_pinned_counts() {
    // The default: 3 replicas, one client that puts then gets key 0 (of two keys), no leader
    // change. DFS visits the same states (safety only, to keep the test short). The count is
    // the one-key count: the workload is fixed, so key names only relabel the same runs.
    let dfs = check(
        &[],
        CheckOptions {
            strategy: Strategy::Dfs,
            safety_only: true,
            ..bfs()
        },
    );
    assert!(dfs.complete && dfs.all_pass(), "{:?}", statuses(&dfs));
    assert_eq!(dfs.unique_states, 29368);
    let r = check(&[], bfs());
    assert!(r.complete);
    assert_eq!(r.unique_states, 29368);
    assert_eq!(
        statuses(&r),
        [
            ("agreement", Status::Holds),
            ("replicas apply the same prefix", Status::Holds),
            ("linearizable", Status::Holds),
            ("a get reads a put", Status::Found),
            ("every operation completes", Status::Holds),
            ("applied commands are never undone", Status::Holds),
            ("promises never decrease", Status::Holds),
            ("deadlock", Status::Holds),
        ]
    );
}

#[test]
fn a_get_reads_the_put_before_it() {
    let r = check(&[], bfs());
    let get = property(&r, "a get reads a put");
    assert_eq!(
        actions(get),
        [
            "c0 -> r0: Put { req: 0, key: 0, value: 'A' }",
            "r0 -> r1: Accept { ballot: (0, Id(0)), slot: 0, command: Request { client: Id(3), req: 0, op: Put(0, 'A') } }",
            "r1 -> r0: Accepted { ballot: (0, Id(0)), slot: 0 }",
            "r0 -> c0: PutOk { req: 0 }",
            "c0 -> r0: Get { req: 1, key: 0 }",
            "r0 -> r1: Accept { ballot: (0, Id(0)), slot: 1, command: Request { client: Id(3), req: 1, op: Get(0) } }",
            "r1 -> r0: Accepted { ballot: (0, Id(0)), slot: 1 }",
        ]
    );
    assert_eq!(get.explorer_path.as_deref(), Some("0/0/0/1/3/3/0/4"));
}

#[test]
fn a_leader_change_passes_and_runs_phase_1() {
    let r = check(&["ballots=2", "ops=1"], bfs());
    assert!(r.complete && r.all_pass(), "{:?}", statuses(&r));
    assert_eq!(r.unique_states, 7859);
    let takeover = property(&r, "a new leader takes over");
    assert_eq!(takeover.status, Status::Found);
    assert_eq!(
        actions(takeover),
        [
            "c0 -> r1: Put { req: 0, key: 0, value: 'A' }",
            "r1: timeout Election",
            "r1 -> r0: Prepare { ballot: (1, Id(1)) }",
            "r0 -> r1: Promise { ballot: (1, Id(1)), accepted: [] }",
        ]
    );
}

#[test]
fn five_replicas_pass() {
    // One put on five replicas (majorities of three). Two concurrent clients (clients=2 ops=1,
    // 103184 states) are left to the CLI and to the runtime tests, to keep this file quick.
    let r = check(&["replicas=5", "ops=1"], bfs());
    assert!(r.complete && r.all_pass(), "{:?}", statuses(&r));
    assert_eq!(r.unique_states, 39640);
}

#[test]
fn a_leader_that_skips_phase_1_breaks_agreement_and_linearizability() {
    // The state space with a leader change and two operations is large; the counterexamples
    // are short, so a capped BFS finds them (and says it is incomplete).
    let opts = CheckOptions {
        max_states: Some(20_000),
        safety_only: true,
        ..bfs()
    };
    let r = check(&["ballots=2", "bug=skip-phase-1"], opts);
    assert!(!r.complete);
    // The client's put is chosen in slot 0 by r0 and r2 and answered; then r1, which only
    // heard the get, takes over without phase 1 and chooses the get in slot 0 with r0.
    let takeover = [
        "c0 -> r0: Put { req: 0, key: 0, value: 'A' }",
        "r0 -> r2: Accept { ballot: (0, Id(0)), slot: 0, command: Request { client: Id(3), req: 0, op: Put(0, 'A') } }",
        "r2 -> r0: Accepted { ballot: (0, Id(0)), slot: 0 }",
        "r0 -> c0: PutOk { req: 0 }",
        "c0 -> r1: Get { req: 1, key: 0 }",
        "r1: timeout Election",
        "r1 -> r0: Accept { ballot: (1, Id(1)), slot: 0, command: Request { client: Id(3), req: 1, op: Get(0) } }",
        "r0 -> r1: Accepted { ballot: (1, Id(1)), slot: 0 }",
    ];
    for name in ["agreement", "replicas apply the same prefix"] {
        let p = property(&r, name);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p), takeover, "{name}");
    }
    let lin = property(&r, "linearizable");
    assert_eq!(lin.status, Status::Violated);
    // The get, invoked after the put returned, reads the initial value.
    assert_eq!(actions(lin)[..8], takeover);
    assert_eq!(actions(lin)[8], "r1 -> c0: GetOk { req: 1, value: '-' }");
    assert_eq!(lin.explorer_path.as_deref(), Some("0/0/1/1/3/5/8/3/1/6"));
    let last = &lin.trace.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["history"], "not linearizable");
}

#[test]
fn a_lossy_network_can_starve_a_client() {
    // No retransmission: if every copy of the request is lost, nothing ever happens again.
    let r = check(&["ops=1", "lossy=true"], bfs());
    assert!(r.complete);
    assert_eq!(r.unique_states, 1982);
    let progress = property(&r, "every operation completes");
    assert_eq!(progress.status, Status::Violated);
    assert_eq!(
        actions(progress),
        [
            "lost c0 -> r0: Put { req: 0, key: 0, value: 'A' }",
            "lost c0 -> r1: Put { req: 0, key: 0, value: 'A' }",
            "lost c0 -> r2: Put { req: 0, key: 0, value: 'A' }",
        ]
    );
    // Loss costs progress only.
    for name in [
        "agreement",
        "replicas apply the same prefix",
        "linearizable",
    ] {
        assert_eq!(property(&r, name).status, Status::Holds, "{name}");
    }
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let refused = |settings: &[&str]| match registry::check("multi-paxos", settings, &bfs()) {
        Err(reason) => reason,
        Ok(_) => panic!("{settings:?} accepted"),
    };
    assert_eq!(refused(&["replicas=4"]), "replicas must be 3 or 5, got 4");
    assert_eq!(
        refused(&["clients=2", "ops=2", "slots=3"]),
        "slots must be in 4..=64 (clients * ops), got 3"
    );
    assert!(refused(&["ballots=0"]).contains("ballots"));
    assert_eq!(
        refused(&["keys=4"]),
        "parameter 'keys' must be in 1..=3, got 4"
    );
}

#[test]
fn a_crash_can_leave_no_replica_able_to_lead() {
    // Even assuming strong fairness (a message deliverable again and again is delivered): r0
    // crashes and recovers as a follower (its leadership was volatile), then r1, the only
    // replica that owns a later round (ballots=2), crashes for good. Nobody may lead again.
    let opts = CheckOptions {
        fairness: Some(checker::engine::Fairness::Strong),
        ..bfs()
    };
    let r = check(&["ballots=2", "ops=1", "crashes=1"], opts);
    assert!(r.complete);
    assert_eq!(r.unique_states, 87000);
    let progress = property(&r, "every operation completes");
    assert_eq!(progress.status, Status::Violated);
    assert_eq!(
        actions(progress),
        [
            "c0 -> r2: Put { req: 0, key: 0, value: 'A' }",
            "r0 crashes",
            "r0 recovers",
            "c0 -> r0: Put { req: 0, key: 0, value: 'A' }",
            "r1 crashes",
        ]
    );
    for name in [
        "agreement",
        "replicas apply the same prefix",
        "linearizable",
    ] {
        assert_eq!(property(&r, name).status, Status::Holds, "{name}");
    }
}
