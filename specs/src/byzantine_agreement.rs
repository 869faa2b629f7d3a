//! The abstract specification of Byzantine agreement (interactive consistency): L. Lamport,
//! R. Shostak and M. Pease, "The Byzantine Generals Problem", ACM TOPLAS 4(3), 1982, section 1.
//!
//! A commander, loyal with an order or a traitor, and `n - 1` lieutenants, some of them
//! traitors. The state is the commander and, for each lieutenant, whether it is loyal and the
//! order it obeys once it has decided. The one action lets a loyal lieutenant decide an order
//! that keeps both conditions true; traitors decide nothing. Every protocol for the problem
//! (OM, SM; Bracha's broadcast may state its own) maps its states onto this one through
//! [`outcome`] and must refine it.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `loyal lieutenants obey the same order` | always | IC1 ([`ic1`]) |
//! | `loyal lieutenants obey a loyal commander` | always | IC2 ([`ic2`]) |
//! | `every loyal lieutenant decides` | eventually | termination ([`all_decided`]) |
//!
//! [`Generals`] is the checked model every such protocol shares: its actors, started from
//! every traitor placement and every order of a loyal commander at once (several initial
//! states, one actor system whose generals read from their state whether they are traitors).

use crate::params::Param;
use crate::protocol::{Spec, SystemModel};
use models::common::{actor_model, ActorSystem, Bounds, CfgError};
use models::generals::{General, GeneralView, Order, Traitors};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, ActorModelAction, ActorModelState};
use stateright::{Model, Property};
use std::fmt::Debug;

/// IC1, word for word in every protocol's output.
pub const IC1: &str = "loyal lieutenants obey the same order";
/// IC2.
pub const IC2: &str = "loyal lieutenants obey a loyal commander";
/// Termination.
pub const TERMINATION: &str = "every loyal lieutenant decides";

/// The commander: loyal with its order, or a traitor.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Commander {
    Loyal(Order),
    Traitor,
}

/// A lieutenant: loyal or not, and the order it obeys once decided (a traitor's is `None`).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Lieutenant {
    pub loyal: bool,
    pub decision: Option<Order>,
}

/// A state of the spec: the commander, then lieutenants 1..n in order.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Agreement {
    pub commander: Commander,
    pub lieutenants: Vec<Lieutenant>,
}

impl Agreement {
    fn loyal_decisions(&self) -> impl Iterator<Item = Order> + '_ {
        self.lieutenants
            .iter()
            .filter(|l| l.loyal)
            .filter_map(|l| l.decision)
    }
}

/// IC1 (section 1): all loyal lieutenants that have decided obey the same order.
pub fn ic1(s: &Agreement) -> bool {
    let mut d = s.loyal_decisions();
    match d.next() {
        Some(first) => d.all(|v| v == first),
        None => true,
    }
}

/// IC2 (section 1): if the commander is loyal, every loyal lieutenant that has decided obeys
/// its order.
pub fn ic2(s: &Agreement) -> bool {
    match s.commander {
        Commander::Loyal(order) => s.loyal_decisions().all(|v| v == order),
        Commander::Traitor => true,
    }
}

/// Termination: every loyal lieutenant has decided.
pub fn all_decided(s: &Agreement) -> bool {
    s.lieutenants
        .iter()
        .all(|l| !l.loyal || l.decision.is_some())
}

/// The spec state an actor system's state maps to: each general's view, a traitor
/// lieutenant's decision dropped.
pub fn outcome<A: Actor<State: General>>(s: &ActorModelState<A, ()>) -> Agreement {
    let mut commander = Commander::Traitor;
    let mut lieutenants = Vec::new();
    for a in &s.actor_states {
        match a.view() {
            GeneralView::Commander { traitor, order } => {
                commander = if traitor {
                    Commander::Traitor
                } else {
                    Commander::Loyal(order)
                };
            }
            GeneralView::Lieutenant { traitor, decision } => lieutenants.push(Lieutenant {
                loyal: !traitor,
                decision: decision.filter(|_| !traitor),
            }),
        }
    }
    Agreement {
        commander,
        lieutenants,
    }
}

/// A step of the spec: loyal lieutenant `i` (general id) obeys an order.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum AgreementAction {
    Decide(usize, Order),
}

/// Byzantine agreement among `generals` generals, `traitors` of them traitors (any placement),
/// over `orders` orders.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct ByzantineAgreement {
    pub generals: usize,
    pub traitors: usize,
    pub orders: usize,
}

impl ByzantineAgreement {
    /// Generals: 3..=10, 4 by default.
    pub const GENERALS: Bounds = Bounds::new("generals", 3, 10, 4);
    /// Traitors: 0..=9, 1 by default; at most `generals`.
    pub const TRAITORS: Bounds = Bounds::new("traitors", 0, 9, 1);
    /// Orders: 2..=3, 2 by default.
    pub const ORDERS: Bounds = Bounds::new("orders", 2, 3, 2);

