//! Every registered actor protocol over UDP under the driver's injected loss (issue 18's
//! bench table): `udp-loss/{protocol}/{0,1,5,10}pct`, one protocol instance on a local
//! cluster (`checker::registry::cluster`, `WireFaults` loss P on every node, on the network
//! the model was checked on: the checked Selective Repeat channel for lossy=false models,
//! raw datagrams for the sliding windows), in mean time per instance (instances run back to
//! back, so instances/s is its inverse).
//!
//! Before each protocol's measurements, one short run per loss level (`RUN_SECONDS`, seed 1,
//! no trace validation) prints the table row the README carries: instances/s and p50/p99
//! latency at 0, 1, 5 and 10% loss, with the instances timed out and the violations seen.
//! Protocols bounded by their own timers (fewer than `TIMED_BELOW` instances/s loss-free:
//! raft-election, the rate limiters) are printed but not measured by criterion, whose ten
//! samples would take minutes of their timers.
//!
//! Run it alone, with a filter if you like: `cargo bench -p benches --bench udp_loss`.

// The same allocator as the `checker` binary (defined in the benches library).
use benches as _;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use impls::udp::cluster::{ClusterOptions, ClusterReport};
use impls::udp::WireFaults;
use std::time::Duration;

/// The loss levels of the table.
const LOSSES: [f64; 4] = [0.0, 0.01, 0.05, 0.10];
/// Length of the printed run per protocol and loss level.
const RUN_SECONDS: f64 = 1.0;
/// Below this loss-free rate (instances/s) a protocol is timer-bound: printed, not measured.
const TIMED_BELOW: f64 = 20.0;

fn options(loss: f64, seconds: f64, instances_max: Option<u64>) -> ClusterOptions {
    ClusterOptions {
        seconds,
        instances_max,
        seed: 1,
        validate: false,
        faults: WireFaults::new(loss, 0.0, None, false, Vec::new()).expect("a probability"),
        ..ClusterOptions::default()
    }
}

fn run(protocol: &str, opts: &ClusterOptions) -> Option<ClusterReport> {
    registry::cluster(protocol, &[], opts).expect("runs")
}

fn cell(r: &ClusterReport) -> String {
    let ms = |us: u64| {
        if us >= 1000 {
            format!("{:.1} ms", us as f64 / 1000.0)
        } else {
            format!("{us} µs")
        }
    };
    format!(
        "{:.0}/s, {} / {}",
        r.instances_per_second,
        ms(r.latency.p50_us),
        ms(r.latency.p99_us)
    )
}

fn bench_loss(c: &mut Criterion) {
    let mut group = c.benchmark_group("udp-loss");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    eprintln!("| protocol | channel | 0% | 1% | 5% | 10% | timed out | violations |");
    eprintln!("|---|---|---|---|---|---|---|---|");
    for entry in registry::all() {
        let protocol = entry.name;
        let reports: Vec<ClusterReport> = LOSSES
            .iter()
            .filter_map(|&loss| run(protocol, &options(loss, RUN_SECONDS, None)))
            .collect();
        let Some(first) = reports.first() else {
            continue; // a spec: no cluster
        };
        let cells: Vec<String> = reports.iter().map(cell).collect();
        let timed_out: u64 = reports.iter().map(|r| r.timed_out).sum();
        let instances: u64 = reports.iter().map(|r| r.instances + r.timed_out).sum();
        let violations: usize = reports.iter().map(|r| r.violations.len()).sum();
        eprintln!(
            "| {protocol} | {:?} | {} | {timed_out} of {instances} | {violations} |",
            first.transport,
            cells.join(" | ")
        );
        if first.instances_per_second < TIMED_BELOW {
            eprintln!("udp-loss/{protocol}: timer-bound, not measured by criterion");
            continue;
        }
        group.throughput(Throughput::Elements(1));
        for loss in LOSSES {
            let id = format!("{protocol}/{}pct", (loss * 100.0).round());
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let report = run(protocol, &options(loss, 120.0, Some(iters)))
                        .expect("an actor protocol");
                    assert_eq!(report.instances, iters, "{protocol}: {report:?}");
                    // The instances' own time: sockets and threads are set up before the first.
                    Duration::from_micros(report.latencies_us.iter().sum())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_loss);
criterion_main!(benches);
