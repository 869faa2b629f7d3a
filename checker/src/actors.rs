//! What the engine and the report need to know about any stateright actor system: actions in
//! words, which actions are fair, and a readable, canonical view of a system state.

use crate::engine::{variant_name, Checkable, Event, Fairness};
use crate::target::ServedModel;
use impls::checked::{Checks, RunReport, RuntimeOptions, RuntimeReport};
use impls::plain::{PlainGoal, PlainOptions, PlainOutcome};
use impls::sim::TimerGate;
use models::common::ActorSystem;
use serde::Serialize;
use serde_json::{json, Map, Value};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, Network,
};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;

/// Human names of a system's actors, by id.
#[derive(Clone, Debug)]
pub struct Names(pub Vec<String>);

impl Names {
    pub fn of<C: ActorSystem>(cfg: &C) -> Self {
        Self(
            (0..cfg.actors().len())
                .map(|i| cfg.actor_name(Id::from(i)))
                .collect(),
        )
    }

    pub fn name(&self, id: Id) -> &str {
        self.0
            .get(usize::from(id))
            .map_or("unknown actor", String::as_str)
    }

    /// What an action did, by actor name.
    pub fn event<Msg: Debug, Timer: Debug, Random: Debug>(
        &self,
        action: &ActorModelAction<Msg, Timer, Random>,
    ) -> Event {
        let name = |id: &Id| self.name(*id).to_string();
        match action {
            ActorModelAction::Deliver { src, dst, msg } => Event::Deliver {
                from: name(src),
                to: name(dst),
                msg: format!("{msg:?}"),
            },
            ActorModelAction::Drop(Envelope { src, dst, msg }) => Event::Lose {
                from: name(src),
                to: name(dst),
                msg: format!("{msg:?}"),
            },
            ActorModelAction::Timeout(id, timer) => Event::Timeout {
                actor: name(id),
                timer: format!("{timer:?}"),
            },
            ActorModelAction::Crash(id) => Event::Crash { actor: name(id) },
            ActorModelAction::Recover(id) => Event::Recover { actor: name(id) },
            ActorModelAction::SelectRandom { actor, key, random } => Event::Choose {
                actor: name(actor),
                key: key.to_string(),
                value: format!("{random:?}"),
            },
        }
    }

