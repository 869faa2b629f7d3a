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

/// Both systems' actor names: actor 0 is the client, actor 1 the server.
fn role(id: Id) -> String {
    match usize::from(id) {
        0 => "client".into(),
        1 => "server".into(),
        _ => "unknown actor".into(),
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
        role(id)
    }

    fn system(&self) -> SystemCfg {
        SystemCfg::reliable(NetworkKind::Ordered)
    }
}

/// The windowed variant, for throughput: the client keeps up to `window` pings in flight and
/// sends the next one as each pong comes back, until `rounds` pongs are back. A serial
/// ping-pong ([`PingCfg`]) waits for one datagram at a time, so its speed is the kernel's
/// wake-up latency; this one keeps both ends busy, so a driver's own cost per message shows.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum WindowPinger {
    Client { rounds: u64, window: u64 },
    Server,
}

/// The windowed client's progress: pings sent and pongs back (the server keeps nothing).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct WindowState {
    pub sent: u64,
    pub acked: u64,
}

impl Actor for WindowPinger {
    type Msg = PingMsg;
    type State = WindowState;
    type Timer = ();
    type Random = ();
    type Storage = ();

    fn name(&self) -> String {
        match self {
            WindowPinger::Client { .. } => "client".into(),
            WindowPinger::Server => "server".into(),
        }
    }

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> WindowState {
        let mut state = WindowState::default();
        if let WindowPinger::Client { rounds, window } = self {
            while state.sent < (*window).min(*rounds) {
                state.sent += 1;
                o.send(Id::from(1), PingMsg::Ping(state.sent));
            }
        }
        state
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<WindowState>,
        src: Id,
        msg: PingMsg,
        o: &mut Out<Self>,
    ) {
        match (self, msg) {
            (WindowPinger::Server, PingMsg::Ping(n)) => o.send(src, PingMsg::Pong(n)),
            // Any outstanding ping's pong counts (order does not matter); a pong for a ping
            // never sent, or one more than were sent, is ignored.
            (WindowPinger::Client { rounds, .. }, PingMsg::Pong(n))
                if n >= 1 && n <= state.sent && state.acked < state.sent =>
            {
                let state = state.to_mut();
                state.acked += 1;
                if state.sent < *rounds {
                    state.sent += 1;
                    o.send(src, PingMsg::Ping(state.sent));
                }
            }
            _ => {}
        }
    }
}

/// The windowed two-actor system: `rounds` round trips with up to `window` in flight, on a
/// network that may reorder (the client does not depend on order), without crashes.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct WindowCfg {
    pub rounds: u64,
    pub window: u64,
}

impl ActorSystem for WindowCfg {
    type Actor = WindowPinger;

    fn actors(&self) -> Vec<WindowPinger> {
        vec![
            WindowPinger::Client {
                rounds: self.rounds,
                window: self.window,
            },
            WindowPinger::Server,
        ]
    }

    fn actor_name(&self, id: Id) -> String {
        role(id)
    }

    fn system(&self) -> SystemCfg {
        SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating)
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

    #[test]
    fn the_windowed_client_keeps_the_window_full_until_every_round_is_back() {
        for (rounds, window) in [(300, 8), (5, 64), (40, 1)] {
            let cfg = WindowCfg { rounds, window };
            let mut sim = Sim::from_system(&cfg, SimCfg::default()).unwrap();
            let mut most_in_flight = 0;
            loop {
                let in_flight = sim.in_flight().len() as u64;
                assert!(in_flight <= window, "{cfg:?}: {in_flight} in flight");
                most_in_flight = most_in_flight.max(in_flight);
                if !sim.step() {
                    break;
                }
            }
            let outcome = sim.outcome();
            assert!(outcome.quiescent, "{cfg:?}");
            assert_eq!(
                *sim.actor_states()[0],
                WindowState {
                    sent: rounds,
                    acked: rounds
                },
                "{cfg:?}"
            );
            assert_eq!(outcome.steps as u64, 2 * rounds, "{cfg:?}");
            // The window is really used: as many in flight as it allows (or as there are
            // rounds), not one at a time.
            assert_eq!(most_in_flight, window.min(rounds), "{cfg:?}");
        }
    }

    #[test]
    fn a_pong_for_a_ping_never_sent_is_not_counted() {
        let client = WindowPinger::Client {
            rounds: 10,
            window: 2,
        };
        let mut out = Out::new();
        let start = client.on_start(Id::from(0), &None, &mut out);
        assert_eq!(start, WindowState { sent: 2, acked: 0 });
        let mut state = Cow::Owned(start);
        let mut out = Out::new();
        // Pong 7 was never sent.
        client.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            PingMsg::Pong(7),
            &mut out,
        );
        assert_eq!(*state, WindowState { sent: 2, acked: 0 });
        client.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            PingMsg::Pong(1),
            &mut out,
        );
        client.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            PingMsg::Pong(2),
            &mut out,
        );
        client.on_msg(
            Id::from(0),
            &mut state,
            Id::from(1),
            PingMsg::Pong(3),
            &mut out,
        );
        assert_eq!(*state, WindowState { sent: 5, acked: 3 });
    }
}
