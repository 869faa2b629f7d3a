//! Counters the engine publishes while it runs, and the live line printed from them.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Live counters of a running check; written by the engine, read by the progress printer.
#[derive(Default)]
pub struct Progress {
    pub total: AtomicU64,
    pub unique: AtomicU64,
    pub depth: AtomicU64,
    pub queue: AtomicU64,
    /// Set by the user (Ctrl-C): the search stops as at a limit, and the report is partial.
    pub cancelled: AtomicBool,
}

impl Progress {
    /// Whether the user asked the search to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }
}

/// Prints progress to stderr until dropped: on a terminal, one line rewritten about four times
/// a second; otherwise (a log file, CI), a new line every ten seconds, as TLC does.
pub struct ProgressLine {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    pub fn start(progress: Arc<Progress>, terminal: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let every = if terminal {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(10)
        };
        let handle = std::thread::spawn(move || {
            let start = Instant::now();
            let mut next = every;
            let mut printed = false;
            while !flag.load(Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let elapsed = start.elapsed();
                if elapsed < next {
                    continue;
                }
                let line = line(&progress, elapsed);
                if terminal {
                    eprint!("\r{line}   ");
                    next = elapsed;
                } else {
                    eprintln!("{line}");
                    next += every;
                }
                let _ = std::io::stderr().flush();
                printed = true;
            }
            if printed && terminal {
                eprintln!();
            }
        });
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

/// One progress report: elapsed time and the engine's counters.
fn line(progress: &Progress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let total = progress.total.load(Relaxed);
    format!(
        "{}: {total} states, {} unique, {:.0} states/s, depth {}, queue {}",
        elapsed_text(elapsed.as_secs()),
        progress.unique.load(Relaxed),
        total as f64 / secs,
        progress.depth.load(Relaxed),
        progress.queue.load(Relaxed),
    )
}

/// Elapsed whole seconds as `h:mm:ss` (or `m:ss` under an hour).
fn elapsed_text(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_progress_line_starts_with_the_elapsed_time() {
        let p = Progress::default();
        p.total.store(500, Relaxed);
        p.unique.store(200, Relaxed);
        assert_eq!(
            line(&p, Duration::from_secs(10)),
            "0:10: 500 states, 200 unique, 50 states/s, depth 0, queue 0"
        );
        assert_eq!(elapsed_text(3 * 3600 + 62), "3:01:02");
    }
}
