//! The engine on small models whose answers are known by hand.

use super::*;
use crate::progress::Progress;
use stateright::Property;

fn status<M: Model>(o: &Outcome<M>, name: &str) -> Status {
    o.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no property {name}"))
        .status
}

fn trace<'a, M: Model>(o: &'a Outcome<M>, name: &str) -> &'a Trace<M> {
    let p = o.properties.iter().find(|p| p.name == name).unwrap();
    p.trace.as_ref().unwrap()
}

fn actions<M: Model>(o: &Outcome<M>, name: &str) -> Vec<M::Action>
where
    M::Action: Clone,
{
    trace(o, name).steps.iter().map(|s| s.0.clone()).collect()
}

fn run<M>(c: &Checkable<M>, opts: CheckOptions) -> Outcome<M>
where
    M: Model + Sync,
    M::State: Clone + Send + Sync,
    M::Action: Clone + Send,
{
    c.check(&opts, &Progress::default()).expect("valid options")
}

fn with_fairness(f: Fairness) -> CheckOptions {
    CheckOptions {
        fairness: Some(f),
        ..CheckOptions::default()
    }
}

/// A counter that counts to `max`; it may crash (and then recover) when `crashes` is true.
struct Counter {
    max: u8,
    crashes: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Act {
    Inc,
    Crash,
    Recover,
}

impl Model for Counter {
    type State = (u8, bool);
    type Action = Act;
    fn init_states(&self) -> Vec<(u8, bool)> {
        vec![(0, false)]
    }
    fn actions(&self, s: &(u8, bool), out: &mut Vec<Act>) {
        if !s.1 && s.0 < self.max {
            out.push(Act::Inc);
        }
        if self.crashes {
            out.push(if s.1 { Act::Recover } else { Act::Crash });
        }
    }
    fn next_state(&self, s: &(u8, bool), a: Act) -> Option<(u8, bool)> {
        Some(match a {
            Act::Inc => (s.0 + 1, s.1),
            Act::Crash => (s.0, true),
            Act::Recover => (s.0, false),
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("below three", |_, s: &(u8, bool)| s.0 < 3),
            Property::sometimes("two", |_, s: &(u8, bool)| s.0 == 2),
            Property::sometimes("ten", |_, s: &(u8, bool)| s.0 == 10),
            Property::eventually("reaches max", |m: &Counter, s: &(u8, bool)| s.0 == m.max),
        ]
    }
}

fn counter(max: u8, crashes: bool) -> Checkable<Counter> {
    let mut c = Checkable::new(Counter { max, crashes })
        .with_step_invariants(vec![StepInvariant {
            name: "never decreases",
            holds: |_, a, b| b.0 >= a.0,
        }])
        .with_end_states(|m, s| s.0 == m.max);
    // Crashes and recoveries are never owed.
    c.fair_class = Box::new(|a| matches!(a, Act::Inc).then_some(1));
    c
}

#[test]
fn counts_states_and_finds_shortest_traces() {
    let o = run(&counter(4, false), CheckOptions::default());
    assert!(o.complete);
    assert_eq!((o.unique_states, o.total_states, o.max_depth), (5, 5, 4));
    assert_eq!(status(&o, "below three"), Status::Violated);
    assert_eq!(actions(&o, "below three"), vec![Act::Inc; 3]);
    assert_eq!(status(&o, "two"), Status::Found);
    assert_eq!(status(&o, "ten"), Status::NotFound);
    assert_eq!(status(&o, "reaches max"), Status::Holds);
    assert_eq!(status(&o, "never decreases"), Status::Holds);
    assert_eq!(status(&o, "deadlock"), Status::Holds);
    // The verdicts assume the checkable's fairness, reported only where liveness was judged.
    assert_eq!(o.fairness, Some(Fairness::Weak));
    assert_eq!(
        run(&Checkable::new(Grows), CheckOptions::default()).fairness,
        None
    );
}

#[test]
fn a_timeout_stops_the_search_only_once_it_has_passed() {
    let with_timeout = |t| CheckOptions {
        timeout: Some(t),
        ..CheckOptions::default()
    };
    let o = run(
        &counter(4, false),
        with_timeout(std::time::Duration::from_secs(3600)),
    );
    assert!(o.complete);
    assert_eq!(o.unique_states, 5);
    let o = run(&counter(4, false), with_timeout(std::time::Duration::ZERO));
    assert!(!o.complete);
}

#[test]
fn stuck_where_only_unfair_actions_remain_violates_eventually() {
    // Strong fairness: Inc, enabled again and again, must be taken, so crashing and recovering
    // forever is unfair; but a run may stop for good in the crashed state, where only recovery
    // (never owed) is possible.
    let o = run(&counter(2, true), with_fairness(Fairness::Strong));
    assert_eq!(status(&o, "reaches max"), Status::Violated);
    assert_eq!(actions(&o, "reaches max"), vec![Act::Crash]);
    assert_eq!(trace(&o, "reaches max").loop_start, None);
    // Weak fairness owes Inc only if it stays enabled, and a crash disables it: crashing and
    // recovering forever is a fair lasso right from the initial state. No fairness: the same.
    for f in [Fairness::Weak, Fairness::None] {
        let o = run(&counter(2, true), with_fairness(f));
        assert_eq!(status(&o, "reaches max"), Status::Violated, "{f:?}");
        let t = trace(&o, "reaches max");
        assert_eq!(t.loop_start, Some(0), "{f:?}");
        assert_eq!(
            t.steps.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
            [Act::Crash, Act::Recover],
            "{f:?}"
        );
    }
    // If recovery were owed too, strong fairness would leave no counterexample.
    let mut owed = counter(2, true);
    owed.fair_class = Box::new(|a| (!matches!(a, Act::Crash)).then_some(fingerprint(a)));
    let o = run(&owed, with_fairness(Fairness::Strong));
    assert_eq!(status(&o, "reaches max"), Status::Holds);
}

/// A waiter that may `Wait` (changing nothing) or `Finish`; only waiting is owed.
struct Idle;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Pause {
    Wait,
    Finish,
}

impl Model for Idle {
    type State = bool;
    type Action = Pause;
    fn init_states(&self) -> Vec<bool> {
        vec![false]
    }
    fn actions(&self, done: &bool, out: &mut Vec<Pause>) {
        if !done {
            out.extend([Pause::Wait, Pause::Finish]);
        }
    }
    fn next_state(&self, done: &bool, a: Pause) -> Option<bool> {
        Some(*done || a == Pause::Finish)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("finishes", |_, done: &bool| *done)]
    }
}

fn idle() -> Checkable<Idle> {
    let mut c = Checkable::new(Idle).with_end_states(|_, done| *done);
    c.fair_class = Box::new(|a: &_| (*a == Pause::Wait).then_some(0));
    c
}

#[test]
fn a_step_that_changes_nothing_is_not_owed() {
    // Waiting is owed but changes nothing: a fair run may stop at the start for good.
    let o = run(&idle(), with_fairness(Fairness::Weak));
    assert_eq!(status(&o, "finishes"), Status::Violated);
    let t = trace(&o, "finishes");
    assert!(t.steps.is_empty() && t.loop_start.is_none());
}

#[test]
fn without_fairness_a_run_never_stops_while_an_action_can_move_it() {
    // Finish is owed by no fairness, but without fairness a run goes on while it can, and
    // waiting for ever is no cycle (it changes nothing).
    let o = run(&idle(), with_fairness(Fairness::None));
    assert_eq!(status(&o, "finishes"), Status::Holds);
}

#[test]
fn a_broken_step_is_reported_with_the_step() {
    let c = counter(3, false).with_step_invariants(vec![StepInvariant {
        name: "stays below two",
        holds: |_, _, b| b.0 < 2,
    }]);
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "stays below two"), Status::Violated);
    assert_eq!(actions(&o, "stays below two"), vec![Act::Inc, Act::Inc]);
}

