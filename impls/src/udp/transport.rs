//! The reliable channel between two nodes, for models checked on a reliable network: the
//! model-checked Selective Repeat machine of [`models::arq`], driven by the node.
//!
//! # What runs
//!
//! One [`Link`] per peer holds an [`arq::Sender`] and an [`arq::Receiver`] over byte payloads,
//! with the window [`WINDOW`]: Selective Repeat, 3-bit sequence numbers, 4 frames in flight,
//! the largest configuration whose check over a wrap of the sequence space runs in well under
//! a second (`checker check selective-repeat --set seq-bits=3 --set window=4 --set messages=12`,
//! 18,095 states, pinned in `checker/tests/sliding_window.rs`). The transitions are the
//! checked ones; the node only supplies what the model leaves to the environment:
//!
//! * **Payloads.** A frame carries the messages a poll emitted to that peer, framed as in a
//!   coalesced datagram (`wire`), so coalescing stays: one frame, one window slot, many
//!   messages. Acknowledgements ride in the same datagrams as frames to that peer; one with
//!   no frame to ride on waits up to [`ACK_DELAY`] for one (delayed acknowledgement, RFC 1122
//!   4.2.3.2), so that a reply carries it, and acks still held when a cluster's instance ends
//!   are never sent. A gap in the peer's datagram numbers (a datagram lost, or overtaken and
//!   so dropped) sends the held acks at once instead: the ack of a frame sent after the lost
//!   one is what triggers the peer's fast retransmit.
//! * **The link the model assumed.** The check holds on an *ordered* lossy link; it fails on a
//!   reordering one (a stale frame with an aliased sequence number is taken as new: the same
//!   command with `network=unordered-nonduplicating` finds it in 14 steps). UDP (and the
//!   driver's `--reorder`, `--duplicate`) reorders and duplicates, so each datagram of a link
//!   carries a number that grows by one per datagram, and a datagram not newer than the
//!   newest one received from that peer is dropped (counted as `stale`): reordering and
//!   duplication become loss, which the machine repairs.
//! * **When timers fire.** The checker lets a retransmission timer fire at any moment (within
//!   its link capacity); the node fires it after an adaptive timeout (RFC 6298: smoothed RTT
//!   plus four deviations, clamped to [`RTO_MIN`]..[`RTO_MAX`], doubled on each expiry), and
//!   early on evidence of loss (*fast retransmit*): on an ordered link, an acknowledgement of a
//!   frame transmitted after an unacknowledged one means that one (or its ack) was lost, so
//!   its timer is fired at once. Firing a timer early is a choice the checked model already
//!   allows. The round-trip estimate outlives a cluster's instance ([`Link::renewed`]): it
//!   measures the path, so the next instance's first loss waits for the measured timeout,
//!   not for [`RTO_INITIAL`]. The checker bounds copies in flight (capacity 2); the runtime does not, which
//!   the order filter makes harmless (a FIFO link with copies of frames behaves as the
//!   capacity-1 link with retransmissions the check covers).
//! * **Peer restarts.** Each node draws an incarnation at start; a datagram names its sender's
//!   incarnation and the one it believes the receiver has. A new peer incarnation resets the
//!   link (the unacknowledged payloads are queued again); frames addressed to an older
//!   incarnation of this node are ignored and answered with an empty datagram, so that the
//!   peer learns of the restart. (A cluster's instances never need this: each instance is a
//!   new epoch, and the node starts every link afresh.)

use models::arq::{self, Arq, Effect, Seq, Timer, Window};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The transport's window: the checked Selective Repeat configuration (see the module docs).
pub const WINDOW: Window = Window {
    arq: Arq::SelectiveRepeat,
    seq_bits: 3,
    size: 4,
    fast_retransmit: false,
};

/// The checker command whose run pins [`WINDOW`] (its settings, for the registry).
pub const WINDOW_CHECK: [&str; 3] = ["seq-bits=3", "window=4", "messages=12"];

/// How long an acknowledgement with no frame to ride on waits for one (a reply to the same
/// peer) before it leaves alone: most replies come within it, and the acks still held when a
/// cluster's instance ends are never sent.
pub const ACK_DELAY: Duration = Duration::from_micros(150);

