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
//! * **Copies on a lossy path.** Each link estimates the share of its peer's datagrams lost on
//!   the way (an average over about the last 512 datagram numbers: a number that never came,
//!   or a second copy that came without its first, is a loss). From [`COPIES_FROM`] (0.5%)
//!   until it falls below [`COPIES_UNTIL`] (0.25%), the link's datagrams ask the peer to send each
//!   datagram that carries frames twice, back to back, the second copy marked as such; acks
//!   alone are not copied (a lost one costs a spurious retransmission, not a stalled peer). A
//!   lost frame costs a retransmission timeout (at least [`RTO_MIN`], and most losses in a
//!   request-reply exchange are at the tail, where no later frame reveals them), while a copy
//!   costs one datagram; at 10% loss a frame then goes missing 1% of the time instead of 10%,
//!   at 1% one time in 10,000. Measured on the clusters, copies paid for themselves at 1% loss
//!   already (see the README); a path that loses a datagram now and then gets none. A copy
//!   carries the same datagram number as its first, so the order filter below drops whichever
//!   arrives second: the machine still sees an ordered lossy link. This is the "proactive"
//!   redundancy of Flach et al., *Reducing Web Latency: the Virtue of Gentle Aggression*
//!   (SIGCOMM 2013), switched on by measured loss; where loss comes from congestion rather
//!   than from the path, doubling the datagrams would add to it.
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

