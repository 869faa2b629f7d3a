//! Trace validation: the proof that the runtime and the model are the same transition function.
//!
//! A run recorded by [`crate::sim::Sim`] is a list of [`Step`](crate::sim::Step)s, each the twin of a stateright
//! `ActorModelAction`. [`Replay`] walks such a list through the `ActorModel` from its initial
//! state: each step must be among the actions the model enables in the current state
//! (`Model::actions`), and `Model::next_state` gives the state after it. Where the driver's own
//! view of the system is available ([`Sim::snapshot`](crate::sim::Sim::snapshot)), the replayed
//! state must equal it. The first step that fails either test is reported as a [`Divergence`].
//!
//! Two details of the model are handled as [`Sim::snapshot`](crate::sim::Sim::snapshot)'s
//! documentation describes: a step the model treats as a no-op (`next_state` returns `None`, for
//! a delivery that changes nothing or a timeout that only sets its own timer again) is a
//! stutter, and the snapshot already keeps the messages the model keeps on its network for such
//! deliveries and on a duplicating network. The model's history (`H`) has no twin in the
//! driver, so it is not compared; it is what the model computes along the replay.
//!
//! A driver that loses messages without reporting it (UDP: a datagram lost on the wire) is
//! replayed with the model's own drops: on a lossy *ordered* network, a delivery of a message
//! that waits behind others in its channel first drops those others ([`Replay::advance`]),
//! which is what the wire did. (On an unordered network any message in flight is deliverable
//! and a lost one simply stays in flight.)

use crate::sim::StepOf;
use serde::{Deserialize, Serialize};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Envelope, LossyNetwork, Network,
};
use stateright::Model;
use std::fmt;
use std::hash::Hash;

/// Why a recorded run is not a run of the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mismatch {
    /// The driver's initial state is not the model's.
    InitialState { field: String },
    /// The model does not enable the recorded step in the state reached so far.
    NotEnabled,
    /// The step is enabled, but the model reaches a state other than the driver's.
    DifferentState { field: String },
}

/// The first step at which a recorded run and the model part ways.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Divergence {
    /// The step, numbered from 1 as in printed traces; 0 is the initial state.
    pub step: usize,
    /// The step in `Debug` form (empty for the initial state).
    pub action: String,
    pub mismatch: Mismatch,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mismatch {
            Mismatch::InitialState { field } => {
                write!(f, "initial state differs from the model's in {field}")
            }
            Mismatch::NotEnabled => write!(
                f,
                "step {} ({}) is not enabled in the model",
                self.step, self.action
            ),
            Mismatch::DifferentState { field } => write!(
                f,
                "step {} ({}) leads the model to another state: {field} differs",
                self.step, self.action
            ),
        }
    }
}

/// An action of `A`'s actor model.
type ActionOf<A> = ActorModelAction<<A as Actor>::Msg, <A as Actor>::Timer, <A as Actor>::Random>;

/// The model's state after each recorded step so far; see the module documentation.
pub struct Replay<'m, A: Actor, C, H>
where
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + fmt::Debug + Hash,
{
    model: &'m ActorModel<A, C, H>,
    state: ActorModelState<A, H>,
    /// Steps replayed so far.
    steps: usize,
    enabled: Vec<ActorModelAction<A::Msg, A::Timer, A::Random>>,
    /// The actions that changed the state, in order, when recording (see [`Replay::recording`]).
    applied: Option<Vec<ActionOf<A>>>,
}

impl<'m, A, C, H> Replay<'m, A, C, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + fmt::Debug + Hash,
{
    /// Starts at the model's (first) initial state.
    pub fn new(model: &'m ActorModel<A, C, H>) -> Self {
        let state = model.init_states().remove(0);
        Self {
            model,
            state,
            steps: 0,
            enabled: Vec::new(),
            applied: None,
        }
    }

    /// As [`Replay::new`], also keeping every action that changed the state, so that a caller
    /// can show the replayed run as a trace of the model ([`Replay::applied`]).
    pub fn recording(model: &'m ActorModel<A, C, H>) -> Self {
        Self {
            applied: Some(Vec::new()),
            ..Self::new(model)
        }
    }

    /// The actions that changed the state so far, in order (stutters left out), when
    /// recording; empty otherwise.
    pub fn applied(&self) -> &[ActionOf<A>] {
        self.applied.as_deref().unwrap_or_default()
    }

    /// The model's state after the steps replayed so far.
    pub fn state(&self) -> &ActorModelState<A, H> {
        &self.state
    }

