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
//! ([`Detector::Unreliable`], asynchrony). The runtime realises the accurate detector with the
//! simulator's timer gate, the same predicate as an oracle (`impls::sim::TimerGate`).
//!
//! # Incarnations
//!
//! The paper's synchronous model also bounds message delay, so no message outlives a crash.
//! stateright's network keeps messages for ever, so a node must recognise messages of a life
//! that has ended, as real implementations do with incarnation (or election) numbers:
//!
//! - Each node counts its lives in `Storage` ([`Incarnation`], 0 at first start, +1 on every
//!   recovery). `Halt`, `HaltAck` (echoing the `Halt`) and `Coordinator` carry it.
//! - A halter counts only acks to its current life's `Halt`. Without that check
//!   ([`BullyActor::check_incarnation`] false) an ack sent to its previous life counts in this
//!   one and two nodes coordinate at once (pinned in `checker/tests/bully.rs`).
//! - A node remembers, per higher node, the latest life heard of and how far it got with it
//!   ([`Stage`]: halted, followed, over). A `Halt` of a life is obeyed once (a redelivered one
//!   is acked again, nothing else); a life's messages are ignored once a timeout showed it over
//!   or a later life was heard of. Without this, a dead node's `Halt`, redelivered for ever,
//!   keeps deposing its successor (a fair lasso the checker found).
//! - A coordinator, or a node halting the others, answers an `Election` by halting the asker
//!   (a coordinator announces itself again on the ack).
//! - A node following a coordinator ignores `Halt` and `Coordinator` from nodes below it: they
//!   come from an election that coordinator has superseded (delayed by the network). The
//!   checker's duplicating network redelivers the coordinator's own announcement for ever, which
//!   hid the cost of obeying them; the runtime, which does not, found it (a node waiting for an
//!   announcement from a halter that had itself been halted).
//!
//! # Deviations from the paper
//!
//! - Ids are the actor index plus one; there is no application state, so the paper's
//!   `Reorganization` phase (handing the new coordinator the shared state) is empty and merged
//!   into the announcement.
//! - A node learns that its coordinator is gone through a `Check` timer standing for the paper's
//!   "are you there?" probe; the accurate detector fires it only when the coordinator is down.
//! - Incarnation numbers and the per-life bookkeeping above (see "Incarnations").

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How many times a node has recovered: 0 in its first life. Kept in `Storage`, so it survives
/// crashes and tells a node's lives apart.
pub type Incarnation = u32;

/// A message of the Bully algorithm. Messages from a winner carry its incarnation, so that
/// receivers can tell a live node's messages from those of a life that has ended.
#[derive(
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd,
    Serialize,
    Deserialize,
    strum::EnumDiscriminants,
)]
/// Its variants without their fields, [`BullyMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(BullyMsgKind), derive(strum::IntoStaticStr))]
pub enum BullyMsg {
    /// Lower -> higher: I am holding an election.
    Election,
    /// Higher -> lower: I am up and will take over.
    Answer,
    /// Winner -> lower: stop, I am about to become coordinator.
    Halt { incarnation: Incarnation },
    /// Lower -> winner: stopped (echoing the incarnation of the `Halt` it answers).
    HaltAck { incarnation: Incarnation },
    /// Winner -> lower: I am the coordinator.
    Coordinator { incarnation: Incarnation },
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

/// How far a node has got with one life of a higher node (in this order).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Stage {
    /// Obeyed its `Halt`.
    Halted,
    /// Accepted its `Coordinator`.
    Followed,
    /// A timeout showed it down: that life is over, its messages are stale.
    Over,
}

/// A node's state. All volatile (a recovered node starts an election afresh) except the
/// incarnation, a copy of the node's `Storage`.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct BullyState {
    pub phase: Phase,
    /// The coordinator this node follows.
    pub coordinator: Option<Id>,
    /// This life of the node (see [`Incarnation`]).
    pub incarnation: Incarnation,
    /// For each higher node heard from, its latest life heard of and how far this node got
    /// with it (sorted, so states stay canonical).
    pub lives: BTreeMap<Id, (Incarnation, Stage)>,
}