#[test]
fn bounds_make_the_search_incomplete_and_the_frontier_is_not_judged() {
    let opts = CheckOptions {
        max_states: Some(2),
        ..CheckOptions::default()
    };
    let o = run(&counter(50, false), opts);
    assert!(!o.complete);
    assert_eq!(o.unique_states, 2);
    assert_eq!(status(&o, "reaches max"), Status::Holds);
    assert_eq!(status(&o, "deadlock"), Status::Holds);
}

/// A binary tree of 8,191 states, wide enough for BFS batches of several thousand: state `v`
/// leads to `2v` and `2v + 1`, so BFS numbers state `v` as the `v`th.
struct Tree;

impl Model for Tree {
    type State = u16;
    type Action = u16;
    fn init_states(&self) -> Vec<u16> {
        vec![1]
    }
    fn actions(&self, s: &u16, out: &mut Vec<u16>) {
        if *s < 1 << 12 {
            out.extend([2 * s, 2 * s + 1]);
        }
    }
    fn next_state(&self, _: &u16, a: u16) -> Option<u16> {
        Some(a)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("not 1000", |_, s: &u16| *s != 1000)]
    }
}

#[test]
fn max_states_stops_exactly_at_the_limit_for_any_thread_count() {
    let c = Checkable::new(Tree);
    let full = run(&c, CheckOptions::default());
    assert!(full.complete);
    assert_eq!(full.unique_states, 8191);
    assert_eq!(status(&full, "not 1000"), Status::Violated);
    // With 1,500 states the search stops when state 750 would add the 1,501st: state 1000 is
    // known but never expanded, so never judged. With 3,000 it was expanded.
    for (max, verdict) in [(1500, Status::Holds), (3000, Status::Violated)] {
        let counts: Vec<(u64, u64, Status)> = [1, 2, 3]
            .map(|threads| {
                let opts = CheckOptions {
                    threads,
                    max_states: Some(max),
                    ..CheckOptions::default()
                };
                let o = run(&c, opts);
                assert!(!o.complete, "threads={threads}");
                (o.unique_states, o.total_states, status(&o, "not 1000"))
            })
            .to_vec();
        assert!(counts.iter().all(|c| *c == counts[0]), "{counts:?}");
        assert_eq!((counts[0].0, counts[0].2), (max, verdict));
    }
    // Exactly as many states as there are: complete.
    let o = run(
        &c,
        CheckOptions {
            max_states: Some(8191),
            ..CheckOptions::default()
        },
    );
    assert!(o.complete);
}

#[test]
fn dfs_and_threads_agree_with_bfs_on_counts_and_verdicts() {
    let c = counter(6, true);
    let bfs = run(&c, CheckOptions::default());
    for opts in [
        CheckOptions {
            strategy: Strategy::Dfs,
            ..CheckOptions::default()
        },
        CheckOptions {
            threads: 2,
            ..CheckOptions::default()
        },
    ] {
        let o = run(&c, opts);
        assert_eq!(o.unique_states, bfs.unique_states);
        assert_eq!(o.total_states, bfs.total_states);
        for p in &bfs.properties {
            assert_eq!(status(&o, p.name), p.status, "{}", p.name);
        }
    }
}

#[test]
fn deadlock_is_a_stop_that_is_not_a_declared_end() {
    let mut c = counter(3, false);
    c.end_state = None;
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "deadlock"), Status::Violated);
    assert_eq!(actions(&o, "deadlock"), vec![Act::Inc; 3]);
    let o = run(
        &c,
        CheckOptions {
            deadlock: false,
            ..CheckOptions::default()
        },
    );
    assert!(o.properties.iter().all(|p| p.name != "deadlock"));
}

