//! The abstract specification of leader election: what Chang-Roberts, Bully and Raft's election
//! all promise, with no messages, timers or failures in it.
//!
//! Nodes `0..n` carry unique ids (`ids[i]` is node `i`'s). Time is cut into `terms` numbered
//! `0..terms` (Raft's terms; a protocol without terms uses term 0 only). In each term at most one
//! node is elected ([`LeAction::Elect`]); where the protocol promises it (`highest_wins`), only
//! the node with the highest id may be. Every node holds a *belief*: the latest term whose
//! leader it has learnt, and that leader's id. It learns a leader ([`LeAction::Learn`]) only
//! after that leader was elected, and never goes back to an older term. The elected node knows
//! itself at once.
//!
//! A protocol refines this spec when each of its steps maps (through its abstraction function)
//! to a stutter or one of these steps: then no two nodes are ever elected in one term, and no
//! node ever believes in a leader that was not elected.
//!
//! Liveness (checked here under weak fairness): eventually some node is elected, and eventually
//! every node believes in the same, latest leader.

use crate::params::Param;
use crate::protocol::Spec;
use models::common::{Bounds, CfgError};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};
use std::collections::BTreeSet;

/// A term (0 for protocols without terms).
pub type Term = usize;

/// A node's belief: the term of the latest leader it knows of, and that leader's id.
pub type Belief = Option<(Term, u64)>;

/// A state of the spec.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct LeState {
    /// Per term, the nodes (by index) elected in it. The spec never puts two in one set; an
    /// abstraction of a broken protocol can, and then no spec step explains it.
    pub elected: Vec<BTreeSet<usize>>,
    /// Per node (by index), what it believes.
    pub belief: Vec<Belief>,
}

/// A step of the spec.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum LeAction {
    /// Node `node` is elected in `term`, which had no leader; it believes in itself.
    Elect { term: Term, node: usize },
    /// Node `node` learns the leader of `term`, newer than what it believed.
    Learn { node: usize, term: Term },
}

/// Leader election over fixed ids and a bounded number of terms.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct LeaderElection {
    /// Node `i`'s id at index `i`; 1 to 16 nodes.
    pub ids: Vec<u64>,
    /// Number of terms, `1..=4`.
    pub terms: usize,
    /// Whether only the node with the highest id may be elected.
    pub highest_wins: bool,
}

impl LeaderElection {
    /// The largest number of nodes accepted.
    pub const NODES_MAX: usize = 16;
    /// The largest number of terms accepted.
    pub const TERMS_MAX: usize = Self::TERMS.max as usize;
    /// Nodes (ids 1..=nodes) of the spec on its own: 1..=9.
    pub const NODES: Bounds = Bounds::new("nodes", 1, 9, 3);
    /// Terms (elections) modelled: 1..=4.
    pub const TERMS: Bounds = Bounds::new("terms", 1, 4, 2);

    /// A validated specification. Ids need not be unique: a protocol run with duplicate ids is
    /// judged against the same spec, and fails it.
    pub fn new(ids: Vec<u64>, terms: usize, highest_wins: bool) -> Result<Self, CfgError> {
        Bounds::new("nodes", 1, Self::NODES_MAX as u64, 3).check_usize(ids.len())?;
        Self::TERMS.check_usize(terms)?;
        Ok(Self {
            ids,
            terms,
            highest_wins,
        })
    }

    fn may_win(&self, node: usize) -> bool {
        !self.highest_wins || Some(&self.ids[node]) == self.ids.iter().max()
    }
}

/// No term has two leaders.
pub fn at_most_one_leader_per_term(s: &LeState) -> bool {
    s.elected.iter().all(|nodes| nodes.len() <= 1)
}

/// Every belief names the node elected in that term.
pub fn beliefs_are_elected(spec: &LeaderElection, s: &LeState) -> bool {
    s.belief.iter().all(|b| match b {
        None => true,
        Some((term, id)) => s
            .elected
            .get(*term)
            .is_some_and(|nodes| nodes.iter().any(|&n| spec.ids[n] == *id)),
    })
}

/// Some node has been elected.
pub fn a_leader_is_elected(s: &LeState) -> bool {
    s.elected.iter().any(|nodes| !nodes.is_empty())
}

/// Every node believes in the same leader of the same term.
pub fn every_node_knows_the_leader(s: &LeState) -> bool {
    s.belief[0].is_some() && s.belief.iter().all(|b| *b == s.belief[0])
}

impl Model for LeaderElection {
    type State = LeState;
    type Action = LeAction;

    fn init_states(&self) -> Vec<LeState> {
        vec![LeState {
            elected: vec![BTreeSet::new(); self.terms],
            belief: vec![None; self.ids.len()],
        }]
    }

