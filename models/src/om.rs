//! The oral messages algorithm OM(m), as stateright actors.
//!
//! # Problem
//!
//! Byzantine agreement (interactive consistency): a commander sends an order to `n - 1`
//! lieutenants; some generals, perhaps the commander, are traitors. IC1: all loyal lieutenants
//! obey the same order. IC2: if the commander is loyal, every loyal lieutenant obeys its
//! order. The properties live in `specs::om` and `specs::byzantine_agreement`.
//!
//! # Source
//!
//! L. Lamport, R. Shostak and M. Pease, "The Byzantine Generals Problem", ACM TOPLAS 4(3),
//! 1982, section 3 (algorithm OM(m), Theorem 1: it works with more than `3m` generals and at
//! most `m` traitors; section 2: no solution with `3m` or fewer).
//!
//! # Algorithm
//!
//! Every value travels with its *path*: the generals that relayed it, the commander first and
//! the sender last. A lieutenant keeps the value it received for each path.
//!
//! 1. Round 0: the commander sends its order to every lieutenant (path `[0]`).
//! 2. Round `k` in `1..=m`: every lieutenant `i` relays each value it holds on a path `p` of
//!    `k` generals to every lieutenant not on `p`, on path `p + [i]` (OM(m - k + 1)'s step 2:
//!    lieutenant `i` acts as the commander of OM(m - k)).
//! 3. After round `m` lieutenant `i` computes, bottom up, `v(p) = value[p]` for a path of
//!    `m + 1` generals, and `v(p) = majority(value[p], v(p + [j]) for every lieutenant j not
//!    on p and not i)` for shorter ones; it obeys `v([0])`. The majority is the paper's: the
//!    value more than half of them carry, else RETREAT.
//!
//! # Fault and network model
//!
//! Synchronous rounds, modelled as lockstep rounds (a synchronizer, not a global counter): in
//! each round every general sends exactly one message to every lieutenant it must address,
//! carrying all its values of that round (the paper's messages of the round, batched per
//! recipient), and a lieutenant ends round `k` when it holds a value for every path of `k + 1`
//! generals. Its round counter is its own; generals may be in different rounds, and a value
//! that arrives early waits in its table. Messages are reordered but not lost (`lossy=true`
//! breaks the synchrony assumption: a round never ends). No general crashes: a crash is one
//! behaviour of a traitor.
//!
//! A traitor follows the same rounds but every value it sends is a nondeterministic choice
//! over the orders (`choose_random`, one per recipient and round, made one after the other),
//! so the checker explores every behaviour. A traitor's missing message is the default order
//! to its receiver in the paper; here the traitor chooses that value instead (it is in the
//! domain), which keeps the rounds synchronous without timers. Which generals are traitors is
//! part of the initial state (see [`OmCfg::starts`]): each general starts knowing whether it
//! is one, and its handlers read that from its state, so one set of actors serves every
//! placement.
//!
//! # Deviations from the paper
//!
//! - Values are batched per (sender, recipient, round); the paper's message count is the
//!   number of values sent ([`paper_messages`]), the number of batches is smaller.
//! - A traitor lieutenant decides nothing (nothing is asked of it).

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use crate::generals::{
    general_name, majority, starts, General, GeneralView, Order, Start, Traitors,
};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A path: the generals a value went through, the commander (0) first, the sender last.
pub type Path = Vec<u8>;

/// Values, each with its path.
pub type Values = Vec<(Path, Order)>;

/// A message of OM(m).
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
#[strum_discriminants(name(OmMsgKind), derive(strum::IntoStaticStr))]
pub enum OmMsg {
    /// The sender's values of one round for the recipient (round `k`: paths of `k + 1`).
    Values { values: Values },
}

/// A batch a traitor still has to fill: the recipient and the paths.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Lie {
    pub to: usize,
    pub paths: Vec<Path>,
}

/// The commander's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct CommanderState {
    pub traitor: bool,
    /// A loyal commander's order (unused by a traitor).
    pub order: Order,
    /// A traitor's batches still to fill, the next first.
    pub lies: Vec<Lie>,
}

/// A lieutenant's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct LieutenantState {
    pub traitor: bool,
    /// The value received on each path (shown with paths as `0.2.3`).
    #[serde(with = "path_keys")]
    pub values: BTreeMap<Path, Order>,
    /// The round it waits to end (`m + 1` once done).
    pub round: u8,
    /// The order a loyal lieutenant obeys, once decided.
    pub decision: Option<Order>,
    /// A traitor's batches still to fill, the next first.
    pub lies: Vec<Lie>,
}

