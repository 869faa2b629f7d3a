//! `checker explore`: our own explorer, a static page and JSON routes over our engine's results.
//!
//! stateright's explorer judges liveness on terminal states only, so on a graph where our
//! engine finds a lasso or a stopped run it may say "holds" where `checker check` says
//! VIOLATED. This explorer never judges: it shows the verdicts of the same check `checker check`
//! runs (with the fairness each liveness verdict assumes), opens a counterexample as a path,
//! marks the loop of a lasso and lets the user step round it, and browses the model with the
//! engine's own views (actor names, not ids).
//!
//! Routes:
//! - `GET /`: the page (one static file, no external assets).
//! - `GET /api/report`: the check's report (the JSON of `checker check --json`).
//! - `GET /api/steps/I/A1/A2/...`: the run that starts at initial state `I` and takes action
//!   `Ak` (an index into the state's `actions()`, the form `checker check` prints) at step `k`:
//!   every step's action and changes, the last state whole, its enabled actions, and which
//!   state properties hold there. A path that does not exist is a 404 whose JSON says which step
//!   is wrong and why.

use crate::engine::{Checkable, Kind};
use crate::report::{change_lines, state_lines, Report};
use serde::Serialize;
use serde_json::Value;
use stateright::{Expectation, Model};
use std::fmt::Debug;

/// The page, served at `/`.
const PAGE: &str = include_str!("explorer/index.html");

/// One step of a browsed run.
#[derive(Debug, Serialize)]
pub struct BrowsedStep {
    /// The action in words (`initial state` for step 0).
    pub action: String,
    /// What the step changed, one line per change (the whole state for step 0).
    pub changes: Vec<String>,
}

/// An action enabled in the browsed state.
#[derive(Debug, Serialize)]
pub struct Enabled {
    /// Its index in the state's `actions()`: append it to the path to take it.
    pub index: usize,
    pub action: String,
    /// The model ignores it here (no successor state).
    pub ignored: bool,
}

/// A state property judged on the browsed state.
#[derive(Debug, Serialize)]
pub struct HoldsHere {
    pub name: String,
    pub kind: Kind,
    /// Whether the property's condition is true in this state.
    pub holds: bool,
}

/// The answer of `/api/steps/...`.
#[derive(Debug, Serialize)]
pub struct Browsed {
    /// The path as given, normalised (`0/3/1`).
    pub path: String,
    pub steps: Vec<BrowsedStep>,
    /// The last state, one `path = value` line per leaf.
    pub state_lines: Vec<String>,
    /// The last state as the engine's view (actor names as keys).
    pub state: Value,
    pub enabled: Vec<Enabled>,
    pub properties: Vec<HoldsHere>,
}

/// Why a path cannot be followed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("'{0}' is not a path: give action indices separated by '/', like 0/3/1")]
    Malformed(String),
    #[error("there is no initial state {index}: the model has {count} (0 to {last})", last = count - 1)]
    NoInit { index: usize, count: usize },
    #[error(
        "step {step}: index {index} is not an action here; {count} actions are enabled (0 to {last})",
        last = count.saturating_sub(1)
    )]
    NoAction {
        step: usize,
        index: usize,
        count: usize,
    },
    #[error("step {step}: action {index} ({action}) is ignored here, so the run cannot take it")]
    Ignored {
        step: usize,
        index: usize,
        action: String,
    },
}

