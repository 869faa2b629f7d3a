//! `checker explore`: check a protocol's model, then serve our explorer over the verdicts (or,
//! with `--stateright`, stateright's own explorer).

use super::check::FairnessArg;
use super::{positive_seconds, SetArgs, UsageError};
use checker::engine::CheckOptions;
use checker::params::Params;
use checker::registry::{self, Target};
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The protocol or spec to explore (`checker list` shows them all).
    name: String,
    #[command(flatten)]
    set: SetArgs,
    /// The address to serve the explorer on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Open at this trace (action indices, as printed by `check`).
    #[arg(long)]
    path: Option<String>,
    /// Fairness assumed for liveness (default: the protocol's own assumption).
    #[arg(long, value_enum)]
    fairness: Option<FairnessArg>,
    /// Stop the check behind the page after this many unique states (its verdicts are then
    /// incomplete, and the page says so).
    #[arg(long, allow_negative_numbers = true)]
    max_states: Option<u64>,
    /// Stop the check behind the page after this many seconds.
    #[arg(long, allow_negative_numbers = true)]
    timeout: Option<f64>,
    /// Serve stateright's own explorer instead (it judges liveness on terminal states only, so
    /// its liveness verdicts may differ from `check`'s).
    #[arg(long, conflicts_with_all = ["fairness", "max_states", "timeout"])]
    stateright: bool,
}

/// A validated explorer: the model to serve and the check behind it.
pub struct Plan {
    target: Box<dyn Target>,
    params: Params,
    opts: CheckOptions,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.set.set)?;
    if let Some(p) = &args.path {
        if p.is_empty() || !p.split('/').all(|i| i.parse::<usize>().is_ok()) {
            return Err(UsageError(format!(
                "--path '{p}' is not a list of action indices like 0/3/1"
            )));
        }
    }
    let timeout = match args.timeout {
        Some(t) => Some(Duration::from_secs_f64(positive_seconds("--timeout", t)?)),
        None => None,
    };
    let opts = CheckOptions {
        max_states: args.max_states,
        timeout,
        fairness: args.fairness.map(FairnessArg::fairness),
        ..CheckOptions::default()
    };
    Ok(Plan {
        target,
        params,
        opts,
    })
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Plan {
        target,
        params,
        opts,
    } = plan(&args)?;
    let Args {
        name,
        addr,
        path,
        stateright,
        ..
    } = args;
    let fragment = path.map_or(String::new(), |p| format!("#/steps/{p}"));
    if stateright {
        // Fail before printing a URL that would not answer.
        drop(
            std::net::TcpListener::bind(&addr)
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?,
        );
        println!("stateright's explorer for {name} at http://{addr}/{fragment} (Ctrl-C to stop)");
        target.explore_stateright(&addr)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Bind first: a busy port is an error before a long check, not after it.
    let listener =
        std::net::TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let url = format!(
        "http://{}/{fragment}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    eprintln!("checking {name} for the explorer's verdicts ...");
    let mut ready = |report: &checker::report::Report| {
        let violated = report
            .properties
            .iter()
            .filter(|p| p.status == checker::engine::Status::Violated)
            .count();
        eprintln!(
            "{} unique states, {} properties, {violated} violated{}",
            report.unique_states,
            report.properties.len(),
            if report.complete {
                ""
            } else {
                " (incomplete check)"
            }
        );
        println!("explorer for {name} at {url} (Ctrl-C to stop)");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    };
    target
        .explore(&name, &params, &opts, listener, &mut ready)
        .map_err(|e| UsageError(format!("{name}: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
