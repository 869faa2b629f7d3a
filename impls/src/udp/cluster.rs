//! A local cluster: every actor of a system as its own [`Node`] (one thread each) on
//! `127.0.0.1` ephemeral ports, running a generic client workload, with safety checked on
//! what it observes.
//!
//! # The workload
//!
//! The registered protocols run once (2PC decides once, an election elects once). An
//! *instance* is one run of the protocol from `on_start` to its goal; instances run back to
//! back, each in a new epoch, so datagrams still in flight from the previous instance are
//! dropped (and counted as `wrong_epoch`). The goal is the one the checked simulator runs use
//! ([`crate::checked`]): every `eventually` property of the model and the extra goal
//! predicates (the protocol's end state) holding together. An instance that does not reach
//! its goal within [`ClusterOptions::instance_timeout`] is abandoned and counted.
//!
//! # What is judged, on which state
//!
//! Properties are judged on an `ActorModelState` built from what the nodes publish: every
//! node's current state and storage, the model's history, no crashed actor, and an empty
//! network with no timers set. The history is recorded exactly as the model records it, with
//! the model's own `record_msg_out` (when a message is sent, before its datagram leaves) and
//! `record_msg_in` (when it is handed to its receiver), under one lock, so it is in real-time
//! order (what linearizability needs). The network and the timers are not observable from node
//! states: no registered `always` or `eventually` property reads them (only a `sometimes` one
//! does, which the cluster does not judge), and a property that did would be judged on an
//! empty network. Every `always` property is judged after every step of every node once all
//! nodes have started the instance; a violation is reported with its instance number.
//!
//! # Trace validation
//!
//! With [`ClusterOptions::validate`] (the default), every step a node reports, under the same
//! lock and before its datagrams leave, is replayed through the model ([`Replay`]): it must be
//! enabled in the state reached so far and lead to the node's new state and storage. A start
//! is the model's initial state; a message lost or dropped as stale stays in the model's
//! network, as the model allows. The first divergence of an instance is reported as a
//! violation named `trace validation: ...`.
//!
//! # The network
//!
//! A model checked on a reliable network (lossy=false) runs on the reliable channel of
//! [`super::transport`] (the checked Selective Repeat machine per pair of nodes); a lossy
//! model on raw datagrams ([`ClusterOptions::transport`] overrides it). The faults of
//! [`ClusterOptions::faults`] are injected below either, in every node's socket layer. The
//! transport is below the model's network, so trace validation sees each message delivered
//! once, as the model's reliable network delivers it.
//!
//! Latency is measured from the start of an instance (the epoch switch) to the step that
//! reached the goal.
//!
//! An instance starts with a wake datagram to every node. A node whose wake is lost (the
//! kernel-level loss recipe drops the cluster's datagrams as well as the nodes') would stay in
//! the old instance until a peer's datagram or its next poll; so the coordinator wakes again,
//! every 2 ms, each node that has not started an instance running for [`REWAKE_AFTER`].

use super::faults::WireFaults;
use super::node::{bind, Counters, Drops, NetCfg, Node, NodeCfg, NodeError, Observer, Transport};
use super::wire;
use crate::sim::StepOf;
use crate::validate::Replay;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, LossyNetwork, Network,
    RandomChoices, Timers,
};
use stateright::{Expectation, Model};
use std::fmt::Debug;
use std::hash::Hash;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an instance runs before the coordinator wakes again the nodes that have not
/// started it.
pub const REWAKE_AFTER: Duration = Duration::from_millis(1);

/// A named predicate over system states, shareable with the node threads.
pub type GoalPred<'a, A, H> = (
    &'static str,
    Box<dyn Fn(&ActorModelState<A, H>) -> bool + Send + Sync + 'a>,
);

/// A model property's condition.
type Condition<A, C, H> = fn(&ActorModel<A, C, H>, &ActorModelState<A, H>) -> bool;

