//! The registry: every protocol and abstract spec, registered once, one line each. A
//! protocol's whole checking side is its declaration in `specs` (`specs::<protocol>::protocol()`);
//! the CLI, the tests and the benches find it here and run it through one generic code path
//! ([`crate::target`]).

use crate::engine::{CheckError, CheckOptions, Kind, Status};
use crate::net::{NetError, NetReport, NetRequest};
use crate::progress::Progress;
use crate::report::Report;
pub use crate::target::Target;
use crate::target::{ActorTarget, ServedModel, SpecTarget};
use impls::checked::{RuntimeOptions, RuntimeReport};
use models::common::CfgError;
use serde::Serialize;
use specs::params::{Param, ParamError, Params};
use specs::protocol::{Protocol, Spec};
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// Every registered protocol and spec, in listing order: one line each.
pub fn all() -> Vec<Entry> {
    vec![
        spec(specs::atomic_commit::spec()),
        packed_spec(specs::two_phase::spec()),
        actor(specs::two_phase_commit::protocol()),
        actor(specs::three_phase_commit::protocol()),
        actor(specs::paxos_commit::protocol()),
        spec(specs::leader_election::spec()),
        actor(specs::chang_roberts::protocol()),
        actor(specs::raft_election::protocol()),
        actor(specs::bully::protocol()),
        spec(specs::consensus::spec()),
        actor(specs::paxos::protocol()),
        actor(specs::flp::protocol()),
        actor(specs::multi_paxos::protocol()),
        spec(specs::byzantine_agreement::spec()),
        actor(specs::om::protocol()),
        actor(specs::sm::protocol()),
        spec(specs::reliable_broadcast::spec()),
        actor(specs::bracha_broadcast::protocol()),
        spec(specs::dissemination::spec()),
        actor(specs::gossip::protocol()),
        actor(specs::anti_entropy::protocol()),
        actor(specs::rate_limiter::token_bucket()),
        actor(specs::rate_limiter::sliding_window()),
        actor(specs::rate_limiter::fixed_window()),
        spec(specs::reliable_channel::spec()),
        actor(specs::sliding_window::stop_and_wait()),
        actor(specs::sliding_window::go_back_n()),
        actor(specs::sliding_window::selective_repeat()),
        spec(specs::linearizable_register::spec()),
        actor(specs::abd::protocol()),
        actor(specs::lww_register::protocol()),
    ]
}

/// What an entry is: actors exchanging messages, or an abstract problem statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Protocol,
    Spec,
}

impl EntryKind {
    /// `protocol` or `spec`, as `list` prints it.
    pub fn word(self) -> &'static str {
        match self {
            EntryKind::Protocol => "protocol",
            EntryKind::Spec => "spec",
        }
    }
}

/// How an entry builds its model for resolved parameters.
pub type BuildFn = Box<dyn Fn(&Params) -> Result<Box<dyn Target>, CfgError> + Send + Sync>;

/// Why a registry call could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No protocol or spec of that name.
    #[error("unknown protocol '{name}'; known: {known}")]
    Unknown { name: String, known: String },
    /// A setting that does not apply.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A configuration the model refuses.
    #[error(transparent)]
    Cfg(#[from] CfgError),
    /// A check that cannot be run as asked.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// A node or cluster that could not run.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The explorer's address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// A registered protocol or spec.
pub struct Entry {
    pub name: &'static str,
    /// `protocol` (actors exchanging messages) or `spec` (an abstract problem statement).
    pub kind: &'static str,
    pub description: &'static str,
    /// Its parameters, with bounds and defaults.
    pub params: Box<dyn Fn() -> Vec<Param> + Send + Sync>,
    /// Its model for resolved parameters, ready for every path the CLI offers.
    pub build: BuildFn,
}

impl Entry {
    /// Whether this is an actor protocol (runs on the simulator and over UDP).
    pub fn entry_kind(&self) -> EntryKind {
        if self.kind == EntryKind::Protocol.word() {
            EntryKind::Protocol
        } else {
            EntryKind::Spec
        }
    }
}

/// The registry line of an actor protocol.
pub fn actor<M: ServedModel>(decl: Protocol<M>) -> Entry {
    let decl = Arc::new(decl);
    let (params_decl, build_decl) = (Arc::clone(&decl), Arc::clone(&decl));
    Entry {
        name: decl.name,
        kind: EntryKind::Protocol.word(),
        description: decl.description,
        params: Box::new(move || params_decl.params()),
        build: Box::new(move |p| {
            ActorTarget::build(&build_decl, p).map(|t| Box::new(t) as Box<dyn Target>)
        }),
    }
}

/// The registry line of an abstract spec.
pub fn spec<M>(decl: Spec<M>) -> Entry
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + Serialize,
    M::Action: Clone + Debug + Hash + PartialEq + Send + Sync,
{
    spec_entry(decl, None)
}

/// An abstract spec whose states wait in the search's frontier packed into their serde bytes
/// ([`crate::engine::Compact::serde`]): for specs checked at sizes where the frontier holds
/// hundreds of thousands of states.
pub fn packed_spec<M>(decl: Spec<M>) -> Entry
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + Serialize,
    M::State: serde::de::DeserializeOwned,
    M::Action: Clone + Debug + Hash + PartialEq + Send + Sync,
{
    spec_entry(decl, Some(crate::engine::Compact::serde()))
}

/// The registry line of an abstract spec, its frontier packed by `compact` if given.
fn spec_entry<M>(decl: Spec<M>, compact: Option<crate::engine::Compact<M::State>>) -> Entry
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + Debug + Hash + PartialEq + Send + Sync + Serialize,
    M::Action: Clone + Debug + Hash + PartialEq + Send + Sync,
{
    let decl = Arc::new(decl);
    let (params_decl, build_decl) = (Arc::clone(&decl), Arc::clone(&decl));
    Entry {
        name: decl.name,
        kind: EntryKind::Spec.word(),
        description: decl.description,
        params: Box::new(move || params_decl.params.clone()),
        build: Box::new(move |p| {
            SpecTarget::build(&build_decl, p).map(|mut t| {
                t.checkable.compact = compact;
                Box::new(t) as Box<dyn Target>
            })
        }),
    }
}

/// Looks a name up; the error lists the known names.
pub fn find(name: &str) -> Result<Entry, RegistryError> {
    let entries = all();
    let known: Vec<&str> = entries.iter().map(|e| e.name).collect();
    let known = known.join(", ");
    entries
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| RegistryError::Unknown {
            name: name.to_string(),
            known,
        })
}

