//! Leader election on the deterministic simulator: whole elections per second for each
//! protocol at several sizes (`<protocol>/runtime/n=N`), and, printed before the timings, what
//! criterion cannot time: election messages per run for every Chang-Roberts arrangement, and for
//! Raft the terms (rounds) it takes to elect a leader with randomised timeouts.
//!
//! Configurations come from the checker's registry, so each run is what
//! `checker check <protocol> --set ...` checks, at runtime sizes.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use impls::sim::{Sim, SimCfg};
use models::bully::{BullyActor, Phase};
use models::chang_roberts::{CrCfg, CrMsg};
use models::raft_election::{RaftActor, RaftCfg, Role};
use stateright::actor::Id;
use std::hint::black_box;

fn sim_cfg(seed: u64) -> SimCfg {
    SimCfg {
        seed,
        max_steps: usize::MAX,
        ..SimCfg::default()
    }
}

fn cr_cfg(nodes: usize, ids: &str) -> CrCfg {
    let setting = format!("ids={ids}");
    // The registry caps `nodes` at checkable sizes; the runtime takes the same arrangement.
    let mut cfg = specs::chang_roberts::protocol()
        .cfg_of(&[&setting])
        .expect("valid");
    let arrangement = models::chang_roberts::Arrangement::parse(ids).expect("valid");
    cfg = CrCfg::new(nodes, &arrangement, cfg.system).expect("valid");
    cfg
}

/// One Chang-Roberts election to quiescence: (election messages, all messages).
fn cr_election(cfg: &CrCfg, seed: u64) -> (usize, usize) {
    let mut sim = Sim::from_system(cfg, sim_cfg(seed)).expect("valid");
    let outcome = sim.run();
    assert!(outcome.quiescent);
    let elections = sim
        .trace()
        .iter()
        .filter(|s| {
            matches!(
                s,
                impls::sim::Step::Deliver {
                    msg: CrMsg::Election { .. },
                    ..
                }
            )
        })
        .count();
    (elections, outcome.messages_delivered)
}

fn raft_cfg(nodes: usize) -> RaftCfg {
    let cfg = specs::raft_election::protocol()
        .cfg_of(&["terms=6"])
        .expect("valid");
    RaftCfg::new(nodes, 1_000, true, cfg.system).expect("valid")
}

/// One Raft election until a leader is known by all: (term reached, messages delivered).
fn raft_election_run(cfg: &RaftCfg, seed: u64) -> (u64, usize) {
    let mut sim: Sim<RaftActor> = Sim::from_system(cfg, sim_cfg(seed)).expect("valid");
    let known = |s: &Sim<RaftActor>| {
        let st = s.actor_states();
        st.iter().any(|r| r.role == Role::Leader)
            && st
                .iter()
                .all(|r| r.leader.is_some() && r.term == st[0].term)
    };
    let outcome = sim.run_until(known);
    assert!(known(&sim), "seed {seed}: no leader");
    (sim.actor_states()[0].term, outcome.messages_delivered)
}

fn bully_cfg(nodes: usize) -> models::bully::BullyCfg {
    let cfg = specs::bully::protocol().cfg_of(&[]).expect("valid");
    models::bully::BullyCfg::new(nodes, cfg.detector, cfg.system).expect("valid")
}

/// One Bully election from a cold start until the top node coordinates and all follow it.
fn bully_election_run(cfg: &models::bully::BullyCfg, seed: u64) -> usize {
    let mut sim: Sim<BullyActor> = Sim::from_system(cfg, sim_cfg(seed)).expect("valid");
    // The accurate detector, as `checker run bully` realises it.
    sim.set_timer_gate(specs::bully::accurate_gate);
    let top = Id::from(cfg.nodes - 1);
    let done = |s: &Sim<BullyActor>| {
        let st = s.actor_states();
        st[usize::from(top)].phase == Phase::Coordinator
            && st.iter().all(|b| b.coordinator == Some(top))
    };
    let outcome = sim.run_until(done);
    assert!(done(&sim));
    outcome.messages_delivered
}

fn print_figures() {
    println!("chang-roberts election messages (paper: best 2n-1, worst n(n+1)/2, average n H_n):");
    for n in [10usize, 100, 1000] {
        let h: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
        let best = cr_election(&cr_cfg(n, "ascending"), 0).0;
        let worst = cr_election(&cr_cfg(n, "descending"), 0).0;
        let runs = 10u64;
        let random: f64 = (0..runs)
            .map(|s| cr_election(&cr_cfg(n, &format!("random:{s}")), s).0 as f64)
            .sum::<f64>()
            / runs as f64;
        println!(
            "  n={n:5}  ascending {best:7}  descending {worst:7}  random (mean of {runs}) {random:9.1}  n H_n {:9.1}",
            n as f64 * h
        );
    }
    println!("raft-election with randomised timeouts (150-300 ms), 200 seeds:");
    for n in [3usize, 5, 7] {
        let cfg = raft_cfg(n);
        let runs: Vec<(u64, usize)> = (0..200).map(|s| raft_election_run(&cfg, s)).collect();
        let mean_terms = runs.iter().map(|r| r.0 as f64).sum::<f64>() / runs.len() as f64;
        let max_terms = runs.iter().map(|r| r.0).max().unwrap_or(0);
        let mean_msgs = runs.iter().map(|r| r.1 as f64).sum::<f64>() / runs.len() as f64;
        println!(
            "  n={n}  rounds to elect: mean {mean_terms:.2}, max {max_terms}; messages per election {mean_msgs:.1}"
        );
    }
    println!("bully, cold start until the top node coordinates, 200 seeds:");
    for n in [3usize, 5, 7] {
        let cfg = bully_cfg(n);
        let msgs = (0..200).map(|s| bully_election_run(&cfg, s)).sum::<usize>() as f64 / 200.0;
        println!("  n={n}  messages per election {msgs:.1}");
    }
}

fn election(c: &mut Criterion) {
    print_figures();
    let mut group = c.benchmark_group("election");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 100] {
        let cfg = cr_cfg(n, "random:1");
        let mut seed = 0;
        group.bench_function(format!("chang-roberts/runtime/n={n}"), |b| {
            b.iter(|| {
                seed += 1;
                black_box(cr_election(black_box(&cfg), seed))
            })
        });
    }
    for n in [3usize, 5, 7] {
        let cfg = raft_cfg(n);
        let mut seed = 0;
        group.bench_function(format!("raft-election/runtime/n={n}"), |b| {
            b.iter(|| {
                seed += 1;
                black_box(raft_election_run(black_box(&cfg), seed))
            })
        });
    }
    for n in [3usize, 5, 7] {
        let cfg = bully_cfg(n);
        let mut seed = 0;
        group.bench_function(format!("bully/runtime/n={n}"), |b| {
            b.iter(|| {
                seed += 1;
                black_box(bully_election_run(black_box(&cfg), seed))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, election);
criterion_main!(benches);
