//! `flp`: a deterministic one-crash-tolerant consensus protocol (leader lock) that shows the
//! Fischer-Lynch-Paterson result as a fair lasso, and the eventual leader oracle Ω that
//! restores termination.

use crate::actors::{self, Names};
use crate::engine::{Fairness, Refinement};
use crate::params::{Param, Params};
use crate::registry::{actor_params, system_cfg, Entry, Target};
use models::flp::{FlpCfg, Oracle};
use specs::consensus::Consensus;
use specs::flp as spec;

pub fn entry() -> Entry {
    Entry {
        name: "flp",
        kind: "protocol",
        description: "FLP: two contenders lock keepers; without an oracle a fair run never decides, with an eventual leader (omega) it does",
        params: || {
            let mut p = vec![
                Param::choice(
                    "oracle",
                    &["none", "omega"],
                    "none",
                    "who tries: both contenders (none) or the leader of an eventual leader oracle (omega)",
                ),
                Param::int(
                    "changes",
                    0,
                    3,
                    1,
                    "how often omega changes the leader before it settles",
                ),
            ];
            p.extend(actor_params("ordered", false, 0, 1));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests.
pub fn cfg(p: &Params) -> Result<FlpCfg, String> {
    let oracle = match p.word("oracle") {
        "omega" => Oracle::Omega,
        _ => Oracle::None,
    };
    FlpCfg::new(oracle, p.int("changes") as u8, system_cfg(p)).map_err(|e| e.to_string())
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let checkable = actors::checkable(spec::model(cfg), Names::of(&cfg))
        .with_step_invariants(spec::step_invariants())
        // FLP's runs are fair: every message is eventually delivered. Weak fairness is that.
        .with_fairness(Fairness::Weak)
        .with_end_states(spec::a_value_is_chosen)
        .with_refinement(Refinement::new(
            "consensus",
            Consensus::new(2).map_err(|e| e.to_string())?,
            spec::chosen,
        ))
        .with_action_kinds(action_kinds(&cfg));
    Ok(Box::new(checkable))
}

fn action_kinds(cfg: &FlpCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "keeper receives Lock",
        "keeper receives Unlock",
        "contender receives Granted",
        "contender receives Busy",
    ]
    .map(String::from)
    .to_vec();
    if cfg.oracle == Oracle::Omega && cfg.changes > 0 {
        kinds.push("oracle timeout Change".into());
        kinds.push("contender receives Leader".into());
    }
    kinds
}
