//! Anti-entropy: replicas of a small map reconcile pairwise, push-pull of digests then of the
//! entries the other lacks, over a last-writer-wins register map or a G-counter CRDT.
//!
//! # Problem
//!
//! Clients write at any replica; replicas never coordinate a write. Strong eventual
//! consistency (Shapiro et al.): once writes stop and the network is fair, every replica
//! reaches the same state, and that state is the join of every write; a merge never loses
//! anything it was given.
//!
//! # Source
//!
//! - A. Demers et al., "Epidemic algorithms for replicated database maintenance", PODC 1987,
//!   section 1.3 (anti-entropy; exchanging checksums and recent-update lists before the
//!   database itself).
//! - R. van Renesse, D. Dumitriu, V. Gough and C. Thomas, "Efficient reconciliation and flow
//!   control for anti-entropy protocols", LADIS 2008: the push-pull exchange of digests, then
//!   of the entries newer than the other side's digest (their "precise reconciliation").
//! - M. Shapiro, N. Preguiça, C. Baquero and M. Zawirski, "Conflict-free replicated data
//!   types", SSS 2011: the LWW register (specification 8) and the G-counter (specification 6);
//!   merges are joins of a semilattice, so replicas converge whatever order they meet in.
//!
//! The properties live in `specs::anti_entropy`.
//!
//! # Algorithm
//!
//! Replicas `Id(0)..Id(replicas)`, one client `Id(replicas)`. The client makes `writes` writes,
//! one per `Write` timer, each at a replica and a key it picks (a random choice: the checker
//! takes every one), with ever smaller values (so a merge that prefers the larger value over
//! the later stamp shows). A replica applies a write locally: LWW stamps it `(c + 1, replica)`
//! with `c` the largest counter it has seen (a Lamport clock read off its store); the G-counter
//! adds one to the replica's own entry for the key.
//!
//! Each replica reconciles on its `Sync` timer with its peers in turn:
//!
//! 1. `Digest`: the initiator sends its digest (LWW: each key's stamp; G-counter: its vectors);
//! 2. `Delta`: the partner answers the entries newer than that digest, and its own digest;
//! 3. `Entries`: the initiator merges them and sends the entries newer than the partner's
//!    digest (nothing if none), and sets its timer again; the partner merges them.
//!
//! # Fault and network model
//!
//! Messages race (unordered, non-duplicating network) and, with `lossy`, may be lost; a lost
//! `Digest` or `Delta` stalls its initiator for good, a lost write is lost (assumptions
//! violated). Replicas do not crash (a replica that recovers would need its store on disk, a
//! different protocol).
//!
//! # Deviations
//!
//! - Partners are taken in turn (round-robin), not at random: the checker owes no particular
//!   value of a random choice, so a random pick could avoid a replica for ever.
//! - Each replica keeps a ghost, the correct join of its own writes and of every input it
//!   merged; no decision reads it, the properties judge the store against it.
//! - [`Bug::BadMerge`] is a deliberately broken merge: LWW keeps the larger value instead of
//!   the later stamp; the G-counter takes the incoming count instead of the maximum.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::time::Duration;

/// A key of the map.
pub type Key = u8;
/// A value written.
pub type Value = u8;
/// A Lamport stamp: (counter, replica index), compared as a pair.
pub type Stamp = (u8, u8);

/// Which CRDT the replicas keep.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Crdt {
    /// A map of last-writer-wins registers.
    Lww,
    /// A map of grow-only counters.
    GCounter,
}

/// A deliberately broken merge, or none.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Bug {
    None,
    /// LWW: the larger value wins, not the later stamp; G-counter: the incoming count wins.
    BadMerge,
}

/// A replica's map, or the part of one sent to a peer (absent entries are `None` / 0).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Store {
    /// For each key, the stamped value last written, if any.
    Lww(Vec<Option<(Stamp, Value)>>),
    /// For each key, each replica's increments.
    GCounter(Vec<Vec<u8>>),
}

/// What a replica has, in brief: what its peer compares against.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Digest {
    /// Each key's stamp.
    Lww(Vec<Option<Stamp>>),
    /// The counters themselves (a version vector per key).
    GCounter(Vec<Vec<u8>>),
}

impl Store {
    /// The empty map with `keys` keys over `replicas` replicas.
    pub fn empty(crdt: Crdt, keys: usize, replicas: usize) -> Self {
        match crdt {
            Crdt::Lww => Store::Lww(vec![None; keys]),
            Crdt::GCounter => Store::GCounter(vec![vec![0; replicas]; keys]),
        }
    }

    /// Its digest.
    pub fn digest(&self) -> Digest {
        match self {
            Store::Lww(m) => Digest::Lww(m.iter().map(|e| e.map(|(s, _)| s)).collect()),
            Store::GCounter(m) => Digest::GCounter(m.clone()),
        }
    }

