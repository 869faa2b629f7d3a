//! What the Byzantine generals protocols share: the orders, the traitors, the paper's majority
//! function, and the view of a general the properties read.
//!
//! L. Lamport, R. Shostak and M. Pease, "The Byzantine Generals Problem", ACM TOPLAS 4(3),
//! 1982. General 0 is the commander, generals `1..n` the lieutenants. The protocols are
//! [`crate::om`] (oral messages, section 3) and [`crate::sm`] (signed messages, section 4); the
//! problem they solve is `specs::byzantine_agreement`.

use crate::common::CfgError;
use serde::{Deserialize, Serialize};

/// An order. `Retreat` is the paper's default: what a lieutenant obeys when the votes tie or
/// a message is missing.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Order {
    Retreat,
    Attack,
    /// A third order, for `orders=3`.
    Hold,
}

impl Order {
    /// The default order (the paper's RETREAT).
    pub const DEFAULT: Order = Order::Retreat;

    /// The first `orders` orders: retreat, attack, then hold.
    pub fn domain(orders: usize) -> Vec<Order> {
        [Order::Retreat, Order::Attack, Order::Hold]
            .into_iter()
            .take(orders)
            .collect()
    }
}

/// The paper's `majority(v1, ..., vk)`: the value more than half of them carry, or the default
/// (RETREAT) if there is none.
pub fn majority(values: &[Order]) -> Order {
    let mut counts: std::collections::BTreeMap<Order, usize> = Default::default();
    for v in values {
        *counts.entry(*v).or_default() += 1;
    }
    counts
        .into_iter()
        .find(|&(_, c)| 2 * c > values.len())
        .map(|(v, _)| v)
        .unwrap_or(Order::DEFAULT)
}

/// Which generals are traitors.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Traitors {
    /// These generals (0 is the commander), sorted, without repeats.
    Ids(Vec<usize>),
    /// Any set of this many generals: the checker starts from every placement at once.
    Any(usize),
}

impl Traitors {
    /// The forms [`Traitors::parse`] accepts, for help texts.
    pub const HINT: &'static str = "any:K|ID,ID,...|none";

    /// Parses `any:K` (every set of `K` generals), `none`, or a comma-separated list of
    /// general ids (`0` is the commander).
    pub fn parse(text: &str) -> Result<Self, CfgError> {
        let malformed = || CfgError::Malformed {
            name: "traitors",
            hint: "any:K, none, or a list of general ids such as 0 or 1,3",
            text: text.to_string(),
        };
        let t = text.trim();
        if t == "none" {
            return Ok(Self::Ids(Vec::new()));
        }
        if let Some(k) = t.strip_prefix("any:") {
            return k.trim().parse().map(Self::Any).map_err(|_| malformed());
        }
        let mut ids: Vec<usize> = t
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()
            .map_err(|_| malformed())?;
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(CfgError::Inconsistent(format!(
                "traitors lists general {} twice",
                ids.windows(2).find(|w| w[0] == w[1]).map_or(0, |w| w[0])
            )));
        }
        Ok(Self::Ids(ids))
    }

    /// How many traitors.
    pub fn count(&self) -> usize {
        match self {
            Self::Ids(ids) => ids.len(),
            Self::Any(k) => *k,
        }
    }

    /// Every traitor set this stands for among `generals` generals (one for a list; every
    /// `k`-subset of `0..generals`, in lexicographic order, for `any:k`), or an error if an id
    /// is not a general or `k` is too large.
    pub fn placements(&self, generals: usize) -> Result<Vec<Vec<usize>>, CfgError> {
        match self {
            Self::Ids(ids) => match ids.iter().find(|&&g| g >= generals) {
                Some(g) => Err(CfgError::Inconsistent(format!(
                    "traitor {g} is not a general: there are {generals} (0..={})",
                    generals - 1
                ))),
                None => Ok(vec![ids.clone()]),
            },
            Self::Any(k) if *k > generals => Err(CfgError::Inconsistent(format!(
                "any:{k} traitors among {generals} generals"
            ))),
            Self::Any(k) => Ok(subsets(generals, *k)),
        }
    }
}

/// How one run starts: the traitors and the order of a loyal commander.
#[derive(Clone, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct Start {
    pub traitors: Vec<usize>,
    pub order: Order,
}

/// Every start for these traitors (see `OmCfg::starts`).
pub fn starts(traitors: &Traitors, generals: usize, orders: usize) -> Result<Vec<Start>, CfgError> {
    let mut domain = Order::domain(orders);
    domain.swap(0, 1);
    let mut out = Vec::new();
    for placement in traitors.placements(generals)? {
        if placement.contains(&0) {
            out.push(Start {
                traitors: placement,
                order: Order::DEFAULT,
            });
        } else {
            out.extend(domain.iter().map(|&order| Start {
                traitors: placement.clone(),
                order,
            }));
        }
    }
    Ok(out)
}

/// Every `k`-subset of `0..n`, in lexicographic order.
fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    if n < k {
        return Vec::new();
    }
    // Those without n - 1, then those with it.
    let mut out = subsets(n - 1, k);
    out.extend(subsets(n - 1, k - 1).into_iter().map(|mut s| {
        s.push(n - 1);
        s
    }));
    out.sort();
    out
}

/// What the properties read of a general.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum GeneralView {
    /// The commander and, if loyal, its order.
    Commander { traitor: bool, order: Order },
    /// A lieutenant and the order it obeys, once it has decided.
    Lieutenant {
        traitor: bool,
        decision: Option<Order>,
    },
}

/// An actor state that is one general's.
pub trait General {
    fn view(&self) -> GeneralView;
}

/// The name of general `i` in traces: `commander`, `l1`, `l2`, ...
pub fn general_name(i: usize) -> String {
    if i == 0 {
        "commander".to_string()
    } else {
        format!("l{i}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Order::*;

    #[test]
    fn majority_is_strict_and_defaults_to_retreat() {
        assert_eq!(majority(&[Attack, Attack, Retreat]), Attack);
        assert_eq!(majority(&[Attack, Retreat]), Retreat);
        assert_eq!(majority(&[Attack, Hold, Retreat]), Retreat);
        assert_eq!(majority(&[Hold, Hold, Attack]), Hold);
        assert_eq!(majority(&[]), Retreat);
    }

    #[test]
    fn traitors_parse_and_place() {
        assert_eq!(Traitors::parse("1,0").unwrap(), Traitors::Ids(vec![0, 1]));
        assert_eq!(Traitors::parse("none").unwrap(), Traitors::Ids(vec![]));
        assert_eq!(Traitors::parse("any:2").unwrap(), Traitors::Any(2));
        assert!(Traitors::parse("any:x").is_err());
        assert!(Traitors::parse("1,1").is_err());
        assert!(Traitors::parse("one").is_err());
        assert_eq!(Traitors::Any(1).placements(3).unwrap(), [[0], [1], [2]]);
        assert_eq!(Traitors::Any(2).placements(4).unwrap().len(), 6);
        assert_eq!(
            Traitors::Any(2).placements(3).unwrap(),
            [vec![0, 1], vec![0, 2], vec![1, 2]]
        );
        assert!(Traitors::Ids(vec![4]).placements(4).is_err());
        assert!(Traitors::Any(5).placements(4).is_err());
    }
}