    /// An action in words: `rm1 -> tm: Prepared`, `tm: timeout VoteTimeout`, `tm crashes`.
    pub fn words<Msg: Debug, Timer: Debug, Random: Debug>(
        &self,
        action: &ActorModelAction<Msg, Timer, Random>,
    ) -> String {
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                format!("{} -> {}: {msg:?}", self.name(*src), self.name(*dst))
            }
            ActorModelAction::Drop(Envelope { src, dst, msg }) => {
                format!("lost {} -> {}: {msg:?}", self.name(*src), self.name(*dst))
            }
            ActorModelAction::Timeout(id, timer) => {
                format!("{}: timeout {timer:?}", self.name(*id))
            }
            ActorModelAction::Crash(id) => format!("{} crashes", self.name(*id)),
            ActorModelAction::Recover(id) => format!("{} recovers", self.name(*id)),
            ActorModelAction::SelectRandom { actor, key, random } => {
                format!("{} chooses {key} = {random:?}", self.name(*actor))
            }
        }
    }

    /// A canonical JSON view of a system state, keyed by actor name; the network is a list of
    /// `src -> dst: msg` lines (sorted, or per channel in FIFO order on an ordered network), so
    /// equal states always print the same.
    pub fn view<A, H>(&self, state: &ActorModelState<A, H>) -> Value
    where
        A: Actor,
        A::State: Serialize,
        A::Storage: Serialize,
        A::Msg: Debug,
        A::Timer: Debug,
        A::Random: Debug,
        H: Serialize,
    {
        let mut actors = Map::new();
        for (i, s) in state.actor_states.iter().enumerate() {
            let id = Id::from(i);
            let mut entry = Map::new();
            entry.insert("state".into(), to_value(&**s));
            if state.crashed.get(i).copied().unwrap_or(false) {
                entry.insert("crashed".into(), Value::Bool(true));
            }
            if let Some(Some(storage)) = state.actor_storages.get(i) {
                // Shown only where it says more than the state (an RM that saves its whole
                // state on every change would print everything twice).
                let storage = to_value(storage);
                if entry.get("state") != Some(&storage) {
                    entry.insert("storage".into(), storage);
                }
            }
            if let Some(timers) = state.timers_set.get(i) {
                let mut t: Vec<String> = timers.iter().map(|t| format!("{t:?}")).collect();
                t.sort();
                if !t.is_empty() {
                    entry.insert("timers".into(), json!(t));
                }
            }
            if let Some(choices) = state.random_choices.get(i) {
                let mut c: Vec<String> = choices
                    .map
                    .iter()
                    .map(|(k, v)| format!("{k}: {v:?}"))
                    .collect();
                c.sort();
                if !c.is_empty() {
                    entry.insert("choosing".into(), json!(c));
                }
            }
            actors.insert(self.name(id).to_string(), Value::Object(entry));
        }
        let network = self.network_lines(&state.network);
        let mut out = Map::new();
        out.insert("actors".into(), Value::Object(actors));
        out.insert("network".into(), json!(network));
        // On a duplicating network a delivered message stays in flight: the last one delivered
        // is what tells apart two states that differ by a delivery that changed no actor.
        if let Network::UnorderedDuplicating(_, Some(last)) = &state.network {
            let last = format!(
                "{} -> {}: {:?}",
                self.name(last.src),
                self.name(last.dst),
                last.msg
            );
            out.insert(crate::report::HIDDEN_UNLESS_ALONE.into(), json!(last));
        }
        let history = to_value(&state.history);
        if history != Value::Null {
            out.insert("history".into(), history);
        }
        Value::Object(out)
    }

    /// Every message on the network as `src -> dst: msg`, repeated as often as it is in
    /// flight. (stateright 0.31's `Network::iter_all` loops forever on an ordered network and
    /// over-counts repeats on a non-duplicating one, so the variants are read directly.)
    fn network_lines<Msg: Debug + Eq + Hash>(&self, network: &Network<Msg>) -> Vec<String> {
        let line = |src: Id, dst: Id, msg: &Msg| {
            format!("{} -> {}: {msg:?}", self.name(src), self.name(dst))
        };
        let sorted = |mut lines: Vec<String>| {
            lines.sort();
            lines
        };
        match network {
            Network::UnorderedDuplicating(set, _) => {
                sorted(set.iter().map(|e| line(e.src, e.dst, &e.msg)).collect())
            }
            Network::UnorderedNonDuplicating(multiset) => sorted(
                multiset
                    .iter()
                    .flat_map(|(e, n)| std::iter::repeat_n(line(e.src, e.dst, &e.msg), *n))
                    .collect(),
            ),
            // Channels are listed in (src, dst) order, each in FIFO order.
            Network::Ordered(channels) => channels
                .iter()
                .flat_map(|((src, dst), queue)| queue.iter().map(|m| line(*src, *dst, m)))
                .collect(),
        }
    }
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| Value::String(format!("<unprintable: {e}>")))
}

/// The fairness class of an actor-system action. Delivering one particular message (sender,
/// receiver, content), firing one actor's timer, and making one actor's pending random choice
/// (whatever is chosen) are each one obligation; a loss, a crash or a recovery is never owed.
pub fn fair_class<Msg, Timer, Random>(action: &ActorModelAction<Msg, Timer, Random>) -> Option<u64>
where
    Msg: Hash,
    Timer: Hash,
{
    use crate::engine::fingerprint;
    match action {
        ActorModelAction::Deliver { src, dst, msg } => Some(fingerprint(&(0u8, src, dst, msg))),
        ActorModelAction::Timeout(id, timer) => Some(fingerprint(&(1u8, id, timer))),
        ActorModelAction::SelectRandom { actor, key, .. } => Some(fingerprint(&(2u8, actor, key))),
        ActorModelAction::Drop(_) | ActorModelAction::Crash(_) | ActorModelAction::Recover(_) => {
            None
        }
    }
}

/// The coverage kind of an action, by role: `rm receives Prepare`, `tm timeout VoteTimeout`,
/// `rm chooses vote`, `tm crashes`, `lost Prepared`.
pub fn action_kind<A: Actor>(
    roles: &[String],
    action: &ActorModelAction<A::Msg, A::Timer, A::Random>,
) -> String {
    let role = |id: &Id| roles.get(usize::from(*id)).map_or("?", String::as_str);
    let variant = |d: String| variant_name(&d).to_string();
    match action {
        ActorModelAction::Deliver { dst, msg, .. } => {
            format!("{} receives {}", role(dst), variant(format!("{msg:?}")))
        }
        ActorModelAction::Drop(env) => format!("lost {}", variant(format!("{:?}", env.msg))),
        ActorModelAction::Timeout(id, t) => {
            format!("{} timeout {}", role(id), variant(format!("{t:?}")))
        }
        ActorModelAction::Crash(id) => format!("{} crashes", role(id)),
        ActorModelAction::Recover(id) => format!("{} recovers", role(id)),
        ActorModelAction::SelectRandom { actor, key, .. } => {
            format!("{} chooses {key}", role(actor))
        }
    }
}

