//! CAP, checked: the ABD quorum register (`abd`) and a last-writer-wins register
//! (`lww-register`) under one workload, judged by the same properties of the abstract
//! `linearizable-register`. Pinned state counts at two sizes each; the counterexamples pinned:
//! LWW's non-linearizable history at its defaults (AP), ABD's operation that never completes on
//! the minority side of a partition (CP), and ABD without its read write-back failing
//! linearizability (the new/old inversion). A number here changes only with a commit message
//! that explains why.

use checker::engine::{CheckOptions, Status};
use checker::report::Report;

mod common;
use common::{actions, check_pinned, property};

fn statuses(r: &Report) -> Vec<(&str, Status)> {
    r.properties
        .iter()
        .map(|p| (p.name.as_str(), p.status))
        .collect()
}

fn bfs() -> CheckOptions {
    CheckOptions::default()
}

#[test]
fn abd_is_linearizable_and_available_without_a_partition() {
    // Three replicas, a writer and a reader that reads twice (the defaults), then one read.
    for (settings, pinned) in [(&[][..], 68548), (&["reads=1"][..], 1795)] {
        let r = check_pinned("abd", settings, &bfs(), pinned);
        assert_eq!(
            statuses(&r),
            [
                ("linearizable", Status::Holds),
                ("a read returns a write", Status::Found),
                ("every operation completes", Status::Holds),
                ("deadlock", Status::Holds),
            ],
            "{settings:?}"
        );
    }
}

#[test]
fn abd_on_the_minority_side_of_a_partition_never_completes() {
    // The reader's home r2 is cut off: its read queries a majority it cannot reach. The writer,
    // on the majority side, completes. Consistent, not available.
    let r = check_pinned("abd", &["partition=minority"], &bfs(), 10);
    assert_eq!(
        statuses(&r),
        [
            ("linearizable", Status::Holds),
            ("a read returns a write", Status::NotFound),
            ("every operation completes", Status::Violated),
            ("deadlock", Status::Violated),
        ]
    );
    let stuck = [
        "c0 -> r0: Write { req: 0, value: 'A' }",
        "r0 -> r1: Store { req: 0, ts: 1, value: 'A' }",
        "r1 -> r0: StoreAck { req: 0 }",
        "r0 -> c0: WriteOk { req: 0 }",
        "c1 -> r2: Read { req: 0 }",
    ];
    assert_eq!(actions(property(&r, "every operation completes")), stuck);
    assert_eq!(actions(property(&r, "deadlock")), stuck);
}

#[test]
fn abd_reads_without_write_back_are_not_linearizable() {
    // The new/old inversion: the write reaches r0 only; the reader's first read asks r0 and
    // returns 'A', its second asks r1 and returns the initial value, while the write is
    // still running.
    let r = check_pinned("abd", &["write-back=false"], &bfs(), 4606);
    let lin = property(&r, "linearizable");
    assert_eq!(lin.status, Status::Violated);
    assert_eq!(
        actions(lin),
        [
            "c0 -> r0: Write { req: 0, value: 'A' }",
            "c1 -> r2: Read { req: 0 }",
            "r2 -> r0: Query { req: 0 }",
            "r0 -> r2: QueryAck { req: 0, ts: 1, value: 'A' }",
            "r2 -> c1: ReadOk { req: 0, value: 'A' }",
            "c1 -> r2: Read { req: 1 }",
            "r2 -> r1: Query { req: 1 }",
            "r1 -> r2: QueryAck { req: 1, ts: 0, value: '-' }",
            "r2 -> c1: ReadOk { req: 1, value: '-' }",
        ]
    );
    let last = &lin.trace.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["history"], "not linearizable");
    assert_eq!(
        property(&r, "every operation completes").status,
        Status::Holds
    );
}

