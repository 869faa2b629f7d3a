//! Admission control: a token bucket, a sliding-window limiter and a fixed-window counter in
//! front of clients that retry, as stateright actors.
//!
//! # Problem
//!
//! A service protects itself by admitting requests at a bounded rate and rejecting the rest
//! with an explicit error (HTTP 429), and clients back off and retry a bounded number of times:
//! the *limit*, *reject* and *retry* phases of classic flow control. The limiter must keep to
//! its promised rate (conformance), must answer every request (no silent loss), and must not
//! reject a request while it still has room for it.
//!
//! # Source
//!
//! - Token bucket: J. Turner, "New directions in communications (or which way to the
//!   information age?)", IEEE Communications Magazine 24(10), 1986; the arrival-curve reading
//!   (at most `b + r·t` in any interval of `t`) is R. L. Cruz, "A calculus for network delay,
//!   part I", IEEE Trans. Information Theory 37(1), 1991, and J.-Y. Le Boudec and P. Thiran,
//!   "Network Calculus", 2001, section 1.2.2.
//! - Sliding-window log and fixed-window counter: the two limiters of most API gateways, as
//!   described for instance in the Cloudflare blog "How we built rate limiting capable of
//!   scaling to millions of domains" (2017); the fixed window's burst of `2w` across a window
//!   boundary is the reason the sliding window exists.
//!
//! The properties live in `specs::rate_limiter`.
//!
//! # Algorithm
//!
//! Actor `Id(0)` is the limiter; actors `Id(1)..=Id(clients)` are clients. Time is discrete:
//! the limiter's own `Tick` timer advances its clock `now` from 0 to the horizon `ticks`, then
//! stops (time freezes at the horizon, so the state space is finite). A request is stamped with
//! the tick at which the limiter handles it. The three policies ([`Policy`]):
//!
//! - token bucket (rate `r`, capacity `b`): the bucket starts full with `b` tokens; each tick
//!   adds `r`, capped at `b`; a request takes a token or is rejected.
//! - sliding-window limiter (`limit` w, `window` t ticks): a log of the admission ticks of the
//!   last t ticks; a request is admitted if the log holds fewer than w.
//! - fixed-window counter (`limit` w, `window` t ticks): a counter reset at every tick that is
//!   a multiple of t; a request is admitted if the counter is below w.
//!
//! A client sends its `requests` requests one at a time, each when its `Send` timer fires (so at
//! any tick the checker chooses). On `Rejected` it retries, again on its timer, up to
//! `max_retries` times, then gives the request up as rejected and moves on.
//!
//! # Why the limiter's own timer ticks
//!
//! A clock actor would send `Tick` messages, which race with requests and with one another in
//! the network, so the limiter could see time go by out of order or late; the model would
//! explore those races for nothing. The limiter's timer is one atomic step that interleaves
//! with every delivery, which is exactly "a request arrives at an arbitrary tick", and the
//! runtime realises it as a periodic timer.
//!
//! # Fault and network model
//!
//! Messages race (unordered, non-duplicating network) and, with `lossy`, may be lost; there is
//! no retransmission, so a lost request or answer leaves its client waiting for ever (an
//! assumption violated, as for 2PC). A duplicating network is not modelled: a limiter counts a
//! replayed request as a new one. Nodes do not crash (a limiter that recovers would restart
//! with a full budget, a different protocol).
//!
//! # Deviations
//!
//! - "A full queue rejects": the limiter has no waiting queue; its budget (the bucket, the
//!   window's room) is the queue, and when it is exhausted the request is rejected at once
//!   with an explicit `Rejected` message.
//! - Clients wait on a timer before a retry but the checker ignores durations, so a retry may
//!   come in the same tick as the rejection.
//! - The limiter keeps ghost fields (every admission tick, the number of rejections) that no
//!   decision reads: the properties judge the limiter against its promise through them.
//! - [`Bug`] holds deliberately broken variants, kept to show every property can fail.

use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use stateright::{Rewrite, RewritePlan};
use std::borrow::Cow;
use std::time::Duration;

/// A point of discrete time: the number of ticks since the start.
pub type Tick = u8;
/// A client's request number, from 0.
pub type ReqNo = u8;

