//! Raft's leader election (terms, RequestVote, votes, heartbeats) as stateright actors.
//!
//! # Problem
//!
//! A cluster of `n` servers must elect one leader at a time, despite crashes, message loss,
//! reordering and duplication, and with no clocks to rely on for safety.
//!
//! # Source
//!
//! D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm",
//! USENIX ATC 2014, section 5.2 "Leader election" and Figure 2 (RequestVote RPC, "Rules for
//! Servers"). The properties live in `specs::raft_election`.
//!
//! # Algorithm
//!
//! Every server starts as a follower in term 0 with an election timer.
//!
//! 1. When its election timer fires, a follower or candidate *becomes a candidate*: it increments
//!    `currentTerm`, votes for itself (`votedFor`), saves both, sends `RequestVote` to every
//!    peer and restarts its timer.
//! 2. A server that sees a higher term in any message adopts it, forgets its vote and becomes a
//!    follower (Figure 2, "All Servers").
//! 3. A server grants a `RequestVote` of its current term if it has not voted in that term or
//!    voted for the same candidate; it saves `votedFor` *before* replying (Figure 2: "updated on
//!    stable storage before responding to RPCs").
//! 4. A candidate that collects votes from a majority *becomes leader*: it stops its election
//!    timer and sends `Heartbeat` (an AppendEntries with no entries) to every peer, then again
//!    on a heartbeat timer. A follower or candidate that hears a heartbeat of its term (or newer)
//!    follows that leader and restarts its election timer.
//!
//! # Fault and network model
//!
//! Messages may be delayed, reordered and duplicated, and lost if [`SystemCfg::lossy`]. Servers
//! crash and recover from [`RaftStorage`]. The model checker ignores timer durations, so any
//! timer may fire at any time: it sees every schedule an asynchronous network allows, including
//! split votes over and over. The runtime draws election timeouts at random from
//! [`ELECTION_TIMEOUT_MS`] (Raft's randomised timeouts), which is what makes a leader emerge.
//!
//! # Deviations from the paper
//!
//! - There is no log, so every candidate's log is "up to date" and the vote rule reduces to
//!   "one vote per term". Followers do not answer heartbeats (no AppendEntries response), so a
//!   stale leader steps down only when it sees a higher term in a `RequestVote`.
//! - Terms are bounded ([`RaftCfg::max_term`]): a server in the last term no longer starts
//!   elections, which keeps the state space finite. In the paper the split-vote livelock is an
//!   infinite run; here it is a run that uses up every term without electing a leader.
//! - Heartbeats repeat forever, which keeps the model finite only on the duplicating network
//!   (a message already in flight is not added twice); other networks are refused.
//! - [`RaftCfg::durable`]` = false` is a deliberately broken server that does not persist
//!   `votedFor`: after a crash it may vote twice in one term.
//! - [`RaftCfg::vote_for_self`]` = false` is a deliberately broken candidate that counts its own
//!   vote but does not record it in `votedFor`, so it may grant a rival's `RequestVote` of the
//!   same term: two votes in one term, with `votedFor` never changing once set.
//! - [`RaftState::granted`] is a ghost record of every vote a server has given, its own
//!   included, kept in storage so that it survives crashes; no transition reads it. The
//!   property "votes granted at most once per term" reads it (see `specs::raft_election`).

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::ops::Range;
use std::time::Duration;

/// A term number (the paper's `currentTerm`).
pub type Term = u64;

/// Range of election timeouts in milliseconds (the paper's example: 150-300 ms).
pub const ELECTION_TIMEOUT_MS: Range<u64> = 150..300;

/// Interval between a leader's heartbeats in milliseconds; well below the election timeout.
pub const HEARTBEAT_MS: Range<u64> = 50..51;

/// A message of Raft's leader election.
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
/// Its variants without their fields, [`RaftMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(RaftMsgKind), derive(strum::IntoStaticStr))]
pub enum RaftMsg {
    /// Candidate -> all: vote for me in `term`.
    RequestVote { term: Term },
    /// Reply to RequestVote: the voter's current term and whether it granted its vote.
    Vote { term: Term, granted: bool },
    /// Leader -> all: an empty AppendEntries, asserting leadership in `term`.
    Heartbeat { term: Term },
}

