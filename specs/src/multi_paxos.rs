//! What multi-Paxos must satisfy: the safety of consensus per slot (Lamport, "Paxos Made
//! Simple", 2001, section 2.1), state-machine replication (same section 3), linearizability of
//! what clients observe (Herlihy & Wing, "Linearizability", ACM TOPLAS 12(3), 1990), and progress
//! once leader changes stop.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | no two replicas learn different commands for one slot |
//! | `replicas apply the same prefix` | always | of any two replicas' applied logs, one is a prefix of the other |
//! | `linearizable` | always | the clients' history has a linearization against one map (stateright's `LinearizabilityTester` over [`models::multi_paxos::KvStore`]) |
//! | `a get reads a put` | sometimes | an answer to a `Get` carries a written value |
//! | `a new leader takes over` | sometimes | a replica leads a ballot after the first |
//! | `every operation completes` | eventually | every client has its answers (leader changes are bounded, so the last leader is stable) |
//! | `applied commands are never undone` | step | a replica's applied log only grows ([`step_invariants`]) |
//! | `promises never decrease` | step | an acceptor's promised ballot never goes down |
//!
//! The replica states the properties read include crashed replicas: stateright keeps a crashed
//! actor's last state, and a replica saves everything but its leadership on every change.
//!
//! The property functions are generic over the model's history, so that the runtime tests can
//! judge the simulator's snapshots (whose history is `()`) with the very same code.

use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol};
use crate::StepInvariant;
use models::common::CfgError;
use models::multi_paxos::Bug;
use models::multi_paxos::{
    Command, History, Leadership, MultiPaxosActor, MultiPaxosCfg, MultiPaxosMsg, MultiPaxosState,
    Op, ReplicaState, INITIAL_VALUE,
};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of multi-Paxos.
pub type MultiPaxosModel = ActorModel<MultiPaxosActor, MultiPaxosCfg, History>;

/// A state of the whole multi-Paxos system.
pub type MultiPaxosSysState = ActorModelState<MultiPaxosActor, History>;

/// The replicas' states, in id order.
pub fn replicas<H>(s: &ActorModelState<MultiPaxosActor, H>) -> impl Iterator<Item = &ReplicaState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        MultiPaxosState::Replica(r) => Some(r),
        MultiPaxosState::Client(_) => None,
    })
}

/// The command a replica knows `slot` holds, if it knows.
fn learned(r: &ReplicaState, slot: usize) -> Option<&Command> {
    r.log.get(slot).or_else(|| r.chosen.get(&slot))
}

/// Consensus safety per slot (Lamport 2001, section 2.1): no two replicas learn different
/// commands for one slot.
pub fn agreement_holds<H>(s: &ActorModelState<MultiPaxosActor, H>) -> bool {
    let all: Vec<&ReplicaState> = replicas(s).collect();
    let top = all
        .iter()
        .map(|r| {
            r.log
                .len()
                .max(r.chosen.keys().next_back().map_or(0, |k| k + 1))
        })
        .max()
        .unwrap_or(0);
    (0..top).all(|slot| {
        let mut known = all.iter().filter_map(|r| learned(r, slot));
        let first = known.next();
        known.all(|c| Some(c) == first)
    })
}

/// State-machine replication (Lamport 2001, section 3): of any two replicas' applied logs, one
/// is a prefix of the other.
pub fn same_prefix_holds<H>(s: &ActorModelState<MultiPaxosActor, H>) -> bool {
    let all: Vec<&ReplicaState> = replicas(s).collect();
    all.iter().enumerate().all(|(i, a)| {
        all[i + 1..].iter().all(|b| {
            let n = a.log.len().min(b.log.len());
            a.log[..n] == b.log[..n]
        })
    })
}

/// Every client has had all its operations answered.
pub fn all_completed<H>(s: &ActorModelState<MultiPaxosActor, H>, ops: u8) -> bool {
    s.actor_states.iter().all(|a| match &**a {
        MultiPaxosState::Client(c) => c.completed >= ops,
        MultiPaxosState::Replica(_) => true,
    })
}

/// Consensus safety per slot; see [`agreement_holds`].
pub fn agreement(_: &MultiPaxosModel, s: &MultiPaxosSysState) -> bool {
    agreement_holds(s)
}

/// State-machine replication; see [`same_prefix_holds`].
pub fn replicas_apply_the_same_prefix(_: &MultiPaxosModel, s: &MultiPaxosSysState) -> bool {
    same_prefix_holds(s)
}

