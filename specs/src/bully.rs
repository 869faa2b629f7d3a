//! What the Bully algorithm must satisfy (Garcia-Molina 1982, section III's assertions), and the
//! failure detector it assumes, made explicit.
//!
//! The actors of `models::bully` only see timers fire. [`BullyModel`] wraps their
//! `ActorModel` and decides *when* a wait may time out:
//!
//! - [`Detector::Accurate`] (the paper's synchronous assumption): `Check` only when the node's
//!   coordinator is down; `AnswerWait` and `CoordWait` only when every higher node is down;
//!   `HaltWait` only when every lower node that has not acked is down.
//! - [`Detector::Unreliable`]: any set timer may fire at any time, as in an asynchronous system.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `at most one coordinator among live nodes` | always | the paper's Assertion 1, for live nodes |
//! | `a coordinator is elected` | sometimes | some run elects one |
//! | `the highest live node coordinates and all follow it` | eventually | after faults stop, the live node with the highest id coordinates and every live node follows it |
//! | `no coordinator leads to the highest live node coordinating` | leads-to | whenever no live node coordinates (at the start, after the coordinator crashed), the highest live node eventually coordinates and all follow it |
//!
//! Crashed nodes are excluded: stateright keeps a crashed node's last state, and a coordinator
//! that crashed is no longer one.
//!
//! What holds, under the accurate detector and strong fairness: every property, without crashes
//! and with `crashes=1` (any node down at a time, the recoveries bounded by the configuration's
//! `recoveries` so that incarnation numbers stay finite). Under the unreliable detector two
//! nodes coordinate at once; without the incarnation check of acks (`models::bully`), so they
//! do after a crash even under the accurate detector.

use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, SystemModel, TimerGate};
use crate::LeadsTo;
use models::bully::{BullyActor, BullyCfg, BullyMsg, BullyState, BullyTimer, Detector, Phase};
use models::common::CfgError;
use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Id};
use stateright::{Expectation, Model, Property};
use std::sync::Arc;

/// The actor system without the detector.
pub type BullyActors = ActorModel<BullyActor, BullyCfg, ()>;

/// A state of the whole system.
pub type BullySysState = ActorModelState<BullyActor, ()>;

/// An action of the system.
pub type BullyAction = ActorModelAction<BullyMsg, BullyTimer, ()>;

/// The Bully actors under an explicit failure detector (see the module docs).
pub struct BullyModel {
    pub actors: BullyActors,
}

impl BullyModel {
    pub fn cfg(&self) -> &BullyCfg {
        &self.actors.cfg
    }
}

fn live(s: &BullySysState) -> impl Iterator<Item = (usize, &BullyState)> {
    s.actor_states
        .iter()
        .enumerate()
        .filter(|(i, _)| !s.crashed[*i])
        .map(|(i, a)| (i, &**a))
}

/// Whether the accurate detector lets `timer` of node `i` fire in `s`.
pub fn accurate_timeout(s: &BullySysState, i: usize, timer: BullyTimer) -> bool {
    accurate_timeout_in(&s.actor_states, &s.crashed, i, timer)
}

/// [`accurate_timeout`] on the nodes' states and crash flags, as a driver holds them.
pub fn accurate_timeout_in(
    states: &[Arc<BullyState>],
    crashed: &[bool],
    i: usize,
    timer: BullyTimer,
) -> bool {
    let n = states.len();
    let down = |j: usize| crashed[j];
    let state = &*states[i];
    match timer {
        BullyTimer::Check => state.coordinator.is_some_and(|c| down(usize::from(c))),
        BullyTimer::AnswerWait | BullyTimer::CoordWait => (i + 1..n).all(down),
        BullyTimer::HaltWait => match &state.phase {
            Phase::Halting { acks } => (0..i).all(|j| acks.contains(&Id::from(j)) || down(j)),
            _ => true,
        },
    }
}

/// [`accurate_timeout_in`] in the shape of the simulator's timer gate
/// (`impls::sim::TimerGate`): how the runtime realises the accurate detector.
pub fn accurate_gate(
    states: &[Arc<BullyState>],
    crashed: &[bool],
    id: Id,
    timer: &BullyTimer,
) -> bool {
    accurate_timeout_in(states, crashed, usize::from(id), *timer)
}

/// The paper's Assertion 1, for live nodes: no two live nodes are coordinator at once.
pub fn at_most_one_coordinator_among_live_nodes<M>(_: &M, s: &BullySysState) -> bool {
    live(s)
        .filter(|(_, n)| n.phase == Phase::Coordinator)
        .count()
        <= 1
}

/// Some live node is coordinator.
pub fn a_coordinator_is_elected<M>(_: &M, s: &BullySysState) -> bool {
    live(s).any(|(_, n)| n.phase == Phase::Coordinator)
}

/// The live node with the highest id coordinates and every live node follows it.
pub fn the_highest_live_node_coordinates_and_all_follow_it<M>(_: &M, s: &BullySysState) -> bool {
    let Some((top, state)) = live(s).last() else {
        return true;
    };
    state.phase == Phase::Coordinator
        && live(s).all(|(_, n)| {
            n.coordinator == Some(Id::from(top))
                && matches!(n.phase, Phase::Normal | Phase::Coordinator)
        })
}

/// No live node is coordinator (at the start, or after the coordinator crashed or was halted).
pub fn no_live_coordinator<M>(_: &M, s: &BullySysState) -> bool {
    live(s).all(|(_, n)| n.phase != Phase::Coordinator)
}

