//! Every property of every registered protocol and spec can fail: for each one that no other
//! test breaks, a broken variant that breaks it, pinned here. Where a parameter setting breaks
//! it, the registry checks that setting; where none does, a *planted* model does: the
//! registered model with one bug planted (an action taken away or added, a step done wrongly,
//! a misconfigured actor), checked by the same engine with the same properties. The table of
//! every property and the variant that breaks it is in the `specs` crate's docs.

use checker::engine::{CheckOptions, Checkable, Pred, Status};
use checker::progress::Progress;
use checker::report::Report;
use checker::target::{ActorTarget, SpecTarget};
use specs::params::Params;
use specs::protocol::{Protocol, Spec};
use specs::{LeadsTo, StepInvariant};
use stateright::actor::{ActorModelAction, ActorModelState};
use stateright::{Model, Property};
use std::sync::Arc;

mod common;
use common::{actions, property};

// ---- Parameter settings ----

/// The parameter settings that break a property no other test pins as broken: (protocol,
/// settings, property, the length of its counterexample, its last action).
const BY_PARAMETER: [(&str, &[&str], &str, usize, &str); 9] = [
    // Every message lost: the TM's abort reaches no RM, and nothing is left to do.
    (
        "two-phase-commit",
        &["lossy=true"],
        "deadlock",
        7,
        "lost tm -> rm3: Abort",
    ),
    // The learner's Accepted messages lost: chosen, never learnt.
    (
        "paxos",
        &["proposers=1", "lossy=true"],
        "a chosen value is learnt",
        9,
        "lost a3 -> l1: Accepted { ballot: (1, Id(0)), value: 0 }",
    ),
    (
        "paxos",
        &["proposers=1", "lossy=true"],
        "deadlock",
        3,
        "lost p1 -> a3: Prepare { ballot: (1, Id(0)) }",
    ),
    // Two coordinators depose each other for ever (a lasso).
    (
        "bully",
        &["detector=unreliable"],
        "no coordinator leads to the highest live node coordinating",
        19,
        "n1 -> n2: HaltAck { incarnation: 0 }",
    ),
    (
        "bully",
        &["lossy=true"],
        "deadlock",
        5,
        "lost n3 -> n2: Halt { incarnation: 0 }",
    ),
    // Three candidates split the last term's vote.
    (
        "raft-election",
        &["terms=1"],
        "every live server knows the leader",
        3,
        "s3: timeout Election",
    ),
    (
        "multi-paxos",
        &["ops=1", "lossy=true"],
        "deadlock",
        3,
        "lost c0 -> r2: Put { req: 0, key: 0, value: 'A' }",
    ),
    // The Prepare lost: the RM never votes, and no failure is there to suspect.
    (
        "paxos-commit",
        &["rms=1", "lossy=true"],
        "deadlock",
        1,
        "lost leader0 -> rm1: Prepare",
    ),
    // Every Lock lost: no contender hears anything again.
    (
        "flp",
        &["lossy=true"],
        "deadlock",
        6,
        "lost c2 -> k3: Lock { epoch: 0 }",
    ),
];

#[test]
fn parameter_settings_break_the_properties_no_other_test_breaks() {
    for (name, settings, prop, len, last) in BY_PARAMETER {
        let opts = match name {
            // The whole space is 219,916 states; the deadlock is at depth 6.
            "flp" => safety_only_up_to(20_000),
            _ => CheckOptions::default(),
        };
        let r = common::check(name, settings, &opts);
        let p = property(&r, prop);
        assert_eq!(p.status, Status::Violated, "{name} {settings:?} {prop}");
        let steps = actions(p);
        assert_eq!(steps.len(), len, "{name} {settings:?} {prop}: {steps:?}");
        assert_eq!(steps.last(), Some(&last), "{name} {settings:?} {prop}");
    }
}

// ---- The planted model ----

/// What a planted bug changes in a model: the actions enabled in a state (after the model's
/// own are listed) and the successor an action leads to.
struct Bug<M: Model> {
    actions: fn(&M, &M::State, &mut Vec<M::Action>),
    next: NextFn<M>,
}

/// The successor of a state under an action, as `Model::next_state` gives it.
type NextFn<M> = fn(&M, &<M as Model>::State, <M as Model>::Action) -> Option<<M as Model>::State>;

impl<M: Model> Bug<M> {
    /// No change.
    fn none() -> Self {
        Self {
            actions: |_, _, _| {},
            next: |m, s, a| m.next_state(s, a),
        }
    }
}

/// A registered model with a bug planted, keeping the model's properties, step invariants,
/// leads-to properties and end states, judged on the planted model's states.
struct Planted<M: Model> {
    inner: M,
    props: Vec<Property<M>>,
    steps: Vec<StepInvariant<M>>,
    leads: Vec<LeadsTo<M>>,
    end: Option<Pred<M>>,
    bug: Bug<M>,
}

impl<M: Model> Model for Planted<M> {
    type State = M::State;
    type Action = M::Action;

    fn init_states(&self) -> Vec<M::State> {
        self.inner.init_states()
    }

    fn actions(&self, s: &M::State, actions: &mut Vec<M::Action>) {
        self.inner.actions(s, actions);
        (self.bug.actions)(&self.inner, s, actions);
    }

    fn next_state(&self, s: &M::State, a: M::Action) -> Option<M::State> {
        (self.bug.next)(&self.inner, s, a)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let table = props::<M>();
        self.props
            .iter()
            .zip(table)
            .map(|(p, condition)| Property {
                expectation: p.expectation.clone(),
                name: p.name,
                condition,
            })
            .collect()
    }
}

/// The most properties (of one kind) a planted model carries over.
const MAX: usize = 12;

// The model's predicates are plain `fn`s taking the model itself; a planted model's must take
// the planted model. The `I`-th of these reads the `I`-th of the model's and applies it to the
// model inside.
fn prop<M: Model, const I: usize>(p: &Planted<M>, s: &M::State) -> bool {
    (p.props[I].condition)(&p.inner, s)
}
fn step<M: Model, const I: usize>(p: &Planted<M>, b: &M::State, a: &M::State) -> bool {
    (p.steps[I].holds)(&p.inner, b, a)
}
fn from<M: Model, const I: usize>(p: &Planted<M>, s: &M::State) -> bool {
    (p.leads[I].from)(&p.inner, s)
}
fn to<M: Model, const I: usize>(p: &Planted<M>, s: &M::State) -> bool {
    (p.leads[I].to)(&p.inner, s)
}
fn end<M: Model>(p: &Planted<M>, s: &M::State) -> bool {
    p.end.is_some_and(|end| end(&p.inner, s))
}

type StatePred<M> = fn(&Planted<M>, &<M as Model>::State) -> bool;
type StepPred<M> = fn(&Planted<M>, &<M as Model>::State, &<M as Model>::State) -> bool;

macro_rules! table {
    ($f:ident, $t:ty) => {
        [
            $f::<M, 0> as $t,
            $f::<M, 1>,
            $f::<M, 2>,
            $f::<M, 3>,
            $f::<M, 4>,
            $f::<M, 5>,
            $f::<M, 6>,
            $f::<M, 7>,
            $f::<M, 8>,
            $f::<M, 9>,
            $f::<M, 10>,
            $f::<M, 11>,
        ]
    };
}

fn props<M: Model>() -> [StatePred<M>; MAX] {
    table!(prop, StatePred<M>)
}
fn steps<M: Model>() -> [StepPred<M>; MAX] {
    table!(step, StepPred<M>)
}
fn froms<M: Model>() -> [StatePred<M>; MAX] {
    table!(from, StatePred<M>)
}
fn tos<M: Model>() -> [StatePred<M>; MAX] {
    table!(to, StatePred<M>)
}

