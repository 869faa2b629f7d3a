//! What the engine and the report need to know about any stateright actor system: actions in
//! words, which actions are fair, and a readable, canonical view of a system state.

use models::common::ActorSystem;
use serde::Serialize;
use serde_json::{json, Map, Value};
use stateright::actor::{Actor, ActorModelAction, ActorModelState, Envelope, Id, Network};
use std::fmt::Debug;
use std::hash::Hash;

/// Human names of a system's actors, by id.
#[derive(Clone, Debug)]
pub struct Names(pub Vec<String>);

impl Names {
    pub fn of<C: ActorSystem>(cfg: &C) -> Self {
        Self(
            (0..cfg.actors().len())
                .map(|i| cfg.actor_name(Id::from(i)))
                .collect(),
        )
    }

    pub fn name(&self, id: Id) -> &str {
        self.0
            .get(usize::from(id))
            .map_or("unknown actor", String::as_str)
    }

    /// An action in words: `rm1 -> tm: Prepared`, `tm: timeout VoteTimeout`, `tm crashes`.
    pub fn words<Msg: Debug, Timer: Debug, Random: Debug>(
        &self,
        action: &ActorModelAction<Msg, Timer, Random>,
    ) -> String {
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                format!("{} -> {}: {msg:?}", self.name(*src), self.name(*dst))
            }
            ActorModelAction::Drop(Envelope { src, dst, msg }) => {
                format!("lost {} -> {}: {msg:?}", self.name(*src), self.name(*dst))
            }
            ActorModelAction::Timeout(id, timer) => {
                format!("{}: timeout {timer:?}", self.name(*id))
            }
            ActorModelAction::Crash(id) => format!("{} crashes", self.name(*id)),
            ActorModelAction::Recover(id) => format!("{} recovers", self.name(*id)),
            ActorModelAction::SelectRandom { actor, key, random } => {
                format!("{} chooses {key} = {random:?}", self.name(*actor))
            }
        }
    }

    /// A canonical JSON view of a system state, keyed by actor name; the network is a list of
    /// `src -> dst: msg` lines (sorted, or per channel in FIFO order on an ordered network), so
    /// equal states always print the same.
    pub fn view<A, H>(&self, state: &ActorModelState<A, H>) -> Value
    where
        A: Actor,
        A::State: Serialize,
        A::Storage: Serialize,
        A::Msg: Debug,
        A::Timer: Debug,
        A::Random: Debug,
        H: Serialize,
    {
        let mut actors = Map::new();
        for (i, s) in state.actor_states.iter().enumerate() {
            let id = Id::from(i);
            let mut entry = Map::new();
            entry.insert("state".into(), to_value(&**s));
            if state.crashed.get(i).copied().unwrap_or(false) {
                entry.insert("crashed".into(), Value::Bool(true));
            }
            if let Some(Some(storage)) = state.actor_storages.get(i) {
                entry.insert("storage".into(), to_value(storage));
            }
            if let Some(timers) = state.timers_set.get(i) {
                let mut t: Vec<String> = timers.iter().map(|t| format!("{t:?}")).collect();
                t.sort();
                if !t.is_empty() {
                    entry.insert("timers".into(), json!(t));
                }
            }
            if let Some(choices) = state.random_choices.get(i) {
                let mut c: Vec<String> = choices
                    .map
                    .iter()
                    .map(|(k, v)| format!("{k}: {v:?}"))
                    .collect();
                c.sort();
                if !c.is_empty() {
                    entry.insert("choosing".into(), json!(c));
                }
            }
            actors.insert(self.name(id).to_string(), Value::Object(entry));
        }
        let network = self.network_lines(&state.network);
        let mut out = Map::new();
        out.insert("actors".into(), Value::Object(actors));
        out.insert("network".into(), json!(network));
        let history = to_value(&state.history);
        if history != Value::Null {
            out.insert("history".into(), history);
        }
        Value::Object(out)
    }

    /// Every message on the network as `src -> dst: msg`, repeated as often as it is in
    /// flight. (stateright 0.31's `Network::iter_all` loops forever on an ordered network and
    /// over-counts repeats on a non-duplicating one, so the variants are read directly.)
    fn network_lines<Msg: Debug + Eq + Hash>(&self, network: &Network<Msg>) -> Vec<String> {
        let line = |src: Id, dst: Id, msg: &Msg| {
            format!("{} -> {}: {msg:?}", self.name(src), self.name(dst))
        };
        let sorted = |mut lines: Vec<String>| {
            lines.sort();
            lines
        };
        match network {
            Network::UnorderedDuplicating(set, _) => {
                sorted(set.iter().map(|e| line(e.src, e.dst, &e.msg)).collect())
            }
            Network::UnorderedNonDuplicating(multiset) => sorted(
                multiset
                    .iter()
                    .flat_map(|(e, n)| std::iter::repeat_n(line(e.src, e.dst, &e.msg), *n))
                    .collect(),
            ),
            // Channels are listed in (src, dst) order, each in FIFO order.
            Network::Ordered(channels) => channels
                .iter()
                .flat_map(|((src, dst), queue)| queue.iter().map(|m| line(*src, *dst, m)))
                .collect(),
        }
    }
}

fn to_value<T: Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| Value::String(format!("<unprintable: {e}>")))
}

/// Weak fairness per action class: a message that stays deliverable is eventually delivered,
/// a timer that stays set eventually fires, a pending random choice is eventually made. Loss,
/// crash and recovery are never owed.
pub fn fair<Msg, Timer, Random>(action: &ActorModelAction<Msg, Timer, Random>) -> bool
where
    Msg: Eq + Hash,
{
    matches!(
        action,
        ActorModelAction::Deliver { .. }
            | ActorModelAction::Timeout(..)
            | ActorModelAction::SelectRandom { .. }
    )
}
