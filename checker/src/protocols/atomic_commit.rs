//! `atomic-commit`: the abstract spec TCommit (Gray & Lamport), checkable on its own.

use crate::engine::Checkable;
use crate::params::{Param, Params};
use crate::registry::{Entry, Target};
use specs::atomic_commit::{AcAction, AtomicCommit, RmState};

pub fn entry() -> Entry {
    Entry {
        name: "atomic-commit",
        kind: "spec",
        description: "TCommit: each RM working, prepared, committed or aborted; commit needs all prepared, abort needs none committed",
        params: || vec![Param::int("rms", 1, 9, 3, "number of resource managers")],
        build,
    }
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let model = AtomicCommit::new(p.int("rms") as usize).map_err(|e| e.to_string())?;
    let checkable = Checkable::new(model)
        .with_describe(Box::new(|a| match a {
            AcAction::Prepare(i) => format!("rm{} prepares", i + 1),
            AcAction::DecideCommit(i) => format!("rm{} commits", i + 1),
            AcAction::DecideAbort(i) => format!("rm{} aborts", i + 1),
        }))
        .with_view(Box::new(|s| {
            let rms: serde_json::Map<String, serde_json::Value> = s
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("rm{}", i + 1), serde_json::json!(r)))
                .collect();
            serde_json::Value::Object(rms)
        }))
        // The spec stops when every RM has decided; stopping anywhere else would be a deadlock.
        .with_end_states(|_, s| {
            s.iter()
                .all(|r| matches!(r, RmState::Committed | RmState::Aborted))
        })
        .with_action_kinds(
            ["Prepare", "DecideCommit", "DecideAbort"]
                .map(String::from)
                .to_vec(),
        );
    Ok(Box::new(checkable))
}
