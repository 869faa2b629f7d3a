//! Multi-Paxos: whole workloads on the deterministic simulator (`runtime/replicas=N`, reported
//! in chosen and applied client commands per second), and the exhaustive check of the default
//! configuration through the registry (`check/default`).

// The same allocator as the `checker` binary (defined in the benches library).
use benches as _;
use checker::engine::CheckOptions;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use impls::sim::{Sim, SimCfg};
use models::multi_paxos::{MultiPaxosActor, MultiPaxosCfg, MultiPaxosState};
use std::hint::black_box;
use std::time::Duration;

/// The configuration the registry builds from `NAME=VALUE` settings.
fn cfg(settings: &[&str]) -> MultiPaxosCfg {
    specs::multi_paxos::protocol()
        .cfg_of(settings)
        .expect("a valid configuration")
}

fn all_answered(sim: &Sim<MultiPaxosActor>, ops: u8) -> bool {
    sim.actor_states().iter().all(|s| match &**s {
        MultiPaxosState::Client(c) => c.completed >= ops,
        MultiPaxosState::Replica(_) => true,
    })
}

/// Runs the whole workload on a fresh simulator seeded with `seed` until every client has its
/// answers; returns the number of steps. Panics if it does not finish, so a benchmark never
/// times a broken run.
fn run_workload(cfg: &MultiPaxosCfg, seed: u64) -> usize {
    let sim_cfg = SimCfg {
        seed,
        ..SimCfg::default()
    };
    let mut sim = Sim::from_system(cfg, sim_cfg).expect("a valid simulator configuration");
    let outcome = sim.run_until(|sim| all_answered(sim, cfg.ops));
    assert!(all_answered(&sim, cfg.ops), "seed {seed}: {outcome:?}");
    outcome.steps
}

fn bench_multi_paxos(c: &mut Criterion) {
    let mut group = c.benchmark_group("multi_paxos");
    for replicas in [3, 5] {
        // Runtime bounds: two clients of four operations each, room for every leader change.
        let cfg = cfg(&[
            &format!("replicas={replicas}"),
            "clients=2",
            "ops=4",
            "slots=64",
            "ballots=9",
        ]);
        group.throughput(Throughput::Elements(
            (cfg.clients * usize::from(cfg.ops)) as u64,
        ));
        let mut seed = 0u64;
        group.bench_function(format!("runtime/replicas={replicas}"), |b| {
            b.iter(|| {
                seed += 1;
                black_box(run_workload(black_box(&cfg), seed))
            })
        });
    }

    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    let opts = CheckOptions::default();
    let report = registry::check("multi-paxos", &[], &opts).expect("registered");
    assert!(
        report.complete && report.all_pass(),
        "the default check fails"
    );
    group.throughput(Throughput::Elements(report.unique_states));
    group.bench_function("check/default", |b| {
        b.iter(|| registry::check("multi-paxos", black_box(&[]), &opts))
    });
    group.finish();
}

criterion_group!(benches, bench_multi_paxos);
criterion_main!(benches);
