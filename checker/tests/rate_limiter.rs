//! The three rate limiters through the registry: each keeps its promise, answers every request
//! and rejects only when out of room, at two sizes; the fixed-window counter admits 2w across a
//! window boundary, breaking the sliding window's promise; each broken limiter is caught; the
//! reject and retry phases are reachable; and the same on the simulator.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::RuntimeOptions;
use impls::nemesis::Faults;

mod common;
use common::{actions, property};

const LIMITERS: [&str; 3] = [
    "token-bucket",
    "sliding-window-limiter",
    "fixed-window-counter",
];
const NO_SILENT_LOSS: &str = "every request is admitted or rejected";
const NO_EARLY_REJECTION: &str = "no rejection while capacity is available";
const REJECTED: &str = "a request is rejected";
const RETRIED: &str = "a rejected request is admitted on retry";
const SLIDING: &str = "conforms to the sliding window";
const DOUBLE_BURST: &str = "2w admissions in t consecutive ticks";

fn check(name: &str, settings: &[&str]) -> Report {
    common::check(name, settings, &CheckOptions::default())
}

/// The admission ticks in the last state of a property's trace.
fn admitted_at_the_end(r: &Report, name: &str) -> serde_json::Value {
    let trace = property(r, name).trace.as_ref().expect("a trace");
    trace.last().unwrap().state["actors"]["limiter"]["state"]["Limiter"]["admitted"].clone()
}

/// The conformance property a limiter is judged by at its defaults.
fn conformance(name: &str) -> &'static str {
    match name {
        "token-bucket" => "conforms to the token bucket",
        "sliding-window-limiter" => SLIDING,
        _ => "conforms to the fixed window",
    }
}

#[test]
fn each_limiter_keeps_its_promise_at_two_sizes() {
    // Defaults: 2 clients with 2 requests each, 3 ticks, 1 retry; r = 1, b = 2 or w = 2, t = 2.
    let pinned: [(&str, &[&str], u64); 6] = [
        ("token-bucket", &[], 3218),
        ("token-bucket", &["ticks=4"], 6084),
        ("sliding-window-limiter", &[], 3192),
        ("sliding-window-limiter", &["ticks=4"], 6326),
        ("fixed-window-counter", &[], 3234),
        ("fixed-window-counter", &["ticks=4"], 6310),
    ];
    for (name, settings, states) in pinned {
        let r = check(name, settings);
        assert!(r.complete && r.all_pass(), "{name} {settings:?}");
        assert_eq!(r.unique_states, states, "{name} {settings:?}");
        for p in [conformance(name), NO_SILENT_LOSS, NO_EARLY_REJECTION] {
            assert_eq!(property(&r, p).status, Status::Holds, "{name}: {p}");
        }
        for p in [REJECTED, RETRIED] {
            assert_eq!(property(&r, p).status, Status::Found, "{name}: {p}");
        }
    }
}

#[test]
fn the_fixed_window_counter_admits_2w_across_a_window_boundary() {
    let name = "fixed-window-counter";
    let r = check(name, &["conformance=sliding-window"]);
    assert_eq!(r.unique_states, 3234);
    // The shortest breach of the sliding window: one admission at tick 1, the last tick of
    // window [0, 1], then two at tick 2, the first of window [2, 3]; three in ticks 1..=2.
    let p = property(&r, SLIDING);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "limiter: timeout Tick",
            "c1: timeout Send",
            "c1 -> limiter: Request { req: 0 }",
            "limiter -> c1: Admitted { req: 0 }",
            "limiter: timeout Tick",
            "c1: timeout Send",
            "c1 -> limiter: Request { req: 1 }",
            "c2: timeout Send",
            "c2 -> limiter: Request { req: 0 }",
        ]
    );
    assert_eq!(
        admitted_at_the_end(&r, SLIDING),
        serde_json::json!([1, 2, 2])
    );
    // The full burst, 2w = 4 admissions in 2 consecutive ticks, each window at its limit.
    let burst = property(&r, DOUBLE_BURST);
    assert_eq!(burst.status, Status::Found);
    assert_eq!(actions(burst).len(), 12);
    assert_eq!(
        admitted_at_the_end(&r, DOUBLE_BURST),
        serde_json::json!([1, 1, 2, 2])
    );
    // Its own promise it keeps, and it is never idle while its window has room.
    assert_eq!(property(&r, NO_EARLY_REJECTION).status, Status::Holds);
    let r = check(name, &[]);
    assert_eq!(
        property(&r, "conforms to the fixed window").status,
        Status::Holds
    );
    // With w = 1 the shortest breach is the whole 2w burst: ticks 1 and 2.
    let r = check(name, &["conformance=sliding-window", "limit=1"]);
    let p = property(&r, SLIDING);
    assert_eq!(actions(p).len(), 6);
    assert_eq!(admitted_at_the_end(&r, SLIDING), serde_json::json!([1, 2]));
}

