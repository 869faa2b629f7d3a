//! A deterministic, in-memory simulator for any stateright [`Actor`] system.
//!
//! # What it is
//!
//! The actors are pure state machines: messages, timeouts and random choices in; a new state and
//! a list of [`Command`]s out. This driver plugs in the three things they leave out, the clock,
//! the network and randomness, and runs the very same actor values the model checker explores.
//! It is the design of TigerBeetle's VOPR and of quinn's split between `quinn-proto` and `quinn`:
//! no threads, no wall clock, no sockets, so a run is a pure function of the actors, the
//! [`SystemCfg`] and the [`SimCfg`] (whose `seed` drives one [`SplitMix64`] generator).
//!
//! # The event loop
//!
//! Virtual time is counted in microseconds. Pending work sits in one queue ordered by
//! (virtual time, sequence number): message arrivals, timer deadlines and resolutions of random
//! choices. [`Sim::step`] pops the earliest event and applies it; ties are broken by the order
//! in which the events were scheduled, so equal seeds give identical runs.
//!
//! Every effect an actor emits is applied in order exactly as `ActorModel::process_commands`
//! does: `Send` puts a message on the network, `SetTimer` sets the timer (a timer already set
//! with the same value is replaced, with a new deadline drawn from the given range), `CancelTimer`
//! clears it, `ChooseRandom` records the options under the key (a new call with the same key
//! overwrites, an empty list removes), and `Save` replaces the actor's storage. A timer that
//! fires is cleared *before* `on_timeout` runs, so the handler may set it again. A random choice
//! is resolved a seeded delay of at most [`RANDOM_DELAY_US_MAX`] after it was offered: the driver
//! picks one option uniformly, clears the key and calls `on_random`.
//!
//! # The network
//!
//! Each message gets an independent latency drawn from [`SimCfg::latency_ms`]. Timer deadlines
//! are drawn from the half-open range the actor gave, truncated to whole microseconds.
//!
//! * [`NetworkKind::Ordered`]: each directed channel `(src, dst)` is a FIFO queue and only its
//!   head is ever scheduled. A message is delivered at the later of its own arrival time and
//!   the delivery of the message ahead of it, so a later message never overtakes an earlier one.
//! * The unordered kinds: every copy is an independent event, so messages race one another.
//! * Loss: only when [`SystemCfg::lossy`] and `drop_per_mille > 0`, each arrival is a drop with
//!   that chance. On a duplicating network a drop removes every copy of that envelope still in
//!   flight, because in the model a drop removes the envelope from the network's set.
//! * Duplication: only on [`NetworkKind::UnorderedDuplicating`] with `dup_per_mille > 0`, each
//!   send queues a second copy with its own latency, with that chance.
//! * A message addressed to an id with no actor is kept on the network forever, as in the model.
//!
//! # Crashes
//!
//! [`Sim::crash`] and [`Sim::recover`] are the model's `Crash` and `Recover` actions: a crash
//! clears the actor's timers and pending random choices and marks it crashed (its last state
//! stays visible, as in the model); a recovery calls `on_start` with the saved storage. The
//! model keeps messages for a crashed actor in the network; so does the driver: a message that
//! arrives at a crashed actor is parked (on an ordered network, the whole channel waits behind
//! it), and every parked message is rescheduled with a fresh latency when the actor recovers.
//! No more than [`SystemCfg::crashes`] actors are crashed at once, as in the model. Nothing
//! crashes on its own: a fault scheduler (see [`crate::nemesis`]) calls these methods.
//!
//! # Partitions
//!
//! The model has no partitions, so a partition here must be a sequence of model actions.
//! [`Sim::partition`] splits the actors in two sides; a message that arrives across the cut is
//! *held* (on an ordered network its whole channel waits behind it) and rescheduled with a fresh
//! latency by [`Sim::heal`]: in the model it simply stays in flight, a delay. On a lossy network
//! it is *dropped* instead, the model's `Drop` action, as a real partition loses packets. Either
//! way every recorded step is a model action, so a partitioned run still replays through the
//! model. Timers and random choices are local and ignore the partition.
//!
//! # Recording and the model's view
//!
//! Each applied event is recorded as a [`Step`], the twin of stateright's `ActorModelAction`
//! (`ActorModelAction::from(step)` converts), so a run can be replayed through the model with
//! `Model::next_state`. Recording is on by default; [`Sim::set_recording`] turns it off for
//! runs nobody will replay (benchmarks, [`crate::plain`]), which changes nothing else. [`Sim::snapshot`] builds the `ActorModelState` the model reaches by that
//! replay, so a spec's property functions can be evaluated after every step. Two details of the
//! model show through:
//!
//! * The model treats some steps as no-ops and returns `None` from `next_state`: a delivery on
//!   an unordered network that changes neither the state nor emits a command, and a timeout
//!   whose handler only sets the same timer again. A replay treats those as stutters. For such
//!   a delivery on the non-duplicating network the model leaves the message on its network, so
//!   the snapshot does too, although the driver has consumed it.
//! * On the duplicating network the model never removes a delivered message (it may be
//!   delivered again), so the snapshot's network holds every envelope sent and not dropped,
//!   plus the last envelope delivered. [`Sim::in_flight`] lists what the driver still has queued.
//!
//! The snapshot's history is `()`: specs whose properties read a model history need a replay.
//!
//! # Timer gates
//!
//! A protocol analysed under an explicit failure detector (Bully's accurate detector stands for
//! the synchronous model: a wait times out only when the nodes waited for are down) declares
//! it to the model checker as a restriction on `Timeout` actions. The driver takes the same
//! predicate as a [`TimerGate`]: a due timer the gate refuses stays set but does not fire; it
//! is offered again, shortly, after the next step, crash, recovery or heal. This is an oracle
//! (the perfect failure detector of the synchronous model), not a timing argument: it lets the
//! runtime explore exactly the schedules the checker does.

