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
}

/// Prints a progress line to stderr at least once a second until dropped.
pub struct ProgressLine {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    pub fn start(progress: Arc<Progress>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let start = Instant::now();
            let mut printed = false;
            while !flag.load(Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let secs = start.elapsed().as_secs_f64();
                if secs < 1.0 {
                    continue;
                }
                let total = progress.total.load(Relaxed);
                eprint!(
                    "\r{total} states, {} unique, {:.0} states/s, depth {}, queue {}   ",
                    progress.unique.load(Relaxed),
                    total as f64 / secs,
                    progress.depth.load(Relaxed),
                    progress.queue.load(Relaxed),
                );
                let _ = std::io::stderr().flush();
                printed = true;
            }
            if printed {
                eprintln!();
            }
        });
        Self {
            stop,
            handle: Some(handle),
        }
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
