//! Reliable transfer over a faulty link with sliding windows: the alternating-bit protocol
//! (stop-and-wait), Go-Back-N and Selective Repeat, as two stateright actors.
//!
//! # Problem
//!
//! A sender's application hands it a sequence of messages; the receiver must hand the same
//! sequence to its application, in order, without gaps or duplicates, although the link
//! between them loses frames (and, depending on the network, reorders or duplicates them).
//! The abstract problem is the `reliable-channel` spec (`specs::reliable_channel`).
//!
//! # Sources
//!
//! K. A. Bartlett, R. A. Scantlebury and P. T. Wilkinson, "A note on reliable full-duplex
//! transmission over half-duplex links", CACM 12(5), 1969 (the alternating-bit protocol);
//! A. S. Tanenbaum, *Computer Networks*, section 3.4 (protocols 4, 5 and 6: stop-and-wait,
//! Go-Back-N, Selective Repeat, and their window bounds); J. Kurose and K. Ross, *Computer
//! Networking*, section 3.4; RFC 5681, section 3.2 (fast retransmit).
//!
//! # Algorithm
//!
//! The window logic lives in [`crate::arq`] as plain state machines over any payload; the
//! actors here only connect it to messages and timers.
//!
//! 1. The sender takes message `i` (payload `i`, for `i` in `0..messages`) while fewer than
//!    `window` frames are unacknowledged, and transmits it as `Frame { seq: i mod 2^k }`.
//! 2. Go-Back-N: the receiver accepts only the next frame in order and answers every frame
//!    with `Ack { seq }` naming the last frame received in order; the sender slides its window
//!    past it and, when its one timer expires, resends every outstanding frame.
//! 3. Selective Repeat: the receiver buffers any frame within its window of `window` frames,
//!    hands over the in-order run, and acknowledges each frame (also one of the previous
//!    window, whose ack was lost); the sender keeps one timer per frame.
//! 4. Stop-and-wait is Go-Back-N with a window of one frame: with `seq-bits = 1`, the sequence
//!    number is the alternating bit.
//! 5. Fast retransmit (Go-Back-N only): the third ack in a row that acknowledges nothing new
//!    resends the window without waiting for the timer.
//!
//! # Fault and network model
//!
//! The link is stateright's network: per-channel FIFO (`ordered`, the default and the
//! textbook assumption behind the window bounds), racing (`unordered-nonduplicating`: frames
//! are reordered) or racing and redelivered (`unordered-duplicating`), lossy by default. No
//! node crashes (a sender that forgot its window could not recover the stream).
//!
//! # Deviations and modelling bounds
//!
//! - Payloads are the distinct numbers `0..messages`: a protocol that never looks at payloads
//!   loses, duplicates or reorders distinct values if it does so to any (Wolper's data
//!   independence), and distinct values make every such error visible in the output.
//! - The receiver's application takes at most `messages + 1` messages: one more than were
//!   sent already breaks the spec, and a broken protocol could otherwise accept stale frames
//!   for ever. A correct one never gets near it.
//! - The retransmission timer, a real duration at runtime, is an action the checker may take
//!   at any time (so premature timeouts, which put a second copy of a frame on the link, are
//!   explored) but only while fewer than `capacity` messages are in flight on a
//!   non-duplicating network: a link of finite capacity, which keeps the state space finite.
//!   That restriction and the loss budget are imposed by the checked model
//!   (`specs::sliding_window`), not by the actors.

use crate::arq::{self, Arq, Effect, Seq, Window};
use crate::common::{ActorSystem, Bounds, CfgError, NetworkKind, SystemBounds, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, ActorModel, Id, Out};
use std::borrow::Cow;
use std::time::Duration;

/// A message of the test stream: its index in the sender's input.
pub type Payload = u32;

/// The sender's actor id.
pub const SENDER: usize = 0;
/// The receiver's actor id.
pub const RECEIVER: usize = 1;

