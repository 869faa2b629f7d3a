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
//! # Algorithm ("leader lock" with epochs)
//!
//! Actors `Id(0)`, `Id(1)` are the contenders `c1`, `c2` (inputs 0 and 1), `Id(2)..=Id(4)` the
//! keepers, and with Ω `Id(5)` is the oracle. Every attempt carries an *epoch*; without Ω both
//! contenders use epoch 0 for ever, with Ω each leadership has its own epoch.
//!
//! 1. Lock (phase 1). A trying contender sends `Lock { epoch }` to every keeper it is not
//!    already waiting on. A keeper grants (durably) if it is free or held by the sender in that
//!    epoch, or if the epoch is higher than its own (a *takeover*: a new leader takes the lock
//!    of an old one, which may have crashed holding it); it answers `Granted` with the value it
//!    accepted last, if any, and its epoch. Otherwise it answers `Busy`.
//! 2. Accept (phase 2). A contender with grants from a majority proposes the value accepted in
//!    the highest epoch among the grants, or its own input if none, with `Accept` to the keepers
//!    that granted; a keeper that still holds the lock for it in that epoch accepts. With a
//!    majority of `Accepted` the contender decides (durably). A contender never releases its
//!    locks once it proposes, so in one epoch at most one value is proposed, and the rule of
//!    step 2 is Paxos's: a value decided in one epoch is the only one proposed in later epochs.
//! 3. Give up. To tolerate a crashed keeper, a contender cannot wait for all three answers.
//!    When two keepers have answered without giving it a majority, it gives the attempt up: it
//!    sends `Unlock` to the keepers that granted and asks the answered keepers again.
//!
//! Step 3 is where FLP bites: two contenders in one epoch can keep taking one lock each,
//! seeing one `Busy`, releasing and retrying, forever, in a run where every message is
//! delivered (a fair lasso).
//!
//! With Ω ([`Oracle::Omega`]), only the contender the oracle names tries; the other waits. The
//! oracle names a leader and, on a timer, the other contender, `changes` times, each time in a
//! new epoch, telling both with `Leader`. It starts with `c1` when `changes` is even and `c2`
//! when odd, so that it always settles on `c1`. A contender that gains the lead tries in the
//! new epoch, taking over whatever locks its rival holds; one that loses it stops trying.
//!
//! # Fault and network model
//!
//! Channels are FIFO (the `ordered` network), which is what lets a contender reuse `Lock` and
//! `Unlock` within an epoch: a keeper sees a contender's `Unlock` before that contender's next
//! `Lock`. On the racing networks that fails (a run pinned in `specs::flp`). Nodes crash and may
//! recover; every node saves its whole state on every change, so a crash is a pause, and the
//! fault that matters is a node that stays down.
//!
//! Ω's defining property is that the leader it finally names is a *correct* process (in the
//! crash-recovery model: one that is eventually up for good), and Ω itself keeps working. An
//! actor cannot know that (FLP), so it is an assumption about the environment, and the checker
//! states it as fairness: with Ω, the recovery of `c1` (Ω's final leader) and of the oracle is
//! owed, like a delivery (see `specs::flp::protocol`). `c2` and any keeper may stay down for
//! good, which is why takeovers are needed.
//!
//! # Deviations and simplifications
//!
//! - Two contenders and three keepers, fixed; epochs are bounded by Ω's `changes`.
//! - Without takeovers ([`FlpCfg::takeover`] `= false`, a deliberately broken keeper that never
//!   takes a lock from its holder) a leader cannot get past locks held by a rival that crashed
//!   for good, and with Ω and one crash the checker shows the leader retrying forever.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::time::Duration;

/// An input value.
pub type Value = usize;
/// An attempt's epoch: 0 without Ω, the number of Ω's leader changes so far with it.
pub type Epoch = u8;
/// A value accepted in an epoch.
pub type Vote = (Epoch, Value);

/// The number of contenders and of keepers.
pub const CONTENDERS: usize = 2;
pub const KEEPERS: usize = 3;
/// Grants (and acceptances) a contender needs: a majority of the keepers.
pub const MAJORITY: usize = KEEPERS / 2 + 1;
/// Answers after which a contender gives an attempt up: all keepers but one (which may have
/// crashed).
pub const ANSWERS: usize = KEEPERS - 1;
/// The id of the oracle, with Ω.
pub const ORACLE: usize = CONTENDERS + KEEPERS;

