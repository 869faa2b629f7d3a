//! Every registered actor protocol on the in-memory driver, and the driver's own overhead.
//!
//! * `runtime/<protocol>/<settings>/msgs` and `.../ops`: one iteration is a batch of
//!   [`SEEDS`] plain runs (`Target::run_plain`: the simulator with no nemesis, no recording
//!   and no checking, each run until the goal a checked run demands), at the protocol's
//!   defaults and at a larger size (see `benches::runtime_settings`). The two ids time the
//!   same work; `msgs` reports messages handled per second, `ops` operations per second (one
//!   operation = one instance reaching its goal: a transaction, a decision, an election; for
//!   multi-Paxos, one client operation). Protocols come from the registry: a new one is
//!   benchmarked with no new code here.
//! * `overhead/ping/...`: `impls::ping` with [`PING_ROUNDS`] round trips on the simulator
//!   (with its default recording, and with recording off) next to a plain `VecDeque` event
//!   loop that calls the same actors' `on_msg` directly, the limit any driver can reach.
//!
//! Before timing, each batch is run once (and its messages and operations printed) and must reach its goal in every run (the batch
//! panics otherwise), and the ping loops must deliver every message.

use benches::{plain_batch, plain_loop, runtime_settings};
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use impls::ping::PingCfg;
use impls::sim::{Sim, SimCfg};
use models::common::ActorSystem;
use std::hint::black_box;

/// Seeds per iteration of a protocol benchmark.
const SEEDS: u64 = 16;

/// The larger size a protocol is also run at, capped by its parameter's maximum.
const SIZE: u64 = 7;

/// Round trips of the overhead benchmark.
const PING_ROUNDS: u64 = 10_000;

fn protocols(c: &mut Criterion) {
    let mut group = c.benchmark_group("runtime");
    for entry in registry::all() {
        for settings in runtime_settings(&entry, SIZE) {
            let (_, target) = entry.instantiate(&settings).expect("valid settings");
            if target.run_plain(&Default::default()).is_none() {
                continue;
            }
            let (messages, operations) = plain_batch(entry.name, &*target, 0..SEEDS);
            let label = if settings.is_empty() {
                "default".to_string()
            } else {
                settings.join(",")
            };
            println!(
                "{}/{label}: {messages} messages, {operations} operations over {SEEDS} seeds \
                 ({:.1} messages per operation)",
                entry.name,
                messages as f64 / operations as f64
            );
            for (unit, elements) in [("msgs", messages), ("ops", operations)] {
                group.throughput(Throughput::Elements(elements));
                group.bench_function(format!("{}/{label}/{unit}", entry.name), |b| {
                    b.iter(|| plain_batch(entry.name, black_box(&*target), 0..SEEDS))
                });
            }
        }
    }
    group.finish();
}

fn overhead(c: &mut Criterion) {
    let cfg = PingCfg {
        rounds: PING_ROUNDS,
    };
    let messages = 2 * PING_ROUNDS;
    let sim_cfg = SimCfg {
        max_steps: usize::MAX,
        ..SimCfg::default()
    };
    let sim_run = |recording: bool| {
        let mut sim = Sim::from_system(&cfg, sim_cfg).expect("valid");
        sim.set_recording(recording);
        let outcome = sim.run();
        assert_eq!(outcome.messages_delivered as u64, messages);
        assert_eq!(*sim.actor_states()[0], PING_ROUNDS);
        outcome
    };
    let actors = cfg.actors();
    let (states, delivered) = plain_loop(&actors);
    assert_eq!((states[0], delivered as u64), (PING_ROUNDS, messages));

    let mut group = c.benchmark_group("overhead");
    group.throughput(Throughput::Elements(messages));
    group.bench_function("ping/plain-loop", |b| {
        b.iter(|| plain_loop(black_box(&actors)))
    });
    group.bench_function("ping/sim", |b| b.iter(|| sim_run(black_box(false))));
    group.bench_function("ping/sim-recording", |b| {
        b.iter(|| sim_run(black_box(true)))
    });
    group.finish();
}

criterion_group!(benches, overhead, protocols);
criterion_main!(benches);
