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
//!   overhead, in round trips per second. Serial: one message in flight, so each round trip
//!   waits for two kernel wake-ups, whatever the driver.
//! * `udp/window/{ours,ours-cluster,raw,raw-batched,stateright-spawn}`: the windowed
//!   ping-pong (`impls::ping::WindowCfg`, [`WINDOW`] pings in flight), throughput-bound, in
//!   messages per second: our driver as two bare nodes, and inside a cluster (with its judge;
//!   it also prints how many messages shared a datagram: our driver coalesces the messages a
//!   poll emits to one node, the others send one datagram per message);
//!   raw sockets with one `send_to`/`recv_from` per message (the baseline), and with the same
//!   `recvmmsg`/`sendmmsg` batching as our driver (a reference: the kernel's floor); and
//!   stateright's `spawn`. Each also prints the CPU time per message, user and system.

// The same allocator as the `checker` binary (defined in the benches library).
use benches as _;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use impls::ping::{PingCfg, PingMsg, Pinger, WindowCfg, WindowPinger, WindowState};
use impls::sim::{Borrowed, Sim, SimCfg, Step};
use impls::udp::batch::{Inbox, Outbox};
use impls::udp::cluster::{run_cluster, ClusterOptions, GoalPred};
use impls::udp::node::{Node, NodeCfg, Observer, Transport};
use models::common::{actor_model, ActorSystem};
use serde::de::DeserializeOwned;
use serde::Serialize;
use stateright::actor::{Actor, ActorModelState, Command, Id, Out};
use std::borrow::Cow;
use std::hint::black_box;
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    let mp = specs::multi_paxos::protocol().cfg_of(&[]).expect("valid");
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
                validate: false,
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
                    validate: false,
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
        // The driver's cost alone; trace validation is a test's job.
        validate: false,
        // Raw datagrams, as the other contestants send.
        transport: Some(Transport::Raw),
        faults: Default::default(),
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

/// An `impls::ping` actor under stateright's `spawn`, whose ids are socket addresses: this
/// wrapper maps the actor's index ids to addresses and back, and publishes the client's
/// progress. Once `stop` is set the client sends nothing more, so the pair falls idle
/// (`spawn` itself never returns).
struct Addressed<P: Actor> {
    inner: P,
    addrs: Vec<SocketAddrV4>,
    progress: Progress<P>,
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// The client's progress (round trips back) in its state; `None` for the server.
type Progress<P> = fn(&P, &<P as Actor>::State) -> Option<u64>;

/// The ping actors `spawn` runs: ids are indices, no timers, randomness or storage.
trait PingActor: Actor<Msg = PingMsg, Timer = (), Random = (), Storage = ()> {}
impl<P: Actor<Msg = PingMsg, Timer = (), Random = (), Storage = ()>> PingActor for P {}

impl<P: PingActor> Addressed<P> {
    fn index_of(&self, id: Id) -> Id {
        let addr = SocketAddrV4::from(id);
        Id::from(
            self.addrs
                .iter()
                .position(|a| *a == addr)
                .unwrap_or(usize::MAX),
        )
    }

    fn forward(&self, inner: Out<P>, o: &mut Out<Self>) {
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        for command in inner {
            if let Command::Send(dst, msg) = command {
                o.send(Id::from(self.addrs[usize::from(dst)]), msg);
            }
        }
    }
}

impl<P: PingActor> Actor for Addressed<P> {
    type Msg = PingMsg;
    type State = P::State;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn on_start(&self, id: Id, storage: &Option<()>, o: &mut Out<Self>) -> P::State {
        let mut inner = Out::new();
        let state = self.inner.on_start(self.index_of(id), storage, &mut inner);
        self.forward(inner, o);
        state
    }

