//! Gossip: spreading one rumor by push, pull or push-pull exchanges between partners taken in
//! turn or at random, in timer-driven rounds, as rumor mongering or as anti-entropy.
//!
//! # Problem
//!
//! One node knows a rumor (an update); every live node must come to know it, and only from a
//! node that knows it (the `dissemination` spec in `specs::dissemination`). No node knows who
//! knows: each round a node contacts a few partners picked at random and the pair exchange what
//! they know.
//!
//! # Source
//!
//! - A. Demers, D. Greene, C. Hauser, W. Irish, J. Larson, S. Shenker, H. Sturgis, D. Swinehart
//!   and D. Terry, "Epidemic algorithms for replicated database maintenance", PODC 1987:
//!   section 1.3 (anti-entropy: push, pull and push-pull, run for ever) and section 1.4 (rumor
//!   mongering: a node stops spreading after a while; the *blind counter* variant stops after
//!   `k` rounds whatever the partners say).
//! - B. Pittel, "On spreading a rumor", SIAM J. Appl. Math. 47(1), 1987 (after A. M. Frieze and
//!   G. R. Grimmett, 1985): push informs all `n` nodes in `log2 n + ln n + O(1)` rounds.
//! - R. Karp, C. Schindelhauer, S. Shenker and B. Vöcking, "Randomized rumor spreading", FOCS
//!   2000: push-pull informs all in `log3 n + O(log log n)` rounds.
//! - A. Pnueli, "On the extremely fair treatment of probabilistic algorithms", STOC 1983: a
//!   random choice made again and again is checked as a choice under strong fairness (every
//!   outcome offered infinitely often is taken infinitely often).
//!
//! The properties live in `specs::gossip`.
//!
//! # Algorithm
//!
//! Nodes `Id(0)..Id(nodes)`; node 0 is the source and knows the rumor [`RUMOR`] from the start.
//! A node *spreads* while it knows the rumor and, under rumor mongering (`stop_after` k > 0),
//! for its first k rounds after it learnt it; under anti-entropy (k = 0) for ever. A node runs
//! rounds on its `Round` timer while it has something to do (see [`runs_rounds`]). A round:
//!
//! 1. the timer fires and the node picks its `fanout` partners: with `partners=round-robin`
//!    (the default) the next ones in turn around the ring (node `i` starts at `i+1`), so every
//!    peer is contacted within `nodes - 1` rounds; with `partners=random` it offers every peer
//!    as a partner, one random choice per peer ([`partner_key`]), the first `fanout` taken are
//!    the round's partners and the other offers are withdrawn (on the simulator: a uniform
//!    pick; the checker takes every order);
//! 2. it opens an exchange with each: `Gossip` carries its rumor if the mode pushes and it
//!    spreads ([`offer`]);
//! 3. the partner learns from it and answers `Reply`, which carries the partner's rumor if the
//!    mode pulls and the partner spreads ([`answer`]); the initiator learns from the reply;
//! 4. once every reply is in, the node sets its timer for the next round.
//!
//! Learning is [`learn`]: a node keeps what it knows, or takes what it is told.
//!
//! # Fault and network model
//!
//! Messages race (unordered, non-duplicating network) and, with `lossy`, may be lost. A node
//! waits for every reply of its exchange before its next round, so at most `fanout` requests
//! of each node are in flight and the state space is finite; a lost message therefore stalls
//! its initiator for good (an assumption violated, as for 2PC). A node saves the rumor when it
//! learns it and recovers with it after a crash. `partition` splits the nodes for good into
//! `0..nodes/2` and the rest: an exchange across the cut carries nothing and ends at once.
//!
//! # Deviations
//!
//! - Partners are taken in turn by default, as implementations of anti-entropy cycle through
//!   their peers (Demers et al. pick them at random): every peer is contacted within
//!   `nodes - 1` rounds, so weak fairness (a set timer fires, a message in flight arrives)
//!   suffices for anti-entropy to inform every node. `partners=random` keeps the paper's pick.
//! - The random pick of a partner is one choice per peer, not one choice among the peers: the
//!   checker owes fairness per actor and choice key, never to a particular value of a choice,
//!   so with one key it finds runs where a node never picks the one uninformed peer, which a
//!   random pick avoids with probability 1. With one key per peer, strong fairness (Pnueli's
//!   abstraction of a probabilistic choice) owes every peer offered in every round a turn, and
//!   anti-entropy informs every node. Weak fairness is not enough: an offer is withdrawn at
//!   the end of each round, so it is not continuously enabled (the checker shows that lasso).
//! - The blind counter counts a node's own rounds since it learnt the rumor; in pull mode a
//!   spreading node's rounds only count (it has nothing to ask).
//! - Replies wait for: an exchange closes only when its replies are in (see above); a
//!   permanent partition is modelled by the exchanges it defeats, not by lost messages.
//! - [`rounds_to_inform`] is a synchronous-rounds version of the same rule for runs at scale.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::time::Duration;

