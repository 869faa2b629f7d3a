//! `checker explore`: stateright's web explorer on a protocol's model.

use super::{SetArgs, UsageError};
use checker::registry::{self, Target};
use std::process::ExitCode;

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
}

/// A validated explorer: the model to serve.
pub struct Plan {
    target: Box<dyn Target>,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    let entry = registry::find(&args.name)?;
    let (_, target) = entry.instantiate(&args.set.set)?;
    if let Some(p) = &args.path {
        if p.is_empty() || !p.split('/').all(|i| i.parse::<usize>().is_ok()) {
            return Err(UsageError(format!(
                "--path '{p}' is not a list of action indices like 0/3/1"
            )));
        }
    }
    Ok(Plan { target })
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Plan { target } = plan(&args)?;
    let Args {
        name, addr, path, ..
    } = args;
    // Fail before printing a URL that would not answer.
    drop(std::net::TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?);
    let fragment = path.map_or(String::new(), |p| format!("#/steps/{p}"));
    println!("explorer for {name} at http://{addr}/{fragment} (Ctrl-C to stop)");
    target.explore(&addr)?;
    Ok(ExitCode::SUCCESS)
}
