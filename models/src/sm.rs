//! The signed messages algorithm SM(m), as stateright actors.
//!
//! # Problem
//!
//! Byzantine agreement, as for [`crate::om`], but with signed messages: a loyal general's
//! signature cannot be forged and anyone can verify it. Then any number of traitors can be
//! tolerated, given enough rounds (`m` at least the number of traitors).
//!
//! # Source
//!
//! L. Lamport, R. Shostak and M. Pease, "The Byzantine Generals Problem", ACM TOPLAS 4(3),
//! 1982, section 4 (algorithm SM(m), Theorem 2: for any `m`, SM(m) solves the problem if
//! there are at most `m` traitors). The properties live in `specs::sm`.
//!
//! # Algorithm
//!
//! A signed order is an order with the list of its signers, the commander first
//! ([`SignedOrder`]). Each lieutenant keeps the set `V` of orders it has seen.
//!
//! 1. Round 0: the commander signs its order and sends it to every lieutenant.
//! 2. A lieutenant that receives `v:0:j1:...:jk`, with `v` not yet in `V`, adds `v` to `V`
//!    and, if `k < m`, signs it and sends `v:0:j1:...:jk:i` to every lieutenant not among the
//!    signers (in round `k + 1`).
//! 3. After round `m` it obeys `choice(V)`: the one order in `V`, or RETREAT if `V` is empty
//!    or holds more than one (the paper leaves `choice` open beyond that).
//!
//! # Fault and network model
//!
//! Lockstep rounds, as in [`crate::om`]: in every round `1..=m` each lieutenant sends every
//! other lieutenant exactly one message (its signed orders of the round, possibly none: the
//! paper's silence is an empty message), and a lieutenant ends round `k` when it has the
//! round's message of every general that must send one. No loss, no crash.
//!
//! Signatures are unforgeable tokens: a loyal lieutenant accepts only chains that start with
//! the commander, end with the sender, repeat nobody, do not contain itself and are `k + 1`
//! long in round `k`. A traitor's every message is a nondeterministic choice: a traitor
//! commander signs any set of orders for each lieutenant; a traitor lieutenant relays, with its
//! own signature, any subset of the chains it has received (it may withhold any), but cannot
//! make a chain it has not received. [`SmCfg::forge`] lifts that: a forging traitor may also
//! sign a received chain's signers onto another order, a forged commander's signature.
//!
//! # Deviations from the paper
//!
//! - Relays are batched per (sender, recipient, round); of two chains for a new order arriving
//!   in the same round a loyal lieutenant relays the least (any one will do).

use crate::common::{ActorSystem, Bounds, CfgError, SystemBounds, SystemCfg};
use crate::generals::{general_name, starts, General, GeneralView, Order, Start, Traitors};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// An order and its signers, the commander (0) first.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct SignedOrder {
    pub order: Order,
    pub signers: Vec<u8>,
}

impl SignedOrder {
    /// This order with `g`'s signature added.
    fn signed_by(&self, g: usize) -> Self {
        let mut signers = self.signers.clone();
        signers.push(g as u8);
        Self {
            order: self.order,
            signers,
        }
    }
}

/// A message of SM(m).
#[derive(
    Clone,
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
#[strum_discriminants(name(SmMsgKind), derive(strum::IntoStaticStr))]
pub enum SmMsg {
    /// The sender's signed orders of round `round` for the recipient (possibly none).
    Signed { round: u8, orders: Vec<SignedOrder> },
}

/// A message a traitor still has to choose: recipient, round, and what it may put in.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct SmLie {
    pub to: usize,
    pub round: u8,
    pub candidates: Vec<SignedOrder>,
}

/// The commander's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct SmCommanderState {
    pub traitor: bool,
    /// A loyal commander's order (unused by a traitor).
    pub order: Order,
    /// A traitor's messages still to choose, the next first.
    pub lies: Vec<SmLie>,
}

/// A lieutenant's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct SmLieutenantState {
    pub traitor: bool,
    /// Every valid signed order received.
    pub received: BTreeSet<SignedOrder>,
    /// The (round, sender) of every message received.
    pub heard: BTreeSet<(u8, u8)>,
    /// The round it waits to end (`m + 1` once done).
    pub round: u8,
    /// The order a loyal lieutenant obeys, once decided.
    pub decision: Option<Order>,
    /// A traitor's messages still to choose, the next first.
    pub lies: Vec<SmLie>,
}

