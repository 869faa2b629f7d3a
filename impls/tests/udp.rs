//! The UDP driver on loopback: a cluster completes instances, bad datagrams are counted and
//! never stop a node, storage survives a restart, and the decoder never panics (proptest).

use impls::ping::{PingCfg, PingMsg, Pinger};
use impls::udp::cluster::{run_cluster, ClusterOptions, GoalPred};
use impls::udp::node::{bind, Node, NodeCfg};
use impls::udp::wire::{self, DATAGRAM_MAX, HEADER_LEN};
use models::common::{actor_model, ActorSystem, NetworkKind, SystemCfg};
use models::two_phase_commit::{TmRule, TwoPcCfg, TwoPcMsg};
use proptest::prelude::*;
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

#[test]
fn ping_cluster_runs_instances_back_to_back() {
    let cfg = PingCfg { rounds: 20 };
    let model = actor_model(cfg, ());
    let goal: Vec<GoalPred<'_, Pinger, ()>> = vec![(
        "all rounds back",
        Box::new(|s: &stateright::actor::ActorModelState<Pinger, ()>| *s.actor_states[0] == 20),
    )];
    let opts = ClusterOptions {
        seconds: 10.0,
        instances_max: Some(5),
        ..ClusterOptions::default()
    };
    let report = run_cluster(&model, &goal, &opts).unwrap();
    assert_eq!(report.instances, 5, "{report:?}");
    assert!(report.violations.is_empty());
    // 20 pings and 20 pongs per instance.
    assert!(report.messages_received >= 5 * 40, "{report:?}");
    assert_eq!(report.dropped.malformed + report.dropped.truncated, 0);
}

/// Starts a 2PC RM node (id 1 of a TM and one RM) on its own thread for `run`; returns its
/// address, and the socket standing in for the TM.
fn two_pc_rm_node(
    run: Duration,
) -> (
    SocketAddr,
    UdpSocket,
    std::thread::JoinHandle<impls::udp::Counters>,
) {
    let tm = bind(localhost()).unwrap();
    let rm = bind(localhost()).unwrap();
    let peers = vec![tm.local_addr().unwrap(), rm.local_addr().unwrap()];
    let rm_addr = peers[1];
    let handle = std::thread::spawn(move || {
        let cfg = TwoPcCfg::new(1, system(), TmRule::AllYes).unwrap();
        let actors = cfg.actors();
        let node_cfg = NodeCfg {
            id: Id::from(1),
            peers,
            epoch: 3,
            seed: 1,
            storage_dir: None,
        };
        let mut node = Node::start(&actors, rm, node_cfg, &()).unwrap();
        node.run_until(Instant::now() + run);
        *node.counters()
    });
    (rm_addr, tm, handle)
}

fn system() -> SystemCfg {
    SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating)
}

#[test]
fn bad_datagrams_to_a_live_node_are_counted_and_it_keeps_working() {
    let (rm, tm, node) = two_pc_rm_node(Duration::from_millis(600));
    let stranger = bind(localhost()).unwrap();
    let good = wire::encode(Id::from(0), 3, &TwoPcMsg::Prepare).unwrap();
    let mut bad_magic = good.clone();
    bad_magic[0] ^= 0xFF;
    let mut bad_variant = good.clone();
    bad_variant[HEADER_LEN] = 9; // no such variant (one varint byte)
    tm.send_to(&bad_magic, rm).unwrap(); // malformed
    tm.send_to(&bad_variant, rm).unwrap(); // malformed
    tm.send_to(&good[..7], rm).unwrap(); // truncated
    tm.send_to(&vec![0u8; DATAGRAM_MAX + 100], rm).unwrap(); // oversized
    stranger.send_to(&good, rm).unwrap(); // unknown sender: right id, wrong address
    let from_nobody = wire::encode(Id::from(9), 3, &TwoPcMsg::Prepare).unwrap();
    tm.send_to(&from_nobody, rm).unwrap(); // unknown sender: no such id
    let stale = wire::encode(Id::from(0), 2, &TwoPcMsg::Prepare).unwrap();
    tm.send_to(&stale, rm).unwrap(); // wrong epoch
                                     // After all that, the RM still votes when asked.
    tm.send_to(&good, rm).unwrap();
    tm.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = vec![0u8; DATAGRAM_MAX];
    let (len, from) = tm.recv_from(&mut buf).unwrap();
    assert_eq!(from, rm);
    match wire::decode::<TwoPcMsg>(&buf[..len], 2).unwrap() {
        wire::Datagram::Msg { src, epoch, msg } => {
            assert_eq!((src, epoch), (Id::from(1), 3));
            assert!(matches!(msg, TwoPcMsg::Prepared | TwoPcMsg::VoteNo));
        }
        other => panic!("expected a vote, got {other:?}"),
    }
    let counters = node.join().unwrap();
    assert_eq!(counters.dropped.malformed, 2, "{counters:?}");
    assert_eq!(counters.dropped.truncated, 1, "{counters:?}");
    assert_eq!(counters.dropped.oversized, 1, "{counters:?}");
    assert_eq!(counters.dropped.unknown_sender, 2, "{counters:?}");
    assert_eq!(counters.dropped.wrong_epoch, 1, "{counters:?}");
    assert_eq!(counters.received, 1);
    assert_eq!(counters.sent, 1);
    assert_eq!(counters.datagrams_sent, 1);
    assert_eq!(counters.datagrams_received, 8);
}