/// The state of one general.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum OmState {
    Commander(CommanderState),
    Lieutenant(LieutenantState),
}

impl General for OmState {
    fn view(&self) -> GeneralView {
        match self {
            OmState::Commander(c) => GeneralView::Commander {
                traitor: c.traitor,
                order: c.order,
            },
            OmState::Lieutenant(l) => GeneralView::Lieutenant {
                traitor: l.traitor,
                decision: l.decision,
            },
        }
    }
}

/// A general: immutable configuration only. `traitor` and `order` give its initial state;
/// the handlers read its state.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct OmActor {
    pub generals: usize,
    pub rounds: usize,
    pub orders: usize,
    pub traitor: bool,
    /// The commander's order, if loyal.
    pub order: Order,
}

impl OmActor {
    /// The lieutenant holds a value for every path of round `r` (`r + 1` generals).
    fn round_done(&self, l: &LieutenantState, r: usize) -> bool {
        let have = l.values.keys().filter(|p| p.len() == r + 1).count();
        have == paths_per_lieutenant(self.generals, r)
    }

    /// Whether `p`, from `src`, is a path lieutenant `me` can hold: from the commander
    /// through distinct lieutenants to `src`, not through `me`, at most `m + 1` long.
    fn well_formed(&self, p: &Path, src: usize, me: usize) -> bool {
        let distinct = p
            .iter()
            .enumerate()
            .all(|(i, g)| !p[..i].contains(g) && (*g as usize) < self.generals);
        !p.is_empty()
            && p.len() <= self.rounds + 1
            && p[0] == 0
            && p.last() == Some(&(src as u8))
            && !p.contains(&(me as u8))
            && distinct
    }

    /// The lieutenants other than `me`.
    fn others(&self, me: usize) -> impl Iterator<Item = usize> {
        (1..self.generals).filter(move |&j| j != me)
    }

    /// `v(p)` of the module docs, as lieutenant `me` computes it.
    fn decide(&self, me: usize, values: &BTreeMap<Path, Order>, p: &Path) -> Order {
        let own = values.get(p).copied().unwrap_or(Order::DEFAULT);
        if p.len() == self.rounds + 1 {
            return own;
        }
        let mut votes = vec![own];
        for j in self.others(me).filter(|&j| !p.contains(&(j as u8))) {
            let mut q = p.clone();
            q.push(j as u8);
            votes.push(self.decide(me, values, &q));
        }
        majority(&votes)
    }

    /// Ends every round lieutenant `me` can end: relays (round `k < m`) or decides.
    fn advance(&self, me: usize, l: &mut LieutenantState, o: &mut Out<Self>) {
        while (l.round as usize) <= self.rounds && self.round_done(l, l.round as usize) {
            let r = l.round as usize;
            if r < self.rounds {
                self.relay(me, l, r, o);
            } else if !l.traitor {
                l.decision = Some(self.decide(me, &l.values, &vec![0]));
            }
            l.round += 1;
        }
    }

    /// Round `r + 1`: every value on a path of `r + 1` generals, to every lieutenant not on it.
    fn relay(&self, me: usize, l: &mut LieutenantState, r: usize, o: &mut Out<Self>) {
        let idle = l.lies.is_empty();
        for j in self.others(me) {
            let batch: Values = l
                .values
                .iter()
                .filter(|(p, _)| p.len() == r + 1 && !p.contains(&(j as u8)))
                .map(|(p, v)| {
                    let mut q = p.clone();
                    q.push(me as u8);
                    (q, *v)
                })
                .collect();
            if l.traitor {
                let paths = batch.into_iter().map(|(p, _)| p).collect();
                l.lies.push(Lie { to: j, paths });
            } else {
                o.send(Id::from(j), OmMsg::Values { values: batch });
            }
        }
        if idle {
            self.choose_lie(&l.lies, o);
        }
    }

    /// Offers every filling of the traitor's next batch.
    fn choose_lie(&self, lies: &[Lie], o: &mut Out<Self>) {
        if let Some(lie) = lies.first() {
            o.choose_random(
                format!("to {}", general_name(lie.to)),
                fillings(&lie.paths, &Order::domain(self.orders)),
            );
        }
    }
}

