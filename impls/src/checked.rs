//! Checked runs of any actor protocol: the [`Nemesis`] drives a [`Sim`] of the very actors an
//! `ActorModel` owns, and after every step
//!
//! 1. the step is replayed through the model ([`Replay`]): it must be enabled, and the model
//!    must reach the simulator's snapshot (trace validation);
//! 2. every `always` property of the model holds on the replayed state, and every step
//!    invariant on the step (safety);
//! 3. once the nemesis has stopped (healed, recovered everything), the run must reach its goal
//!    within the quiet phase: every `eventually` property of the model and the protocol's end
//!    state predicate, if any, holding together (liveness after healing, as in TigerBeetle's
//!    simulator); and every leads-to obligation `P ~> Q` opened anywhere in the run (a state
//!    where `P` holds) must be discharged (a state then or later where `Q` holds) by its end.
//!
//! Once the goal is reached the run goes on for at most [`AFTER_GOAL_STEPS_MAX`] steps, still
//! checked, so that late messages are judged too but a protocol with perpetual timers
//! (heartbeats) does not spend its whole quiet budget after converging.
//!
//! Properties are judged on the model's replayed state, which trace validation has just shown
//! equal to the driver's, so they see exactly what the checker would, history included.
//! A run is a function of the model, the seed and the [`Faults`]: re-running a seed gives the
//! identical trace ([`RunReport::trace_hash`]).

use crate::nemesis::{FaultCounts, Faults, Nemesis, Note, Phase, Poll};
use crate::sim::{Borrowed, Sim, Step, TimerGate};
use crate::validate::{Divergence, Replay};
use models::common::{NetworkKind, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Id, LossyNetwork, Network,
};
use stateright::{Expectation, Model};
use std::fmt::{Debug, Write};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

/// A predicate over system states, named.
pub type NamedPred<'a, S> = (&'static str, Box<dyn Fn(&S) -> bool + 'a>);
/// A predicate over steps `before -> after`, named.
pub type NamedStepPred<'a, S> = (&'static str, Box<dyn Fn(&S, &S) -> bool + 'a>);
/// A leads-to property `from ~> to`, named.
pub type NamedLeadsTo<'a, S> = (
    &'static str,
    Box<dyn Fn(&S) -> bool + 'a>,
    Box<dyn Fn(&S) -> bool + 'a>,
);

/// Most steps a run takes after reaching its goal.
pub const AFTER_GOAL_STEPS_MAX: usize = 200;

/// What a checked run checks besides the model's own properties, and how it speaks.
pub struct Checks<'a, A: Actor, H> {
    /// Invariants of steps, judged on every step.
    pub step_invariants: Vec<NamedStepPred<'a, ActorModelState<A, H>>>,
    /// Predicates that must hold, with every `eventually` property, for the goal to be reached
    /// (the protocol's proper end state, for example).
    pub goal: Vec<NamedPred<'a, ActorModelState<A, H>>>,
    /// Leads-to properties: every obligation opened must be discharged by the end of the run.
    pub leads_to: Vec<NamedLeadsTo<'a, ActorModelState<A, H>>>,
    /// A model action in words, for traces.
    #[allow(clippy::type_complexity)]
    pub describe: Box<dyn Fn(&ActorModelAction<A::Msg, A::Timer, A::Random>) -> String + 'a>,
    /// Actor names by id, for partitions in traces.
    pub names: Vec<String>,
    /// The failure detector the protocol is analysed under, if it declares one: the
    /// simulator's timer gate (see `impls::sim`'s "Timer gates").
    pub timer_gate: Option<TimerGate<A>>,
}

/// How a batch of checked runs is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeOptions {
    /// The seed of the first run; run `i` uses `seed + i`.
    pub seed: u64,
    pub runs: usize,
    pub faults: Faults,
    /// Whether a run that does not reach its goal after healing fails.
    pub require_goal: bool,
    /// Keep the trace in words of every run, not only of failing ones.
    pub keep_traces: bool,
}

/// A property that failed in a run, at the first step where it did.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Violation {
    pub property: String,
    /// `always` or `step`.
    pub kind: String,
    /// The step after which it first failed (0: in the initial state).
    pub step: usize,
}

/// Whether a run reached its goal in the quiet phase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Goal {
    /// Every goal predicate held after this step.
    Reached { step: usize },
    /// The quiet phase ended first; these did not hold at its end (for a leads-to: an
    /// obligation was still open).
    NotReached { unmet: Vec<String> },
    /// The run stopped before the quiet phase (trace validation failed).
    NotJudged,
}