/// A wheel that turns 0 -> 1 -> 2 -> 0; at 0 it may also stop (`done`). When `always_stop`,
/// stopping is possible at every position.
struct Wheel {
    always_stop: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Turn {
    Spin,
    Stop,
}

impl Model for Wheel {
    type State = (u8, bool);
    type Action = Turn;
    fn init_states(&self) -> Vec<(u8, bool)> {
        vec![(0, false)]
    }
    fn actions(&self, s: &(u8, bool), out: &mut Vec<Turn>) {
        if !s.1 {
            out.push(Turn::Spin);
            if self.always_stop || s.0 == 0 {
                out.push(Turn::Stop);
            }
        }
    }
    fn next_state(&self, s: &(u8, bool), a: Turn) -> Option<(u8, bool)> {
        Some(match a {
            Turn::Spin => ((s.0 + 1) % 3, false),
            Turn::Stop => (s.0, true),
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("stops", |_, s: &(u8, bool)| s.1)]
    }
}

fn wheel(always_stop: bool) -> Checkable<Wheel> {
    Checkable::new(Wheel { always_stop }).with_end_states(|_, s| s.1)
}

#[test]
fn a_cycle_that_avoids_the_goal_is_a_lasso_unless_fairness_forbids_it() {
    // Stop is enabled only at 0: weak fairness does not force it (it is not enabled all the
    // time), strong fairness does (it is enabled again and again).
    let o = run(&wheel(false), with_fairness(Fairness::Weak));
    assert_eq!(status(&o, "stops"), Status::Violated);
    let t = trace(&o, "stops");
    assert_eq!(t.loop_start, Some(0));
    assert_eq!(
        t.steps.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
        [Turn::Spin, Turn::Spin, Turn::Spin]
    );
    assert_eq!(t.last(), &t.init, "the loop returns to where it started");
    let o = run(&wheel(false), with_fairness(Fairness::Strong));
    assert_eq!(status(&o, "stops"), Status::Holds);

    // Stop enabled everywhere: even weak fairness forbids spinning forever; no fairness
    // allows it.
    let o = run(&wheel(true), with_fairness(Fairness::Weak));
    assert_eq!(status(&o, "stops"), Status::Holds);
    let o = run(&wheel(true), with_fairness(Fairness::None));
    assert_eq!(status(&o, "stops"), Status::Violated);
    assert_eq!(trace(&o, "stops").loop_start, Some(0));
}

#[test]
fn stateright_misses_the_lasso_that_we_report() {
    use stateright::Checker;
    let checker = Wheel { always_stop: false }.checker().spawn_bfs().join();
    assert!(checker.discovery("stops").is_none());
    let o = run(&wheel(false), CheckOptions::default());
    assert_eq!(status(&o, "stops"), Status::Violated);
}

/// Asserts that the loop of lasso `t` is fair under `fairness`: every class enabled at every
/// (weak) or at some (strong) state of the loop is taken on it.
fn assert_fair_loop<M>(c: &Checkable<M>, t: &Trace<M>, fairness: Fairness)
where
    M: Model,
    M::State: Clone + PartialEq,
    M::Action: Clone,
{
    let start = t.loop_start.expect("a lasso");
    let states: Vec<&M::State> = std::iter::once(&t.init)
        .chain(t.steps.iter().map(|s| &s.2))
        .collect();
    let enabled = |s: &M::State| {
        let mut actions = Vec::new();
        c.model.actions(s, &mut actions);
        let moves = actions
            .into_iter()
            .filter(|a| c.model.next_state(s, a.clone()).is_some_and(|n| n != *s));
        moves
            .filter_map(|a| (c.fair_class)(&a))
            .collect::<std::collections::BTreeSet<u64>>()
    };
    let on_loop: Vec<_> = states[start..states.len() - 1]
        .iter()
        .map(|s| enabled(s))
        .collect();
    let owed: std::collections::BTreeSet<u64> = match fairness {
        Fairness::None => Default::default(),
        Fairness::Weak => on_loop
            .iter()
            .skip(1)
            .fold(on_loop[0].clone(), |acc, e| &acc & e),
        Fairness::Strong => on_loop.iter().flatten().copied().collect(),
    };
    let taken: std::collections::BTreeSet<u64> = t.steps[start..]
        .iter()
        .filter_map(|s| (c.fair_class)(&s.0))
        .collect();
    assert!(owed.is_subset(&taken), "owed {owed:?}, taken {taken:?}");
    assert!(states.last() == states.get(start), "the loop closes");
}

/// Three states 0 <-> 1 <-> 2, moved between by actions of one class; at 2 only, an exit to
/// the goal (3) in a class of its own.
struct Line;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Go {
    Left,
    Right,
    Exit,
}

impl Model for Line {
    type State = u8;
    type Action = Go;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<Go>) {
        match s {
            0 => out.push(Go::Right),
            1 => out.extend([Go::Left, Go::Right]),
            2 => out.extend([Go::Left, Go::Exit]),
            _ => {}
        }
    }
    fn next_state(&self, s: &u8, a: Go) -> Option<u8> {
        Some(match a {
            Go::Left => s - 1,
            Go::Right => s + 1,
            Go::Exit => 3,
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("exits", |_, s: &u8| *s == 3)]
    }
}

#[test]
fn strong_fairness_drops_the_states_that_enable_a_neglected_class_and_looks_again() {
    // The component {0, 1, 2} is not strongly fair: Exit is enabled at 2 and never taken
    // inside. But without 2, the run 0 -> 1 -> 0 -> ... never enables Exit: a fair lasso.
    let mut c = Checkable::new(Line).with_end_states(|_, s| *s == 3);
    c.fair_class = Box::new(|a: &_| Some(u64::from(*a == Go::Exit)));
    for f in [Fairness::Strong, Fairness::Weak, Fairness::None] {
        let o = run(&c, with_fairness(f));
        assert_eq!(status(&o, "exits"), Status::Violated, "{f:?}");
        let t = trace(&o, "exits");
        assert_eq!(t.loop_start, Some(0), "{f:?}");
        assert_eq!(actions(&o, "exits"), [Go::Right, Go::Left], "{f:?}");
        assert_fair_loop(&c, t, f);
    }
}

/// States 0, 1, 2 and the goal 3. `Hop` moves 0 -> 1, 1 -> 0 and 1 -> 2 (one class); `Exit`
/// (its own class) is enabled everywhere, and leads to the goal from 0 and 1 but back to 0
/// from 2: the only internal edge of its class.
struct Detour;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Hop {
    To(u8),
    Exit,
}

impl Model for Detour {
    type State = u8;
    type Action = Hop;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<Hop>) {
        match s {
            0 => out.push(Hop::To(1)),
            1 => out.extend([Hop::To(0), Hop::To(2)]),
            _ => {}
        }
        if *s < 3 {
            out.push(Hop::Exit);
        }
    }
    fn next_state(&self, s: &u8, a: Hop) -> Option<u8> {
        Some(match (s, a) {
            (_, Hop::To(t)) => t,
            (2, Hop::Exit) => 0,
            (_, Hop::Exit) => 3,
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("exits", |_, s: &u8| *s == 3)]
    }
}

#[test]
fn a_weakly_fair_lasso_detours_through_the_only_internal_edge_of_an_always_enabled_class() {
    // Exit is enabled at every state, so a weakly fair cycle must take it, and it stays
    // inside only from 2: the loop must pass 2 and take Exit there, not just go 0 -> 1 -> 0.
    let mut c = Checkable::new(Detour).with_end_states(|_, s| *s == 3);
    c.fair_class = Box::new(|a: &_| Some(u64::from(*a == Hop::Exit)));
    // Strong fairness asks the same of this loop (Exit is owed at 0 and 1 too).
    for f in [Fairness::Weak, Fairness::Strong] {
        let o = run(&c, with_fairness(f));
        assert_eq!(status(&o, "exits"), Status::Violated, "{f:?}");
        let t = trace(&o, "exits");
        assert_fair_loop(&c, t, f);
        assert_eq!(t.steps.last().map(|s| &s.0), Some(&Hop::Exit), "{f:?}");
    }
}

#[test]
fn leads_to_is_checked_from_every_trigger() {
    // "at 2 leads to stopped": from position 2 the wheel may spin on forever (weak fairness).
    let c = wheel(false).with_leads_to(vec![LeadsTo {
        name: "two leads to stop",
        from: |_, s| s.0 == 2,
        to: |_, s| s.1,
    }]);
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "two leads to stop"), Status::Violated);
    let t = trace(&o, "two leads to stop");
    // Prefix to the trigger (two spins), then the loop from there.
    assert_eq!(t.loop_start, Some(2));
    assert_eq!(t.steps.len(), 5);
    let o = run(&c, with_fairness(Fairness::Strong));
    assert_eq!(status(&o, "two leads to stop"), Status::Holds);
}

