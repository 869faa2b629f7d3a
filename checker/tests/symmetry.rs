//! Symmetry reduction is exact: every declared representative keeps one state per class.
//!
//! A class (orbit) is the set of states a state becomes under every permutation of the
//! interchangeable parts (RMs, acceptors). For each symmetric protocol, on small sizes, the
//! tests enumerate every reachable state without symmetry and check, by brute force over all
//! n! permutations:
//!
//! - the representative of a state is in its class (it renames, it does not invent);
//! - every permutation of a state has the same representative (so one per class, not "some
//!   per class" as stateright's `Representative`, which sorts by actor state alone);
//! - the number of distinct representatives is the number of classes, counted by brute force
//!   (each state not yet covered opens a class and covers its whole orbit; for `two-phase`,
//!   whose states are ordered, also as the number of distinct minima over all permutations);
//! - our engine's `--symmetry` search finds exactly that many states.

use checker::engine::CheckOptions;
use specs::protocol::Symmetry;
use stateright::actor::{ActorModelState, Id};
use stateright::{Model, RewritePlan};
use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;

mod common;

/// Every order of `0..n`: the `n!` permutations, as "new index of old element `i`".
fn permutations(n: usize) -> Vec<Vec<usize>> {
    fn extend(prefix: &mut Vec<usize>, n: usize, out: &mut Vec<Vec<usize>>) {
        if prefix.len() == n {
            out.push(prefix.clone());
            return;
        }
        for i in 0..n {
            if !prefix.contains(&i) {
                prefix.push(i);
                extend(prefix, n, out);
                prefix.pop();
            }
        }
    }
    let mut out = Vec::new();
    extend(&mut Vec::new(), n, &mut out);
    out
}

/// Every state reachable in `m` (inside its boundary), without any reduction.
fn reachable<M: Model>(m: &M) -> Vec<M::State>
where
    M::State: Clone + Eq + Hash,
{
    let mut seen: HashSet<M::State> = HashSet::new();
    let mut pending = m.init_states();
    let mut actions = Vec::new();
    while let Some(s) = pending.pop() {
        if !m.within_boundary(&s) || seen.contains(&s) {
            continue;
        }
        m.actions(&s, &mut actions);
        pending.extend(actions.drain(..).filter_map(|a| m.next_state(&s, a)));
        seen.insert(s);
    }
    seen.into_iter().collect()
}

/// Checks that `rep` keeps exactly one state per class of `states` under `perms` (applied by
/// `apply`), and returns the number of classes, counted by brute force.
fn classes<S: Clone + Eq + Hash + Debug>(
    states: &[S],
    perms: &[Vec<usize>],
    apply: impl Fn(&S, &[usize]) -> S,
    rep: impl Fn(&S) -> S,
) -> usize {
    let all: HashSet<&S> = states.iter().collect();
    let mut covered: HashSet<S> = HashSet::new();
    let mut reps: HashSet<S> = HashSet::new();
    let mut classes = 0;
    for s in states {
        let orbit: Vec<S> = perms.iter().map(|p| apply(s, p)).collect();
        let r = rep(s);
        assert!(
            orbit.contains(&r),
            "representative outside the class of {s:?}"
        );
        for t in &orbit {
            // The reachable set is closed under the symmetry (the model is symmetric)...
            assert!(
                all.contains(t),
                "a permutation of a reachable state is not reachable: {t:?}"
            );
            // ...and the representative reads the class, not the state.
            assert!(rep(t) == r, "two representatives for the class of {s:?}");
        }
        if !covered.contains(s) {
            classes += 1;
            covered.extend(orbit);
        }
        reps.insert(r);
    }
    assert_eq!(reps.len(), classes);
    classes
}

/// The actor-system state `s` with the actors `first..first + perm.len()` permuted by `perm`
/// (actor `first + i` becomes `first + perm[i]`), every id inside renamed to match.
fn permute_actors<A, H>(
    s: &ActorModelState<A, H>,
    first: usize,
    perm: &[usize],
) -> ActorModelState<A, H>
where
    A: stateright::actor::Actor,
    A::State: stateright::Rewrite<Id>,
    A::Msg: stateright::Rewrite<Id>,
    A::Random: stateright::Rewrite<Id>,
    A::Storage: stateright::Rewrite<Id>,
    H: Clone + stateright::Rewrite<Id>,
{
    let new_index: Vec<usize> = (0..s.actor_states.len())
        .map(|i| match i.checked_sub(first) {
            Some(k) if k < perm.len() => first + perm[k],
            _ => i,
        })
        .collect();
    specs::rename_actors(s, &RewritePlan::from_values_to_sort(&new_index))
}

fn symmetric() -> CheckOptions {
    CheckOptions {
        symmetry: true,
        safety_only: true,
        ..CheckOptions::default()
    }
}

