//! One actor as a UDP node: the actor's commands applied on real time, exactly as
//! stateright's `ActorModel` (and [`crate::sim`]) applies them.
//!
//! * `Send` encodes the message ([`super::wire`]) for the peer's address. The messages a
//!   poll's handlers emit are sent together at the end of the poll (after the handlers of
//!   every datagram the poll received; [`super::batch`]): those to the same peer are
//!   coalesced, in the order they were emitted, into as few datagrams as fit
//!   ([`wire::coalesce`]), so the order on each channel is kept. The observer sees each step
//!   before any of its messages leaves. A received coalesced datagram is handed to the actor
//!   message by message, in order, each a step of its own, exactly as if the messages had
//!   arrived in datagrams of their own.
//! * `SetTimer` sets a real deadline drawn (seeded) from the actor's range; setting a timer
//!   that is already set replaces its deadline. `CancelTimer` clears it. A timer that fires is
//!   cleared *before* `on_timeout` runs, so the handler may set it again.
//! * `ChooseRandom` records the options under the key (an empty list removes it); the choice
//!   is resolved by the seeded generator after a delay of at most [`RANDOM_DELAY_US_MAX`].
//! * `Save` keeps the storage and, with a storage directory, writes it to
//!   `DIR/node-ID.storage` atomically (a temporary file, then a rename); a node started on
//!   that directory reads it back and hands it to `on_start`.
//!
//! * **The network the model was checked on.** With [`Transport::Reliable`] (for models
//!   checked on a reliable network), messages to a peer travel in the frames of a
//!   [`Link`]: the checked Selective Repeat machine ([`super::transport`]); a frame carries
//!   the messages one poll emitted to that peer (coalesced as before) and acknowledgements
//!   share datagrams with frames. With [`Transport::Raw`] (lossy models), datagrams as above.
//! * **Faults on the wire.** Every datagram sent passes the node's [`Injector`]
//!   ([`super::faults`]): lost, duplicated, delayed, reordered or cut by a partition, from
//!   the seed.
//!
//! Every datagram the node refuses is counted by reason ([`Drops`]), as is every coalesced
//! datagram cut short by a bad frame (its messages before that frame are delivered); nothing
//! a peer (or anyone) sends can make it panic.

use super::batch::{Inbox, Outbox};
use super::faults::{Admit, Injected, Injector, WireFaults};
use super::transport::{Link, LinkStats, Payload, WINDOW};
use super::wire::{self, Datagram, DecodeError, DATAGRAM_MAX, KIND_SEGMENT, SEGMENT_PAYLOAD_MAX};
use crate::sim::{Step, StepOf};
use models::rng::SplitMix64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateright::actor::{is_no_op, Actor, Command, Id, Out};
use std::borrow::Cow;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Upper bound, in microseconds, of the delay before a node resolves a random choice.
pub const RANDOM_DELAY_US_MAX: u64 = 200;

/// How long after evidence of loss (a gap in a peer's datagram numbers, a fast retransmit)
/// seen twice within [`LOSS_WINDOW`] a node keeps waiting for its links' deadlines with a
/// high-resolution timeout (see [`wait_plan`]).
pub const PRECISE_AFTER_LOSS: Duration = Duration::from_secs(1);

/// Evidence of loss counts when it comes twice within this: one isolated drop does not switch
/// a node to high-resolution waits for [`PRECISE_AFTER_LOSS`], while a path losing 1 % of its
/// datagrams shows evidence every few ms.
pub const LOSS_WINDOW: Duration = Duration::from_millis(100);

/// Outside that time, the longest a node with a link deadline pending blocks in the socket
/// (whose read timeout the kernel rounds up to its tick: 4 to 8 ms at 250 Hz).
pub const LINK_TICK: Duration = Duration::from_millis(4);

/// Datagrams refused, by reason (see [`DecodeError`]). A coalesced datagram whose frames
/// decode only up to a bad one is counted once here, under the bad frame's reason, though the
/// messages before it were delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drops {
    pub malformed: u64,
    pub truncated: u64,
    pub oversized: u64,
    pub unknown_sender: u64,
    pub wrong_epoch: u64,
}