/// Retransmission timeout before the first RTT sample.
pub const RTO_INITIAL: Duration = Duration::from_millis(1);
/// Lower bound of the retransmission timeout: loopback round trips take tens of µs, but a
/// loaded 2-core machine can delay a thread by hundreds.
pub const RTO_MIN: Duration = Duration::from_micros(400);
/// Upper bound: after a partition heals, a link resumes within this.
pub const RTO_MAX: Duration = Duration::from_millis(50);

/// A frame's payload: the framed messages of one poll to one peer.
pub type Payload = Arc<[u8]>;

/// What a link did, for the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub retransmitted: u64,
    pub fast_retransmits: u64,
    pub stale: u64,
}

/// One node's end of the channel to one peer.
#[derive(Clone, Debug)]
pub struct Link {
    sender: arq::Sender<Payload>,
    receiver: arq::Receiver<Payload>,
    /// Payloads waiting for room in the window.
    backlog: VecDeque<Payload>,
    timers: Vec<(Timer, Instant)>,
    /// When each sequence number's frame was transmitted.
    sent_at: Vec<Option<Sent>>,
    /// Acks and frames to put in the next datagrams.
    acks: Vec<Seq>,
    frames: Vec<(Seq, Payload)>,
    /// Numbers of the datagrams sent and of the newest received.
    number_out: u64,
    number_in: Option<u64>,
    peer_incarnation: u64,
    /// The peer spoke to an older incarnation of this node: answer it.
    hello: bool,
    /// When the oldest ack still held was made ([`ACK_DELAY`]).
    ack_since: Option<Instant>,
    /// Send the acks held without waiting for [`ACK_DELAY`] (a loss was seen).
    ack_now: bool,
    /// Evidence of loss since the node last asked ([`Link::take_loss_seen`]): a gap in the
    /// peer's datagram numbers, or a fast retransmit.
    loss_seen: bool,
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    pub stats: LinkStats,
}

impl Default for Link {
    fn default() -> Self {
        Self::new()
    }
}

/// When a sequence number's frame was first and last transmitted, and whether it was
/// transmitted again.
#[derive(Clone, Copy, Debug)]
struct Sent {
    first: Instant,
    last: Instant,
    resent: bool,
}

/// A segment as received: the peer's incarnation, the one it believes this node has, the
/// datagram's number, acks and frames.
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    pub incarnation: u64,
    pub peer_incarnation: u64,
    pub number: u64,
    pub acks: &'a [u8],
    /// Frames as `[seq][len u16 LE][bytes]`, already validated.
    pub frames: &'a [u8],
}

impl Link {
    pub fn new() -> Self {
        Self {
            sender: arq::Sender::new(),
            receiver: arq::Receiver::new(),
            backlog: VecDeque::new(),
            timers: Vec::new(),
            sent_at: vec![None; WINDOW.modulus() as usize],
            acks: Vec::new(),
            frames: Vec::new(),
            number_out: 0,
            number_in: None,
            peer_incarnation: 0,
            hello: false,
            ack_since: None,
            ack_now: false,
            loss_seen: false,
            srtt: None,
            rttvar: Duration::ZERO,
            rto: RTO_INITIAL,
            stats: LinkStats::default(),
        }
    }

    /// Queues a payload and transmits what the window has room for.
    pub fn push(&mut self, payload: Payload, now: Instant) {
        self.backlog.push_back(payload);
        self.drive(now);
    }

    /// Moves payloads from the backlog into the window while it has room.
    fn drive(&mut self, now: Instant) {
        let mut effects = Vec::new();
        while self.sender.has_room(&WINDOW) {
            let Some(p) = self.backlog.pop_front() else {
                break;
            };
            self.sender.send(&WINDOW, p, &mut effects);
        }
        self.apply(effects, now, false);
    }

    fn apply(&mut self, effects: Vec<Effect<Payload>>, now: Instant, resent: bool) {
        for e in effects {
            match e {
                Effect::Transmit { seq, payload } => {
                    let slot = &mut self.sent_at[seq as usize];
                    let first = match *slot {
                        Some(sent) if resent => sent.first,
                        _ => now,
                    };
                    *slot = Some(Sent {
                        first,
                        last: now,
                        resent,
                    });
                    self.stats.retransmitted += u64::from(resent);
                    self.frames.push((seq, payload));
                }
                Effect::SetTimer(t) => {
                    let at = now + self.rto;
                    match self.timers.iter_mut().find(|(x, _)| *x == t) {
                        Some(entry) => entry.1 = at,
                        None => self.timers.push((t, at)),
                    }
                }
                Effect::CancelTimer(t) => self.timers.retain(|(x, _)| *x != t),
            }
        }
    }