#[test]
fn a_trigger_that_meets_its_goal_discharges_it() {
    // At max the counter stops for good, trigger and goal at once: nothing is owed after.
    let c = counter(3, false).with_leads_to(vec![LeadsTo {
        name: "max leads to max",
        from: |m, s| s.0 == m.max,
        to: |m, s| s.0 == m.max,
    }]);
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "max leads to max"), Status::Holds);
    // A goal met before the trigger does not count: after 1 the counter never returns to 0.
    let c = counter(3, false).with_leads_to(vec![LeadsTo {
        name: "one leads to zero",
        from: |_, s| s.0 == 1,
        to: |_, s| s.0 == 0,
    }]);
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "one leads to zero"), Status::Violated);
    assert_eq!(actions(&o, "one leads to zero"), vec![Act::Inc; 3]);
}

#[test]
fn symmetry_with_liveness_is_refused_and_safety_only_skips_it() {
    let mut c = counter(3, false);
    c.symmetry = Some(|s| *s);
    let opts = CheckOptions {
        symmetry: true,
        ..CheckOptions::default()
    };
    assert_eq!(
        c.check(&opts, &Progress::default()).err(),
        Some(CheckError::SymmetryWithLiveness)
    );
    let o = run(
        &c,
        CheckOptions {
            safety_only: true,
            ..opts
        },
    );
    assert!(o.properties.iter().all(|p| p.name != "reaches max"));
    assert_eq!(status(&o, "below three"), Status::Violated);
}

/// Two counters that each count to 2; they are interchangeable, and the representative of a
/// state lists the smaller count first.
struct Pair;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Side {
    A,
    B,
}

impl Model for Pair {
    type State = (u8, u8);
    type Action = Side;
    fn init_states(&self) -> Vec<(u8, u8)> {
        vec![(0, 0)]
    }
    fn actions(&self, s: &(u8, u8), out: &mut Vec<Side>) {
        if s.0 < 2 {
            out.push(Side::A);
        }
        if s.1 < 2 {
            out.push(Side::B);
        }
    }
    fn next_state(&self, s: &(u8, u8), a: Side) -> Option<(u8, u8)> {
        Some(match a {
            Side::A => (s.0 + 1, s.1),
            Side::B => (s.0, s.1 + 1),
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::always("sum below three", |_, s: &(u8, u8)| {
            s.0 + s.1 < 3
        })]
    }
}

#[test]
fn symmetry_merges_interchangeable_states_and_replays_concrete_traces() {
    let mut c = Checkable::new(Pair).with_end_states(|_, s| *s == (2, 2));
    c.symmetry = Some(|s| (s.0.min(s.1), s.0.max(s.1)));
    let plain = run(&c, CheckOptions::default());
    let sym = CheckOptions {
        symmetry: true,
        ..CheckOptions::default()
    };
    for (strategy, states) in [(Strategy::Bfs, 6), (Strategy::Dfs, 6)] {
        let o = run(
            &c,
            CheckOptions {
                strategy,
                ..sym.clone()
            },
        );
        assert_eq!((plain.unique_states, o.unique_states), (9, states));
        assert_eq!(status(&o, "sum below three"), Status::Violated);
    }
    // The search stored (0, 1), (1, 1), (1, 2); the trace takes real transitions from the
    // concrete states: A reaches (1, 0), represented by (0, 1); then B, then A to (2, 1).
    let o = run(&c, sym);
    let t = trace(&o, "sum below three");
    assert_eq!(actions(&o, "sum below three"), [Side::A, Side::B, Side::A]);
    assert_eq!(t.last(), &(2, 1));
}

/// A spec: a number that only grows by one.
struct Grows;

impl Model for Grows {
    type State = u8;
    type Action = ();
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<()>) {
        if *s < 10 {
            out.push(());
        }
    }
    fn next_state(&self, s: &u8, _: ()) -> Option<u8> {
        Some(s + 1)
    }
}

