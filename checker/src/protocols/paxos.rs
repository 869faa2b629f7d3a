//! `paxos`: single-decree Paxos (proposers, acceptors, learners as actors), checked against
//! agreement, validity, stability, termination and the consensus spec.

use crate::actors::{self, Names};
use crate::engine::{Fairness, Refinement};
use crate::params::{Param, Params};
use crate::registry::{actor_params, system_cfg, Entry, Target};
use models::paxos::PaxosCfg;
use specs::consensus::Consensus;
use specs::paxos as spec;
use stateright::Model;
use std::sync::Arc;

pub fn entry() -> Entry {
    Entry {
        name: "paxos",
        kind: "protocol",
        description: "Single-decree Paxos (Paxos Made Simple): proposers, acceptors and learners choose one value",
        params: || {
            let mut p = vec![
                Param::int("acceptors", 1, 5, 3, "number of acceptors (3 or 5 are sensible)"),
                Param::int(
                    "proposers",
                    1,
                    3,
                    2,
                    "number of proposers; 1 is the paper's distinguished proposer",
                ),
                Param::int("learners", 1, 3, 1, "number of learners"),
                Param::int("values", 1, 3, 2, "distinct values: proposer i proposes i mod values"),
                Param::int(
                    "ballots",
                    1,
                    4,
                    1,
                    "ballots (rounds) per proposer before a retrying proposer gives up",
                ),
                Param::int(
                    "quorum",
                    0,
                    5,
                    0,
                    "acceptors per quorum; 0 means a majority (half or less is broken)",
                ),
                Param::bool(
                    "retry",
                    false,
                    "whether competing proposers abandon a ballot on a timer and try the next (they may duel)",
                ),
                Param::bool(
                    "durable",
                    true,
                    "whether an acceptor's promise survives a crash (false is broken)",
                ),
            ];
            p.extend(actor_params("unordered-nonduplicating", false, 0, 11));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<PaxosCfg, String> {
    let cfg = PaxosCfg::new(
        p.int("proposers") as usize,
        p.int("acceptors") as usize,
        p.int("values") as usize,
        p.int("ballots") as u32,
        system_cfg(p),
    )
    .and_then(|c| c.with_learners(p.int("learners") as usize))
    .map_err(|e| e.to_string())?;
    let cfg = match p.int("quorum") {
        0 => cfg,
        q => cfg.with_quorum(q as usize).map_err(|e| e.to_string())?,
    };
    Ok(cfg
        .with_durable(p.bool("durable"))
        .with_retry(p.bool("retry")))
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let checkable = actors::checkable(spec::model(cfg), Names::of(&cfg))
        .with_step_invariants(spec::step_invariants())
        .with_leads_to(spec::leads_to())
        // Paxos Made Simple (2.4) promises progress when messages get through and one
        // proposer is left alone: weak fairness for deliveries and timers.
        .with_fairness(Fairness::Weak)
        .with_end_states(spec::is_end)
        .with_refinement(refinement(&cfg)?)
        .with_action_kinds(action_kinds(&cfg))
        // Acceptors are interchangeable (`--symmetry --safety-only`).
        .with_symmetry(spec::representative);
    Ok(Box::new(checkable))
}

/// Refinement of `consensus` through "chosen = accepted by a quorum in one ballot", with the
/// configured quorum (so a broken quorum shows up here too).
fn refinement(cfg: &PaxosCfg) -> Result<Refinement<spec::PaxosSysState>, String> {
    let spec_model = Arc::new(Consensus::new(cfg.values).map_err(|e| e.to_string())?);
    let (init_spec, quorum) = (Arc::clone(&spec_model), cfg.quorum);
    Ok(Refinement {
        spec: "consensus",
        init_ok: Box::new(move |s| {
            init_spec
                .init_states()
                .contains(&spec::chosen_with(quorum, s))
        }),
        step_ok: Box::new(move |s, t| {
            let (a, b) = (spec::chosen_with(quorum, s), spec::chosen_with(quorum, t));
            a == b || spec_model.next_states(&a).contains(&b)
        }),
    })
}

/// Every kind of action this configuration could fire.
fn action_kinds(cfg: &PaxosCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "acceptor receives Prepare",
        "proposer receives Promise",
        "acceptor receives Accept",
        "learner receives Accepted",
    ]
    .map(String::from)
    .to_vec();
    if cfg.proposers > 1 && cfg.retry {
        kinds.push("proposer timeout Retry".into());
    }
    if cfg.system.crashes > 0 {
        for role in ["proposer", "acceptor", "learner"] {
            kinds.push(format!("{role} crashes"));
            kinds.push(format!("{role} recovers"));
        }
    }
    if cfg.system.lossy {
        for m in ["Prepare", "Promise", "Accept", "Accepted"] {
            kinds.push(format!("lost {m}"));
        }
    }
    kinds
}
