//! Gossip and anti-entropy (issue 14 §1, §2, §4): the work of a round at scale.
//!
//! - `gossip/round/<mode>/10000`: one synchronous round of [`models::gossip::SyncGossip`] (the
//!   checked actor's exchange rule) at n = 10,000, fanout 1, taken from the state after the
//!   rounds that inform about half the nodes (the busiest round); throughput counts nodes.
//! - `anti_entropy/converge/<crdt>/<replicas>`: a whole synchronous anti-entropy run with the
//!   model's digest, delta and merge functions: 2 keys, one write per replica at a random key,
//!   then rounds in which every replica reconciles with a random peer (digest, entries newer
//!   than the peer's digest both ways, merge) until all stores are equal. The rounds taken are
//!   printed before timing.
//! - `anti_entropy/runtime` and `gossip/runtime`: whole plain runs of the registered actors on
//!   the in-memory driver at their defaults, the next seed each iteration.

use benches::plain_batch;
use checker::registry;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use models::anti_entropy::{apply_write, merge, Bug, Crdt, Store};
use models::gossip::{Mode, SyncGossip};
use models::rng::SplitMix64;
use std::hint::black_box;

const N: usize = 10_000;

/// The state after the rounds that inform about half of `N` nodes.
fn half_informed(mode: Mode, rng: &mut SplitMix64) -> SyncGossip {
    let mut g = SyncGossip::new(N, mode, 1);
    while g.informed < N / 2 {
        g.round(rng);
    }
    g
}

/// Rounds until `replicas` replicas agree, after one write each at a random key.
pub fn anti_entropy_rounds(crdt: Crdt, replicas: usize, seed: u64) -> u32 {
    let mut rng = SplitMix64::new(seed);
    let mut stores: Vec<Store> = (0..replicas)
        .map(|i| {
            let empty = Store::empty(crdt, 2, replicas);
            apply_write(&empty, i as u8, rng.below(2) as u8, 1)
        })
        .collect();
    let mut rounds = 0;
    while stores.iter().any(|s| *s != stores[0]) {
        rounds += 1;
        for i in 0..replicas {
            let mut p = rng.index(replicas - 1);
            if p >= i {
                p += 1;
            }
            let to_i = stores[p].newer_than(&stores[i].digest());
            stores[i] = merge(&stores[i], &to_i, Bug::None);
            let to_p = stores[i].newer_than(&stores[p].digest());
            stores[p] = merge(&stores[p], &to_p, Bug::None);
        }
    }
    rounds
}

fn gossip(c: &mut Criterion) {
    let mut group = c.benchmark_group("gossip");
    group.throughput(Throughput::Elements(N as u64));
    for mode in Mode::ALL {
        let mut rng = SplitMix64::new(1);
        let start = half_informed(mode, &mut rng);
        group.bench_function(format!("round/{}/{N}", mode.name()), |b| {
            b.iter_batched(
                || start.clone(),
                |mut g| g.round(black_box(&mut rng)),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    let mut group = c.benchmark_group("anti_entropy");
    for (crdt, name) in [(Crdt::Lww, "lww"), (Crdt::GCounter, "gcounter")] {
        let replicas = 100;
        let rounds: Vec<u32> = (0..20)
            .map(|s| anti_entropy_rounds(crdt, replicas, s))
            .collect();
        println!(
            "anti-entropy {name}, {replicas} replicas: rounds to converge over 20 seeds {rounds:?}"
        );
        let mut seed = 0;
        group.bench_function(format!("converge/{name}/{replicas}"), |b| {
            b.iter(|| {
                seed += 1;
                anti_entropy_rounds(crdt, black_box(replicas), seed)
            })
        });
    }
    for name in ["gossip", "anti-entropy"] {
        let entry = registry::find(name).expect("registered");
        let (_, target) = entry.instantiate(&[]).expect("the defaults build");
        let (_, operations) = plain_batch(name, &*target, 0..64);
        group.throughput(Throughput::Elements(operations / 64));
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

criterion_group!(benches, gossip);
criterion_main!(benches);
