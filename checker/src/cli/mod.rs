//! The command line: one module per subcommand, each with its arguments and its `run`; the
//! helpers they share (usage errors, exit codes, report output, UDP requests) live here.

mod check;
mod cluster;
mod explore;
mod list;
mod node;
mod run;
mod simulate;

use checker::net::{NetReport, NetRequest};
use checker::params::{Params, Value};
use checker::registry::{Entry, Target};
use checker::report::export::{write_traces, TraceFormat};
use checker::report::Report;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Printed after `checker --help`: what the exit codes mean, and two examples.
const AFTER_HELP: &str = "\
Exit codes:
  0  everything checked holds (or the command succeeded)
  1  a property is violated, or a run or cluster failed
  2  usage error: unknown protocol, parameter or option, value out of range
  3  incomplete: a limit (--max-states, --timeout) or Ctrl-C stopped the search, or a verdict
     rests on a bounded model (\"holds within the bound\")

Examples:
  checker check two-phase-commit --set crashes=1
  checker run paxos --runs 200 --faults heavy

`checker list` shows every protocol with its parameters; `checker <command> <name> --help`
lists that protocol's parameters under the command's options.";

#[derive(Parser)]
#[command(
    name = "checker",
    version,
    about = "Exhaustively check, simulate and explore classic fault-tolerance protocols",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every registered protocol and spec with its parameters and defaults.
    List(list::Args),
    /// Check a protocol exhaustively and report every property.
    Check(check::Args),
    /// Check a protocol, then browse its model and the verdicts' counterexamples in a web page.
    Explore(explore::Args),
    /// Run an actor protocol on the deterministic simulator under a seeded nemesis: safety after
    /// every step, every step replayed through the model, the goal after healing.
    Run(run::Args),
    /// Run one node of an actor protocol over UDP; prints its counters at the end.
    Node(node::Args),
    /// Run every actor of a protocol as a UDP node on 127.0.0.1 with a client workload
    /// (instances back to back); prints throughput, latency and drops, and checks safety.
    Cluster(cluster::Args),
    /// Random walks through a protocol's model.
    Simulate(simulate::Args),
    /// Print a shell completion script, e.g. `checker completions bash > ~/.checker.bash`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs the subcommand; its exit code, or the usage error to print.
pub fn run(cli: Cli) -> Result<ExitCode, UsageError> {
    match cli.command {
        Command::List(args) => list::run(args),
        Command::Check(args) => check::run(args),
        Command::Explore(args) => explore::run(args),
        Command::Run(args) => run::run(args),
        Command::Node(args) => node::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "checker", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Everything a command checks before it starts working: options in range, protocol and
/// parameters known and consistent. Side-effect free (nothing runs, nothing is bound), so that
/// a test can feed it any argument vector.
#[cfg(test)]
pub fn validate(cli: &Cli) -> Result<(), UsageError> {
    match &cli.command {
        Command::List(_) | Command::Completions { .. } => Ok(()),
        Command::Check(args) => check::plan(args).map(drop),
        Command::Explore(args) => explore::plan(args).map(drop),
        Command::Run(args) => run::plan(args).map(drop),
        Command::Node(args) => node::plan(args).map(drop),
        Command::Cluster(args) => cluster::plan(args).map(drop),
        Command::Simulate(args) => simulate::plan(args).map(drop),
    }
}

/// Whether the command line asks for JSON output (errors then go to stdout as JSON too).
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.iter().any(|a| a == "--json")
}

/// The parameters of the protocol named on a `checker <command> <name> --help` line, as text
/// for the end of that command's help; `None` for any other command line.
pub fn protocol_help(args: &[std::ffi::OsString]) -> Option<(String, String)> {
    let words: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    if !words.iter().any(|w| *w == "--help" || *w == "-h") {
        return None;
    }
    let (command, name) = (words.first()?, words.get(1)?);
    let entry = checker::registry::find(name).ok()?;
    let mut text = format!("Parameters of {} (--set NAME=VALUE):\n", entry.name);
    for p in (entry.params)() {
        text.push_str(&format!(
            "  {:<16} {}, default {}: {}\n",
            p.name,
            p.type_words(),
            p.default_words(),
            p.doc
        ));
    }
    Some((command.to_string(), text))
}

#[derive(clap::Args)]
struct SetArgs {
    /// Set a parameter, e.g. `--set rms=5` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

/// The network a UDP node provides: the channel and the faults injected on the wire
/// (`checker cluster` and `checker node`).
#[derive(clap::Args)]
struct NetArgs {
    /// The channel between nodes: `reliable` (the checked Selective Repeat machine per pair
    /// of nodes), `raw` (datagrams, nothing retransmitted) or `auto` (the network the model
    /// was checked on: reliable for lossy=false, raw for lossy=true).
    #[arg(long, default_value = "auto", value_name = "auto|reliable|raw")]
    transport: String,
    /// Drop each datagram sent with probability P (in [0, 1]), from the seed.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "P",
        allow_negative_numbers = true
    )]
    loss: f64,
    /// Send each datagram twice with probability P (in [0, 1]).
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "P",
        allow_negative_numbers = true
    )]
    duplicate: f64,
    /// Hold each datagram for a delay drawn from MIN..MAX (like 1ms..5ms); per peer in order
    /// unless --reorder.
    #[arg(long, value_name = "MIN..MAX")]
    delay: Option<String>,
    /// Draw each datagram's delay independently, so that later ones overtake earlier ones
    /// (alone: a delay of 0..1 ms).
    #[arg(long)]
    reorder: bool,
    /// Cut nodes off from each other for a while, like `0,1|2,3@1s..2s` (sides separated by
    /// `|`, unlisted nodes one more side; times since the node started). Repeatable.
    #[arg(long, value_name = "SPEC")]
    partition: Vec<String>,
}