/// A link asks its peer to send each datagram that carries frames twice once the estimated
/// share of the peer's datagrams lost on the way reaches this (0.5%), and stops asking when it
/// falls below [`COPIES_UNTIL`] (see the module docs).
pub const COPIES_FROM: f64 = 0.005;
/// See [`COPIES_FROM`].
pub const COPIES_UNTIL: f64 = 0.0025;
/// Weight of each datagram number in the estimated loss share (an exponentially weighted
/// average over about the last 512 numbers: one loss alone does not reach [`COPIES_FROM`]).
const LOSS_WEIGHT: f64 = 1.0 / 512.0;

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
    /// The estimated share of the peer's datagrams whose first copy is lost on the way (a
    /// number missing, or a second copy that came without its first), and whether this link
    /// asks the peer for copies ([`COPIES_FROM`]).
    loss_from_peer: f64,
    asks_copies: bool,
    /// The peer's newest datagram asked for copies: send each datagram with frames twice.
    peer_asks_copies: bool,
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
    /// The datagram is the second copy of one sent twice.
    pub copy: bool,
    /// The peer saw datagrams from this node lost lately, and asks for each one twice.
    pub lossy: bool,
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
            loss_from_peer: 0.0,
            asks_copies: false,
            peer_asks_copies: false,
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
        // A gap in the datagram numbers: a datagram from the peer was lost (both copies, if
        // it sent two), or overtaken, which the order filter makes a loss. Acknowledge at
        // once, so that the peer's fast retransmit sees the ack of a frame sent after the
        // lost one without waiting for [`ACK_DELAY`]. A second copy taken without its first
        // is a loss too, which the copy repaired.
        let missing = seg
            .number
            .saturating_sub(self.number_in.map_or(1, |n| n + 1));
        if missing > 0 {
            self.ack_now = true;
        }
        if missing > 0 || seg.copy {
            self.loss_seen = true;
        }
        self.estimate_loss(missing, seg.copy);
        self.number_in = Some(seg.number);
        self.peer_asks_copies = seg.lossy;
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

    /// Updates the estimated loss share with a datagram received after `missing` numbers
    /// that never came, itself a first copy or not.
    fn estimate_loss(&mut self, missing: u64, copy: bool) {
        let kept = (1.0 - LOSS_WEIGHT).powi(missing.min(1 << 20) as i32);
        let share = 1.0 - (1.0 - self.loss_from_peer) * kept;
        self.loss_from_peer = share + (f64::from(u8::from(copy)) - share) * LOSS_WEIGHT;
        self.asks_copies = if self.asks_copies {
            self.loss_from_peer >= COPIES_UNTIL
        } else {
            self.loss_from_peer >= COPIES_FROM
        };
    }

    /// A fresh datagram number, with [`wire::NUMBER_LOSSY`](super::wire::NUMBER_LOSSY) set
    /// while this link asks the peer for copies.
    pub fn next_number(&mut self) -> u64 {
        self.number_out += 1;
        self.number_out
            | if self.asks_copies {
                super::wire::NUMBER_LOSSY
            } else {
                0
            }
    }

    /// Whether the peer asked for each datagram with frames twice (its newest datagram did).
    pub fn copies(&self) -> bool {
        self.peer_asks_copies
    }

    /// A fresh link to the same peer (a cluster's next instance): new windows, nothing in
    /// flight, but the round-trip estimate kept, since it measures the path, not the instance
    /// (the backed-off timeout is not kept: the timeout is recomputed from the estimate).
    /// Without this, every instance's first loss waited for [`RTO_INITIAL`]. What the link
    /// knows of loss on the path (whether to ask for copies, and to send them) is kept too.
    pub fn renewed(&self) -> Self {
        let mut link = Self::new();
        link.loss_from_peer = self.loss_from_peer;
        link.asks_copies = self.asks_copies;
        link.peer_asks_copies = self.peer_asks_copies;
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
        (tick, now, chaos, copies): (u64, Instant, bool, bool),
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
        // As the node does: each datagram with frames twice if the peer asked and `copies`.
        if copies && link.copies() && !frames.is_empty() {
            for d in std::mem::take(&mut datagrams) {
                let mut copy = d.clone();
                wire::mark_copy(&mut copy);
                datagrams.extend([d, copy]);
            }
        }
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

    /// Sends 3,000 payloads from node 0 to node 1 over [`transmit`]'s link, with or without
    /// `copies`: what node 1 delivered, in order, both links' stats, and whether node 0 was
    /// asked for copies at the end.
    fn send_over_a_lossy_link(chaos: bool, copies: bool) -> (Vec<u32>, [LinkStats; 2], bool) {
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
                transmit(link, src, &mut rng, (tick, now, chaos, copies), &mut flight);
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
        let asked = links[0].copies();
        (got, [links[0].stats, links[1].stats], asked)
    }

    #[test]
    fn every_payload_arrives_once_and_in_order_despite_loss_duplication_and_reordering() {
        for copies in [false, true] {
            let (got, [sender, receiver], _) = send_over_a_lossy_link(true, copies);
            assert_eq!(got, (0..3000).collect::<Vec<_>>());
            assert!(sender.retransmitted > 0, "{sender:?}");
            assert!(
                receiver.stale > 0,
                "reordered and duplicated datagrams are dropped"
            );
        }
    }

    #[test]
    fn on_a_link_that_loses_a_fifth_copies_spare_most_retransmissions() {
        let (_, [plain, _], asked) = send_over_a_lossy_link(false, false);
        assert!(asked, "the receiver estimates the loss above COPIES_FROM");
        let (got, [copied, receiver], _) = send_over_a_lossy_link(false, true);
        assert_eq!(got, (0..3000).collect::<Vec<_>>());
        assert!(
            receiver.stale > 0,
            "second copies of datagrams that arrived"
        );
        // Frames are lost 4% of the time instead of 20%; lost acks (never copied) still
        // cost a retransmission each (977 retransmissions against 1,735 when written).
        assert!(
            copied.retransmitted * 10 < plain.retransmitted * 7,
            "{copied:?} against {plain:?}"
        );
    }

    #[test]
    fn on_a_lossy_ordered_link_fast_retransmit_repairs_losses_before_the_timer() {
        let (got, [sender, receiver], _) = send_over_a_lossy_link(false, false);
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

    /// An empty segment from the peer with datagram number `number`.
    fn segment(number: u64, copy: bool, lossy: bool) -> Received<'static> {
        Received {
            incarnation: 7,
            peer_incarnation: 0,
            number,
            copy,
            lossy,
            acks: &[],
            frames: &[],
        }
    }

    #[test]
    fn a_link_asks_for_copies_from_half_a_percent_of_loss_and_stops_when_the_loss_stops() {
        let now = Instant::now();
        let mut link = Link::new();
        let lossy = |link: &mut Link| link.next_number() & wire::NUMBER_LOSSY != 0;
        let mut number = 0;
        // The next datagram from the peer: the one before it lost if `lost` (or only its
        // first copy, if `copy`). Whether the link now asks for copies.
        let mut feed_one = |link: &mut Link, lost: bool, copy: bool| {
            number += if lost && !copy { 2 } else { 1 };
            let seg = segment(number, lost && copy, false);
            assert!(link.handle_segment(&seg, 1, now, &mut Vec::new()));
            lossy(link)
        };
        // One datagram in a thousand lost: never asks.
        for i in 1..=5_000u64 {
            assert!(!feed_one(&mut link, i % 1_000 == 0, false), "datagram {i}");
        }
        // One in a hundred: asks within a few losses, and keeps asking.
        let mut asked_at = None;
        for i in 1..=3_000u64 {
            if feed_one(&mut link, i % 100 == 0, false) {
                asked_at.get_or_insert(i);
            } else {
                assert!(asked_at.is_none(), "stopped asking at datagram {i}");
            }
        }
        assert!(asked_at.is_some_and(|i| i <= 500), "{asked_at:?}");
        // The copies come and one first copy in ten is still lost: a second copy taken
        // without its first counts as a loss, so the link keeps asking.
        for i in 1..=1_000u64 {
            assert!(feed_one(&mut link, i % 10 == 0, true), "datagram {i}");
        }
        // No loss any more: it stops asking, below COPIES_UNTIL.
        let mut stopped_at = None;
        for i in 1..=5_000u64 {
            if !feed_one(&mut link, false, false) {
                stopped_at.get_or_insert(i);
            }
        }
        assert!(
            stopped_at.is_some_and(|i| i > 100 && i < 3_000),
            "{stopped_at:?}"
        );
        assert!(link.loss_from_peer < COPIES_UNTIL);
        // The estimate outlives the instance, as the round-trip estimate does.
        feed_one(&mut link, true, false);
        assert_eq!(link.renewed().loss_from_peer, link.loss_from_peer);
    }

    #[test]
    fn the_peers_flag_sets_the_copies_and_a_second_copy_counts_once() {
        let now = Instant::now();
        let mut link = Link::new();
        let take =
            |link: &mut Link, seg: Received<'_>| link.handle_segment(&seg, 1, now, &mut Vec::new());
        assert!(!link.copies());
        assert!(take(&mut link, segment(1, false, true)));
        assert!(link.copies(), "the peer asked");
        assert!(!link.take_loss_seen());
        // The second copy of datagram 1, after the first: stale.
        assert!(!take(&mut link, segment(1, true, true)));
        assert_eq!(link.stats.stale, 1);
        // Datagram 2's first copy lost, its second taken: evidence of loss, no gap.
        assert!(take(&mut link, segment(2, true, false)));
        assert!(link.take_loss_seen());
        assert!(!link.copies(), "the peer stopped asking");
        // On the wire: the copy flag and the ask flag leave the number alone.
        let mut out = Vec::new();
        link.asks_copies = true;
        let number = link.next_number();
        wire::pack_segments(
            &mut Vec::new(),
            Id::from(0),
            1,
            (7, 0),
            &[],
            &[],
            || number,
            |d| out.push(d.to_vec()),
        );
        let (_, _, seg) = wire::decode_segment(&out[0], 2, WINDOW.modulus()).unwrap();
        assert_eq!((seg.number, seg.copy, seg.lossy), (1, false, true));
        wire::mark_copy(&mut out[0]);
        let (_, _, seg) = wire::decode_segment(&out[0], 2, WINDOW.modulus()).unwrap();
        assert_eq!((seg.number, seg.copy, seg.lossy), (1, true, true));
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