/// A path-keyed map as a map keyed by the path written `0.2.3` (JSON keys are strings).
mod path_keys {
    use super::{Order, Path};
    use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(m: &BTreeMap<Path, Order>, s: S) -> Result<S::Ok, S::Error> {
        let text = |p: &Path| {
            p.iter()
                .map(|g| g.to_string())
                .collect::<Vec<_>>()
                .join(".")
        };
        let named: BTreeMap<String, Order> = m.iter().map(|(p, v)| (text(p), *v)).collect();
        named.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Path, Order>, D::Error> {
        let named = BTreeMap::<String, Order>::deserialize(d)?;
        named
            .into_iter()
            .map(|(k, v)| {
                let p: Result<Path, _> = k.split('.').map(str::parse).collect();
                p.map(|p| (p, v)).map_err(D::Error::custom)
            })
            .collect()
    }
}

/// Every assignment of an order in `domain` to each of `paths`.
fn fillings(paths: &[Path], domain: &[Order]) -> Vec<Values> {
    let mut out: Vec<Values> = vec![Vec::new()];
    for p in paths {
        out = out
            .into_iter()
            .flat_map(|vs| {
                domain.iter().map(move |v| {
                    let mut vs = vs.clone();
                    vs.push((p.clone(), *v));
                    vs
                })
            })
            .collect();
    }
    out
}

/// How many paths of `r + 1` generals a lieutenant holds after round `r` among `generals`:
/// the commander, then `r` distinct lieutenants other than itself, `(n-2)(n-3)...(n-r-1)`.
pub fn paths_per_lieutenant(generals: usize, r: usize) -> usize {
    (0..r).map(|i| generals - 2 - i).product()
}

/// The paper's count of OM(m)'s messages among `n` generals (section 3):
/// `(n-1) + (n-1)(n-2) + ... + (n-1)(n-2)...(n-m-1)`.
pub fn paper_messages(n: usize, m: usize) -> usize {
    (0..=m)
        .map(|k| (0..=k).map(|i| n - 1 - i).product::<usize>())
        .sum()
}

impl Actor for OmActor {
    type Msg = OmMsg;
    type State = OmState;
    type Timer = ();
    type Random = Values;
    type Storage = ();

    fn name(&self) -> String {
        "general".to_string()
    }

