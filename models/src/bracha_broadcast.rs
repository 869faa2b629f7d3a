//! Bracha's asynchronous Byzantine reliable broadcast, as stateright actors.
//!
//! # Problem
//!
//! A designated sender broadcasts one value to `n` processes, up to `f` of which (the sender
//! possibly among them) are traitors that may send anything. The loyal processes must agree:
//! if the sender is loyal every loyal process delivers its value (validity); no two loyal
//! processes deliver different values (agreement); a loyal process delivers at most once, and
//! only the sender's value when the sender is loyal (integrity); and if one loyal process
//! delivers, every loyal process does (totality). No timing assumption is made: messages
//! between loyal processes are delayed arbitrarily but eventually delivered.
//!
//! # Source
//!
//! G. Bracha, "Asynchronous Byzantine Agreement Protocols", Information and Computation 75(2),
//! 1987, section 2 (the broadcast primitive, `n > 3f`). The properties live in
//! `specs::bracha_broadcast`, which also maps this protocol onto the abstract
//! `reliable-broadcast` spec (`specs::reliable_broadcast`).
//!
//! # Algorithm
//!
//! Actor `Id(0)` is the sender. Thresholds, from `n` and `f` ([`Thresholds::of`]):
//! an echo quorum of more than `(n + f) / 2` echoes, `f + 1` readys to amplify, `2f + 1`
//! readys to deliver.
//!
//! 1. The sender sends `Initial { value }` to every process.
//! 2. On the sender's first `Initial { v }`, a process sends `Echo { v }` to all (once).
//! 3. On an echo quorum for `v`, or on `f + 1` readys for `v`, a process that has not yet
//!    sent a ready sends `Ready { v }` to all (once). The second rule is the amplification
//!    that gives totality: `f + 1` readys include a loyal one.
//! 4. On `2f + 1` readys for `v`, a process delivers `v` (once).
//!
//! Only the first message of each kind from each sender counts. Two echo quorums for
//! different values would need a loyal process that echoed both, so loyal processes ready one
//! value only; `2f + 1` readys include `f + 1` loyal ones, which make every loyal process
//! ready the same value, so all of them eventually see `2f + 1` readys for it.
//!
//! # Fault and network model
//!
//! The traitors are fixed by the configuration ([`BrachaCfg::faulty_ids`]): the last `f`
//! processes, or, with `sender_faulty`, the sender and the last `f - 1`. A traitor is the
//! issue's adversary: every message it sends is a nondeterministic choice over the message
//! domain, explored exhaustively by the checker (and resolved by the seed on the simulator
//! and over UDP). For each loyal recipient and each message kind (`Initial` only if the
//! traitor is the sender) it has one pending random choice, [`Forgery`]: send that kind with
//! value 0, with value 1, or stay silent. The choices may be made in any order at any time,
//! interleaved with everything else, so they cover every adaptive behaviour, equivocation
//! included (different values to different recipients). One message per kind and recipient
//! is no restriction: a loyal process counts only the first message of each kind from each
//! sender. Traitors do not message each other (they need no information: every choice is
//! available to them at every point), and ignore what they receive; their state is empty.
//!
//! Links between loyal processes are reliable and unordered (the paper's asynchronous
//! model); the network may also be set to duplicate (harmless: only the first message of a
//! kind from a sender counts) or lose messages (which costs liveness, as for any protocol
//! that does not retransmit). Loyal processes do not crash: Byzantine faults are the fault
//! model.
//!
//! # Deviations from the paper
//!
//! - A loyal process hands its own messages to itself at once instead of over the network
//!   (the sender its `Initial`, every process its `Echo` and `Ready`): the same counts, fewer
//!   interleavings.
//! - The value domain is `{0, 1}` ([`VALUES`]) and a loyal sender always broadcasts 0
//!   ([`INPUT`]), so 1 is what a traitor may forge.
//! - What can no longer change a process's behaviour is forgotten: its echoes once it sent a
//!   ready, its readys once it delivered (a delivery implies a ready sent, by amplification).
//! - `ready_threshold` overrides the echo quorum: set lower, it is the broken variant that
//!   shows why the quorum must exceed `(n + f) / 2`.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// The sender's id.
pub const SENDER_ID: usize = 0;

/// A value that may be broadcast.
pub type Value = u8;

