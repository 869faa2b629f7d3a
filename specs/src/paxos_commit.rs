//! What Paxos Commit must satisfy, and the failure detector its backup leaders are checked
//! under, made explicit.
//!
//! The actors of `models::paxos_commit` only see timers fire. [`PaxosCommitModel`] wraps their
//! `ActorModel` and decides when a timer may fire ([`may_time_out`]). Under `detector=accurate`
//! the initial leader's vote timer fires only when some RM is crashed, and a backup leader's
//! takeover timer only when every leader below it is down (crashed, or recovered and so no
//! longer leading); under `detector=timeout` either may fire at any time, as 2PC's vote timer
//! does. The same predicate is the simulator's timer gate.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | AC1: no two nodes decide differently (RMs and leaders) |
//! | `commit only if all voted yes` | always | AC3: a commit needs every RM's yes vote |
//! | `all yes and no failure gives commit` | always | AC4: a leader aborts only when some instance chose `Aborted`, after a no vote or a ballot above 0 (a suspected failure) |
//! | `abstraction satisfies atomic-commit` | always | the RM phases form a `TCommit` state |
//! | `all commit` / `all abort` | sometimes | both outcomes are reachable |
//! | `non-blocking` | eventually | every RM that is up decides, while some leader has never failed |
//! | `decision is never reversed` | step | AC2 ([`step_invariants`]) |
//!
//! `non-blocking` is Gray and Lamport's claim: with at most `F` acceptors down and a leader to
//! replace a failed one, the RMs learn the outcome. "A leader to replace it" is read as: some
//! leader has not failed (crashed or recovered); once every leader has, the property no longer
//! demands anything (the model gives each leader one ballot). With more than `F` acceptors
//! down no instance can be chosen and the live RMs wait for ever: the counterexample pinned in
//! `checker/tests/paxos_commit.rs`.
//!
//! Crashed nodes count with their last state: stateright keeps it, and every node logs each
//! change the properties read at once, so that state is the one it recovers with.
//!
//! Two settings narrow the checker's crashes (the simulator's nemesis ignores them):
//! `crashable=leader0-a1` lets only the initial leader and the first acceptor crash, and
//! `recover=false` makes crashes for good. With `crashes=2` they are the smallest model in
//! which, with `F = 1`, a backup leader must take over from a failed leader with an acceptor
//! down: the acceptors are interchangeable, a second acceptor down is the blocking case, and
//! the backup failing too leaves no leader (the README says why nothing else is lost).

use crate::atomic_commit::{self, RmState as AcRm};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement, SystemModel, TimerGate};
use crate::StepInvariant;
use models::common::CfgError;
use models::paxos_commit::{
    AcceptorState, Bug, Crashable, Decision, Detector, LeaderState, PaxosCommitActor,
    PaxosCommitCfg, PaxosCommitMsg, PaxosCommitState, PaxosCommitTimer, RmPhase, RmState, Value,
    Vote,
};
use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Id};
use stateright::{Model, Property};
use std::sync::Arc;

/// The actor system without the detector.
pub type PaxosCommitActors = ActorModel<PaxosCommitActor, PaxosCommitCfg, ()>;

/// A state of the whole system.
pub type PaxosCommitSysState = ActorModelState<PaxosCommitActor, ()>;

/// An action of the system.
pub type PaxosCommitAction = ActorModelAction<PaxosCommitMsg, PaxosCommitTimer, Vote>;

/// The Paxos Commit actors under an explicit failure detector (see the module docs).
pub struct PaxosCommitModel {
    pub actors: PaxosCommitActors,
}

impl PaxosCommitModel {
    pub fn cfg(&self) -> &PaxosCommitCfg {
        &self.actors.cfg
    }
}

/// The RMs' states, in id order.
fn rms(s: &PaxosCommitSysState) -> impl Iterator<Item = &RmState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        PaxosCommitState::Rm(rm) => Some(rm),
        _ => None,
    })
}

/// The leaders' states, in id order (the initial leader first).
fn leaders(s: &PaxosCommitSysState) -> impl Iterator<Item = &LeaderState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        PaxosCommitState::Leader(l) => Some(l),
        _ => None,
    })
}

/// The acceptors' states, in id order.
fn acceptors(s: &PaxosCommitSysState) -> impl Iterator<Item = &AcceptorState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        PaxosCommitState::Acceptor(a) => Some(a),
        _ => None,
    })
}

