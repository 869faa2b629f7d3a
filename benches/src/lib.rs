//! Shared helpers for the criterion benchmarks. Configurations come from the checker's registry,
//! so a benchmark runs exactly what `checker check NAME --set ...` checks.

// The same allocator as the `checker` binary, so benches measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use checker::params::{ParamKind, Value};
use checker::registry;
use impls::plain::PlainOptions;
use impls::sim::{Sim, SimCfg};
use models::two_phase_commit::{Decision, TmPhase, TwoPcCfg, TwoPcState, TM_ID};
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::VecDeque;

/// The 2PC configuration the registry builds from `NAME=VALUE` settings, such as `["rms=5"]`.
pub fn two_pc_cfg(settings: &[&str]) -> TwoPcCfg {
    specs::two_phase_commit::protocol()
        .cfg_of(settings)
        .expect("a valid configuration")
}

/// Runs one whole transaction on a fresh simulator seeded with `seed` until quiescence and
/// returns the TM's decision. Panics if the run does not settle on a decision, so a benchmark
/// never times a broken run.
pub fn run_transaction(cfg: &TwoPcCfg, seed: u64) -> Decision {
    let sim_cfg = SimCfg {
        seed,
        ..SimCfg::default()
    };
    let mut sim = Sim::from_system(cfg, sim_cfg).expect("a valid simulator configuration");
    let outcome = sim.run();
    assert!(outcome.quiescent, "seed {seed}: not quiescent: {outcome:?}");
    match &*sim.actor_states()[TM_ID] {
        TwoPcState::Tm(tm) => match tm.phase {
            TmPhase::Decided { decision, .. } => decision,
            TmPhase::Collecting { .. } => panic!("seed {seed}: the TM did not decide"),
        },
        TwoPcState::Rm(_) => unreachable!("actor {TM_ID} is the TM"),
    }
}

/// The settings `benches/benches/runtime.rs` runs a registered protocol at: its defaults, and,
/// when its first parameter is an integer (the system's size by the registry's convention:
/// `rms`, `nodes`, `acceptors`, `replicas`), the same with that parameter at `size` or its
/// maximum, whichever is smaller. No per-protocol code: a new protocol is picked up as is.
pub fn runtime_settings(entry: &registry::Entry, size: u64) -> Vec<Vec<String>> {
    let mut all = vec![Vec::new()];
    let params = (entry.params)();
    if let Some(first) = params.first() {
        if let (ParamKind::Int { max, .. }, Value::Int(default)) = (&first.kind, &first.default) {
            let larger = size.min(*max);
            if larger > *default {
                all.push(vec![format!("{}={larger}", first.name)]);
            }
        }
    }
    all
}

/// One batch of plain runs (see [`impls::plain`]) of `target`, seeds `seeds`: the messages
/// delivered and the operations completed over the batch. Panics if a run misses its goal, so
/// a benchmark never times a broken or unfinished run.
pub fn plain_batch(
    name: &str,
    target: &dyn registry::Target,
    seeds: std::ops::Range<u64>,
) -> (u64, u64) {
    let (mut messages, mut operations) = (0, 0);
    for seed in seeds {
        let opts = PlainOptions {
            seed,
            ..PlainOptions::default()
        };
        let outcome = target.run_plain(&opts).expect("an actor protocol");
        assert!(
            outcome.goal_reached,
            "{name} seed {seed}: goal not reached ({:?})",
            outcome.unmet
        );
        messages += outcome.messages_delivered as u64;
        operations += target.operations();
    }
    (messages, operations)
}

/// The limit a driver's overhead is measured against: a plain FIFO event loop over `actors`
/// that hands every message straight to `on_msg`, with no clock, no latency, no scheduling
/// and no bookkeeping. Messages only (timers and random choices are ignored): enough for
/// [`impls::ping`]. Returns the final states and the number of messages delivered.
pub fn plain_loop<A: Actor>(actors: &[A]) -> (Vec<A::State>, usize)
where
    A::State: Clone,
{
    let mut queue: VecDeque<(Id, Id, A::Msg)> = VecDeque::new();
    let mut states = Vec::with_capacity(actors.len());
    for (index, actor) in actors.iter().enumerate() {
        let id = Id::from(index);
        let mut out = Out::new();
        states.push(actor.on_start(id, &None, &mut out));
        enqueue(&mut queue, id, out);
    }
    let mut delivered = 0;
    while let Some((src, dst, msg)) = queue.pop_front() {
        let index = usize::from(dst);
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&states[index]);
        actors[index].on_msg(dst, &mut state, src, msg, &mut out);
        if let Cow::Owned(next) = state {
            states[index] = next;
        }
        delivered += 1;
        enqueue(&mut queue, dst, out);
    }
    (states, delivered)
}

fn enqueue<A: Actor>(queue: &mut VecDeque<(Id, Id, A::Msg)>, src: Id, out: Out<A>) {
    for command in out {
        if let Command::Send(dst, msg) = command {
            queue.push_back((src, dst, msg));
        }
    }
}

/// What one fault-free run of a commit protocol costs: the messages sent, and the length of
/// the longest causal chain of messages (the message delays until the last message of the
/// run arrives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitCost {
    pub messages: usize,
    pub delays: usize,
}

