//! `chang-roberts`: leader election on a unidirectional ring, checked against uniqueness, the
//! maximum id, termination and the `leader-election` spec.

use crate::actors::{self, Names};
use crate::engine::{Fairness, Refinement};
use crate::params::{Param, Params};
use crate::registry::{actor_params, system_cfg, Entry, Target};
use models::chang_roberts::{Arrangement, CrCfg};
use specs::chang_roberts as spec;
use specs::leader_election::LeaderElection;

pub fn entry() -> Entry {
    Entry {
        name: "chang-roberts",
        kind: "protocol",
        description:
            "Chang-Roberts: ids travel round a ring, the maximum comes back and is announced",
        params: || {
            let mut p = vec![
                Param::int("nodes", 1, 12, 3, "number of nodes on the ring"),
                Param::text(
                    "ids",
                    Arrangement::HINT,
                    "ascending",
                    "ids round the ring: rising (best case), falling (worst), seeded shuffle, or a list (repeats break it)",
                ),
            ];
            p.extend(actor_params("ordered", false, 0, 9));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<CrCfg, String> {
    let arrangement = Arrangement::parse(p.text("ids")).map_err(|e| e.to_string())?;
    CrCfg::new(p.int("nodes") as usize, &arrangement, system_cfg(p)).map_err(|e| e.to_string())
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let spec_model = LeaderElection::new(cfg.ids.clone(), 1, true).map_err(|e| e.to_string())?;
    let kinds = action_kinds(&cfg);
    let checkable = actors::checkable(spec::model(cfg.clone()), Names::of(&cfg))
        // A node that keeps crashing may miss a message forever under weak fairness; as for
        // 2PC we assume a message deliverable again and again is delivered.
        .with_fairness(Fairness::Strong)
        .with_end_states(spec::every_node_learns_the_leader)
        .with_refinement(Refinement::new(
            "leader-election",
            spec_model,
            spec::abstraction,
        ))
        .with_action_kinds(kinds)
        // A recovered node restores its ring state from storage and the messages sent to it
        // stayed in flight, so the election completes once everyone is back (the runtime sweep
        // demands it on every seed with crashes).
        .with_live_after_recovery();
    Ok(Box::new(checkable))
}

/// Every kind of action this configuration could fire.
fn action_kinds(cfg: &CrCfg) -> Vec<String> {
    let mut kinds = vec![
        "node receives Election".to_string(),
        "node receives Elected".to_string(),
    ];
    if cfg.system.crashes > 0 {
        kinds.push("node crashes".into());
        kinds.push("node recovers".into());
    }
    if cfg.system.lossy {
        kinds.push("lost Election".into());
        kinds.push("lost Elected".into());
    }
    kinds
}
