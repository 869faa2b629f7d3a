//! The wire format: one message per datagram, a fixed header then the message encoded with
//! [postcard](https://docs.rs/postcard) (the codec was chosen by measurement; see the README's
//! "Run over UDP" section and `benches/benches/udp.rs`).
//!
//! ```text
//! offset  size  field
//!      0     2  magic "FT"
//!      2     1  version (1)
//!      3     1  kind: 0 = protocol message, 1 = wake (no payload)
//!      4     4  sender id, little endian
//!      8     8  epoch (run id), little endian
//!     16     *  payload: the message, postcard-encoded (empty for a wake)
//! ```
//!
//! A datagram is at most [`DATAGRAM_MAX`] bytes. [`decode`] never panics: every datagram it
//! refuses gets a [`DecodeError`] naming why, which the node counts. The epoch tells runs
//! apart, so that a datagram still in flight from an earlier run (or an earlier instance of a
//! cluster's workload) is not taken for one of this run.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use thiserror::Error;

/// The first two bytes of every datagram.
pub const MAGIC: [u8; 2] = *b"FT";
/// The format version in byte 2.
pub const VERSION: u8 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 16;
/// Largest datagram sent or accepted, header included. Loopback carries up to 65,507 bytes of
/// UDP payload; 16 KiB is far above any message of the registered protocols at their CLI
/// bounds, while still bounding what a node buffers per datagram.
pub const DATAGRAM_MAX: usize = 16 * 1024;

const KIND_MSG: u8 = 0;
const KIND_WAKE: u8 = 1;

/// Why a datagram was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecodeError {
    /// Shorter than the header, or its payload ends early.
    #[error("truncated")]
    Truncated,
    /// Bad magic, version or kind, or a payload that does not decode to exactly one message.
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
        _ => Err(DecodeError::Malformed),
    }
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

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
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
}
