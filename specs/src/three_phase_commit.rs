//! What three-phase commit must satisfy, and the failure detector and partition it is checked
//! under, made explicit.
//!
//! The actors of `models::three_phase_commit` only see timers fire and messages arrive.
//! [`ThreePcModel`] wraps their `ActorModel` and decides two things the actors cannot:
//!
//! - *When a wait may time out* ([`may_time_out`]). Under `detector=accurate` (Skeen's
//!   synchronous assumption) only when every node waited for is down: crashed, recovered since
//!   (a new life that lost its role), or across a partition's cut. Under `detector=timeout`,
//!   at any time. The same predicate, without the cut, is the simulator's timer gate.
//! - *Whether the network splits* (`partition=true`): once, for good, into the TM with
//!   `rm1..=rm(rms/2)` and the other RMs. The split is the loss of the first message that
//!   crosses the cut (shown in traces as `lost ...`); it is recorded in the model's history
//!   ([`Split`]), after which no message crosses and every node across the cut counts as down.
//!   A one-shot step keeps the state space finite, and the actions stay stateright's own (a
//!   drop), so traces, the explorer, coverage and the runtime need nothing new. The price: the
//!   split happens while some message crosses the cut. A split while nothing crosses would
//!   change nothing until a message would cross, except that a wait across the cut could time
//!   out earlier; those runs are not explored (they only start a side's termination protocol
//!   sooner, and the counterexample needs none of them). On the simulator the nemesis makes its
//!   own partitions, which the timer gate cannot see: `partition=true` runs there without a
//!   gate, under timeouts.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | AC1: no two nodes decide differently (RMs and the TM) |
//! | `commit only if all voted yes` | always | AC3: a commit needs every RM's yes vote |
//! | `all yes and no failure gives commit` | always | AC4: the TM aborts only after a no vote or a (suspected) failure |
//! | `abstraction satisfies atomic-commit` | always | the RM phases form a `TCommit` state |
//! | `all commit` / `all abort` | sometimes | both outcomes are reachable |
//! | `the termination protocol commits` / `... aborts` | sometimes | a backup coordinator decides each way (when the TM can be suspected) |
//! | `non-blocking` | eventually | every operational RM (up, never crashed) decides |
//! | `decision is never reversed` | step | AC2 ([`step_invariants`]) |
//!
//! `non-blocking` is Skeen's claim, for the operational sites: a recovered RM may have missed
//! a decision taken while it was down, and after a total failure of the operational ones it
//! waits for ever (see the model's docs). It holds with `detector=accurate` and any number of
//! crashes, under strong fairness; it is the end state too. AC4 is read as for 2PC: the TM
//! records why it aborted (ghost state that no node acts on).
//!
//! Crashed RMs count with their last state: stateright keeps it, and an RM logs every change
//! of phase at once, so that state is the one it will recover with.
//!
//! `recover=false` makes the checked model crash-stop: no `Recover` action. To every other
//! node and to the detector a recovered node is down just as a crashed one, and
//! `non-blocking` asks nothing of it, so crash-stop is how the claim is checked at 3 RMs with
//! up to every node failing (with recoveries one crash at a time already lets every node go
//! down in turn, and the space is millions of states).

use crate::atomic_commit::{self, RmState as AcRm};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement, SystemModel, TimerGate};
use crate::StepInvariant;
use models::common::CfgError;
use models::three_phase_commit::{
    AbortCause, Backup, Bug, Decision, Detector, Phase, RmState, Split, ThreePcActor, ThreePcCfg,
    ThreePcMsg, ThreePcState, ThreePcTimer, TmPhase, TmState, Vote, TM_ID,
};
use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Id};
use stateright::{Model, Property};
use std::sync::Arc;

/// The actor system without the detector and the partition.
pub type ThreePcActors = ActorModel<ThreePcActor, ThreePcCfg, Option<Split>>;

/// A state of the whole system; its history is the split, once the network has split.
pub type ThreePcSysState = ActorModelState<ThreePcActor, Option<Split>>;

/// An action of the system.
pub type ThreePcAction = ActorModelAction<ThreePcMsg, ThreePcTimer, Vote>;