#[test]
fn lww_is_available_but_not_linearizable_at_its_defaults() {
    // The write returns at r0 at once; the reader's second read, invoked after that, asks r2,
    // which the gossip has not reached. Available, not consistent.
    for (settings, pinned) in [(&[][..], 91), (&["replicas=5"][..], 349)] {
        let r = check_pinned("lww-register", settings, &bfs(), pinned);
        assert_eq!(
            statuses(&r),
            [
                ("linearizable", Status::Violated),
                ("a read returns a write", Status::Found),
                ("every operation completes", Status::Holds),
                ("deadlock", Status::Holds),
            ],
            "{settings:?}"
        );
    }
    let r = check_pinned("lww-register", &[], &bfs(), 91);
    let lin = property(&r, "linearizable");
    assert_eq!(
        actions(lin),
        [
            "c0 -> r0: Write { req: 0, value: 'A' }",
            "r0 -> c0: WriteOk { req: 0 }",
            "c1 -> r2: Read { req: 0 }",
            "r2 -> c1: ReadOk { req: 0, value: '-' }",
            "c1 -> r2: Read { req: 1 }",
            "r2 -> c1: ReadOk { req: 1, value: '-' }",
        ]
    );
    assert_eq!(lin.explorer_path.as_deref(), Some("0/0/2/2/2/2/2"));
    let last = &lin.trace.as_ref().unwrap().last().unwrap().state;
    assert_eq!(last["history"], "not linearizable");
}

#[test]
fn lww_completes_every_operation_under_a_minority_partition() {
    // The reader on the minority side is answered at once, with a value it never sees change.
    let r = check_pinned("lww-register", &["partition=minority"], &bfs(), 31);
    assert_eq!(
        statuses(&r),
        [
            ("linearizable", Status::Violated),
            ("a read returns a write", Status::NotFound),
            ("every operation completes", Status::Holds),
            ("deadlock", Status::Holds),
        ]
    );
}

#[test]
fn a_lossy_network_leaves_an_lww_client_waiting() {
    // No retransmission: a lost request is never answered.
    let r = check_pinned("lww-register", &["lossy=true"], &bfs(), 399);
    let progress = property(&r, "every operation completes");
    assert_eq!(progress.status, Status::Violated);
    assert_eq!(
        actions(progress),
        [
            "lost c0 -> r0: Write { req: 0, value: 'A' }",
            "lost c1 -> r2: Read { req: 0 }",
        ]
    );
    assert_eq!(property(&r, "deadlock").status, Status::Violated);
}

#[test]
fn the_abstract_register_is_linearizable_and_completes() {
    for (settings, pinned) in [(&[][..], 76), (&["clients=3"][..], 8208)] {
        let r = check_pinned("linearizable-register", settings, &bfs(), pinned);
        assert!(r.complete && r.all_pass(), "{:?}", statuses(&r));
    }
}

fn runtime(name: &str) -> impls::checked::RuntimeReport {
    let opts = impls::checked::RuntimeOptions {
        seed: 0,
        runs: 300,
        faults: impls::nemesis::Faults::DEFAULT,
        require_goal: false,
        keep_traces: false,
    };
    checker::registry::run(name, &[], &opts)
        .expect("a valid configuration")
        .expect("an actor protocol")
}

#[test]
fn on_the_simulator_abd_stays_linearizable_and_lww_does_not() {
    // The same actors under the nemesis (loss, duplication, delay, partitions that heal),
    // every step replayed through the model. ABD never fails; LWW fails only linearizability,
    // and in some runs (the finding the checker makes, at run time).
    let abd = runtime("abd");
    assert!(abd.failures.is_empty(), "{:?}", abd.failures[0].problems());
    let lww = runtime("lww-register");
    assert!(!lww.failures.is_empty());
    for run in &lww.failures {
        assert!(run.divergence.is_none(), "{:?}", run.problems());
        assert!(
            run.violations.iter().all(|v| v.property == "linearizable"),
            "{:?}",
            run.problems()
        );
    }
}
