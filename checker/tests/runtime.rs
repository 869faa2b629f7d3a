//! Every registered actor protocol on the runtime, with no per-protocol test code: for each
//! entry whose target has a runtime, many seeds under a nemesis (loss, duplication, delay and
//! reordering, crash and recovery, partition and heal) in every network and fault setting the
//! protocol takes. Safety must hold after every step, every step must replay through the
//! model (trace validation), and where the model checker proves liveness for the crash-free
//! configuration, every run must reach its goal after healing. Plus: a broken TM is caught, a
//! tampered trace is reported at the tampered step, and a seed reproduces its run exactly.
//!
//! Bounded: each protocol gets [`BUDGET_PER_PROTOCOL`] of wall-clock time; the seeds it got
//! through are printed (`cargo test -- --nocapture`).

use checker::engine::{CheckOptions, Kind, Status};
use checker::params::{Param, ParamKind};
use checker::registry::{self, Entry, PromiseBudget};
use impls::checked::{RuntimeOptions, RuntimeReport};
use impls::nemesis::{Faults, Nemesis, Poll};
use impls::sim::{Sim, Step};
use impls::validate::{validate, Mismatch};
use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// Wall-clock budget of the nemesis sweep per protocol.
const BUDGET_PER_PROTOCOL: Duration = Duration::from_secs(3);

/// What the liveness check behind `goal_promised` may spend in tests: a configuration whose
/// check is cut short is run without demanding the goal.
const PROMISE: PromiseBudget = PromiseBudget {
    states_max: 50_000,
    timeout: Duration::from_secs(2),
};

/// States the safety check behind the skip of known-unsafe settings may explore.
const SAFETY_STATES_MAX: u64 = 200_000;

/// Seeds per configuration and fault level: (default faults, heavy faults).
const SEEDS: (usize, usize) = (1000, 300);

fn opts(seed: u64, runs: usize, faults: Faults, require_goal: bool) -> RuntimeOptions {
    RuntimeOptions {
        seed,
        runs,
        faults,
        require_goal,
        keep_traces: false,
    }
}

/// The fault settings of an actor protocol worth sweeping: every network, lossy or not, with
/// no crash and with as many crashes as the protocol allows up to two. Empty for a model
/// without the actor parameters.
fn fault_settings(params: &[Param]) -> Vec<Vec<String>> {
    let find = |name: &str| params.iter().find(|p| p.name == name);
    let (Some(network), Some(_), Some(crashes)) = (find("network"), find("lossy"), find("crashes"))
    else {
        return Vec::new();
    };
    let ParamKind::Choice(networks) = &network.kind else {
        return Vec::new();
    };
    let crash_counts: Vec<u64> = match crashes.kind {
        ParamKind::Int { min, max } => [min, 1.min(max), 2.min(max)]
            .into_iter()
            .filter(|&c| c >= min)
            .collect(),
        _ => vec![],
    };
    let mut settings = Vec::new();
    for net in networks.iter() {
        for lossy in [false, true] {
            for &c in &crash_counts {
                let s = vec![
                    format!("network={net}"),
                    format!("lossy={lossy}"),
                    format!("crashes={c}"),
                ];
                if !settings.contains(&s) {
                    settings.push(s);
                }
            }
        }
    }
    settings
}

fn failures_text(name: &str, settings: &[String], report: &RuntimeReport) -> String {
    let mut out = String::new();
    for run in report.failures.iter().take(2) {
        out.push_str(&format!(
            "\n{name} {settings:?} seed {} failed:\n  {}\n{}\n",
            run.seed,
            run.problems().join("\n  "),
            run.trace.join("\n")
        ));
    }
    out
}

