//! A model's boundary must not hide a liveness bug (issue 17 §1). Bully bounds the recoveries
//! a run may hold; with followers that never act on their `Check` timeout, a crashed
//! coordinator is never replaced. At `recoveries=0` every state with a crashed node has its
//! recovery cut off by the boundary, and those states must still be judged.

use checker::engine::{CheckOptions, Checkable, Outcome, PropertyOutcome, Status};
use checker::params::Params;
use checker::progress::Progress;
use checker::target::ActorTarget;
use specs::bully::BullyModel;

const TAKEOVER: &str = "the highest live node coordinates and all follow it";
const RE_ELECTED: &str = "no coordinator leads to the highest live node coordinating";

/// Bully with one crash at a time, as the registry builds it from its declaration; with
/// `act_on_check` false, followers ignore their `Check` timeout (a planted bug, not a
/// parameter users explore).
fn bully(recoveries: u32, act_on_check: bool) -> Checkable<BullyModel> {
    let mut decl = specs::bully::protocol();
    if !act_on_check {
        decl.cfg = |p| Ok((specs::bully::protocol().cfg)(p)?.with_check_timeout(false));
    }
    let settings = [format!("recoveries={recoveries}"), "crashes=1".to_string()];
    let params = Params::resolve(&decl.params(), &settings).expect("valid settings");
    ActorTarget::build(&decl, &params)
        .expect("a valid configuration")
        .checkable
}

fn check(c: &Checkable<BullyModel>) -> Outcome<BullyModel> {
    c.check(&CheckOptions::default(), &Progress::default())
        .expect("valid options")
}

fn property<'a>(o: &'a Outcome<BullyModel>, name: &str) -> &'a PropertyOutcome<BullyModel> {
    o.properties.iter().find(|p| p.name == name).unwrap()
}

#[test]
fn followers_that_ignore_the_check_timeout_fail_also_without_recoveries() {
    for recoveries in [1, 0] {
        let c = bully(recoveries, false);
        let o = check(&c);
        assert!(o.complete);
        for name in [TAKEOVER, RE_ELECTED] {
            let p = property(&o, name);
            assert_eq!(
                p.status,
                Status::Violated,
                "{name}, recoveries={recoveries}"
            );
            // n3 crashes and stays down; n1 ignores its Check timeout and follows n3 for ever,
            // so it ignores n2's Halt, and n2 waits for its ack for ever.
            let t = p.trace.as_ref().unwrap();
            let words: Vec<String> = t.steps.iter().map(|s| (c.describe)(&s.0)).collect();
            assert_eq!(
                words[6..9],
                ["n3 crashes", "n1: timeout Check", "n2: timeout AnswerWait"],
                "{name}, recoveries={recoveries}"
            );
            assert!(words.iter().all(|w| !w.contains("recovers")));
            assert_eq!(t.loop_start, Some(9));
        }
    }
    // The right protocol passes, within the bound when it cuts off a recovery.
    let o = check(&bully(0, true));
    for name in [TAKEOVER, RE_ELECTED] {
        let p = property(&o, name);
        assert_eq!((p.status, p.bounded), (Status::Holds, true), "{name}");
    }
}
