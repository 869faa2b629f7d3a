//! Bracha's reliable broadcast on the in-memory driver: whole broadcasts per second
//! (`bracha/runtime/n=N`), each one plain run (`Target::run_plain`: the simulator with its
//! default latency, no nemesis, no recording, no checking) from the start to the goal a
//! checked run demands (every loyal process delivered), with the next seed each iteration, so
//! the traitors' seeded choices vary from broadcast to broadcast. n = 4 with one traitor and
//! n = 7 with two, the traitors not the sender.
//!
//! Before timing, 64 seeds of each configuration are run once; each must reach its goal (the
//! batch panics otherwise), and the messages per broadcast are printed.

use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const NAME: &str = "bracha-broadcast";

/// The sizes compared: (processes, traitors), each the largest `f` with `n > 3f`.
const SIZES: [(u64, u64); 2] = [(4, 1), (7, 2)];

/// Seeds of the untimed batch that checks the goal and counts messages.
const CHECK_SEEDS: u64 = 64;

fn bracha(c: &mut Criterion) {
    let mut group = c.benchmark_group("bracha");
    group.throughput(Throughput::Elements(1));
    let entry = registry::find(NAME).expect("registered");
    for (n, f) in SIZES {
        let settings = [format!("processes={n}"), format!("faulty={f}")];
        let (_, target) = entry.instantiate(&settings).expect("valid settings");
        let (messages, broadcasts) = plain_batch(NAME, &*target, 0..CHECK_SEEDS);
        println!(
            "{NAME}/n={n}: {:.1} messages per broadcast over {CHECK_SEEDS} seeds",
            messages as f64 / broadcasts as f64
        );
        let mut seed = 0u64;
        group.bench_function(format!("runtime/n={n}"), |b| {
            b.iter(|| {
                seed += 1;
                plain_batch(NAME, black_box(&*target), seed..seed + 1)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bracha);
criterion_main!(benches);
