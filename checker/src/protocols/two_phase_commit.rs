//! `two-phase-commit`: the TM and `rms` RMs as actors, checked against AC1-AC4, termination and
//! the atomic-commit spec.

use crate::actors::{self, Names};
use crate::engine::{Fairness, Refinement};
use crate::params::{Param, Params};
use crate::registry::{actor_params, system_cfg, Entry, Target};
use models::two_phase_commit::{TmRule, TwoPcCfg};
use specs::atomic_commit::AtomicCommit;
use specs::two_phase_commit as spec;

pub fn entry() -> Entry {
    Entry {
        name: "two-phase-commit",
        kind: "protocol",
        description: "Two-phase commit: a transaction manager collects votes and decides; blocks if it crashes",
        params: || {
            let mut p = vec![
                Param::int("rms", 1, 9, 3, "number of resource managers"),
                Param::choice(
                    "commit-rule",
                    &["all-yes", "first-yes"],
                    "all-yes",
                    "when the TM commits: on every yes vote (correct) or on the first (broken)",
                ),
            ];
            p.push(Param::bool(
                "ask-peers",
                false,
                "cooperative termination: an in-doubt RM asks a peer for the outcome on a timer",
            ));
            p.extend(actor_params("unordered-nonduplicating", false, 0, 10));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<TwoPcCfg, String> {
    let rule = match p.word("commit-rule") {
        "first-yes" => TmRule::FirstYes,
        _ => TmRule::AllYes,
    };
    let cfg =
        TwoPcCfg::new(p.int("rms") as usize, system_cfg(p), rule).map_err(|e| e.to_string())?;
    Ok(cfg.with_ask_peers(p.bool("ask-peers")))
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let spec_model = AtomicCommit::new(cfg.rms).map_err(|e| e.to_string())?;
    let mut checkable = actors::checkable(spec::model(cfg), Names::of(&cfg))
        .with_step_invariants(spec::step_invariants())
        // Under weak fairness a node that crashes and recovers forever may miss its messages
        // forever (delivery is disabled while it is down); we assume, as 2PC's analyses do, that
        // a message deliverable again and again is delivered: strong fairness. Then the only
        // way to never decide is to stay blocked. `--fairness weak` shows the other run.
        .with_fairness(Fairness::Strong)
        // Quiet after every live RM decided is the proper end of a transaction.
        .with_end_states(spec::termination)
        .with_refinement(Refinement::new(
            "atomic-commit",
            spec_model,
            spec::abstraction,
        ))
        .with_action_kinds(action_kinds(&cfg))
        // Once the TM is back it decides (presumed abort if it had not), and every RM hears.
        .with_live_after_recovery();
    // RMs are interchangeable, unless each asks its own neighbour.
    if !cfg.ask_peers {
        checkable = checkable.with_symmetry(spec::representative);
    }
    Ok(Box::new(checkable))
}

/// Every kind of action this configuration could fire.
fn action_kinds(cfg: &TwoPcCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "rm receives Prepare",
        "rm chooses vote",
        "tm receives Prepared",
        "tm receives VoteNo",
        "tm timeout VoteTimeout",
        "rm receives Commit",
        "rm receives Abort",
    ]
    .map(String::from)
    .to_vec();
    if cfg.ask_peers && cfg.rms > 1 {
        for k in [
            "rm timeout AskPeer",
            "rm receives Query",
            "rm receives Reply",
        ] {
            kinds.push(k.into());
        }
    }
    if cfg.system.crashes > 0 {
        for k in ["tm crashes", "tm recovers", "rm crashes", "rm recovers"] {
            kinds.push(k.into());
        }
    }
    if cfg.system.lossy {
        for m in ["Prepare", "Prepared", "VoteNo", "Commit", "Abort"] {
            kinds.push(format!("lost {m}"));
        }
        if cfg.ask_peers && cfg.rms > 1 {
            kinds.push("lost Query".into());
            kinds.push("lost Reply".into());
        }
    }
    kinds
}
