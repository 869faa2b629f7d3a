//! The one generic code path from a declaration ([`specs::protocol::Protocol`] or
//! [`specs::protocol::Spec`]) to everything the checker does with it: check, simulate and
//! explore for every model; checked runs on the simulator, plain runs and UDP nodes and
//! clusters for actor protocols. The engine ([`crate::engine`]) only checks models; the runtime
//! hooks live here.

use crate::actors::{self, Names};
use crate::engine::{fingerprint, CheckError, CheckOptions, Checkable, SimOptions, Strategy};
use crate::net::{NetError, NetReport, NetRequest};
use crate::progress::Progress;
use crate::registry::RegistryError;
use crate::report::Report;
use impls::checked::{RuntimeOptions, RuntimeReport};
use impls::plain::{PlainOptions, PlainOutcome};
use models::common::CfgError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use specs::params::Params;
use specs::protocol::{ActionOf, Protocol, Spec, SystemModel, TimerGate};
use stateright::actor::{Actor, ActorModelAction};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;

/// An actor whose messages, timers, states, storage and choices the checker can print, the UDP
/// driver can send and store, and the search can share between threads: every actor of a
/// registered protocol.
pub trait ServedActor:
    Actor<
        Msg: Ord + Serialize + DeserializeOwned + Send + Sync,
        Timer: Ord + Serialize + Send + Sync,
        State: Serialize + Send + Sync,
        Storage: Serialize + DeserializeOwned + Send + Sync,
        Random: Serialize + Send + Sync,
    > + Sync
{
}

impl<A> ServedActor for A where
    A: Actor<
            Msg: Ord + Serialize + DeserializeOwned + Send + Sync,
            Timer: Ord + Serialize + Send + Sync,
            State: Serialize + Send + Sync,
            Storage: Serialize + DeserializeOwned + Send + Sync,
            Random: Serialize + Send + Sync,
        > + Sync
{
}

/// The model of a registered actor protocol (see [`ServedActor`]).
pub trait ServedModel: SystemModel<Actor: ServedActor, History: Serialize> {}

impl<M> ServedModel for M where M: SystemModel<Actor: ServedActor, History: Serialize> {}

/// What every registered model can do, whatever its state type.
pub trait Target: Send {
    /// Exhaustive check.
    fn check(
        &self,
        name: &str,
        params: &Params,
        opts: &CheckOptions,
        progress: &Progress,
    ) -> Result<Report, CheckError>;
    /// Random walks.
    fn simulate(&self, name: &str, params: &Params, opts: &SimOptions) -> Report;
    /// Checks the model as `check` does with `opts`, hands the report to `ready`, then serves
    /// our explorer over those verdicts on `listener` (see [`crate::explorer`]); returns only
    /// on error.
    fn explore(
        self: Box<Self>,
        name: &str,
        params: &Params,
        opts: &CheckOptions,
        listener: std::net::TcpListener,
        ready: &mut dyn FnMut(&Report),
    ) -> Result<(), RegistryError>;
    /// Serves stateright's own web explorer on `addr`; returns only on error.
    fn explore_stateright(self: Box<Self>, addr: &str) -> Result<(), RegistryError>;
    /// Checked runs on the simulator under a seeded nemesis (see [`impls::checked`]); `None`
    /// for models that are not actor systems.
    fn runtime(&self, _opts: &RuntimeOptions) -> Option<RuntimeReport> {
        None
    }
    /// One checked run of [`Target::runtime`] with `seed`, and the run state by state (faults
    /// included) as a trace of the model (see [`actors::run_steps_of`]); `None` for models
    /// that are not actor systems.
    fn run_trace(
        &self,
        _opts: &RuntimeOptions,
        _seed: u64,
    ) -> Option<(impls::checked::RunReport, Vec<crate::report::Step>)> {
        None
    }
    /// One plain run on the simulator until the goal, for one seed, with no nemesis, no
    /// recording and no checking (see [`impls::plain`]); `None` for models that are not actor
    /// systems.
    fn run_plain(&self, _opts: &PlainOptions) -> Option<PlainOutcome> {
        None
    }
    /// How many operations one run to the goal completes.
    fn operations(&self) -> u64 {
        1
    }
    /// Whether liveness holds again once crashed actors recover and faults stop.
    fn live_after_recovery(&self) -> bool {
        false
    }
    /// A node or a local cluster over UDP (see [`crate::net`]); `None` for models that are
    /// not actor systems.
    fn net(&self, _req: &NetRequest) -> Option<Result<NetReport, NetError>> {
        None
    }
}