#[test]
fn refinement_accepts_steps_and_stutters_and_rejects_jumps() {
    // The counter maps onto Grows by its value: every Inc is a Grows step, crash and recovery
    // are stutters.
    let c = counter(3, true).with_refinement(Refinement::new("grows", Grows, |s: &(u8, bool)| s.0));
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "refinement"), Status::Holds);
    // Mapped to twice its value, every Inc jumps by two.
    let c =
        counter(3, true).with_refinement(Refinement::new("grows", Grows, |s: &(u8, bool)| 2 * s.0));
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "refinement"), Status::Violated);
    assert_eq!(actions(&o, "refinement"), vec![Act::Inc]);
    // An initial state that maps outside the spec's initial states.
    let c =
        counter(3, true).with_refinement(Refinement::new("grows", Grows, |s: &(u8, bool)| s.0 + 1));
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "refinement"), Status::Violated);
    assert!(trace(&o, "refinement").steps.is_empty());
}

#[test]
fn coverage_counts_kinds_and_lists_the_dead_ones() {
    let c = counter(3, false).with_action_kinds(vec!["Inc".into(), "Crash".into()]);
    let o = run(
        &c,
        CheckOptions {
            coverage: true,
            ..CheckOptions::default()
        },
    );
    let cov = o.coverage.unwrap();
    assert_eq!(cov.fired.get("Inc"), Some(&3));
    assert_eq!(cov.never_fired, ["Crash"]);
}

#[test]
fn simulation_finds_the_violation_and_the_stuck_run() {
    let o = counter(4, true).simulate(&SimOptions {
        seed: 7,
        runs: 50,
        depth: 20,
    });
    assert_eq!(status(&o, "below three"), Status::Violated);
    assert_eq!(status(&o, "reaches max"), Status::Violated);
    assert_eq!(status(&o, "two"), Status::Found);
    assert!(!o.complete);
}

#[test]
fn simulation_reports_each_verdict_under_its_own_property() {
    // One deterministic walk (no crashes: Inc until 4, then stuck, and no end is declared), with
    // every kind of property, each judged differently, so that a verdict recorded under the
    // wrong property shows: two leads-to (one holds, one violated), three step invariants (only
    // the last violated), a refinement violated by the first step, and the deadlock at 4.
    let c = Checkable::new(Counter {
        max: 4,
        crashes: false,
    })
    .with_leads_to(vec![
        LeadsTo {
            name: "zero leads to one",
            from: |_, s| s.0 == 0,
            to: |_, s| s.0 == 1,
        },
        LeadsTo {
            name: "one leads to zero",
            from: |_, s| s.0 == 1,
            to: |_, s| s.0 == 0,
        },
    ])
    .with_step_invariants(vec![
        StepInvariant {
            name: "never decreases",
            holds: |_, a, b| b.0 >= a.0,
        },
        StepInvariant {
            name: "grows by one",
            holds: |_, a, b| b.0 <= a.0 + 1,
        },
        StepInvariant {
            name: "no step to two",
            holds: |_, a, b| a.0 == b.0 || b.0 != 2,
        },
    ])
    .with_refinement(Refinement::new("grows", Grows, |s: &(u8, bool)| 2 * s.0));
    let o = c.simulate(&SimOptions {
        seed: 1,
        runs: 3,
        depth: 20,
    });
    let expected = [
        ("below three", Status::Violated, Some(3)),
        ("two", Status::Found, Some(2)),
        ("ten", Status::NotFound, None),
        ("reaches max", Status::Holds, None),
        ("zero leads to one", Status::Holds, None),
        ("one leads to zero", Status::Violated, Some(4)),
        ("never decreases", Status::Holds, None),
        ("grows by one", Status::Holds, None),
        ("no step to two", Status::Violated, Some(2)),
        // The initial state maps into the spec; the first step jumps by two.
        ("refinement", Status::Violated, Some(1)),
        ("deadlock", Status::Violated, Some(4)),
    ];
    // Three walks of five states each, all the same five.
    assert_eq!((o.unique_states, o.total_states), (5, 15));
    let got: Vec<_> = o
        .properties
        .iter()
        .map(|p| (p.name, p.status, p.trace.as_ref().map(|t| t.steps.len())))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn a_walk_without_fairness_never_stops_while_a_crash_or_recovery_can_move_it() {
    // Crashed at 2, only Recover is possible: a fair run may stop there (Recover is not owed),
    // so "reaches max" is violated; with no fairness at all a run may only stop where nothing
    // moves, which never happens here, so no walk can show a run that misses the goal.
    let sim = SimOptions {
        seed: 3,
        runs: 40,
        depth: 30,
    };
    let o = counter(4, true).simulate(&sim);
    assert_eq!(status(&o, "reaches max"), Status::Violated);
    // Stopping there is no deadlock: Recover is still enabled.
    assert_eq!(status(&o, "deadlock"), Status::Holds);
    let o = counter(4, true)
        .with_fairness(Fairness::None)
        .simulate(&sim);
    assert_eq!(status(&o, "reaches max"), Status::Holds);
    assert_eq!(status(&o, "below three"), Status::Violated);
}

/// A counter from 0 that the model's boundary stops at 3: `Up` from 3 leads out of it. With
/// `resets`, `Reset` also leads from 3 back to 0.
struct Bounded {
    resets: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Step {
    Up(u8),
    Reset,
}

impl Model for Bounded {
    type State = u8;
    type Action = Step;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, s: &u8, out: &mut Vec<Step>) {
        out.push(Step::Up(*s));
        if self.resets && *s == 3 {
            out.push(Step::Reset);
        }
    }
    fn next_state(&self, s: &u8, a: Step) -> Option<u8> {
        Some(match a {
            Step::Up(_) => s + 1,
            Step::Reset => 0,
        })
    }
    fn within_boundary(&self, s: &u8) -> bool {
        *s <= 3
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("below five", |_, s: &u8| *s < 5),
            Property::eventually("reaches two", |_, s: &u8| *s == 2),
            Property::eventually("reaches ten", |_, s: &u8| *s == 10),
        ]
    }
}