/// The id of the limiter.
pub const LIMITER_ID: usize = 0;

/// What the limiter promises.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Policy {
    /// At most `capacity + rate·t` admissions in any interval spanning `t` ticks.
    TokenBucket { rate: u8, capacity: u8 },
    /// At most `limit` admissions in any `window` consecutive ticks.
    SlidingWindow { limit: u8, window: u8 },
    /// At most `limit` admissions in each aligned window of `window` ticks (ticks `k·window ..
    /// (k+1)·window`).
    FixedWindow { limit: u8, window: u8 },
}

/// A message between a client and the limiter.
#[derive(
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd,
    Serialize,
    Deserialize,
    strum::EnumDiscriminants,
)]
/// Its variants without their fields, [`RateLimiterMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(RateLimiterMsgKind), derive(strum::IntoStaticStr))]
pub enum RateLimiterMsg {
    /// Client -> limiter: please serve request `req`.
    Request { req: ReqNo },
    /// Limiter -> client: request `req` is admitted.
    Admitted { req: ReqNo },
    /// Limiter -> client: request `req` is rejected, no room (the explicit error).
    Rejected { req: ReqNo },
}

/// The timers.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RateLimiterTimer {
    /// The limiter's clock: one tick.
    Tick,
    /// A client's next send: a new request or a retry.
    Send,
}

/// The limiter's working state for its policy: all it decides by.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Budget {
    /// Tokens left in the bucket.
    TokenBucket { tokens: u8 },
    /// The ticks of the admissions still inside the window, oldest first.
    SlidingWindow { log: Vec<Tick> },
    /// Admissions in the current aligned window.
    FixedWindow { count: u8 },
}

/// The limiter's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct LimiterState {
    /// The current tick.
    pub now: Tick,
    pub budget: Budget,
    /// Ghost: the tick of every admission so far, in order (so never decreasing).
    pub admitted: Vec<Tick>,
    /// Ghost: how many requests it has rejected.
    pub rejected: u8,
}

/// How a client's request ended.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Outcome {
    /// Admitted after `retries` rejections.
    Admitted { retries: u8 },
    /// Rejected `max_retries + 1` times: given up, with an explicit error.
    Rejected,
}

/// A client's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ClientState {
    /// The outcome of each finished request, request 0 first; the current request is the next.
    pub outcomes: Vec<Outcome>,
    /// How many times the current request has been rejected.
    pub retries: u8,
    /// Whether the current request is in flight (sent, not yet answered).
    pub in_flight: bool,
}

/// The state of one actor.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum RateLimiterState {
    Limiter(LimiterState),
    Client(ClientState),
}

/// Deliberately broken variants.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Bug {
    /// The limiter.
    None,
    /// Admits too much: a token bucket that refills past its capacity (it saves unused
    /// tokens), a sliding window that forgets an admission one tick early, a fixed-window
    /// counter that admits while its count is at most (not below) the limit.
    OverAdmit,
    /// Rejects too early: keeps one unit of room in reserve (a token, a slot of the window).
    UnderAdmit,
    /// Drops a request it has no room for without answering.
    SilentDrop,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum RateLimiterActor {
    /// The limiter, with its policy, its horizon and its bug, if any.
    Limiter {
        policy: Policy,
        ticks: Tick,
        bug: Bug,
    },
    /// A client with its workload.
    Client { requests: u8, max_retries: u8 },
}

/// How long a tick lasts at run time (the model checker ignores durations).
fn tick_len() -> std::ops::Range<Duration> {
    Duration::from_millis(100)..Duration::from_millis(101)
}

/// How long a client waits before a send or a retry: within a few ticks.
fn send_wait() -> std::ops::Range<Duration> {
    Duration::from_millis(10)..Duration::from_millis(250)
}

impl Actor for RateLimiterActor {
    type Msg = RateLimiterMsg;
    type State = RateLimiterState;
    type Timer = RateLimiterTimer;
    type Random = ();
    type Storage = ();