/// A rumor: the value an update carries.
pub type Rumor = u8;

/// The rumor the source injects.
pub const RUMOR: Rumor = 1;

/// The id of the source, the one node that knows the rumor at the start.
pub const SOURCE: usize = 0;

/// Who tells whom in an exchange (Demers et al. 1987, section 1.3).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Mode {
    /// The initiator tells its partner.
    Push,
    /// The partner tells the initiator.
    Pull,
    /// Both.
    PushPull,
}

impl Mode {
    /// Every mode, in the order of [`Mode::NAMES`].
    pub const ALL: [Mode; 3] = [Mode::Push, Mode::Pull, Mode::PushPull];
    /// The names the command line takes.
    pub const NAMES: [&'static str; 3] = ["push", "pull", "push-pull"];

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| Self::ALL[i])
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|&m| m == self).unwrap_or(0)]
    }

    /// Whether an initiator tells its partner what it knows.
    pub fn pushes(self) -> bool {
        matches!(self, Mode::Push | Mode::PushPull)
    }

    /// Whether a partner tells the initiator what it knows.
    pub fn pulls(self) -> bool {
        matches!(self, Mode::Pull | Mode::PushPull)
    }
}

/// How a node picks its partners each round.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Partners {
    /// In turn, round-robin around the ring: node `i` contacts `i+1`, `i+2`, ... (skipping
    /// itself), `fanout` of them per round, so every peer is contacted within `nodes - 1`
    /// rounds (as anti-entropy implementations cycle through their peers).
    RoundRobin,
    /// Uniformly at random each round (Demers et al.; the theory of the rounds table).
    Random,
}

impl Partners {
    /// Every way, in the order of [`Partners::NAMES`].
    pub const ALL: [Partners; 2] = [Partners::RoundRobin, Partners::Random];
    /// The names the command line takes.
    pub const NAMES: [&'static str; 2] = ["round-robin", "random"];

    /// The way named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|&n| n == name)
            .map(|i| Self::ALL[i])
    }
}

/// A message of an exchange.
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
/// Its variants without their fields, [`GossipMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(GossipMsgKind), derive(strum::IntoStaticStr))]
pub enum GossipMsg {
    /// Initiator -> partner: an exchange opens, with the initiator's rumor if it pushes.
    Gossip { rumor: Option<Rumor> },
    /// Partner -> initiator: the exchange closes, with the partner's rumor if it pulls.
    Reply { rumor: Option<Rumor> },
}

/// The timers.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum GossipTimer {
    /// The next round.
    Round,
}

/// A node's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct GossipState {
    /// The rumor, once known.
    pub known: Option<Rumor>,
    /// Rumor mongering: rounds spread since it learnt the rumor (at most `stop_after`; always
    /// 0 under anti-entropy, so no round counter is in the state).
    pub rounds: u8,
    /// The partners picked so far in the current round (fewer than `fanout`).
    pub picked: Vec<Id>,
    /// Replies still due in the current exchange.
    pub awaiting: u8,
    /// Round-robin partners: the index in `peers` of the next partner (always 0 with random
    /// partners, so that no cursor is in their state).
    pub turn: u8,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct GossipActor {
    pub mode: Mode,
    /// Partners per round.
    pub fanout: u8,
    /// How partners are picked.
    pub partners: Partners,
    /// Rounds a node spreads after it learns the rumor; 0 for ever (anti-entropy).
    pub stop_after: u8,
    /// Every other node.
    pub peers: Vec<Id>,
    /// With a partition: this node's side (`true` for the lower half).
    pub side: Option<Vec<bool>>,
    /// Whether this is the source.
    pub source: bool,
}

