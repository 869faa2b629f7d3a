//! What stop-and-wait, Go-Back-N and Selective Repeat must satisfy, and the link they are
//! checked over.
//!
//! [`SwModel`] wraps the actors' `ActorModel` and imposes what the actors cannot see:
//!
//! - *A link of finite capacity.* On a non-duplicating network the sender's retransmission
//!   timer may fire only while fewer than `capacity` messages are in flight, in either
//!   direction. The timer may still fire early (a frame and its copy on the link at once), but
//!   retransmissions cannot pile up without bound. On the duplicating network, whose messages
//!   form a set that retransmissions do not grow, there is no such bound.
//! - *A loss budget* (`losses`): the network loses at most that many messages in a run,
//!   counted in the model's history; and, with `tail-loss=false`, never one of the last three
//!   frames of the stream.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `output is a prefix of input` | always | the receiver's output is a prefix of the sender's input (`reliable-channel`'s safety) |
//! | `every message is delivered` | eventually | the receiver outputs every message (`reliable-channel`'s liveness), under strong fairness |
//! | `refinement` | always | every step maps to a step of `reliable-channel` or a stutter |
//!
//! Liveness is judged under strong fairness of delivery: a frame that is sent again and again
//! is eventually delivered, though the network may lose any number of its copies first (the
//! protocols' assumption; each protocol declares it). Without the timer, a lost frame is never
//! sent again and the assumption gives nothing.

use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement, SystemModel};
use crate::reliable_channel::{self, ChannelState, ReliableChannel};
use models::arq::Timer;
use models::common::{CfgError, NetworkKind};
use models::sliding_window::{
    Payload, ReceiverState, SenderState, SwActor, SwCfg, SwMsg, SwState, Variant, RECEIVER, SENDER,
};
use stateright::actor::{ActorModel, ActorModelAction, ActorModelState};
use stateright::{Model, Property};

/// The sliding windows' retransmission timeout over UDP (`checker cluster`, `checker node`),
/// in µs. The default, 30 ms, suits the simulator's 1-10 ms links (at 150 µs it resends every
/// frame dozens of times per round trip); on loopback a round trip takes tens of µs, and
/// 30 ms would stall an instance for each loss.
pub const RTO_US_OVER_UDP: u64 = 150;

/// The actor system without the link's bounds; its history counts the messages lost.
pub type SwActors = ActorModel<SwActor, SwCfg, u8>;
/// A state of the whole system.
pub type SwSysState = ActorModelState<SwActor, u8>;
/// An action of the system.
pub type SwAction = ActorModelAction<SwMsg, Timer, ()>;

/// The sliding-window actors over a link of finite capacity, with a loss budget (see the
/// module docs).
pub struct SwModel {
    pub actors: SwActors,
}

impl SwModel {
    pub fn cfg(&self) -> &SwCfg {
        &self.actors.cfg
    }
}

/// The sender's state.
pub fn sender(s: &SwSysState) -> &SenderState {
    match &*s.actor_states[SENDER] {
        SwState::Sender(x) => x,
        SwState::Receiver(_) => unreachable!("actor {SENDER} is the sender"),
    }
}

/// The receiver's state.
pub fn receiver(s: &SwSysState) -> &ReceiverState {
    match &*s.actor_states[RECEIVER] {
        SwState::Receiver(x) => x,
        SwState::Sender(_) => unreachable!("actor {RECEIVER} is the receiver"),
    }
}

/// The `reliable-channel` state: the messages the sender has taken, and the receiver's output.
pub fn abstraction(s: &SwSysState) -> ChannelState {
    ChannelState {
        input: (0..sender(s).window.next()).map(|i| i as Payload).collect(),
        output: receiver(s).output.clone(),
    }
}

/// `reliable-channel`'s safety: the output is a prefix of the input.
pub fn output_is_prefix_of_input<M>(_: &M, s: &SwSysState) -> bool {
    reliable_channel::output_is_prefix_of_input(&abstraction(s))
}

