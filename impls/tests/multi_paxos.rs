//! Multi-Paxos on the deterministic simulator, with seeded loss, duplication, reordering and
//! crashes, checked against its spec at run time.
//!
//! Every run builds its nodes from the same [`MultiPaxosCfg`] the model checker uses. After
//! every step (crashes and recoveries included) the spec's safety properties `agreement` and
//! `replicas apply the same prefix` are judged on [`Sim::snapshot`], and the step invariants on
//! the pair of snapshots. The clients' history is rebuilt from the trace: a client invokes its
//! first operation when it starts and each next one in the step it accepts an answer, exactly
//! as the actor does, and it returns when an answer for its current request is delivered. The
//! history goes through stateright's `LinearizabilityTester` against one map ([`KvStore`]), as
//! in the model; the clients spread their operations over two keys (three in one test). A sample of runs
//! is also replayed through the model itself, whose own history must agree.
//!
//! Runs are bounded by [`STEPS_MAX`]. The election timer stays armed, so a run never becomes
//! quiescent; it stops when every client has its answers.

use impls::sim::{Sim, SimCfg, Step};
use impls::validate::validate;
use models::common::{NetworkKind, SystemCfg};
use models::multi_paxos::{
    Bug, History, KvStore, Leadership, MultiPaxosActor, MultiPaxosCfg, MultiPaxosMsg, Ret,
};
use specs::multi_paxos as spec;
use stateright::actor::{ActorModelState, Id};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

/// Most steps one checked run may take.
const STEPS_MAX: usize = 3_000;

/// Four operations per client, the most the configuration allows.
const OPS: u8 = 4;

/// Keys of the replicated map: with four operations per client, each client writes and reads
/// both keys ([`models::multi_paxos::workload`]), and the two clients start on different ones.
const KEYS: u8 = 2;

/// How often a client repeats an unanswered request: the runtime has no other way to recover
/// an answer that was lost, or owed by a replica that crashed.
const RETRIES: u8 = 5;

fn mp(
    replicas: usize,
    clients: usize,
    network: NetworkKind,
    lossy: bool,
    crashes: usize,
) -> MultiPaxosCfg {
    let system = SystemCfg {
        network,
        lossy,
        crashes,
    };
    // Runtime bounds: every round may be used, and slots for re-proposals and no-ops.
    MultiPaxosCfg::new(replicas, clients, OPS, 64, 9, system, Bug::None)
        .and_then(|cfg| cfg.with_keys(KEYS))
        .expect("a valid configuration")
        .with_retries(RETRIES)
}

/// A simulated run whose every step is checked (see the module docs).
struct CheckedRun {
    cfg: MultiPaxosCfg,
    sim: Sim<MultiPaxosActor>,
    last: ActorModelState<MultiPaxosActor, ()>,
    checked_len: usize,
    /// Each violated safety property, with the trace length at which it first failed.
    violations: Vec<(&'static str, usize)>,
}

impl CheckedRun {
    fn new(cfg: MultiPaxosCfg, sim_cfg: SimCfg) -> Self {
        let sim = Sim::from_system(
            &cfg,
            SimCfg {
                max_steps: STEPS_MAX,
                ..sim_cfg
            },
        )
        .expect("a valid simulator configuration");
        let last = sim.snapshot();
        let mut run = CheckedRun {
            cfg,
            sim,
            last,
            checked_len: 0,
            violations: Vec::new(),
        };
        run.judge_state();
        run
    }

    fn judge_state(&mut self) {
        let at = self.sim.trace().len();
        if !spec::agreement_holds(&self.last) {
            self.violations.push(("agreement", at));
        }
        if !spec::same_prefix_holds(&self.last) {
            self.violations.push(("replicas apply the same prefix", at));
        }
    }

    /// Judges every step taken since the last call.
    fn check_new_steps(&mut self) {
        if self.sim.trace().len() == self.checked_len {
            return;
        }
        let next = self.sim.snapshot();
        let at = self.sim.trace().len();
        if !spec::log_only_grows(&self.last, &next) {
            self.violations
                .push(("applied commands are never undone", at));
        }
        if !spec::promises_only_rise(&self.last, &next) {
            self.violations.push(("promises never decrease", at));
        }
        self.last = next;
        self.checked_len = at;
        self.judge_state();
    }

    fn step(&mut self) -> bool {
        let stepped = self.sim.step();
        self.check_new_steps();
        stepped
    }

    fn crash(&mut self, id: Id) {
        self.sim.crash(id);
        self.check_new_steps();
    }

    fn recover(&mut self, id: Id) {
        self.sim.recover(id);
        self.check_new_steps();
    }

