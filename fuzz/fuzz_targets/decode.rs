//! Any bytes to the UDP driver's decoders, as the messages of real protocols: each call must
//! answer with a datagram or a typed refusal, never panic. Run with
//! `cargo +nightly fuzz run decode` from the repository root (see fuzz/README.md).

#![no_main]

use impls::udp::wire::{decode, decode_storage, encode, Datagram};
use libfuzzer_sys::fuzz_target;
use models::multi_paxos::MultiPaxosMsg;
use models::paxos::PaxosMsg;
use models::two_phase_commit::{TwoPcMsg, TwoPcStorage};

fuzz_target!(|data: &[u8]| {
    let peers = usize::from(data.first().copied().unwrap_or(3) % 8);
    if let Ok(Datagram::Msg { src, epoch, msg }) = decode::<TwoPcMsg>(data, peers) {
        // What decodes re-encodes to a datagram that decodes to the same message.
        let again = encode(src, epoch, &msg).expect("a decoded message re-encodes");
        assert_eq!(
            decode::<TwoPcMsg>(&again, peers),
            Ok(Datagram::Msg { src, epoch, msg })
        );
    }
    let _ = decode::<PaxosMsg>(data, peers);
    let _ = decode::<MultiPaxosMsg>(data, peers);
    let _ = decode_storage::<TwoPcStorage>(data);
});