impl Drops {
    pub fn count(&mut self, reason: DecodeError) {
        match reason {
            DecodeError::Malformed => self.malformed += 1,
            DecodeError::Truncated => self.truncated += 1,
            DecodeError::Oversized => self.oversized += 1,
            DecodeError::UnknownSender => self.unknown_sender += 1,
            DecodeError::WrongEpoch => self.wrong_epoch += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.malformed + self.truncated + self.oversized + self.unknown_sender + self.wrong_epoch
    }

    pub fn add(&mut self, other: &Drops) {
        self.malformed += other.malformed;
        self.truncated += other.truncated;
        self.oversized += other.oversized;
        self.unknown_sender += other.unknown_sender;
        self.wrong_epoch += other.wrong_epoch;
    }
}

/// What a node did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Messages sent.
    pub sent: u64,
    /// Datagrams sent (a datagram carries one message or several, coalesced).
    pub datagrams_sent: u64,
    /// Messages received and handed to the actor.
    pub received: u64,
    /// Datagrams received, accepted or not (wakes included).
    pub datagrams_received: u64,
    /// Datagrams refused, by reason.
    pub dropped: Drops,
    /// Wake datagrams received (cluster control, not protocol messages).
    pub wakes: u64,
    /// Sends that failed: the message was too large, or the socket refused it.
    pub send_errors: u64,
    /// Messages addressed to an id that is not a peer (kept by the model forever; never sent).
    pub undeliverable: u64,
    /// Timers fired and random choices resolved.
    pub timeouts: u64,
    pub randoms: u64,
    /// Storage writes that failed.
    pub storage_errors: u64,
    /// Reliable channel: frames retransmitted (on a timer or fast), fast retransmissions,
    /// and datagrams dropped as not newer than one already received (reordered, duplicated,
    /// second copies).
    pub retransmitted: u64,
    pub fast_retransmits: u64,
    pub stale: u64,
    /// Reliable channel: datagrams sent that carried no frame (acknowledgements alone, or a
    /// notice to a restarted peer), the channel's cost in datagrams beyond the messages.
    #[serde(default)]
    pub ack_only: u64,
    /// Waits for datagrams with a high-resolution timeout (an actor's timer or random choice
    /// due soon, a delayed datagram, or a link deadline after evidence of loss; see
    /// [`wait_plan`]), each a timer programmed and cancelled.
    #[serde(default)]
    pub precise_waits: u64,
    /// Reliable channel: datagrams sent a second time, back to back, because the peer saw
    /// datagrams from this node lost lately (see [`super::transport`]).
    #[serde(default)]
    pub copies: u64,
    /// Faults injected into what this node sent.
    pub injected: Injected,
}

impl Counters {
    pub fn add(&mut self, o: &Counters) {
        self.sent += o.sent;
        self.datagrams_sent += o.datagrams_sent;
        self.received += o.received;
        self.datagrams_received += o.datagrams_received;
        self.dropped.add(&o.dropped);
        self.wakes += o.wakes;
        self.send_errors += o.send_errors;
        self.undeliverable += o.undeliverable;
        self.timeouts += o.timeouts;
        self.randoms += o.randoms;
        self.storage_errors += o.storage_errors;
        self.retransmitted += o.retransmitted;
        self.fast_retransmits += o.fast_retransmits;
        self.stale += o.stale;
        self.ack_only += o.ack_only;
        self.precise_waits += o.precise_waits;
        self.copies += o.copies;
        self.injected.add(&o.injected);
    }
}

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The id is not one of the system's actors.
    #[error("id {id} out of range: the system has {actors} actors (ids 0..{actors})")]
    IdOutOfRange { id: usize, actors: usize },
    /// `--peers` must list every actor's address, in id order.
    #[error("{given} peer addresses given, but the system has {actors} actors: list every node's address in id order, this node's included")]
    PeerCount { given: usize, actors: usize },
    /// The listen address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The storage directory or file could not be used.
    #[error("storage {path}: {reason}")]
    Storage { path: PathBuf, reason: String },
    /// Another socket error.
    #[error("socket: {0}")]
    Socket(#[from] std::io::Error),
}

/// Sees every step a node takes, before its datagrams leave. A cluster uses it to record the
/// model's history, publish states and judge properties; a lone node uses `()`.
pub trait Observer<A: Actor>: Sync {
    /// The node `id`, in `epoch`, took a step: it handled `delivered` (if a message), emitted
    /// `sends`, and its state is now `state`. `delivered` carries the sender, the message
    /// and whether the delivery was a no-op (no state change, no command), which the model
    /// does not record in its history on unordered networks. `step` is the step as a model
    /// action (`None` for a start), given only when [`Observer::wants_steps`] says so.
    #[allow(clippy::too_many_arguments)]
    fn on_step(
        &self,
        _epoch: u64,
        _id: Id,
        _delivered: Option<(Id, &A::Msg, bool)>,
        _step: Option<&StepOf<A>>,
        _sends: &[(Id, A::Msg)],
        _state: &Arc<A::State>,
        _storage: &Option<A::Storage>,
    ) {
    }
    /// Whether [`Observer::on_step`] wants each step as a model action (trace validation);
    /// building it costs a copy of the message, timer or random value.
    fn wants_steps(&self) -> bool {
        false
    }
    /// The epoch the node should be in, when something outside decides it (a cluster that
    /// starts a new instance); `None` keeps the node's own.
    fn current_epoch(&self) -> Option<u64> {
        None
    }
}

impl<A: Actor> Observer<A> for () {}

/// How a node is set up.
#[derive(Clone, Debug)]
pub struct NodeCfg {
    pub id: Id,
    /// Every node's address, in id order (this node's included).
    pub peers: Vec<SocketAddr>,
    /// The run id: datagrams of another epoch are dropped.
    pub epoch: u64,
    /// Seed of the node's generator (timer deadlines, random choices); mixed with the id.
    pub seed: u64,
    /// Where `Save` writes the storage and where it is read back at start.
    pub storage_dir: Option<PathBuf>,
}

