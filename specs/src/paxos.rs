//! What single-decree Paxos must satisfy: the safety requirements of consensus from
//! L. Lamport, "Paxos Made Simple", 2001, section 2.1, and refinement of the abstract spec
//! [`crate::consensus`].
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | at most one value is chosen |
//! | `validity` | always | only a proposed value is chosen |
//! | `only a chosen value is learnt` | always | learners learn nothing else (2.1, third clause) |
//! | `a value is learnt` | sometimes | a witness run that decides |
//! | `a value is chosen` | eventually | under weak fairness, with one proposer (2.4) |
//! | `stability` | step | a chosen value stays chosen ([`step_invariants`]) |
//! | `a chosen value is learnt` | leads-to | every learner that is up learns it ([`leads_to`]) |
//!
//! "Chosen" is defined from the acceptors, as in the paper (2.2): a value is chosen when a quorum
//! of acceptors has accepted it in the same ballot. Acceptors keep every vote as ghost state
//! (see `models::paxos`), so a value stays chosen after the acceptors that chose it move on to
//! higher ballots. The quorum is the configured one: with a broken quorum of half the acceptors
//! or fewer, two values can be chosen, and `agreement` says so.
//!
//! The acceptor states the properties read include crashed acceptors: stateright keeps a
//! crashed actor's last state, and an acceptor saves every vote at once.

use crate::consensus::{self, Chosen};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement, Symmetry};
use crate::{LeadsTo, StepInvariant};
use models::common::CfgError;
use models::paxos::{
    AcceptorState, LearnerState, PaxosActor, PaxosCfg, PaxosMsg, PaxosState, PaxosStorage,
    ProposerPhase, Vote,
};
use stateright::actor::{ActorModel, ActorModelState, Id};
use stateright::Expectation;
use std::collections::BTreeMap;

/// The checkable model of single-decree Paxos.
pub type PaxosModel = ActorModel<PaxosActor, PaxosCfg, ()>;

/// A state of the whole Paxos system.
pub type PaxosSysState = ActorModelState<PaxosActor, ()>;

fn acceptors(s: &PaxosSysState) -> impl Iterator<Item = &AcceptorState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        PaxosState::Acceptor(acc) => Some(acc),
        _ => None,
    })
}

/// Each learner's state with whether it is crashed.
fn learners(s: &PaxosSysState) -> impl Iterator<Item = (&LearnerState, bool)> {
    s.actor_states
        .iter()
        .zip(&s.crashed)
        .filter_map(|(a, &crashed)| match &**a {
            PaxosState::Learner(l) => Some((l, crashed)),
            _ => None,
        })
}

/// The values accepted by at least `quorum` acceptors in one ballot (Paxos Made Simple, 2.2).
pub fn chosen_with(quorum: usize, s: &PaxosSysState) -> Chosen {
    let mut tally: BTreeMap<&Vote, usize> = BTreeMap::new();
    for vote in acceptors(s).flat_map(|a| &a.votes) {
        *tally.entry(vote).or_default() += 1;
    }
    tally
        .into_iter()
        .filter(|(_, n)| *n >= quorum)
        .map(|((_, v), _)| *v)
        .collect()
}

/// The chosen values under the model's configured quorum.
pub fn chosen(m: &PaxosModel, s: &PaxosSysState) -> Chosen {
    chosen_with(m.cfg.quorum, s)
}

/// Agreement (2.1): at most one value is chosen.
pub fn agreement(m: &PaxosModel, s: &PaxosSysState) -> bool {
    consensus::agreement(&chosen(m, s))
}

/// Validity (2.1): only a proposed value is chosen.
pub fn validity(m: &PaxosModel, s: &PaxosSysState) -> bool {
    consensus::validity(&chosen(m, s), &m.cfg.proposed())
}

/// Learning (2.1, "a process never learns that a value has been chosen unless it actually has").
pub fn only_a_chosen_value_is_learnt(m: &PaxosModel, s: &PaxosSysState) -> bool {
    let chosen = chosen(m, s);
    learners(s).all(|(l, _)| l.learnt.is_none_or(|v| chosen.contains(&v)))
}

