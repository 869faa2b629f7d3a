//! The window logic of automatic repeat request (ARQ): Go-Back-N and Selective Repeat, as plain
//! state machines over any payload type, with no actor, message or timer type of their own.
//!
//! A [`Sender`] takes payloads from its user while its window has room, numbers them modulo
//! `2^seq_bits`, and answers acknowledgements and retransmission timeouts; a [`Receiver`] takes
//! frames and returns the payloads to hand to its user, in order, and the acknowledgement to
//! send. Every effect is returned as data ([`Effect`], the delivered payloads, the ack), so the
//! caller decides what a transmission and a timer are: `models::sliding_window` turns them
//! into stateright `Out` commands for the checker, the simulator and the UDP driver, and a
//! transport carrying another protocol's messages between two nodes can do the same with its
//! own payload type (the payload is a type parameter; nothing here knows the test stream).
//!
//! Counters are absolute (`base`, `expected`: how many frames have left the window), but only
//! their value modulo `2^seq_bits` ever goes on the wire or is compared with what comes off it:
//! the ambiguity of a small sequence space, which the textbook window bounds exist to avoid,
//! is exactly what a wrong [`Window`] exhibits.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A sequence number as it goes on the wire: an absolute frame number modulo `2^seq_bits`.
pub type Seq = u32;

/// How the receiver treats frames that arrive out of order, and what an ack means.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Arq {
    /// The receiver accepts only the next frame in order and acknowledges cumulatively (an ack
    /// names the last frame received in order); the sender retransmits its whole window.
    GoBackN,
    /// The receiver buffers any frame within its window and acknowledges each frame; the
    /// sender keeps one timer per frame and retransmits only that frame.
    SelectiveRepeat,
}

/// A retransmission timer: one for the whole window (Go-Back-N) or one per frame (Selective
/// Repeat).
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Timer {
    /// The oldest unacknowledged frame's timer (Go-Back-N).
    Window,
    /// The timer of the frame with this sequence number (Selective Repeat).
    Frame(Seq),
}

/// What a sender asks its caller to do.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Effect<P> {
    /// Put this frame on the link.
    Transmit { seq: Seq, payload: P },
    /// (Re)start this retransmission timer.
    SetTimer(Timer),
    /// Stop this retransmission timer.
    CancelTimer(Timer),
}

/// How many duplicate acknowledgements trigger a fast retransmission (TCP, RFC 5681).
pub const DUP_ACK_THRESHOLD: u8 = 3;

/// The fixed parameters of one ARQ link, shared by both ends.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Window {
    pub arq: Arq,
    /// Sequence numbers are taken modulo `2^seq_bits`.
    pub seq_bits: u8,
    /// How many frames may be unacknowledged at once (the receiver's window too, for
    /// Selective Repeat). Correct when at most `2^seq_bits - 1` (Go-Back-N) or
    /// `2^(seq_bits - 1)` (Selective Repeat).
    pub size: u32,
    /// Whether the sender retransmits on the third duplicate ack (Go-Back-N only: only a
    /// cumulative ack can be a duplicate).
    pub fast_retransmit: bool,
}

impl Window {
    /// The size of the sequence space, `2^seq_bits`.
    pub fn modulus(&self) -> u64 {
        1 << self.seq_bits
    }

    /// The sequence number of absolute frame `n`.
    pub fn seq(&self, n: u64) -> Seq {
        (n % self.modulus()) as Seq
    }

    /// How far `to` lies after `from` in the sequence space.
    fn distance(&self, from: Seq, to: Seq) -> u64 {
        (u64::from(to) + self.modulus() - u64::from(from)) % self.modulus()
    }

    /// The largest window that is correct for this sequence space and protocol.
    pub fn size_max_correct(arq: Arq, seq_bits: u8) -> u32 {
        match arq {
            Arq::GoBackN => (1 << seq_bits) - 1,
            Arq::SelectiveRepeat => 1 << (seq_bits - 1),
        }
    }
}

/// A frame the sender has transmitted and not yet seen leave its window.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Outstanding<P> {
    pub payload: P,
    /// Acknowledged individually (Selective Repeat), but not yet at the window's base.
    pub acked: bool,
}

/// The sending end of a link.
#[derive(Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Sender<P> {
    /// The absolute number of the oldest unacknowledged frame.
    pub base: u64,
    /// The frames from `base` on, in order: `base + outstanding.len()` is the next to send.
    pub outstanding: VecDeque<Outstanding<P>>,
    /// Acks in a row that acknowledged nothing new (counted only with fast retransmit).
    pub dup_acks: u8,
}

impl<P: Clone> Sender<P> {
    /// A sender that has sent nothing.
    pub fn new() -> Self {
        Self {
            base: 0,
            outstanding: VecDeque::new(),
            dup_acks: 0,
        }
    }

    /// The absolute number of the next new frame: how many payloads the sender has taken.
    pub fn next(&self) -> u64 {
        self.base + self.outstanding.len() as u64
    }

    /// Whether the window has room for one more payload.
    pub fn has_room(&self, w: &Window) -> bool {
        self.outstanding.len() < w.size as usize
    }