impl SmLieutenantState {
    /// The paper's `V`: every order received.
    pub fn orders(&self) -> BTreeSet<Order> {
        self.received.iter().map(|s| s.order).collect()
    }
}

/// The state of one general.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum SmState {
    Commander(SmCommanderState),
    Lieutenant(SmLieutenantState),
}

impl General for SmState {
    fn view(&self) -> GeneralView {
        match self {
            SmState::Commander(c) => GeneralView::Commander {
                traitor: c.traitor,
                order: c.order,
            },
            SmState::Lieutenant(l) => GeneralView::Lieutenant {
                traitor: l.traitor,
                decision: l.decision,
            },
        }
    }
}

/// The paper's `choice(V)`: the one order, or RETREAT.
pub fn choice(v: &BTreeSet<Order>) -> Order {
    match v.iter().next() {
        Some(&o) if v.len() == 1 => o,
        _ => Order::DEFAULT,
    }
}

/// A general: immutable configuration only (`traitor` and `order` give its initial state).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct SmActor {
    pub generals: usize,
    pub rounds: usize,
    pub orders: usize,
    pub forge: bool,
    pub traitor: bool,
    pub order: Order,
}

impl SmActor {
    /// The lieutenants other than `me`.
    fn others(&self, me: usize) -> impl Iterator<Item = usize> {
        (1..self.generals).filter(move |&j| j != me)
    }

    /// Whether lieutenant `me` accepts `s` from `src` in `round` (a valid signature chain).
    fn valid(&self, s: &SignedOrder, src: usize, me: usize, round: usize) -> bool {
        let sig = &s.signers;
        sig.len() == round + 1
            && sig[0] == 0
            && sig.last() == Some(&(src as u8))
            && !sig.contains(&(me as u8))
            && sig.iter().enumerate().all(|(i, g)| !sig[..i].contains(g))
            && (s.order as usize) < self.orders
    }

    /// Lieutenant `me` has round `r`'s message from every general that sends one.
    fn round_done(&self, me: usize, l: &SmLieutenantState, r: usize) -> bool {
        let r8 = r as u8;
        if r == 0 {
            return l.heard.contains(&(0, 0));
        }
        self.others(me).all(|j| l.heard.contains(&(r8, j as u8)))
    }

    /// Ends every round lieutenant `me` can end: relays (round `k < m`) or decides.
    fn advance(&self, me: usize, l: &mut SmLieutenantState, o: &mut Out<Self>) {
        while (l.round as usize) <= self.rounds && self.round_done(me, l, l.round as usize) {
            let r = l.round as usize;
            if r < self.rounds {
                self.relay(me, l, r, o);
            } else if !l.traitor {
                l.decision = Some(choice(&l.orders()));
            }
            l.round += 1;
        }
    }

    /// Round `r + 1`: a loyal lieutenant signs and relays, for each order first seen in
    /// round `r`, one chain to every lieutenant not among its signers; a traitor chooses.
    fn relay(&self, me: usize, l: &mut SmLieutenantState, r: usize, o: &mut Out<Self>) {
        let of_round = l.received.iter().filter(|s| s.signers.len() == r + 1);
        let round = (r + 1) as u8;
        let idle = l.lies.is_empty();
        if l.traitor {
            let domain = Order::domain(self.orders);
            let of_round: Vec<&SignedOrder> = of_round.collect();
            for j in self.others(me) {
                let mut candidates = BTreeSet::new();
                for s in of_round.iter().filter(|s| !s.signers.contains(&(j as u8))) {
                    let signed = s.signed_by(me);
                    if self.forge {
                        candidates.extend(domain.iter().map(|&order| SignedOrder {
                            order,
                            ..signed.clone()
                        }));
                    }
                    candidates.insert(signed);
                }
                let candidates = candidates.into_iter().collect();
                l.lies.push(SmLie {
                    to: j,
                    round,
                    candidates,
                });
            }
            if idle {
                self.choose_lie(&l.lies, o);
            }
            return;
        }
        let earlier: BTreeSet<Order> = l
            .received
            .iter()
            .filter(|s| s.signers.len() <= r)
            .map(|s| s.order)
            .collect();
        let mut first: Vec<&SignedOrder> = Vec::new();
        for s in of_round {
            if !earlier.contains(&s.order) && !first.iter().any(|f| f.order == s.order) {
                first.push(s);
            }
        }
        for j in self.others(me) {
            let orders = first
                .iter()
                .filter(|s| !s.signers.contains(&(j as u8)))
                .map(|s| s.signed_by(me))
                .collect();
            o.send(Id::from(j), SmMsg::Signed { round, orders });
        }
    }