/// `reliable-channel`'s liveness: every message has been output.
pub fn every_message_is_delivered(m: &SwModel, s: &SwSysState) -> bool {
    receiver(s).output.len() >= m.cfg().messages
}

fn properties<M: Model<State = SwSysState>>(
    delivered: fn(&M, &SwSysState) -> bool,
) -> Vec<Property<M>> {
    vec![
        Property::always("output is a prefix of input", output_is_prefix_of_input),
        Property::eventually("every message is delivered", delivered),
    ]
}

impl Model for SwModel {
    type State = SwSysState;
    type Action = SwAction;

    fn init_states(&self) -> Vec<SwSysState> {
        self.actors.init_states()
    }

    fn actions(&self, s: &SwSysState, actions: &mut Vec<SwAction>) {
        self.actors.actions(s, actions);
        let cfg = self.cfg();
        let full = cfg.system.network != NetworkKind::UnorderedDuplicating
            && s.network.len() >= cfg.capacity;
        let budget_left = cfg.losses.is_none_or(|l| s.history < l);
        actions.retain(|a| match a {
            ActorModelAction::Timeout(..) => !full,
            ActorModelAction::Drop(e) => {
                budget_left
                    && (cfg.tail_loss
                        || !matches!(e.msg, SwMsg::Frame { payload, .. } if cfg.is_tail(payload)))
            }
            _ => true,
        });
    }

    fn next_state(&self, s: &SwSysState, action: SwAction) -> Option<SwSysState> {
        let lost = matches!(action, ActorModelAction::Drop(_)) && self.cfg().losses.is_some();
        let mut next = self.actors.next_state(s, action)?;
        if lost {
            next.history += 1;
        }
        Some(next)
    }

    fn format_action(&self, action: &SwAction) -> String {
        self.actors.format_action(action)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties(every_message_is_delivered)
    }
}

impl SystemModel for SwModel {
    type Actor = SwActor;
    type Cfg = SwCfg;
    type History = u8;
    fn actors(&self) -> &SwActors {
        &self.actors
    }
}

/// The actor system of `cfg` with the properties above, without the link's bounds: what the
/// runtime drives.
pub fn actors(cfg: SwCfg) -> SwActors {
    properties::<SwActors>(|m, s| receiver(s).output.len() >= m.cfg.messages)
        .into_iter()
        .fold(cfg.into_model(), |m, p| {
            m.property(p.expectation, p.name, p.condition)
        })
}

/// The checkable model of `cfg`.
pub fn model(cfg: SwCfg) -> SwModel {
    SwModel {
        actors: actors(cfg),
    }
}

/// The configuration for resolved parameters, for `variant`.
fn cfg_of(variant: Variant, p: &Params) -> Result<SwCfg, CfgError> {
    let (seq_bits, window) = match variant {
        Variant::StopAndWait => (p.int("seq-bits"), 1),
        Variant::GoBackN | Variant::SelectiveRepeat => (p.int("seq-bits"), p.int("window")),
    };
    let losses = match p.word("losses") {
        "any" => None,
        n => Some(n.parse::<u8>().map_err(|_| CfgError::Malformed {
            name: "losses",
            hint: "any or a count",
            text: n.to_string(),
        })?),
    };
    let fast = variant == Variant::GoBackN && p.bool("fast-retransmit");
    SwCfg::new(
        variant,
        p.int("messages") as usize,
        seq_bits as u8,
        window as u32,
        system_cfg(p),
    )?
    .with_timer(p.bool("timer"))
    .with_rto_us(p.int("rto-us"))?
    .with_fast_retransmit(fast)?
    .with_capacity(p.int("capacity") as usize)?
    .with_losses(losses, p.bool("tail-loss"))
}

