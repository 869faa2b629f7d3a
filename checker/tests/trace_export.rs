//! `--trace-out`: counterexamples as ITF (validated against the format's schema and read back by
//! Informal Systems' `itf` crate), Mermaid sequence diagrams, JSON and text, one file per
//! violated property.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn checker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(args)
        .output()
        .expect("the checker binary runs")
}

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("checker-traces-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `checker <args> --trace-out <file>` and returns the files it says it wrote.
fn export(args: &[&str], file: &Path) -> Vec<PathBuf> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--trace-out", file.to_str().unwrap()]);
    let out = checker(&all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{all:?}: {stderr}");
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("trace written to "))
        .map(PathBuf::from)
        .collect()
}

fn itf_schema() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("data/itf.schema.json")).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn assert_valid_itf(validator: &jsonschema::Validator, file: &Path) -> Value {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    doc
}

#[test]
fn itf_traces_match_the_schema_and_read_back_with_the_itf_crate() {
    let d = dir("itf");
    let validator = itf_schema();
    // A run that stops (2PC blocks), a lasso (ask-peers without fairness), a safety violation.
    let cases: [(&[&str], &str, Option<u64>, usize); 3] = [
        (
            &["check", "two-phase-commit", "--set", "crashes=1"],
            "blocked",
            None,
            8,
        ),
        (
            &[
                "check",
                "two-phase-commit",
                "--set",
                "rms=2",
                "--set",
                "ask-peers=true",
                "--fairness",
                "none",
            ],
            "lasso",
            Some(2),
            0,
        ),
        (
            &[
                "check",
                "three-phase-commit",
                "--set",
                "rms=2",
                "--set",
                "partition=true",
            ],
            "split",
            None,
            14,
        ),
    ];
    // Our schema is not vacuous: it refuses what ITF forbids.
    assert!(!validator.is_valid(&serde_json::json!({"vars": ["x"], "states": [{"x": null}]})));
    assert!(!validator.is_valid(&serde_json::json!({"vars": ["x"], "states": [{"x": 0.5}]})));
    for (args, stem, loop_start, states) in cases {
        let files = export(args, &d.join(format!("{stem}.itf.json")));
        assert!(!files.is_empty(), "{stem}");
        for file in &files {
            let doc = assert_valid_itf(&validator, file);
            assert_eq!(doc["#meta"]["format"], "ITF");
            assert_eq!(doc["states"][0]["action"], "init");
            // Read back into the reference reader's types. (Its `trace_from_str` then decodes
            // each state again through its own deserializer, which in itf 0.4 refuses the empty
            // tuple `{"#tup": []}`, the unit value Quint itself writes in `None`: so the JSON is
            // read into `Trace<itf::Value>` directly.)
            let text = std::fs::read_to_string(file).unwrap();
            let trace: itf::Trace<itf::Value> =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(trace.states.len(), doc["states"].as_array().unwrap().len());
            let vars: Vec<&str> = trace.vars.iter().map(String::as_str).collect();
            assert!(
                vars.contains(&"actors") && vars.contains(&"network"),
                "{vars:?}"
            );
            for state in &trace.states {
                let itf::Value::Record(fields) = &state.value else {
                    panic!("a state is a record: {:?}", state.value);
                };
                let mut names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                names.sort();
                let mut expected = vars.clone();
                expected.sort();
                assert_eq!(names, expected, "every state has every variable");
            }
            // ... and written again by it, the same document.
            let again = serde_json::to_value(&trace.states[0].value).unwrap();
            let mut ours = doc["states"][0].clone();
            ours.as_object_mut().unwrap().remove("#meta");
            assert_eq!(again, ours, "{}", file.display());
            if files.len() == 1 && states > 0 {
                assert_eq!(trace.states.len(), states, "{stem}");
            }
            if let Some(l) = loop_start {
                if doc["#meta"]["description"]
                    .as_str()
                    .unwrap()
                    .contains("termination")
                {
                    assert_eq!(trace.loop_index, Some(l), "{stem}");
                    assert_eq!(doc["loop"], l);
                }
            }
        }
    }
}

#[test]
fn mermaid_diagrams_draw_messages_faults_and_the_loop() {
    let d = dir("mermaid");
    let files = export(
        &["check", "two-phase-commit", "--set", "crashes=1"],
        &d.join("blocked.mmd"),
    );
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "sequenceDiagram");
    // The TM sends first: its lifeline is leftmost.
    assert_eq!(lines[2], "    participant tm", "{text}");
    for needle in [
        "    tm->>rm1: 1. Prepare",
        "    Note right of tm: 2. Prepare (sent at step 0)",
        "    Note over tm: 4. crashes",
        "    Note over rm1: 5. chooses vote = Yes",
        "in flight at the end: rm1 -> tm: Prepared",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
    let files = export(
        &[
            "check",
            "two-phase-commit",
            "--set",
            "rms=2",
            "--set",
            "ask-peers=true",
            "--fairness",
            "none",
        ],
        &d.join("lasso.mmd"),
    );
    let lasso = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|t| t.contains("termination"))
        .expect("the termination lasso");
    let open = lasso.find("    rect ").expect("the loop is shaded");
    let close = lasso.rfind("    end").expect("and closed");
    assert!(open < close, "{lasso}");
    assert!(
        lasso[open..close].contains("->>"),
        "the loop has steps: {lasso}"
    );
}