/// The value domain: what a traitor chooses from.
pub const VALUES: [Value; 2] = [0, 1];

/// What a loyal sender broadcasts.
pub const INPUT: Value = 0;

/// A message of Bracha's broadcast.
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
/// Its variants without their fields, [`BrachaMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(BrachaMsgKind), derive(strum::IntoStaticStr))]
pub enum BrachaMsg {
    /// Sender -> all: the value broadcast.
    Initial { value: Value },
    /// Process -> all: the value it got from the sender.
    Echo { value: Value },
    /// Process -> all: the value it is ready to deliver.
    Ready { value: Value },
}

impl BrachaMsg {
    /// The message of kind `kind` with `value`.
    pub fn of(kind: BrachaMsgKind, value: Value) -> Self {
        match kind {
            BrachaMsgKind::Initial => BrachaMsg::Initial { value },
            BrachaMsgKind::Echo => BrachaMsg::Echo { value },
            BrachaMsgKind::Ready => BrachaMsg::Ready { value },
        }
    }
}

/// A traitor's choice for one message: to `to`, `msg`, or nothing.
#[derive(Clone, Copy, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Forgery {
    pub to: Id,
    /// What it sends; `None`: it stays silent.
    pub msg: Option<BrachaMsg>,
}

// Written by hand so that a trace reads `t3 chooses echo to p1 = Echo { value: 1 }`: the key
// already names the recipient.
impl fmt::Debug for Forgery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.msg {
            Some(msg) => write!(f, "{msg:?}"),
            None => f.write_str("silent"),
        }
    }
}

/// The thresholds of the protocol.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Echoes for one value that make a process send a ready: more than `(n + f) / 2`.
    pub echo_quorum: usize,
    /// Readys for one value that make a process send a ready: `f + 1`.
    pub amplify: usize,
    /// Readys for one value that make a process deliver: `2f + 1`.
    pub deliver: usize,
}

impl Thresholds {
    /// Bracha's thresholds for `n` processes and `f` traitors.
    pub fn of(n: usize, f: usize) -> Self {
        Self {
            echo_quorum: (n + f) / 2 + 1,
            amplify: f + 1,
            deliver: 2 * f + 1,
        }
    }
}

/// A loyal process's state.
#[derive(Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct LoyalState {
    /// The value it echoed, once it has.
    pub echoed: Option<Value>,
    /// The value it sent a ready for, once it has.
    pub readied: Option<Value>,
    /// What it delivered, in order: its output (at most one value).
    pub delivered: Vec<Value>,
    /// The first echo from each process, its own included; forgotten once it has readied.
    pub echoes: BTreeMap<Id, Value>,
    /// The first ready from each process, its own included; forgotten once it has delivered.
    pub readys: BTreeMap<Id, Value>,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum BrachaState {
    Loyal(LoyalState),
    /// A traitor keeps nothing: its choices are pending random choices.
    Traitor,
}

/// A process: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum BrachaActor {
    /// A loyal process, which knows every process and the thresholds; `input` is `Some` for
    /// a loyal sender.
    Loyal {
        all: Vec<Id>,
        input: Option<Value>,
        thresholds: Thresholds,
    },
    /// A traitor, which sends only to the loyal processes; `sender`: it is the sender.
    Traitor { loyal: Vec<Id>, sender: bool },
}

/// The random-choice key of a traitor's message of kind `kind` to `to`: `echo to p1`.
fn forgery_key(kind: BrachaMsgKind, to: Id) -> String {
    let kind: &'static str = kind.into();
    format!("{} to p{}", kind.to_lowercase(), usize::from(to))
}

impl Actor for BrachaActor {
    type Msg = BrachaMsg;
    type State = BrachaState;
    type Timer = ();
    type Random = Forgery;
    type Storage = ();

    fn name(&self) -> String {
        match self {
            BrachaActor::Loyal { input: Some(_), .. } => "sender".to_string(),
            BrachaActor::Loyal { input: None, .. } => "process".to_string(),
            BrachaActor::Traitor { .. } => "traitor".to_string(),
        }
    }