/// The declaration shared by the three protocols.
fn declare(
    name: &'static str,
    description: &'static str,
    cfg: fn(&Params) -> Result<SwCfg, CfgError>,
    seq_bits: models::common::Bounds,
) -> Protocol<SwModel> {
    Protocol::new(name, description, SwCfg::SYSTEM, cfg, model)
        .param(Param::bounded(
            SwCfg::MESSAGES,
            "messages the sender's application hands over",
        ))
        .param(Param::bounded(
            seq_bits,
            "sequence numbers are taken modulo 2^seq-bits",
        ))
        .param(Param::bool(
            "timer",
            true,
            "whether the sender retransmits when its timer expires",
        ))
        .param(
            Param::bounded(
                SwCfg::RTO_US,
                "the sender's retransmission timeout at runtime, µs (the checker fires it at any moment)",
            )
            .over_udp(RTO_US_OVER_UDP),
        )
        .param(Param::bounded(
            SwCfg::CAPACITY,
            "the checker's link: the timer fires only while fewer messages are in flight",
        ))
        .param(Param::choice(
            "losses",
            &["any", "1", "2", "3"],
            "any",
            "how many messages a lossy network may lose in a run",
        ))
        .param(Param::bool(
            "tail-loss",
            true,
            "whether one of the last three frames of the stream may be lost",
        ))
        // The protocols' assumption: a frame sent again and again is eventually delivered,
        // however many of its copies the network loses (strong fairness of delivery).
        .fairness(|_| Fairness::Strong)
        // One run is one transfer of the whole stream; count delivered messages.
        .operations(|cfg| cfg.messages as u64)
        // Quiet once every message is output is the proper end of a transfer.
        .end_states(every_message_is_delivered)
        .refinement(|cfg| {
            let spec = ReliableChannel::new(cfg.messages)?;
            Ok(Some(Refinement::new("reliable-channel", spec, abstraction)))
        })
        .actions(|cfg, k| {
            use models::sliding_window::SwMsgKind as Msg;
            k.receives("receiver", [Msg::Frame])
                .receives("sender", [Msg::Ack]);
            if cfg.timer {
                match cfg.variant {
                    Variant::SelectiveRepeat => k.timeout("sender", Timer::Frame(0)),
                    Variant::StopAndWait | Variant::GoBackN => k.timeout("sender", Timer::Window),
                };
            }
        })
}

/// The declaration of `stop-and-wait`: the alternating-bit protocol.
pub fn stop_and_wait() -> Protocol<SwModel> {
    declare(
        "stop-and-wait",
        "The alternating-bit protocol: one frame at a time over a lossy FIFO link; a reordering link delivers a stale frame",
        |p| cfg_of(Variant::StopAndWait, p),
        SwCfg::SAW_SEQ_BITS,
    )
}

/// The declaration of `go-back-n`.
pub fn go_back_n() -> Protocol<SwModel> {
    declare(
        "go-back-n",
        "Go-Back-N: cumulative acks, the whole window resent; correct for window <= 2^seq-bits - 1; fast retransmit",
        |p| cfg_of(Variant::GoBackN, p),
        SwCfg::SEQ_BITS,
    )
    .param(Param::bounded(
        SwCfg::GBN_WINDOW,
        "frames unacknowledged at once (at most 2^seq-bits; correct up to 2^seq-bits - 1)",
    ))
    .param(Param::bool(
        "fast-retransmit",
        false,
        "resend the window on the third duplicate ack",
    ))
}

/// The declaration of `selective-repeat`.
pub fn selective_repeat() -> Protocol<SwModel> {
    declare(
        "selective-repeat",
        "Selective Repeat: per-frame acks and timers, out-of-order frames buffered; correct for window <= 2^(seq-bits - 1)",
        |p| cfg_of(Variant::SelectiveRepeat, p),
        SwCfg::SEQ_BITS,
    )
    .param(Param::bounded(
        SwCfg::SR_WINDOW,
        "frames unacknowledged at once (at most 2^seq-bits; correct up to 2^(seq-bits - 1))",
    ))
}
