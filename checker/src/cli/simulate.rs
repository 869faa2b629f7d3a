//! `checker simulate`: seeded random walks through a protocol's model.

use super::{at_least_one, emit, exit, SetArgs, TraceOut, UsageError};
use checker::engine::{SimOptions, Status};
use checker::params::Params;
use checker::registry::{self, Entry, Target};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The protocol or spec to simulate (`checker list` shows them all).
    name: String,
    #[command(flatten)]
    set: SetArgs,
    /// Seed of the walks' generator.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    seed: u64,
    /// Number of random walks.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
    runs: usize,
    /// Maximum steps per walk.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true)]
    depth: usize,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    trace: TraceOut,
}

/// Validated walks: options, the protocol and its model.
pub struct Plan {
    opts: SimOptions,
    entry: Entry,
    params: Params,
    target: Box<dyn Target>,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    at_least_one("--runs", args.runs as u64)?;
    args.trace.validate()?;
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.set.set)?;
    let opts = SimOptions {
        seed: args.seed,
        runs: args.runs,
        depth: args.depth,
    };
    Ok(Plan {
        opts,
        entry,
        params,
        target,
    })
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Plan {
        opts,
        entry,
        params,
        target,
    } = plan(&args)?;
    let report = target.simulate(&args.name, &params, &opts);
    emit(&entry, &params, &report, args.json);
    args.trace.write(&report)?;
    let violated = report
        .properties
        .iter()
        .any(|p| p.status == Status::Violated);
    Ok(exit(!violated))
}
