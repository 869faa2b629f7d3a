//! The declaration of a protocol: everything the checker, the simulator and the UDP driver need
//! to know about it besides its actors, in one value per protocol (`specs::<protocol>::protocol()`).
//!
//! A declaration names the protocol, its parameters (bounds and defaults from the model's
//! [`Bounds`] constants), how to build the model's configuration from them, and what the
//! protocol must satisfy: properties (attached to the model), step invariants, leads-to,
//! fairness, proper end states, a refinement into an abstract spec, a symmetry, and the facts the
//! runtime needs (whether liveness returns after recovery, a timer gate standing for a failure
//! detector, how many operations a run completes). The checker turns any declaration into its
//! check, simulate, explore, run, plain and UDP paths through one generic code path; nothing of
//! a protocol lives in the checker.
//!
//! Abstract specs ([`Spec`]) are declared the same way, without the actor-system parts.

use crate::params::{Param, Params};
use crate::{LeadsTo, StepInvariant};
use models::common::{ActorSystem, CfgError, NetworkKind, SystemBounds, SystemCfg};
use stateright::actor::{Actor, ActorModel, ActorModelAction, ActorModelState, Id};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// What a run is assumed to owe to actions of a fair class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fairness {
    /// Nothing: a run may neglect any action forever, though it never stops while an action
    /// can still change the state.
    None,
    /// A class that stays enabled is eventually taken.
    Weak,
    /// A class that is enabled again and again is eventually taken.
    Strong,
}

/// A check over one state, boxed so that it may capture a spec.
pub type StatePred<S> = Box<dyn Fn(&S) -> bool + Send + Sync>;
/// A check over one step `before -> after`.
pub type StepPred<S> = Box<dyn Fn(&S, &S) -> bool + Send + Sync>;

/// A refinement mapping into an abstract spec: every initial state must map to an initial
/// state of the spec, and every step to a step of the spec or a stutter.
pub struct Refinement<S> {
    /// The spec's registered name, for messages.
    pub spec: &'static str,
    pub init_ok: StatePred<S>,
    pub step_ok: StepPred<S>,
}

impl<S: 'static> Refinement<S> {
    /// The refinement of a model with states `S` into `spec` through `abs`.
    pub fn new<Spec>(spec_name: &'static str, spec: Spec, abs: fn(&S) -> Spec::State) -> Self
    where
        Spec: Model + Send + Sync + 'static,
        Spec::State: PartialEq,
    {
        Self::through(spec_name, spec, abs)
    }

    /// [`Refinement::new`] through an abstraction that may capture the configuration.
    pub fn through<Spec, F>(spec_name: &'static str, spec: Spec, abs: F) -> Self
    where
        Spec: Model + Send + Sync + 'static,
        Spec::State: PartialEq,
        F: Fn(&S) -> Spec::State + Send + Sync + 'static,
    {
        let spec = Arc::new(spec);
        let spec2 = Arc::clone(&spec);
        let abs = Arc::new(abs);
        let abs2 = Arc::clone(&abs);
        Self {
            spec: spec_name,
            init_ok: Box::new(move |s| spec.init_states().contains(&abs(s))),
            step_ok: Box::new(move |s, t| {
                let (a, b) = (abs2(s), abs2(t));
                a == b || spec2.next_states(&a).contains(&b)
            }),
        }
    }
}

/// A restriction on when an actor's timer may fire, given every actor's state and crash flag:
/// how a failure detector is imposed on timers (Bully's accurate detector). The checked model
/// applies it to its actions; the simulator applies the same function as its timer gate.
pub type TimerGate<A> = fn(&[Arc<<A as Actor>::State>], &[bool], Id, &<A as Actor>::Timer) -> bool;

/// The message type of a system model's actors.
pub type MsgOf<M> = <<M as SystemModel>::Actor as Actor>::Msg;
/// An action of a system model.
pub type ActionOf<M> = ActorModelAction<
    <<M as SystemModel>::Actor as Actor>::Msg,
    <<M as SystemModel>::Actor as Actor>::Timer,
    <<M as SystemModel>::Actor as Actor>::Random,
>;

/// A model over an actor system: stateright's `ActorModel` itself, or that system under a
/// restriction declared in its spec (Bully's failure detector), with the same states and
/// actions. The runtime drives [`SystemModel::actors`]; the checker explores the model.
pub trait SystemModel:
    Model<
        State = ActorModelState<Self::Actor, Self::History>,
        Action = ActorModelAction<
            <Self::Actor as Actor>::Msg,
            <Self::Actor as Actor>::Timer,
            <Self::Actor as Actor>::Random,
        >,
    > + Send
    + Sync
    + 'static
{
    type Actor: Actor<
        Msg: Ord + Send + Sync,
        Timer: Ord + Send + Sync,
        Random: Send + Sync,
        State: Send + Sync,
        Storage: Send + Sync,
    >;
    type Cfg: ActorSystem<Actor = Self::Actor> + Clone + Send + Sync + 'static;
    type History: Clone + Debug + Hash + PartialEq + Send + Sync + 'static;
    /// The bare actor system, with the model's state properties attached.
    fn actors(&self) -> &ActorModel<Self::Actor, Self::Cfg, Self::History>;
}

impl<A, C, H> SystemModel for ActorModel<A, C, H>
where
    A: Actor + Send + Sync + 'static,
    A::Msg: Ord + Send + Sync,
    A::Timer: Ord + Send + Sync,
    A::Random: Send + Sync,
    A::State: Send + Sync,
    A::Storage: Send + Sync,
    C: ActorSystem<Actor = A> + Clone + Send + Sync + 'static,
    H: Clone + Debug + Hash + PartialEq + Send + Sync + 'static,
{
    type Actor = A;
    type Cfg = C;
    type History = H;
    fn actors(&self) -> &Self {
        self
    }
}

/// One kind of action a configuration can fire, by role: the vocabulary of `--coverage`. A
/// declaration lists what each role receives and which timers and choices it has; crashes and
/// recoveries per role and the loss of each received message kind follow from the system
/// settings (see [`ActionKinds::complete`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionKinds {
    kinds: Vec<String>,
    received: Vec<&'static str>,
}