    fn on_msg(&self, id: Id, state: &mut Cow<P::State>, src: Id, msg: PingMsg, o: &mut Out<Self>) {
        let mut inner = Out::new();
        self.inner.on_msg(
            self.index_of(id),
            state,
            self.index_of(src),
            msg,
            &mut inner,
        );
        if let Some(progress) = (self.progress)(&self.inner, state) {
            self.done.store(progress, Ordering::Release);
        }
        self.forward(inner, o);
    }
}

/// A client and a server running without end on two threads (rounds = `u64::MAX`), the
/// client's progress (round trips back) published in `done`; `stop` ends or idles them.
struct Pair {
    done: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Pair {
    /// Waits until `round_trips` more round trips are back; the wall time it took.
    fn wait(&self, round_trips: u64) -> Duration {
        let target = self.done.load(Ordering::Acquire) + round_trips;
        let started = Instant::now();
        while self.done.load(Ordering::Acquire) < target {
            std::thread::sleep(Duration::from_micros(100));
            assert!(
                started.elapsed() < Duration::from_secs(600),
                "the ping pair stopped making progress"
            );
        }
        started.elapsed()
    }

    /// Stops the pair; threads that can end are joined (`spawn`'s cannot: they fall idle).
    fn stop(self) {
        self.stop.store(true, Ordering::Release);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn free_v4() -> SocketAddrV4 {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    match s.local_addr().unwrap() {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!("bound on IPv4"),
    }
}

/// stateright's `spawn` running `client` and `server` (JSON over UDP).
fn start_spawn<P>(client: P, server: P, progress: Progress<P>) -> Pair
where
    P: PingActor + Send + 'static,
    P::State: Send,
{
    let addrs = vec![free_v4(), free_v4()];
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let wrap = |inner: P| Addressed {
        inner,
        addrs: addrs.clone(),
        progress,
        done: Arc::clone(&done),
        stop: Arc::clone(&stop),
    };
    let client = (addrs[0], wrap(client));
    let server = (addrs[1], wrap(server));
    // The server must be listening before the client's first ping: start it first.
    let run = |actor: (SocketAddrV4, Addressed<P>)| {
        std::thread::spawn(move || {
            let _ = stateright::actor::spawn(
                serde_json::to_vec,
                |b| serde_json::from_slice(b),
                serde_json::to_vec,
                |b| serde_json::from_slice(b),
                vec![actor],
            );
        })
    };
    drop(run(server));
    std::thread::sleep(Duration::from_millis(100));
    drop(run(client));
    Pair {
        done,
        stop,
        threads: Vec::new(),
    }
}

fn pinger_progress(p: &Pinger, s: &u64) -> Option<u64> {
    matches!(p, Pinger::Client { .. }).then_some(*s)
}

fn window_progress(p: &WindowPinger, s: &WindowState) -> Option<u64> {
    matches!(p, WindowPinger::Client { .. }).then_some(s.acked)
}

/// CPU time of the whole process so far: (user, system).
#[cfg(unix)]
fn cpu_time() -> (Duration, Duration) {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (tv(usage.ru_utime), tv(usage.ru_stime))
}

#[cfg(not(unix))]
fn cpu_time() -> (Duration, Duration) {
    (Duration::ZERO, Duration::ZERO)
}

/// Wall and CPU time of `round_trips` round trips (`run` does them), printed with the CPU
/// time per message (a round trip is two messages, a ping and a pong), split into user time
/// (the driver: decoding, handlers, encoding) and system time (the kernel: system calls,
/// the loopback path, wake-ups). The wall time of a serial ping-pong is mostly the kernel's
/// two wake-ups per round trip, the same for every driver; the CPU time shows what each
/// driver adds.
fn print_cost(name: &str, round_trips: u64, run: impl FnOnce()) {
    let (user, system) = cpu_time();
    let wall = Instant::now();
    run();
    let wall = wall.elapsed();
    let (user_after, system_after) = cpu_time();
    let messages = 2.0 * round_trips as f64;
    let per_message = |d: Duration| d.as_secs_f64() * 1e6 / messages;
    eprintln!(
        "{name:<28} {:>7.0} round trips/s = {:>7.0} messages/s; CPU per message {:.2} us = {:.2} user + {:.2} system (whole process)",
        round_trips as f64 / wall.as_secs_f64(),
        messages / wall.as_secs_f64(),
        per_message(user_after - user + system_after - system),
        per_message(user_after - user),
        per_message(system_after - system),
    );
}

fn bench_ping(c: &mut Criterion) {
    let raw = RawPingPong::start();
    print_cost("udp/ping/ours", 20 * ROUNDS, || {
        ping_ours(20);
    });
    print_cost("udp/ping/raw", 20 * ROUNDS, || {
        raw.run(20);
    });
    let mut group = c.benchmark_group("udp/ping");
    group.throughput(Throughput::Elements(ROUNDS));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("ours", |b| b.iter_custom(ping_ours));
    group.bench_function("raw", |b| b.iter_custom(|iters| raw.run(iters)));
    let spawned = start_spawn(
        Pinger::Client { rounds: u64::MAX },
        Pinger::Server,
        pinger_progress,
    );
    print_cost("udp/ping/stateright-spawn", 20 * ROUNDS, || {
        spawned.wait(20 * ROUNDS);
    });
    group.bench_function("stateright-spawn", |b| {
        b.iter_custom(|iters| spawned.wait(iters * ROUNDS))
    });
    group.finish();
    spawned.stop();
}

// ---- windowed ping-pong: throughput ----

/// Pings in flight in the windowed ping-pong.
const WINDOW: u64 = 64;
/// Round trips per measured iteration of the windowed ping-pong.
const WINDOW_TRIPS: u64 = 10_000;

/// Publishes the windowed client's pongs back.
struct Published(Arc<AtomicU64>);

impl Observer<WindowPinger> for Published {
    fn on_step(
        &self,
        _epoch: u64,
        id: Id,
        _delivered: Option<(Id, &PingMsg, bool)>,
        _step: Option<&impls::sim::StepOf<WindowPinger>>,
        _sends: &[(Id, PingMsg)],
        state: &Arc<WindowState>,
        _storage: &Option<()>,
    ) {
        if usize::from(id) == 0 {
            self.0.store(state.acked, Ordering::Release);
        }
    }
}

/// Our driver: the windowed client and the server as two bare nodes ([`Node`]) on two
/// threads, as a `checker node` runs them (no cluster judge).
fn start_ours_window() -> Pair {
    let cfg = WindowCfg {
        rounds: u64::MAX,
        window: WINDOW,
    };
    let sockets = [(); 2].map(|_| UdpSocket::bind("127.0.0.1:0").unwrap());
    let peers: Vec<SocketAddr> = sockets.iter().map(|s| s.local_addr().unwrap()).collect();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // The server first: both sockets are bound already, so no ping is lost either way.
    let threads = sockets
        .into_iter()
        .enumerate()
        .rev()
        .map(|(i, socket)| {
            let (peers, done, stop) = (peers.clone(), Arc::clone(&done), Arc::clone(&stop));
            std::thread::spawn(move || {
                let actors = cfg.actors();
                let observer = Published(done);
                let node_cfg = NodeCfg {
                    id: Id::from(i),
                    peers,
                    epoch: 1,
                    seed: 0,
                    storage_dir: None,
                };
                let mut node = Node::start(&actors, socket, node_cfg, &observer).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    node.poll(Duration::from_millis(20));
                }
            })
        })
        .collect();
    Pair {
        done,
        stop,
        threads,
    }
}

/// Our driver inside a local cluster ([`run_cluster`]): the same nodes plus the cluster's
/// judge (history, goal and safety checked after every step, under one lock).
fn window_cluster(iters: u64) -> Duration {
    window_cluster_report(iters).0
}

/// [`window_cluster`], with the messages and datagrams the nodes sent.
fn window_cluster_report(iters: u64) -> (Duration, u64, u64) {
    let model = actor_model(
        WindowCfg {
            rounds: WINDOW_TRIPS,
            window: WINDOW,
        },
        (),
    );
    let goal: Vec<GoalPred<'_, WindowPinger, ()>> = vec![(
        "all rounds back",
        Box::new(|s: &ActorModelState<WindowPinger, ()>| s.actor_states[0].acked == WINDOW_TRIPS),
    )];
    let opts = ClusterOptions {
        seconds: 600.0,
        instances_max: Some(iters),
        instance_timeout: Duration::from_secs(60),
        seed: 0,
        // The driver's cost alone; trace validation is a test's job.
        validate: false,
        // Raw datagrams, as the other contestants send.
        transport: Some(Transport::Raw),
        faults: Default::default(),
    };
    let report = run_cluster(&model, &goal, &opts).expect("runs");
    assert_eq!(report.instances, iters, "{report:?}");
    (
        Duration::from_micros(report.latencies_us.iter().sum()),
        report.messages_sent,
        report.datagrams_sent,
    )
}

/// Raw sockets, windowed: two bare std sockets on two threads, one `send_to` and one
/// `recv_from` per message (no batching), the client keeping [`WINDOW`] pings in flight.
fn start_raw_window() -> Pair {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_addr = server.local_addr().unwrap();
    for s in [&server, &client] {
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    }
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let server_stop = Arc::clone(&stop);
    let server_thread = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while !server_stop.load(Ordering::Relaxed) {
            if let Ok((n, from)) = server.recv_from(&mut buf) {
                let _ = server.send_to(&buf[..n], from);
            }
        }
    });
    let (client_done, client_stop) = (Arc::clone(&done), Arc::clone(&stop));
    let client_thread = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let mut sent = 0u64;
        while sent < WINDOW {
            sent += 1;
            client.send_to(&sent.to_le_bytes(), server_addr).unwrap();
        }
        let mut acked = 0u64;
        while !client_stop.load(Ordering::Relaxed) {
            if let Ok((8, _)) = client.recv_from(&mut buf) {
                acked += 1;
                client_done.store(acked, Ordering::Release);
                sent += 1;
                let _ = client.send_to(&sent.to_le_bytes(), server_addr);
            }
        }
    });
    Pair {
        done,
        stop,
        threads: vec![server_thread, client_thread],
    }
}