use models::common::{ActorSystem, CfgError, NetworkKind, SystemCfg};
use models::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use stateright::actor::{
    is_no_op, Actor, ActorModelAction, ActorModelState, Command, Envelope, Id, Network, Out,
    RandomChoices, Timers,
};
use std::borrow::Cow;
use std::collections::{BinaryHeap, HashSet, VecDeque};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

/// Virtual microseconds after a change at which a timer the gate refused is offered again.
pub const GATE_RETRY_US: u64 = 1_000;

/// Upper bound, in virtual microseconds, of the delay before the driver resolves a random
/// choice an actor offered.
pub const RANDOM_DELAY_US_MAX: u64 = 1_000;

/// The simulator's own knobs: seed, budget and fault rates. What the network *may* do comes from
/// the protocol's [`SystemCfg`]; these say how often it does it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SimCfg {
    /// Seed of the driver's PRNG; a run is a function of it. Any value.
    pub seed: u64,
    /// Most events [`Sim::run`] and [`Sim::run_until`] process over the simulator's lifetime
    /// (crashes and recoveries requested through the API do not count). Default 10 000.
    pub max_steps: usize,
    /// Virtual delivery delay in milliseconds, drawn uniformly from `lo..=hi`; needs
    /// `lo <= hi`. Default `(1, 10)`.
    pub latency_ms: (u64, u64),
    /// Chance per mille that an arrival is a drop, in `0..=1000`; used only on a lossy network.
    /// Default 0.
    pub drop_per_mille: u32,
    /// Chance per mille that a send also queues a second copy, in `0..=1000`; used only on an
    /// unordered duplicating network. Default 0.
    pub dup_per_mille: u32,
}

impl Default for SimCfg {
    fn default() -> Self {
        Self {
            seed: 0,
            max_steps: 10_000,
            latency_ms: (1, 10),
            drop_per_mille: 0,
            dup_per_mille: 0,
        }
    }
}

impl SimCfg {
    /// Checks the constraints documented on each field.
    pub fn validate(&self) -> Result<(), CfgError> {
        let (lo, hi) = self.latency_ms;
        if lo > hi {
            return Err(CfgError::Inconsistent(format!(
                "latency_ms: lo {lo} > hi {hi}"
            )));
        }
        if self.drop_per_mille > 1000 {
            return Err(CfgError::Inconsistent(format!(
                "drop_per_mille: {} > 1000",
                self.drop_per_mille
            )));
        }
        if self.dup_per_mille > 1000 {
            return Err(CfgError::Inconsistent(format!(
                "dup_per_mille: {} > 1000",
                self.dup_per_mille
            )));
        }
        Ok(())
    }
}

/// One thing the driver did, mirroring stateright's `ActorModelAction` field for field.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Step<Msg, Timer, Random> {
    /// `msg` from `src` was handed to `dst`'s `on_msg`.
    Deliver { src: Id, dst: Id, msg: Msg },
    /// The network lost `msg` from `src` to `dst`.
    Drop { src: Id, dst: Id, msg: Msg },
    /// `timer` of actor `id` fired.
    Timeout { id: Id, timer: Timer },
    /// The actor crashed, losing its volatile state, timers and pending random choices.
    Crash(Id),
    /// The actor restarted from its storage.
    Recover(Id),
    /// The driver resolved `actor`'s random choice `key` to `random`.
    SelectRandom {
        actor: Id,
        key: String,
        random: Random,
    },
}

/// The [`Step`] type of actor `A`.
pub type StepOf<A> = Step<<A as Actor>::Msg, <A as Actor>::Timer, <A as Actor>::Random>;

impl<Msg, Timer, Random> From<Step<Msg, Timer, Random>> for ActorModelAction<Msg, Timer, Random> {
    fn from(step: Step<Msg, Timer, Random>) -> Self {
        match step {
            Step::Deliver { src, dst, msg } => Self::Deliver { src, dst, msg },
            Step::Drop { src, dst, msg } => Self::Drop(Envelope { src, dst, msg }),
            Step::Timeout { id, timer } => Self::Timeout(id, timer),
            Step::Crash(id) => Self::Crash(id),
            Step::Recover(id) => Self::Recover(id),
            Step::SelectRandom { actor, key, random } => Self::SelectRandom { actor, key, random },
        }
    }
}

/// An actor run through a reference: `Sim<Borrowed<A>>` runs the very actor values an
/// `ActorModel` owns, without cloning them. It delegates every handler, so its steps, states
/// and snapshots have the same types as `A`'s.
pub struct Borrowed<'a, A>(pub &'a A);

impl<A: Actor> Actor for Borrowed<'_, A> {
    type Msg = A::Msg;
    type State = A::State;
    type Timer = A::Timer;
    type Random = A::Random;
    type Storage = A::Storage;

    fn on_start(&self, id: Id, storage: &Option<A::Storage>, o: &mut Out<Self>) -> A::State {
        let mut out = Out::<A>::new();
        let state = self.0.on_start(id, storage, &mut out);
        o.append(&mut out);
        state
    }

    fn on_msg(&self, id: Id, state: &mut Cow<A::State>, src: Id, msg: A::Msg, o: &mut Out<Self>) {
        let mut out = Out::<A>::new();
        self.0.on_msg(id, state, src, msg, &mut out);
        o.append(&mut out);
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<A::State>, timer: &A::Timer, o: &mut Out<Self>) {
        let mut out = Out::<A>::new();
        self.0.on_timeout(id, state, timer, &mut out);
        o.append(&mut out);
    }

    fn on_random(&self, id: Id, state: &mut Cow<A::State>, random: &A::Random, o: &mut Out<Self>) {
        let mut out = Out::<A>::new();
        self.0.on_random(id, state, random, &mut out);
        o.append(&mut out);
    }

    fn name(&self) -> String {
        self.0.name()
    }
}

