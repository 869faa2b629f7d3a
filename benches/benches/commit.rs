//! Atomic commit protocols side by side on the in-memory driver: whole transactions per second
//! (`commit/runtime/<protocol>/rms=N`), each one plain run (`Target::run_plain`: the simulator
//! with its default latency, no nemesis, no recording, no checking) from the start to the goal
//! a checked run demands (every RM decided), with the next seed each iteration, so the timing
//! averages over commits and aborts in their natural proportions (every RM votes yes with
//! probability 1/2). All three protocols take the same path through the registry, so their figures
//! compare; `two_phase_commit/runtime/...` times 2PC alone on the bare simulator.
//!
//! Before timing, 64 seeds of each configuration are run once; each must reach its goal (the
//! batch panics otherwise), and the messages per transaction are printed.

use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// The commit protocols compared (Paxos Commit at its defaults: F = 1, two leaders).
const PROTOCOLS: [&str; 3] = ["two-phase-commit", "three-phase-commit", "paxos-commit"];

/// The sizes compared.
const RMS: [u64; 2] = [3, 5];

/// Seeds of the untimed batch that checks the goal and counts messages.
const CHECK_SEEDS: u64 = 64;

fn commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit");
    group.throughput(Throughput::Elements(1));
    for name in PROTOCOLS {
        let entry = registry::find(name).expect("registered");
        for rms in RMS {
            let settings = [format!("rms={rms}")];
            let (_, target) = entry.instantiate(&settings).expect("valid settings");
            let (messages, transactions) = plain_batch(name, &*target, 0..CHECK_SEEDS);
            println!(
                "{name}/rms={rms}: {:.1} messages per transaction over {CHECK_SEEDS} seeds",
                messages as f64 / transactions as f64
            );
            let mut seed = 0u64;
            group.bench_function(format!("runtime/{name}/rms={rms}"), |b| {
                b.iter(|| {
                    seed += 1;
                    plain_batch(name, black_box(&*target), seed..seed + 1)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, commit);
criterion_main!(benches);
