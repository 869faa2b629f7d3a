//! The abstract specification of dissemination (the problem gossip solves; Demers et al.,
//! "Epidemic algorithms for replicated database maintenance", PODC 1987, section 1: every
//! update injected at one site eventually reaches every site).
//!
//! The state is what each node knows: the rumor or nothing. Initially only the source (node 0)
//! knows the injected rumor. The one action `Learn { from, to }` lets a node that knows nothing
//! take the rumor of a node that knows it; nothing is ever forgotten. Gossip maps its states
//! onto this one (each node's `known`) and must refine it: each of its steps is a `Learn` or a
//! stutter, so a node learns only from a node that knows, and learns only that node's rumor.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `validity` | always | only the injected rumor is ever known ([`validity`]) |
//! | `knowledge is never lost` | step | a node that knows the rumor keeps it ([`never_lost`]) |
//! | `every node knows the rumor` | eventually | every node learns it ([`all_know`]) |

use crate::params::Param;
use crate::protocol::Spec;
use models::common::{Bounds, CfgError};
use models::gossip::{Rumor, RUMOR, SOURCE};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// What each node knows, node `i` at index `i`.
pub type Knowledge = Vec<Option<Rumor>>;

/// Property names shared, word for word, with the protocols that refine this spec.
pub const VALIDITY: &str = "validity";
pub const NEVER_LOST: &str = "knowledge is never lost";
pub const ALL_KNOW: &str = "every node knows the rumor";

/// Validity: every rumor known is the injected one.
pub fn validity(k: &Knowledge) -> bool {
    k.iter().flatten().all(|&r| r == RUMOR)
}

/// A node that knows the rumor keeps it.
pub fn never_lost(before: &Knowledge, after: &Knowledge) -> bool {
    before.iter().zip(after).all(|(b, a)| b.is_none() || a == b)
}

/// Every node knows the rumor.
pub fn all_know(k: &Knowledge) -> bool {
    k.iter().all(Option::is_some)
}

/// A step of the spec.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum DisseminationAction {
    /// Node `to`, knowing nothing, takes the rumor node `from` knows.
    Learn { from: usize, to: usize },
}

/// Dissemination among `nodes` nodes.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct Dissemination {
    /// Nodes, node 0 the source. Must be in 1..=9.
    pub nodes: usize,
}

impl Dissemination {
    /// Nodes: 1..=9; 4 is a good default.
    pub const NODES: Bounds = Bounds::new("nodes", 1, 9, 4);

    /// A validated specification.
    pub fn new(nodes: usize) -> Result<Self, CfgError> {
        Self::NODES.check_usize(nodes).map(|nodes| Self { nodes })
    }
}

impl Model for Dissemination {
    type State = Knowledge;
    type Action = DisseminationAction;

    fn init_states(&self) -> Vec<Knowledge> {
        let mut k = vec![None; self.nodes];
        k[SOURCE] = Some(RUMOR);
        vec![k]
    }

    fn actions(&self, k: &Knowledge, actions: &mut Vec<DisseminationAction>) {
        for to in (0..self.nodes).filter(|&to| k[to].is_none()) {
            if let Some(from) = (0..self.nodes).find(|&from| k[from].is_some()) {
                actions.push(DisseminationAction::Learn { from, to });
            }
        }
    }

    fn next_state(&self, k: &Knowledge, action: DisseminationAction) -> Option<Knowledge> {
        let DisseminationAction::Learn { from, to } = action;
        if k.get(to)?.is_some() || k.get(from)?.is_none() {
            return None;
        }
        let mut next = k.clone();
        next[to] = k[from];
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(VALIDITY, |_, k: &Knowledge| validity(k)),
            Property::eventually(ALL_KNOW, |_, k: &Knowledge| all_know(k)),
        ]
    }
}

/// Whether `after` is `before` (a stutter) or follows from it by one `Learn` from any node that
/// knows: what a refining protocol's step must be. (The spec's own actions name one knower;
/// every knower knows the same rumor, so one suffices.)
pub fn is_step(before: &Knowledge, after: &Knowledge) -> bool {
    let changed: Vec<usize> = (0..before.len())
        .filter(|&i| before[i] != after[i])
        .collect();
    match changed[..] {
        [] => true,
        [to] => before[to].is_none() && before.iter().flatten().any(|r| Some(*r) == after[to]),
        _ => false,
    }
}

/// The declaration of `dissemination`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<Dissemination> {
    Spec::new(
        "dissemination",
        "Dissemination: the source knows a rumor; a node learns it only from a node that knows it; eventually all know it",
        |p| Dissemination::new(p.int("nodes") as usize),
    )
    .param(Param::bounded(Dissemination::NODES, "number of nodes, node 0 the source"))
    .describe(|DisseminationAction::Learn { from, to }| format!("n{to} learns from n{from}"))
    .view(|k| serde_json::json!({ "known": k }))
    .step_invariants(|| {
        vec![crate::StepInvariant {
            name: NEVER_LOST,
            holds: |_, before, after| never_lost(before, after),
        }]
    })
    .end_states(|_, k| all_know(k))
    .action_kinds(&["Learn"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_learns_one_node_at_a_time_from_a_knower() {
        let spec = Dissemination::new(3).unwrap();
        let init = &spec.init_states()[0];
        assert_eq!(init, &vec![Some(RUMOR), None, None]);
        let next = spec.next_states(init);
        assert_eq!(next.len(), 2);
        assert!(next.iter().all(|k| is_step(init, k)));
        assert!(!is_step(init, &vec![Some(RUMOR), Some(RUMOR), Some(RUMOR)]));
        assert!(!is_step(init, &vec![Some(RUMOR), Some(7), None]));
        assert!(!is_step(init, &vec![None, None, None]));
        assert!(validity(init) && !validity(&vec![Some(7)]));
        assert!(never_lost(init, &next[0]) && !never_lost(&next[0], init));
    }
}