/// Whether a node that knows `known` after `rounds` rounds still spreads it.
pub fn spreads(known: Option<Rumor>, rounds: u8, stop_after: u8) -> bool {
    known.is_some() && (stop_after == 0 || rounds < stop_after)
}

/// What an initiator sends in an exchange: its rumor if the mode pushes and it spreads.
pub fn offer(mode: Mode, known: Option<Rumor>, spreading: bool) -> Option<Rumor> {
    known.filter(|_| mode.pushes() && spreading)
}

/// What a partner answers: its rumor if the mode pulls and it spreads.
pub fn answer(mode: Mode, known: Option<Rumor>, spreading: bool) -> Option<Rumor> {
    known.filter(|_| mode.pulls() && spreading)
}

/// Learning: a node keeps what it knows, or takes what it is told (the merge of one rumor).
pub fn learn(known: Option<Rumor>, told: Option<Rumor>) -> Option<Rumor> {
    known.or(told)
}

/// Whether a node has something to do in a round: spread (push, or count its rounds under
/// rumor mongering), or ask for the rumor it lacks (pull, push-pull).
pub fn runs_rounds(mode: Mode, known: Option<Rumor>, rounds: u8, stop_after: u8) -> bool {
    spreads(known, rounds, stop_after) && (mode.pushes() || stop_after > 0)
        || known.is_none() && mode.pulls()
}

/// The key of the random choice that picks `peer` as a partner: one choice per peer, so that
/// fairness (which is owed per actor and key) is owed to every partner.
pub fn partner_key(peer: Id) -> String {
    format!("partner n{}", usize::from(peer))
}

/// How long a round lasts at run time (the model checker ignores durations).
fn round_len() -> std::ops::Range<Duration> {
    Duration::from_millis(20)..Duration::from_millis(40)
}

impl GossipActor {
    fn spreads(&self, s: &GossipState) -> bool {
        spreads(s.known, s.rounds, self.stop_after)
    }

    fn runs_rounds(&self, s: &GossipState) -> bool {
        runs_rounds(self.mode, s.known, s.rounds, self.stop_after)
    }

    /// The first turn of node `id`: the index of `id + 1` (mod the ring) among its peers.
    fn first_turn(&self, id: Id) -> u8 {
        match self.partners {
            Partners::RoundRobin => (usize::from(id) % self.peers.len()) as u8,
            Partners::Random => 0,
        }
    }

    /// Round-robin: the round's `fanout` partners from `s.turn` on, and the turn after them.
    fn partners_in_turn(&self, s: &GossipState) -> (Vec<Id>, u8) {
        let n = self.peers.len();
        let turn = usize::from(s.turn);
        let partners = (0..usize::from(self.fanout))
            .map(|k| self.peers[(turn + k) % n])
            .collect();
        (partners, ((turn + usize::from(self.fanout)) % n) as u8)
    }

    fn reachable(&self, id: Id, peer: Id) -> bool {
        self.side
            .as_ref()
            .is_none_or(|side| side[usize::from(id)] == side[usize::from(peer)])
    }

    /// Takes in what it is told; a node that learns saves the rumor and, if it had no rounds to
    /// run before (push mode), starts them.
    fn hear(&self, s: &GossipState, told: Option<Rumor>, o: &mut Out<Self>) -> GossipState {
        let mut next = s.clone();
        next.known = learn(s.known, told);
        if next.known != s.known {
            next.rounds = 0;
            if let Some(r) = next.known {
                o.save(r);
            }
            if !self.runs_rounds(s) && self.runs_rounds(&next) && s.awaiting == 0 {
                o.set_timer(GossipTimer::Round, round_len());
            }
        }
        next
    }

    /// Opens an exchange with `partners`: the round's work.
    fn open_exchange(
        &self,
        id: Id,
        s: &GossipState,
        partners: &[Id],
        o: &mut Out<Self>,
    ) -> GossipState {
        let mut next = s.clone();
        let rumor = offer(self.mode, s.known, self.spreads(s));
        for &p in partners {
            if self.reachable(id, p) {
                o.send(p, GossipMsg::Gossip { rumor });
                next.awaiting += 1;
            }
        }
        next.picked.clear();
        if s.known.is_some() && self.stop_after > 0 {
            next.rounds = (s.rounds + 1).min(self.stop_after);
        }
        if next.awaiting == 0 && self.runs_rounds(&next) {
            o.set_timer(GossipTimer::Round, round_len());
        }
        next
    }
}

