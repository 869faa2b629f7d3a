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
//!
//! Crashed nodes are excluded: stateright keeps a crashed node's last state, and a coordinator
//! that crashed is no longer one.
//!
//! What holds: without crashes, under the accurate detector, every property (the top node halts
//! the others and takes over). With `crashes=1` the checker finds two coordinators even under
//! the accurate detector, through a stale `HaltAck` (see `models::bully`), and the takeover
//! property fails through runs that crash and recover for ever, which no fairness excludes.

use models::bully::{BullyActor, BullyCfg, BullyMsg, BullyState, BullyTimer, Detector, Phase};
use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Id};
use stateright::{Model, Property};

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
    let n = s.actor_states.len();
    let down = |j: usize| s.crashed[j];
    let state = &*s.actor_states[i];
    match timer {
        BullyTimer::Check => state.coordinator.is_some_and(|c| down(usize::from(c))),
        BullyTimer::AnswerWait | BullyTimer::CoordWait => (i + 1..n).all(down),
        BullyTimer::HaltWait => match &state.phase {
            Phase::Halting { acks } => (0..i).all(|j| acks.contains(&Id::from(j)) || down(j)),
            _ => true,
        },
    }
}

/// The paper's Assertion 1, for live nodes: no two live nodes are coordinator at once.
pub fn at_most_one_coordinator_among_live_nodes(_: &BullyModel, s: &BullySysState) -> bool {
    live(s)
        .filter(|(_, n)| n.phase == Phase::Coordinator)
        .count()
        <= 1
}

/// Some live node is coordinator.
pub fn a_coordinator_is_elected(_: &BullyModel, s: &BullySysState) -> bool {
    live(s).any(|(_, n)| n.phase == Phase::Coordinator)
}

/// The live node with the highest id coordinates and every live node follows it.
pub fn the_highest_live_node_coordinates_and_all_follow_it(
    _: &BullyModel,
    s: &BullySysState,
) -> bool {
    let Some((top, state)) = live(s).last() else {
        return true;
    };
    state.phase == Phase::Coordinator
        && live(s).all(|(_, n)| {
            n.coordinator == Some(Id::from(top))
                && matches!(n.phase, Phase::Normal | Phase::Coordinator)
        })
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

/// The checkable model of `cfg`.
pub fn model(cfg: BullyCfg) -> BullyModel {
    BullyModel {
        actors: cfg.into_model(),
    }
}
