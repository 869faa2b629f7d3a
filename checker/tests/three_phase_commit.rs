//! Three-phase commit through the registry: safe and non-blocking under an accurate detector,
//! also with as many crashes as RMs; the termination protocol commits after a pre-commit and
//! aborts before any; a partition or a timeout detector splits the decision; each broken
//! variant is caught; and the same on the simulator.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::{RuntimeOptions, RuntimeReport};
use impls::nemesis::Faults;

mod common;
use common::{actions, property};

const NAME: &str = "three-phase-commit";
const AC1: &str = "agreement";
const NON_BLOCKING: &str = "non-blocking";
const BACKUP_COMMITS: &str = "the termination protocol commits";
const BACKUP_ABORTS: &str = "the termination protocol aborts";

fn check(settings: &[&str]) -> Report {
    common::check(NAME, settings, &CheckOptions::default())
}

/// The last state of a property's trace.
fn last_state(r: &Report, name: &str) -> serde_json::Value {
    let p = property(r, name);
    p.trace
        .as_ref()
        .expect("a trace")
        .last()
        .unwrap()
        .state
        .clone()
}

/// An actor's phase in a state of a trace (`tm` or `rmN`).
fn phase(state: &serde_json::Value, actor: &str) -> String {
    let s = &state["actors"][actor]["state"];
    let phase = if actor == "tm" {
        &s["Tm"]["phase"]
    } else {
        &s["Rm"]["phase"]
    };
    match phase {
        serde_json::Value::String(p) => p.clone(),
        // Struct-like phases print as an object keyed by the variant.
        other => other.as_object().unwrap().keys().next().unwrap().clone(),
    }
}

#[test]
fn accurate_detection_is_safe_and_live_at_two_sizes() {
    // Without a crash nothing times out: the run is the failure-free protocol (2PC, which
    // lets its vote timer fire at any time, has 123 and 1096).
    for (rms, states) in [(2, 54), (3, 401)] {
        let r = check(&[&format!("rms={rms}")]);
        assert!(r.complete && r.all_pass(), "rms={rms}");
        assert_eq!(r.unique_states, states, "rms={rms}");
        assert_eq!(property(&r, "refinement").status, Status::Holds);
    }
}

#[test]
fn with_as_many_crashes_as_rms_every_operational_rm_decides() {
    // Any node may crash, several at once, and recover; strong fairness owes no recovery, so a
    // crashed TM stays down and the RMs must finish alone: Skeen's non-blocking claim.
    for (rms, crashes, states) in [(1, 1, 246), (2, 1, 20_463), (2, 2, 43_502)] {
        let r = check(&[&format!("rms={rms}"), &format!("crashes={crashes}")]);
        assert!(r.complete && r.all_pass(), "rms={rms} crashes={crashes}");
        assert_eq!(r.unique_states, states, "rms={rms} crashes={crashes}");
        assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
        assert_eq!(property(&r, BACKUP_COMMITS).status, Status::Found);
        assert_eq!(property(&r, BACKUP_ABORTS).status, Status::Found);
    }
}

#[test]
fn crash_stop_with_three_rms_every_operational_rm_decides() {
    // Without recoveries (crash-stop: a recovered node is down for the detector anyway), up
    // to every node: any set of `crashes` nodes, the TM included, failing at any point. With
    // recoveries, `crashes=1` alone is 4.7 million states (see the README).
    for (crashes, states) in [(1, 17_480), (4, 257_025)] {
        let r = check(&["rms=3", &format!("crashes={crashes}"), "recover=false"]);
        assert!(r.complete && r.all_pass(), "crashes={crashes}");
        assert_eq!(r.unique_states, states, "crashes={crashes}");
        assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
        assert_eq!(property(&r, BACKUP_COMMITS).status, Status::Found);
        assert_eq!(property(&r, BACKUP_ABORTS).status, Status::Found);
    }
}

#[test]
fn the_termination_protocol_commits_after_a_pre_commit_and_aborts_before_any() {
    let r = check(&["rms=2", "crashes=1"]);
    // The TM crashes after rm2 pre-committed: the backup rm1 learns it and commits.
    let commits = property(&r, BACKUP_COMMITS);
    assert_eq!(
        actions(commits),
        [
            "tm -> rm1: CanCommit",
            "tm -> rm2: CanCommit",
            "rm1 chooses vote = Yes",
            "rm1 -> tm: Yes",
            "rm2 chooses vote = Yes",
            "rm2 -> tm: Yes",
            "tm -> rm2: PreCommit",
            "tm crashes",
            "rm1: timeout LeaderTimeout",
            "rm1 -> rm2: StateReq",
            "rm2 -> rm1: StateReport(PreCommitted)",
        ]
    );
    // The TM crashes before any pre-commit: nobody can have committed, the backup aborts
    // (here rm2, which had not even voted, aborts on the state request).
    let aborts = property(&r, BACKUP_ABORTS);
    assert_eq!(
        actions(aborts),
        [
            "tm -> rm1: CanCommit",
            "tm crashes",
            "rm1 chooses vote = Yes",
            "rm1: timeout LeaderTimeout",
            "rm1 -> rm2: StateReq",
            "rm2 -> rm1: StateReport(Aborted)",
        ]
    );
    let last = last_state(&r, BACKUP_ABORTS);
    assert_eq!(phase(&last, "rm1"), "Aborted");
    assert_eq!(last["actors"]["tm"]["crashed"], true);
}