/// How a cluster runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterOptions {
    /// Wall-clock budget; the cluster stops by itself after it.
    pub seconds: f64,
    /// Stop after this many completed instances, if set.
    pub instances_max: Option<u64>,
    /// An instance not at its goal after this long is abandoned (counted as timed out).
    /// Serialized as seconds, like every other duration of the reports.
    #[serde(with = "seconds")]
    pub instance_timeout: Duration,
    /// Seed of the nodes' generators.
    pub seed: u64,
    /// Trace validation: replay every step of every instance through the `ActorModel` (see
    /// the module documentation). It costs throughput; benchmarks of the driver turn it off.
    pub validate: bool,
    /// The channel between nodes; `None`: the network the model was checked on (reliable
    /// channel for lossy=false, raw datagrams for lossy=true).
    #[serde(default)]
    pub transport: Option<Transport>,
    /// Faults injected on the wire by every node.
    #[serde(default)]
    pub faults: WireFaults,
}

/// The channel that provides the network `model` was checked on: the reliable channel for a
/// model checked with lossy=false, raw datagrams for lossy=true.
pub fn checked_transport<A: Actor, C, H>(model: &ActorModel<A, C, H>) -> Transport
where
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    match model.lossy_network {
        LossyNetwork::Yes => Transport::Raw,
        LossyNetwork::No => Transport::Reliable,
    }
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            seconds: 3.0,
            instances_max: None,
            instance_timeout: Duration::from_secs(1),
            seed: 0,
            validate: true,
            transport: None,
            faults: WireFaults::default(),
        }
    }
}

/// An `always` property that failed, at its first failure in an instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterViolation {
    pub property: String,
    /// The instance (0-based) in which it failed.
    pub instance: u64,
}

/// Latency of completed instances, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

impl Latency {
    /// Nearest-rank percentiles of `samples` (unsorted).
    pub fn of(samples: &mut [u64]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let rank = |p: f64| {
            samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1]
        };
        Self {
            p50_us: rank(0.50),
            p99_us: rank(0.99),
            max_us: *samples.last().expect("non-empty"),
            mean_us: samples.iter().sum::<u64>() as f64 / samples.len() as f64,
        }
    }
}

/// What a cluster run did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterReport {
    pub nodes: usize,
    /// The channel the nodes ran on.
    pub transport: Transport,
    pub options: ClusterOptions,
    pub seconds: f64,
    /// Instances that reached their goal.
    pub instances: u64,
    /// Instances abandoned after [`ClusterOptions::instance_timeout`].
    pub timed_out: u64,
    pub instances_per_second: f64,
    /// Protocol messages sent and received, over all nodes.
    pub messages_sent: u64,
    pub messages_received: u64,
    /// Datagrams sent and received, over all nodes (several messages to one node in one
    /// poll share datagrams; received datagrams include refused ones and wakes).
    pub datagrams_sent: u64,
    pub datagrams_received: u64,
    pub messages_per_second: f64,
    pub latency: Latency,
    /// Every instance's latency, in microseconds, in completion order.
    #[serde(skip)]
    pub latencies_us: Vec<u64>,
    /// Datagrams refused, by reason, over all nodes.
    pub dropped: Drops,
    /// Every node's counters, by id.
    pub per_node: Vec<Counters>,
    pub violations: Vec<ClusterViolation>,
    /// Steps replayed through the model by trace validation (0 when it is off).
    pub validated_steps: u64,
}

impl ClusterReport {
    /// Whether the run found a safety violation or never completed an instance.
    pub fn failed(&self) -> bool {
        !self.violations.is_empty() || self.instances == 0
    }
}

/// The judge's view of the current instance, behind the lock.
struct Judge<'m, A: Actor, C, H>
where
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    epoch: u64,
    instance: u64,
    started: Instant,
    snapshot: ActorModelState<A, H>,
    /// Which nodes have started the current instance.
    published: Vec<bool>,
    published_count: usize,
    /// `always` properties already violated in this instance (reported once each).
    violated: Vec<bool>,
    latencies_us: Vec<u64>,
    timed_out: u64,
    violations: Vec<ClusterViolation>,
    /// The model replaying this instance's steps (trace validation); `None` when validation
    /// is off or once this instance diverged (reported once).
    replay: Option<Replay<'m, A, C, H>>,
    validated_steps: u64,
    /// The run's first failing instance, as the actions replayed up to its failure.
    failure: Option<ClusterFailure<A>>,
}