    fn name(&self) -> String {
        match self {
            RateLimiterActor::Limiter { .. } => "limiter".to_string(),
            RateLimiterActor::Client { .. } => "client".to_string(),
        }
    }

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> RateLimiterState {
        match self {
            RateLimiterActor::Limiter { policy, ticks, .. } => {
                if *ticks > 0 {
                    o.set_timer(RateLimiterTimer::Tick, tick_len());
                }
                RateLimiterState::Limiter(LimiterState {
                    now: 0,
                    budget: initial_budget(*policy),
                    admitted: Vec::new(),
                    rejected: 0,
                })
            }
            RateLimiterActor::Client { requests, .. } => {
                if *requests > 0 {
                    o.set_timer(RateLimiterTimer::Send, send_wait());
                }
                RateLimiterState::Client(ClientState {
                    outcomes: Vec::new(),
                    retries: 0,
                    in_flight: false,
                })
            }
        }
    }

    fn on_msg(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        src: Id,
        msg: Self::Msg,
        o: &mut Out<Self>,
    ) {
        match (self, &**state, msg) {
            (
                RateLimiterActor::Limiter { policy, bug, .. },
                RateLimiterState::Limiter(l),
                RateLimiterMsg::Request { req },
            ) => {
                if let Some(next) = on_request(*policy, *bug, l, src, req, o) {
                    *state.to_mut() = RateLimiterState::Limiter(next);
                }
            }
            (
                RateLimiterActor::Client {
                    requests,
                    max_retries,
                },
                RateLimiterState::Client(c),
                answer,
            ) => {
                if let Some(next) = on_answer(*requests, *max_retries, c, answer, o) {
                    *state.to_mut() = RateLimiterState::Client(next);
                }
            }
            // A request at a client or an answer at the limiter: nobody sends those.
            _ => {}
        }
    }

    fn on_timeout(
        &self,
        _id: Id,
        state: &mut Cow<Self::State>,
        _timer: &Self::Timer,
        o: &mut Out<Self>,
    ) {
        match (self, &**state) {
            (RateLimiterActor::Limiter { policy, ticks, bug }, RateLimiterState::Limiter(l)) => {
                *state.to_mut() = RateLimiterState::Limiter(tick(*policy, *ticks, *bug, l, o));
            }
            (RateLimiterActor::Client { requests, .. }, RateLimiterState::Client(c)) => {
                // The timer is set only when a request is due, so nothing is in flight.
                if !c.in_flight && c.outcomes.len() < usize::from(*requests) {
                    let req = c.outcomes.len() as ReqNo;
                    o.send(Id::from(LIMITER_ID), RateLimiterMsg::Request { req });
                    let mut next = c.clone();
                    next.in_flight = true;
                    *state.to_mut() = RateLimiterState::Client(next);
                }
            }
            _ => unreachable!("an actor's state always matches its role"),
        }
    }
}

// No message or state names an actor (the limiter answers the envelope's sender), so renaming
// actors leaves them as they are.
impl Rewrite<Id> for RateLimiterMsg {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        *self
    }
}

impl Rewrite<Id> for RateLimiterState {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        self.clone()
    }
}

/// A full budget.
fn initial_budget(policy: Policy) -> Budget {
    match policy {
        Policy::TokenBucket { capacity, .. } => Budget::TokenBucket { tokens: capacity },
        Policy::SlidingWindow { .. } => Budget::SlidingWindow { log: Vec::new() },
        Policy::FixedWindow { .. } => Budget::FixedWindow { count: 0 },
    }
}

