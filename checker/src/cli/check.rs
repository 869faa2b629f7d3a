//! `checker check`: an exhaustive check of every property of a protocol's model.

use super::{emit, positive_seconds, SetArgs, TraceOut, UsageError};
use checker::engine::physical_memory_bytes;
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
    /// Threads (BFS only; default: every core for BFS, one for DFS).
    #[arg(long, allow_negative_numbers = true)]
    threads: Option<usize>,
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
    /// Stop cleanly, with the partial report, before the process's memory reaches SIZE (bytes,
    /// or with K, M, G, T: 512M, 4G, 1.5G; `none` for no limit). Default: 75 % of physical
    /// memory.
    #[arg(long, value_name = "SIZE", allow_negative_numbers = true)]
    max_memory: Option<String>,
    /// Keep at most SIZE of the search's frontier in memory and spill the rest to a temporary
    /// directory, removed when the check ends (models whose states pack into bytes, such as
    /// `two-phase`). Without it such a frontier spills once the process reaches half of
    /// --max-memory.
    #[arg(long, value_name = "SIZE", allow_negative_numbers = true)]
    frontier_memory: Option<String>,
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
    if args.threads == Some(0) {
        return Err(UsageError("--threads must be at least 1".into()));
    }
    let dfs = matches!(args.strategy, StrategyArg::Dfs);
    if dfs && args.threads.is_some_and(|t| t > 1) {
        return Err(UsageError(
            "--threads applies to --strategy bfs; dfs runs on one thread".into(),
        ));
    }
    // BFS on every core unless told otherwise: counts, verdicts and traces do not depend on
    // the thread count, only time and memory do.
    let threads = match args.threads {
        Some(t) => t,
        None if dfs => 1,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let timeout = match args.timeout {
        Some(t) => Some(Duration::from_secs_f64(positive_seconds("--timeout", t)?)),
        None => None,
    };
    Ok(CheckOptions {
        threads,
        strategy: match args.strategy {
            StrategyArg::Bfs => Strategy::Bfs,
            StrategyArg::Dfs => Strategy::Dfs,
        },
        symmetry: args.symmetry,
        max_states: args.max_states,
        timeout,
        max_memory: match &args.max_memory {
            Some(size) => parse_size("--max-memory", size)?,
            None => default_max_memory(),
        },
        fairness: args.fairness.map(FairnessArg::fairness),
        deadlock: !args.no_deadlock,
        coverage: args.coverage,
        safety_only: args.safety_only,
        frontier_memory: match &args.frontier_memory {
            Some(size) => parse_size("--frontier-memory", size)?,
            None => None,
        },
    })
}

/// The default memory limit: three quarters of physical memory, where the OS says how much.
fn default_max_memory() -> Option<u64> {
    physical_memory_bytes().map(|m| m / 4 * 3)
}

/// A size in bytes (`4096`, `512K`, `512M`, `1.5G`, `2T`, binary units; `KiB`-style and
/// `KB`-style suffixes read the same), or `none` for no limit.
pub(super) fn parse_size(option: &str, text: &str) -> Result<Option<u64>, UsageError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = || {
        UsageError(format!(
            "{option} '{text}' is not a size: give bytes or a number with K, M, G or T \
             (like 512M or 4G), or none"
        ))
    };
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit
        .strip_suffix("IB")
        .or_else(|| unit.strip_suffix('B'))
        .unwrap_or(&unit);
    let scale: u64 = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(bad()),
    };
    let bytes = number * scale as f64;
    if !(1.0..=1e18).contains(&bytes) {
        return Err(UsageError(format!(
            "{option} '{text}' is out of range: give at least one byte and at most 1e18"
        )));
    }
    Ok(Some(bytes as u64))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_as_binary_units_and_bad_ones_are_usage_errors() {
        let ok = |t| parse_size("--max-memory", t).unwrap_or_else(|e| panic!("{t}: {}", e.0));
        assert_eq!(ok("4096"), Some(4096));
        assert_eq!(ok("512M"), Some(512 << 20));
        assert_eq!(ok("512MiB"), Some(512 << 20));
        assert_eq!(ok("4gb"), Some(4 << 30));
        assert_eq!(ok("1.5G"), Some(3 << 29));
        assert_eq!(ok("2T"), Some(2 << 40));
        assert_eq!(ok("none"), None);
        for bad in ["", "M", "-1G", "4X", "1e300", "0", "0.5", "1.2.3G"] {
            assert!(parse_size("--max-memory", bad).is_err(), "{bad}");
        }
    }
}