/// Raw sockets with the same batching as our driver (`recvmmsg`/`sendmmsg` through
/// [`Inbox`]/[`Outbox`] on Linux): what the kernel allows a batching driver at best. A
/// reference only; the baseline is the plain loop above.
fn start_raw_batched_window() -> Pair {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_addr = server.local_addr().unwrap();
    for s in [&server, &client] {
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    }
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let server_stop = Arc::clone(&stop);
    let server_thread = std::thread::spawn(move || {
        let (mut inbox, mut outbox) = (Inbox::new(64), Outbox::default());
        while !server_stop.load(Ordering::Relaxed) {
            for i in 0..inbox.receive(&server, true) {
                let (bytes, from) = inbox.get(i);
                outbox.push(bytes, from);
            }
            outbox.flush(&server);
        }
    });
    let (client_done, client_stop) = (Arc::clone(&done), Arc::clone(&stop));
    let client_thread = std::thread::spawn(move || {
        let (mut inbox, mut outbox) = (Inbox::new(64), Outbox::default());
        let mut sent = 0u64;
        while sent < WINDOW {
            sent += 1;
            outbox.push(&sent.to_le_bytes(), server_addr);
        }
        outbox.flush(&client);
        let mut acked = 0u64;
        while !client_stop.load(Ordering::Relaxed) {
            for i in 0..inbox.receive(&client, true) {
                if inbox.get(i).0.len() == 8 {
                    acked += 1;
                    sent += 1;
                    outbox.push(&sent.to_le_bytes(), server_addr);
                }
            }
            client_done.store(acked, Ordering::Release);
            outbox.flush(&client);
        }
    });
    Pair {
        done,
        stop,
        threads: vec![server_thread, client_thread],
    }
}