/// Every action its own weakly fair class, except (when `exit_owed` is false) the step out of
/// the boundary, which is never owed, like a recovery.
fn bounded(resets: bool, exit_owed: bool) -> Checkable<Bounded> {
    let mut c = Checkable::new(Bounded { resets });
    if !exit_owed {
        c.fair_class = Box::new(|a: &_| (*a != Step::Up(3)).then(|| fingerprint(a)));
    }
    c
}

fn bounded_flag<M: Model>(o: &Outcome<M>, name: &str) -> bool {
    o.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap()
        .bounded
}

#[test]
fn a_state_cut_off_by_the_boundary_is_judged_for_the_actions_inside_it() {
    // At 3 only the step out of the boundary remains, and it is not owed: a run may stop there.
    let o = run(&bounded(false, false), CheckOptions::default());
    assert!(o.complete && o.bounded);
    assert_eq!(o.unique_states, 4);
    assert_eq!(status(&o, "reaches ten"), Status::Violated);
    assert_eq!(
        actions(&o, "reaches ten"),
        [Step::Up(0), Step::Up(1), Step::Up(2)]
    );
    assert_eq!(trace(&o, "reaches ten").loop_start, None);
    assert!(
        !bounded_flag(&o, "reaches ten"),
        "a counterexample is never bounded"
    );
    // Every run meets "two" before it can leave the boundary: an unqualified holds.
    assert_eq!(status(&o, "reaches two"), Status::Holds);
    assert!(!bounded_flag(&o, "reaches two"));
    // The states beyond the boundary were never looked at.
    for name in ["below five", "deadlock"] {
        assert_eq!(status(&o, name), Status::Holds, "{name}");
        assert!(bounded_flag(&o, name), "{name}");
    }
    // A reset from 3 makes a cycle that a fair run may follow for ever (Up(3) is not owed).
    let o = run(&bounded(true, false), with_fairness(Fairness::Strong));
    assert_eq!(status(&o, "reaches ten"), Status::Violated);
    let t = trace(&o, "reaches ten");
    assert_eq!(t.loop_start, Some(0));
    assert_eq!(t.steps.len(), 4);
}

#[test]
fn an_owed_step_out_of_the_boundary_leaves_the_verdict_bounded() {
    // A run owes Up(3), so it cannot stop at 3 and must leave the boundary: holds, but only of
    // the runs inside it. Without fairness a run never stops while any step is possible.
    for (c, f) in [
        (bounded(false, true), Fairness::Weak),
        (bounded(false, false), Fairness::None),
    ] {
        let o = run(&c, with_fairness(f));
        assert_eq!(status(&o, "reaches ten"), Status::Holds, "{f:?}");
        assert!(bounded_flag(&o, "reaches ten"), "{f:?}");
        assert!(o.bounded);
    }
    // Strong fairness: Up(3), enabled on every turn of the reset cycle, is eventually taken.
    let o = run(&bounded(true, true), with_fairness(Fairness::Strong));
    assert_eq!(status(&o, "reaches ten"), Status::Holds);
    assert!(bounded_flag(&o, "reaches ten"));
}

#[test]
fn a_walk_stops_at_the_boundary_only_where_nothing_owed_leads_out() {
    let sim = SimOptions {
        seed: 1,
        runs: 3,
        depth: 10,
    };
    let o = bounded(false, false).simulate(&sim);
    assert_eq!(status(&o, "reaches ten"), Status::Violated);
    assert_eq!(trace(&o, "reaches ten").steps.len(), 3);
    let o = bounded(false, true).simulate(&sim);
    assert_eq!(status(&o, "reaches ten"), Status::Holds);
}

#[test]
fn a_search_the_boundary_does_not_cut_is_not_bounded() {
    let o = run(&counter(4, true), CheckOptions::default());
    assert!(!o.bounded);
    assert!(o.properties.iter().all(|p| !p.bounded));
}

#[test]
fn a_leads_to_that_holds_is_bounded_once_the_boundary_cut_anything() {
    // The trigger (4) lies beyond the boundary, so no trigger was ever judged and no path
    // inside reaches an exit from one; still, a run past the boundary may meet 4 and never 10.
    let c = bounded(false, false).with_leads_to(vec![LeadsTo {
        name: "four leads to ten",
        from: |_, s| *s == 4,
        to: |_, s| *s == 10,
    }]);
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "four leads to ten"), Status::Holds);
    assert!(bounded_flag(&o, "four leads to ten"));
    assert!(o.bounded);
}

#[test]
fn a_state_where_a_fair_run_may_stop_is_reported_as_a_stop_even_on_a_fair_cycle() {
    // Crashed at 0, only recovery (never owed) is possible: a weakly fair run may stop there.
    // The state also lies on the fair cycle 0 -> crashed 0 -> 0, but the counterexample is the
    // stop, not a loop.
    let c = counter(2, true).with_leads_to(vec![LeadsTo {
        name: "crashed leads to max",
        from: |_, s| s.1,
        to: |m, s| s.0 == m.max,
    }]);
    let o = run(&c, with_fairness(Fairness::Weak));
    assert_eq!(status(&o, "crashed leads to max"), Status::Violated);
    assert_eq!(actions(&o, "crashed leads to max"), [Act::Crash]);
    assert_eq!(trace(&o, "crashed leads to max").loop_start, None);
}

/// Two initial states, 0 inside the boundary and 9 outside it; from 0 the number grows to 3.
struct Outside;

impl Model for Outside {
    type State = u8;
    type Action = ();
    fn init_states(&self) -> Vec<u8> {
        vec![0, 9]
    }
    fn actions(&self, s: &u8, out: &mut Vec<()>) {
        if *s < 3 {
            out.push(());
        }
    }
    fn next_state(&self, s: &u8, _: ()) -> Option<u8> {
        Some(s + 1)
    }
    fn within_boundary(&self, s: &u8) -> bool {
        *s < 5
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("reaches three", |_, s: &u8| *s == 3)]
    }
}

#[test]
fn an_initial_state_outside_the_boundary_is_counted_and_bounds_the_verdicts() {
    let o = run(&Checkable::new(Outside), CheckOptions::default());
    assert!(o.complete);
    // 0, 1, 2, 3 stored; the initial state 9 generated but cut off by the boundary.
    assert_eq!((o.unique_states, o.total_states), (4, 5));
    assert_eq!(status(&o, "reaches three"), Status::Holds);
    assert!(bounded_flag(&o, "reaches three"));
    assert!(o.bounded);
}

