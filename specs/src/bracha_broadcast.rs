//! What Bracha's broadcast must satisfy, among the loyal processes, whatever the traitors send.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | no two loyal processes deliver different values |
//! | `integrity` | always | a loyal process delivers at most once, and only the sender's value if the sender is loyal |
//! | `validity` | eventually | with a loyal sender, every loyal process delivers its value |
//! | `totality` | leads-to | once a loyal process has delivered, every loyal process delivers |
//!
//! plus the refinement of `reliable-broadcast` (each loyal process's first delivery). Liveness
//! is judged under weak fairness: a message in flight is eventually delivered, and a
//! traitor's pending choice is eventually made, silence being one of its options, so fair
//! runs include traitors that never send.
//!
//! With `n <= 3f` the thresholds cannot be met by the loyal processes alone: with `processes=3
//! faulty=1` a traitor that tells one loyal process it is ready and the other nothing leaves
//! one delivering and the other never (`totality`), and a silent traitor leaves a loyal
//! sender's value undelivered (`validity`). An echo quorum of `(n + f) / 2` or less
//! (`ready-threshold`) lets a traitorous sender get two values readied and delivered
//! (`processes=5 sender-faulty=true ready-threshold=3`: `agreement` and the refinement, found
//! by random walks: the counterexample lies deeper than breadth-first search reaches at five
//! processes); an echo quorum of one lets a traitor's echo get a value the loyal sender never
//! sent delivered (`ready-threshold=1`: `integrity` and the refinement, 3 steps). All pinned
//! in `checker/tests/bracha_broadcast.rs`.

use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Protocol, Refinement, SystemModel};
use crate::reliable_broadcast::ReliableBroadcast;
use crate::LeadsTo;
use models::bracha_broadcast::{
    BrachaActor, BrachaCfg, BrachaMsg, BrachaState, Forgery, LoyalState, Value, INPUT, SENDER_ID,
};
use models::common::CfgError;
use models::common::NetworkKind;
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, Id, Network, Out,
};
use stateright::{Model, Property};
use std::borrow::Cow;

/// The actor system, as the runtime drives it.
pub type BrachaActors = ActorModel<BrachaActor, BrachaCfg, ()>;

/// A state of the whole system.
pub type BrachaSysState = ActorModelState<BrachaActor, ()>;

/// An action of the system.
pub type BrachaAction = ActorModelAction<BrachaMsg, (), Forgery>;

/// The actor system as the checker explores it: a traitor's message is delivered in the
/// same step as the choice that sends it. No behaviour is lost: a traitor may make each
/// choice at any time, so choosing when the message arrives is as good as choosing it
/// earlier and letting the network delay it; and it saves the checker every state in which
/// a traitor's message is on its way. The runtime drives the bare actors
/// ([`SystemModel::actors`]), whose runs this model's properties judge the same way.
pub struct BrachaModel {
    pub actors: BrachaActors,
}

impl BrachaModel {
    pub fn cfg(&self) -> &BrachaCfg {
        &self.actors.cfg
    }
}

/// The loyal processes' states, in id order.
fn loyal(s: &BrachaSysState) -> impl Iterator<Item = &LoyalState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        BrachaState::Loyal(p) => Some(p),
        BrachaState::Traitor => None,
    })
}

/// Whether the sender is a traitor, read from its state.
fn sender_faulty(s: &BrachaSysState) -> bool {
    matches!(*s.actor_states[SENDER_ID], BrachaState::Traitor)
}

/// The `reliable-broadcast` state a system state maps to: each loyal process's first delivery.
pub fn abstraction(s: &BrachaSysState) -> Vec<Option<Value>> {
    loyal(s).map(|p| p.delivered.first().copied()).collect()
}

/// Bracha 1987, section 2, property 2 (Cachin et al. BRB4): no two loyal processes deliver
/// different values.
pub fn agreement<M>(_: &M, s: &BrachaSysState) -> bool {
    let mut values = loyal(s).flat_map(|p| &p.delivered);
    values.next().is_none_or(|first| values.all(|v| v == first))
}

/// Cachin et al. BRB2 and BRB3: every loyal process delivers at most once, and, if the sender
/// is loyal, only its value.
pub fn integrity<M>(_: &M, s: &BrachaSysState) -> bool {
    let faulty = sender_faulty(s);
    loyal(s).all(|p| p.delivered.len() <= 1 && (faulty || p.delivered.iter().all(|&v| v == INPUT)))
}