impl Actor for GossipActor {
    type Msg = GossipMsg;
    type State = GossipState;
    type Timer = GossipTimer;
    type Random = Id;
    type Storage = Rumor;

    fn name(&self) -> String {
        "node".to_string()
    }

    fn on_start(&self, id: Id, storage: &Option<Rumor>, o: &mut Out<Self>) -> GossipState {
        let known = if self.source { Some(RUMOR) } else { *storage };
        if self.source && storage.is_none() {
            o.save(RUMOR);
        }
        let s = GossipState {
            known,
            rounds: 0,
            picked: Vec::new(),
            awaiting: 0,
            turn: self.first_turn(id),
        };
        if self.runs_rounds(&s) {
            o.set_timer(GossipTimer::Round, round_len());
        }
        s
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        match msg {
            GossipMsg::Gossip { rumor } => {
                let next = self.hear(state, rumor, o);
                let reply = answer(self.mode, next.known, self.spreads(&next));
                o.send(src, GossipMsg::Reply { rumor: reply });
                if next != **state {
                    *state.to_mut() = next;
                }
            }
            GossipMsg::Reply { rumor } => {
                let mut next = self.hear(state, rumor, o);
                // A reply from before a crash is stale: it closes no exchange.
                if next.awaiting > 0 {
                    next.awaiting -= 1;
                    if next.awaiting == 0 && self.runs_rounds(&next) {
                        o.set_timer(GossipTimer::Round, round_len());
                    }
                }
                if next != **state {
                    *state.to_mut() = next;
                }
            }
        }
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        _timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        let s = &**state;
        let pushing = self.mode.pushes() && self.spreads(s);
        let pulling = self.mode.pulls() && s.known.is_none();
        if (pushing || pulling) && self.partners == Partners::RoundRobin {
            let (partners, turn) = self.partners_in_turn(s);
            let mut next = self.open_exchange(id, s, &partners, o);
            next.turn = turn;
            *state.to_mut() = next;
        } else if pushing || pulling {
            // Every peer is offered; the first `fanout` picked are the round's partners.
            for &p in &self.peers {
                o.choose_random(partner_key(p), vec![p]);
            }
        } else if self.spreads(s) && self.stop_after > 0 {
            // A spreading node with nothing to ask (pull mode): its round only counts.
            let mut next = s.clone();
            next.rounds += 1;
            if self.runs_rounds(&next) {
                o.set_timer(GossipTimer::Round, round_len());
            }
            *state.to_mut() = next;
        }
    }

    fn on_random(
        &self,
        id: Id,
        state: &mut Cow<Self::State>,
        partner: &Self::Random,
        o: &mut Out<Self>,
    ) {
        let mut picked = state.picked.clone();
        picked.push(*partner);
        if picked.len() < usize::from(self.fanout) {
            picked.sort();
            state.to_mut().picked = picked;
            return;
        }
        // The round's partners are picked: the other offers are withdrawn.
        for &p in self.peers.iter().filter(|p| !picked.contains(p)) {
            o.choose_random(partner_key(p), Vec::new());
        }
        *state.to_mut() = self.open_exchange(id, state, &picked, o);
    }
}

/// The parameters of a gossiping system.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct GossipCfg {
    /// Nodes (`Id(0)..Id(nodes)`, node 0 the source). Must be in 2..=6; 4 is a good default.
    pub nodes: u8,
    pub mode: Mode,
    /// Partners per round. Must be in 1..=3 and below `nodes`; 1 is a good default.
    pub fanout: u8,
    /// How partners are picked: round-robin (the default: every peer within `nodes - 1`
    /// rounds, so anti-entropy informs everyone under weak fairness) or at random.
    pub partners: Partners,
    /// Rounds a node spreads after it learns (rumor mongering's blind counter), 0 for ever
    /// (anti-entropy). Must be in 0..=3; 0 is the default (the one where everyone learns).
    pub stop_after: u8,
    /// A permanent partition between `0..nodes/2` and the rest.
    pub partition: bool,
    /// Network and fault settings.
    pub system: SystemCfg,
}

