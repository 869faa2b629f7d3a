//! The three election protocols on the deterministic simulator, built from the same
//! configurations the checker uses. After every step (crashes and recoveries included) the
//! snapshot is checked against every `always` property of the protocol's spec, and the step is
//! replayed through the actor model, which must reach the same snapshot (the harness in
//! `common`). Scenarios then decide
//! what must hold once faults stop: a leader known to every live node.

use common::Checked;
use impls::sim::{Sim, SimCfg, Step};
use models::bully::{BullyActor, BullyCfg, Detector, Phase};
use models::chang_roberts::{Arrangement, CrCfg, CrMsg};
use models::common::{NetworkKind, SystemCfg};
use models::raft_election::{RaftCfg, Role};
use specs::bully::{BullyActors, BullyModel};
use stateright::actor::Id;

mod common;

fn system(network: NetworkKind, crashes: usize) -> SystemCfg {
    SystemCfg {
        crashes,
        ..SystemCfg::reliable(network)
    }
}

fn seeded(seed: u64) -> SimCfg {
    SimCfg {
        seed,
        max_steps: usize::MAX,
        ..SimCfg::default()
    }
}

// ---- Chang-Roberts ----

/// Election messages delivered in a whole run, and whether every node learnt the maximum.
fn chang_roberts_run(nodes: usize, ids: &str, seed: u64) -> (usize, bool) {
    let arrangement = Arrangement::parse(ids).unwrap();
    let cfg = CrCfg::new(nodes, &arrangement, system(NetworkKind::Ordered, 0)).unwrap();
    let mut sim = Sim::from_system(&cfg, seeded(seed)).unwrap();
    assert!(sim.run().quiescent);
    let elections = sim
        .trace()
        .iter()
        .filter(|s| {
            matches!(
                s,
                Step::Deliver {
                    msg: CrMsg::Election { .. },
                    ..
                }
            )
        })
        .count();
    let max = cfg.max_id();
    let all_know = sim.actor_states().iter().all(|s| s.leader == Some(max));
    let leaders = sim.actor_states().iter().filter(|s| s.elected).count();
    (elections, all_know && leaders == 1)
}

#[test]
fn ring_message_counts_match_the_paper() {
    for n in [10usize, 100, 1000] {
        let (best, ok) = chang_roberts_run(n, "ascending", 1);
        assert!(ok);
        assert_eq!(best, 2 * n - 1, "best case, n={n}");
        let (worst, ok) = chang_roberts_run(n, "descending", 1);
        assert!(ok);
        assert_eq!(worst, n * (n + 1) / 2, "worst case, n={n}");
        // Random arrangements: the paper's average is n * H_n (H_n the harmonic number).
        let h: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
        let expected = n as f64 * h;
        let seeds = if n == 1000 { 5 } else { 20 };
        let mean = (0..seeds)
            .map(|s| chang_roberts_run(n, &format!("random:{s}"), s).0 as f64)
            .sum::<f64>()
            / seeds as f64;
        assert!(
            (0.8 * expected..1.2 * expected).contains(&mean),
            "n={n}: mean {mean}, n H_n = {expected}"
        );
    }
}

#[test]
fn ring_of_five_elects_max_id_on_every_network_and_seed() {
    for network in [
        NetworkKind::Ordered,
        NetworkKind::UnorderedNonDuplicating,
        NetworkKind::UnorderedDuplicating,
    ] {
        for seed in 0..100 {
            let ids = Arrangement::Random(seed);
            let cfg = CrCfg::new(5, &ids, system(network, 0)).unwrap();
            let (spec, actors) = (
                specs::chang_roberts::model(cfg.clone()),
                cfg.clone().into_model(),
            );
            let mut run = Checked::new(&spec, &actors, seeded(seed));
            run.run_until(10_000, |_| false);
            run.assert_safe();
            let max = cfg.max_id();
            assert!(run.sim.actor_states().iter().all(|s| s.leader == Some(max)));
        }
    }
}

#[test]
fn duplicate_ids_elect_two_leaders_on_the_runtime() {
    let cfg = CrCfg::new(
        3,
        &Arrangement::Explicit(vec![3, 1, 3]),
        system(NetworkKind::Ordered, 0),
    )
    .unwrap();
    let (spec, actors) = (specs::chang_roberts::model(cfg.clone()), cfg.into_model());
    let mut run = Checked::new(&spec, &actors, seeded(0));
    run.run_until(1_000, |_| false);
    assert!(run.violations.contains_key("at most one leader"));
}

// ---- Raft ----

fn raft(nodes: usize, crashes: usize) -> RaftCfg {
    RaftCfg::new(
        nodes,
        1_000,
        true,
        system(NetworkKind::UnorderedDuplicating, crashes),
    )
    .unwrap()
}

/// The live leader whose term every live server is in and follows.
fn raft_leader(sim: &Sim<models::raft_election::RaftActor>) -> Option<Id> {
    let states = sim.actor_states();
    let live = |i: &usize| !sim.is_crashed(Id::from(*i));
    let leader = (0..states.len())
        .filter(live)
        .find(|&i| states[i].role == Role::Leader)?;
    let (term, id) = (states[leader].term, Id::from(leader));
    (0..states.len())
        .filter(live)
        .all(|i| states[i].term == term && states[i].leader == Some(id))
        .then_some(id)
}