    /// Offers every subset of the traitor's next message's candidates.
    fn choose_lie(&self, lies: &[SmLie], o: &mut Out<Self>) {
        if let Some(lie) = lies.first() {
            o.choose_random(
                format!("to {}", general_name(lie.to)),
                subsets(&lie.candidates),
            );
        }
    }
}

/// Every subset of `items`, in a fixed order.
fn subsets<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    (0..1usize << items.len())
        .map(|mask| {
            items
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| s.clone())
                .collect()
        })
        .collect()
}

impl Actor for SmActor {
    type Msg = SmMsg;
    type State = SmState;
    type Timer = ();
    type Random = Vec<SignedOrder>;
    type Storage = ();

    fn name(&self) -> String {
        "general".to_string()
    }

    fn on_start(&self, id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> SmState {
        if usize::from(id) != 0 {
            return SmState::Lieutenant(SmLieutenantState {
                traitor: self.traitor,
                received: BTreeSet::new(),
                heard: BTreeSet::new(),
                round: 0,
                decision: None,
                lies: Vec::new(),
            });
        }
        let mut c = SmCommanderState {
            traitor: self.traitor,
            order: self.order,
            lies: Vec::new(),
        };
        if c.traitor {
            let candidates: Vec<SignedOrder> = Order::domain(self.orders)
                .into_iter()
                .map(|order| SignedOrder {
                    order,
                    signers: vec![0],
                })
                .collect();
            c.lies = (1..self.generals)
                .map(|to| SmLie {
                    to,
                    round: 0,
                    candidates: candidates.clone(),
                })
                .collect();
            self.choose_lie(&c.lies, o);
        } else {
            let orders = vec![SignedOrder {
                order: c.order,
                signers: vec![0],
            }];
            let msg = SmMsg::Signed { round: 0, orders };
            o.broadcast(&Id::vec_from(1..self.generals), &msg);
        }
        SmState::Commander(c)
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        let (me, src) = (usize::from(id), usize::from(src));
        let (SmState::Lieutenant(l), SmMsg::Signed { round, orders }) = (&**state, msg) else {
            return;
        };
        let r = round as usize;
        let expected = if r == 0 {
            src == 0
        } else {
            src != 0 && src != me
        };
        if r > self.rounds || !expected || l.heard.contains(&(round, src as u8)) {
            return;
        }
        let mut next = l.clone();
        next.heard.insert((round, src as u8));
        next.received
            .extend(orders.into_iter().filter(|s| self.valid(s, src, me, r)));
        self.advance(me, &mut next, o);
        *state.to_mut() = SmState::Lieutenant(next);
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        o: &mut Out<Self>,
    ) {
        let lies = match &**state {
            SmState::Commander(c) if c.traitor => &c.lies,
            SmState::Lieutenant(l) if l.traitor => &l.lies,
            _ => return,
        };
        let Some(lie) = lies.first() else { return };
        let msg = SmMsg::Signed {
            round: lie.round,
            orders: random.clone(),
        };
        o.send(Id::from(lie.to), msg);
        let rest = lies[1..].to_vec();
        self.choose_lie(&rest, o);
        match state.to_mut() {
            SmState::Commander(c) => c.lies = rest,
            SmState::Lieutenant(l) => l.lies = rest,
        }
    }
}

/// The parameters of an SM(m) system.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct SmCfg {
    /// Generals `n`, the commander included. Must be in 3..=6; 3 by default (SM needs no
    /// `3m + 1`).
    pub generals: usize,
    /// Rounds of relaying `m`. Must be in 0..=3 and at most `n - 2`; 1 by default.
    pub rounds: usize,
    /// Who the traitors are, or how many in any placement.
    pub traitors: Traitors,
    /// How many orders: 2 (retreat, attack) or 3 (and hold).
    pub orders: usize,
    /// Whether a traitor lieutenant can forge the commander's signature (broken: false is the
    /// paper's assumption).
    pub forge: bool,
    /// The start these actors begin from (one of [`SmCfg::starts`]).
    pub start: Start,
    pub system: SystemCfg,
}

