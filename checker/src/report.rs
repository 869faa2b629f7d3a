//! The report of a check or a simulation: one shape for text and JSON, for every protocol; and
//! (in `runtime`) the text of the runtime's reports.

use crate::engine::{
    Checkable, Coverage, Event, Fairness, Kind, Outcome, Status, StopReason, Trace,
};
use crate::params::Params;
use serde::Serialize;
use serde_json::Value;
use stateright::Model;
use std::fmt::Write as _;

pub mod export;
mod runtime;
pub use runtime::{
    cluster_failure_report, cluster_text, node_text, run_failure_report, runtime_text,
};

/// One step of a trace: the action in words and the whole state after it.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub action: String,
    /// What the action did (message-passing systems; absent for the initial state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    pub state: Value,
}

/// The verdict of one property.
#[derive(Clone, Debug, Serialize)]
pub struct PropertyReport {
    pub name: String,
    pub kind: Kind,
    pub status: Status,
    /// A `holds` or `not found` that speaks only of the runs inside the model's boundary: the
    /// boundary cut off states a counterexample (or example) might pass through.
    pub bounded: bool,
    /// For violated and found: the initial state (action `init`) then every step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<Step>>,
    /// For a lasso: the index into `trace` of the state where the loop starts; the trace's last
    /// step returns to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
    /// The trace as action indices, the form `checker explore --path` and the explorer take
    /// (for a lasso, up to the start of the loop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explorer_path: Option<String>,
    /// For a lasso: the loop's steps as action indices, taken from the end of
    /// `explorer_path`; following them returns to the same state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_path: Option<String>,
    /// For a liveness counterexample that is not a lasso (a run that stops): each action still
    /// enabled where it stops, and why the run owes none of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stuck: Option<Vec<NotOwed>>,
}

/// An action enabled where a stopped run ends, and why the run may ignore it for ever.
#[derive(Clone, Debug, Serialize)]
pub struct NotOwed {
    pub action: String,
    pub why: &'static str,
}