/// The 3PC actors under an explicit failure detector and, optionally, a partition (see the
/// module docs).
pub struct ThreePcModel {
    pub actors: ThreePcActors,
}

impl ThreePcModel {
    pub fn cfg(&self) -> &ThreePcCfg {
        &self.actors.cfg
    }
}

/// The TM's state (actor 0).
fn tm(s: &ThreePcSysState) -> &TmState {
    match &*s.actor_states[TM_ID] {
        ThreePcState::Tm(tm) => tm,
        ThreePcState::Rm(_) => unreachable!("actor {TM_ID} is the TM"),
    }
}

/// The RMs' states, RM `i + 1` at index `i`.
fn rms(s: &ThreePcSysState) -> impl Iterator<Item = &RmState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        ThreePcState::Rm(rm) => Some(rm),
        ThreePcState::Tm(_) => None,
    })
}

/// The TM's decision, if it has made or learnt one.
fn tm_decision(tm: &TmState) -> Option<Decision> {
    match tm.phase {
        TmPhase::Committed => Some(Decision::Commit),
        TmPhase::Aborted(_) => Some(Decision::Abort),
        TmPhase::Wait { .. } | TmPhase::PreCommitted { .. } => None,
    }
}

/// The `TCommit` state a 3PC state maps to: q is working, w and p are prepared (p is a
/// refinement of prepared that `TCommit` does not see), c and a are decided.
pub fn abstraction(s: &ThreePcSysState) -> Vec<AcRm> {
    rms(s)
        .map(|rm| match rm.phase {
            Phase::Initial => AcRm::Working,
            Phase::Wait | Phase::PreCommitted => AcRm::Prepared,
            Phase::Committed => AcRm::Committed,
            Phase::Aborted => AcRm::Aborted,
        })
        .collect()
}

/// AC1 (Bernstein et al. 1987): no node, RM or TM, has committed while another has aborted.
pub fn agreement<M>(_: &M, s: &ThreePcSysState) -> bool {
    let decisions: Vec<Decision> = rms(s)
        .filter_map(|rm| rm.phase.decision())
        .chain(tm_decision(tm(s)))
        .collect();
    !(decisions.contains(&Decision::Commit) && decisions.contains(&Decision::Abort))
}

/// AC3 (Bernstein et al. 1987): if any node committed, every RM voted yes.
pub fn commit_only_if_all_voted_yes<M>(_: &M, s: &ThreePcSysState) -> bool {
    let committed = rms(s).any(|rm| rm.phase == Phase::Committed)
        || tm_decision(tm(s)) == Some(Decision::Commit);
    !committed || rms(s).all(|rm| rm.vote == Some(Vote::Yes))
}

/// AC4 (Bernstein et al. 1987): the TM aborts only after a no vote or a (suspected) failure.
pub fn all_yes_and_no_failure_gives_commit<M>(_: &M, s: &ThreePcSysState) -> bool {
    match tm(s).phase {
        TmPhase::Aborted(AbortCause::VoteNo) => rms(s).any(|rm| rm.vote == Some(Vote::No)),
        TmPhase::Aborted(AbortCause::Timeout | AbortCause::Recovery | AbortCause::Told) => true,
        TmPhase::Committed | TmPhase::Wait { .. } | TmPhase::PreCommitted { .. } => true,
    }
}

/// Refinement (Gray & Lamport 2006): the RM phases form a consistent, well-typed `TCommit`
/// state.
pub fn abstraction_satisfies_atomic_commit<M>(_: &M, s: &ThreePcSysState) -> bool {
    let abstract_state = abstraction(s);
    let rms = s.actor_states.len() - 1;
    atomic_commit::consistent(&abstract_state) && atomic_commit::type_ok(rms, &abstract_state)
}

/// Non-triviality: every RM committed.
pub fn all_commit<M>(_: &M, s: &ThreePcSysState) -> bool {
    rms(s).all(|rm| rm.phase == Phase::Committed)
}

/// Non-triviality: every RM aborted.
pub fn all_abort<M>(_: &M, s: &ThreePcSysState) -> bool {
    rms(s).all(|rm| rm.phase == Phase::Aborted)
}