    /// Takes `payload` into the window and transmits it (the caller checks [`has_room`]).
    ///
    /// [`has_room`]: Sender::has_room
    pub fn send(&mut self, w: &Window, payload: P, out: &mut Vec<Effect<P>>) {
        let seq = w.seq(self.next());
        let first = self.outstanding.is_empty();
        self.outstanding.push_back(Outstanding {
            payload: payload.clone(),
            acked: false,
        });
        out.push(Effect::Transmit { seq, payload });
        match w.arq {
            Arq::GoBackN if first => out.push(Effect::SetTimer(Timer::Window)),
            Arq::GoBackN => {}
            Arq::SelectiveRepeat => out.push(Effect::SetTimer(Timer::Frame(seq))),
        }
    }

    /// Handles the acknowledgement `seq`; returns whether it acknowledged anything new.
    pub fn on_ack(&mut self, w: &Window, seq: Seq, out: &mut Vec<Effect<P>>) -> bool {
        let offset = w.distance(w.seq(self.base), seq) as usize;
        if offset >= self.outstanding.len() {
            self.on_duplicate_ack(w, out);
            return false;
        }
        match w.arq {
            // Cumulative: every frame up to and including `seq` has arrived.
            Arq::GoBackN => {
                self.outstanding.drain(..=offset);
                self.base += offset as u64 + 1;
                self.dup_acks = 0;
                out.push(if self.outstanding.is_empty() {
                    Effect::CancelTimer(Timer::Window)
                } else {
                    Effect::SetTimer(Timer::Window)
                });
            }
            Arq::SelectiveRepeat => {
                if self.outstanding[offset].acked {
                    return false;
                }
                self.outstanding[offset].acked = true;
                out.push(Effect::CancelTimer(Timer::Frame(seq)));
                while self.outstanding.front().is_some_and(|f| f.acked) {
                    self.outstanding.pop_front();
                    self.base += 1;
                }
            }
        }
        true
    }

    /// An ack that acknowledged nothing new: with fast retransmit, the third in a row resends
    /// the window (Go-Back-N goes back to its base whichever way it learnt of a loss).
    fn on_duplicate_ack(&mut self, w: &Window, out: &mut Vec<Effect<P>>) {
        if !(w.fast_retransmit && w.arq == Arq::GoBackN) || self.outstanding.is_empty() {
            return;
        }
        self.dup_acks += 1;
        if self.dup_acks == DUP_ACK_THRESHOLD {
            self.dup_acks = 0;
            self.retransmit_window(w, out);
            out.push(Effect::SetTimer(Timer::Window));
        }
    }

    fn retransmit_window(&self, w: &Window, out: &mut Vec<Effect<P>>) {
        for (i, f) in self.outstanding.iter().enumerate() {
            out.push(Effect::Transmit {
                seq: w.seq(self.base + i as u64),
                payload: f.payload.clone(),
            });
        }
    }

    /// Handles the expiry of `timer`: Go-Back-N resends every outstanding frame, Selective
    /// Repeat the one frame, if still unacknowledged.
    pub fn on_timeout(&mut self, w: &Window, timer: Timer, out: &mut Vec<Effect<P>>) {
        match timer {
            Timer::Window if !self.outstanding.is_empty() => {
                self.retransmit_window(w, out);
                out.push(Effect::SetTimer(Timer::Window));
            }
            Timer::Frame(seq) => {
                let offset = w.distance(w.seq(self.base), seq) as usize;
                if let Some(f) = self.outstanding.get(offset).filter(|f| !f.acked) {
                    out.push(Effect::Transmit {
                        seq,
                        payload: f.payload.clone(),
                    });
                    out.push(Effect::SetTimer(timer));
                }
            }
            Timer::Window => {}
        }
    }
}

/// The receiving end of a link.
#[derive(Clone, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct Receiver<P> {
    /// The absolute number of the next frame to hand to the user: how many it has been given.
    pub expected: u64,
    /// Selective Repeat: frames received ahead of `expected`, slot `i` for frame
    /// `expected + i` (the last slot, if any, is always filled).
    pub buffer: VecDeque<Option<P>>,
}

impl<P: Clone> Receiver<P> {
    /// A receiver that has received nothing.
    pub fn new() -> Self {
        Self {
            expected: 0,
            buffer: VecDeque::new(),
        }
    }

    /// Handles frame `seq` carrying `payload`: appends to `delivered` what the user now gets,
    /// in order, and returns the ack to send, if any.
    pub fn on_frame(
        &mut self,
        w: &Window,
        seq: Seq,
        payload: P,
        delivered: &mut Vec<P>,
    ) -> Option<Seq> {
        match w.arq {
            Arq::GoBackN => {
                if seq == w.seq(self.expected) {
                    delivered.push(payload);
                    self.expected += 1;
                }
                // The last frame received in order (before any: the number before 0).
                Some(w.seq(self.expected + w.modulus() - 1))
            }
            Arq::SelectiveRepeat => {
                let ahead = w.distance(w.seq(self.expected), seq);
                if ahead < u64::from(w.size) {
                    let slot = ahead as usize;
                    if self.buffer.len() <= slot {
                        self.buffer.resize(slot + 1, None);
                    }
                    self.buffer[slot].get_or_insert(payload);
                    while let Some(Some(_)) = self.buffer.front() {
                        if let Some(Some(p)) = self.buffer.pop_front() {
                            delivered.push(p);
                        }
                        self.expected += 1;
                    }
                    Some(seq)
                } else if (1..=u64::from(w.size)).contains(&w.distance(seq, w.seq(self.expected))) {
                    // A frame of the previous window: its ack was lost; ack it again.
                    Some(seq)
                } else {
                    None
                }
            }
        }
    }
}
