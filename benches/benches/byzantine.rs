//! Byzantine agreement on the in-memory driver: whole agreements per second of OM(1) with four
//! generals and OM(2) with seven (`byzantine/runtime/om/...`), and SM(1) with three, each one
//! plain run through the registry (`Target::run_plain`: the simulator, no nemesis, no
//! recording, no checking) from the start to every loyal lieutenant deciding, with the next
//! seed each iteration. The traitors are the first start of each configuration, their every
//! choice drawn from the seed.
//!
//! Before timing, 64 seeds of each configuration are run once; each must reach its goal (the
//! batch panics otherwise), and the messages per agreement are printed.

use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// (protocol, settings, bench id).
const CONFIGS: [(&str, &[&str], &str); 4] = [
    ("om", &["generals=4", "m=1", "traitors=3"], "om/n=4,m=1"),
    (
        "om",
        &["generals=4", "m=1", "traitors=0"],
        "om/n=4,m=1,traitor-commander",
    ),
    ("om", &["generals=7", "m=2", "traitors=5,6"], "om/n=7,m=2"),
    ("sm", &["generals=3", "m=1", "traitors=2"], "sm/n=3,m=1"),
];

const CHECK_SEEDS: u64 = 64;

fn byzantine(c: &mut Criterion) {
    let mut group = c.benchmark_group("byzantine");
    group.throughput(Throughput::Elements(1));
    for (name, settings, id) in CONFIGS {
        let entry = registry::find(name).expect("registered");
        let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
        let (_, target) = entry.instantiate(&settings).expect("valid settings");
        let (messages, agreements) = plain_batch(name, &*target, 0..CHECK_SEEDS);
        println!(
            "{id}: {:.1} messages per agreement over {CHECK_SEEDS} seeds",
            messages as f64 / agreements as f64
        );
        let mut seed = 0u64;
        group.bench_function(format!("runtime/{id}"), |b| {
            b.iter(|| {
                seed += 1;
                plain_batch(name, black_box(&*target), seed..seed + 1)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, byzantine);
criterion_main!(benches);