    fn all_completed(&self) -> bool {
        spec::all_completed(&self.last, self.cfg.ops)
    }

    /// Steps until every client has its answers or the step budget is spent; whether they do.
    fn run(&mut self) -> bool {
        while self.sim.outcome().steps < STEPS_MAX && !self.all_completed() {
            if !self.step() {
                break;
            }
        }
        self.all_completed()
    }

    /// Steps `n` times (fewer if nothing is left to do).
    fn steps(&mut self, n: usize) {
        for _ in 0..n {
            if !self.step() {
                break;
            }
        }
    }

    /// The clients' history rebuilt from the trace.
    fn history(&self) -> LinearizabilityTester<Id, KvStore> {
        let mut h = LinearizabilityTester::new(KvStore::default());
        let clients = self.cfg.client_ids();
        let op = |k: usize, i: u8| self.cfg.op(k, i);
        let mut completed = vec![0u8; clients.len()];
        for (k, &c) in clients.iter().enumerate() {
            h.on_invoke(c, op(k, 0)).expect("a well-formed history");
        }
        for step in self.sim.trace() {
            let Step::Deliver { dst, msg, .. } = step else {
                continue;
            };
            let Some(k) = clients.iter().position(|c| c == dst) else {
                continue;
            };
            let (req, ret) = match msg {
                MultiPaxosMsg::PutOk { req } => (*req, Ret::PutOk),
                MultiPaxosMsg::GetOk { req, value } => (*req, Ret::GetOk(*value)),
                _ => continue,
            };
            // Stale answers (a second replica's, a duplicate) leave the client unmoved.
            if req != completed[k] || completed[k] >= self.cfg.ops {
                continue;
            }
            h.on_return(*dst, ret).expect("a well-formed history");
            completed[k] += 1;
            if completed[k] < self.cfg.ops {
                h.on_invoke(*dst, op(k, completed[k]))
                    .expect("a well-formed history");
            }
        }
        h
    }

    /// Whether no safety property failed and the history is linearizable.
    fn is_safe(&self) -> bool {
        self.violations.is_empty() && self.history().serialized_history().is_some()
    }

    fn assert_safe(&self) {
        assert!(
            self.violations.is_empty(),
            "violated {:?} in {:?}",
            self.violations,
            self.sim.trace()
        );
        assert!(
            self.history().serialized_history().is_some(),
            "not linearizable: {:?}",
            self.sim.trace()
        );
    }

    /// Replays the trace through the model, which must accept every step and reach the
    /// simulator's actor states; returns the model's own record of the clients' history.
    fn replay(&self) -> History {
        let model = spec::model(self.cfg);
        let state = validate::<_, MultiPaxosActor, _, _>(&model, self.sim.trace(), None)
            .unwrap_or_else(|d| panic!("trace validation: {d}"));
        assert_eq!(state.actor_states, self.last.actor_states);
        state.history
    }