impl<A, C, H> Judge<'_, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    /// Trace validation of one step of actor `index`. A start is the model's initial state,
    /// already replayed; any other step must be enabled and lead the model to the node's new
    /// state and storage. The first divergence is reported and ends validation of the
    /// instance.
    fn validate(
        &mut self,
        index: usize,
        step: Option<&StepOf<A>>,
        state: &Arc<A::State>,
        storage: &Option<A::Storage>,
    ) {
        let Some(replay) = self.replay.as_mut() else {
            return;
        };
        let diverged = match step {
            None => None,
            Some(step) => replay.advance(step).err().map(|d| d.to_string()),
        }
        .or_else(|| {
            let replayed = replay.state();
            if *replayed.actor_states[index] != **state {
                Some(format!(
                    "{}: state of actor {index} differs",
                    describe(step)
                ))
            } else if replayed.actor_storages[index] != *storage {
                Some(format!(
                    "{}: storage of actor {index} differs",
                    describe(step)
                ))
            } else {
                None
            }
        });
        self.validated_steps += u64::from(step.is_some());
        if let Some(why) = diverged {
            let property = format!("trace validation: {why}");
            self.keep_failure(&property);
            self.violations.push(ClusterViolation {
                property,
                instance: self.instance,
            });
            self.replay = None;
        }
    }

    /// Keeps the current instance as the run's failure, if it is the first: the actions
    /// replayed so far (trace validation must be on; without it there is nothing to keep).
    fn keep_failure(&mut self, property: &str) {
        if self.failure.is_some() {
            return;
        }
        if let Some(replay) = &self.replay {
            self.failure = Some(ClusterFailure {
                property: property.to_string(),
                instance: self.instance,
                actions: replay.applied().to_vec(),
            });
        }
    }

    /// Puts actor `index`'s new state and storage into the snapshot; whether every node has
    /// now started the instance (the snapshot is then judged).
    fn publish(
        &mut self,
        index: usize,
        state: &Arc<A::State>,
        storage: &Option<A::Storage>,
    ) -> bool {
        if !Arc::ptr_eq(&self.snapshot.actor_states[index], state) {
            self.snapshot.actor_states[index] = Arc::clone(state);
        }
        if storage.is_some() || self.snapshot.actor_storages[index].is_some() {
            self.snapshot.actor_storages[index] = storage.clone();
        }
        if !self.published[index] {
            self.published[index] = true;
            self.published_count += 1;
        }
        self.published_count >= self.published.len()
    }
}

struct Shared<'m, 'g, A: Actor, C, H>
where
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    model: &'m ActorModel<A, C, H>,
    always: Vec<(&'static str, Condition<A, C, H>)>,
    goal: &'g [GoalPred<'g, A, H>],
    eventually: Vec<Condition<A, C, H>>,
    epoch: AtomicU64,
    stop: AtomicBool,
    judge: Mutex<Judge<'m, A, C, H>>,
    validate: bool,
    /// Sends wake datagrams to the nodes when an instance starts.
    control: UdpSocket,
    addrs: Vec<SocketAddr>,
    instances_max: Option<u64>,
}