    /// Handles a segment from the peer, this node being `incarnation`: appends the payloads
    /// now delivered, in order, to `delivered`. Returns false if the datagram was dropped as
    /// stale or addressed to an older incarnation.
    pub fn handle_segment(
        &mut self,
        seg: &Received<'_>,
        incarnation: u64,
        now: Instant,
        delivered: &mut Vec<Payload>,
    ) -> bool {
        if seg.incarnation != self.peer_incarnation {
            if self.peer_incarnation != 0 {
                self.reset_for_new_peer();
            }
            self.peer_incarnation = seg.incarnation;
        }
        if seg.peer_incarnation != 0 && seg.peer_incarnation != incarnation {
            self.hello = true;
            return false;
        }
        if self.number_in.is_some_and(|n| seg.number <= n) {
            self.stats.stale += 1;
            return false;
        }
        // A gap in the datagram numbers: a datagram from the peer was lost (or overtaken,
        // which the order filter makes a loss). Acknowledge at once, so that the peer's fast
        // retransmit sees the ack of a frame sent after the lost one without waiting for
        // [`ACK_DELAY`].
        if self
            .number_in
            .map_or(seg.number > 1, |n| seg.number > n + 1)
        {
            self.ack_now = true;
            self.loss_seen = true;
        }
        self.number_in = Some(seg.number);
        for &ack in seg.acks {
            self.on_ack(Seq::from(ack), now);
        }
        let mut rest = seg.frames;
        while let [seq, l0, l1, tail @ ..] = rest {
            let len = usize::from(u16::from_le_bytes([*l0, *l1]));
            let (bytes, tail) = tail.split_at(len.min(tail.len()));
            let payload: Payload = Arc::from(bytes);
            if let Some(ack) = self
                .receiver
                .on_frame(&WINDOW, Seq::from(*seq), payload, delivered)
            {
                self.acks.push(ack);
                self.ack_since.get_or_insert(now);
            }
            rest = tail;
        }
        self.ack_now &= !self.acks.is_empty();
        self.drive(now);
        true
    }

    fn on_ack(&mut self, seq: Seq, now: Instant) {
        let sample = self.sent_at[seq as usize];
        let mut effects = Vec::new();
        if !self.sender.on_ack(&WINDOW, seq, &mut effects) {
            return;
        }
        self.apply(effects, now, false);
        if let Some(sent) = sample {
            // An ack of a frame transmitted twice does not say which copy it acknowledges
            // (Karn): no round-trip sample, and only the frames transmitted before its first
            // copy are proved lost.
            if !sent.resent {
                self.sample_rtt(now.saturating_duration_since(sent.last));
            }
            self.fast_retransmit(sent.first, now);
        }
    }

