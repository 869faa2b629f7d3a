//! Stop-and-wait, Go-Back-N and Selective Repeat through the registry: each refines
//! `reliable-channel` and delivers every message under strong fairness at the textbook window
//! bounds (pinned as holding: the bounds are tight); one window more, or a reordering link
//! under the alternating bit, and a stale frame is accepted as new; without the timer a loss
//! is never repaired; fast retransmit repairs one loss without the timer, except at the tail.
//! And the same actors on the simulator.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::RuntimeOptions;
use impls::nemesis::Faults;

mod common;
use common::{actions, check_pinned, property};

const SAW: &str = "stop-and-wait";
const GBN: &str = "go-back-n";
const SR: &str = "selective-repeat";
const PREFIX: &str = "output is a prefix of input";
const DELIVERED: &str = "every message is delivered";

fn pinned(name: &str, settings: &[&str], states: u64) -> Report {
    check_pinned(name, settings, &CheckOptions::default(), states)
}

fn check(name: &str, settings: &[&str]) -> Report {
    common::check(name, settings, &CheckOptions::default())
}

/// Every property holds, the refinement included, and the search completed.
fn assert_correct(r: &Report, what: &str) {
    assert!(r.complete && r.all_pass(), "{what}");
    assert_eq!(property(r, "refinement").status, Status::Holds, "{what}");
    assert_eq!(property(r, DELIVERED).status, Status::Holds, "{what}");
}

#[test]
fn the_spec_alone_has_the_pairs_of_prefix_lengths() {
    // Input length i in 0..=n, output length o in 0..=i: (n + 1)(n + 2) / 2 states.
    for (messages, states) in [(3, 10), (8, 45)] {
        let r = pinned(
            "reliable-channel",
            &[&format!("messages={messages}")],
            states,
        );
        assert!(r.all_pass());
    }
}

#[test]
fn each_protocol_refines_the_channel_at_two_sizes() {
    for (name, rows) in [
        (SAW, [(3, 38), (8, 103)]),
        (GBN, [(3, 131), (5, 309)]),
        (SR, [(3, 166), (5, 334)]),
    ] {
        for (messages, states) in rows {
            let settings = [format!("messages={messages}")];
            let settings: Vec<&str> = settings.iter().map(String::as_str).collect();
            let r = pinned(name, &settings, states);
            assert_correct(&r, &format!("{name} {settings:?}"));
        }
    }
}

#[test]
fn the_window_bounds_are_tight_and_hold() {
    // Go-Back-N: w = 2^k - 1; Selective Repeat: w = 2^(k-1); one more fails (below).
    for (name, settings, states) in [
        (GBN, ["seq-bits=1", "window=1", "messages=3"], 38),
        (GBN, ["seq-bits=2", "window=3", "messages=5"], 309),
        (SR, ["seq-bits=1", "window=1", "messages=3"], 38),
        (SR, ["seq-bits=2", "window=2", "messages=5"], 334),
        (SR, ["seq-bits=3", "window=4", "messages=4"], 2372),
    ] {
        let r = pinned(name, &settings, states);
        assert_correct(&r, &format!("{name} {settings:?}"));
    }
}

#[test]
fn selective_repeat_with_a_window_over_half_the_sequence_space_accepts_an_old_frame() {
    // k = 1, w = 2: frame 0 arrives, its ack is lost, frame 1 arrives and the receiver's
    // window moves on to frames 2 and 3, numbered 0 and 1 again; the retransmitted frame 0
    // lies in it and is taken for message 2.
    let r = check(SR, &["seq-bits=1", "window=2"]);
    let p = property(&r, PREFIX);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "sender -> receiver: Frame { seq: 0, payload: 0 }",
            "lost receiver -> sender: Ack { seq: 0 }",
            "sender -> receiver: Frame { seq: 1, payload: 1 }",
            "sender: timeout Frame(0)",
            "sender -> receiver: Frame { seq: 0, payload: 0 }",
        ]
    );
    assert_eq!(property(&r, "refinement").status, Status::Violated);
    // k = 2, w = 3: the same after three acks are lost (10 steps).
    let r = check(SR, &["window=3", "messages=4"]);
    let p = property(&r, PREFIX);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(actions(p).len(), 10);
    assert_eq!(
        actions(p)[7],
        "sender -> receiver: Frame { seq: 0, payload: 0 }"
    );
}

