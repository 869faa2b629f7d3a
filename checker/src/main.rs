//! `checker`: list, check, simulate and explore the registered protocols and specs.

mod cli;

use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, UsageError};
use std::process::ExitCode;

// States are cloned and dropped by the million: mimalloc's per-thread free lists make that
// several times cheaper than the system allocator (measured in the commit that added it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Like any Unix filter, end quietly when the reader of our output goes away
    // (`checker list | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = cli::wants_json(&args);
    let mut command = Cli::command();
    if let Some((sub, text)) = cli::protocol_help(&args) {
        if command.find_subcommand(&sub).is_some() {
            command = command.mut_subcommand(sub, |c| c.after_help(text));
        }
    }
    let parsed = command
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if json && e.use_stderr() => return usage_error(first_line(&e.to_string()), true),
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(cli) {
        Ok(code) => code,
        Err(UsageError(msg)) => usage_error(msg, json),
    }
}

/// A usage error: one line on stderr, or `{"error": ...}` on stdout with `--json`; exit code 2.
fn usage_error(msg: String, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::json!({ "error": msg }));
    } else {
        eprintln!("error: {msg}");
    }
    ExitCode::from(2)
}

/// Clap's message without its `error: ` prefix and usage lines.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_string()
}
