//! Counterexamples as files other tools read: ITF (the Informal Trace Format of Apalache and
//! Quint), Mermaid sequence diagrams, our JSON, and the text of the report.

use super::{write_trace, PropertyReport, Report, Step};
use crate::engine::{Event, Status};
use serde_json::{json, Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A trace file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    Itf,
    Mermaid,
    Json,
    Text,
}

impl TraceFormat {
    /// Every format with the file ending that selects it (the longest ending first).
    pub const ENDINGS: [(&'static str, TraceFormat); 4] = [
        (".itf.json", TraceFormat::Itf),
        (".mmd", TraceFormat::Mermaid),
        (".json", TraceFormat::Json),
        (".txt", TraceFormat::Text),
    ];

    /// The format a file name asks for by its ending.
    pub fn of_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        Self::ENDINGS
            .iter()
            .find(|(ending, _)| name.ends_with(ending))
            .map(|(_, f)| *f)
    }

    fn ending(self) -> &'static str {
        Self::ENDINGS
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(e, _)| *e)
            .expect("every format has an ending")
    }

    /// The file contents for one property's trace.
    pub fn render(self, report: &Report, p: &PropertyReport, trace: &[Step]) -> String {
        match self {
            TraceFormat::Itf => {
                serde_json::to_string_pretty(&itf(report, p, trace)).expect("json") + "\n"
            }
            TraceFormat::Mermaid => mermaid(p, trace),
            TraceFormat::Json => {
                let doc = json!({
                    "protocol": report.protocol,
                    "params": report.params,
                    "property": p,
                });
                serde_json::to_string_pretty(&doc).expect("json") + "\n"
            }
            TraceFormat::Text => {
                let mut out = format!("{} \"{}\" {}\n", p.kind.word(), p.name, status(p));
                write_trace(&mut out, trace, p.loop_start);
                out
            }
        }
    }
}

fn status(p: &PropertyReport) -> &'static str {
    match p.status {
        Status::Violated => "violated",
        Status::Found => "found",
        Status::Holds => "holds",
        Status::NotFound => "not found",
    }
}

/// Writes the trace of every violated property to `path` (several: one file each, named
/// `<stem>-<property>.<ending>`), in `format` or the one `path`'s ending names; returns the
/// files written.
pub fn write_traces(
    report: &Report,
    path: &Path,
    format: Option<TraceFormat>,
) -> Result<Vec<PathBuf>, String> {
    let format = match format.or_else(|| TraceFormat::of_path(path)) {
        Some(f) => f,
        None => {
            return Err(format!(
                "--trace-out {}: say --trace-format, or end the name in .itf.json, .mmd, .json \
                 or .txt",
                path.display()
            ))
        }
    };
    let violated: Vec<(&PropertyReport, &Vec<Step>)> = report
        .properties
        .iter()
        .filter(|p| p.status == Status::Violated)
        .filter_map(|p| p.trace.as_ref().map(|t| (p, t)))
        .collect();
    let mut written = Vec::new();
    for (p, trace) in &violated {
        let file = if violated.len() == 1 {
            path.to_path_buf()
        } else {
            per_property(path, format, &p.name)
        };
        std::fs::write(&file, format.render(report, p, trace))
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        written.push(file);
    }
    Ok(written)
}

/// `dir/stem.ending` becomes `dir/stem-<property as a file name>.ending`.
fn per_property(path: &Path, format: TraceFormat, property: &str) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("trace");
    let stem = name.strip_suffix(format.ending()).unwrap_or(name);
    let slug: String = property
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    path.with_file_name(format!("{stem}-{slug}{}", format.ending()))
}

// ---------------------------------------------------------------------------------------------
// ITF (Apalache ADR-015)