/// Skeen 1981, termination protocol: a backup coordinator commits (some RM was pre-committed).
pub fn the_termination_protocol_commits<M>(_: &M, s: &ThreePcSysState) -> bool {
    rms(s).any(|rm| rm.backup == Some(Backup::Decided(Decision::Commit)))
}

/// Skeen 1981, termination protocol: a backup coordinator aborts (no RM was pre-committed).
pub fn the_termination_protocol_aborts<M>(_: &M, s: &ThreePcSysState) -> bool {
    rms(s).any(|rm| rm.backup == Some(Backup::Decided(Decision::Abort)))
}

/// Skeen 1981, nonblocking: every operational RM, up and never crashed, has
/// decided.
pub fn non_blocking<M>(_: &M, s: &ThreePcSysState) -> bool {
    rms(s)
        .zip(s.crashed.iter().skip(TM_ID + 1))
        .all(|(rm, &crashed)| crashed || rm.recovered || rm.phase.decision().is_some())
}

/// Whether the termination protocol can run in `cfg`: some node can be suspected.
fn coordinator_can_be_suspected(cfg: &ThreePcCfg) -> bool {
    cfg.system.crashes > 0 || cfg.detector == Detector::Timeout || cfg.partition
}

/// The state properties of `cfg`, for any model over its states.
fn properties<M: Model<State = ThreePcSysState>>(cfg: &ThreePcCfg) -> Vec<Property<M>> {
    let mut properties = vec![
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
    ];
    // Without a suspicion nobody ever runs the termination protocol: nothing to find.
    if coordinator_can_be_suspected(cfg) {
        properties.push(Property::sometimes(
            "the termination protocol commits",
            the_termination_protocol_commits,
        ));
        properties.push(Property::sometimes(
            "the termination protocol aborts",
            the_termination_protocol_aborts,
        ));
    }
    properties.push(Property::eventually("non-blocking", non_blocking));
    properties
}

/// AC2 (Bernstein et al. 1987): a decision, once made by an RM or by the TM, never changes.
pub fn decision_is_never_reversed<M>(
    _: &M,
    before: &ThreePcSysState,
    after: &ThreePcSysState,
) -> bool {
    let rms_keep = rms(before)
        .zip(rms(after))
        .all(|(b, a)| b.phase.decision().is_none() || a.phase == b.phase);
    let tm_keeps = match (tm_decision(tm(before)), tm_decision(tm(after))) {
        (Some(b), a) => a == Some(b),
        (None, _) => true,
    };
    rms_keep && tm_keeps
}

/// The properties of transitions.
pub fn step_invariants() -> Vec<StepInvariant<ThreePcModel>> {
    vec![StepInvariant {
        name: "decision is never reversed",
        holds: decision_is_never_reversed,
    }]
}

/// Whether `i` and `j` are on different sides of `split`.
fn across(split: &Split, i: usize, j: usize) -> bool {
    split.tm_side.contains(&i) != split.tm_side.contains(&j)
}

/// Whether the accurate detector lets `timer` of node `i` fire, given every node's state and
/// crash flag and, once the network has split, the cut: only if every node waited for is down
/// (crashed, recovered since, or across the cut).
pub fn may_time_out(
    states: &[Arc<ThreePcState>],
    crashed: &[bool],
    split: Option<&Split>,
    i: usize,
    timer: ThreePcTimer,
) -> bool {
    let down =
        |j: usize| crashed[j] || states[j].recovered() || split.is_some_and(|s| across(s, i, j));
    let mut rms = 1..states.len();
    match (&*states[i], timer) {
        (ThreePcState::Tm(tm), ThreePcTimer::VoteTimeout) => match &tm.phase {
            TmPhase::Wait { yes } => rms.all(|j| yes.contains(&Id::from(j)) || down(j)),
            _ => true,
        },
        (ThreePcState::Tm(tm), ThreePcTimer::AckTimeout) => match &tm.phase {
            TmPhase::PreCommitted { acks } => rms.all(|j| acks.contains(&Id::from(j)) || down(j)),
            _ => true,
        },
        (ThreePcState::Rm(rm), ThreePcTimer::LeaderTimeout) => down(usize::from(rm.leader)),
        (ThreePcState::Rm(rm), ThreePcTimer::ReportTimeout) => match &rm.backup {
            Some(Backup::Collecting { reports }) => rms
                .filter(|&j| j != i)
                .all(|j| reports.contains_key(&Id::from(j)) || down(j)),
            _ => true,
        },
        (ThreePcState::Rm(rm), ThreePcTimer::AckTimeout) => match &rm.backup {
            Some(Backup::PreCommitting { waiting }) => {
                waiting.iter().all(|&j| down(usize::from(j)))
            }
            _ => true,
        },
        _ => true,
    }
}

