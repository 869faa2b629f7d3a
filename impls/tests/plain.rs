//! The plain runner's own bookkeeping: the model's history that a [`Historian`] keeps along an
//! unrecorded run is the history the model computes when the same run is replayed through it,
//! and a plain run is the same run as the recorded simulator's.

use impls::plain::Historian;
use impls::sim::{Sim, SimCfg};
use impls::validate::Replay;
use models::common::{NetworkKind, SystemCfg};
use models::multi_paxos::{Bug, MultiPaxosCfg, MultiPaxosState};
use specs::multi_paxos as spec;
use std::cell::RefCell;

fn cfg(network: NetworkKind) -> MultiPaxosCfg {
    let system = SystemCfg::reliable(network);
    MultiPaxosCfg::new(3, 2, 2, 4, 1, system, Bug::None).unwrap()
}

#[test]
fn the_historian_keeps_the_history_the_model_computes() {
    for network in [
        NetworkKind::Ordered,
        NetworkKind::UnorderedNonDuplicating,
        NetworkKind::UnorderedDuplicating,
    ] {
        let model = spec::model(cfg(network));
        for seed in 0..10 {
            let history = RefCell::new(model.init_history.clone());
            let actors: Vec<_> = model
                .actors
                .iter()
                .map(|actor| Historian {
                    actor,
                    model: &model,
                    history: &history,
                })
                .collect();
            let sim_cfg = SimCfg {
                seed,
                max_steps: 2_000,
                ..SimCfg::default()
            };
            let mut sim = Sim::new(actors, cfg(network).system, sim_cfg).unwrap();
            let done = |s: &Sim<Historian<'_, _, _, _>>| {
                s.actor_states().iter().all(|a| match &**a {
                    MultiPaxosState::Client(c) => c.completed >= 2,
                    MultiPaxosState::Replica(_) => true,
                })
            };
            sim.run_until(done);
            assert!(done(&sim), "{network:?} seed {seed}");
            let mut replay = Replay::new(&model);
            for step in sim.trace() {
                replay.advance(step).expect("the run replays");
            }
            let kept = history.borrow();
            assert_eq!(*kept, replay.state().history, "{network:?} seed {seed}");
            // Both clients' two operations were invoked and answered: the history is not
            // trivially equal.
            assert!(kept.is_linearizable());
            assert_ne!(*kept, model.init_history, "{network:?} seed {seed}");
        }
    }
}

#[test]
fn recording_off_changes_nothing_but_the_trace() {
    let two_pc = models::two_phase_commit::TwoPcCfg::new(
        4,
        SystemCfg {
            network: NetworkKind::UnorderedDuplicating,
            lossy: true,
            crashes: 1,
        },
        models::two_phase_commit::TmRule::AllYes,
    )
    .unwrap();
    for seed in 0..20 {
        let sim_cfg = SimCfg {
            seed,
            drop_per_mille: 100,
            dup_per_mille: 100,
            ..SimCfg::default()
        };
        let mut on = Sim::from_system(&two_pc, sim_cfg).unwrap();
        let mut off = Sim::from_system(&two_pc, sim_cfg).unwrap();
        off.set_recording(false);
        let run = |sim: &mut Sim<_>| {
            sim.run_until(|s| s.steps() >= 3);
            sim.crash(stateright::actor::Id::from(0));
            sim.run_until(|s| s.steps() >= 6);
            sim.recover(stateright::actor::Id::from(0));
            sim.run()
        };
        assert_eq!(run(&mut on), run(&mut off), "seed {seed}");
        assert_eq!(on.snapshot(), off.snapshot(), "seed {seed}");
        assert!(!on.trace().is_empty());
        assert!(off.trace().is_empty());
    }
}
