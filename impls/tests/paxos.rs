//! Single-decree Paxos on the deterministic simulator, checked against its own spec at run time.
//!
//! Every run builds its nodes from the same [`PaxosCfg`] the model checker uses; after every
//! step it replays the step through the model (which must land on the simulator's snapshot),
//! evaluates every `always` property of `specs::paxos::model(cfg)` and the step invariants on
//! the snapshot (the harness in `common`). At quiescence every learner must have learnt the one chosen value.

use common::Checked;
use impls::sim::SimCfg;
use models::common::{NetworkKind, SystemCfg};
use models::paxos::{PaxosCfg, PaxosState};
use specs::paxos::{self as spec, PaxosModel, PaxosSysState};
use stateright::actor::Id;

mod common;

/// Most steps one checked run may take; a Paxos run of this size takes a few dozen.
const STEPS_MAX: usize = 1_000;

fn paxos(proposers: usize, acceptors: usize, network: NetworkKind, crashes: usize) -> PaxosCfg {
    let system = SystemCfg {
        crashes,
        ..SystemCfg::reliable(network)
    };
    PaxosCfg::new(proposers, acceptors, 2, 1, system)
        .expect("a valid configuration")
        .with_retry(false)
}

/// Runs `cfg`'s system with `seed` to quiescence, with actor `crashed` (if any) crashed before
/// the first step, checking every step; returns the model and the final snapshot.
fn checked_run(cfg: PaxosCfg, seed: u64, crashed: Option<Id>) -> (PaxosModel, PaxosSysState) {
    let model = spec::model(cfg);
    let sim_cfg = SimCfg {
        seed,
        ..SimCfg::default()
    };
    let mut run =
        Checked::new(&model, &model, sim_cfg).with_step_invariants(spec::step_invariants());
    if let Some(id) = crashed {
        run.crash(id);
    }
    run.run_to_quiescence(STEPS_MAX);
    assert!(
        run.violations.is_empty(),
        "seed {seed}: violated {:?}",
        run.violations
    );
    let last = run.last;
    (model, last)
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
        let (model, end) = checked_run(cfg, seed, Some(Id::from(2)));
        learnt(&model, &end);
    }
}
