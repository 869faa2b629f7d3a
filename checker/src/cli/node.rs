//! `checker node`: one node of an actor protocol over UDP.

use super::{net, parse_addr, positive_seconds, NetArgs, SetArgs, UsageError};
use checker::net::{NetReport, NetRequest, NodeOptions};
use checker::registry::{self, Entry, Target};
use checker::report::node_text;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The actor protocol to run (`checker list` shows them all).
    name: String,
    #[command(flatten)]
    set: SetArgs,
    #[command(flatten)]
    net: NetArgs,
    /// This node's actor id, `0..actors` (see `--peers`).
    #[arg(long, allow_negative_numbers = true)]
    id: usize,
    /// The address to bind, like 127.0.0.1:7000.
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Every node's address in actor-id order, comma separated, this node's included
    /// (node i is at the i-th address).
    #[arg(long, value_name = "ADDR,...")]
    peers: String,
    /// How long the node runs.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    seconds: f64,
    /// Directory where the node writes its storage and reads it back at start.
    #[arg(long, value_name = "DIR")]
    storage: Option<std::path::PathBuf>,
    /// Run id shared by every node of a run; datagrams of another epoch are dropped.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    epoch: u64,
    /// Seed of the node's timer and random-choice generator.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    seed: u64,
    /// One JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

/// A validated node: the protocol, its model and the request for the driver.
pub struct Plan {
    entry: Entry,
    target: Box<dyn Target>,
    req: NetRequest,
}

pub fn plan(args: &Args) -> Result<Plan, UsageError> {
    let listen = parse_addr("--listen", &args.listen)?;
    let peers = args
        .peers
        .split(',')
        .map(|p| parse_addr("--peers", p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let seconds = positive_seconds("--seconds", args.seconds)?;
    let (transport, faults) = args.net.parse()?;
    let entry = registry::find(&args.name)?;
    let (_, target) = entry.instantiate_over_udp(&args.set.set)?;
    let req = NetRequest::Node(NodeOptions {
        id: args.id,
        listen,
        peers,
        seconds,
        storage: args.storage.clone(),
        epoch: args.epoch,
        seed: args.seed,
        transport,
        faults,
    });
    Ok(Plan { entry, target, req })
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let Plan { entry, target, req } = plan(&args)?;
    let report = match net(&entry, &*target, &req)? {
        NetReport::Node(r) => r,
        NetReport::Cluster(..) => unreachable!("a node request answers with a node"),
    };
    if args.json {
        let mut doc = serde_json::to_value(&report).expect("reports serialize");
        doc["protocol"] = entry.name.into();
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        print!("{}", node_text(entry.name, &report));
    }
    Ok(ExitCode::SUCCESS)
}