#[test]
fn go_back_n_with_a_window_of_the_whole_sequence_space_accepts_an_old_frame() {
    // Frames are never lost here (with three messages every frame is in the stream's tail,
    // `tail-loss=false`), only acks: frame 0's ack is lost, the timer fires early, and the
    // resent frame 0 arrives when the receiver expects frame 2, also numbered 0.
    let r = check(GBN, &["seq-bits=1", "window=2", "tail-loss=false"]);
    assert_eq!(r.unique_states, 85);
    let p = property(&r, PREFIX);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "sender -> receiver: Frame { seq: 0, payload: 0 }",
            "lost receiver -> sender: Ack { seq: 0 }",
            "sender -> receiver: Frame { seq: 1, payload: 1 }",
            "sender: timeout Window",
            "sender -> receiver: Frame { seq: 0, payload: 0 }",
        ]
    );
    // With frames lost too the shortest run is the same ambiguity the other way round: the
    // receiver's ack of "nothing yet" (the number before 0) names the last frame of a full
    // window, and the sender takes it for an ack of the whole window.
    let r = check(GBN, &["seq-bits=1", "window=2"]);
    let p = property(&r, PREFIX);
    assert_eq!(
        actions(p),
        [
            "lost sender -> receiver: Frame { seq: 0, payload: 0 }",
            "sender -> receiver: Frame { seq: 1, payload: 1 }",
            "receiver -> sender: Ack { seq: 1 }",
            "sender -> receiver: Frame { seq: 0, payload: 2 }",
        ]
    );
    assert_eq!(property(&r, DELIVERED).status, Status::Violated);
    // k = 2, w = 4.
    let r = check(GBN, &["window=4", "messages=5"]);
    assert_eq!(actions(property(&r, PREFIX)).len(), 6);
}

#[test]
fn the_alternating_bit_over_a_reordering_link_delivers_a_stale_frame() {
    // The timer fires early and a second copy of frame 0 stays on the link while frame 1
    // goes through; it arrives when the receiver expects bit 0 again.
    let r = check(SAW, &["network=unordered-nonduplicating"]);
    assert_eq!(r.unique_states, 116);
    let p = property(&r, PREFIX);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "sender -> receiver: Frame { seq: 0, payload: 0 }",
            "sender: timeout Window",
            "receiver -> sender: Ack { seq: 0 }",
            "sender -> receiver: Frame { seq: 1, payload: 1 }",
            "sender -> receiver: Frame { seq: 0, payload: 0 }",
        ]
    );
    assert_eq!(property(&r, "refinement").status, Status::Violated);
    // A duplicating link does the same.
    let r = check(SAW, &["network=unordered-duplicating"]);
    assert_eq!(property(&r, PREFIX).status, Status::Violated);
}

#[test]
fn without_the_timer_a_lost_frame_is_never_repaired() {
    // The shortest run loses every frame of the first window.
    for (name, states, steps) in [(SAW, 13, 1), (GBN, 40, 3), (SR, 33, 2)] {
        let r = check(name, &["timer=false"]);
        assert_eq!(r.unique_states, states, "{name}");
        let p = property(&r, DELIVERED);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p).len(), steps, "{name}");
        assert!(actions(p).iter().all(|a| a.starts_with("lost ")), "{name}");
        assert_eq!(property(&r, PREFIX).status, Status::Holds, "{name}");
        assert_eq!(property(&r, "deadlock").status, Status::Violated, "{name}");
    }
}

/// Go-Back-N, 4 messages in a window of 4 (3 sequence bits), no timer, at most one loss.
const ONE_LOSS: [&str; 5] = [
    "seq-bits=3",
    "window=4",
    "messages=4",
    "timer=false",
    "losses=1",
];

fn one_loss(extra: &[&str]) -> Report {
    let settings: Vec<&str> = ONE_LOSS.iter().chain(extra).copied().collect();
    check(GBN, &settings)
}