/// Linearizability (Herlihy & Wing 1990): the recorded client history has a linearization.
pub fn linearizable(_: &MultiPaxosModel, s: &MultiPaxosSysState) -> bool {
    s.history.is_linearizable()
}

/// Whether the workload of `cfg` has a get of a key some put writes (otherwise no answer can
/// carry a written value).
pub fn a_get_can_read_a_put(cfg: &MultiPaxosCfg) -> bool {
    let ops: Vec<Op> = (0..cfg.clients)
        .flat_map(|k| (0..cfg.ops).map(move |i| cfg.op(k, i)))
        .collect();
    ops.iter().any(|get| {
        matches!(get, Op::Get(key) if ops.iter().any(|put| matches!(put, Op::Put(k, _) if k == key)))
    })
}

/// Non-triviality: some answer to a `Get` carries a value a client wrote.
pub fn a_get_reads_a_put(_: &MultiPaxosModel, s: &MultiPaxosSysState) -> bool {
    s.network
        .iter_deliverable()
        .any(|e| matches!(e.msg, MultiPaxosMsg::GetOk { value, .. } if *value != INITIAL_VALUE))
}

/// Non-triviality: a replica completed phase 1 of a ballot after the first.
pub fn a_new_leader_takes_over(_: &MultiPaxosModel, s: &MultiPaxosSysState) -> bool {
    replicas(s)
        .any(|r| matches!(r.leader, Some(Leadership::Leading { ballot, .. }) if ballot.0 > 0))
}

/// Progress (Lamport 2001, section 2.4, with leader changes bounded so that the last leader is
/// stable): every client has all its answers.
pub fn every_operation_completes(m: &MultiPaxosModel, s: &MultiPaxosSysState) -> bool {
    all_completed(s, m.cfg.ops)
}

/// The checkable model: the actors of `cfg` plus every state property above.
///
/// The two `sometimes` properties are attached only where the configuration makes them
/// possible: a get must read a key some put writes ([`a_get_can_read_a_put`]), a new leader
/// needs a second ballot.
pub fn model(cfg: MultiPaxosCfg) -> MultiPaxosModel {
    let mut model = cfg
        .into_model()
        .property(Expectation::Always, "agreement", agreement)
        .property(
            Expectation::Always,
            "replicas apply the same prefix",
            replicas_apply_the_same_prefix,
        )
        .property(Expectation::Always, "linearizable", linearizable);
    if a_get_can_read_a_put(&cfg) {
        model = model.property(
            Expectation::Sometimes,
            "a get reads a put",
            a_get_reads_a_put,
        );
    }
    if cfg.ballots >= 2 {
        model = model.property(
            Expectation::Sometimes,
            "a new leader takes over",
            a_new_leader_takes_over,
        );
    }
    model.property(
        Expectation::Eventually,
        "every operation completes",
        every_operation_completes,
    )
}

/// A replica's applied log only grows (what is applied is never rolled back).
pub fn log_only_grows<H>(
    before: &ActorModelState<MultiPaxosActor, H>,
    after: &ActorModelState<MultiPaxosActor, H>,
) -> bool {
    replicas(before)
        .zip(replicas(after))
        .all(|(b, a)| a.log.starts_with(&b.log))
}

/// An acceptor's promise only rises (Lamport 2001, section 2.2, P1a).
pub fn promises_only_rise<H>(
    before: &ActorModelState<MultiPaxosActor, H>,
    after: &ActorModelState<MultiPaxosActor, H>,
) -> bool {
    replicas(before)
        .zip(replicas(after))
        .all(|(b, a)| a.promised >= b.promised)
}

/// The properties of transitions, for checkers that evaluate them (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<MultiPaxosModel>> {
    vec![
        StepInvariant {
            name: "applied commands are never undone",
            holds: |_, b, a| log_only_grows(b, a),
        },
        StepInvariant {
            name: "promises never decrease",
            holds: |_, b, a| promises_only_rise(b, a),
        },
    ]
}

