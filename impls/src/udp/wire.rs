//! The wire format: a fixed header then one message, or several messages packed together
//! (coalesced, as QUIC packs frames into a packet), each encoded with
//! [postcard](https://docs.rs/postcard) (the codec was chosen by measurement; see the README's
//! "Run over UDP" section and `benches/benches/udp.rs`).
//!
//! ```text
//! offset  size  field
//!      0     2  magic "FT"
//!      2     1  version (4; version 1 had no kind 2, version 2 no kind 3, version 3 no flags
//!               in a segment's datagram number)
//!      3     1  kind: 0 = one protocol message, 1 = wake (no payload),
//!                     2 = coalesced protocol messages, 3 = reliable-channel segment
//!      4     4  sender id, little endian
//!      8     8  epoch (run id), little endian
//!     16     *  payload:
//!                 kind 0: the message, postcard-encoded
//!                 kind 1: empty
//!                 kind 2: one or more frames, each a 2-byte little-endian length then that
//!                         many bytes: one postcard-encoded message
//!                 kind 3: 8 bytes sender's incarnation, 8 bytes the incarnation it
//!                         believes the receiver has (0: unknown), 8 bytes datagram number
//!                         (the low 62 bits; bit 63 marks the second copy of a datagram
//!                         sent twice, bit 62 asks the receiver to send its datagrams twice:
//!                         see `transport`), 1 byte ack count A, A acks (one sequence number each), then
//!                         frames, each: 1 byte sequence number, 2-byte LE length, that many
//!                         bytes of kind-2 frames (the messages the frame carries)
//! ```
//!
//! Kind 3 is the reliable channel of [`super::transport`]; all integers little endian.
//!
//! A datagram is at most [`DATAGRAM_MAX`] bytes. [`decode`] never panics: every datagram it
//! refuses gets a [`DecodeError`] naming why, which the node counts. A datagram of another
//! version is refused as malformed (there is no negotiation: every node of a run is the same
//! build). The epoch tells runs apart, so that a datagram still in flight from an earlier run
//! (or an earlier instance of a cluster's workload) is not taken for one of this run.
//!
//! # Coalescing
//!
//! A node sends the messages its handlers emitted during one poll together
//! ([`super::node`]): those to the same destination are packed, in the order they were
//! emitted, into as few datagrams as fit under [`DATAGRAM_MAX`] ([`coalesce`]), greedily: a
//! datagram takes messages until the next would not fit. A datagram that ends up holding one
//! message is sent as kind 0 (a serial exchange looks exactly as before coalescing).
//!
//! Decoding a coalesced datagram stays total. The header is judged first, for the whole
//! datagram (bad magic, version, sender: the datagram is refused). Then the frames are decoded
//! in order; at the first frame that is truncated (its length runs past the datagram, or the
//! datagram ends inside a length) or malformed (its bytes are not exactly one message) the
//! rest of the datagram is dropped: the messages before it are still delivered
//! ([`Datagram::Batch`] with `rest` set to the reason), and the node counts the datagram once
//! in its drops under that reason. If not even the first frame decodes, the datagram is
//! refused as a whole. A kind-2 datagram with no frame is malformed.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use thiserror::Error;

/// The first two bytes of every datagram.
pub const MAGIC: [u8; 2] = *b"FT";
/// The format version in byte 2.
pub const VERSION: u8 = 4;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 16;
/// Largest datagram sent or accepted, header included. Loopback carries up to 65,507 bytes of
/// UDP payload; 16 KiB is far above any message of the registered protocols at their CLI
/// bounds, while still bounding what a node buffers per datagram.
pub const DATAGRAM_MAX: usize = 16 * 1024;

/// Bytes a frame of a coalesced datagram spends on its length.
pub const FRAME_LEN: usize = 2;

const KIND_MSG: u8 = 0;
const KIND_WAKE: u8 = 1;
const KIND_BATCH: u8 = 2;
/// The kind of a reliable-channel segment.
pub const KIND_SEGMENT: u8 = 3;