/// `c` with `bug` planted in its model; everything else `c` declares is kept but its symmetry,
/// which a bug need not respect.
fn plant<M: Model>(c: Checkable<M>, bug: Bug<M>) -> Checkable<Planted<M>> {
    let props = c.model.properties();
    assert!(props.len() <= MAX && c.step_invariants.len() <= MAX && c.leads_to.len() <= MAX);
    let step_invariants = c
        .step_invariants
        .iter()
        .zip(steps::<M>())
        .map(|(s, holds)| StepInvariant {
            name: s.name,
            holds,
        })
        .collect();
    let leads_to = c
        .leads_to
        .iter()
        .zip(froms::<M>().into_iter().zip(tos::<M>()))
        .map(|(l, (from, to))| LeadsTo {
            name: l.name,
            from,
            to,
        })
        .collect();
    let end_state = c.end_state.map(|_| end::<M> as Pred<Planted<M>>);
    Checkable {
        model: Planted {
            inner: c.model,
            props,
            steps: c.step_invariants,
            leads: c.leads_to,
            end: c.end_state,
            bug,
        },
        step_invariants,
        leads_to,
        fair_class: c.fair_class,
        fairness: c.fairness,
        symmetry: None,
        fingerprint: c.fingerprint,
        describe: c.describe,
        event: c.event,
        view: c.view,
        end_state,
        refinement: c.refinement,
        action_kind: c.action_kind,
        action_kinds: c.action_kinds,
        compact: None,
    }
}

/// Checks a planted model and reports as the registry does.
fn check_planted<M>(name: &str, params: &Params, c: &Checkable<M>, opts: &CheckOptions) -> Report
where
    M: Model + Sync,
    M::State: Clone + Send + Sync,
    M::Action: Clone + Send,
{
    // The suite's state limit, as for every check through the registry.
    let opts = CheckOptions {
        max_states: Some(opts.max_states.unwrap_or(common::STATES_MAX)),
        ..opts.clone()
    };
    let outcome = c.check(&opts, &Progress::default()).expect("valid options");
    assert!(
        outcome.complete || opts.max_states != Some(common::STATES_MAX),
        "{name}: incomplete after {} unique states",
        outcome.unique_states
    );
    Report::new(name, params, "check-bfs", outcome, c)
}

fn params_of(decl_params: &[specs::params::Param], settings: &[&str]) -> Params {
    let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    Params::resolve(decl_params, &settings).expect("valid settings")
}

/// The registered protocol `decl` at `settings`, ready to plant a bug in.
fn protocol<M: checker::target::ServedModel>(
    decl: &Protocol<M>,
    settings: &[&str],
) -> (Params, Checkable<M>) {
    let params = params_of(&decl.params(), settings);
    let target = ActorTarget::build(decl, &params).expect("a valid configuration");
    (params, target.checkable)
}

/// The registered spec `decl` at `settings`, ready to plant a bug in.
fn spec<M>(decl: &Spec<M>, settings: &[&str]) -> (Params, Checkable<M>)
where
    M: Model + 'static,
    M::State: std::hash::Hash + serde::Serialize,
    M::Action: std::hash::Hash + std::fmt::Debug,
{
    let params = params_of(&decl.params, settings);
    let target = SpecTarget::build(decl, &params).expect("a valid configuration");
    (params, target.checkable)
}

/// A node that loses its storage when it crashes (a wiped disk, or state never saved): it
/// recovers as if it started for the first time. The bug every persistence claim guards against.
fn wipe_storage_on_recovery<M: checker::target::ServedModel>() -> Bug<M> {
    Bug {
        actions: |_, _, _| {},
        next: |m, s, a| match a {
            ActorModelAction::Recover(id) => {
                let mut wiped = s.clone();
                wiped.actor_storages[usize::from(id)] = None;
                m.next_state(&wiped, a)
            }
            _ => m.next_state(s, a),
        },
    }
}

/// Replaces actor `i`'s state in `s` by `edit` of it.
fn edit_actor<A: stateright::actor::Actor, H>(
    s: &mut ActorModelState<A, H>,
    i: usize,
    edit: impl FnOnce(&mut A::State),
) where
    A::State: Clone,
{
    edit(Arc::make_mut(&mut s.actor_states[i]));
}

fn status(r: &Report, name: &str) -> Status {
    property(r, name).status
}

fn safety_only_up_to(max_states: u64) -> CheckOptions {
    CheckOptions {
        safety_only: true,
        max_states: Some(max_states),
        ..CheckOptions::default()
    }
}

// ---- atomic-commit (spec) ----

mod atomic_commit {
    use super::*;
    use specs::atomic_commit::AcAction;

    fn planted(bug: Bug<specs::atomic_commit::AtomicCommit>) -> Report {
        let (params, c) = spec(&specs::atomic_commit::spec(), &["rms=2"]);
        check_planted(
            "atomic-commit",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn without_its_commit_disjunct_no_run_commits_all() {
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|a| !matches!(a, AcAction::DecideCommit(_))),
            ..Bug::none()
        });
        assert_eq!(status(&r, "all committed"), Status::NotFound);
        assert_eq!(status(&r, "all aborted"), Status::Found);
        assert_eq!(status(&r, "deadlock"), Status::Holds);
    }

    #[test]
    fn without_its_abort_disjunct_no_run_aborts_all() {
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|a| !matches!(a, AcAction::DecideAbort(_))),
            ..Bug::none()
        });
        assert_eq!(status(&r, "all aborted"), Status::NotFound);
        assert_eq!(status(&r, "all committed"), Status::Found);
    }

    #[test]
    fn an_rm_that_never_decides_deadlocks() {
        let r = planted(Bug {
            actions: |_, _, a| {
                a.retain(|a| !matches!(a, AcAction::DecideCommit(0) | AcAction::DecideAbort(0)))
            },
            ..Bug::none()
        });
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        // rm1 prepares and can go no further; rm2 aborts, which leaves nothing to do.
        assert_eq!(actions(deadlock), ["rm1 prepares", "rm2 aborts"]);
        assert_eq!(status(&r, "consistency"), Status::Holds);
    }
}

// ---- bracha-broadcast ----

mod bracha_broadcast {
    use super::*;
    use models::bracha_broadcast::BrachaState;

    #[test]
    fn a_process_that_outputs_its_delivery_twice_breaks_integrity() {
        // The planted bug: the step in which a loyal process delivers appends the value twice.
        let (params, c) = protocol(
            &specs::bracha_broadcast::protocol(),
            &["processes=3", "faulty=0"],
        );
        let bug: Bug<specs::bracha_broadcast::BrachaModel> = Bug {
            actions: |_, _, _| {},
            next: |m, s, a| {
                let mut next = m.next_state(s, a)?;
                for i in 0..s.actor_states.len() {
                    let newly = match (&*s.actor_states[i], &*next.actor_states[i]) {
                        (BrachaState::Loyal(before), BrachaState::Loyal(after)) => {
                            before.delivered.is_empty() && !after.delivered.is_empty()
                        }
                        _ => false,
                    };
                    if newly {
                        edit_actor(&mut next, i, |st| {
                            if let BrachaState::Loyal(p) = st {
                                let v = p.delivered[0];
                                p.delivered.push(v);
                            }
                        });
                    }
                }
                Some(next)
            },
        };
        let r = check_planted(
            "bracha-broadcast",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        );
        let integrity = property(&r, "integrity");
        assert_eq!(integrity.status, Status::Violated);
        // With no traitor, n = 3: p1 echoes the sender's value, readies on two echoes and
        // delivers on its own ready (2f + 1 = 1), twice.
        assert_eq!(
            actions(integrity),
            [
                "p0 -> p1: Initial { value: 0 }",
                "p0 -> p1: Echo { value: 0 }"
            ]
        );
        // One value, delivered twice: agreement still holds.
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }
}

// ---- two-phase (spec) ----

mod two_phase {
    use super::*;
    use specs::atomic_commit::RmState;
    use specs::two_phase::{TwoPhase, TwoPhaseAction as A};