impl ActionKinds {
    /// `role` receives messages of each kind in `msgs` (message kinds are the `...MsgKind`
    /// variants models derive, so a renamed message cannot leave a stale name here).
    pub fn receives<K: Into<&'static str>>(
        &mut self,
        role: &str,
        msgs: impl IntoIterator<Item = K>,
    ) -> &mut Self {
        for m in msgs {
            let m: &'static str = m.into();
            self.kinds.push(format!("{role} receives {m}"));
            if !self.received.contains(&m) {
                self.received.push(m);
            }
        }
        self
    }

    /// `role` sets `timer` and may see it fire.
    pub fn timeout<T: Debug>(&mut self, role: &str, timer: T) -> &mut Self {
        let debug = format!("{timer:?}");
        self.kinds
            .push(format!("{role} timeout {}", crate::variant_name(&debug)));
        self
    }

    /// `role` makes the random choice `key`.
    pub fn chooses(&mut self, role: &str, key: &str) -> &mut Self {
        self.kinds.push(format!("{role} chooses {key}"));
        self
    }

    /// The declared kinds, plus `R crashes` / `R recovers` for every role `R` of `roles` when
    /// actors may crash, and `lost M` for every received kind `M` when the network is lossy.
    pub fn complete(mut self, roles: &[String], system: &SystemCfg) -> Vec<String> {
        if system.crashes > 0 {
            let mut seen: Vec<&str> = Vec::new();
            for role in roles {
                if !seen.contains(&role.as_str()) {
                    seen.push(role);
                    self.kinds.push(format!("{role} crashes"));
                    self.kinds.push(format!("{role} recovers"));
                }
            }
        }
        if system.lossy {
            for m in &self.received {
                self.kinds.push(format!("lost {m}"));
            }
        }
        self.kinds
    }

    /// The kinds without the derived ones (for specs, whose actions have no roles).
    pub fn into_vec(self) -> Vec<String> {
        self.kinds
    }
}

/// The refinement a configuration declares: `None` where the abstract spec does not apply (a
/// configuration larger than the spec models).
pub type RefinementOf<M> =
    fn(&<M as SystemModel>::Cfg) -> Result<Option<Refinement<<M as Model>::State>>, CfgError>;

/// A representative of a state's symmetry class.
pub type Symmetry<S> = fn(&S) -> S;
/// A predicate over states of `M`, judged with the model.
pub type Pred<M> = fn(&M, &<M as Model>::State) -> bool;

