//! The checker itself: what liveness costs over safety on the same model, and our engine next to
//! stateright's own BFS checker on the very same `ActorModel`.
//!
//! `checker/two-phase-commit/rms=N/safety` checks invariants, step invariants, refinement and
//! deadlock; `.../liveness` adds termination under the protocol's fairness (edges recorded, SCCs,
//! fairness test); `.../stateright-bfs` is `model.checker().spawn_bfs().join()` with the same
//! properties (its `eventually` is the terminal-state check only, and its hash merges some
//! states, so its counts differ slightly).
//!
//! Before the criterion group, a head-to-head table (issue #12): our engine (safety only: every
//! invariant, step invariant, refinement and deadlock) against stateright 0.31's `spawn_bfs` on
//! the same model (one thread each), each run in a child process of this binary so that its
//! peak resident memory is its own. Printed per model: the median seconds of each (the check
//! alone, not the process), their ratio, unique states, and bytes of peak RSS per unique state.
//! For the `two-phase` spec it also times stateright's `examples/2pc.rs` as shipped (`2pc
//! check N`: DFS on all cores, with its report polled once a second, so its wall time is
//! rounded up to whole seconds), when `STATERIGHT_2PC` names that example built from
//! stateright 0.31's own sources, for example:
//!
//! ```text
//! cp -r ~/.cargo/registry/src/*/stateright-0.31.0 /tmp/ && cd /tmp/stateright-0.31.0 &&
//!   cargo build --release --example 2pc --target-dir /tmp/sr-target
//! STATERIGHT_2PC=/tmp/sr-target/release/examples/2pc cargo bench -p benches --bench checker
//! ```
//!
//! `CHECKER_H2H_RUNS` sets the runs per measurement (default 3); `CHECKER_H2H=0` skips the table.

use checker::engine::CheckOptions;
use checker::registry;
use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use stateright::{Checker, Model};
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

/// The environment variable that makes this binary a child running one check.
const CHILD: &str = "CHECKER_H2H_CHILD";

/// The models of the head-to-head: registry name and settings.
const MODELS: &[(&str, &[&str])] = &[
    ("two-phase-commit", &["rms=4"]),
    ("two-phase-commit", &["rms=5"]),
    ("paxos", &[]),
    ("raft-election", &[]),
    ("two-phase", &["rms=5"]),
    ("two-phase", &["rms=6"]),
    ("two-phase", &["rms=7"]),
    ("two-phase", &["rms=8"]),
];

/// stateright's `spawn_bfs` on `model` with `threads` threads: unique states.
fn stateright_bfs<M>(model: M, threads: usize) -> u64
where
    M: Model + Send + Sync + 'static,
    M::State: Clone + std::fmt::Debug + std::hash::Hash + PartialEq + Send + Sync + 'static,
    M::Action: Clone + std::fmt::Debug + PartialEq + Send + Sync + 'static,
{
    let done = model.checker().threads(threads).spawn_bfs().join();
    assert!(done.is_done());
    done.unique_state_count() as u64
}

/// In a child: runs one check (`ours@T` or `bfs@T`, T threads) and prints `unique seconds`.
fn child(job: &str) {
    let mut parts = job.split_whitespace();
    let (engine, name) = (parts.next().unwrap(), parts.next().unwrap());
    let (engine, threads) = engine.split_once('@').expect("engine@threads");
    let threads: usize = threads.parse().expect("a thread count");
    let settings: Vec<&str> = parts.collect();
    let start = Instant::now();
    let unique = match engine {
        "ours" => {
            let opts = CheckOptions {
                safety_only: true,
                threads,
                ..CheckOptions::default()
            };
            let report = registry::check(name, &settings, &opts).expect("registered");
            assert!(report.complete && report.all_pass(), "{name} {settings:?}");
            report.unique_states
        }
        "bfs" => match name {
            "two-phase-commit" => stateright_bfs(
                specs::two_phase_commit::model(benches::two_pc_cfg(&settings)),
                threads,
            ),
            "paxos" => {
                let p = specs::paxos::protocol();
                stateright_bfs((p.model)(p.cfg_of(&settings).expect("valid")), threads)
            }
            "raft-election" => {
                let p = specs::raft_election::protocol();
                stateright_bfs((p.model)(p.cfg_of(&settings).expect("valid")), threads)
            }
            "two-phase" => {
                let spec = specs::two_phase::spec();
                let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
                let params = specs::params::Params::resolve(&spec.params, &settings).unwrap();
                stateright_bfs((spec.model)(&params).expect("valid"), threads)
            }
            other => panic!("no stateright model for {other}"),
        },
        other => panic!("unknown engine {other}"),
    };
    println!("{unique} {}", start.elapsed().as_secs_f64());
}