/// A graph given by its edges: states are numbers, every edge an action of its own weakly fair
/// class, no state the goal (`never`); the triggers of `trigger leads to never` are listed.
struct Edges {
    inits: Vec<u8>,
    edges: Vec<(u8, u8)>,
    triggers: Vec<u8>,
}

impl Model for Edges {
    type State = u8;
    type Action = (u8, u8);
    fn init_states(&self) -> Vec<u8> {
        self.inits.clone()
    }
    fn actions(&self, s: &u8, out: &mut Vec<(u8, u8)>) {
        out.extend(self.edges.iter().filter(|e| e.0 == *s));
    }
    fn next_state(&self, _: &u8, a: (u8, u8)) -> Option<u8> {
        Some(a.1)
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("never", |_, _: &u8| false)]
    }
}

fn edges(inits: &[u8], edges: &[(u8, u8)], triggers: &[u8]) -> Checkable<Edges> {
    Checkable::new(Edges {
        inits: inits.to_vec(),
        edges: edges.to_vec(),
        triggers: triggers.to_vec(),
    })
    .with_end_states(|_, _| true)
    .with_leads_to(vec![LeadsTo {
        name: "trigger leads to never",
        from: |m, s| m.triggers.contains(s),
        to: |_, _| false,
    }])
}

#[test]
fn the_counterexample_from_a_stuck_initial_state_does_not_detour_through_another() {
    // Both initial states are triggers of `eventually`; 0 is stuck from the start. The search
    // also reaches 0 from 1, but the nearest counterexample stays the empty run at 0.
    let o = run(&edges(&[0, 1], &[(1, 0)], &[]), CheckOptions::default());
    assert_eq!(status(&o, "never"), Status::Violated);
    let t = trace(&o, "never");
    assert_eq!((t.init, t.steps.len(), t.loop_start), (0, 0, None));
}

#[test]
fn a_cycle_is_one_component_at_the_root_of_the_search_and_below_it() {
    // Tarjan's search starts at 0, whose first successor 1 closes the cycle back to it: both
    // must get distinct indices, or the cycle splits into two single states and the lasso is
    // lost (cargo-mutants: the root's `counter += 1`).
    for f in [Fairness::Weak, Fairness::Strong] {
        let o = run(&edges(&[0], &[(0, 1), (1, 0)], &[]), with_fairness(f));
        assert_eq!(status(&o, "never"), Status::Violated, "{f:?}");
        let t = trace(&o, "never");
        assert_eq!((t.steps.len(), t.loop_start), (2, Some(0)), "{f:?}");
        // The same one step deeper: every state the search descends to needs an index of its
        // own (the descent's `counter += 1`).
        let o = run(
            &edges(&[0], &[(0, 1), (1, 2), (2, 1)], &[]),
            with_fairness(f),
        );
        assert_eq!(status(&o, "never"), Status::Violated, "{f:?}");
        let t = trace(&o, "never");
        assert_eq!((t.steps.len(), t.loop_start), (3, Some(1)), "{f:?}");
    }
}

#[test]
fn every_trigger_as_near_as_the_front_joins_the_search_before_it_moves_on() {
    // From initial state 0 the nearest stop (3) is two steps away; initial state 1 is itself a
    // stop. Both are triggers at depth 0: the counterexample is the empty run at 1.
    let o = run(
        &edges(&[0, 1], &[(0, 2), (2, 3)], &[]),
        CheckOptions::default(),
    );
    assert_eq!(status(&o, "never"), Status::Violated);
    let t = trace(&o, "never");
    assert_eq!((t.init, t.steps.len(), t.loop_start), (1, 0, None));
}

#[test]
fn a_deeper_trigger_joins_the_search_when_the_front_reaches_its_depth() {
    // Trigger 0 (depth 0) is three steps from the stop at 3; trigger 6 (depth 1, under the
    // initial state 5, no trigger) is a stop itself: the counterexample is 5 -> 6.
    let c = edges(&[0, 5], &[(0, 1), (1, 2), (2, 3), (5, 6)], &[0, 6]);
    let o = run(&c, CheckOptions::default());
    assert_eq!(status(&o, "trigger leads to never"), Status::Violated);
    let t = trace(&o, "trigger leads to never");
    assert_eq!(t.init, 5);
    assert_eq!(actions(&o, "trigger leads to never"), [(5, 6)]);
    assert_eq!(t.loop_start, None);
}

#[test]
fn the_explorer_path_lists_action_indices_up_to_the_loop() {
    let t: Trace<Counter> = Trace {
        init_index: 0,
        init: (0, false),
        steps: vec![
            (Act::Crash, 1, (0, true)),
            (Act::Recover, 0, (0, false)),
            (Act::Inc, 0, (1, false)),
        ],
        loop_start: None,
    };
    assert_eq!(t.explorer_path(), "0/1/0/0");
    let lasso = Trace {
        loop_start: Some(1),
        ..t.clone_trace()
    };
    assert_eq!(lasso.explorer_path(), "0/1");
    // From a check: crashing is the second action at the start.
    let o = run(&counter(2, true), with_fairness(Fairness::Strong));
    assert_eq!(trace(&o, "reaches max").explorer_path(), "0/1");
}

#[test]
fn fingerprints_use_the_fixed_seeds() {
    // Keys drawn per process (ahash's defaults) would make state numbering differ per run.
    // The fingerprint is ahash, with the fixed seeds, of the bytes the value's `Hash` writes.
    use std::hash::{BuildHasher, Hasher};
    let seeded = ahash::RandomState::with_seeds(0x5EED_0001, 0x5EED_0002, 0x5EED_0003, 0x5EED_0004);
    let mut h = seeded.build_hasher();
    h.write(&[3u8, 1]);
    assert_eq!(fingerprint(&(3u8, true)), h.finish());
}