/// An RM's decision, if it has one.
fn rm_decision(rm: &RmState) -> Option<Decision> {
    match rm.phase {
        RmPhase::Committed => Some(Decision::Commit),
        RmPhase::Aborted => Some(Decision::Abort),
        RmPhase::Working | RmPhase::Prepared => None,
    }
}

/// The `TCommit` state a Paxos Commit state maps to: each RM's phase.
pub fn abstraction(s: &PaxosCommitSysState) -> Vec<AcRm> {
    rms(s)
        .map(|rm| match rm.phase {
            RmPhase::Working => AcRm::Working,
            RmPhase::Prepared => AcRm::Prepared,
            RmPhase::Committed => AcRm::Committed,
            RmPhase::Aborted => AcRm::Aborted,
        })
        .collect()
}

/// AC1 (Bernstein et al. 1987): no node, RM or leader, has committed while another aborted.
pub fn agreement<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    let decisions: Vec<Decision> = rms(s)
        .filter_map(rm_decision)
        .chain(leaders(s).filter_map(LeaderState::decision))
        .collect();
    !(decisions.contains(&Decision::Commit) && decisions.contains(&Decision::Abort))
}

/// AC3 (Bernstein et al. 1987): if any node committed, every RM voted yes.
pub fn commit_only_if_all_voted_yes<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    let committed = rms(s).any(|rm| rm.phase == RmPhase::Committed)
        || leaders(s).any(|l| l.decision() == Some(Decision::Commit));
    !committed || rms(s).all(|rm| rm.vote == Some(Vote::Yes))
}

/// AC4 (Bernstein et al. 1987), as Gray and Lamport's rule gives it: a leader aborts only if
/// some instance chose `Aborted` (a majority of acceptors accepted it), and that value entered
/// the instance by its RM's no vote or by a ballot above 0, which a leader starts only on a
/// suspected failure.
pub fn all_yes_and_no_failure_gives_commit<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    if !leaders(s).any(|l| l.decision() == Some(Decision::Abort)) {
        return true;
    }
    let acceptors: Vec<&AcceptorState> = acceptors(s).collect();
    let quorum = acceptors.len() / 2 + 1;
    let suspected = acceptors.iter().any(|a| a.promised > 0);
    rms(s).enumerate().any(|(i, rm)| {
        let aborted = acceptors
            .iter()
            .filter(|a| matches!(a.accepted[i], Some((_, Value::Aborted))))
            .count();
        aborted >= quorum && (rm.vote == Some(Vote::No) || suspected)
    })
}

/// Refinement (Gray & Lamport 2006): the RM phases form a consistent, well-typed `TCommit`
/// state.
pub fn abstraction_satisfies_atomic_commit<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    let abstract_state = abstraction(s);
    let rms = rms(s).count();
    atomic_commit::consistent(&abstract_state) && atomic_commit::type_ok(rms, &abstract_state)
}

/// Non-triviality: every RM committed.
pub fn all_commit<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    rms(s).all(|rm| rm.phase == RmPhase::Committed)
}

/// Non-triviality: every RM aborted.
pub fn all_abort<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    rms(s).all(|rm| rm.phase == RmPhase::Aborted)
}

/// Gray & Lamport 2006, section 4: every RM that is up has decided, unless every leader has
/// failed (crashed, or recovered and so no longer leading).
pub fn non_blocking<M>(_: &M, s: &PaxosCommitSysState) -> bool {
    let up_rms_decided = s
        .actor_states
        .iter()
        .zip(&s.crashed)
        .all(|(a, &crashed)| match &**a {
            PaxosCommitState::Rm(rm) => crashed || rm_decision(rm).is_some(),
            _ => true,
        });
    let some_leader_never_failed =
        s.actor_states
            .iter()
            .zip(&s.crashed)
            .any(|(a, &crashed)| match &**a {
                PaxosCommitState::Leader(l) => !crashed && !l.recovered,
                _ => false,
            });
    up_rms_decided || !some_leader_never_failed
}

/// The state properties, for any model over the system's states.
fn properties<M: Model<State = PaxosCommitSysState>>() -> Vec<Property<M>> {
    vec![
        Property::always("agreement", agreement),
        Property::always("commit only if all voted yes", commit_only_if_all_voted_yes),
        Property::always(
            "all yes and no failure gives commit",
            all_yes_and_no_failure_gives_commit,
        ),
        Property::always(
            "abstraction satisfies atomic-commit",
            abstraction_satisfies_atomic_commit,
        ),
        Property::sometimes("all commit", all_commit),
        Property::sometimes("all abort", all_abort),
        Property::eventually("non-blocking", non_blocking),
    ]
}

