//! `checker list`: every registered protocol and spec with its parameters and defaults.

use super::UsageError;
use checker::params::{Param, ParamKind};
use checker::registry::{self, Entry};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// One JSON document on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, UsageError> {
    let entries = registry::all();
    if args.json {
        let doc: Vec<_> = entries.iter().map(entry_json).collect();
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    } else {
        print!("{}", text(&entries));
    }
    Ok(ExitCode::SUCCESS)
}

fn entry_json(e: &Entry) -> serde_json::Value {
    let params: Vec<_> = (e.params)().iter().map(param_json).collect();
    serde_json::json!({
        "name": e.name,
        "kind": e.kind,
        "description": e.description,
        "params": params,
    })
}

fn param_json(p: &Param) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": p.name,
        "type": match &p.kind {
            ParamKind::Int { .. } => "int",
            ParamKind::Bool => "bool",
            ParamKind::Choice(_) => "choice",
            ParamKind::Text { .. } => "text",
        },
        "default": p.default,
        "udp_default": p.udp_default,
        "doc": p.doc,
    });
    match &p.kind {
        ParamKind::Int { min, max } => {
            v["min"] = (*min).into();
            v["max"] = (*max).into();
        }
        ParamKind::Choice(words) => v["choices"] = (*words).into(),
        ParamKind::Text { hint } => v["accepts"] = (*hint).into(),
        ParamKind::Bool => {}
    }
    v
}

/// One line per entry, then one per parameter, in columns aligned across all entries.
fn text(entries: &[Entry]) -> String {
    let all: Vec<_> = entries.iter().flat_map(|e| (e.params)()).collect();
    let width = |f: &dyn Fn(&Param) -> usize| all.iter().map(f).max().unwrap_or(0);
    let name_w = width(&|p| p.name.len());
    let type_w = width(&|p| p.type_words().len());
    let default_w = width(&|p| p.default_words().len());
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!("{} ({}): {}\n", e.name, e.kind, e.description));
        for p in (e.params)() {
            out.push_str(&format!(
                "    {:<name_w$}  {:<type_w$}  default {:<default_w$}  {}\n",
                p.name,
                p.type_words(),
                p.default_words(),
                p.doc
            ));
        }
    }
    out
}