/// `two-phase`'s RMs permuted: RM `r` becomes RM `perm[r]`.
fn permute_rms(
    s: &specs::two_phase::TwoPhaseState,
    perm: &[usize],
) -> specs::two_phase::TwoPhaseState {
    use specs::two_phase::{Message, Messages, RmSet};
    let mut permuted = *s;
    permuted.tm_prepared = RmSet::default();
    for (r, &to) in perm.iter().enumerate() {
        permuted.set_rm_state(to, s.rm_state()[r]);
        if s.tm_prepared.contains(r) {
            permuted.tm_prepared.insert(to);
        }
    }
    let mut msgs = Messages::default();
    for m in s.msgs.iter() {
        msgs.insert(match m {
            Message::Prepared(r) => Message::Prepared(perm[r]),
            other => other,
        });
    }
    permuted.msgs = msgs;
    permuted
}

#[test]
fn two_phase_keeps_one_state_per_class_of_rms() {
    // The classes at 1..=5 RMs, counted by brute force over all rms! permutations.
    let mut got = Vec::new();
    for rms in 1..=5 {
        let m = specs::two_phase::TwoPhase::new(rms).unwrap();
        let states = reachable(&m);
        let perms = permutations(rms);
        let n = classes(
            &states,
            &perms,
            permute_rms,
            specs::two_phase::representative,
        );
        // The textbook canonicalisation: the least state over every permutation.
        let minima: HashSet<_> = states
            .iter()
            .map(|s| perms.iter().map(|p| permute_rms(s, p)).min().unwrap())
            .collect();
        assert_eq!(minima.len(), n, "{rms} RMs");
        let r = common::check_pinned(
            "two-phase",
            &[&format!("rms={rms}")],
            &symmetric(),
            n as u64,
        );
        assert!(r.all_pass(), "{rms} RMs: {:?}", r.properties);
        got.push(n);
    }
    assert_eq!(got, [12, 34, 80, 166, 314]);
}

/// Checks a registered actor protocol's representative against brute force at `settings`,
/// permuting actors `first..first + n`; returns the number of classes after checking that the
/// engine's `--symmetry` search finds that many states.
fn actor_classes<M>(
    name: &str,
    decl: &specs::protocol::Protocol<M>,
    settings: &[&str],
    first: usize,
    n: usize,
) -> usize
where
    M: specs::protocol::SystemModel,
    M::State: Clone + Eq + Hash + Debug,
    <M::Actor as stateright::actor::Actor>::State: stateright::Rewrite<Id>,
    <M::Actor as stateright::actor::Actor>::Msg: stateright::Rewrite<Id>,
    <M::Actor as stateright::actor::Actor>::Random: stateright::Rewrite<Id>,
    <M::Actor as stateright::actor::Actor>::Storage: stateright::Rewrite<Id>,
    M::History: stateright::Rewrite<Id>,
{
    let cfg = decl.cfg_of(settings).expect("valid settings");
    let rep: Symmetry<M::State> = (decl.symmetry)(&cfg).expect("a declared symmetry");
    let m = (decl.model)(cfg);
    let states = reachable(&m);
    let perms = permutations(n);
    let classes = classes(&states, &perms, |s, p| permute_actors(s, first, p), rep);
    common::check_pinned(name, settings, &symmetric(), classes as u64);
    classes
}

#[test]
fn two_phase_commit_keeps_one_state_per_class_of_rms() {
    let decl = specs::two_phase_commit::protocol();
    // The TM is actor 0, RMs 1..=rms.
    let got: Vec<usize> = [
        (&["rms=2"][..], 2),
        (&["rms=3"][..], 3),
        (&["rms=3", "network=unordered-duplicating"][..], 3),
        (&["rms=3", "crashes=1"][..], 3),
        (&["rms=4"][..], 4),
    ]
    .into_iter()
    .map(|(settings, rms)| actor_classes("two-phase-commit", &decl, settings, 1, rms))
    .collect();
    assert_eq!(got, [68, 244, 220, 2731, 729]);
}

#[test]
fn paxos_keeps_one_state_per_class_of_acceptors() {
    let decl = specs::paxos::protocol();
    // Proposers are actors 0..proposers, then the acceptors.
    let got: Vec<usize> = [
        (&[][..], 2, 3),
        (&["proposers=1", "acceptors=4"][..], 1, 4),
        (&["acceptors=2", "network=unordered-duplicating"][..], 2, 2),
        (&["acceptors=2", "crashes=1"][..], 2, 2),
    ]
    .into_iter()
    .map(|(settings, proposers, acceptors)| {
        actor_classes("paxos", &decl, settings, proposers, acceptors)
    })
    .collect();
    assert_eq!(got, [5182, 70, 310, 7016]);
}

#[test]
fn rate_limiters_keep_one_state_per_class_of_clients() {
    // The limiter is actor 0, clients 1..=clients. The three limiters share the representative
    // (all three pass this at clients=3: 34,966 / 27,423 / 31,609 classes, 80 s together on a
    // loaded machine); the smallest stands for them here.
    let decl = specs::rate_limiter::sliding_window();
    assert_eq!(
        actor_classes(decl.name, &decl, &["clients=3"], 1, 3),
        27_423
    );
}