/// A message on the link.
#[derive(
    Clone,
    Copy,
    Debug,
    Eq,
    Hash,
    Ord,
    PartialEq,
    PartialOrd,
    Serialize,
    Deserialize,
    strum::EnumDiscriminants,
)]
/// Its variants without their fields, [`SwMsgKind`], name the message kinds a protocol
/// declares (coverage, action kinds).
#[strum_discriminants(name(SwMsgKind), derive(strum::IntoStaticStr))]
pub enum SwMsg {
    /// Sender -> receiver: a data frame.
    Frame { seq: Seq, payload: Payload },
    /// Receiver -> sender: an acknowledgement (cumulative for Go-Back-N, of one frame for
    /// Selective Repeat).
    Ack { seq: Seq },
}

/// The sender's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct SenderState {
    pub window: arq::Sender<Payload>,
}

/// The receiver's state.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ReceiverState {
    pub window: arq::Receiver<Payload>,
    /// What the receiver has handed to its application, in order.
    pub output: Vec<Payload>,
}

/// A node's state, by role.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum SwState {
    Sender(SenderState),
    Receiver(ReceiverState),
}

/// Which of the three protocols.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Variant {
    /// The alternating-bit protocol: Go-Back-N with a window of one.
    StopAndWait,
    GoBackN,
    SelectiveRepeat,
}

/// A node: immutable configuration only.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub enum SwActor {
    Sender {
        receiver: Id,
        window: Window,
        /// How many messages the application hands over.
        messages: usize,
        /// Whether the sender sets retransmission timers at all.
        timer: bool,
        /// The retransmission timeout at runtime, in µs (see [`SwCfg::rto_us`]).
        rto_us: u64,
    },
    Receiver {
        sender: Id,
        window: Window,
        /// The application takes at most `messages + 1` messages (see the module docs).
        messages: usize,
    },
}

/// The retransmission timeout at runtime, drawn from `rto_us..4/3 rto_us` microseconds (the
/// checker ignores durations and fires the timer at any moment, so any duration is a
/// behaviour the check covers).
fn rto(rto_us: u64) -> std::ops::Range<Duration> {
    Duration::from_micros(rto_us)..Duration::from_micros(rto_us + rto_us / 3)
}

/// Carries out the window logic's effects through `o`.
fn apply(receiver: Id, timer: Option<u64>, effects: Vec<Effect<Payload>>, o: &mut Out<SwActor>) {
    for e in effects {
        match (e, timer) {
            (Effect::Transmit { seq, payload }, _) => {
                o.send(receiver, SwMsg::Frame { seq, payload })
            }
            (Effect::SetTimer(t), Some(rto_us)) => o.set_timer(t, rto(rto_us)),
            (Effect::CancelTimer(t), Some(_)) => o.cancel_timer(t),
            (Effect::SetTimer(_) | Effect::CancelTimer(_), None) => {}
        }
    }
}

/// Takes messages from the application while the window has room.
fn fill_window(
    window: &Window,
    messages: usize,
    s: &mut SenderState,
    out: &mut Vec<Effect<Payload>>,
) {
    while s.window.next() < messages as u64 && s.window.has_room(window) {
        let payload = s.window.next() as Payload;
        s.window.send(window, payload, out);
    }
}

impl Actor for SwActor {
    type Msg = SwMsg;
    type State = SwState;
    type Timer = arq::Timer;
    type Random = ();
    type Storage = ();

    fn name(&self) -> String {
        match self {
            SwActor::Sender { .. } => "sender".to_string(),
            SwActor::Receiver { .. } => "receiver".to_string(),
        }
    }