#[test]
fn a_fingerprint_reads_every_byte_of_a_state_longer_than_its_buffer() {
    let long: Vec<u64> = (0..200).collect();
    let base = fingerprint(&long);
    assert_eq!(fingerprint(&long.clone()), base);
    // First, around the buffer's end (256 bytes, 8 of them the length), last.
    for i in [0, 30, 31, 32, 199] {
        let mut changed = long.clone();
        changed[i] += 1;
        assert_ne!(fingerprint(&changed), base, "element {i}");
    }
}

#[test]
fn kinds_print_as_they_serialize() {
    for (kind, word) in [
        (Kind::Always, "always"),
        (Kind::Eventually, "eventually"),
        (Kind::Sometimes, "sometimes"),
        (Kind::LeadsTo, "leads-to"),
    ] {
        assert_eq!(kind.word(), word);
        assert_eq!(serde_json::to_value(kind).unwrap(), word);
    }
}

/// A 256 x 256 grid walked one coordinate at a time: 65,536 states, so a packed BFS frontier
/// consumes more bytes than the buffer keeps before it drops the consumed ones.
struct Grid;

impl Model for Grid {
    type State = (u8, u8);
    type Action = Side;
    fn init_states(&self) -> Vec<(u8, u8)> {
        vec![(0, 0)]
    }
    fn actions(&self, s: &(u8, u8), out: &mut Vec<Side>) {
        if s.0 < 255 {
            out.push(Side::A);
        }
        if s.1 < 255 {
            out.push(Side::B);
        }
    }
    fn next_state(&self, s: &(u8, u8), a: Side) -> Option<(u8, u8)> {
        Some(match a {
            Side::A => (s.0 + 1, s.1),
            Side::B => (s.0, s.1 + 1),
        })
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("not the far corner", |_, s: &(u8, u8)| *s != (255, 255)),
            Property::sometimes("the diagonal at 200", |_, s: &(u8, u8)| *s == (200, 200)),
        ]
    }
}

/// Everything a check reports, in a form two checks can be compared in: counts, depth, and per
/// property its status and its trace (the actions and the states).
fn summary<M>(o: &Outcome<M>) -> (u64, u64, usize, Vec<String>)
where
    M: Model,
    M::State: Debug,
    M::Action: Debug,
{
    let props = o
        .properties
        .iter()
        .map(|p| {
            let steps = p.trace.as_ref().map(|t| {
                let steps: Vec<String> = t
                    .steps
                    .iter()
                    .map(|(a, i, s)| format!("{a:?} {i} {s:?}"))
                    .collect();
                (format!("{:?}", t.init), steps, t.loop_start)
            });
            format!("{} {:?} {:?}", p.name, p.status, steps)
        })
        .collect();
    (o.unique_states, o.total_states, o.max_depth, props)
}

/// Every search order and thread count a test of a frontier should hold for: BFS and DFS, one
/// thread and two (DFS always runs on one).
fn every_search() -> Vec<CheckOptions> {
    [Strategy::Bfs, Strategy::Dfs]
        .into_iter()
        .flat_map(|strategy| {
            [1, 2].map(|threads| CheckOptions {
                strategy,
                threads,
                ..CheckOptions::default()
            })
        })
        .collect()
}

#[test]
fn a_packed_frontier_changes_no_count_verdict_or_trace() {
    let by_hand = Compact::<(u8, bool)> {
        pack: |s, out| out.extend([s.0, u8::from(s.1)]),
        unpack: |b| (b[0], b[1] == 1),
    };
    let grid = || Checkable::new(Grid).with_end_states(|_, s| *s == (255, 255));
    for opts in every_search() {
        // With liveness (the counter) and safety only (the grid).
        let plain = run(&counter(6, true), opts.clone());
        let packed = run(&counter(6, true).with_compact(by_hand), opts.clone());
        assert_eq!(summary(&plain), summary(&packed));
        let plain = run(&grid(), opts.clone());
        let packed = run(&grid().with_compact(Compact::serde()), opts.clone());
        assert_eq!(plain.unique_states, 65_536);
        assert_eq!(status(&plain, "not the far corner"), Status::Violated);
        assert_eq!(trace(&plain, "not the far corner").steps.len(), 510);
        assert_eq!(summary(&plain), summary(&packed));
    }
    // The serde encoding is exact.
    let s = (200u8, 7u8);
    let mut bytes = Vec::new();
    (Compact::<(u8, u8)>::serde().pack)(&s, &mut bytes);
    assert_eq!(bytes, [200, 7]);
    assert_eq!((Compact::<(u8, u8)>::serde().unpack)(&bytes), s);
}

/// The temporary directories of this process's spilled frontiers that still exist.
fn spill_dirs() -> Vec<std::path::PathBuf> {
    let prefix = format!("checker-frontier-{}-", std::process::id());
    std::fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_frontier_spilled_to_disk_changes_no_count_verdict_or_trace_and_leaves_no_file() {
    let grid = || {
        Checkable::new(Grid)
            .with_end_states(|_, s| *s == (255, 255))
            .with_compact(Compact::serde())
    };
    for opts in every_search() {
        let in_memory = run(&grid(), opts.clone());
        assert_eq!(in_memory.spilled, None);
        // A budget of one byte: every full segment (64 bytes, the least) but the two ends goes
        // to disk and comes back.
        let spilled = run(
            &grid(),
            CheckOptions {
                frontier_memory: Some(1),
                ..opts
            },
        );
        let written = spilled.spilled.expect("the frontier spilled");
        assert!(written.segments >= 2 && written.bytes > 128, "{written:?}");
        assert_eq!(summary(&in_memory), summary(&spilled));
        assert_eq!(
            trace(&in_memory, "not the far corner").steps,
            trace(&spilled, "not the far corner").steps
        );
    }
    assert_eq!(spill_dirs(), Vec::<std::path::PathBuf>::new());
    // A model whose states do not pack cannot spill: a clear error, not a silent no-op.
    let plain = CheckOptions {
        frontier_memory: Some(1 << 20),
        ..CheckOptions::default()
    };
    assert_eq!(
        Checkable::new(Grid)
            .check(&plain, &Progress::default())
            .err(),
        Some(CheckError::CannotSpill)
    );
}