    fn planted(bug: Bug<TwoPhase>) -> Report {
        let (params, c) = spec(&specs::two_phase::spec(), &["rms=2"]);
        check_planted(
            "two-phase",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn a_tm_that_commits_before_every_rm_prepared_is_inconsistent() {
        // TMCommit without its guard "tmPrepared = RM".
        let r = planted(Bug {
            actions: |_, s, a| {
                if s.tm_state == specs::two_phase::TmState::Init && !a.contains(&A::TmCommit) {
                    a.push(A::TmCommit);
                }
            },
            ..Bug::none()
        });
        let consistency = property(&r, "consistency");
        assert_eq!(consistency.status, Status::Violated);
        assert_eq!(
            actions(consistency),
            ["rm1 chooses to abort", "tm commits", "rm2 receives Commit"]
        );
        let refines = property(&r, "refines atomic-commit");
        assert_eq!(refines.status, Status::Violated);
        // Committing while rm2 is still working: no TCommit step commits before all prepared.
        assert_eq!(actions(refines), ["tm commits", "rm1 receives Commit"]);
    }

    #[test]
    fn without_tm_commit_no_run_commits_and_without_aborts_none_aborts() {
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|a| *a != A::TmCommit),
            ..Bug::none()
        });
        assert_eq!(status(&r, "all committed"), Status::NotFound);
        assert_eq!(status(&r, "all aborted"), Status::Found);
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|a| !matches!(a, A::TmAbort | A::RmChooseToAbort(_))),
            ..Bug::none()
        });
        assert_eq!(status(&r, "all aborted"), Status::NotFound);
        assert_eq!(status(&r, "all committed"), Status::Found);
    }

    #[test]
    fn an_rm_deaf_to_the_decision_deadlocks_once_receipts_that_change_nothing_are_ignored() {
        // rm1 never receives the decision; a receipt by an RM that has already decided is
        // ignored (no successor) instead of stuttering.
        let r = planted(Bug {
            actions: |_, _, a| {
                a.retain(|a| !matches!(a, A::RmRcvCommitMsg(0) | A::RmRcvAbortMsg(0)))
            },
            next: |m, s, a| match a {
                A::RmRcvCommitMsg(r) | A::RmRcvAbortMsg(r)
                    if matches!(s.rm_state()[r], RmState::Committed | RmState::Aborted) =>
                {
                    None
                }
                _ => m.next_state(s, a),
            },
        });
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        // rm1 prepared and deaf; rm2 aborted, its receipts ignored: no step is left.
        assert_eq!(
            actions(deadlock),
            ["tm aborts", "rm1 prepares", "rm2 chooses to abort"]
        );
    }
}

// ---- consensus (spec) ----

mod consensus {
    use super::*;
    use specs::consensus::{Chosen, Consensus, ConsensusAction::Choose};

    fn planted(bug: Bug<Consensus>) -> Report {
        let (params, c) = spec(&specs::consensus::spec(), &[]);
        check_planted(
            "consensus",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn choose_without_its_guard_chooses_two_values() {
        // The guard "nothing chosen yet" left out: a second value joins the first.
        let r = planted(Bug {
            actions: |m, s, a| {
                if !s.is_empty() {
                    a.extend((0..m.values).filter(|v| !s.contains(v)).map(Choose));
                }
            },
            next: |_, s, Choose(v)| {
                let mut next = s.clone();
                next.insert(v);
                Some(next)
            },
        });
        let agreement = property(&r, "agreement");
        assert_eq!(agreement.status, Status::Violated);
        assert_eq!(actions(agreement), ["choose 0", "choose 1"]);
        assert_eq!(status(&r, "stability"), Status::Holds);
        assert_eq!(status(&r, "validity"), Status::Holds);
    }

    #[test]
    fn choose_out_of_range_chooses_an_unproposed_value() {
        // An off-by-one in the range of proposed values: `values` itself may be chosen.
        let r = planted(Bug {
            actions: |m, s, a| {
                if s.is_empty() {
                    a.push(Choose(m.values));
                }
            },
            next: |_, s, Choose(v)| s.is_empty().then(|| Chosen::from([v])),
        });
        let validity = property(&r, "validity");
        assert_eq!(validity.status, Status::Violated);
        assert_eq!(actions(validity), ["choose 2"]);
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }

    #[test]
    fn a_later_choice_that_overwrites_the_first_breaks_stability() {
        let r = planted(Bug {
            actions: |m, s, a| {
                if !s.is_empty() {
                    a.extend((0..m.values).filter(|v| !s.contains(v)).map(Choose));
                }
            },
            next: |_, _, Choose(v)| Some(Chosen::from([v])),
        });
        let stability = property(&r, "stability");
        assert_eq!(stability.status, Status::Violated);
        assert_eq!(actions(stability), ["choose 0", "choose 1"]);
        // Only ever one value chosen at a time: agreement cannot see it.
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }

    #[test]
    fn no_value_to_choose_is_a_deadlock_and_never_chooses() {
        let r = planted(Bug {
            actions: |_, _, a| a.clear(),
            ..Bug::none()
        });
        assert_eq!(status(&r, "a value is chosen"), Status::Violated);
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        assert!(actions(deadlock).is_empty(), "stuck in the initial state");
    }
}

// ---- linearizable-register (spec) ----

mod linearizable_register {
    use super::*;
    use models::register::{Op, Ret, INITIAL_VALUE};
    use specs::linearizable_register::{LinearizableRegister, RegisterAction};

    fn planted(bug: Bug<LinearizableRegister>) -> Report {
        let (params, c) = spec(&specs::linearizable_register::spec(), &[]);
        check_planted(
            "linearizable-register",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn a_read_that_ignores_the_write_is_not_linearizable() {
        // A read takes effect on a stale copy: it returns the initial value whatever was
        // written, so a read that takes effect after the write returns too old a value.
        let r = planted(Bug {
            next: |m, s, a| {
                let mut next = m.next_state(s, a)?;
                if let RegisterAction::TakeEffect(k) = a {
                    if let Some((Op::Read, Some(ret))) = &mut next.clients[k].pending {
                        *ret = Ret::ReadOk(INITIAL_VALUE);
                    }
                }
                Some(next)
            },
            ..Bug::none()
        });
        let lin = property(&r, "linearizable");
        assert_eq!(lin.status, Status::Violated);
        assert_eq!(
            actions(lin),
            [
                "c0 invokes",
                "c0 takes effect",
                "c0 returns",
                "c1 invokes",
                "c1 takes effect",
                "c1 returns"
            ]
        );
        assert_eq!(status(&r, "every operation completes"), Status::Holds);
    }

    #[test]
    fn operations_that_never_take_effect_never_complete() {
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|a| !matches!(a, RegisterAction::TakeEffect(_))),
            ..Bug::none()
        });
        assert_eq!(status(&r, "every operation completes"), Status::Violated);
        assert_eq!(status(&r, "deadlock"), Status::Violated);
        assert_eq!(status(&r, "linearizable"), Status::Holds);
    }
}

// ---- reliable-channel (spec) ----

mod reliable_channel {
    use super::*;
    use specs::reliable_channel::{ChannelAction, ReliableChannel};

    fn planted(bug: Bug<ReliableChannel>) -> Report {
        let (params, c) = spec(&specs::reliable_channel::spec(), &[]);
        check_planted(
            "reliable-channel",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn an_output_that_repeats_the_last_message_breaks_the_prefix() {
        // An off-by-one in `Output`: the receiver hands over the message it output last again.
        let r = planted(Bug {
            actions: |_, s, a| {
                if !s.output.is_empty() && s.output.len() < s.input.len() {
                    a.push(ChannelAction::Output(0));
                }
            },
            next: |m, s, a| match a {
                ChannelAction::Output(0) => {
                    let mut next = s.clone();
                    next.output.push(*s.output.last()?);
                    Some(next)
                }
                a => m.next_state(s, a),
            },
        });
        let prefix = property(&r, "output is a prefix of input");
        assert_eq!(prefix.status, Status::Violated);
        assert_eq!(
            actions(prefix),
            [
                "the receiver outputs 1 message(s)",
                "the receiver outputs 0 message(s)"
            ]
        );
        assert_eq!(status(&r, "every input is output"), Status::Holds);
    }

    #[test]
    fn a_receiver_that_never_outputs_deadlocks_and_loses_the_stream() {
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|a| matches!(a, ChannelAction::Input(_))),
            ..Bug::none()
        });
        assert_eq!(status(&r, "every input is output"), Status::Violated);
        assert_eq!(status(&r, "deadlock"), Status::Violated);
        assert_eq!(status(&r, "output is a prefix of input"), Status::Holds);
    }
}

