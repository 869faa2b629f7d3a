//! `checker`: list, check, simulate and explore the registered protocols and specs.

mod cli;

use clap::Parser;
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
    let cli = Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
