//! The Bully algorithm (Garcia-Molina, 1982) as stateright actors.
//!
//! # Problem
//!
//! Nodes with ids `1..=n` (actor `i` has id `i + 1`) need a coordinator, the live node with the
//! highest id, and must replace it when it crashes. Nodes crash and recover.
//!
//! # Source
//!
//! H. Garcia-Molina, "Elections in a Distributed Computing System", IEEE Transactions on
//! Computers C-31(1), 1982, section IV "The Bully Algorithm" (with its `Halt` phase), in the
//! synchronous model of section III: failures are detected by timeouts that never fire while
//! the suspected node is up. The properties live in `specs::bully`.
//!
//! # Algorithm
//!
//! 1. A node that starts, recovers, or notices its coordinator is gone (`Check` timer) *holds an
//!    election*: it sends `Election` to every higher node and waits (`AnswerWait`).
//! 2. A node that receives `Election` from a lower node replies `Answer` and holds its own
//!    election, unless it is already in one; a coordinator instead re-asserts `Coordinator`.
//! 3. A node that gets an `Answer` waits for the winner's announcement (`CoordWait`) and holds a
//!    new election if none comes.
//! 4. A node that hears no `Answer` has the highest id among live nodes. It sends `Halt` to every
//!    lower node, each of which stops whatever it was doing (also being coordinator) and acks;
//!    once every live lower node has acked (`HaltWait` covers those that are down) it becomes
//!    coordinator and announces `Coordinator` to all. The halt phase is what keeps two nodes
//!    from being coordinator at once when a higher node recovers and takes over.
//!
//! # Fault and network model
//!
//! Nodes crash (losing volatile state and timers) and recover; a recovered node holds an
//! election, so one with a higher id takes over. Messages may be reordered and duplicated
//! (repeated elections resend messages, which only the duplicating network keeps finite, so it
//! is required). Whether timeouts are *accurate* is not up to the actors, which only see timers
//! fire: it is part of the model (`specs::bully`), which lets a wait time out only when the nodes
//! waited for are down ([`Detector::Accurate`], the synchronous assumption) or at any time
//! ([`Detector::Unreliable`], asynchrony). The runtime makes timeouts accurate the same way a
//! synchronous system does: they are longer than any round trip.
//!
//! # Deviations from the paper
//!
//! - Ids are the actor index plus one; there is no application state, so the paper's
//!   `Reorganization` phase (handing the new coordinator the shared state) is empty and merged
//!   into the announcement.
//! - A node learns that its coordinator is gone through a `Check` timer standing for the paper's
//!   "are you there?" probe; the model checker's accurate detector fires it only when the
//!   coordinator is down.
//! - Messages carry no round or incarnation number. The paper's synchronous model bounds message
//!   delay, so no message outlives a crash; stateright's network keeps messages for ever, and
//!   with crashes the checker finds a `HaltAck` sent to a node's previous life counted in its
//!   next one, which makes two coordinators (see `checker/tests/bully.rs`). Accurate timeouts
//!   alone are therefore not the whole synchronous assumption.

use crate::common::{ActorSystem, CfgError, NetworkKind, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

/// A message of the Bully algorithm.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum BullyMsg {
    /// Lower -> higher: I am holding an election.
    Election,
    /// Higher -> lower: I am up and will take over.
    Answer,
    /// Winner -> lower: stop, I am about to become coordinator.
    Halt,
    /// Lower -> winner: stopped.
    HaltAck,
    /// Winner -> all: I am the coordinator.
    Coordinator,
}

/// Timers: the waits of an election and the probe of the coordinator.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum BullyTimer {
    /// The coordinator did not answer the probe (it is gone).
    Check,
    /// No higher node answered the election.
    AnswerWait,
    /// A higher node answered (or halted us) but announced nothing.
    CoordWait,
    /// Some lower node did not ack the halt.
    HaltWait,
}

/// What a node is doing.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Phase {
    /// Following `coordinator` (or waiting for an announcement).
    Normal,
    /// Sent `Election` to the higher nodes; `answered` once one replied.
    Electing { answered: bool },
    /// Won the election; halting the lower nodes, `acks` those that confirmed.
    Halting { acks: BTreeSet<Id> },
    /// The coordinator.
    Coordinator,
}

/// A node's state (all volatile: a recovered node starts an election afresh).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct BullyState {
    pub phase: Phase,
    /// The coordinator this node follows.
    pub coordinator: Option<Id>,
}

/// A node: the nodes above and below it.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct BullyActor {
    pub higher: Vec<Id>,
    pub lower: Vec<Id>,
}

/// How long a node waits for an answer, an announcement or an ack; the runtime's round trip
/// is at most 20 ms, so these never fire while the awaited node is up and the network works.
fn wait() -> std::ops::Range<Duration> {
    Duration::from_millis(100)..Duration::from_millis(101)
}

/// How often a node probes its coordinator.
fn check_interval() -> std::ops::Range<Duration> {
    Duration::from_millis(200)..Duration::from_millis(300)
}

