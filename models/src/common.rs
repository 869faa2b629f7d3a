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

/// A configuration that cannot be built, with the reason in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfgError(pub String);

impl fmt::Display for CfgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CfgError {}

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