/// One tick: the clock advances and the budget is replenished; the next tick is set until the
/// horizon.
fn tick(
    policy: Policy,
    ticks: Tick,
    bug: Bug,
    l: &LimiterState,
    o: &mut Out<RateLimiterActor>,
) -> LimiterState {
    let now = l.now + 1;
    let budget = match (policy, &l.budget) {
        (Policy::TokenBucket { rate, capacity }, Budget::TokenBucket { tokens }) => {
            let refilled = tokens + rate;
            Budget::TokenBucket {
                tokens: if bug == Bug::OverAdmit {
                    refilled
                } else {
                    refilled.min(capacity)
                },
            }
        }
        (Policy::SlidingWindow { window, .. }, Budget::SlidingWindow { log }) => {
            // An admission at tick a is inside the window at `now` while a + window > now; the
            // broken one lets it out a tick early.
            let span = if bug == Bug::OverAdmit {
                window - 1
            } else {
                window
            };
            Budget::SlidingWindow {
                log: log.iter().copied().filter(|&a| a + span > now).collect(),
            }
        }
        (Policy::FixedWindow { window, .. }, Budget::FixedWindow { count }) => {
            Budget::FixedWindow {
                count: if now.is_multiple_of(window) {
                    0
                } else {
                    *count
                },
            }
        }
        _ => unreachable!("the budget always matches the policy"),
    };
    if now < ticks {
        o.set_timer(RateLimiterTimer::Tick, tick_len());
    }
    LimiterState {
        now,
        budget,
        admitted: l.admitted.clone(),
        rejected: l.rejected,
    }
}

/// A request: admitted if the budget has room, else rejected (or, broken, dropped).
fn on_request(
    policy: Policy,
    bug: Bug,
    l: &LimiterState,
    src: Id,
    req: ReqNo,
    o: &mut Out<RateLimiterActor>,
) -> Option<LimiterState> {
    // The room the limiter demands before it admits: one unit, or two when it keeps a reserve.
    let need: u8 = if bug == Bug::UnderAdmit { 2 } else { 1 };
    let mut next = l.clone();
    let admitted = match (policy, &mut next.budget) {
        (Policy::TokenBucket { .. }, Budget::TokenBucket { tokens }) => {
            let room = *tokens >= need;
            if room {
                *tokens -= 1;
            }
            room
        }
        (Policy::SlidingWindow { limit, .. }, Budget::SlidingWindow { log }) => {
            let room = log.len() + usize::from(need) <= usize::from(limit);
            if room {
                log.push(l.now);
            }
            room
        }
        (Policy::FixedWindow { limit, .. }, Budget::FixedWindow { count }) => {
            let room = if bug == Bug::OverAdmit {
                *count <= limit
            } else {
                *count + need <= limit
            };
            if room {
                *count += 1;
            }
            room
        }
        _ => unreachable!("the budget always matches the policy"),
    };
    if admitted {
        next.admitted.push(l.now);
        o.send(src, RateLimiterMsg::Admitted { req });
    } else if bug == Bug::SilentDrop {
        return None;
    } else {
        next.rejected += 1;
        o.send(src, RateLimiterMsg::Rejected { req });
    }
    Some(next)
}

/// A client's answer: the request ends, or is retried on the timer.
fn on_answer(
    requests: u8,
    max_retries: u8,
    c: &ClientState,
    answer: RateLimiterMsg,
    o: &mut Out<RateLimiterActor>,
) -> Option<ClientState> {
    let current = c.outcomes.len() as ReqNo;
    let mut next = c.clone();
    match answer {
        // Answers to anything but the request in flight are stale.
        _ if !c.in_flight => return None,
        RateLimiterMsg::Admitted { req } if req == current => {
            next.outcomes.push(Outcome::Admitted { retries: c.retries });
            next.retries = 0;
        }
        RateLimiterMsg::Rejected { req } if req == current && c.retries < max_retries => {
            next.retries += 1;
        }
        RateLimiterMsg::Rejected { req } if req == current => {
            next.outcomes.push(Outcome::Rejected);
            next.retries = 0;
        }
        _ => return None,
    }
    next.in_flight = false;
    if next.outcomes.len() < usize::from(requests) {
        o.set_timer(RateLimiterTimer::Send, send_wait());
    }
    Some(next)
}

/// The parameters of a rate-limited system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct RateLimiterCfg {
    /// The limiter's policy and its numbers (see the `Bounds` constants for each).
    pub policy: Policy,
    /// Clients (actors `Id(1)..=Id(clients)`). Must be in 1..=3; 2 is a good default.
    pub clients: u8,
    /// Requests each client sends, one at a time. Must be in 1..=3; 2 is a good default.
    pub requests: u8,
    /// The horizon: ticks before time stops. Must be in 1..=6; 3 is a good default.
    pub ticks: Tick,
    /// Retries of a rejected request before the client gives it up. Must be in 0..=3; 1 is a
    /// good default.
    pub max_retries: u8,
    /// A deliberately broken limiter, or [`Bug::None`].
    pub bug: Bug,
    /// What the checked model holds the limiter to: its own policy unless told otherwise (the
    /// fixed-window counter judged by the sliding window's promise, to show where it breaks
    /// it). No actor reads it.
    pub promise: Policy,
    /// Network and fault settings (no crash, no duplication; see the module docs).
    pub system: SystemCfg,
}