/// A segment's datagram number: the number proper, in the low bits.
pub const NUMBER_MASK: u64 = (1 << 62) - 1;
/// Flag of a segment's datagram number: this datagram is the second copy of the one before it.
pub const NUMBER_COPY: u64 = 1 << 63;
/// Flag of a segment's datagram number: the sender saw datagrams from the receiver lost
/// lately, and asks it to send each datagram twice.
pub const NUMBER_LOSSY: u64 = 1 << 62;
/// Offset of a segment's datagram number.
const NUMBER_AT: usize = HEADER_LEN + 16;

/// Bytes of a segment before its acks: the header, two incarnations, the number, the count.
pub const SEGMENT_HEADER_LEN: usize = HEADER_LEN + 8 + 8 + 8 + 1;
/// Most acks in one segment.
pub const SEGMENT_ACKS_MAX: usize = 255;
/// Bytes a segment's frame spends on its sequence number and length.
pub const SEGMENT_FRAME_LEN: usize = 3;
/// Largest frame payload: one such frame and a full set of acks fit one datagram.
pub const SEGMENT_PAYLOAD_MAX: usize =
    DATAGRAM_MAX - SEGMENT_HEADER_LEN - SEGMENT_ACKS_MAX - SEGMENT_FRAME_LEN;

/// Why a datagram was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecodeError {
    /// Shorter than the header, or its payload (or a frame, or a frame's length) ends early.
    #[error("truncated")]
    Truncated,
    /// Bad magic, version or kind, or a payload (or a frame) that does not decode to exactly
    /// one message, or a coalesced datagram with no frame.
    #[error("malformed")]
    Malformed,
    /// Larger than [`DATAGRAM_MAX`].
    #[error("oversized")]
    Oversized,
    /// The sender id is not a peer, or the datagram did not come from that peer's address.
    #[error("unknown sender")]
    UnknownSender,
    /// From another run (or another instance of a cluster workload).
    #[error("wrong epoch")]
    WrongEpoch,
}

/// A datagram accepted by [`decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Datagram<Msg> {
    /// A protocol message from peer `src`.
    Msg { src: Id, epoch: u64, msg: Msg },
    /// Coalesced protocol messages from peer `src`, in the order they were sent. `rest` is
    /// why the datagram's remaining frames were dropped, if they were (`msgs` is then what
    /// came before the bad frame, never empty: a datagram whose first frame is bad is
    /// refused whole).
    Batch {
        src: Id,
        epoch: u64,
        msgs: Vec<Msg>,
        rest: Option<DecodeError>,
    },
    /// A nudge to look at the cluster's current epoch (sent by a cluster when it starts a new
    /// instance); it carries nothing the node has to trust.
    Wake { epoch: u64 },
}

/// Why a message could not be sent.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum EncodeError {
    /// The encoded datagram would exceed [`DATAGRAM_MAX`].
    #[error("message of {0} bytes exceeds the datagram limit")]
    TooLarge(usize),
    /// serde refused the message.
    #[error("cannot encode: {0}")]
    Serde(String),
}

fn header(buf: &mut Vec<u8>, kind: u8, src: Id, epoch: u64) {
    buf.clear();
    buf.extend_from_slice(&MAGIC);
    buf.push(VERSION);
    buf.push(kind);
    // Ids are actor indices; the CLI bounds the number of actors far below u32::MAX.
    buf.extend_from_slice(&(usize::from(src) as u32).to_le_bytes());
    buf.extend_from_slice(&epoch.to_le_bytes());
}

/// Encodes `msg` from `src` in `epoch` into `buf` (cleared first), reusing its allocation.
pub fn encode_into<Msg: Serialize>(
    buf: &mut Vec<u8>,
    src: Id,
    epoch: u64,
    msg: &Msg,
) -> Result<(), EncodeError> {
    header(buf, KIND_MSG, src, epoch);
    let taken = std::mem::take(buf);
    *buf = postcard::to_extend(msg, taken).map_err(|e| EncodeError::Serde(e.to_string()))?;
    if buf.len() > DATAGRAM_MAX {
        return Err(EncodeError::TooLarge(buf.len()));
    }
    Ok(())
}

/// Encodes `msg` alone (postcard, no header) at the end of `buf`: a payload for [`pack`].
/// Refuses a message that would not fit a datagram even alone.
pub fn encode_payload<Msg: Serialize>(buf: &mut Vec<u8>, msg: &Msg) -> Result<(), EncodeError> {
    let start = buf.len();
    let taken = std::mem::take(buf);
    *buf = postcard::to_extend(msg, taken).map_err(|e| EncodeError::Serde(e.to_string()))?;
    let len = buf.len() - start;
    if HEADER_LEN + len > DATAGRAM_MAX {
        buf.truncate(start);
        return Err(EncodeError::TooLarge(HEADER_LEN + len));
    }
    Ok(())
}

