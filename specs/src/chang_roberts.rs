//! What Chang-Roberts must satisfy (Chang & Roberts 1979, section 2): exactly one node declares
//! itself leader and it holds the maximum id, and every node learns it; and refinement of the
//! abstract [`crate::leader_election`] spec (one term, highest id wins).
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `at most one leader` | always | no two nodes declare themselves leader |
//! | `the leader is the node with the maximum id` | always | a node that declares itself has the highest id, and no other node has it |
//! | `nodes learn only the maximum id` | always | every leader a node records is the highest id |
//! | `a leader is elected` | sometimes, eventually | some node declares itself leader |
//! | `every node learns the leader` | eventually | every node that is up knows the maximum id |
//!
//! States include crashed nodes: stateright keeps a crashed actor's last state, which a node
//! here always saved, so it is the state the node recovers with.
//!
//! The paper elects *the* node with the largest id, and assumes ids unique. With a repeated
//! maximum no node is that node, so any declaration violates `the leader is the node with the
//! maximum id` (the duplicate-id variant, `ids=3,1,3`); the comparison turned round
//! (`forward=smaller`) elects the minimum, which violates it and `nodes learn only the maximum
//! id` while `at most one leader` holds.

use crate::leader_election::LeState;
use crate::leader_election::LeaderElection;
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement};
use models::chang_roberts::Arrangement;
use models::chang_roberts::{CrActor, CrCfg, CrState};
use models::common::CfgError;
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of a Chang-Roberts ring.
pub type CrModel = ActorModel<CrActor, CrCfg, ()>;

/// A state of the whole ring.
pub type CrSysState = ActorModelState<CrActor, ()>;

fn nodes(s: &CrSysState) -> impl Iterator<Item = &CrState> {
    s.actor_states.iter().map(|a| &**a)
}

/// Uniqueness (section 2): at most one node has declared itself leader.
pub fn at_most_one_leader(_: &CrModel, s: &CrSysState) -> bool {
    nodes(s).filter(|n| n.elected).count() <= 1
}

/// Extrema-finding (section 1): a node that declares itself leader has the maximum id, and no
/// other node has it (with a repeated maximum, no node is *the* node with the maximum id).
pub fn the_leader_is_the_node_with_the_maximum_id(m: &CrModel, s: &CrSysState) -> bool {
    let max = m.cfg.max_id();
    let unique = m.cfg.ids.iter().filter(|&&id| id == max).count() == 1;
    nodes(s).all(|n| !n.elected || (n.id == max && unique))
}

/// Every leader a node has recorded is the maximum id.
pub fn nodes_learn_only_the_maximum_id(m: &CrModel, s: &CrSysState) -> bool {
    nodes(s).all(|n| n.leader.is_none_or(|l| l == m.cfg.max_id()))
}

/// Some node has declared itself leader.
pub fn a_leader_is_elected(_: &CrModel, s: &CrSysState) -> bool {
    nodes(s).any(|n| n.elected)
}

/// Termination (section 2): every node that is up knows the maximum id as its leader.
pub fn every_node_learns_the_leader(m: &CrModel, s: &CrSysState) -> bool {
    nodes(s)
        .zip(&s.crashed)
        .all(|(n, &crashed)| crashed || n.leader == Some(m.cfg.max_id()))
}

/// The `leader-election` state a ring state maps to: term 0 only; the nodes that declared
/// themselves elected; each node's belief its recorded leader.
pub fn abstraction(s: &CrSysState) -> LeState {
    LeState {
        elected: vec![nodes(s)
            .enumerate()
            .filter(|(_, n)| n.elected)
            .map(|(i, _)| i)
            .collect()],
        belief: nodes(s).map(|n| n.leader.map(|id| (0, id))).collect(),
    }
}

/// The checkable model: the ring of `cfg` plus every property above.
pub fn model(cfg: CrCfg) -> CrModel {
    cfg.into_model()
        .property(
            Expectation::Always,
            "at most one leader",
            at_most_one_leader,
        )
        .property(
            Expectation::Always,
            "the leader is the node with the maximum id",
            the_leader_is_the_node_with_the_maximum_id,
        )
        .property(
            Expectation::Always,
            "nodes learn only the maximum id",
            nodes_learn_only_the_maximum_id,
        )
        .property(
            Expectation::Sometimes,
            "a leader is elected",
            a_leader_is_elected,
        )
        .property(
            Expectation::Eventually,
            "every node learns the leader",
            every_node_learns_the_leader,
        )
}

/// The declaration of `chang-roberts`: ids travel round a ring and the maximum is announced,
/// checked as a refinement of `leader-election`.
pub fn protocol() -> Protocol<CrModel> {
    Protocol::new(
        "chang-roberts",
        "Chang-Roberts: ids travel round a ring, the maximum comes back and is announced",
        CrCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(CrCfg::NODES, "number of nodes on the ring"))
    .param(Param::text(
        "ids",
        Arrangement::HINT,
        "ascending",
        "ids round the ring: rising (best case), falling (worst), seeded shuffle, or a list (repeats break it)",
    ))
    .param(Param::choice(
        "forward",
        &["larger", "smaller"],
        "larger",
        "which ids a node passes on: larger (the paper) or smaller (broken: the minimum wins)",
    ))
    // A node that crashes and recovers again and again must still get what is forwarded to it.
    .fairness(|_| Fairness::Strong)
    .end_states(every_node_learns_the_leader)
    .refinement(|cfg| {
        let spec = LeaderElection::new(cfg.ids.clone(), 1, true)?;
        Ok(Some(Refinement::new("leader-election", spec, abstraction)))
    })
    // A recovered node forwards again what reaches it, and the maximum goes round.
    .live_after_recovery()
    .actions(|_, k| {
        use models::chang_roberts::CrMsgKind as Msg;
        k.receives("node", [Msg::Election, Msg::Elected]);
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<CrCfg, CfgError> {
    let arrangement = Arrangement::parse(p.text("ids"))?;
    let cfg = CrCfg::new(p.int("nodes") as usize, &arrangement, system_cfg(p))?;
    Ok(cfg.with_forward_smaller(p.word("forward") == "smaller"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leader_election::{is_step, LeaderElection};
    use models::chang_roberts::Arrangement;
    use models::common::{NetworkKind, SystemCfg};
    use stateright::Model;
    use std::collections::HashSet;

    /// Every reachable state (equality-keyed), and whether each step refines the spec.
    fn explore(ids: Vec<u64>) -> (usize, bool) {
        let system = SystemCfg::reliable(NetworkKind::Ordered);
        let n = ids.len();
        let cfg = CrCfg::new(n, &Arrangement::Explicit(ids.clone()), system).unwrap();
        let spec = LeaderElection::new(ids, 1, true).unwrap();
        let model = model(cfg);
        let mut seen = HashSet::new();
        let mut pending = model.init_states();
        let mut refines = true;
        while let Some(s) = pending.pop() {
            if !seen.insert(s.clone()) {
                continue;
            }
            for next in model.next_states(&s) {
                refines &= is_step(&spec, &abstraction(&s), &abstraction(&next));
                pending.push(next);
            }
        }
        (seen.len(), refines)
    }

    #[test]
    fn unique_ids_refine_leader_election() {
        let (states, refines) = explore(vec![2, 3, 1]);
        assert!(refines);
        // The checker's fingerprint-keyed search pins the same count (`ids=2,3,1`).
        assert_eq!(states, 14);
    }

    #[test]
    fn duplicate_ids_do_not() {
        assert!(!explore(vec![3, 1, 3]).1);
    }
}
