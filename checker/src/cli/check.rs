//! `checker check`: an exhaustive check of every property of a protocol's model.

use super::{emit, SetArgs, UsageError};
use checker::engine::{CheckOptions, Fairness, Strategy};
use checker::progress::{Progress, ProgressLine};
use checker::registry;
use clap::ValueEnum;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    name: String,
    #[command(flatten)]
    set: SetArgs,
    /// Worker threads (BFS only).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long, value_enum, default_value_t = StrategyArg::Bfs)]
    strategy: StrategyArg,
    /// Reduce states by the protocol's symmetry (for example interchangeable participants).
    #[arg(long)]
    symmetry: bool,
    /// Stop after this many unique states (the report is then incomplete).
    #[arg(long)]
    max_states: Option<u64>,
    /// Stop after this many seconds (the report is then incomplete).
    #[arg(long)]
    timeout: Option<f64>,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Fairness assumed for liveness (default: the protocol's own assumption).
    #[arg(long, value_enum)]
    fairness: Option<FairnessArg>,
    /// Do not report reachable states without successors as deadlocks.
    #[arg(long)]
    no_deadlock: bool,
    /// Count how often each kind of action fired, and list kinds that never did.
    #[arg(long)]
    coverage: bool,
    /// Check safety only: skip eventually and leads-to properties.
    #[arg(long)]
    safety_only: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Bfs,
    Dfs,
}

#[derive(Clone, Copy, ValueEnum)]
enum FairnessArg {
    None,
    Weak,
    Strong,
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let opts = options(&args)?;
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.set.set)?;
    let progress = Arc::new(Progress::default());
    let line = std::io::stderr()
        .is_terminal()
        .then(|| ProgressLine::start(Arc::clone(&progress)));
    let report = target.check(&args.name, &params, &opts, &progress);
    drop(line);
    let report = report.map_err(|e| UsageError(format!("{}: {e}", args.name)))?;
    emit(&entry, &params, &report, args.json);
    Ok(ExitCode::from(report.exit_code()))
}

/// The engine's options, or the usage error of the first option out of range.
fn options(args: &Args) -> Result<CheckOptions, UsageError> {
    if args.threads == 0 {
        return Err(UsageError("--threads must be at least 1".into()));
    }
    if matches!(args.strategy, StrategyArg::Dfs) && args.threads > 1 {
        return Err(UsageError(
            "--threads applies to --strategy bfs; dfs runs on one thread".into(),
        ));
    }
    let timeout = match args.timeout {
        Some(t) if !(t.is_finite() && t > 0.0) => {
            return Err(UsageError(
                "--timeout must be a positive number of seconds".into(),
            ))
        }
        t => t.map(Duration::from_secs_f64),
    };
    Ok(CheckOptions {
        threads: args.threads,
        strategy: match args.strategy {
            StrategyArg::Bfs => Strategy::Bfs,
            StrategyArg::Dfs => Strategy::Dfs,
        },
        symmetry: args.symmetry,
        max_states: args.max_states,
        timeout,
        fairness: args.fairness.map(|f| match f {
            FairnessArg::None => Fairness::None,
            FairnessArg::Weak => Fairness::Weak,
            FairnessArg::Strong => Fairness::Strong,
        }),
        deadlock: !args.no_deadlock,
        coverage: args.coverage,
        safety_only: args.safety_only,
    })
}
