//! The abstract specification of a reliable channel: what stop-and-wait, Go-Back-N and
//! Selective Repeat solve.
//!
//! The state is the sender's input sequence (what its application has handed over so far: the
//! messages `0, 1, ...`, distinct values, see `models::sliding_window`) and the receiver's
//! output sequence (what it has handed to its application). `Input(k)` appends the next `k`
//! messages to the input; `Output(k)` appends the next `k` input messages not yet output to the
//! output. Steps of several messages exist because one protocol step may take several
//! messages into a window, or hand a buffered run over, at once.
//!
//! Safety: the output is always a prefix of the input (nothing lost in the middle, duplicated
//! or reordered). Liveness: every input is eventually output. With no messages and no network
//! here, neither can fail in the spec itself; the protocols refine it (see
//! `specs::sliding_window`), and planted variants show both properties failing
//! (`checker/tests/every_property_can_fail.rs`).

use crate::params::Param;
use crate::protocol::Spec;
use models::common::{Bounds, CfgError};
use models::sliding_window::Payload;
use serde::{Deserialize, Serialize};
use stateright::{Model, Property};

/// The sender's input and the receiver's output.
#[derive(Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ChannelState {
    pub input: Vec<Payload>,
    pub output: Vec<Payload>,
}

/// A step of the spec.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum ChannelAction {
    /// The sender's application hands over the next `k` messages.
    Input(usize),
    /// The receiver hands the next `k` messages it has not output yet to its application.
    Output(usize),
}

/// The reliable channel for a stream of `messages` messages.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct ReliableChannel {
    /// Messages in the stream. Must be in 1..=10000, as the protocols.
    pub messages: usize,
}

impl ReliableChannel {
    /// Messages in the stream, as the protocols.
    pub const MESSAGES: Bounds = models::sliding_window::SwCfg::MESSAGES;

    /// A validated specification.
    pub fn new(messages: usize) -> Result<Self, CfgError> {
        Self::MESSAGES
            .check_usize(messages)
            .map(|messages| Self { messages })
    }
}

/// The spec's safety: the output is a prefix of the input.
pub fn output_is_prefix_of_input(s: &ChannelState) -> bool {
    s.output.len() <= s.input.len() && s.input[..s.output.len()] == s.output[..]
}

impl Model for ReliableChannel {
    type State = ChannelState;
    type Action = ChannelAction;

    /// The application may have handed over any number of messages before the run starts
    /// (a sender fills its window as it starts); nothing is output yet.
    fn init_states(&self) -> Vec<ChannelState> {
        (0..=self.messages)
            .map(|i| ChannelState {
                input: (0..i).map(|p| p as Payload).collect(),
                output: Vec::new(),
            })
            .collect()
    }

    fn actions(&self, s: &ChannelState, actions: &mut Vec<ChannelAction>) {
        // Saturating: a refinement check asks for the steps of any state a protocol maps to,
        // also one that breaks the spec (more output than input).
        let inputs = self.messages.saturating_sub(s.input.len());
        let outputs = s.input.len().saturating_sub(s.output.len());
        actions.extend((1..=inputs).map(ChannelAction::Input));
        actions.extend((1..=outputs).map(ChannelAction::Output));
    }

    fn next_state(&self, s: &ChannelState, action: ChannelAction) -> Option<ChannelState> {
        let mut next = s.clone();
        match action {
            ChannelAction::Input(k) => {
                let from = s.input.len();
                next.input.extend((from..from + k).map(|i| i as Payload));
            }
            ChannelAction::Output(k) => {
                let from = s.output.len();
                next.output.extend_from_slice(s.input.get(from..from + k)?);
            }
        }
        Some(next)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("output is a prefix of input", |_, s: &ChannelState| {
                output_is_prefix_of_input(s)
            }),
            Property::eventually("every input is output", |m: &Self, s: &ChannelState| {
                s.output.len() == m.messages
            }),
        ]
    }
}

/// The declaration of `reliable-channel`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<ReliableChannel> {
    Spec::new(
        "reliable-channel",
        "A sender's input and a receiver's output: the output is always a prefix of the input, and every input is output",
        |p| ReliableChannel::new(p.int("messages") as usize),
    )
    .param(Param::bounded(ReliableChannel::MESSAGES, "messages in the sender's input"))
    .describe(|a| match a {
        ChannelAction::Input(k) => format!("the sender takes {k} message(s)"),
        ChannelAction::Output(k) => format!("the receiver outputs {k} message(s)"),
    })
    // The stream is over when every message is output; stopping earlier is a deadlock.
    .end_states(|m, s| s.output.len() == m.messages)
    .action_kinds(&["Input", "Output"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    #[test]
    fn three_messages_have_ten_states_and_hold() {
        // Input length i in 0..=3 and output length o in 0..=i: 1 + 2 + 3 + 4 = 10 states.
        let checker = ReliableChannel::new(3)
            .unwrap()
            .checker()
            .spawn_bfs()
            .join();
        assert_eq!(checker.unique_state_count(), 10);
        checker.assert_properties();
    }
}