impl<'m, A, C, H> Shared<'m, '_, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    /// Starts the next instance (the lock is held by the caller).
    fn next_instance(&self, judge: &mut Judge<'m, A, C, H>) {
        judge.epoch += 1;
        judge.instance += 1;
        judge.started = Instant::now();
        judge.published.iter_mut().for_each(|p| *p = false);
        judge.published_count = 0;
        judge.violated.iter_mut().for_each(|v| *v = false);
        judge.snapshot.history = self.model.init_history.clone();
        judge.replay = self
            .validate
            .then(|| replay_for(self.model, &judge.failure));
        self.epoch.store(judge.epoch, Ordering::Release);
        self.wake(judge.epoch);
    }

    /// Records a delivery and the sends of one step in the snapshot's history, as the model
    /// records them.
    fn record_history(
        &self,
        judge: &mut Judge<'m, A, C, H>,
        id: Id,
        delivered: Option<(Id, &A::Msg, bool)>,
        sends: &[(Id, A::Msg)],
    ) {
        let model = self.model;
        // As the model: a no-op delivery on an unordered network is not a step, so it is not
        // recorded.
        let ordered = matches!(model.init_network, Network::Ordered(_));
        if let Some((src, msg, _)) = delivered.filter(|&(_, _, no_op)| !no_op || ordered) {
            let envelope = Envelope { src, dst: id, msg };
            if let Some(h) = (model.record_msg_in)(&model.cfg, &judge.snapshot.history, envelope) {
                judge.snapshot.history = h;
            }
        }
        for (dst, msg) in sends {
            let envelope = Envelope {
                src: id,
                dst: *dst,
                msg,
            };
            if let Some(h) = (model.record_msg_out)(&model.cfg, &judge.snapshot.history, envelope) {
                judge.snapshot.history = h;
            }
        }
    }

    /// Judges the snapshot once every node has started the instance: each `always` property
    /// (a violation reported once per instance), then the goal, which completes the instance
    /// and starts the next one (or stops the cluster after `instances_max`).
    fn judge_instance(&self, judge: &mut Judge<'m, A, C, H>) {
        let model = self.model;
        for (i, (name, holds)) in self.always.iter().enumerate() {
            if !judge.violated[i] && !holds(model, &judge.snapshot) {
                judge.violated[i] = true;
                judge.keep_failure(name);
                judge.violations.push(ClusterViolation {
                    property: (*name).to_string(),
                    instance: judge.instance,
                });
            }
        }
        let reached = self.eventually.iter().all(|p| p(model, &judge.snapshot))
            && self.goal.iter().all(|(_, p)| p(&judge.snapshot));
        if reached {
            let micros = judge.started.elapsed().as_micros();
            judge
                .latencies_us
                .push(u64::try_from(micros).unwrap_or(u64::MAX));
            if self
                .instances_max
                .is_some_and(|n| judge.latencies_us.len() as u64 >= n)
            {
                self.stop.store(true, Ordering::Release);
            } else {
                self.next_instance(judge);
            }
        }
    }

    /// Wakes again the nodes that have not started the current instance: their wake may have
    /// been lost (the kernel-level loss recipe drops the cluster's datagrams too).
    fn rewake(&self, judge: &Judge<'m, A, C, H>) {
        let late = self
            .addrs
            .iter()
            .zip(&judge.published)
            .filter(|(_, p)| !**p);
        self.wake_nodes(judge.epoch, late.map(|(addr, _)| addr));
    }

    fn wake(&self, epoch: u64) {
        self.wake_nodes(epoch, &self.addrs);
    }

    fn wake_nodes<'a>(&self, epoch: u64, addrs: impl IntoIterator<Item = &'a SocketAddr>) {
        let wake = wire::encode_wake(epoch);
        for addr in addrs {
            // A lost wake only delays the switch until the node's next poll (or rewake).
            let _ = self.control.send_to(&wake, addr);
        }
    }
}

impl<A, C, H> Observer<A> for Shared<'_, '_, A, C, H>
where
    A: Actor + Sync,
    A::State: Send + Sync,
    A::Storage: Send + Sync,
    A::Msg: Ord + Send + Sync,
    A::Timer: Ord + Send + Sync,
    A::Random: Send + Sync,
    C: Sync,
    H: Clone + Debug + Hash + Send + Sync,
{
    fn on_step(
        &self,
        epoch: u64,
        id: Id,
        delivered: Option<(Id, &A::Msg, bool)>,
        step: Option<&StepOf<A>>,
        sends: &[(Id, A::Msg)],
        state: &Arc<A::State>,
        storage: &Option<A::Storage>,
    ) {
        let mut guard = self.judge.lock().unwrap_or_else(|p| p.into_inner());
        let judge = &mut *guard;
        if epoch != judge.epoch || self.stop.load(Ordering::Relaxed) {
            return;
        }
        let index = usize::from(id);
        judge.validate(index, step, state, storage);
        self.record_history(judge, id, delivered, sends);
        if judge.publish(index, state, storage) {
            self.judge_instance(judge);
        }
    }

    fn current_epoch(&self) -> Option<u64> {
        Some(self.epoch.load(Ordering::Acquire))
    }

    fn wants_steps(&self) -> bool {
        self.validate
    }
}

