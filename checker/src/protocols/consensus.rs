//! `consensus`: the abstract spec (Lamport), checkable on its own.

use crate::engine::Checkable;
use crate::params::{Param, Params};
use crate::registry::{Entry, Target};
use specs::consensus::{self, Consensus, ConsensusAction};

pub fn entry() -> Entry {
    Entry {
        name: "consensus",
        kind: "spec",
        description: "Consensus: a set of chosen values, initially empty, that may grow to one proposed value and never changes after",
        params: || vec![Param::int("values", 1, 9, 2, "number of proposed values")],
        build,
    }
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let model = Consensus::new(p.int("values") as usize).map_err(|e| e.to_string())?;
    let checkable = Checkable::new(model)
        .with_describe(Box::new(|ConsensusAction::Choose(v)| format!("choose {v}")))
        .with_view(Box::new(|s| serde_json::json!({ "chosen": s })))
        .with_step_invariants(vec![specs::StepInvariant {
            name: consensus::STABILITY,
            holds: |_, before, after| consensus::stability(before, after),
        }])
        // Once a value is chosen nothing changes: that is the end, not a deadlock.
        .with_end_states(|_, s| consensus::some_chosen(s))
        .with_action_kinds(vec!["Choose".to_string()]);
    Ok(Box::new(checkable))
}
