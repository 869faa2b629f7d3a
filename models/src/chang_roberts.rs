//! Chang and Roberts' leader election on a unidirectional ring, as stateright actors.
//!
//! # Problem
//!
//! Nodes on a ring, each with an id, must agree on one leader: exactly one node declares itself
//! leader, it is the node with the highest id, and every node learns it.
//!
//! # Source
//!
//! E. Chang and R. Roberts, "An improved algorithm for decentralized extrema-finding in circular
//! configurations of processes", CACM 22(5), 1979. The properties live in the `specs` crate
//! (`specs::chang_roberts`), which also maps this protocol onto the abstract
//! `leader-election` spec.
//!
//! # Algorithm
//!
//! Node `i` sends only to node `(i + 1) % n`. Every node starts as an initiator:
//!
//! 1. It sends `Election { id }` with its own id to its successor.
//! 2. On `Election { id }`: a larger id is forwarded; a smaller one is swallowed (the paper's
//!    improvement over Le Lann: a message dies at the first node with a larger id); its own id
//!    back means it went all the way round, so this node has the highest id: it declares itself
//!    leader and sends `Elected { id }`.
//! 3. On `Elected { id }`: a node records the leader and forwards the message, until it comes
//!    back to the leader.
//!
//! The id at ring position `k` (ranked `r` from the smallest) travels until it meets a larger id.
//! With ids rising along the ring (`ascending`) every message but the maximum's dies after one
//! hop: `2n - 1` election messages, the paper's best case. With ids falling along the ring
//! (`descending`) the id ranked `r` travels `r` hops: `n(n + 1) / 2` messages, the worst case.
//! The paper shows about `n H_n`, that is O(n log n), on average over random arrangements. The
//! `n` `Elected` messages come on top.
//!
//! # Fault and network model
//!
//! The paper assumes reliable FIFO channels and no failures. Channels here follow [`SystemCfg`];
//! the default is FIFO (`ordered`). A node may crash if configured: it saves its whole state on
//! every change and restores it on recovery without resending anything, so a crash only delays
//! the ring (messages to a crashed node wait for it). Nothing else tolerates faults.
//!
//! # Deviations from the paper
//!
//! - Every node initiates at start (the paper allows any non-empty set of initiators); the
//!   message counts above assume exactly that.
//! - Ids need not be unique here: duplicate ids (an explicit `ids` list with a repeat) are the
//!   broken variant that shows why the paper requires them unique.
//! - [`CrCfg::forward_smaller`]` = true` is a deliberately broken node with the comparison
//!   turned round: it forwards smaller ids and swallows larger ones, so the minimum goes all the
//!   way round and is elected (once, and learnt by all, but not the maximum).

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;

/// A node's identifier in the paper's sense (compared to find the maximum), not its actor id.
pub type Uid = u64;

/// A message of Chang-Roberts.
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
/// Its variants without their fields, [`CrMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(CrMsgKind), derive(strum::IntoStaticStr))]
pub enum CrMsg {
    /// The candidacy of the node with id `id`, travelling round the ring.
    Election { id: Uid },
    /// The leader's announcement.
    Elected { id: Uid },
}

/// A node's state; saved whole on every change.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct CrState {
    /// This node's id (constant; kept here so traces show it).
    pub id: Uid,
    /// Whether this node declared itself leader.
    pub elected: bool,
    /// The leader's id, once known.
    pub leader: Option<Uid>,
}

/// A node of the ring: its id, its successor and whether it forwards smaller ids (broken).
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct CrActor {
    pub id: Uid,
    pub next: Id,
    pub forward_smaller: bool,
}

impl Actor for CrActor {
    type Msg = CrMsg;
    type State = CrState;
    type Timer = ();
    type Random = ();
    type Storage = CrState;

    fn name(&self) -> String {
        "node".to_string()
    }

    fn on_start(&self, _id: Id, storage: &Option<CrState>, o: &mut Out<Self>) -> CrState {
        // A recovering node resumes where it was and does not repeat its candidacy: the first
        // one is still on the ring (or already swallowed), and repeating it on every recovery
        // would grow the network without bound.
        if let Some(saved) = storage {
            return *saved;
        }
        let state = CrState {
            id: self.id,
            elected: false,
            leader: None,
        };
        o.save(state);
        o.send(self.next, CrMsg::Election { id: self.id });
        state
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<CrState>, _src: Id, msg: CrMsg, o: &mut Out<Self>) {
        match msg {
            CrMsg::Election { id } if id != self.id && self.forwards(id) => o.send(self.next, msg),
            // A smaller id dies here.
            CrMsg::Election { id } if id != self.id => {}
            CrMsg::Election { .. } if !state.elected => {
                let next = self.declare_leader(o);
                *state.to_mut() = next;
            }
            CrMsg::Election { .. } => {}
            // The announcement came back round: everyone knows.
            CrMsg::Elected { id } if state.elected && id == self.id => {}
            CrMsg::Elected { id } => {
                let next = CrState {
                    leader: Some(id),
                    ..**state
                };
                if next != **state {
                    o.save(next);
                    *state.to_mut() = next;
                }
                o.send(self.next, msg);
            }
        }
    }
}

