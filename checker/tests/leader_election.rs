//! The abstract `leader-election` spec through the registry.

use checker::engine::{CheckOptions, Status};

mod common;

#[test]
fn the_spec_checks_on_its_own() {
    for (settings, states) in [
        (&["nodes=3", "terms=2"][..], 115),
        (&["nodes=3", "terms=1"][..], 13),
        (&["nodes=3", "terms=2", "highest-wins=true"][..], 27),
    ] {
        let r = common::check("leader-election", settings, &CheckOptions::default());
        assert!(r.complete && r.all_pass(), "{settings:?}");
        assert_eq!(r.unique_states, states, "{settings:?}");
        for p in &r.properties {
            assert!(
                matches!(p.status, Status::Holds | Status::Found),
                "{settings:?} {}",
                p.name
            );
        }
    }
}