/// A message of the leader-lock protocol.
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
/// Its variants without their fields, [`FlpMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(FlpMsgKind), derive(strum::IntoStaticStr))]
pub enum FlpMsg {
    /// Contender -> keeper: lock for me in `epoch`.
    Lock { epoch: Epoch },
    /// Keeper -> contender: the lock is yours; the value I accepted last, if any.
    Granted {
        epoch: Epoch,
        accepted: Option<Vote>,
    },
    /// Keeper -> contender: another contender holds the lock (or a later epoch does).
    Busy { epoch: Epoch },
    /// Contender -> keeper: release my lock.
    Unlock { epoch: Epoch },
    /// Contender -> keeper: accept `value` (I hold your lock in `epoch`).
    Accept { epoch: Epoch, value: Value },
    /// Keeper -> contender: accepted.
    Accepted { epoch: Epoch },
    /// Oracle -> contender: the current leader, trying in `epoch`.
    Leader { leader: Id, epoch: Epoch },
}

/// The oracle's timer: time to change the leader.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum FlpTimer {
    Change,
}

/// What a contender is doing.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ContenderPhase {
    /// Gathering locks (phase 1).
    Trying,
    /// Proposed this value to the keepers that granted (phase 2).
    Accepting(Value),
    /// Not the leader (with Ω).
    Waiting,
    Decided(Value),
}

/// A contender's state (saved whole on every change).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ContenderState {
    pub phase: ContenderPhase,
    /// The epoch of the current (or last) attempt.
    pub epoch: Epoch,
    /// Keepers that granted in this attempt.
    pub granted: BTreeSet<Id>,
    /// Keepers that answered `Busy` in this attempt.
    pub busy: BTreeSet<Id>,
    /// Keepers asked and not answered yet.
    pub pending: BTreeSet<Id>,
    /// The highest-epoch value the grants of this attempt reported.
    pub highest: Option<Vote>,
    /// Keepers that accepted this attempt's proposal.
    pub accepted: BTreeSet<Id>,
}

/// A keeper's state (saved whole on every change).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct KeeperState {
    /// The highest epoch it granted in.
    pub epoch: Epoch,
    /// The contender holding the lock.
    pub holder: Option<Id>,
    /// The value it accepted last, and in which epoch.
    pub accepted: Option<Vote>,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum FlpState {
    Contender(ContenderState),
    Keeper(KeeperState),
    Oracle { leader: Id, changes_left: u8 },
}

/// What an actor keeps across crashes: everything.
pub type FlpStorage = FlpState;

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
        /// Whether it tries from the start (always without Ω; Ω's first leader with it).
        leads: bool,
    },
    Keeper {
        /// Whether a higher epoch takes the lock from its holder (the protocol) or not (broken).
        takeover: bool,
    },
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
            FlpActor::Keeper { .. } => "keeper",
            FlpActor::Oracle { .. } => "oracle",
        }
        .to_string()
    }

    fn on_start(&self, _id: Id, storage: &Option<Self::Storage>, o: &mut Out<Self>) -> FlpState {
        if let Some(saved) = storage {
            // A crash is a pause: resume, re-arming the oracle's timer if changes remain.
            if let FlpState::Oracle { changes_left, .. } = saved {
                if *changes_left > 0 {
                    o.set_timer(FlpTimer::Change, change_interval());
                }
            }
            return saved.clone();
        }
        let state = match self {
            FlpActor::Contender { keepers, leads, .. } => {
                let mut c = ContenderState {
                    phase: ContenderPhase::Waiting,
                    epoch: 0,
                    granted: BTreeSet::new(),
                    busy: BTreeSet::new(),
                    pending: BTreeSet::new(),
                    highest: None,
                    accepted: BTreeSet::new(),
                };
                if *leads {
                    c.phase = ContenderPhase::Trying;
                    c.pending = keepers.iter().copied().collect();
                    o.broadcast(&c.pending, &FlpMsg::Lock { epoch: 0 });
                }
                FlpState::Contender(c)
            }
            FlpActor::Keeper { .. } => FlpState::Keeper(KeeperState {
                epoch: 0,
                holder: None,
                accepted: None,
            }),
            FlpActor::Oracle {
                contenders,
                changes,
            } => {
                if *changes > 0 {
                    o.set_timer(FlpTimer::Change, change_interval());
                }
                FlpState::Oracle {
                    leader: contenders[usize::from(*changes) % CONTENDERS],
                    changes_left: *changes,
                }
            }
        };
        o.save(state.clone());
        state
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
            (FlpActor::Keeper { takeover }, FlpState::Keeper(k)) => {
                on_keeper_msg(*takeover, k, src, msg, o).map(FlpState::Keeper)
            }
            _ => None,
        };
        if let Some(next) = next {
            o.save(next.clone());
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
        // The oracle changes its mind: the other contender leads, in a new epoch.
        if let (
            FlpActor::Oracle {
                contenders,
                changes,
            },
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
            let epoch = changes - changes_left;
            o.broadcast(contenders, &FlpMsg::Leader { leader, epoch });
            if changes_left > 0 {
                o.set_timer(FlpTimer::Change, change_interval());
            }
            let next = FlpState::Oracle {
                leader,
                changes_left,
            };
            o.save(next.clone());
            *state.to_mut() = next;
        }
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
    let mut next = match msg {
        FlpMsg::Granted { epoch, .. } | FlpMsg::Busy { epoch } | FlpMsg::Accepted { epoch }
            if epoch != c.epoch =>
        {
            return None; // an answer to an earlier attempt
        }
        FlpMsg::Granted { .. } | FlpMsg::Busy { .. } if !c.pending.contains(&src) => return None,
        FlpMsg::Granted { epoch, accepted } => on_granted(c, src, epoch, accepted, o),
        FlpMsg::Busy { .. } => on_busy(c, src),
        FlpMsg::Accepted { .. } => on_accepted(c, src)?,
        FlpMsg::Leader { leader, epoch } if leader == id => take_lead(keepers, c, epoch, o)?,
        FlpMsg::Leader { .. } => stand_down(c)?,
        _ => return None,
    };
    if next.phase == ContenderPhase::Trying {
        propose_or_give_up(value, &mut next, o);
    }
    Some(next)
}

