//! Plain runs of any actor protocol: the [`Sim`] with no nemesis, no recording and no trace
//! validation, from one seed until the run reaches its goal, goes quiet, or runs out of steps.
//! This is what the runtime costs when nothing watches it, so it is what the benchmarks time
//! (`benches/benches/runtime.rs`); [`crate::checked`] is the same run under a nemesis, checked
//! after every step.
//!
//! # The goal
//!
//! The same as a checked run's: every `eventually` property of the model and the protocol's
//! extra goal predicates (its end state) hold together, and no leads-to obligation is open.
//! Evaluating it means building the model's view of the system ([`Sim::snapshot`]: the network
//! as the model sees it, timers, random choices), which costs more than most steps, so it is
//! judged only every [`PlainOptions::goal_every`] steps and once more when the run stops
//! (quiescent or out of steps), not in the initial state. A run may therefore take up to `goal_every - 1` steps past the
//! goal before it stops; with `goal_every = 1` it stops at the first step that reaches it.
//! Because leads-to obligations are seen only at those points, a leads-to `P ~> Q` blocks the
//! goal when a judged state has `P` without `Q`; an obligation opened and closed between two
//! judged states is not seen (a checked run sees every step).
//!
//! # The model's history
//!
//! Properties take the model's state, history included (multi-Paxos's linearizability tester).
//! The simulator's snapshot has no history, so a plain run keeps it itself: every actor is run
//! through a [`Historian`], which calls the model's `record_msg_in` on every delivery the model
//! would make (not the no-op deliveries it skips on unordered networks) and `record_msg_out` on
//! every message sent, in the model's order. For a model without history these hooks return
//! `None` and cost a function call per message.

use crate::sim::{Sim, SimCfg};
use stateright::actor::{
    is_no_op, Actor, ActorModel, ActorModelState, Command, Envelope, Id, Network, Out,
};
use stateright::{Expectation, Model};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::Duration;

/// A predicate over system states, named.
pub type NamedPred<'a, S> = crate::checked::NamedPred<'a, S>;
/// A leads-to property `from ~> to`, named.
pub type NamedLeadsTo<'a, S> = crate::checked::NamedLeadsTo<'a, S>;

/// How a plain run is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainOptions {
    /// Seed of the simulator; the run is a function of it.
    pub seed: u64,
    /// Most steps the run takes.
    pub max_steps: usize,
    /// The goal is judged every this many steps (at least 1), and when the run stops.
    pub goal_every: usize,
}

impl Default for PlainOptions {
    /// Seed 0, a million steps, the goal judged every 32 steps.
    fn default() -> Self {
        Self {
            seed: 0,
            max_steps: 1_000_000,
            goal_every: 32,
        }
    }
}

/// Where a plain run ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlainOutcome {
    /// Steps taken (deliveries, timeouts, random choices).
    pub steps: usize,
    /// Messages handed to `on_msg`.
    pub messages_delivered: usize,
    /// Whether the goal held when the run stopped.
    pub goal_reached: bool,
    /// The goal predicates that did not hold when the run stopped (empty when reached).
    pub unmet: Vec<String>,
    /// Whether nothing was left to happen.
    pub quiescent: bool,
    /// The virtual clock when the run stopped.
    pub virtual_time: Duration,
}

/// What a run's goal is made of besides the model's `eventually` properties.
pub struct PlainGoal<'a, A: Actor, H> {
    /// Predicates that must hold too (the protocol's proper end state).
    pub goal: Vec<NamedPred<'a, ActorModelState<A, H>>>,
    /// Leads-to properties: no obligation may be open in the state that reaches the goal.
    pub leads_to: Vec<NamedLeadsTo<'a, ActorModelState<A, H>>>,
}

/// An actor run on behalf of an `ActorModel`, keeping the model's history of messages (see the
/// module documentation). It delegates every handler, so its states and messages are `A`'s.
pub struct Historian<'a, A: Actor, C, H>
where
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    pub actor: &'a A,
    pub model: &'a ActorModel<A, C, H>,
    pub history: &'a RefCell<H>,
}

impl<A, C, H> Historian<'_, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    /// Records every send in `out` with the model's `record_msg_out`, then hands `out` on.
    fn send_out(&self, id: Id, mut out: Out<A>, o: &mut Out<Self>) {
        for command in out.iter() {
            if let Command::Send(dst, msg) = command {
                let envelope = Envelope {
                    src: id,
                    dst: *dst,
                    msg,
                };
                let next =
                    (self.model.record_msg_out)(&self.model.cfg, &self.history.borrow(), envelope);
                if let Some(next) = next {
                    *self.history.borrow_mut() = next;
                }
            }
        }
        o.append(&mut out);
    }
}