/// Non-triviality: some learner has learnt a value.
pub fn a_value_is_learnt(_: &PaxosModel, s: &PaxosSysState) -> bool {
    learners(s).any(|(l, _)| l.learnt.is_some())
}

/// Liveness (2.1, "some proposed value is eventually chosen").
pub fn a_value_is_chosen(m: &PaxosModel, s: &PaxosSysState) -> bool {
    consensus::some_chosen(&chosen(m, s))
}

/// Every learner that is up has learnt a value.
pub fn every_live_learner_learnt(_: &PaxosModel, s: &PaxosSysState) -> bool {
    learners(s).all(|(l, crashed)| crashed || l.learnt.is_some())
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: PaxosCfg) -> PaxosModel {
    cfg.into_model()
        .property(Expectation::Always, consensus::AGREEMENT, agreement)
        .property(Expectation::Always, consensus::VALIDITY, validity)
        .property(
            Expectation::Always,
            "only a chosen value is learnt",
            only_a_chosen_value_is_learnt,
        )
        .property(
            Expectation::Sometimes,
            "a value is learnt",
            a_value_is_learnt,
        )
        .property(
            Expectation::Eventually,
            consensus::A_VALUE_IS_CHOSEN,
            a_value_is_chosen,
        )
}

/// Stability (the `Consensus` spec): once chosen, a value stays chosen.
pub fn stability(m: &PaxosModel, before: &PaxosSysState, after: &PaxosSysState) -> bool {
    consensus::stability(&chosen(m, before), &chosen(m, after))
}

/// The properties of transitions (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<PaxosModel>> {
    vec![StepInvariant {
        name: consensus::STABILITY,
        holds: stability,
    }]
}

/// Learning (2.3): once a value is chosen, every learner that is up learns it.
pub fn leads_to() -> Vec<LeadsTo<PaxosModel>> {
    vec![LeadsTo {
        name: "a chosen value is learnt",
        from: a_value_is_chosen,
        to: every_live_learner_learnt,
    }]
}

/// A state is a proper end when a value is chosen and every live learner knows it, or when
/// every proposer has given up (the liveness properties judge that run).
pub fn is_end(m: &PaxosModel, s: &PaxosSysState) -> bool {
    let decided = a_value_is_chosen(m, s) && every_live_learner_learnt(m, s);
    let gave_up = s.actor_states.iter().all(|a| {
        !matches!(&**a, PaxosState::Proposer(p) if p.phase != models::paxos::ProposerPhase::Idle)
    });
    decided || gave_up
}

/// Everything that tells one actor apart from another with no acceptor id in it: two
/// acceptors with equal keys can be swapped without changing the system state. Proposers sort
/// first and learners last, each by its own index, so only acceptors move. Borrowed from the
/// state where it can be: the representative computes one key per actor for every successor.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SymmetryKey<'a> {
    /// 0 for proposers, 1 for acceptors, 2 for learners.
    rank: u8,
    /// A proposer's or learner's own index (they stay put); 0 for acceptors.
    fixed: usize,
    state: Option<&'a AcceptorState>,
    storage: Option<&'a PaxosStorage>,
    crashed: bool,
    /// Messages to this acceptor, with their sender, then from it, with their receiver:
    /// sorted on unordered networks, per channel in FIFO order on an ordered one.
    inbox: Vec<(Id, PaxosMsg)>,
    outbox: Vec<(Id, PaxosMsg)>,
    /// The duplicating network's last delivered message, if this acceptor sent or received it.
    last_msg: Option<(bool, Id, PaxosMsg)>,
    /// The proposers that counted this acceptor's promise.
    counted_by: Vec<Id>,
    /// The (learner, vote) tallies that count this acceptor.
    tallied: Vec<(Id, Vote)>,
}