/// Bracha 1987, section 2, property 1 (Cachin et al. BRB1): if the sender is loyal, every
/// loyal process has delivered its value.
pub fn validity<M>(_: &M, s: &BrachaSysState) -> bool {
    sender_faulty(s) || loyal(s).all(|p| p.delivered == [INPUT])
}

/// Some loyal process has delivered.
pub fn some_loyal_delivered<M>(_: &M, s: &BrachaSysState) -> bool {
    loyal(s).any(|p| !p.delivered.is_empty())
}

/// Every loyal process has delivered.
pub fn every_loyal_delivered<M>(_: &M, s: &BrachaSysState) -> bool {
    loyal(s).all(|p| !p.delivered.is_empty())
}

/// A proper end: every loyal process delivered, or, with a traitorous sender, none did.
pub fn end_state<M>(m: &M, s: &BrachaSysState) -> bool {
    every_loyal_delivered(m, s) || (sender_faulty(s) && !some_loyal_delivered(m, s))
}

/// The leads-to properties: totality (Bracha 1987, section 2, property 2; Cachin et al. BRB5).
pub fn leads_to() -> Vec<LeadsTo<BrachaModel>> {
    vec![LeadsTo {
        name: "totality",
        from: some_loyal_delivered,
        to: every_loyal_delivered,
    }]
}

/// The state properties, for any model over the system's states.
fn properties<M: Model<State = BrachaSysState>>() -> Vec<Property<M>> {
    vec![
        Property::always("agreement", agreement),
        Property::always("integrity", integrity),
        Property::eventually("validity", validity),
    ]
}

impl Model for BrachaModel {
    type State = BrachaSysState;
    type Action = BrachaAction;

    fn init_states(&self) -> Vec<BrachaSysState> {
        self.actors.init_states()
    }

    fn actions(&self, s: &BrachaSysState, actions: &mut Vec<BrachaAction>) {
        self.actors.actions(s, actions);
    }

    fn next_state(&self, s: &BrachaSysState, action: BrachaAction) -> Option<BrachaSysState> {
        let mut next = self.step(s, action)?;
        self.forget_the_ignored(&mut next);
        Some(next)
    }

    fn format_action(&self, action: &BrachaAction) -> String {
        self.actors.format_action(action)
    }

    fn within_boundary(&self, s: &BrachaSysState) -> bool {
        Model::within_boundary(&self.actors, s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties()
    }
}

impl BrachaModel {
    /// One step of the actors, a traitor's choice delivered at once.
    fn step(&self, s: &BrachaSysState, action: BrachaAction) -> Option<BrachaSysState> {
        let sent = match &action {
            ActorModelAction::SelectRandom {
                actor,
                random: Forgery { to, msg: Some(msg) },
                ..
            } => Some((*actor, *to, *msg)),
            _ => None,
        };
        let chosen = self.actors.next_state(s, action)?;
        let Some((src, dst, msg)) = sent else {
            return Some(chosen);
        };
        // A message the recipient ignores stays in flight, as any ignored message does.
        let delivered = self
            .actors
            .next_state(&chosen, ActorModelAction::Deliver { src, dst, msg });
        Some(delivered.unwrap_or(chosen))
    }

    /// Whether `dst` ignores `msg` from `src` in `s`: it would change nothing and send
    /// nothing. A loyal process only ever ignores more (its records only grow), so an ignored
    /// message stays ignored.
    fn ignores(&self, s: &BrachaSysState, src: Id, dst: Id, msg: BrachaMsg) -> bool {
        let i = usize::from(dst);
        let mut state = Cow::Borrowed(&*s.actor_states[i]);
        let mut out = Out::new();
        self.actors.actors[i].on_msg(dst, &mut state, src, msg, &mut out);
        matches!(state, Cow::Borrowed(_)) && out.is_empty()
    }

