//! The UDP driver on loopback (`impls::udp`):
//!
//! * `codec/{postcard,bincode,json}/{two-phase-commit,multi-paxos}`: encode + decode of every
//!   message a simulated run of the protocol delivered (real messages, in their real mix);
//!   the bytes per message are printed once. This is how the wire codec was chosen.
//! * `udp/cluster/{two-phase-commit,multi-paxos}`: one protocol instance on a local cluster
//!   (mean instance latency; instances run back to back, so instances/s is its inverse);
//!   p50/p99 of a 2-second `checker cluster` run are printed once.
//! * `udp/ping/{ours,raw,stateright-spawn}`: the same round trips (`impls::ping`) on our driver,
//!   on two bare std sockets, and on stateright's own `spawn` (JSON over UDP): the driver's
//!   overhead, in round trips per second.

// The same allocator as the `checker` binary (defined in the benches library).
use benches as _;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use impls::ping::{PingCfg, PingMsg, Pinger};
use impls::sim::{Borrowed, Sim, SimCfg, Step};
use impls::udp::cluster::{run_cluster, ClusterOptions, GoalPred};
use models::common::{actor_model, ActorSystem};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stateright::actor::{Actor, ActorModelState, Command, Id, Out};
use std::borrow::Cow;
use std::hint::black_box;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---- codec ----

/// Every message a simulated run of the registered protocol `name` (default settings)
/// delivered, over a few seeds.
fn delivered_messages<C>(cfg: &C) -> Vec<<C::Actor as Actor>::Msg>
where
    C: ActorSystem,
{
    let mut msgs = Vec::new();
    for seed in 0..20 {
        let sim_cfg = SimCfg {
            seed,
            ..SimCfg::default()
        };
        let actors = cfg.actors();
        let borrowed: Vec<Borrowed<'_, C::Actor>> = actors.iter().map(Borrowed).collect();
        let mut sim = Sim::new(borrowed, cfg.system(), sim_cfg).expect("valid");
        sim.run();
        for step in sim.trace() {
            if let Step::Deliver { msg, .. } = step {
                msgs.push(msg.clone());
            }
        }
    }
    msgs
}

type Codec<M> = (&'static str, fn(&M) -> Vec<u8>, fn(&[u8]) -> M);

fn codecs<M: Serialize + DeserializeOwned>() -> [Codec<M>; 3] {
    [
        (
            "postcard",
            |m| postcard::to_stdvec(m).unwrap(),
            |b| postcard::from_bytes(b).unwrap(),
        ),
        (
            "bincode",
            |m| bincode::serialize(m).unwrap(),
            |b| bincode::deserialize(b).unwrap(),
        ),
        (
            "json",
            |m| serde_json::to_vec(m).unwrap(),
            |b| serde_json::from_slice(b).unwrap(),
        ),
    ]
}

fn bench_codec_of<M: Serialize + DeserializeOwned>(c: &mut Criterion, protocol: &str, msgs: &[M]) {
    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Elements(msgs.len() as u64));
    for (name, encode, decode) in codecs::<M>() {
        let bytes: usize = msgs.iter().map(|m| encode(m).len()).sum();
        eprintln!(
            "codec {name:>8} {protocol:<17} {:.1} bytes per message ({} messages)",
            bytes as f64 / msgs.len() as f64,
            msgs.len()
        );
        group.bench_function(format!("{name}/{protocol}"), |b| {
            b.iter(|| {
                for m in msgs {
                    black_box(decode(&encode(black_box(m))));
                }
            })
        });
    }
    group.finish();
}

fn bench_codec(c: &mut Criterion) {
    let two_pc = benches::two_pc_cfg(&[]);
    bench_codec_of(c, "two-phase-commit", &delivered_messages(&two_pc));
    let entry = registry::find("multi-paxos").expect("registered");
    let params = checker::params::Params::resolve(&(entry.params)(), &[]).expect("defaults");
    let mp = checker::protocols::multi_paxos::cfg(&params).expect("valid");
    bench_codec_of(c, "multi-paxos", &delivered_messages(&mp));
}

// ---- protocol instances on a cluster ----