/// A leaderless state leads to the takeover by the highest live node: in particular, after the
/// coordinator crashes a new one is elected.
pub fn leads_to() -> Vec<LeadsTo<BullyModel>> {
    vec![LeadsTo {
        name: "no coordinator leads to the highest live node coordinating",
        from: no_live_coordinator,
        to: the_highest_live_node_coordinates_and_all_follow_it,
    }]
}

impl Model for BullyModel {
    type State = BullySysState;
    type Action = BullyAction;

    fn init_states(&self) -> Vec<BullySysState> {
        self.actors.init_states()
    }

    fn actions(&self, s: &BullySysState, actions: &mut Vec<BullyAction>) {
        self.actors.actions(s, actions);
        if self.cfg().detector == Detector::Accurate {
            actions.retain(|a| match a {
                ActorModelAction::Timeout(id, timer) => {
                    accurate_timeout(s, usize::from(*id), *timer)
                }
                _ => true,
            });
        }
    }

    fn next_state(&self, s: &BullySysState, action: BullyAction) -> Option<BullySysState> {
        self.actors.next_state(s, action)
    }

    fn format_action(&self, action: &BullyAction) -> String {
        self.actors.format_action(action)
    }

    fn within_boundary(&self, s: &BullySysState) -> bool {
        Model::within_boundary(&self.actors, s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(
                "at most one coordinator among live nodes",
                at_most_one_coordinator_among_live_nodes,
            ),
            Property::sometimes("a coordinator is elected", a_coordinator_is_elected),
            Property::eventually(
                "the highest live node coordinates and all follow it",
                the_highest_live_node_coordinates_and_all_follow_it,
            ),
        ]
    }
}

/// The actor system of `cfg` with the properties above, without the detector: what the
/// runtime drives, with the detector as a gate on its timers (see [`accurate_timeout_in`]).
pub fn actors(cfg: BullyCfg) -> BullyActors {
    cfg.into_model()
        .property(
            Expectation::Always,
            "at most one coordinator among live nodes",
            at_most_one_coordinator_among_live_nodes,
        )
        .property(
            Expectation::Sometimes,
            "a coordinator is elected",
            a_coordinator_is_elected,
        )
        .property(
            Expectation::Eventually,
            "the highest live node coordinates and all follow it",
            the_highest_live_node_coordinates_and_all_follow_it,
        )
}

/// The checkable model of `cfg`.
pub fn model(cfg: BullyCfg) -> BullyModel {
    BullyModel {
        actors: actors(cfg),
    }
}

impl SystemModel for BullyModel {
    type Actor = BullyActor;
    type Cfg = BullyCfg;
    type History = ();
    fn actors(&self) -> &BullyActors {
        &self.actors
    }
}

/// The declaration of `bully`: Garcia-Molina's Bully algorithm under an accurate or an
/// unreliable failure detector, checked against "at most one coordinator among live nodes"
/// and eventual takeover by the highest live node. On the simulator the accurate detector is
/// the timer gate; over UDP it is what real timeouts give: with timeouts of 100 ms and more
/// against loopback latencies of microseconds and no crash, a wait never times out while the
/// awaited node is up (`detector=unreliable` cannot be imposed on real timers and runs the
/// same).
pub fn protocol() -> Protocol<BullyModel> {
    Protocol::new(
        "bully",
        "Bully: the highest live id takes over; safe only if timeouts never fire while a node is up",
        BullyCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(BullyCfg::NODES, "number of nodes (ids 1..=nodes)"))
    .param(Param::choice(
        "detector",
        &["accurate", "unreliable"],
        "accurate",
        "when waits time out: only if the awaited nodes are down (synchronous), or any time",
    ))
    .param(Param::bounded(
        BullyCfg::RECOVERIES,
        "how many recoveries in all the checker explores (bounds incarnation numbers; the runtime is unbounded)",
    ))
    .param(Param::bool(
        "incarnation-check",
        true,
        "whether a halter ignores acks to a previous life's Halt (false: the broken variant)",
    ))
    .leads_to(leads_to)
    // As for 2PC: a node that crashes and recovers forever must still get what is sent to it
    // again and again.
    .fairness(|_| Fairness::Strong)
    .end_states(the_highest_live_node_coordinates_and_all_follow_it)
    // After faults stop and every node has recovered, the highest node takes over (the
    // leads-to property, proved with crashes=1).
    .live_after_recovery()
    // Under the accurate detector the simulator's timers are gated by the same predicate the
    // model applies (an oracle for the synchronous model).
    .timer_gate(|cfg| {
        (cfg.detector == Detector::Accurate).then_some(accurate_gate as TimerGate<BullyActor>)
    })
    .actions(|cfg, k| {
        use models::bully::BullyMsgKind as Msg;
        k.receives(
            "node",
            [
                Msg::Election,
                Msg::Answer,
                Msg::Halt,
                Msg::HaltAck,
                Msg::Coordinator,
            ],
        )
        .timeout("node", BullyTimer::HaltWait);
        if cfg.system.crashes > 0 || cfg.detector == Detector::Unreliable {
            k.timeout("node", BullyTimer::Check)
                .timeout("node", BullyTimer::AnswerWait)
                .timeout("node", BullyTimer::CoordWait);
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<BullyCfg, CfgError> {
    let detector = match p.word("detector") {
        "unreliable" => Detector::Unreliable,
        _ => Detector::Accurate,
    };
    let cfg = BullyCfg::new(p.int("nodes") as usize, detector, system_cfg(p))?;
    Ok(cfg
        .with_recoveries(p.int("recoveries") as u32)
        .with_incarnation_check(p.bool("incarnation-check")))
}
