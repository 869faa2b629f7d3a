//! What a rate limiter must satisfy, for the three limiters of `models::rate_limiter`,
//! registered as `token-bucket`, `sliding-window-limiter` and `fixed-window-counter`.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `conforms to the token bucket` | always | admissions in any interval spanning t ticks are at most b + r·t (Cruz 1991's arrival curve) |
//! | `conforms to the sliding window` | always | admissions in any t consecutive ticks are at most w |
//! | `conforms to the fixed window` | always | admissions in each aligned window of t ticks are at most w |
//! | `every request is admitted or rejected` | eventually | no silent loss: every client learns the fate of each of its requests |
//! | `no rejection while capacity is available` | step | a request is rejected only when admitting it would break the promise |
//! | `a request is rejected` | sometimes | the reject phase is reachable |
//! | `a rejected request is admitted on retry` | sometimes | the retry phase is reachable and can succeed |
//! | `2w admissions in t consecutive ticks` | sometimes | fixed-window counter only: the burst across a window boundary is reachable |
//!
//! Each limiter is judged by the promise of its own policy (the first three rows, one per
//! limiter); `fixed-window-counter conformance=sliding-window` judges the fixed-window counter by
//! the sliding window's promise instead, which it breaks with 2w admissions across a window
//! boundary.
//!
//! Every property reads the limiter's ghost history, the tick of every admission, never its
//! working state (tokens, log, counter): the promise is the specification, the budget the
//! implementation. "Capacity is available" at tick `now` means that one more admission at
//! `now` keeps the history within the promise. For the token bucket this is exactly "a token is
//! left": the tokens at `now` are the minimum over `a <= now` of `b + r·(now − a)` minus the
//! admissions in `a..=now` (the `a = now` term is the cap), so the bucket is the largest
//! limiter that conforms, and it is checked as such.

use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Symmetry};
use crate::StepInvariant;
use models::common::CfgError;
use models::rate_limiter::{
    Bug, ClientState, LimiterState, Outcome, Policy, RateLimiterActor, RateLimiterCfg,
    RateLimiterState, RateLimiterTimer, Tick, LIMITER_ID,
};
use stateright::actor::{ActorModel, ActorModelState, Id};
use stateright::Expectation;

/// The checkable model of a rate-limited system.
pub type RateLimiterModel = ActorModel<RateLimiterActor, RateLimiterCfg, ()>;

/// A state of the whole system.
pub type RateLimiterSysState = ActorModelState<RateLimiterActor, ()>;

/// The limiter's state (actor 0).
pub fn limiter(s: &RateLimiterSysState) -> &LimiterState {
    match &*s.actor_states[LIMITER_ID] {
        RateLimiterState::Limiter(l) => l,
        RateLimiterState::Client(_) => unreachable!("actor {LIMITER_ID} is the limiter"),
    }
}

/// The clients' states, client `i + 1` at index `i`.
fn clients(s: &RateLimiterSysState) -> impl Iterator<Item = &ClientState> {
    s.actor_states.iter().filter_map(|a| match &**a {
        RateLimiterState::Client(c) => Some(c),
        RateLimiterState::Limiter(_) => None,
    })
}

/// How many admissions of `history` fall in the ticks `from..=to`.
fn admitted_in(history: &[Tick], from: u32, to: u32) -> u32 {
    history
        .iter()
        .filter(|&&a| (from..=to).contains(&u32::from(a)))
        .count() as u32
}