/// Which channel carries a node's messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// One datagram per poll and peer, nothing retransmitted: the network of a model checked
    /// with lossy=true.
    #[default]
    Raw,
    /// The checked Selective Repeat channel per pair of nodes ([`super::transport`]): the
    /// network of a model checked with lossy=false.
    Reliable,
}

/// The network a node provides its actor: the channel and the faults injected below it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetCfg {
    pub transport: Transport,
    pub faults: WireFaults,
}

/// A running node of actor `A`.
pub struct Node<'a, A: Actor, O: Observer<A>> {
    actor: &'a A,
    observer: &'a O,
    cfg: NodeCfg,
    socket: UdpSocket,
    epoch: u64,
    state: Arc<A::State>,
    storage: Option<A::Storage>,
    timers: Vec<(A::Timer, Instant)>,
    randoms: Vec<(String, Vec<A::Random>, Instant)>,
    rng: SplitMix64,
    counters: Counters,
    /// Datagrams received in one system call, handled in order.
    inbox: Inbox,
    /// Messages the handlers emitted, encoded (postcard, no header) back to back.
    payloads: Vec<u8>,
    /// The destination (peer index) and the end offset in `payloads` of each message, in the
    /// order emitted; coalesced into datagrams at the end of each poll.
    pending: Vec<(usize, usize)>,
    /// Datagrams ready to leave, sent together at the end of each poll.
    outbox: Outbox,
    /// Where a datagram is built before it joins the outbox.
    send_buf: Vec<u8>,
    /// The read timeout last set on the socket, to skip needless system calls.
    read_timeout: Option<Duration>,
    reliable: bool,
    /// The reliable channel to each peer (empty with [`Transport::Raw`]).
    links: Vec<Link>,
    /// Stats of links already reset (new instances).
    links_done: LinkStats,
    /// Drawn at start: tells the peers this node restarted.
    incarnation: u64,
    injector: Option<Injector>,
    /// Datagrams the injector delays: due time, destination, bytes, messages.
    held: Vec<(Instant, usize, Vec<u8>, u64)>,
    /// Until when the links' deadlines are waited for precisely ([`PRECISE_AFTER_LOSS`]).
    precise_links_until: Option<Instant>,
    /// When a link last saw evidence of loss ([`LOSS_WINDOW`]).
    last_loss: Option<Instant>,
}

/// The file a node's storage lives in.
pub fn storage_path(dir: &Path, id: Id) -> PathBuf {
    dir.join(format!("node-{}.storage", usize::from(id)))
}