/// The declaration of `multi-paxos`: replicas keeping a replicated log behind a key-value map,
/// and clients using it, checked for per-slot agreement, equal applied prefixes,
/// linearizability and progress.
pub fn protocol() -> Protocol<MultiPaxosModel> {
    Protocol::new(
        "multi-paxos",
        "Multi-Paxos: a leader runs phase 1 once and phase 2 per slot of a replicated log; clients put and get keys of a replicated map",
        MultiPaxosCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(MultiPaxosCfg::REPLICAS, "number of replicas (3 or 5)"))
    .param(Param::bounded(MultiPaxosCfg::CLIENTS, "number of clients"))
    .param(Param::bounded(
        MultiPaxosCfg::OPS,
        "operations per client, one after another (put, get, put, ...)",
    ))
    .param(Param::bounded(
        MultiPaxosCfg::KEYS,
        "keys of the replicated map; client k's operation i uses key (k + i/2) mod keys",
    ))
    .param(Param::bounded(
        MultiPaxosCfg::SLOTS,
        "log slots a leader may propose in (at least clients * ops; leader changes need more, for no-ops and requests proposed twice, or the last request starves)",
    ))
    .param(Param::bounded(
        MultiPaxosCfg::BALLOTS,
        "rounds that may be started, the first included (1: a stable leader; 2: one leader change)",
    ))
    .param(Param::choice(
        "bug",
        &["none", "skip-phase-1", "ignore-key"],
        "none",
        "a deliberately broken variant: a new leader that skips phase 1, or replicas that apply every key to one cell",
    ))
    .param(Param::bounded(
        MultiPaxosCfg::RETRIES,
        "times a client repeats an unanswered request on a timer, per operation",
    ))
    .step_invariants(step_invariants)
    // Without crashes a message stays deliverable until it is delivered, so weak fairness
    // suffices; the election timer only acts while some request is pending.
    .fairness(|_| Fairness::Weak)
    // Quiet after every client has its answers is the proper end of the workload.
    .end_states(every_operation_completes)
    // A run completes every client's operations: that many operations per run.
    .operations(|cfg| (cfg.clients * usize::from(cfg.ops)) as u64)
    .actions(|cfg, k| {
        use models::multi_paxos::MultiPaxosMsgKind as Msg;
        use models::multi_paxos::MultiPaxosTimer as Timer;
        k.receives("replica", [Msg::Put, Msg::Accept, Msg::Accepted, Msg::Chosen])
            .receives("client", [Msg::PutOk]);
        if cfg.clients * usize::from(cfg.ops) > 1 {
            k.receives("replica", [Msg::Get]).receives("client", [Msg::GetOk]);
        }
        if cfg.retries > 0 {
            k.timeout("client", Timer::Retry);
        }
        if cfg.ballots > 1 {
            k.timeout("replica", Timer::Election);
            if cfg.bug != Bug::SkipPhase1 {
                k.receives("replica", [Msg::Prepare, Msg::Promise]);
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<MultiPaxosCfg, CfgError> {
    let bug = match p.word("bug") {
        "skip-phase-1" => Bug::SkipPhase1,
        "ignore-key" => Bug::IgnoreKey,
        _ => Bug::None,
    };
    MultiPaxosCfg::new(
        p.int("replicas") as usize,
        p.int("clients") as usize,
        p.int("ops") as u8,
        p.int("slots") as usize,
        p.int("ballots") as u32,
        system_cfg(p),
        bug,
    )?
    .with_keys(p.int("keys") as u8)
    .map(|cfg| cfg.with_retries(p.int("retries") as u8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::multi_paxos::Bug;
    use stateright::Model;
    use std::collections::HashSet;

    /// The number of reachable states by a search keyed by state *equality*, independent of
    /// every hash-keyed checker (see `two_phase_commit`'s tests for why). The history's
    /// `LinearizabilityTester` has no `Eq` (stateright's `Register` lacks it), so it takes part
    /// through its `Debug` text, which is canonical: the tester keeps `BTreeMap`s and
    /// `VecDeque`s.
    fn count_states(cfg: MultiPaxosCfg) -> usize {
        let model = model(cfg);
        let mut seen = HashSet::new();
        let mut pending = model.init_states();
        let mut actions = Vec::new();
        while let Some(s) = pending.pop() {
            let key = (
                s.actor_states.clone(),
                s.network.clone(),
                s.timers_set.clone(),
                s.crashed.clone(),
                s.actor_storages.clone(),
                format!("{:?}", s.history),
            );
            if !seen.insert(key) {
                continue;
            }
            assert!(agreement(&model, &s) && linearizable(&model, &s));
            model.actions(&s, &mut actions);
            pending.extend(actions.drain(..).filter_map(|a| model.next_state(&s, a)));
        }
        seen.len()
    }

    #[test]
    fn equality_keyed_search_confirms_the_checker_counts() {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        // The checker pins 7859 for `ballots=2 ops=1` (checker/tests/multi_paxos.rs).
        let cfg = MultiPaxosCfg::new(3, 1, 1, 4, 2, system, Bug::None).unwrap();
        assert_eq!(count_states(cfg), 7859);
    }
}
