//! A trivial actor system for measuring drivers, not a protocol: two actors bounce a counter
//! back and forth `rounds` times. Each handler does almost nothing, so the time a driver takes
//! per message is the driver's own overhead (queueing, scheduling, encoding, sockets).

use models::common::{ActorSystem, NetworkKind, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;

/// The message: the round number, or the server's echo of it.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum PingMsg {
    Ping(u64),
    Pong(u64),
}

/// Actor 0 is the client (it starts and counts rounds), actor 1 the server (it echoes).
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Pinger {
    Client { rounds: u64 },
    Server,
}

/// The client's state: the last round whose echo came back. The server keeps nothing.
pub type PingState = u64;

impl Actor for Pinger {
    type Msg = PingMsg;
    type State = PingState;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn name(&self) -> String {
        match self {
            Pinger::Client { .. } => "client".into(),
            Pinger::Server => "server".into(),
        }
    }

    fn on_start(&self, _id: Id, _storage: &Option<Self::Storage>, o: &mut Out<Self>) -> PingState {
        if let Pinger::Client { rounds } = self {
            if *rounds > 0 {
                o.send(Id::from(1), PingMsg::Ping(1));
            }
        }
        0
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<PingState>,
        src: Id,
        msg: PingMsg,
        o: &mut Out<Self>,
    ) {
        match (self, msg) {
            (Pinger::Server, PingMsg::Ping(n)) => o.send(src, PingMsg::Pong(n)),
            (Pinger::Client { rounds }, PingMsg::Pong(n)) if n == **state + 1 => {
                *state.to_mut() = n;
                if n < *rounds {
                    o.send(src, PingMsg::Ping(n + 1));
                }
            }
            _ => {}
        }
    }
}

/// The two-actor system: a client that runs `rounds` round trips against a server, on a
/// reliable ordered network without crashes.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct PingCfg {
    pub rounds: u64,
}

impl ActorSystem for PingCfg {
    type Actor = Pinger;

    fn actors(&self) -> Vec<Pinger> {
        vec![
            Pinger::Client {
                rounds: self.rounds,
            },
            Pinger::Server,
        ]
    }

    fn actor_name(&self, id: Id) -> String {
        match usize::from(id) {
            0 => "client".into(),
            1 => "server".into(),
            _ => "unknown actor".into(),
        }
    }

    fn system(&self) -> SystemCfg {
        SystemCfg {
            network: NetworkKind::Ordered,
            lossy: false,
            crashes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Sim, SimCfg};

    #[test]
    fn the_client_sees_every_round_come_back() {
        let cfg = PingCfg { rounds: 50 };
        let mut sim = Sim::from_system(&cfg, SimCfg::default()).unwrap();
        let outcome = sim.run();
        assert!(outcome.quiescent);
        assert_eq!(*sim.actor_states()[0], 50);
        // One ping and one pong per round.
        assert_eq!(outcome.steps, 100);
    }
}