    /// On an ordered link, an ack of a frame first transmitted at `acked_at` proves lost every
    /// unacknowledged frame last transmitted before it: fire their timers now.
    fn fast_retransmit(&mut self, acked_at: Instant, now: Instant) {
        let base = self.sender.base;
        let lost: Vec<Seq> = self
            .sender
            .outstanding
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.acked)
            .map(|(i, _)| WINDOW.seq(base + i as u64))
            .filter(|&s| self.sent_at[s as usize].is_some_and(|t| t.last < acked_at))
            .collect();
        for seq in lost {
            self.loss_seen = true;
            self.stats.fast_retransmits += 1;
            self.fire(Timer::Frame(seq), now);
        }
    }

    fn sample_rtt(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let diff = srtt.abs_diff(r);
                self.rttvar = self.rttvar * 3 / 4 + diff / 4;
                self.srtt = Some(srtt * 7 / 8 + r / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        self.rto = (srtt + self.rttvar * 4).clamp(RTO_MIN, RTO_MAX);
    }

    fn fire(&mut self, timer: Timer, now: Instant) {
        self.timers.retain(|(t, _)| *t != timer);
        let mut effects = Vec::new();
        self.sender.on_timeout(&WINDOW, timer, &mut effects);
        self.apply(effects, now, true);
    }

    /// Fires every retransmission timer due at `now`, backing the timeout off.
    pub fn fire_due(&mut self, now: Instant) {
        let due: Vec<Timer> = self
            .timers
            .iter()
            .filter(|(_, at)| *at <= now)
            .map(|(t, _)| *t)
            .collect();
        if !due.is_empty() {
            self.rto = (self.rto * 2).min(RTO_MAX);
        }
        for t in due {
            self.fire(t, now);
        }
    }

    /// Whether the link saw evidence of loss (a gap in the peer's datagram numbers, or a fast
    /// retransmit) since the last call.
    pub fn take_loss_seen(&mut self) -> bool {
        std::mem::take(&mut self.loss_seen)
    }

    /// The earliest retransmission deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        let ack = self.ack_since.map(|t| t + ACK_DELAY);
        self.timers.iter().map(|(_, at)| *at).chain(ack).min()
    }

    /// Whether there is anything to put on the wire at `now`: a frame, or acks held for
    /// [`ACK_DELAY`].
    pub fn has_output(&self, now: Instant) -> bool {
        !self.frames.is_empty()
            || self.hello
            || (self.ack_now && !self.acks.is_empty())
            || self.ack_since.is_some_and(|t| now >= t + ACK_DELAY)
    }

    /// Takes the acks and frames to send and the next datagram number for each datagram
    /// they fill (see `wire::pack_segments`).
    pub fn take_output(&mut self) -> (Vec<Seq>, Vec<(Seq, Payload)>, u64) {
        self.hello = false;
        self.ack_now = false;
        self.ack_since = None;
        let acks = std::mem::take(&mut self.acks);
        let frames = std::mem::take(&mut self.frames);
        (acks, frames, self.peer_incarnation)
    }

    /// A fresh datagram number.
    pub fn next_number(&mut self) -> u64 {
        self.number_out += 1;
        self.number_out
    }

    /// A fresh link to the same peer (a cluster's next instance): new windows, nothing in
    /// flight, but the round-trip estimate kept, since it measures the path, not the instance
    /// (the backed-off timeout is not kept: the timeout is recomputed from the estimate).
    /// Without this, every instance's first loss waited for [`RTO_INITIAL`].
    pub fn renewed(&self) -> Self {
        let mut link = Self::new();
        if let Some(srtt) = self.srtt {
            link.srtt = Some(srtt);
            link.rttvar = self.rttvar;
            link.rto = (srtt + self.rttvar * 4).clamp(RTO_MIN, RTO_MAX);
        }
        link
    }

    /// The peer restarted: its receiver expects sequence number 0 again. Start afresh, with
    /// every payload it has not acknowledged queued again in order.
    fn reset_for_new_peer(&mut self) {
        let mut backlog: VecDeque<Payload> = self
            .sender
            .outstanding
            .iter()
            .filter(|f| !f.acked)
            .map(|f| f.payload.clone())
            .collect();
        backlog.extend(self.backlog.drain(..));
        let (number_out, stats) = (self.number_out, self.stats);
        *self = Self::new();
        self.number_out = number_out;
        self.stats = stats;
        self.backlog = backlog;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::udp::wire;
    use models::rng::SplitMix64;
    use stateright::actor::Id;

    /// Datagrams in flight: the tick each arrives, its receiver (0 or 1), its bytes.
    type Flight = Vec<(u64, usize, Vec<u8>)>;

    /// Puts what `link` (node `src`) has to send on a link that loses 20% and, if `chaos`,
    /// also duplicates 10% and delays each copy by 0..8 ticks on its own (so datagrams overtake
    /// each other); otherwise every datagram takes a tick.
    fn transmit(
        link: &mut Link,
        src: usize,
        rng: &mut SplitMix64,
        (tick, now, chaos): (u64, Instant, bool),
        flight: &mut Flight,
    ) {
        if !link.has_output(now) {
            return;
        }
        let (acks, frames, peer) = link.take_output();
        let frames: Vec<(u32, &[u8])> = frames.iter().map(|(s, p)| (*s, &p[..])).collect();
        let mut datagrams = Vec::new();
        let mut buf = Vec::new();
        wire::pack_segments(
            &mut buf,
            Id::from(src),
            1,
            (src as u64 + 100, peer),
            &acks,
            &frames,
            || link.next_number(),
            |d| datagrams.push(d.to_vec()),
        );
        for d in datagrams {
            if rng.per_mille(200) {
                continue;
            }
            if !chaos {
                flight.push((tick + 1, 1 - src, d));
                continue;
            }
            let copies = if rng.per_mille(100) { 2 } else { 1 };
            for _ in 0..copies {
                flight.push((tick + rng.between(0, 8), 1 - src, d.clone()));
            }
        }
    }

    /// Sends 3,000 payloads from node 0 to node 1 over [`transmit`]'s link: what node 1
    /// delivered, in order, and both links' stats.
    fn send_over_a_lossy_link(chaos: bool) -> (Vec<u32>, [LinkStats; 2]) {
        let mut rng = SplitMix64::new(42);
        let mut links = [Link::new(), Link::new()];
        let start = Instant::now();
        let total = 3000u32;
        let (mut next, mut got, mut flight): (u32, Vec<u32>, Flight) = (0, Vec::new(), Vec::new());
        for tick in 0..1_000_000u64 {
            // One tick is 100 µs of the links' clock with chaos, 20 µs without (a loopback's
            // round trip: the peer's acks come back well within [`RTO_MIN`]).
            let now = start + Duration::from_micros(if chaos { 100 } else { 20 } * tick);
            // Without chaos, one payload at a time waits for the window, so that frames
            // leave one per datagram and a loss is followed by frames that reveal it.
            if next < total && links[0].backlog.len() < if chaos { 8 } else { 1 } {
                links[0].push(Payload::from(&next.to_le_bytes()[..]), now);
                next += 1;
            }
            for link in &mut links {
                link.fire_due(now);
            }
            for (src, link) in links.iter_mut().enumerate() {
                transmit(link, src, &mut rng, (tick, now, chaos), &mut flight);
            }
            let (due, later): (Flight, Flight) = flight.drain(..).partition(|(t, ..)| *t <= tick);
            flight = later;
            for (_, dst, bytes) in due {
                let (src, _, seg) = wire::decode_segment(&bytes, 2, WINDOW.modulus()).unwrap();
                assert_eq!(usize::from(src), 1 - dst);
                let mut delivered = Vec::new();
                links[dst].handle_segment(&seg, dst as u64 + 100, now, &mut delivered);
                assert!(
                    dst == 1 || delivered.is_empty(),
                    "only node 0 sends payloads"
                );
                got.extend(
                    delivered
                        .iter()
                        .map(|p| u32::from_le_bytes(p[..].try_into().unwrap())),
                );
            }
            if got.len() == total as usize {
                break;
            }
        }
        assert_eq!(got, (0..total).collect::<Vec<_>>());
        (got, [links[0].stats, links[1].stats])
    }

    #[test]
    fn every_payload_arrives_once_and_in_order_despite_loss_duplication_and_reordering() {
        let (got, [sender, receiver]) = send_over_a_lossy_link(true);
        assert_eq!(got, (0..3000).collect::<Vec<_>>());
        assert!(sender.retransmitted > 0, "{sender:?}");
        assert!(
            receiver.stale > 0,
            "reordered and duplicated datagrams are dropped"
        );
    }

    #[test]
    fn on_a_lossy_ordered_link_fast_retransmit_repairs_losses_before_the_timer() {
        let (got, [sender, receiver]) = send_over_a_lossy_link(false);
        assert_eq!(got, (0..3000).collect::<Vec<_>>());
        assert_eq!(receiver.stale, 0, "nothing reordered or duplicated");
        // Lost acks, and losses with no later frame to reveal them, are left to the timer
        // (1,735 retransmissions, 550 of them fast, when written).
        assert!(
            sender.fast_retransmits * 5 > sender.retransmitted,
            "{sender:?}"
        );
    }

    #[test]
    fn bad_segments_are_refused_with_a_reason() {
        let mut buf = Vec::new();
        let mut out = Vec::new();
        wire::pack_segments(
            &mut buf,
            Id::from(0),
            1,
            (7, 0),
            &[1],
            &[(2, &[1, 0, 5][..])],
            || 1,
            |d| out.push(d.to_vec()),
        );
        let good = &out[0];
        assert!(wire::decode_segment(good, 2, WINDOW.modulus()).is_ok());
        let err = |b: &[u8]| wire::decode_segment(b, 2, WINDOW.modulus()).unwrap_err();
        assert_eq!(err(&good[..good.len() - 1]), wire::DecodeError::Truncated);
        assert_eq!(err(&good[..20]), wire::DecodeError::Truncated);
        let mut bad_seq = good.clone();
        bad_seq[wire::SEGMENT_HEADER_LEN] = 9;
        assert_eq!(err(&bad_seq), wire::DecodeError::Malformed);
        assert_eq!(
            wire::decode_segment(good, 0, WINDOW.modulus()).unwrap_err(),
            wire::DecodeError::UnknownSender
        );
    }

    /// Packs what `link` (node `src`) has to send at `now` into datagrams: how many, and how
    /// many of them carry no frame (acks alone).
    fn pack(link: &mut Link, src: usize, now: Instant) -> (Vec<Vec<u8>>, usize) {
        if !link.has_output(now) {
            return (Vec::new(), 0);
        }
        let (acks, frames, peer) = link.take_output();
        let frames: Vec<(u32, &[u8])> = frames.iter().map(|(s, p)| (*s, &p[..])).collect();
        let mut datagrams = Vec::new();
        wire::pack_segments(
            &mut Vec::new(),
            Id::from(src),
            1,
            (src as u64 + 100, peer),
            &acks,
            &frames,
            || link.next_number(),
            |d| datagrams.push(d.to_vec()),
        );
        let alone = if frames.is_empty() {
            datagrams.len()
        } else {
            0
        };
        (datagrams, alone)
    }

    /// Hands `datagrams` from node `src` to `link` (node `1 - src`) at `now`; the payloads
    /// delivered.
    fn receive(link: &mut Link, src: usize, datagrams: &[Vec<u8>], now: Instant) -> usize {
        let mut delivered = Vec::new();
        for d in datagrams {
            let (_, _, seg) = wire::decode_segment(d, 2, WINDOW.modulus()).unwrap();
            link.handle_segment(&seg, (1 - src) as u64 + 100, now, &mut delivered);
        }
        delivered.len()
    }

    #[test]
    fn replies_carry_the_acks_and_one_way_acks_wait_and_leave_together() {
        let start = Instant::now();
        let at = |us: u64| start + Duration::from_micros(us);
        let (mut a, mut b) = (Link::new(), Link::new());
        // A request and its reply within ACK_DELAY: no datagram of acks alone, either way.
        let mut alone = 0;
        for round in 0..20u64 {
            let t = round * 1000;
            a.push(Payload::from(&[1u8][..]), at(t));
            let (d, n) = pack(&mut a, 0, at(t));
            alone += n;
            assert_eq!(receive(&mut b, 0, &d, at(t + 20)), 1);
            b.push(Payload::from(&[2u8][..]), at(t + 30));
            let (d, n) = pack(&mut b, 1, at(t + 30));
            alone += n;
            assert_eq!(receive(&mut a, 1, &d, at(t + 50)), 1);
        }
        assert_eq!(alone, 0, "every ack rode on a reply");
        assert!(
            !a.take_loss_seen() && !b.take_loss_seen(),
            "no loss, no evidence"
        );
        // A's ack of B's last reply has nothing to ride on: held, then one datagram alone.
        assert!(!a.has_output(at(19_050)));
        let (d, n) = pack(&mut a, 0, at(19_050) + ACK_DELAY);
        assert_eq!((d.len(), n), (1, 1));
        receive(&mut b, 0, &d, at(19_300));
        assert!(b.sender.outstanding.iter().all(|f| f.acked) && b.timers.is_empty());
        // Three frames one way, in three datagrams: their acks wait and leave in one.
        for k in 0..3u64 {
            a.push(Payload::from(&[3u8][..]), at(30_000 + k));
            let (d, _) = pack(&mut a, 0, at(30_000 + k));
            receive(&mut b, 0, &d, at(30_010 + k));
            assert!(!b.has_output(at(30_010 + k)), "acks are held");
        }
        let (d, n) = pack(&mut b, 1, at(30_010) + ACK_DELAY);
        assert_eq!((d.len(), n), (1, 1), "three acks in one datagram");
        receive(&mut a, 1, &d, at(30_300));
        assert!(a.timers.is_empty(), "all three acknowledged");
    }

    #[test]
    fn a_gap_in_the_datagram_numbers_sends_the_acks_at_once() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_micros(1);
        let (mut a, mut b) = (Link::new(), Link::new());
        a.push(Payload::from(&[1u8][..]), t0);
        let (lost, _) = pack(&mut a, 0, t0);
        assert_eq!(lost.len(), 1, "lost on the way");
        a.push(Payload::from(&[2u8][..]), t1);
        let (d, _) = pack(&mut a, 0, t1);
        // The second datagram reveals the gap: its ack leaves at once, not after ACK_DELAY.
        assert_eq!(receive(&mut b, 0, &d, t1), 0, "frame 1 waits for frame 0");
        assert!(b.has_output(t1));
        assert!(b.take_loss_seen(), "the gap is evidence of loss");
        assert!(!b.take_loss_seen(), "told once");
        let (acks, alone) = pack(&mut b, 1, t1);
        assert_eq!(alone, 1);
        // The ack of frame 1, sent after frame 0, fires frame 0's timer: fast retransmit.
        receive(&mut a, 1, &acks, t1);
        assert_eq!((a.stats.fast_retransmits, a.stats.retransmitted), (1, 1));
        assert!(
            a.take_loss_seen(),
            "the fast retransmit is evidence of loss"
        );
        let (d, _) = pack(&mut a, 0, t1);
        assert_eq!(receive(&mut b, 0, &d, t1), 2, "both delivered, in order");
        // No gap this time: the ack of the retransmission is held.
        assert!(!b.has_output(t1));
        assert!(b.has_output(t1 + ACK_DELAY));
    }

    #[test]
    fn an_ack_of_a_frame_sent_twice_is_no_evidence_of_loss() {
        let start = Instant::now();
        let at = |us: u64| start + Duration::from_micros(us);
        let (mut a, mut b) = (Link::new(), Link::new());
        a.push(Payload::from(&[1u8][..]), at(0));
        let (first, _) = pack(&mut a, 0, at(0));
        a.push(Payload::from(&[2u8][..]), at(10));
        let (second, _) = pack(&mut a, 0, at(10));
        // Frame 0's timer fires before its ack is back (a slow peer, nothing lost): sent again,
        // after frame 1.
        a.fire_due(at(0) + RTO_INITIAL);
        assert_eq!(a.stats.retransmitted, 1, "frame 0 only");
        let (_again, _) = pack(&mut a, 0, at(1_000));
        assert_eq!(receive(&mut b, 0, &first, at(20)), 1);
        assert_eq!(receive(&mut b, 0, &second, at(30)), 1);
        let (acks, _) = pack(&mut b, 1, at(30) + ACK_DELAY);
        // The ack of frame 0 may be of its first copy: frame 1, sent before the second copy,
        // is not thereby lost.
        receive(&mut a, 1, &acks, at(1_100));
        assert!(a.timers.is_empty(), "both acknowledged");
        assert_eq!((a.stats.fast_retransmits, a.stats.retransmitted), (0, 1));
        assert!(!a.take_loss_seen());
    }

    #[test]
    fn a_renewed_link_keeps_its_round_trip_estimate_but_not_its_backoff() {
        let start = Instant::now();
        let mut link = Link::new();
        assert_eq!(link.renewed().rto, RTO_INITIAL, "nothing measured yet");
        for _ in 0..20 {
            link.sample_rtt(Duration::from_micros(50));
        }
        assert_eq!(link.rto, RTO_MIN, "50 µs round trips: the floor");
        link.push(Payload::from(&[1u8][..]), start);
        link.fire_due(start + RTO_MAX);
        assert!(link.rto > RTO_MIN, "backed off by the expiry");
        let next = link.renewed();
        assert_eq!((next.srtt, next.rto), (link.srtt, RTO_MIN));
        assert!(next.timers.is_empty() && next.backlog.is_empty() && next.frames.is_empty());
    }

    #[test]
    fn the_window_is_the_largest_correct_one_for_its_sequence_space() {
        assert_eq!(
            WINDOW.size,
            Window::size_max_correct(WINDOW.arq, WINDOW.seq_bits)
        );
    }
}