/// Runs `cmd` to its end: its stdout, its wall time, and its peak resident memory in bytes.
fn run_measured(mut cmd: Command) -> (String, f64, u64) {
    let start = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let out = child.wait_with_output_no_reap();
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 reaps exactly this child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert!(reaped == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    (out, wall, usage.ru_maxrss as u64 * 1024)
}

/// Reading a child's stdout to its end without `wait` (which would reap it before `wait4`
/// reads its resource usage).
trait NoReap {
    fn wait_with_output_no_reap(self) -> String;
}

impl NoReap for std::process::Child {
    fn wait_with_output_no_reap(mut self) -> String {
        use std::io::Read;
        let mut out = String::new();
        if let Some(mut stdout) = self.stdout.take() {
            stdout.read_to_string(&mut out).expect("child stdout");
        }
        out
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The head-to-head table (see the module docs).
fn head_to_head() {
    let runs: usize = std::env::var("CHECKER_H2H_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let exe = std::env::current_exe().expect("this binary");
    println!(
        "head-to-head, safety only, median of {runs} runs (seconds of the check); ratio: bfs s / \
         ours s at 1 thread; 2t: both at 2 threads; x2: ours at 1 / ours at 2 threads"
    );
    println!(
        "{:<28} {:>10} {:>9} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>7} {:>6}",
        "model",
        "unique",
        "ours s",
        "bfs s",
        "ratio",
        "bfs uniq",
        "ours B/st",
        "bfs B/st",
        "ours 2t",
        "bfs 2t",
        "ratio",
        "x2"
    );
    for (name, settings) in MODELS {
        let measure = |engine: &str| {
            let (mut secs, mut rss, mut unique) = (Vec::new(), 0u64, 0u64);
            for _ in 0..runs {
                let mut cmd = Command::new(&exe);
                cmd.env(CHILD, format!("{engine} {name} {}", settings.join(" ")));
                let (out, _, peak) = run_measured(cmd);
                let mut words = out.split_whitespace();
                unique = words.next().and_then(|w| w.parse().ok()).expect("unique");
                secs.push(words.next().and_then(|w| w.parse().ok()).expect("seconds"));
                rss = rss.max(peak);
            }
            (median(secs), rss, unique)
        };
        let (ours, ours_rss, unique) = measure("ours@1");
        let (bfs, bfs_rss, bfs_unique) = measure("bfs@1");
        let (ours2, _, _) = measure("ours@2");
        let (bfs2, _, _) = measure("bfs@2");
        println!(
            "{:<28} {:>10} {:>9.3} {:>9.3} {:>6.2}x {:>10} {:>9.0} {:>9.0} {:>9.3} {:>9.3} {:>6.2}x {:>5.2}x",
            format!("{name} {}", settings.join(" ")),
            unique,
            ours,
            bfs,
            bfs / ours,
            bfs_unique,
            ours_rss as f64 / unique as f64,
            bfs_rss as f64 / bfs_unique as f64,
            ours2,
            bfs2,
            bfs2 / ours2,
            ours / ours2,
        );
    }
    let Some(example) = std::env::var_os("STATERIGHT_2PC") else {
        println!(
            "stateright's examples/2pc.rs: skipped (set STATERIGHT_2PC, see the bench's docs)"
        );
        return;
    };
    println!(
        "stateright's examples/2pc.rs as shipped (`2pc check N`), median wall seconds of {runs}"
    );
    for rms in 5..=8 {
        let (mut walls, mut rss, mut unique) = (Vec::new(), 0u64, String::new());
        for _ in 0..runs {
            let mut cmd = Command::new(&example);
            cmd.args(["check", &rms.to_string()]);
            cmd.env("RUST_LOG", "warn");
            let (out, wall, peak) = run_measured(cmd);
            unique = out
                .lines()
                .find_map(|l| l.strip_prefix("Done. "))
                .and_then(|l| l.split(", ").find_map(|w| w.strip_prefix("unique=")))
                .expect("the example reports its unique states")
                .to_string();
            walls.push(wall);
            rss = rss.max(peak);
        }
        let unique: f64 = unique.parse().expect("a count");
        println!(
            "  rms={rms}: {unique} unique, {:.2} s wall, {:.0} B of peak RSS per state",
            median(walls),
            rss as f64 / unique
        );
    }
}

fn checker(c: &mut Criterion) {
    let mut group = c.benchmark_group("checker");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1));
    let safety = CheckOptions {
        safety_only: true,
        ..CheckOptions::default()
    };
    let liveness = CheckOptions::default();
    for (rms, measurement_s) in [(4, 3), (5, 15)] {
        group.measurement_time(Duration::from_secs(measurement_s));
        let settings = [format!("rms={rms}")];
        let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
        let full = registry::check("two-phase-commit", &settings, &liveness).expect("registered");
        assert!(full.complete && full.all_pass());
        group.throughput(Throughput::Elements(full.unique_states));
        for (label, opts) in [("safety", &safety), ("liveness", &liveness)] {
            group.bench_function(format!("two-phase-commit/rms={rms}/{label}"), |b| {
                b.iter(|| registry::check("two-phase-commit", black_box(&settings), opts))
            });
        }
        let cfg = benches::two_pc_cfg(&settings);
        group.bench_function(format!("two-phase-commit/rms={rms}/stateright-bfs"), |b| {
            b.iter(|| {
                let model = specs::two_phase_commit::model(black_box(cfg));
                let done = model.checker().spawn_bfs().join();
                black_box(done.unique_state_count())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, checker);

fn main() {
    if let Ok(job) = std::env::var(CHILD) {
        child(&job);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let listing = args.iter().any(|a| a == "--list" || a == "--test");
    if !listing && std::env::var("CHECKER_H2H").as_deref() != Ok("0") {
        head_to_head();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
