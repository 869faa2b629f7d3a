//! The command line: one module per subcommand, each with its arguments and its `run`; the
//! helpers they share (usage errors, exit codes, report output, UDP requests) live here.

mod check;
mod cluster;
mod explore;
mod list;
mod node;
mod run;
mod simulate;

use checker::net::{NetReport, NetRequest};
use checker::params::{Params, Value};
use checker::registry::{Entry, Target};
use checker::report::Report;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "checker",
    version,
    about = "Exhaustively check, simulate and explore classic fault-tolerance protocols"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every registered protocol and spec with its parameters and defaults.
    List(list::Args),
    /// Check a protocol exhaustively and report every property.
    Check(check::Args),
    /// Serve stateright's web explorer on a protocol's model.
    Explore(explore::Args),
    /// Run an actor protocol on the deterministic simulator under a seeded nemesis: safety after
    /// every step, every step replayed through the model, the goal after healing.
    Run(run::Args),
    /// Run one node of an actor protocol over UDP; prints its counters at the end.
    Node(node::Args),
    /// Run every actor of a protocol as a UDP node on 127.0.0.1 with a client workload
    /// (instances back to back); prints throughput, latency and drops, and checks safety.
    Cluster(cluster::Args),
    /// Random walks through a protocol's model.
    Simulate(simulate::Args),
}

/// Runs the subcommand; its exit code, or the usage error to print.
pub fn run(cli: Cli) -> Result<ExitCode, UsageError> {
    match cli.command {
        Command::List(args) => list::run(args),
        Command::Check(args) => check::run(args),
        Command::Explore(args) => explore::run(args),
        Command::Run(args) => run::run(args),
        Command::Node(args) => node::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Simulate(args) => simulate::run(args),
    }
}

#[derive(clap::Args)]
struct SetArgs {
    /// Set a parameter, e.g. `--set rms=5` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

/// A usage or configuration error: one line on stderr, exit code 2.
pub struct UsageError(pub String);

impl From<String> for UsageError {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<checker::registry::RegistryError> for UsageError {
    fn from(e: checker::registry::RegistryError) -> Self {
        Self(e.to_string())
    }
}

/// Exit code 0 when `ok`, else 1 (a property failed, a run failed, the search was incomplete).
fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints a check or simulation report as JSON or as text.
fn emit(entry: &Entry, params: &Params, report: &Report, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).expect("reports serialize")
        );
    } else {
        print!(
            "{}",
            report.text(&|path| explore_command(entry, params, path))
        );
    }
}

/// The exact command that opens a trace in the explorer: non-default parameters and the path.
fn explore_command(entry: &Entry, params: &Params, path: &str) -> String {
    let mut cmd = format!("checker explore {}", entry.name);
    for (name, value) in non_default(entry, params) {
        cmd.push_str(&format!(" --set {name}={value}"));
    }
    cmd.push_str(&format!(" --path {path}"));
    cmd
}

/// The parameters whose values differ from the entry's defaults, in order.
fn non_default<'a>(entry: &Entry, params: &'a Params) -> Vec<(&'a str, &'a Value)> {
    let defaults = (entry.params)();
    params
        .iter()
        .filter(|(name, value)| {
            defaults
                .iter()
                .find(|p| p.name == *name)
                .map(|p| &p.default)
                != Some(*value)
        })
        .collect()
}

/// An `IP:PORT` address, with an error naming the option.
fn parse_addr(option: &str, text: &str) -> Result<std::net::SocketAddr, UsageError> {
    text.parse().map_err(|_| {
        UsageError(format!(
            "{option}: '{text}' is not an address like 127.0.0.1:7000"
        ))
    })
}

fn positive_seconds(option: &str, seconds: f64) -> Result<f64, UsageError> {
    if seconds.is_finite() && seconds > 0.0 {
        Ok(seconds)
    } else {
        Err(UsageError(format!(
            "{option} must be a positive number of seconds"
        )))
    }
}

/// Serves a UDP request, or says why this entry cannot run over UDP.
fn net(entry: &Entry, target: &dyn Target, req: &NetRequest) -> Result<NetReport, UsageError> {
    match target.net(req) {
        Some(result) => result.map_err(|e| UsageError(format!("{}: {e}", entry.name))),
        None if entry.kind == "spec" => Err(UsageError(format!(
            "{} is a spec, not an actor protocol: nothing to run over UDP",
            entry.name
        ))),
        None => Err(UsageError(format!(
            "{} cannot run over UDP: its model is not an actor system",
            entry.name
        ))),
    }
}
