//! Every registered actor protocol over UDP with faults injected by the driver (issue 18):
//! at 10% loss instances complete and safety holds, on the network each model was checked
//! on (the checked Selective Repeat channel for lossy=false models); an instance in flight
//! completes after a partition heals; bad fault settings are refused with one clear line.
//! Bounded runs that assert completion and safety, never throughput (the machine is shared).

mod common;

use checker::registry;
use impls::udp::{ClusterOptions, Transport, WireFaults};
use std::process::Command;
use std::time::Duration;

fn faulty(loss: f64, partitions: &[&str], seconds: f64, instances: u64) -> ClusterOptions {
    let partitions = partitions.iter().map(|p| p.parse().unwrap()).collect();
    ClusterOptions {
        seconds,
        instances_max: Some(instances),
        instance_timeout: Duration::from_secs(3),
        seed: 1,
        validate: true,
        faults: WireFaults::new(loss, 0.0, None, false, partitions).unwrap(),
        ..ClusterOptions::default()
    }
}

#[test]
fn every_actor_protocol_completes_instances_at_ten_percent_loss_without_a_violation() {
    let (mut ran, mut lost) = (Vec::new(), 0);
    for entry in registry::all() {
        let Some(report) = registry::cluster(entry.name, &[], &faulty(0.1, &[], 3.0, 3)).unwrap()
        else {
            continue;
        };
        let name = entry.name;
        assert!(
            report.instances >= 1,
            "{name}: no instance completed: {report:?}"
        );
        // Bully is safe only if no wait times out while the awaited node is up (its model's
        // accurate detector): a real timeout cannot promise that when replies wait for
        // retransmissions, and at 10% loss one run broke it once in 663 instances. Its
        // instances must still complete; its safety is not the channel's to promise.
        if name != "bully" {
            assert!(
                report.violations.is_empty(),
                "{name}: {:?}",
                report.violations
            );
        }
        lost += report.per_node.iter().map(|c| c.injected.lost).sum::<u64>();
        ran.push(name);
    }
    for name in common::actor_protocols() {
        assert!(ran.contains(&name), "{name} did not run: {ran:?}");
    }
    // A short run of a protocol that sends a few dozen datagrams may lose none.
    assert!(lost > 0, "the driver injected no loss");
}

#[test]
fn a_model_checked_on_a_reliable_network_runs_on_the_reliable_channel() {
    let report = registry::cluster("two-phase-commit", &[], &faulty(0.1, &[], 3.0, 20))
        .unwrap()
        .unwrap();
    assert_eq!(report.transport, Transport::Reliable);
    assert_eq!(report.timed_out, 0, "{report:?}");
    let retransmitted: u64 = report.per_node.iter().map(|c| c.retransmitted).sum();
    assert!(retransmitted > 0, "{report:?}");
    let report = registry::cluster("selective-repeat", &[], &faulty(0.0, &[], 3.0, 2))
        .unwrap()
        .unwrap();
    assert_eq!(report.transport, Transport::Raw, "checked with lossy=true");
}

#[test]
fn partition_tm_from_rms_then_heal_completes_the_instance_in_flight() {
    // The TM (node 0) is cut off from the three RMs for the first 300 ms: the first
    // instance cannot finish before the partition heals, and must finish after it.
    let report = registry::cluster(
        "two-phase-commit",
        &[],
        &faulty(0.0, &["0|1,2,3@0ms..300ms"], 5.0, 3),
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.instances, 3, "{report:?}");
    assert_eq!(report.timed_out, 0, "{report:?}");
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert!(
        report.latencies_us[0] >= 250_000,
        "{:?}",
        report.latencies_us
    );
    let cut: u64 = report.per_node.iter().map(|c| c.injected.partitioned).sum();
    assert!(cut > 0, "{report:?}");
}

#[test]
fn bad_fault_settings_exit_2_with_one_clear_line() {
    for (args, says) in [
        (
            &["--loss", "1.5"][..],
            "--loss must be a probability in [0, 1]",
        ),
        (
            &["--duplicate", "-0.1"][..],
            "--duplicate must be a probability",
        ),
        (&["--delay", "5ms..1ms"][..], "--delay must be MIN..MAX"),
        (
            &["--partition", "0|x@1s..2s"][..],
            "--partition must look like",
        ),
        (&["--partition", "0|1"][..], "missing @START..END"),
        (
            &["--transport", "tcp"][..],
            "--transport must be auto, reliable or raw",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(["cluster", "two-phase-commit", "--seconds", "0.1"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