/// Why a cluster could not run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A node thread panicked (an actor's handler panicked).
    #[error("node {0} panicked")]
    Panicked(usize),
}

/// The first failing instance of a cluster run: the property, the instance, and the steps the
/// nodes took up to the failure as actions of the model, in the order trace validation replayed
/// them (stutters left out), for a caller that shows or exports the run state by state.
pub struct ClusterFailure<A: Actor> {
    pub property: String,
    pub instance: u64,
    pub actions: Vec<ActorModelAction<A::Msg, A::Timer, A::Random>>,
}

/// The replay of a new instance: recording its actions until the run has kept a failure.
fn replay_for<'m, A, C, H>(
    model: &'m ActorModel<A, C, H>,
    failure: &Option<ClusterFailure<A>>,
) -> Replay<'m, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    if failure.is_none() {
        Replay::recording(model)
    } else {
        Replay::new(model)
    }
}

/// A step in words for a divergence report (`start` for an actor's start).
fn describe<S: Debug>(step: Option<&S>) -> String {
    step.map_or_else(|| "start".to_string(), |s| format!("{s:?}"))
}

/// Runs every actor of `model` as a node of a local cluster; see the module documentation.
pub fn run_cluster<A, C, H>(
    model: &ActorModel<A, C, H>,
    goal: &[GoalPred<'_, A, H>],
    opts: &ClusterOptions,
) -> Result<ClusterReport, ClusterError>
where
    A: Actor + Sync,
    A::Msg: Ord + Serialize + DeserializeOwned + Send + Sync,
    A::State: Send + Sync,
    A::Storage: Serialize + DeserializeOwned + Send + Sync,
    A::Timer: Ord + Send + Sync,
    A::Random: Send + Sync,
    C: Sync,
    H: Clone + Debug + Hash + Send + Sync,
{
    run_cluster_traced(model, goal, opts).map(|(report, _)| report)
}

/// [`run_cluster`], with the run's first failing instance as model actions (`None` when no
/// instance failed, or when trace validation is off: the steps are then not observed).
#[allow(clippy::type_complexity)]
pub fn run_cluster_traced<A, C, H>(
    model: &ActorModel<A, C, H>,
    goal: &[GoalPred<'_, A, H>],
    opts: &ClusterOptions,
) -> Result<(ClusterReport, Option<ClusterFailure<A>>), ClusterError>
where
    A: Actor + Sync,
    A::Msg: Ord + Serialize + DeserializeOwned + Send + Sync,
    A::State: Send + Sync,
    A::Storage: Serialize + DeserializeOwned + Send + Sync,
    A::Timer: Ord + Send + Sync,
    A::Random: Send + Sync,
    C: Sync,
    H: Clone + Debug + Hash + Send + Sync,
{
    let n = model.actors.len();
    let localhost = SocketAddr::from(([127, 0, 0, 1], 0));
    let sockets = (0..n)
        .map(|_| bind(localhost))
        .collect::<Result<Vec<_>, _>>()?;
    let addrs = sockets
        .iter()
        .map(|s| s.local_addr())
        .collect::<Result<Vec<_>, _>>()
        .map_err(NodeError::from)?;
    let control = bind(localhost)?;
    let properties = model.properties();
    let always = properties
        .iter()
        .filter(|p| p.expectation == Expectation::Always)
        .map(|p| (p.name, p.condition))
        .collect::<Vec<_>>();
    let eventually = properties
        .iter()
        .filter(|p| p.expectation == Expectation::Eventually)
        .map(|p| p.condition)
        .collect();
    // Placeholder states until every node has published its own for the instance.
    let snapshot = ActorModelState {
        actor_states: (0..n)
            .map(|i| {
                let mut out = stateright::actor::Out::new();
                Arc::new(model.actors[i].on_start(Id::from(i), &None, &mut out))
            })
            .collect(),
        network: model.init_network.clone(),
        timers_set: vec![Timers::new(); n],
        random_choices: vec![RandomChoices::default(); n],
        crashed: vec![false; n],
        history: model.init_history.clone(),
        actor_storages: vec![None; n],
    };
    let shared = Shared {
        model,
        always: always.clone(),
        goal,
        eventually,
        epoch: AtomicU64::new(1),
        stop: AtomicBool::new(false),
        judge: Mutex::new(Judge {
            epoch: 1,
            instance: 0,
            started: Instant::now(),
            snapshot,
            published: vec![false; n],
            published_count: 0,
            violated: vec![false; always.len()],
            latencies_us: Vec::new(),
            timed_out: 0,
            violations: Vec::new(),
            replay: opts.validate.then(|| Replay::recording(model)),
            validated_steps: 0,
            failure: None,
        }),
        validate: opts.validate,
        control,
        addrs: addrs.clone(),
        instances_max: opts.instances_max,
    };
    let transport = opts.transport.unwrap_or_else(|| checked_transport(model));
    let net = NetCfg {
        transport,
        faults: opts.faults.clone(),
    };
    let started = Instant::now();
    shared.judge.lock().expect("not poisoned").started = started;
    let budget = Duration::from_secs_f64(opts.seconds.max(0.0));
    let results: Vec<std::thread::Result<Result<Counters, NodeError>>> = std::thread::scope(|s| {
        let handles: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(i, socket)| {
                let cfg = NodeCfg {
                    id: Id::from(i),
                    peers: addrs.clone(),
                    epoch: 1,
                    seed: opts.seed,
                    storage_dir: None,
                };
                let shared = &shared;
                let net = net.clone();
                s.spawn(move || {
                    let mut node = Node::start_with(&model.actors, socket, cfg, shared, net)?;
                    while !shared.stop.load(Ordering::Acquire) {
                        node.poll(Duration::from_millis(20));
                    }
                    Ok(*node.counters())
                })
            })
            .collect();
        // The coordinator: abandons stuck instances and stops the cluster when time is up.
        loop {
            std::thread::sleep(Duration::from_millis(2));
            if shared.stop.load(Ordering::Acquire) || handles.iter().any(|h| h.is_finished()) {
                break;
            }
            if started.elapsed() >= budget {
                break;
            }
            let mut judge = shared.judge.lock().unwrap_or_else(|p| p.into_inner());
            let running = judge.started.elapsed();
            if running >= opts.instance_timeout {
                judge.timed_out += 1;
                shared.next_instance(&mut judge);
            } else if running >= REWAKE_AFTER && judge.published_count < n {
                shared.rewake(&judge);
            }
        }
        shared.stop.store(true, Ordering::Release);
        // Wake every node so that it sees the stop without waiting out its poll.
        shared.wake(u64::MAX);
        handles.into_iter().map(|h| h.join()).collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut per_node = Vec::with_capacity(n);
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(Ok(counters)) => per_node.push(counters),
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(ClusterError::Panicked(i)),
        }
    }
    let judge = shared.judge.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut total = Counters::default();
    per_node.iter().for_each(|c| total.add(c));
    let mut latencies = judge.latencies_us.clone();
    let instances = latencies.len() as u64;
    let report = ClusterReport {
        nodes: n,
        transport,
        options: opts.clone(),
        seconds,
        instances,
        timed_out: judge.timed_out,
        instances_per_second: instances as f64 / seconds.max(1e-9),
        messages_sent: total.sent,
        messages_received: total.received,
        datagrams_sent: total.datagrams_sent,
        datagrams_received: total.datagrams_received,
        messages_per_second: total.received as f64 / seconds.max(1e-9),
        latency: Latency::of(&mut latencies),
        latencies_us: judge.latencies_us,
        dropped: total.dropped,
        per_node,
        violations: judge.violations,
        validated_steps: judge.validated_steps,
    };
    Ok((report, judge.failure))
}

/// A `Duration` as a number of seconds in serialized form.
mod seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
