//! The registry: every protocol and abstract spec, registered once. The CLI, the tests and the
//! benches find protocols here and run them through one generic code path ([`Target`]); adding a
//! protocol adds its glue file under `protocols/` and one line to [`all`].

use crate::engine::{CheckError, CheckOptions, Checkable, SimOptions};
use crate::params::{Param, Params};
use crate::progress::Progress;
use crate::protocols;
use crate::report::Report;
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
            "check",
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
}

/// The parameters every actor protocol takes, with that protocol's defaults.
pub fn actor_params(
    network: &'static str,
    lossy: bool,
    crashes: u64,
    crashes_max: u64,
) -> Vec<Param> {
    vec![
        Param::choice(
            "network",
            &NetworkKind::NAMES,
            network,
            "message delivery: per-channel FIFO, or racing with or without redelivery",
        ),
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