    /// The entries newer than `digest`: what the digest's owner lacks.
    pub fn newer_than(&self, digest: &Digest) -> Store {
        match (self, digest) {
            (Store::Lww(m), Digest::Lww(d)) => Store::Lww(
                m.iter()
                    .zip(d)
                    .map(|(e, s)| e.filter(|(stamp, _)| Some(*stamp) > *s))
                    .collect(),
            ),
            (Store::GCounter(m), Digest::GCounter(d)) => Store::GCounter(
                m.iter()
                    .zip(d)
                    .map(|(ours, theirs)| {
                        ours.iter()
                            .zip(theirs)
                            .map(|(&o, &t)| if o > t { o } else { 0 })
                            .collect()
                    })
                    .collect(),
            ),
            _ => unreachable!("every replica keeps the same CRDT"),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        match self {
            Store::Lww(m) => m.iter().all(Option::is_none),
            Store::GCounter(m) => m.iter().flatten().all(|&c| c == 0),
        }
    }

    /// Whether it is at least `other` in the semilattice's order (every stamp as late, every
    /// count as large).
    pub fn dominates(&self, other: &Store) -> bool {
        match (self, other) {
            (Store::Lww(a), Store::Lww(b)) => a
                .iter()
                .zip(b)
                .all(|(x, y)| y.is_none_or(|(sy, _)| x.is_some_and(|(sx, _)| sx >= sy))),
            (Store::GCounter(a), Store::GCounter(b)) => a
                .iter()
                .flatten()
                .zip(b.iter().flatten())
                .all(|(x, y)| x >= y),
            _ => false,
        }
    }

    /// The largest counter of any stamp it holds (LWW's Lamport clock); 0 for a G-counter.
    pub fn clock(&self) -> u8 {
        match self {
            Store::Lww(m) => m.iter().flatten().map(|((c, _), _)| *c).max().unwrap_or(0),
            Store::GCounter(_) => 0,
        }
    }
}

/// The merge: the join of the semilattice (later stamp, larger count), or the broken one.
pub fn merge(store: &Store, input: &Store, bug: Bug) -> Store {
    match (store, input) {
        (Store::Lww(a), Store::Lww(b)) => Store::Lww(
            a.iter()
                .zip(b)
                .map(|(&x, &y)| match (x, y) {
                    (Some(x), Some(y)) => Some(match bug {
                        Bug::None => x.max(y),
                        Bug::BadMerge if y.1 > x.1 => y,
                        Bug::BadMerge => x,
                    }),
                    _ => x.or(y),
                })
                .collect(),
        ),
        (Store::GCounter(a), Store::GCounter(b)) => Store::GCounter(
            a.iter()
                .zip(b)
                .map(|(xs, ys)| {
                    xs.iter()
                        .zip(ys)
                        .map(|(&x, &y)| match bug {
                            Bug::None => x.max(y),
                            Bug::BadMerge if y > 0 => y,
                            Bug::BadMerge => x,
                        })
                        .collect()
                })
                .collect(),
        ),
        _ => unreachable!("every replica keeps the same CRDT"),
    }
}

/// A write applied at replica `index`: LWW stamps it after everything the replica has seen;
/// the G-counter counts one more for the replica.
pub fn apply_write(store: &Store, index: u8, key: Key, value: Value) -> Store {
    let mut next = store.clone();
    let stamp = (store.clock() + 1, index);
    match &mut next {
        Store::Lww(m) => m[usize::from(key)] = Some((stamp, value)),
        Store::GCounter(m) => m[usize::from(key)][usize::from(index)] += 1,
    }
    next
}

/// A message.
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
/// Its variants without their fields, [`AeMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(
    name(AeMsgKind),
    derive(strum::IntoStaticStr, Hash, PartialOrd, Ord, Serialize, Deserialize)
)]
pub enum AeMsg {
    /// Client -> replica: write `value` at `key` (the G-counter: add one).
    Write { key: Key, value: Value },
    /// Initiator -> partner: what I have.
    Digest { digest: Digest },
    /// Partner -> initiator: what you lack, and what I have.
    Delta { entries: Store, digest: Digest },
    /// Initiator -> partner: what you lack.
    Entries { entries: Store },
    /// Partner -> initiator: entries merged; the reconciliation is over.
    Done,
}

/// The timers.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AeTimer {
    /// A replica's next reconciliation.
    Sync,
    /// The client's next write.
    Write,
}