/// The trace as an ITF document: one variable per top-level field of the state view, plus
/// `action` (the step that led to the state, `init` first); a lasso's `loop` is the index of
/// the state the loop returns to.
pub fn itf(report: &Report, p: &PropertyReport, trace: &[Step]) -> Value {
    let mut vars: Vec<String> = vec!["action".into()];
    for step in trace {
        if let Value::Object(map) = &step.state {
            for k in map.keys() {
                if !vars.contains(k) {
                    vars.push(k.clone());
                }
            }
        }
    }
    let states: Vec<Value> = trace
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut state = Map::new();
            state.insert("#meta".into(), json!({ "index": i }));
            state.insert("action".into(), Value::String(step.action.clone()));
            for var in &vars[1..] {
                let v = step.state.get(var).unwrap_or(&Value::Null);
                state.insert(var.clone(), itf_value(v));
            }
            Value::Object(state)
        })
        .collect();
    let mut doc = Map::new();
    doc.insert(
        "#meta".into(),
        json!({
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": format!("checker {}", report.protocol),
            "description": format!(
                "{} \"{}\" {} ({})",
                p.kind.word(),
                p.name,
                status(p),
                report.mode
            ),
            // ITF readers take the meta fields they do not know as strings.
            "params": params_text(report),
        }),
    );
    doc.insert("vars".into(), json!(vars));
    doc.insert("states".into(), Value::Array(states));
    if let Some(l) = p.loop_start {
        doc.insert("loop".into(), json!(l));
    }
    Value::Object(doc)
}