    fn on_start(&self, id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> OmState {
        let me = usize::from(id);
        if me != 0 {
            return OmState::Lieutenant(LieutenantState {
                traitor: self.traitor,
                values: BTreeMap::new(),
                round: 0,
                decision: None,
                lies: Vec::new(),
            });
        }
        let mut c = CommanderState {
            traitor: self.traitor,
            order: self.order,
            lies: Vec::new(),
        };
        if c.traitor {
            c.lies = (1..self.generals)
                .map(|to| Lie {
                    to,
                    paths: vec![vec![0]],
                })
                .collect();
            self.choose_lie(&c.lies, o);
        } else {
            let values = vec![(vec![0], c.order)];
            o.broadcast(&Id::vec_from(1..self.generals), &OmMsg::Values { values });
        }
        OmState::Commander(c)
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
        let (OmState::Lieutenant(l), OmMsg::Values { values }) = (&**state, msg) else {
            return;
        };
        let fresh: Values = values
            .into_iter()
            .filter(|(p, _)| self.well_formed(p, src, me) && !l.values.contains_key(p))
            .collect();
        if fresh.is_empty() {
            return;
        }
        let mut next = l.clone();
        next.values.extend(fresh);
        self.advance(me, &mut next, o);
        *state.to_mut() = OmState::Lieutenant(next);
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        random: &Self::Random,
        o: &mut Out<Self>,
    ) {
        let lies = match &**state {
            OmState::Commander(c) if c.traitor => &c.lies,
            OmState::Lieutenant(l) if l.traitor => &l.lies,
            _ => return,
        };
        let Some(lie) = lies.first() else { return };
        let to = lie.to;
        let rest = lies[1..].to_vec();
        o.send(
            Id::from(to),
            OmMsg::Values {
                values: random.clone(),
            },
        );
        self.choose_lie(&rest, o);
        match state.to_mut() {
            OmState::Commander(c) => c.lies = rest,
            OmState::Lieutenant(l) => l.lies = rest,
        }
    }
}

/// The parameters of an OM(m) system.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct OmCfg {
    /// Generals `n`, the commander included. Must be in 3..=10; 4 is the paper's smallest
    /// that tolerates a traitor.
    pub generals: usize,
    /// Rounds of relaying `m`. Must be in 0..=3 and at most `n - 2`; 1 by default.
    pub rounds: usize,
    /// Who the traitors are, or how many in any placement.
    pub traitors: Traitors,
    /// How many orders: 2 (retreat, attack) or 3 (and hold).
    pub orders: usize,
    /// The start these actors begin from (one of [`OmCfg::starts`]).
    pub start: Start,
    pub system: SystemCfg,
}

impl OmCfg {
    /// Generals: 3..=10, 4 by default (the smallest `3m + 1` with `m = 1`).
    pub const GENERALS: Bounds = Bounds::new("generals", 3, 10, 4);
    /// Rounds of relaying `m`: 0..=3, 1 by default; at most `generals - 2`.
    pub const ROUNDS: Bounds = Bounds::new("m", 0, 3, 1);
    /// Orders: 2..=3, 2 by default (retreat, attack).
    pub const ORDERS: Bounds = Bounds::new("orders", 2, 3, 2);
    /// The synchronous rounds assume reliable delivery; no crashes (a traitor covers them).
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::UnorderedNonDuplicating],
        "messages race one another, each delivered once: the rounds are lockstep, so order within a round does not matter",
        0,
    );

    /// A validated configuration, starting from the first of its starts.
    pub fn new(
        generals: usize,
        rounds: usize,
        traitors: Traitors,
        orders: usize,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::GENERALS.check_usize(generals)?;
        Self::ROUNDS.check_usize(rounds)?;
        Self::ORDERS.check_usize(orders)?;
        if rounds > generals - 2 {
            return Err(CfgError::Inconsistent(format!(
                "m must be at most generals - 2 = {}: a path has distinct generals",
                generals - 2
            )));
        }
        let starts = starts(&traitors, generals, orders)?;
        Ok(Self {
            generals,
            rounds,
            traitors,
            orders,
            start: starts[0].clone(),
            system,
        })
    }

    /// Every start the checker explores: each traitor placement, and for a loyal commander
    /// each order (attack first). The runtime runs the first.
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
    pub fn into_model(self) -> ActorModel<OmActor, OmCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for OmCfg {
    type Actor = OmActor;

    fn actors(&self) -> Vec<OmActor> {
        (0..self.generals)
            .map(|g| OmActor {
                generals: self.generals,
                rounds: self.rounds,
                orders: self.orders,
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
    fn the_paper_counts_messages_as_a_sum_of_falling_products() {
        assert_eq!(paper_messages(4, 1), 3 + 3 * 2);
        assert_eq!(paper_messages(7, 2), 6 + 30 + 120);
        assert_eq!(paper_messages(4, 0), 3);
        assert_eq!(paths_per_lieutenant(7, 2), 5 * 4);
    }

    #[test]
    fn new_validates_every_setting() {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        assert!(OmCfg::new(4, 1, Traitors::Any(1), 2, system).is_ok());
        assert!(OmCfg::new(2, 0, Traitors::Any(1), 2, system).is_err());
        assert!(OmCfg::new(3, 2, Traitors::Any(1), 2, system).is_err());
        assert!(OmCfg::new(4, 1, Traitors::Ids(vec![4]), 2, system).is_err());
        assert!(OmCfg::new(4, 1, Traitors::Any(1), 4, system).is_err());
        let cfg = OmCfg::new(4, 1, Traitors::Any(1), 2, system).unwrap();
        // The commander as traitor once, each lieutenant with both orders.
        assert_eq!(cfg.starts().len(), 1 + 3 * 2);
    }

    #[test]
    fn a_loyal_lieutenant_takes_the_majority_with_retreat_on_a_tie() {
        let a = OmActor {
            generals: 3,
            rounds: 1,
            orders: 2,
            traitor: false,
            order: Order::Attack,
        };
        let values = BTreeMap::from([(vec![0], Order::Attack), (vec![0, 2], Order::Retreat)]);
        assert_eq!(a.decide(1, &values, &vec![0]), Order::Retreat);
        let values = BTreeMap::from([(vec![0], Order::Attack), (vec![0, 2], Order::Attack)]);
        assert_eq!(a.decide(1, &values, &vec![0]), Order::Attack);
    }
}
