//! The registry: every protocol and abstract spec, registered once. The CLI, the tests and the
//! benches find protocols here and run them through one generic code path ([`Target`]); adding a
//! protocol adds its glue file under `protocols/` and one line to [`all`].

use crate::engine::{CheckError, CheckOptions, Checkable, Kind, SimOptions, Status};
use crate::net::{NetReport, NetRequest};
use crate::params::{Param, Params};
use crate::progress::Progress;
use crate::protocols;
use crate::report::Report;
use impls::checked::{RuntimeOptions, RuntimeReport};
use impls::plain::{PlainOptions, PlainOutcome};
use models::common::{NetworkKind, SystemCfg};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;

/// A registered protocol or spec.
pub struct Entry {
    pub name: &'static str,
    /// `protocol` (actors exchanging messages) or `spec` (an abstract problem statement).
    pub kind: &'static str,
    pub description: &'static str,
    pub params: fn() -> Vec<Param>,
    pub build: fn(&Params) -> Result<Box<dyn Target>, String>,
}

/// Every registered protocol and spec, in listing order.
pub fn all() -> Vec<Entry> {
    vec![
        protocols::atomic_commit::entry(),
        protocols::two_phase_commit::entry(),
        protocols::leader_election::entry(),
        protocols::chang_roberts::entry(),
        protocols::raft_election::entry(),
        protocols::bully::entry(),
        protocols::consensus::entry(),
        protocols::paxos::entry(),
        protocols::flp::entry(),
        protocols::multi_paxos::entry(),
    ]
}

/// Looks a name up; the error lists the known names.
pub fn find(name: &str) -> Result<Entry, String> {
    let entries = all();
    let known: Vec<&str> = entries.iter().map(|e| e.name).collect();
    let known = known.join(", ");
    entries
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| format!("unknown protocol '{name}'; known: {known}"))
}

impl Entry {
    /// Resolves settings against this entry's parameters and builds its model.
    pub fn instantiate(&self, settings: &[String]) -> Result<(Params, Box<dyn Target>), String> {
        let params = Params::resolve(&(self.params)(), settings)?;
        let target = (self.build)(&params)?;
        Ok((params, target))
    }
}

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
    /// Serves stateright's web explorer on `addr`; returns only on error.
    fn explore(self: Box<Self>, addr: &str) -> Result<(), String>;
    /// Checked runs on the simulator under a seeded nemesis (see [`impls::checked`]); `None`
    /// for models that are not actor systems.
    fn runtime(&self, opts: &RuntimeOptions) -> Option<RuntimeReport>;
    /// One plain run on the simulator until the goal, for one seed, with no nemesis, no
    /// recording and no checking (see [`impls::plain`]); `None` for models that are not actor
    /// systems.
    fn run_plain(&self, opts: &PlainOptions) -> Option<PlainOutcome>;
    /// How many operations one run to the goal completes (see [`Checkable::operations`]).
    fn operations(&self) -> u64;
    /// See [`Checkable::live_after_recovery`].
    fn live_after_recovery(&self) -> bool;
    /// A node or a local cluster over UDP (see [`crate::net`]); `None` for models that are
    /// not actor systems.
    fn net(&self, req: &NetRequest) -> Option<Result<NetReport, String>>;
}

impl<M> Target for Checkable<M>
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync,
    M::Action: Clone + Debug + PartialEq + Send + Sync,
{
    fn check(
        &self,
        name: &str,
        params: &Params,
        opts: &CheckOptions,
        progress: &Progress,
    ) -> Result<Report, CheckError> {
        let outcome = Checkable::check(self, opts, progress)?;
        Ok(Report::new(
            name,
            params,
            match opts.strategy {
                crate::engine::Strategy::Bfs => "check-bfs",
                crate::engine::Strategy::Dfs => "check-dfs",
            },
            outcome,
            &*self.describe,
            &*self.view,
        ))
    }

    fn simulate(&self, name: &str, params: &Params, opts: &SimOptions) -> Report {
        let outcome = Checkable::simulate(self, opts);
        Report::new(
            name,
            params,
            "simulate",
            outcome,
            &*self.describe,
            &*self.view,
        )
    }

    fn explore(self: Box<Self>, addr: &str) -> Result<(), String> {
        // tiny_http panics when it cannot bind, so find that out first.
        drop(
            std::net::TcpListener::bind(addr)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?,
        );
        // The explorer browses the model on demand with stateright's own state hashing; the
        // verdicts and counts of `check` come from our engine.
        let _ = self.model.checker().serve(addr);
        Ok(())
    }

    fn live_after_recovery(&self) -> bool {
        self.live_after_recovery
    }

    fn runtime(&self, opts: &RuntimeOptions) -> Option<RuntimeReport> {
        self.runtime.as_ref().map(|run| run(self, opts))
    }

    fn net(&self, req: &NetRequest) -> Option<Result<NetReport, String>> {
        self.net.as_ref().map(|serve| serve(self, req))
    }

    fn run_plain(&self, opts: &PlainOptions) -> Option<PlainOutcome> {
        self.plain.as_ref().map(|run| run(self, opts))
    }

    fn operations(&self) -> u64 {
        (self.operations)(&self.model)
    }
}

/// The parameters every actor protocol takes, with that protocol's defaults.
pub fn actor_params(
    network: &'static str,
    lossy: bool,
    crashes: u64,
    crashes_max: u64,
) -> Vec<Param> {
    actor_params_on(
        &NetworkKind::NAMES,
        "message delivery: per-channel FIFO, or racing with or without redelivery",
        network,
        lossy,
        crashes,
        crashes_max,
    )
}