/// Counts its own starts in its storage: `on_start` saves one more than it read back.
#[derive(Clone)]
struct BootCounter;

impl Actor for BootCounter {
    type Msg = ();
    type State = u64;
    type Timer = ();
    type Random = ();
    type Storage = u64;

    fn on_start(&self, _id: Id, storage: &Option<u64>, o: &mut Out<Self>) -> u64 {
        let boots = storage.unwrap_or(0) + 1;
        o.save(boots);
        boots
    }

    fn on_msg(&self, _: Id, _: &mut Cow<u64>, _: Id, _: (), _: &mut Out<Self>) {}
}

#[test]
fn storage_survives_a_restart_from_the_same_directory() {
    let dir = std::env::temp_dir().join(format!("udp-storage-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let actors = vec![BootCounter];
    let start = || {
        let socket = bind(localhost()).unwrap();
        let cfg = NodeCfg {
            id: Id::from(0),
            peers: vec![socket.local_addr().unwrap()],
            epoch: 1,
            seed: 0,
            storage_dir: Some(dir.clone()),
        };
        Node::start(&actors, socket, cfg, &()).unwrap()
    };
    let first = start();
    assert_eq!(**first.state(), 1);
    drop(first); // the node is killed
    let second = start();
    assert_eq!(**second.state(), 2, "the first boot's storage came back");
    assert_eq!(*second.storage(), Some(2));
    drop(second);
    // Without the directory nothing comes back: the count is what the file carried.
    std::fs::write(
        impls::udp::node::storage_path(&dir, Id::from(0)),
        b"\xff\xff\xff",
    )
    .unwrap();
    let socket = bind(localhost()).unwrap();
    let cfg = NodeCfg {
        id: Id::from(0),
        peers: vec![socket.local_addr().unwrap()],
        epoch: 1,
        seed: 0,
        storage_dir: Some(dir.clone()),
    };
    let err = Node::start(&actors, socket, cfg, &())
        .err()
        .expect("corrupt storage refused");
    assert!(err.to_string().contains("not a storage file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_node_refuses_a_bad_id_or_peer_list() {
    let actors = PingCfg { rounds: 1 }.actors();
    let socket = || bind(localhost()).unwrap();
    let addr = socket().local_addr().unwrap();
    let cfg = |id: usize, peers: usize| NodeCfg {
        id: Id::from(id),
        peers: vec![addr; peers],
        epoch: 1,
        seed: 0,
        storage_dir: None,
    };
    let e = Node::start(&actors, socket(), cfg(2, 2), &())
        .err()
        .unwrap();
    assert!(e.to_string().contains("id 2 out of range"), "{e}");
    let e = Node::start(&actors, socket(), cfg(0, 3), &())
        .err()
        .unwrap();
    assert!(e.to_string().contains("3 peer addresses given"), "{e}");
    let taken = socket();
    let e = bind(taken.local_addr().unwrap()).err().unwrap();
    assert!(e.to_string().starts_with("cannot bind"), "{e}");
}

/// A 2PC TM node fed datagrams directly; its peers are three fixed addresses.
fn tm_node<'a>(
    actors: &'a [<TwoPcCfg as ActorSystem>::Actor],
) -> (
    Node<'a, <TwoPcCfg as ActorSystem>::Actor, ()>,
    Vec<SocketAddr>,
) {
    let socket = bind(localhost()).unwrap();
    let peers: Vec<SocketAddr> = (0..actors.len())
        .map(|i| SocketAddr::from(([127, 0, 0, 1], 40_000 + i as u16)))
        .collect();
    let cfg = NodeCfg {
        id: Id::from(0),
        peers: peers.clone(),
        epoch: 5,
        seed: 0,
        storage_dir: None,
    };
    (Node::start(actors, socket, cfg, &()).unwrap(), peers)
}

fn accounted(c: &impls::udp::Counters) -> u64 {
    c.received + c.wakes + c.dropped.total()
}

const TWO_PC_MSGS: [TwoPcMsg; 5] = [
    TwoPcMsg::Prepare,
    TwoPcMsg::Prepared,
    TwoPcMsg::VoteNo,
    TwoPcMsg::Commit,
    TwoPcMsg::Abort,
];

/// A coalesced datagram (kind 2) from `src` in epoch 5 with `frames` as its frames, each
/// behind its own length.
fn coalesced(src: usize, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = wire::encode_coalesced(Id::from(src), 5, &TWO_PC_MSGS[..2])
        .unwrap()
        .remove(0);
    assert_eq!(bytes[3], 2, "two messages coalesce into kind 2");
    bytes.truncate(HEADER_LEN);
    for f in frames {
        bytes.extend_from_slice(&(f.len() as u16).to_le_bytes());
        bytes.extend_from_slice(f);
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes: the decoder answers, and a node counts each datagram exactly once.
    #[test]
    fn arbitrary_bytes_never_panic_and_are_counted(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        from in 0usize..3,
    ) {
        let _ = wire::decode::<TwoPcMsg>(&bytes, 3);
        let actors = TwoPcCfg::new(2, system(), TmRule::AllYes).unwrap().actors();
        let (mut node, peers) = tm_node(&actors);
        let before = accounted(node.counters());
        node.handle_bytes(&bytes, peers[from]);
        prop_assert_eq!(accounted(node.counters()), before + 1);
    }

    /// Valid datagrams with bytes flipped, cut or appended: never a panic, always counted.
    #[test]
    fn mutated_datagrams_never_panic_and_are_counted(
        msg in 0usize..5,
        src in 0usize..3,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in proptest::option::of(any::<usize>()),
        extra in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let mut bytes = wire::encode(Id::from(src), 5, &TWO_PC_MSGS[msg]).unwrap();
        for (at, x) in flips {
            let i = at % bytes.len();
            bytes[i] ^= x;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        bytes.extend(extra);
        let actors = TwoPcCfg::new(2, system(), TmRule::AllYes).unwrap().actors();
        let (mut node, peers) = tm_node(&actors);
        let before = accounted(node.counters());
        node.handle_bytes(&bytes, peers[src]);
        prop_assert_eq!(accounted(node.counters()), before + 1);
    }

    /// Coalesced datagrams of arbitrary frames (valid messages, arbitrary bytes, lengths
    /// that lie): never a panic; the datagram is counted once as received; at most one drop
    /// (the whole datagram, or its rest after a bad frame); every message before the first
    /// bad frame is delivered, in order, and nothing after it.
    #[test]
    fn arbitrary_coalesced_datagrams_are_delivered_up_to_the_first_bad_frame(
        frames in proptest::collection::vec(
            prop_oneof![
                (0usize..5).prop_map(|m| (Some(m), postcard::to_stdvec(&TWO_PC_MSGS[m]).unwrap())),
                proptest::collection::vec(any::<u8>(), 0..6).prop_map(|b| (None, b)),
            ],
            0..8,
        ),
        lie in proptest::option::of((any::<usize>(), any::<u16>())),
        src in 0usize..3,
    ) {
        let raw: Vec<Vec<u8>> = frames.iter().map(|(_, b)| b.clone()).collect();
        let mut bytes = coalesced(src, &raw);
        if let Some((at, len)) = lie {
            // Overwrite one frame's length (if there is a frame).
            if !frames.is_empty() {
                let k = at % frames.len();
                let offset = HEADER_LEN + raw[..k].iter().map(|f| 2 + f.len()).sum::<usize>();
                bytes[offset..offset + 2].copy_from_slice(&len.to_le_bytes());
            }
        }
        let decoded = wire::decode::<TwoPcMsg>(&bytes, 3);
        let actors = TwoPcCfg::new(2, system(), TmRule::AllYes).unwrap().actors();
        let (mut node, peers) = tm_node(&actors);
        let before = *node.counters();
        node.handle_bytes(&bytes, peers[src]);
        let after = *node.counters();
        prop_assert_eq!(after.datagrams_received, before.datagrams_received + 1);
        let drops = after.dropped.total() - before.dropped.total();
        let delivered = after.received - before.received;
        prop_assert!(drops <= 1);
        prop_assert!(delivered + drops >= 1, "every datagram is accounted for");
        // What decodes is exactly the valid frames before the first bad one (when no length
        // lied, a frame of arbitrary bytes may still happen to be a valid message).
        if lie.is_none() {
            let good: Vec<TwoPcMsg> = frames
                .iter()
                .map_while(|(m, b)| match m {
                    Some(m) => Some(TWO_PC_MSGS[*m]),
                    None => match postcard::take_from_bytes::<TwoPcMsg>(b) {
                        Ok((msg, [])) => Some(msg),
                        _ => None,
                    },
                })
                .collect();
            let all_good = good.len() == frames.len() && !frames.is_empty();
            prop_assert_eq!(delivered, good.len() as u64);
            prop_assert_eq!(drops, u64::from(!all_good));
            match decoded {
                Ok(wire::Datagram::Batch { msgs, rest, .. }) => {
                    prop_assert_eq!(msgs, good);
                    prop_assert_eq!(rest.is_none(), all_good);
                }
                Err(_) => prop_assert!(good.is_empty()),
                Ok(other) => prop_assert!(false, "not a batch: {:?}", other),
            }
        }
    }

    /// Valid coalesced datagrams with bytes flipped, cut or appended: never a panic, counted
    /// once; cut only, what is delivered is a prefix of what was sent.
    #[test]
    fn mutated_coalesced_datagrams_never_panic_and_are_counted(
        msgs in proptest::collection::vec(0usize..5, 2..12),
        src in 0usize..3,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in proptest::option::of(any::<usize>()),
        extra in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let sent: Vec<TwoPcMsg> = msgs.iter().map(|&m| TWO_PC_MSGS[m]).collect();
        let mut bytes = wire::encode_coalesced(Id::from(src), 5, &sent).unwrap().remove(0);
        let only_cut = flips.is_empty() && extra.is_empty();
        for (at, x) in flips {
            let i = at % bytes.len();
            bytes[i] ^= x;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        bytes.extend(extra);
        if only_cut {
            match wire::decode::<TwoPcMsg>(&bytes, 3) {
                Ok(wire::Datagram::Batch { msgs, .. }) => {
                    prop_assert!(sent.starts_with(&msgs), "{:?} not a prefix of {:?}", msgs, sent)
                }
                Ok(other) => prop_assert!(false, "not a batch: {:?}", other),
                Err(_) => {}
            }
        }
        let actors = TwoPcCfg::new(2, system(), TmRule::AllYes).unwrap().actors();
        let (mut node, peers) = tm_node(&actors);
        let before = *node.counters();
        node.handle_bytes(&bytes, peers[src]);
        let after = *node.counters();
        prop_assert_eq!(after.datagrams_received, before.datagrams_received + 1);
        let drops = after.dropped.total() - before.dropped.total();
        prop_assert!(drops <= 1);
        prop_assert!(after.received - before.received + drops >= 1);
    }
}

/// Sends `count` numbered messages, each with `pad` bytes, to node 1 in `on_start`; node 1
/// records the numbers it receives, in order.
#[derive(Clone)]
enum Burst {
    Sender { count: u64, pad: usize },
    Recorder,
}

impl Actor for Burst {
    type Msg = (u64, Vec<u8>);
    type State = Vec<u64>;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> Vec<u64> {
        if let Burst::Sender { count, pad } = self {
            for i in 0..*count {
                o.send(Id::from(1), (i, vec![7; *pad]));
            }
        }
        Vec::new()
    }

    fn on_msg(&self, _: Id, state: &mut Cow<Vec<u64>>, _: Id, msg: Self::Msg, _: &mut Out<Self>) {
        state.to_mut().push(msg.0);
    }
}

/// The sender's and the recorder's counters and the recorder's state after a burst of
/// `count` messages of `pad` bytes, all emitted in the sender's first step.
fn burst(count: u64, pad: usize) -> (impls::udp::Counters, impls::udp::Counters, Vec<u64>) {
    let actors = vec![Burst::Sender { count, pad }, Burst::Recorder];
    let sockets = [bind(localhost()).unwrap(), bind(localhost()).unwrap()];
    let peers: Vec<SocketAddr> = sockets.iter().map(|s| s.local_addr().unwrap()).collect();
    let [s0, s1] = sockets;
    let cfg = |id: usize| NodeCfg {
        id: Id::from(id),
        peers: peers.clone(),
        epoch: 1,
        seed: 0,
        storage_dir: None,
    };
    let mut recorder = Node::start(&actors, s1, cfg(1), &()).unwrap();
    let sender = Node::start(&actors, s0, cfg(0), &()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while (recorder.state().len() as u64) < count && Instant::now() < deadline {
        recorder.poll(Duration::from_millis(10));
    }
    (
        *sender.counters(),
        *recorder.counters(),
        (**recorder.state()).clone(),
    )
}

#[test]
fn messages_sent_in_one_poll_arrive_in_order_in_fewer_datagrams() {
    let (sender, recorder, got) = burst(100, 0);
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    assert_eq!((sender.sent, sender.datagrams_sent), (100, 1), "{sender:?}");
    assert_eq!(
        (recorder.received, recorder.datagrams_received),
        (100, 1),
        "{recorder:?}"
    );
    assert_eq!(recorder.dropped.total(), 0);
}

#[test]
fn a_burst_larger_than_a_datagram_splits_and_keeps_its_order() {
    // 40 messages of about 1 KiB: at most 16 fit a 16 KiB datagram.
    let (sender, recorder, got) = burst(40, 1000);
    assert_eq!(got, (0..40).collect::<Vec<_>>());
    let expected = wire::encode_coalesced(
        Id::from(0),
        1,
        &(0..40u64).map(|i| (i, vec![7u8; 1000])).collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(expected.len(), 3);
    assert!(expected.iter().all(|d| d.len() <= DATAGRAM_MAX));
    assert_eq!((sender.sent, sender.datagrams_sent), (40, 3), "{sender:?}");
    assert_eq!(
        (recorder.received, recorder.datagrams_received),
        (40, 3),
        "{recorder:?}"
    );
}

#[test]
fn a_valid_datagram_is_received_not_dropped() {
    // The accounting above would also pass if every datagram were dropped: show the good one
    // goes through.
    let actors = TwoPcCfg::new(2, system(), TmRule::AllYes).unwrap().actors();
    let (mut node, peers) = tm_node(&actors);
    let good = wire::encode(Id::from(1), 5, &TwoPcMsg::VoteNo).unwrap();
    node.handle_bytes(&good, peers[1]);
    assert_eq!(node.counters().received, 1);
    assert_eq!(node.counters().dropped.total(), 0);
    let _ = PingMsg::Ping(0);
}

/// Sets timer `()` twice in `on_start` (first for `first`, then for `second`) and offers a
/// random choice; counts timeouts and records the choice.
struct Timed {
    first: std::ops::Range<Duration>,
    second: std::ops::Range<Duration>,
}

impl Actor for Timed {
    type Msg = ();
    type State = (u32, Option<u8>);
    type Timer = ();
    type Random = u8;
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> Self::State {
        o.set_timer((), self.first.clone());
        o.set_timer((), self.second.clone());
        o.choose_random("pick", vec![7, 8, 9]);
        (0, None)
    }

    fn on_msg(&self, _: Id, _: &mut Cow<Self::State>, _: Id, _: (), _: &mut Out<Self>) {}

    fn on_timeout(&self, _: Id, state: &mut Cow<Self::State>, _: &(), _: &mut Out<Self>) {
        state.to_mut().0 += 1;
    }

    fn on_random(&self, _: Id, state: &mut Cow<Self::State>, pick: &u8, _: &mut Out<Self>) {
        state.to_mut().1 = Some(*pick);
    }
}

#[test]
fn a_timer_set_twice_fires_once_at_the_second_deadline_on_real_time() {
    let ms = Duration::from_millis;
    // (first, second, timeouts seen after 150 ms)
    for (first, second, fired) in [
        (ms(400)..ms(401), ms(20)..ms(40), 1),
        (ms(20)..ms(40), ms(400)..ms(401), 0),
    ] {
        let actors = vec![Timed { first, second }];
        let socket = bind(localhost()).unwrap();
        let cfg = NodeCfg {
            id: Id::from(0),
            peers: vec![socket.local_addr().unwrap()],
            epoch: 1,
            seed: 3,
            storage_dir: None,
        };
        let mut node = Node::start(&actors, socket, cfg, &()).unwrap();
        node.run_until(Instant::now() + ms(150));
        let (timeouts, pick) = **node.state();
        assert_eq!(timeouts, fired, "the second setting replaces the first");
        assert_eq!(node.counters().timeouts, u64::from(fired));
        assert!(
            matches!(pick, Some(7..=9)),
            "the choice was resolved: {pick:?}"
        );
        assert_eq!(node.counters().randoms, 1);
    }
}

/// An actor with state the model cannot see: the server's reply counter lives in a global,
/// so replaying its step through the model (which calls `on_msg` again) gives another state.
/// Trace validation must catch this; it is the reason validation exists.
static HIDDEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
enum Impure {
    Client,
    Server,
}

impl Actor for Impure {
    type Msg = PingMsg;
    type State = u64;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> u64 {
        if *self == Impure::Client {
            o.send(Id::from(1), PingMsg::Ping(1));
        }
        0
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<u64>, src: Id, msg: PingMsg, o: &mut Out<Self>) {
        match (self, msg) {
            (Impure::Server, PingMsg::Ping(n)) => {
                *state.to_mut() = HIDDEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                o.send(src, PingMsg::Pong(n));
            }
            (Impure::Client, PingMsg::Pong(n)) => *state.to_mut() = n,
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct ImpureCfg;

impl ActorSystem for ImpureCfg {
    type Actor = Impure;
    fn actors(&self) -> Vec<Impure> {
        vec![Impure::Client, Impure::Server]
    }
    fn actor_name(&self, id: Id) -> String {
        format!("{:?}", self.actors()[usize::from(id)])
    }
    fn system(&self) -> SystemCfg {
        SystemCfg::reliable(NetworkKind::Ordered)
    }
}

#[test]
fn trace_validation_catches_an_actor_whose_state_the_model_cannot_see() {
    let model = actor_model(ImpureCfg, ());
    let goal: Vec<GoalPred<'_, Impure, ()>> = vec![(
        "pong back",
        Box::new(|s: &stateright::actor::ActorModelState<Impure, ()>| *s.actor_states[0] == 1),
    )];
    let opts = |validate| ClusterOptions {
        seconds: 10.0,
        instances_max: Some(3),
        validate,
        ..ClusterOptions::default()
    };
    // Without validation the run looks fine: the goal is reached, no property fails.
    let report = run_cluster(&model, &goal, &opts(false)).unwrap();
    assert_eq!(report.instances, 3, "{report:?}");
    assert!(report.violations.is_empty(), "{report:?}");
    assert_eq!(report.validated_steps, 0);
    // With it, the server's delivery leads the model to another state.
    let report = run_cluster(&model, &goal, &opts(true)).unwrap();
    assert!(report.validated_steps > 0, "{report:?}");
    let divergence = report
        .violations
        .iter()
        .find(|v| v.property.starts_with("trace validation:"))
        .unwrap_or_else(|| panic!("no divergence reported: {report:?}"));
    assert!(
        divergence.property.contains("state of actor 1 differs"),
        "{divergence:?}"
    );
    assert!(report.failed());
}

#[test]
fn trace_validation_replays_every_step_of_a_pure_system() {
    let model = actor_model(PingCfg { rounds: 20 }, ());
    let goal: Vec<GoalPred<'_, Pinger, ()>> = vec![(
        "all rounds back",
        Box::new(|s: &stateright::actor::ActorModelState<Pinger, ()>| *s.actor_states[0] == 20),
    )];
    let opts = ClusterOptions {
        seconds: 10.0,
        instances_max: Some(3),
        ..ClusterOptions::default()
    };
    assert!(opts.validate, "validation is on by default");
    let report = run_cluster(&model, &goal, &opts).unwrap();
    assert_eq!(report.instances, 3, "{report:?}");
    assert!(report.violations.is_empty(), "{report:?}");
    // 40 deliveries per instance, each replayed (the last instance may be cut at its goal).
    assert!(report.validated_steps >= 2 * 40 + 39, "{report:?}");
}