/// Where a run stands when [`Sim::run`] or [`Sim::run_until`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunOutcome {
    /// Events processed so far over the simulator's lifetime (see [`SimCfg::max_steps`]).
    pub steps: usize,
    /// Whether no live event is left: nothing happens until the caller injects a fault, a
    /// recovery or a heal. Messages parked for a crashed actor or held by a partition do not
    /// count as live.
    pub quiescent: bool,
    /// Messages handed to `on_msg` so far.
    pub messages_delivered: usize,
    /// The virtual clock.
    pub virtual_time: Duration,
}

/// A scheduled event. Timers and random choices are named by the token they were given when
/// set; an event whose token is no longer current (cancelled, replaced, crashed) is skipped.
enum Event<Msg> {
    /// The head of the ordered channel `(src, dst)` reaches `dst`.
    ChannelHead(Id, Id),
    /// One copy of a message on an unordered network reaches its destination.
    Packet(Envelope<Msg>),
    /// A timer of actor `id` expires.
    Timer { id: Id, token: u64 },
    /// A random choice of actor `id` is resolved.
    Random { id: Id, token: u64 },
}

/// An event in the queue, due at virtual time `at` (µs); `seq` breaks ties in the order events
/// were scheduled. Ordered so that `BinaryHeap`, a max-heap, pops the earliest first.
struct Scheduled<Msg> {
    at: u64,
    seq: u64,
    event: Event<Msg>,
}

impl<Msg> PartialEq for Scheduled<Msg> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<Msg> Eq for Scheduled<Msg> {}

impl<Msg> PartialOrd for Scheduled<Msg> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<Msg> Ord for Scheduled<Msg> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// An ordered channel: messages in send order, each with its own arrival time (µs).
struct Channel<Msg> {
    queue: VecDeque<(Msg, u64)>,
    /// Whether an event for the head is queued. False while the channel waits for its crashed
    /// destination to recover.
    head_scheduled: bool,
}

/// What the model's network holds besides the messages the driver still has in flight.
enum ModelNet<Msg> {
    /// The model's ordered network is exactly the driver's channels.
    Ordered,
    /// Deliveries the model treats as no-ops, which leave the message on its network.
    NonDuplicating { no_op_delivered: Vec<Envelope<Msg>> },
    /// Every envelope sent and not dropped, and the last one delivered.
    Duplicating {
        sent: HashSet<Envelope<Msg>>,
        last_delivered: Option<Envelope<Msg>>,
    },
}

/// Whether a due timer may fire now, given every actor's state and crash flag, the actor and
/// the timer (see "Timer gates" in the module documentation).
pub type TimerGate<A> = fn(&[Arc<<A as Actor>::State>], &[bool], Id, &<A as Actor>::Timer) -> bool;

/// Per-actor driver state that the model keeps elsewhere or not at all.
struct Node<A: Actor> {
    /// Timers set, each with the token of its pending event.
    timers: Vec<(A::Timer, u64)>,
    /// Random choices offered, each with the token of its pending event.
    randoms: Vec<(String, Vec<A::Random>, u64)>,
    /// Unordered messages that arrived while the actor was crashed, in arrival order.
    parked: Vec<Envelope<A::Msg>>,
}

/// Runs a system of actors on virtual time; see the module documentation.
pub struct Sim<A: Actor> {
    actors: Vec<A>,
    system: SystemCfg,
    cfg: SimCfg,
    rng: SplitMix64,
    now_us: u64,
    next_seq: u64,
    queue: BinaryHeap<Scheduled<A::Msg>>,
    // per actor, as in the model
    states: Vec<Arc<A::State>>,
    storages: Vec<Option<A::Storage>>,
    crashed: Vec<bool>,
    nodes: Vec<Node<A>>,
    // network
    /// Ordered channels by source, each list sorted by destination, so that they are walked
    /// in `(src, dst)` order. A channel once used is kept, empty or not.
    channels: Vec<Vec<(Id, Channel<A::Msg>)>>,
    undeliverable: Vec<Envelope<A::Msg>>,
    model_net: ModelNet<A::Msg>,
    /// The side of every actor while partitioned (see [`Sim::partition`]).
    sides: Option<Vec<bool>>,
    /// Unordered messages that arrived across the partition, in arrival order.
    held: Vec<Envelope<A::Msg>>,
    // record
    /// Whether steps are recorded in `trace` (see [`Sim::set_recording`]).
    recording: bool,
    trace: Vec<StepOf<A>>,
    steps: usize,
    messages_delivered: usize,
    // timer gate
    gate: Option<TimerGate<A>>,
    /// Due timers the gate refused, by (actor, token), waiting to be offered again.
    gated: Vec<(Id, u64)>,
    /// Whether something happened since the gated timers were last offered.
    regate: bool,
}

