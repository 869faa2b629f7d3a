//! `leader-election`: the abstract spec every election protocol refines, checkable on its own.

use crate::engine::Checkable;
use crate::params::{Param, Params};
use crate::registry::{Entry, Target};
use specs::leader_election::{self as spec, LeAction, LeaderElection};

pub fn entry() -> Entry {
    Entry {
        name: "leader-election",
        kind: "spec",
        description: "Leader election: at most one leader per term, beliefs only in elected leaders; eventually all nodes know one",
        params: || {
            vec![
                Param::int("nodes", 1, 9, 3, "number of nodes (ids 1..=nodes)"),
                Param::int("terms", 1, 4, 2, "number of terms (elections) modelled"),
                Param::bool(
                    "highest-wins",
                    false,
                    "whether only the node with the highest id may be elected",
                ),
            ]
        },
        build,
    }
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let ids = (1..=p.int("nodes")).collect();
    let model = LeaderElection::new(ids, p.int("terms") as usize, p.bool("highest-wins"))
        .map_err(|e| e.to_string())?;
    let checkable = Checkable::new(model)
        .with_describe(Box::new(|a| match a {
            LeAction::Elect { term, node } => format!("n{} is elected in term {term}", node + 1),
            LeAction::Learn { node, term } => {
                format!("n{} learns the leader of term {term}", node + 1)
            }
        }))
        // The spec stops once every term has its leader and every node knows the last one.
        .with_end_states(|_, s| {
            s.elected.iter().all(|n| !n.is_empty()) && spec::every_node_knows_the_leader(s)
        })
        .with_action_kinds(["Elect", "Learn"].map(String::from).to_vec());
    Ok(Box::new(checkable))
}
