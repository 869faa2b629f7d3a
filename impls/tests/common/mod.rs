//! The checked run the simulator's scenario tests share. A test drives a [`Sim`] by hand
//! (steps, crashes and recoveries where its scenario wants them); after every change the new
//! steps are replayed through the actor model with [`Replay`] (each must be enabled, and the
//! model must reach the simulator's snapshot, or the test panics with the divergence), every
//! `always` property of the spec is judged on that state and every step invariant on the step.
//! A violated property is recorded with the trace length at its first failure, for the
//! scenario to assert on.
//!
//! The nemesis-driven runs of every registered protocol use `impls::checked`; these tests place
//! their faults by hand, so they drive the simulator themselves.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use impls::sim::{Sim, SimCfg};
use impls::validate::Replay;
use models::common::ActorSystem;
use specs::StepInvariant;
use stateright::actor::{Actor, ActorModel, ActorModelState, Id};
use stateright::{Expectation, Model, Property};
use std::collections::BTreeMap;

/// A simulated run checked after every step (see the module docs): `M` is the spec with the
/// properties, the steps are replayed through the actor model of `C`.
pub struct Checked<'m, M: Model, A: Actor, C>
where
    A::Msg: Ord,
    A::Timer: Ord,
{
    spec: &'m M,
    always: Vec<Property<M>>,
    step_invariants: Vec<StepInvariant<M>>,
    replay: Replay<'m, A, C, ()>,
    pub sim: Sim<A>,
    /// The snapshot after the last checked step.
    pub last: ActorModelState<A, ()>,
    /// Each violated property with the trace length at its first failure (0: initially).
    pub violations: BTreeMap<&'static str, usize>,
}

impl<'m, M, A, C> Checked<'m, M, A, C>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    C: ActorSystem<Actor = A>,
    M: Model<State = ActorModelState<A, ()>>,
{
    /// A run of `actors`' system (its nodes built from `actors.cfg`) on a simulator configured
    /// by `sim_cfg`, judged by `spec`'s `always` properties. For a protocol whose spec is its
    /// actor model with properties, `spec` and `actors` are the same model.
    pub fn new(spec: &'m M, actors: &'m ActorModel<A, C, ()>, sim_cfg: SimCfg) -> Self {
        let sim = Sim::from_system(&actors.cfg, sim_cfg).expect("a valid simulator configuration");
        let last = sim.snapshot();
        let replay = Replay::new(actors);
        if let Err(d) = replay.compare(&last, None) {
            panic!("the simulator does not start where the model does: {d}");
        }
        let always = spec
            .properties()
            .into_iter()
            .filter(|p| p.expectation == Expectation::Always)
            .collect();
        let mut run = Self {
            spec,
            always,
            step_invariants: Vec::new(),
            replay,
            sim,
            last,
            violations: BTreeMap::new(),
        };
        run.judge_state();
        run
    }

    /// Also judges these invariants on every step.
    pub fn with_step_invariants(mut self, step_invariants: Vec<StepInvariant<M>>) -> Self {
        self.step_invariants = step_invariants;
        self
    }

    /// The spec the run is judged by.
    pub fn spec(&self) -> &'m M {
        self.spec
    }

    /// Applies one event and checks the result; false when the run is quiescent.
    pub fn step(&mut self) -> bool {
        let stepped = self.sim.step();
        if stepped {
            self.check();
        }
        stepped
    }

    /// Steps `n` times (fewer if the run becomes quiescent).
    pub fn steps(&mut self, n: usize) {
        for _ in 0..n {
            if !self.step() {
                break;
            }
        }
    }

    /// Steps until `done` holds (judged before each step), the run is quiescent, or `steps`
    /// steps were taken; whether `done` holds.
    pub fn run_until(&mut self, steps: usize, done: impl Fn(&Sim<A>) -> bool) -> bool {
        for _ in 0..steps {
            if done(&self.sim) {
                return true;
            }
            if !self.step() {
                break;
            }
        }
        done(&self.sim)
    }

    /// Steps to quiescence; panics after `steps_max` steps.
    pub fn run_to_quiescence(&mut self, steps_max: usize) {
        for _ in 0..steps_max {
            if !self.step() {
                return;
            }
        }
        panic!(
            "not quiescent after {steps_max} steps: {:?}",
            self.sim.trace()
        );
    }

    pub fn crash(&mut self, id: Id) {
        assert!(self.sim.crash(id), "crash of {id:?} refused");
        self.check();
    }

    pub fn recover(&mut self, id: Id) {
        assert!(self.sim.recover(id), "recovery of {id:?} refused");
        self.check();
    }

    pub fn assert_safe(&self) {
        assert!(
            self.violations.is_empty(),
            "violated {:?} (trace length at first failure) in {:?}",
            self.violations,
            self.sim.trace()
        );
    }

    /// Replays the new steps through the model, which must reach the snapshot, then judges the
    /// step invariants on (last snapshot, snapshot) and the properties on the snapshot.
    fn check(&mut self) {
        let trace = self.sim.trace();
        for step in &trace[self.replay.steps()..] {
            if let Err(d) = self.replay.advance(step) {
                panic!("trace validation: {d} in {trace:?}");
            }
        }
        let next = self.sim.snapshot();
        if let Err(d) = self.replay.compare(&next, trace.last()) {
            panic!("trace validation: {d} in {trace:?}");
        }
        let at = trace.len();
        for inv in &self.step_invariants {
            if !(inv.holds)(self.spec, &self.last, &next) {
                self.violations.entry(inv.name).or_insert(at);
            }
        }
        self.last = next;
        self.judge_state();
    }

    fn judge_state(&mut self) {
        let at = self.sim.trace().len();
        for p in &self.always {
            if !(p.condition)(self.spec, &self.last) {
                self.violations.entry(p.name).or_insert(at);
            }
        }
    }
}
