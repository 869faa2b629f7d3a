//! Two-phase commit: whole transactions on the deterministic simulator (`runtime/rms=N`,
//! reported in transactions per second), and exhaustive checks through the registry
//! (`check/rms=N`, reported in time per check and unique states per second).

use benches::{run_transaction, two_pc_cfg};
use checker::engine::CheckOptions;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn two_phase_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_phase_commit");

    group.throughput(Throughput::Elements(1));
    for rms in [3, 5, 9] {
        let cfg = two_pc_cfg(&[&format!("rms={rms}")]);
        // Each iteration is a fresh simulator with the next seed, so the timing averages over
        // both outcomes in their natural proportions.
        let mut seed = 0u64;
        group.bench_function(format!("runtime/rms={rms}"), |b| {
            b.iter(|| {
                seed += 1;
                black_box(run_transaction(black_box(&cfg), seed))
            })
        });
    }

    // An exhaustive check takes from milliseconds (rms=3) to about a second (rms=5): few samples,
    // flat sampling, and a measurement time that fits ten of the slowest.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    let opts = CheckOptions::default();
    for (rms, measurement_s) in [(3, 3), (5, 20)] {
        group.measurement_time(Duration::from_secs(measurement_s));
        let settings = [format!("rms={rms}")];
        let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
        let report = registry::check("two-phase-commit", &settings, &opts).expect("registered");
        assert!(report.complete, "rms={rms}: the check did not finish");
        assert!(report.all_pass(), "rms={rms}: a property failed");
        // Throughput in unique states, so criterion also reports states per second.
        group.throughput(Throughput::Elements(report.unique_states));
        group.bench_function(format!("check/rms={rms}"), |b| {
            b.iter(|| registry::check("two-phase-commit", black_box(&settings), &opts))
        });
    }
    group.finish();
}

criterion_group!(benches, two_phase_commit);
criterion_main!(benches);