/// An actor system ready for the engine: its states fingerprinted with [`fingerprint`], its
/// actions fair per [`fair_class`], shown in words and views keyed by actor name, covered per
/// role. The protocol adds its own declarations (symmetry, end states, refinement, ...).
pub fn checkable<M: ServedModel>(model: M) -> Checkable<M> {
    let actors = model.actors();
    let names = Names::of(&actors.cfg);
    let roles: Vec<String> = actors.actors.iter().map(|a| a.name()).collect();
    let view_names = names.clone();
    let event_names = names.clone();
    Checkable {
        model,
        step_invariants: Vec::new(),
        leads_to: Vec::new(),
        fair_class: Box::new(fair_class),
        fairness: Fairness::Weak,
        symmetry: None,
        fingerprint,
        describe: Box::new(move |a| names.words(a)),
        event: Box::new(move |a| Some(event_names.event(a))),
        view: Box::new(move |s| view_names.view(s)),
        end_state: None,
        refinement: None,
        action_kind: Box::new(move |a| action_kind::<M::Actor>(&roles, a)),
        action_kinds: Vec::new(),
        compact: None,
    }
}

/// The goal a run must reach after healing (the declared end state, if any) and the leads-to
/// obligations it must discharge, as predicates over `c`'s states judged with `c.model`.
#[allow(clippy::type_complexity)]
fn goal_and_leads_to<M: Model>(
    c: &Checkable<M>,
) -> (
    Vec<impls::checked::NamedPred<'_, M::State>>,
    Vec<impls::checked::NamedLeadsTo<'_, M::State>>,
) {
    let model = &c.model;
    let goal = c
        .end_state
        .map(|end| {
            let pred: Box<dyn Fn(&M::State) -> bool> = Box::new(move |s| end(model, s));
            vec![("end state", pred)]
        })
        .unwrap_or_default();
    let leads_to = c
        .leads_to
        .iter()
        .map(|l| {
            let (from, to) = (l.from, l.to);
            let from: Box<dyn Fn(&M::State) -> bool> = Box::new(move |s| from(model, s));
            let to: Box<dyn Fn(&M::State) -> bool> = Box::new(move |s| to(model, s));
            (l.name, from, to)
        })
        .collect();
    (goal, leads_to)
}

/// Checked runs of an actor system on the simulator under a seeded nemesis (see
/// [`impls::checked`]): the simulator runs `actors` (the bare system of `c.model`), replays every
/// step through it and judges its `always` properties after every step; the step invariants,
/// end state and leads-to properties declared on `c` are judged with `c.model`, the end state
/// and the `eventually` properties being the goal after healing; `gate`, if any, is the
/// model's restriction on timeouts as the simulator's timer gate.
pub fn runtime_of<M, A, C, H>(
    c: &Checkable<M>,
    actors: &ActorModel<A, C, H>,
    names: &Names,
    gate: Option<TimerGate<A>>,
    opts: &RuntimeOptions,
) -> RuntimeReport
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    impls::checked::check_runs(actors, &checks_of(c, names, gate), opts)
}

/// One checked run of [`runtime_of`], with `seed`, and the run state by state as `c` shows a
/// trace: every step the simulator took (faults included) replayed through `c.model`, each
/// with its words, its event and the state after it (the first: the initial state). The
/// replay stops early only where the run parted ways with the model (a divergence, which the
/// report says).
pub fn run_steps_of<M, A, C, H>(
    c: &Checkable<M>,
    actors: &ActorModel<A, C, H>,
    names: &Names,
    gate: Option<TimerGate<A>>,
    opts: &RuntimeOptions,
    seed: u64,
) -> (RunReport, Vec<crate::report::Step>)
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let checks = checks_of(c, names, gate);
    let (report, actions) = impls::checked::check_run_steps(actors, &checks, opts, seed);
    (report, steps_of_actions(c, &c.model, actions))
}

/// Actions taken through `model` (`c`'s model, or the bare actor system a cluster validated
/// its steps against) from its (first) initial state, state by state as `c` shows a trace:
/// each with its words, its event and the state after it (the first step: the initial state).
/// Stops early at an action the model does not take (a no-op).
pub fn steps_of_actions<M, R, A, H>(
    c: &Checkable<M>,
    model: &R,
    actions: Vec<ActorModelAction<A::Msg, A::Timer, A::Random>>,
) -> Vec<crate::report::Step>
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    R: Model<State = M::State, Action = M::Action>,
    A: Actor,
    H: Clone + Debug + Hash,
{
    let mut steps = Vec::new();
    if let Some(mut state) = model.init_states().into_iter().next() {
        steps.push(crate::report::Step {
            action: "init".into(),
            event: None,
            state: (c.view)(&state),
        });
        for action in actions {
            let words = (c.describe)(&action);
            let event = (c.event)(&action);
            let Some(next) = model.next_state(&state, action) else {
                break;
            };
            state = next;
            steps.push(crate::report::Step {
                action: words,
                event,
                state: (c.view)(&state),
            });
        }
    }
    steps
}

