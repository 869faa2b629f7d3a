//! The `checker` binary as a user drives it: exit codes 0 / 1 / 2 / 3, the JSON report's shape, and
//! one clear line for every kind of bad input.

use serde_json::Value;
use std::process::{Command, Output};

fn checker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .output()
        .expect("the checker binary runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

fn property<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {report}"))
}

/// A usage error: exit 2, exactly one line on stderr containing `needle`, no panic.
fn assert_usage_error(args: &[&str], needle: &str) {
    let out = checker(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
}

#[test]
fn list_shows_every_entry_with_parameters_and_defaults() {
    let out = checker(&["list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("atomic-commit") && text.contains("two-phase-commit"));
    let out = checker(&["list", "--json"]);
    let doc = json(&out);
    let tpc = doc
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "two-phase-commit")
        .unwrap();
    let names: Vec<&str> = tpc["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "rms",
            "commit-rule",
            "ask-peers",
            "network",
            "lossy",
            "crashes"
        ]
    );
    let rms = &tpc["params"][0];
    assert_eq!(
        (
            rms["default"].as_u64(),
            rms["min"].as_u64(),
            rms["max"].as_u64()
        ),
        (Some(3), Some(1), Some(9))
    );
}

#[test]
fn a_passing_check_exits_0_with_the_documented_json() {
    let out = checker(&["check", "atomic-commit", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    assert_eq!(r["protocol"], "atomic-commit");
    assert_eq!(r["params"]["rms"], 3);
    assert_eq!(
        (&r["complete"], &r["bounded"]),
        (&Value::from(true), &Value::from(false))
    );
    for key in ["unique_states", "total_states", "max_depth"] {
        assert!(r[key].as_u64().unwrap() > 0, "{key}");
    }
    assert!(r["seconds"].as_f64().is_some());
    let consistency = property(&r, "consistency");
    assert_eq!(
        (&consistency["kind"], &consistency["status"]),
        (&Value::from("always"), &Value::from("holds"))
    );
    assert!(consistency.get("trace").is_none());
    let found = property(&r, "all committed");
    assert_eq!(found["status"], "found");
    let trace = found["trace"].as_array().unwrap();
    assert_eq!(trace[0]["action"], "init");
    assert!(trace
        .iter()
        .all(|s| s["action"].is_string() && s["state"].is_object()));
}

#[test]
fn the_blocking_run_of_2pc_is_a_termination_violation_with_exit_1() {
    let out = checker(&["check", "two-phase-commit", "--set", "crashes=1", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    assert_eq!(r["params"]["crashes"], 1);
    let termination = property(&r, "termination");
    assert_eq!(
        (&termination["kind"], &termination["status"]),
        (&Value::from("eventually"), &Value::from("violated"))
    );
    let trace = termination["trace"].as_array().unwrap();
    let last = &trace.last().unwrap()["state"]["actors"];
    assert_eq!(last["tm"]["crashed"], true, "{last}");
    // Safety still holds under crashes: only liveness is lost.
    for name in [
        "agreement",
        "commit only if all voted yes",
        "decision is never reversed",
    ] {
        assert_eq!(property(&r, name)["status"], "holds", "{name}");
    }
}

#[test]
fn text_output_numbers_steps_and_prints_the_explore_command() {
    let out = checker(&["check", "two-phase-commit", "--set", "crashes=1"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("eventually termination"), "{text}");
    assert!(text.contains("  1. "), "{text}");
    assert!(text.contains("tm crashes"), "{text}");
    assert!(
        text.contains("checker explore two-phase-commit --set crashes=1 --path 0/"),
        "{text}"
    );
    // A step prints what it added to and removed from the network, never the whole list.
    assert!(text.contains("\n       - tm -> rm1: Prepare\n"), "{text}");
    assert!(text.contains("\n       + rm1 -> tm: Prepared\n"), "{text}");
    assert!(!text.contains("network: ["), "{text}");
    // Enum-valued state reads as one value, not one fragment per field.
    assert!(
        text.contains("actors.rm1.state = Rm {phase: Working, vote: none}"),
        "{text}"
    );
    // A stopped run ends by saying what could still happen and why it is not owed.
    assert!(
        text.contains(
            "the run may stop here: what is still enabled is not owed\n       tm recovers  \
             (never owed: crashes, recoveries, losses and unfair actions carry no fairness)"
        ),
        "{text}"
    );
    let r = json(&checker(&[
        "check",
        "two-phase-commit",
        "--set",
        "crashes=1",
        "--json",
    ]));
    assert_eq!(
        property(&r, "termination")["stuck"][0]["action"],
        "tm recovers",
        "{r}"
    );
}

#[test]
fn every_step_shows_a_change_even_a_redelivery_on_a_duplicating_network() {
    // On a duplicating network a delivery that changes no actor differs from the state before
    // only in which message was delivered last: the step then shows that.
    let out = checker(&[
        "check",
        "paxos",
        "--set",
        "network=unordered-duplicating",
        "--set",
        "acceptors=1",
        "--set",
        "proposers=1",
        "--json",
    ]);
    let r = json(&out);
    let mut steps = 0;
    for p in r["properties"].as_array().unwrap() {
        let Some(trace) = p["trace"].as_array() else {
            continue;
        };
        for pair in trace.windows(2) {
            steps += 1;
            assert_ne!(pair[0]["state"], pair[1]["state"], "{}", p["name"]);
        }
    }
    assert!(steps > 0, "{r}");
    let text = String::from_utf8_lossy(
        &checker(&[
            "check",
            "two-phase-commit",
            "--set",
            "network=unordered-duplicating",
            "--set",
            "crashes=1",
        ])
        .stdout,
    )
    .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut numbered = 0;
    for (i, line) in lines.iter().enumerate() {
        let step = line.strip_prefix("  ").and_then(|l| l.split_once(". "));
        let Some((n, _)) = step.filter(|(n, _)| n.parse::<usize>().is_ok_and(|n| n > 0)) else {
            continue;
        };
        numbered += 1;
        let next = lines.get(i + 1).copied().unwrap_or_default();
        assert!(
            next.starts_with("       "),
            "step {n} shows no change: {line}\n{text}"
        );
    }
    assert!(numbered > 0, "{text}");
}

#[test]
fn an_incomplete_check_exits_3() {
    let out = checker(&["check", "two-phase-commit", "--max-states", "10", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out)["complete"], false);
    assert_eq!(json(&out)["unique_states"], 10);
}

#[test]
fn a_check_at_its_memory_limit_stops_cleanly_with_the_partial_report() {
    // This configuration grew past 15 GB and was killed by the OS, printing nothing; with a
    // limit the search stops before it and reports what it judged.
    let args = [
        "check",
        "raft-election",
        "--set",
        "durable=false",
        "--set",
        "crashes=1",
        "--max-memory",
        "150M",
    ];
    let out = checker(&[&args[..], &["--json"]].concat());
    // Non-durable votes break election safety within the states searched: exit 1, as for any
    // violation, and the report says why the search stopped.
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    assert_eq!(r["complete"], false);
    assert_eq!(r["stopped_by"], "memory-limit");
    assert_eq!(
        property(&r, "votes granted at most once per term")["status"],
        "violated"
    );
    let peak = r["peak_memory_bytes"].as_u64().unwrap();
    assert!(peak < 150 << 20, "peak {peak} bytes");
    // Nothing violated within the limit: exit 3, incomplete.
    let args = [
        "check",
        "paxos",
        "--set",
        "acceptors=5",
        "--max-memory",
        "100M",
    ];
    let out = checker(&args);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(incomplete: memory limit)"), "{text}");
    assert!(text.contains("holds (search incomplete)"), "{text}");
    // A complete check names no reason.
    let r = json(&checker(&["check", "two-phase-commit", "--json"]));
    assert!(r.get("stopped_by").is_none(), "{r}");
    let r = json(&checker(&[
        "check",
        "two-phase-commit",
        "--max-states",
        "10",
        "--json",
    ]));
    assert_eq!(r["stopped_by"], "max-states");
}

#[test]
fn a_check_that_holds_only_within_the_bound_says_so_and_exits_3() {
    // No recovery fits the bound, so every state with a node down has its recovery cut off.
    let args = [
        "check",
        "bully",
        "--set",
        "crashes=1",
        "--set",
        "recoveries=0",
    ];
    let out = checker(&args);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    let takeover = text
        .lines()
        .find(|l| l.contains("the highest live node coordinates and all follow it"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(takeover.ends_with("  holds within the bound"), "{text}");
    assert!(
        text.contains("boundary cut off part of the state space"),
        "{text}"
    );
    let r = json(&checker(&[&args[..], &["--json"]].concat()));
    assert_eq!(
        (&r["complete"], &r["bounded"]),
        (&Value::from(true), &Value::from(true))
    );
    assert_eq!(property(&r, "a coordinator is elected")["bounded"], false);
    assert_eq!(property(&r, "deadlock")["bounded"], true);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    assert_usage_error(
        &["check", "three-phase"],
        "known: atomic-commit, two-phase, two-phase-commit",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--set", "nodes=3"],
        "known parameters: rms, commit-rule",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--set", "rms=ten"],
        "takes an integer",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--set", "rms=10"],
        "must be in 1..=9",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--set", "lossy=maybe"],
        "true or false",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--set", "network=mesh"],
        "one of ordered",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--set", "rms"],
        "expected NAME=VALUE",
    );
    assert_usage_error(
        &[
            "check",
            "two-phase-commit",
            "--set",
            "rms=2",
            "--set",
            "crashes=4",
        ],
        "crashes",
    );
    assert_usage_error(
        &["check", "atomic-commit", "--symmetry"],
        "declares no symmetry",
    );
    assert_usage_error(&["check", "atomic-commit", "--threads", "0"], "--threads");
    assert_usage_error(&["check", "atomic-commit", "--timeout=0"], "--timeout");
    assert_usage_error(
        &["check", "atomic-commit", "--max-memory", "lots"],
        "--max-memory 'lots' is not a size",
    );
    assert_usage_error(
        &["check", "two-phase", "--frontier-memory", "lots"],
        "--frontier-memory 'lots' is not a size",
    );
    assert_usage_error(
        &["check", "two-phase-commit", "--frontier-memory", "1M"],
        "--frontier-memory needs states that pack into bytes",
    );
    assert_usage_error(&["explore", "atomic-commit", "--path", "0/x"], "--path");
    assert_usage_error(&["simulate", "nope"], "unknown protocol");
    // clap's own usage errors also exit 2.
    let out = checker(&["check"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn simulation_reports_in_the_same_shape() {
    let out = checker(&[
        "simulate",
        "two-phase-commit",
        "--seed",
        "3",
        "--runs",
        "50",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    assert_eq!(r["mode"], "simulate");
    assert_eq!(property(&r, "agreement")["status"], "holds");
    let out = checker(&[
        "simulate",
        "two-phase-commit",
        "--set",
        "commit-rule=first-yes",
        "--runs",
        "200",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        property(&json(&out), "commit only if all voted yes")["status"],
        "violated"
    );
}

#[test]
fn explore_refuses_an_address_in_use() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = held.local_addr().unwrap().to_string();
    let out = checker(&["explore", "atomic-commit", "--addr", &addr]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
    assert!(out.stdout.is_empty());
}

#[test]
fn lassos_print_their_loop_and_carry_loop_start_in_json() {
    let args = [
        "check",
        "two-phase-commit",
        "--set",
        "rms=2",
        "--set",
        "ask-peers=true",
        "--fairness",
        "none",
    ];
    let out = checker(&args);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-- loop starts here --"), "{text}");
    // Without fairness nothing makes the loop fair: the report does not call it so.
    assert!(
        text.contains("(no fairness assumed)") && !text.contains("fair run"),
        "{text}"
    );
    assert!(
        text.contains("liveness judged under none fairness"),
        "{text}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let r = json(&checker(&json_args));
    let t = property(&r, "termination");
    assert_eq!(t["loop_start"], 2);
    assert_eq!(r["fairness"], "none");
    assert_usage_error(
        &["check", "two-phase-commit", "--symmetry"],
        "--safety-only",
    );
    let out = checker(&[
        "check",
        "two-phase-commit",
        "--symmetry",
        "--safety-only",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(json(&out)["properties"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["name"] != "termination"));
}

#[test]
fn coverage_and_no_deadlock_flags() {
    let r = json(&checker(&[
        "check",
        "atomic-commit",
        "--coverage",
        "--json",
    ]));
    assert_eq!(r["coverage"]["never_fired"], serde_json::json!([]));
    assert!(r["coverage"]["fired"]["DecideCommit"].as_u64().unwrap() > 0);
    assert_eq!(property(&r, "deadlock")["status"], "holds");
    let r = json(&checker(&[
        "check",
        "atomic-commit",
        "--no-deadlock",
        "--json",
    ]));
    assert!(r["properties"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["name"] != "deadlock"));
}

#[test]
fn dfs_traces_are_not_called_shortest() {
    let args = [
        "check",
        "two-phase-commit",
        "--set",
        "crashes=1",
        "--strategy",
        "dfs",
    ];
    let text = String::from_utf8_lossy(&checker(&args).stdout).to_string();
    assert!(text.contains("not necessarily the shortest"), "{text}");
    let r = json(&checker(&[&args[..], &["--json"]].concat()));
    assert_eq!(r["mode"], "check-dfs");
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn node_and_cluster_refuse_bad_input_with_one_line() {
    let (a, b) = (free_port(), free_port());
    let peers = format!("127.0.0.1:{a},127.0.0.1:{b}");
    let listen = format!("127.0.0.1:{a}");
    let node = |name: &str, id: &str, listen: &str, peers: &str| {
        vec![
            "node".to_string(),
            name.into(),
            "--set".into(),
            "rms=1".into(),
            "--id".into(),
            id.into(),
            "--listen".into(),
            listen.into(),
            "--peers".into(),
            peers.into(),
            "--seconds".into(),
            "0.1".into(),
        ]
    };
    let usage = |args: Vec<String>, needle: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_usage_error(&args, needle);
    };
    usage(node("no-such", "0", &listen, &peers), "unknown protocol");
    usage(
        node("two-phase-commit", "2", &listen, &peers),
        "--id 2 out of range",
    );
    usage(
        node("two-phase-commit", "0", &listen, &format!("127.0.0.1:{a}")),
        "--peers lists 1 addresses, but this configuration has 2 actors",
    );
    usage(
        node("two-phase-commit", "0", "localhost-ish", &peers),
        "--listen: 'localhost-ish' is not an address",
    );
    usage(
        node("two-phase-commit", "0", &listen, "127.0.0.1:1,nope"),
        "--peers: 'nope' is not an address",
    );
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    usage(node("two-phase-commit", "0", &taken, &peers), "cannot bind");
    usage(
        node("atomic-commit", "0", &listen, &peers),
        "atomic-commit is a spec, not an actor protocol",
    );
    assert_usage_error(
        &["cluster", "two-phase-commit", "--seconds", "0"],
        "--seconds must be a positive number",
    );
    assert_usage_error(&["cluster", "consensus"], "consensus is a spec");
}

#[test]
fn two_nodes_in_two_processes_run_2pc_and_report_counters() {
    let (a, b) = (free_port(), free_port());
    let peers = format!("127.0.0.1:{a},127.0.0.1:{b}");
    let spawn = |id: &str, port: u16| {
        Command::new(env!("CARGO_BIN_EXE_checker"))
            .args([
                "node",
                "two-phase-commit",
                "--set",
                "rms=1",
                "--id",
                id,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--peers",
                &peers,
                "--seconds",
                "1.5",
                "--json",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the checker binary runs")
    };
    // The RM first, so that it is listening when the TM sends Prepare.
    let rm = spawn("1", b);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let tm = spawn("0", a);
    let (tm, rm) = (
        tm.wait_with_output().unwrap(),
        rm.wait_with_output().unwrap(),
    );
    assert_eq!(tm.status.code(), Some(0));
    assert_eq!(rm.status.code(), Some(0));
    let (tm, rm) = (json(&tm), json(&rm));
    assert_eq!(tm["name"], "tm");
    assert_eq!(rm["name"], "rm1");
    // Prepare, a vote, the decision: the RM received Prepare and the decision (only the
    // decision, had it started too late for Prepare: the TM then times out and aborts).
    let received = rm["counters"]["received"].as_u64().unwrap();
    assert!((1..=2).contains(&received), "{rm}");
    assert!(tm["counters"]["sent"].as_u64().unwrap() >= 2, "{tm}");
    assert_eq!(tm["counters"]["dropped"]["wrong_epoch"], 0);
    let phase = rm["state"].to_string();
    assert!(
        phase.contains("Committed") || phase.contains("Aborted"),
        "{phase}"
    );
}

#[test]
fn cluster_prints_throughput_latency_and_drops_and_exits_1_on_a_violation() {
    let out = checker(&[
        "cluster",
        "two-phase-commit",
        "--seconds",
        "1",
        "--instances",
        "20",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(doc["protocol"], "two-phase-commit");
    assert_eq!(doc["instances"], 20);
    // Trace validation is on by default: every step was replayed through the model.
    assert!(doc["validated_steps"].as_u64().unwrap() > 20, "{doc}");
    // Durations are seconds, never serde's {"secs", "nanos"}.
    assert_eq!(
        doc["options"]["instance_timeout"].as_f64(),
        Some(1.0),
        "{doc}"
    );
    assert_eq!(doc["options"]["seconds"].as_f64(), Some(1.0), "{doc}");
    for key in ["p50_us", "p99_us", "max_us"] {
        assert!(doc["latency"][key].as_u64().unwrap() > 0, "{doc}");
    }
    for key in [
        "malformed",
        "truncated",
        "oversized",
        "unknown_sender",
        "wrong_epoch",
    ] {
        assert!(doc["dropped"][key].is_u64(), "{doc}");
    }
    let out = checker(&[
        "cluster",
        "two-phase-commit",
        "--set",
        "commit-rule=first-yes",
        "--seconds",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("always \"commit only if all voted yes\" VIOLATED"),
        "{text}"
    );
    // The broken TM is still a run of its (broken) model: the replay never diverges.
    assert!(
        text.contains("steps through the model: every one enabled, same states"),
        "{text}"
    );
}

#[test]
fn extreme_numbers_negative_values_and_repeated_settings_are_usage_errors() {
    assert_usage_error(
        &["check", "atomic-commit", "--timeout", "1e300"],
        "--timeout",
    );
    // A negative number gets our message, not clap's advice to write `-- -1`.
    assert_usage_error(
        &["check", "atomic-commit", "--timeout", "-1"],
        "--timeout must be a positive number of seconds",
    );
    assert_usage_error(
        &["cluster", "two-phase-commit", "--seconds", "1e300"],
        "--seconds must be a positive number of seconds, at most 1e9",
    );
    assert_usage_error(
        &["cluster", "two-phase-commit", "--instance-timeout", "1e300"],
        "--instance-timeout",
    );
    assert_usage_error(
        &[
            "node",
            "two-phase-commit",
            "--id",
            "0",
            "--listen",
            "127.0.0.1:0",
            "--peers",
            "127.0.0.1:0",
            "--seconds",
            "1e300",
        ],
        "--seconds",
    );
    assert_usage_error(
        &[
            "run",
            "two-phase-commit",
            "--seed",
            "18446744073709551615",
            "--runs",
            "2",
        ],
        "u64::MAX",
    );
    assert_usage_error(&["simulate", "atomic-commit", "--runs", "0"], "--runs");
    assert_usage_error(
        &[
            "check",
            "two-phase-commit",
            "--set",
            "rms=2",
            "--set",
            "rms=3",
        ],
        "parameter 'rms' is set twice",
    );
    // The last seed itself is fine.
    let out = checker(&[
        "run",
        "two-phase-commit",
        "--seed",
        "18446744073709551615",
        "--runs",
        "1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn with_json_a_usage_error_is_json_on_stdout_with_exit_2() {
    for args in [
        &["check", "nope", "--json"][..],
        &["check", "two-phase-commit", "--set", "rms=0", "--json"],
        // clap's own errors too: a missing name, an unknown option.
        &["check", "--json"],
        &["run", "paxos", "--json", "--frobnicate"],
    ] {
        let out = checker(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc = json(&out);
        let msg = doc["error"].as_str().unwrap_or_else(|| panic!("{doc}"));
        assert!(!msg.is_empty() && !msg.contains('\n'), "{args:?}: {msg}");
        assert!(out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn help_lists_exit_codes_examples_and_the_protocols_parameters() {
    let out = checker(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Exit codes:",
        "3  incomplete",
        "Examples:",
        "checker check two-phase-commit",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let out = checker(&["check", "paxos", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Parameters of paxos"), "{text}");
    assert!(
        text.contains("acceptors") && text.contains("--max-states"),
        "{text}"
    );
    // Every option of every command has help text.
    for command in [
        "check", "simulate", "explore", "run", "node", "cluster", "list",
    ] {
        let out = checker(&[command, "--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if !words.first().is_some_and(|w| w.starts_with('-')) {
                continue;
            }
            // The help follows on the same line, or (when long) on the next, indented.
            let same_line = words.iter().skip(1).any(|w| !w.starts_with('<'));
            let next_line = lines.get(i + 1).is_some_and(|n| {
                let n = n.trim_start();
                !n.is_empty() && !n.starts_with('-')
            });
            assert!(
                same_line || next_line,
                "{command}: option without help: {line}"
            );
        }
    }
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = checker(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("checker") && text.contains("cluster"),
            "{shell}"
        );
    }
    let out = checker(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'tcsh'"));
}

#[test]
fn ctrl_c_stops_the_search_and_prints_the_partial_report_with_exit_3() {
    // Far too big to finish in a test: only Ctrl-C ends it.
    let child = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["check", "paxos", "--set", "acceptors=5", "--safety-only"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the checker binary runs");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("stopped by Ctrl-C"), "{stderr}");
    assert!(stdout.contains("(incomplete: cancelled)"), "{stdout}");
    assert!(stdout.contains("search incomplete"), "{stdout}");
}

#[test]
fn a_frontier_spilled_to_disk_gives_the_same_report() {
    let base = ["check", "two-phase", "--set", "rms=5", "--json"];
    let in_memory = json(&checker(&base));
    assert!(in_memory.get("spilled").is_none(), "{in_memory}");
    let out = checker(&[&base[..], &["--frontier-memory", "4K"]].concat());
    assert_eq!(out.status.code(), Some(0));
    let spilled = json(&out);
    assert!(
        spilled["spilled"]["segments"].as_u64().unwrap() >= 2,
        "{spilled}"
    );
    for key in ["unique_states", "total_states", "max_depth", "complete"] {
        assert_eq!(in_memory[key], spilled[key], "{key}");
    }
    let text = String::from_utf8_lossy(
        &checker(&[
            "check",
            "two-phase",
            "--set",
            "rms=5",
            "--frontier-memory",
            "4K",
        ])
        .stdout,
    )
    .to_string();
    assert!(text.contains("frontier spilled to disk: "), "{text}");
}