#[test]
fn one_tick_windows_have_no_boundary_to_burst_across() {
    // With t = 1 the fixed and the sliding window are the same, so the burst is gone.
    let r = check(
        "fixed-window-counter",
        &["conformance=sliding-window", "window=1"],
    );
    assert_eq!(property(&r, DOUBLE_BURST).status, Status::NotFound);
    assert_eq!(property(&r, SLIDING).status, Status::Holds);
    assert_eq!(property(&r, NO_SILENT_LOSS).status, Status::Holds);
}

#[test]
fn a_limiter_that_admits_too_much_breaks_its_promise() {
    // (limiter, the trace's length, its admission ticks at the end)
    let cases: [(&str, usize, serde_json::Value); 3] = [
        // The uncapped bucket holds 3 tokens after one idle tick: 3 admissions at tick 1.
        ("token-bucket", 8, serde_json::json!([1, 1, 1])),
        // The window forgets tick 0 at tick 1: 3 admissions in ticks 0..=1.
        ("sliding-window-limiter", 8, serde_json::json!([0, 1, 1])),
        // The counter admits while count <= w: 3 admissions at tick 0.
        ("fixed-window-counter", 7, serde_json::json!([0, 0, 0])),
    ];
    for (name, steps, ticks) in cases {
        let r = check(name, &["bug=over-admit"]);
        let p = property(&r, conformance(name));
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p).len(), steps, "{name}");
        assert_eq!(admitted_at_the_end(&r, conformance(name)), ticks, "{name}");
    }
}

#[test]
fn a_limiter_that_keeps_a_reserve_rejects_with_room_left() {
    for name in LIMITERS {
        let r = check(name, &["bug=under-admit"]);
        let p = property(&r, NO_EARLY_REJECTION);
        assert_eq!(p.status, Status::Violated, "{name}");
        // One admission at tick 0, then a rejection: the promise allows 2.
        assert_eq!(
            actions(p),
            [
                "c1: timeout Send",
                "c1 -> limiter: Request { req: 0 }",
                "c2: timeout Send",
                "c2 -> limiter: Request { req: 0 }",
            ],
            "{name}"
        );
        assert_eq!(property(&r, conformance(name)).status, Status::Holds);
    }
}

#[test]
fn a_limiter_that_drops_what_it_cannot_admit_loses_requests_silently() {
    for name in LIMITERS {
        let r = check(name, &["bug=silent-drop"]);
        let p = property(&r, NO_SILENT_LOSS);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert_eq!(actions(p).len(), 10, "{name}");
        assert_eq!(property(&r, "deadlock").status, Status::Violated, "{name}");
        // Safety is intact: a dropped request is neither admitted nor rejected.
        assert_eq!(property(&r, conformance(name)).status, Status::Holds);
        assert_eq!(property(&r, NO_EARLY_REJECTION).status, Status::Holds);
    }
    let r = check("token-bucket", &["bug=silent-drop"]);
    assert_eq!(
        actions(property(&r, NO_SILENT_LOSS)),
        [
            "limiter: timeout Tick",
            "limiter: timeout Tick",
            "limiter: timeout Tick",
            "c1: timeout Send",
            "c1 -> limiter: Request { req: 0 }",
            "limiter -> c1: Admitted { req: 0 }",
            "c1: timeout Send",
            "c1 -> limiter: Request { req: 1 }",
            "limiter -> c1: Admitted { req: 1 }",
            "c2: timeout Send",
        ]
    );
}