/// Runs `actors` fault-free to quiescence on a FIFO loop and measures [`CommitCost`]: every
/// message carries its causal depth (one more than the depth of the event that sent it); an
/// actor's depth is the largest depth it has received. Every random choice takes its first
/// option (the commit protocols list `Yes` first, so every RM votes yes and the transaction
/// commits); a choice is made in the same event that offers it, as the simulator does with no
/// delay. Timers never fire: a fault-free run needs none.
pub fn fault_free_commit<A: Actor>(actors: &[A]) -> CommitCost
where
    A::State: Clone,
    A::Random: Clone,
{
    let mut queue: VecDeque<(Id, Id, A::Msg, usize)> = VecDeque::new();
    let mut states = Vec::with_capacity(actors.len());
    let mut depth = vec![0; actors.len()];
    let (mut messages, mut delays) = (0, 0);
    for (index, actor) in actors.iter().enumerate() {
        let id = Id::from(index);
        let mut out = Out::new();
        states.push(actor.on_start(id, &None, &mut out));
        react(actors, &mut states, id, out, 0, &mut queue);
    }
    while let Some((src, dst, msg, d)) = queue.pop_front() {
        messages += 1;
        delays = delays.max(d);
        let index = usize::from(dst);
        depth[index] = depth[index].max(d);
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&states[index]);
        actors[index].on_msg(dst, &mut state, src, msg, &mut out);
        if let Cow::Owned(next) = state {
            states[index] = next;
        }
        react(actors, &mut states, dst, out, depth[index], &mut queue);
    }
    CommitCost { messages, delays }
}

/// Queues `id`'s sends at depth `d + 1`, taking every random choice it offers at once.
fn react<A: Actor>(
    actors: &[A],
    states: &mut [A::State],
    id: Id,
    out: Out<A>,
    d: usize,
    queue: &mut VecDeque<(Id, Id, A::Msg, usize)>,
) where
    A::State: Clone,
    A::Random: Clone,
{
    for command in out {
        match command {
            Command::Send(dst, msg) => queue.push_back((id, dst, msg, d + 1)),
            Command::ChooseRandom(_, options) if !options.is_empty() => {
                let index = usize::from(id);
                let mut next = Out::new();
                let mut state = Cow::Borrowed(&states[index]);
                actors[index].on_random(id, &mut state, &options[0], &mut next);
                if let Cow::Owned(s) = state {
                    states[index] = s;
                }
                react(actors, states, id, next, d, queue);
            }
            _ => {}
        }
    }
}

/// What one traitor-free run of OM(m) sends: the values (the paper's messages, one per path)
/// and the messages that carry them (one per sender, recipient and round).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OmCount {
    pub values: usize,
    pub messages: usize,
}

/// Runs OM(m) among `generals` generals, with no traitor and a loyal commander ordering attack,
/// to the end on a FIFO loop, and counts what it sends (see [`OmCount`]).
pub fn om_messages(generals: usize, m: usize) -> OmCount {
    use models::common::ActorSystem;
    use models::om::OmMsg;
    let cfg = specs::om::protocol()
        .cfg_of(&[
            &format!("generals={generals}"),
            &format!("m={m}"),
            "traitors=none",
        ])
        .expect("a valid OM configuration");
    let actors = cfg.actors();
    let mut queue: VecDeque<(Id, Id, OmMsg)> = VecDeque::new();
    let mut states = Vec::new();
    for (index, actor) in actors.iter().enumerate() {
        let id = Id::from(index);
        let mut out = Out::new();
        states.push(actor.on_start(id, &None, &mut out));
        enqueue(&mut queue, id, out);
    }
    let mut count = OmCount {
        values: 0,
        messages: 0,
    };
    while let Some((src, dst, msg)) = queue.pop_front() {
        let OmMsg::Values { values } = &msg;
        count.values += values.len();
        count.messages += 1;
        let index = usize::from(dst);
        let mut out = Out::new();
        let mut state = Cow::Borrowed(&states[index]);
        actors[index].on_msg(dst, &mut state, src, msg, &mut out);
        if let Cow::Owned(next) = state {
            states[index] = next;
        }
        enqueue(&mut queue, dst, out);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use models::common::ActorSystem;

    /// The README's message-delay table at three RMs (F = 1), pinned: a change to a
    /// protocol's fault-free message flow shows here first.
    #[test]
    fn a_fault_free_commit_costs_what_the_readme_says() {
        let cost = |messages, delays| CommitCost { messages, delays };
        let two = specs::two_phase_commit::protocol()
            .cfg_of(&["rms=3"])
            .unwrap();
        assert_eq!(fault_free_commit(&two.actors()), cost(9, 3));
        let three = specs::three_phase_commit::protocol()
            .cfg_of(&["rms=3"])
            .unwrap();
        assert_eq!(fault_free_commit(&three.actors()), cost(15, 5));
        let paxos = specs::paxos_commit::protocol()
            .cfg_of(&["rms=3", "faults=1", "leaders=1"])
            .unwrap();
        assert_eq!(fault_free_commit(&paxos.actors()), cost(24, 4));
    }

    /// OM(m) sends the paper's count of values, `(n-1) + (n-1)(n-2) + ... +
    /// (n-1)(n-2)...(n-m-1)`, in `(n-1) + m(n-1)(n-2)` messages.
    #[test]
    fn om_sends_the_papers_count_of_messages() {
        for n in 3..=7 {
            for m in 0..=3.min(n - 2) {
                let count = om_messages(n, m);
                assert_eq!(
                    count.values,
                    models::om::paper_messages(n, m),
                    "n={n} m={m}"
                );
                assert_eq!(
                    count.messages,
                    (n - 1) + m * (n - 1) * (n - 2),
                    "n={n} m={m}"
                );
            }
        }
    }
}