/// Splits `payloads` (each from [`encode_payload`], so each fits a datagram alone), in
/// order, into runs that each fit one datagram, greedily; returns each run's length. Each
/// run becomes one datagram ([`pack`]).
pub fn coalesce(payloads: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut runs = Vec::new();
    let (mut count, mut size) = (0usize, HEADER_LEN);
    for len in payloads {
        if count > 0 && size + FRAME_LEN + len > DATAGRAM_MAX {
            runs.push(count);
            (count, size) = (0, HEADER_LEN);
        }
        count += 1;
        size += FRAME_LEN + len;
    }
    if count > 0 {
        runs.push(count);
    }
    runs
}

/// Writes into `buf` (cleared first) the datagram carrying `payloads` (a run of
/// [`coalesce`]) from `src` in `epoch`: kind 0 for one payload, kind 2 (framed) for more.
pub fn pack<'p>(
    buf: &mut Vec<u8>,
    src: Id,
    epoch: u64,
    payloads: impl ExactSizeIterator<Item = &'p [u8]>,
) {
    if payloads.len() == 1 {
        header(buf, KIND_MSG, src, epoch);
        payloads.for_each(|p| buf.extend_from_slice(p));
        return;
    }
    header(buf, KIND_BATCH, src, epoch);
    for p in payloads {
        // A payload fits a datagram, and a datagram is far shorter than 64 KiB.
        buf.extend_from_slice(&(p.len() as u16).to_le_bytes());
        buf.extend_from_slice(p);
    }
}