#[test]
fn raft_elects_one_leader_per_term_for_every_seed() {
    for nodes in [3, 5] {
        for seed in 0..100 {
            let cfg = raft(nodes, 0);
            let (spec, actors) = (specs::raft_election::model(cfg), cfg.into_model());
            let mut run = Checked::new(&spec, &actors, seeded(seed));
            assert!(
                run.run_until(20_000, |s| raft_leader(s).is_some()),
                "seed {seed}"
            );
            run.assert_safe();
        }
    }
}

#[test]
fn raft_leader_crash_then_new_leader_then_recovery() {
    for seed in 0..50 {
        let cfg = raft(5, 2);
        let (spec, actors) = (specs::raft_election::model(cfg), cfg.into_model());
        let mut run = Checked::new(&spec, &actors, seeded(seed));
        assert!(run.run_until(20_000, |s| raft_leader(s).is_some()));
        let first = raft_leader(&run.sim).unwrap();
        let first_term = run.sim.actor_states()[usize::from(first)].term;
        run.crash(first);
        let other = Id::from((usize::from(first) + 1) % 5);
        run.crash(other);
        assert!(
            run.run_until(50_000, |s| raft_leader(s).is_some()),
            "seed {seed}"
        );
        let second = raft_leader(&run.sim).unwrap();
        assert_ne!(second, first);
        assert!(run.sim.actor_states()[usize::from(second)].term > first_term);
        run.recover(first);
        run.recover(other);
        assert!(
            run.run_until(50_000, |s| raft_leader(s).is_some()),
            "seed {seed}"
        );
        run.assert_safe();
    }
}

// ---- Bully ----

fn bully(nodes: usize, crashes: usize) -> BullyCfg {
    BullyCfg::new(
        nodes,
        Detector::Accurate,
        system(NetworkKind::UnorderedDuplicating, crashes),
    )
    .unwrap()
}

/// The live coordinator every live node follows, if it is the highest live node.
fn bully_coordinator(sim: &Sim<models::bully::BullyActor>) -> Option<Id> {
    let states = sim.actor_states();
    let top = (0..states.len())
        .rev()
        .find(|&i| !sim.is_crashed(Id::from(i)))?;
    let ok = states[top].phase == Phase::Coordinator
        && (0..states.len())
            .filter(|&i| !sim.is_crashed(Id::from(i)))
            .all(|i| states[i].coordinator == Some(Id::from(top)));
    ok.then_some(Id::from(top))
}

/// A checked Bully run whose timers fire as the accurate detector allows (the simulator's
/// timer gate, the same predicate the checker uses).
fn bully_run<'m>(
    spec: &'m BullyModel,
    actors: &'m BullyActors,
    seed: u64,
) -> Checked<'m, BullyModel, BullyActor, BullyCfg> {
    let mut run = Checked::new(spec, actors, seeded(seed));
    run.sim.set_timer_gate(specs::bully::accurate_gate);
    run
}

#[test]
fn bully_coordinator_crash_then_takeover_on_recovery() {
    for seed in 0..100 {
        let cfg = bully(4, 1);
        let (spec, actors) = (specs::bully::model(cfg), cfg.into_model());
        let mut run = bully_run(&spec, &actors, seed);
        assert!(run.run_until(10_000, |s| bully_coordinator(s) == Some(Id::from(3))));
        run.crash(Id::from(3));
        assert!(
            run.run_until(10_000, |s| bully_coordinator(s) == Some(Id::from(2))),
            "seed {seed}: no new coordinator"
        );
        run.recover(Id::from(3));
        assert!(
            run.run_until(10_000, |s| bully_coordinator(s) == Some(Id::from(3))),
            "seed {seed}: no takeover"
        );
        run.assert_safe();
    }
}

#[test]
fn raft_survives_a_crash_at_any_step() {
    let mut leaders_changed = 0;
    for seed in 0..200 {
        let cfg = raft(5, 1);
        let (spec, actors) = (specs::raft_election::model(cfg), cfg.into_model());
        let mut run = Checked::new(&spec, &actors, seeded(seed));
        // Crash a seeded server after a seeded number of steps (elections take about 15).
        run.run_until((seed % 40) as usize, |_| false);
        let victim = Id::from(seed as usize % 5);
        run.crash(victim);
        assert!(
            run.run_until(50_000, |s| raft_leader(s).is_some()),
            "seed {seed}"
        );
        let during = raft_leader(&run.sim);
        run.recover(victim);
        assert!(
            run.run_until(50_000, |s| raft_leader(s).is_some()),
            "seed {seed}"
        );
        leaders_changed += usize::from(raft_leader(&run.sim) != during);
        run.assert_safe();
    }
    // Heartbeats keep the leader in place across a follower's recovery, nearly always.
    assert!(leaders_changed < 20, "{leaders_changed}");
}

#[test]
fn bully_survives_a_crash_at_any_step() {
    let mut violated = Vec::new();
    for seed in 0..200 {
        let cfg = bully(4, 1);
        let (spec, actors) = (specs::bully::model(cfg), cfg.into_model());
        let mut run = bully_run(&spec, &actors, seed);
        run.run_until((seed % 30) as usize, |_| false);
        let victim = Id::from(seed as usize % 4);
        run.crash(victim);
        run.run_until((seed / 4 % 30) as usize, |_| false);
        run.recover(victim);
        assert!(
            run.run_until(20_000, |s| bully_coordinator(s) == Some(Id::from(3))),
            "seed {seed}: no coordinator"
        );
        if !run.violations.is_empty() {
            violated.push(seed);
        }
    }
    assert_eq!(violated, Vec::<u64>::new());
}
