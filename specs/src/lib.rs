//! What each protocol must satisfy, kept apart from the protocols themselves (`models`).
//!
//! For each protocol there is a module that builds its checkable model (the actors from
//! `models` plus named properties) and, where one exists, a module with the abstract
//! specification it refines: a small [`stateright::Model`] whose states the protocol's states
//! map onto. Properties are stateright's `always` / `sometimes` / `eventually` predicates on
//! states, plus the [`StepInvariant`]s defined here, which our checker evaluates on every
//! transition.

pub mod params;
pub mod protocol;

pub mod atomic_commit;
pub mod bully;
pub mod chang_roberts;
pub mod consensus;
pub mod flp;
pub mod leader_election;
pub mod multi_paxos;
pub mod paxos;
pub mod raft_election;
pub mod three_phase_commit;
pub mod two_phase_commit;

/// An invariant of steps: must hold for every reachable transition `before -> after` (TLA+'s [][A]_v).
pub struct StepInvariant<M: stateright::Model> {
    /// A short lowercase claim, used word for word in tests and reports.
    pub name: &'static str,
    /// Whether the step from `before` (second argument) to `after` (third) is allowed.
    pub holds: fn(&M, &M::State, &M::State) -> bool,
}

// Written by hand because a derive would require `M: Clone`, which the fields do not need.
impl<M: stateright::Model> Clone for StepInvariant<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            holds: self.holds,
        }
    }
}

/// A leads-to property `P ~> Q` (TLA+'s `[](P => <>Q)`): whenever `from` holds, `to` holds then
/// or later, under the fairness the checker assumes.
pub struct LeadsTo<M: stateright::Model> {
    /// A short lowercase claim, used word for word in tests and reports.
    pub name: &'static str,
    pub from: fn(&M, &M::State) -> bool,
    pub to: fn(&M, &M::State) -> bool,
}

impl<M: stateright::Model> Clone for LeadsTo<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            from: self.from,
            to: self.to,
        }
    }
}

/// The actor-system state `s` with its actors renamed by `plan` (actor `i` becomes actor
/// `plan(i)`, and every id inside states, messages and storage follows): the building block of
/// a symmetry representative, which picks the plan that sorts interchangeable actors.
pub fn rename_actors<A, H>(
    s: &stateright::actor::ActorModelState<A, H>,
    plan: &stateright::RewritePlan<
        stateright::actor::Id,
        stateright::util::DenseNatMap<stateright::actor::Id, stateright::actor::Id>,
    >,
) -> stateright::actor::ActorModelState<A, H>
where
    A: stateright::actor::Actor,
    A::State: stateright::Rewrite<stateright::actor::Id>,
    A::Msg: stateright::Rewrite<stateright::actor::Id>,
    A::Random: stateright::Rewrite<stateright::actor::Id>,
    A::Storage: stateright::Rewrite<stateright::actor::Id>,
    H: stateright::Rewrite<stateright::actor::Id>,
{
    use stateright::Rewrite;
    stateright::actor::ActorModelState {
        actor_states: plan.reindex(&s.actor_states),
        network: s.network.rewrite(plan),
        timers_set: plan.reindex(&s.timers_set),
        random_choices: plan.reindex(&s.random_choices),
        crashed: plan.reindex(&s.crashed),
        actor_storages: plan.reindex(&s.actor_storages),
        history: s.history.rewrite(plan),
    }
}

/// The canonical representative of an actor-system state under a symmetry: the actors sorted
/// by `key` (everything that tells one actor apart from another, with no renamable id in it),
/// every id renamed to match. Canonical when equal keys mean interchangeable actors: every
/// permutation of a class then has the same representative.
pub fn sorted_by_key<A, H, K: Ord>(
    s: &stateright::actor::ActorModelState<A, H>,
    key: impl Fn(usize) -> K,
) -> stateright::actor::ActorModelState<A, H>
where
    A: stateright::actor::Actor,
    A::State: stateright::Rewrite<stateright::actor::Id>,
    A::Msg: stateright::Rewrite<stateright::actor::Id>,
    A::Random: stateright::Rewrite<stateright::actor::Id>,
    A::Storage: stateright::Rewrite<stateright::actor::Id>,
    H: Clone + stateright::Rewrite<stateright::actor::Id>,
{
    let keys: Vec<K> = (0..s.actor_states.len()).map(key).collect();
    // Already in order: renaming would rebuild the same state.
    if keys.is_sorted() {
        return s.clone();
    }
    rename_actors(s, &stateright::RewritePlan::from_values_to_sort(&keys))
}

/// The messages in flight to and from one actor, as a symmetry key reads them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mail<M> {
    /// Messages to the actor with their sender: sorted on unordered networks, per channel in
    /// FIFO order on an ordered one.
    pub inbox: Vec<(stateright::actor::Id, M)>,
    /// Messages from the actor with their receiver, in the same order.
    pub outbox: Vec<(stateright::actor::Id, M)>,
    /// The duplicating network's last delivered message, if the actor sent it (`true`, with
    /// its receiver) or received it (`false`, with its sender).
    pub last: Option<(bool, stateright::actor::Id, M)>,
}

/// The messages in flight to and from actor `id` (see [`Mail`]).
pub fn mail_of<M>(network: &stateright::actor::Network<M>, id: stateright::actor::Id) -> Mail<M>
where
    M: Clone + Ord + std::hash::Hash,
{
    use stateright::actor::{Id, Network};
    let (mut inbox, mut outbox, mut last) = (Vec::new(), Vec::new(), None);
    let mut file = |src: Id, dst: Id, msg: &M, n: usize| {
        for _ in 0..n {
            if dst == id {
                inbox.push((src, msg.clone()));
            } else if src == id {
                outbox.push((dst, msg.clone()));
            }
        }
    };
    match network {
        Network::UnorderedDuplicating(set, last_delivered) => {
            set.iter().for_each(|e| file(e.src, e.dst, &e.msg, 1));
            last = last_delivered
                .as_ref()
                .filter(|e| e.src == id || e.dst == id)
                .map(|e| {
                    let peer = if e.src == id { e.dst } else { e.src };
                    (e.src == id, peer, e.msg.clone())
                });
        }
        Network::UnorderedNonDuplicating(multiset) => multiset
            .iter()
            .for_each(|(e, n)| file(e.src, e.dst, &e.msg, *n)),
        Network::Ordered(channels) => channels
            .iter()
            .for_each(|((src, dst), queue)| queue.iter().for_each(|m| file(*src, *dst, m, 1))),
    }
    if !matches!(network, Network::Ordered(_)) {
        inbox.sort();
        outbox.sort();
    }
    Mail {
        inbox,
        outbox,
        last,
    }
}

/// The name of an enum variant from its `Debug` text: `Prepare(0)` -> `Prepare`.
pub fn variant_name(debug: &str) -> &str {
    let end = debug.find(['(', '{', ' ']).unwrap_or(debug.len());
    &debug[..end]
}