/// The declaration of an actor protocol (see the module docs). Build one with
/// [`Protocol::new`] and the builder methods; every field has a sensible default.
pub struct Protocol<M: SystemModel> {
    pub name: &'static str,
    pub description: &'static str,
    /// The protocol's own parameters; [`Protocol::params`] adds the system settings.
    pub own_params: Vec<Param>,
    /// The networks, loss and crashes the model accepts, with their defaults.
    pub system: SystemBounds,
    /// The configuration from resolved parameters ([`Protocol::system_cfg`] reads the system
    /// settings).
    pub cfg: fn(&Params) -> Result<M::Cfg, CfgError>,
    /// The checked model of a configuration, with its state properties.
    pub model: fn(M::Cfg) -> M,
    pub step_invariants: fn() -> Vec<StepInvariant<M>>,
    pub leads_to: fn() -> Vec<LeadsTo<M>>,
    /// The fairness liveness is judged under unless the user picks another.
    pub fairness: fn(&M::Cfg) -> Fairness,
    /// States in which stopping is a proper end, not a deadlock; also the goal of runs.
    pub end_state: Option<Pred<M>>,
    /// The abstract spec the protocol refines, for configurations where it applies.
    pub refinement: Option<RefinementOf<M>>,
    /// A canonical representative of interchangeable actors, for configurations that have one.
    pub symmetry: fn(&M::Cfg) -> Option<Symmetry<M::State>>,
    /// Whether liveness holds again once crashed actors recover and faults stop (the runtime
    /// then demands the goal after healing; the checker never owes a recovery).
    pub live_after_recovery: bool,
    /// How many operations one run to the goal completes (1 for one transaction, decision or
    /// election).
    pub operations: fn(&M::Cfg) -> u64,
    /// The failure detector imposed on timers, if the model restricts them.
    pub timer_gate: fn(&M::Cfg) -> Option<TimerGate<M::Actor>>,
    /// Actors whose recovery is owed (fair) rather than a fault: an assumption such as Ω's
    /// "the final leader is correct".
    pub owed_recoveries: fn(&M::Cfg) -> Vec<Id>,
    /// What each role receives, and its timers and choices (see [`ActionKinds`]).
    pub actions: fn(&M::Cfg, &mut ActionKinds),
}

impl<M: SystemModel> Protocol<M> {
    /// A protocol named `name` with no parameters of its own, built by `cfg` and `model`,
    /// judged under weak fairness, with every other declaration empty.
    pub fn new(
        name: &'static str,
        description: &'static str,
        system: SystemBounds,
        cfg: fn(&Params) -> Result<M::Cfg, CfgError>,
        model: fn(M::Cfg) -> M,
    ) -> Self {
        Self {
            name,
            description,
            own_params: Vec::new(),
            system,
            cfg,
            model,
            step_invariants: Vec::new,
            leads_to: Vec::new,
            fairness: |_| Fairness::Weak,
            end_state: None,
            refinement: None,
            symmetry: |_| None,
            live_after_recovery: false,
            operations: |_| 1,
            timer_gate: |_| None,
            owed_recoveries: |_| Vec::new(),
            actions: |_, _| {},
        }
    }

    /// Adds a parameter of the protocol's own.
    pub fn param(mut self, param: Param) -> Self {
        self.own_params.push(param);
        self
    }

    pub fn step_invariants(mut self, invariants: fn() -> Vec<StepInvariant<M>>) -> Self {
        self.step_invariants = invariants;
        self
    }

    pub fn leads_to(mut self, properties: fn() -> Vec<LeadsTo<M>>) -> Self {
        self.leads_to = properties;
        self
    }

    pub fn fairness(mut self, fairness: fn(&M::Cfg) -> Fairness) -> Self {
        self.fairness = fairness;
        self
    }

    pub fn end_states(mut self, end: Pred<M>) -> Self {
        self.end_state = Some(end);
        self
    }

    pub fn refinement(mut self, refinement: RefinementOf<M>) -> Self {
        self.refinement = Some(refinement);
        self
    }

    pub fn symmetry(mut self, symmetry: fn(&M::Cfg) -> Option<Symmetry<M::State>>) -> Self {
        self.symmetry = symmetry;
        self
    }

    /// Declares that liveness holds again once crashed actors recover and faults stop.
    pub fn live_after_recovery(mut self) -> Self {
        self.live_after_recovery = true;
        self
    }

    pub fn operations(mut self, operations: fn(&M::Cfg) -> u64) -> Self {
        self.operations = operations;
        self
    }

    pub fn timer_gate(mut self, gate: fn(&M::Cfg) -> Option<TimerGate<M::Actor>>) -> Self {
        self.timer_gate = gate;
        self
    }

    pub fn owed_recoveries(mut self, owed: fn(&M::Cfg) -> Vec<Id>) -> Self {
        self.owed_recoveries = owed;
        self
    }

    pub fn actions(mut self, actions: fn(&M::Cfg, &mut ActionKinds)) -> Self {
        self.actions = actions;
        self
    }

    /// Every parameter: the protocol's own, then `network`, `lossy` and `crashes`.
    pub fn params(&self) -> Vec<Param> {
        let mut params = self.own_params.clone();
        params.extend(system_params(&self.system));
        params
    }