impl<A, C, H> Actor for Historian<'_, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    type Msg = A::Msg;
    type State = A::State;
    type Timer = A::Timer;
    type Random = A::Random;
    type Storage = A::Storage;

    fn on_start(&self, id: Id, storage: &Option<A::Storage>, o: &mut Out<Self>) -> A::State {
        let mut out = Out::<A>::new();
        let state = self.actor.on_start(id, storage, &mut out);
        self.send_out(id, out, o);
        state
    }

    fn on_msg(&self, id: Id, state: &mut Cow<A::State>, src: Id, msg: A::Msg, o: &mut Out<Self>) {
        let mut out = Out::<A>::new();
        // The model passes the message by value and records it afterwards: keep a copy only
        // when it may be recorded.
        let copy = msg.clone();
        self.actor.on_msg(id, state, src, msg, &mut out);
        // The model skips a no-op delivery on an unordered network, history included.
        let ordered = matches!(self.model.init_network, Network::Ordered(_));
        if ordered || !is_no_op(state, &out) {
            let envelope = Envelope {
                src,
                dst: id,
                msg: &copy,
            };
            let next =
                (self.model.record_msg_in)(&self.model.cfg, &self.history.borrow(), envelope);
            if let Some(next) = next {
                *self.history.borrow_mut() = next;
            }
        }
        self.send_out(id, out, o);
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<A::State>, timer: &A::Timer, o: &mut Out<Self>) {
        let mut out = Out::<A>::new();
        self.actor.on_timeout(id, state, timer, &mut out);
        self.send_out(id, out, o);
    }

    fn on_random(&self, id: Id, state: &mut Cow<A::State>, random: &A::Random, o: &mut Out<Self>) {
        let mut out = Out::<A>::new();
        self.actor.on_random(id, state, random, &mut out);
        self.send_out(id, out, o);
    }

    fn name(&self) -> String {
        self.actor.name()
    }
}

/// One plain run of `model`'s actors on its network and fault settings (no fault is injected),
/// with the simulator's default latency; see the module documentation.
pub fn plain_run<A, C, H>(
    model: &ActorModel<A, C, H>,
    goal: &PlainGoal<'_, A, H>,
    opts: &PlainOptions,
) -> PlainOutcome
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    plain_run_gated(model, goal, opts, None)
}

/// [`plain_run`] with the simulator's timer gate (see "Timer gates" in [`crate::sim`]): for a
/// protocol analysed under a failure detector the model imposes on its timeouts.
pub fn plain_run_gated<A, C, H>(
    model: &ActorModel<A, C, H>,
    goal: &PlainGoal<'_, A, H>,
    opts: &PlainOptions,
    gate: Option<crate::sim::TimerGate<A>>,
) -> PlainOutcome
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let history = RefCell::new(model.init_history.clone());
    let actors: Vec<Historian<'_, A, C, H>> = model
        .actors
        .iter()
        .map(|actor| Historian {
            actor,
            model,
            history: &history,
        })
        .collect();
    let sim_cfg = SimCfg {
        seed: opts.seed,
        max_steps: opts.max_steps,
        ..SimCfg::default()
    };
    let system = crate::checked::system_of(model);
    let mut sim = Sim::new(actors, system, sim_cfg).expect("the default rates are valid");
    sim.set_recording(false);
    if let Some(gate) = gate {
        sim.set_timer_gate(gate);
    }
    let eventually: Vec<stateright::Property<ActorModel<A, C, H>>> = model
        .properties()
        .into_iter()
        .filter(|p| p.expectation == Expectation::Eventually)
        .collect();
    let unmet = |sim: &Sim<Historian<'_, A, C, H>>| -> Vec<String> {
        let state = model_state(sim.snapshot(), history.borrow().clone());
        let mut unmet: Vec<String> = eventually
            .iter()
            .filter(|p| !(p.condition)(model, &state))
            .map(|p| p.name.to_string())
            .collect();
        unmet.extend(
            goal.goal
                .iter()
                .filter(|(_, holds)| !holds(&state))
                .map(|(name, _)| name.to_string()),
        );
        unmet.extend(
            goal.leads_to
                .iter()
                .filter(|(_, from, to)| from(&state) && !to(&state))
                .map(|(name, _, _)| name.to_string()),
        );
        unmet
    };
    // The initial state is not judged: no protocol starts at its goal, and a snapshot costs
    // as much as a small protocol's whole run.
    let every = opts.goal_every.max(1);
    let unmet_now = loop {
        let target = sim.steps().saturating_add(every);
        let outcome = sim.run_until(|s| s.steps() >= target);
        let unmet_now = unmet(&sim);
        if unmet_now.is_empty() || outcome.quiescent || outcome.steps >= opts.max_steps {
            break unmet_now;
        }
    };
    let outcome = sim.outcome();
    PlainOutcome {
        steps: outcome.steps,
        messages_delivered: outcome.messages_delivered,
        goal_reached: unmet_now.is_empty(),
        unmet: unmet_now,
        quiescent: outcome.quiescent,
        virtual_time: outcome.virtual_time,
    }
}

/// The simulator's snapshot of historians as the model's state of `A`, with `history`.
fn model_state<A, C, H>(
    snapshot: ActorModelState<Historian<'_, A, C, H>, ()>,
    history: H,
) -> ActorModelState<A, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let ActorModelState {
        actor_states,
        network,
        timers_set,
        random_choices,
        crashed,
        history: (),
        actor_storages,
    } = snapshot;
    ActorModelState {
        actor_states,
        network,
        timers_set,
        random_choices,
        crashed,
        history,
        actor_storages,
    }
}