/// [`may_time_out`] without a partition, in the shape of the simulator's timer gate
/// (`impls::sim::TimerGate`): how the runtime realises the accurate detector.
pub fn accurate_gate(
    states: &[Arc<ThreePcState>],
    crashed: &[bool],
    id: Id,
    timer: &ThreePcTimer,
) -> bool {
    may_time_out(states, crashed, None, usize::from(id), *timer)
}

impl Model for ThreePcModel {
    type State = ThreePcSysState;
    type Action = ThreePcAction;

    fn init_states(&self) -> Vec<ThreePcSysState> {
        self.actors.init_states()
    }

    fn actions(&self, s: &ThreePcSysState, actions: &mut Vec<ThreePcAction>) {
        self.actors.actions(s, actions);
        let cfg = self.cfg();
        if !cfg.recover {
            actions.retain(|a| !matches!(a, ActorModelAction::Recover(_)));
        }
        if cfg.partition {
            match &s.history {
                // After the split nothing crosses the cut.
                Some(split) => actions.retain(|a| match a {
                    ActorModelAction::Deliver { src, dst, .. } => {
                        !across(split, usize::from(*src), usize::from(*dst))
                    }
                    _ => true,
                }),
                // Before it, losing any message that crosses the cut splits the network.
                None => {
                    let split = cfg.split();
                    let mut splits: Vec<ThreePcAction> = s
                        .network
                        .iter_deliverable()
                        .filter(|e| across(&split, usize::from(e.src), usize::from(e.dst)))
                        .map(|e| ActorModelAction::Drop(e.to_cloned_msg()))
                        .collect();
                    splits.sort_unstable_by(|a, b| match (a, b) {
                        (ActorModelAction::Drop(x), ActorModelAction::Drop(y)) => x.cmp(y),
                        _ => std::cmp::Ordering::Equal,
                    });
                    splits.dedup();
                    actions.splice(0..0, splits);
                }
            }
        }
        if cfg.detector == Detector::Accurate {
            actions.retain(|a| match a {
                ActorModelAction::Timeout(id, timer) => may_time_out(
                    &s.actor_states,
                    &s.crashed,
                    s.history.as_ref(),
                    usize::from(*id),
                    *timer,
                ),
                _ => true,
            });
        }
    }

    fn next_state(&self, s: &ThreePcSysState, action: ThreePcAction) -> Option<ThreePcSysState> {
        let cfg = self.cfg();
        let splits = cfg.partition
            && s.history.is_none()
            && matches!(&action, ActorModelAction::Drop(e)
                if across(&cfg.split(), usize::from(e.src), usize::from(e.dst)));
        let mut next = self.actors.next_state(s, action)?;
        if splits {
            next.history = Some(cfg.split());
        }
        Some(next)
    }

    fn format_action(&self, action: &ThreePcAction) -> String {
        self.actors.format_action(action)
    }