/// Whether the admission ticks `history` keep to `policy`. Only intervals that begin and end at
/// an admission need checking: shrinking an interval to its first and last admission keeps its
/// count and lowers no bound.
pub fn conforms(policy: Policy, history: &[Tick]) -> bool {
    let ticks = || history.iter().map(|&a| u32::from(a));
    match policy {
        Policy::TokenBucket { rate, capacity } => ticks().all(|a| {
            ticks().filter(|&c| c >= a).all(|c| {
                admitted_in(history, a, c) <= u32::from(capacity) + u32::from(rate) * (c - a)
            })
        }),
        Policy::SlidingWindow { limit, window } => {
            ticks().all(|a| admitted_in(history, a, a + u32::from(window) - 1) <= u32::from(limit))
        }
        Policy::FixedWindow { limit, window } => ticks().all(|a| {
            let start = a - a % u32::from(window);
            admitted_in(history, start, start + u32::from(window) - 1) <= u32::from(limit)
        }),
    }
}

/// Whether one more admission at `now` keeps `history` within `policy`.
pub fn has_room(policy: Policy, history: &[Tick], now: Tick) -> bool {
    let mut more = history.to_vec();
    more.push(now);
    conforms(policy, &more)
}

/// The limiter's promise (Cruz 1991 for the token bucket; the window definitions for the
/// others): its admissions so far keep to the policy it is judged by.
pub fn conforms_to_promise(m: &RateLimiterModel, s: &RateLimiterSysState) -> bool {
    conforms(m.cfg.promise, &limiter(s).admitted)
}

/// The name of the conformance property for `promise`.
pub fn conformance_name(promise: Policy) -> &'static str {
    match promise {
        Policy::TokenBucket { .. } => "conforms to the token bucket",
        Policy::SlidingWindow { .. } => "conforms to the sliding window",
        Policy::FixedWindow { .. } => "conforms to the fixed window",
    }
}

/// No silent loss: every client has an outcome, admitted or rejected, for each request.
pub fn every_request_answered(m: &RateLimiterModel, s: &RateLimiterSysState) -> bool {
    clients(s).all(|c| c.outcomes.len() == usize::from(m.cfg.requests))
}

/// The reject phase is reachable: the limiter has rejected a request.
pub fn a_request_is_rejected(_: &RateLimiterModel, s: &RateLimiterSysState) -> bool {
    limiter(s).rejected > 0
}

/// The retry phase is reachable: a request rejected before was admitted on a retry.
pub fn admitted_on_retry(_: &RateLimiterModel, s: &RateLimiterSysState) -> bool {
    clients(s).any(|c| {
        c.outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Admitted { retries } if *retries > 0))
    })
}

/// The fixed-window counter's burst (the reason sliding windows exist): some t consecutive
/// ticks, straddling a window boundary, hold 2w admissions.
pub fn double_burst(m: &RateLimiterModel, s: &RateLimiterSysState) -> bool {
    let Policy::FixedWindow { limit, window } = m.cfg.policy else {
        return false;
    };
    let history = &limiter(s).admitted;
    history.iter().any(|&a| {
        let a = u32::from(a);
        admitted_in(history, a, a + u32::from(window) - 1) >= 2 * u32::from(limit)
    })
}

/// A rejection only when the budget is spent: if the limiter rejects in this step, one more
/// admission at the step's tick would have broken the promise.
pub fn no_rejection_while_capacity_is_available(
    m: &RateLimiterModel,
    before: &RateLimiterSysState,
    after: &RateLimiterSysState,
) -> bool {
    let (b, a) = (limiter(before), limiter(after));
    a.rejected == b.rejected || !has_room(m.cfg.promise, &b.admitted, b.now)
}

/// The properties of transitions (see [`StepInvariant`]).
pub fn step_invariants() -> Vec<StepInvariant<RateLimiterModel>> {
    vec![StepInvariant {
        name: "no rejection while capacity is available",
        holds: no_rejection_while_capacity_is_available,
    }]
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: RateLimiterCfg) -> RateLimiterModel {
    let conformance = conformance_name(cfg.promise);
    let fixed = matches!(cfg.policy, Policy::FixedWindow { .. });
    let model = cfg
        .into_model()
        .property(Expectation::Always, conformance, conforms_to_promise)
        .property(
            Expectation::Eventually,
            "every request is admitted or rejected",
            every_request_answered,
        )
        .property(
            Expectation::Sometimes,
            "a request is rejected",
            a_request_is_rejected,
        )
        .property(
            Expectation::Sometimes,
            "a rejected request is admitted on retry",
            admitted_on_retry,
        );
    if fixed {
        model.property(
            Expectation::Sometimes,
            "2w admissions in t consecutive ticks",
            double_burst,
        )
    } else {
        model
    }
}

