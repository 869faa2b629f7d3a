//! The checker itself: what liveness costs over safety on the same model, and our engine next to
//! stateright's own BFS checker on the very same `ActorModel`.
//!
//! `checker/two-phase-commit/rms=N/safety` checks invariants, step invariants, refinement and
//! deadlock; `.../liveness` adds termination under the protocol's fairness (edges recorded, SCCs,
//! fairness test); `.../stateright-bfs` is `model.checker().spawn_bfs().join()` with the same
//! properties (its `eventually` is the terminal-state check only, and its hash merges some
//! states, so its counts differ slightly).

use checker::engine::CheckOptions;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use stateright::{Checker, Model};
use std::hint::black_box;
use std::time::Duration;

fn checker(c: &mut Criterion) {
    let mut group = c.benchmark_group("checker");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    let safety = CheckOptions {
        safety_only: true,
        ..CheckOptions::default()
    };
    let liveness = CheckOptions::default();
    for (rms, measurement_s) in [(4, 3), (5, 15)] {
        group.measurement_time(Duration::from_secs(measurement_s));
        let settings = [format!("rms={rms}")];
        let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
        let full = registry::check("two-phase-commit", &settings, &liveness).expect("registered");
        assert!(full.complete && full.all_pass());
        group.throughput(Throughput::Elements(full.unique_states));
        for (label, opts) in [("safety", &safety), ("liveness", &liveness)] {
            group.bench_function(format!("two-phase-commit/rms={rms}/{label}"), |b| {
                b.iter(|| registry::check("two-phase-commit", black_box(&settings), opts))
            });
        }
        let cfg = benches::two_pc_cfg(&settings);
        group.bench_function(format!("two-phase-commit/rms={rms}/stateright-bfs"), |b| {
            b.iter(|| {
                let model = specs::two_phase_commit::model(black_box(cfg));
                let done = model.checker().spawn_bfs().join();
                black_box(done.unique_state_count())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, checker);
criterion_main!(benches);