impl RateLimiterCfg {
    /// Clients: 1..=3; 2 is the smallest number that makes requests race.
    pub const CLIENTS: Bounds = Bounds::new("clients", 1, 3, 2);
    /// Requests per client: 1..=3; 2 lets one client meet the limit alone.
    pub const REQUESTS: Bounds = Bounds::new("requests", 1, 3, 2);
    /// Ticks before time stops: 1..=6; 3 spans two refills or window boundaries.
    pub const TICKS: Bounds = Bounds::new("ticks", 1, 6, 3);
    /// Retries per request: 0..=3; 1 shows the retry phase.
    pub const MAX_RETRIES: Bounds = Bounds::new("max-retries", 0, 3, 1);
    /// Token-bucket rate r, tokens per tick: 1..=3; 1 is a good default.
    pub const RATE: Bounds = Bounds::new("rate", 1, 3, 1);
    /// Token-bucket capacity b, the largest burst: 1..=4; 2 is a good default.
    pub const CAPACITY: Bounds = Bounds::new("capacity", 1, 4, 2);
    /// Window limit w, admissions per window: 1..=4; 2 is a good default.
    pub const LIMIT: Bounds = Bounds::new("limit", 1, 4, 2);
    /// Window length t, in ticks: 1..=4; 2 is a good default.
    pub const WINDOW: Bounds = Bounds::new("window", 1, 4, 2);
    /// The racing network without redelivery (a replayed request would count as a new one);
    /// no crash.
    pub const SYSTEM: SystemBounds = SystemBounds::only(
        &[NetworkKind::UnorderedNonDuplicating],
        "message delivery: racing, without redelivery (a limiter counts a replayed request as a new one)",
        0,
    );

    /// A validated configuration.
    pub fn new(
        policy: Policy,
        clients: usize,
        requests: usize,
        ticks: usize,
        max_retries: usize,
        bug: Bug,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        match policy {
            Policy::TokenBucket { rate, capacity } => {
                Self::RATE.check(rate.into())?;
                Self::CAPACITY.check(capacity.into())?;
            }
            Policy::SlidingWindow { limit, window } | Policy::FixedWindow { limit, window } => {
                Self::LIMIT.check(limit.into())?;
                Self::WINDOW.check(window.into())?;
            }
        }
        let clients = Self::CLIENTS.check_usize(clients)? as u8;
        let requests = Self::REQUESTS.check_usize(requests)? as u8;
        let ticks = Self::TICKS.check_usize(ticks)? as u8;
        let max_retries = Self::MAX_RETRIES.check_usize(max_retries)? as u8;
        Self::SYSTEM.crashes.check_usize(system.crashes)?;
        if system.network != NetworkKind::UnorderedNonDuplicating {
            return Err(CfgError::Network {
                protocol: "a rate limiter",
                supported: "unordered-nonduplicating",
                network: system.network.name(),
            });
        }
        Ok(Self {
            policy,
            clients,
            requests,
            ticks,
            max_retries,
            bug,
            promise: policy,
            system,
        })
    }

    /// The same limiter, judged against `promise` instead of its own policy.
    pub fn judged_by(self, promise: Policy) -> Self {
        Self { promise, ..self }
    }

    /// The ids of the clients.
    pub fn client_ids(&self) -> Vec<Id> {
        Id::vec_from(LIMITER_ID + 1..=usize::from(self.clients))
    }

    /// The actor system as a stateright model, without properties (see the `specs` crate).
    pub fn into_model(self) -> ActorModel<RateLimiterActor, RateLimiterCfg, ()> {
        crate::common::actor_model(self, ())
    }
}

impl ActorSystem for RateLimiterCfg {
    type Actor = RateLimiterActor;

