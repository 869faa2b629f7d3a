//! What Raft's leader election must satisfy (Ongaro & Ousterhout 2014, section 5.2 and
//! Figure 3): Election Safety, one vote per term, terms that only grow; and, where the schedule
//! allows, that a leader is elected and known.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `at most one leader per term` | always | Election Safety (Figure 3) |
//! | `votes granted at most once per term` | always | no server gives two candidates its vote in one term, its own vote included |
//! | `a leader can be elected` | sometimes | some run elects a leader |
//! | `a leader is elected` | eventually | every run elects a leader |
//! | `every live server knows the leader` | eventually | all servers that are up follow one leader of their term |
//! | `a recorded vote is kept for its term` | step | a server's `votedFor`, once set, stays for the term (Figure 2: persistent) |
//! | `terms never decrease` | step | `currentTerm` is monotone on every server |
//!
//! States include crashed servers' last states (stateright keeps them): a leader that crashed
//! was a leader of its term, and a second leader of that term is a violation even so.
//!
//! # Which votes "votes granted at most once per term" sees
//!
//! The property judges the votes a server actually gave, not its `votedFor`: a server whose
//! `votedFor` never changes within a term may still vote twice (the broken `vote-for-self=false`
//! candidate counts its own vote, leaves `votedFor` empty and then grants a rival's request;
//! `a recorded vote is kept for its term`, which reads `votedFor`, passes it). The votes are a
//! ghost record in each server, [`RaftState::granted`]: `(term, candidate)` for its own vote
//! when it becomes a candidate and for every `Vote { granted: true }` it sends. It is saved
//! with the server's storage at every change (as the refinement's ghost fields are), so a
//! crash, which rebuilds a server from its storage, does not erase it; and no transition reads
//! it, so it changes no behaviour. The alternatives are weaker or costlier: a ghost in the
//! actor state alone is lost in a crash, which is exactly when the broken `durable=false`
//! server votes twice; an invariant over the granted `Vote` messages in the network misses a
//! vote the lossy network (`lossy=true`) has dropped, and a self-vote sends no `Vote` at all
//! (a one-server cluster sends nothing); a history `H` fed by stateright's `record_msg_out`
//! sees messages only, and would change the model's type for the runtime too.
//!
//! The ghost adds no state on a network that never drops: every vote in it is also in the
//! network, which keeps sent messages (the granted `Vote`s, and a self-vote's `RequestVote`
//! broadcast; a lone server's self-votes are its terms), so the pinned unique-state counts are
//! those without it. With `lossy=true` and more than one term it may tell apart states whose
//! votes were dropped.
//!
//! Liveness does *not* hold in the model, and is not meant to: the checker may fire any timer
//! at any time, so candidates can split the vote in every term (the paper, section 5.2: "split
//! votes could repeat indefinitely"). With terms bounded, that run ends when the last term is
//! used up; the checker reports it. Raft's answer is randomised election timeouts, a timing
//! assumption the model checker does not make and the runtime does.

use crate::leader_election::{LeState, LeaderElection};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement};
use crate::StepInvariant;
use models::common::CfgError;
use models::raft_election::{RaftActor, RaftCfg, RaftState, Role};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of Raft's election.
pub type RaftModel = ActorModel<RaftActor, RaftCfg, ()>;

/// A state of the whole cluster.
pub type RaftSysState = ActorModelState<RaftActor, ()>;

fn servers(s: &RaftSysState) -> impl Iterator<Item = &RaftState> {
    s.actor_states.iter().map(|a| &**a)
}

/// Election Safety (Figure 3): at most one leader can be elected in a given term.
pub fn at_most_one_leader_per_term(_: &RaftModel, s: &RaftSysState) -> bool {
    let mut terms: Vec<u64> = servers(s)
        .filter(|r| r.role == Role::Leader)
        .map(|r| r.term)
        .collect();
    let n = terms.len();
    terms.sort_unstable();
    terms.dedup();
    terms.len() == n
}

/// Some server is leader.
pub fn a_leader_is_elected(_: &RaftModel, s: &RaftSysState) -> bool {
    servers(s).any(|r| r.role == Role::Leader)
}

/// A live leader, and every live server in its term following it.
pub fn every_live_server_knows_the_leader(_: &RaftModel, s: &RaftSysState) -> bool {
    let live = || {
        servers(s)
            .zip(&s.crashed)
            .filter(|(_, &c)| !c)
            .map(|(r, _)| r)
    };
    let Some(leader) = live().find(|r| r.role == Role::Leader) else {
        return false;
    };
    live().all(|r| r.term == leader.term && r.leader == leader.leader)
}

/// Every live server is in the last term: no election can follow (the model's bound, not a
/// property of Raft).
pub fn terms_used_up(m: &RaftModel, s: &RaftSysState) -> bool {
    servers(s)
        .zip(&s.crashed)
        .all(|(r, &crashed)| crashed || r.term == m.cfg.max_term)
}

/// Section 5.2: "each server will vote for at most one candidate in a given term", over the
/// votes it gave (the ghost record [`RaftState::granted`], its own vote included).
pub fn votes_granted_at_most_once_per_term(_: &RaftModel, s: &RaftSysState) -> bool {
    // `granted` is sorted by term, so two votes of one term are neighbours.
    servers(s).all(|r| {
        let next = r.granted.iter().skip(1);
        r.granted.iter().zip(next).all(|(a, b)| a.0 != b.0)
    })
}