/// `check`, `simulate` and `explore` of a target with a `checkable` field: the same for both
/// kinds of target.
macro_rules! checking_methods {
    () => {
        fn check(
            &self,
            name: &str,
            params: &Params,
            opts: &CheckOptions,
            progress: &Progress,
        ) -> Result<Report, CheckError> {
            check_report(&self.checkable, name, params, opts, progress)
        }

        fn simulate(&self, name: &str, params: &Params, opts: &SimOptions) -> Report {
            simulate_report(&self.checkable, name, params, opts)
        }

        fn explore(
            self: Box<Self>,
            name: &str,
            params: &Params,
            opts: &CheckOptions,
            listener: std::net::TcpListener,
            ready: &mut dyn FnMut(&Report),
        ) -> Result<(), RegistryError> {
            let report = check_report(&self.checkable, name, params, opts, &Progress::default())?;
            ready(&report);
            crate::explorer::serve(&self.checkable, &report, listener).map_err(|source| {
                RegistryError::Listen {
                    addr: "the explorer's address".into(),
                    source,
                }
            })
        }

        fn explore_stateright(self: Box<Self>, addr: &str) -> Result<(), RegistryError> {
            serve_explorer(self.checkable.model, addr)
        }
    };
}

/// The check and the explorer, shared by both kinds of target.
fn check_report<M>(
    c: &Checkable<M>,
    name: &str,
    params: &Params,
    opts: &CheckOptions,
    progress: &Progress,
) -> Result<Report, CheckError>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync,
    M::Action: Clone + Debug + PartialEq + Send + Sync,
{
    let outcome = c.check(opts, progress)?;
    let search = match opts.strategy {
        Strategy::Bfs => "check-bfs",
        Strategy::Dfs => "check-dfs",
    };
    Ok(Report::new(name, params, search, outcome, c))
}

fn simulate_report<M>(c: &Checkable<M>, name: &str, params: &Params, opts: &SimOptions) -> Report
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync,
    M::Action: Clone + Debug + PartialEq + Send + Sync,
{
    let outcome = c.simulate(opts);
    Report::new(name, params, "simulate", outcome, c)
}

fn serve_explorer<M>(model: M, addr: &str) -> Result<(), RegistryError>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + Serialize,
    M::Action: Clone + Debug + PartialEq + Send + Sync,
{
    // tiny_http panics when it cannot bind, so find that out first.
    drop(
        std::net::TcpListener::bind(addr).map_err(|source| RegistryError::Listen {
            addr: addr.to_string(),
            source,
        })?,
    );
    // The explorer browses the model on demand with stateright's own state hashing; the
    // verdicts and counts of `check` come from our engine.
    let _ = model.checker().serve(addr);
    Ok(())
}

/// An actor protocol's declaration applied to one configuration.
pub struct ActorTarget<M: SystemModel> {
    pub checkable: Checkable<M>,
    names: Names,
    gate: Option<TimerGate<M::Actor>>,
    operations: u64,
    live_after_recovery: bool,
}