impl<A: Actor> Sim<A> {
    /// Starts every actor (in id order, as the model does) and returns the simulator before its
    /// first step. Actor `i` gets `Id::from(i)`.
    pub fn new(actors: Vec<A>, system: SystemCfg, cfg: SimCfg) -> Result<Self, CfgError> {
        cfg.validate()?;
        let n = actors.len();
        let model_net = match system.network {
            NetworkKind::Ordered => ModelNet::Ordered,
            NetworkKind::UnorderedNonDuplicating => ModelNet::NonDuplicating {
                no_op_delivered: Vec::new(),
            },
            NetworkKind::UnorderedDuplicating => ModelNet::Duplicating {
                sent: HashSet::new(),
                last_delivered: None,
            },
        };
        let mut sim = Sim {
            actors,
            system,
            cfg,
            rng: SplitMix64::new(cfg.seed),
            now_us: 0,
            next_seq: 0,
            queue: BinaryHeap::new(),
            states: Vec::with_capacity(n),
            storages: vec![None; n],
            crashed: vec![false; n],
            nodes: (0..n)
                .map(|_| Node {
                    timers: Vec::new(),
                    randoms: Vec::new(),
                    parked: Vec::new(),
                })
                .collect(),
            channels: (0..n).map(|_| Vec::new()).collect(),
            undeliverable: Vec::new(),
            model_net,
            sides: None,
            held: Vec::new(),
            recording: true,
            trace: Vec::new(),
            steps: 0,
            messages_delivered: 0,
            gate: None,
            gated: Vec::new(),
            regate: false,
        };
        for index in 0..n {
            let id = Id::from(index);
            let mut out = Out::new();
            let state = sim.actors[index].on_start(id, &sim.storages[index], &mut out);
            sim.states.push(Arc::new(state));
            sim.process_commands(id, out);
        }
        Ok(sim)
    }

    /// Builds the nodes and the network from the same configuration the model checker uses.
    pub fn from_system<C>(system: &C, cfg: SimCfg) -> Result<Self, CfgError>
    where
        C: ActorSystem<Actor = A>,
    {
        Self::new(system.actors(), system.system(), cfg)
    }

    /// Fires a due timer only when `gate` allows it (see "Timer gates" in the module
    /// documentation).
    pub fn set_timer_gate(&mut self, gate: TimerGate<A>) {
        self.gate = Some(gate);
    }

    /// Processes events until one is applied and recorded; false when no live event is left.
    /// Stale events (cancelled timers, overwritten choices) and arrivals at a crashed actor are
    /// consumed silently on the way, and so are due timers the gate refuses (they are offered
    /// again after the next change).
    pub fn step(&mut self) -> bool {
        if std::mem::take(&mut self.regate) {
            for (id, token) in std::mem::take(&mut self.gated) {
                let at = self.now_us.saturating_add(GATE_RETRY_US);
                self.schedule(at, Event::Timer { id, token });
            }
        }
        while let Some(Scheduled { at, event, .. }) = self.queue.pop() {
            if !self.is_live(&event) {
                // A cancelled timer or an overwritten choice leaves no mark, not even on the clock.
                continue;
            }
            self.now_us = at;
            let applied = match event {
                Event::ChannelHead(src, dst) => self.handle_channel_head(src, dst),
                Event::Packet(envelope) => self.handle_packet(envelope),
                Event::Timer { id, token } => self.handle_timer(id, token),
                Event::Random { id, token } => self.handle_random(id, token),
            };
            if applied {
                self.steps += 1;
                self.regate = true;
                return true;
            }
        }
        false
    }

    /// Steps until quiescent or until [`SimCfg::max_steps`] steps have been taken.
    pub fn run(&mut self) -> RunOutcome {
        self.run_until(|_| false)
    }

    /// Steps until `pred` holds (checked before every step), the system is quiescent, or
    /// [`SimCfg::max_steps`] steps have been taken.
    pub fn run_until(&mut self, pred: impl Fn(&Self) -> bool) -> RunOutcome {
        while self.steps < self.cfg.max_steps && !pred(self) && self.step() {}
        self.outcome()
    }

    /// Turns the recording of steps on (the default) or off from now on. With it off,
    /// [`Sim::trace`] stays as it is, nothing else changes: the run, its random draws and its
    /// snapshots are the same. Runs nobody will replay (benchmarks, plain runs) save the time
    /// and memory of a copy of every message.
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// Events processed so far (the [`RunOutcome::steps`] of [`Sim::outcome`], without
    /// scanning the queue for quiescence).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Where the run stands now.
    pub fn outcome(&self) -> RunOutcome {
        RunOutcome {
            steps: self.steps,
            quiescent: !self.queue.iter().any(|s| self.is_live(&s.event)),
            messages_delivered: self.messages_delivered,
            virtual_time: self.now(),
        }
    }

    /// Crashes actor `id`, as the model's `Crash` action: its timers and pending random choices
    /// are dropped and it receives nothing until [`Sim::recover`]. Returns false, doing nothing,
    /// if it is already crashed or [`SystemCfg::crashes`] actors already are.
    pub fn crash(&mut self, id: Id) -> bool {
        let index = usize::from(id);
        let crashed_count = self.crashed.iter().filter(|&&c| c).count();
        if self.crashed[index] || crashed_count >= self.system.crashes {
            return false;
        }
        self.crashed[index] = true;
        self.nodes[index].timers.clear();
        self.nodes[index].randoms.clear();
        self.record(Step::Crash(id));
        self.regate = true;
        true
    }

    /// Recovers actor `id`, as the model's `Recover` action: `on_start` runs with the saved
    /// storage, its commands are applied, and messages parked for it are rescheduled with a
    /// fresh latency. Returns false, doing nothing, if it is not crashed.
    pub fn recover(&mut self, id: Id) -> bool {
        let index = usize::from(id);
        if !self.crashed[index] {
            return false;
        }
        let mut out = Out::new();
        let state = self.actors[index].on_start(id, &self.storages[index], &mut out);
        self.states[index] = Arc::new(state);
        self.crashed[index] = false;
        self.record(Step::Recover(id));
        self.process_commands(id, out);
        self.release_parked(id);
        self.regate = true;
        true
    }