/// A whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub protocol: String,
    pub params: Params,
    /// `check-bfs`, `check-dfs` or `simulate`.
    pub mode: &'static str,
    /// False when the search stopped at `--max-states` or `--timeout` (always false for a
    /// simulation, which samples runs).
    pub complete: bool,
    /// Why an incomplete search stopped: `max-states`, `timeout`, `cancelled` or
    /// `memory-limit` (absent when complete, and for a simulation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<StopReason>,
    /// Some property's verdict is bounded (see [`PropertyReport::bounded`]).
    pub bounded: bool,
    pub unique_states: u64,
    pub total_states: u64,
    pub max_depth: usize,
    pub seconds: f64,
    pub states_per_second: f64,
    /// Peak resident memory of this process, when the OS tells it.
    pub peak_memory_bytes: Option<u64>,
    /// What the search's frontier spilled to disk, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spilled: Option<crate::engine::Spilled>,
    /// The fairness liveness was judged under, when there was liveness to judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
    pub properties: Vec<PropertyReport>,
    /// With `--coverage`: how often each kind of action fired, and the kinds that never did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl Report {
    /// Builds the report from an engine outcome on `c`'s model, whose liveness verdicts assume
    /// `fairness` (the outcome's, else the checkable's).
    pub fn new<M: Model>(
        protocol: &str,
        params: &Params,
        mode: &'static str,
        outcome: Outcome<M>,
        c: &Checkable<M>,
    ) -> Self {
        let fairness = outcome.fairness.unwrap_or(c.fairness);
        let properties = outcome
            .properties
            .into_iter()
            .map(|p| PropertyReport {
                name: p.name.to_string(),
                kind: p.kind,
                status: p.status,
                bounded: p.bounded,
                explorer_path: p.trace.as_ref().map(Trace::explorer_path),
                loop_path: p.trace.as_ref().and_then(Trace::loop_path),
                loop_start: p.trace.as_ref().and_then(|t| t.loop_start),
                stuck: p
                    .trace
                    .as_ref()
                    .filter(|t| {
                        p.status == Status::Violated
                            && t.loop_start.is_none()
                            && matches!(p.kind, Kind::Eventually | Kind::LeadsTo)
                    })
                    .map(|t| not_owed(c, t.last(), fairness)),
                trace: p.trace.map(|t| steps(&t, c)),
            })
            .collect();
        Self {
            protocol: protocol.to_string(),
            params: params.clone(),
            mode,
            complete: outcome.complete,
            stopped_by: outcome.stopped,
            bounded: outcome.bounded,
            unique_states: outcome.unique_states,
            total_states: outcome.total_states,
            max_depth: outcome.max_depth,
            seconds: outcome.seconds,
            states_per_second: outcome.total_states as f64 / outcome.seconds.max(1e-9),
            peak_memory_bytes: peak_memory_bytes(),
            spilled: outcome.spilled,
            fairness: outcome.fairness,
            properties,
            coverage: outcome.coverage,
        }
    }

    /// Every always/eventually property holds and every sometimes property was found (within
    /// the bound, for a bounded verdict).
    pub fn all_pass(&self) -> bool {
        self.properties
            .iter()
            .all(|p| matches!(p.status, Status::Holds | Status::Found))
    }

    /// The exit code of a check: 1 when a property is violated or a `sometimes` is not found by
    /// a complete, unbounded search; otherwise 3 when the search was incomplete or a verdict
    /// is bounded (nothing failed, but not everything was judged); 0 when everything passed.
    pub fn exit_code(&self) -> u8 {
        let failed = self.properties.iter().any(|p| match p.status {
            Status::Violated => true,
            Status::NotFound => self.complete && !p.bounded,
            Status::Holds | Status::Found => false,
        });
        if failed {
            1
        } else if !self.complete || self.bounded {
            3
        } else {
            0
        }
    }

    /// The report as text: verdicts, figures, then each failing property's trace.
    pub fn text(&self, explore_command: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        let width = self
            .properties
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0);
        for p in &self.properties {
            let kind = p.kind.word();
            let mut verdict = status_word(p.status).to_string();
            if p.bounded {
                verdict.push_str(" within the bound");
            }
            if !self.complete && matches!(p.status, Status::Holds | Status::NotFound) {
                verdict.push_str(" (search incomplete)");
            }
            let _ = writeln!(out, "{kind:<10} {:<width$}  {verdict}", p.name);
        }
        let _ = writeln!(
            out,
            "\n{} unique states, {} total, max depth {}, {:.2} s, {:.0} states/s{}{}",
            self.unique_states,
            self.total_states,
            self.max_depth,
            self.seconds,
            self.states_per_second,
            match self.peak_memory_bytes {
                Some(b) => format!(", peak memory {:.1} MiB", b as f64 / (1024.0 * 1024.0)),
                None => String::new(),
            },
            match (self.complete, self.stopped_by) {
                (true, _) => String::new(),
                (false, Some(why)) => format!(" (incomplete: {})", why.words()),
                (false, None) => " (incomplete)".into(),
            }
        );
        if let Some(s) = self.spilled {
            let _ = writeln!(
                out,
                "frontier spilled to disk: {:.1} MiB in {} segments (read back and deleted)",
                s.bytes as f64 / (1024.0 * 1024.0),
                s.segments
            );
        }
        if let Some(f) = self.fairness {
            let f = format!("{f:?}").to_lowercase();
            let _ = writeln!(out, "liveness judged under {f} fairness");
        }
        if self.bounded {
            let _ = writeln!(
                out,
                "the model's boundary cut off part of the state space: a verdict \"within the \
                 bound\" says nothing of the runs that leave it"
            );
        }
        if let Some(cov) = &self.coverage {
            let _ = writeln!(out, "\ncoverage (transitions explored per kind of action):");
            for (kind, n) in &cov.fired {
                let _ = writeln!(out, "  {n:>10}  {kind}");
            }
            for kind in &cov.never_fired {
                let _ = writeln!(out, "  {:>10}  {kind}  (never fired)", 0);
            }
        }
        for p in &self.properties {
            if p.status != Status::Violated {
                continue;
            }
            let Some(trace) = &p.trace else { continue };
            let shape = if p.loop_start.is_some() && self.fairness == Some(Fairness::None) {
                "a lasso: prefix, then a loop a run can repeat forever (no fairness assumed)"
            } else if p.loop_start.is_some() {
                "a lasso: prefix, then a loop a fair run can repeat forever"
            } else if self.mode == "check-bfs" {
                "shortest trace found"
            } else if self.mode == "check-dfs" {
                "trace found depth-first (not necessarily the shortest)"
            } else {
                "trace of the walk"
            };
            let _ = writeln!(
                out,
                "\n{} \"{}\" violated; {shape} ({} steps):",
                p.kind.word(),
                p.name,
                trace.len() - 1
            );
            write_trace(&mut out, trace, p.loop_start);
            match p.stuck.as_deref() {
                None => {}
                Some([]) => {
                    let _ = writeln!(
                        out,
                        "  the run stops here: no action changes the state any more"
                    );
                }
                Some(enabled) => {
                    let _ = writeln!(
                        out,
                        "  the run may stop here: what is still enabled is not owed"
                    );
                    for e in enabled {
                        let _ = writeln!(out, "       {}  ({})", e.action, e.why);
                    }
                }
            }
            if let Some(path) = &p.explorer_path {
                let _ = writeln!(out, "  open it in the explorer: {}", explore_command(path));
            }
        }
        out
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Holds => "holds",
        Status::Violated => "VIOLATED",
        Status::Found => "found",
        Status::NotFound => "NOT FOUND",
    }
}