/// A replica's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ReplicaState {
    pub store: Store,
    /// Ghost: the correct join of its own writes and of every input it merged.
    pub joined: Store,
    /// Which peer is next, an index into its peers.
    pub turn: u8,
    /// The reply a reconciliation it opened waits for, if any.
    pub awaiting: Option<AeMsgKind>,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AeState {
    Replica(ReplicaState),
    /// The client: how many writes it has made.
    Client {
        done: u8,
    },
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum AeActor {
    Replica {
        index: u8,
        peers: Vec<Id>,
        crdt: Crdt,
        keys: u8,
        replicas: u8,
        bug: Bug,
    },
    Client {
        writes: u8,
        replicas: u8,
        keys: u8,
    },
}

fn sync_len() -> std::ops::Range<Duration> {
    Duration::from_millis(20)..Duration::from_millis(40)
}

fn write_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(5)..Duration::from_millis(30)
}

impl Actor for AeActor {
    type Msg = AeMsg;
    type State = AeState;
    type Timer = AeTimer;
    type Random = (Id, Key);
    type Storage = ();

    fn name(&self) -> String {
        match self {
            AeActor::Replica { .. } => "replica".to_string(),
            AeActor::Client { .. } => "client".to_string(),
        }
    }

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> AeState {
        match self {
            AeActor::Replica {
                crdt,
                keys,
                replicas,
                ..
            } => {
                o.set_timer(AeTimer::Sync, sync_len());
                let store = Store::empty(*crdt, usize::from(*keys), usize::from(*replicas));
                AeState::Replica(ReplicaState {
                    joined: store.clone(),
                    store,
                    turn: 0,
                    awaiting: None,
                })
            }
            AeActor::Client { writes, .. } => {
                if *writes > 0 {
                    o.set_timer(AeTimer::Write, write_wait());
                }
                AeState::Client { done: 0 }
            }
        }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        if let (AeActor::Replica { index, bug, .. }, AeState::Replica(r)) = (self, &**state) {
            if let Some(next) = replica_on_msg(*index, *bug, r, src, msg, o) {
                *state.to_mut() = AeState::Replica(next);
            }
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        _timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        match (self, &**state) {
            (AeActor::Replica { peers, .. }, AeState::Replica(r)) if r.awaiting.is_none() => {
                let partner = peers[usize::from(r.turn) % peers.len()];
                o.send(
                    partner,
                    AeMsg::Digest {
                        digest: r.store.digest(),
                    },
                );
                let mut next = r.clone();
                next.turn = ((usize::from(r.turn) + 1) % peers.len()) as u8;
                next.awaiting = Some(AeMsgKind::Delta);
                *state.to_mut() = AeState::Replica(next);
            }
            (AeActor::Client { replicas, keys, .. }, AeState::Client { .. }) => {
                let choices = (0..*replicas)
                    .flat_map(|r| (0..*keys).map(move |k| (Id::from(usize::from(r)), k)))
                    .collect();
                o.choose_random("write", choices);
            }
            _ => {}
        }
    }

    fn on_random(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        &(replica, key): &Self::Random,
        o: &mut Out<Self>,
    ) {
        if let (AeActor::Client { writes, .. }, AeState::Client { done }) = (self, &**state) {
            if done < writes {
                // Ever smaller values: the last write holds the smallest.
                o.send(
                    replica,
                    AeMsg::Write {
                        key,
                        value: writes - done,
                    },
                );
                if done + 1 < *writes {
                    o.set_timer(AeTimer::Write, write_wait());
                }
                *state.to_mut() = AeState::Client { done: done + 1 };
            }
        }
    }
}

/// A replica's handler: a write, or a step of a reconciliation.
fn replica_on_msg(
    index: u8,
    bug: Bug,
    r: &ReplicaState,
    src: Id,
    msg: AeMsg,
    o: &mut Out<AeActor>,
) -> Option<ReplicaState> {
    let mut next = r.clone();
    match msg {
        AeMsg::Write { key, value } => {
            next.store = apply_write(&r.store, index, key, value);
            next.joined = apply_write(&r.joined, index, key, value);
        }
        AeMsg::Digest { digest } => {
            let entries = r.store.newer_than(&digest);
            o.send(
                src,
                AeMsg::Delta {
                    entries,
                    digest: r.store.digest(),
                },
            );
            return None;
        }
        AeMsg::Delta { entries, digest } if r.awaiting == Some(AeMsgKind::Delta) => {
            next.store = merge(&r.store, &entries, bug);
            next.joined = merge(&r.joined, &entries, Bug::None);
            let theirs = next.store.newer_than(&digest);
            if theirs.is_empty() {
                next.awaiting = None;
                o.set_timer(AeTimer::Sync, sync_len());
            } else {
                // Wait for the partner to take them in, so that no more than one batch of
                // entries per replica is ever in flight.
                o.send(src, AeMsg::Entries { entries: theirs });
                next.awaiting = Some(AeMsgKind::Done);
            }
        }
        AeMsg::Entries { entries } => {
            next.store = merge(&r.store, &entries, bug);
            next.joined = merge(&r.joined, &entries, Bug::None);
            o.send(src, AeMsg::Done);
        }
        AeMsg::Done if r.awaiting == Some(AeMsgKind::Done) => {
            next.awaiting = None;
            o.set_timer(AeTimer::Sync, sync_len());
        }
        _ => return None,
    }
    (next != *r).then_some(next)
}

/// The parameters of a replicated map.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct AeCfg {
    /// Replicas. Must be in 2..=4; 2 is a good default.
    pub replicas: u8,
    /// Keys of the map. Must be in 1..=2; 1 is a good default.
    pub keys: u8,
    /// Writes the client makes. Must be in 1..=3; 2 is a good default.
    pub writes: u8,
    pub crdt: Crdt,
    pub bug: Bug,
    /// Network and fault settings (no crash).
    pub system: SystemCfg,
}