impl<M: ServedModel> ActorTarget<M> {
    /// The declaration applied to resolved parameters.
    pub fn build(decl: &Protocol<M>, params: &Params) -> Result<Self, CfgError> {
        let cfg = (decl.cfg)(params)?;
        let mut c = actors::checkable((decl.model)(cfg.clone()))
            .with_step_invariants((decl.step_invariants)())
            .with_leads_to((decl.leads_to)())
            .with_fairness((decl.fairness)(&cfg))
            .with_action_kinds(decl.action_kinds(&cfg));
        if let Some(end) = decl.end_state {
            c = c.with_end_states(end);
        }
        if let Some(refinement) = decl.refinement {
            if let Some(r) = refinement(&cfg)? {
                c = c.with_refinement(r);
            }
        }
        if let Some(symmetry) = (decl.symmetry)(&cfg) {
            c = c.with_symmetry(symmetry);
        }
        let owed = (decl.owed_recoveries)(&cfg);
        if !owed.is_empty() {
            // A declared assumption such as "the final leader is correct": these recoveries are
            // owed, each its own class, like a delivery.
            c.fair_class = Box::new(move |a: &ActionOf<M>| match a {
                ActorModelAction::Recover(id) if owed.contains(id) => Some(fingerprint(&(3u8, id))),
                _ => actors::fair_class(a),
            });
        }
        Ok(Self {
            names: Names::of(&cfg),
            gate: (decl.timer_gate)(&cfg),
            operations: (decl.operations)(&cfg),
            live_after_recovery: decl.live_after_recovery,
            checkable: c,
        })
    }
}

impl<M: ServedModel> Target for ActorTarget<M> {
    checking_methods!();

    fn runtime(&self, opts: &RuntimeOptions) -> Option<RuntimeReport> {
        let c = &self.checkable;
        Some(actors::runtime_of(
            c,
            c.model.actors(),
            &self.names,
            self.gate,
            opts,
        ))
    }

    fn run_trace(
        &self,
        opts: &RuntimeOptions,
        seed: u64,
    ) -> Option<(impls::checked::RunReport, Vec<crate::report::Step>)> {
        let c = &self.checkable;
        Some(actors::run_steps_of(
            c,
            c.model.actors(),
            &self.names,
            self.gate,
            opts,
            seed,
        ))
    }

    fn run_plain(&self, opts: &PlainOptions) -> Option<PlainOutcome> {
        let c = &self.checkable;
        Some(actors::plain_of(c, c.model.actors(), self.gate, opts))
    }

    fn operations(&self) -> u64 {
        self.operations
    }

    fn live_after_recovery(&self) -> bool {
        self.live_after_recovery
    }

    fn net(&self, req: &NetRequest) -> Option<Result<NetReport, NetError>> {
        let c = &self.checkable;
        Some(crate::net::serve(c, c.model.actors(), &self.names.0, req))
    }
}

/// An abstract spec's declaration applied to one configuration.
pub struct SpecTarget<M: Model> {
    pub checkable: Checkable<M>,
}

impl<M> SpecTarget<M>
where
    M: Model + 'static,
    M::State: Hash + Serialize,
    M::Action: Hash + Debug,
{
    /// The declaration applied to resolved parameters.
    pub fn build(decl: &Spec<M>, params: &Params) -> Result<Self, CfgError> {
        let model = (decl.model)(params)?;
        let mut c = Checkable::new(model)
            .with_step_invariants((decl.step_invariants)())
            .with_action_kinds(decl.action_kinds.iter().map(|k| k.to_string()).collect());
        if let Some(describe) = decl.describe {
            c = c.with_describe(Box::new(describe));
        }
        if let Some(view) = decl.view {
            c = c.with_view(Box::new(view));
        }
        if let Some(end) = decl.end_state {
            c = c.with_end_states(end);
        }
        if let Some(symmetry) = decl.symmetry {
            c = c.with_symmetry(symmetry);
        }
        Ok(Self { checkable: c })
    }
}

impl<M> Target for SpecTarget<M>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + Serialize,
    M::Action: Clone + Debug + PartialEq + Send + Sync,
{
    checking_methods!();
}
