//! The abstract specification of Byzantine reliable broadcast: what the loyal processes may
//! deliver, whoever the traitors are. After C. Cachin, R. Guerraoui and L. Rodrigues,
//! "Introduction to Reliable and Secure Distributed Programming", 2nd ed., 2011, module 3.12
//! (Byzantine reliable broadcast), and G. Bracha, 1987, section 2.
//!
//! The state is what each loyal process has delivered (`None`: nothing yet). The one action
//! delivers a value to a loyal process that has delivered nothing: the value every loyal
//! process that delivered has delivered, if any did, and the sender's input if the sender is
//! loyal. Bracha's broadcast (`specs::bracha_broadcast`) maps its states onto this one (each
//! loyal process's first delivery) and must refine it: each of its steps maps onto a
//! `Deliver` or a stutter. The spec's runs deliver to everybody; a protocol with a faulty
//! sender may also deliver to nobody, which the refinement (about steps) allows.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `agreement` | always | no two loyal processes deliver different values ([`agreement`]) |
//! | `integrity` | always | with a loyal sender, only its input is delivered ([`integrity`]) |
//! | `validity` | eventually | with a loyal sender, every loyal process delivers its input ([`validity`]) |

use crate::params::Param;
use crate::protocol::Spec;
use models::bracha_broadcast::{Value, INPUT, VALUES};
use models::common::{Bounds, CfgError};
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// What each loyal process has delivered, in loyal-process order.
pub type RbState = Vec<Option<Value>>;

/// A step of the spec.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RbAction {
    /// Loyal process number `process` (in loyal order) delivers `value`.
    Deliver { process: usize, value: Value },
}

/// Reliable broadcast among `loyal` loyal processes.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct ReliableBroadcast {
    /// Loyal processes. Must be in 1..=9; 3 is a good default.
    pub loyal: usize,
    /// Whether the sender is a traitor (then any value of the domain may be delivered).
    pub sender_faulty: bool,
}

impl ReliableBroadcast {
    /// Loyal processes: 1..=9, 3 by default.
    pub const LOYAL: Bounds = Bounds::new("loyal", 1, 9, 3);

    /// A validated specification.
    pub fn new(loyal: usize, sender_faulty: bool) -> Result<Self, CfgError> {
        Self::LOYAL.check_usize(loyal)?;
        Ok(Self {
            loyal,
            sender_faulty,
        })
    }
}

/// Agreement (Cachin et al., module 3.12, BRB4): no two loyal processes deliver different values.
pub fn agreement(delivered: &[Option<Value>]) -> bool {
    let mut values = delivered.iter().flatten();
    values.next().is_none_or(|first| values.all(|v| v == first))
}

/// Integrity (Cachin et al., module 3.12, BRB3): with a loyal sender, every delivered value is
/// its input.
pub fn integrity(sender_faulty: bool, delivered: &[Option<Value>]) -> bool {
    sender_faulty || delivered.iter().flatten().all(|&v| v == INPUT)
}

/// Validity (Cachin et al., module 3.12, BRB1): with a loyal sender, every loyal process has
/// delivered its input.
pub fn validity(sender_faulty: bool, delivered: &[Option<Value>]) -> bool {
    sender_faulty || delivered.iter().all(|&d| d == Some(INPUT))
}

impl Model for ReliableBroadcast {
    type State = RbState;
    type Action = RbAction;

    fn init_states(&self) -> Vec<RbState> {
        vec![vec![None; self.loyal]]
    }

    fn actions(&self, s: &RbState, actions: &mut Vec<RbAction>) {
        let bound = s.iter().flatten().next().copied();
        let allowed: Vec<Value> = match (bound, self.sender_faulty) {
            (Some(v), _) => vec![v],
            (None, false) => vec![INPUT],
            (None, true) => VALUES.to_vec(),
        };
        for (process, d) in s.iter().enumerate() {
            if d.is_none() {
                actions.extend(
                    allowed
                        .iter()
                        .map(|&value| RbAction::Deliver { process, value }),
                );
            }
        }
    }

    fn next_state(&self, s: &RbState, action: RbAction) -> Option<RbState> {
        let RbAction::Deliver { process, value } = action;
        let mut next = s.clone();
        let slot = next.get_mut(process)?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(value);
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("agreement", |_, s: &RbState| agreement(s)),
            Property::always("integrity", |m: &Self, s: &RbState| {
                integrity(m.sender_faulty, s)
            }),
            Property::eventually("validity", |m: &Self, s: &RbState| {
                validity(m.sender_faulty, s)
            }),
        ]
    }
}

/// The declaration of `reliable-broadcast`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<ReliableBroadcast> {
    Spec::new(
        "reliable-broadcast",
        "Byzantine reliable broadcast: loyal processes deliver at most once, the same value, the sender's if it is loyal",
        |p| ReliableBroadcast::new(p.int("loyal") as usize, p.bool("sender-faulty")),
    )
    .param(Param::bounded(ReliableBroadcast::LOYAL, "number of loyal processes"))
    .param(Param::bool(
        "sender-faulty",
        false,
        "whether the sender is a traitor (any value may then be delivered, one for all)",
    ))
    .describe(|RbAction::Deliver { process, value }| format!("loyal process {process} delivers {value}"))
    .view(|s| serde_json::json!({ "delivered": s }))
    .end_states(|_, s| s.iter().all(Option::is_some))
    .action_kinds(&["Deliver"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_say_what_they_claim() {
        assert!(agreement(&[None, Some(1), Some(1)]));
        assert!(!agreement(&[Some(0), None, Some(1)]));
        assert!(integrity(false, &[Some(0), None]));
        assert!(!integrity(false, &[Some(1), None]));
        assert!(integrity(true, &[Some(1), None]));
        assert!(!validity(false, &[Some(0), None]));
        assert!(validity(false, &[Some(0), Some(0)]));
        assert!(validity(true, &[None, None]));
    }

    #[test]
    fn the_first_delivery_binds_every_other() {
        let spec = ReliableBroadcast::new(2, true).unwrap();
        let init = spec.init_states().remove(0);
        assert_eq!(spec.next_states(&init).len(), 4);
        let one = spec
            .next_state(
                &init,
                RbAction::Deliver {
                    process: 0,
                    value: 1,
                },
            )
            .unwrap();
        let mut actions = Vec::new();
        spec.actions(&one, &mut actions);
        assert_eq!(
            actions,
            [RbAction::Deliver {
                process: 1,
                value: 1
            }]
        );
        let loyal = ReliableBroadcast::new(2, false).unwrap();
        assert_eq!(loyal.next_states(&init).len(), 2);
    }
}