impl<'a, A, O> Node<'a, A, O>
where
    A: Actor,
    A::Msg: Serialize + DeserializeOwned,
    A::Storage: Serialize + DeserializeOwned,
    O: Observer<A>,
{
    /// Starts actor `actors[cfg.id]` on `socket` (already bound): reads its storage back, if
    /// any, and runs `on_start`.
    pub fn start(
        actors: &'a [A],
        socket: UdpSocket,
        cfg: NodeCfg,
        observer: &'a O,
    ) -> Result<Self, NodeError> {
        Self::start_with(actors, socket, cfg, observer, NetCfg::default())
    }

    /// [`Node::start`] on the network `net` (channel and injected faults).
    pub fn start_with(
        actors: &'a [A],
        socket: UdpSocket,
        cfg: NodeCfg,
        observer: &'a O,
        net: NetCfg,
    ) -> Result<Self, NodeError> {
        let index = usize::from(cfg.id);
        let actor = actors.get(index).ok_or(NodeError::IdOutOfRange {
            id: index,
            actors: actors.len(),
        })?;
        if cfg.peers.len() != actors.len() {
            return Err(NodeError::PeerCount {
                given: cfg.peers.len(),
                actors: actors.len(),
            });
        }
        let storage = match &cfg.storage_dir {
            Some(dir) => read_storage::<A::Storage>(dir, cfg.id)?,
            None => None,
        };
        let rng = SplitMix64::new(cfg.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut out = Out::new();
        let state = Arc::new(actor.on_start(cfg.id, &storage, &mut out));
        let started = Instant::now();
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let peers = cfg.peers.len();
        let reliable = net.transport == Transport::Reliable;
        let incarnation = (clock ^ cfg.seed.rotate_left(17) ^ index as u64) | 1;
        let injector = (!net.faults.is_none())
            .then(|| Injector::new(net.faults, cfg.seed, index, peers, started));
        let mut node = Self {
            actor,
            observer,
            epoch: cfg.epoch,
            cfg,
            socket,
            state,
            storage,
            timers: Vec::new(),
            randoms: Vec::new(),
            rng,
            counters: Counters::default(),
            // One byte more than accepted, so that a longer datagram is seen as oversized.
            inbox: Inbox::new(DATAGRAM_MAX + 1),
            payloads: Vec::with_capacity(1024),
            pending: Vec::new(),
            outbox: Outbox::default(),
            send_buf: Vec::with_capacity(256),
            read_timeout: None,
            reliable,
            links: if reliable {
                vec![Link::new(); peers]
            } else {
                Vec::new()
            },
            links_done: LinkStats::default(),
            incarnation,
            injector,
            held: Vec::new(),
            precise_links_until: None,
            last_loss: None,
        };
        node.apply(None, None, out);
        node.flush();
        Ok(node)
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn state(&self) -> &Arc<A::State> {
        &self.state
    }

    pub fn storage(&self) -> &Option<A::Storage> {
        &self.storage
    }

    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Runs until `deadline`.
    pub fn run_until(&mut self, deadline: Instant) {
        // A fixed poll bound keeps the socket's read timeout unchanged between polls (one
        // system call less per datagram) at the cost of ending up to 10 ms late.
        while Instant::now() < deadline {
            self.poll(Duration::from_millis(10));
        }
    }

    /// One round of work: switch epoch if told to, fire what is due, send what that emitted,
    /// then wait at most `max_wait` for datagrams, handle every one already queued (up to a
    /// batch, [`super::batch::BATCH`]) in order, and send what they emitted together.
    pub fn poll(&mut self, max_wait: Duration) {
        if let Some(epoch) = self.observer.current_epoch() {
            if epoch != self.epoch {
                self.restart(epoch);
            }
        }
        self.fire_due();
        self.flush();
        let now = Instant::now();
        let exact = self
            .timers
            .iter()
            .map(|(_, at)| *at)
            .chain(self.randoms.iter().map(|(_, _, at)| *at))
            .chain(self.held.iter().map(|(at, ..)| *at))
            .min();
        let links = self.links.iter().filter_map(Link::next_deadline).min();
        let links_precise = self.precise_links_until.is_some_and(|t| now < t);
        let (wait, precise) = wait_plan(now, max_wait, self.reliable, exact, links, links_precise);
        if wait.is_zero() {
            return;
        }
        if precise {
            self.counters.precise_waits += 1;
            // The socket's read timeout is rounded up to the kernel's tick (4 ms at 250 Hz),
            // far too coarse for a random choice due in 200 µs or a timer due in 1 ms: wait
            // for readability with a high-resolution timeout instead.
            let readable = wait_readable(&self.socket, wait);
            #[cfg(not(unix))]
            {
                self.read_timeout = None;
            }
            if !readable {
                return;
            }
        } else if self.read_timeout != Some(wait) {
            if self.socket.set_read_timeout(Some(wait)).is_err() {
                return;
            }
            self.read_timeout = Some(wait);
        }
        // Readable already on the precise path: take what is queued without waiting.
        let mut inbox = std::mem::take(&mut self.inbox);
        inbox.receive(&self.socket, !precise);
        for i in 0..inbox.len() {
            let (bytes, from) = inbox.get(i);
            self.handle_datagram(bytes, from);
        }
        self.inbox = inbox;
        self.note_loss();
        self.flush();
    }

    /// Starts (or extends) the time in which link deadlines are waited for precisely if a
    /// link saw evidence of loss, the second time within [`LOSS_WINDOW`].
    fn note_loss(&mut self) {
        let mut seen = false;
        for link in &mut self.links {
            seen |= link.take_loss_seen();
        }
        if seen {
            let now = Instant::now();
            if self
                .last_loss
                .is_some_and(|t| now.saturating_duration_since(t) < LOSS_WINDOW)
            {
                self.precise_links_until = Some(now + PRECISE_AFTER_LOSS);
            }
            self.last_loss = Some(now);
        }
    }

    /// Handles `bytes` as if they had arrived from `from` (tests and fuzzing feed datagrams
    /// this way, without a socket), and sends what that emitted. Longer input than a socket
    /// would deliver is cut as the socket would cut it.
    pub fn handle_bytes(&mut self, bytes: &[u8], from: SocketAddr) {
        self.handle_datagram(&bytes[..bytes.len().min(DATAGRAM_MAX + 1)], from);
        self.flush();
    }

    /// Handles one received datagram, from `from`.
    fn handle_datagram(&mut self, bytes: &[u8], from: SocketAddr) {
        self.counters.datagrams_received += 1;
        if bytes.get(3) == Some(&KIND_SEGMENT) && bytes.len() <= DATAGRAM_MAX {
            return self.handle_segment(bytes, from);
        }
        match wire::decode::<A::Msg>(bytes, self.cfg.peers.len()) {
            Err(reason) => self.counters.dropped.count(reason),
            Ok(Datagram::Wake { epoch }) => {
                self.counters.wakes += 1;
                if self.observer.current_epoch() == Some(epoch) && epoch != self.epoch {
                    self.restart(epoch);
                }
            }
            Ok(Datagram::Msg { src, epoch, msg }) => {
                if self.accept(src, epoch, from) {
                    self.counters.received += 1;
                    self.deliver(src, msg);
                }
            }
            Ok(Datagram::Batch {
                src,
                epoch,
                msgs,
                rest,
            }) => {
                if !self.accept(src, epoch, from) {
                    return;
                }
                // One step per message, in order, as if each had come alone.
                for msg in msgs {
                    self.counters.received += 1;
                    self.deliver(src, msg);
                }
                if let Some(reason) = rest {
                    self.counters.dropped.count(reason);
                }
            }
        }
    }

    /// Handles a reliable-channel segment: acks and frames through the peer's link, then
    /// each message the link now delivers, in order, as a step of its own.
    fn handle_segment(&mut self, bytes: &[u8], from: SocketAddr) {
        let (src, epoch, seg) =
            match wire::decode_segment(bytes, self.cfg.peers.len(), WINDOW.modulus()) {
                Ok(s) => s,
                Err(reason) => return self.counters.dropped.count(reason),
            };
        if !self.reliable {
            // This node runs raw datagrams: a segment is not of this run's format.
            return self.counters.dropped.count(DecodeError::Malformed);
        }
        if !self.accept(src, epoch, from) {
            return;
        }
        let mut delivered: Vec<Payload> = Vec::new();
        self.links[usize::from(src)].handle_segment(
            &seg,
            self.incarnation,
            Instant::now(),
            &mut delivered,
        );
        for payload in delivered {
            let (msgs, rest) = wire::decode_frames::<A::Msg>(&payload);
            for msg in msgs {
                self.counters.received += 1;
                self.deliver(src, msg);
            }
            if let Some(reason) = rest {
                self.counters.dropped.count(reason);
            }
        }
    }

    /// Whether a datagram from peer `src` in `epoch`, received from `from`, is taken (after
    /// following the cluster to a new epoch if need be); counts it as dropped if not.
    fn accept(&mut self, src: Id, epoch: u64, from: SocketAddr) -> bool {
        if self.cfg.peers[usize::from(src)] != from {
            self.counters.dropped.count(DecodeError::UnknownSender);
            return false;
        }
        if epoch != self.epoch {
            // A peer may have started the cluster's next instance before this node heard of
            // it: follow it if the cluster says so.
            if self.observer.current_epoch() == Some(epoch) {
                self.restart(epoch);
            } else {
                self.counters.dropped.count(DecodeError::WrongEpoch);
                return false;
            }
        }
        true
    }

    fn deliver(&mut self, src: Id, msg: A::Msg) {
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&*self.state);
        self.actor
            .on_msg(self.cfg.id, &mut state, src, msg.clone(), &mut out);
        let no_op = is_no_op(&state, &out);
        if let Cow::Owned(next) = state {
            self.state = Arc::new(next);
        }
        let step = self.observer.wants_steps().then(|| Step::Deliver {
            src,
            dst: self.cfg.id,
            msg: msg.clone(),
        });
        self.apply(Some((src, &msg, no_op)), step, out);
    }

    /// A new instance: volatile state, timers, random choices and storage start afresh.
    fn restart(&mut self, epoch: u64) {
        // Messages of the old instance still pending leave under its epoch.
        if !self.pending.is_empty() {
            self.coalesce();
        }
        self.pack_links();
        self.note_loss();
        self.epoch = epoch;
        for link in &mut self.links {
            let old = std::mem::replace(link, link.renewed());
            self.links_done.retransmitted += old.stats.retransmitted;
            self.links_done.fast_retransmits += old.stats.fast_retransmits;
            self.links_done.stale += old.stats.stale;
        }
        self.timers.clear();
        self.randoms.clear();
        self.storage = None;
        let mut out = Out::new();
        self.state = Arc::new(self.actor.on_start(self.cfg.id, &None, &mut out));
        self.apply(None, None, out);
    }

    /// Fires every timer and random choice that is due, earliest first.
    fn fire_due(&mut self) {
        if !self.links.is_empty() {
            let now = Instant::now();
            for link in &mut self.links {
                link.fire_due(now);
            }
        }
        loop {
            let now = Instant::now();
            let timer = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (_, at))| *at <= now)
                .min_by_key(|(_, (_, at))| *at)
                .map(|(i, (_, at))| (i, *at));
            let random = self
                .randoms
                .iter()
                .enumerate()
                .filter(|(_, (_, _, at))| *at <= now)
                .min_by_key(|(_, (_, _, at))| *at)
                .map(|(i, (_, _, at))| (i, *at));
            let mut out = Out::new();
            let mut state = Cow::Borrowed(&*self.state);
            let wants_steps = self.observer.wants_steps();
            let step = match (timer, random) {
                (None, None) => return,
                (Some((i, t)), r) if r.is_none_or(|(_, at)| t <= at) => {
                    // Cleared before the handler runs, as in the model.
                    let (timer, _) = self.timers.remove(i);
                    self.counters.timeouts += 1;
                    self.actor
                        .on_timeout(self.cfg.id, &mut state, &timer, &mut out);
                    wants_steps.then(|| Step::Timeout {
                        id: self.cfg.id,
                        timer,
                    })
                }
                (_, Some((i, _))) => {
                    let (key, options, _) = self.randoms.remove(i);
                    let pick = self.rng.index(options.len());
                    self.counters.randoms += 1;
                    self.actor
                        .on_random(self.cfg.id, &mut state, &options[pick], &mut out);
                    wants_steps.then(|| Step::SelectRandom {
                        actor: self.cfg.id,
                        key,
                        random: options[pick].clone(),
                    })
                }
                (Some(_), None) => unreachable!("the guard above takes every timer alone"),
            };
            if let Cow::Owned(next) = state {
                self.state = Arc::new(next);
            }
            self.apply(None, step, out);
        }
    }

    /// Applies the commands a handler emitted, in order, after showing the step to the
    /// observer (so that a cluster records a send before its receiver can see it).
    fn apply(
        &mut self,
        delivered: Option<(Id, &A::Msg, bool)>,
        step: Option<StepOf<A>>,
        out: Out<A>,
    ) {
        let mut sends: Vec<(Id, A::Msg)> = Vec::new();
        for command in out {
            match command {
                Command::Send(dst, msg) => sends.push((dst, msg)),
                Command::SetTimer(timer, range) => {
                    let at = Instant::now() + self.draw_delay(&range);
                    match self.timers.iter_mut().find(|(t, _)| *t == timer) {
                        Some(entry) => entry.1 = at,
                        None => self.timers.push((timer, at)),
                    }
                }
                Command::CancelTimer(timer) => self.timers.retain(|(t, _)| *t != timer),
                Command::ChooseRandom(key, options) => {
                    self.randoms.retain(|(k, _, _)| *k != key);
                    if !options.is_empty() {
                        let delay = self.rng.between(0, RANDOM_DELAY_US_MAX);
                        let at = Instant::now() + Duration::from_micros(delay);
                        self.randoms.push((key, options, at));
                    }
                }
                Command::Save(storage) => self.save(storage),
            }
        }
        self.observer.on_step(
            self.epoch,
            self.cfg.id,
            delivered,
            step.as_ref(),
            &sends,
            &self.state,
            &self.storage,
        );
        for (dst, msg) in sends {
            self.send(dst, &msg);
        }
    }

    /// Encodes a message and queues it; [`Node::flush`] sends it.
    fn send(&mut self, dst: Id, msg: &A::Msg) {
        let dst = usize::from(dst);
        if dst >= self.cfg.peers.len() {
            self.counters.undeliverable += 1;
            return;
        }
        if wire::encode_payload(&mut self.payloads, msg).is_err() {
            self.counters.send_errors += 1;
            return;
        }
        self.pending.push((dst, self.payloads.len()));
    }

    /// Sends every queued message: those to one peer coalesced, in the order the handlers
    /// emitted them, into as few datagrams as fit; peers in the order of their first message.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.coalesce();
        }
        self.pack_links();
        self.release_held();
        let done = self.outbox.flush(&self.socket);
        self.counters.sent += done.messages;
        self.counters.datagrams_sent += done.datagrams;
        self.counters.send_errors += done.refused_messages;
    }

    /// Queues a datagram (in `send_buf`) to peer `dst` carrying `messages`, through the
    /// injector if any.
    fn emit(&mut self, dst: usize, messages: u64) {
        let admit = match &mut self.injector {
            None => Admit::Send {
                copies: 1,
                due: None,
            },
            Some(inj) => inj.admit(usize::from(self.cfg.id), dst, Instant::now()),
        };
        if let Some(inj) = &self.injector {
            self.counters.injected = inj.injected;
        }
        let addr = self.cfg.peers[dst];
        match admit {
            Admit::Drop => self.counters.sent += messages,
            Admit::Send { copies, due: None } => {
                for _ in 0..copies {
                    self.outbox.push_messages(&self.send_buf, addr, messages);
                }
            }
            Admit::Send {
                copies,
                due: Some(at),
            } => {
                for _ in 0..copies {
                    self.held.push((at, dst, self.send_buf.clone(), messages));
                }
            }
        }
    }

    /// Moves the delayed datagrams now due to the outbox, earliest first.
    fn release_held(&mut self) {
        if self.held.is_empty() {
            return;
        }
        let now = Instant::now();
        self.held.sort_by_key(|(at, ..)| *at);
        let due = self.held.partition_point(|(at, ..)| *at <= now);
        for (_, dst, bytes, messages) in self.held.drain(..due) {
            self.outbox
                .push_messages(&bytes, self.cfg.peers[dst], messages);
        }
    }

    /// Puts what each link has to send (acks, frames) into datagrams.
    fn pack_links(&mut self) {
        let now = Instant::now();
        for dst in 0..self.links.len() {
            if !self.links[dst].has_output(now) {
                continue;
            }
            let (acks, frames, peer_incarnation) = self.links[dst].take_output();
            let frames: Vec<(u32, &[u8])> = frames.iter().map(|(s, p)| (*s, &p[..])).collect();
            let mut datagrams: Vec<Vec<u8>> = Vec::new();
            let link = &mut self.links[dst];
            wire::pack_segments(
                &mut self.send_buf,
                self.cfg.id,
                self.epoch,
                (self.incarnation, peer_incarnation),
                &acks,
                &frames,
                || link.next_number(),
                |d| datagrams.push(d.to_vec()),
            );
            // Acks alone are not copied: a lost one costs a spurious retransmission, not a
            // stalled peer.
            let copies = link.copies() && !frames.is_empty();
            self.counters.ack_only += if frames.is_empty() {
                datagrams.len() as u64
            } else {
                0
            };
            for d in datagrams {
                self.send_buf = d;
                // Messages are counted once, when they enter the link.
                self.emit(dst, 0);
                if copies {
                    wire::mark_copy(&mut self.send_buf);
                    self.emit(dst, 0);
                    self.counters.copies += 1;
                }
            }
        }
        let mut stats = self.links_done;
        for link in &self.links {
            stats.retransmitted += link.stats.retransmitted;
            stats.fast_retransmits += link.stats.fast_retransmits;
            stats.stale += link.stats.stale;
        }
        self.counters.retransmitted = stats.retransmitted;
        self.counters.fast_retransmits = stats.fast_retransmits;
        self.counters.stale = stats.stale;
    }

    /// Reliable channel: the pending messages to each peer become frame payloads (as many
    /// messages per payload as fit) queued on its link, in order.
    fn coalesce_reliable(&mut self) {
        let now = Instant::now();
        let (pending, bytes) = (&self.pending, &self.payloads);
        let payload = |k: usize| {
            let start = if k == 0 { 0 } else { pending[k - 1].1 };
            &bytes[start..pending[k].1]
        };
        let mut dsts: Vec<usize> = Vec::new();
        for &(dst, _) in pending {
            if !dsts.contains(&dst) {
                dsts.push(dst);
            }
        }
        for dst in dsts {
            let mut frame: Vec<u8> = Vec::new();
            for k in (0..pending.len()).filter(|&k| pending[k].0 == dst) {
                let p = payload(k);
                if wire::FRAME_LEN + p.len() > SEGMENT_PAYLOAD_MAX {
                    self.counters.send_errors += 1;
                    continue;
                }
                if frame.len() + wire::FRAME_LEN + p.len() > SEGMENT_PAYLOAD_MAX {
                    self.links[dst].push(Payload::from(std::mem::take(&mut frame)), now);
                }
                wire::push_frame(&mut frame, p);
                self.counters.sent += 1;
            }
            if !frame.is_empty() {
                self.links[dst].push(Payload::from(frame), now);
            }
        }
        self.pending.clear();
        self.payloads.clear();
    }

    /// Turns the pending messages into datagrams in the outbox, and forgets them.
    fn coalesce(&mut self) {
        if self.reliable {
            return self.coalesce_reliable();
        }
        let (pending, bytes) = (
            std::mem::take(&mut self.pending),
            std::mem::take(&mut self.payloads),
        );
        let payload = |k: usize| {
            let start = if k == 0 { 0 } else { pending[k - 1].1 };
            &bytes[start..pending[k].1]
        };
        // Peers in the order of their first message (a node has few peers: a linear scan).
        let mut dsts: Vec<usize> = Vec::new();
        for &(dst, _) in &pending {
            if !dsts.contains(&dst) {
                dsts.push(dst);
            }
        }
        let mut ks: Vec<usize> = Vec::with_capacity(pending.len());
        for dst in dsts {
            ks.clear();
            ks.extend((0..pending.len()).filter(|&k| pending[k].0 == dst));
            let mut next = 0;
            for run in wire::coalesce(ks.iter().map(|&k| payload(k).len())) {
                let run_ks = &ks[next..next + run];
                wire::pack(
                    &mut self.send_buf,
                    self.cfg.id,
                    self.epoch,
                    run_ks.iter().map(|&k| payload(k)),
                );
                self.emit(dst, run as u64);
                next += run;
            }
        }
        // Keep the allocations.
        self.pending = pending;
        self.payloads = bytes;
        self.pending.clear();
        self.payloads.clear();
    }

    fn save(&mut self, storage: A::Storage) {
        if let Some(dir) = &self.cfg.storage_dir {
            if write_storage(dir, self.cfg.id, &storage).is_err() {
                self.counters.storage_errors += 1;
            }
        }
        self.storage = Some(storage);
    }

    /// A delay drawn uniformly from the half-open `range`, or its start if it is empty.
    fn draw_delay(&mut self, range: &Range<Duration>) -> Duration {
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let (lo, hi) = (micros(range.start), micros(range.end));
        let us = if hi <= lo {
            lo
        } else {
            self.rng.between(lo, hi - 1)
        };
        Duration::from_micros(us)
    }
}