#[test]
fn fast_retransmit_repairs_one_loss_without_the_timer() {
    let r = one_loss(&["tail-loss=false", "fast-retransmit=true"]);
    assert_eq!(r.unique_states, 49);
    assert_correct(&r, "fast retransmit");
    // Without it the three duplicate acks change nothing and the transfer stops.
    let r = one_loss(&["tail-loss=false"]);
    assert_eq!(r.unique_states, 41);
    let p = property(&r, DELIVERED);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "lost sender -> receiver: Frame { seq: 0, payload: 0 }",
            "sender -> receiver: Frame { seq: 1, payload: 1 }",
            "sender -> receiver: Frame { seq: 2, payload: 2 }",
            "sender -> receiver: Frame { seq: 3, payload: 3 }",
            "receiver -> sender: Ack { seq: 7 }",
            "receiver -> sender: Ack { seq: 7 }",
            "receiver -> sender: Ack { seq: 7 }",
        ]
    );
}

#[test]
fn fast_retransmit_cannot_see_a_loss_at_the_tail() {
    // Frame 1 lost: only two frames follow, two duplicate acks, never three. TCP keeps its
    // retransmission timer for this.
    let r = one_loss(&["fast-retransmit=true"]);
    assert_eq!(r.unique_states, 69);
    let p = property(&r, DELIVERED);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p)[1],
        "lost sender -> receiver: Frame { seq: 1, payload: 1 }"
    );
    assert_eq!(actions(p).len(), 7);
}

#[test]
fn bad_settings_are_refused() {
    let err = |name: &str, settings: &[&str]| {
        registry::check(name, settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err(GBN, &["window=5"]).contains("window must be at most 2^seq-bits = 4"));
    assert!(err(SR, &["window=129"]).contains("window must be in 1..=128"));
    assert!(err(SR, &["fast-retransmit=true"]).contains("fast-retransmit"));
    assert!(err(SAW, &["window=2"]).contains("window"));
    assert!(err(GBN, &["messages=0"]).contains("messages must be in 1..=10000"));
    assert!(err(GBN, &["seq-bits=9"]).contains("seq-bits must be in 1..=8"));
    assert!(err(GBN, &["lossy=false", "losses=1"]).contains("lossy=true"));
    assert!(err(GBN, &["crashes=1"]).contains("crashes must be in 0..=0"));
}

#[test]
fn on_the_simulator_every_run_delivers_the_stream() {
    for name in [SAW, GBN, SR] {
        let opts = RuntimeOptions {
            seed: 0,
            runs: 300,
            faults: Faults::HEAVY,
            require_goal: true,
            keep_traces: false,
        };
        let r = registry::run(name, &[], &opts)
            .expect("valid")
            .expect("an actor protocol");
        assert!(
            r.failures.is_empty(),
            "{name}: {:?}",
            r.failures[0].problems()
        );
        assert_eq!(r.goal_reached, 300, "{name}");
    }
}

#[test]
fn on_the_simulator_an_oversized_selective_repeat_window_is_caught() {
    let opts = RuntimeOptions {
        seed: 0,
        runs: 50,
        faults: Faults::HEAVY,
        require_goal: false,
        keep_traces: false,
    };
    let r = registry::run(SR, &["seq-bits=1", "window=2"], &opts)
        .expect("valid")
        .expect("an actor protocol");
    assert!(r
        .failures
        .iter()
        .any(|f| f.violations.iter().any(|v| v.property == PREFIX)));
    assert!(r.failures.iter().all(|f| f.divergence.is_none()));
}

#[test]
fn the_udp_transport_window_is_a_checked_configuration() {
    // The reliable channel of the UDP driver runs Selective Repeat with this window; the
    // check wraps the 3-bit sequence space one and a half times (12 messages).
    let w = impls::udp::transport::WINDOW;
    let settings = impls::udp::transport::WINDOW_CHECK;
    assert_eq!(settings[0], format!("seq-bits={}", w.seq_bits));
    assert_eq!(settings[1], format!("window={}", w.size));
    assert_eq!(w.arq, models::arq::Arq::SelectiveRepeat);
    let r = pinned(SR, &settings, 18095);
    assert_correct(&r, "the transport's window");
    // On a reordering link the same window accepts a stale frame: the transport keeps its
    // link in order (it drops datagrams older than the newest received).
    let mut reordering = settings.to_vec();
    reordering.push("network=unordered-nonduplicating");
    let r = check(SR, &reordering);
    assert_eq!(property(&r, PREFIX).status, Status::Violated);
}