#[test]
fn several_violations_give_one_file_each_and_formats_follow_the_ending_or_the_flag() {
    let d = dir("several");
    let args = [
        "check",
        "two-phase-commit",
        "--set",
        "crashes=1",
        "--set",
        "commit-rule=first-yes",
    ];
    let files = export(&args, &d.join("bug.json"));
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"bug-agreement.json".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"bug-termination.json".to_string()),
        "{names:?}"
    );
    for f in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        assert_eq!(doc["protocol"], "two-phase-commit");
        assert_eq!(doc["property"]["status"], "violated");
        assert!(doc["property"]["trace"].as_array().unwrap().len() > 1);
    }
    // The flag wins over the ending.
    let mut with_flag = args.to_vec();
    with_flag.extend(["--trace-format", "text"]);
    let files = export(&with_flag, &d.join("plain.out"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("  0. initial state"), "{text}");
    // No format to be told: a usage error before any checking.
    let out = checker(&[
        "check",
        "two-phase-commit",
        "--trace-out",
        d.join("trace.xyz").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trace-format"));
    // Simulations export the same way.
    let files = export(
        &[
            "simulate",
            "two-phase-commit",
            "--set",
            "commit-rule=first-yes",
            "--runs",
            "200",
        ],
        &d.join("walk.itf.json"),
    );
    assert!(!files.is_empty());
    assert_valid_itf(&itf_schema(), &files[0]);
}

#[test]
fn a_failing_run_seed_is_written_like_a_counterexample() {
    let d = dir("run");
    let validator = itf_schema();
    // 2PC whose TM commits at the first yes: runs on the simulator violate atomicity.
    let args = [
        "run",
        "two-phase-commit",
        "--set",
        "commit-rule=first-yes",
        "--runs",
        "50",
    ];
    let files = export(&args, &d.join("run.itf.json"));
    assert_eq!(files, vec![d.join("run.itf.json")]);
    let doc = assert_valid_itf(&validator, &files[0]);
    let states = doc["states"].as_array().unwrap();
    assert!(states.len() > 2, "{doc}");
    assert_eq!(states[0]["action"], "init");
    // The run's own steps, replayed through the model: the TM commits while an RM has not
    // voted yes.
    let actions: Vec<&str> = states
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert!(actions.iter().any(|a| a.contains("Commit")), "{actions:?}");
    assert!(doc["#meta"]["description"]
        .as_str()
        .unwrap()
        .contains("seed"));

    // The same run as text: the header names the property and the seed, the steps follow.
    let files = export(&args, &d.join("run.txt"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("always \"") && first.contains("(seed "),
        "{text}"
    );
    assert!(text.contains("  0. initial state"), "{text}");

    // No failing run: no file, and it says so.
    let out = checker(&[
        "run",
        "two-phase-commit",
        "--runs",
        "5",
        "--trace-out",
        d.join("none.txt").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!d.join("none.txt").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run failed"));
}

#[test]
fn a_failing_cluster_instance_is_written_like_a_counterexample() {
    let d = dir("cluster");
    let validator = itf_schema();
    // 2PC whose TM commits at the first yes, over UDP: half the votes are no, so an early
    // instance commits while an RM has not voted yes.
    let args = [
        "cluster",
        "two-phase-commit",
        "--set",
        "commit-rule=first-yes",
        "--instances",
        "200",
        "--seconds",
        "30",
    ];
    let files = export(&args, &d.join("cluster.itf.json"));
    assert_eq!(files.len(), 1, "{files:?}");
    let doc = assert_valid_itf(&validator, &files[0]);
    let description = doc["#meta"]["description"].as_str().unwrap();
    assert!(description.contains("(instance "), "{description}");
    let states = doc["states"].as_array().unwrap();
    assert_eq!(states[0]["action"], "init");
    // The nodes' steps replayed through the model: the TM receives a Prepared vote (on which
    // it commits at once).
    let actions: Vec<&str> = states
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.iter().any(|a| a.ends_with("-> tm: Prepared")),
        "{actions:?}"
    );

    // The same failure as text: the header names the property and the instance (a commit
    // needs a yes vote, so the first property to fail is always this one), and the TM decides
    // Commit in it.
    let files = export(&args, &d.join("cluster.txt"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("always \"commit only if all voted yes (instance "),
        "{text}"
    );
    assert!(text.contains("decision: none -> Commit"), "{text}");

    // Trace export needs the steps that trace validation records.
    let out = checker(&[
        "cluster",
        "two-phase-commit",
        "--no-validate",
        "--trace-out",
        d.join("x.txt").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-validate"));

    // No failing instance: no file, and it says so.
    let out = checker(&[
        "cluster",
        "two-phase-commit",
        "--instances",
        "20",
        "--seconds",
        "30",
        "--trace-out",
        d.join("none.txt").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!d.join("none.txt").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no instance violated"));
}
