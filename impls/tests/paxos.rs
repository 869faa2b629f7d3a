//! Single-decree Paxos on the deterministic simulator, checked against its own spec at run time.
//!
//! Every run builds its nodes from the same [`PaxosCfg`] the model checker uses; after every
//! step it replays the step through the model (which must land on the simulator's snapshot),
//! evaluates every `always` property of `specs::paxos::model(cfg)` and the step invariants on
//! the snapshot. At quiescence every learner must have learnt the one chosen value.

use impls::sim::{Sim, SimCfg};
use models::common::{NetworkKind, SystemCfg};
use models::paxos::{PaxosActor, PaxosCfg, PaxosState};
use specs::paxos::{self as spec, PaxosModel, PaxosSysState};
use stateright::actor::{ActorModelAction, Id};
use stateright::{Expectation, Model};

/// Most steps one checked run may take; a Paxos run of this size takes a few dozen.
const STEPS_MAX: usize = 1_000;

fn paxos(proposers: usize, acceptors: usize, network: NetworkKind, crashes: usize) -> PaxosCfg {
    let system = SystemCfg {
        network,
        lossy: false,
        crashes,
    };
    PaxosCfg::new(proposers, acceptors, 2, 1, system)
        .expect("a valid configuration")
        .with_retry(false)
}

/// Runs `sim` to quiescence (with `fault` applied once after `fault_at` steps), checking every
/// step; returns the final snapshot.
fn checked_run(
    cfg: PaxosCfg,
    seed: u64,
    fault_at: Option<(usize, Id)>,
) -> (PaxosModel, PaxosSysState) {
    let model = spec::model(cfg);
    let always: Vec<_> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Always)
        .collect();
    let steps = spec::step_invariants();
    let sim_cfg = SimCfg {
        seed,
        ..SimCfg::default()
    };
    let mut sim: Sim<PaxosActor> = Sim::from_system(&cfg, sim_cfg).expect("a valid simulator");
    let mut replayed = model.init_states().remove(0);
    let mut last = sim.snapshot();
    assert_eq!(replayed, last, "the simulator starts where the model does");
    let mut replayed_len = 0;
    for i in 0..STEPS_MAX {
        if let Some((at, id)) = fault_at {
            if i == at {
                assert!(sim.crash(id), "crash of {id:?} refused");
            }
        }
        let stepped = sim.step();
        for step in &sim.trace()[replayed_len..] {
            let action = ActorModelAction::from(step.clone());
            let mut enabled = Vec::new();
            model.actions(&replayed, &mut enabled);
            assert!(enabled.contains(&action), "{action:?} not enabled");
            if let Some(next) = model.next_state(&replayed, action) {
                replayed = next;
            }
        }
        replayed_len = sim.trace().len();
        let next = sim.snapshot();
        assert_eq!(replayed, next, "seed {seed}: replay and snapshot differ");
        for p in &always {
            assert!(
                (p.condition)(&model, &next),
                "seed {seed}: {} violated",
                p.name
            );
        }
        for inv in &steps {
            assert!(
                (inv.holds)(&model, &last, &next),
                "seed {seed}: {}",
                inv.name
            );
        }
        last = next;
        if !stepped {
            return (model, last);
        }
    }
    panic!("seed {seed}: not quiescent after {STEPS_MAX} steps");
}

/// The value every learner learnt; each must have learnt the single chosen value.
fn learnt(model: &PaxosModel, s: &PaxosSysState) -> usize {
    let chosen = spec::chosen(model, s);
    assert_eq!(chosen.len(), 1, "exactly one value chosen: {chosen:?}");
    let value = *chosen.iter().next().unwrap();
    for a in &s.actor_states {
        if let PaxosState::Learner(l) = &**a {
            assert_eq!(l.learnt, Some(value));
        }
    }
    value
}

#[test]
fn two_proposers_race_and_every_seed_chooses_one_value() {
    let mut outcomes = std::collections::BTreeSet::new();
    for seed in 0..200 {
        for network in [
            NetworkKind::UnorderedNonDuplicating,
            NetworkKind::Ordered,
            NetworkKind::UnorderedDuplicating,
        ] {
            let (model, end) = checked_run(paxos(2, 3, network, 0), seed, None);
            outcomes.insert(learnt(&model, &end));
        }
    }
    // Both proposers' values win in some runs.
    assert_eq!(outcomes, std::collections::BTreeSet::from([0, 1]));
}

#[test]
fn five_acceptors_with_one_crashed_still_choose() {
    for seed in 0..100 {
        // Acceptor a1 (id 2) crashes before anything is delivered; four remain, a majority.
        let cfg = paxos(2, 5, NetworkKind::UnorderedNonDuplicating, 1);
        let (model, end) = checked_run(cfg, seed, Some((0, Id::from(2))));
        learnt(&model, &end);
    }
}
