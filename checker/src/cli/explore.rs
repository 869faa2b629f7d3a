//! `checker explore`: stateright's web explorer on a protocol's model.

use super::{SetArgs, UsageError};
use checker::registry;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    name: String,
    #[command(flatten)]
    set: SetArgs,
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: String,
    /// Open at this trace (action indices, as printed by `check`).
    #[arg(long)]
    path: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Args {
        name,
        set,
        addr,
        path,
    } = args;
    let entry = registry::find(&name)?;
    let (_, target) = entry.instantiate(&set.set)?;
    if let Some(p) = &path {
        if p.is_empty() || !p.split('/').all(|i| i.parse::<usize>().is_ok()) {
            return Err(UsageError(format!(
                "--path '{p}' is not a list of action indices like 0/3/1"
            )));
        }
    }
    // Fail before printing a URL that would not answer.
    drop(std::net::TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?);
    let fragment = path.map_or(String::new(), |p| format!("#/steps/{p}"));
    println!("explorer for {name} at http://{addr}/{fragment} (Ctrl-C to stop)");
    target.explore(&addr)?;
    Ok(ExitCode::SUCCESS)
}