#[test]
fn a_partition_makes_one_side_commit_and_the_other_abort() {
    let r = check(&["rms=2", "partition=true"]);
    assert_eq!(r.unique_states, 202);
    let p = property(&r, AC1);
    assert_eq!(p.status, Status::Violated);
    // Every RM votes yes; the network splits {tm, rm1} | {rm2} as the pre-commit to rm2 is
    // lost. The TM, hearing no ack from across the cut, commits by its p1 rule; rm2, hearing
    // nothing from the TM or rm1, becomes the backup, finds only itself uncertain and aborts.
    assert_eq!(
        actions(p),
        [
            "tm -> rm1: CanCommit",
            "tm -> rm2: CanCommit",
            "rm1 chooses vote = Yes",
            "rm1 -> tm: Yes",
            "rm2 chooses vote = Yes",
            "rm2 -> tm: Yes",
            "lost tm -> rm2: PreCommit",
            "tm -> rm1: PreCommit",
            "rm1 -> tm: Ack",
            "tm: timeout AckTimeout",
            "rm2: timeout LeaderTimeout",
            "rm2: timeout LeaderTimeout",
            "rm2: timeout ReportTimeout",
        ]
    );
    assert_eq!(
        p.explorer_path.as_deref(),
        Some("0/1/1/0/0/0/1/0/0/0/0/1/1/1")
    );
    let last = last_state(&r, AC1);
    assert_eq!(last["history"]["tm_side"], serde_json::json!([0, 1]));
    assert_eq!(phase(&last, "tm"), "Committed");
    assert_eq!(phase(&last, "rm2"), "Aborted");
    // One step more and rm1, on the TM's side, commits: the RMs themselves disagree.
    let last = last_state(&r, "abstraction satisfies atomic-commit");
    assert_eq!(phase(&last, "rm1"), "Committed");
    assert_eq!(phase(&last, "rm2"), "Aborted");
    assert_eq!(property(&r, "refinement").status, Status::Violated);
    // The partition costs safety, not liveness: every operational RM still decides.
    assert_eq!(property(&r, NON_BLOCKING).status, Status::Holds);
    // Three RMs: {tm, rm1} | {rm2, rm3}.
    let r = check(&["partition=true"]);
    assert_eq!(r.unique_states, 6823);
    assert_eq!(property(&r, AC1).status, Status::Violated);
}

#[test]
fn a_timeout_detector_breaks_agreement_without_any_failure() {
    let r = check(&["rms=2", "detector=timeout"]);
    assert_eq!(r.unique_states, 16_906);
    let p = property(&r, AC1);
    assert_eq!(p.status, Status::Violated);
    // rm1 suspects the TM while it is up, becomes the backup, times out on rm2 and aborts
    // (everyone it heard from is uncertain); the TM times out on the acks and commits.
    assert_eq!(
        actions(p),
        [
            "tm -> rm1: CanCommit",
            "tm -> rm2: CanCommit",
            "rm1 chooses vote = Yes",
            "rm1 -> tm: Yes",
            "rm1: timeout LeaderTimeout",
            "rm1: timeout ReportTimeout",
            "rm2 chooses vote = Yes",
            "rm2 -> tm: Yes",
            "tm: timeout AckTimeout",
        ]
    );
    assert_eq!(
        property(&r, "decision is never reversed").status,
        Status::Violated
    );
}

#[test]
fn a_recovered_rm_that_decides_alone_breaks_agreement() {
    let r = check(&["rms=2", "crashes=1", "bug=recovery-decides-alone"]);
    let p = property(&r, AC1);
    assert_eq!(p.status, Status::Violated);
    // rm1 crashes in w and, recovered, aborts on its own; rm2 crashes too, and the TM, whose
    // missing acks are all from nodes down, commits by its p1 rule.
    assert_eq!(
        actions(p),
        [
            "tm -> rm1: CanCommit",
            "tm -> rm2: CanCommit",
            "rm1 chooses vote = Yes",
            "rm1 -> tm: Yes",
            "rm1 crashes",
            "rm1 recovers",
            "rm2 chooses vote = Yes",
            "rm2 -> tm: Yes",
            "rm2 crashes",
            "tm: timeout AckTimeout",
        ]
    );
    let last = last_state(&r, AC1);
    assert_eq!(phase(&last, "rm1"), "Aborted");
    assert_eq!(phase(&last, "tm"), "Committed");
    for name in [
        "abstraction satisfies atomic-commit",
        "decision is never reversed",
        "refinement",
    ] {
        assert_eq!(property(&r, name).status, Status::Violated, "{name}");
    }
}