/// AC2 (Bernstein et al. 1987): a decision, once made by an RM or a leader, never changes.
pub fn decision_is_never_reversed<M>(
    _: &M,
    before: &PaxosCommitSysState,
    after: &PaxosCommitSysState,
) -> bool {
    let rms_keep = rms(before)
        .zip(rms(after))
        .all(|(b, a)| rm_decision(b).is_none() || rm_decision(a) == rm_decision(b));
    let leaders_keep = leaders(before)
        .zip(leaders(after))
        .all(|(b, a)| b.decision().is_none() || a.decision() == b.decision());
    rms_keep && leaders_keep
}

/// The properties of transitions.
pub fn step_invariants() -> Vec<StepInvariant<PaxosCommitModel>> {
    vec![StepInvariant {
        name: "decision is never reversed",
        holds: decision_is_never_reversed,
    }]
}

/// Whether the accurate detector lets `timer` of node `i` fire, given every node's state and
/// crash flag: the initial leader's vote timer only when some RM is crashed (its vote may
/// never come), a backup leader's takeover only when every leader below it (every leader
/// state at a lower id) is down, crashed or recovered.
pub fn may_time_out(
    states: &[Arc<PaxosCommitState>],
    crashed: &[bool],
    i: usize,
    timer: PaxosCommitTimer,
) -> bool {
    match timer {
        PaxosCommitTimer::VoteTimeout => states
            .iter()
            .zip(crashed)
            .any(|(s, &crashed)| crashed && matches!(**s, PaxosCommitState::Rm(_))),
        PaxosCommitTimer::Takeover => {
            states[..i]
                .iter()
                .zip(crashed)
                .all(|(s, &crashed)| match &**s {
                    PaxosCommitState::Leader(l) => crashed || l.recovered,
                    _ => true,
                })
        }
    }
}

/// [`may_time_out`] in the shape of the simulator's timer gate (`impls::sim::TimerGate`).
pub fn accurate_gate(
    states: &[Arc<PaxosCommitState>],
    crashed: &[bool],
    id: Id,
    timer: &PaxosCommitTimer,
) -> bool {
    may_time_out(states, crashed, usize::from(id), *timer)
}

impl Model for PaxosCommitModel {
    type State = PaxosCommitSysState;
    type Action = PaxosCommitAction;

    fn init_states(&self) -> Vec<PaxosCommitSysState> {
        self.actors.init_states()
    }

    fn actions(&self, s: &PaxosCommitSysState, actions: &mut Vec<PaxosCommitAction>) {
        self.actors.actions(s, actions);
        let cfg = self.cfg();
        if cfg.crashable != Crashable::Any || !cfg.recover {
            actions.retain(|a| match a {
                ActorModelAction::Crash(id) => cfg.may_crash(*id),
                ActorModelAction::Recover(_) => cfg.recover,
                _ => true,
            });
        }
        if self.cfg().detector == Detector::Accurate {
            actions.retain(|a| match a {
                ActorModelAction::Timeout(id, timer) => {
                    may_time_out(&s.actor_states, &s.crashed, usize::from(*id), *timer)
                }
                _ => true,
            });
        }
    }

    fn next_state(
        &self,
        s: &PaxosCommitSysState,
        action: PaxosCommitAction,
    ) -> Option<PaxosCommitSysState> {
        self.actors.next_state(s, action)
    }

    fn format_action(&self, action: &PaxosCommitAction) -> String {
        self.actors.format_action(action)
    }

