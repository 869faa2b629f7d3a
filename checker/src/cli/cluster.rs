//! `checker cluster`: every actor of a protocol as a UDP node on 127.0.0.1, under a client
//! workload.

use super::{at_least_one, exit, net, positive_seconds, NetArgs, SetArgs, TraceOut, UsageError};
use checker::net::{NetReport, NetRequest};
use checker::params::Params;
use checker::registry::{self, Entry, Target};
use checker::report::{cluster_failure_report, cluster_text};
use impls::udp::ClusterOptions;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The actor protocol to run (`checker list` shows them all).
    name: String,
    #[command(flatten)]
    set: SetArgs,
    #[command(flatten)]
    net: NetArgs,
    /// How long the workload runs.
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    seconds: f64,
    /// Stop after this many completed instances.
    #[arg(long, allow_negative_numbers = true)]
    instances: Option<u64>,
    /// Abandon an instance not at its goal after this many seconds.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    instance_timeout: f64,
    /// Seed of the nodes' generators.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    seed: u64,
    /// Skip trace validation (replaying every step through the model), for throughput.
    #[arg(long)]
    no_validate: bool,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    trace: TraceOut,
}

/// A validated cluster run: the protocol, its model and the request for the driver.
pub struct Plan {
    entry: Entry,
    params: Params,
    target: Box<dyn Target>,
    req: NetRequest,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    let seconds = positive_seconds("--seconds", args.seconds)?;
    let instance_timeout = positive_seconds("--instance-timeout", args.instance_timeout)?;
    if let Some(n) = args.instances {
        at_least_one("--instances", n)?;
    }
    args.trace.validate()?;
    if args.trace.wanted() && args.no_validate {
        return Err(UsageError(
            "--trace-out needs trace validation, which records the nodes' steps: drop \
             --no-validate"
                .into(),
        ));
    }
    let (transport, faults) = args.net.parse()?;
    let entry = registry::find(&args.name)?;
    let (params, target) = entry.instantiate_over_udp(&args.set.set)?;
    let req = NetRequest::Cluster(ClusterOptions {
        transport,
        faults,
        seconds,
        instances_max: args.instances,
        instance_timeout: Duration::from_secs_f64(instance_timeout),
        seed: args.seed,
        validate: !args.no_validate,
    });
    Ok(Plan {
        entry,
        params,
        target,
        req,
    })
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Plan {
        entry,
        params,
        target,
        req,
    } = plan(&args)?;
    let (report, failing) = match net(&entry, &*target, &req)? {
        NetReport::Cluster(r, trace) => (r, trace),
        NetReport::Node(_) => unreachable!("a cluster request answers with a cluster"),
    };
    if args.json {
        let mut doc = serde_json::to_value(&report).expect("reports serialize");
        doc["protocol"] = entry.name.into();
        doc["params"] = serde_json::to_value(&params).expect("params serialize");
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        print!("{}", cluster_text(entry.name, &report));
    }
    if args.trace.wanted() {
        match &failing {
            Some(trace) => args
                .trace
                .write(&cluster_failure_report(entry.name, &params, trace))?,
            None => eprintln!("no instance violated a property: no trace written"),
        }
    }
    Ok(exit(!report.failed()))
}