    fn within_boundary(&self, s: &ThreePcSysState) -> bool {
        Model::within_boundary(&self.actors, s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties(self.cfg())
    }
}

impl SystemModel for ThreePcModel {
    type Actor = ThreePcActor;
    type Cfg = ThreePcCfg;
    type History = Option<Split>;
    fn actors(&self) -> &ThreePcActors {
        &self.actors
    }
}

/// The actor system of `cfg` with the properties above, without the detector and the
/// partition: what the runtime drives, with the detector as a gate on its timers.
pub fn actors(cfg: ThreePcCfg) -> ThreePcActors {
    properties::<ThreePcActors>(&cfg)
        .into_iter()
        .fold(cfg.into_model(), |m, p| {
            m.property(p.expectation, p.name, p.condition)
        })
}

/// The checkable model of `cfg`.
pub fn model(cfg: ThreePcCfg) -> ThreePcModel {
    ThreePcModel {
        actors: actors(cfg),
    }
}

/// The declaration of `three-phase-commit`: Skeen's central-site protocol with the
/// termination protocol of a backup coordinator, under an accurate or a timeout failure
/// detector and optionally a partition, checked against AC1-AC4, non-blocking and the
/// atomic-commit spec. On the simulator the accurate detector is the timer gate; over UDP it
/// is what real timeouts give (a second and more against microseconds, no crash).
pub fn protocol() -> Protocol<ThreePcModel> {
    Protocol::new(
        "three-phase-commit",
        "Three-phase commit: non-blocking under crashes if failures are detected accurately; a partition splits the decision",
        ThreePcCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(ThreePcCfg::RMS, "number of resource managers"))
    .param(Param::choice(
        "detector",
        &["accurate", "timeout"],
        "accurate",
        "when waits time out: only if the nodes waited for are down (synchronous), or any time",
    ))
    .param(Param::bool(
        "partition",
        false,
        "the network may split for good: tm and rm1..rm(rms/2) against the other RMs",
    ))
    .param(Param::bool(
        "recover",
        true,
        "whether the checker may recover a crashed node (false: crash-stop)",
    ))
    .param(Param::choice(
        "bug",
        &["none", "recovery-decides-alone", "backup-commits-uncertain"],
        "none",
        "a broken variant: a recovered RM decides from its log, or a backup commits when all are uncertain",
    ))
    .step_invariants(step_invariants)
    // As for 2PC: a node that crashes and recovers forever must still get what is sent to it
    // again and again.
    .fairness(|_| Fairness::Strong)
    // Quiet after every operational RM decided is the proper end of a transaction.
    .end_states(non_blocking)
    .refinement(|cfg| {
        let spec = atomic_commit::AtomicCommit::new(cfg.rms)?;
        Ok(Some(Refinement::new("atomic-commit", spec, abstraction)))
    })
    .timer_gate(|cfg| {
        (cfg.detector == Detector::Accurate && !cfg.partition)
            .then_some(accurate_gate as TimerGate<ThreePcActor>)
    })
    .actions(|cfg, k| {
        use models::three_phase_commit::ThreePcMsgKind as Msg;
        k.receives("rm", [Msg::CanCommit, Msg::PreCommit, Msg::DoCommit, Msg::Abort])
            .chooses("rm", "vote")
            .receives("tm", [Msg::Yes, Msg::No, Msg::Ack]);
        if coordinator_can_be_suspected(cfg) {
            k.timeout("tm", ThreePcTimer::VoteTimeout)
                .timeout("tm", ThreePcTimer::AckTimeout)
                .timeout("rm", ThreePcTimer::LeaderTimeout)
                .receives("tm", [Msg::DoCommit, Msg::Abort]);
            if cfg.rms > 1 {
                k.timeout("rm", ThreePcTimer::ReportTimeout)
                    .timeout("rm", ThreePcTimer::AckTimeout)
                    .receives("rm", [Msg::StateReq, Msg::StateReport, Msg::Ack]);
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<ThreePcCfg, CfgError> {
    let detector = match p.word("detector") {
        "timeout" => Detector::Timeout,
        _ => Detector::Accurate,
    };
    let bug = match p.word("bug") {
        "recovery-decides-alone" => Bug::RecoveryDecidesAlone,
        "backup-commits-uncertain" => Bug::BackupCommitsUncertain,
        _ => Bug::None,
    };
    Ok(ThreePcCfg::new(
        p.int("rms") as usize,
        system_cfg(p),
        detector,
        p.bool("partition"),
        bug,
    )?
    .with_recover(p.bool("recover")))
}