/// Figure 2: `votedFor` is persistent state, so once set it stays until the term changes.
pub fn a_recorded_vote_is_kept_for_its_term(
    _: &RaftModel,
    before: &RaftSysState,
    after: &RaftSysState,
) -> bool {
    servers(before)
        .zip(servers(after))
        .all(|(b, a)| b.term != a.term || b.voted_for.is_none() || a.voted_for == b.voted_for)
}

/// Figure 2: `currentTerm` increases monotonically.
pub fn terms_never_decrease(_: &RaftModel, before: &RaftSysState, after: &RaftSysState) -> bool {
    servers(before)
        .zip(servers(after))
        .all(|(b, a)| a.term >= b.term)
}

/// How many terms the `leader-election` spec that Raft refines has: its largest. Raft's term
/// `t` (`1..=SPEC_TERMS`; no one is elected in term 0) is the spec's term `t - 1`, so the
/// refinement is checked for `max_term <= SPEC_TERMS`.
pub const SPEC_TERMS: usize = LeaderElection::TERMS_MAX;

/// The `leader-election` spec Raft's election refines: servers `0..nodes` with ids `1..=nodes`,
/// [`SPEC_TERMS`] terms, any node may win.
pub fn spec(nodes: usize) -> LeaderElection {
    let ids = (1..=nodes as u64).collect();
    LeaderElection::new(ids, SPEC_TERMS, false).expect("1..=9 nodes and TERMS_MAX terms are valid")
}

/// The `leader-election` state a cluster state maps to, read from the servers' ghost fields
/// (crashed servers included: stateright keeps their last state, which matches their storage):
/// node `i` is elected in spec term `t - 1` when server `i` became leader in term `t`; its
/// belief is the latest leader it has known. Without the ghost fields it cannot be done from
/// the servers' states: a server forgets its vote and its leader when it adopts a newer term,
/// so once every server has moved on nothing says who led an older term, and the spec's sets of
/// elected nodes never shrink.
pub fn abstraction(s: &RaftSysState) -> LeState {
    let spec_term = |t: u64| (t as usize).checked_sub(1).filter(|&t| t < SPEC_TERMS);
    let mut elected = vec![std::collections::BTreeSet::new(); SPEC_TERMS];
    for (i, r) in servers(s).enumerate() {
        for t in r.led.iter().filter_map(|&t| spec_term(t)) {
            elected[t].insert(i);
        }
    }
    let belief = servers(s)
        .map(|r| {
            r.known
                .and_then(|(t, leader)| spec_term(t).map(|t| (t, usize::from(leader) as u64 + 1)))
        })
        .collect();
    LeState { elected, belief }
}

/// The checkable model: the servers of `cfg` plus every state property above.
pub fn model(cfg: RaftCfg) -> RaftModel {
    cfg.into_model()
        .property(
            Expectation::Always,
            "at most one leader per term",
            at_most_one_leader_per_term,
        )
        .property(
            Expectation::Always,
            "votes granted at most once per term",
            votes_granted_at_most_once_per_term,
        )
        .property(
            Expectation::Sometimes,
            "a leader can be elected",
            a_leader_is_elected,
        )
        .property(
            Expectation::Eventually,
            "a leader is elected",
            a_leader_is_elected,
        )
        .property(
            Expectation::Eventually,
            "every live server knows the leader",
            every_live_server_knows_the_leader,
        )
}

/// The properties of transitions (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<RaftModel>> {
    vec![
        StepInvariant {
            name: "a recorded vote is kept for its term",
            holds: a_recorded_vote_is_kept_for_its_term,
        },
        StepInvariant {
            name: "terms never decrease",
            holds: terms_never_decrease,
        },
    ]
}

/// The declaration of `raft-election`: Raft's leader election, checked for one leader per term
/// and a refinement of `leader-election`.
pub fn protocol() -> Protocol<RaftModel> {
    Protocol::new(
        "raft-election",
        "Raft's leader election: terms, one persistent vote per term, majority wins",
        RaftCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(
        RaftCfg::NODES,
        "number of servers (3 or 5 in practice)",
    ))
    .param(Param::bounded(
        RaftCfg::TERMS,
        "last term a server may start an election for",
    ))
    .param(Param::bool(
        "durable",
        true,
        "whether votedFor is saved before replying (false: lost in a crash, broken)",
    ))
    .param(Param::bool(
        "vote-for-self",
        true,
        "whether a candidate records its own vote in votedFor (false: it may then grant a rival's in the same term, broken)",
    ))
    .step_invariants(step_invariants)
    // Strong fairness: a server that crashes and recovers again and again must still get what
    // is sent to it again and again.
    .fairness(|_| Fairness::Strong)
    // Quiet once every live server knows the leader, or once the terms are used up.
    .end_states(|m, s| every_live_server_knows_the_leader(m, s) || terms_used_up(m, s))
    // The spec models up to SPEC_TERMS terms; beyond, the refinement is not checked.
    .refinement(|cfg| {
        Ok((cfg.max_term as usize <= SPEC_TERMS)
            .then(|| Refinement::new("leader-election", spec(cfg.nodes), abstraction)))
    })
    .actions(|_, k| {
        use models::raft_election::RaftMsgKind as Msg;
        k.timeout("server", models::raft_election::RaftTimer::Election)
            .receives("server", [Msg::RequestVote, Msg::Vote, Msg::Heartbeat]);
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<RaftCfg, CfgError> {
    let cfg = RaftCfg::new(
        p.int("nodes") as usize,
        p.int("terms"),
        p.bool("durable"),
        system_cfg(p),
    )?;
    Ok(cfg.with_vote_for_self(p.bool("vote-for-self")))
}
