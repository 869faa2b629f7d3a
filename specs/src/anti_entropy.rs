//! What anti-entropy reconciliation must satisfy: strong eventual consistency (Shapiro et al.,
//! "Conflict-free replicated data types", SSS 2011, definition 2.3) over the replicated map of
//! `models::anti_entropy`.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `a merged state dominates its inputs` | always | each replica's store is at least the join of its own writes and of everything it merged |
//! | `convergence never goes backwards` | step | no replica's store ever moves down the semilattice |
//! | `replicas converge` | eventually | once the writes are done, every replica holds the same store, the join of every write |
//!
//! The client's writes are bounded, so writes stop on every path; `replicas converge` is then
//! judged under weak fairness (a message in flight is delivered, a set timer fires). The
//! broken merge (`bug=bad-merge`: LWW keeps the larger value, the G-counter the incoming count)
//! breaks the first and, since reconciliation then never agrees, the third.

use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol};
use crate::StepInvariant;
use models::anti_entropy::{merge, AeActor, AeCfg, AeMsg, AeState, Bug, Crdt, ReplicaState};
use models::common::CfgError;
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of a replicated map.
pub type AeModel = ActorModel<AeActor, AeCfg, ()>;

/// A state of the whole system.
pub type AeSysState = ActorModelState<AeActor, ()>;

pub const DOMINATES: &str = "a merged state dominates its inputs";
pub const MONOTONE: &str = "convergence never goes backwards";
pub const CONVERGE: &str = "replicas converge";

/// The replicas' states, replica `i` at index `i`.
pub fn replicas(s: &AeSysState) -> impl Iterator<Item = &ReplicaState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        AeState::Replica(r) => Some(r),
        AeState::Client { .. } => None,
    })
}

/// Shapiro et al., proposition 2.1 (a merge is a least upper bound): each replica's store is
/// at least the correct join of its own writes and its inputs.
pub fn merged_dominates_inputs(_: &AeModel, s: &AeSysState) -> bool {
    replicas(s).all(|r| r.store.dominates(&r.joined))
}

/// Strong eventual consistency: the client is done, no write is in flight, and every replica
/// holds the correct join of every write.
pub fn replicas_converge(m: &AeModel, s: &AeSysState) -> bool {
    let done = s.actor_states.iter().any(|a| match &**a {
        AeState::Client { done } => *done == m.cfg.writes,
        AeState::Replica(_) => false,
    });
    let in_flight = s
        .network
        .iter_deliverable()
        .any(|e| matches!(e.msg, AeMsg::Write { .. }));
    let mut rs = replicas(s);
    let Some(first) = rs.next() else {
        return true;
    };
    let all = replicas(s).fold(first.joined.clone(), |acc, r| {
        merge(&acc, &r.joined, Bug::None)
    });
    done && !in_flight && replicas(s).all(|r| r.store == all)
}

/// Convergence never goes backwards: every replica's store after a step dominates it before.
pub fn monotone(before: &AeSysState, after: &AeSysState) -> bool {
    replicas(before)
        .zip(replicas(after))
        .all(|(b, a)| a.store.dominates(&b.store))
}

/// The properties of transitions (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<AeModel>> {
    vec![StepInvariant {
        name: MONOTONE,
        holds: |_, before, after| monotone(before, after),
    }]
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: AeCfg) -> AeModel {
    cfg.into_model()
        .property(Expectation::Always, DOMINATES, merged_dominates_inputs)
        .property(Expectation::Eventually, CONVERGE, replicas_converge)
}

/// The declaration of `anti-entropy`.
pub fn protocol() -> Protocol<AeModel> {
    Protocol::new(
        "anti-entropy",
        "Anti-entropy (Demers et al. 1987): replicas of an LWW map or a G-counter reconcile pairwise by digests, then missing entries; strong eventual consistency",
        AeCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(AeCfg::REPLICAS, "number of replicas"))
    .param(Param::bounded(AeCfg::KEYS, "keys of the replicated map"))
    .param(Param::bounded(AeCfg::WRITES, "writes the client makes, each at a replica and key it picks"))
    .param(Param::choice(
        "crdt",
        &["lww", "gcounter"],
        "lww",
        "what each key holds: a last-writer-wins register, or a grow-only counter",
    ))
    .param(Param::choice(
        "bug",
        &["none", "bad-merge"],
        "none",
        "a broken merge: LWW keeps the larger value instead of the later stamp, the G-counter the incoming count instead of the maximum",
    ))
    .step_invariants(step_invariants)
    .fairness(|_| Fairness::Weak)
    .end_states(replicas_converge)
    .operations(|cfg| u64::from(cfg.writes))
    .actions(|_, k| {
        use models::anti_entropy::AeMsgKind as Msg;
        use models::anti_entropy::AeTimer;
        k.receives("replica", [Msg::Write, Msg::Digest, Msg::Delta, Msg::Entries, Msg::Done])
            .timeout("replica", AeTimer::Sync)
            .timeout("client", AeTimer::Write)
            .chooses("client", "write");
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<AeCfg, CfgError> {
    let crdt = match p.word("crdt") {
        "gcounter" => Crdt::GCounter,
        _ => Crdt::Lww,
    };
    let bug = match p.word("bug") {
        "bad-merge" => Bug::BadMerge,
        _ => Bug::None,
    };
    AeCfg::new(
        p.int("replicas") as usize,
        p.int("keys") as usize,
        p.int("writes") as usize,
        crdt,
        bug,
        system_cfg(p),
    )
}
