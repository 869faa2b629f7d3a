//! The three rate limiters (issue 16 §4): admission decisions per second.
//!
//! - `rate_limiter/decide/<limiter>`: the limiter actor alone, as the registry builds it at its
//!   defaults but with the largest horizon (`ticks=6`): from its start, 4 requests per tick over
//!   7 ticks (28 decisions, admitted or rejected, per iteration), each through `on_msg` with the
//!   clone-on-write state the runtime uses, the tick through `on_timeout`. Throughput counts
//!   decisions; the admitted share is printed before timing.
//! - `rate_limiter/runtime/<limiter>`: whole plain runs on the in-memory driver through the
//!   registry (`Target::run_plain`, the defaults: 2 clients, 2 requests each), the next seed each
//!   iteration; throughput counts the requests answered (4 per run).

use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use models::common::ActorSystem;
use models::rate_limiter::{RateLimiterActor, RateLimiterMsg, RateLimiterState, RateLimiterTimer};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::hint::black_box;

const LIMITERS: [&str; 3] = [
    "token-bucket",
    "sliding-window-limiter",
    "fixed-window-counter",
];

/// Requests per tick, and ticks, in one `decide` iteration.
const PER_TICK: u8 = 4;
const TICKS: u8 = 6;

/// The registered limiter actor of `name` with `ticks=6`.
fn limiter(name: &str) -> RateLimiterActor {
    let decl = match name {
        "token-bucket" => specs::rate_limiter::token_bucket(),
        "sliding-window-limiter" => specs::rate_limiter::sliding_window(),
        _ => specs::rate_limiter::fixed_window(),
    };
    let cfg = decl.cfg_of(&["ticks=6"]).expect("a valid configuration");
    cfg.actors().remove(0)
}

/// One iteration: a fresh limiter through `TICKS` ticks with `PER_TICK` requests at each tick;
/// returns how many were admitted.
fn decide(a: &RateLimiterActor) -> u32 {
    let me = Id::from(0);
    let client = Id::from(1);
    let mut o = Out::new();
    let mut state = a.on_start(me, &None, &mut o);
    let mut admitted = 0;
    for t in 0..=TICKS {
        for req in 0..PER_TICK {
            let mut o = Out::new();
            let mut cow = Cow::Borrowed(&state);
            a.on_msg(
                me,
                &mut cow,
                client,
                RateLimiterMsg::Request { req },
                &mut o,
            );
            admitted += o
                .iter()
                .filter(|c| matches!(c, Command::Send(_, RateLimiterMsg::Admitted { .. })))
                .count() as u32;
            if let Cow::Owned(next) = cow {
                state = next;
            }
        }
        if t < TICKS {
            let mut o = Out::new();
            let mut cow: Cow<RateLimiterState> = Cow::Borrowed(&state);
            a.on_timeout(me, &mut cow, &RateLimiterTimer::Tick, &mut o);
            if let Cow::Owned(next) = cow {
                state = next;
            }
        }
    }
    admitted
}

fn rate_limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limiter");
    let decisions = u64::from(PER_TICK) * (u64::from(TICKS) + 1);
    group.throughput(Throughput::Elements(decisions));
    for name in LIMITERS {
        let a = limiter(name);
        println!("{name}: {} of {decisions} requests admitted", decide(&a));
        group.bench_function(format!("decide/{name}"), |b| {
            b.iter(|| decide(black_box(&a)))
        });
    }
    for name in LIMITERS {
        let entry = registry::find(name).expect("registered");
        let (_, target) = entry.instantiate(&[]).expect("the defaults build");
        let (_, requests) = plain_batch(name, &*target, 0..64);
        group.throughput(Throughput::Elements(requests / 64));
        let mut seed = 0u64;
        group.bench_function(format!("runtime/{name}"), |b| {
            b.iter(|| {
                seed += 1;
                plain_batch(name, black_box(&*target), seed..seed + 1)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, rate_limiter);
criterion_main!(benches);
