//! Settings shared by every actor system: network semantics, loss, crashes, and the error type
//! of configuration constructors.

use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, LossyNetwork, Network};
use std::fmt;
use std::hash::Hash;

/// How the network delivers messages between actors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NetworkKind {
    /// Each directed channel (src, dst) is FIFO; channels race one another.
    Ordered,
    /// Messages race one another and may be delivered more than once.
    UnorderedDuplicating,
    /// Messages race one another and are delivered at most once.
    UnorderedNonDuplicating,
}

impl NetworkKind {
    /// The names accepted on the command line, in declaration order.
    pub const NAMES: [&'static str; 3] = [
        "ordered",
        "unordered-duplicating",
        "unordered-nonduplicating",
    ];

    /// Every kind, in the order of [`NetworkKind::NAMES`].
    pub const ALL: [NetworkKind; 3] = [
        Self::Ordered,
        Self::UnorderedDuplicating,
        Self::UnorderedNonDuplicating,
    ];

    /// Parses a command-line name (see [`NetworkKind::NAMES`]).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ordered" => Some(Self::Ordered),
            "unordered-duplicating" => Some(Self::UnorderedDuplicating),
            "unordered-nonduplicating" => Some(Self::UnorderedNonDuplicating),
            _ => None,
        }
    }

    /// The command-line name of this kind.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ordered => Self::NAMES[0],
            Self::UnorderedDuplicating => Self::NAMES[1],
            Self::UnorderedNonDuplicating => Self::NAMES[2],
        }
    }

    /// An empty stateright network with these semantics.
    pub fn empty<Msg: Eq + Hash>(self) -> Network<Msg> {
        match self {
            Self::Ordered => Network::new_ordered([]),
            Self::UnorderedDuplicating => Network::new_unordered_duplicating([]),
            Self::UnorderedNonDuplicating => Network::new_unordered_nonduplicating([]),
        }
    }
}

/// The fault and network model every actor protocol is checked under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SystemCfg {
    /// Delivery semantics of the network.
    pub network: NetworkKind,
    /// Whether the network may drop any message in flight.
    pub lossy: bool,
    /// How many actors may be crashed at the same time (0 = no crashes). A crashed actor loses
    /// its volatile state and timers and may later recover from its `Storage`.
    pub crashes: usize,
}

impl SystemCfg {
    /// A reliable system on `network`: no message is lost and no actor crashes.
    pub fn reliable(network: NetworkKind) -> Self {
        Self {
            network,
            lossy: false,
            crashes: 0,
        }
    }
}

/// A configuration that cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CfgError {
    /// An integer setting outside its [`Bounds`].
    #[error("{name} must be in {min}..={max}, got {value}")]
    OutOfRange {
        name: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    /// More actors may crash at once than the system has.
    #[error("crashes must be at most the number of actors ({actors}), got {crashes}")]
    TooManyCrashes { crashes: usize, actors: usize },
    /// A network the protocol is not modelled on.
    #[error("{protocol} is modelled on the {supported} network only, not {network}")]
    Network {
        protocol: &'static str,
        supported: &'static str,
        network: &'static str,
    },
    /// A text setting that does not parse.
    #[error("{name} must be {hint}, not '{text}'")]
    Malformed {
        name: &'static str,
        hint: &'static str,
        text: String,
    },
    /// Settings that contradict each other, with the reason in words.
    #[error("{0}")]
    Inconsistent(String),
}

/// An integer setting's allowed range and sensible default: the one source both the
/// configuration constructors and the command line take them from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The setting's name, as the command line spells it.
    pub name: &'static str,
    pub min: u64,
    pub max: u64,
    pub default: u64,
}

impl Bounds {
    /// Bounds `min..=max` with default `default`.
    pub const fn new(name: &'static str, min: u64, max: u64, default: u64) -> Self {
        Self {
            name,
            min,
            max,
            default,
        }
    }

    /// `value`, if within the bounds.
    pub fn check(self, value: u64) -> Result<u64, CfgError> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(CfgError::OutOfRange {
                name: self.name,
                value,
                min: self.min,
                max: self.max,
            })
        }
    }

    /// [`Bounds::check`] for a count.
    pub fn check_usize(self, value: usize) -> Result<usize, CfgError> {
        self.check(value as u64).map(|v| v as usize)
    }
}

/// The network and fault settings a protocol accepts, with its defaults: the one source the
/// command line takes them from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemBounds {
    /// The networks the protocol is modelled on.
    pub networks: &'static [NetworkKind],
    /// The `network` parameter's doc line when not all three are accepted: what the network
    /// delivers and why only that.
    pub networks_why: Option<&'static str>,
    /// The network unless told otherwise.
    pub network: NetworkKind,
    /// Whether the network loses messages unless told otherwise.
    pub lossy: bool,
    /// How many actors may be down at once.
    pub crashes: Bounds,
}

impl SystemBounds {
    /// Every network, `network` by default, no loss and no crash by default, at most
    /// `crashes_max` actors down at once.
    pub const fn any_network(network: NetworkKind, crashes_max: u64) -> Self {
        Self {
            networks: &NetworkKind::ALL,
            networks_why: None,
            network,
            lossy: false,
            crashes: Bounds::new("crashes", 0, crashes_max, 0),
        }
    }

    /// The one network `network`, for the reason `why`.
    pub const fn only(
        network: &'static [NetworkKind; 1],
        why: &'static str,
        crashes_max: u64,
    ) -> Self {
        Self {
            networks: network,
            networks_why: Some(why),
            network: network[0],
            lossy: false,
            crashes: Bounds::new("crashes", 0, crashes_max, 0),
        }
    }
}

impl SystemCfg {
    /// Fails if more actors may crash at once than the `actors` the system has.
    pub fn check_crashes(&self, actors: usize) -> Result<(), CfgError> {
        if self.crashes > actors {
            return Err(CfgError::TooManyCrashes {
                crashes: self.crashes,
                actors,
            });
        }
        Ok(())
    }
}

/// An actor protocol's configuration: everything the model checker and the runtime drivers need
/// to build the same set of nodes. Actor `i` in [`ActorSystem::actors`] has `Id::from(i)`.
pub trait ActorSystem {
    /// The actor type (roles are enum variants).
    type Actor: Actor;

    /// The nodes, in id order.
    fn actors(&self) -> Vec<Self::Actor>;

    /// A short human name for actor `id`, such as `tm` or `rm2`, used in traces.
    fn actor_name(&self, id: Id) -> String;

    /// Network and fault settings.
    fn system(&self) -> SystemCfg;
}

/// The actor system `cfg` describes as a stateright model with initial history `history`,
/// without properties (those live in `specs`): its actors in id order, its network semantics,
/// loss and crash bound. Every protocol's `into_model` is this.
pub fn actor_model<C, H>(cfg: C, history: H) -> ActorModel<C::Actor, C, H>
where
    C: ActorSystem,
    <C::Actor as Actor>::Msg: Ord,
    <C::Actor as Actor>::Timer: Ord,
    H: Clone + fmt::Debug + Hash,
{
    let system = cfg.system();
    let actors = cfg.actors();
    let lossy = if system.lossy {
        LossyNetwork::Yes
    } else {
        LossyNetwork::No
    };
    ActorModel::new(cfg, history)
        .actors(actors)
        .init_network(system.network.empty())
        .lossy_network(lossy)
        .max_crashes(system.crashes)
}
