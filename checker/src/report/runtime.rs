//! The text of the runtime's reports: runs on the simulator (`checker run`), one UDP node
//! (`checker node`) and a UDP cluster (`checker cluster`). Their JSON is the reports' own serde
//! form.

use crate::net::NodeReport;
use impls::checked::RuntimeReport;
use impls::nemesis::Faults;
use impls::udp::{ClusterReport, Drops};
use std::fmt::Write as _;

/// Failing runs printed in full; the others are listed by seed.
const FAILURES_SHOWN: usize = 3;

/// Runs on the simulator: the header, every kept trace, the first failing runs in full with
/// the command that reproduces each (`reproduce(seed)`), the seeds of the others, the totals.
/// `goal` says whether and why the goal after healing was judged.
pub fn runtime_text(
    protocol: &str,
    report: &RuntimeReport,
    goal: &str,
    reproduce: &dyn Fn(u64) -> String,
) -> String {
    let mut out = String::new();
    let o = &report.options;
    let _ = writeln!(
        out,
        "{protocol}: {} on the simulator, seeds {}..{}, faults {}, goal {goal}",
        plural(report.runs, "run"),
        o.seed,
        o.seed.wrapping_add(report.runs as u64),
        Faults::NAMES
            .iter()
            .find(|n| Faults::named(n) == Some(o.faults))
            .unwrap_or(&"custom"),
    );
    for run in &report.all {
        let _ = writeln!(out, "\nrun with seed {} ({} steps):", run.seed, run.steps);
        for line in &run.trace {
            let _ = writeln!(out, "  {line}");
        }
    }
    for run in report.failures.iter().take(FAILURES_SHOWN) {
        let _ = writeln!(out, "\nrun with seed {} FAILED:", run.seed);
        for problem in run.problems() {
            let _ = writeln!(out, "  {problem}");
        }
        let _ = writeln!(out, "  trace ({} steps):", run.steps);
        for line in &run.trace {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "  reproduce: {}", reproduce(run.seed));
    }
    if report.failures.len() > FAILURES_SHOWN {
        let seeds: Vec<String> = report.failures[FAILURES_SHOWN..]
            .iter()
            .map(|r| r.seed.to_string())
            .collect();
        let _ = writeln!(out, "\nalso failed, seeds: {}", seeds.join(" "));
    }
    let f = &report.faults;
    let _ = writeln!(
        out,
        "\n{}, {} failed, goal reached in {}; {} steps; {} crashes, {} recoveries, {} partitions; {:.2} s, {:.0} runs/s",
        plural(report.runs, "run"),
        report.failures.len(),
        report.goal_reached,
        report.steps,
        f.crashes,
        f.recoveries,
        f.partitions,
        report.seconds,
        report.runs_per_second(),
    );
    out
}

/// One UDP node: where it ran, its counters, its drops and its final state.
pub fn node_text(protocol: &str, r: &NodeReport) -> String {
    let c = &r.counters;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "node {} ({}) of {protocol} on {}, {:.2} s",
        r.id, r.name, r.listen, r.seconds
    );
    let _ = writeln!(
        out,
        "sent {} messages in {} datagrams, received {} messages in {} datagrams, timeouts {}, random choices {}, send errors {}, storage errors {}",
        c.sent,
        c.datagrams_sent,
        c.received,
        c.datagrams_received,
        c.timeouts,
        c.randoms,
        c.send_errors,
        c.storage_errors
    );
    let _ = writeln!(out, "dropped: {}", drops_text(&c.dropped));
    let i = &c.injected;
    let _ = writeln!(
        out,
        "channel: {} retransmitted, {} fast, {} stale, {} acks alone, {} sent twice; injected: {} lost, {} duplicated, {} delayed, {} partitioned",
        c.retransmitted, c.fast_retransmits, c.stale, c.ack_only, c.copies, i.lost, i.duplicated, i.delayed, i.partitioned
    );
    let _ = writeln!(out, "state: {}", r.state);
    out
}

