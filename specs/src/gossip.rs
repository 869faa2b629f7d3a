//! What gossip must satisfy (Demers et al. 1987): it refines [`crate::dissemination`], and under
//! anti-entropy every live node learns the rumor.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `validity` | always | only the injected rumor is ever known |
//! | `every live node knows the rumor` | eventually | every node that is up knows it (weak fairness with round-robin partners; strong fairness with random ones: the random pick of a partner) |
//! | `knowledge is never lost` | step | a node that knows the rumor keeps it, across a crash too |
//! | `refinement` | always | each step is a `Learn` of `dissemination` or a stutter |
//!
//! Under rumor mongering with a small `stop-after` the rumor can die out before it reaches
//! everyone: push stops with a node uninformed (a run that ends), pull and push-pull ask for
//! ever with nobody left to answer (a lasso). A permanent partition (`partition=true`) keeps
//! the far side uninformed for ever.

use crate::dissemination::{self, Dissemination, Knowledge};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement};
use crate::StepInvariant;
use models::common::CfgError;
use models::gossip::{GossipActor, GossipCfg, Mode, Partners};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of a gossiping system.
pub type GossipModel = ActorModel<GossipActor, GossipCfg, ()>;

/// A state of the whole system.
pub type GossipSysState = ActorModelState<GossipActor, ()>;

/// The property every live node must come to satisfy.
pub const ALL_LIVE_KNOW: &str = "every live node knows the rumor";

/// The `dissemination` state a system state maps to: what each node knows (a crashed node
/// keeps its last state, which it saved, so it is what it recovers with).
pub fn abstraction(s: &GossipSysState) -> Knowledge {
    s.actor_states.iter().map(|n| n.known).collect()
}

/// Validity (the spec's): only the injected rumor is ever known.
pub fn validity(_: &GossipModel, s: &GossipSysState) -> bool {
    dissemination::validity(&abstraction(s))
}

/// Demers et al., section 1: every live node knows the rumor.
pub fn every_live_node_knows(_: &GossipModel, s: &GossipSysState) -> bool {
    s.actor_states
        .iter()
        .zip(&s.crashed)
        .all(|(n, &crashed)| crashed || n.known.is_some())
}

/// The properties of transitions (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<GossipModel>> {
    vec![StepInvariant {
        name: dissemination::NEVER_LOST,
        holds: |_, before, after| {
            dissemination::never_lost(&abstraction(before), &abstraction(after))
        },
    }]
}

/// The checkable model: the nodes of `cfg` plus every state property above.
pub fn model(cfg: GossipCfg) -> GossipModel {
    cfg.into_model()
        .property(Expectation::Always, dissemination::VALIDITY, validity)
        .property(
            Expectation::Eventually,
            ALL_LIVE_KNOW,
            every_live_node_knows,
        )
}

/// The declaration of `gossip`.
pub fn protocol() -> Protocol<GossipModel> {
    Protocol::new(
        "gossip",
        "Gossip (Demers et al. 1987): push, pull or push-pull with partners in turn or at random each round; anti-entropy informs every node, rumor mongering may not",
        GossipCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(GossipCfg::NODES, "number of nodes, node 0 the source"))
    .param(Param::choice(
        "mode",
        &Mode::NAMES,
        "push-pull",
        "who tells whom in an exchange: the initiator (push), the partner (pull), or both",
    ))
    .param(Param::bounded(GossipCfg::FANOUT, "partners a node contacts per round"))
    .param(Param::choice(
        "partners",
        &Partners::NAMES,
        "round-robin",
        "how a node picks its partners: in turn around the ring (every peer within nodes - 1 rounds), or at random",
    ))
    .param(Param::bounded(
        GossipCfg::STOP_AFTER,
        "rumor mongering: rounds a node spreads after learning (0: for ever, anti-entropy)",
    ))
    .param(Param::bool(
        "partition",
        false,
        "a permanent partition between the lower and the upper half of the nodes",
    ))
    .step_invariants(step_invariants)
    // Partners in turn: weak fairness (a set timer fires, a message in flight arrives) brings
    // every peer its turn. A random pick of a partner, made every round, is checked as a
    // choice under strong fairness (Pnueli 1983): every peer offered in every round is
    // eventually picked. Weak fairness does not owe it, since each offer is withdrawn at the
    // end of its round.
    .fairness(|cfg| match cfg.partners {
        Partners::RoundRobin => Fairness::Weak,
        Partners::Random => Fairness::Strong,
    })
    .end_states(every_live_node_knows)
    .refinement(|cfg| {
        let spec = Dissemination::new(usize::from(cfg.nodes))?;
        Ok(Some(Refinement::new("dissemination", spec, abstraction)))
    })
    .actions(|cfg, k| {
        use models::gossip::GossipMsgKind as Msg;
        k.receives("node", [Msg::Gossip, Msg::Reply])
            .timeout("node", models::gossip::GossipTimer::Round);
        if cfg.partners == Partners::Random {
            for p in 0..usize::from(cfg.nodes) {
                k.chooses("node", &models::gossip::partner_key(p.into()));
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<GossipCfg, CfgError> {
    GossipCfg::new(
        p.int("nodes") as usize,
        Mode::parse(p.word("mode")).unwrap_or(Mode::PushPull),
        p.int("fanout") as usize,
        Partners::parse(p.word("partners")).unwrap_or(Partners::RoundRobin),
        p.int("stop-after") as usize,
        p.bool("partition"),
        system_cfg(p),
    )
}
