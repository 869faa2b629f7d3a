//! Helpers shared by the integration tests that read reports through the registry.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use checker::engine::CheckOptions;
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

/// The unique states a check in the suite may explore when its count is not pinned: a few
/// times the largest pinned count (FLP's 503,496). A regression that makes a state space grow
/// without bound then fails with the count it reached, instead of hanging or eating the
/// machine's memory.
pub const STATES_MAX: u64 = 2_000_000;

/// Checks `name` at `settings` through the registry, stopping at `limit` unique states; fails
/// unless the search completed, saying how far it got. A test that sets `opts.max_states`
/// itself asks for a partial search (a counterexample found early in a large space): it gets
/// that limit, and no completeness demand.
pub fn check_within(name: &str, settings: &[&str], opts: &CheckOptions, limit: u64) -> Report {
    let entry = registry::find(name).expect("a registered name");
    check_entry_within(&entry, settings, opts, limit)
}

/// [`check_within`] for a registry entry that may not be registered (a declaration with a
/// planted bug).
pub fn check_entry_within(
    entry: &registry::Entry,
    settings: &[&str],
    opts: &CheckOptions,
    limit: u64,
) -> Report {
    let name = entry.name;
    let check = |opts: &CheckOptions| {
        let settings: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
        let (params, target) = entry.instantiate(&settings).expect("a valid configuration");
        target
            .check(name, &params, opts, &checker::progress::Progress::default())
            .expect("valid options")
    };
    if let Some(partial) = opts.max_states {
        let opts = CheckOptions {
            max_states: Some(partial.min(limit)),
            ..opts.clone()
        };
        return check(&opts);
    }
    let opts = CheckOptions {
        max_states: Some(limit),
        ..opts.clone()
    };
    let r = check(&opts);
    assert!(
        r.complete,
        "{name} {settings:?}: incomplete after {} unique states (limit {limit})",
        r.unique_states
    );
    r
}

/// [`check_within`] the suite's [`STATES_MAX`].
pub fn check(name: &str, settings: &[&str], opts: &CheckOptions) -> Report {
    check_within(name, settings, opts, STATES_MAX)
}

/// [`check_within`] four times `pinned`, then the count must be `pinned`.
pub fn check_pinned(name: &str, settings: &[&str], opts: &CheckOptions, pinned: u64) -> Report {
    let r = check_within(name, settings, opts, pinned * 4);
    assert_eq!(r.unique_states, pinned, "{name} {settings:?}");
    r
}
