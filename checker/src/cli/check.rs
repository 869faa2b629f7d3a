//! `checker check`: an exhaustive check of every property of a protocol's model.

use super::{emit, positive_seconds, SetArgs, TraceOut, UsageError};
use checker::engine::{CheckOptions, Fairness, Strategy};
use checker::params::Params;
use checker::progress::{Progress, ProgressLine};
use checker::registry::{self, Entry, Target};
use clap::ValueEnum;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The protocol or spec to check (`checker list` shows them all).
    name: String,
    #[command(flatten)]
    set: SetArgs,
    /// Worker threads (BFS only).
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    threads: usize,
    /// Search order: breadth first (shortest counterexamples) or depth first.
    #[arg(long, value_enum, default_value_t = StrategyArg::Bfs)]
    strategy: StrategyArg,
    /// Reduce states by the protocol's symmetry (for example interchangeable participants).
    #[arg(long)]
    symmetry: bool,
    /// Stop after this many unique states (the report is then incomplete).
    #[arg(long, allow_negative_numbers = true)]
    max_states: Option<u64>,
    /// Stop after this many seconds (the report is then incomplete).
    #[arg(long, allow_negative_numbers = true)]
    timeout: Option<f64>,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    trace: TraceOut,
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
pub(super) enum FairnessArg {
    None,
    Weak,
    Strong,
}

/// A validated check: options, the protocol and its model.
pub struct Plan {
    opts: CheckOptions,
    entry: Entry,
    params: Params,
    target: Box<dyn Target>,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    let opts = options(args)?;
    args.trace.validate()?;
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.set.set)?;
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
    let progress = Arc::new(Progress::default());
    stop_on_ctrl_c(&progress);
    let line = ProgressLine::start(Arc::clone(&progress), std::io::stderr().is_terminal());
    let report = target.check(&args.name, &params, &opts, &progress);
    drop(line);
    let report = report.map_err(|e| UsageError(format!("{}: {e}", args.name)))?;
    if progress.is_cancelled() {
        eprintln!("stopped by Ctrl-C: the report below is partial");
    }
    emit(&entry, &params, &report, args.json);
    args.trace.write(&report)?;
    Ok(ExitCode::from(report.exit_code()))
}

/// The first Ctrl-C stops the search, which then reports what it has judged (exit code 3,
/// like a limit); a second one ends the process at once.
fn stop_on_ctrl_c(progress: &Arc<Progress>) {
    let progress = Arc::clone(progress);
    let installed = ctrlc::set_handler(move || {
        if progress
            .cancelled
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: stopping the search (press again to quit at once)");
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will not print a partial report: {e}");
    }
}

impl FairnessArg {
    pub(super) fn fairness(self) -> Fairness {
        match self {
            FairnessArg::None => Fairness::None,
            FairnessArg::Weak => Fairness::Weak,
            FairnessArg::Strong => Fairness::Strong,
        }
    }
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
        Some(t) => Some(Duration::from_secs_f64(positive_seconds("--timeout", t)?)),
        None => None,
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
        fairness: args.fairness.map(FairnessArg::fairness),
        deadlock: !args.no_deadlock,
        coverage: args.coverage,
        safety_only: args.safety_only,
    })
}