/// One checked run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunReport {
    pub seed: u64,
    /// Steps recorded (model actions, faults included).
    pub steps: usize,
    /// The step count when the nemesis stopped (healing began).
    pub faulty_steps: usize,
    pub faults: FaultCounts,
    /// Each violated property, at its first failure.
    pub violations: Vec<Violation>,
    /// The first step at which the run and the model part ways.
    pub divergence: Option<Divergence>,
    pub goal: Goal,
    pub goal_required: bool,
    /// A hash of the recorded steps: equal seeds give equal hashes.
    pub trace_hash: u64,
    /// The run in words: filled for a failing run, or for every run with `keep_traces`.
    pub trace: Vec<String>,
}

impl RunReport {
    /// Whether the run found a bug: a violation, a divergence, or a required goal missed.
    pub fn failed(&self) -> bool {
        !self.violations.is_empty()
            || self.divergence.is_some()
            || (self.goal_required && !matches!(self.goal, Goal::Reached { .. }))
    }

    /// What went wrong, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .violations
            .iter()
            .map(|v| format!("{} \"{}\" violated at step {}", v.kind, v.property, v.step))
            .collect();
        if let Some(d) = &self.divergence {
            lines.push(format!("trace validation failed: {d}"));
        }
        if self.goal_required {
            match &self.goal {
                Goal::Reached { .. } => {}
                Goal::NotReached { unmet } => lines.push(format!(
                    "goal not reached after healing ({} steps): {} never held",
                    self.steps,
                    unmet.join(", ")
                )),
                // Only a divergence stops a run before its quiet phase; it is reported above.
                Goal::NotJudged if self.divergence.is_some() => {}
                Goal::NotJudged => lines.push("goal not judged".into()),
            }
        }
        lines
    }
}

/// A batch of checked runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeReport {
    pub options: RuntimeOptions,
    pub runs: usize,
    /// Runs that reached their goal after healing.
    pub goal_reached: usize,
    pub steps: usize,
    pub faults: FaultCounts,
    pub seconds: f64,
    pub failures: Vec<RunReport>,
    /// Every run, with `keep_traces`; otherwise empty.
    pub all: Vec<RunReport>,
}

impl RuntimeReport {
    /// Runs per second of wall-clock time.
    pub fn runs_per_second(&self) -> f64 {
        self.runs as f64 / self.seconds.max(1e-9)
    }
}

/// The fault and network settings an `ActorModel` is explored under.
pub fn system_of<A, C, H>(model: &ActorModel<A, C, H>) -> SystemCfg
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    SystemCfg {
        network: match model.init_network {
            Network::Ordered(_) => NetworkKind::Ordered,
            Network::UnorderedDuplicating(..) => NetworkKind::UnorderedDuplicating,
            Network::UnorderedNonDuplicating(_) => NetworkKind::UnorderedNonDuplicating,
        },
        lossy: model.lossy_network == LossyNetwork::Yes,
        crashes: model.max_crashes,
    }
}

/// Runs `opts.runs` checked runs, seeds `opts.seed..`; see the module documentation.
pub fn check_runs<'a, A, C, H>(
    model: &'a ActorModel<A, C, H>,
    checks: &'a Checks<'a, A, H>,
    opts: &RuntimeOptions,
) -> RuntimeReport
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let started = Instant::now();
    let mut report = RuntimeReport {
        options: *opts,
        runs: 0,
        goal_reached: 0,
        steps: 0,
        faults: FaultCounts::default(),
        seconds: 0.0,
        failures: Vec::new(),
        all: Vec::new(),
    };
    for i in 0..opts.runs {
        let run = check_run(model, checks, opts, opts.seed.wrapping_add(i as u64));
        report.runs += 1;
        report.steps += run.steps;
        report.faults.crashes += run.faults.crashes;
        report.faults.recoveries += run.faults.recoveries;
        report.faults.partitions += run.faults.partitions;
        report.faults.heals += run.faults.heals;
        if matches!(run.goal, Goal::Reached { .. }) {
            report.goal_reached += 1;
        }
        if run.failed() {
            report.failures.push(run.clone());
        }
        if opts.keep_traces {
            report.all.push(run);
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// The state of one checked run.
struct Run<'a, A: Actor, C, H>
where
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    model: &'a ActorModel<A, C, H>,
    checks: &'a Checks<'a, A, H>,
    always: Vec<stateright::Property<ActorModel<A, C, H>>>,
    goal: Vec<NamedPred<'a, ActorModelState<A, H>>>,
    replay: Replay<'a, A, C, H>,
    /// For each leads-to property, whether an obligation is open.
    pending: Vec<bool>,
    report: RunReport,
}

/// One checked run with `seed`.
pub fn check_run<'a, A, C, H>(
    model: &'a ActorModel<A, C, H>,
    checks: &'a Checks<'a, A, H>,
    opts: &RuntimeOptions,
    seed: u64,
) -> RunReport
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    check_run_steps(model, checks, opts, seed).0
}