/// Timers: a follower's or candidate's election timeout; a leader's heartbeat interval.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RaftTimer {
    Election,
    Heartbeat,
}

/// A server's role.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Role {
    Follower,
    /// Collecting votes; `votes` holds the servers that granted one (itself included).
    Candidate {
        votes: BTreeSet<Id>,
    },
    Leader,
}

/// A server's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct RaftState {
    // persistent state (also in storage)
    pub term: Term,
    pub voted_for: Option<Id>,
    // volatile state
    pub role: Role,
    /// The leader of `term`, once known (itself if leader).
    pub leader: Option<Id>,
    // ghost state (also in storage): read by no transition, only by the refinement mapping
    // into `leader-election` (`specs::raft_election::abstraction`)
    /// The terms in which this server became leader.
    pub led: BTreeSet<Term>,
    /// The latest leader this server has known, with its term.
    pub known: Option<(Term, Id)>,
    // ghost state (also in storage): read by no transition, only by the property "votes
    // granted at most once per term"
    /// Every vote this server has given, as `(term, candidate)`: its own when it became a
    /// candidate, and each `Vote { granted: true }` it sent.
    pub granted: BTreeSet<(Term, Id)>,
}

/// What a server keeps across crashes: `currentTerm` and `votedFor` (the latter only when
/// [`RaftCfg::durable`]).
/// The ghost fields `led`, `known` and `granted` of [`RaftState`] are kept too (always: they
/// are ghost).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct RaftStorage {
    pub term: Term,
    pub voted_for: Option<Id>,
    pub led: BTreeSet<Term>,
    pub known: Option<(Term, Id)>,
    pub granted: BTreeSet<(Term, Id)>,
}

/// A server: its peers, the majority, the term bound, whether it persists its vote and whether
/// it records its vote for itself.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct RaftActor {
    pub peers: Vec<Id>,
    pub majority: usize,
    pub max_term: Term,
    pub durable: bool,
    pub vote_for_self: bool,
}

fn ms(range: Range<u64>) -> Range<Duration> {
    Duration::from_millis(range.start)..Duration::from_millis(range.end)
}

impl Actor for RaftActor {
    type Msg = RaftMsg;
    type State = RaftState;
    type Timer = RaftTimer;
    type Random = ();
    type Storage = RaftStorage;

    fn name(&self) -> String {
        "server".to_string()
    }

    fn on_start(&self, _id: Id, storage: &Option<RaftStorage>, o: &mut Out<Self>) -> RaftState {
        let saved = storage.clone().unwrap_or(RaftStorage {
            term: 0,
            voted_for: None,
            led: BTreeSet::new(),
            known: None,
            granted: BTreeSet::new(),
        });
        self.arm_election_timer(saved.term, o);
        RaftState {
            term: saved.term,
            voted_for: saved.voted_for,
            role: Role::Follower,
            leader: None,
            led: saved.led,
            known: saved.known,
            granted: saved.granted,
        }
    }

    fn on_msg(&self, id: Id, state: &mut Cow<RaftState>, src: Id, msg: RaftMsg, o: &mut Out<Self>) {
        let term = match msg {
            RaftMsg::RequestVote { term }
            | RaftMsg::Vote { term, .. }
            | RaftMsg::Heartbeat { term } => term,
        };
        if term > state.term {
            self.adopt_term(state.to_mut(), term, o);
        }
        match msg {
            RaftMsg::RequestVote { term } => self.on_request_vote(state, src, term, o),
            RaftMsg::Vote {
                term,
                granted: true,
            } if term == state.term => self.on_vote(id, state, src, o),
            RaftMsg::Vote { .. } => {}
            RaftMsg::Heartbeat { term } if term == state.term => {
                if state.role != Role::Follower || state.leader != Some(src) {
                    let s = state.to_mut();
                    s.role = Role::Follower;
                    s.leader = Some(src);
                    if s.known.is_none_or(|(t, _)| t < term) {
                        s.known = Some((term, src));
                        o.save(self.storage(s));
                    }
                }
                self.arm_election_timer(term, o);
            }
            RaftMsg::Heartbeat { .. } => {}
        }
    }