    fn on_start(&self, _id: Id, _storage: &Option<()>, o: &mut Out<Self>) -> SwState {
        match self {
            SwActor::Sender {
                receiver,
                window,
                messages,
                timer,
                rto_us,
            } => {
                let mut s = SenderState {
                    window: arq::Sender::new(),
                };
                let mut effects = Vec::new();
                fill_window(window, *messages, &mut s, &mut effects);
                apply(*receiver, timer.then_some(*rto_us), effects, o);
                SwState::Sender(s)
            }
            SwActor::Receiver { .. } => SwState::Receiver(ReceiverState {
                window: arq::Receiver::new(),
                output: Vec::new(),
            }),
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<SwState>, src: Id, msg: SwMsg, o: &mut Out<Self>) {
        match (self, &**state, msg) {
            (
                SwActor::Sender {
                    receiver,
                    window,
                    messages,
                    timer,
                    rto_us,
                },
                SwState::Sender(s),
                SwMsg::Ack { seq },
            ) if src == *receiver => {
                let mut next = s.clone();
                let mut effects = Vec::new();
                next.window.on_ack(window, seq, &mut effects);
                fill_window(window, *messages, &mut next, &mut effects);
                apply(*receiver, timer.then_some(*rto_us), effects, o);
                if next != *s {
                    *state.to_mut() = SwState::Sender(next);
                }
            }
            (
                SwActor::Receiver {
                    sender,
                    window,
                    messages,
                },
                SwState::Receiver(r),
                SwMsg::Frame { seq, payload },
            ) if src == *sender && r.output.len() <= *messages => {
                let mut next = r.clone();
                let ack = next.window.on_frame(window, seq, payload, &mut next.output);
                next.output.truncate(messages + 1);
                if let Some(seq) = ack {
                    o.send(*sender, SwMsg::Ack { seq });
                }
                if next != *r {
                    *state.to_mut() = SwState::Receiver(next);
                }
            }
            _ => {}
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<SwState>, timer: &arq::Timer, o: &mut Out<Self>) {
        if let (
            SwActor::Sender {
                receiver,
                window,
                timer: true,
                rto_us,
                ..
            },
            SwState::Sender(s),
        ) = (self, &**state)
        {
            let mut next = s.clone();
            let mut effects = Vec::new();
            next.window.on_timeout(window, *timer, &mut effects);
            apply(*receiver, Some(*rto_us), effects, o);
            if next != *s {
                *state.to_mut() = SwState::Sender(next);
            }
        }
    }
}

/// The parameters of a sliding-window system.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct SwCfg {
    pub variant: Variant,
    /// Messages the sender's application hands over. Must be in 1..=10000; 3 is the default
    /// and 8 checks in well under a second; runtime streams are longer.
    pub messages: usize,
    /// Sequence numbers are taken modulo `2^seq_bits`. Must be in 1..=8.
    pub seq_bits: u8,
    /// Frames unacknowledged at once (1 for stop-and-wait). Must be at most `2^seq_bits`;
    /// correct up to `2^seq_bits - 1` (Go-Back-N) or `2^(seq_bits - 1)` (Selective Repeat),
    /// and larger windows are accepted as the broken variants they are.
    pub window: u32,
    /// Whether the sender retransmits on a timer at all.
    pub timer: bool,
    /// The sender's retransmission timeout at runtime, in µs: each timer is drawn from
    /// `rto_us..4/3 rto_us`. Must be in 50..=1000000. The checker ignores it (the timer may
    /// fire at any moment); 30000 suits the simulator's 1-10 ms latencies, and loopback UDP,
    /// with round trips of tens of µs, wants about 150 (see the README's UDP loss table).
    pub rto_us: u64,
    /// Go-Back-N: resend the window on the third duplicate ack.
    pub fast_retransmit: bool,
    /// The checker's link capacity: the timer fires only while fewer messages are in flight
    /// (non-duplicating networks). Must be in 1..=4; 2 lets a premature timeout put a second
    /// copy of a frame on the link.
    pub capacity: usize,
    /// How many messages the network may lose in a run (`None`: any number).
    pub losses: Option<u8>,
    /// Whether one of the last three frames of the stream may be lost (a tail loss, which no
    /// duplicate ack can reveal).
    pub tail_loss: bool,
    /// Network and fault settings (no crashes).
    pub system: SystemCfg,
}

impl SwCfg {
    /// Messages to send: 1..=10000 (the checker's state space grows with them; the runtime's
    /// goodput runs send thousands).
    pub const MESSAGES: Bounds = Bounds::new("messages", 1, 10_000, 3);
    /// Sequence-number bits of stop-and-wait: 1 is the alternating bit.
    pub const SAW_SEQ_BITS: Bounds = Bounds::new("seq-bits", 1, 8, 1);
    /// Sequence-number bits of the windowed protocols: 2 gives four numbers.
    pub const SEQ_BITS: Bounds = Bounds::new("seq-bits", 1, 8, 2);
    /// Go-Back-N's window: 3 = 2^2 - 1, the largest correct one for two bits.
    pub const GBN_WINDOW: Bounds = Bounds::new("window", 1, 128, 3);
    /// Selective Repeat's window: 2 = 2^(2-1), the largest correct one for two bits.
    pub const SR_WINDOW: Bounds = Bounds::new("window", 1, 128, 2);
    /// The runtime retransmission timeout, µs.
    pub const RTO_US: Bounds = Bounds::new("rto-us", 50, 1_000_000, 30_000);
    /// The checker's link capacity for timeouts.
    pub const CAPACITY: Bounds = Bounds::new("capacity", 1, 4, 2);
    /// Per-channel FIFO by default, lossy, no crashes.
    pub const SYSTEM: SystemBounds = SystemBounds {
        networks: &NetworkKind::ALL,
        networks_why: None,
        network: NetworkKind::Ordered,
        lossy: true,
        crashes: Bounds::new("crashes", 0, 0, 0),
    };