    fn actors(&self) -> Vec<RateLimiterActor> {
        let limiter = RateLimiterActor::Limiter {
            policy: self.policy,
            ticks: self.ticks,
            bug: self.bug,
        };
        let client = RateLimiterActor::Client {
            requests: self.requests,
            max_retries: self.max_retries,
        };
        std::iter::once(limiter)
            .chain(std::iter::repeat_n(client, usize::from(self.clients)))
            .collect()
    }

    fn actor_name(&self, id: Id) -> String {
        match usize::from(id) {
            LIMITER_ID => "limiter".to_string(),
            i => format!("c{i}"),
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::actor::Command;

    const BUCKET: Policy = Policy::TokenBucket {
        rate: 1,
        capacity: 2,
    };

    fn limiter(policy: Policy, bug: Bug) -> RateLimiterActor {
        RateLimiterActor::Limiter {
            policy,
            ticks: 3,
            bug,
        }
    }

    fn start(a: &RateLimiterActor) -> RateLimiterState {
        a.on_start(Id::from(0), &None, &mut Out::new())
    }

    /// Delivers `msg` from `src` to `a` in `state`; returns the messages sent.
    fn deliver(
        a: &RateLimiterActor,
        state: &mut RateLimiterState,
        src: usize,
        msg: RateLimiterMsg,
    ) -> Vec<(usize, RateLimiterMsg)> {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&*state);
        a.on_msg(Id::from(0), &mut cow, Id::from(src), msg, &mut o);
        *state = cow.into_owned();
        sends(&o)
    }

    fn fire(
        a: &RateLimiterActor,
        state: &mut RateLimiterState,
        timer: RateLimiterTimer,
    ) -> Vec<(usize, RateLimiterMsg)> {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&*state);
        a.on_timeout(Id::from(1), &mut cow, &timer, &mut o);
        *state = cow.into_owned();
        sends(&o)
    }

    fn sends(o: &Out<RateLimiterActor>) -> Vec<(usize, RateLimiterMsg)> {
        o.iter()
            .filter_map(|c| match c {
                Command::Send(dst, m) => Some((usize::from(*dst), *m)),
                _ => None,
            })
            .collect()
    }

    /// The answers of `n` requests from client 1 at the current tick.
    fn burst(a: &RateLimiterActor, s: &mut RateLimiterState, n: u8) -> Vec<RateLimiterMsg> {
        (0..n)
            .flat_map(|req| deliver(a, s, 1, RateLimiterMsg::Request { req }))
            .map(|(_, m)| m)
            .collect()
    }

    fn admitted(answers: &[RateLimiterMsg]) -> usize {
        answers
            .iter()
            .filter(|m| matches!(m, RateLimiterMsg::Admitted { .. }))
            .count()
    }

    #[test]
    fn a_bucket_admits_its_capacity_then_its_rate_per_tick() {
        let a = limiter(BUCKET, Bug::None);
        let mut s = start(&a);
        assert_eq!(admitted(&burst(&a, &mut s, 3)), 2);
        fire(&a, &mut s, RateLimiterTimer::Tick);
        assert_eq!(admitted(&burst(&a, &mut s, 3)), 1);
        // Two idle ticks refill to the capacity, not beyond it.
        fire(&a, &mut s, RateLimiterTimer::Tick);
        fire(&a, &mut s, RateLimiterTimer::Tick);
        assert_eq!(admitted(&burst(&a, &mut s, 3)), 2);
        let RateLimiterState::Limiter(l) = &s else {
            panic!("a limiter")
        };
        assert_eq!(l.admitted, [0, 0, 1, 3, 3]);
        assert_eq!(l.rejected, 4);
    }

    #[test]
    fn an_uncapped_bucket_saves_its_idle_tokens() {
        let a = limiter(BUCKET, Bug::OverAdmit);
        let mut s = start(&a);
        fire(&a, &mut s, RateLimiterTimer::Tick);
        fire(&a, &mut s, RateLimiterTimer::Tick);
        assert_eq!(admitted(&burst(&a, &mut s, 4)), 4);
    }

