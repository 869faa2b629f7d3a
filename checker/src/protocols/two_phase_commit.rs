//! `two-phase-commit`: the TM and `rms` RMs as actors, checked against AC1-AC4, termination and
//! the atomic-commit spec.

use crate::actors::{self, Names};
use crate::engine::Checkable;
use crate::params::{Param, Params};
use crate::registry::{actor_params, system_cfg, Entry, Target};
use models::two_phase_commit::{TmRule, TwoPcCfg};
use specs::two_phase_commit as spec;

pub fn entry() -> Entry {
    Entry {
        name: "two-phase-commit",
        kind: "protocol",
        description: "Two-phase commit: a transaction manager collects votes and decides; blocks if it crashes",
        params: || {
            let mut p = vec![
                Param::int("rms", 1, 9, 3, "number of resource managers"),
                Param::choice(
                    "commit-rule",
                    &["all-yes", "first-yes"],
                    "all-yes",
                    "when the TM commits: on every yes vote (correct) or on the first (broken)",
                ),
            ];
            p.extend(actor_params("unordered-nonduplicating", false, 0, 10));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<TwoPcCfg, String> {
    let rule = match p.word("commit-rule") {
        "first-yes" => TmRule::FirstYes,
        _ => TmRule::AllYes,
    };
    TwoPcCfg::new(p.int("rms") as usize, system_cfg(p), rule).map_err(|e| e.to_string())
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let names = Names::of(&cfg);
    let view_names = names.clone();
    Ok(Box::new(Checkable {
        model: spec::model(cfg),
        step_invariants: spec::step_invariants(),
        fair: actors::fair,
        symmetry: Some(spec::representative),
        fingerprint: actors::fingerprint,
        describe: Box::new(move |a| names.words(a)),
        view: Box::new(move |s| view_names.view(s)),
    }))
}