    fn on_start(&self, id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> BrachaState {
        match self {
            BrachaActor::Loyal { all, input, .. } => {
                let mut p = LoyalState::default();
                if let Some(value) = *input {
                    broadcast(all, id, BrachaMsg::Initial { value }, o);
                    self.echo(id, &mut p, value, o);
                }
                BrachaState::Loyal(p)
            }
            BrachaActor::Traitor { loyal, sender } => {
                let kinds: &[BrachaMsgKind] = if *sender {
                    &[
                        BrachaMsgKind::Initial,
                        BrachaMsgKind::Echo,
                        BrachaMsgKind::Ready,
                    ]
                } else {
                    &[BrachaMsgKind::Echo, BrachaMsgKind::Ready]
                };
                for &to in loyal {
                    for &kind in kinds {
                        let options = VALUES
                            .iter()
                            .map(|&v| Some(BrachaMsg::of(kind, v)))
                            .chain([None])
                            .map(|msg| Forgery { to, msg })
                            .collect();
                        o.choose_random(forgery_key(kind, to), options);
                    }
                }
                BrachaState::Traitor
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
        let BrachaState::Loyal(p) = &**state else {
            return;
        };
        let mut next = p.clone();
        match msg {
            BrachaMsg::Initial { value } if src == Id::from(SENDER_ID) && p.echoed.is_none() => {
                self.echo(id, &mut next, value, o);
            }
            BrachaMsg::Echo { value } if p.readied.is_none() && !p.echoes.contains_key(&src) => {
                next.echoes.insert(src, value);
                self.settle(id, &mut next, o);
            }
            BrachaMsg::Ready { value }
                if p.delivered.is_empty() && !p.readys.contains_key(&src) =>
            {
                next.readys.insert(src, value);
                self.settle(id, &mut next, o);
            }
            _ => return,
        }
        *state.to_mut() = BrachaState::Loyal(next);
    }

    fn on_random(
        &self,
        _id: Id,
        _state: &mut Cow<Self::State>,
        random: &Self::Random,
        o: &mut Out<Self>,
    ) {
        if let Some(msg) = random.msg {
            o.send(random.to, msg);
        }
    }
}

/// Sends `msg` to every process but `me`.
fn broadcast(all: &[Id], me: Id, msg: BrachaMsg, o: &mut Out<BrachaActor>) {
    for &to in all.iter().filter(|&&to| to != me) {
        o.send(to, msg);
    }
}

/// The value with at least `threshold` votes among `votes`, if any (the smallest, should a
/// broken threshold let two through).
fn quorum(votes: &BTreeMap<Id, Value>, threshold: usize) -> Option<Value> {
    VALUES
        .into_iter()
        .find(|&v| votes.values().filter(|&&w| w == v).count() >= threshold)
}

impl BrachaActor {
    /// Step 2: echo `value` to all, and count the echo as its own.
    fn echo(&self, me: Id, p: &mut LoyalState, value: Value, o: &mut Out<Self>) {
        let BrachaActor::Loyal { all, .. } = self else {
            return;
        };
        p.echoed = Some(value);
        broadcast(all, me, BrachaMsg::Echo { value }, o);
        if p.readied.is_none() {
            p.echoes.insert(me, value);
            self.settle(me, p, o);
        }
    }

    /// Steps 3 and 4: send a ready on an echo quorum or on `f + 1` readys, deliver on
    /// `2f + 1` readys.
    fn settle(&self, me: Id, p: &mut LoyalState, o: &mut Out<Self>) {
        let BrachaActor::Loyal {
            all, thresholds, ..
        } = self
        else {
            return;
        };
        if p.readied.is_none() {
            let ready = quorum(&p.echoes, thresholds.echo_quorum)
                .or_else(|| quorum(&p.readys, thresholds.amplify));
            if let Some(value) = ready {
                p.readied = Some(value);
                p.echoes.clear();
                broadcast(all, me, BrachaMsg::Ready { value }, o);
                p.readys.insert(me, value);
            }
        }
        if p.delivered.is_empty() {
            if let Some(value) = quorum(&p.readys, thresholds.deliver) {
                p.delivered.push(value);
                p.readys.clear();
            }
        }
    }
}

/// The parameters of a Bracha broadcast system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct BrachaCfg {
    /// Processes `n`, the sender (`Id(0)`) included. Must be in 2..=10; 4 is a good default
    /// (the smallest `n > 3f` with one traitor). See [`BrachaCfg::PROCESSES`].
    pub processes: usize,
    /// Traitors `f` (and what the thresholds assume). Must be in 0..=3 and leave two loyal
    /// processes; 1 by default. `n <= 3f` is accepted: it is the counterexample.
    pub faulty: usize,
    /// Whether the sender is one of the `faulty` traitors (needs `faulty >= 1`).
    pub sender_faulty: bool,
    /// Echoes that make a process ready: `None` for the protocol's more than `(n + f) / 2`;
    /// a lower value is the broken variant. Must be in 1..=n.
    pub ready_threshold: Option<usize>,
    /// Network settings; no crashes (traitors are the faults).
    pub system: SystemCfg,
}

impl BrachaCfg {
    /// Processes: 2..=10, 4 by default.
    pub const PROCESSES: Bounds = Bounds::new("processes", 2, 10, 4);
    /// Traitors: 0..=3, 1 by default.
    pub const FAULTY: Bounds = Bounds::new("faulty", 0, 3, 1);
    /// Echoes to ready: 0 (the protocol's quorum) or 1..=10.
    pub const READY_THRESHOLD: Bounds = Bounds::new("ready-threshold", 0, 10, 0);
    /// Any network (unordered, non-duplicating by default); no crash: the faults are traitors.
    pub const SYSTEM: SystemBounds =
        SystemBounds::any_network(NetworkKind::UnorderedNonDuplicating, 0);

    /// A validated configuration. `ready_threshold` 0 is the protocol's echo quorum.
    pub fn new(
        processes: usize,
        faulty: usize,
        sender_faulty: bool,
        ready_threshold: usize,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::PROCESSES.check_usize(processes)?;
        Self::FAULTY.check_usize(faulty)?;
        Self::READY_THRESHOLD.check_usize(ready_threshold)?;
        Self::SYSTEM.crashes.check_usize(system.crashes)?;
        if faulty + 2 > processes {
            return Err(CfgError::Inconsistent(format!(
                "faulty must leave at least two loyal processes: with processes={processes}, faulty must be at most {}, got {faulty}",
                processes.saturating_sub(2)
            )));
        }
        if sender_faulty && faulty == 0 {
            return Err(CfgError::Inconsistent(
                "sender-faulty=true needs faulty >= 1: the sender is one of the traitors".into(),
            ));
        }
        if ready_threshold > processes {
            return Err(CfgError::Inconsistent(format!(
                "ready-threshold must be at most processes ({processes}), got {ready_threshold}"
            )));
        }
        Ok(Self {
            processes,
            faulty,
            sender_faulty,
            ready_threshold: (ready_threshold > 0).then_some(ready_threshold),
            system,
        })
    }

    /// The thresholds the loyal processes use.
    pub fn thresholds(&self) -> Thresholds {
        let mut t = Thresholds::of(self.processes, self.faulty);
        if let Some(e) = self.ready_threshold {
            t.echo_quorum = e;
        }
        t
    }

    /// The traitors' ids: the last `faulty`, or the sender and the last `faulty - 1`.
    pub fn faulty_ids(&self) -> Vec<Id> {
        let n = self.processes;
        if self.sender_faulty {
            std::iter::once(Id::from(SENDER_ID))
                .chain(Id::vec_from(n + 1 - self.faulty..n))
                .collect()
        } else {
            Id::vec_from(n - self.faulty..n)
        }
    }

    /// Whether actor `id` is a traitor.
    pub fn is_faulty(&self, id: Id) -> bool {
        self.faulty_ids().contains(&id)
    }

    /// The loyal processes' ids.
    pub fn loyal_ids(&self) -> Vec<Id> {
        Id::vec_from(0..self.processes)
            .into_iter()
            .filter(|&id| !self.is_faulty(id))
            .collect()
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<BrachaActor, BrachaCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for BrachaCfg {
    type Actor = BrachaActor;

    fn actors(&self) -> Vec<BrachaActor> {
        let all = Id::vec_from(0..self.processes);
        let loyal = self.loyal_ids();
        let thresholds = self.thresholds();
        all.iter()
            .map(|&id| {
                let sender = usize::from(id) == SENDER_ID;
                if self.is_faulty(id) {
                    BrachaActor::Traitor {
                        loyal: loyal.clone(),
                        sender,
                    }
                } else {
                    BrachaActor::Loyal {
                        all: all.clone(),
                        input: sender.then_some(INPUT),
                        thresholds,
                    }
                }
            })
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        let prefix = if self.is_faulty(id) { "t" } else { "p" };
        format!("{prefix}{}", usize::from(id))
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::Command;

    fn cfg(n: usize, f: usize, sender_faulty: bool) -> BrachaCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        BrachaCfg::new(n, f, sender_faulty, 0, system).unwrap()
    }

    #[test]
    fn thresholds_follow_the_paper() {
        assert_eq!(
            Thresholds::of(4, 1),
            Thresholds {
                echo_quorum: 3,
                amplify: 2,
                deliver: 3
            }
        );
        assert_eq!(Thresholds::of(7, 2).echo_quorum, 5);
        assert_eq!(Thresholds::of(5, 1).echo_quorum, 4);
        assert_eq!(Thresholds::of(3, 1).echo_quorum, 3);
    }

    #[test]
    fn new_validates_every_setting() {
        let system = cfg(4, 1, false).system;
        let new = |n, f, s, r| BrachaCfg::new(n, f, s, r, system);
        assert!(new(3, 1, false, 0).is_ok());
        assert!(new(1, 0, false, 0).is_err());
        assert!(new(11, 1, false, 0).is_err());
        assert!(new(4, 3, false, 0).is_err());
        assert!(new(4, 0, true, 0).is_err());
        assert!(new(4, 1, false, 5).is_err());
        assert!(new(4, 1, false, 4).is_ok());
        let crashes = SystemCfg {
            crashes: 1,
            ..system
        };
        assert!(BrachaCfg::new(4, 1, false, 0, crashes).is_err());
    }

    #[test]
    fn traitors_are_the_last_ids_or_the_sender() {
        assert_eq!(cfg(4, 1, false).faulty_ids(), [Id::from(3)]);
        assert_eq!(cfg(4, 1, true).faulty_ids(), [Id::from(0)]);
        assert_eq!(cfg(7, 2, true).faulty_ids(), [Id::from(0), Id::from(6)]);
        assert_eq!(cfg(7, 2, false).loyal_ids(), Id::vec_from(0..5));
        let c = cfg(4, 1, true);
        let names: Vec<String> = (0..4).map(|i| c.actor_name(Id::from(i))).collect();
        assert_eq!(names, ["t0", "p1", "p2", "p3"]);
    }

    #[test]
    fn a_loyal_sender_sends_initial_and_echo_and_a_traitor_offers_every_forgery() {
        let c = cfg(4, 1, false);
        let actors = c.actors();
        let mut o = Out::new();
        let s = actors[0].on_start(Id::from(0), &None, &mut o);
        let BrachaState::Loyal(p) = s else { panic!() };
        assert_eq!(p.echoed, Some(INPUT));
        assert_eq!(p.echoes, BTreeMap::from([(Id::from(0), INPUT)]));
        assert_eq!(o.len(), 6);
        let mut o = Out::new();
        actors[3].on_start(Id::from(3), &None, &mut o);
        let keys: Vec<String> = o
            .iter()
            .map(|c| match c {
                Command::ChooseRandom(key, options) => {
                    assert_eq!(options.len(), 3);
                    key.clone()
                }
                _ => panic!("{c:?}"),
            })
            .collect();
        assert_eq!(
            keys,
            [
                "echo to p0",
                "ready to p0",
                "echo to p1",
                "ready to p1",
                "echo to p2",
                "ready to p2"
            ]
        );
    }

    #[test]
    fn two_f_plus_one_readys_deliver_and_amplification_readies_first() {
        let c = cfg(4, 1, false);
        let p1 = &c.actors()[1];
        let mut state = BrachaState::Loyal(LoyalState::default());
        for src in [0, 3] {
            let mut o = Out::new();
            let mut s = Cow::Borrowed(&state);
            p1.on_msg(
                Id::from(1),
                &mut s,
                Id::from(src),
                BrachaMsg::Ready { value: 1 },
                &mut o,
            );
            state = s.into_owned();
        }
        let BrachaState::Loyal(p) = &state else {
            panic!()
        };
        // Two readys amplify into its own, the third: it delivers.
        assert_eq!(p.readied, Some(1));
        assert_eq!(p.delivered, [1]);
        assert!(p.readys.is_empty());
    }
}
