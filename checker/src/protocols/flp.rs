//! `flp`: a deterministic one-crash-tolerant consensus protocol (leader lock) that shows the
//! Fischer-Lynch-Paterson result as a fair lasso, and the eventual leader oracle Ω that
//! restores termination.

use crate::actors::{self, Names};
use crate::engine::fingerprint;
use crate::engine::{Fairness, Refinement};
use crate::params::{Param, Params};
use crate::registry::{actor_params_on, system_cfg, Entry, Target};
use models::flp::{FlpActor, ORACLE};
use models::flp::{FlpCfg, Oracle};
use specs::consensus::Consensus;
use specs::flp as spec;
use stateright::actor::{Actor, ActorModelAction, Id};

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
                    "how often omega changes the leader before it settles (always on c1)",
                ),
                Param::bool(
                    "takeover",
                    true,
                    "whether a keeper gives a lock held in a lower epoch to a higher one (false is broken)",
                ),
            ];
            p.extend(actor_params_on(
                &["ordered"],
                "message delivery: per-channel FIFO only (contenders reuse Lock and Unlock within an epoch; on a racing network a stale Unlock breaks agreement, pinned in specs::flp)",
                "ordered",
                false,
                0,
                1,
            ));
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
    FlpCfg::new(oracle, p.int("changes") as u8, system_cfg(p))
        .map(|cfg| cfg.with_takeover(p.bool("takeover")))
        .map_err(|e| e.to_string())
}

type Action = ActorModelAction<
    <FlpActor as Actor>::Msg,
    <FlpActor as Actor>::Timer,
    <FlpActor as Actor>::Random,
>;

/// Fairness with Ω: as for every actor system, plus Ω's assumption that the leader it finally
/// names (`c1`) is a correct process and that Ω itself keeps working, stated as the recovery
/// of `c1` and of the oracle being owed. Everything else may stay down for good.
fn omega_fair_class(action: &Action) -> Option<u64> {
    match action {
        ActorModelAction::Recover(id) if *id == Id::from(0) || *id == Id::from(ORACLE) => {
            Some(fingerprint(&(3u8, id)))
        }
        _ => actors::fair_class(action),
    }
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let mut checkable = actors::checkable(spec::model(cfg), Names::of(&cfg))
        .with_step_invariants(spec::step_invariants())
        // FLP's runs are fair: every message is eventually delivered. Without crashes weak
        // fairness is that. With crashes, a node that crashes and recovers again and again
        // could miss its messages forever under weak fairness (delivery is disabled while it is
        // down); as for 2PC we assume a message deliverable again and again is delivered.
        .with_fairness(if cfg.system.crashes > 0 {
            Fairness::Strong
        } else {
            Fairness::Weak
        })
        .with_end_states(spec::a_value_is_chosen)
        .with_refinement(Refinement::new(
            "consensus",
            Consensus::new(2).map_err(|e| e.to_string())?,
            spec::chosen,
        ))
        .with_action_kinds(action_kinds(&cfg));
    if cfg.oracle == Oracle::Omega {
        checkable.fair_class = omega_fair_class;
    }
    Ok(Box::new(checkable))
}

fn action_kinds(cfg: &FlpCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "keeper receives Lock",
        "keeper receives Accept",
        "contender receives Granted",
        "contender receives Accepted",
    ]
    .map(String::from)
    .to_vec();
    if cfg.oracle == Oracle::None {
        kinds.push("keeper receives Unlock".into());
        kinds.push("contender receives Busy".into());
    }
    if cfg.oracle == Oracle::Omega && cfg.changes > 0 {
        kinds.push("oracle timeout Change".into());
        kinds.push("contender receives Leader".into());
    }
    kinds
}
