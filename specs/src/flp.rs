//! What the FLP demonstration (`models::flp`) must satisfy: the consensus properties of
//! [`crate::consensus`], with "chosen" meaning "decided by a contender". Safety holds with or
//! without the oracle; `a value is chosen` fails without Ω (FLP: a fair run that never decides)
//! and holds with it.

use crate::consensus::{self, Chosen};
use crate::StepInvariant;
use models::flp::{ContenderPhase, FlpActor, FlpCfg, FlpState};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of the FLP demonstration.
pub type FlpModel = ActorModel<FlpActor, FlpCfg, ()>;

/// A state of the whole system.
pub type FlpSysState = ActorModelState<FlpActor, ()>;

/// The values some contender has decided (crashed contenders included: decisions are durable).
pub fn chosen(s: &FlpSysState) -> Chosen {
    s.actor_states
        .iter()
        .filter_map(|a| match &**a {
            FlpState::Contender(c) => match c.phase {
                ContenderPhase::Decided(v) => Some(v),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Agreement (FLP 1985, "no two processes decide differently").
pub fn agreement(_: &FlpModel, s: &FlpSysState) -> bool {
    consensus::agreement(&chosen(s))
}

/// Validity (non-triviality): only an input is decided.
pub fn validity(m: &FlpModel, s: &FlpSysState) -> bool {
    consensus::validity(&chosen(s), &m.cfg.inputs())
}

/// Termination (FLP 1985): some contender decides.
pub fn a_value_is_chosen(_: &FlpModel, s: &FlpSysState) -> bool {
    consensus::some_chosen(&chosen(s))
}

/// FLP's non-triviality: both outcomes are possible.
pub fn zero_decided(_: &FlpModel, s: &FlpSysState) -> bool {
    chosen(s).contains(&0)
}

pub fn one_decided(_: &FlpModel, s: &FlpSysState) -> bool {
    chosen(s).contains(&1)
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: FlpCfg) -> FlpModel {
    cfg.into_model()
        .property(Expectation::Always, consensus::AGREEMENT, agreement)
        .property(Expectation::Always, consensus::VALIDITY, validity)
        .property(Expectation::Sometimes, "0 is decided", zero_decided)
        .property(Expectation::Sometimes, "1 is decided", one_decided)
        .property(
            Expectation::Eventually,
            consensus::A_VALUE_IS_CHOSEN,
            a_value_is_chosen,
        )
}

/// Stability: a decision is never undone.
pub fn stability(_: &FlpModel, before: &FlpSysState, after: &FlpSysState) -> bool {
    consensus::stability(&chosen(before), &chosen(after))
}

pub fn step_invariants() -> Vec<StepInvariant<FlpModel>> {
    vec![StepInvariant {
        name: consensus::STABILITY,
        holds: stability,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::flp::{ContenderState, Oracle};
    use stateright::Model;
    use std::collections::BTreeSet;

    #[test]
    fn validity_and_stability_can_fail() {
        let system = SystemCfg {
            network: NetworkKind::Ordered,
            lossy: false,
            crashes: 0,
        };
        let m = model(FlpCfg::new(Oracle::None, 0, system).unwrap());
        let init = m.init_states().remove(0);
        let mut decided = init.clone();
        *std::sync::Arc::make_mut(&mut decided.actor_states[0]) =
            FlpState::Contender(ContenderState {
                phase: ContenderPhase::Decided(7),
                granted: BTreeSet::new(),
                busy: BTreeSet::new(),
                pending: BTreeSet::new(),
            });
        // 7 is nobody's input, and undoing a decision breaks stability.
        assert!(!validity(&m, &decided));
        assert!(!stability(&m, &decided, &init));
        assert!(stability(&m, &init, &decided));
    }
}