/// A keeper granted the lock: counted in phase 1; in phase 2 it gets the proposal too (a
/// granted keeper may have crashed).
fn on_granted(
    c: &ContenderState,
    src: Id,
    epoch: Epoch,
    accepted: Option<Vote>,
    o: &mut Out<FlpActor>,
) -> ContenderState {
    let mut next = c.clone();
    next.pending.remove(&src);
    match c.phase {
        ContenderPhase::Trying => {
            next.granted.insert(src);
            next.highest = next.highest.max(accepted);
        }
        ContenderPhase::Accepting(v) => {
            next.granted.insert(src);
            o.send(src, FlpMsg::Accept { epoch, value: v });
        }
        _ => {}
    }
    next
}

/// A keeper's lock is held by another: counted in phase 1.
fn on_busy(c: &ContenderState, src: Id) -> ContenderState {
    let mut next = c.clone();
    next.pending.remove(&src);
    if c.phase == ContenderPhase::Trying {
        next.busy.insert(src);
    }
    next
}

/// A keeper accepted the proposal: with a majority, decide.
fn on_accepted(c: &ContenderState, src: Id) -> Option<ContenderState> {
    let ContenderPhase::Accepting(v) = c.phase else {
        return None;
    };
    let mut next = c.clone();
    if !next.accepted.insert(src) {
        return None;
    }
    if next.accepted.len() >= MAJORITY {
        next.phase = ContenderPhase::Decided(v);
    }
    Some(next)
}

/// The oracle names this contender in a later epoch: a new attempt in that epoch, asking
/// every keeper.
fn take_lead(
    keepers: &[Id],
    c: &ContenderState,
    epoch: Epoch,
    o: &mut Out<FlpActor>,
) -> Option<ContenderState> {
    if matches!(c.phase, ContenderPhase::Decided(_)) || epoch <= c.epoch {
        return None;
    }
    let next = ContenderState {
        phase: ContenderPhase::Trying,
        epoch,
        granted: BTreeSet::new(),
        busy: BTreeSet::new(),
        pending: keepers.iter().copied().collect(),
        highest: None,
        accepted: BTreeSet::new(),
    };
    o.broadcast(&next.pending, &FlpMsg::Lock { epoch });
    Some(next)
}

/// The oracle names the rival: stop trying; the new leader takes the locks over.
fn stand_down(c: &ContenderState) -> Option<ContenderState> {
    if !matches!(
        c.phase,
        ContenderPhase::Trying | ContenderPhase::Accepting(_)
    ) {
        return None;
    }
    let mut next = c.clone();
    next.phase = ContenderPhase::Waiting;
    next.granted.clear();
    next.busy.clear();
    next.pending.clear();
    next.highest = None;
    next.accepted.clear();
    Some(next)
}

