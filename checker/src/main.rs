//! `checker`: list, check, simulate and explore the registered protocols and specs.

use checker::engine::{CheckOptions, Fairness, SimOptions, Strategy};
use checker::net::{NetReport, NetRequest, NodeOptions, NodeReport};
use checker::params::{ParamKind, Params};
use checker::progress::{Progress, ProgressLine};
use checker::registry::{self, Entry, PromiseBudget};
use checker::report::Report;
use clap::{Parser, Subcommand, ValueEnum};
use impls::checked::{RuntimeOptions, RuntimeReport};
use impls::nemesis::Faults;
use impls::udp::{ClusterOptions, ClusterReport};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

// States are cloned and dropped by the million: mimalloc's per-thread free lists make that
// several times cheaper than the system allocator (measured in the commit that added it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "checker",
    version,
    about = "Exhaustively check, simulate and explore classic fault-tolerance protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every registered protocol and spec with its parameters and defaults.
    List {
        /// One JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check a protocol exhaustively and report every property.
    Check {
        name: String,
        #[command(flatten)]
        set: SetArgs,
        /// Worker threads (BFS only).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        #[arg(long, value_enum, default_value_t = StrategyArg::Bfs)]
        strategy: StrategyArg,
        /// Reduce states by the protocol's symmetry (for example interchangeable participants).
        #[arg(long)]
        symmetry: bool,
        /// Stop after this many unique states (the report is then incomplete).
        #[arg(long)]
        max_states: Option<u64>,
        /// Stop after this many seconds (the report is then incomplete).
        #[arg(long)]
        timeout: Option<f64>,
        /// One JSON object on stdout instead of text.
        #[arg(long)]
        json: bool,
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
    },
    /// Serve stateright's web explorer on a protocol's model.
    Explore {
        name: String,
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: String,
        /// Open at this trace (action indices, as printed by `check`).
        #[arg(long)]
        path: Option<String>,
    },
    /// Run an actor protocol on the deterministic simulator under a seeded nemesis: safety after
    /// every step, every step replayed through the model, the goal after healing.
    Run {
        name: String,
        #[command(flatten)]
        set: SetArgs,
        /// Seed of the first run; run i uses seed + i.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 1000)]
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
    },
    /// Run one node of an actor protocol over UDP; prints its counters at the end.
    Node {
        name: String,
        #[command(flatten)]
        set: SetArgs,
        /// This node's actor id, `0..actors` (see `--peers`).
        #[arg(long)]
        id: usize,
        /// The address to bind, like 127.0.0.1:7000.
        #[arg(long, value_name = "ADDR")]
        listen: String,
        /// Every node's address in actor-id order, comma separated, this node's included
        /// (node i is at the i-th address).
        #[arg(long, value_name = "ADDR,...")]
        peers: String,
        /// How long the node runs.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Directory where the node writes its storage and reads it back at start.
        #[arg(long, value_name = "DIR")]
        storage: Option<std::path::PathBuf>,
        /// Run id shared by every node of a run; datagrams of another epoch are dropped.
        #[arg(long, default_value_t = 1)]
        epoch: u64,
        /// Seed of the node's timer and random-choice generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// One JSON object on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run every actor of a protocol as a UDP node on 127.0.0.1 with a client workload
    /// (instances back to back); prints throughput, latency and drops, and checks safety.
    Cluster {
        name: String,
        #[command(flatten)]
        set: SetArgs,
        /// How long the workload runs.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// Stop after this many completed instances.
        #[arg(long)]
        instances: Option<u64>,
        /// Abandon an instance not at its goal after this many seconds.
        #[arg(long, default_value_t = 1.0)]
        instance_timeout: f64,
        /// Seed of the nodes' generators.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Skip trace validation (replaying every step through the model), for throughput.
        #[arg(long)]
        no_validate: bool,
        /// One JSON object on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Random walks through a protocol's model.
    Simulate {
        name: String,
        #[command(flatten)]
        set: SetArgs,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long, default_value_t = 100)]
        runs: usize,
        /// Maximum steps per walk.
        #[arg(long, default_value_t = 100)]
        depth: usize,
        /// One JSON object on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct SetArgs {
    /// Set a parameter, e.g. `--set rms=5` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FairnessArg {
    None,
    Weak,
    Strong,
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

#[derive(Clone, Copy, ValueEnum)]
enum StrategyArg {
    Bfs,
    Dfs,
}

/// A usage or configuration error: one line on stderr, exit code 2.
struct UsageError(String);

impl From<String> for UsageError {
    fn from(s: String) -> Self {
        Self(s)
    }
}

fn main() -> ExitCode {
    // Like any Unix filter, end quietly when the reader of our output goes away
    // (`checker list | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, UsageError> {
    match cli.command {
        Command::List { json } => {
            list(json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            name,
            set,
            threads,
            strategy,
            symmetry,
            max_states,
            timeout,
            json,
            fairness,
            no_deadlock,
            coverage,
            safety_only,
        } => {
            if threads == 0 {
                return Err(UsageError("--threads must be at least 1".into()));
            }
            if matches!(strategy, StrategyArg::Dfs) && threads > 1 {
                return Err(UsageError(
                    "--threads applies to --strategy bfs; dfs runs on one thread".into(),
                ));
            }
            let timeout = match timeout {
                Some(t) if !(t.is_finite() && t > 0.0) => {
                    return Err(UsageError(
                        "--timeout must be a positive number of seconds".into(),
                    ))
                }
                t => t.map(Duration::from_secs_f64),
            };
            let entry = registry::find(&name)?;
            let (params, target) = entry.instantiate(&set.set)?;
            let opts = CheckOptions {
                threads,
                strategy: match strategy {
                    StrategyArg::Bfs => Strategy::Bfs,
                    StrategyArg::Dfs => Strategy::Dfs,
                },
                symmetry,
                max_states,
                timeout,
                fairness: fairness.map(|f| match f {
                    FairnessArg::None => Fairness::None,
                    FairnessArg::Weak => Fairness::Weak,
                    FairnessArg::Strong => Fairness::Strong,
                }),
                deadlock: !no_deadlock,
                coverage,
                safety_only,
            };
            let progress = Arc::new(Progress::default());
            let line = std::io::stderr()
                .is_terminal()
                .then(|| ProgressLine::start(Arc::clone(&progress)));
            let report = target.check(&name, &params, &opts, &progress);
            drop(line);
            let report = report.map_err(|e| UsageError(format!("{name}: {e}")))?;
            emit(&entry, &params, &report, json);
            Ok(ExitCode::from(report.exit_code()))
        }
        Command::Simulate {
            name,
            set,
            seed,
            runs,
            depth,
            json,
        } => {
            let entry = registry::find(&name)?;
            let (params, target) = entry.instantiate(&set.set)?;
            let report = target.simulate(&name, &params, &SimOptions { seed, runs, depth });
            emit(&entry, &params, &report, json);
            let violated = report
                .properties
                .iter()
                .any(|p| p.status == checker::engine::Status::Violated);
            Ok(exit(!violated))
        }
        Command::Run {
            name,
            set,
            seed,
            runs,
            faults,
            goal,
            traces,
            json,
        } => run_runtime(RunArgs {
            name,
            settings: set.set,
            seed,
            runs,
            faults,
            goal,
            traces,
            json,
        }),
        Command::Node {
            name,
            set,
            id,
            listen,
            peers,
            seconds,
            storage,
            epoch,
            seed,
            json,
        } => {
            let listen = parse_addr("--listen", &listen)?;
            let peers = peers
                .split(',')
                .map(|p| parse_addr("--peers", p.trim()))
                .collect::<Result<Vec<_>, _>>()?;
            let seconds = positive_seconds("--seconds", seconds)?;
            let entry = registry::find(&name)?;
            let (_, target) = entry.instantiate(&set.set)?;
            let req = NetRequest::Node(NodeOptions {
                id,
                listen,
                peers,
                seconds,
                storage,
                epoch,
                seed,
            });
            let report = match net(&entry, &*target, &req)? {
                NetReport::Node(r) => r,
                NetReport::Cluster(_) => unreachable!("a node request answers with a node"),
            };
            if json {
                let mut doc = serde_json::to_value(&report).expect("reports serialize");
                doc["protocol"] = entry.name.into();
                println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
            } else {
                print!("{}", node_text(entry.name, &report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Cluster {
            name,
            set,
            seconds,
            instances,
            instance_timeout,
            seed,
            no_validate,
            json,
        } => {
            let seconds = positive_seconds("--seconds", seconds)?;
            let instance_timeout = positive_seconds("--instance-timeout", instance_timeout)?;
            if instances == Some(0) {
                return Err(UsageError("--instances must be at least 1".into()));
            }
            let entry = registry::find(&name)?;
            let (params, target) = entry.instantiate(&set.set)?;
            let req = NetRequest::Cluster(ClusterOptions {
                seconds,
                instances_max: instances,
                instance_timeout: Duration::from_secs_f64(instance_timeout),
                seed,
                validate: !no_validate,
            });
            let report = match net(&entry, &*target, &req)? {
                NetReport::Cluster(r) => r,
                NetReport::Node(_) => unreachable!("a cluster request answers with a cluster"),
            };
            if json {
                let mut doc = serde_json::to_value(&report).expect("reports serialize");
                doc["protocol"] = entry.name.into();
                doc["params"] = serde_json::to_value(&params).expect("params serialize");
                println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
            } else {
                print!("{}", cluster_text(entry.name, &report));
            }
            Ok(exit(!report.failed()))
        }
        Command::Explore {
            name,
            set,
            addr,
            path,
        } => {
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
            drop(
                std::net::TcpListener::bind(&addr)
                    .map_err(|e| format!("cannot listen on {addr}: {e}"))?,
            );
            let fragment = path.map_or(String::new(), |p| format!("#/steps/{p}"));
            println!("explorer for {name} at http://{addr}/{fragment} (Ctrl-C to stop)");
            target.explore(&addr)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An `IP:PORT` address, with an error naming the option.
fn parse_addr(option: &str, text: &str) -> Result<std::net::SocketAddr, UsageError> {
    text.parse().map_err(|_| {
        UsageError(format!(
            "{option}: '{text}' is not an address like 127.0.0.1:7000"
        ))
    })
}

fn positive_seconds(option: &str, seconds: f64) -> Result<f64, UsageError> {
    if seconds.is_finite() && seconds > 0.0 {
        Ok(seconds)
    } else {
        Err(UsageError(format!(
            "{option} must be a positive number of seconds"
        )))
    }
}

/// Serves a UDP request, or says why this entry cannot run over UDP.
fn net(
    entry: &Entry,
    target: &dyn registry::Target,
    req: &NetRequest,
) -> Result<NetReport, UsageError> {
    match target.net(req) {
        Some(result) => result.map_err(|e| UsageError(format!("{}: {e}", entry.name))),
        None if entry.kind == "spec" => Err(UsageError(format!(
            "{} is a spec, not an actor protocol: nothing to run over UDP",
            entry.name
        ))),
        None => Err(UsageError(format!(
            "{} cannot run over UDP: its model is not an actor system",
            entry.name
        ))),
    }
}

fn drops_text(d: &impls::udp::Drops) -> String {
    format!(
        "{} malformed, {} truncated, {} oversized, {} unknown sender, {} wrong epoch",
        d.malformed, d.truncated, d.oversized, d.unknown_sender, d.wrong_epoch
    )
}

fn node_text(protocol: &str, r: &NodeReport) -> String {
    let c = &r.counters;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "node {} ({}) of {protocol} on {}, {:.2} s",
        r.id, r.name, r.listen, r.seconds
    );
    let _ = writeln!(
        out,
        "sent {} messages in {} datagrams, received {} messages in {} datagrams, timeouts {}, random choices {}, send errors {}, storage errors {}",
        c.sent,
        c.datagrams_sent,
        c.received,
        c.datagrams_received,
        c.timeouts,
        c.randoms,
        c.send_errors,
        c.storage_errors
    );
    let _ = writeln!(out, "dropped: {}", drops_text(&c.dropped));
    let _ = writeln!(out, "state: {}", r.state);
    out
}

/// Microseconds as `850 µs` or `1.25 ms`.
fn micros(us: u64) -> String {
    if us < 1000 {
        format!("{us} µs")
    } else {
        format!("{:.2} ms", us as f64 / 1000.0)
    }
}

fn cluster_text(protocol: &str, r: &ClusterReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{protocol} over UDP: {} nodes on 127.0.0.1, {:.2} s",
        r.nodes, r.seconds
    );
    let _ = writeln!(
        out,
        "instances  {} completed ({:.0}/s), {} timed out",
        r.instances, r.instances_per_second, r.timed_out
    );
    let _ = writeln!(
        out,
        "messages   {} sent, {} received ({:.0}/s)",
        r.messages_sent, r.messages_received, r.messages_per_second
    );
    let _ = writeln!(
        out,
        "datagrams  {} sent, {} received ({} of them the cluster's wake-ups for new instances)",
        r.datagrams_sent,
        r.datagrams_received,
        r.per_node.iter().map(|c| c.wakes).sum::<u64>()
    );
    let l = &r.latency;
    let _ = writeln!(
        out,
        "latency    p50 {}, p99 {}, max {} per instance",
        micros(l.p50_us),
        micros(l.p99_us),
        micros(l.max_us)
    );
    let _ = writeln!(out, "dropped    {}", drops_text(&r.dropped));
    let divergences: Vec<_> = r
        .violations
        .iter()
        .filter(|v| v.property.starts_with("trace validation:"))
        .collect();
    if !r.options.validate {
        let _ = writeln!(out, "replayed   off (--no-validate)");
    } else if divergences.is_empty() {
        let _ = writeln!(
            out,
            "replayed   {} steps through the model: every one enabled, same states",
            r.validated_steps
        );
    } else {
        for v in &divergences {
            let _ = writeln!(
                out,
                "replayed   DIVERGED in instance {}: {}",
                v.instance, v.property
            );
        }
    }
    let violations: Vec<_> = r
        .violations
        .iter()
        .filter(|v| !v.property.starts_with("trace validation:"))
        .collect();
    if violations.is_empty() {
        let _ = writeln!(
            out,
            "safety     every always property held on every state observed"
        );
    } else {
        // One line per property: how many instances broke it, and the first.
        let mut by_property: Vec<(&str, u64, u64)> = Vec::new();
        for v in &violations {
            match by_property.iter_mut().find(|(p, _, _)| *p == v.property) {
                Some(entry) => entry.1 += 1,
                None => by_property.push((&v.property, 1, v.instance)),
            }
        }
        for (property, count, first) in by_property {
            let _ = writeln!(
                out,
                "safety     always \"{property}\" VIOLATED in {count} instance(s), first in instance {first}"
            );
        }
    }
    if r.instances == 0 {
        let _ = writeln!(out, "no instance reached its goal");
    }
    out
}

struct RunArgs {
    name: String,
    settings: Vec<String>,
    seed: u64,
    runs: usize,
    faults: FaultsArg,
    goal: GoalArg,
    traces: bool,
    json: bool,
}

/// Failing runs printed in full; the others are listed by seed.
const FAILURES_SHOWN: usize = 3;

fn run_runtime(args: RunArgs) -> Result<ExitCode, UsageError> {
    if args.runs == 0 {
        return Err(UsageError("--runs must be at least 1".into()));
    }
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate(&args.settings)?;
    let (require_goal, why) = match args.goal {
        GoalArg::Require => (true, "required (--goal require)"),
        GoalArg::Ignore => (false, "not judged (--goal ignore)"),
        GoalArg::Auto => {
            match registry::goal_promised(&entry, &args.settings, PromiseBudget::CLI)? {
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
            }
        }
    };
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
        print!("{}", runtime_text(&entry, &report, why, &reproduce));
    }
    Ok(exit(report.failures.is_empty()))
}

fn runtime_text(
    entry: &Entry,
    report: &RuntimeReport,
    goal: &str,
    reproduce: &dyn Fn(u64) -> String,
) -> String {
    let mut out = String::new();
    let o = &report.options;
    let _ = writeln!(
        out,
        "{}: {} on the simulator, seeds {}..{}, faults {}, goal {goal}",
        entry.name,
        plural(report.runs, "run"),
        o.seed,
        o.seed.wrapping_add(report.runs as u64),
        Faults::NAMES
            .iter()
            .find(|n| Faults::named(n) == Some(o.faults))
            .unwrap_or(&"custom"),
    );
    for run in &report.all {
        let _ = writeln!(out, "\nrun with seed {} ({} steps):", run.seed, run.steps);
        for line in &run.trace {
            let _ = writeln!(out, "  {line}");
        }
    }
    for run in report.failures.iter().take(FAILURES_SHOWN) {
        let _ = writeln!(out, "\nrun with seed {} FAILED:", run.seed);
        for problem in run.problems() {
            let _ = writeln!(out, "  {problem}");
        }
        let _ = writeln!(out, "  trace ({} steps):", run.steps);
        for line in &run.trace {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "  reproduce: {}", reproduce(run.seed));
    }
    if report.failures.len() > FAILURES_SHOWN {
        let seeds: Vec<String> = report.failures[FAILURES_SHOWN..]
            .iter()
            .map(|r| r.seed.to_string())
            .collect();
        let _ = writeln!(out, "\nalso failed, seeds: {}", seeds.join(" "));
    }
    let f = &report.faults;
    let _ = writeln!(
        out,
        "\n{}, {} failed, goal reached in {}; {} steps; {} crashes, {} recoveries, {} partitions; {:.2} s, {:.0} runs/s",
        plural(report.runs, "run"),
        report.failures.len(),
        report.goal_reached,
        report.steps,
        f.crashes,
        f.recoveries,
        f.partitions,
        report.seconds,
        report.runs_per_second(),
    );
    out
}

/// `1 run`, `2 runs`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The parameters whose values differ from the entry's defaults, in order.
fn non_default<'a>(
    entry: &Entry,
    params: &'a Params,
) -> Vec<(&'a str, &'a checker::params::Value)> {
    let defaults = (entry.params)();
    params
        .iter()
        .filter(|(name, value)| {
            defaults
                .iter()
                .find(|p| p.name == *name)
                .map(|p| &p.default)
                != Some(*value)
        })
        .collect()
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn emit(entry: &Entry, params: &Params, report: &Report, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).expect("reports serialize")
        );
    } else {
        print!(
            "{}",
            report.text(&|path| explore_command(entry, params, path))
        );
    }
}

/// The exact command that opens a trace in the explorer: non-default parameters and the path.
fn explore_command(entry: &Entry, params: &Params, path: &str) -> String {
    let defaults = (entry.params)();
    let mut cmd = format!("checker explore {}", entry.name);
    for (name, value) in params.iter() {
        let default = defaults.iter().find(|p| p.name == name).map(|p| &p.default);
        if default != Some(value) {
            cmd.push_str(&format!(" --set {name}={value}"));
        }
    }
    cmd.push_str(&format!(" --path {path}"));
    cmd
}

fn list(json: bool) {
    let entries = registry::all();
    if json {
        let doc: Vec<_> = entries
            .iter()
            .map(|e| {
                let params: Vec<_> = (e.params)()
                    .iter()
                    .map(|p| {
                        let mut v = serde_json::json!({
                            "name": p.name,
                            "type": match &p.kind {
                                ParamKind::Int { .. } => "int",
                                ParamKind::Bool => "bool",
                                ParamKind::Choice(_) => "choice",
                                ParamKind::Text { .. } => "text",
                            },
                            "default": p.default,
                            "doc": p.doc,
                        });
                        match &p.kind {
                            ParamKind::Int { min, max } => {
                                v["min"] = (*min).into();
                                v["max"] = (*max).into();
                            }
                            ParamKind::Choice(words) => v["choices"] = (*words).into(),
                            ParamKind::Text { hint } => v["accepts"] = (*hint).into(),
                            ParamKind::Bool => {}
                        }
                        v
                    })
                    .collect();
                serde_json::json!({
                    "name": e.name,
                    "kind": e.kind,
                    "description": e.description,
                    "params": params,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    let all: Vec<_> = entries.iter().flat_map(|e| (e.params)()).collect();
    let width = |f: &dyn Fn(&checker::params::Param) -> usize| all.iter().map(f).max().unwrap_or(0);
    let name_w = width(&|p| p.name.len());
    let type_w = width(&|p| p.type_words().len());
    let default_w = width(&|p| p.default.to_string().len());
    for e in &entries {
        println!("{} ({}): {}", e.name, e.kind, e.description);
        for p in (e.params)() {
            println!(
                "    {:<name_w$}  {:<type_w$}  default {:<default_w$}  {}",
                p.name,
                p.type_words(),
                p.default.to_string(),
                p.doc
            );
        }
    }
}