    /// Drops what can no longer make a difference: messages in flight that their recipient
    /// ignores, and traitors' pending choices whose every message its recipient ignores (as
    /// good as silence). Their delivery would be a no-op that stateright leaves in flight for
    /// ever; dropping them merges states that differ only in such leftovers. Only on the
    /// non-duplicating racing network, where a delivered message leaves the network.
    fn forget_the_ignored(&self, s: &mut BrachaSysState) {
        if self.cfg().system.network != NetworkKind::UnorderedNonDuplicating {
            return;
        }
        let ignored: Vec<Envelope<BrachaMsg>> = s
            .network
            .iter_deliverable()
            .filter(|e| self.ignores(s, e.src, e.dst, *e.msg))
            .map(|e| e.to_cloned_msg())
            .collect();
        if let Network::UnorderedNonDuplicating(multiset) = &mut s.network {
            for e in &ignored {
                multiset.remove(e);
            }
        }
        for i in 0..s.random_choices.len() {
            let src = Id::from(i);
            let dead: Vec<String> = s.random_choices[i]
                .map
                .iter()
                .filter(|(_, options)| {
                    options
                        .iter()
                        .all(|f| f.msg.is_none_or(|msg| self.ignores(s, src, f.to, msg)))
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in &dead {
                s.random_choices[i].remove(key);
            }
        }
    }
}

impl SystemModel for BrachaModel {
    type Actor = BrachaActor;
    type Cfg = BrachaCfg;
    type History = ();
    fn actors(&self) -> &BrachaActors {
        &self.actors
    }
}

/// The actor system of `cfg` with the properties above: what the runtime drives.
pub fn actors(cfg: BrachaCfg) -> BrachaActors {
    properties::<BrachaActors>()
        .into_iter()
        .fold(cfg.into_model(), |m, p| {
            m.property(p.expectation, p.name, p.condition)
        })
}

/// The checkable model of `cfg`.
pub fn model(cfg: BrachaCfg) -> BrachaModel {
    BrachaModel {
        actors: actors(cfg),
    }
}

/// The declaration of `bracha-broadcast`: Bracha's initial / echo / ready broadcast with
/// traitors whose every message is a nondeterministic choice, checked against validity,
/// agreement, integrity, totality and the `reliable-broadcast` spec.
pub fn protocol() -> Protocol<BrachaModel> {
    Protocol::new(
        "bracha-broadcast",
        "Bracha's reliable broadcast: initial, echo, ready; n > 3f processes agree despite f traitors",
        BrachaCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(
        BrachaCfg::PROCESSES,
        "processes n, the sender included",
    ))
    .param(Param::bounded(
        BrachaCfg::FAULTY,
        "traitors f (the last f processes); n <= 3f is accepted and breaks the protocol",
    ))
    .param(Param::bool(
        "sender-faulty",
        false,
        "whether the sender is one of the f traitors",
    ))
    .param(Param::bounded(
        BrachaCfg::READY_THRESHOLD,
        "echoes that make a process ready: 0 for more than (n+f)/2 (the protocol); lower breaks agreement",
    ))
    .leads_to(leads_to)
    .end_states(end_state)
    .refinement(|cfg| {
        let spec = ReliableBroadcast::new(cfg.loyal_ids().len(), cfg.sender_faulty)?;
        Ok(Some(Refinement::new(
            "reliable-broadcast",
            spec,
            abstraction,
        )))
    })
    .actions(|cfg, k| {
        use models::bracha_broadcast::BrachaMsgKind as Msg;
        let loyal: Vec<String> = cfg
            .loyal_ids()
            .iter()
            .map(|&id| format!("p{}", usize::from(id)))
            .collect();
        if !cfg.sender_faulty {
            k.receives("process", [Msg::Initial]);
        }
        k.receives("process", [Msg::Echo, Msg::Ready])
            .receives("sender", [Msg::Echo, Msg::Ready]);
        if cfg.faulty > 0 {
            let kinds: &[&str] = if cfg.sender_faulty {
                &["initial", "echo", "ready"]
            } else {
                &["echo", "ready"]
            };
            for to in &loyal {
                for kind in kinds {
                    k.chooses("traitor", &format!("{kind} to {to}"));
                }
            }
            if cfg.sender_faulty {
                k.receives("process", [Msg::Initial]);
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<BrachaCfg, CfgError> {
    BrachaCfg::new(
        p.int("processes") as usize,
        p.int("faulty") as usize,
        p.bool("sender-faulty"),
        p.int("ready-threshold") as usize,
        system_cfg(p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_abstraction_is_every_loyal_first_delivery() {
        let c = protocol().cfg_of(&["sender-faulty=true"]).unwrap();
        let m = model(c);
        let s = m.init_states().remove(0);
        assert_eq!(abstraction(&s), [None, None, None]);
        assert!(agreement(&m, &s) && integrity(&m, &s) && validity(&m, &s));
        assert!(end_state(&m, &s));
    }
}