impl CrActor {
    /// Whether a candidacy of another id travels on: a larger one (the paper), or a smaller one
    /// (the broken variant).
    fn forwards(&self, id: Uid) -> bool {
        (id > self.id) != self.forward_smaller
    }

    /// The node's own id came back: it is the maximum; it says so round the ring.
    fn declare_leader(&self, o: &mut Out<Self>) -> CrState {
        let state = CrState {
            id: self.id,
            elected: true,
            leader: Some(self.id),
        };
        o.save(state);
        o.send(self.next, CrMsg::Elected { id: self.id });
        state
    }
}

/// How ids are placed round the ring.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Arrangement {
    /// Node `i` has id `i + 1`: ids rise along the ring (best case, `2n - 1` messages).
    Ascending,
    /// Node `i` has id `n - i`: ids fall along the ring (worst case, `n(n + 1) / 2`).
    Descending,
    /// A permutation of `1..=n` drawn from the seed (a fixed function of it).
    Random(u64),
    /// Exactly these ids, node `i` at index `i`; repeats allowed (the broken variant).
    Explicit(Vec<Uid>),
}

impl Arrangement {
    /// The forms `parse` accepts, for help texts.
    pub const HINT: &'static str = "ascending|descending|random:SEED|ID,ID,...";

    /// Parses `ascending`, `descending`, `random:SEED` or a comma-separated list of ids.
    pub fn parse(text: &str) -> Result<Self, CfgError> {
        match text.trim() {
            "ascending" => Ok(Self::Ascending),
            "descending" => Ok(Self::Descending),
            t => {
                if let Some(seed) = t.strip_prefix("random:") {
                    let seed = seed.trim().parse().map_err(|_| CfgError::Malformed {
                        name: "ids",
                        hint: "random:SEED with an integer seed",
                        text: t.to_string(),
                    })?;
                    return Ok(Self::Random(seed));
                }
                let ids: Result<Vec<Uid>, _> = t.split(',').map(|s| s.trim().parse()).collect();
                ids.map(Self::Explicit).map_err(|_| CfgError::Malformed {
                    name: "ids",
                    hint: "ascending, descending, random:SEED or a list of non-negative integers",
                    text: t.to_string(),
                })
            }
        }
    }

    /// The ids of `nodes` nodes, node `i` at index `i`.
    pub fn ids(&self, nodes: usize) -> Result<Vec<Uid>, CfgError> {
        let n = nodes as Uid;
        match self {
            Self::Ascending => Ok((1..=n).collect()),
            Self::Descending => Ok((1..=n).rev().collect()),
            Self::Random(seed) => Ok(permutation(nodes, *seed)),
            Self::Explicit(ids) if ids.len() == nodes => Ok(ids.clone()),
            Self::Explicit(ids) => Err(CfgError::Inconsistent(format!(
                "ids lists {} ids but there are {nodes} nodes",
                ids.len()
            ))),
        }
    }
}

/// A permutation of `1..=n` from a seed: Fisher-Yates driven by [`SplitMix64`]. Pure
/// arithmetic, so the checker and the runtime place ids identically.
fn permutation(n: usize, seed: u64) -> Vec<Uid> {
    let mut ids: Vec<Uid> = (1..=n as Uid).collect();
    let mut rng = SplitMix64::new(seed);
    for i in (1..n).rev() {
        ids.swap(i, rng.index(i + 1));
    }
    ids
}

/// The parameters of a Chang-Roberts ring.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct CrCfg {
    /// Node `i`'s id at index `i`; at least 1 node and at most [`CrCfg::NODES_MAX`]. The model
    /// checker handles up to about 6 nodes; the runtime, thousands.
    pub ids: Vec<Uid>,
    /// Network and fault settings; `crashes` at most the number of nodes.
    pub system: SystemCfg,
    /// Whether nodes forward smaller ids and swallow larger ones (the broken variant: the
    /// minimum wins) instead of the paper's rule. `false` unless set by
    /// [`CrCfg::with_forward_smaller`].
    pub forward_smaller: bool,
}

impl CrCfg {
    /// Nodes on the ring as a protocol parameter: 1..=12 (12 descending is the largest ring the
    /// checker finishes in seconds); 3 is a good default.
    pub const NODES: Bounds = Bounds::new("nodes", 1, 12, 3);
    /// The largest ring [`CrCfg::new`] accepts, for runtime measurements beyond what the
    /// checker can explore.
    pub const NODES_MAX: usize = 100_000;
    /// Any network (ordered by default, as the paper's ring); up to 9 nodes down at once.
    pub const SYSTEM: SystemBounds = SystemBounds::any_network(NetworkKind::Ordered, 9);