/// [`actor_params`] for a protocol whose configuration accepts only the `networks` listed (so
/// that sweeps over the declared choices stay valid), with the doc line that says why.
pub fn actor_params_on(
    networks: &'static [&'static str],
    network_doc: &'static str,
    network: &'static str,
    lossy: bool,
    crashes: u64,
    crashes_max: u64,
) -> Vec<Param> {
    vec![
        Param::choice("network", networks, network, network_doc),
        Param::bool("lossy", lossy, "whether the network may drop messages"),
        Param::int(
            "crashes",
            0,
            crashes_max,
            crashes,
            "how many actors may be down at the same time (crash, then maybe recover from storage)",
        ),
    ]
}

/// The common actor-system settings from resolved parameters.
pub fn system_cfg(p: &Params) -> SystemCfg {
    SystemCfg {
        network: NetworkKind::parse(p.word("network")).expect("declared choices parse"),
        lossy: p.bool("lossy"),
        crashes: p.int("crashes") as usize,
    }
}

/// Checks a registered protocol by name with `NAME=VALUE` settings: the one code path the CLI,
/// the tests and the benches share.
pub fn check(name: &str, settings: &[&str], opts: &CheckOptions) -> Result<Report, String> {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let (params, target) = find(name)?.instantiate(&settings)?;
    target
        .check(name, &params, opts, &Progress::default())
        .map_err(|e| e.to_string())
}

/// How much the check behind [`goal_promised`] may spend before it gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PromiseBudget {
    pub states_max: u64,
    pub timeout: std::time::Duration,
}

impl PromiseBudget {
    /// What `checker run --goal auto` spends: half a million states or five seconds (2PC with
    /// three RMs needs at most a quarter of a million, in under five seconds).
    pub const CLI: PromiseBudget = PromiseBudget {
        states_max: 500_000,
        timeout: std::time::Duration::from_secs(5),
    };
}

/// Whether runs of this configuration must reach their goal once the nemesis stops: the model
/// checker proves every `eventually` and leads-to property (and finds no deadlock) for the same
/// configuration *without crashes*. The crashes are left out because the checker owes no
/// recovery to a crashed actor (so 2PC with a crashed TM may block forever), while the runtime
/// recovers every actor before its quiet phase; what remains of a faulty phase then are lost,
/// duplicated and delayed messages, which the check of the crash-free configuration covers
/// when the network is lossy or duplicating. `Some(false)` when the check has no liveness
/// property or refutes one, `None` when it was cut short by `budget`.
pub fn goal_promised(
    entry: &Entry,
    settings: &[String],
    budget: PromiseBudget,
) -> Result<Option<bool>, String> {
    let mut settings = settings.to_vec();
    if (entry.params)().iter().any(|p| p.name == "crashes") {
        // With crashes, the goal is demanded only of protocols that promise liveness after
        // recovery; the crash-free check then decides it.
        let (_, target) = entry.instantiate(&settings)?;
        let params = Params::resolve(&(entry.params)(), &settings)?;
        if params.int("crashes") > 0 && !target.live_after_recovery() {
            return Ok(Some(false));
        }
        settings.push("crashes=0".into());
    }
    let (params, target) = entry.instantiate(&settings)?;
    let opts = CheckOptions {
        max_states: Some(budget.states_max),
        timeout: Some(budget.timeout),
        ..CheckOptions::default()
    };
    let report = target
        .check(entry.name, &params, &opts, &Progress::default())
        .map_err(|e| e.to_string())?;
    if !report.complete {
        return Ok(None);
    }
    let liveness = |k: Kind| matches!(k, Kind::Eventually | Kind::LeadsTo);
    let has_liveness = report.properties.iter().any(|p| liveness(p.kind));
    let proved = report
        .properties
        .iter()
        .filter(|p| liveness(p.kind) || p.name == "deadlock")
        .all(|p| p.status == Status::Holds);
    Ok(Some(has_liveness && proved))
}

/// Runs a registered protocol on the runtime by name with `NAME=VALUE` settings (see
/// [`Target::runtime`]); `None` when it is not an actor protocol. The one code path the CLI and
/// the tests share.
pub fn run(
    name: &str,
    settings: &[&str],
    opts: &RuntimeOptions,
) -> Result<Option<RuntimeReport>, String> {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let (_, target) = find(name)?.instantiate(&settings)?;
    Ok(target.runtime(opts))
}

/// Runs a registered protocol as a local UDP cluster by name with `NAME=VALUE` settings (see
/// [`Target::net`]); `None` when it cannot run over UDP (a spec, or a protocol whose model is
/// not a bare actor system). The one code path the CLI, the tests and the benches share.
pub fn cluster(
    name: &str,
    settings: &[&str],
    opts: &impls::udp::ClusterOptions,
) -> Result<Option<impls::udp::ClusterReport>, String> {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let (_, target) = find(name)?.instantiate(&settings)?;
    match target.net(&NetRequest::Cluster(*opts)) {
        None => Ok(None),
        Some(Ok(NetReport::Cluster(report))) => Ok(Some(report)),
        Some(Ok(NetReport::Node(_))) => Err("a cluster request answered with a node".into()),
        Some(Err(e)) => Err(e),
    }
}