/// Follows `path` (`I/A1/A2/...`) through `c`'s model from its initial states.
pub fn browse<M>(c: &Checkable<M>, path: &str) -> Result<Browsed, PathError>
where
    M: Model,
    M::State: Debug,
    M::Action: Debug,
{
    let indices: Vec<usize> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| PathError::Malformed(path.to_string()))?;
    let Some((&first, rest)) = indices.split_first() else {
        return Err(PathError::Malformed(path.to_string()));
    };
    let mut inits = c.model.init_states();
    if first >= inits.len() {
        return Err(PathError::NoInit {
            index: first,
            count: inits.len(),
        });
    }
    let mut state = inits.swap_remove(first);
    let mut view = (c.view)(&state);
    let mut steps = vec![BrowsedStep {
        action: "initial state".into(),
        changes: state_lines(&view),
    }];
    for (k, &index) in rest.iter().enumerate() {
        let step = k + 1;
        let mut actions = Vec::new();
        c.model.actions(&state, &mut actions);
        let count = actions.len();
        if index >= count {
            return Err(PathError::NoAction { step, index, count });
        }
        let action = actions.swap_remove(index);
        let words = (c.describe)(&action);
        let Some(next) = c.model.next_state(&state, action) else {
            return Err(PathError::Ignored {
                step,
                index,
                action: words,
            });
        };
        let next_view = (c.view)(&next);
        steps.push(BrowsedStep {
            action: words,
            changes: change_lines(&view, &next_view),
        });
        state = next;
        view = next_view;
    }
    let mut actions = Vec::new();
    c.model.actions(&state, &mut actions);
    let enabled = actions
        .into_iter()
        .enumerate()
        .map(|(index, a)| Enabled {
            index,
            action: (c.describe)(&a),
            ignored: c.model.next_state(&state, a).is_none(),
        })
        .collect();
    let properties = c
        .model
        .properties()
        .iter()
        .map(|p| HoldsHere {
            name: p.name.to_string(),
            kind: match p.expectation {
                Expectation::Always => Kind::Always,
                Expectation::Eventually => Kind::Eventually,
                Expectation::Sometimes => Kind::Sometimes,
            },
            holds: (p.condition)(&c.model, &state),
        })
        .collect();
    Ok(Browsed {
        path: indices
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("/"),
        steps,
        state_lines: state_lines(&view),
        state: view,
        enabled,
        properties,
    })
}

/// A response: status code, content type, body.
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// Answers one `GET` of `url` (path and query) from the check's `report` and `c`'s model.
pub fn respond<M>(c: &Checkable<M>, report_json: &str, url: &str) -> Response
where
    M: Model,
    M::State: Debug,
    M::Action: Debug,
{
    let path = url.split(['?', '#']).next().unwrap_or("");
    let json = |status, body: String| Response {
        status,
        content_type: "application/json; charset=utf-8",
        body,
    };
    let error =
        |status, message: String| json(status, serde_json::json!({ "error": message }).to_string());
    match path {
        "/" | "/index.html" => Response {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: PAGE.to_string(),
        },
        "/api/report" => json(200, report_json.to_string()),
        _ => match path.strip_prefix("/api/steps/") {
            Some(steps) => match browse(c, steps) {
                Ok(b) => json(200, serde_json::to_string(&b).expect("views serialize")),
                Err(e @ PathError::Malformed(_)) => error(400, e.to_string()),
                Err(e) => error(404, e.to_string()),
            },
            None => error(404, format!("no such page: {path}")),
        },
    }
}

/// Serves the explorer on `listener` until the process ends.
pub fn serve<M>(
    c: &Checkable<M>,
    report: &Report,
    listener: std::net::TcpListener,
) -> std::io::Result<()>
where
    M: Model,
    M::State: Debug,
    M::Action: Debug,
{
    let report_json = serde_json::to_string(report).expect("reports serialize");
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    for request in server.incoming_requests() {
        let response = if *request.method() == tiny_http::Method::Get {
            respond(c, &report_json, request.url())
        } else {
            Response {
                status: 405,
                content_type: "application/json; charset=utf-8",
                body: r#"{"error":"only GET is served"}"#.into(),
            }
        };
        let header = tiny_http::Header::from_bytes("Content-Type", response.content_type)
            .expect("a valid header");
        let reply = tiny_http::Response::from_string(response.body)
            .with_status_code(response.status)
            .with_header(header);
        // A client that went away is not the server's problem.
        let _ = request.respond(reply);
    }
    Ok(())
}
