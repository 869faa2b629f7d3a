//! A deterministic consensus protocol that tolerates one crash, to make the
//! Fischer-Lynch-Paterson impossibility result visible, and the eventual-leader oracle Ω that
//! circumvents it.
//!
//! # Problem
//!
//! Consensus among two *contenders*, each with its own input value, using three *keepers*
//! (lock holders), of which one may crash. M. J. Fischer, N. A. Lynch and M. S. Paterson,
//! "Impossibility of Distributed Consensus with One Faulty Process", JACM 32(2), 1985: in an
//! asynchronous system no deterministic protocol that tolerates one crash can guarantee
//! termination; some fair run, with no crash at all, never decides. T. D. Chandra,
//! V. Hadzilacos and S. Toueg, "The Weakest Failure Detector for Solving Consensus", JACM
//! 43(4), 1996: an eventual leader oracle (Ω) is enough to decide.
//!
//! # Algorithm ("leader lock")
//!
//! Actors `Id(0)`, `Id(1)` are the contenders (inputs 0 and 1), `Id(2)..=Id(4)` the keepers,
//! and with Ω `Id(5)` is the oracle.
//!
//! 1. A trying contender sends `Lock { value }` to every keeper it is not already waiting on.
//! 2. A keeper that is free, or already held by the sender, grants the lock (durably) and
//!    answers `Granted`; otherwise it answers `Busy`.
//! 3. A contender with grants from a majority of keepers decides its value (durably) and never
//!    releases its locks: no other contender can gather a majority after that. Safety needs
//!    nothing else.
//! 4. To tolerate a crashed keeper, a contender cannot wait for all three answers. When two
//!    keepers have answered without giving it a majority, it gives the attempt up: it sends
//!    `Unlock` to the keepers that granted and asks the answered keepers again.
//!
//! Step 4 is where FLP bites: two contenders can keep taking one lock each, seeing one `Busy`,
//! releasing and retrying, forever, in a run where every message is delivered (a fair lasso).
//!
//! With Ω ([`Oracle::Omega`]), only the contender the oracle names tries; the other waits. The
//! oracle starts with contender 0 and, on a timer, switches to the other contender up to
//! `changes` times, telling both with `Leader`: a contender that loses the lead releases its
//! locks; one that gains it starts trying. After the last change the leader is alone and, once
//! its rival's `Unlock`s arrive, gathers a majority.
//!
//! # Fault and network model
//!
//! Channels are FIFO (the `ordered` network), which is what lets a contender reuse `Lock` and
//! `Unlock` without attempt numbers: a keeper sees a contender's `Unlock` before that
//! contender's next `Lock`. On the racing networks that fails (kept as the broken variant). Nodes crash and may recover: keepers keep their lock holder,
//! contenders their decision, the oracle its current leader and remaining changes.
//!
//! # Deviations and simplifications
//!
//! - A contender that recovers from a crash undecided forgets its attempt and stays passive;
//!   locks it held stay held (re-sending on every recovery would make the state space
//!   infinite).
//! - Termination with Ω is claimed for runs without a contender crash. A contender that crashes
//!   while holding locks cannot release them (it forgot its attempt), and the leader can then
//!   never gather a majority: with `crashes=1` and strong fairness the checker prints exactly
//!   that lasso (c1 locks every keeper, the lead moves to c2, c1 crashes before it hears so;
//!   c2 hears Busy forever). Ballots, which let a new leader take over an old leader's locks,
//!   are what Paxos adds. The oracle also
//!   cannot see crashes: if the contender it finally names crashes, nobody decides, whereas a
//!   real Ω eventually names a correct process.

