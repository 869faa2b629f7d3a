//! Multi-Paxos through the registry: pinned state counts, a witness for each `sometimes`
//! property, and a counterexample for every other property, from a broken variant or a broken
//! assumption. A number here changes only with a commit message that explains why.

use checker::engine::{CheckOptions, Status, Strategy};
use checker::registry;
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(settings: &[&str], opts: CheckOptions) -> Report {
    common::check("multi-paxos", settings, &opts)
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
    // One put on five replicas (majorities of three). Two concurrent clients on three replicas
    // are checked below (two_clients_on_two_keys_pass).
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
        Err(reason) => reason.to_string(),
        Ok(_) => panic!("{settings:?} accepted"),
    };
    assert_eq!(refused(&["replicas=4"]), "replicas must be 3 or 5, got 4");
    assert_eq!(
        refused(&["clients=2", "ops=2", "slots=3"]),
        "slots must be in 4..=64 (clients * ops), got 3"
    );
    assert!(refused(&["ballots=0"]).contains("ballots"));
    // Range errors read the same from the command line and from the model's constructor.
    assert_eq!(refused(&["keys=4"]), "keys must be in 1..=3, got 4");
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

#[test]
fn replicas_that_ignore_the_key_break_linearizability() {
    // Two clients over two keys: c0 puts key 0 while c1 gets key 1. Replicas that keep one
    // cell for every key let the get read the put; the map says key 1 was never written. The
    // counterexample is short, so a capped BFS finds it (and says it is incomplete); the
    // whole space (103184 states) is checked with the protocol below.
    let opts = CheckOptions {
        max_states: Some(20_000),
        safety_only: true,
        ..bfs()
    };
    let r = check(&["clients=2", "ops=1", "keys=2", "bug=ignore-key"], opts);
    assert!(!r.complete);
    let lin = property(&r, "linearizable");
    assert_eq!(lin.status, Status::Violated);
    // c0's put of key 0 is chosen in slot 0 (not yet answered), then c1's get of key 1 in
    // slot 1, and the get reads the put's value.
    assert_eq!(
        actions(lin),
        [
            "c0 -> r0: Put { req: 0, key: 0, value: 'A' }",
            "r0 -> r1: Accept { ballot: (0, Id(0)), slot: 0, command: Request { client: Id(3), req: 0, op: Put(0, 'A') } }",
            "r1 -> r0: Accepted { ballot: (0, Id(0)), slot: 0 }",
            "c1 -> r0: Get { req: 0, key: 1 }",
            "r0 -> r1: Accept { ballot: (0, Id(0)), slot: 1, command: Request { client: Id(4), req: 0, op: Get(1) } }",
            "r1 -> r0: Accepted { ballot: (0, Id(0)), slot: 1 }",
            "r0 -> c1: GetOk { req: 0, value: 'A' }",
        ]
    );
    assert_eq!(lin.explorer_path.as_deref(), Some("0/0/0/1/6/0/5/7"));
    let last = &lin.trace.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["history"], "not linearizable");
    // The log itself is sound: only the store is broken.
    for name in ["agreement", "replicas apply the same prefix"] {
        assert_eq!(property(&r, name).status, Status::Holds, "{name}");
    }
    // The default workload (one client, put then get of key 0) touches one key only, so it
    // cannot tell a register from a map: the broken store passes it.
    let one_key = check(
        &["bug=ignore-key"],
        CheckOptions {
            safety_only: true,
            ..bfs()
        },
    );
    assert!(
        one_key.complete && one_key.all_pass(),
        "{:?}",
        statuses(&one_key)
    );
    assert_eq!(one_key.unique_states, 29368);
}

#[test]
fn two_clients_on_two_keys_pass() {
    // The configuration above with the protocol: a put of key 0 and a concurrent get of key 1,
    // checked in full (liveness included, about 7 s at opt-level 3).
    let r = check(&["clients=2", "ops=1", "keys=2"], bfs());
    assert!(r.complete && r.all_pass(), "{:?}", statuses(&r));
    assert_eq!(r.unique_states, 103184);
    assert_eq!(
        statuses(&r),
        [
            ("agreement", Status::Holds),
            ("replicas apply the same prefix", Status::Holds),
            ("linearizable", Status::Holds),
            ("every operation completes", Status::Holds),
            ("applied commands are never undone", Status::Holds),
            ("promises never decrease", Status::Holds),
            ("deadlock", Status::Holds),
        ]
    );
}