fn steps<M: Model>(trace: &Trace<M>, c: &Checkable<M>) -> Vec<Step> {
    let mut out = vec![Step {
        action: "init".into(),
        event: None,
        state: (c.view)(&trace.init),
    }];
    for (action, _, state) in &trace.steps {
        out.push(Step {
            action: (c.describe)(action),
            event: (c.event)(action),
            state: (c.view)(state),
        });
    }
    out
}

/// The actions enabled at `state` that a run stopping there may ignore for ever, and why.
/// (The engine reports such a stop only when none of them is owed.)
fn not_owed<M: Model>(c: &Checkable<M>, state: &M::State, fairness: Fairness) -> Vec<NotOwed> {
    let mut actions = Vec::new();
    c.model.actions(state, &mut actions);
    let here = (c.fingerprint)(state);
    let mut out = Vec::new();
    for a in actions {
        let class = (c.fair_class)(&a);
        let action = (c.describe)(&a);
        let Some(next) = c.model.next_state(state, a) else {
            continue;
        };
        let why = if (c.fingerprint)(&next) == here {
            "changes nothing"
        } else if !c.model.within_boundary(&next) && class.is_none() {
            "leaves the model's bound, and is not owed"
        } else if !c.model.within_boundary(&next) {
            "leaves the model's bound"
        } else if class.is_none() {
            "never owed: crashes, recoveries, losses and unfair actions carry no fairness"
        } else if fairness == Fairness::None {
            "owed only under fairness, and none is assumed"
        } else {
            "owed, yet the engine let the run stop: please report this"
        };
        out.push(NotOwed { action, why });
    }
    out
}

/// Numbered steps, each with what it changed; for a lasso a marker line before the loop's
/// first step.
pub fn write_trace(out: &mut String, trace: &[Step], loop_start: Option<usize>) {
    for (i, step) in trace.iter().enumerate() {
        if loop_start.is_some_and(|l| l + 1 == i) {
            let _ = writeln!(out, "  -- loop starts here --");
        }
        if i == 0 {
            let _ = writeln!(out, "  0. initial state");
            let mut lines = Vec::new();
            initial(&mut lines, "", &step.state);
            for line in lines {
                let _ = writeln!(out, "       {line}");
            }
        } else {
            let _ = writeln!(out, "  {i}. {}", step.action);
            for line in step_lines(&trace[i - 1].state, &step.state) {
                let _ = writeln!(out, "       {line}");
            }
        }
    }
}

/// A whole state, one `path = value` line per leaf (lists and enum variants whole), as the
/// text report prints an initial state.
pub fn state_lines(state: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    initial(&mut lines, "", state);
    lines
}

/// What a step from `before` to `after` changed, as the text report prints it.
pub fn change_lines(before: &Value, after: &Value) -> Vec<String> {
    step_lines(before, after)
}

/// The state view's key for what the view shows only when nothing else changed (the last
/// message delivered on a duplicating network, which stays in flight).
pub const HIDDEN_UNLESS_ALONE: &str = "last_delivered";

/// What a step changed, one line per change: `path: before -> after`, an enum variant that
/// changes as one line, and a list (the network, timers) as its items added (`+`) and removed
/// (`-`). A change visible only in [`HIDDEN_UNLESS_ALONE`] is shown only when it is the only one.
fn step_lines(before: &Value, after: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    changes(&mut lines, "", Some(before), Some(after));
    let (hidden, shown): (Vec<_>, Vec<_>) = lines
        .into_iter()
        .partition(|l| l.starts_with(HIDDEN_UNLESS_ALONE));
    if shown.is_empty() {
        hidden
    } else {
        shown
    }
}