    /// Cuts the network in two: `side` on one side, every other actor on the other. Messages
    /// that arrive across the cut are held until [`Sim::heal`], or dropped on a lossy network
    /// (see the module documentation). Replaces any earlier partition; messages it held stay
    /// held until the heal.
    pub fn partition(&mut self, side: &[Id]) {
        let mut sides = vec![false; self.actors.len()];
        for id in side {
            if let Some(s) = sides.get_mut(usize::from(*id)) {
                *s = true;
            }
        }
        self.sides = Some(sides);
    }

    /// Ends the partition: every held message is rescheduled with a fresh latency. Returns
    /// false, doing nothing, if there is no partition.
    pub fn heal(&mut self) -> bool {
        if self.sides.take().is_none() {
            return false;
        }
        let waiting: Vec<(Id, Id)> = self
            .all_channels()
            .filter(|(_, dst, channel)| {
                !channel.head_scheduled
                    && !channel.queue.is_empty()
                    && !self.crashed[usize::from(*dst)]
            })
            .map(|(src, dst, _)| (src, dst))
            .collect();
        for (src, dst) in waiting {
            let at = self.now_us.saturating_add(self.draw_latency_us());
            self.schedule_channel_head(src, dst, at);
        }
        for envelope in std::mem::take(&mut self.held) {
            let at = self.now_us.saturating_add(self.draw_latency_us());
            self.schedule(at, Event::Packet(envelope));
        }
        self.regate = true;
        true
    }

    /// Whether the network is partitioned.
    pub fn is_partitioned(&self) -> bool {
        self.sides.is_some()
    }

    /// Changes the fault rates from now on (the seed and `max_steps` stay): a fault scheduler
    /// turns faults down this way when its faulty phase ends. Checks the constraints of
    /// [`SimCfg`].
    pub fn set_rates(
        &mut self,
        latency_ms: (u64, u64),
        drop_per_mille: u32,
        dup_per_mille: u32,
    ) -> Result<(), CfgError> {
        let cfg = SimCfg {
            latency_ms,
            drop_per_mille,
            dup_per_mille,
            ..self.cfg
        };
        cfg.validate()?;
        self.cfg = cfg;
        Ok(())
    }

    /// The state of every actor, in id order (a crashed actor shows its last state).
    pub fn actor_states(&self) -> &[Arc<A::State>] {
        &self.states
    }

    /// The storage every actor saved last, in id order.
    pub fn actor_storages(&self) -> &[Option<A::Storage>] {
        &self.storages
    }

    /// Whether actor `id` is crashed.
    pub fn is_crashed(&self, id: Id) -> bool {
        self.crashed[usize::from(id)]
    }

    /// The virtual clock.
    pub fn now(&self) -> Duration {
        Duration::from_micros(self.now_us)
    }

    /// Everything the driver has done so far, in order, while recording (see
    /// [`Sim::set_recording`]).
    pub fn trace(&self) -> &[StepOf<A>] {
        &self.trace
    }

    /// The network and fault model the system runs under.
    pub fn system(&self) -> SystemCfg {
        self.system
    }

    /// Every message sent and neither delivered nor dropped yet, including those parked for a
    /// crashed actor and those addressed to no actor. Ordered networks list channels in
    /// `(src, dst)` order, each in send order; unordered ones list scheduled copies by arrival.
    pub fn in_flight(&self) -> Vec<Envelope<A::Msg>> {
        let mut envelopes: Vec<Envelope<A::Msg>> = Vec::new();
        for (src, dst, channel) in self.all_channels() {
            envelopes.extend(channel.queue.iter().map(|(msg, _)| Envelope {
                src,
                dst,
                msg: msg.clone(),
            }));
        }
        let mut packets: Vec<(u64, u64, &Envelope<A::Msg>)> = self
            .queue
            .iter()
            .filter_map(|s| match &s.event {
                Event::Packet(envelope) => Some((s.at, s.seq, envelope)),
                _ => None,
            })
            .collect();
        packets.sort_unstable_by_key(|&(at, seq, _)| (at, seq));
        envelopes.extend(packets.into_iter().map(|(_, _, e)| e.clone()));
        for node in &self.nodes {
            envelopes.extend(node.parked.iter().cloned());
        }
        envelopes.extend(self.held.iter().cloned());
        envelopes.extend(self.undeliverable.iter().cloned());
        envelopes
    }

    /// The state the model checker reaches by replaying [`Sim::trace`] (see the module
    /// documentation for how its network differs from [`Sim::in_flight`]).
    ///
    /// Beware when writing properties: in stateright 0.31, `Network::iter_all` never ends on a
    /// non-empty ordered network and yields one copy too many of a repeated envelope on the
    /// non-duplicating one; `iter_deliverable` and `len` are sound.
    pub fn snapshot(&self) -> ActorModelState<A, ()> {
        let timers_set = self
            .nodes
            .iter()
            .map(|node| {
                let mut timers = Timers::new();
                for (timer, _) in &node.timers {
                    timers.set(timer.clone());
                }
                timers
            })
            .collect();
        let random_choices = self
            .nodes
            .iter()
            .map(|node| {
                let mut choices = RandomChoices::default();
                for (key, options, _) in &node.randoms {
                    choices.insert(key.clone(), options.clone());
                }
                choices
            })
            .collect();
        ActorModelState {
            actor_states: self.states.clone(),
            network: self.model_network(),
            timers_set,
            random_choices,
            crashed: self.crashed.clone(),
            history: (),
            actor_storages: self.storages.clone(),
        }
    }