    /// A validated specification.
    pub fn new(generals: usize, traitors: usize, orders: usize) -> Result<Self, CfgError> {
        Self::GENERALS.check_usize(generals)?;
        Self::TRAITORS.check_usize(traitors)?;
        Self::ORDERS.check_usize(orders)?;
        Traitors::Any(traitors).placements(generals)?;
        Ok(Self {
            generals,
            traitors,
            orders,
        })
    }

    /// The orders a loyal lieutenant may still obey in `s`.
    fn allowed(&self, s: &Agreement) -> Vec<Order> {
        match (s.commander, s.loyal_decisions().next()) {
            (Commander::Loyal(order), _) => vec![order],
            (Commander::Traitor, Some(agreed)) => vec![agreed],
            (Commander::Traitor, None) => Order::domain(self.orders),
        }
    }
}

impl Model for ByzantineAgreement {
    type State = Agreement;
    type Action = AgreementAction;

    fn init_states(&self) -> Vec<Agreement> {
        let mut out = Vec::new();
        let placements = Traitors::Any(self.traitors)
            .placements(self.generals)
            .unwrap_or_default();
        for placement in placements {
            let lieutenants: Vec<Lieutenant> = (1..self.generals)
                .map(|g| Lieutenant {
                    loyal: !placement.contains(&g),
                    decision: None,
                })
                .collect();
            let commanders = if placement.contains(&0) {
                vec![Commander::Traitor]
            } else {
                Order::domain(self.orders)
                    .into_iter()
                    .map(Commander::Loyal)
                    .collect()
            };
            out.extend(commanders.into_iter().map(|commander| Agreement {
                commander,
                lieutenants: lieutenants.clone(),
            }));
        }
        out
    }

    fn actions(&self, s: &Agreement, actions: &mut Vec<AgreementAction>) {
        let allowed = self.allowed(s);
        for (i, l) in s.lieutenants.iter().enumerate() {
            if l.loyal && l.decision.is_none() {
                actions.extend(allowed.iter().map(|&v| AgreementAction::Decide(i + 1, v)));
            }
        }
    }

    fn next_state(&self, s: &Agreement, action: AgreementAction) -> Option<Agreement> {
        let AgreementAction::Decide(i, v) = action;
        let l = s.lieutenants.get(i.checked_sub(1)?)?;
        if !l.loyal || l.decision.is_some() || !self.allowed(s).contains(&v) {
            return None;
        }
        let mut next = s.clone();
        next.lieutenants[i - 1].decision = Some(v);
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(IC1, |_, s: &Agreement| ic1(s)),
            Property::always(IC2, |_, s: &Agreement| ic2(s)),
            Property::eventually(TERMINATION, |_, s: &Agreement| all_decided(s)),
        ]
    }
}

/// The declaration of `byzantine-agreement`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<ByzantineAgreement> {
    Spec::new(
        "byzantine-agreement",
        "Interactive consistency (Lamport, Shostak, Pease): loyal lieutenants obey one order, the loyal commander's if it is loyal",
        |p| {
            ByzantineAgreement::new(
                p.int("generals") as usize,
                p.int("traitors") as usize,
                p.int("orders") as usize,
            )
        },
    )
    .param(Param::bounded(
        ByzantineAgreement::GENERALS,
        "generals, the commander included",
    ))
    .param(Param::bounded(
        ByzantineAgreement::TRAITORS,
        "traitors, in every placement",
    ))
    .param(Param::bounded(
        ByzantineAgreement::ORDERS,
        "orders: retreat, attack (and hold)",
    ))
    .describe(|AgreementAction::Decide(i, v)| format!("l{i} obeys {v:?}"))
    .end_states(|_, s| all_decided(s))
    .action_kinds(&["Decide"])
}

// ---- The checked model the protocols share ----

/// An actor system of generals started from several initial states at once (see the module
/// docs). `actors` is the system from the first start, with the properties attached: what
/// the runtime drives. Its handlers read from each general's state whether it is a traitor,
/// so the same actors step every start.
pub struct Generals<A: Actor<Msg: Ord, Timer: Ord>, C> {
    pub actors: ActorModel<A, C, ()>,
    inits: Vec<ActorModelState<A, ()>>,
}