fn bench_cluster(c: &mut Criterion) {
    let mut group = c.benchmark_group("udp/cluster");
    group.measurement_time(Duration::from_secs(5));
    for protocol in ["two-phase-commit", "multi-paxos"] {
        let report = registry::cluster(
            protocol,
            &[],
            &ClusterOptions {
                seconds: 2.0,
                ..ClusterOptions::default()
            },
        )
        .expect("runs")
        .expect("an actor protocol");
        assert!(report.violations.is_empty(), "{protocol}: {report:?}");
        eprintln!(
            "udp/cluster/{protocol}: {:.0} instances/s, {:.0} messages/s, latency p50 {} us, p99 {} us, max {} us over {} instances",
            report.instances_per_second,
            report.messages_per_second,
            report.latency.p50_us,
            report.latency.p99_us,
            report.latency.max_us,
            report.instances
        );
        group.throughput(Throughput::Elements(1));
        group.bench_function(protocol, |b| {
            b.iter_custom(|iters| {
                let opts = ClusterOptions {
                    seconds: 60.0,
                    instances_max: Some(iters),
                    ..ClusterOptions::default()
                };
                let report = registry::cluster(protocol, &[], &opts)
                    .expect("runs")
                    .expect("an actor protocol");
                assert_eq!(report.instances, iters, "{report:?}");
                // The instances' own time: sockets and threads are set up before the first.
                Duration::from_micros(report.latencies_us.iter().sum())
            })
        });
    }
    group.finish();
}

// ---- ping-pong: our driver, raw sockets, stateright's spawn ----

/// Round trips per measured ping-pong.
const ROUNDS: u64 = 1000;

fn ping_ours(iters: u64) -> Duration {
    let model = actor_model(PingCfg { rounds: ROUNDS }, ());
    let goal: Vec<GoalPred<'_, Pinger, ()>> = vec![(
        "all rounds back",
        Box::new(|s: &ActorModelState<Pinger, ()>| *s.actor_states[0] == ROUNDS),
    )];
    let opts = ClusterOptions {
        seconds: 600.0,
        instances_max: Some(iters),
        instance_timeout: Duration::from_secs(30),
        seed: 0,
    };
    let report = run_cluster(&model, &goal, &opts).expect("runs");
    assert_eq!(report.instances, iters, "{report:?}");
    Duration::from_micros(report.latencies_us.iter().sum())
}

/// Two bare std sockets on two threads, an 8-byte counter bounced back and forth.
struct RawPingPong {
    client: UdpSocket,
    server: SocketAddr,
}

impl RawPingPong {
    fn start() -> Self {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server_addr = server.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            // Echoes until the bench process ends.
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                let _ = server.send_to(&buf[..n], from);
            }
        });
        Self {
            client,
            server: server_addr,
        }
    }

    fn run(&self, iters: u64) -> Duration {
        let mut buf = [0u8; 64];
        let started = Instant::now();
        for _ in 0..iters {
            for round in 1..=ROUNDS {
                self.client
                    .send_to(&round.to_le_bytes(), self.server)
                    .unwrap();
                let (n, _) = self.client.recv_from(&mut buf).unwrap();
                assert_eq!(n, 8);
            }
        }
        started.elapsed()
    }
}

/// `impls::ping` under stateright's `spawn`, whose ids are socket addresses: this wrapper maps
/// the actor's index ids to addresses and back, and publishes the client's round count.
struct Addressed {
    inner: Pinger,
    addrs: Vec<SocketAddrV4>,
    rounds_done: Arc<AtomicU64>,
}

impl Addressed {
    fn index_of(&self, id: Id) -> Id {
        let addr = SocketAddrV4::from(id);
        Id::from(
            self.addrs
                .iter()
                .position(|a| *a == addr)
                .unwrap_or(usize::MAX),
        )
    }

    fn forward(&self, inner: Out<Pinger>, o: &mut Out<Self>) {
        for command in inner {
            if let Command::Send(dst, msg) = command {
                o.send(Id::from(self.addrs[usize::from(dst)]), msg);
            }
        }
    }
}

impl Actor for Addressed {
    type Msg = PingMsg;
    type State = u64;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn on_start(&self, id: Id, storage: &Option<()>, o: &mut Out<Self>) -> u64 {
        let mut inner = Out::new();
        let state = self.inner.on_start(self.index_of(id), storage, &mut inner);
        self.forward(inner, o);
        state
    }

