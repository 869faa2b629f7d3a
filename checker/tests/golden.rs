//! Pinned results, through the registry (the path the CLI and the benches take). A number here
//! changes only with a commit message that explains why.

use checker::engine::{CheckOptions, Status, Strategy};
use checker::report::Report;

mod common;
use common::{actions, property};

fn check(name: &str, settings: &[&str], opts: CheckOptions) -> Report {
    common::check(name, settings, &opts)
}

fn bfs() -> CheckOptions {
    CheckOptions::default()
}

#[test]
fn atomic_commit_state_counts() {
    // With no RM committed, every vector over {working, prepared, aborted} is reachable (3^n);
    // once one has committed, every RM is prepared or committed (2^n - 1 more).
    for (rms, states) in [(3, 34), (5, 274)] {
        let r = common::check_pinned("atomic-commit", &[&format!("rms={rms}")], &bfs(), states);
        assert!(r.complete && r.all_pass(), "rms={rms}");
    }
}

#[test]
fn two_phase_commit_state_counts_per_search_and_symmetry() {
    // (rms, strategy, symmetry, unique states). Without symmetry BFS and DFS agree, and both
    // agree with specs' equality-keyed search (123 and 1096).
    let cases = [
        (2, Strategy::Bfs, false, 123),
        (3, Strategy::Bfs, false, 1096),
        (3, Strategy::Dfs, false, 1096),
        (3, Strategy::Bfs, true, 244),
        (3, Strategy::Dfs, true, 244),
        (5, Strategy::Bfs, true, 1907),
    ];
    for (rms, strategy, symmetry, states) in cases {
        // Symmetry is sound for safety only (see engine docs), so those runs skip liveness.
        let opts = CheckOptions {
            strategy,
            symmetry,
            safety_only: symmetry,
            ..bfs()
        };
        let r = common::check_pinned("two-phase-commit", &[&format!("rms={rms}")], &opts, states);
        assert!(r.all_pass(), "rms={rms} {strategy:?} {symmetry}");
    }
}

#[test]
fn threads_change_nothing_but_speed() {
    let one = check("two-phase-commit", &["rms=4"], bfs());
    let two = check(
        "two-phase-commit",
        &["rms=4"],
        CheckOptions {
            threads: 2,
            ..bfs()
        },
    );
    assert_eq!(
        (one.unique_states, one.total_states, one.max_depth),
        (two.unique_states, two.total_states, two.max_depth)
    );
    assert_eq!(one.unique_states, 10101);
}

#[test]
fn coordinator_crash_blocks_prepared_rms() {
    let r = common::check_pinned("two-phase-commit", &["crashes=1"], &bfs(), 14035);
    let termination = property(&r, "termination");
    assert_eq!(termination.status, Status::Violated);
    // Every RM gets its Prepare, the TM crashes, every RM votes yes and is stuck in doubt:
    // only the TM's recovery could help, and nothing obliges it to recover.
    assert_eq!(
        actions(termination),
        [
            "tm -> rm1: Prepare",
            "tm -> rm2: Prepare",
            "tm -> rm3: Prepare",
            "tm crashes",
            "rm1 chooses vote = Yes",
            "rm2 chooses vote = Yes",
            "rm3 chooses vote = Yes",
        ]
    );
    assert_eq!(
        termination.explorer_path.as_deref(),
        Some("0/0/0/0/1/1/2/3")
    );
    let last = &termination.trace.as_ref().unwrap().last().unwrap().state["actors"];
    assert_eq!(last["tm"]["crashed"], true);
    for rm in ["rm1", "rm2", "rm3"] {
        assert_eq!(last[rm]["state"]["Rm"]["phase"], "Prepared", "{rm}");
    }
    // Crashes cost liveness only: every safety property still holds.
    for p in &r.properties {
        if p.name != "termination" {
            assert!(
                matches!(p.status, Status::Holds | Status::Found),
                "{}",
                p.name
            );
        }
    }
}