use crate::common::{ActorSystem, CfgError, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

/// An input value.
pub type Value = usize;

/// The number of contenders and of keepers.
pub const CONTENDERS: usize = 2;
pub const KEEPERS: usize = 3;
/// Grants a contender needs: a majority of the keepers.
pub const MAJORITY: usize = KEEPERS / 2 + 1;
/// Answers after which a contender gives an attempt up: all keepers but one (which may have
/// crashed).
pub const ANSWERS: usize = KEEPERS - 1;

/// A message of the leader-lock protocol.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum FlpMsg {
    /// Contender -> keeper: lock for my value.
    Lock { value: Value },
    /// Keeper -> contender: the lock is yours.
    Granted,
    /// Keeper -> contender: another contender holds the lock.
    Busy,
    /// Contender -> keeper: release my lock.
    Unlock,
    /// Oracle -> contender: the current leader.
    Leader { leader: Id },
}

/// The oracle's timer: time to change the leader.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum FlpTimer {
    Change,
}

/// What a contender is doing.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ContenderPhase {
    Trying,
    /// Not the leader (with Ω), or recovered undecided.
    Waiting,
    Decided(Value),
}

/// A contender's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ContenderState {
    pub phase: ContenderPhase,
    /// Keepers that granted in this attempt.
    pub granted: BTreeSet<Id>,
    /// Keepers that answered `Busy` in this attempt.
    pub busy: BTreeSet<Id>,
    /// Keepers asked and not answered yet.
    pub pending: BTreeSet<Id>,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum FlpState {
    Contender(ContenderState),
    /// The contender holding this keeper's lock.
    Keeper {
        holder: Option<Id>,
    },
    Oracle {
        leader: Id,
        changes_left: u8,
    },
}

/// What an actor keeps across crashes.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum FlpStorage {
    Contender { decided: Option<Value> },
    Keeper { holder: Option<Id> },
    Oracle { leader: Id, changes_left: u8 },
}

/// Which contenders try.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Oracle {
    /// Both contenders try all the time: FLP's setting.
    None,
    /// Only the leader named by an eventual leader oracle tries.
    Omega,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum FlpActor {
    Contender {
        value: Value,
        keepers: Vec<Id>,
        /// Whether it tries from the start (always without Ω; the initial leader with Ω).
        leads: bool,
    },
    Keeper,
    Oracle {
        contenders: Vec<Id>,
        changes: u8,
    },
}

fn change_interval() -> std::ops::Range<Duration> {
    Duration::from_millis(100)..Duration::from_millis(300)
}

impl Actor for FlpActor {
    type Msg = FlpMsg;
    type State = FlpState;
    type Timer = FlpTimer;
    type Random = ();
    type Storage = FlpStorage;

    fn name(&self) -> String {
        match self {
            FlpActor::Contender { .. } => "contender",
            FlpActor::Keeper => "keeper",
            FlpActor::Oracle { .. } => "oracle",
        }
        .to_string()
    }