/// The initial state, one `path = value` line per leaf (lists and enum variants whole).
fn initial(out: &mut Vec<String>, path: &str, v: &Value) {
    match v {
        Value::Object(map) if !map.is_empty() && variant(v).is_none() => {
            for (k, v) in map {
                initial(out, &join(path, k), v);
            }
        }
        Value::Array(items) if items.iter().any(|x| x.is_object() || x.is_array()) => {
            for (i, v) in items.iter().enumerate() {
                initial(out, &format!("{path}[{i}]"), v);
            }
        }
        other => out.push(format!("{path} = {}", show(other))),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The variant name of a value that serde wrote as an externally tagged enum variant with
/// data (`{"Collecting": {...}}`): a one-key object whose key is capitalised.
fn variant(v: &Value) -> Option<&str> {
    match v {
        Value::Object(map) if map.len() == 1 => {
            let key = map.keys().next()?;
            key.starts_with(|c: char| c.is_ascii_uppercase())
                .then_some(key.as_str())
        }
        _ => None,
    }
}

fn changes(out: &mut Vec<String>, path: &str, before: Option<&Value>, after: Option<&Value>) {
    if before == after {
        return;
    }
    let absent_or_list = |v: Option<&Value>| {
        v.is_none_or(|v| matches!(v, Value::Array(items) if items.iter().all(is_scalar)))
    };
    match (before, after) {
        // The same variant: descend into its data. Objects: field by field.
        (Some(Value::Object(b)), Some(Value::Object(a)))
            if variant(before.unwrap()).is_none()
                || variant(before.unwrap()) == variant(after.unwrap()) =>
        {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                changes(out, &join(path, k), b.get(k), a.get(k));
            }
        }
        (Some(Value::Array(b)), Some(Value::Array(a)))
            if b.len() == a.len() && !(absent_or_list(before) && absent_or_list(after)) =>
        {
            for (i, (b, a)) in b.iter().zip(a).enumerate() {
                changes(out, &format!("{path}[{i}]"), Some(b), Some(a));
            }
        }
        _ if absent_or_list(before) && absent_or_list(after) => {
            let items = |v: Option<&Value>| -> Vec<String> {
                match v {
                    Some(Value::Array(items)) => items.iter().map(show).collect(),
                    _ => Vec::new(),
                }
            };
            // A multiset difference: a message in flight twice and delivered once is one `-`.
            let (added, rest) = multiset_diff(&items(before), &items(after));
            let prefix = if path == "network" {
                String::new()
            } else {
                format!("{path}: ")
            };
            out.extend(added.iter().map(|x| format!("{prefix}+ {x}")));
            out.extend(rest.iter().map(|x| format!("{prefix}- {x}")));
        }
        _ => out.push(format!(
            "{path}: {} -> {}",
            before.map_or("(none)".into(), show),
            after.map_or("(none)".into(), show)
        )),
    }
}

/// The items of `after` not in `before`, and those of `before` not in `after`, counting
/// repeats (a multiset difference), each in list order.
fn multiset_diff(before: &[String], after: &[String]) -> (Vec<String>, Vec<String>) {
    let mut removed = before.to_vec();
    let mut added = Vec::new();
    for x in after {
        match removed.iter().position(|y| y == x) {
            Some(i) => {
                removed.remove(i);
            }
            None => added.push(x.clone()),
        }
    }
    (added, removed)
}

fn is_scalar(v: &Value) -> bool {
    !(v.is_object() || v.is_array())
}

/// A value as a reader writes it: strings bare, `none` for null, enum variants by name with
/// their data, objects as `{field: value, ...}`, tuples and lists in brackets.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            if let Some(name) = variant(v) {
                return match &map[name] {
                    Value::Object(fields) if !fields.is_empty() => {
                        format!("{name} {}", show(&map[name]))
                    }
                    Value::Array(items) => {
                        let items: Vec<String> = items.iter().map(show).collect();
                        format!("{name}({})", items.join(", "))
                    }
                    Value::Object(_) | Value::Null => name.to_string(),
                    data => format!("{name}({})", show(data)),
                };
            }
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", show(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// Peak resident set size (VmHWM) on Linux; `None` elsewhere.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_shows_list_items_added_and_removed_and_variants_whole() {
        let before = json!({
            "network": ["a -> b: M", "a -> b: M", "b -> a: N"],
            "x": {"phase": {"Collecting": {"yes": [0]}}, "timers": ["T"]},
            "y": null,
        });
        let after = json!({
            "network": ["a -> b: M", "c -> a: O"],
            "x": {"phase": "Aborted"},
            "y": {"ballot": [1, 0], "value": 7},
        });
        assert_eq!(
            step_lines(&before, &after),
            [
                "+ c -> a: O",
                "- a -> b: M",
                "- b -> a: N",
                "x.phase: Collecting {yes: [0]} -> Aborted",
                "x.timers: - T",
                "y: none -> {ballot: [1, 0], value: 7}",
            ]
        );
    }

    #[test]
    fn the_last_delivered_message_shows_only_when_nothing_else_changed() {
        let s = |n: u8, last: &str| json!({"n": n, HIDDEN_UNLESS_ALONE: last});
        assert_eq!(
            step_lines(&s(0, "a -> b: M"), &s(0, "b -> a: N")),
            ["last_delivered: a -> b: M -> b -> a: N"]
        );
        assert_eq!(
            step_lines(&s(0, "a -> b: M"), &s(1, "b -> a: N")),
            ["n: 0 -> 1"]
        );
    }
}