/// Everything that tells one actor apart from another, with no actor id in it: two clients
/// with equal keys can be swapped without changing the system state. The limiter's key sorts
/// first (`RateLimiterState::Limiter` is the first variant), so it stays at index 0; its state
/// names no client (its history records ticks, not who was admitted).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct SymmetryKey {
    state: RateLimiterState,
    crashed: bool,
    timers: Vec<RateLimiterTimer>,
    /// Messages to this actor, then from it, with the peer (see [`crate::Mail`]): a client
    /// talks to the limiter only.
    inbox: Vec<(Id, models::rate_limiter::RateLimiterMsg)>,
    outbox: Vec<(Id, models::rate_limiter::RateLimiterMsg)>,
}

fn symmetry_key(s: &RateLimiterSysState, i: usize) -> SymmetryKey {
    let crate::Mail { inbox, outbox, .. } = crate::mail_of(&s.network, Id::from(i));
    let mut timers: Vec<RateLimiterTimer> = s.timers_set[i].iter().copied().collect();
    timers.sort();
    SymmetryKey {
        state: (*s.actor_states[i]).clone(),
        crashed: s.crashed[i],
        timers,
        inbox,
        outbox,
    }
}

/// The canonical representative of `s`'s symmetry class (clients are interchangeable): the
/// clients sorted by [`SymmetryKey`], ids renamed to match.
pub fn representative(s: &RateLimiterSysState) -> RateLimiterSysState {
    crate::sorted_by_key(s, |i| symmetry_key(s, i))
}

/// The declaration shared by the three limiters: the workload, the bug, the properties.
fn limiter_protocol(
    name: &'static str,
    description: &'static str,
    cfg: fn(&Params) -> Result<RateLimiterCfg, CfgError>,
) -> Protocol<RateLimiterModel> {
    Protocol::new(name, description, RateLimiterCfg::SYSTEM, cfg, model)
        .param(Param::bounded(
            RateLimiterCfg::CLIENTS,
            "number of clients, each sending its requests one at a time",
        ))
        .param(Param::bounded(
            RateLimiterCfg::REQUESTS,
            "requests each client sends",
        ))
        .param(Param::bounded(
            RateLimiterCfg::TICKS,
            "ticks of the limiter's clock before time stops (the horizon)",
        ))
        .param(Param::bounded(
            RateLimiterCfg::MAX_RETRIES,
            "retries of a rejected request before its client gives it up",
        ))
        .param(Param::choice(
            "bug",
            &["none", "over-admit", "under-admit", "silent-drop"],
            "none",
            "a broken limiter: admits too much, keeps one unit of room in reserve, or drops what it cannot admit",
        ))
        .step_invariants(step_invariants)
        // Every path is finite (ticks stop at the horizon, each client sends at most
        // requests × (max-retries + 1) times), so no fairness is needed to rule out an endless
        // run; weak fairness (a message in flight is delivered, a set timer fires) is what a
        // run owes so that it does not stop early, and it is declared as the assumption.
        .fairness(|_| Fairness::Weak)
        // Quiet after every request is answered is the proper end of a run.
        .end_states(every_request_answered)
        .operations(|cfg| u64::from(cfg.clients) * u64::from(cfg.requests))
        // Clients are interchangeable: same workload, and nothing the limiter keeps names one.
        .symmetry(|_| Some(representative as Symmetry<RateLimiterSysState>))
        .actions(|_, k| {
            use models::rate_limiter::RateLimiterMsgKind as Msg;
            k.receives("limiter", [Msg::Request])
                .timeout("limiter", RateLimiterTimer::Tick)
                .receives("client", [Msg::Admitted, Msg::Rejected])
                .timeout("client", RateLimiterTimer::Send);
        })
}