#[test]
fn the_reject_and_retry_phases_are_reached_and_need_their_settings() {
    let r = check("token-bucket", &[]);
    // c2's request finds the bucket empty at tick 0, and its retry after a tick gets in.
    assert_eq!(
        actions(property(&r, RETRIED)),
        [
            "c1: timeout Send",
            "c1 -> limiter: Request { req: 0 }",
            "limiter -> c1: Admitted { req: 0 }",
            "c1: timeout Send",
            "c1 -> limiter: Request { req: 1 }",
            "c2: timeout Send",
            "c2 -> limiter: Request { req: 0 }",
            "limiter -> c2: Rejected { req: 0 }",
            "limiter: timeout Tick",
            "c2: timeout Send",
            "c2 -> limiter: Request { req: 0 }",
            "limiter -> c2: Admitted { req: 0 }",
        ]
    );
    assert_eq!(actions(property(&r, REJECTED)).len(), 7);
    // One request never exhausts a budget of 2; without retries none is admitted on one.
    for name in LIMITERS {
        let r = check(name, &["clients=1", "requests=1"]);
        assert_eq!(property(&r, REJECTED).status, Status::NotFound, "{name}");
        let r = check(name, &["max-retries=0"]);
        assert_eq!(property(&r, RETRIED).status, Status::NotFound, "{name}");
        assert_eq!(property(&r, REJECTED).status, Status::Found, "{name}");
    }
}

#[test]
fn a_lossy_network_loses_requests_without_a_word() {
    // No retransmission: a lost request leaves its client waiting (an assumption violated).
    // The trace runs to the end, where nothing is left to happen.
    let r = check("sliding-window-limiter", &["lossy=true"]);
    let p = property(&r, NO_SILENT_LOSS);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "limiter: timeout Tick",
            "limiter: timeout Tick",
            "limiter: timeout Tick",
            "c1: timeout Send",
            "lost c1 -> limiter: Request { req: 0 }",
            "c2: timeout Send",
            "lost c2 -> limiter: Request { req: 0 }",
        ]
    );
}

#[test]
fn bad_settings_are_refused() {
    let err = |name, settings: &[&str]| {
        registry::check(name, settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err("token-bucket", &["rate=0"]).contains("rate must be in 1..=3"));
    assert!(err("token-bucket", &["limit=2"]).contains("limit"));
    assert!(err("sliding-window-limiter", &["window=9"]).contains("window must be in 1..=4"));
    assert!(err("fixed-window-counter", &["clients=4"]).contains("clients must be in 1..=3"));
    assert!(err("fixed-window-counter", &["crashes=1"]).contains("crashes"));
    assert!(err("fixed-window-counter", &["bug=late"]).contains("over-admit"));
}

#[test]
fn on_the_simulator_every_request_is_answered_and_the_fixed_window_bursts() {
    let opts = RuntimeOptions {
        seed: 0,
        runs: 300,
        faults: Faults::HEAVY,
        require_goal: true,
        keep_traces: false,
    };
    for name in LIMITERS {
        let r = registry::run(name, &[], &opts)
            .unwrap()
            .expect("an actor protocol");
        assert!(
            r.failures.is_empty(),
            "{name}: {:?}",
            r.failures[0].problems()
        );
        assert_eq!(r.goal_reached, r.runs, "{name}");
    }
    // Real timers, too, put a burst across a boundary: the run's safety check catches it.
    let r = registry::run(
        "fixed-window-counter",
        &["conformance=sliding-window"],
        &RuntimeOptions {
            faults: Faults::DEFAULT,
            ..opts
        },
    )
    .unwrap()
    .unwrap();
    assert!(!r.failures.is_empty());
    assert!(r.failures[0].problems().iter().any(|p| p.contains(SLIDING)));
}

#[test]
fn coverage_fires_every_declared_kind_and_loss_of_each_message() {
    let opts = CheckOptions {
        coverage: true,
        ..CheckOptions::default()
    };
    for name in LIMITERS {
        let r = common::check(name, &["lossy=true"], &opts);
        let cov = r.coverage.as_ref().unwrap();
        assert!(cov.never_fired.is_empty(), "{name}: {:?}", cov.never_fired);
        for kind in [
            "client receives Rejected",
            "limiter timeout Tick",
            "lost Request",
            "lost Rejected",
        ] {
            assert!(cov.fired[kind] > 0, "{name}: {kind}");
        }
    }
}

#[test]
fn interchangeable_clients_halve_the_states_and_keep_every_verdict() {
    let opts = CheckOptions {
        symmetry: true,
        safety_only: true,
        ..CheckOptions::default()
    };
    for (name, states) in [
        ("token-bucket", 1697),
        ("sliding-window-limiter", 1684),
        ("fixed-window-counter", 1710),
    ] {
        let r = common::check(name, &[], &opts);
        assert!(r.complete && r.all_pass(), "{name}");
        assert_eq!(r.unique_states, states, "{name}");
    }
    let r = common::check(
        "fixed-window-counter",
        &["conformance=sliding-window"],
        &opts,
    );
    let p = property(&r, SLIDING);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(actions(p).len(), 9);
}