    /// A validated configuration: `nodes` nodes with ids placed by `arrangement`.
    pub fn new(
        nodes: usize,
        arrangement: &Arrangement,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Bounds::new("nodes", 1, Self::NODES_MAX as u64, 3).check_usize(nodes)?;
        system.check_crashes(nodes)?;
        Ok(Self {
            ids: arrangement.ids(nodes)?,
            system,
            forward_smaller: false,
        })
    }

    /// The same ring with the comparison turned round (`true`, broken: see the module docs).
    pub fn with_forward_smaller(self, forward_smaller: bool) -> Self {
        Self {
            forward_smaller,
            ..self
        }
    }

    /// The highest id on the ring.
    pub fn max_id(&self) -> Uid {
        self.ids.iter().copied().max().unwrap_or(0)
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<CrActor, CrCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for CrCfg {
    type Actor = CrActor;

    fn actors(&self) -> Vec<CrActor> {
        let n = self.ids.len();
        self.ids
            .iter()
            .enumerate()
            .map(|(i, &id)| CrActor {
                id,
                next: Id::from((i + 1) % n),
                forward_smaller: self.forward_smaller,
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
    use crate::common::NetworkKind;
    use stateright::actor::Command;

    fn system() -> SystemCfg {
        SystemCfg::reliable(NetworkKind::Ordered)
    }

    #[test]
    fn arrangements_place_ids() {
        let ids = |text: &str, n| Arrangement::parse(text).and_then(|a| a.ids(n));
        assert_eq!(ids("ascending", 3).unwrap(), [1, 2, 3]);
        assert_eq!(ids("descending", 3).unwrap(), [3, 2, 1]);
        assert_eq!(ids("4, 9,1", 3).unwrap(), [4, 9, 1]);
        let mut random = ids("random:7", 50).unwrap();
        assert_eq!(random, ids("random:7", 50).unwrap());
        assert_ne!(random, ids("random:8", 50).unwrap());
        random.sort();
        assert_eq!(random, (1..=50).collect::<Vec<_>>());
        assert!(ids("1,2", 3)
            .unwrap_err()
            .to_string()
            .contains("2 ids but there are 3"));
        assert!(ids("1,x,3", 3).is_err());
        assert!(ids("random:x", 3).is_err());
        assert!(ids("", 3).is_err());
    }

    #[test]
    fn new_validates_sizes() {
        assert!(CrCfg::new(0, &Arrangement::Ascending, system()).is_err());
        let crashes = SystemCfg {
            crashes: 3,
            ..system()
        };
        assert!(CrCfg::new(2, &Arrangement::Ascending, crashes).is_err());
        assert!(CrCfg::new(3, &Arrangement::Ascending, crashes).is_ok());
    }

    #[test]
    fn a_node_forwards_larger_swallows_smaller_and_wins_with_its_own() {
        let cfg = CrCfg::new(3, &Arrangement::Explicit(vec![5, 9, 2]), system()).unwrap();
        let node = &cfg.actors()[0];
        let mut o = Out::new();
        let start = node.on_start(Id::from(0), &None, &mut o);
        assert!(matches!(
            &o[..],
            [Command::Save(_), Command::Send(to, CrMsg::Election { id: 5 })] if *to == Id::from(1)
        ));
        let deliver = |msg| {
            let mut o = Out::new();
            let mut state = Cow::Borrowed(&start);
            node.on_msg(Id::from(0), &mut state, Id::from(2), msg, &mut o);
            (state.into_owned(), o)
        };
        let (s, o) = deliver(CrMsg::Election { id: 9 });
        assert_eq!(s, start);
        assert!(matches!(
            &o[..],
            [Command::Send(_, CrMsg::Election { id: 9 })]
        ));
        let (s, o) = deliver(CrMsg::Election { id: 2 });
        assert_eq!((s, o.len()), (start, 0));
        let (s, o) = deliver(CrMsg::Election { id: 5 });
        assert!(s.elected && s.leader == Some(5));
        assert!(matches!(
            &o[..],
            [Command::Save(_), Command::Send(_, CrMsg::Elected { id: 5 })]
        ));
        // A recovering node restores its state and sends nothing.
        let mut o = Out::new();
        assert_eq!(node.on_start(Id::from(0), &Some(s), &mut o), s);
        assert!(o.is_empty());
        // The broken node turns the comparison round.
        let broken = &cfg.with_forward_smaller(true).actors()[0];
        let mut o = Out::new();
        let mut state = Cow::Borrowed(&start);
        broken.on_msg(
            Id::from(0),
            &mut state,
            Id::from(2),
            CrMsg::Election { id: 2 },
            &mut o,
        );
        assert!(matches!(
            &o[..],
            [Command::Send(_, CrMsg::Election { id: 2 })]
        ));
    }
}