/// A UDP cluster: throughput, latency, drops, trace validation and safety, one line each.
pub fn cluster_text(protocol: &str, r: &ClusterReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{protocol} over UDP: {} nodes on 127.0.0.1, {:.2} s",
        r.nodes, r.seconds
    );
    let _ = writeln!(
        out,
        "instances  {} completed ({:.0}/s), {} timed out",
        r.instances, r.instances_per_second, r.timed_out
    );
    let _ = writeln!(
        out,
        "messages   {} sent, {} received ({:.0}/s)",
        r.messages_sent, r.messages_received, r.messages_per_second
    );
    let _ = writeln!(
        out,
        "datagrams  {} sent, {} received ({} of them the cluster's wake-ups for new instances)",
        r.datagrams_sent,
        r.datagrams_received,
        r.per_node.iter().map(|c| c.wakes).sum::<u64>()
    );
    let l = &r.latency;
    let _ = writeln!(
        out,
        "latency    p50 {}, p99 {}, max {} per instance",
        micros(l.p50_us),
        micros(l.p99_us),
        micros(l.max_us)
    );
    let _ = writeln!(out, "dropped    {}", drops_text(&r.dropped));
    let mut total = impls::udp::Counters::default();
    r.per_node.iter().for_each(|c| total.add(c));
    let _ = writeln!(out, "{}", transport_text(r.transport, &total));
    let i = &total.injected;
    if i.lost + i.duplicated + i.delayed + i.partitioned > 0 {
        let _ = writeln!(
            out,
            "injected   {} datagrams lost, {} duplicated, {} delayed, {} cut by a partition",
            i.lost, i.duplicated, i.delayed, i.partitioned
        );
    }
    let divergences: Vec<_> = r
        .violations
        .iter()
        .filter(|v| v.property.starts_with("trace validation:"))
        .collect();
    if !r.options.validate {
        let _ = writeln!(out, "replayed   off (--no-validate)");
    } else if divergences.is_empty() {
        let _ = writeln!(
            out,
            "replayed   {} steps through the model: every one enabled, same states",
            r.validated_steps
        );
    } else {
        for v in &divergences {
            let _ = writeln!(
                out,
                "replayed   DIVERGED in instance {}: {}",
                v.instance, v.property
            );
        }
    }
    let violations: Vec<_> = r
        .violations
        .iter()
        .filter(|v| !v.property.starts_with("trace validation:"))
        .collect();
    if violations.is_empty() {
        let _ = writeln!(
            out,
            "safety     every always property held on every state observed"
        );
    } else {
        // One line per property: how many instances broke it, and the first.
        let mut by_property: Vec<(&str, u64, u64)> = Vec::new();
        for v in &violations {
            match by_property.iter_mut().find(|(p, _, _)| *p == v.property) {
                Some(entry) => entry.1 += 1,
                None => by_property.push((&v.property, 1, v.instance)),
            }
        }
        for (property, count, first) in by_property {
            let _ = writeln!(
                out,
                "safety     always \"{property}\" VIOLATED in {count} instance(s), first in instance {first}"
            );
        }
    }
    if r.instances == 0 {
        let _ = writeln!(out, "no instance reached its goal");
    }
    out
}

/// The channel line of a cluster report.
fn transport_text(t: impls::udp::Transport, c: &impls::udp::Counters) -> String {
    match t {
        impls::udp::Transport::Raw => {
            "channel    raw datagrams (the model was checked on a lossy network): nothing retransmitted".to_string()
        }
        impls::udp::Transport::Reliable => format!(
            "channel    reliable (checked Selective Repeat, window {}, {}-bit sequence numbers): {} frames retransmitted ({} fast), {} stale datagrams dropped, {} datagrams of acks alone, {} datagrams sent twice, {} waits with a µs timer",
            impls::udp::transport::WINDOW.size,
            impls::udp::transport::WINDOW.seq_bits,
            c.retransmitted,
            c.fast_retransmits,
            c.stale,
            c.ack_only,
            c.copies,
            c.precise_waits
        ),
    }
}

fn drops_text(d: &Drops) -> String {
    format!(
        "{} malformed, {} truncated, {} oversized, {} unknown sender, {} wrong epoch",
        d.malformed, d.truncated, d.oversized, d.unknown_sender, d.wrong_epoch
    )
}

/// Microseconds as `850 µs` or `1.25 ms`.
fn micros(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else {
        format!("{:.2} ms", us as f64 / 1000.0)
    }
}

/// `1 run`, `2 runs`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A failing run on the simulator as a report with one violated property (its first problem)
/// whose trace is the run state by state, so that `--trace-out` writes it like a checker's
/// counterexample. `steps` comes from [`crate::target::Target::run_trace`].
pub fn run_failure_report(
    protocol: &str,
    params: &crate::params::Params,
    run: &impls::checked::RunReport,
    steps: Vec<super::Step>,
) -> super::Report {
    use crate::engine::Kind;
    use impls::checked::Goal;
    let (name, kind) = if let Some(v) = run.violations.first() {
        (v.property.clone(), Kind::Always)
    } else if run.divergence.is_some() {
        ("trace validation".to_string(), Kind::Always)
    } else if let Goal::NotReached { unmet } = &run.goal {
        (unmet.join(", "), Kind::Eventually)
    } else {
        ("goal".to_string(), Kind::Eventually)
    };
    failure_report(
        protocol,
        params,
        "run",
        format!("{name} (seed {})", run.seed),
        kind,
        steps,
        run.steps,
    )
}

/// A cluster's first failing instance as a report with one violated property whose trace is
/// the instance state by state (see [`crate::net::ClusterTrace`]), so that `--trace-out`
/// writes it like a checker's counterexample.
pub fn cluster_failure_report(
    protocol: &str,
    params: &crate::params::Params,
    trace: &crate::net::ClusterTrace,
) -> super::Report {
    failure_report(
        protocol,
        params,
        "cluster",
        format!("{} (instance {})", trace.property, trace.instance),
        crate::engine::Kind::Always,
        trace.steps.clone(),
        trace.steps.len().saturating_sub(1),
    )
}

/// A report of one violated property `name` whose trace is `steps`, of a run `depth` steps long.
fn failure_report(
    protocol: &str,
    params: &crate::params::Params,
    mode: &'static str,
    name: String,
    kind: crate::engine::Kind,
    steps: Vec<super::Step>,
    depth: usize,
) -> super::Report {
    let property = super::PropertyReport {
        name,
        kind,
        status: crate::engine::Status::Violated,
        bounded: false,
        trace: Some(steps),
        loop_start: None,
        explorer_path: None,
        loop_path: None,
        stuck: None,
    };
    super::Report {
        protocol: protocol.to_string(),
        params: params.clone(),
        mode,
        complete: true,
        stopped_by: None,
        bounded: false,
        unique_states: 0,
        total_states: depth as u64 + 1,
        max_depth: depth,
        seconds: 0.0,
        states_per_second: 0.0,
        peak_memory_bytes: None,
        spilled: None,
        fairness: None,
        properties: vec![property],
        coverage: None,
    }
}
