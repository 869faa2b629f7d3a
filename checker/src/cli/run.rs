//! `checker run`: an actor protocol on the deterministic simulator under a seeded nemesis.

use super::{at_least_one, exit, non_default, seeds_fit, SetArgs, TraceOut, UsageError};
use checker::params::Params;
use checker::registry::{self, Entry, PromiseBudget, Target};
use checker::report::{run_failure_report, runtime_text};
use clap::ValueEnum;
use impls::checked::RuntimeOptions;
use impls::nemesis::Faults;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The actor protocol to run (`checker list` shows them all).
    name: String,
    #[command(flatten)]
    set: SetArgs,
    /// Seed of the first run; run i uses seed + i.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    seed: u64,
    /// Number of runs, each with its own seed.
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    runs: usize,
    /// How aggressive the nemesis is.
    #[arg(long, value_enum, default_value_t = FaultsArg::Default)]
    faults: FaultsArg,
    /// Whether a run must reach its goal after healing: `auto` when the model checker
    /// proves the protocol's liveness for this configuration without crashes.
    #[arg(long, value_enum, default_value_t = GoalArg::Auto)]
    goal: GoalArg,
    /// Print every run's trace, not only failing ones'.
    #[arg(long)]
    traces: bool,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    trace: TraceOut,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FaultsArg {
    None,
    Default,
    Heavy,
}

impl FaultsArg {
    fn word(self) -> &'static str {
        match self {
            FaultsArg::None => "none",
            FaultsArg::Default => "default",
            FaultsArg::Heavy => "heavy",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GoalArg {
    Auto,
    Require,
    Ignore,
}

/// Validated runs: the protocol and its model.
pub struct Plan {
    entry: Entry,
    params: Params,
    target: Box<dyn Target>,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    at_least_one("--runs", args.runs as u64)?;
    seeds_fit(args.seed, args.runs)?;
    args.trace.validate()?;
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.set.set)?;
    Ok(Plan {
        entry,
        params,
        target,
    })
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Plan {
        entry,
        params,
        target,
    } = plan(&args)?;
    let (require_goal, why) = goal(&args, &entry)?;
    let opts = RuntimeOptions {
        seed: args.seed,
        runs: args.runs,
        faults: Faults::named(args.faults.word()).expect("every level is named"),
        require_goal,
        keep_traces: args.traces,
    };
    let Some(report) = target.runtime(&opts) else {
        return Err(UsageError(format!(
            "{} is a {}, not an actor protocol: nothing to run",
            entry.name, entry.kind
        )));
    };
    let reproduce = |seed: u64| {
        let mut cmd = format!("checker run {}", entry.name);
        for (name, value) in non_default(&entry, &params) {
            cmd.push_str(&format!(" --set {name}={value}"));
        }
        cmd.push_str(&format!(
            " --seed {seed} --runs 1 --faults {}",
            args.faults.word()
        ));
        match args.goal {
            GoalArg::Auto => {}
            GoalArg::Require => cmd.push_str(" --goal require"),
            GoalArg::Ignore => cmd.push_str(" --goal ignore"),
        }
        cmd
    };
    if args.json {
        let mut doc = serde_json::to_value(&report).expect("reports serialize");
        doc["protocol"] = entry.name.into();
        doc["params"] = serde_json::to_value(&params).expect("params serialize");
        doc["runs_per_second"] = report.runs_per_second().into();
        for failure in doc["failures"].as_array_mut().into_iter().flatten() {
            let seed = failure["seed"].as_u64().unwrap_or_default();
            failure["reproduce"] = reproduce(seed).into();
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("reports serialize")
        );
    } else {
        print!("{}", runtime_text(entry.name, &report, why, &reproduce));
    }
    if args.trace.wanted() {
        // The first failing seed, run again (runs are deterministic) with its steps kept, then
        // replayed through the model state by state.
        match report.failures.first() {
            None => eprintln!("no run failed: no trace written"),
            Some(failure) => {
                let (again, steps) = target
                    .run_trace(&opts, failure.seed)
                    .expect("an actor protocol runs");
                if again.trace_hash != failure.trace_hash {
                    return Err(UsageError(format!(
                        "seed {} did not run the same way twice: no trace written",
                        failure.seed
                    )));
                }
                let doc = run_failure_report(entry.name, &params, &again, steps);
                args.trace.write(&doc)?;
                if report.failures.len() > 1 {
                    eprintln!(
                        "{} more failing seeds: export one with --seed S --runs 1",
                        report.failures.len() - 1
                    );
                }
            }
        }
    }
    Ok(exit(report.failures.is_empty()))
}

/// Whether the runs must reach their goal after healing, and why, in words for the report.
fn goal(args: &Args, entry: &Entry) -> Result<(bool, &'static str), UsageError> {
    Ok(match args.goal {
        GoalArg::Require => (true, "required (--goal require)"),
        GoalArg::Ignore => (false, "not judged (--goal ignore)"),
        GoalArg::Auto => match registry::goal_promised(entry, &args.set.set, PromiseBudget::CLI)? {
            Some(true) => (
                true,
                "required: the checker proves liveness without crashes",
            ),
            Some(false) => (
                false,
                "not required: the checker does not prove liveness without crashes, or the \
                 protocol does not promise it after recovery",
            ),
            None => (
                false,
                "not required: the liveness check without crashes did not finish \
                 (--goal require demands it anyway)",
            ),
        },
    })
}