/// One protocol: every fault setting, default then heavy faults, until the budget runs out.
fn sweep(entry: &Entry) -> Option<(usize, usize, bool)> {
    let settings_list = fault_settings(&(entry.params)());
    let (_, target) = entry.instantiate(&[]).expect("defaults build");
    target.runtime(&opts(0, 1, Faults::NONE, false))?;
    // The promise is judged without crashes (and, with crashes, only for protocols that
    // promise liveness after recovery), so settings that differ only in how many crashes share it.
    let mut cache: HashMap<Vec<String>, bool> = HashMap::new();
    let promised: Vec<bool> = settings_list
        .iter()
        .map(|settings| {
            let key: Vec<String> = settings
                .iter()
                .map(|s| match s.strip_prefix("crashes=") {
                    Some(n) => format!("crashes>0={}", n != "0"),
                    None => s.clone(),
                })
                .collect();
            *cache.entry(key).or_insert_with(|| {
                registry::goal_promised(entry, settings, PROMISE)
                    .expect("the liveness check runs")
                    .unwrap_or(false)
            })
        })
        .collect();
    // A configuration the model checker already shows unsafe (a protocol's deliberately broken
    // setting, such as a protocol that needs FIFO channels on a network that reorders) is no claim to test at run time. Crashes
    // and losses only add behaviours, so a setting unsafe without them is unsafe with them too:
    // judge the fault-free setting, which is the smaller state space.
    let mut safe: HashMap<Vec<String>, bool> = HashMap::new();
    let claimed: Vec<bool> = settings_list
        .iter()
        .map(|settings| {
            let fault_free: Vec<String> = settings
                .iter()
                .map(|s| {
                    if s.starts_with("crashes=") {
                        "crashes=0".to_string()
                    } else if s.starts_with("lossy=") {
                        "lossy=false".to_string()
                    } else {
                        s.clone()
                    }
                })
                .collect();
            *safe.entry(fault_free.clone()).or_insert_with(|| {
                let settings: Vec<&str> = fault_free.iter().map(String::as_str).collect();
                // A state budget, not a time budget, so the verdict does not depend on load.
                let opts = CheckOptions {
                    safety_only: true,
                    max_states: Some(SAFETY_STATES_MAX),
                    ..CheckOptions::default()
                };
                let report = registry::check(entry.name, &settings, &opts).expect("a valid check");
                let unsafe_ = report.properties.iter().any(|p| {
                    p.kind == Kind::Always && p.status == Status::Violated && p.name != "deadlock"
                });
                if unsafe_ {
                    println!(
                        "{}: {settings:?} skipped: the checker shows it unsafe",
                        entry.name
                    );
                }
                !unsafe_
            })
        })
        .collect();
    // A protocol unsafe by design in every setting (the last-writer-wins register gives up
    // linearizability) has nothing to sweep here; its own tests run it on the simulator.
    let all_unsafe = !claimed.is_empty() && claimed.iter().all(|&c| !c);
    let started = Instant::now();
    let (mut runs, mut required) = (0, 0);
    'sweep: for faults in [Faults::DEFAULT, Faults::HEAVY] {
        for ((settings, &require_goal), _) in settings_list
            .iter()
            .zip(&promised)
            .zip(&claimed)
            .filter(|(_, &claimed)| claimed)
        {
            let (_, target) = entry.instantiate(settings).expect("settings build");
            let seeds = if faults == Faults::DEFAULT {
                SEEDS.0
            } else {
                SEEDS.1
            };
            for batch in (0..seeds).step_by(100) {
                if started.elapsed() > BUDGET_PER_PROTOCOL {
                    break 'sweep;
                }
                let report = target
                    .runtime(&opts(
                        batch as u64,
                        100.min(seeds - batch),
                        faults,
                        require_goal,
                    ))
                    .expect("an actor protocol runs");
                assert!(
                    report.failures.is_empty(),
                    "{}",
                    failures_text(entry.name, settings, &report)
                );
                runs += report.runs;
                if require_goal {
                    assert_eq!(report.goal_reached, report.runs);
                    required += report.runs;
                }
            }
        }
    }
    Some((runs, required, all_unsafe))
}

#[test]
fn every_actor_protocol_is_safe_replays_and_recovers_under_the_nemesis() {
    let mut swept = 0;
    for entry in registry::all() {
        if let Some((runs, required, all_unsafe)) = sweep(&entry) {
            println!(
                "{}: {runs} runs checked, {required} of them required to reach the goal",
                entry.name
            );
            assert!(
                runs >= 200 || all_unsafe,
                "{}: only {runs} runs in the budget",
                entry.name
            );
            swept += 1;
        }
    }
    assert!(swept > 0, "no registered protocol has a runtime");
}