impl GossipCfg {
    /// Nodes: 2..=6; 4 lets a rumor take several paths.
    pub const NODES: Bounds = Bounds::new("nodes", 2, 6, 4);
    /// Partners per round: 1..=3; 1 is the classic setting.
    pub const FANOUT: Bounds = Bounds::new("fanout", 1, 3, 1);
    /// Rounds of spreading after learning: 0 (anti-entropy, for ever) ..= 3.
    pub const STOP_AFTER: Bounds = Bounds::new("stop-after", 0, 3, 0);
    /// The racing network without redelivery (a duplicated reply would close an exchange
    /// twice); one node down at a time.
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::UnorderedNonDuplicating],
        "message delivery: racing, without redelivery (a duplicated reply would close an exchange twice)",
        1,
    );

    /// A validated configuration.
    pub fn new(
        nodes: usize,
        mode: Mode,
        fanout: usize,
        partners: Partners,
        stop_after: usize,
        partition: bool,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        let nodes = Self::NODES.check_usize(nodes)? as u8;
        let fanout = Self::FANOUT.check_usize(fanout)? as u8;
        let stop_after = Self::STOP_AFTER.check_usize(stop_after)? as u8;
        if fanout >= nodes {
            return Err(CfgError::Inconsistent(format!(
                "fanout must be below nodes ({nodes}), got {fanout}"
            )));
        }
        Self::SYSTEM.crashes.check_usize(system.crashes)?;
        if system.network != NetworkKind::UnorderedNonDuplicating {
            return Err(CfgError::Network {
                protocol: "gossip",
                supported: "unordered-nonduplicating",
                network: system.network.name(),
            });
        }
        Ok(Self {
            nodes,
            mode,
            fanout,
            partners,
            stop_after,
            partition,
            system,
        })
    }

    /// The side of each node under the partition, if any.
    pub fn sides(&self) -> Option<Vec<bool>> {
        let n = usize::from(self.nodes);
        self.partition
            .then(|| (0..n).map(|i| i < n.div_ceil(2)).collect())
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<GossipActor, GossipCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for GossipCfg {
    type Actor = GossipActor;

    fn actors(&self) -> Vec<GossipActor> {
        let n = usize::from(self.nodes);
        (0..n)
            .map(|i| GossipActor {
                mode: self.mode,
                fanout: self.fanout,
                partners: self.partners,
                stop_after: self.stop_after,
                peers: Id::vec_from((0..n).filter(|&j| j != i)),
                side: self.sides(),
                source: i == SOURCE,
            })
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        format!("n{}", usize::from(id))
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

/// The same gossip rule in synchronous rounds, for runs at scale (anti-entropy, no faults,
/// `partners=random`: the setting of the theory): in each round every node that
/// [`runs_rounds`] picks `fanout` distinct partners uniformly at random, and each exchange applies [`offer`], [`answer`] and [`learn`] to what the pair
/// knew at the start of the round. A round at n = 100,000 costs a few milliseconds.
#[derive(Clone, Debug)]
pub struct SyncGossip {
    pub mode: Mode,
    pub fanout: usize,
    /// What each node knows.
    pub known: Vec<Option<Rumor>>,
    /// How many know.
    pub informed: usize,
    next: Vec<Option<Rumor>>,
}

impl SyncGossip {
    /// `n` nodes, only the source informed.
    pub fn new(n: usize, mode: Mode, fanout: usize) -> Self {
        let mut known = vec![None; n];
        known[SOURCE] = Some(RUMOR);
        Self {
            mode,
            fanout,
            next: known.clone(),
            known,
            informed: 1,
        }
    }

    /// One round; returns how many know afterwards.
    pub fn round(&mut self, rng: &mut SplitMix64) -> usize {
        let n = self.known.len();
        for i in 0..n {
            if !runs_rounds(self.mode, self.known[i], 0, 0) {
                continue;
            }
            let mut picked = [usize::MAX; 3];
            for k in 0..self.fanout.min(n - 1).min(3) {
                // Uniform over the peers, distinct within the round, as the actor's first
                // `fanout` resolved offers are.
                let p = loop {
                    let p = rng.index(n);
                    if p != i && !picked.contains(&p) {
                        break p;
                    }
                };
                picked[k] = p;
                let told = offer(self.mode, self.known[i], self.known[i].is_some());
                let reply = answer(self.mode, self.known[p], self.known[p].is_some());
                self.next[p] = learn(self.next[p], told);
                self.next[i] = learn(self.next[i], reply);
            }
        }
        self.known.copy_from_slice(&self.next);
        self.informed = self.known.iter().filter(|k| k.is_some()).count();
        self.informed
    }
}

/// Rounds until every one of `n` nodes knows the rumor, for one seeded run of [`SyncGossip`];
/// `None` if not all know after `max_rounds`.
pub fn rounds_to_inform(
    n: usize,
    mode: Mode,
    fanout: usize,
    rng: &mut SplitMix64,
    max_rounds: u32,
) -> Option<u32> {
    let mut g = SyncGossip::new(n, mode, fanout);
    (1..=max_rounds).find(|_| g.round(rng) == n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::Command;

    fn node(mode: Mode, stop_after: u8, source: bool) -> GossipActor {
        GossipActor {
            mode,
            fanout: 1,
            partners: Partners::Random,
            stop_after,
            peers: Id::vec_from(1..4),
            side: None,
            source,
        }
    }

    fn sends(o: &Out<GossipActor>) -> Vec<(usize, GossipMsg)> {
        o.iter()
            .filter_map(|c| match c {
                Command::Send(dst, m) => Some((usize::from(*dst), *m)),
                _ => None,
            })
            .collect()
    }

    /// Delivers `msg` from `src`; returns the messages sent.
    fn deliver(
        a: &GossipActor,
        s: &mut GossipState,
        src: usize,
        msg: GossipMsg,
    ) -> Vec<(usize, GossipMsg)> {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&*s);
        a.on_msg(Id::from(0), &mut cow, Id::from(src), msg, &mut o);
        *s = cow.into_owned();
        sends(&o)
    }

    #[test]
    fn the_exchange_rule_tells_what_the_mode_says() {
        let r = Some(RUMOR);
        assert_eq!(offer(Mode::Push, r, true), r);
        assert_eq!(offer(Mode::Pull, r, true), None);
        assert_eq!(answer(Mode::Push, r, true), None);
        assert_eq!(answer(Mode::PushPull, r, true), r);
        assert_eq!(answer(Mode::PushPull, r, false), None);
        assert_eq!(learn(None, r), r);
        assert_eq!(learn(r, None), r);
    }

    #[test]
    fn a_pushed_node_learns_answers_and_starts_its_rounds() {
        let a = node(Mode::Push, 1, false);
        let mut s = a.on_start(Id::from(1), &None, &mut Out::new());
        assert_eq!(s.known, None);
        let out = deliver(&a, &mut s, 0, GossipMsg::Gossip { rumor: Some(RUMOR) });
        assert_eq!(out, [(0, GossipMsg::Reply { rumor: None })]);
        assert_eq!(s.known, Some(RUMOR));
        // One round of spreading, then it stops (stop-after 1).
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&s);
        a.on_random(Id::from(1), &mut cow, &Id::from(2), &mut o);
        let s = cow.into_owned();
        assert_eq!(sends(&o), [(2, GossipMsg::Gossip { rumor: Some(RUMOR) })]);
        assert_eq!((s.rounds, s.awaiting), (1, 1));
        assert!(!a.runs_rounds(&s));
    }

    #[test]
    fn partners_in_turn_go_round_the_ring_from_the_next_node() {
        // Node 2 of 4: peers n0, n1, n3; it starts at n3 (the next on the ring), then n0, n1.
        let a = GossipActor {
            partners: Partners::RoundRobin,
            peers: Id::vec_from([0, 1, 3]),
            ..node(Mode::Push, 0, true)
        };
        let mut s = a.on_start(Id::from(2), &None, &mut Out::new());
        let mut contacted = Vec::new();
        for _ in 0..4 {
            let mut o = Out::new();
            let mut cow = Cow::Borrowed(&s);
            a.on_timeout(Id::from(2), &mut cow, &GossipTimer::Round, &mut o);
            s = cow.into_owned();
            contacted.extend(sends(&o).into_iter().map(|(to, _)| to));
            s.awaiting = 0;
        }
        assert_eq!(contacted, [3, 0, 1, 3]);
    }

    #[test]
    fn push_pull_informs_everyone_in_about_log3_n_rounds() {
        let mut rng = SplitMix64::new(1);
        let r = rounds_to_inform(1000, Mode::PushPull, 1, &mut rng, 100).unwrap();
        assert!((5..=12).contains(&r), "{r}");
    }
}