/// Every actor's [`SymmetryKey`], reading the network and the other actors once.
fn symmetry_keys(s: &PaxosSysState) -> Vec<SymmetryKey<'_>> {
    let n = s.actor_states.len();
    let mut counted_by = vec![Vec::new(); n];
    let mut tallied = vec![Vec::new(); n];
    for (j, a) in s.actor_states.iter().enumerate() {
        match &**a {
            PaxosState::Proposer(p) => {
                if let ProposerPhase::Preparing { promised, .. } = &p.phase {
                    for &id in promised {
                        counted_by[usize::from(id)].push(Id::from(j));
                    }
                }
            }
            PaxosState::Learner(l) => {
                for (vote, from) in &l.tallies {
                    for &id in from {
                        tallied[usize::from(id)].push((Id::from(j), *vote));
                    }
                }
            }
            PaxosState::Acceptor(_) => {}
        }
    }
    let mails = crate::mails_of(&s.network, n);
    mails
        .into_iter()
        .zip(counted_by.into_iter().zip(tallied))
        .enumerate()
        .map(|(i, (mail, (counted_by, tallied)))| {
            let (rank, acceptor) = match &*s.actor_states[i] {
                PaxosState::Proposer(_) => (0, None),
                PaxosState::Acceptor(a) => (1, Some(a)),
                PaxosState::Learner(_) => (2, None),
            };
            match acceptor {
                None => SymmetryKey {
                    rank,
                    fixed: i,
                    state: None,
                    storage: None,
                    crashed: false,
                    inbox: Vec::new(),
                    outbox: Vec::new(),
                    last_msg: None,
                    counted_by: Vec::new(),
                    tallied: Vec::new(),
                },
                Some(a) => SymmetryKey {
                    rank,
                    fixed: 0,
                    state: Some(a),
                    storage: s.actor_storages[i].as_ref(),
                    crashed: s.crashed[i],
                    inbox: mail.inbox,
                    outbox: mail.outbox,
                    last_msg: mail.last,
                    counted_by,
                    tallied,
                },
            }
        })
        .collect()
}

/// `s` with its acceptors renamed by `plan` (from [`symmetry_keys`], so proposers and learners
/// stay put): [`crate::rename_actors`] without its deep copies. An acceptor's state names no
/// acceptor (only ballots, which name proposers), so it moves as it is, shared; a proposer or
/// learner is rewritten only if it names acceptors (promises, tallies).
fn rename_acceptors(
    s: &PaxosSysState,
    plan: &stateright::RewritePlan<Id, stateright::util::DenseNatMap<Id, Id>>,
) -> PaxosSysState {
    use stateright::Rewrite;
    let n = s.actor_states.len();
    // The old index of the actor at each new index.
    let mut old_of = vec![0; n];
    for i in 0..n {
        old_of[usize::from(plan.rewrite(&Id::from(i)))] = i;
    }
    let actor_states = old_of
        .iter()
        .map(|&i| {
            let a = &s.actor_states[i];
            let names_acceptors = match &**a {
                PaxosState::Proposer(p) => {
                    matches!(&p.phase, ProposerPhase::Preparing { promised, .. } if !promised.is_empty())
                }
                PaxosState::Acceptor(_) => false,
                PaxosState::Learner(l) => !l.tallies.is_empty(),
            };
            if names_acceptors {
                a.rewrite(plan)
            } else {
                std::sync::Arc::clone(a)
            }
        })
        .collect();
    ActorModelState {
        actor_states,
        network: s.network.rewrite(plan),
        timers_set: plan.reindex(&s.timers_set),
        random_choices: plan.reindex(&s.random_choices),
        crashed: plan.reindex(&s.crashed),
        actor_storages: old_of
            .iter()
            .map(|&i| s.actor_storages[i].clone())
            .collect(),
        history: (),
    }
}

/// The canonical representative of `s`'s symmetry class (acceptors are interchangeable):
/// acceptors sorted by everything that distinguishes them ([`SymmetryKey`]), ids renamed to
/// match (in proposers' promise sets and learners' tallies too). Proposers are not
/// interchangeable (each proposes its own value and owns its ballots), nor are learners
/// renamed. One state per class: `checker/tests/symmetry.rs` checks it against every
/// permutation of the acceptors. Sound for safety only, as every symmetry in our engine.
pub fn representative(s: &PaxosSysState) -> PaxosSysState {
    let keys = symmetry_keys(s);
    // Already in order: renaming would rebuild the same state.
    if keys.is_sorted() {
        return s.clone();
    }
    rename_acceptors(s, &stateright::RewritePlan::from_values_to_sort(&keys))
}