impl<A, C> Generals<A, C>
where
    A: Actor<State: General, Msg: Ord, Timer: Ord>,
    C: ActorSystem<Actor = A> + Clone,
{
    /// The system of `starts[0]`, starting from the initial state of every one of `starts`
    /// (the same actors, configured from different starts).
    pub fn new(starts: Vec<C>) -> Self {
        let inits = starts
            .iter()
            .flat_map(|c| actor_model(c.clone(), ()).init_states())
            .collect();
        let first = starts.into_iter().next().expect("at least one start");
        Self {
            actors: with_properties(actor_model(first, ())),
            inits,
        }
    }

    pub fn cfg(&self) -> &C {
        &self.actors.cfg
    }
}

/// The properties every Byzantine agreement protocol states, over its actor system's states.
pub fn properties<A, M>() -> Vec<Property<M>>
where
    A: Actor<State: General>,
    M: Model<State = ActorModelState<A, ()>>,
{
    vec![
        Property::always(IC1, |_, s: &ActorModelState<A, ()>| ic1(&outcome(s))),
        Property::always(IC2, |_, s: &ActorModelState<A, ()>| ic2(&outcome(s))),
        Property::eventually(TERMINATION, |_, s: &ActorModelState<A, ()>| {
            all_decided(&outcome(s))
        }),
    ]
}

/// `m` with [`properties`] attached.
pub fn with_properties<A, C>(m: ActorModel<A, C, ()>) -> ActorModel<A, C, ()>
where
    A: Actor<State: General, Msg: Ord, Timer: Ord>,
{
    properties::<A, ActorModel<A, C, ()>>()
        .into_iter()
        .fold(m, |m, p| m.property(p.expectation, p.name, p.condition))
}

/// Termination as an end state: every loyal lieutenant has decided.
pub fn end<A: Actor<State: General>, M>(_: &M, s: &ActorModelState<A, ()>) -> bool {
    all_decided(&outcome(s))
}

impl<A, C> Model for Generals<A, C>
where
    A: Actor<State: General, Msg: Ord, Timer: Ord>,
{
    type State = ActorModelState<A, ()>;
    type Action = ActorModelAction<A::Msg, A::Timer, A::Random>;

    fn init_states(&self) -> Vec<Self::State> {
        self.inits.clone()
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        self.actors.actions(s, actions);
    }

    fn next_state(&self, s: &Self::State, action: Self::Action) -> Option<Self::State> {
        self.actors.next_state(s, action)
    }

    fn format_action(&self, action: &Self::Action) -> String {
        self.actors.format_action(action)
    }

    fn within_boundary(&self, s: &Self::State) -> bool {
        Model::within_boundary(&self.actors, s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::<A, Self>()
    }
}

impl<A, C> SystemModel for Generals<A, C>
where
    A: Actor<
            State: General + Send + Sync,
            Msg: Ord + Send + Sync,
            Timer: Ord + Send + Sync,
            Random: Send + Sync,
            Storage: Send + Sync,
        > + Send
        + Sync
        + 'static,
    C: ActorSystem<Actor = A> + Clone + Send + Sync + 'static,
{
    type Actor = A;
    type Cfg = C;
    type History = ();
    fn actors(&self) -> &ActorModel<A, C, ()> {
        &self.actors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_keeps_both_conditions_and_decides_everyone() {
        let spec = ByzantineAgreement::new(4, 1, 2).unwrap();
        // Commander traitor once, each of 3 lieutenants as traitor with 2 orders.
        assert_eq!(spec.init_states().len(), 1 + 3 * 2);
        let traitor = spec
            .init_states()
            .into_iter()
            .find(|s| s.commander == Commander::Traitor)
            .unwrap();
        let s = spec
            .next_state(&traitor, AgreementAction::Decide(1, Order::Attack))
            .unwrap();
        assert!(spec
            .next_state(&s, AgreementAction::Decide(2, Order::Retreat))
            .is_none());
        let s = spec
            .next_state(&s, AgreementAction::Decide(2, Order::Attack))
            .unwrap();
        let s = spec
            .next_state(&s, AgreementAction::Decide(3, Order::Attack))
            .unwrap();
        assert!(ic1(&s) && ic2(&s) && all_decided(&s));
    }

    #[test]
    fn the_helpers_say_what_they_claim() {
        let l = |loyal, decision| Lieutenant { loyal, decision };
        let s = Agreement {
            commander: Commander::Loyal(Order::Attack),
            lieutenants: vec![l(true, Some(Order::Attack)), l(true, Some(Order::Retreat))],
        };
        assert!(!ic1(&s) && !ic2(&s) && all_decided(&s));
        let s = Agreement {
            commander: Commander::Traitor,
            lieutenants: vec![l(true, Some(Order::Retreat)), l(false, None)],
        };
        assert!(ic1(&s) && ic2(&s) && all_decided(&s));
        assert!(!all_decided(&Agreement {
            commander: Commander::Traitor,
            lieutenants: vec![l(true, None)],
        }));
    }
}