impl SmCfg {
    /// Generals: 3..=6, 3 by default.
    pub const GENERALS: Bounds = Bounds::new("generals", 3, 6, 3);
    /// Rounds of relaying `m`: 0..=3, 1 by default; at most `generals - 2`.
    pub const ROUNDS: Bounds = Bounds::new("m", 0, 3, 1);
    /// Orders: 2..=3, 2 by default.
    pub const ORDERS: Bounds = Bounds::new("orders", 2, 3, 2);
    /// As OM: lockstep rounds over a reliable racing network, no crashes.
    pub const SYSTEM: SystemBounds = crate::om::OmCfg::SYSTEM;

    /// A validated configuration, starting from the first of its starts.
    pub fn new(
        generals: usize,
        rounds: usize,
        traitors: Traitors,
        orders: usize,
        forge: bool,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::GENERALS.check_usize(generals)?;
        Self::ROUNDS.check_usize(rounds)?;
        Self::ORDERS.check_usize(orders)?;
        if rounds > generals - 2 {
            return Err(CfgError::Inconsistent(format!(
                "m must be at most generals - 2 = {}: a chain has distinct signers",
                generals - 2
            )));
        }
        let start = starts(&traitors, generals, orders)?[0].clone();
        Ok(Self {
            generals,
            rounds,
            traitors,
            orders,
            forge,
            start,
            system,
        })
    }

    /// Every start the checker explores (see `OmCfg::starts`).
    pub fn starts(&self) -> Vec<Start> {
        starts(&self.traitors, self.generals, self.orders).unwrap_or_default()
    }

    /// These actors, starting from `start`.
    pub fn with_start(&self, start: Start) -> Self {
        Self {
            start,
            ..self.clone()
        }
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<SmActor, SmCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for SmCfg {
    type Actor = SmActor;

    fn actors(&self) -> Vec<SmActor> {
        (0..self.generals)
            .map(|g| SmActor {
                generals: self.generals,
                rounds: self.rounds,
                orders: self.orders,
                forge: self.forge,
                traitor: self.start.traitors.contains(&g),
                order: self.start.order,
            })
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        general_name(usize::from(id))
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_is_the_one_order_or_retreat() {
        assert_eq!(choice(&BTreeSet::from([Order::Attack])), Order::Attack);
        assert_eq!(choice(&BTreeSet::new()), Order::Retreat);
        assert_eq!(
            choice(&BTreeSet::from([Order::Attack, Order::Hold])),
            Order::Retreat
        );
    }

    #[test]
    fn only_well_formed_chains_are_accepted() {
        let a = SmActor {
            generals: 4,
            rounds: 2,
            orders: 2,
            forge: false,
            traitor: false,
            order: Order::Attack,
        };
        let s = |signers: Vec<u8>| SignedOrder {
            order: Order::Attack,
            signers,
        };
        assert!(a.valid(&s(vec![0, 2]), 2, 1, 1));
        assert!(
            !a.valid(&s(vec![0, 2]), 3, 1, 1),
            "the sender must sign last"
        );
        assert!(
            !a.valid(&s(vec![2]), 2, 1, 0),
            "the commander must sign first"
        );
        assert!(!a.valid(&s(vec![0, 1, 2]), 2, 1, 2), "not through me");
        assert!(!a.valid(&s(vec![0, 2, 2]), 2, 1, 2), "nobody twice");
        assert!(
            !a.valid(&s(vec![0, 3, 2]), 2, 1, 1),
            "one signature per round"
        );
        assert_eq!(subsets(&[1, 2]).len(), 4);
    }
}