/// A node: the nodes above and below it.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct BullyActor {
    pub higher: Vec<Id>,
    pub lower: Vec<Id>,
    /// Whether a `HaltAck` counts only when it answers this life's `Halt` (false: the broken
    /// variant that counts acks sent to a previous life).
    pub check_incarnation: bool,
    /// Whether a follower holds an election when its `Check` timer fires (false: the broken
    /// variant whose followers never notice that their coordinator is gone).
    pub act_on_check: bool,
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

/// What a `Halt` or `Coordinator` from a higher node's life is, to a node that knows `known`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum News {
    /// A life, or a step of it, not seen before.
    Fresh,
    /// A step of the current life already taken (the duplicating network redelivers).
    Repeated,
    /// From a life that is over or older than one heard of.
    Stale,
}

fn news(known: Option<&(Incarnation, Stage)>, incarnation: Incarnation, step: Stage) -> News {
    match known {
        None => News::Fresh,
        Some(&(k, _)) if incarnation > k => News::Fresh,
        Some(&(k, stage)) if incarnation < k || stage == Stage::Over => News::Stale,
        Some(&(_, stage)) if step > stage => News::Fresh,
        Some(_) => News::Repeated,
    }
}

impl Actor for BullyActor {
    type Msg = BullyMsg;
    type State = BullyState;
    type Timer = BullyTimer;
    type Random = ();
    type Storage = Incarnation;

    fn name(&self) -> String {
        "node".to_string()
    }