impl AeCfg {
    /// Replicas: 2..=4; 2 already reconcile.
    pub const REPLICAS: Bounds = Bounds::new("replicas", 2, 4, 2);
    /// Keys: 1..=2.
    pub const KEYS: Bounds = Bounds::new("keys", 1, 2, 1);
    /// Writes: 1..=3; 2 make a conflict.
    pub const WRITES: Bounds = Bounds::new("writes", 1, 3, 2);
    /// The racing network without redelivery (a replayed write would count twice in a
    /// G-counter); no crash.
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::UnorderedNonDuplicating],
        "message delivery: racing, without redelivery (a replayed write would count twice)",
        0,
    );

    /// A validated configuration.
    pub fn new(
        replicas: usize,
        keys: usize,
        writes: usize,
        crdt: Crdt,
        bug: Bug,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        let replicas = Self::REPLICAS.check_usize(replicas)? as u8;
        let keys = Self::KEYS.check_usize(keys)? as u8;
        let writes = Self::WRITES.check_usize(writes)? as u8;
        Self::SYSTEM.crashes.check_usize(system.crashes)?;
        if system.network != NetworkKind::UnorderedNonDuplicating {
            return Err(CfgError::Network {
                protocol: "anti-entropy",
                supported: "unordered-nonduplicating",
                network: system.network.name(),
            });
        }
        Ok(Self {
            replicas,
            keys,
            writes,
            crdt,
            bug,
            system,
        })
    }

    /// The id of the client.
    pub fn client(&self) -> Id {
        Id::from(usize::from(self.replicas))
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<AeActor, AeCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for AeCfg {
    type Actor = AeActor;

    fn actors(&self) -> Vec<AeActor> {
        let n = usize::from(self.replicas);
        (0..n)
            .map(|i| AeActor::Replica {
                index: i as u8,
                peers: Id::vec_from((0..n).filter(|&j| j != i)),
                crdt: self.crdt,
                keys: self.keys,
                replicas: self.replicas,
                bug: self.bug,
            })
            .chain(std::iter::once(AeActor::Client {
                writes: self.writes,
                replicas: self.replicas,
                keys: self.keys,
            }))
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        match usize::from(id) {
            i if i == usize::from(self.replicas) => "client".to_string(),
            i => format!("r{i}"),
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lww_merge_is_a_join_and_the_bad_one_is_not() {
        let empty = Store::empty(Crdt::Lww, 1, 2);
        let older = apply_write(&empty, 0, 0, 2);
        let newer = apply_write(&older, 1, 0, 1);
        assert_eq!(newer, Store::Lww(vec![Some(((2, 1), 1))]));
        assert_eq!(merge(&older, &newer, Bug::None), newer);
        assert_eq!(merge(&newer, &older, Bug::None), newer);
        assert!(newer.dominates(&older) && !older.dominates(&newer));
        // The larger value wins: the later write is undone.
        assert_eq!(merge(&newer, &older, Bug::BadMerge), older);
        assert!(older.newer_than(&newer.digest()).is_empty());
        assert_eq!(newer.newer_than(&older.digest()), newer);
    }

    #[test]
    fn gcounter_merge_takes_the_maximum_and_the_bad_one_the_input() {
        let empty = Store::empty(Crdt::GCounter, 1, 2);
        let a = apply_write(&apply_write(&empty, 0, 0, 0), 0, 0, 0);
        let b = apply_write(&empty, 0, 0, 0);
        assert_eq!(merge(&a, &b, Bug::None), a);
        assert_eq!(merge(&a, &b, Bug::BadMerge), b);
        assert!(a.dominates(&b) && !b.dominates(&a));
    }
}
