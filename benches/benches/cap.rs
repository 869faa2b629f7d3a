//! CAP, checked: ABD against the last-writer-wins register on the in-memory driver, in client
//! operations per second (`cap/<protocol>/replicas=N`). One iteration is a batch of [`SEEDS`]
//! plain runs (`Target::run_plain`: the simulator with no nemesis, no recording and no
//! checking), each running the whole workload to its goal: a writer with three writes and two
//! readers with three reads each, nine operations per run. Before timing, each batch is run
//! once and must reach its goal in every run (the batch panics otherwise).

// The same allocator as the `checker` binary (defined in the benches library).
use benches as _;
use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// Seeds per iteration.
const SEEDS: u64 = 16;

fn bench_cap(c: &mut Criterion) {
    let mut group = c.benchmark_group("cap");
    for name in ["abd", "lww-register"] {
        for replicas in [3, 5] {
            let settings = vec![
                format!("replicas={replicas}"),
                "clients=3".to_string(),
                "writes=3".to_string(),
                "reads=3".to_string(),
            ];
            let entry = registry::find(name).expect("registered");
            let (_, target) = entry.instantiate(&settings).expect("valid settings");
            let (messages, operations) = plain_batch(name, &*target, 0..SEEDS);
            println!("{name}/replicas={replicas}: {messages} messages, {operations} operations over {SEEDS} seeds");
            group.throughput(Throughput::Elements(operations));
            group.bench_function(format!("{name}/replicas={replicas}"), |b| {
                b.iter(|| black_box(plain_batch(name, &*target, 0..SEEDS)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_cap);
criterion_main!(benches);