/// The end of phase 1: with a majority of grants, propose the highest-epoch value reported,
/// or our own (phase 2); with all keepers but one answered and no majority, give the attempt
/// up and ask the answered keepers again (step 3).
fn propose_or_give_up(value: Value, next: &mut ContenderState, o: &mut Out<FlpActor>) {
    let epoch = next.epoch;
    if next.granted.len() >= MAJORITY {
        let v = next.highest.map_or(value, |(_, v)| v);
        o.broadcast(&next.granted, &FlpMsg::Accept { epoch, value: v });
        next.phase = ContenderPhase::Accepting(v);
        next.busy.clear();
    } else if next.granted.len() + next.busy.len() >= ANSWERS {
        o.broadcast(&next.granted, &FlpMsg::Unlock { epoch });
        let answered: BTreeSet<Id> = next.granted.union(&next.busy).copied().collect();
        o.broadcast(&answered, &FlpMsg::Lock { epoch });
        next.pending.extend(answered);
        next.granted.clear();
        next.busy.clear();
        next.highest = None;
    }
}

/// A keeper grants a free lock (or re-grants to its holder), or, with takeovers, a lock held
/// in a lower epoch; it releases on its holder's word and accepts its holder's proposal.
fn on_keeper_msg(
    takeover: bool,
    k: &KeeperState,
    src: Id,
    msg: FlpMsg,
    o: &mut Out<FlpActor>,
) -> Option<KeeperState> {
    let free = k.holder.is_none() || k.holder == Some(src);
    match msg {
        FlpMsg::Lock { epoch } if (free && epoch >= k.epoch) || (takeover && epoch > k.epoch) => {
            o.send(
                src,
                FlpMsg::Granted {
                    epoch,
                    accepted: k.accepted,
                },
            );
            Some(KeeperState {
                epoch,
                holder: Some(src),
                ..*k
            })
        }
        FlpMsg::Lock { epoch } => {
            o.send(src, FlpMsg::Busy { epoch });
            None
        }
        FlpMsg::Unlock { epoch } if k.holder == Some(src) && k.epoch == epoch => {
            Some(KeeperState { holder: None, ..*k })
        }
        FlpMsg::Accept { epoch, value } if k.holder == Some(src) && k.epoch == epoch => {
            o.send(src, FlpMsg::Accepted { epoch });
            Some(KeeperState {
                accepted: Some((epoch, value)),
                ..*k
            })
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
    /// network; on a racing one a stale `Unlock` can free a lock its contender still counts
    /// and two values are decided (a run pinned in `specs::flp`; the registry offers the
    /// ordered network only).
    pub system: SystemCfg,
    /// Whether a keeper gives a lock held in a lower epoch to a higher one (true: the
    /// protocol; false: a broken keeper that waits for the holder's `Unlock`).
    pub takeover: bool,
}

impl FlpCfg {
    /// How often Ω changes its leader before it settles: 0..=3; 1 shows one change.
    pub const CHANGES: Bounds = Bounds::new("changes", 0, 3, 1);
    /// Per-channel FIFO only: contenders reuse Lock and Unlock within an epoch, and on a racing
    /// network a stale Unlock breaks agreement (pinned in `specs::flp`). The protocol tolerates
    /// one crash.
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::Ordered],
        "message delivery: per-channel FIFO only (contenders reuse Lock and Unlock within an epoch; on a racing network a stale Unlock breaks agreement, pinned in specs::flp)",
        1,
    );

    /// A validated configuration.
    pub fn new(oracle: Oracle, changes: u8, system: SystemCfg) -> Result<Self, CfgError> {
        Self::SYSTEM.crashes.check_usize(system.crashes)?;
        Self::CHANGES.check(u64::from(changes))?;
        Ok(Self {
            oracle,
            changes,
            system,
            takeover: true,
        })
    }

    /// The same configuration with keepers that take locks over (true) or never (false).
    pub fn with_takeover(self, takeover: bool) -> Self {
        Self { takeover, ..self }
    }

    /// The contender Ω names first: it changes its mind `changes` times and settles on `c1`.
    pub fn first_leader(&self) -> usize {
        usize::from(self.changes) % CONTENDERS
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
            leads: self.oracle == Oracle::None || i == self.first_leader(),
        });
        let keepers = (0..KEEPERS).map(|_| FlpActor::Keeper {
            takeover: self.takeover,
        });
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
