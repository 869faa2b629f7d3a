//! `multi-paxos`: replicas keeping a replicated log behind a key-value map, and clients using it,
//! checked for per-slot agreement, equal applied prefixes, linearizability and progress.

use crate::actors::{self, Names};
use crate::engine::Fairness;
use crate::params::{Param, Params};
use crate::registry::{actor_params, system_cfg, Entry, Target};
use models::multi_paxos::{Bug, MultiPaxosCfg};
use specs::multi_paxos as spec;

pub fn entry() -> Entry {
    Entry {
        name: "multi-paxos",
        kind: "protocol",
        description: "Multi-Paxos: a leader runs phase 1 once and phase 2 per slot of a replicated log; clients put and get keys of a replicated map",
        params: || {
            let mut p = vec![
                Param::int("replicas", 3, 5, 3, "number of replicas (3 or 5)"),
                Param::int("clients", 1, 4, 1, "number of clients"),
                Param::int(
                    "ops",
                    1,
                    4,
                    2,
                    "operations per client, one after another (put, get, put, ...)",
                ),
                Param::int(
                    "keys",
                    1,
                    3,
                    2,
                    "keys of the replicated map; client k's operation i uses key (k + i/2) mod keys",
                ),
                Param::int(
                    "slots",
                    1,
                    64,
                    4,
                    "log slots a leader may propose in (at least clients * ops; leader changes need more, for no-ops and requests proposed twice, or the last request starves)",
                ),
                Param::int(
                    "ballots",
                    1,
                    9,
                    1,
                    "rounds that may be started, the first included (1: a stable leader; 2: one leader change)",
                ),
                Param::choice(
                    "bug",
                    &["none", "skip-phase-1", "ignore-key"],
                    "none",
                    "a deliberately broken variant: a new leader that skips phase 1, or replicas that apply every key to one cell",
                ),
            ];
            p.push(Param::int(
                "retries",
                0,
                3,
                0,
                "times a client repeats an unanswered request on a timer, per operation",
            ));
            p.extend(actor_params("unordered-nonduplicating", false, 0, 9));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<MultiPaxosCfg, String> {
    let bug = match p.word("bug") {
        "skip-phase-1" => Bug::SkipPhase1,
        "ignore-key" => Bug::IgnoreKey,
        _ => Bug::None,
    };
    MultiPaxosCfg::new(
        p.int("replicas") as usize,
        p.int("clients") as usize,
        p.int("ops") as u8,
        p.int("slots") as usize,
        p.int("ballots") as u32,
        system_cfg(p),
        bug,
    )
    .and_then(|cfg| cfg.with_keys(p.int("keys") as u8))
    .map(|cfg| cfg.with_retries(p.int("retries") as u8))
    .map_err(|e| e.to_string())
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let checkable = actors::checkable(spec::model(cfg), Names::of(&cfg))
        .with_step_invariants(spec::step_invariants())
        // Without crashes a message stays deliverable until it is delivered, so weak fairness
        // suffices; the election timer only acts while some request is pending.
        .with_fairness(Fairness::Weak)
        // Quiet after every client has its answers is the proper end of the workload.
        .with_end_states(spec::every_operation_completes)
        // A run completes every client's operations: that many operations per run.
        .with_operations(|m| (m.cfg.clients * usize::from(m.cfg.ops)) as u64)
        .with_action_kinds(action_kinds(&cfg));
    Ok(Box::new(checkable))
}

/// Every kind of action this configuration could fire.
fn action_kinds(cfg: &MultiPaxosCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "replica receives Put",
        "replica receives Accept",
        "replica receives Accepted",
        "replica receives Chosen",
        "client receives PutOk",
    ]
    .map(String::from)
    .to_vec();
    if cfg.clients * usize::from(cfg.ops) > 1 {
        kinds.push("replica receives Get".into());
        kinds.push("client receives GetOk".into());
    }
    if cfg.retries > 0 {
        kinds.push("client timeout Retry".into());
    }
    if cfg.ballots > 1 {
        kinds.push("replica timeout Election".into());
        if cfg.bug != Bug::SkipPhase1 {
            kinds.push("replica receives Prepare".into());
            kinds.push("replica receives Promise".into());
        }
    }
    if cfg.system.crashes > 0 {
        for k in [
            "replica crashes",
            "replica recovers",
            "client crashes",
            "client recovers",
        ] {
            kinds.push(k.into());
        }
    }
    if cfg.system.lossy {
        for m in ["Put", "Accept", "Accepted", "Chosen", "PutOk"] {
            kinds.push(format!("lost {m}"));
        }
    }
    kinds
}