    fn on_start(&self, id: Id, storage: &Option<Incarnation>, o: &mut Out<Self>) -> BullyState {
        let incarnation = storage.map_or(0, |i| i + 1);
        o.save(incarnation);
        let fresh = BullyState {
            phase: Phase::Normal,
            coordinator: None,
            incarnation,
            lives: BTreeMap::new(),
        };
        self.hold_election(id, &fresh, o)
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
            // Halt the asker (it may have recovered), then tell it who coordinates.
            (BullyMsg::Election, Phase::Coordinator) => o.send(
                src,
                BullyMsg::Halt {
                    incarnation: state.incarnation,
                },
            ),
            // Following a higher coordinator: the sender asked it too, and it will re-assert.
            (BullyMsg::Election, Phase::Normal) if state.coordinator.is_some_and(|c| c > id) => {
                o.send(src, BullyMsg::Answer)
            }
            (BullyMsg::Election, Phase::Normal) => {
                o.send(src, BullyMsg::Answer);
                *state.to_mut() = self.hold_election(id, state, o);
            }
            // Taking over already: halt the asker too, so that it acks and waits for us.
            (BullyMsg::Election, Phase::Halting { .. }) => o.send(
                src,
                BullyMsg::Halt {
                    incarnation: state.incarnation,
                },
            ),
            (BullyMsg::Election, _) => o.send(src, BullyMsg::Answer),
            (BullyMsg::Answer, Phase::Electing { answered: false }) => {
                o.cancel_timer(BullyTimer::AnswerWait);
                o.set_timer(BullyTimer::CoordWait, wait());
                state.to_mut().phase = Phase::Electing { answered: true };
            }
            (BullyMsg::Halt { incarnation }, _) if src > id => {
                self.on_halt(state, src, incarnation, o)
            }
            (BullyMsg::HaltAck { incarnation }, _) => {
                self.on_halt_ack(id, state, src, incarnation, o)
            }
            (BullyMsg::Coordinator { incarnation }, _) if src > id => {
                let known = state.lives.get(&src);
                // Following the sender, or a higher node (the announcement is late: see
                // `on_halt`), there is nothing to do.
                let following =
                    state.phase == Phase::Normal && state.coordinator.is_some_and(|c| c >= src);
                if news(known, incarnation, Stage::Followed) == News::Stale || following {
                    return;
                }
                self.cancel_all(o);
                o.set_timer(BullyTimer::Check, check_interval());
                let state = state.to_mut();
                state.phase = Phase::Normal;
                state.coordinator = Some(src);
                state.lives.insert(src, (incarnation, Stage::Followed));
            }
            // A lower node claims to coordinate (only after a false suspicion): bully it.
            (BullyMsg::Coordinator { .. }, Phase::Normal) if src < id => {
                *state.to_mut() = self.hold_election(id, state, o);
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
            (BullyTimer::Check, Phase::Normal) if self.act_on_check => {
                let mut next = state.as_ref().clone();
                if let Some(c) = next.coordinator {
                    next.lives.entry(c).and_modify(|(_, s)| *s = Stage::Over);
                }
                *state.to_mut() = self.hold_election(id, &next, o);
            }
            (BullyTimer::CoordWait, Phase::Normal | Phase::Electing { answered: true }) => {
                let next = Self::all_higher_over(state);
                *state.to_mut() = self.hold_election(id, &next, o);
            }
            (BullyTimer::AnswerWait, Phase::Electing { answered: false }) => {
                let next = Self::all_higher_over(state);
                *state.to_mut() = self.halt_lower(id, &next, o);
            }
            (BullyTimer::HaltWait, Phase::Halting { .. }) => {
                *state.to_mut() = self.become_coordinator(id, state, o);
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

    /// A wait for the higher nodes timed out: every life of theirs heard of is over.
    fn all_higher_over(state: &BullyState) -> BullyState {
        let mut next = state.clone();
        for (_, stage) in next.lives.values_mut() {
            *stage = Stage::Over;
        }
        next
    }

    /// A higher node is about to take over: stop and ack. A repeated halt of the same life is
    /// acked again but changes nothing (the duplicating network redelivers it for ever, and
    /// obeying it again would wait for an announcement already made); a stale one is ignored.
    fn on_halt(
        &self,
        state: &mut Cow<BullyState>,
        src: Id,
        incarnation: Incarnation,
        o: &mut Out<Self>,
    ) {
        // Following a higher coordinator, a late halt from a lower winner (delayed past that
        // coordinator's own halt and announcement) is ignored, unacked: the halter will be
        // halted in turn, and obeying would wait for an announcement that never comes. (Should
        // that coordinator be gone, the `Check` timeout starts an election, and a halter
        // answers its `Election` with a new `Halt`.)
        let following_higher =
            state.phase == Phase::Normal && state.coordinator.is_some_and(|c| c > src);
        match news(state.lives.get(&src), incarnation, Stage::Halted) {
            News::Stale => {}
            _ if following_higher => {}
            News::Repeated => o.send(src, BullyMsg::HaltAck { incarnation }),
            News::Fresh => {
                self.cancel_all(o);
                o.set_timer(BullyTimer::CoordWait, wait());
                o.send(src, BullyMsg::HaltAck { incarnation });
                let state = state.to_mut();
                state.phase = Phase::Normal;
                state.coordinator = None;
                state.lives.insert(src, (incarnation, Stage::Halted));
            }
        }
    }

    /// A lower node stopped. While halting, count it once every live lower node has (an ack
    /// to a previous life's halt says nothing about this one: the acker may have become
    /// coordinator since); as coordinator, answer a recovered node's ack with the announcement.
    fn on_halt_ack(
        &self,
        id: Id,
        state: &mut Cow<BullyState>,
        src: Id,
        incarnation: Incarnation,
        o: &mut Out<Self>,
    ) {
        if self.check_incarnation && incarnation != state.incarnation {
            return;
        }
        match &state.phase {
            Phase::Halting { acks } if !acks.contains(&src) => {
                let mut acks = acks.clone();
                acks.insert(src);
                if self.lower.iter().all(|l| acks.contains(l)) {
                    *state.to_mut() = self.become_coordinator(id, state, o);
                } else {
                    state.to_mut().phase = Phase::Halting { acks };
                }
            }
            Phase::Coordinator => o.send(
                src,
                BullyMsg::Coordinator {
                    incarnation: state.incarnation,
                },
            ),
            _ => {}
        }
    }

    /// Step 1: ask every higher node; with none, go straight to the halt phase.
    fn hold_election(&self, id: Id, state: &BullyState, o: &mut Out<Self>) -> BullyState {
        if self.higher.is_empty() {
            return self.halt_lower(id, state, o);
        }
        self.cancel_all(o);
        o.broadcast(&self.higher, &BullyMsg::Election);
        o.set_timer(BullyTimer::AnswerWait, wait());
        BullyState {
            phase: Phase::Electing { answered: false },
            ..state.clone()
        }
    }

    /// Step 4: no higher node is up; halt every lower node before taking over.
    fn halt_lower(&self, id: Id, state: &BullyState, o: &mut Out<Self>) -> BullyState {
        if self.lower.is_empty() {
            return self.become_coordinator(id, state, o);
        }
        self.cancel_all(o);
        let incarnation = state.incarnation;
        o.broadcast(&self.lower, &BullyMsg::Halt { incarnation });
        o.set_timer(BullyTimer::HaltWait, wait());
        BullyState {
            phase: Phase::Halting {
                acks: BTreeSet::new(),
            },
            coordinator: None,
            ..state.clone()
        }
    }

    fn become_coordinator(&self, id: Id, state: &BullyState, o: &mut Out<Self>) -> BullyState {
        self.cancel_all(o);
        let incarnation = state.incarnation;
        o.broadcast(&self.lower, &BullyMsg::Coordinator { incarnation });
        BullyState {
            phase: Phase::Coordinator,
            coordinator: Some(id),
            ..state.clone()
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
    /// How many recoveries a run may have in all, for the model checker only: incarnation
    /// numbers grow with every recovery, so the checker explores the states whose incarnations
    /// sum to at most this (`ActorModel::within_boundary`); the runtime is not bounded.
    /// Default 1.
    pub recoveries: Incarnation,
    /// Whether halters ignore acks to a previous life's `Halt` (true; false is the broken
    /// variant, see [`BullyActor::check_incarnation`]).
    pub check_incarnation: bool,
    /// Whether followers act on their `Check` timeout (true; false is the broken variant, see
    /// [`BullyActor::act_on_check`]).
    pub act_on_check: bool,
}

impl BullyCfg {
    /// The largest system accepted.
    pub const NODES_MAX: usize = Self::NODES.max as usize;
    /// Nodes (ids 1..=nodes): 1..=9; 3 is a good default.
    pub const NODES: Bounds = Bounds::new("nodes", 1, 9, 3);
    /// Recoveries in all the checker explores: 0..=3 (bounds incarnation numbers); 1 is enough
    /// to see a takeover after a crash.
    pub const RECOVERIES: Bounds = Bounds::new("recoveries", 0, 3, 1);
    /// The racing network with redelivery only: every recovery starts an election and resends,
    /// which only that network absorbs. Up to 9 nodes down at once.
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::UnorderedDuplicating],
        "message delivery: racing, with redelivery (the only network that keeps repeated sends finite)",
        9,
    );

    /// A validated configuration.
    pub fn new(nodes: usize, detector: Detector, system: SystemCfg) -> Result<Self, CfgError> {
        Self::NODES.check_usize(nodes)?;
        system.check_crashes(nodes)?;
        if system.network != NetworkKind::UnorderedDuplicating {
            return Err(CfgError::Network {
                protocol: "bully",
                supported: "unordered-duplicating",
                network: system.network.name(),
            });
        }
        Ok(Self {
            nodes,
            detector,
            system,
            recoveries: 1,
            check_incarnation: true,
            act_on_check: true,
        })
    }

    /// This configuration with each node allowed `recoveries` recoveries in the checker.
    pub fn with_recoveries(self, recoveries: Incarnation) -> Self {
        Self { recoveries, ..self }
    }

    /// This configuration with the incarnation check of acks on (`true`) or off (broken).
    pub fn with_incarnation_check(self, check_incarnation: bool) -> Self {
        Self {
            check_incarnation,
            ..self
        }
    }

    /// This configuration with followers acting on their `Check` timeout (`true`) or ignoring
    /// it (broken: a crashed coordinator is never replaced).
    pub fn with_check_timeout(self, act_on_check: bool) -> Self {
        Self {
            act_on_check,
            ..self
        }
    }

    /// The actor system as a stateright model, without properties or the detector (see
    /// `specs::bully`), bounded to states where the nodes have recovered no more than
    /// [`BullyCfg::recoveries`] times in all.
    pub fn into_model(self) -> ActorModel<BullyActor, BullyCfg, ()> {
        crate::common::actor_model(self, ()).within_boundary(|cfg, s| {
            let recoveries: Incarnation = s.actor_storages.iter().map(|i| i.unwrap_or(0)).sum();
            recoveries <= cfg.recoveries
        })
    }
}

impl ActorSystem for BullyCfg {
    type Actor = BullyActor;

    fn actors(&self) -> Vec<BullyActor> {
        (0..self.nodes)
            .map(|i| BullyActor {
                higher: (i + 1..self.nodes).map(Id::from).collect(),
                lower: (0..i).map(Id::from).collect(),
                check_incarnation: self.check_incarnation,
                act_on_check: self.act_on_check,
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
            crashes: 1,
            ..SystemCfg::reliable(NetworkKind::UnorderedDuplicating)
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
            BullyMsg::HaltAck { incarnation: 0 },
            &mut o,
        );
        assert!(matches!(state.phase, Phase::Halting { .. }));
        let mut o = Out::new();
        top.on_msg(
            Id::from(2),
            &mut state,
            Id::from(1),
            BullyMsg::HaltAck { incarnation: 0 },
            &mut o,
        );
        assert_eq!(state.phase, Phase::Coordinator);
        assert!(o
            .iter()
            .any(|c| matches!(c, Command::Send(_, BullyMsg::Coordinator { .. }))));
    }

    #[test]
    fn a_lower_node_answers_and_holds_its_own_election() {
        let mid = &cfg().actors()[1];
        let deliver = |coordinator: Option<usize>| {
            let before = BullyState {
                phase: Phase::Normal,
                coordinator: coordinator.map(Id::from),
                incarnation: 0,
                lives: BTreeMap::new(),
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
    fn a_recovered_halter_ignores_acks_to_its_previous_life() {
        let top = &cfg().actors()[2];
        let mut o = Out::new();
        let state = top.on_start(Id::from(2), &Some(0), &mut o);
        assert_eq!(state.incarnation, 1);
        assert!(o.iter().any(|c| matches!(c, Command::Save(1))));
        let mut state = Cow::Owned(state);
        for n in [0, 1] {
            let stale = BullyMsg::HaltAck { incarnation: 0 };
            top.on_msg(Id::from(2), &mut state, Id::from(n), stale, &mut o);
        }
        assert!(matches!(state.phase, Phase::Halting { ref acks } if acks.is_empty()));
        // The broken variant counts them and takes over at once.
        let broken = BullyActor {
            check_incarnation: false,
            ..top.clone()
        };
        for n in [0, 1] {
            let stale = BullyMsg::HaltAck { incarnation: 0 };
            broken.on_msg(Id::from(2), &mut state, Id::from(n), stale, &mut o);
        }
        assert_eq!(state.phase, Phase::Coordinator);
    }

    #[test]
    fn a_halt_is_obeyed_once_per_life_and_not_after_the_life_is_over() {
        let mid = &cfg().actors()[1];
        let following_self = BullyState {
            phase: Phase::Coordinator,
            coordinator: Some(Id::from(1)),
            incarnation: 0,
            lives: BTreeMap::new(),
        };
        let halt = BullyMsg::Halt { incarnation: 0 };
        let deliver = |before: &BullyState| {
            let mut state = Cow::Borrowed(before);
            let mut o = Out::new();
            mid.on_msg(Id::from(1), &mut state, Id::from(2), halt, &mut o);
            (state.into_owned(), o.len())
        };
        let (halted, _) = deliver(&following_self);
        assert_eq!(
            (halted.phase.clone(), halted.coordinator),
            (Phase::Normal, None)
        );
        // Redelivered: acked again, nothing else.
        let elected = BullyState {
            phase: Phase::Coordinator,
            ..halted.clone()
        };
        let (after, sent) = deliver(&elected);
        assert_eq!((after, sent), (elected.clone(), 1));
        // Once a timeout showed that life over, its halt is stale.
        let over = BullyActor::all_higher_over(&elected);
        let (after, sent) = deliver(&over);
        assert_eq!((after, sent), (over, 0));
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
