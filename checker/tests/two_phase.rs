//! `two-phase`, Lamport's TwoPhase spec: our engine's state counts equal stateright's on the same
//! model (and the counts stateright's `examples/2pc.rs` pins), every step refines
//! `atomic-commit`, and both outcomes are reachable.

use checker::engine::{CheckOptions, Status};
use stateright::{Checker, Model};

mod common;
use common::property;

#[test]
fn our_counts_are_stateright_counts_and_every_property_holds() {
    // stateright's examples/2pc.rs: 288 states at 3 RMs, 8,832 at 5; 296,448 at 7 is in its
    // README's table.
    for (rms, states) in [(1, 12), (3, 288), (5, 8_832)] {
        let setting = format!("rms={rms}");
        let r = common::check("two-phase", &[&setting], &CheckOptions::default());
        assert!(r.complete);
        assert_eq!(r.unique_states, states, "{rms} RMs");
        for p in &r.properties {
            let want = match p.kind {
                checker::engine::Kind::Sometimes => Status::Found,
                _ => Status::Holds,
            };
            assert_eq!(p.status, want, "{rms} RMs: {}", p.name);
        }
        let theirs = specs::two_phase::TwoPhase::new(rms)
            .unwrap()
            .checker()
            .spawn_bfs()
            .join();
        assert_eq!(theirs.unique_state_count() as u64, states, "{rms} RMs");
    }
    let r = common::check("two-phase", &["rms=3"], &CheckOptions::default());
    assert_eq!(property(&r, "refines atomic-commit").status, Status::Holds);
    let m = specs::two_phase::TwoPhase::new(3).unwrap();
    assert_eq!(m.init_states().len(), 1);
}

#[test]
fn symmetry_keeps_one_state_per_class_of_rms() {
    // Full symmetry of the RMs, one state per class (exactness is checked against every
    // permutation in tests/symmetry.rs): far below stateright's reduction of the same model
    // (its examples/2pc.rs: 107 / 276 / 665 / 1,521 / 3,521 at 3..=7 RMs), which sorts the
    // RMs by phase alone and so keeps several states per class.
    let opts = CheckOptions {
        symmetry: true,
        ..CheckOptions::default()
    };
    for (rms, states) in [(3, 80), (4, 166), (5, 314), (6, 553), (7, 920)] {
        let r = common::check_pinned("two-phase", &[&format!("rms={rms}")], &opts, states);
        assert!(r.all_pass(), "{rms} RMs: {:?}", r.properties);
    }
}