    /// A validated configuration with a timer, no fast retransmit, capacity 2 and any number
    /// of losses (see the `with_*` methods).
    pub fn new(
        variant: Variant,
        messages: usize,
        seq_bits: u8,
        window: u32,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::MESSAGES.check_usize(messages)?;
        Self::SEQ_BITS.check(u64::from(seq_bits))?;
        let bounds = match variant {
            Variant::StopAndWait => Bounds::new("window", 1, 1, 1),
            Variant::GoBackN => Self::GBN_WINDOW,
            Variant::SelectiveRepeat => Self::SR_WINDOW,
        };
        bounds.check(u64::from(window))?;
        if u64::from(window) > 1 << seq_bits {
            return Err(CfgError::Inconsistent(format!(
                "window must be at most 2^seq-bits = {}, got {window}: a larger window holds two frames with one sequence number",
                1u64 << seq_bits
            )));
        }
        system.check_crashes(0)?;
        Ok(Self {
            variant,
            messages,
            seq_bits,
            window,
            timer: true,
            rto_us: Self::RTO_US.default,
            fast_retransmit: false,
            capacity: Self::CAPACITY.default as usize,
            losses: None,
            tail_loss: true,
            system,
        })
    }

    /// The same with the retransmission timer on or off.
    pub fn with_timer(self, timer: bool) -> Self {
        Self { timer, ..self }
    }

    /// The same with another runtime retransmission timeout, in µs.
    pub fn with_rto_us(self, rto_us: u64) -> Result<Self, CfgError> {
        Self::RTO_US.check(rto_us)?;
        Ok(Self { rto_us, ..self })
    }

    /// The same with fast retransmit on or off (Go-Back-N only).
    pub fn with_fast_retransmit(self, fast_retransmit: bool) -> Result<Self, CfgError> {
        if fast_retransmit && self.variant != Variant::GoBackN {
            return Err(CfgError::Inconsistent(
                "fast-retransmit needs cumulative acks: go-back-n only".to_string(),
            ));
        }
        Ok(Self {
            fast_retransmit,
            ..self
        })
    }

    /// The same with another checker link capacity.
    pub fn with_capacity(self, capacity: usize) -> Result<Self, CfgError> {
        Self::CAPACITY.check_usize(capacity)?;
        Ok(Self { capacity, ..self })
    }

    /// The same with a loss budget (`None`: any number) and tail losses allowed or not.
    pub fn with_losses(self, losses: Option<u8>, tail_loss: bool) -> Result<Self, CfgError> {
        if losses.is_some() && !self.system.lossy {
            return Err(CfgError::Inconsistent(
                "a loss budget needs lossy=true".to_string(),
            ));
        }
        Ok(Self {
            losses,
            tail_loss,
            ..self
        })
    }