    fn actions(&self, s: &LeState, actions: &mut Vec<LeAction>) {
        for (term, nodes) in s.elected.iter().enumerate() {
            if nodes.is_empty() {
                for node in (0..self.ids.len()).filter(|&n| self.may_win(n)) {
                    actions.push(LeAction::Elect { term, node });
                }
                continue;
            }
            for (node, belief) in s.belief.iter().enumerate() {
                if belief.is_none_or(|(t, _)| t < term) {
                    actions.push(LeAction::Learn { node, term });
                }
            }
        }
    }

    fn next_state(&self, s: &LeState, action: LeAction) -> Option<LeState> {
        let mut next = s.clone();
        match action {
            LeAction::Elect { term, node } => {
                next.elected[term].insert(node);
                next.belief[node] = Some((term, self.ids[node]));
            }
            LeAction::Learn { node, term } => {
                let leader = *s.elected[term].iter().next()?;
                next.belief[node] = Some((term, self.ids[leader]));
            }
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("at most one leader per term", |_, s: &LeState| {
                at_most_one_leader_per_term(s)
            }),
            Property::always("beliefs name elected leaders", beliefs_are_elected),
            Property::always("the leader has the highest id", |m: &Self, s: &LeState| {
                let max = m.ids.iter().max();
                !m.highest_wins || s.elected.iter().flatten().all(|&n| Some(&m.ids[n]) == max)
            }),
            Property::eventually("a leader is elected", |_, s: &LeState| {
                a_leader_is_elected(s)
            }),
            Property::eventually("every node knows the leader", |_, s: &LeState| {
                every_node_knows_the_leader(s)
            }),
        ]
    }
}

/// Whether `after` is `before` (a stutter) or follows from it by one step of `spec`. Used by
/// tests that check a refinement mapping without the checker.
pub fn is_step(spec: &LeaderElection, before: &LeState, after: &LeState) -> bool {
    before == after || spec.next_states(before).contains(after)
}

/// The declaration of `leader-election`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<LeaderElection> {
    Spec::new(
        "leader-election",
        "Leader election: at most one leader per term, beliefs only in elected leaders; eventually all nodes know one",
        |p| {
            let ids = (1..=p.int("nodes")).collect();
            LeaderElection::new(ids, p.int("terms") as usize, p.bool("highest-wins"))
        },
    )
    .param(Param::bounded(LeaderElection::NODES, "number of nodes (ids 1..=nodes)"))
    .param(Param::bounded(LeaderElection::TERMS, "number of terms (elections) modelled"))
    .param(Param::bool(
        "highest-wins",
        false,
        "whether only the node with the highest id may be elected",
    ))
    .describe(|a| match a {
        LeAction::Elect { term, node } => format!("n{} is elected in term {term}", node + 1),
        LeAction::Learn { node, term } => format!("n{} learns the leader of term {term}", node + 1),
    })
    .end_states(|_, s| s.elected.iter().all(|n| !n.is_empty()) && every_node_knows_the_leader(s))
    .action_kinds(&["Elect", "Learn"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    #[test]
    fn three_nodes_two_terms_satisfy_the_spec() {
        let spec = LeaderElection::new(vec![1, 2, 3], 2, false).unwrap();
        let checker = spec.checker().spawn_bfs().join();
        checker.assert_properties();
        assert_eq!(checker.unique_state_count(), 115);
    }

    #[test]
    fn highest_wins_elects_only_the_max() {
        let spec = LeaderElection::new(vec![2, 7, 3], 1, true).unwrap();
        let mut actions = Vec::new();
        spec.actions(&spec.init_states()[0], &mut actions);
        assert_eq!(actions, [LeAction::Elect { term: 0, node: 1 }]);
    }

    #[test]
    fn a_second_leader_in_a_term_is_no_step() {
        let spec = LeaderElection::new(vec![1, 2], 1, false).unwrap();
        let init = spec.init_states().remove(0);
        let one = spec
            .next_state(&init, LeAction::Elect { term: 0, node: 0 })
            .unwrap();
        assert!(is_step(&spec, &init, &one));
        let mut two = one.clone();
        two.elected[0].insert(1);
        two.belief[1] = Some((0, 2));
        assert!(!is_step(&spec, &one, &two));
        assert!(!at_most_one_leader_per_term(&two));
    }

    #[test]
    fn new_rejects_bad_sizes() {
        assert!(LeaderElection::new(vec![], 1, false).is_err());
        assert!(LeaderElection::new(vec![1; 17], 1, false).is_err());
        assert!(LeaderElection::new(vec![1], 0, false).is_err());
        assert!(LeaderElection::new(vec![1], 5, false).is_err());
    }
}
