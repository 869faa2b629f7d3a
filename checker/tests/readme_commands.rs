//! Every `checker` command the README shows runs as shown: no usage error (exit 2), no panic,
//! and the exit code a comment beside it states (`# exit 1: ...`). Commands that would run
//! long are cut down, and say so here: a check gets `--max-states 50000` (so an unstated exit
//! may be 3, incomplete), `run` at most 50 runs, `simulate` at most 200 walks, `cluster` 0.5 s.
//! Not run: `explore` (a server), `node` (needs its peer), shell redirections and templates.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Each command the README shows: its arguments after `checker`, and the exit code stated
/// beside it, if any.
fn readme_commands() -> Vec<(Vec<String>, Option<i32>)> {
    let readme = include_str!("../../README.md");
    let mut out = Vec::new();
    // Commands in ```sh blocks, one per line, with an optional `# comment`.
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let (cmd, comment) = line.split_once("  #").unwrap_or((line, ""));
        let cmd = cmd.trim();
        let Some(args) = cmd
            .strip_prefix("cargo run --release -p checker -- ")
            .or_else(|| cmd.strip_prefix("checker "))
        else {
            continue;
        };
        let stated = comment
            .split_once("exit ")
            .and_then(|(_, rest)| rest.chars().next()?.to_digit(10))
            .map(|d| d as i32);
        out.push((
            args.split_whitespace().map(str::to_string).collect(),
            stated,
        ));
    }
    // Commands in the text, as `checker ...` code spans (which may wrap a line).
    let text = readme.replace('\n', " ");
    for span in text.split('`').skip(1).step_by(2) {
        if let Some(args) = span.strip_prefix("checker ") {
            let words: Vec<String> = args.split_whitespace().map(str::to_string).collect();
            let is_command = ["check", "run", "simulate", "cluster", "list"]
                .contains(&words.first().map(String::as_str).unwrap_or(""));
            if is_command && words.len() > 1 {
                out.push((words, None));
            }
        }
    }
    out
}

/// The command, cut down to run in a test; whether the cut may change its exit code (only a
/// check's state limit can: it turns a verdict into "incomplete").
fn bounded(mut args: Vec<String>) -> Option<(Vec<String>, bool)> {
    // Shell plumbing, and templates (`checker run a|b|c`, `checker check NAME`,
    // `--set generals=N`), are not commands to run.
    let all_caps = |a: &str| !a.is_empty() && a.chars().all(|c| c.is_ascii_uppercase());
    let template = |a: &String| {
        a.contains(['>', '<', '|', '&'])
            || a.contains("...")
            || all_caps(a)
            || a.split_once('=').is_some_and(|(_, value)| all_caps(value))
    };
    if args.iter().any(template) {
        return None;
    }
    // Caps `option` at `max`, or adds it at `default`.
    let cap = |args: &mut Vec<String>, option: &str, max: f64, default: &str| match args
        .iter()
        .position(|a| a == option)
    {
        Some(i) => {
            let v: f64 = args[i + 1].parse().expect("a number after the option");
            if v > max {
                args[i + 1] = default.to_string();
            }
        }
        None => args.extend([option.to_string(), default.to_string()]),
    };
    let changed = match args[0].as_str() {
        "explore" | "node" => return None,
        "check" if !args.iter().any(|a| a == "--max-states") => {
            args.extend(["--max-states".into(), "50000".into()]);
            true
        }
        // Fewer runs, walks or seconds find the same failures here: a stated exit still holds.
        "run" => {
            cap(&mut args, "--runs", 50.0, "50");
            false
        }
        "simulate" => {
            cap(&mut args, "--runs", 200.0, "200");
            false
        }
        "cluster" => {
            cap(&mut args, "--seconds", 0.5, "0.5");
            false
        }
        _ => false,
    };
    Some((args, changed))
}

#[test]
fn every_command_in_the_readme_runs_as_shown() {
    let commands = readme_commands();
    assert!(
        commands.len() >= 30,
        "only {} commands found",
        commands.len()
    );
    let dir = std::env::temp_dir().join(format!("checker-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ran = 0;
    for (args, stated) in commands {
        let Some((args, changed)) = bounded(args) else {
            continue;
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_checker"))
            .args(&args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("checker {} ran over 2 minutes", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        let code = status.code();
        assert!(
            !stderr.contains("panicked"),
            "checker {}: {stderr}",
            args.join(" ")
        );
        assert!(
            matches!(code, Some(0 | 1 | 3)),
            "checker {}: exit {code:?}: {stderr}",
            args.join(" ")
        );
        if let (Some(want), false) = (stated, changed) {
            assert_eq!(code, Some(want), "checker {}: {stderr}", args.join(" "));
        }
        ran += 1;
    }
    assert!(ran >= 25, "only {ran} commands ran");
    let _ = std::fs::remove_dir_all(&dir);
}