    fn model_network(&self) -> Network<A::Msg> {
        match &self.model_net {
            ModelNet::Ordered => Network::new_ordered(self.in_flight()),
            ModelNet::NonDuplicating { no_op_delivered } => Network::new_unordered_nonduplicating(
                self.in_flight()
                    .into_iter()
                    .chain(no_op_delivered.iter().cloned()),
            ),
            ModelNet::Duplicating {
                sent,
                last_delivered,
            } => Network::new_unordered_duplicating_with_last_msg(
                sent.iter().cloned(),
                last_delivered.clone(),
            ),
        }
    }

    fn is_live(&self, event: &Event<A::Msg>) -> bool {
        match event {
            Event::ChannelHead(..) | Event::Packet(_) => true,
            Event::Timer { id, token } => self.nodes[usize::from(*id)]
                .timers
                .iter()
                .any(|(_, t)| t == token),
            Event::Random { id, token } => self.nodes[usize::from(*id)]
                .randoms
                .iter()
                .any(|(_, _, t)| t == token),
        }
    }

    // ---- events in ----

    fn handle_channel_head(&mut self, src: Id, dst: Id) -> bool {
        let cut = self.is_cut(src, dst);
        // Across a partition a lossy network loses the message; otherwise it is held.
        let dropping = (cut && self.system.lossy) || self.roll_drop();
        let dst_crashed = self.crashed[usize::from(dst)];
        let channel = self
            .channel_mut(src, dst)
            .expect("a scheduled channel exists");
        channel.head_scheduled = false;
        if (dst_crashed || cut) && !dropping {
            // The whole channel waits for the recovery or the heal, which keeps it FIFO.
            return false;
        }
        let (msg, _) = channel
            .queue
            .pop_front()
            .expect("a scheduled channel is non-empty");
        // An emptied channel is kept, with its buffer, for the next message on it.
        if !channel.queue.is_empty() {
            // Scheduled before the delivery runs, so a message the handler sends on this same
            // channel queues behind the remaining ones instead of scheduling the head twice.
            self.schedule_channel_head(src, dst, self.now_us);
        }
        if dropping {
            self.record(Step::Drop { src, dst, msg });
        } else {
            self.deliver(src, dst, msg);
        }
        true
    }

    fn handle_packet(&mut self, envelope: Envelope<A::Msg>) -> bool {
        let cut = self.is_cut(envelope.src, envelope.dst);
        if cut && !self.system.lossy {
            self.held.push(envelope);
            return false;
        }
        if cut || self.roll_drop() {
            if let ModelNet::Duplicating { sent, .. } = &mut self.model_net {
                sent.remove(&envelope);
                self.purge_copies(&envelope);
            }
            let Envelope { src, dst, msg } = envelope;
            self.record(Step::Drop { src, dst, msg });
            return true;
        }
        let index = usize::from(envelope.dst);
        if self.crashed[index] {
            self.nodes[index].parked.push(envelope);
            return false;
        }
        self.deliver(envelope.src, envelope.dst, envelope.msg);
        true
    }

