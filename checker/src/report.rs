//! The report of a check or a simulation: one shape for text and JSON, for every protocol; and
//! (in `runtime`) the text of the runtime's reports.

use crate::engine::{Coverage, Fairness, Kind, Outcome, Status, Trace};
use crate::params::Params;
use serde::Serialize;
use serde_json::Value;
use stateright::Model;
use std::fmt::Write as _;

mod runtime;
pub use runtime::{cluster_text, node_text, runtime_text};

/// One step of a trace: the action in words and the whole state after it.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub action: String,
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
    /// Some property's verdict is bounded (see [`PropertyReport::bounded`]).
    pub bounded: bool,
    pub unique_states: u64,
    pub total_states: u64,
    pub max_depth: usize,
    pub seconds: f64,
    pub states_per_second: f64,
    /// Peak resident memory of this process, when the OS tells it.
    pub peak_memory_bytes: Option<u64>,
    /// The fairness liveness was judged under, when there was liveness to judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fairness: Option<Fairness>,
    pub properties: Vec<PropertyReport>,
    /// With `--coverage`: how often each kind of action fired, and the kinds that never did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl Report {
    /// Builds the report from an engine outcome; `view` renders states, `describe` actions.
    pub fn new<M: Model>(
        protocol: &str,
        params: &Params,
        mode: &'static str,
        outcome: Outcome<M>,
        describe: &dyn Fn(&M::Action) -> String,
        view: &dyn Fn(&M::State) -> Value,
    ) -> Self {
        let properties = outcome
            .properties
            .into_iter()
            .map(|p| PropertyReport {
                name: p.name.to_string(),
                kind: p.kind,
                status: p.status,
                bounded: p.bounded,
                explorer_path: p.trace.as_ref().map(Trace::explorer_path),
                loop_start: p.trace.as_ref().and_then(|t| t.loop_start),
                trace: p.trace.map(|t| steps(&t, describe, view)),
            })
            .collect();
        Self {
            protocol: protocol.to_string(),
            params: params.clone(),
            mode,
            complete: outcome.complete,
            bounded: outcome.bounded,
            unique_states: outcome.unique_states,
            total_states: outcome.total_states,
            max_depth: outcome.max_depth,
            seconds: outcome.seconds,
            states_per_second: outcome.total_states as f64 / outcome.seconds.max(1e-9),
            peak_memory_bytes: peak_memory_bytes(),
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
            if self.complete { "" } else { " (incomplete)" }
        );
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
            let shape = if p.loop_start.is_some() {
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

fn steps<M: Model>(
    trace: &Trace<M>,
    describe: &dyn Fn(&M::Action) -> String,
    view: &dyn Fn(&M::State) -> Value,
) -> Vec<Step> {
    let mut out = vec![Step {
        action: "init".into(),
        state: view(&trace.init),
    }];
    for (action, _, state) in &trace.steps {
        out.push(Step {
            action: describe(action),
            state: view(state),
        });
    }
    out
}

/// Numbered steps, each with the state fields it changed (`path: before -> after`); for a lasso
/// a marker line before the loop's first step.
pub fn write_trace(out: &mut String, trace: &[Step], loop_start: Option<usize>) {
    let mut before: Vec<(String, String)> = Vec::new();
    for (i, step) in trace.iter().enumerate() {
        if loop_start.is_some_and(|l| l + 1 == i) {
            let _ = writeln!(out, "  -- loop starts here --");
        }
        let after = leaves(&step.state);
        if i == 0 {
            let _ = writeln!(out, "  0. initial state");
            for (path, value) in &after {
                let _ = writeln!(out, "       {path} = {value}");
            }
        } else {
            let _ = writeln!(out, "  {i}. {}", step.action);
            for line in diff(&before, &after) {
                let _ = writeln!(out, "       {line}");
            }
        }
        before = after;
    }
}

/// Flattens a JSON value into sorted `(path, scalar)` leaves. Lists of strings (the network,
/// timers) stay whole so a message appearing reads as one change.
fn leaves(value: &Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            Value::Array(items) if items.iter().any(|x| x.is_object() || x.is_array()) => {
                for (i, v) in items.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            other => out.push((prefix.to_string(), compact(other))),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn diff(before: &[(String, String)], after: &[(String, String)]) -> Vec<String> {
    use std::collections::BTreeMap;
    let b: BTreeMap<_, _> = before.iter().cloned().collect();
    let a: BTreeMap<_, _> = after.iter().cloned().collect();
    let mut lines = Vec::new();
    for (k, v) in &a {
        match b.get(k) {
            Some(old) if old == v => {}
            Some(old) => lines.push(format!("{k}: {old} -> {v}")),
            None => lines.push(format!("{k}: (none) -> {v}")),
        }
    }
    for (k, old) in &b {
        if !a.contains_key(k) {
            lines.push(format!("{k}: {old} -> (none)"));
        }
    }
    lines
}

/// Peak resident set size (VmHWM) on Linux; `None` elsewhere.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
