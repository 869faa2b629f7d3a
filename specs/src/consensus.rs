//! The abstract specification of consensus: L. Lamport, "Paxos Made Simple", 2001, section 2.1
//! ("The Problem"), and the TLA+ module `Consensus` of Lamport's Paxos specifications.
//!
//! The state is only the set `chosen` of values chosen so far, initially empty. The one action
//! chooses a proposed value while nothing is chosen yet; after that nothing changes. Every
//! consensus protocol (Paxos, the FLP demonstration) maps its states onto a set of chosen values
//! and must refine this spec: each of its steps maps onto a `Choose` or onto a stutter.
//!
//! The properties every refining protocol states, with the helpers here that compute them from
//! its own `chosen` set:
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | at most one value is chosen ([`agreement`]) |
//! | `validity` | always | only a proposed value is chosen ([`validity`]) |
//! | `stability` | step | a chosen value stays chosen ([`stability`]) |
//! | `a value is chosen` | eventually | under the fairness each protocol states ([`some_chosen`]) |

use crate::params::Param;
use crate::protocol::Spec;
use models::common::{Bounds, CfgError};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};
use std::collections::BTreeSet;

/// A value that may be proposed (value `v` is the `v`-th proposal; see each protocol).
pub type Value = usize;

/// The set of values chosen so far.
pub type Chosen = BTreeSet<Value>;

/// Property names shared, word for word, by every protocol that solves consensus.
pub const AGREEMENT: &str = "agreement";
pub const VALIDITY: &str = "validity";
pub const STABILITY: &str = "stability";
pub const A_VALUE_IS_CHOSEN: &str = "a value is chosen";

/// Agreement (Paxos Made Simple, 2.1, "only a single value is chosen"): at most one value chosen.
pub fn agreement(chosen: &Chosen) -> bool {
    chosen.len() <= 1
}

/// Validity (Paxos Made Simple, 2.1, "only a value that has been proposed may be chosen").
pub fn validity(chosen: &Chosen, proposed: &Chosen) -> bool {
    chosen.is_subset(proposed)
}

/// Stability (the TLA+ `Consensus` spec: `chosen` never shrinks): what was chosen stays chosen.
pub fn stability(before: &Chosen, after: &Chosen) -> bool {
    before.is_subset(after)
}

/// Liveness goal (Paxos Made Simple, 2.1, "some proposed value is eventually chosen").
pub fn some_chosen(chosen: &Chosen) -> bool {
    !chosen.is_empty()
}

/// A step of the spec: choose a value.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ConsensusAction {
    /// `Choose(v)`: while nothing is chosen, `v` becomes the chosen value.
    Choose(Value),
}

/// Consensus over the proposed values `0..values`.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct Consensus {
    /// Number of proposed values, `0..values`. Must be in 1..=9.
    pub values: usize,
}

impl Consensus {
    /// Proposed values: 1..=9.
    pub const VALUES: Bounds = Bounds::new("values", 1, 9, 2);
    /// The largest number of values accepted.
    pub const VALUES_MAX: usize = Self::VALUES.max as usize;

    /// A validated specification.
    pub fn new(values: usize) -> Result<Self, CfgError> {
        Self::VALUES
            .check_usize(values)
            .map(|values| Self { values })
    }

    /// The proposed values as a set.
    pub fn proposed(&self) -> Chosen {
        (0..self.values).collect()
    }
}

impl Model for Consensus {
    type State = Chosen;
    type Action = ConsensusAction;

    fn init_states(&self) -> Vec<Self::State> {
        vec![Chosen::new()]
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        if state.is_empty() {
            actions.extend((0..self.values).map(ConsensusAction::Choose));
        }
    }

    fn next_state(&self, state: &Self::State, action: Self::Action) -> Option<Self::State> {
        let ConsensusAction::Choose(v) = action;
        (state.is_empty() && v < self.values).then(|| Chosen::from([v]))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(AGREEMENT, |_, s: &Chosen| agreement(s)),
            Property::always(VALIDITY, |m: &Self, s: &Chosen| validity(s, &m.proposed())),
            Property::eventually(A_VALUE_IS_CHOSEN, |_, s: &Chosen| some_chosen(s)),
        ]
    }
}

/// The declaration of `consensus`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<Consensus> {
    Spec::new(
        "consensus",
        "Consensus: a set of chosen values, initially empty, that may grow to one proposed value and never changes after",
        |p| Consensus::new(p.int("values") as usize),
    )
    .param(Param::bounded(Consensus::VALUES, "number of proposed values"))
    .describe(|ConsensusAction::Choose(v)| format!("choose {v}"))
    .view(|s| serde_json::json!({ "chosen": s }))
    .step_invariants(|| {
        vec![crate::StepInvariant {
            name: STABILITY,
            holds: |_, before, after| stability(before, after),
        }]
    })
    .end_states(|_, s| some_chosen(s))
    .action_kinds(&["Choose"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_say_what_they_claim() {
        let (none, zero, one) = (Chosen::new(), Chosen::from([0]), Chosen::from([1]));
        let both = Chosen::from([0, 1]);
        assert!(agreement(&none) && agreement(&zero) && !agreement(&both));
        assert!(validity(&zero, &both) && !validity(&Chosen::from([2]), &both));
        assert!(stability(&none, &zero) && stability(&zero, &zero));
        assert!(!stability(&zero, &one) && !stability(&zero, &none));
        assert!(!some_chosen(&none) && some_chosen(&one));
    }

    #[test]
    fn spec_chooses_one_value_once() {
        let spec = Consensus::new(3).unwrap();
        let init = spec.init_states().remove(0);
        assert_eq!(spec.next_states(&init).len(), 3);
        let chosen = spec.next_state(&init, ConsensusAction::Choose(2)).unwrap();
        assert_eq!(chosen, Chosen::from([2]));
        assert!(spec.next_states(&chosen).is_empty());
        assert_eq!(spec.next_state(&init, ConsensusAction::Choose(3)), None);
    }

    #[test]
    fn new_rejects_out_of_range() {
        assert!(Consensus::new(0).is_err());
        assert!(Consensus::new(10).is_err());
        assert!(Consensus::new(9).is_ok());
    }
}
