//! Any bytes to the UDP driver's decoders, as the messages of real protocols: each call must
//! answer with a datagram or a typed refusal, never panic. Single-message (kind 0) and
//! coalesced (kind 2) datagrams alike. Run with `cargo +nightly fuzz run decode` from the
//! repository root (see fuzz/README.md).

#![no_main]

use impls::udp::wire::{decode, decode_storage, encode, encode_coalesced, Datagram};
use libfuzzer_sys::fuzz_target;
use models::multi_paxos::MultiPaxosMsg;
use models::paxos::PaxosMsg;
use models::two_phase_commit::{TwoPcMsg, TwoPcStorage};

fuzz_target!(|data: &[u8]| {
    let peers = usize::from(data.first().copied().unwrap_or(3) % 8);
    match decode::<TwoPcMsg>(data, peers) {
        Ok(Datagram::Msg { src, epoch, msg }) => {
            // What decodes re-encodes to a datagram that decodes to the same message.
            let again = encode(src, epoch, &msg).expect("a decoded message re-encodes");
            assert_eq!(
                decode::<TwoPcMsg>(&again, peers),
                Ok(Datagram::Msg { src, epoch, msg })
            );
        }
        Ok(Datagram::Batch {
            src, epoch, msgs, ..
        }) => {
            // The messages of a coalesced datagram (up to a bad frame) re-encode, coalesced,
            // to datagrams that decode to the same messages in the same order.
            assert!(!msgs.is_empty(), "a batch holds at least one message");
            let again = encode_coalesced(src, epoch, &msgs).expect("decoded messages re-encode");
            let mut back = Vec::new();
            for d in &again {
                match decode::<TwoPcMsg>(d, peers) {
                    Ok(Datagram::Msg { msg, .. }) => back.push(msg),
                    Ok(Datagram::Batch {
                        msgs, rest: None, ..
                    }) => back.extend(msgs),
                    other => panic!("a re-encoded datagram decodes: {other:?}"),
                }
            }
            assert_eq!(back, msgs);
        }
        Ok(Datagram::Wake { .. }) | Err(_) => {}
    }
    let _ = decode::<PaxosMsg>(data, peers);
    let _ = decode::<MultiPaxosMsg>(data, peers);
    let _ = decode_storage::<TwoPcStorage>(data);
});