/// One checked run with `seed`, and the steps it took as model actions (faults included), for
/// a caller that replays them through the model to show or export the run state by state.
#[allow(clippy::type_complexity)]
pub fn check_run_steps<'a, A, C, H>(
    model: &'a ActorModel<A, C, H>,
    checks: &'a Checks<'a, A, H>,
    opts: &RuntimeOptions,
    seed: u64,
) -> (
    RunReport,
    Vec<ActorModelAction<A::Msg, A::Timer, A::Random>>,
)
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let system = system_of(model);
    let actors: Vec<Borrowed<'_, A>> = model.actors.iter().map(Borrowed).collect();
    let mut sim =
        Sim::new(actors, system, opts.faults.sim_cfg(seed)).expect("the nemesis's rates are valid");
    if let Some(gate) = checks.timer_gate {
        sim.set_timer_gate(gate);
    }
    let mut nemesis = Nemesis::new(seed, opts.faults, system);
    let mut run = Run::new(model, checks, opts, seed);
    if let Err(d) = run.replay.compare(&sim.snapshot(), None) {
        run.report.divergence = Some(d);
    } else {
        run.check_state(0);
        loop {
            if run.is_quiet(&nemesis) {
                run.judge_goal();
            }
            if let Goal::Reached { step } = run.report.goal {
                if sim.trace().len() >= step + AFTER_GOAL_STEPS_MAX {
                    break;
                }
            }
            let before = sim.trace().len();
            let poll = nemesis.poll(&mut sim);
            if !run.follow(&sim, before) {
                break;
            }
            if poll == Poll::Done {
                run.judge_goal();
                break;
            }
        }
    }
    let stopped_at = nemesis.stopped_at();
    let steps = sim
        .trace()
        .iter()
        .cloned()
        .map(ActorModelAction::from)
        .collect();
    (
        run.finish(&sim, &nemesis, stopped_at, opts.keep_traces),
        steps,
    )
}

