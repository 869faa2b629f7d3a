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
use crate::{LeadsTo, StepInvariant};
use models::paxos::{AcceptorState, LearnerState, PaxosActor, PaxosCfg, PaxosState, Vote};
use stateright::actor::{ActorModel, ActorModelState};
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