/// `msgs` from `src` in `epoch`, coalesced into as few datagrams as fit, in order (as a node
/// sends the messages of one poll to one destination).
pub fn encode_coalesced<Msg: Serialize>(
    src: Id,
    epoch: u64,
    msgs: &[Msg],
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let mut bytes = Vec::new();
    let mut ends = Vec::with_capacity(msgs.len());
    for m in msgs {
        encode_payload(&mut bytes, m)?;
        ends.push(bytes.len());
    }
    let payload = |i: usize| &bytes[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
    let lens = (0..msgs.len()).map(|i| payload(i).len());
    let mut datagrams = Vec::new();
    let mut next = 0;
    for run in coalesce(lens) {
        let mut buf = Vec::new();
        pack(&mut buf, src, epoch, (next..next + run).map(payload));
        datagrams.push(buf);
        next += run;
    }
    Ok(datagrams)
}

/// [`encode_into`] into a new buffer.
pub fn encode<Msg: Serialize>(src: Id, epoch: u64, msg: &Msg) -> Result<Vec<u8>, EncodeError> {
    let mut buf = Vec::with_capacity(64);
    encode_into(&mut buf, src, epoch, msg)?;
    Ok(buf)
}

/// A wake datagram for `epoch`.
pub fn encode_wake(epoch: u64) -> Vec<u8> {
    let mut buf = Vec::with_capacity(HEADER_LEN);
    header(&mut buf, KIND_WAKE, Id::from(0), epoch);
    buf
}

/// Decodes one datagram for a node with `peers` peers (ids `0..peers`). The epoch and the
/// sender's address are judged by the node, which knows them; this judges the bytes.
pub fn decode<Msg: DeserializeOwned>(
    bytes: &[u8],
    peers: usize,
) -> Result<Datagram<Msg>, DecodeError> {
    if bytes.len() > DATAGRAM_MAX {
        return Err(DecodeError::Oversized);
    }
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    if bytes[0..2] != MAGIC || bytes[2] != VERSION {
        return Err(DecodeError::Malformed);
    }
    let src = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    let epoch = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    match bytes[3] {
        KIND_WAKE if payload.is_empty() => Ok(Datagram::Wake { epoch }),
        KIND_MSG => {
            if src >= peers {
                return Err(DecodeError::UnknownSender);
            }
            match postcard::take_from_bytes::<Msg>(payload) {
                Ok((msg, [])) => Ok(Datagram::Msg {
                    src: Id::from(src),
                    epoch,
                    msg,
                }),
                Ok(_) => Err(DecodeError::Malformed),
                Err(postcard::Error::DeserializeUnexpectedEnd) => Err(DecodeError::Truncated),
                Err(_) => Err(DecodeError::Malformed),
            }
        }
        KIND_BATCH => {
            if src >= peers {
                return Err(DecodeError::UnknownSender);
            }
            let (msgs, rest) = decode_frames::<Msg>(payload);
            match (msgs.is_empty(), rest) {
                (true, Some(reason)) => Err(reason),
                (true, None) => Err(DecodeError::Malformed),
                (false, rest) => Ok(Datagram::Batch {
                    src: Id::from(src),
                    epoch,
                    msgs,
                    rest,
                }),
            }
        }
        _ => Err(DecodeError::Malformed),
    }
}

/// Writes a segment's datagrams: `acks` and `frames` (each payload at most
/// [`SEGMENT_PAYLOAD_MAX`] bytes) packed greedily, in order, into as few datagrams as fit;
/// each datagram is built in `buf` and handed to `emit` with a number from `number`. With
/// nothing to carry, one empty segment (it tells the peer this node's incarnation).
#[allow(clippy::too_many_arguments)]
pub fn pack_segments(
    buf: &mut Vec<u8>,
    src: Id,
    epoch: u64,
    incarnations: (u64, u64),
    acks: &[u32],
    frames: &[(u32, &[u8])],
    mut number: impl FnMut() -> u64,
    mut emit: impl FnMut(&[u8]),
) {
    let (mut acks, mut frames) = (acks, frames);
    loop {
        header(buf, KIND_SEGMENT, src, epoch);
        buf.extend_from_slice(&incarnations.0.to_le_bytes());
        buf.extend_from_slice(&incarnations.1.to_le_bytes());
        buf.extend_from_slice(&number().to_le_bytes());
        let (now, later) = acks.split_at(acks.len().min(SEGMENT_ACKS_MAX));
        buf.push(now.len() as u8);
        // Sequence numbers are below 2^seq_bits <= 256.
        buf.extend(now.iter().map(|&a| a as u8));
        acks = later;
        while let Some(((seq, p), rest)) = frames.split_first() {
            if buf.len() + SEGMENT_FRAME_LEN + p.len() > DATAGRAM_MAX {
                break;
            }
            buf.push(*seq as u8);
            buf.extend_from_slice(&(p.len() as u16).to_le_bytes());
            buf.extend_from_slice(p);
            frames = rest;
        }
        emit(buf);
        if acks.is_empty() && frames.is_empty() {
            return;
        }
    }
}

/// A segment datagram (kind 3) from peer `src`, validated: every ack and frame sequence
/// number below `modulus`, every frame within the datagram.
pub fn decode_segment(
    bytes: &[u8],
    peers: usize,
    modulus: u64,
) -> Result<(Id, u64, super::transport::Received<'_>), DecodeError> {
    if bytes.len() > DATAGRAM_MAX {
        return Err(DecodeError::Oversized);
    }
    if bytes.len() < SEGMENT_HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    if bytes[0..2] != MAGIC || bytes[2] != VERSION || bytes[3] != KIND_SEGMENT {
        return Err(DecodeError::Malformed);
    }
    let src = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    if src >= peers {
        return Err(DecodeError::UnknownSender);
    }
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let epoch = u64_at(8);
    let (incarnation, peer_incarnation, number) = (u64_at(16), u64_at(24), u64_at(NUMBER_AT));
    let count = usize::from(bytes[40]);
    let rest = &bytes[SEGMENT_HEADER_LEN..];
    if rest.len() < count {
        return Err(DecodeError::Truncated);
    }
    let (acks, frames) = rest.split_at(count);
    if incarnation == 0 || acks.iter().any(|&a| u64::from(a) >= modulus) {
        return Err(DecodeError::Malformed);
    }
    let mut walk = frames;
    while !walk.is_empty() {
        let [seq, l0, l1, tail @ ..] = walk else {
            return Err(DecodeError::Truncated);
        };
        let len = usize::from(u16::from_le_bytes([*l0, *l1]));
        if u64::from(*seq) >= modulus {
            return Err(DecodeError::Malformed);
        }
        if tail.len() < len {
            return Err(DecodeError::Truncated);
        }
        walk = &tail[len..];
    }
    Ok((
        Id::from(src),
        epoch,
        super::transport::Received {
            incarnation,
            peer_incarnation,
            number: number & NUMBER_MASK,
            copy: number & NUMBER_COPY != 0,
            lossy: number & NUMBER_LOSSY != 0,
            acks,
            frames,
        },
    ))
}

/// Marks a segment datagram built by [`pack_segments`] as the second copy of itself.
pub fn mark_copy(datagram: &mut [u8]) {
    datagram[NUMBER_AT + 7] |= (NUMBER_COPY >> 56) as u8;
}

/// Appends one message payload (from [`encode_payload`]) to a frame payload as a kind-2 frame.
pub fn push_frame(buf: &mut Vec<u8>, payload: &[u8]) {
    buf.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    buf.extend_from_slice(payload);
}

/// The frames of a coalesced datagram, in order, up to the first bad one (and why it is bad).
pub fn decode_frames<Msg: DeserializeOwned>(mut rest: &[u8]) -> (Vec<Msg>, Option<DecodeError>) {
    let mut msgs = Vec::new();
    while !rest.is_empty() {
        let Some((len, after)) = rest.split_first_chunk::<FRAME_LEN>() else {
            return (msgs, Some(DecodeError::Truncated));
        };
        let len = usize::from(u16::from_le_bytes(*len));
        if after.len() < len {
            return (msgs, Some(DecodeError::Truncated));
        }
        let (frame, after) = after.split_at(len);
        match postcard::take_from_bytes::<Msg>(frame) {
            Ok((msg, [])) => msgs.push(msg),
            Ok(_) => return (msgs, Some(DecodeError::Malformed)),
            Err(postcard::Error::DeserializeUnexpectedEnd) => {
                return (msgs, Some(DecodeError::Truncated))
            }
            Err(_) => return (msgs, Some(DecodeError::Malformed)),
        }
        rest = after;
    }
    (msgs, None)
}

/// Encodes a node's storage for its file (postcard, no header: the file is the node's own).
pub fn encode_storage<S: Serialize>(storage: &S) -> Result<Vec<u8>, EncodeError> {
    postcard::to_stdvec(storage).map_err(|e| EncodeError::Serde(e.to_string()))
}

/// Decodes a node's storage file; `None` if it is not exactly one storage value.
pub fn decode_storage<S: DeserializeOwned>(bytes: &[u8]) -> Option<S> {
    match postcard::take_from_bytes::<S>(bytes) {
        Ok((s, [])) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    enum M {
        A(u64),
        B { s: String },
    }

    #[test]
    fn a_message_round_trips() {
        let bytes = encode(Id::from(2), 7, &M::B { s: "x".into() }).unwrap();
        assert_eq!(
            decode::<M>(&bytes, 3),
            Ok(Datagram::Msg {
                src: Id::from(2),
                epoch: 7,
                msg: M::B { s: "x".into() }
            })
        );
        assert_eq!(
            decode::<M>(&encode_wake(9), 3),
            Ok(Datagram::Wake { epoch: 9 })
        );
    }

    #[test]
    fn each_kind_of_bad_datagram_gets_its_reason() {
        let good = encode(Id::from(1), 1, &M::A(300)).unwrap();
        assert_eq!(decode::<M>(&good[..5], 3), Err(DecodeError::Truncated));
        assert_eq!(
            decode::<M>(&good[..good.len() - 1], 3),
            Err(DecodeError::Truncated)
        );
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        assert_eq!(decode::<M>(&bad_magic, 3), Err(DecodeError::Malformed));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode::<M>(&trailing, 3), Err(DecodeError::Malformed));
        let mut bad_variant = good.clone();
        bad_variant[HEADER_LEN] = 9;
        assert_eq!(decode::<M>(&bad_variant, 3), Err(DecodeError::Malformed));
        assert_eq!(decode::<M>(&good, 1), Err(DecodeError::UnknownSender));
        let huge = vec![0u8; DATAGRAM_MAX + 1];
        assert_eq!(decode::<M>(&huge, 3), Err(DecodeError::Oversized));
        let too_big = M::B {
            s: "y".repeat(DATAGRAM_MAX),
        };
        assert!(matches!(
            encode(Id::from(0), 1, &too_big),
            Err(EncodeError::TooLarge(_))
        ));
    }

    #[test]
    fn coalesced_messages_round_trip_in_order_and_split_at_the_limit() {
        let msgs: Vec<M> = (0..50).map(M::A).collect();
        let datagrams = encode_coalesced(Id::from(1), 4, &msgs).unwrap();
        assert_eq!(datagrams.len(), 1);
        assert_eq!(
            decode::<M>(&datagrams[0], 2),
            Ok(Datagram::Batch {
                src: Id::from(1),
                epoch: 4,
                msgs: msgs.clone(),
                rest: None
            })
        );
        // One message alone is sent as kind 0, as before coalescing.
        let one = encode_coalesced(Id::from(1), 4, &msgs[..1]).unwrap();
        assert_eq!(one, vec![encode(Id::from(1), 4, &msgs[0]).unwrap()]);
        // 40 messages of ~1 KiB: 16 per datagram at most, so 3 datagrams, all in order.
        let big: Vec<M> = (0..40)
            .map(|i| M::B {
                s: format!("{i:04}").repeat(250),
            })
            .collect();
        let datagrams = encode_coalesced(Id::from(0), 1, &big).unwrap();
        assert_eq!(datagrams.len(), 3);
        let mut back = Vec::new();
        for d in &datagrams {
            assert!(d.len() <= DATAGRAM_MAX);
            match decode::<M>(d, 1) {
                Ok(Datagram::Batch {
                    msgs, rest: None, ..
                }) => back.extend(msgs),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(back, big);
        // A message that fills a datagram alone goes alone, between full ones.
        let alone = M::B {
            s: "z".repeat(DATAGRAM_MAX - HEADER_LEN - 3),
        };
        let mixed = [M::A(1), alone, M::A(2)];
        let datagrams = encode_coalesced(Id::from(0), 1, &mixed).unwrap();
        assert_eq!(datagrams.len(), 3);
        assert!(datagrams
            .iter()
            .all(|d| d.len() <= DATAGRAM_MAX && d[3] == KIND_MSG));
    }

    #[test]
    fn a_bad_frame_drops_the_rest_of_its_datagram_with_a_reason() {
        let msgs = [M::A(1), M::A(2), M::A(3)];
        let good = encode_coalesced(Id::from(0), 1, &msgs).unwrap().remove(0);
        let batch = |n: usize, rest| {
            Ok(Datagram::Batch {
                src: Id::from(0),
                epoch: 1,
                msgs: msgs[..n].to_vec(),
                rest,
            })
        };
        // Frames are [len 2][0, 1] [len 2][0, 2] [len 2][0, 3] after the header.
        assert_eq!(
            decode::<M>(&good[..good.len() - 1], 1),
            batch(2, Some(DecodeError::Truncated))
        );
        assert_eq!(
            decode::<M>(&good[..HEADER_LEN + 5], 1),
            batch(1, Some(DecodeError::Truncated))
        );
        let mut bad_variant = good.clone();
        bad_variant[HEADER_LEN + 6] = 9;
        assert_eq!(
            decode::<M>(&bad_variant, 1),
            batch(1, Some(DecodeError::Malformed))
        );
        let mut long_frame = good.clone();
        long_frame[HEADER_LEN + 4] = 3; // a frame of 3 bytes: the message and one more
        assert_eq!(
            decode::<M>(&long_frame, 1),
            batch(1, Some(DecodeError::Malformed))
        );
        // The first frame bad: the datagram is refused whole.
        let mut first_bad = good.clone();
        first_bad[HEADER_LEN + 2] = 9;
        assert_eq!(decode::<M>(&first_bad, 1), Err(DecodeError::Malformed));
        assert_eq!(
            decode::<M>(&good[..HEADER_LEN + 1], 1),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            decode::<M>(&good[..HEADER_LEN], 1),
            Err(DecodeError::Malformed)
        );
        assert_eq!(decode::<M>(&good, 0), Err(DecodeError::UnknownSender));
        let mut old_version = good.clone();
        old_version[2] = 1;
        assert_eq!(decode::<M>(&old_version, 1), Err(DecodeError::Malformed));
    }
}