/// What a checked run judges besides the model's own properties (see [`runtime_of`]).
fn checks_of<'a, M, A, H>(
    c: &'a Checkable<M>,
    names: &Names,
    gate: Option<TimerGate<A>>,
) -> Checks<'a, A, H>
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    A: Actor + 'a,
    H: Clone + Debug + Hash + 'a,
{
    let model = &c.model;
    let step_invariants = c
        .step_invariants
        .iter()
        .map(|inv| {
            let holds = inv.holds;
            let pred: Box<dyn Fn(&_, &_) -> bool> = Box::new(move |a, b| holds(model, a, b));
            (inv.name, pred)
        })
        .collect();
    let (goal, leads_to) = goal_and_leads_to(c);
    Checks {
        step_invariants,
        goal,
        leads_to,
        describe: Box::new(|a| (c.describe)(a)),
        names: names.0.clone(),
        timer_gate: gate,
    }
}

/// One plain run of an actor system on the simulator (see [`impls::plain`]): no nemesis, no
/// recording, no replay; the goal is the one [`runtime_of`] demands after healing, under the
/// same timer gate.
pub fn plain_of<M, A, C, H>(
    c: &Checkable<M>,
    actors: &ActorModel<A, C, H>,
    gate: Option<TimerGate<A>>,
    opts: &PlainOptions,
) -> PlainOutcome
where
    M: Model<State = ActorModelState<A, H>, Action = ActorModelAction<A::Msg, A::Timer, A::Random>>,
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let (goal, leads_to) = goal_and_leads_to(c);
    impls::plain::plain_run_gated(actors, &PlainGoal { goal, leads_to }, opts, gate)
}

/// The fingerprint of an actor-system state.
///
/// stateright 0.31's `Hash` for `HashableHashMap`/`HashableHashSet` writes the sorted hashes of
/// the entries but not how many there are, so in `Vec<Timers>` or `Vec<RandomChoices>` the
/// boundaries between actors vanish: "rm1 has a pending vote choice" and "rm2 has it" hash the
/// same and a hash-keyed search silently merges the two states. This fingerprint writes every
/// field (the destructuring below makes the compiler insist on all of them) and prefixes each
/// per-actor collection with its size.
pub fn fingerprint<A, H>(state: &ActorModelState<A, H>) -> u64
where
    A: Actor,
    H: Hash,
{
    use std::hash::Hasher;
    let ActorModelState {
        actor_states,
        network,
        timers_set,
        random_choices,
        crashed,
        history,
        actor_storages,
    } = state;
    let mut h = crate::engine::hasher();
    actor_states.hash(&mut h);
    h.write_usize(network.len());
    network.hash(&mut h);
    h.write_usize(timers_set.len());
    for timers in timers_set {
        h.write_usize(timers.iter().count());
        timers.hash(&mut h);
    }
    h.write_usize(random_choices.len());
    for choices in random_choices {
        // Entries in sorted order of their own fingerprints: map iteration order is arbitrary.
        let mut entries: Vec<u64> = choices
            .map
            .iter()
            .map(|entry| crate::engine::fingerprint(&entry))
            .collect();
        entries.sort_unstable();
        h.write_usize(entries.len());
        for e in entries {
            h.write_u64(e);
        }
    }
    crashed.hash(&mut h);
    history.hash(&mut h);
    actor_storages.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::two_phase_commit::{TmRule, TwoPcCfg, Vote};
    use stateright::Model;

    #[test]
    fn fingerprint_tells_apart_who_holds_a_random_choice() {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        let model = TwoPcCfg::new(2, system, TmRule::AllYes)
            .unwrap()
            .into_model();
        let init = model.init_states().remove(0);
        let holding = |i: usize| {
            let mut s = init.clone();
            s.random_choices[i].insert("vote".into(), vec![Vote::Yes, Vote::No]);
            s
        };
        let (rm1, rm2) = (holding(1), holding(2));
        assert_ne!(rm1, rm2);
        // stateright 0.31's own Hash merges them (the reason `fingerprint` exists) ...
        assert_eq!(
            crate::engine::fingerprint(&rm1),
            crate::engine::fingerprint(&rm2)
        );
        // ... ours does not.
        assert_ne!(fingerprint(&rm1), fingerprint(&rm2));
    }
}