/// The declaration of `paxos`: single-decree Paxos (proposers, acceptors, learners as actors),
/// checked against agreement, validity, stability, termination and the consensus spec.
pub fn protocol() -> Protocol<PaxosModel> {
    Protocol::new(
        "paxos",
        "Single-decree Paxos (Paxos Made Simple): proposers, acceptors and learners choose one value",
        PaxosCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(PaxosCfg::ACCEPTORS, "number of acceptors (3 or 5 are sensible)"))
    .param(Param::bounded(
        PaxosCfg::PROPOSERS,
        "number of proposers; 1 is the paper's distinguished proposer",
    ))
    .param(Param::bounded(PaxosCfg::LEARNERS, "number of learners"))
    .param(Param::bounded(
        PaxosCfg::VALUES,
        "distinct values: proposer i proposes i mod values",
    ))
    .param(Param::bounded(
        PaxosCfg::BALLOTS,
        "ballots (rounds) per proposer before a retrying proposer gives up",
    ))
    .param(Param::bounded(
        PaxosCfg::QUORUM,
        "acceptors per quorum; 0 means a majority (half or less is broken)",
    ))
    .param(Param::bool(
        "retry",
        PaxosCfg::RETRY,
        "whether competing proposers abandon a ballot on a timer and try the next (they may duel)",
    ))
    .param(Param::bool(
        "durable",
        true,
        "whether an acceptor's promise survives a crash (false is broken)",
    ))
    .step_invariants(step_invariants)
    .leads_to(leads_to)
    // Paxos Made Simple (2.4) promises progress when messages get through and one proposer is
    // left alone: weak fairness for deliveries and timers.
    .fairness(|_| Fairness::Weak)
    .end_states(is_end)
    // Refinement of `consensus` through "chosen = accepted by a quorum in one ballot", with the
    // configured quorum (so a broken quorum shows up here too).
    .refinement(|cfg| {
        let quorum = cfg.quorum;
        let spec = consensus::Consensus::new(cfg.values)?;
        Ok(Some(Refinement::through("consensus", spec, move |s| {
            chosen_with(quorum, s)
        })))
    })
    // Acceptors are interchangeable (`--symmetry --safety-only`).
    .symmetry(|_| Some(representative as Symmetry<PaxosSysState>))
    .actions(|cfg, k| {
        use models::paxos::PaxosMsgKind as Msg;
        k.receives("acceptor", [Msg::Prepare, Msg::Accept])
            .receives("proposer", [Msg::Promise])
            .receives("learner", [Msg::Accepted]);
        if cfg.proposers > 1 && cfg.retry {
            k.timeout("proposer", models::paxos::PaxosTimer::Retry);
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<PaxosCfg, CfgError> {
    let cfg = PaxosCfg::new(
        p.int("proposers") as usize,
        p.int("acceptors") as usize,
        p.int("values") as usize,
        p.int("ballots") as u32,
        system_cfg(p),
    )?
    .with_learners(p.int("learners") as usize)?;
    let cfg = match p.int("quorum") {
        0 => cfg,
        q => cfg.with_quorum(q as usize)?,
    };
    Ok(cfg
        .with_durable(p.bool("durable"))
        .with_retry(p.bool("retry")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::paxos::PaxosMsg;
    use stateright::actor::{ActorModelAction, Id};
    use stateright::Model;

    fn cfg(proposers: usize, acceptors: usize) -> PaxosCfg {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        // Retrying proposers, two ballots each: the configuration these tests pin.
        PaxosCfg::new(proposers, acceptors, 2, 2, system)
            .unwrap()
            .with_retry(true)
    }

    /// Applies deliveries in order, each of which must be enabled.
    fn run(m: &PaxosModel, steps: &[(usize, usize, PaxosMsg)]) -> PaxosSysState {
        steps
            .iter()
            .fold(m.init_states().remove(0), |s, &(src, dst, msg)| {
                let action = ActorModelAction::Deliver {
                    src: Id::from(src),
                    dst: Id::from(dst),
                    msg,
                };
                m.next_state(&s, action).expect("enabled")
            })
    }

    fn acceptor_mut(s: &mut PaxosSysState, i: usize) -> &mut AcceptorState {
        match std::sync::Arc::make_mut(&mut s.actor_states[i]) {
            PaxosState::Acceptor(a) => a,
            _ => panic!("actor {i} is not an acceptor"),
        }
    }

    #[test]
    fn a_value_is_chosen_by_a_quorum_in_one_ballot() {
        // One proposer (id 0), acceptors 1..=3: prepare and accept at a1 and a2.
        let m = model(cfg(1, 3));
        let b = (1, Id::from(0));
        let s = run(
            &m,
            &[
                (0, 1, PaxosMsg::Prepare { ballot: b }),
                (0, 2, PaxosMsg::Prepare { ballot: b }),
                (
                    1,
                    0,
                    PaxosMsg::Promise {
                        ballot: b,
                        accepted: None,
                    },
                ),
                (
                    2,
                    0,
                    PaxosMsg::Promise {
                        ballot: b,
                        accepted: None,
                    },
                ),
                (
                    0,
                    1,
                    PaxosMsg::Accept {
                        ballot: b,
                        value: 0,
                    },
                ),
            ],
        );
        // One vote is not a quorum of three.
        assert!(chosen(&m, &s).is_empty());
        let s2 = run(&m, &[]);
        assert!(stability(&m, &s2, &s));
        let s = m
            .next_state(
                &s,
                ActorModelAction::Deliver {
                    src: Id::from(0),
                    dst: Id::from(2),
                    msg: PaxosMsg::Accept {
                        ballot: b,
                        value: 0,
                    },
                },
            )
            .unwrap();
        assert_eq!(chosen(&m, &s), Chosen::from([0]));
        assert!(agreement(&m, &s) && validity(&m, &s));
    }

    #[test]
    fn every_safety_property_can_fail() {
        // Hand-made states, since the protocol never reaches them: validity, stability and
        // learning are checked against states that violate them.
        let m = model(cfg(1, 3));
        let init = m.init_states().remove(0);
        let b = (1, Id::from(0));
        let mut bad = init.clone();
        for i in [1, 2] {
            acceptor_mut(&mut bad, i).votes.insert((b, 1));
        }
        // Value 1 is chosen, but the one proposer proposes only 0.
        assert_eq!(chosen(&m, &bad), Chosen::from([1]));
        assert!(!validity(&m, &bad));
        // A chosen value that disappears.
        assert!(!stability(&m, &bad, &init));
        // Two values chosen.
        let mut two = bad.clone();
        for i in [2, 3] {
            acceptor_mut(&mut two, i)
                .votes
                .insert(((2, Id::from(0)), 0));
        }
        assert!(!agreement(&m, &two));
        // A learner that learnt what nobody chose.
        let mut learnt = init.clone();
        match std::sync::Arc::make_mut(&mut learnt.actor_states[4]) {
            PaxosState::Learner(l) => l.learnt = Some(0),
            _ => panic!("actor 4 is the learner"),
        }
        assert!(!only_a_chosen_value_is_learnt(&m, &learnt));
    }

    #[test]
    fn representative_is_canonical_over_every_permutation_of_acceptors() {
        // Every reachable state of 2 proposers and 3 acceptors (ids 2..=4), under all 6 orders
        // of the acceptors, has one representative; proposers and the learner stay put.
        let m = model(cfg(2, 3).with_retry(false));
        let perms = [
            [0, 1, 2, 3, 4, 5],
            [0, 1, 2, 4, 3, 5],
            [0, 1, 3, 2, 4, 5],
            [0, 1, 3, 4, 2, 5],
            [0, 1, 4, 2, 3, 5],
            [0, 1, 4, 3, 2, 5],
        ];
        let mut seen = std::collections::HashSet::new();
        let mut pending = m.init_states();
        let mut actions = Vec::new();
        while let Some(s) = pending.pop() {
            if !seen.insert(s.clone()) {
                continue;
            }
            let rep = representative(&s);
            assert!(
                matches!(&*rep.actor_states[0], PaxosState::Proposer(p) if p.ballot.1 == Id::from(0))
            );
            for perm in &perms {
                let permuted =
                    crate::rename_actors(&s, &stateright::RewritePlan::from_values_to_sort(perm));
                assert!(representative(&permuted) == rep, "{s:#?}");
            }
            m.actions(&s, &mut actions);
            pending.extend(actions.drain(..).filter_map(|a| m.next_state(&s, a)));
        }
        assert_eq!(seen.len(), 29680);
    }
}
