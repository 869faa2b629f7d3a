//! The Byzantine generals through the registry: OM(m) and SM(m) of Lamport, Shostak and Pease
//! against `byzantine-agreement`. OM(1) with four generals and any one traitor is safe; with
//! three generals a traitor lieutenant breaks IC2 (the paper's impossibility); OM(0) with a
//! traitor commander breaks IC1; SM(1) with three generals is safe, and a forging traitor
//! breaks it; a lossy network breaks termination (the synchrony assumption); and the same
//! actors run on the simulator with seeded traitors.

use checker::engine::{CheckOptions, Status};
use checker::registry;
use checker::report::Report;
use impls::checked::RuntimeOptions;
use impls::nemesis::Faults;

mod common;
use common::{actions, property};

const IC1: &str = "loyal lieutenants obey the same order";
const IC2: &str = "loyal lieutenants obey a loyal commander";
const TERMINATION: &str = "every loyal lieutenant decides";

fn check(name: &str, settings: &[&str]) -> Report {
    common::check(name, settings, &CheckOptions::default())
}

fn holds(r: &Report) {
    assert!(r.complete);
    for p in [IC1, IC2, TERMINATION, "refinement", "deadlock"] {
        assert_eq!(property(r, p).status, Status::Holds, "{p}");
    }
}

#[test]
fn om_1_with_four_generals_tolerates_any_one_traitor_at_two_sizes() {
    // `any:1` starts from every placement at once (7 initial states: the commander as
    // traitor, or one of three lieutenants with each order); a fixed placement is a part.
    for (settings, states) in [
        (&["traitors=any:1"][..], 4411),
        (&["traitors=0"][..], 1111),
        (&["traitors=3"][..], 1100),
        (&["traitors=none", "orders=3"][..], 375),
    ] {
        let r = check("om", settings);
        holds(&r);
        assert_eq!(r.unique_states, states, "{settings:?}");
    }
}

#[test]
fn om_1_with_three_generals_fails_as_the_paper_proves() {
    // A loyal commander says attack; the traitor l1 tells l2 it heard retreat; l2's two
    // values tie and it retreats (the default). IC1 holds (l2 is the only loyal lieutenant).
    let r = check("om", &["generals=3"]);
    let p = property(&r, IC2);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "commander -> l1: Values { values: [([0], Attack)] }",
            "commander -> l2: Values { values: [([0], Attack)] }",
            "l1 chooses to l2 = [([0, 1], Retreat)]",
            "l1 -> l2: Values { values: [([0, 1], Retreat)] }",
        ]
    );
    assert_eq!(property(&r, IC1).status, Status::Holds);
    assert_eq!(property(&r, "refinement").status, Status::Violated);
}

#[test]
fn om_0_fails_with_one_traitor_commander() {
    // Fewer rounds than traitors: OM(0) is "obey what the commander says", and a traitor
    // commander says different things.
    let r = check("om", &["m=0"]);
    let p = property(&r, IC1);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "commander chooses to l1 = [([0], Retreat)]",
            "commander -> l1: Values { values: [([0], Retreat)] }",
            "commander chooses to l2 = [([0], Attack)]",
            "commander -> l2: Values { values: [([0], Attack)] }",
        ]
    );
    // With a loyal commander OM(0) is enough.
    holds(&check("om", &["m=0", "traitors=3"]));
}

#[test]
fn sm_0_fails_with_one_traitor_commander() {
    // The commander withholds from l1 (who retreats by default) and signs attack for l2.
    let r = check("sm", &["m=0"]);
    let p = property(&r, IC1);
    assert_eq!(p.status, Status::Violated);
    assert_eq!(
        actions(p),
        [
            "commander chooses to l1 = []",
            "commander -> l1: Signed { round: 0, orders: [] }",
            "commander chooses to l2 = [SignedOrder { order: Attack, signers: [0] }]",
            "commander -> l2: Signed { round: 0, orders: [SignedOrder { order: Attack, signers: [0] }] }",
        ]
    );
}

#[test]
fn sm_1_with_three_generals_holds_and_a_forger_breaks_it() {
    let r = check("sm", &[]);
    holds(&r);
    assert_eq!(r.unique_states, 229);
    let r = check("sm", &["forge=true"]);
    let p = property(&r, IC2);
    assert_eq!(p.status, Status::Violated);
    // l1 signs retreat over the commander's forged signature; l2 holds both orders and
    // retreats.
    assert_eq!(
        actions(p),
        [
            "commander -> l1: Signed { round: 0, orders: [SignedOrder { order: Attack, signers: [0] }] }",
            "commander -> l2: Signed { round: 0, orders: [SignedOrder { order: Attack, signers: [0] }] }",
            "l1 chooses to l2 = [SignedOrder { order: Retreat, signers: [0, 1] }]",
            "l1 -> l2: Signed { round: 1, orders: [SignedOrder { order: Retreat, signers: [0, 1] }] }",
        ]
    );
}

#[test]
fn a_lossy_network_breaks_the_synchrony_and_termination() {
    // A lost message is a round that never ends: nobody decides, for ever.
    for name in ["om", "sm"] {
        let r = check(name, &["traitors=none", "lossy=true"]);
        let p = property(&r, TERMINATION);
        assert_eq!(p.status, Status::Violated, "{name}");
        assert!(actions(p).len() <= 3, "{name}");
        assert!(actions(p)[0].starts_with("lost commander -> l1"), "{name}");
        assert_eq!(property(&r, "deadlock").status, Status::Violated, "{name}");
        assert_eq!(property(&r, IC1).status, Status::Holds, "{name}");
    }
}

#[test]
fn bad_settings_are_refused() {
    let err = |name: &str, settings: &[&str]| {
        registry::check(name, settings, &CheckOptions::default())
            .expect_err("refused")
            .to_string()
    };
    assert!(err("om", &["generals=11"]).contains("generals must be in 3..=10"));
    assert!(err("om", &["generals=3", "m=2"]).contains("m must be at most generals - 2"));
    assert!(err("om", &["traitors=4"]).contains("traitor 4 is not a general"));
    assert!(err("om", &["traitors=many"]).contains("traitors must be"));
    assert!(err("sm", &["traitors=any:4"]).contains("any:4 traitors among 3 generals"));
    assert!(err("om", &["crashes=1"]).contains("crashes must be in 0..=0"));
}

#[test]
fn on_the_runtime_seeded_traitors_never_break_om_1_with_four_generals() {
    // The runtime runs the first start (the commander a traitor for `any:1`, a lieutenant for
    // `traitors=3`), its choices resolved by the seed; every step replayed through the model.
    for (name, settings) in [
        ("om", &["traitors=any:1"][..]),
        ("om", &["traitors=3"][..]),
        ("om", &["generals=7", "m=2", "traitors=5,6"][..]),
        ("sm", &[][..]),
    ] {
        let opts = RuntimeOptions {
            seed: 0,
            runs: 200,
            faults: Faults::NONE,
            require_goal: true,
            keep_traces: false,
        };
        let r = registry::run(name, settings, &opts)
            .expect("valid")
            .expect("an actor protocol");
        assert!(
            r.failures.is_empty(),
            "{name} {settings:?}: {:?}",
            r.failures[0].problems()
        );
    }
}
