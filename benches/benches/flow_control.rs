//! Reliable transfer on the in-memory driver: delivered messages per second of
//! `stop-and-wait`, `go-back-n` and `selective-repeat` at windows 1, 8 and 32
//! (`flow_control/<protocol>/w=W`), each iteration one plain run (`Target::run_plain`: the
//! simulator with its default latency of 1-10 ms of virtual time, no nemesis, no recording, no
//! checking) of a stream of 256 messages with 6-bit sequence numbers, from the start to the
//! goal (every message output), with the next seed each iteration. Stop-and-wait has a window
//! of one only. What is timed is CPU per delivered message, not the link: goodput against a
//! link model is `cargo run --release -p benches --example goodput`.

use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// Messages per run.
const MESSAGES: u64 = 256;

fn flow_control(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow_control");
    group.throughput(Throughput::Elements(MESSAGES));
    for (name, windows) in [
        ("stop-and-wait", &[1u32][..]),
        ("go-back-n", &[1, 8, 32][..]),
        ("selective-repeat", &[1, 8, 32][..]),
    ] {
        let entry = registry::find(name).expect("registered");
        for &w in windows {
            let mut settings = vec![format!("messages={MESSAGES}"), "seq-bits=6".to_string()];
            if name != "stop-and-wait" {
                settings.push(format!("window={w}"));
            }
            let (_, target) = entry.instantiate(&settings).expect("valid settings");
            let (messages, delivered) = plain_batch(name, &*target, 0..8);
            println!(
                "{name}/w={w}: {:.2} link messages per delivered message over 8 seeds",
                messages as f64 / delivered as f64
            );
            let mut seed = 0u64;
            group.bench_function(format!("{name}/w={w}"), |b| {
                b.iter(|| {
                    seed += 1;
                    plain_batch(name, black_box(&*target), seed..seed + 1)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, flow_control);
criterion_main!(benches);
