//! Plain runs (`Target::run_plain`, what `benches/benches/runtime.rs` times) of every
//! registered actor protocol, with no per-protocol test code: at its default settings, over a
//! few seeds, each run must reach the same goal a checked run demands, so a benchmark never
//! times a broken or unfinished run. Plus: the goal check can fail, a seed gives the same run,
//! and judging the goal less often only lets a run go on a little past it.

mod common;

use checker::registry;
use impls::plain::{PlainOptions, PlainOutcome};

/// Seeds per protocol.
const SEEDS: u64 = 20;

fn opts(seed: u64) -> PlainOptions {
    PlainOptions {
        seed,
        ..PlainOptions::default()
    }
}

/// The plain run of `name` at `settings` with `opts`, through the registry.
fn run(name: &str, settings: &[&str], opts: &PlainOptions) -> PlainOutcome {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let (_, target) = registry::find(name)
        .unwrap()
        .instantiate(&settings)
        .unwrap();
    target.run_plain(opts).expect("an actor protocol")
}

#[test]
fn every_actor_protocol_reaches_its_goal_at_its_defaults() {
    let mut ran = Vec::new();
    for entry in registry::all() {
        let (_, target) = entry.instantiate(&[]).expect("defaults build");
        if target.run_plain(&opts(0)).is_none() {
            continue;
        }
        assert!(target.operations() >= 1, "{}", entry.name);
        for seed in 0..SEEDS {
            let outcome = target.run_plain(&opts(seed)).unwrap();
            assert!(
                outcome.goal_reached,
                "{} seed {seed}: goal not reached, unmet: {:?} ({outcome:?})",
                entry.name, outcome.unmet
            );
            assert!(outcome.unmet.is_empty());
            assert!(outcome.messages_delivered > 0, "{}", entry.name);
            assert!(outcome.steps >= outcome.messages_delivered);
        }
        ran.push(entry.name);
    }
    println!("plain runs reached the goal: {ran:?}");
    // Every actor protocol gets a plain runner from the generic actor target (Bully's with its
    // detector's timer gate).
    for name in common::actor_protocols() {
        assert!(ran.contains(&name), "{name} has no plain run");
    }
}

#[test]
fn a_run_cut_short_does_not_reach_the_goal_and_says_what_is_missing() {
    let outcome = run(
        "two-phase-commit",
        &[],
        &PlainOptions {
            max_steps: 2,
            goal_every: 1,
            ..opts(0)
        },
    );
    assert!(!outcome.goal_reached);
    assert_eq!(outcome.steps, 2);
    assert!(!outcome.quiescent);
    assert!(outcome.unmet.contains(&"termination".to_string()));
    assert!(outcome.unmet.contains(&"end state".to_string()));
}

#[test]
fn a_split_vote_at_the_term_bound_does_not_reach_the_goal() {
    // Raft with one term may split its vote and then has no term left to retry in: the
    // checker shows that liveness failure, and some seed of a plain run hits it.
    let stuck = (0..200).find_map(|seed| {
        let o = run("raft-election", &["terms=1"], &opts(seed));
        (!o.goal_reached).then_some((seed, o))
    });
    let (seed, outcome) = stuck.expect("a split vote at the term bound within 200 seeds");
    assert!(
        outcome.quiescent,
        "seed {seed}: stuck, so quiet: {outcome:?}"
    );
    assert!(
        outcome.unmet.contains(&"a leader is elected".to_string()),
        "seed {seed}: {:?}",
        outcome.unmet
    );
}

#[test]
fn a_seed_gives_the_same_run() {
    for name in ["two-phase-commit", "multi-paxos", "raft-election"] {
        let a = run(name, &[], &opts(7));
        let b = run(name, &[], &opts(7));
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn judging_the_goal_less_often_only_runs_a_little_past_it() {
    for name in ["two-phase-commit", "paxos", "multi-paxos", "chang-roberts"] {
        for seed in 0..5 {
            let exact = run(
                name,
                &[],
                &PlainOptions {
                    goal_every: 1,
                    ..opts(seed)
                },
            );
            let coarse = run(
                name,
                &[],
                &PlainOptions {
                    goal_every: 32,
                    ..opts(seed)
                },
            );
            assert!(exact.goal_reached && coarse.goal_reached, "{name} {seed}");
            assert!(
                exact.steps <= coarse.steps && coarse.steps < exact.steps + 32,
                "{name} seed {seed}: {} vs {}",
                exact.steps,
                coarse.steps
            );
        }
    }
}
