//! Shared helpers for the criterion benchmarks. Configurations come from the checker's registry,
//! so a benchmark runs exactly what `checker check NAME --set ...` checks.

// The same allocator as the `checker` binary, so benches measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use checker::params::Params;
use checker::protocols::two_phase_commit;
use checker::registry;
use impls::sim::{Sim, SimCfg};
use models::two_phase_commit::{Decision, TmPhase, TwoPcCfg, TwoPcState, TM_ID};

/// The 2PC configuration the registry builds from `NAME=VALUE` settings, such as `["rms=5"]`.
pub fn two_pc_cfg(settings: &[&str]) -> TwoPcCfg {
    let entry = registry::find("two-phase-commit").expect("two-phase-commit is registered");
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let params = Params::resolve(&(entry.params)(), &settings).expect("valid settings");
    two_phase_commit::cfg(&params).expect("a valid configuration")
}

/// Runs one whole transaction on a fresh simulator seeded with `seed` until quiescence and
/// returns the TM's decision. Panics if the run does not settle on a decision, so a benchmark
/// never times a broken run.
pub fn run_transaction(cfg: &TwoPcCfg, seed: u64) -> Decision {
    let sim_cfg = SimCfg {
        seed,
        ..SimCfg::default()
    };
    let mut sim = Sim::from_system(cfg, sim_cfg).expect("a valid simulator configuration");
    let outcome = sim.run();
    assert!(outcome.quiescent, "seed {seed}: not quiescent: {outcome:?}");
    match &*sim.actor_states()[TM_ID] {
        TwoPcState::Tm(tm) => match tm.phase {
            TmPhase::Decided { decision, .. } => decision,
            TmPhase::Collecting { .. } => panic!("seed {seed}: the TM did not decide"),
        },
        TwoPcState::Rm(_) => unreachable!("actor {TM_ID} is the TM"),
    }
}