// ---- leader-election (spec) ----

mod leader_election {
    use super::*;
    use specs::leader_election::{LeAction, LeaderElection};

    fn planted(settings: &[&str], bug: Bug<LeaderElection>) -> Report {
        let (params, c) = spec(&specs::leader_election::spec(), settings);
        check_planted(
            "leader-election",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn an_election_in_a_term_that_has_a_leader_elects_two() {
        let r = planted(
            &["nodes=2", "terms=1"],
            Bug {
                actions: |m, s, a| {
                    for (term, nodes) in s.elected.iter().enumerate() {
                        let others =
                            (0..m.ids.len()).filter(|n| !nodes.is_empty() && !nodes.contains(n));
                        a.extend(others.map(|node| LeAction::Elect { term, node }));
                    }
                },
                ..Bug::none()
            },
        );
        let one = property(&r, "at most one leader per term");
        assert_eq!(one.status, Status::Violated);
        assert_eq!(
            actions(one),
            ["n1 is elected in term 0", "n2 is elected in term 0"]
        );
    }

    #[test]
    fn learning_a_leader_before_the_election_believes_in_no_one() {
        // Learn enabled in a term with no leader yet: the node believes the first node leads.
        let r = planted(
            &["nodes=2", "terms=1"],
            Bug {
                actions: |_, s, a| {
                    if s.elected[0].is_empty() && s.belief[1].is_none() {
                        a.push(LeAction::Learn { node: 1, term: 0 });
                    }
                },
                next: |m, s, a| match a {
                    LeAction::Learn { node, term } if s.elected[term].is_empty() => {
                        let mut next = s.clone();
                        next.belief[node] = Some((term, m.ids[0]));
                        Some(next)
                    }
                    _ => m.next_state(s, a),
                },
            },
        );
        let beliefs = property(&r, "beliefs name elected leaders");
        assert_eq!(beliefs.status, Status::Violated);
        assert_eq!(actions(beliefs), ["n2 learns the leader of term 0"]);
    }

    #[test]
    fn any_node_elected_where_the_highest_must_win() {
        let r = planted(
            &["nodes=2", "terms=1", "highest-wins=true"],
            Bug {
                actions: |_, s, a| {
                    if s.elected[0].is_empty() {
                        a.push(LeAction::Elect { term: 0, node: 0 });
                    }
                },
                ..Bug::none()
            },
        );
        let highest = property(&r, "the leader has the highest id");
        assert_eq!(highest.status, Status::Violated);
        assert_eq!(actions(highest), ["n1 is elected in term 0"]);
    }

    #[test]
    fn without_elections_no_leader_and_a_deadlock() {
        let r = planted(
            &[],
            Bug {
                actions: |_, _, a| a.retain(|a| !matches!(a, LeAction::Elect { .. })),
                ..Bug::none()
            },
        );
        assert_eq!(status(&r, "a leader is elected"), Status::Violated);
        assert_eq!(status(&r, "deadlock"), Status::Violated);
    }

    #[test]
    fn without_learning_not_every_node_knows_the_leader() {
        let r = planted(
            &[],
            Bug {
                actions: |_, _, a| a.retain(|a| !matches!(a, LeAction::Learn { .. })),
                ..Bug::none()
            },
        );
        assert_eq!(status(&r, "a leader is elected"), Status::Holds);
        let knows = property(&r, "every node knows the leader");
        assert_eq!(knows.status, Status::Violated);
        assert_eq!(
            actions(knows),
            ["n1 is elected in term 0", "n1 is elected in term 1"]
        );
    }
}

// ---- two-phase-commit ----

mod two_phase_commit {
    use super::*;
    use models::two_phase_commit::{
        AbortCause, Decision, TmPhase, TmState, TwoPcState, TwoPcStorage, TwoPcTimer, Vote, TM_ID,
    };
    use specs::two_phase_commit::TwoPcModel;

    fn planted(bug: Bug<TwoPcModel>) -> Report {
        let (params, c) = protocol(&specs::two_phase_commit::protocol(), &["rms=2"]);
        check_planted(
            "two-phase-commit",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn a_tm_that_logs_its_timeout_abort_as_a_no_vote_breaks_ac4() {
        // A copy-paste slip: the vote timer's abort is recorded with cause VoteNo.
        let r = planted(Bug {
            next: |m, s, a| {
                let timeout = matches!(a, ActorModelAction::Timeout(_, TwoPcTimer::VoteTimeout));
                let mut next = m.next_state(s, a)?;
                if timeout {
                    let cause = Some(AbortCause::VoteNo);
                    edit_actor(&mut next, TM_ID, |tm| {
                        *tm = TwoPcState::Tm(TmState {
                            phase: TmPhase::Decided {
                                decision: Decision::Abort,
                                cause,
                            },
                        })
                    });
                    next.actor_storages[TM_ID] = Some(TwoPcStorage::Tm {
                        decision: Some(Decision::Abort),
                        cause,
                    });
                }
                Some(next)
            },
            ..Bug::none()
        });
        let ac4 = property(&r, "all yes and no failure gives commit");
        assert_eq!(ac4.status, Status::Violated);
        assert_eq!(actions(ac4), ["tm: timeout VoteTimeout"]);
        for name in ["agreement", "commit only if all voted yes", "refinement"] {
            assert_eq!(status(&r, name), Status::Holds, "{name}");
        }
    }

    #[test]
    fn rms_that_cannot_vote_yes_never_all_commit() {
        let r = planted(Bug {
            actions: |_, _, a| {
                a.retain(|a| {
                    !matches!(
                        a,
                        ActorModelAction::SelectRandom {
                            random: Vote::Yes,
                            ..
                        }
                    )
                })
            },
            ..Bug::none()
        });
        assert_eq!(status(&r, "all commit"), Status::NotFound);
        assert_eq!(status(&r, "all abort"), Status::Found);
    }

    #[test]
    fn a_system_with_no_way_to_abort_never_all_aborts() {
        // RMs that can only vote yes, and a TM without its vote timer.
        let r = planted(Bug {
            actions: |_, _, a| {
                a.retain(|a| {
                    !matches!(
                        a,
                        ActorModelAction::SelectRandom {
                            random: Vote::No,
                            ..
                        } | ActorModelAction::Timeout(_, TwoPcTimer::VoteTimeout)
                    )
                })
            },
            ..Bug::none()
        });
        assert_eq!(status(&r, "all abort"), Status::NotFound);
        assert_eq!(status(&r, "all commit"), Status::Found);
    }
}

// ---- three-phase-commit ----

mod three_phase_commit {
    use super::*;
    use models::three_phase_commit::{
        AbortCause, Phase, ThreePcMsg, ThreePcState, ThreePcStorage, ThreePcTimer, TmPhase,
        TmState, Vote, TM_ID,
    };
    use specs::three_phase_commit::{ThreePcAction, ThreePcSysState};

    #[test]
    fn a_tm_that_logs_its_timeout_abort_as_a_no_vote_breaks_ac4() {
        // The same slip as 2PC's: the vote timer's abort is recorded with cause VoteNo. The
        // timer fires only when an RM that has not voted yes is down, hence the crash.
        let (params, c) = protocol(
            &specs::three_phase_commit::protocol(),
            &["rms=1", "crashes=1"],
        );
        let bug: Bug<specs::three_phase_commit::ThreePcModel> = Bug {
            next: |m, s, a| {
                let timeout = matches!(a, ActorModelAction::Timeout(_, ThreePcTimer::VoteTimeout));
                let mut next = m.next_state(s, a)?;
                if timeout {
                    edit_actor(&mut next, TM_ID, |tm| {
                        *tm = ThreePcState::Tm(TmState {
                            phase: TmPhase::Aborted(AbortCause::VoteNo),
                            recovered: false,
                        })
                    });
                    next.actor_storages[TM_ID] = Some(ThreePcStorage::Tm {
                        phase: Phase::Aborted,
                        cause: Some(AbortCause::VoteNo),
                    });
                }
                Some(next)
            },
            ..Bug::none()
        };
        let r = check_planted(
            "three-phase-commit",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        );
        let ac4 = property(&r, "all yes and no failure gives commit");
        assert_eq!(ac4.status, Status::Violated);
        assert_eq!(actions(ac4), ["rm1 crashes", "tm: timeout VoteTimeout"]);
        for name in ["agreement", "commit only if all voted yes", "refinement"] {
            assert_eq!(status(&r, name), Status::Holds, "{name}");
        }
    }

    type Model3pc = specs::three_phase_commit::ThreePcModel;

    fn planted(settings: &[&str], bug: Bug<Model3pc>) -> Report {
        let (params, c) = protocol(&specs::three_phase_commit::protocol(), settings);
        check_planted(
            "three-phase-commit",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    /// Whether `a` is an RM's random choice of `vote`.
    fn chooses(a: &ThreePcAction, vote: Vote) -> bool {
        matches!(a, ActorModelAction::SelectRandom { random, .. } if *random == vote)
    }

    /// Whether the TM of `s` has committed.
    fn tm_committed(s: &ThreePcSysState) -> bool {
        matches!(&*s.actor_states[TM_ID], ThreePcState::Tm(tm) if tm.phase == TmPhase::Committed)
    }

    /// Whether the TM of `s` still waits for votes (it has sent no PreCommit).
    fn tm_waits_for_votes(s: &ThreePcSysState) -> bool {
        matches!(&*s.actor_states[TM_ID], ThreePcState::Tm(tm) if matches!(tm.phase, TmPhase::Wait { .. }))
    }

    #[test]
    fn rms_that_cannot_vote_yes_never_all_commit() {
        let r = planted(
            &["rms=2"],
            Bug {
                actions: |_, _, a| a.retain(|a| !chooses(a, Vote::Yes)),
                ..Bug::none()
            },
        );
        assert_eq!(status(&r, "all commit"), Status::NotFound);
        assert_eq!(status(&r, "all abort"), Status::Found);
    }

    #[test]
    fn rms_that_cannot_vote_no_never_all_abort() {
        // Without a crash nothing times out, so only a No vote can abort.
        let r = planted(
            &["rms=2"],
            Bug {
                actions: |_, _, a| a.retain(|a| !chooses(a, Vote::No)),
                ..Bug::none()
            },
        );
        assert_eq!(status(&r, "all abort"), Status::NotFound);
        assert_eq!(status(&r, "all commit"), Status::Found);
    }

    #[test]
    fn a_tm_that_crashes_only_before_any_pre_commit_never_lets_a_backup_commit() {
        // The backup commits only if some RM reached p, which needs a PreCommit: from the
        // TM, or from a backup that found some RM in p. With the TM crashing only in w1, no
        // PreCommit is ever sent while it is suspected.
        let r = planted(
            &["rms=2", "crashes=1"],
            Bug {
                actions: |_, s, a| {
                    let waits = tm_waits_for_votes(s);
                    a.retain(|a| !matches!(a, ActorModelAction::Crash(id) if usize::from(*id) == TM_ID && !waits))
                },
                ..Bug::none()
            },
        );
        assert_eq!(
            status(&r, "the termination protocol commits"),
            Status::NotFound
        );
        assert_eq!(status(&r, "the termination protocol aborts"), Status::Found);
        for name in ["agreement", "non-blocking", "refinement"] {
            assert_eq!(status(&r, name), Status::Holds, "{name}");
        }
    }

    #[test]
    fn a_tm_that_crashes_only_after_it_committed_never_lets_a_backup_abort() {
        // A backup aborts only if some RM aborted or all it heard from are uncertain; once
        // the TM committed every RM voted yes and got its PreCommit, so neither can be.
        let r = planted(
            &["rms=2", "crashes=1"],
            Bug {
                actions: |_, s, a| {
                    let committed = tm_committed(s);
                    a.retain(|a| !matches!(a, ActorModelAction::Crash(id) if usize::from(*id) == TM_ID && !committed))
                },
                ..Bug::none()
            },
        );
        assert_eq!(
            status(&r, "the termination protocol aborts"),
            Status::NotFound
        );
        assert_eq!(
            status(&r, "the termination protocol commits"),
            Status::Found
        );
        for name in ["agreement", "non-blocking", "refinement"] {
            assert_eq!(status(&r, name), Status::Holds, "{name}");
        }
    }

    #[test]
    fn an_rm_deaf_to_the_decision_deadlocks() {
        // rm1 never receives DoCommit or Abort. Without a crash no wait may time out, so once
        // the others decided nothing is left to do, and rm1 has not decided.
        let r = planted(
            &["rms=2"],
            Bug {
                actions: |_, _, a| {
                    a.retain(|a| {
                        !matches!(a, ActorModelAction::Deliver { dst, msg: ThreePcMsg::DoCommit | ThreePcMsg::Abort, .. } if usize::from(*dst) == 1)
                    })
                },
                ..Bug::none()
            },
        );
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        // rm2 votes no and the TM aborts; rm1, deaf to the Abort, stays in w (its Yes to the
        // aborted TM changes nothing and is no step).
        assert_eq!(
            actions(deadlock),
            [
                "tm -> rm1: CanCommit",
                "tm -> rm2: CanCommit",
                "rm1 chooses vote = Yes",
                "rm2 chooses vote = No",
                "rm2 -> tm: No",
            ]
        );
        let last = &deadlock.trace.as_ref().unwrap().last().unwrap().state;
        let rm1 = &last["actors"]["rm1"]["state"]["Rm"]["phase"];
        assert!(
            ["Initial", "Wait", "PreCommitted"].contains(&rm1.as_str().unwrap()),
            "{rm1}"
        );
        assert_eq!(status(&r, "non-blocking"), Status::Violated);
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }
}

// ---- paxos-commit ----

mod paxos_commit {
    use super::*;
    use models::paxos_commit::{PaxosCommitTimer, Vote};
    use specs::paxos_commit::PaxosCommitModel;

    fn planted(bug: Bug<PaxosCommitModel>) -> Report {
        let (params, c) = protocol(&specs::paxos_commit::protocol(), &["rms=2"]);
        check_planted(
            "paxos-commit",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn rms_that_cannot_vote_yes_never_all_commit() {
        let r = planted(Bug {
            actions: |_, _, a| {
                a.retain(|a| {
                    !matches!(
                        a,
                        ActorModelAction::SelectRandom {
                            random: Vote::Yes,
                            ..
                        }
                    )
                })
            },
            ..Bug::none()
        });
        assert_eq!(status(&r, "all commit"), Status::NotFound);
        assert_eq!(status(&r, "all abort"), Status::Found);
    }

    #[test]
    fn a_backup_leader_that_never_takes_over_blocks_the_rms() {
        // The paper's claim, with at most F acceptors down and a leader left: leader0 fails
        // and leader1, live, never runs its ballot. The RM waits for ever.
        let (params, c) = protocol(
            &specs::paxos_commit::protocol(),
            &[
                "rms=1",
                "crashable=leader0-a1",
                "crashes=2",
                "recover=false",
            ],
        );
        let bug: Bug<PaxosCommitModel> = Bug {
            actions: |_, _, a| {
                a.retain(|a| !matches!(a, ActorModelAction::Timeout(_, PaxosCommitTimer::Takeover)))
            },
            ..Bug::none()
        };
        let r = check_planted(
            "paxos-commit",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        );
        let p = property(&r, "non-blocking");
        assert_eq!(p.status, Status::Violated);
        // leader0 and a1 down, rm1's vote chosen by a2 and a3 in ballot 0; nobody left
        // leading hears it, and leader1, live, never runs its ballot.
        assert_eq!(
            actions(p),
            [
                "leader0 -> rm1: Prepare",
                "leader0 crashes",
                "a1 crashes",
                "rm1 chooses vote = Yes",
                "rm1 -> a2: Phase2aFast { value: Prepared }",
                "rm1 -> a3: Phase2aFast { value: Prepared }",
            ]
        );
        for name in ["agreement", "refinement"] {
            assert_eq!(status(&r, name), Status::Holds, "{name}");
        }
    }

    #[test]
    fn rms_that_cannot_vote_no_never_all_abort() {
        // Without a crash nobody is suspected, so no ballot can choose Aborted either.
        let r = planted(Bug {
            actions: |_, _, a| {
                a.retain(|a| {
                    !matches!(
                        a,
                        ActorModelAction::SelectRandom {
                            random: Vote::No,
                            ..
                        }
                    )
                })
            },
            ..Bug::none()
        });
        assert_eq!(status(&r, "all abort"), Status::NotFound);
        assert_eq!(status(&r, "all commit"), Status::Found);
    }
}

// ---- paxos ----

mod paxos {
    use super::*;
    use models::paxos::PaxosActor;
    use specs::paxos::PaxosModel;

    /// The default configuration (2 proposers, 3 acceptors, 1 learner) with `edit` applied
    /// to its actors.
    fn misconfigured(settings: &[&str], edit: fn(&mut PaxosActor)) -> Report {
        let (params, mut c) = protocol(&specs::paxos::protocol(), settings);
        c.model.actors.iter_mut().for_each(edit);
        let c = plant(c, Bug::none());
        check_planted("paxos", &params, &c, &CheckOptions::default())
    }

    #[test]
    fn a_proposer_with_a_value_nobody_proposed_breaks_validity() {
        let r = misconfigured(&["proposers=1"], |a| {
            if let PaxosActor::Proposer { value, .. } = a {
                *value = 7;
            }
        });
        let validity = property(&r, "validity");
        assert_eq!(validity.status, Status::Violated);
        assert_eq!(
            actions(validity).last(),
            Some(&"p1 -> a2: Accept { ballot: (1, Id(0)), value: 7 }")
        );
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }

    #[test]
    fn a_learner_that_trusts_one_acceptor_learns_an_unchosen_value() {
        let r = misconfigured(&[], |a| {
            if let PaxosActor::Learner { quorum } = a {
                *quorum = 1;
            }
        });
        let learnt = property(&r, "only a chosen value is learnt");
        assert_eq!(learnt.status, Status::Violated);
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }

    #[test]
    fn acceptors_that_never_tell_the_learners_let_nothing_be_learnt() {
        let r = misconfigured(&[], |a| {
            if let PaxosActor::Acceptor { learners, .. } = a {
                learners.clear();
            }
        });
        assert_eq!(status(&r, "a value is learnt"), Status::NotFound);
        assert_eq!(status(&r, "a chosen value is learnt"), Status::Violated);
        assert_eq!(status(&r, "a value is chosen"), Status::Holds);
    }

    #[test]
    fn acceptors_that_lose_their_votes_in_a_crash_unchoose_a_value() {
        let (params, c) = protocol(&specs::paxos::protocol(), &["proposers=1", "crashes=1"]);
        let c = plant(c, wipe_storage_on_recovery::<PaxosModel>());
        let r = check_planted("paxos", &params, &c, &safety_only_up_to(50_000));
        let stability = property(&r, "stability");
        assert_eq!(stability.status, Status::Violated);
        assert_eq!(actions(stability).last(), Some(&"a1 recovers"));
    }
}

// ---- flp ----

mod flp {
    use super::*;
    use models::flp::{ContenderPhase, FlpActor, FlpState};
    use specs::flp::FlpModel;

    /// The default configuration with each contender's input set by `value`.
    fn inputs(value: fn(usize) -> u8) -> Report {
        let (params, mut c) = protocol(&specs::flp::protocol(), &[]);
        let mut i = 0;
        for a in c.model.actors.iter_mut() {
            if let FlpActor::Contender { value: v, .. } = a {
                *v = value(i).into();
                i += 1;
            }
        }
        let opts = CheckOptions {
            safety_only: true,
            ..CheckOptions::default()
        };
        check_planted("flp", &params, &plant(c, Bug::none()), &opts)
    }

    #[test]
    fn a_contender_with_an_input_outside_0_and_1_breaks_validity() {
        let r = inputs(|i| if i == 0 { 7 } else { 1 });
        assert_eq!(status(&r, "validity"), Status::Violated);
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }

    #[test]
    fn contenders_with_equal_inputs_never_decide_the_other_value() {
        let r = inputs(|_| 1);
        assert_eq!(status(&r, "0 is decided"), Status::NotFound);
        assert_eq!(status(&r, "1 is decided"), Status::Found);
        let r = inputs(|_| 0);
        assert_eq!(status(&r, "1 is decided"), Status::NotFound);
        assert_eq!(status(&r, "0 is decided"), Status::Found);
    }

    #[test]
    fn a_contender_that_loses_its_decision_in_a_crash_breaks_stability() {
        let (params, c) = protocol(&specs::flp::protocol(), &["crashes=1"]);
        // To keep the search short, only a decided c1 may crash (the bug needs no other).
        let c = plant(
            c,
            Bug {
                actions: |_, s, a| {
                    let decided = matches!(
                        &*s.actor_states[0],
                        FlpState::Contender(c) if matches!(c.phase, ContenderPhase::Decided(_))
                    );
                    a.retain(|a| match a {
                        ActorModelAction::Crash(id) => usize::from(*id) == 0 && decided,
                        _ => true,
                    })
                },
                ..wipe_storage_on_recovery::<FlpModel>()
            },
        );
        let r = check_planted("flp", &params, &c, &safety_only_up_to(20_000));
        let stability = property(&r, "stability");
        assert_eq!(stability.status, Status::Violated);
        let steps = actions(stability);
        assert_eq!(steps[steps.len() - 2..], ["c1 crashes", "c1 recovers"]);
        assert_eq!(status(&r, "agreement"), Status::Holds);
    }
}

// ---- raft-election ----

mod raft_election {
    use super::*;
    use models::raft_election::RaftTimer;
    use specs::raft_election::RaftModel;

    #[test]
    fn election_timers_that_never_fire_elect_no_one_and_deadlock() {
        let (params, c) = protocol(&specs::raft_election::protocol(), &["terms=1"]);
        let c = plant(
            c,
            Bug {
                actions: |_, _, a| {
                    a.retain(|a| !matches!(a, ActorModelAction::Timeout(_, RaftTimer::Election)))
                },
                ..Bug::<RaftModel>::none()
            },
        );
        let r = check_planted("raft-election", &params, &c, &CheckOptions::default());
        assert_eq!(status(&r, "a leader can be elected"), Status::NotFound);
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        assert!(actions(deadlock).is_empty(), "stuck in the initial state");
    }

    #[test]
    fn a_server_that_loses_its_term_in_a_crash_goes_back_to_term_0() {
        let (params, c) = protocol(&specs::raft_election::protocol(), &["terms=1", "crashes=1"]);
        let c = plant(c, wipe_storage_on_recovery::<RaftModel>());
        let r = check_planted("raft-election", &params, &c, &safety_only_up_to(20_000));
        let terms = property(&r, "terms never decrease");
        assert_eq!(terms.status, Status::Violated);
        assert_eq!(
            actions(terms),
            ["s1: timeout Election", "s1 crashes", "s1 recovers"]
        );
    }
}

// ---- chang-roberts ----

mod chang_roberts {
    use super::*;
    use models::chang_roberts::CrMsg;
    use specs::chang_roberts::CrModel;

    #[test]
    fn a_ring_that_never_brings_a_candidacy_back_elects_no_one() {
        // The last hop of every candidacy is dropped: no node ever sees its own id again.
        let (params, c) = protocol(&specs::chang_roberts::protocol(), &[]);
        let c = plant(
            c,
            Bug {
                actions: |m: &CrModel, _, a| {
                    a.retain(|a| match a {
                        ActorModelAction::Deliver {
                            dst,
                            msg: CrMsg::Election { id },
                            ..
                        } => m.actors[usize::from(*dst)].id != *id,
                        _ => true,
                    })
                },
                ..Bug::none()
            },
        );
        let r = check_planted("chang-roberts", &params, &c, &CheckOptions::default());
        assert_eq!(status(&r, "a leader is elected"), Status::NotFound);
        assert_eq!(status(&r, "every node learns the leader"), Status::Violated);
    }
}

// ---- bully ----

mod bully {
    use super::*;
    use models::bully::BullyMsg;
    use specs::bully::BullyModel;

    #[test]
    fn a_halter_that_never_hears_its_acks_never_coordinates() {
        let (params, c) = protocol(&specs::bully::protocol(), &[]);
        let c = plant(
            c,
            Bug {
                actions: |_, _, a| {
                    a.retain(|a| {
                        !matches!(
                            a,
                            ActorModelAction::Deliver {
                                msg: BullyMsg::HaltAck { .. },
                                ..
                            }
                        )
                    })
                },
                ..Bug::<BullyModel>::none()
            },
        );
        let r = check_planted("bully", &params, &c, &CheckOptions::default());
        assert_eq!(status(&r, "a coordinator is elected"), Status::NotFound);
    }
}

// ---- multi-paxos ----

mod multi_paxos {
    use super::*;
    use models::multi_paxos::{MultiPaxosActor, MultiPaxosTimer};
    use specs::multi_paxos::MultiPaxosModel;

    #[test]
    fn a_client_that_stops_after_its_put_never_reads_it() {
        // The configuration says two operations (put, then get), the client performs one: the
        // witness that a get reads a put is what shows the configuration is not vacuous.
        let (params, mut c) = protocol(&specs::multi_paxos::protocol(), &["ops=2"]);
        for a in c.model.actors.iter_mut() {
            if let MultiPaxosActor::Client { ops, .. } = a {
                *ops = 1;
            }
        }
        let c = plant(c, Bug::none());
        let r = check_planted("multi-paxos", &params, &c, &safety_only_up_to(100_000));
        assert!(r.complete);
        assert_eq!(status(&r, "a get reads a put"), Status::NotFound);
        assert_eq!(status(&r, "linearizable"), Status::Holds);
    }

    #[test]
    fn replicas_that_never_suspect_the_leader_never_change_it() {
        let (params, c) = protocol(&specs::multi_paxos::protocol(), &["ballots=2", "ops=1"]);
        let c = plant(
            c,
            Bug {
                actions: |_, _, a| {
                    a.retain(|a| {
                        !matches!(a, ActorModelAction::Timeout(_, MultiPaxosTimer::Election))
                    })
                },
                ..Bug::<MultiPaxosModel>::none()
            },
        );
        let r = check_planted("multi-paxos", &params, &c, &safety_only_up_to(100_000));
        assert!(r.complete);
        assert_eq!(status(&r, "a new leader takes over"), Status::NotFound);
    }

    #[test]
    fn a_replica_that_loses_its_storage_in_a_crash_undoes_its_log_and_promise() {
        let settings = ["ballots=2", "ops=1", "crashes=1"];
        let (params, c) = protocol(&specs::multi_paxos::protocol(), &settings);
        let c = plant(c, wipe_storage_on_recovery::<MultiPaxosModel>());
        let r = check_planted("multi-paxos", &params, &c, &safety_only_up_to(100_000));
        for name in [
            "applied commands are never undone",
            "promises never decrease",
        ] {
            let p = property(&r, name);
            assert_eq!(p.status, Status::Violated, "{name}");
            assert!(actions(p).last().unwrap().ends_with("recovers"), "{name}");
        }
    }
}

// ---- byzantine-agreement (spec) ----

mod byzantine_agreement {
    use super::*;
    use models::generals::Order;
    use specs::byzantine_agreement::{
        Agreement, AgreementAction, AgreementAction::Decide, ByzantineAgreement, Commander, IC1,
        IC2, TERMINATION,
    };

    fn planted(bug: Bug<ByzantineAgreement>) -> Report {
        let (params, c) = spec(&specs::byzantine_agreement::spec(), &[]);
        check_planted(
            "byzantine-agreement",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    /// `Decide` without its guard on the order: a loyal lieutenant that has not decided obeys
    /// `v`, whatever the others and the commander did.
    fn decide_any(_: &ByzantineAgreement, s: &Agreement, a: AgreementAction) -> Option<Agreement> {
        let Decide(i, v) = a;
        let l = s.lieutenants.get(i.checked_sub(1)?)?;
        if !l.loyal || l.decision.is_some() {
            return None;
        }
        let mut next = s.clone();
        next.lieutenants[i - 1].decision = Some(v);
        Some(next)
    }

    /// Every `Decide(i, v)` for each loyal lieutenant `i` yet to decide and each `v` of `orders`.
    fn every_decision(s: &Agreement, orders: &[Order]) -> Vec<AgreementAction> {
        let mut out = Vec::new();
        for (i, l) in s.lieutenants.iter().enumerate() {
            if l.loyal && l.decision.is_none() {
                out.extend(orders.iter().map(|&v| Decide(i + 1, v)));
            }
        }
        out
    }

    #[test]
    fn a_lieutenant_deaf_to_the_others_breaks_ic1_under_a_traitor_commander() {
        // The guard "the order the loyal lieutenants already obey" left out when the
        // commander is a traitor: two loyal lieutenants obey different orders.
        let r = planted(Bug {
            actions: |m, s, a| {
                if s.commander == Commander::Traitor {
                    a.clear();
                    a.extend(every_decision(s, &Order::domain(m.orders)));
                }
            },
            next: decide_any,
        });
        let ic1 = property(&r, IC1);
        assert_eq!(ic1.status, Status::Violated);
        assert_eq!(actions(ic1), ["l1 obeys Retreat", "l2 obeys Attack"]);
        assert_eq!(status(&r, IC2), Status::Holds);
        assert_eq!(status(&r, TERMINATION), Status::Holds);
    }

    #[test]
    fn a_lieutenant_deaf_to_a_loyal_commander_breaks_ic2_only() {
        // Under a loyal commander the first loyal lieutenant may obey any order, and the
        // others follow it: IC1 is kept, IC2 is not.
        let r = planted(Bug {
            actions: |m, s, a| {
                if let Commander::Loyal(_) = s.commander {
                    let agreed = s
                        .lieutenants
                        .iter()
                        .filter(|l| l.loyal)
                        .find_map(|l| l.decision);
                    let orders = agreed.map_or_else(|| Order::domain(m.orders), |v| vec![v]);
                    a.clear();
                    a.extend(every_decision(s, &orders));
                }
            },
            next: decide_any,
        });
        let ic2 = property(&r, IC2);
        assert_eq!(ic2.status, Status::Violated);
        // l2 obeys attack against a loyal commander's retreat (l1 the traitor).
        assert_eq!(actions(ic2), ["l2 obeys Attack"]);
        assert_eq!(status(&r, IC1), Status::Holds);
        assert_eq!(status(&r, TERMINATION), Status::Holds);
    }

    #[test]
    fn a_lieutenant_that_never_decides_breaks_termination_and_deadlocks() {
        let r = planted(Bug {
            actions: |_, _, a| a.retain(|&Decide(i, _)| i != 1),
            ..Bug::none()
        });
        let termination = property(&r, TERMINATION);
        assert_eq!(termination.status, Status::Violated);
        // l3 the traitor: l2 obeys the commander's attack, and l1 never decides.
        assert_eq!(actions(termination), ["l2 obeys Attack"]);
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        let stuck = actions(deadlock);
        assert_eq!(stuck.len(), 1, "{stuck:?}");
        assert!(!stuck[0].starts_with("l1"), "{stuck:?}");
        assert_eq!(status(&r, IC1), Status::Holds);
        assert_eq!(status(&r, IC2), Status::Holds);
    }
}

// ---- reliable-broadcast (spec) ----

mod reliable_broadcast {
    use super::*;
    use models::bracha_broadcast::VALUES;
    use specs::reliable_broadcast::{RbAction::Deliver, ReliableBroadcast};

    fn planted(settings: &[&str], bug: Bug<ReliableBroadcast>) -> Report {
        let (params, c) = spec(&specs::reliable_broadcast::spec(), settings);
        check_planted(
            "reliable-broadcast",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn a_delivery_unbound_by_the_first_breaks_agreement() {
        // With a traitor sender, each loyal process may deliver either value, whatever the
        // others delivered.
        let r = planted(
            &["loyal=2", "sender-faulty=true"],
            Bug {
                actions: |_, s, a| {
                    a.clear();
                    for (process, d) in s.iter().enumerate() {
                        if d.is_none() {
                            a.extend(VALUES.map(|value| Deliver { process, value }));
                        }
                    }
                },
                ..Bug::none()
            },
        );
        let agreement = property(&r, "agreement");
        assert_eq!(agreement.status, Status::Violated);
        assert_eq!(
            actions(agreement),
            ["loyal process 0 delivers 0", "loyal process 1 delivers 1"]
        );
        assert_eq!(status(&r, "integrity"), Status::Holds);
        assert_eq!(status(&r, "validity"), Status::Holds);
    }

    #[test]
    fn a_first_delivery_of_a_value_the_loyal_sender_never_sent_breaks_integrity() {
        let r = planted(
            &["loyal=2"],
            Bug {
                actions: |_, s, a| {
                    if s.iter().all(Option::is_none) {
                        a.push(Deliver {
                            process: 0,
                            value: 1,
                        });
                    }
                },
                ..Bug::none()
            },
        );
        let integrity = property(&r, "integrity");
        assert_eq!(integrity.status, Status::Violated);
        assert_eq!(actions(integrity), ["loyal process 0 delivers 1"]);
        // The others then follow the first: one value for all.
        assert_eq!(status(&r, "agreement"), Status::Holds);
        assert_eq!(status(&r, "validity"), Status::Violated);
    }

    #[test]
    fn a_process_that_never_delivers_breaks_validity_and_deadlocks() {
        let r = planted(
            &["loyal=2"],
            Bug {
                actions: |_, _, a| a.retain(|&Deliver { process, .. }| process != 0),
                ..Bug::none()
            },
        );
        let validity = property(&r, "validity");
        assert_eq!(validity.status, Status::Violated);
        assert_eq!(actions(validity), ["loyal process 1 delivers 0"]);
        let deadlock = property(&r, "deadlock");
        assert_eq!(deadlock.status, Status::Violated);
        assert_eq!(actions(deadlock), ["loyal process 1 delivers 0"]);
        assert_eq!(status(&r, "agreement"), Status::Holds);
        assert_eq!(status(&r, "integrity"), Status::Holds);
    }
}

// ---- dissemination (spec) ----

mod dissemination {
    use super::*;
    use models::gossip::RUMOR;
    use specs::dissemination::{Dissemination, DisseminationAction::Learn};

    fn planted(bug: Bug<Dissemination>) -> Report {
        let (params, c) = spec(&specs::dissemination::spec(), &["nodes=3"]);
        check_planted(
            "dissemination",
            &params,
            &plant(c, bug),
            &CheckOptions::default(),
        )
    }

    #[test]
    fn a_learn_that_garbles_the_rumor_breaks_validity() {
        // The planted bug: the learner takes a rumor one off the one it was told.
        let r = planted(Bug {
            next: |m, k, a| {
                let Learn { to, .. } = a;
                let mut next = m.next_state(k, a)?;
                next[to] = Some(RUMOR + 1);
                Some(next)
            },
            ..Bug::none()
        });
        let validity = property(&r, "validity");
        assert_eq!(validity.status, Status::Violated);
        assert_eq!(actions(validity), ["n1 learns from n0"]);
        assert_eq!(status(&r, "knowledge is never lost"), Status::Holds);
        assert_eq!(status(&r, "every node knows the rumor"), Status::Holds);
    }

    #[test]
    fn a_node_nobody_tells_never_knows_and_deadlocks() {
        // The planted bug: the last node is never the learner of a `Learn`.
        let r = planted(Bug {
            actions: |m, _, a| a.retain(|&Learn { to, .. }| to != m.nodes - 1),
            ..Bug::none()
        });
        for name in ["every node knows the rumor", "deadlock"] {
            let p = property(&r, name);
            assert_eq!(p.status, Status::Violated, "{name}");
            assert_eq!(actions(p), ["n1 learns from n0"], "{name}");
        }
        assert_eq!(status(&r, "validity"), Status::Holds);
    }

    #[test]
    fn a_node_that_forgets_the_rumor_loses_knowledge() {
        // The planted bug: a node other than the source may forget what it learnt (the
        // planted action `Learn { from: i, to: i }`, described "ni learns from ni").
        let r = planted(Bug {
            actions: |_, k, a| {
                a.extend(
                    (1..k.len())
                        .filter(|&i| k[i].is_some())
                        .map(|i| Learn { from: i, to: i }),
                )
            },
            next: |m, k, a| match a {
                Learn { from, to } if from == to => {
                    let mut next = k.clone();
                    next[to] = None;
                    Some(next)
                }
                _ => m.next_state(k, a),
            },
        });
        let lost = property(&r, "knowledge is never lost");
        assert_eq!(lost.status, Status::Violated);
        assert_eq!(actions(lost), ["n1 learns from n0", "n1 learns from n1"]);
        assert_eq!(status(&r, "validity"), Status::Holds);
    }
}

// ---- gossip ----

mod gossip {
    use super::*;
    use specs::gossip::GossipModel;

    #[test]
    fn a_node_that_garbles_the_rumor_it_learns_breaks_validity_and_refinement() {
        // The planted bug: a node other than the source that learns stores the rumor one off.
        let (params, c) = protocol(&specs::gossip::protocol(), &["nodes=3"]);
        let bug: Bug<GossipModel> = Bug {
            actions: |_, _, _| {},
            next: |m, s, a| {
                let mut next = m.next_state(s, a)?;
                for i in 1..s.actor_states.len() {
                    if s.actor_states[i].known.is_none() {
                        if let Some(r) = next.actor_states[i].known {
                            edit_actor(&mut next, i, |st| st.known = Some(r + 1));
                        }
                    }
                }
                Some(next)
            },
        };
        let r = check_planted("gossip", &params, &plant(c, bug), &CheckOptions::default());
        for name in ["validity", "refinement"] {
            let p = property(&r, name);
            assert_eq!(p.status, Status::Violated, "{name}");
            assert_eq!(actions(p), GARBLED, "{name}");
        }
        assert_eq!(status(&r, "knowledge is never lost"), Status::Holds);
    }

    #[test]
    fn a_node_that_loses_its_storage_in_a_crash_forgets_the_rumor() {
        let (params, c) = protocol(&specs::gossip::protocol(), &["nodes=3", "crashes=1"]);
        let c = plant(c, wipe_storage_on_recovery::<GossipModel>());
        let r = check_planted("gossip", &params, &c, &safety_only_up_to(50_000));
        for name in ["knowledge is never lost", "refinement"] {
            let p = property(&r, name);
            assert_eq!(p.status, Status::Violated, "{name}");
            assert_eq!(actions(p), WIPED, "{name}");
        }
        assert_eq!(status(&r, "validity"), Status::Holds);
    }

    /// n0 pushes to n1 (its first partner in turn), which stores the rumor garbled.
    const GARBLED: [&str; 2] = ["n0: timeout Round", "n0 -> n1: Gossip { rumor: Some(1) }"];
    /// n1 learns from n0, crashes, and recovers from a wiped disk knowing nothing.
    const WIPED: [&str; 4] = [
        "n0: timeout Round",
        "n0 -> n1: Gossip { rumor: Some(1) }",
        "n1 crashes",
        "n1 recovers",
    ];
}
