//! Every registered actor protocol over UDP on loopback, found through the registry (a
//! protocol registered later is covered with no new code here).

mod common;

use checker::engine::{CheckOptions, Kind, Status};
use checker::registry;
use impls::udp::ClusterOptions;
use std::time::Duration;

fn opts(instances: u64) -> ClusterOptions {
    ClusterOptions {
        seconds: 5.0,
        instances_max: Some(instances),
        instance_timeout: Duration::from_secs(2),
        seed: 1,
        validate: true,
        ..ClusterOptions::default()
    }
}

/// The `always` properties the model checker already shows violated at a protocol's defaults
/// (the last-writer-wins register is not linearizable by design): over UDP they may be
/// violated too, and that is the finding, not a failure of the driver.
fn unsafe_by_design(name: &str) -> Vec<String> {
    let opts = CheckOptions {
        safety_only: true,
        max_states: Some(200_000),
        ..CheckOptions::default()
    };
    let report = registry::check(name, &[], &opts).expect("a valid check");
    report
        .properties
        .iter()
        .filter(|p| p.kind == Kind::Always && p.status == Status::Violated)
        .map(|p| p.name.clone())
        .collect()
}

#[test]
fn every_actor_protocol_completes_instances_over_udp_without_a_violation() {
    let mut ran = Vec::new();
    for entry in registry::all() {
        let Some(report) = registry::cluster(entry.name, &[], &opts(2)).unwrap() else {
            continue;
        };
        assert!(
            report.instances >= 1,
            "{}: no instance reached its goal: {report:?}",
            entry.name
        );
        let known = unsafe_by_design(entry.name);
        assert!(
            report
                .violations
                .iter()
                .all(|v| known.contains(&v.property)),
            "{}: {:?}",
            entry.name,
            report.violations
        );
        assert!(report.messages_received > 0, "{}", entry.name);
        assert_eq!(report.dropped.malformed + report.dropped.truncated, 0);
        ran.push(entry.name);
    }
    // Every protocol runs (through the one generic actor target); specs do not.
    for name in common::actor_protocols() {
        assert!(ran.contains(&name), "{name} did not run over UDP: {ran:?}");
    }
    assert!(registry::cluster("atomic-commit", &[], &opts(1))
        .unwrap()
        .is_none());
}

#[test]
fn a_tm_that_commits_on_the_first_yes_is_caught_over_udp() {
    // The broken TM commits before every RM voted; an RM that then votes no breaks "commit
    // only if all voted yes". Half the votes are no, so a few dozen instances suffice.
    let report = registry::cluster("two-phase-commit", &["commit-rule=first-yes"], &opts(200))
        .unwrap()
        .expect("an actor protocol");
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.property == "commit only if all voted yes"),
        "{report:?}"
    );
    assert!(report.failed());
}