#[test]
fn two_phase_commit_terminates_after_the_tm_recovers() {
    let settings = ["crashes=1".to_string()];
    let entry = registry::find("two-phase-commit").unwrap();
    // The checker proves termination only without crashes; the runtime demands it after every
    // crashed actor has recovered.
    assert_eq!(
        registry::goal_promised(&entry, &settings, PROMISE).unwrap(),
        Some(true)
    );
    let o = RuntimeOptions {
        keep_traces: true,
        ..opts(0, 2000, Faults::HEAVY, true)
    };
    let report = registry::run("two-phase-commit", &["crashes=1"], &o)
        .unwrap()
        .expect("2PC runs");
    // Runs where the TM crashed before sending any decision: the blocking case, which the
    // recovery (presumed abort) must unblock.
    let blocked_then_recovered = report
        .all
        .iter()
        .filter(|run| {
            let crash = run.trace.iter().position(|l| l.contains(" tm crashes"));
            let decided = run.trace.iter().position(|l| {
                l.contains(" tm -> rm") && (l.contains(": Commit") || l.contains(": Abort"))
            });
            matches!((crash, decided), (Some(c), Some(d)) if c < d)
        })
        .count();
    assert!(blocked_then_recovered > 50, "{blocked_then_recovered}");
    assert!(
        report.failures.is_empty(),
        "{}",
        failures_text(entry.name, &settings, &report)
    );
    assert_eq!(report.goal_reached, 2000);
    assert!(
        report.faults.crashes > 500 && report.faults.partitions > 500,
        "{:?}",
        report.faults
    );
    // A lossy network may lose the decision for good: 2PC does not retransmit.
    let lossy = ["lossy=true".to_string()];
    assert_eq!(
        registry::goal_promised(&entry, &lossy, PROMISE).unwrap(),
        Some(false)
    );
}

#[test]
fn the_first_yes_tm_is_caught_by_run() {
    let report = registry::run(
        "two-phase-commit",
        &["commit-rule=first-yes"],
        &opts(0, 300, Faults::DEFAULT, true),
    )
    .unwrap()
    .unwrap();
    assert!(
        !report.failures.is_empty(),
        "no seed in 0..300 caught the broken TM"
    );
    for run in &report.failures {
        assert!(
            run.divergence.is_none(),
            "the broken TM is still a model run"
        );
        let Some(v) = run
            .violations
            .iter()
            .find(|v| v.property == "commit only if all voted yes")
        else {
            continue;
        };
        // The violation appears exactly when the TM commits on its first Prepared.
        let line = run
            .trace
            .iter()
            .find(|l| l.trim_start().starts_with(&format!("{}. ", v.step)))
            .expect("the failing step is in the trace");
        assert!(
            line.contains("-> tm: Prepared"),
            "seed {}: {line}",
            run.seed
        );
    }
}