    /// The configuration for `NAME=VALUE` settings over the defaults: what tests and benches
    /// use to build a configuration the way the command line does.
    pub fn cfg_of(&self, settings: &[&str]) -> Result<M::Cfg, crate::params::ParamError> {
        let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
        let params = Params::resolve(&self.params(), &settings)?;
        Ok((self.cfg)(&params)?)
    }

    /// Every kind of action a configuration could fire (see [`ActionKinds`]).
    pub fn action_kinds(&self, cfg: &M::Cfg) -> Vec<String> {
        let mut kinds = ActionKinds::default();
        (self.actions)(cfg, &mut kinds);
        let roles: Vec<String> = cfg.actors().iter().map(|a| a.name()).collect();
        kinds.complete(&roles, &cfg.system())
    }
}

/// The `network`, `lossy` and `crashes` parameters for `bounds`.
pub fn system_params(bounds: &SystemBounds) -> Vec<Param> {
    let names: &'static [&'static str] = if bounds.networks.len() == NetworkKind::ALL.len() {
        &NetworkKind::NAMES
    } else {
        match bounds.network {
            NetworkKind::Ordered => &["ordered"],
            NetworkKind::UnorderedDuplicating => &["unordered-duplicating"],
            NetworkKind::UnorderedNonDuplicating => &["unordered-nonduplicating"],
        }
    };
    let network_doc = match bounds.networks_why {
        None => "message delivery: per-channel FIFO, or racing with or without redelivery",
        Some(why) => why,
    };
    vec![
        Param::choice("network", names, bounds.network.name(), network_doc),
        Param::bool(
            "lossy",
            bounds.lossy,
            "whether the network may drop messages",
        ),
        Param::bounded(
            bounds.crashes,
            "how many actors may be down at the same time (crash, then maybe recover from storage)",
        ),
    ]
}

/// The system settings from resolved parameters (declared by [`system_params`]).
pub fn system_cfg(p: &Params) -> SystemCfg {
    SystemCfg {
        network: NetworkKind::parse(p.word("network")).unwrap_or(NetworkKind::Ordered),
        lossy: p.bool("lossy"),
        crashes: p.int("crashes") as usize,
    }
}

/// How an abstract spec's actions and states read.
pub type DescribeFn<A> = fn(&A) -> String;

/// The declaration of an abstract spec: a plain stateright model, checkable on its own.
pub struct Spec<M: Model> {
    pub name: &'static str,
    pub description: &'static str,
    pub params: Vec<Param>,
    pub model: fn(&Params) -> Result<M, CfgError>,
    pub step_invariants: fn() -> Vec<StepInvariant<M>>,
    pub end_state: Option<Pred<M>>,
    /// An action in words; `None`: its `Debug` text.
    pub describe: Option<DescribeFn<M::Action>>,
    /// A state as JSON; `None`: its `Serialize` form.
    pub view: Option<fn(&M::State) -> serde_json::Value>,
    /// Every action kind (the action enum's variants).
    pub action_kinds: Vec<&'static str>,
    /// A representative of a state's class under the spec's symmetry, if it declares one.
    pub symmetry: Option<Symmetry<M::State>>,
}

impl<M: Model> Spec<M> {
    /// A spec named `name`, built by `model`, with no other declaration.
    pub fn new(
        name: &'static str,
        description: &'static str,
        model: fn(&Params) -> Result<M, CfgError>,
    ) -> Self {
        Self {
            name,
            description,
            params: Vec::new(),
            model,
            step_invariants: Vec::new,
            end_state: None,
            describe: None,
            view: None,
            action_kinds: Vec::new(),
            symmetry: None,
        }
    }

    pub fn param(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }

    pub fn step_invariants(mut self, invariants: fn() -> Vec<StepInvariant<M>>) -> Self {
        self.step_invariants = invariants;
        self
    }

    pub fn end_states(mut self, end: Pred<M>) -> Self {
        self.end_state = Some(end);
        self
    }

    pub fn describe(mut self, describe: DescribeFn<M::Action>) -> Self {
        self.describe = Some(describe);
        self
    }

    pub fn view(mut self, view: fn(&M::State) -> serde_json::Value) -> Self {
        self.view = Some(view);
        self
    }

    pub fn action_kinds(mut self, kinds: &[&'static str]) -> Self {
        self.action_kinds = kinds.to_vec();
        self
    }

    /// Declares interchangeable parts (`--symmetry`): `representative` must map every state of
    /// a class to one state of that class, and every property must read classes, not states.
    pub fn symmetry(mut self, representative: Symmetry<M::State>) -> Self {
        self.symmetry = Some(representative);
        self
    }
}