impl Entry {
    /// Resolves settings against this entry's parameters and builds its model.
    pub fn instantiate(
        &self,
        settings: &[String],
    ) -> Result<(Params, Box<dyn Target>), RegistryError> {
        self.build_with(Params::resolve(&(self.params)(), settings)?)
    }

    /// The same for a run over UDP (`cluster`, `node`): parameters with a default of their
    /// own over UDP take it ([`Params::resolve_over_udp`]).
    pub fn instantiate_over_udp(
        &self,
        settings: &[String],
    ) -> Result<(Params, Box<dyn Target>), RegistryError> {
        self.build_with(Params::resolve_over_udp(&(self.params)(), settings)?)
    }

    fn build_with(&self, params: Params) -> Result<(Params, Box<dyn Target>), RegistryError> {
        let target = (self.build)(&params)?;
        Ok((params, target))
    }
}

/// Checks a registered protocol by name with `NAME=VALUE` settings: the one code path the CLI,
/// the tests and the benches share.
pub fn check(name: &str, settings: &[&str], opts: &CheckOptions) -> Result<Report, RegistryError> {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let (params, target) = find(name)?.instantiate(&settings)?;
    Ok(target.check(name, &params, opts, &Progress::default())?)
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
) -> Result<Option<bool>, RegistryError> {
    let mut settings = settings.to_vec();
    if (entry.params)().iter().any(|p| p.name == "crashes") {
        // With crashes, the goal is demanded only of protocols that promise liveness after
        // recovery; the crash-free check then decides it.
        let (_, target) = entry.instantiate(&settings)?;
        let params = Params::resolve(&(entry.params)(), &settings)?;
        if params.int("crashes") > 0 && !target.live_after_recovery() {
            return Ok(Some(false));
        }
        // The setting replaces the user's (a parameter may be set only once).
        settings.retain(|s| {
            s.split_once('=')
                .is_none_or(|(name, _)| name.trim() != "crashes")
        });
        settings.push("crashes=0".into());
    }
    let (params, target) = entry.instantiate(&settings)?;
    let opts = CheckOptions {
        max_states: Some(budget.states_max),
        timeout: Some(budget.timeout),
        ..CheckOptions::default()
    };
    let report = target.check(entry.name, &params, &opts, &Progress::default())?;
    if !report.complete {
        return Ok(None);
    }
    let liveness = |k: Kind| matches!(k, Kind::Eventually | Kind::LeadsTo);
    let has_liveness = report.properties.iter().any(|p| liveness(p.kind));
    let proved = report
        .properties
        .iter()
        .filter(|p| liveness(p.kind) || p.name == "deadlock")
        // A verdict that holds only within the model's bound promises nothing beyond it.
        .all(|p| p.status == Status::Holds && !p.bounded);
    Ok(Some(has_liveness && proved))
}

/// Runs a registered protocol on the runtime by name with `NAME=VALUE` settings (see
/// [`Target::runtime`]); `None` when it is not an actor protocol. The one code path the CLI and
/// the tests share.
pub fn run(
    name: &str,
    settings: &[&str],
    opts: &RuntimeOptions,
) -> Result<Option<RuntimeReport>, RegistryError> {
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
) -> Result<Option<impls::udp::ClusterReport>, RegistryError> {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    let (_, target) = find(name)?.instantiate_over_udp(&settings)?;
    match target.net(&NetRequest::Cluster(opts.clone())).transpose()? {
        None => Ok(None),
        Some(NetReport::Cluster(report, _)) => Ok(Some(report)),
        Some(NetReport::Node(_)) => unreachable!("a cluster request is answered with a cluster"),
    }
}