#[test]
fn a_backup_that_commits_when_all_are_uncertain_is_caught() {
    let r = check(&["rms=2", "crashes=1", "bug=backup-commits-uncertain"]);
    // rm2 crashes before it voted; the TM crashes and recovers in w1 (so it aborts); rm1,
    // alone and uncertain, commits: against the TM's abort and without rm2's vote.
    let p = property(&r, AC1);
    assert_eq!(
        actions(p),
        [
            "tm -> rm1: CanCommit",
            "tm crashes",
            "tm recovers",
            "rm2 crashes",
            "rm1 chooses vote = Yes",
            "rm1: timeout LeaderTimeout",
            "rm1: timeout ReportTimeout",
        ]
    );
    for name in [
        AC1,
        "commit only if all voted yes",
        "abstraction satisfies atomic-commit",
        "decision is never reversed",
        "refinement",
    ] {
        assert_eq!(property(&r, name).status, Status::Violated, "{name}");
    }
}

#[test]
fn a_lossy_network_blocks_even_an_accurate_detector() {
    // The synchronous model also delivers every message: lose both CanCommits and every node
    // waits for ever, none of them down, so no wait may time out.
    let r = check(&["rms=2", "lossy=true"]);
    let p = property(&r, NON_BLOCKING);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        ["lost tm -> rm1: CanCommit", "lost tm -> rm2: CanCommit"]
    );
    assert_eq!(property(&r, AC1).status, Status::Holds);
}

#[test]
fn coverage_with_a_crash_fires_every_declared_kind() {
    let opts = CheckOptions {
        coverage: true,
        ..CheckOptions::default()
    };
    let r = common::check(NAME, &["rms=2", "crashes=1"], &opts);
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.never_fired.is_empty(), "{:?}", cov.never_fired);
    assert!(cov.fired["rm timeout ReportTimeout"] > 0);
    assert!(cov.fired["tm receives DoCommit"] > 0);
    // Without a crash nothing is suspected: the termination protocol is not even declared.
    let r = common::check(NAME, &[], &opts);
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.never_fired.is_empty(), "{:?}", cov.never_fired);
    assert!(!cov.fired.contains_key("rm timeout LeaderTimeout"));
}

#[test]
fn bad_settings_are_refused() {
    let err = |settings: &[&str]| {
        registry::check(NAME, settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err(&["rms=7"]).contains("rms must be in 1..=6"));
    assert!(err(&["rms=2", "crashes=4"]).contains("crashes must be at most"));
    assert!(err(&["partition=true", "lossy=true"]).contains("lossy=false"));
    assert!(err(&["detector=perfect"]).contains("accurate, timeout"));
}

fn run(settings: &[&str], runs: usize, require_goal: bool) -> RuntimeReport {
    let opts = RuntimeOptions {
        seed: 0,
        runs,
        faults: Faults::HEAVY,
        require_goal,
        keep_traces: true,
    };
    registry::run(NAME, settings, &opts)
        .expect("valid")
        .expect("an actor protocol")
}

#[test]
fn on_the_runtime_the_rms_finish_without_a_crashed_tm() {
    // The accurate detector as the simulator's timer gate; crashes, partitions (delays
    // only: the gate never suspects across them), duplicates; every step replayed.
    let r = run(&["crashes=1"], 1000, false);
    assert!(r.failures.is_empty(), "{:?}", r.failures[0].problems());
    assert!(r.faults.crashes > 300, "{:?}", r.faults);
    // Runs in which the TM crashed and a backup finished the transaction.
    let backups = r
        .all
        .iter()
        .filter(|run| run.trace.iter().any(|l| l.contains(": StateReq")))
        .count();
    assert!(backups > 20, "{backups}");
}

#[test]
fn on_the_runtime_a_partition_splits_the_decision() {
    // `partition=true` runs without the gate: a wait outlasts the nemesis's cut now and then
    // (1-2 s of leader wait against its partitions), and the sides decide apart.
    let r = run(&["rms=2", "partition=true"], 2000, false);
    assert!(
        r.failures
            .iter()
            .any(|f| f.violations.iter().any(|v| v.property == AC1)),
        "no seed in 0..2000 split the decision"
    );
    for f in &r.failures {
        assert!(
            f.divergence.is_none(),
            "seed {}: {:?}",
            f.seed,
            f.divergence
        );
    }
}