const WAITS: [BullyTimer; 3] = [
    BullyTimer::AnswerWait,
    BullyTimer::CoordWait,
    BullyTimer::HaltWait,
];

impl Actor for BullyActor {
    type Msg = BullyMsg;
    type State = BullyState;
    type Timer = BullyTimer;
    type Random = ();
    type Storage = ();

    fn name(&self) -> String {
        "node".to_string()
    }

    fn on_start(&self, id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> BullyState {
        self.hold_election(id, None, o)
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<BullyState>,
        src: Id,
        msg: BullyMsg,
        o: &mut Out<Self>,
    ) {
        match (msg, &state.phase) {
            (BullyMsg::Election, Phase::Coordinator) => o.send(src, BullyMsg::Coordinator),
            // Following a higher coordinator: the sender asked it too, and it will re-assert.
            (BullyMsg::Election, Phase::Normal) if state.coordinator.is_some_and(|c| c > id) => {
                o.send(src, BullyMsg::Answer)
            }
            (BullyMsg::Election, Phase::Normal) => {
                o.send(src, BullyMsg::Answer);
                *state.to_mut() = self.hold_election(id, state.coordinator, o);
            }
            (BullyMsg::Election, _) => o.send(src, BullyMsg::Answer),
            (BullyMsg::Answer, Phase::Electing { answered: false }) => {
                o.cancel_timer(BullyTimer::AnswerWait);
                o.set_timer(BullyTimer::CoordWait, wait());
                state.to_mut().phase = Phase::Electing { answered: true };
            }
            // Already following the sender: a repeated halt changes nothing, but is acked.
            (BullyMsg::Halt, Phase::Normal) if state.coordinator == Some(src) => {
                o.send(src, BullyMsg::HaltAck)
            }
            (BullyMsg::Halt, _) if src > id => {
                self.cancel_all(o);
                o.set_timer(BullyTimer::CoordWait, wait());
                o.send(src, BullyMsg::HaltAck);
                *state.to_mut() = BullyState {
                    phase: Phase::Normal,
                    coordinator: None,
                };
            }
            (BullyMsg::HaltAck, Phase::Halting { acks }) if !acks.contains(&src) => {
                let mut acks = acks.clone();
                acks.insert(src);
                if self.lower.iter().all(|l| acks.contains(l)) {
                    *state.to_mut() = self.become_coordinator(id, o);
                } else {
                    state.to_mut().phase = Phase::Halting { acks };
                }
            }
            (BullyMsg::Coordinator, _)
                if src > id && (state.phase != Phase::Normal || state.coordinator != Some(src)) =>
            {
                self.cancel_all(o);
                o.set_timer(BullyTimer::Check, check_interval());
                *state.to_mut() = BullyState {
                    phase: Phase::Normal,
                    coordinator: Some(src),
                };
            }
            (BullyMsg::Coordinator, _) if src > id => {}
            // A lower node claims to coordinate (only after a false suspicion): bully it.
            (BullyMsg::Coordinator, Phase::Normal) if src < id => {
                *state.to_mut() = self.hold_election(id, state.coordinator, o);
            }
            _ => {}
        }
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<BullyState>,
        timer: &BullyTimer,
        o: &mut Out<Self>,
    ) {
        match (timer, &state.phase) {
            (BullyTimer::Check, Phase::Normal)
            | (BullyTimer::CoordWait, Phase::Normal | Phase::Electing { answered: true }) => {
                *state.to_mut() = self.hold_election(id, state.coordinator, o);
            }
            (BullyTimer::AnswerWait, Phase::Electing { answered: false }) => {
                *state.to_mut() = self.halt_lower(id, o);
            }
            (BullyTimer::HaltWait, Phase::Halting { .. }) => {
                *state.to_mut() = self.become_coordinator(id, o);
            }
            _ => {}
        }
    }
}

impl BullyActor {
    fn cancel_all(&self, o: &mut Out<Self>) {
        o.cancel_timer(BullyTimer::Check);
        for t in WAITS {
            o.cancel_timer(t);
        }
    }

    /// Step 1: ask every higher node; with none, go straight to the halt phase.
    fn hold_election(&self, id: Id, coordinator: Option<Id>, o: &mut Out<Self>) -> BullyState {
        if self.higher.is_empty() {
            return self.halt_lower(id, o);
        }
        self.cancel_all(o);
        o.broadcast(&self.higher, &BullyMsg::Election);
        o.set_timer(BullyTimer::AnswerWait, wait());
        BullyState {
            phase: Phase::Electing { answered: false },
            coordinator,
        }
    }

    /// Step 4: no higher node is up; halt every lower node before taking over.
    fn halt_lower(&self, id: Id, o: &mut Out<Self>) -> BullyState {
        if self.lower.is_empty() {
            return self.become_coordinator(id, o);
        }
        self.cancel_all(o);
        o.broadcast(&self.lower, &BullyMsg::Halt);
        o.set_timer(BullyTimer::HaltWait, wait());
        BullyState {
            phase: Phase::Halting {
                acks: BTreeSet::new(),
            },
            coordinator: None,
        }
    }