    fn handle_timer(&mut self, id: Id, token: u64) -> bool {
        let index = usize::from(id);
        let timers = &mut self.nodes[index].timers;
        let Some(position) = timers.iter().position(|(_, t)| *t == token) else {
            return false;
        };
        if let Some(gate) = &self.gate {
            if !gate(&self.states, &self.crashed, id, &timers[position].0) {
                self.gated.push((id, token));
                return false;
            }
        }
        // The timer is no longer set once it fires, as in the model; the handler may set it again.
        let timers = &mut self.nodes[index].timers;
        let (timer, _) = timers.remove(position);
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&*self.states[index]);
        self.actors[index].on_timeout(id, &mut state, &timer, &mut out);
        if let Cow::Owned(next) = state {
            self.replace_state(index, next);
        }
        self.record(Step::Timeout { id, timer });
        self.process_commands(id, out);
        true
    }

    fn handle_random(&mut self, id: Id, token: u64) -> bool {
        let index = usize::from(id);
        let randoms = &mut self.nodes[index].randoms;
        let Some(position) = randoms.iter().position(|(_, _, t)| *t == token) else {
            return false;
        };
        let (key, options, _) = randoms.remove(position);
        let random = options[self.rng.index(options.len())].clone();
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&*self.states[index]);
        self.actors[index].on_random(id, &mut state, &random, &mut out);
        if let Cow::Owned(next) = state {
            self.replace_state(index, next);
        }
        self.record(Step::SelectRandom {
            actor: id,
            key,
            random,
        });
        self.process_commands(id, out);
        true
    }

    fn deliver(&mut self, src: Id, dst: Id, msg: A::Msg) {
        let index = usize::from(dst);
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&*self.states[index]);
        // The handler takes the message; a copy is kept only for the record or the model's
        // network, which an ordered network without recording needs neither.
        let copy =
            (self.recording || !matches!(self.model_net, ModelNet::Ordered)).then(|| msg.clone());
        self.actors[index].on_msg(dst, &mut state, src, msg, &mut out);
        let no_op = is_no_op(&state, &out);
        if let Cow::Owned(next) = state {
            self.replace_state(index, next);
        }
        self.messages_delivered += 1;
        if let Some(msg) = copy {
            let envelope = Envelope { src, dst, msg };
            match &mut self.model_net {
                ModelNet::Ordered => {}
                ModelNet::NonDuplicating { no_op_delivered } => {
                    if no_op {
                        no_op_delivered.push(envelope.clone());
                    }
                }
                ModelNet::Duplicating { last_delivered, .. } => {
                    if !no_op {
                        *last_delivered = Some(envelope.clone());
                    }
                }
            }
            self.record(Step::Deliver {
                src,
                dst,
                msg: envelope.msg,
            });
        }
        self.process_commands(dst, out);
    }

    /// Sets actor `index`'s state, reusing its allocation when no snapshot shares it.
    fn replace_state(&mut self, index: usize, next: A::State) {
        match Arc::get_mut(&mut self.states[index]) {
            Some(slot) => *slot = next,
            None => self.states[index] = Arc::new(next),
        }
    }

    fn record(&mut self, step: StepOf<A>) {
        if self.recording {
            self.trace.push(step);
        }
    }

    // ---- effects out ----

    fn process_commands(&mut self, id: Id, out: Out<A>) {
        let index = usize::from(id);
        for command in out {
            match command {
                Command::Send(dst, msg) => self.send(id, dst, msg),
                Command::SetTimer(timer, range) => self.set_timer(id, timer, range),
                Command::CancelTimer(timer) => {
                    self.nodes[index].timers.retain(|(t, _)| *t != timer);
                }
                Command::ChooseRandom(key, options) => self.choose_random(id, key, options),
                Command::Save(storage) => self.storages[index] = Some(storage),
            }
        }
    }

    fn send(&mut self, src: Id, dst: Id, msg: A::Msg) {
        if let ModelNet::Duplicating { sent, .. } = &mut self.model_net {
            sent.insert(Envelope {
                src,
                dst,
                msg: msg.clone(),
            });
        }
        if usize::from(dst) >= self.actors.len() {
            self.undeliverable.push(Envelope { src, dst, msg });
            return;
        }
        let arrival = self.now_us.saturating_add(self.draw_latency_us());
        if self.system.network == NetworkKind::Ordered {
            let channel = self.channel_entry(src, dst);
            let was_empty = channel.queue.is_empty();
            channel.queue.push_back((msg, arrival));
            if was_empty {
                self.schedule_channel_head(src, dst, arrival);
            }
            return;
        }
        let duplicate = self.system.network == NetworkKind::UnorderedDuplicating
            && self.rng.per_mille(self.cfg.dup_per_mille);
        if duplicate {
            let arrival = self.now_us.saturating_add(self.draw_latency_us());
            let copy = Envelope {
                src,
                dst,
                msg: msg.clone(),
            };
            self.schedule(arrival, Event::Packet(copy));
        }
        self.schedule(arrival, Event::Packet(Envelope { src, dst, msg }));
    }

    fn set_timer(&mut self, id: Id, timer: A::Timer, range: Range<Duration>) {
        let deadline = self.now_us.saturating_add(self.draw_delay_us(&range));
        let token = self.take_seq();
        self.queue.push(Scheduled {
            at: deadline,
            seq: token,
            event: Event::Timer { id, token },
        });
        let timers = &mut self.nodes[usize::from(id)].timers;
        match timers.iter_mut().find(|(t, _)| *t == timer) {
            Some(entry) => entry.1 = token,
            None => timers.push((timer, token)),
        }
    }

    fn choose_random(&mut self, id: Id, key: String, options: Vec<A::Random>) {
        let randoms = &mut self.nodes[usize::from(id)].randoms;
        if options.is_empty() {
            randoms.retain(|(k, _, _)| *k != key);
            return;
        }
        let at = self
            .now_us
            .saturating_add(self.rng.between(0, RANDOM_DELAY_US_MAX));
        let token = self.take_seq();
        self.queue.push(Scheduled {
            at,
            seq: token,
            event: Event::Random { id, token },
        });
        let randoms = &mut self.nodes[usize::from(id)].randoms;
        match randoms.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => *entry = (key, options, token),
            None => randoms.push((key, options, token)),
        }
    }

    // ---- scheduling ----

    /// The next sequence number: it breaks ties between events due at the same virtual time,
    /// and names a timer or a random choice (its token).
    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Queues `event` at virtual time `at`.
    fn schedule(&mut self, at: u64, event: Event<A::Msg>) {
        let seq = self.take_seq();
        self.queue.push(Scheduled { at, seq, event });
    }

    /// Schedules the head of `(src, dst)` at its arrival time, or at `earliest` if later.
    fn schedule_channel_head(&mut self, src: Id, dst: Id, earliest: u64) {
        let Some(channel) = self.channel_mut(src, dst) else {
            return;
        };
        let Some(&(_, arrival)) = channel.queue.front() else {
            return;
        };
        channel.head_scheduled = true;
        self.schedule(arrival.max(earliest), Event::ChannelHead(src, dst));
    }

    /// The ordered channel `(src, dst)`, if a message was ever sent on it.
    fn channel_mut(&mut self, src: Id, dst: Id) -> Option<&mut Channel<A::Msg>> {
        let list = &mut self.channels[usize::from(src)];
        match list.binary_search_by_key(&dst, |(d, _)| *d) {
            Ok(i) => Some(&mut list[i].1),
            Err(_) => None,
        }
    }

    /// The ordered channel `(src, dst)`, created empty if it does not exist yet.
    fn channel_entry(&mut self, src: Id, dst: Id) -> &mut Channel<A::Msg> {
        let list = &mut self.channels[usize::from(src)];
        let i = match list.binary_search_by_key(&dst, |(d, _)| *d) {
            Ok(i) => i,
            Err(i) => {
                let channel = Channel {
                    queue: VecDeque::new(),
                    head_scheduled: false,
                };
                list.insert(i, (dst, channel));
                i
            }
        };
        &mut list[i].1
    }

    /// Every ordered channel, in `(src, dst)` order.
    fn all_channels(&self) -> impl Iterator<Item = (Id, Id, &Channel<A::Msg>)> {
        self.channels.iter().enumerate().flat_map(|(src, list)| {
            list.iter()
                .map(move |(dst, channel)| (Id::from(src), *dst, channel))
        })
    }

    /// Reschedules what waited for `id` while it was crashed, each after a fresh latency.
    fn release_parked(&mut self, id: Id) {
        let waiting: Vec<(Id, Id)> = self
            .all_channels()
            .filter(|(_, dst, channel)| {
                *dst == id && !channel.head_scheduled && !channel.queue.is_empty()
            })
            .map(|(src, dst, _)| (src, dst))
            .collect();
        for (src, dst) in waiting {
            let at = self.now_us.saturating_add(self.draw_latency_us());
            self.schedule_channel_head(src, dst, at);
        }
        let parked = std::mem::take(&mut self.nodes[usize::from(id)].parked);
        for envelope in parked {
            let at = self.now_us.saturating_add(self.draw_latency_us());
            self.schedule(at, Event::Packet(envelope));
        }
    }

    /// Removes every queued or parked copy of `envelope` (a drop on a duplicating network).
    fn purge_copies(&mut self, envelope: &Envelope<A::Msg>) {
        self.queue
            .retain(|s| !matches!(&s.event, Event::Packet(e) if e == envelope));
        self.nodes[usize::from(envelope.dst)]
            .parked
            .retain(|e| e != envelope);
        self.held.retain(|e| e != envelope);
    }

    /// Whether a message from `src` to `dst` crosses the partition.
    fn is_cut(&self, src: Id, dst: Id) -> bool {
        self.sides
            .as_ref()
            .is_some_and(|sides| sides.get(usize::from(src)) != sides.get(usize::from(dst)))
    }

    // ---- randomness ----

    fn roll_drop(&mut self) -> bool {
        self.system.lossy && self.rng.per_mille(self.cfg.drop_per_mille)
    }

    fn draw_latency_us(&mut self) -> u64 {
        let (lo, hi) = self.cfg.latency_ms;
        self.rng
            .between(lo.saturating_mul(1000), hi.saturating_mul(1000))
    }

    /// A delay drawn uniformly from the half-open `range`, or its start if the range is empty.
    fn draw_delay_us(&mut self, range: &Range<Duration>) -> u64 {
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let (lo, hi) = (micros(range.start), micros(range.end));
        if hi <= lo {
            lo
        } else {
            self.rng.between(lo, hi - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets timer `()` twice in `on_start`, first for `first`, then for `second`; counts timeouts.
    struct TwiceSet {
        first: Range<Duration>,
        second: Range<Duration>,
    }

    impl Actor for TwiceSet {
        type Msg = ();
        type State = u32;
        type Timer = ();
        type Random = ();
        type Storage = ();

        fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> u32 {
            o.set_timer((), self.first.clone());
            o.set_timer((), self.second.clone());
            0
        }

        fn on_timeout(&self, _id: Id, state: &mut Cow<u32>, _timer: &(), _o: &mut Out<Self>) {
            *state.to_mut() += 1;
        }
    }

    fn system() -> SystemCfg {
        SystemCfg::reliable(NetworkKind::Ordered)
    }

    #[test]
    fn timer_set_twice_fires_once_at_the_second_deadline() {
        let ms = Duration::from_millis;
        for (first, second) in [
            (ms(100)..ms(101), ms(1)..ms(2)),
            (ms(1)..ms(2), ms(100)..ms(101)),
        ] {
            let actor = TwiceSet {
                first,
                second: second.clone(),
            };
            let mut sim = Sim::new(vec![actor], system(), SimCfg::default()).unwrap();
            let outcome = sim.run();
            assert!(outcome.quiescent);
            assert_eq!(sim.trace().len(), 1, "one timer, one timeout");
            assert_eq!(*sim.actor_states()[0], 1);
            assert!(second.contains(&outcome.virtual_time));
        }
    }

    #[test]
    fn a_gated_timer_waits_until_the_gate_opens_and_stays_set() {
        // Two actors with one timer each; actor 0's may fire only while actor 1 is crashed.
        let ms = Duration::from_millis;
        let actor = || TwiceSet {
            first: ms(1)..ms(2),
            second: ms(1)..ms(2),
        };
        let crashes = SystemCfg {
            crashes: 1,
            ..system()
        };
        let mut sim = Sim::new(vec![actor(), actor()], crashes, SimCfg::default()).unwrap();
        sim.set_timer_gate(|_, crashed, id, _| usize::from(id) != 0 || crashed[1]);
        assert!(sim.step(), "actor 1's timer fires");
        assert!(!sim.step(), "actor 0's is held back: nothing left to do");
        assert_eq!(*sim.actor_states()[0], 0);
        assert_eq!(sim.snapshot().timers_set[0].iter().count(), 1, "still set");
        assert!(sim.crash(Id::from(1)));
        assert!(sim.step(), "offered again after the crash, and let through");
        assert_eq!(*sim.actor_states()[0], 1);
        assert_eq!(
            sim.trace().last(),
            Some(&Step::Timeout {
                id: Id::from(0),
                timer: ()
            })
        );
    }

    #[test]
    fn invalid_sim_cfg_is_refused() {
        let bad = [
            SimCfg {
                latency_ms: (5, 1),
                ..SimCfg::default()
            },
            SimCfg {
                drop_per_mille: 1001,
                ..SimCfg::default()
            },
            SimCfg {
                dup_per_mille: 1001,
                ..SimCfg::default()
            },
        ];
        for cfg in bad {
            assert!(Sim::<TwiceSet>::new(vec![], system(), cfg).is_err());
        }
    }
}