    /// The link's window parameters.
    pub fn link(&self) -> Window {
        Window {
            arq: match self.variant {
                Variant::SelectiveRepeat => Arq::SelectiveRepeat,
                Variant::StopAndWait | Variant::GoBackN => Arq::GoBackN,
            },
            seq_bits: self.seq_bits,
            size: self.window,
            fast_retransmit: self.fast_retransmit,
        }
    }

    /// Whether a frame carrying `payload` is one of the last three of the stream.
    pub fn is_tail(&self, payload: Payload) -> bool {
        payload as usize + 3 >= self.messages
    }

    /// The actor system as a stateright model, without properties (see `specs`); its history
    /// counts the messages lost so far.
    pub fn into_model(self) -> ActorModel<SwActor, SwCfg, u8> {
        crate::common::actor_model(self, 0)
    }
}

impl ActorSystem for SwCfg {
    type Actor = SwActor;

    fn actors(&self) -> Vec<SwActor> {
        vec![
            SwActor::Sender {
                receiver: Id::from(RECEIVER),
                window: self.link(),
                messages: self.messages,
                timer: self.timer,
                rto_us: self.rto_us,
            },
            SwActor::Receiver {
                sender: Id::from(SENDER),
                window: self.link(),
                messages: self.messages,
            },
        ]
    }

    fn actor_name(&self, id: Id) -> String {
        match usize::from(id) {
            SENDER => "sender".to_string(),
            _ => "receiver".to_string(),
        }
    }

    fn system(&self) -> SystemCfg {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(arq: Arq, seq_bits: u8, size: u32) -> Window {
        Window {
            arq,
            seq_bits,
            size,
            fast_retransmit: false,
        }
    }

    #[test]
    fn selective_repeat_buffers_out_of_order_frames_and_delivers_the_run() {
        let w = link(Arq::SelectiveRepeat, 2, 2);
        let mut r = arq::Receiver::<u8>::new();
        let mut out = Vec::new();
        assert_eq!(r.on_frame(&w, 1, 11, &mut out), Some(1));
        assert!(out.is_empty());
        assert_eq!(r.on_frame(&w, 0, 10, &mut out), Some(0));
        assert_eq!(out, [10, 11]);
        // Frame 0 again (its ack was lost): acknowledged, not delivered.
        assert_eq!(r.on_frame(&w, 0, 10, &mut out), Some(0));
        assert_eq!(out, [10, 11]);
    }

    #[test]
    fn go_back_n_discards_out_of_order_frames_and_acks_the_last_in_order() {
        let w = link(Arq::GoBackN, 2, 3);
        let mut r = arq::Receiver::<u8>::new();
        let mut out = Vec::new();
        assert_eq!(r.on_frame(&w, 1, 11, &mut out), Some(3));
        assert_eq!(r.on_frame(&w, 0, 10, &mut out), Some(0));
        assert_eq!(out, [10]);
        let mut s = arq::Sender::<u8>::new();
        let mut effects = Vec::new();
        for p in [10, 11, 12] {
            s.send(&w, p, &mut effects);
        }
        assert!(!s.has_room(&w));
        assert!(s.on_ack(&w, 1, &mut effects));
        assert_eq!(s.base, 2);
        // An ack of the number before the base acknowledges nothing.
        assert!(!s.on_ack(&w, 1, &mut effects));
    }

    #[test]
    fn a_window_larger_than_the_sequence_space_is_refused() {
        let system = SystemCfg::reliable(NetworkKind::Ordered);
        assert!(SwCfg::new(Variant::GoBackN, 3, 2, 4, system).is_ok());
        let err = SwCfg::new(Variant::GoBackN, 3, 2, 5, system).unwrap_err();
        assert!(err
            .to_string()
            .contains("window must be at most 2^seq-bits = 4"));
        let err = SwCfg::new(Variant::SelectiveRepeat, 3, 2, 2, system)
            .unwrap()
            .with_fast_retransmit(true)
            .unwrap_err();
        assert!(err.to_string().contains("go-back-n only"));
    }
}