    fn within_boundary(&self, s: &PaxosCommitSysState) -> bool {
        Model::within_boundary(&self.actors, s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties()
    }
}

impl SystemModel for PaxosCommitModel {
    type Actor = PaxosCommitActor;
    type Cfg = PaxosCommitCfg;
    type History = ();
    fn actors(&self) -> &PaxosCommitActors {
        &self.actors
    }
}

/// The actor system of `cfg` with the properties above, without the detector: what the
/// runtime drives, with the detector as a gate on its timers.
pub fn actors(cfg: PaxosCommitCfg) -> PaxosCommitActors {
    properties::<PaxosCommitActors>()
        .into_iter()
        .fold(cfg.into_model(), |m, p| {
            m.property(p.expectation, p.name, p.condition)
        })
}

/// The checkable model of `cfg`.
pub fn model(cfg: PaxosCommitCfg) -> PaxosCommitModel {
    PaxosCommitModel {
        actors: actors(cfg),
    }
}

/// The declaration of `paxos-commit`: Gray and Lamport's Paxos Commit, one Paxos instance per
/// RM's vote with `2F + 1` acceptors and replaceable leaders, checked against AC1-AC4,
/// non-blocking and the atomic-commit spec. On the simulator the accurate detector is the
/// timer gate; over UDP it is what real timeouts give (a second and more against
/// microseconds).
pub fn protocol() -> Protocol<PaxosCommitModel> {
    Protocol::new(
        "paxos-commit",
        "Paxos Commit: each RM's vote chosen by Paxos among 2F+1 acceptors; non-blocking with at most F acceptors down",
        PaxosCommitCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(PaxosCommitCfg::RMS, "number of resource managers"))
    .param(Param::bounded(
        PaxosCommitCfg::FAULTS,
        "acceptor failures tolerated (F): 2F+1 acceptors",
    ))
    .param(Param::bounded(
        PaxosCommitCfg::LEADERS,
        "leaders, the initial one included; each runs one ballot",
    ))
    .param(Param::choice(
        "detector",
        &["accurate", "timeout"],
        "accurate",
        "when a backup leader takes over: only if the leaders below it are down, or any time",
    ))
    .param(Param::choice(
        "crashable",
        &["any", "leader0-a1"],
        "any",
        "which nodes the checker may crash: any, or only leader0 and a1",
    ))
    .param(Param::bool(
        "recover",
        true,
        "whether the checker may recover a crashed node (false: crash-stop)",
    ))
    .param(Param::choice(
        "bug",
        &[
            "none",
            "commit-without-all-prepared",
            "accept-lower-ballot",
            "abort-on-timeout",
        ],
        "none",
        "a broken variant: the leader commits on one prepared instance, an acceptor accepts below its promise, or the leader aborts on its timer without a ballot",
    ))
    .step_invariants(step_invariants)
    // As for 2PC and 3PC: a node that crashes and recovers forever must still get what is
    // sent to it again and again.
    .fairness(|_| Fairness::Strong)
    // Quiet once every RM that is up decided is the proper end of a transaction.
    .end_states(non_blocking)
    .refinement(|cfg| {
        let spec = atomic_commit::AtomicCommit::new(cfg.rms)?;
        Ok(Some(Refinement::new("atomic-commit", spec, abstraction)))
    })
    .timer_gate(|cfg| {
        (cfg.detector == Detector::Accurate)
            .then_some(accurate_gate as TimerGate<PaxosCommitActor>)
    })
    .actions(|cfg, k| {
        use models::paxos_commit::PaxosCommitMsgKind as Msg;
        k.receives("rm", [Msg::Prepare, Msg::Commit, Msg::Abort])
            .chooses("rm", "vote")
            .receives("acceptor", [Msg::Phase2aFast])
            .receives("leader", [Msg::Phase2bFast]);
        // Without a suspicion nobody runs a ballot above 0: nothing to find.
        let suspicions = cfg.system.crashes > 0 || cfg.detector == Detector::Timeout;
        if suspicions {
            k.timeout("leader", PaxosCommitTimer::VoteTimeout)
                .receives("leader", [Msg::Phase1b, Msg::Phase2b])
                .receives("acceptor", [Msg::Phase1a, Msg::Phase2a]);
            if cfg.leaders > 1 {
                k.timeout("leader", PaxosCommitTimer::Takeover);
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<PaxosCommitCfg, CfgError> {
    let detector = match p.word("detector") {
        "timeout" => Detector::Timeout,
        _ => Detector::Accurate,
    };
    let bug = match p.word("bug") {
        "commit-without-all-prepared" => Bug::CommitWithoutAllPrepared,
        "accept-lower-ballot" => Bug::AcceptLowerBallot,
        "abort-on-timeout" => Bug::AbortOnTimeout,
        _ => Bug::None,
    };
    let crashable = match p.word("crashable") {
        "leader0-a1" => Crashable::Leader0A1,
        _ => Crashable::Any,
    };
    Ok(PaxosCommitCfg::new(
        p.int("rms") as usize,
        p.int("faults") as usize,
        p.int("leaders") as usize,
        system_cfg(p),
        detector,
        bug,
    )?
    .with_crashes_of(crashable, p.bool("recover")))
}