/// How long a node waits for datagrams (at most `max_wait`), and whether it needs a
/// high-resolution timeout, at `now`, given the earliest deadline that must be met on time
/// (`exact`: the actor's timers and random choices, the injector's delayed datagrams), the
/// links' earliest deadline (retransmission, held acks; only a `reliable` node has links) and
/// whether links must be on time too.
///
/// A high-resolution timeout costs a timer programmed and cancelled on each wait, which on a
/// virtual machine (where programming the timer exits to the hypervisor) cost a third of the
/// loss-free throughput of the reliable channel: with a frame in flight a node always has a
/// link deadline, although without loss it is never reached (the ack comes first). So link
/// deadlines are met precisely only for [`PRECISE_AFTER_LOSS`] after evidence of loss; until
/// then a node blocks in the socket for at most [`LINK_TICK`] and handles a deadline at its
/// next wake (a datagram, or that tick): a retransmission or held ack is then late by at most
/// a few ms, which only the first loss on a loss-free path pays. A precise wait for `exact`
/// includes the links' deadline, which then costs nothing more.
///
/// A reliable node blocks for at most [`LINK_TICK`] whether or not a link deadline is pending,
/// so that the socket's read timeout stays the same from wait to wait (one system call less
/// each time).
pub fn wait_plan(
    now: Instant,
    max_wait: Duration,
    reliable: bool,
    exact: Option<Instant>,
    links: Option<Instant>,
    links_precise: bool,
) -> (Duration, bool) {
    let max_wait = if reliable {
        max_wait.min(LINK_TICK)
    } else {
        max_wait
    };
    let until = |at: Instant| at.saturating_duration_since(now);
    let precise = exact
        .filter(|&at| until(at) < max_wait)
        .or(links.filter(|&at| links_precise && until(at) < max_wait));
    match precise {
        Some(at) => (until(links.map_or(at, |l| l.min(at))), true),
        None => (max_wait, false),
    }
}