    /// Whether some replica leads a ballot after the first.
    fn new_leader(&self) -> bool {
        spec::replicas(&self.last)
            .any(|r| matches!(r.leader, Some(Leadership::Leading { ballot, .. }) if ballot.0 > 0))
    }
}

fn seeded(seed: u64) -> SimCfg {
    SimCfg {
        seed,
        ..SimCfg::default()
    }
}

#[test]
fn three_replicas_two_clients_are_linearizable_for_every_seed() {
    let cfg = mp(3, 2, NetworkKind::UnorderedNonDuplicating, false, 0);
    for seed in 0..300 {
        let mut run = CheckedRun::new(cfg, seeded(seed));
        assert!(run.run(), "seed {seed}: did not complete");
        run.assert_safe();
        if seed % 30 == 0 {
            assert!(run.replay().is_linearizable(), "seed {seed}");
        }
    }
}

#[test]
fn five_replicas_three_clients_on_three_keys_are_linearizable_for_every_seed() {
    let cfg = mp(5, 3, NetworkKind::UnorderedNonDuplicating, false, 0)
        .with_keys(3)
        .expect("a valid configuration");
    for seed in 0..150 {
        let mut run = CheckedRun::new(cfg, seeded(seed));
        assert!(run.run(), "seed {seed}: did not complete");
        run.assert_safe();
    }
}

#[test]
fn duplicating_reordering_network_stays_linearizable() {
    let cfg = mp(3, 2, NetworkKind::UnorderedDuplicating, false, 0);
    for seed in 0..200 {
        let sim_cfg = SimCfg {
            dup_per_mille: 300,
            latency_ms: (1, 40),
            ..seeded(seed)
        };
        let mut run = CheckedRun::new(cfg, sim_cfg);
        assert!(run.run(), "seed {seed}: did not complete");
        run.assert_safe();
    }
}

#[test]
fn lossy_network_stays_linearizable_and_mostly_completes() {
    // No retransmission: a lost message is recovered only by a later leader, and a lost answer
    // not at all. Safety must hold on every seed regardless.
    let cfg = mp(3, 2, NetworkKind::UnorderedNonDuplicating, true, 0);
    let (mut completed, mut took_over) = (0, 0);
    for seed in 0..300 {
        let sim_cfg = SimCfg {
            drop_per_mille: 20,
            ..seeded(seed)
        };
        let mut run = CheckedRun::new(cfg, sim_cfg);
        completed += usize::from(run.run());
        took_over += usize::from(run.new_leader());
        run.assert_safe();
        if seed % 50 == 0 {
            let replayed = run.replay();
            assert_eq!(
                replayed.is_linearizable(),
                run.history().serialized_history().is_some()
            );
        }
    }
    assert!(completed >= 150, "only {completed} of 300 runs completed");
    assert!(took_over > 0, "no lost message ever caused a leader change");
}

#[test]
fn leader_crash_at_any_step_hands_over_to_a_new_leader() {
    let cfg = mp(3, 2, NetworkKind::UnorderedNonDuplicating, false, 1);
    let r0 = Id::from(0);
    let mut took_over = 0;
    for seed in 0..200 {
        let mut run = CheckedRun::new(cfg, seeded(seed));
        run.steps((seed % 40) as usize);
        run.crash(r0);
        // Recover the old leader only in half the runs, later.
        if seed % 2 == 0 {
            run.steps(30);
            run.recover(r0);
        }
        assert!(run.run(), "seed {seed}: did not complete");
        run.assert_safe();
        took_over += usize::from(run.new_leader());
    }
    assert!(took_over >= 100, "only {took_over} runs changed leader");
}

#[test]
fn five_replicas_survive_two_crashed_replicas() {
    let cfg = mp(5, 2, NetworkKind::UnorderedNonDuplicating, false, 2);
    for seed in 0..100 {
        let mut run = CheckedRun::new(cfg, seeded(seed));
        run.steps((seed % 20) as usize);
        run.crash(Id::from(0));
        run.steps((seed % 7) as usize);
        run.crash(Id::from(1 + (seed % 4) as usize));
        assert!(run.run(), "seed {seed}: did not complete");
        run.assert_safe();
    }
}

#[test]
fn ordered_network_with_crash_and_loss_stays_linearizable() {
    let cfg = mp(3, 2, NetworkKind::Ordered, true, 1);
    for seed in 0..200 {
        let sim_cfg = SimCfg {
            drop_per_mille: 10,
            ..seeded(seed)
        };
        let mut run = CheckedRun::new(cfg, sim_cfg);
        run.steps((seed % 30) as usize);
        run.crash(Id::from((seed % 3) as usize));
        run.steps(20);
        run.recover(Id::from((seed % 3) as usize));
        run.run();
        run.assert_safe();
    }
}

#[test]
fn same_seed_gives_identical_trace() {
    let cfg = mp(3, 2, NetworkKind::UnorderedDuplicating, true, 1);
    let trace = |seed: u64| {
        let sim_cfg = SimCfg {
            drop_per_mille: 20,
            dup_per_mille: 100,
            ..seeded(seed)
        };
        let mut run = CheckedRun::new(cfg, sim_cfg);
        run.steps(10);
        run.crash(Id::from(0));
        run.run();
        run.sim.trace().to_vec()
    };
    for seed in 0..10 {
        assert_eq!(trace(seed), trace(seed), "seed {seed}");
    }
}

#[test]
fn a_leader_that_skips_phase_1_is_caught_on_the_runtime() {
    let cfg = MultiPaxosCfg::new(
        3,
        2,
        OPS,
        64,
        9,
        SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating),
        Bug::SkipPhase1,
    )
    .and_then(|cfg| cfg.with_keys(KEYS))
    .expect("a valid configuration")
    .with_retries(RETRIES);
    let caught: Vec<u64> = (0..50)
        .filter(|&seed| {
            // Slow links, so that a replica times out while the leader's messages are on the way.
            let sim_cfg = SimCfg {
                latency_ms: (1, 250),
                ..seeded(seed)
            };
            let mut run = CheckedRun::new(cfg, sim_cfg);
            run.run();
            !run.is_safe()
        })
        .collect();
    assert_eq!(caught, [5, 46, 47]);
}