impl NetArgs {
    /// The validated channel choice and faults.
    fn parse(&self) -> Result<(Option<impls::udp::Transport>, impls::udp::WireFaults), UsageError> {
        use impls::udp::{faults, Transport, WireFaults};
        let transport = match self.transport.as_str() {
            "auto" => None,
            "reliable" => Some(Transport::Reliable),
            "raw" => Some(Transport::Raw),
            other => {
                return Err(UsageError(format!(
                    "--transport must be auto, reliable or raw, got '{other}'"
                )))
            }
        };
        let err = |e: faults::FaultError| UsageError(e.to_string());
        let delay = self
            .delay
            .as_deref()
            .map(faults::parse_delay)
            .transpose()
            .map_err(err)?;
        let partitions = self
            .partition
            .iter()
            .map(|p| p.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let faults = WireFaults::new(self.loss, self.duplicate, delay, self.reorder, partitions)
            .map_err(err)?;
        Ok((transport, faults))
    }
}

/// A usage or configuration error: one line on stderr, exit code 2.
pub struct UsageError(pub String);

impl From<String> for UsageError {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<checker::registry::RegistryError> for UsageError {
    fn from(e: checker::registry::RegistryError) -> Self {
        Self(e.to_string())
    }
}

/// Exit code 0 when `ok`, else 1 (a property failed, a run failed, the search was incomplete).
fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Where and how to write the traces of violated properties.
#[derive(clap::Args)]
struct TraceOut {
    /// Write each violated property's trace (for `run`, the first failing seed's run; for
    /// `cluster`, the first failing instance, its nodes' steps replayed through the model) to
    /// this file (several: one file each, named after the property); the format follows the
    /// ending: .itf.json, .mmd, .json, .txt.
    #[arg(long, value_name = "FILE")]
    trace_out: Option<std::path::PathBuf>,
    /// The format of --trace-out, whatever the file's ending.
    #[arg(long, value_enum, requires = "trace_out")]
    trace_format: Option<TraceFormatArg>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TraceFormatArg {
    Itf,
    Mermaid,
    Json,
    Text,
}

impl TraceOut {
    /// The usage error of a --trace-out whose format cannot be told.
    fn validate(&self) -> Result<(), UsageError> {
        match &self.trace_out {
            Some(path) if self.trace_format.is_none() && TraceFormat::of_path(path).is_none() => {
                Err(UsageError(format!(
                    "--trace-out {}: say --trace-format, or end the name in .itf.json, .mmd, \
                     .json or .txt",
                    path.display()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Whether a trace file is asked for.
    fn wanted(&self) -> bool {
        self.trace_out.is_some()
    }

    /// Writes the report's violated traces, if asked; says where on stderr.
    fn write(&self, report: &Report) -> Result<(), UsageError> {
        let Some(path) = &self.trace_out else {
            return Ok(());
        };
        let format = self.trace_format.map(|f| match f {
            TraceFormatArg::Itf => TraceFormat::Itf,
            TraceFormatArg::Mermaid => TraceFormat::Mermaid,
            TraceFormatArg::Json => TraceFormat::Json,
            TraceFormatArg::Text => TraceFormat::Text,
        });
        let written = write_traces(report, path, format).map_err(UsageError)?;
        if written.is_empty() {
            eprintln!("no property is violated: no trace written");
        }
        for file in written {
            eprintln!("trace written to {}", file.display());
        }
        Ok(())
    }
}

/// Prints a check or simulation report as JSON or as text.
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
    let mut cmd = format!("checker explore {}", entry.name);
    for (name, value) in non_default(entry, params) {
        cmd.push_str(&format!(" --set {name}={value}"));
    }
    cmd.push_str(&format!(" --path {path}"));
    cmd
}

/// The parameters whose values differ from the entry's defaults, in order.
fn non_default<'a>(entry: &Entry, params: &'a Params) -> Vec<(&'a str, &'a Value)> {
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

/// An `IP:PORT` address, with an error naming the option.
fn parse_addr(option: &str, text: &str) -> Result<std::net::SocketAddr, UsageError> {
    text.parse().map_err(|_| {
        UsageError(format!(
            "{option}: '{text}' is not an address like 127.0.0.1:7000"
        ))
    })
}

/// The longest duration any option accepts: about 31 years, far beyond any run, and far from
/// the overflow of `Instant + Duration`.
const SECONDS_MAX: f64 = 1e9;

/// A duration option: positive, finite, at most [`SECONDS_MAX`].
fn positive_seconds(option: &str, seconds: f64) -> Result<f64, UsageError> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= SECONDS_MAX {
        Ok(seconds)
    } else {
        Err(UsageError(format!(
            "{option} must be a positive number of seconds, at most {SECONDS_MAX:e}, not {seconds}"
        )))
    }
}

/// A count option that must be at least 1.
fn at_least_one(option: &str, n: u64) -> Result<(), UsageError> {
    if n == 0 {
        Err(UsageError(format!("{option} must be at least 1")))
    } else {
        Ok(())
    }
}

/// Runs `seed, seed + 1, .., seed + runs - 1` must not wrap around `u64::MAX`.
fn seeds_fit(seed: u64, runs: usize) -> Result<(), UsageError> {
    match seed.checked_add((runs as u64).saturating_sub(1)) {
        Some(_) => Ok(()),
        None => Err(UsageError(format!(
            "--seed {seed} with --runs {runs} would pass u64::MAX ({}); use a smaller seed",
            u64::MAX
        ))),
    }
}

/// Serves a UDP request, or says why this entry cannot run over UDP.
fn net(entry: &Entry, target: &dyn Target, req: &NetRequest) -> Result<NetReport, UsageError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Words a user might type, valid and not, and numbers at the edges of every type.
    const WORDS: &[&str] = &[
        "list",
        "check",
        "simulate",
        "explore",
        "run",
        "node",
        "cluster",
        "completions",
        "bash",
        "two-phase-commit",
        "paxos",
        "atomic-commit",
        "bully",
        "nope",
        "--set",
        "rms=2",
        "rms=0",
        "rms=99999999999999999999",
        "crashes=1",
        "network=mesh",
        "=",
        "--threads",
        "--timeout",
        "--seconds",
        "--instance-timeout",
        "--instances",
        "--max-states",
        "--seed",
        "--runs",
        "--depth",
        "--id",
        "--listen",
        "--peers",
        "--path",
        "--strategy",
        "dfs",
        "--fairness",
        "strong",
        "--json",
        "--symmetry",
        "--safety-only",
        "0",
        "1",
        "-1",
        "0.5",
        "1e300",
        "-1e300",
        "NaN",
        "inf",
        "18446744073709551615",
        "18446744073709551616",
        "127.0.0.1:0",
        "0/1/99",
        "",
    ];

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(WORDS).prop_map(str::to_string),
            1 => "[ -~]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Any argument vector either fails to parse (clap's usage error, exit 2), or parses
        /// and is then accepted or refused by validation with one line: never a panic.
        #[test]
        fn no_argument_vector_panics(words in argv()) {
            let argv = std::iter::once("checker".to_string()).chain(words);
            if let Ok(cli) = Cli::try_parse_from(argv) {
                if let Err(UsageError(msg)) = validate(&cli) {
                    prop_assert!(!msg.is_empty());
                    prop_assert_eq!(msg.lines().count(), 1, "{}", msg);
                }
            }
        }
    }

    /// Half arbitrary word lists, half a command and a registered name followed by options
    /// that command takes, with arbitrary values, so that most vectors get past clap into
    /// validation.
    fn argv() -> impl Strategy<Value = Vec<String>> {
        let names: Vec<String> = checker::registry::all()
            .iter()
            .map(|e| e.name.to_string())
            .collect();
        prop_oneof![
            proptest::collection::vec(word(), 0..8),
            (
                proptest::sample::select(COMMAND_OPTIONS),
                proptest::sample::select(names),
                proptest::collection::vec((any::<proptest::sample::Index>(), word()), 0..4)
            )
                .prop_map(|((command, options), name, rest)| {
                    let mut v = vec![command.to_string(), name];
                    for (i, value) in rest {
                        let option = options[i.index(options.len())];
                        v.push(option.to_string());
                        if !FLAGS.contains(&option) {
                            v.push(value);
                        }
                    }
                    v
                }),
        ]
    }

    /// Flags: options without a value.
    const FLAGS: &[&str] = &["--json", "--symmetry", "--safety-only", "--no-deadlock"];

    /// Each command and the options it takes.
    const COMMAND_OPTIONS: &[(&str, &[&str])] = &[
        (
            "check",
            &[
                "--set",
                "--threads",
                "--strategy",
                "--max-states",
                "--timeout",
                "--fairness",
                "--json",
                "--symmetry",
                "--safety-only",
                "--no-deadlock",
            ],
        ),
        (
            "simulate",
            &["--set", "--seed", "--runs", "--depth", "--json"],
        ),
        ("explore", &["--set", "--addr", "--path"]),
        (
            "run",
            &["--set", "--seed", "--runs", "--faults", "--goal", "--json"],
        ),
        (
            "node",
            &[
                "--set",
                "--id",
                "--listen",
                "--peers",
                "--seconds",
                "--epoch",
                "--seed",
            ],
        ),
        (
            "cluster",
            &[
                "--set",
                "--seconds",
                "--instances",
                "--instance-timeout",
                "--seed",
                "--json",
            ],
        ),
    ];

    #[test]
    fn most_generated_vectors_reach_validation() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut parsed, mut refused) = (0, 0);
        for _ in 0..500 {
            let words = argv().new_tree(&mut runner).unwrap().current();
            let argv = std::iter::once("checker".to_string()).chain(words);
            if let Ok(cli) = Cli::try_parse_from(argv) {
                parsed += 1;
                refused += usize::from(validate(&cli).is_err());
            }
        }
        // The property above is only as good as the vectors that reach `validate`.
        assert!(parsed >= 50, "only {parsed} of 500 vectors parse");
        assert!(
            refused > 0 && refused < parsed,
            "{refused} of {parsed} refused"
        );
    }

    #[test]
    fn durations_out_of_range_are_usage_errors() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, SECONDS_MAX * 2.0] {
            assert!(positive_seconds("--seconds", bad).is_err(), "{bad}");
        }
        assert_eq!(
            positive_seconds("--seconds", SECONDS_MAX).ok(),
            Some(SECONDS_MAX)
        );
        assert!(seeds_fit(u64::MAX, 1).is_ok());
        assert!(seeds_fit(u64::MAX - 1, 3).is_err());
    }
}