    fn on_timeout(&self, id: Id, state: &mut Cow<RaftState>, timer: &RaftTimer, o: &mut Out<Self>) {
        match (timer, &state.role) {
            (RaftTimer::Election, Role::Follower | Role::Candidate { .. })
                if state.term < self.max_term =>
            {
                self.become_candidate(id, state.to_mut(), o)
            }
            (RaftTimer::Heartbeat, Role::Leader) => {
                o.broadcast(&self.peers, &RaftMsg::Heartbeat { term: state.term });
                o.set_timer(RaftTimer::Heartbeat, ms(HEARTBEAT_MS));
            }
            // The last term: no more elections (see the module docs).
            _ => {}
        }
    }
}

impl RaftActor {
    /// (Re)starts the election timer, unless `term` is the last one: no election can follow it.
    fn arm_election_timer(&self, term: Term, o: &mut Out<Self>) {
        if term < self.max_term {
            o.set_timer(RaftTimer::Election, ms(ELECTION_TIMEOUT_MS));
        }
    }

    /// The storage that goes with `state`.
    fn storage(&self, state: &RaftState) -> RaftStorage {
        RaftStorage {
            term: state.term,
            voted_for: state.voted_for.filter(|_| self.durable),
            led: state.led.clone(),
            known: state.known,
            granted: state.granted.clone(),
        }
    }

    /// A higher term seen: adopt it, forget the vote, follow (Figure 2, "All Servers").
    fn adopt_term(&self, s: &mut RaftState, term: Term, o: &mut Out<Self>) {
        if s.role == Role::Leader {
            o.cancel_timer(RaftTimer::Heartbeat);
        }
        self.arm_election_timer(term, o);
        s.term = term;
        s.voted_for = None;
        s.role = Role::Follower;
        s.leader = None;
        o.save(self.storage(s));
    }

    /// Section 5.2: increment the term, vote for itself, ask every peer.
    fn become_candidate(&self, id: Id, s: &mut RaftState, o: &mut Out<Self>) {
        s.term += 1;
        // The broken variant counts its own vote below but leaves `votedFor` empty.
        s.voted_for = Some(id).filter(|_| self.vote_for_self);
        s.granted.insert((s.term, id));
        s.role = Role::Candidate {
            votes: BTreeSet::from([id]),
        };
        s.leader = None;
        o.save(self.storage(s));
        o.broadcast(&self.peers, &RaftMsg::RequestVote { term: s.term });
        self.arm_election_timer(s.term, o);
    }

    /// One vote per term, saved before the reply. A refusal is sent only to a candidate of an
    /// older term, which it makes step down; a rival of the same term learns nothing from one.
    fn on_request_vote(&self, state: &mut Cow<RaftState>, src: Id, term: Term, o: &mut Out<Self>) {
        if term < state.term {
            let term = state.term;
            o.send(
                src,
                RaftMsg::Vote {
                    term,
                    granted: false,
                },
            );
            return;
        }
        if state.voted_for.is_some_and(|v| v != src) {
            return;
        }
        if state.voted_for.is_none() {
            let s = state.to_mut();
            s.voted_for = Some(src);
            s.granted.insert((term, src));
            o.save(self.storage(s));
        }
        self.arm_election_timer(term, o);
        o.send(
            src,
            RaftMsg::Vote {
                term,
                granted: true,
            },
        );
    }

    /// A granted vote of the current term; a majority makes the candidate leader.
    fn on_vote(&self, id: Id, state: &mut Cow<RaftState>, src: Id, o: &mut Out<Self>) {
        let Role::Candidate { votes } = &state.role else {
            return;
        };
        if votes.contains(&src) {
            return;
        }
        let mut votes = votes.clone();
        votes.insert(src);
        let s = state.to_mut();
        if votes.len() < self.majority {
            s.role = Role::Candidate { votes };
            return;
        }
        // Become leader.
        s.role = Role::Leader;
        s.leader = Some(id);
        s.led.insert(s.term);
        s.known = Some((s.term, id));
        o.save(self.storage(s));
        o.cancel_timer(RaftTimer::Election);
        o.broadcast(&self.peers, &RaftMsg::Heartbeat { term: s.term });
        o.set_timer(RaftTimer::Heartbeat, ms(HEARTBEAT_MS));
    }
}

