//! `checker simulate`: seeded random walks through a protocol's model.

use super::{emit, exit, SetArgs, UsageError};
use checker::engine::{SimOptions, Status};
use checker::registry;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    name: String,
    #[command(flatten)]
    set: SetArgs,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Maximum steps per walk.
    #[arg(long, default_value_t = 100)]
    depth: usize,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.set.set)?;
    let opts = SimOptions {
        seed: args.seed,
        runs: args.runs,
        depth: args.depth,
    };
    let report = target.simulate(&args.name, &params, &opts);
    emit(&entry, &params, &report, args.json);
    let violated = report
        .properties
        .iter()
        .any(|p| p.status == Status::Violated);
    Ok(exit(!violated))
}
