//! Partitions and the nemesis on two-phase commit: what a partition does to messages on every
//! network, that every run so produced replays through the model, and that the nemesis leaves
//! the system whole before its quiet phase.

use impls::nemesis::{Faults, Nemesis, Phase, Poll};
use impls::sim::{Sim, SimCfg, Step, StepOf};
use impls::validate::validate;
use models::common::{NetworkKind, SystemCfg};
use models::two_phase_commit::{RmPhase, TmRule, TwoPcActor, TwoPcCfg, TwoPcState, TM_ID};
use specs::two_phase_commit::{self as spec, TwoPcSysState};
use stateright::actor::Id;

const NETWORKS: [NetworkKind; 3] = [
    NetworkKind::Ordered,
    NetworkKind::UnorderedDuplicating,
    NetworkKind::UnorderedNonDuplicating,
];

fn two_pc(network: NetworkKind, lossy: bool, crashes: usize) -> TwoPcCfg {
    let system = SystemCfg {
        network,
        lossy,
        crashes,
    };
    TwoPcCfg::new(3, system, TmRule::AllYes).expect("a valid configuration")
}

/// A simulator that records its snapshot after every step.
struct Recorded {
    sim: Sim<TwoPcActor>,
    snapshots: Vec<TwoPcSysState>,
}

impl Recorded {
    fn new(cfg: &TwoPcCfg, sim_cfg: SimCfg) -> Self {
        let sim = Sim::from_system(cfg, sim_cfg).expect("a valid simulator config");
        let snapshots = vec![sim.snapshot()];
        Self { sim, snapshots }
    }

    fn record(&mut self) {
        while self.snapshots.len() <= self.sim.trace().len() {
            self.snapshots.push(self.sim.snapshot());
        }
    }

    fn run(&mut self) {
        for _ in 0..1_000 {
            if !self.sim.step() {
                return;
            }
            self.record();
        }
        panic!("not quiescent after 1000 steps");
    }

    /// Replays the whole run through the model, checking every snapshot.
    fn assert_replays(&self, cfg: TwoPcCfg) {
        let model = spec::model(cfg);
        if let Err(d) = validate(&model, self.sim.trace(), Some(&self.snapshots)) {
            panic!("{d} in {:?}", self.sim.trace());
        }
    }
}

fn crosses(step: &StepOf<TwoPcActor>) -> bool {
    let tm = Id::from(TM_ID);
    matches!(step, Step::Deliver { src, dst, .. } if (*src == tm) != (*dst == tm))
}

#[test]
fn partition_tm_from_rms_then_heal_holds_messages_until_the_heal() {
    for network in NETWORKS {
        for seed in 0..100 {
            let cfg = two_pc(network, false, 0);
            let mut run = Recorded::new(
                &cfg,
                SimCfg {
                    seed,
                    dup_per_mille: 300,
                    ..SimCfg::default()
                },
            );
            run.sim.partition(&[Id::from(TM_ID)]);
            run.run();
            assert!(
                !run.sim.trace().iter().any(crosses),
                "{network:?} seed {seed}: a message crossed the partition"
            );
            // The TM's Prepares wait in flight; its vote timer fires and it aborts alone.
            assert!(!run.sim.in_flight().is_empty(), "{network:?} seed {seed}");
            assert!(run.sim.heal());
            assert!(!run.sim.heal(), "nothing left to heal");
            run.run();
            let rms_decided = run.sim.actor_states().iter().all(|s| match &**s {
                TwoPcState::Rm(rm) => rm.phase == RmPhase::Aborted,
                TwoPcState::Tm(_) => true,
            });
            assert!(
                rms_decided,
                "{network:?} seed {seed}: {:?}",
                run.sim.trace()
            );
            run.assert_replays(cfg);
        }
    }
}

#[test]
fn partition_on_a_lossy_network_loses_what_crosses_the_cut() {
    for network in NETWORKS {
        let mut dropped = 0;
        for seed in 0..100 {
            let cfg = two_pc(network, true, 0);
            let mut run = Recorded::new(
                &cfg,
                SimCfg {
                    seed,
                    ..SimCfg::default()
                },
            );
            run.sim.partition(&[Id::from(TM_ID)]);
            run.run();
            assert!(
                !run.sim.trace().iter().any(crosses),
                "{network:?} seed {seed}"
            );
            dropped += run
                .sim
                .trace()
                .iter()
                .filter(|s| matches!(s, Step::Drop { .. }))
                .count();
            run.sim.heal();
            run.run();
            run.assert_replays(cfg);
        }
        assert!(dropped > 0, "{network:?}: nothing was lost at the cut");
    }
}

#[test]
fn nemesis_leaves_every_actor_up_and_the_network_whole() {
    for network in NETWORKS {
        for lossy in [false, true] {
            let cfg = two_pc(network, lossy, 2);
            let (mut crashes, mut partitions) = (0, 0);
            for seed in 0..200 {
                let faults = Faults::HEAVY;
                let mut run = Recorded::new(&cfg, faults.sim_cfg(seed));
                let mut nemesis = Nemesis::new(seed, faults, cfg.system);
                let mut stopped = false;
                while nemesis.poll(&mut run.sim) == Poll::Progress {
                    run.record();
                    if nemesis.phase() == Phase::Quiet {
                        // From here on: no crash, no partition, no loss, no duplicate.
                        stopped = true;
                        assert!(!run.sim.is_partitioned());
                        assert!((0..4).all(|i| !run.sim.is_crashed(Id::from(i))));
                    }
                }
                assert!(stopped || nemesis.stopped_at().is_some());
                assert_eq!(nemesis.phase(), Phase::Done);
                let counts = nemesis.counts();
                assert_eq!(counts.crashes, counts.recoveries, "seed {seed}");
                assert_eq!(counts.partitions, counts.heals, "seed {seed}");
                crashes += counts.crashes;
                partitions += counts.partitions;
                let after = nemesis.stopped_at().unwrap();
                let late_faults = run.sim.trace()[after..]
                    .iter()
                    .filter(|s| matches!(s, Step::Drop { .. } | Step::Crash(_)))
                    .count();
                assert_eq!(
                    late_faults, 0,
                    "seed {seed}: a fault after the nemesis stopped"
                );
                run.assert_replays(cfg);
            }
            assert!(crashes > 0 && partitions > 0, "{network:?} lossy {lossy}");
        }
    }
}

#[test]
fn borrowed_actors_run_exactly_like_owned_ones() {
    use impls::sim::Borrowed;
    use models::common::ActorSystem;
    for network in NETWORKS {
        let cfg = two_pc(network, true, 1);
        let actors = cfg.actors();
        for seed in 0..50 {
            let faults = Faults::HEAVY;
            let mut owned = Sim::from_system(&cfg, faults.sim_cfg(seed)).unwrap();
            let borrowed_actors: Vec<Borrowed<'_, TwoPcActor>> =
                actors.iter().map(Borrowed).collect();
            let mut borrowed =
                Sim::new(borrowed_actors, cfg.system(), faults.sim_cfg(seed)).unwrap();
            let mut n1 = Nemesis::new(seed, faults, cfg.system);
            let mut n2 = Nemesis::new(seed, faults, cfg.system);
            while n1.poll(&mut owned) == Poll::Progress {
                assert_eq!(n2.poll(&mut borrowed), Poll::Progress);
            }
            assert_eq!(n2.poll(&mut borrowed), Poll::Done);
            assert_eq!(owned.trace(), borrowed.trace(), "{network:?} seed {seed}");
            assert_eq!(owned.actor_states(), borrowed.actor_states());
        }
    }
}
