//! `raft-election`: Raft's leader election (terms, RequestVote, persistent votes), checked
//! against Election Safety and one vote per term; liveness shows the split-vote run.

use crate::actors::{self, Names};
use crate::engine::{Fairness, Refinement};
use crate::params::{Param, Params};
use crate::registry::{actor_params_on, system_cfg, Entry, Target};
use models::raft_election::RaftCfg;
use specs::raft_election as spec;

pub fn entry() -> Entry {
    Entry {
        name: "raft-election",
        kind: "protocol",
        description: "Raft's leader election: terms, one persistent vote per term, majority wins",
        params: || {
            let mut p =
                vec![
                Param::int("nodes", 1, 9, 3, "number of servers (3 or 5 in practice)"),
                Param::int("terms", 1, 6, 2, "last term a server may start an election for"),
                Param::bool(
                    "durable",
                    true,
                    "whether votedFor is saved before replying (false: lost in a crash, broken)",
                ),
            ];
            p.extend(actor_params_on(
                &["unordered-duplicating"],
                "message delivery: racing, with redelivery (the only network that keeps repeated sends finite)",
                "unordered-duplicating",
                false,
                0,
                9,
            ));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<RaftCfg, String> {
    RaftCfg::new(
        p.int("nodes") as usize,
        p.int("terms"),
        p.bool("durable"),
        system_cfg(p),
    )
    .map_err(|e| e.to_string())
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let checkable = actors::checkable(spec::model(cfg), Names::of(&cfg))
        .with_step_invariants(spec::step_invariants())
        // As for 2PC: under weak fairness servers that crash and recover forever starve their
        // own timers; strong fairness owes a timer that is set again and again. The split-vote
        // run is fair even so.
        .with_fairness(Fairness::Strong)
        // A run ends properly with a known leader, or when the term bound stops elections.
        .with_end_states(|m, s| {
            spec::every_live_server_knows_the_leader(m, s) || spec::terms_used_up(m, s)
        })
        .with_action_kinds(action_kinds(&cfg));
    // Election safety per term, and beliefs only in elected leaders, as a refinement of the
    // abstract spec (through ghost fields, see `spec::abstraction`).
    let checkable = if cfg.max_term as usize <= spec::SPEC_TERMS {
        checkable.with_refinement(Refinement::new(
            "leader-election",
            spec::spec(cfg.nodes),
            spec::abstraction,
        ))
    } else {
        checkable
    };
    Ok(Box::new(checkable))
}

/// Every kind of action this configuration could fire.
fn action_kinds(cfg: &RaftCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "server timeout Election",
        "server receives RequestVote",
        "server receives Vote",
        "server receives Heartbeat",
    ]
    .map(String::from)
    .to_vec();
    if cfg.system.crashes > 0 {
        kinds.push("server crashes".into());
        kinds.push("server recovers".into());
    }
    if cfg.system.lossy {
        for m in ["RequestVote", "Vote", "Heartbeat"] {
            kinds.push(format!("lost {m}"));
        }
    }
    kinds
}