    fn become_coordinator(&self, id: Id, o: &mut Out<Self>) -> BullyState {
        self.cancel_all(o);
        o.broadcast(&self.lower, &BullyMsg::Coordinator);
        BullyState {
            phase: Phase::Coordinator,
            coordinator: Some(id),
        }
    }
}

/// When a wait may time out.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Detector {
    /// Only when the nodes waited for are down: the synchronous assumption.
    Accurate,
    /// At any time, also while they are up: an asynchronous system.
    Unreliable,
}

/// The parameters of a Bully system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct BullyCfg {
    /// Number of nodes, `1..=NODES_MAX` (ids `1..=nodes`); 3 checks in well under a second.
    pub nodes: usize,
    /// Which timeouts the model lets fire (see [`Detector`]).
    pub detector: Detector,
    /// Network and fault settings; the network must be `unordered-duplicating`.
    pub system: SystemCfg,
}

impl BullyCfg {
    /// The largest system accepted.
    pub const NODES_MAX: usize = 9;

    /// A validated configuration.
    pub fn new(nodes: usize, detector: Detector, system: SystemCfg) -> Result<Self, CfgError> {
        if !(1..=Self::NODES_MAX).contains(&nodes) {
            return Err(CfgError(format!(
                "nodes must be in 1..={}, got {nodes}",
                Self::NODES_MAX
            )));
        }
        if system.crashes > nodes {
            return Err(CfgError(format!(
                "crashes must be at most the number of nodes ({nodes}), got {}",
                system.crashes
            )));
        }
        if system.network != NetworkKind::UnorderedDuplicating {
            return Err(CfgError(format!(
                "bully needs network=unordered-duplicating: every recovery starts an election \
                 and resends, which only that network absorbs (got {})",
                system.network.name()
            )));
        }
        Ok(Self {
            nodes,
            detector,
            system,
        })
    }

    /// The actor system as a stateright model, without properties or the detector (see
    /// `specs::bully`).
    pub fn into_model(self) -> ActorModel<BullyActor, BullyCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for BullyCfg {
    type Actor = BullyActor;

    fn actors(&self) -> Vec<BullyActor> {
        (0..self.nodes)
            .map(|i| BullyActor {
                higher: (i + 1..self.nodes).map(Id::from).collect(),
                lower: (0..i).map(Id::from).collect(),
            })
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        format!("n{}", usize::from(id) + 1)
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::Command;

    fn cfg() -> BullyCfg {
        let system = SystemCfg {
            network: NetworkKind::UnorderedDuplicating,
            lossy: false,
            crashes: 1,
        };
        BullyCfg::new(3, Detector::Accurate, system).unwrap()
    }

    #[test]
    fn the_highest_node_halts_the_others_then_coordinates() {
        let top = &cfg().actors()[2];
        let mut o = Out::new();
        let state = top.on_start(Id::from(2), &None, &mut o);
        assert!(matches!(state.phase, Phase::Halting { .. }));
        let mut state = Cow::Owned(state);
        top.on_msg(
            Id::from(2),
            &mut state,
            Id::from(0),
            BullyMsg::HaltAck,
            &mut o,
        );
        assert!(matches!(state.phase, Phase::Halting { .. }));
        let mut o = Out::new();
        top.on_msg(
            Id::from(2),
            &mut state,
            Id::from(1),
            BullyMsg::HaltAck,
            &mut o,
        );
        assert_eq!(state.phase, Phase::Coordinator);
        assert!(o
            .iter()
            .any(|c| matches!(c, Command::Send(_, BullyMsg::Coordinator))));
    }

    #[test]
    fn a_lower_node_answers_and_holds_its_own_election() {
        let mid = &cfg().actors()[1];
        let deliver = |coordinator: Option<usize>| {
            let before = BullyState {
                phase: Phase::Normal,
                coordinator: coordinator.map(Id::from),
            };
            let mut state = Cow::Borrowed(&before);
            let mut o = Out::new();
            let election = BullyMsg::Election;
            mid.on_msg(Id::from(1), &mut state, Id::from(0), election, &mut o);
            assert!(matches!(o[0], Command::Send(to, BullyMsg::Answer) if to == Id::from(0)));
            (state.into_owned(), o.len())
        };
        let (after, _) = deliver(None);
        assert_eq!(after.phase, Phase::Electing { answered: false });
        // Following a higher coordinator, it only answers: the sender asked that one too.
        let (after, sent) = deliver(Some(2));
        assert_eq!((after.phase, sent), (Phase::Normal, 1));
    }

    #[test]
    fn only_the_duplicating_network_is_accepted() {
        let ordered = SystemCfg {
            network: NetworkKind::Ordered,
            ..cfg().system
        };
        assert!(BullyCfg::new(3, Detector::Accurate, ordered).is_err());
        assert!(BullyCfg::new(0, Detector::Accurate, cfg().system).is_err());
    }
}
