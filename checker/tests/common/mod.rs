//! Helpers shared by the integration tests that read reports through the registry.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use checker::report::{PropertyReport, Report};

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
