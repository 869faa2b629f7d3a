//! `checker explore`: the page's verdicts are `checker check`'s, a lasso can be stepped round, a
//! bad deep link says what is wrong, and (in headless Chromium) the deep link `check` prints for
//! two-phase commit's blocking run shows the blocked state and the violated verdict.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A running `checker explore`, killed when dropped.
struct Explorer {
    child: Child,
    /// `host:port` it serves on.
    addr: String,
}

impl Explorer {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
            .arg("explore")
            .args(args)
            .args(["--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "explorer for NAME at http://127.0.0.1:PORT/#/steps/... (Ctrl-C to stop)"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let addr = url["http://".len()..]
            .split('/')
            .next()
            .unwrap()
            .to_string();
        Self { child, addr }
    }

    /// `GET path`: the status code and the body.
    fn get(&self, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (code, body.to_string())
    }

    fn json(&self, path: &str) -> (u16, Value) {
        let (code, body) = self.get(path);
        (code, serde_json::from_str(&body).unwrap())
    }
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn check_json(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .arg("check")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn property<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name}"))
}

/// Each property's name, kind, verdict and counterexample path.
fn verdicts(report: &Value) -> Vec<[Value; 4]> {
    report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            [
                p["name"].clone(),
                p["kind"].clone(),
                p["status"].clone(),
                p["explorer_path"].clone(),
            ]
        })
        .collect()
}

const BLOCKING: [&str; 3] = ["two-phase-commit", "--set", "crashes=1"];

#[test]
fn the_page_shows_the_verdicts_of_check() {
    let e = Explorer::start(&BLOCKING);
    let (code, page) = e.json("/api/report");
    assert_eq!(code, 200);
    let check = check_json(&BLOCKING);
    assert_eq!(verdicts(&page), verdicts(&check));
    // Where stateright's explorer says "Liveness holds", ours says what `check` says.
    assert_eq!(property(&page, "termination")["status"], "violated");
    assert_eq!(page["fairness"], check["fairness"]);
    for kind in ["refinement", "deadlock"] {
        property(&page, kind);
    }
    let (code, html) = e.get("/");
    assert_eq!(code, 200);
    assert!(html.contains("<title>checker explore</title>"));
}

#[test]
fn a_counterexample_opens_as_a_path_and_a_lasso_loops_back() {
    let e = Explorer::start(&[
        "two-phase-commit",
        "--set",
        "rms=2",
        "--set",
        "ask-peers=true",
        "--set",
        "crashes=1",
    ]);
    let (_, report) = e.json("/api/report");
    let t = property(&report, "termination");
    assert_eq!(t["status"], "violated");
    let prefix = t["explorer_path"].as_str().unwrap();
    let lp = t["loop_path"].as_str().expect("a lasso has a loop path");
    let (code, at_start) = e.json(&format!("/api/steps/{prefix}"));
    assert_eq!(code, 200);
    let (code, round) = e.json(&format!("/api/steps/{prefix}/{lp}"));
    assert_eq!(code, 200);
    assert_eq!(
        at_start["state_lines"], round["state_lines"],
        "one round of the loop returns to the state it started in"
    );
    // The steps are the report's, in words with actor names.
    let words: Vec<&str> = round["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    let trace: Vec<&str> = t["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(words[1..], trace[1..]);
    assert!(words.contains(&"tm crashes"), "{words:?}");
    assert!(words.contains(&"rm1 -> rm2: Query"), "{words:?}");
    // Every enabled action names its actors, never an Id.
    let enabled = round["enabled"].as_array().unwrap();
    assert!(!enabled.is_empty());
    for a in enabled {
        assert!(!a["action"].as_str().unwrap().contains("Id("), "{a}");
    }
}

#[test]
fn a_bad_deep_link_says_what_is_wrong() {
    let e = Explorer::start(&BLOCKING);
    let (code, body) = e.json("/api/steps/0/99");
    assert_eq!(code, 404);
    let msg = body["error"].as_str().unwrap();
    assert!(
        msg.starts_with("step 1: index 99 is not an action here;"),
        "{msg}"
    );
    let (code, body) = e.json("/api/steps/3");
    assert_eq!(code, 404);
    assert_eq!(
        body["error"],
        "there is no initial state 3: the model has 1 (0 to 0)"
    );
    let (code, body) = e.json("/api/steps/0/x");
    assert_eq!(code, 400);
    assert!(body["error"].as_str().unwrap().contains("is not a path"));
    let (code, _) = e.get("/nowhere");
    assert_eq!(code, 404);
}

/// The page as headless Chromium renders it after its scripts ran.
fn rendered(url: &str) -> String {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect(
            "Chromium is needed for the explorer's browser test and is not installed: \
             `apt-get install chromium` (.ci/run installs it)",
        );
    let profile = std::env::temp_dir().join(format!("checker-chromium-{}", std::process::id()));
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium failed on {url}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn in_chromium_the_printed_deep_link_shows_the_blocked_state() {
    // The deep link as `checker check` prints it ("open it in the explorer: ... --path P").
    let check = check_json(&BLOCKING);
    let path = property(&check, "termination")["explorer_path"]
        .as_str()
        .unwrap()
        .to_string();
    let e = Explorer::start(&[&BLOCKING[..], &["--path", &path]].concat());
    let dom = rendered(&format!("http://{}/#/steps/{path}", e.addr));
    assert!(
        dom.contains(
            r#"<span class="status violated" data-property="termination">violated</span>"#
        ),
        "termination is not shown violated:\n{dom}"
    );
    // The blocked state: every RM prepared, the TM crashed.
    for line in [
        "actors.rm1.state = Rm {phase: Prepared, vote: Yes}",
        "actors.rm2.state = Rm {phase: Prepared, vote: Yes}",
        "actors.rm3.state = Rm {phase: Prepared, vote: Yes}",
        "actors.tm.crashed = true",
    ] {
        assert!(dom.contains(line), "missing {line:?}:\n{dom}");
    }
    assert!(dom.contains("7. rm3 chooses vote = Yes"), "{dom}");

    // A bad deep link shows what is wrong, not an empty page.
    let dom = rendered(&format!("http://{}/#/steps/0/99", e.addr));
    assert!(
        dom.contains("Cannot open #/steps/0/99: step 1: index 99 is not an action here"),
        "{dom}"
    );
}