    #[test]
    fn a_sliding_window_counts_the_last_window_ticks_and_a_fixed_one_resets() {
        let sliding = limiter(
            Policy::SlidingWindow {
                limit: 2,
                window: 2,
            },
            Bug::None,
        );
        let fixed = limiter(
            Policy::FixedWindow {
                limit: 2,
                window: 2,
            },
            Bug::None,
        );
        let (mut s, mut f) = (start(&sliding), start(&fixed));
        fire(&sliding, &mut s, RateLimiterTimer::Tick);
        fire(&fixed, &mut f, RateLimiterTimer::Tick);
        assert_eq!(admitted(&burst(&sliding, &mut s, 2)), 2);
        assert_eq!(admitted(&burst(&fixed, &mut f, 2)), 2);
        // Tick 2 starts a new fixed window, but the sliding window still holds tick 1.
        fire(&sliding, &mut s, RateLimiterTimer::Tick);
        fire(&fixed, &mut f, RateLimiterTimer::Tick);
        assert_eq!(admitted(&burst(&sliding, &mut s, 2)), 0);
        assert_eq!(admitted(&burst(&fixed, &mut f, 2)), 2);
    }

    #[test]
    fn the_broken_limiters_admit_too_much_too_little_or_answer_nothing() {
        let window = Policy::SlidingWindow {
            limit: 2,
            window: 2,
        };
        let fixed = Policy::FixedWindow {
            limit: 2,
            window: 2,
        };
        for (policy, bug, expected) in [
            (fixed, Bug::OverAdmit, 3),
            (window, Bug::UnderAdmit, 1),
            (BUCKET, Bug::UnderAdmit, 1),
        ] {
            let a = limiter(policy, bug);
            let mut s = start(&a);
            assert_eq!(
                admitted(&burst(&a, &mut s, 3)),
                expected,
                "{policy:?} {bug:?}"
            );
        }
        let a = limiter(BUCKET, Bug::SilentDrop);
        let mut s = start(&a);
        assert_eq!(burst(&a, &mut s, 3).len(), 2);
    }

    #[test]
    fn a_client_retries_up_to_max_retries_then_gives_up() {
        let a = RateLimiterActor::Client {
            requests: 2,
            max_retries: 1,
        };
        let mut s = start(&a);
        let request = |req| vec![(LIMITER_ID, RateLimiterMsg::Request { req })];
        assert_eq!(fire(&a, &mut s, RateLimiterTimer::Send), request(0));
        // A second firing while the request is in flight sends nothing.
        assert_eq!(fire(&a, &mut s, RateLimiterTimer::Send), []);
        deliver(&a, &mut s, 0, RateLimiterMsg::Rejected { req: 0 });
        assert_eq!(fire(&a, &mut s, RateLimiterTimer::Send), request(0));
        deliver(&a, &mut s, 0, RateLimiterMsg::Rejected { req: 0 });
        assert_eq!(fire(&a, &mut s, RateLimiterTimer::Send), request(1));
        deliver(&a, &mut s, 0, RateLimiterMsg::Admitted { req: 1 });
        let RateLimiterState::Client(c) = &s else {
            panic!("a client")
        };
        assert_eq!(
            c.outcomes,
            [Outcome::Rejected, Outcome::Admitted { retries: 0 }]
        );
    }

    #[test]
    fn new_validates_every_bound_and_the_network() {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        let new = |policy, clients, system| {
            RateLimiterCfg::new(policy, clients, 2, 3, 1, Bug::None, system)
        };
        assert!(new(BUCKET, 2, system).is_ok());
        assert!(new(BUCKET, 0, system).is_err());
        assert!(new(
            Policy::TokenBucket {
                rate: 4,
                capacity: 2
            },
            2,
            system
        )
        .is_err());
        assert!(new(
            Policy::FixedWindow {
                limit: 2,
                window: 0
            },
            2,
            system
        )
        .is_err());
        let dup = SystemCfg::reliable(NetworkKind::UnorderedDuplicating);
        assert!(matches!(new(BUCKET, 2, dup), Err(CfgError::Network { .. })));
        let crashes = SystemCfg {
            crashes: 1,
            ..system
        };
        assert!(new(BUCKET, 2, crashes).is_err());
    }
}
