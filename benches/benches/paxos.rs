//! Single-decree Paxos: the time of an exhaustive check through the registry at the default
//! size (`check/default`: 3 acceptors, 2 proposers without retries) and with one proposer and
//! five acceptors (`check/proposers=1,acceptors=5`), reported in time per check and unique
//! states per second.

use checker::engine::CheckOptions;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn paxos(c: &mut Criterion) {
    let mut group = c.benchmark_group("paxos");
    // A default check takes most of a second: few samples, flat sampling.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    let opts = CheckOptions::default();
    for (label, settings, measurement_s) in [
        ("default", &[][..], 10),
        (
            "proposers=1,acceptors=5",
            &["proposers=1", "acceptors=5"][..],
            5,
        ),
    ] {
        group.measurement_time(Duration::from_secs(measurement_s));
        let report = registry::check("paxos", settings, &opts).expect("registered");
        assert!(report.complete, "{label}: the check did not finish");
        // Throughput in unique states, so criterion also reports states per second.
        group.throughput(Throughput::Elements(report.unique_states));
        group.bench_function(format!("check/{label}"), |b| {
            b.iter(|| registry::check("paxos", black_box(settings), &opts))
        });
    }
    group.finish();
}

criterion_group!(benches, paxos);
criterion_main!(benches);