/// The effective parameters as `name=value` words.
fn params_text(report: &Report) -> String {
    let doc = serde_json::to_value(&report.params).expect("params serialize");
    doc.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", super::show(v)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The largest integer ITF writes as a JSON number (beyond, `{"#bigint": "..."}`).
const ITF_SAFE_INT: u64 = (1 << 53) - 1;

/// A value of our state view in ITF's encoding: records stay objects, lists stay arrays, an
/// enum variant with data (`{"Collecting": {...}}`) becomes a variant `{"tag", "value"}`, a
/// missing value (`null`) the variant `None` (as Quint writes `Option`), large integers
/// `#bigint`; strings and booleans as they are.
pub fn itf_value(v: &Value) -> Value {
    match v {
        Value::Null => json!({ "tag": "None", "value": { "#tup": [] } }),
        Value::Bool(_) | Value::String(_) => v.clone(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) if u <= ITF_SAFE_INT => v.clone(),
            (_, Some(i)) if i.unsigned_abs() <= ITF_SAFE_INT => v.clone(),
            _ if n.is_f64() => json!({ "#unserializable": n.to_string() }),
            _ => json!({ "#bigint": n.to_string() }),
        },
        Value::Array(items) => Value::Array(items.iter().map(itf_value).collect()),
        Value::Object(map) => {
            if let Some(tag) = super::variant(v) {
                return json!({ "tag": tag, "value": itf_value(&map[tag]) });
            }
            Value::Object(map.iter().map(|(k, v)| (k.clone(), itf_value(v))).collect())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/// The trace as a Mermaid sequence diagram: one participant per actor, one arrow per delivered
/// message (with a note where it was sent, when that is not the step before), crossed arrows
/// for lost messages, notes for timers, crashes, recoveries and random choices, and a shaded
/// region for the loop of a lasso.
pub fn mermaid(p: &PropertyReport, trace: &[Step]) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let _ = writeln!(
        out,
        "    title {} \"{}\" {}",
        p.kind.word(),
        p.name,
        status(p)
    );
    let mut actors: Vec<String> = trace
        .first()
        .and_then(|s| s.state.get("actors"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    // Lifelines in the order the trace first involves them (the sender of the first message
    // leftmost), then the actors it never involves.
    let involved: Vec<&str> = trace
        .iter()
        .filter_map(|s| s.event.as_ref())
        .flat_map(|e| match e {
            Event::Deliver { from, to, .. } | Event::Lose { from, to, .. } => {
                vec![from.as_str(), to.as_str()]
            }
            Event::Timeout { actor, .. }
            | Event::Crash { actor }
            | Event::Recover { actor }
            | Event::Choose { actor, .. } => vec![actor.as_str()],
        })
        .collect();
    actors.sort_by_key(|a| involved.iter().position(|x| x == a).unwrap_or(usize::MAX));
    if actors.is_empty() {
        // Not a message-passing system: one lifeline, one note per step.
        let _ = writeln!(out, "    participant system");
        for (i, step) in trace.iter().enumerate().skip(1) {
            open_loop(&mut out, p.loop_start, i, "system", "system");
            let _ = writeln!(out, "    Note over system: {i}. {}", text(&step.action));
        }
        close_loop(&mut out, p.loop_start, trace.len());
        return out;
    }
    for a in &actors {
        let _ = writeln!(out, "    participant {a}");
    }
    let (first, last) = (&actors[0], &actors[actors.len() - 1]);
    // Per step, the messages it put in flight, to find where a delivered message was sent.
    let sent: Vec<Vec<String>> = trace
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let before = if i == 0 {
                Vec::new()
            } else {
                network(&trace[i - 1].state)
            };
            super::multiset_diff(&before, &network(&s.state)).0
        })
        .collect();
    for (i, step) in trace.iter().enumerate().skip(1) {
        open_loop(&mut out, p.loop_start, i, first, last);
        let Some(event) = &step.event else {
            let _ = writeln!(
                out,
                "    Note over {first},{last}: {i}. {}",
                text(&step.action)
            );
            continue;
        };
        match event {
            Event::Deliver { from, to, msg } => {
                let line = format!("{from} -> {to}: {msg}");
                // The latest earlier step that put this message in flight.
                let at = (0..i).rev().find(|k| sent[*k].contains(&line));
                if let Some(k) = at.filter(|k| k + 1 < i) {
                    let _ = writeln!(
                        out,
                        "    Note right of {from}: {i}. {} (sent at step {k})",
                        text(msg)
                    );
                }
                let _ = writeln!(out, "    {from}->>{to}: {i}. {}", text(msg));
            }
            Event::Lose { from, to, msg } => {
                let _ = writeln!(out, "    {from}-x{to}: {i}. lost {}", text(msg));
            }
            Event::Timeout { actor, timer } => {
                let _ = writeln!(out, "    Note over {actor}: {i}. timeout {}", text(timer));
            }
            Event::Crash { actor } => {
                let _ = writeln!(out, "    Note over {actor}: {i}. crashes");
            }
            Event::Recover { actor } => {
                let _ = writeln!(out, "    Note over {actor}: {i}. recovers");
            }
            Event::Choose { actor, key, value } => {
                let _ = writeln!(
                    out,
                    "    Note over {actor}: {i}. chooses {} = {}",
                    text(key),
                    text(value)
                );
            }
        }
    }
    close_loop(&mut out, p.loop_start, trace.len());
    // Messages still in flight at the end: sent, never delivered.
    if let Some(end) = trace.last() {
        let pending = network(&end.state);
        if !pending.is_empty() {
            let list: Vec<String> = pending.iter().map(|m| text(m)).collect();
            let _ = writeln!(
                out,
                "    Note over {first},{last}: in flight at the end: {}",
                list.join("; ")
            );
        }
    }
    out
}

/// Opens the shaded loop region before step `i` when the loop starts at state `i - 1`.
fn open_loop(out: &mut String, loop_start: Option<usize>, i: usize, first: &str, last: &str) {
    if loop_start.is_some_and(|l| l + 1 == i) {
        let _ = writeln!(out, "    rect rgba(255, 200, 0, 0.25)");
        let _ = writeln!(
            out,
            "    Note over {first},{last}: loop: from here the run repeats for ever"
        );
    }
}

fn close_loop(out: &mut String, loop_start: Option<usize>, steps: usize) {
    if loop_start.is_some_and(|l| l + 1 < steps) {
        let _ = writeln!(out, "    end");
    }
}

/// The network of a state view as its list of `src -> dst: msg` lines.
fn network(state: &Value) -> Vec<String> {
    state
        .get("network")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Text safe inside a Mermaid message or note: `;` ends a statement and `#` starts an entity
/// code there, so both are spelled out.
fn text(s: &str) -> String {
    s.replace(';', ",").replace('#', "no. ").replace('\n', " ")
}
