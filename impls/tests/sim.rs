//! Scenarios for the deterministic simulator, run on a tiny test-only protocol: one sender
//! broadcasts numbered data to receivers, which log, persist a count and acknowledge; the sender
//! also offers a random choice and re-broadcasts on a timer.

use impls::sim::{RunOutcome, Sim, SimCfg, Step};
use models::common::{ActorSystem, NetworkKind, SystemCfg};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Id, LossyNetwork, Out,
};
use stateright::Model;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

const PICK_OPTIONS: [u32; 3] = [100, 200, 300];
const RESENDS_MAX: u32 = 3;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Msg {
    Data(u32),
    Ack(u32),
    /// Sent by the sender to itself and ignored: a delivery the model treats as a no-op.
    Ping,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Timer {
    Resend,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct NodeState {
    // receiver state
    /// Data received in this life, in arrival order.
    received: Vec<(Id, u32)>,
    /// Data received in earlier lives, restored from storage.
    persisted: u32,
    // sender state
    acks: u32,
    picked: Option<u32>,
    resends: u32,
}

#[derive(Clone)]
enum Node {
    Sender { peers: Vec<Id>, burst: u32 },
    Receiver,
}

impl Actor for Node {
    type Msg = Msg;
    type State = NodeState;
    type Timer = Timer;
    type Random = u32;
    /// Data received over all lives.
    type Storage = u32;

    fn on_start(&self, _id: Id, storage: &Option<u32>, o: &mut Out<Self>) -> NodeState {
        match self {
            Node::Sender { peers, burst } => {
                for k in 0..*burst {
                    o.broadcast(peers, &Msg::Data(k));
                }
                o.send(Id::from(0), Msg::Ping);
                o.set_timer(Timer::Resend, resend_delay());
                o.choose_random("pick", PICK_OPTIONS.to_vec());
                NodeState::default()
            }
            Node::Receiver => NodeState {
                persisted: storage.unwrap_or(0),
                ..NodeState::default()
            },
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        match (self, msg) {
            (Node::Receiver, Msg::Data(k)) => {
                let state = state.to_mut();
                state.received.push((src, k));
                o.save(state.persisted + state.received.len() as u32);
                o.send(src, Msg::Ack(k));
            }
            (Node::Sender { .. }, Msg::Ack(_)) => state.to_mut().acks += 1,
            _ => {}
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, _timer: &Timer, o: &mut Out<Self>) {
        if let Node::Sender { peers, .. } = self {
            let state = state.to_mut();
            state.resends += 1;
            o.broadcast(peers, &Msg::Data(1000 + state.resends));
            if state.resends < RESENDS_MAX {
                o.set_timer(Timer::Resend, resend_delay());
            }
        }
    }

    fn on_random(&self, _id: Id, state: &mut Cow<NodeState>, random: &u32, o: &mut Out<Self>) {
        if let Node::Sender { peers, .. } = self {
            state.to_mut().picked = Some(*random);
            o.broadcast(peers, &Msg::Data(*random));
        }
    }
}

fn resend_delay() -> std::ops::Range<Duration> {
    Duration::from_millis(20)..Duration::from_millis(40)
}

/// One sender (id 0) and `receivers` receivers (ids 1..).
struct Fixture {
    receivers: usize,
    burst: u32,
    system: SystemCfg,
}

impl ActorSystem for Fixture {
    type Actor = Node;

    fn actors(&self) -> Vec<Node> {
        let peers = (1..=self.receivers).map(Id::from).collect();
        let mut actors = vec![Node::Sender {
            peers,
            burst: self.burst,
        }];
        actors.extend((0..self.receivers).map(|_| Node::Receiver));
        actors
    }

    fn actor_name(&self, id: Id) -> String {
        match usize::from(id) {
            0 => "sender".into(),
            i => format!("receiver{i}"),
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

fn fixture(network: NetworkKind, lossy: bool, crashes: usize) -> Fixture {
    Fixture {
        receivers: 2,
        burst: 5,
        system: SystemCfg {
            network,
            lossy,
            crashes,
        },
    }
}

fn faulty(seed: u64) -> SimCfg {
    SimCfg {
        seed,
        latency_ms: (1, 50),
        drop_per_mille: 100,
        dup_per_mille: 200,
        ..SimCfg::default()
    }
}

fn sim(fixture: &Fixture, cfg: SimCfg) -> Sim<Node> {
    Sim::from_system(fixture, cfg).expect("valid sim cfg")
}

fn received(sim: &Sim<Node>, receiver: usize) -> Vec<u32> {
    sim.actor_states()[receiver]
        .received
        .iter()
        .map(|&(_, k)| k)
        .collect()
}

/// Every datum the sender emits, in send order, when nothing is lost.
fn all_data(picked: u32) -> Vec<u32> {
    let mut data: Vec<u32> = (0..5).collect();
    data.push(picked);
    data.extend((1..=RESENDS_MAX).map(|r| 1000 + r));
    data
}

#[test]
fn same_seed_gives_identical_trace() {
    for network in [
        NetworkKind::Ordered,
        NetworkKind::UnorderedDuplicating,
        NetworkKind::UnorderedNonDuplicating,
    ] {
        let f = fixture(network, true, 1);
        let run = |seed| {
            let mut s = sim(&f, faulty(seed));
            let outcome = s.run_until(|s| s.outcome().steps >= 10);
            s.crash(Id::from(1));
            s.run_until(|s| s.outcome().steps >= 20);
            s.recover(Id::from(1));
            let outcome_end = s.run();
            (outcome, outcome_end, s.trace().to_vec())
        };
        assert_eq!(run(7), run(7), "{network:?}");
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let f = fixture(NetworkKind::UnorderedNonDuplicating, false, 0);
    let traces: HashSet<Vec<_>> = (0..10)
        .map(|seed| {
            let mut s = sim(
                &f,
                SimCfg {
                    seed,
                    ..SimCfg::default()
                },
            );
            s.run();
            s.trace().to_vec()
        })
        .collect();
    assert!(traces.len() > 5, "only {} distinct traces", traces.len());
}

#[test]
fn ordered_channel_never_reorders() {
    for lossy in [false, true] {
        let f = fixture(NetworkKind::Ordered, lossy, 0);
        for seed in 0..200 {
            let mut s = sim(&f, faulty(seed));
            assert!(s.run().quiescent);
            for receiver in 1..=2 {
                let data = received(&s, receiver);
                assert!(
                    data.windows(2).all(|w| w[0] < w[1]),
                    "seed {seed}, lossy {lossy}: receiver {receiver} got {data:?}"
                );
                if !lossy {
                    assert_eq!(data, all_data(s.actor_states()[0].picked.unwrap()));
                }
            }
        }
    }
}

#[test]
fn unordered_network_reorders_for_some_seed() {
    let f = fixture(NetworkKind::UnorderedNonDuplicating, false, 0);
    let reordered = (0..50).any(|seed| {
        let mut s = sim(&f, faulty(seed));
        s.run();
        (1..=2).any(|r| received(&s, r).windows(2).any(|w| w[0] > w[1]))
    });
    assert!(
        reordered,
        "the FIFO test would prove nothing if this never happened"
    );
}

#[test]
fn random_choice_resolves_to_every_option_across_seeds() {
    let f = fixture(NetworkKind::Ordered, false, 0);
    let mut picked = BTreeSet::new();
    for seed in 0..60 {
        let mut s = sim(
            &f,
            SimCfg {
                seed,
                ..SimCfg::default()
            },
        );
        s.run();
        let choice = s.actor_states()[0].picked.expect("the choice was resolved");
        picked.insert(choice);
        let selections: Vec<_> = s
            .trace()
            .iter()
            .filter(|step| matches!(step, Step::SelectRandom { .. }))
            .collect();
        assert_eq!(
            selections,
            [&Step::SelectRandom {
                actor: Id::from(0),
                key: "pick".into(),
                random: choice
            }]
        );
        assert!(
            s.snapshot().random_choices[0].map.is_empty(),
            "the key is cleared"
        );
    }
    assert_eq!(picked, BTreeSet::from(PICK_OPTIONS));
}

#[test]
fn crash_then_recover_restores_storage_and_resets_volatile_state() {
    let f = fixture(NetworkKind::Ordered, false, 1);
    let mut s = sim(&f, SimCfg::default());
    let receiver = Id::from(1);
    s.run_until(|s| s.actor_states()[1].received.len() >= 3);
    let saved = s.actor_storages()[1].expect("the receiver saved its count");
    assert_eq!(saved, 3);

    assert!(s.crash(receiver));
    assert!(s.is_crashed(receiver));
    assert_eq!(s.trace().last(), Some(&Step::Crash(receiver)));
    assert!(!s.crash(receiver), "already crashed");

    // The sender's timers and choices die with it when it crashes.
    let mut s2 = sim(&f, SimCfg::default());
    assert!(s2.crash(Id::from(0)));
    let snapshot = s2.snapshot();
    assert_eq!(snapshot.timers_set[0].iter().count(), 0);
    assert!(snapshot.random_choices[0].map.is_empty());
    assert!(s2.run().quiescent);
    assert_eq!(
        s2.actor_states()[0].picked,
        None,
        "no choice resolved while crashed"
    );

    assert!(s.recover(receiver));
    assert!(!s.is_crashed(receiver));
    assert_eq!(s.trace().last(), Some(&Step::Recover(receiver)));
    let state = &s.actor_states()[1];
    assert!(state.received.is_empty(), "volatile log is gone");
    assert_eq!(state.persisted, saved, "storage is restored");
    assert!(!s.recover(receiver), "not crashed any more");
}

#[test]
fn messages_to_crashed_receiver_arrive_after_recovery() {
    for network in [
        NetworkKind::Ordered,
        NetworkKind::UnorderedDuplicating,
        NetworkKind::UnorderedNonDuplicating,
    ] {
        for seed in 0..20 {
            let f = fixture(network, false, 1);
            let mut s = sim(
                &f,
                SimCfg {
                    seed,
                    ..SimCfg::default()
                },
            );
            assert!(s.crash(Id::from(1)));
            assert!(s.run().quiescent, "parked messages are not live events");
            let picked = s.actor_states()[0].picked.unwrap();
            assert!(received(&s, 1).is_empty());
            assert_eq!(received(&s, 2).len(), all_data(picked).len());
            assert_eq!(s.in_flight().len(), all_data(picked).len(), "parked for 1");

            assert!(s.recover(Id::from(1)));
            assert!(s.run().quiescent);
            let mut got = received(&s, 1);
            if network != NetworkKind::Ordered {
                got.sort();
            }
            let mut want = all_data(picked);
            if network != NetworkKind::Ordered {
                want.sort();
            }
            assert_eq!(got, want, "{network:?} seed {seed}");
            assert!(s.in_flight().is_empty());
        }
    }
}

#[test]
fn crash_beyond_system_limit_is_refused() {
    let f = fixture(NetworkKind::Ordered, false, 1);
    let mut s = sim(&f, SimCfg::default());
    assert!(s.crash(Id::from(1)));
    assert!(!s.crash(Id::from(2)), "only one crash at a time");
    assert!(!s.recover(Id::from(2)), "not crashed");
    assert!(s.recover(Id::from(1)));
    assert!(s.crash(Id::from(2)));

    let no_crashes = fixture(NetworkKind::Ordered, false, 0);
    assert!(!sim(&no_crashes, SimCfg::default()).crash(Id::from(1)));
}

#[test]
fn run_stops_at_max_steps() {
    let f = fixture(NetworkKind::Ordered, false, 0);
    let mut s = sim(
        &f,
        SimCfg {
            max_steps: 5,
            ..SimCfg::default()
        },
    );
    let outcome = s.run();
    assert_eq!(outcome.steps, 5);
    assert!(!outcome.quiescent);
    assert_eq!(s.trace().len(), 5);
    assert_eq!(s.run(), outcome, "the budget is for the whole run");
    assert!(s.step(), "step ignores the budget");
}

#[test]
fn drops_only_on_lossy_network_and_duplicates_only_on_duplicating_network() {
    let always = SimCfg {
        drop_per_mille: 1000,
        dup_per_mille: 1000,
        ..SimCfg::default()
    };
    for network in [NetworkKind::Ordered, NetworkKind::UnorderedNonDuplicating] {
        let mut s = sim(&fixture(network, false, 0), always);
        let RunOutcome {
            messages_delivered, ..
        } = s.run();
        let sent = 2 * all_data(0).len();
        assert_eq!(
            messages_delivered,
            2 * sent + 1,
            "data, acks and ping, once each"
        );
    }
    let mut s = sim(&fixture(NetworkKind::Ordered, true, 0), always);
    s.run();
    assert!(s.trace().iter().all(|step| matches!(
        step,
        Step::Drop { .. } | Step::Timeout { .. } | Step::SelectRandom { .. }
    )));

    let mut s = sim(
        &fixture(NetworkKind::UnorderedDuplicating, false, 0),
        SimCfg {
            dup_per_mille: 1000,
            ..SimCfg::default()
        },
    );
    s.run();
    assert_eq!(
        received(&s, 1).len(),
        2 * all_data(0).len(),
        "each datum twice"
    );
}

#[test]
fn snapshot_reflects_states_timers_choices_and_network() {
    let f = fixture(NetworkKind::Ordered, false, 1);
    let mut s = sim(&f, SimCfg::default());
    let snapshot = s.snapshot();
    assert_eq!(snapshot.actor_states, s.actor_states());
    assert_eq!(
        snapshot.timers_set[0].iter().collect::<Vec<_>>(),
        [&Timer::Resend]
    );
    assert_eq!(
        snapshot.random_choices[0].map.get("pick"),
        Some(&PICK_OPTIONS.to_vec())
    );
    assert_eq!(
        snapshot.network.len(),
        2 * 5 + 1,
        "the burst and the ping are in flight"
    );
    assert_eq!(snapshot.crashed, [false; 3]);
    assert_eq!(snapshot.actor_storages, [None; 3]);

    s.run_until(|s| s.actor_states()[2].received.len() == 2);
    s.crash(Id::from(2));
    let snapshot = s.snapshot();
    assert_eq!(snapshot.actor_states, s.actor_states());
    assert_eq!(snapshot.crashed, [false, false, true]);
    assert_eq!(snapshot.actor_storages[2], Some(2));

    assert!(s.run().quiescent);
    let snapshot = s.snapshot();
    assert_eq!(snapshot.timers_set[0].iter().count(), 0);
    // `iter_all` of stateright 0.31 never ends on a non-empty ordered network; heads suffice.
    let waiting: Vec<_> = snapshot.network.iter_deliverable().map(|e| e.dst).collect();
    assert_eq!(
        waiting,
        [Id::from(2)],
        "only the channel to the crashed receiver"
    );
    assert_eq!(snapshot.network.len(), s.in_flight().len());
    assert!(s.in_flight().iter().all(|e| e.dst == Id::from(2)));
}

/// Applies the new steps of `sim` to `state` through the model, checking each was enabled there
/// and that the model lands exactly on the simulator's snapshot. Returns the steps the model
/// treated as no-ops.
fn follow(
    model: &ActorModel<Node>,
    state: &mut ActorModelState<Node>,
    sim: &Sim<Node>,
    seen: &mut usize,
) -> usize {
    let mut stutters = 0;
    for step in &sim.trace()[*seen..] {
        let action = ActorModelAction::from(step.clone());
        let mut enabled = Vec::new();
        model.actions(state, &mut enabled);
        assert!(
            enabled.contains(&action),
            "{action:?} not enabled in {state:?}"
        );
        match model.next_state(state, action.clone()) {
            Some(next) => *state = next,
            None => {
                assert!(
                    matches!(
                        action,
                        ActorModelAction::Deliver { .. } | ActorModelAction::Timeout(..)
                    ),
                    "only no-op deliveries and timeouts stutter, not {action:?}"
                );
                stutters += 1;
            }
        }
    }
    *seen = sim.trace().len();
    assert_eq!(*state, sim.snapshot());
    stutters
}

/// The kind of a step, to check a test saw every kind.
fn kind(step: &Step<Msg, Timer, u32>) -> &'static str {
    match step {
        Step::Deliver { .. } => "deliver",
        Step::Drop { .. } => "drop",
        Step::Timeout { .. } => "timeout",
        Step::Crash(_) => "crash",
        Step::Recover(_) => "recover",
        Step::SelectRandom { .. } => "select random",
    }
}

#[test]
fn trace_replays_through_the_model_onto_every_snapshot() {
    for network in [
        NetworkKind::Ordered,
        NetworkKind::UnorderedDuplicating,
        NetworkKind::UnorderedNonDuplicating,
    ] {
        let f = fixture(network, true, 1);
        let model = ActorModel::new((), ())
            .actors(f.actors())
            .init_network(network.empty())
            .lossy_network(LossyNetwork::Yes)
            .max_crashes(1);
        let mut kinds = BTreeSet::new();
        let mut stutters = 0;
        for seed in 0..30 {
            let victim = Id::from(seed as usize % 3);
            let mut s = sim(&f, faulty(seed));
            let mut state = model.init_states().remove(0);
            let mut seen = 0;
            stutters += follow(&model, &mut state, &s, &mut seen);
            let mut steps = 0;
            loop {
                let stepped = s.step();
                steps += 1;
                if steps == 8 {
                    assert!(s.crash(victim));
                }
                if (steps == 20 || !stepped) && s.is_crashed(victim) {
                    assert!(s.recover(victim));
                } else if !stepped {
                    break;
                }
                stutters += follow(&model, &mut state, &s, &mut seen);
            }
            kinds.extend(s.trace().iter().map(kind));
        }
        assert_eq!(kinds.len(), 6, "{network:?} saw only {kinds:?}");
        if network != NetworkKind::Ordered {
            assert!(stutters > 0, "{network:?}: the ping is a no-op delivery");
        }
    }
}