/// The parameters of a Raft election cluster.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct RaftCfg {
    /// Number of servers, `1..=NODES_MAX`; 3 or 5 in practice (the checker handles 3, and 5
    /// with one term).
    pub nodes: usize,
    /// The last term a server may start an election for, `1..`; 2 or 3 for the checker, large
    /// for the runtime.
    pub max_term: Term,
    /// Whether `votedFor` is saved (the protocol) or lost in a crash (the broken variant).
    pub durable: bool,
    /// Whether a candidate records its vote for itself in `votedFor` (the protocol) or only
    /// counts it, free to grant a rival's request of the same term (the broken variant). `true`
    /// unless set by [`RaftCfg::with_vote_for_self`].
    pub vote_for_self: bool,
    /// Network and fault settings; the network must be `unordered-duplicating`.
    pub system: SystemCfg,
}

impl RaftCfg {
    /// The largest cluster accepted.
    pub const NODES_MAX: usize = Self::NODES.max as usize;
    /// Servers: 1..=9 (3 or 5 in practice).
    pub const NODES: Bounds = Bounds::new("nodes", 1, 9, 3);
    /// The last term a server may start an election for, as a protocol parameter: 1..=6; 2
    /// shows a second election. [`RaftCfg::new`] takes any term from 1 (runtime runs).
    pub const TERMS: Bounds = Bounds::new("terms", 1, 6, 2);
    /// The racing network with redelivery only: a leader repeats its heartbeat forever, which
    /// only that network absorbs. Up to 9 servers down at once.
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::UnorderedDuplicating],
        "message delivery: racing, with redelivery (the only network that keeps repeated sends finite)",
        9,
    );

    /// A validated configuration.
    pub fn new(
        nodes: usize,
        max_term: Term,
        durable: bool,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::NODES.check_usize(nodes)?;
        // [`RaftCfg::TERMS`] bounds what the checker explores; the runtime may go on longer.
        if max_term == 0 {
            return Err(CfgError::Inconsistent("terms must be at least 1".into()));
        }
        system.check_crashes(nodes)?;
        if system.network != NetworkKind::UnorderedDuplicating {
            return Err(CfgError::Network {
                protocol: "raft-election",
                supported: "unordered-duplicating",
                network: system.network.name(),
            });
        }
        Ok(Self {
            nodes,
            max_term,
            durable,
            vote_for_self: true,
            system,
        })
    }

    /// The same cluster with candidates that record their own vote (`true`, the protocol) or
    /// only count it (`false`, broken: see the module docs).
    pub fn with_vote_for_self(self, vote_for_self: bool) -> Self {
        Self {
            vote_for_self,
            ..self
        }
    }

    /// Votes needed to win: a strict majority.
    pub fn majority(&self) -> usize {
        self.nodes / 2 + 1
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<RaftActor, RaftCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for RaftCfg {
    type Actor = RaftActor;

    fn actors(&self) -> Vec<RaftActor> {
        (0..self.nodes)
            .map(|i| RaftActor {
                peers: (0..self.nodes).filter(|&j| j != i).map(Id::from).collect(),
                majority: self.majority(),
                max_term: self.max_term,
                durable: self.durable,
                vote_for_self: self.vote_for_self,
            })
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        format!("s{}", usize::from(id) + 1)
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::Command;

    fn cfg(durable: bool) -> RaftCfg {
        let system = SystemCfg {
            crashes: 1,
            ..SystemCfg::reliable(NetworkKind::UnorderedDuplicating)
        };
        RaftCfg::new(3, 2, durable, system).unwrap()
    }

    #[test]
    fn new_validates() {
        let system = cfg(true).system;
        assert!(RaftCfg::new(0, 2, true, system).is_err());
        assert!(RaftCfg::new(3, 0, true, system).is_err());
        let ordered = SystemCfg {
            network: NetworkKind::Ordered,
            ..system
        };
        assert!(RaftCfg::new(3, 2, true, ordered)
            .unwrap_err()
            .to_string()
            .contains("unordered-duplicating"));
        assert_eq!(cfg(true).majority(), 2);
    }

    #[test]
    fn a_vote_is_granted_once_per_term_and_saved_first() {
        let server = &cfg(true).actors()[0];
        let mut o = Out::new();
        let start = server.on_start(Id::from(0), &None, &mut o);
        let mut state = Cow::Borrowed(&start);
        let mut o = Out::new();
        let request = RaftMsg::RequestVote { term: 1 };
        server.on_msg(Id::from(0), &mut state, Id::from(1), request, &mut o);
        assert_eq!((state.term, state.voted_for), (1, Some(Id::from(1))));
        assert!(matches!(
            o.last(),
            Some(Command::Send(
                _,
                RaftMsg::Vote {
                    term: 1,
                    granted: true
                }
            ))
        ));
        let saves: Vec<_> = o
            .iter()
            .filter_map(|c| match c {
                Command::Save(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(saves.last().unwrap().voted_for, Some(Id::from(1)));
        let mut o = Out::new();
        let mut state = Cow::Borrowed(&*state);
        server.on_msg(Id::from(0), &mut state, Id::from(2), request, &mut o);
        assert!(
            stateright::actor::is_no_op(&state, &o),
            "no second vote in term 1"
        );
    }

    #[test]
    fn without_durability_the_vote_is_not_saved() {
        let server = &cfg(false).actors()[0];
        let mut o = Out::new();
        let start = server.on_start(Id::from(0), &None, &mut o);
        let mut state = Cow::Borrowed(&start);
        server.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            RaftMsg::RequestVote { term: 1 },
            &mut o,
        );
        assert_eq!(state.voted_for, Some(Id::from(1)));
        assert!(o.iter().all(|c| !matches!(
            c,
            Command::Save(RaftStorage {
                voted_for: Some(_),
                ..
            })
        )));
    }

    #[test]
    fn a_candidate_that_does_not_record_its_own_vote_grants_a_rival() {
        let server = &cfg(true).with_vote_for_self(false).actors()[0];
        let mut o = Out::new();
        let start = server.on_start(Id::from(0), &None, &mut o);
        let mut state = Cow::Borrowed(&start);
        server.on_timeout(Id::from(0), &mut state, &RaftTimer::Election, &mut o);
        assert_eq!((state.term, state.voted_for), (1, None));
        let mut o = Out::new();
        let request = RaftMsg::RequestVote { term: 1 };
        server.on_msg(Id::from(0), &mut state, Id::from(1), request, &mut o);
        assert_eq!(state.voted_for, Some(Id::from(1)));
        // The ghost record has both votes of term 1; the correct server's has one.
        let both = BTreeSet::from([(1, Id::from(0)), (1, Id::from(1))]);
        assert_eq!(state.granted, both);
        let mut saves = o.iter().filter_map(|c| match c {
            Command::Save(s) => Some(s.granted.clone()),
            _ => None,
        });
        assert_eq!(
            saves.next_back(),
            Some(both),
            "the ghost is saved with the vote"
        );
    }

    #[test]
    fn a_majority_of_votes_makes_a_leader() {
        let server = &cfg(true).actors()[0];
        let mut o = Out::new();
        let start = server.on_start(Id::from(0), &None, &mut o);
        let mut state = Cow::Borrowed(&start);
        server.on_timeout(Id::from(0), &mut state, &RaftTimer::Election, &mut o);
        assert_eq!(state.term, 1);
        let vote = RaftMsg::Vote {
            term: 1,
            granted: true,
        };
        server.on_msg(Id::from(0), &mut state, Id::from(2), vote, &mut o);
        assert_eq!(state.role, Role::Leader);
        assert_eq!(state.leader, Some(Id::from(0)));
        // The last term starts no election.
        let mut last = state.into_owned();
        last.role = Role::Follower;
        last.term = 2;
        let mut o = Out::new();
        let mut state = Cow::Borrowed(&last);
        server.on_timeout(Id::from(0), &mut state, &RaftTimer::Election, &mut o);
        assert!(stateright::actor::is_no_op(&state, &o));
    }
}