    fn on_start(&self, _id: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> FlpState {
        match (self, storage) {
            (FlpActor::Contender { .. }, Some(FlpStorage::Contender { decided })) => {
                let phase = decided.map_or(ContenderPhase::Waiting, ContenderPhase::Decided);
                FlpState::Contender(contender(phase, BTreeSet::new()))
            }
            (
                FlpActor::Contender {
                    value,
                    keepers,
                    leads,
                },
                _,
            ) => {
                o.save(FlpStorage::Contender { decided: None });
                if *leads {
                    let asked: BTreeSet<Id> = keepers.iter().copied().collect();
                    o.broadcast(&asked, &FlpMsg::Lock { value: *value });
                    FlpState::Contender(contender(ContenderPhase::Trying, asked))
                } else {
                    FlpState::Contender(contender(ContenderPhase::Waiting, BTreeSet::new()))
                }
            }
            (FlpActor::Keeper, Some(FlpStorage::Keeper { holder })) => {
                FlpState::Keeper { holder: *holder }
            }
            (FlpActor::Keeper, _) => FlpState::Keeper { holder: None },
            (
                FlpActor::Oracle { .. },
                Some(FlpStorage::Oracle {
                    leader,
                    changes_left,
                }),
            ) => {
                // Resume without repeating announcements; the timer resumes if changes remain.
                if *changes_left > 0 {
                    o.set_timer(FlpTimer::Change, change_interval());
                }
                FlpState::Oracle {
                    leader: *leader,
                    changes_left: *changes_left,
                }
            }
            (
                FlpActor::Oracle {
                    contenders,
                    changes,
                },
                _,
            ) => {
                o.save(FlpStorage::Oracle {
                    leader: contenders[0],
                    changes_left: *changes,
                });
                if *changes > 0 {
                    o.set_timer(FlpTimer::Change, change_interval());
                }
                FlpState::Oracle {
                    leader: contenders[0],
                    changes_left: *changes,
                }
            }
        }
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        let next = match (self, &**state) {
            (FlpActor::Contender { value, keepers, .. }, FlpState::Contender(c)) => {
                on_contender_msg(id, *value, keepers, c, src, msg, o).map(FlpState::Contender)
            }
            (FlpActor::Keeper, FlpState::Keeper { holder }) => {
                on_keeper_msg(*holder, src, msg, o).map(|holder| FlpState::Keeper { holder })
            }
            _ => None,
        };
        if let Some(next) = next {
            *state.to_mut() = next;
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        _timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        // The oracle changes its mind: the other contender leads.
        if let (
            FlpActor::Oracle { contenders, .. },
            FlpState::Oracle {
                leader,
                changes_left,
            },
        ) = (self, &**state)
        {
            if *changes_left == 0 {
                return;
            }
            let leader = *contenders.iter().find(|c| *c != leader).unwrap_or(leader);
            let changes_left = changes_left - 1;
            o.save(FlpStorage::Oracle {
                leader,
                changes_left,
            });
            o.broadcast(contenders, &FlpMsg::Leader { leader });
            if changes_left > 0 {
                o.set_timer(FlpTimer::Change, change_interval());
            }
            *state.to_mut() = FlpState::Oracle {
                leader,
                changes_left,
            };
        }
    }
}

fn contender(phase: ContenderPhase, pending: BTreeSet<Id>) -> ContenderState {
    ContenderState {
        phase,
        granted: BTreeSet::new(),
        busy: BTreeSet::new(),
        pending,
    }
}

/// A contender's reaction to a keeper's answer or to the oracle.
fn on_contender_msg(
    id: Id,
    value: Value,
    keepers: &[Id],
    c: &ContenderState,
    src: Id,
    msg: FlpMsg,
    o: &mut Out<FlpActor>,
) -> Option<ContenderState> {
    let mut next = c.clone();
    match (msg, c.phase) {
        (FlpMsg::Granted | FlpMsg::Busy, _) if !c.pending.contains(&src) => return None,
        (FlpMsg::Granted, ContenderPhase::Trying) => {
            next.pending.remove(&src);
            next.granted.insert(src);
        }
        (FlpMsg::Busy, ContenderPhase::Trying) => {
            next.pending.remove(&src);
            next.busy.insert(src);
        }
        // A grant that arrives after standing down is given back at once.
        (FlpMsg::Granted, ContenderPhase::Waiting) => {
            next.pending.remove(&src);
            o.send(src, FlpMsg::Unlock);
        }
        (FlpMsg::Granted | FlpMsg::Busy, _) => {
            next.pending.remove(&src);
        }
        (FlpMsg::Leader { leader }, ContenderPhase::Waiting) if leader == id => {
            let ask: BTreeSet<Id> = keepers
                .iter()
                .filter(|k| !c.pending.contains(k))
                .copied()
                .collect();
            o.broadcast(&ask, &FlpMsg::Lock { value });
            next.pending.extend(ask);
            next.phase = ContenderPhase::Trying;
        }
        (FlpMsg::Leader { leader }, ContenderPhase::Trying) if leader != id => {
            o.broadcast(&c.granted, &FlpMsg::Unlock);
            next.granted.clear();
            next.busy.clear();
            next.phase = ContenderPhase::Waiting;
        }
        _ => return None,
    }
    if next.phase == ContenderPhase::Trying {
        if next.granted.len() >= MAJORITY {
            o.save(FlpStorage::Contender {
                decided: Some(value),
            });
            next = contender(ContenderPhase::Decided(value), next.pending);
        } else if next.granted.len() + next.busy.len() >= ANSWERS {
            // Give the attempt up and ask the answered keepers again (step 4).
            o.broadcast(&next.granted, &FlpMsg::Unlock);
            let answered: BTreeSet<Id> = next.granted.union(&next.busy).copied().collect();
            o.broadcast(&answered, &FlpMsg::Lock { value });
            next.pending.extend(answered);
            next.granted.clear();
            next.busy.clear();
        }
    }
    Some(next)
}

/// A keeper grants a free lock (or re-grants to its holder) and releases on its holder's word.
fn on_keeper_msg(
    holder: Option<Id>,
    src: Id,
    msg: FlpMsg,
    o: &mut Out<FlpActor>,
) -> Option<Option<Id>> {
    match msg {
        FlpMsg::Lock { .. } if holder.is_none() || holder == Some(src) => {
            o.save(FlpStorage::Keeper { holder: Some(src) });
            o.send(src, FlpMsg::Granted);
            Some(Some(src))
        }
        FlpMsg::Lock { .. } => {
            o.send(src, FlpMsg::Busy);
            None
        }
        FlpMsg::Unlock if holder == Some(src) => {
            o.save(FlpStorage::Keeper { holder: None });
            Some(None)
        }
        _ => None,
    }
}

/// The parameters of the FLP demonstration.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct FlpCfg {
    /// Which contenders try: both ([`Oracle::None`]) or the oracle's leader ([`Oracle::Omega`]).
    pub oracle: Oracle,
    /// How often Ω changes the leader before it settles. Must be in 0..=3.
    pub changes: u8,
    /// Network and fault settings. `crashes` at most 1. The protocol assumes the `ordered`
    /// network; on a racing one a stale `Unlock` can free a lock its contender still counts,
    /// which is the broken variant the checker catches.
    pub system: SystemCfg,
}

impl FlpCfg {
    /// A validated configuration.
    pub fn new(oracle: Oracle, changes: u8, system: SystemCfg) -> Result<Self, CfgError> {
        if system.crashes > 1 {
            return Err(CfgError(format!(
                "crashes must be 0 or 1 (the protocol tolerates one), got {}",
                system.crashes
            )));
        }
        if changes > 3 {
            return Err(CfgError(format!("changes must be in 0..=3, got {changes}")));
        }
        Ok(Self {
            oracle,
            changes,
            system,
        })
    }