    fn on_msg(&self, id: Id, state: &mut Cow<u64>, src: Id, msg: PingMsg, o: &mut Out<Self>) {
        let mut inner = Out::new();
        self.inner.on_msg(
            self.index_of(id),
            state,
            self.index_of(src),
            msg,
            &mut inner,
        );
        if matches!(self.inner, Pinger::Client { .. }) {
            self.rounds_done.store(**state, Ordering::Release);
        }
        self.forward(inner, o);
    }
}

/// stateright's `spawn` running the ping client (rounds without end) and server forever on
/// two threads; the bench reads the client's progress.
fn start_spawn() -> Arc<AtomicU64> {
    let free = || {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        match s.local_addr().unwrap() {
            SocketAddr::V4(a) => a,
            SocketAddr::V6(_) => unreachable!("bound on IPv4"),
        }
    };
    let addrs = vec![free(), free()];
    let rounds_done = Arc::new(AtomicU64::new(0));
    let actors: Vec<(SocketAddrV4, Addressed)> =
        [Pinger::Client { rounds: u64::MAX }, Pinger::Server]
            .into_iter()
            .enumerate()
            .map(|(i, inner)| {
                (
                    addrs[i],
                    Addressed {
                        inner,
                        addrs: addrs.clone(),
                        rounds_done: Arc::clone(&rounds_done),
                    },
                )
            })
            .collect();
    // The server must be listening before the client's first ping: start it first.
    let mut actors = actors.into_iter();
    let client = actors.next().unwrap();
    let server = actors.next().unwrap();
    std::thread::spawn(move || {
        let _ = stateright::actor::spawn(
            serde_json::to_vec,
            |b| serde_json::from_slice(b),
            serde_json::to_vec,
            |b| serde_json::from_slice(b),
            vec![server],
        );
    });
    std::thread::sleep(Duration::from_millis(100));
    std::thread::spawn(move || {
        let _ = stateright::actor::spawn(
            serde_json::to_vec,
            |b| serde_json::from_slice(b),
            serde_json::to_vec,
            |b| serde_json::from_slice(b),
            vec![client],
        );
    });
    rounds_done
}

fn ping_spawn(rounds_done: &AtomicU64, iters: u64) -> Duration {
    let start = rounds_done.load(Ordering::Acquire);
    let target = start + iters * ROUNDS;
    let started = Instant::now();
    while rounds_done.load(Ordering::Acquire) < target {
        std::thread::sleep(Duration::from_millis(2));
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "stateright's spawn stopped making progress"
        );
    }
    started.elapsed()
}

/// CPU time (user + system) of the whole process so far.
#[cfg(unix)]
fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(not(unix))]
fn cpu_time() -> Duration {
    Duration::ZERO
}

/// Wall and CPU time of `batches` ping-pongs of [`ROUNDS`] round trips, printed: the wall
/// time of a serial ping-pong is mostly the kernel's two wake-ups per round trip, the same for
/// every driver; the CPU time shows what each driver adds.
fn print_cost(name: &str, batches: u64, run: impl FnOnce(u64) -> Duration) {
    let cpu = cpu_time();
    let wall = Instant::now();
    run(batches);
    let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
    let trips = (batches * ROUNDS) as f64;
    eprintln!(
        "udp/ping/{name:<17} {:>7.0} round trips/s, {:>5.1} us CPU per round trip (whole process)",
        trips / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / trips
    );
}

fn bench_ping(c: &mut Criterion) {
    let raw = RawPingPong::start();
    print_cost("ours", 20, ping_ours);
    print_cost("raw", 20, |n| raw.run(n));
    let mut group = c.benchmark_group("udp/ping");
    group.throughput(Throughput::Elements(ROUNDS));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("ours", |b| b.iter_custom(ping_ours));
    group.bench_function("raw", |b| b.iter_custom(|iters| raw.run(iters)));
    // The spawned pair runs from here to the end of the process: started last, so that it
    // does not compete with the others.
    let spawned = start_spawn();
    print_cost("stateright-spawn", 20, |n| ping_spawn(&spawned, n));
    group.bench_function("stateright-spawn", |b| {
        b.iter_custom(|iters| ping_spawn(&spawned, iters))
    });
    group.finish();
}

criterion_group!(benches, bench_codec, bench_cluster, bench_ping);
criterion_main!(benches);