/// The declaration of `token-bucket`.
pub fn token_bucket() -> Protocol<RateLimiterModel> {
    limiter_protocol(
        "token-bucket",
        "Token bucket: r tokens per tick up to b; at most b + r·t admissions in any t ticks; clients retry on rejection",
        |p| {
            let policy = Policy::TokenBucket {
                rate: p.int("rate") as u8,
                capacity: p.int("capacity") as u8,
            };
            cfg(p, policy)
        },
    )
    .param(Param::bounded(RateLimiterCfg::RATE, "tokens added per tick (r)"))
    .param(Param::bounded(
        RateLimiterCfg::CAPACITY,
        "tokens the bucket holds, the largest burst (b)",
    ))
}

/// The declaration of `sliding-window-limiter`.
pub fn sliding_window() -> Protocol<RateLimiterModel> {
    limiter_protocol(
        "sliding-window-limiter",
        "Sliding-window log: at most w admissions in any t consecutive ticks; clients retry on rejection",
        |p| {
            let policy = Policy::SlidingWindow {
                limit: p.int("limit") as u8,
                window: p.int("window") as u8,
            };
            cfg(p, policy)
        },
    )
    .param(Param::bounded(
        RateLimiterCfg::LIMIT,
        "admissions allowed per window (w)",
    ))
    .param(Param::bounded(RateLimiterCfg::WINDOW, "window length in ticks (t)"))
}

/// The declaration of `fixed-window-counter`.
pub fn fixed_window() -> Protocol<RateLimiterModel> {
    limiter_protocol(
        "fixed-window-counter",
        "Fixed-window counter: at most w admissions per aligned window of t ticks, but 2w across a boundary",
        |p| {
            let (limit, window) = (p.int("limit") as u8, p.int("window") as u8);
            let cfg = cfg(p, Policy::FixedWindow { limit, window })?;
            Ok(match p.word("conformance") {
                "sliding-window" => cfg.judged_by(Policy::SlidingWindow { limit, window }),
                _ => cfg,
            })
        },
    )
    .param(Param::bounded(
        RateLimiterCfg::LIMIT,
        "admissions allowed per window (w)",
    ))
    .param(Param::bounded(RateLimiterCfg::WINDOW, "window length in ticks (t)"))
    .param(Param::choice(
        "conformance",
        &["fixed-window", "sliding-window"],
        "fixed-window",
        "the promise the counter is judged by: its own, or the sliding window's (which it breaks)",
    ))
}