    pub fn contender_ids(&self) -> Vec<Id> {
        Id::vec_from(0..CONTENDERS)
    }

    pub fn keeper_ids(&self) -> Vec<Id> {
        Id::vec_from(CONTENDERS..CONTENDERS + KEEPERS)
    }

    /// The inputs of the contenders.
    pub fn inputs(&self) -> BTreeSet<Value> {
        (0..CONTENDERS).collect()
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<FlpActor, FlpCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for FlpCfg {
    type Actor = FlpActor;

    fn actors(&self) -> Vec<FlpActor> {
        let contenders = (0..CONTENDERS).map(|i| FlpActor::Contender {
            value: i,
            keepers: self.keeper_ids(),
            leads: self.oracle == Oracle::None || i == 0,
        });
        let keepers = (0..KEEPERS).map(|_| FlpActor::Keeper);
        let oracle = (self.oracle == Oracle::Omega).then(|| FlpActor::Oracle {
            contenders: self.contender_ids(),
            changes: self.changes,
        });
        contenders.chain(keepers).chain(oracle).collect()
    }

    fn actor_name(&self, id: Id) -> String {
        let i = usize::from(id);
        if i < CONTENDERS {
            format!("c{}", i + 1)
        } else if i < CONTENDERS + KEEPERS {
            format!("k{}", i - CONTENDERS + 1)
        } else {
            "omega".to_string()
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}