#[test]
fn a_tm_that_commits_on_the_first_yes_is_caught() {
    let r = check(
        "two-phase-commit",
        &["rms=2", "commit-rule=first-yes"],
        bfs(),
    );
    let ac3 = property(&r, "commit only if all voted yes");
    assert_eq!(ac3.status, Status::Violated);
    assert_eq!(
        actions(ac3),
        [
            "tm -> rm1: Prepare",
            "rm1 chooses vote = Yes",
            "rm1 -> tm: Prepared"
        ]
    );
    let ac1 = property(&r, "agreement");
    assert_eq!(ac1.status, Status::Violated);
    assert_eq!(ac1.explorer_path.as_deref(), Some("0/0/0/1/0/0/2"));
    // rm2 voted no and aborted, then hears the commit: a decision reversed.
    let ac2 = property(&r, "decision is never reversed");
    assert_eq!(ac2.status, Status::Violated);
    assert_eq!(actions(ac2).last(), Some(&"tm -> rm2: Commit"));
    assert_eq!(
        property(&r, "abstraction satisfies atomic-commit").status,
        Status::Violated
    );
}

#[test]
fn traces_replay_under_symmetry() {
    // With symmetry the engine stores representatives; the reported trace must still be a
    // concrete run, as short as without symmetry.
    let opts = CheckOptions {
        symmetry: true,
        safety_only: true,
        ..bfs()
    };
    let settings = ["rms=3", "commit-rule=first-yes"];
    let reduced = check("two-phase-commit", &settings, opts);
    let full = check("two-phase-commit", &settings, bfs());
    for name in ["agreement", "commit only if all voted yes", "refinement"] {
        let (a, b) = (property(&reduced, name), property(&full, name));
        assert_eq!(a.status, Status::Violated, "{name}");
        assert_eq!(actions(a).len(), actions(b).len(), "{name}");
    }
    assert!(reduced.unique_states < full.unique_states);
}

#[test]
fn two_phase_commit_refines_atomic_commit_and_ends_properly() {
    let r = check("two-phase-commit", &[], bfs());
    assert_eq!(property(&r, "refinement").status, Status::Holds);
    assert_eq!(property(&r, "deadlock").status, Status::Holds);
    // The broken TM commits while an RM is still working: no TCommit step allows that.
    let r = check(
        "two-phase-commit",
        &["rms=2", "commit-rule=first-yes"],
        bfs(),
    );
    let refinement = property(&r, "refinement");
    assert_eq!(refinement.status, Status::Violated);
    assert_eq!(actions(refinement).last(), Some(&"tm -> rm1: Commit"));
}

#[test]
fn coverage_of_two_phase_commit() {
    let opts = CheckOptions {
        coverage: true,
        ..bfs()
    };
    let r = check("two-phase-commit", &[], opts.clone());
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.never_fired.is_empty(), "{:?}", cov.never_fired);
    assert_eq!(cov.fired["tm timeout VoteTimeout"], 124);
    assert_eq!(cov.fired["rm receives Commit"], 12);
    // Losses and faults are declared kinds only when configured, and then they fire too.
    let r = check(
        "two-phase-commit",
        &["crashes=1", "lossy=true", "rms=1"],
        opts,
    );
    let cov = r.coverage.as_ref().unwrap();
    assert!(cov.fired["lost Prepare"] > 0);
    assert!(cov.never_fired.is_empty(), "{:?}", cov.never_fired);
}

#[test]
fn a_state_space_made_infinite_by_a_regression_fails_with_the_count_reached() {
    // The planted regression: the TM re-sends its decision on every recovery, so with crashes
    // on a non-duplicating network every recovery adds messages for ever. The suite's harness
    // stops at four times the right model's pinned count and fails, saying how far it got,
    // instead of hanging.
    let mut planted = specs::two_phase_commit::protocol();
    planted.cfg = |p| Ok((specs::two_phase_commit::protocol().cfg)(p)?.with_planted_resend(true));
    let entry = checker::registry::actor(planted);
    let failure = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        common::check_entry_within(&entry, &["crashes=1"], &bfs(), 4 * 14035)
    }))
    .expect_err("the planted regression must fail the check");
    let message = failure
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("incomplete after 56140 unique states"),
        "{message}"
    );
    // The right TM completes well inside that limit.
    common::check_pinned("two-phase-commit", &["crashes=1"], &bfs(), 14035);
}