/// The configuration for resolved parameters, with the limiter's `policy`.
fn cfg(p: &Params, policy: Policy) -> Result<RateLimiterCfg, CfgError> {
    let bug = match p.word("bug") {
        "over-admit" => Bug::OverAdmit,
        "under-admit" => Bug::UnderAdmit,
        "silent-drop" => Bug::SilentDrop,
        _ => Bug::None,
    };
    RateLimiterCfg::new(
        policy,
        p.int("clients") as usize,
        p.int("requests") as usize,
        p.int("ticks") as usize,
        p.int("max-retries") as usize,
        bug,
        system_cfg(p),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::{NetworkKind, SystemCfg};
    use models::rate_limiter::Budget;
    use stateright::Model;
    use std::collections::HashSet;

    const BUCKET: Policy = Policy::TokenBucket {
        rate: 1,
        capacity: 2,
    };
    const SLIDING: Policy = Policy::SlidingWindow {
        limit: 2,
        window: 2,
    };
    const FIXED: Policy = Policy::FixedWindow {
        limit: 2,
        window: 2,
    };

    #[test]
    fn the_bucket_allows_b_at_once_and_b_plus_r_t_over_t_ticks() {
        assert!(conforms(BUCKET, &[0, 0, 1, 2]));
        assert!(!conforms(BUCKET, &[0, 0, 0]));
        // Two at 0 and two at 1 is 4 in an interval spanning 1 tick: more than 2 + 1.
        assert!(!conforms(BUCKET, &[0, 0, 1, 1]));
        // An idle stretch refills only up to b.
        assert!(conforms(BUCKET, &[0, 0, 3, 3]));
        assert!(!conforms(BUCKET, &[3, 3, 3]));
    }

    #[test]
    fn the_windows_differ_exactly_across_a_boundary() {
        // Two at tick 1 and two at tick 2: one fixed window each, one sliding window together.
        let boundary = [1, 1, 2, 2];
        assert!(conforms(FIXED, &boundary));
        assert!(!conforms(SLIDING, &boundary));
        assert!(conforms(SLIDING, &[1, 1, 3, 3]));
        assert!(!conforms(FIXED, &[2, 2, 3]));
    }

    #[test]
    fn room_is_one_more_admission_within_the_promise() {
        assert!(has_room(BUCKET, &[0], 0));
        assert!(!has_room(BUCKET, &[0, 0], 0));
        assert!(has_room(BUCKET, &[0, 0], 1));
        assert!(!has_room(SLIDING, &[1, 2], 2));
        assert!(has_room(FIXED, &[1, 1], 2));
    }

    /// Every reachable state of the correct limiter with `policy` (2 clients, 2 requests, 4
    /// ticks, 1 retry), by a search keyed by state equality.
    fn reachable(policy: Policy) -> Vec<RateLimiterSysState> {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        let cfg = RateLimiterCfg::new(policy, 2, 2, 4, 1, Bug::None, system).unwrap();
        let model = model(cfg);
        let mut seen = HashSet::new();
        let mut pending = model.init_states();
        let mut actions = Vec::new();
        while let Some(state) = pending.pop() {
            if !seen.insert(state.clone()) {
                continue;
            }
            model.actions(&state, &mut actions);
            pending.extend(
                actions
                    .drain(..)
                    .filter_map(|a| model.next_state(&state, a)),
            );
        }
        seen.into_iter().collect()
    }

    #[test]
    fn each_budget_has_room_exactly_when_the_promise_does() {
        // The working state decides; the ghost history judges: they agree in every reachable
        // state, so each limiter admits as much as its promise allows, no more, no less.
        // The counts are the checker's for `ticks=4` (checker/tests/rate_limiter.rs): a search
        // keyed by equality, independent of any fingerprint, finds the same states.
        for (policy, count) in [(BUCKET, 6084), (SLIDING, 6326), (FIXED, 6310)] {
            let states = reachable(policy);
            assert_eq!(states.len(), count, "{policy:?}");
            for s in &states {
                let l = limiter(s);
                let budget_room = match (&l.budget, policy) {
                    (Budget::TokenBucket { tokens }, _) => *tokens > 0,
                    (Budget::SlidingWindow { log }, Policy::SlidingWindow { limit, .. }) => {
                        log.len() < usize::from(limit)
                    }
                    (Budget::FixedWindow { count }, Policy::FixedWindow { limit, .. }) => {
                        *count < limit
                    }
                    _ => unreachable!("the budget matches the policy"),
                };
                assert_eq!(
                    budget_room,
                    has_room(policy, &l.admitted, l.now),
                    "{policy:?}: {l:?}"
                );
            }
        }
    }

    #[test]
    fn representative_is_canonical_over_both_orders_of_the_clients() {
        let swap = stateright::RewritePlan::from_values_to_sort(&[0, 2, 1]);
        let mut moved = 0;
        for s in reachable(SLIDING) {
            let swapped = crate::rename_actors(&s, &swap);
            moved += usize::from(swapped != s);
            assert_eq!(representative(&swapped), representative(&s), "{s:#?}");
        }
        assert!(moved > 1000, "{moved}");
    }
}