#[test]
fn the_cli_reports_a_failing_seed_and_the_command_reproduces_it() {
    let checker = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(args)
            .output()
            .expect("the checker binary runs")
    };
    let out = checker(&["run", "two-phase-commit", "--runs", "200"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = checker(&[
        "run",
        "two-phase-commit",
        "--set",
        "commit-rule=first-yes",
        "--runs",
        "50",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let command = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("reproduce: checker "))
        .expect("a failure prints the command that reproduces it");
    assert!(
        command.contains("--set commit-rule=first-yes --seed "),
        "{command}"
    );
    let args: Vec<&str> = command.split(' ').collect();
    let again = checker(&args);
    assert_eq!(again.status.code(), Some(1));
    let again = String::from_utf8_lossy(&again.stdout).to_string();
    // The first failing run's block, trace included, is printed again word for word.
    let block = |t: &str| {
        t.split("\nrun with seed ")
            .nth(1)
            .map(|b| b.split("\n\n").next().unwrap().trim_end().to_string())
    };
    assert_eq!(block(&text), block(&again));
    // Usage errors: a spec has nothing to run, and zero runs is no run.
    assert_eq!(checker(&["run", "atomic-commit"]).status.code(), Some(2));
    assert_eq!(checker(&["run", "no-such-protocol"]).status.code(), Some(2));
    assert_eq!(
        checker(&["run", "two-phase-commit", "--runs", "0"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        checker(&["run", "two-phase-commit", "--faults", "apocalyptic"])
            .status
            .code(),
        Some(2)
    );
    let json = checker(&["run", "two-phase-commit", "--runs", "20", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["runs"], 20);
    assert_eq!(doc["protocol"], "two-phase-commit");
    assert!(doc["failures"].as_array().unwrap().is_empty());
}

#[test]
fn a_seed_reproduces_its_run_exactly() {
    for entry in registry::all() {
        let (_, target) = entry.instantiate(&[]).unwrap();
        for faults in [Faults::DEFAULT, Faults::HEAVY] {
            let o = RuntimeOptions {
                keep_traces: true,
                ..opts(0, 50, faults, false)
            };
            let Some(first) = target.runtime(&o) else {
                continue;
            };
            let second = target.runtime(&o).unwrap();
            assert_eq!(first.all, second.all, "{}", entry.name);
            let hashes: std::collections::HashSet<u64> =
                first.all.iter().map(|r| r.trace_hash).collect();
            assert!(hashes.len() > 1, "{}: every seed ran alike", entry.name);
        }
    }
}

/// A 2PC run under heavy faults, with the simulator's snapshot before and after every step.
fn recorded_two_pc_run(
    seed: u64,
) -> (
    specs::two_phase_commit::TwoPcModel,
    Vec<impls::sim::StepOf<models::two_phase_commit::TwoPcActor>>,
    Vec<specs::two_phase_commit::TwoPcSysState>,
) {
    let cfg = specs::two_phase_commit::protocol()
        .cfg_of(&["crashes=1", "network=unordered-duplicating"])
        .unwrap();
    let model = specs::two_phase_commit::model(cfg);
    let faults = Faults::HEAVY;
    let mut sim = Sim::from_system(&cfg, faults.sim_cfg(seed)).unwrap();
    let mut nemesis = Nemesis::new(seed, faults, models::common::ActorSystem::system(&cfg));
    let mut snapshots = vec![sim.snapshot()];
    while nemesis.poll(&mut sim) == Poll::Progress {
        if sim.trace().len() == snapshots.len() {
            snapshots.push(sim.snapshot());
        }
    }
    assert_eq!(snapshots.len(), sim.trace().len() + 1);
    (model, sim.trace().to_vec(), snapshots)
}

#[test]
fn a_tampered_trace_is_reported_at_the_tampered_step() {
    let (mut not_enabled, mut different) = (0, 0);
    for seed in 0..50 {
        let (model, trace, snapshots) = recorded_two_pc_run(seed);
        validate(&model, &trace, Some(&snapshots)).expect("the untouched run replays");
        // A message its sender never sent: not enabled.
        if let Some(k) = trace.iter().position(|s| matches!(s, Step::Deliver { .. })) {
            let mut bad = trace.clone();
            if let Step::Deliver { src, dst, .. } = &mut bad[k] {
                *dst = *src;
            }
            let d = validate(&model, &bad, Some(&snapshots)).unwrap_err();
            assert_eq!((d.step, &d.mismatch), (k + 1, &Mismatch::NotEnabled));
            not_enabled += 1;
        }
        // The other vote: enabled, but the model lands elsewhere than the driver did.
        if let Some(k) = trace
            .iter()
            .position(|s| matches!(s, Step::SelectRandom { .. }))
        {
            let mut bad = trace.clone();
            if let Step::SelectRandom { random, .. } = &mut bad[k] {
                *random = match random {
                    models::two_phase_commit::Vote::Yes => models::two_phase_commit::Vote::No,
                    models::two_phase_commit::Vote::No => models::two_phase_commit::Vote::Yes,
                };
            }
            let d = validate(&model, &bad, Some(&snapshots)).unwrap_err();
            assert_eq!(d.step, k + 1, "{d}");
            assert!(matches!(d.mismatch, Mismatch::DifferentState { .. }), "{d}");
            different += 1;
        }
    }
    assert!(not_enabled > 0 && different > 0);
}

#[test]
fn a_missed_goal_is_reported_when_demanded() {
    // 2PC does not retransmit: on a lossy network a lost decision leaves an RM in doubt for
    // good. The checker knows (the goal is not promised); demanding it anyway must fail runs
    // with the goal's name, and nothing else.
    let report = registry::run(
        "two-phase-commit",
        &["lossy=true"],
        &opts(0, 300, Faults::DEFAULT, true),
    )
    .unwrap()
    .unwrap();
    assert!(!report.failures.is_empty());
    for run in &report.failures {
        assert!(run.violations.is_empty() && run.divergence.is_none());
        let problems = run.problems().join("\n");
        assert!(
            problems.contains("goal not reached") && problems.contains("termination"),
            "{problems}"
        );
        assert!(
            run.trace.iter().any(|l| l.contains("lost ")),
            "{:?}",
            run.trace
        );
    }
}

#[test]
fn fault_free_runs_all_terminate() {
    let report = registry::run("two-phase-commit", &[], &opts(0, 200, Faults::NONE, true))
        .unwrap()
        .unwrap();
    assert!(report.failures.is_empty());
    assert_eq!(report.goal_reached, 200);
    assert_eq!(report.faults, Default::default());
}