    /// How many steps have been replayed.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Takes one recorded step: it must be enabled; a no-op in the model is a stutter.
    pub fn advance(&mut self, step: &StepOf<A>) -> Result<(), Divergence> {
        self.steps += 1;
        let action = ActorModelAction::from(step.clone());
        self.enabled.clear();
        self.model.actions(&self.state, &mut self.enabled);
        if !self.enabled.contains(&action) && self.drop_lost_before(&action) {
            self.enabled.clear();
            self.model.actions(&self.state, &mut self.enabled);
        }
        if !self.enabled.contains(&action) {
            return Err(Divergence {
                step: self.steps,
                action: format!("{step:?}"),
                mismatch: Mismatch::NotEnabled,
            });
        }
        let kept = self.applied.is_some().then(|| action.clone());
        if let Some(next) = self.model.next_state(&self.state, action) {
            self.state = next;
            if let (Some(applied), Some(action)) = (self.applied.as_mut(), kept) {
                applied.push(action);
            }
        }
        Ok(())
    }

    /// On a lossy ordered network, a delivery of a message behind others in its channel: the
    /// messages ahead of it were lost on the way. Applies the model's drop of each (enabled on
    /// a lossy network) so that it is the channel's head; false, changing nothing, if the
    /// action is not such a delivery.
    fn drop_lost_before(&mut self, action: &ActionOf<A>) -> bool {
        let ActorModelAction::Deliver { src, dst, msg } = action else {
            return false;
        };
        if self.model.lossy_network != LossyNetwork::Yes {
            return false;
        }
        let Network::Ordered(channels) = &self.state.network else {
            return false;
        };
        let Some(channel) = channels.get(&(*src, *dst)) else {
            return false;
        };
        let Some(k) = channel.iter().position(|m| m == msg) else {
            return false;
        };
        let lost: Vec<A::Msg> = channel.iter().take(k).cloned().collect();
        for m in lost {
            let drop = ActorModelAction::Drop(Envelope {
                src: *src,
                dst: *dst,
                msg: m,
            });
            let kept = self.applied.is_some().then(|| drop.clone());
            match self.model.next_state(&self.state, drop) {
                Some(next) => self.state = next,
                None => return false,
            }
            if let (Some(applied), Some(drop)) = (self.applied.as_mut(), kept) {
                applied.push(drop);
            }
        }
        k > 0
    }

    /// Whether the replayed state equals the driver's `snapshot` (history aside); the error
    /// names the step replayed last and the first field that differs.
    pub fn compare<B, H2>(
        &self,
        snapshot: &ActorModelState<B, H2>,
        last: Option<&StepOf<A>>,
    ) -> Result<(), Divergence>
    where
        B: Actor<
            Msg = A::Msg,
            State = A::State,
            Timer = A::Timer,
            Random = A::Random,
            Storage = A::Storage,
        >,
    {
        match differing_field(&self.state, snapshot) {
            None => Ok(()),
            Some(field) => Err(Divergence {
                step: self.steps,
                action: last.map_or(String::new(), |s| format!("{s:?}")),
                mismatch: if self.steps == 0 {
                    Mismatch::InitialState { field }
                } else {
                    Mismatch::DifferentState { field }
                },
            }),
        }
    }
}

/// The first field (with the actor index where there is one) in which two system states of
/// actors with the same types differ, their histories aside.
pub fn differing_field<A, B, H1, H2>(
    a: &ActorModelState<A, H1>,
    b: &ActorModelState<B, H2>,
) -> Option<String>
where
    A: Actor,
    B: Actor<
        Msg = A::Msg,
        State = A::State,
        Timer = A::Timer,
        Random = A::Random,
        Storage = A::Storage,
    >,
{
    fn first<T: PartialEq>(name: &str, a: &[T], b: &[T]) -> Option<String> {
        if a.len() != b.len() {
            return Some(format!("{name} (length)"));
        }
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .map(|i| format!("{name}[{i}]"))
    }
    first("actor_states", &a.actor_states, &b.actor_states)
        .or_else(|| (a.network != b.network).then(|| "network".to_string()))
        .or_else(|| first("timers_set", &a.timers_set, &b.timers_set))
        .or_else(|| first("random_choices", &a.random_choices, &b.random_choices))
        .or_else(|| first("crashed", &a.crashed, &b.crashed))
        .or_else(|| first("actor_storages", &a.actor_storages, &b.actor_storages))
}

/// Replays a whole recorded run. `snapshots`, when given, holds the driver's state before the
/// first step and after each step (`trace.len() + 1` entries), and every replayed state must
/// equal its snapshot. Returns the model's final state, or the first divergence.
pub fn validate<A, B, C, H>(
    model: &ActorModel<A, C, H>,
    trace: &[StepOf<A>],
    snapshots: Option<&[ActorModelState<B, ()>]>,
) -> Result<ActorModelState<A, H>, Divergence>
where
    A: Actor,
    B: Actor<
        Msg = A::Msg,
        State = A::State,
        Timer = A::Timer,
        Random = A::Random,
        Storage = A::Storage,
    >,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + fmt::Debug + Hash,
{
    let mut replay = Replay::new(model);
    if let Some(first) = snapshots.and_then(|s| s.first()) {
        replay.compare(first, None)?;
    }
    for (i, step) in trace.iter().enumerate() {
        replay.advance(step)?;
        if let Some(after) = snapshots.and_then(|s| s.get(i + 1)) {
            replay.compare(after, Some(step))?;
        }
    }
    Ok(replay.state)
}