impl<'a, A, C, H> Run<'a, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    fn new(
        model: &'a ActorModel<A, C, H>,
        checks: &'a Checks<'a, A, H>,
        opts: &RuntimeOptions,
        seed: u64,
    ) -> Self {
        let properties = model.properties();
        let mut goal: Vec<NamedPred<'a, ActorModelState<A, H>>> = Vec::new();
        for p in properties
            .iter()
            .filter(|p| p.expectation == Expectation::Eventually)
        {
            let condition = p.condition;
            goal.push((p.name, Box::new(move |s| condition(model, s))));
        }
        for (name, pred) in &checks.goal {
            goal.push((name, Box::new(move |s| pred(s))));
        }
        Self {
            model,
            checks,
            always: properties
                .into_iter()
                .filter(|p| p.expectation == Expectation::Always)
                .collect(),
            goal,
            replay: Replay::new(model),
            pending: vec![false; checks.leads_to.len()],
            report: RunReport {
                seed,
                steps: 0,
                faulty_steps: 0,
                faults: FaultCounts::default(),
                violations: Vec::new(),
                divergence: None,
                goal: Goal::NotJudged,
                goal_required: opts.require_goal,
                trace_hash: 0,
                trace: Vec::new(),
            },
        }
    }

    fn is_quiet(&self, nemesis: &Nemesis) -> bool {
        matches!(nemesis.phase(), Phase::Quiet | Phase::Done)
    }

    /// Replays the steps recorded since `before`, checking each; false on a divergence.
    fn follow(&mut self, sim: &Sim<Borrowed<'_, A>>, before: usize) -> bool {
        let trace = sim.trace();
        for (i, step) in trace.iter().enumerate().skip(before) {
            let previous = self.replay.state().clone();
            let checked = self.replay.advance(step).and_then(|()| {
                if i + 1 == trace.len() {
                    self.replay.compare(&sim.snapshot(), Some(step))
                } else {
                    Ok(())
                }
            });
            if let Err(d) = checked {
                self.report.divergence = Some(d);
                return false;
            }
            for (name, holds) in &self.checks.step_invariants {
                if !holds(&previous, self.replay.state()) {
                    record(&mut self.report.violations, name, "step", i + 1);
                }
            }
            self.check_state(i + 1);
        }
        true
    }

    fn check_state(&mut self, step: usize) {
        let state = self.replay.state();
        for p in &self.always {
            if !(p.condition)(self.model, state) {
                record(&mut self.report.violations, p.name, "always", step);
            }
        }
        for ((_, from, to), pending) in self.checks.leads_to.iter().zip(&mut self.pending) {
            if to(state) {
                *pending = false;
            } else if from(state) {
                *pending = true;
            }
        }
    }

    fn judge_goal(&mut self) {
        if matches!(self.report.goal, Goal::Reached { .. }) {
            return;
        }
        let state = self.replay.state();
        let mut unmet: Vec<String> = self
            .goal
            .iter()
            .filter(|(_, holds)| !holds(state))
            .map(|(name, _)| name.to_string())
            .collect();
        for ((name, _, _), &pending) in self.checks.leads_to.iter().zip(&self.pending) {
            if pending {
                unmet.push(name.to_string());
            }
        }
        self.report.goal = if unmet.is_empty() {
            Goal::Reached {
                step: self.replay.steps(),
            }
        } else {
            Goal::NotReached { unmet }
        };
    }

    fn finish(
        mut self,
        sim: &Sim<Borrowed<'_, A>>,
        nemesis: &Nemesis,
        faulty_steps: Option<usize>,
        keep_trace: bool,
    ) -> RunReport {
        let trace = sim.trace();
        let mut hasher = DefaultHasher::new();
        trace.hash(&mut hasher);
        self.report.steps = trace.len();
        self.report.faulty_steps = faulty_steps.unwrap_or(trace.len());
        self.report.faults = nemesis.counts();
        self.report.trace_hash = hasher.finish();
        if keep_trace || self.report.failed() {
            self.report.trace = self.words(sim, nemesis, faulty_steps);
        }
        self.report
    }

    /// The run in words: numbered steps, partitions and heals, where the nemesis stopped, and
    /// marks at the first failure of each property and at a divergence.
    fn words(
        &self,
        sim: &Sim<Borrowed<'_, A>>,
        nemesis: &Nemesis,
        faulty_steps: Option<usize>,
    ) -> Vec<String> {
        let name = |id: &Id| {
            self.checks
                .names
                .get(usize::from(*id))
                .cloned()
                .unwrap_or_else(|| format!("{id:?}"))
        };
        let notes_at = |k: usize| {
            nemesis.notes().iter().filter(move |(at, _)| *at == k).map(
                move |(_, note)| match note {
                    Note::Partition(side) => {
                        let side: Vec<String> = side.iter().map(name).collect();
                        format!("   -- partition: {{{}}} | the others", side.join(", "))
                    }
                    Note::Heal => "   -- heal".to_string(),
                },
            )
        };
        let marks_at = |k: usize| {
            let mut marks: Vec<String> = self
                .report
                .violations
                .iter()
                .filter(|v| v.step == k)
                .map(|v| format!("{} \"{}\" VIOLATED", v.kind, v.property))
                .collect();
            if let Some(d) = self.report.divergence.as_ref().filter(|d| d.step == k) {
                marks.push(format!("DIVERGES: {}", d.mismatch_words()));
            }
            if marks.is_empty() {
                String::new()
            } else {
                format!("   <- {}", marks.join("; "))
            }
        };
        let mut lines = vec![format!("  0. initial state{}", marks_at(0))];
        for (i, step) in sim.trace().iter().enumerate() {
            lines.extend(notes_at(i));
            if faulty_steps == Some(i) {
                lines.push("   -- the nemesis stops: heal, recover, no more faults".into());
            }
            let mut line = String::new();
            let action = ActorModelAction::from(step.clone());
            let _ = write!(line, "  {}. {}", i + 1, (self.checks.describe)(&action));
            if matches!(step, Step::Drop { .. }) {
                line.push_str(" (nemesis)");
            }
            line.push_str(&marks_at(i + 1));
            lines.push(line);
        }
        lines.extend(notes_at(sim.trace().len()));
        if faulty_steps == Some(sim.trace().len()) {
            lines.push("   -- the nemesis stops: heal, recover, no more faults".into());
        }
        lines
    }
}

fn record(violations: &mut Vec<Violation>, property: &str, kind: &str, step: usize) {
    if !violations.iter().any(|v| v.property == property) {
        violations.push(Violation {
            property: property.to_string(),
            kind: kind.to_string(),
            step,
        });
    }
}

impl Divergence {
    /// The mismatch alone, in words.
    pub fn mismatch_words(&self) -> String {
        match &self.mismatch {
            crate::validate::Mismatch::InitialState { field } => {
                format!("initial state differs in {field}")
            }
            crate::validate::Mismatch::NotEnabled => "not enabled in the model".into(),
            crate::validate::Mismatch::DifferentState { field } => {
                format!("the model reaches another state ({field} differs)")
            }
        }
    }
}