/// Waits at most `wait` (at microsecond resolution) for a datagram to be readable.
#[cfg(unix)]
fn wait_readable(socket: &UdpSocket, wait: Duration) -> bool {
    use std::os::fd::AsRawFd;
    let mut fd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let timeout = libc::timespec {
        tv_sec: wait.as_secs() as libc::time_t,
        tv_nsec: libc::c_long::from(wait.subsec_nanos() as i32),
    };
    // SAFETY: one valid pollfd, a valid timespec, no signal mask.
    let ready = unsafe { libc::ppoll(&mut fd, 1, &timeout, std::ptr::null()) };
    ready > 0
}

/// Elsewhere, the socket's own read timeout (coarser, but correct).
#[cfg(not(unix))]
fn wait_readable(socket: &UdpSocket, wait: Duration) -> bool {
    socket.set_read_timeout(Some(wait)).is_ok()
}

/// Writes `storage` to the node's file atomically: a temporary file, then a rename.
pub fn write_storage<S: Serialize>(dir: &Path, id: Id, storage: &S) -> std::io::Result<()> {
    let bytes = wire::encode_storage(storage)
        .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e.to_string()))?;
    let path = storage_path(dir, id);
    let tmp = path.with_extension("storage.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)
}

/// Reads the node's storage back: `None` when there is no file yet, an error when the file
/// exists but cannot be read or decoded (refusing to start beats forgetting a promise).
pub fn read_storage<S: DeserializeOwned>(dir: &Path, id: Id) -> Result<Option<S>, NodeError> {
    let path = storage_path(dir, id);
    let storage_err = |reason: String| NodeError::Storage {
        path: path.clone(),
        reason,
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::Storage {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    match std::fs::read(&path) {
        Ok(bytes) => wire::decode_storage(&bytes)
            .map(Some)
            .ok_or_else(|| storage_err("not a storage file of this protocol".into())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(storage_err(e.to_string())),
    }
}

/// Binds a UDP socket on `addr`, with a clear error.
pub fn bind(addr: SocketAddr) -> Result<UdpSocket, NodeError> {
    UdpSocket::bind(addr).map_err(|source| NodeError::Bind { addr, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_deadlines_are_met_precisely_only_after_evidence_of_loss() {
        let now = Instant::now();
        let max = Duration::from_millis(10);
        let us = |n: u64| now + Duration::from_micros(n);
        // Raw datagrams wait up to the longest wait; a reliable node a tick at most, whether
        // or not a link deadline is pending.
        assert_eq!(wait_plan(now, max, false, None, None, false), (max, false));
        assert_eq!(
            wait_plan(now, max, true, None, None, false),
            (LINK_TICK, false)
        );
        // A retransmission deadline on a loss-free path: block in the socket, a tick at most.
        assert_eq!(
            wait_plan(now, max, true, None, Some(us(400)), false),
            (LINK_TICK, false)
        );
        assert_eq!(
            wait_plan(
                now,
                Duration::from_millis(2),
                true,
                None,
                Some(us(400)),
                false
            ),
            (Duration::from_millis(2), false)
        );
        // After evidence of loss: on time.
        assert_eq!(
            wait_plan(now, max, true, None, Some(us(400)), true),
            (Duration::from_micros(400), true)
        );
        // Beyond the longest wait, a deadline needs no timer yet.
        assert_eq!(
            wait_plan(now, max, true, None, Some(us(20_000)), true),
            (LINK_TICK, false)
        );
        // An actor's timer is always met on time, and the precise wait then covers the links.
        assert_eq!(
            wait_plan(now, max, false, Some(us(900)), None, false),
            (Duration::from_micros(900), true)
        );
        assert_eq!(
            wait_plan(now, max, true, Some(us(900)), Some(us(400)), false),
            (Duration::from_micros(400), true)
        );
        assert_eq!(
            wait_plan(now, max, true, Some(us(900)), Some(us(2_000)), false),
            (Duration::from_micros(900), true)
        );
        assert_eq!(
            wait_plan(now, max, false, Some(us(50_000)), None, false),
            (max, false)
        );
        // Due already: no wait.
        assert_eq!(
            wait_plan(us(500), max, false, Some(us(100)), None, false),
            (Duration::ZERO, true)
        );
    }
}