fn bench_window(c: &mut Criterion) {
    let mut group = c.benchmark_group("udp/window");
    // Throughput in messages (a round trip is a ping and a pong).
    group.throughput(Throughput::Elements(2 * WINDOW_TRIPS));
    group.measurement_time(Duration::from_secs(5));
    let trips = 20 * WINDOW_TRIPS;
    let pair = |group: &mut criterion::BenchmarkGroup<'_, _>, name: &str, pair: Pair| {
        print_cost(&format!("udp/window/{name}"), trips, || {
            pair.wait(trips);
        });
        group.bench_function(name, |b| {
            b.iter_custom(|iters| pair.wait(iters * WINDOW_TRIPS))
        });
        pair.stop();
    };
    pair(&mut group, "ours", start_ours_window());
    print_cost("udp/window/ours-cluster", 20 * WINDOW_TRIPS, || {
        let (_, messages, datagrams) = window_cluster_report(20);
        // Coalescing: the messages a poll emits to one node share datagrams.
        eprintln!(
            "udp/window/ours-cluster: {messages} messages in {datagrams} datagrams ({:.1} per datagram)",
            messages as f64 / datagrams.max(1) as f64
        );
    });
    group.bench_function("ours-cluster", |b| b.iter_custom(window_cluster));
    pair(&mut group, "raw", start_raw_window());
    pair(&mut group, "raw-batched", start_raw_batched_window());
    pair(
        &mut group,
        "stateright-spawn",
        start_spawn(
            WindowPinger::Client {
                rounds: u64::MAX,
                window: WINDOW,
            },
            WindowPinger::Server,
            window_progress,
        ),
    );
    group.finish();
}

criterion_group!(
    benches,
    bench_codec,
    bench_cluster,
    bench_ping,
    bench_window
);
criterion_main!(benches);
