//! Helpers shared by the integration tests that read reports through the registry.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use checker::registry::{self, EntryKind};
use checker::report::{PropertyReport, Report};

/// Every registered actor protocol, from the registry's `kind`: what every registry-driven
/// runtime test must have run (a guard against a hook silently answering `None`; the tests
/// themselves iterate over the registry).
pub fn actor_protocols() -> Vec<&'static str> {
    let names: Vec<&'static str> = registry::all()
        .into_iter()
        .filter(|e| e.entry_kind() == EntryKind::Protocol)
        .map(|e| e.name)
        .collect();
    assert!(names.contains(&"two-phase-commit"), "{names:?}");
    names
}

/// The report's verdict on property `name` (panics with the name if there is none).
pub fn property<'a>(r: &'a Report, name: &str) -> &'a PropertyReport {
    r.properties
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

/// The actions of a property's trace in words, after the initial state.
pub fn actions(p: &PropertyReport) -> Vec<&str> {
    p.trace
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no trace", p.name))[1..]
        .iter()
        .map(|s| s.action.as_str())
        .collect()
}
