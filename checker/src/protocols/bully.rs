//! `bully`: Garcia-Molina's Bully algorithm under an accurate or an unreliable failure detector,
//! checked against "at most one coordinator among live nodes" and eventual takeover by the
//! highest live node, and run on the simulator with the detector as its timer gate.

use crate::actors::{self, Names};
use crate::engine::{Checkable, Fairness};
use crate::params::{Param, Params};
use crate::registry::{actor_params_on, system_cfg, Entry, Target};
use models::bully::{BullyCfg, Detector};
use specs::bully::{self as spec, BullyActors, BullyModel};
use stateright::Expectation;

pub fn entry() -> Entry {
    Entry {
        name: "bully",
        kind: "protocol",
        description: "Bully: the highest live id takes over; safe only if timeouts never fire while a node is up",
        params: || {
            let mut p = vec![
                Param::int("nodes", 1, 9, 3, "number of nodes (ids 1..=nodes)"),
                Param::choice(
                    "detector",
                    &["accurate", "unreliable"],
                    "accurate",
                    "when waits time out: only if the awaited nodes are down (synchronous), or any time",
                ),
                Param::int(
                    "recoveries",
                    0,
                    3,
                    1,
                    "how many recoveries in all the checker explores (bounds incarnation numbers; the runtime is unbounded)",
                ),
                Param::bool(
                    "incarnation-check",
                    true,
                    "whether a halter ignores acks to a previous life's Halt (false: the broken variant)",
                ),
            ];
            p.extend(actor_params_on(
                &["unordered-duplicating"],
                "message delivery: racing, with redelivery (the only network that keeps repeated sends finite)",
                "unordered-duplicating",
                false,
                0,
                9,
            ));
            p
        },
        build,
    }
}

/// The configuration the registry builds, also used by tests and benches.
pub fn cfg(p: &Params) -> Result<BullyCfg, String> {
    let detector = match p.word("detector") {
        "unreliable" => Detector::Unreliable,
        _ => Detector::Accurate,
    };
    let cfg = BullyCfg::new(p.int("nodes") as usize, detector, system_cfg(p))
        .map_err(|e| e.to_string())?;
    Ok(cfg
        .with_recoveries(p.int("recoveries") as u32)
        .with_incarnation_check(p.bool("incarnation-check")))
}

/// The bare actor system with Bully's `always` and `eventually` properties attached, for the
/// UDP driver, which needs an `ActorModel`. Over UDP the detector is what real timeouts give:
/// with timeouts of 100 ms and more against loopback latencies of microseconds and no crash,
/// a wait never times out while the awaited node is up, which is the accurate detector's
/// promise (`detector=unreliable` cannot be imposed on real timers and runs the same).
fn udp_model(cfg: BullyCfg) -> BullyActors {
    // The spec's predicates ignore their model argument; they take the wrapper's type.
    cfg.into_model()
        .property(
            Expectation::Always,
            "at most one coordinator among live nodes",
            |m, s| spec::at_most_one_coordinator_among_live_nodes(&spec::model(m.cfg), s),
        )
        .property(
            Expectation::Eventually,
            "the highest live node coordinates and all follow it",
            |m, s| {
                spec::the_highest_live_node_coordinates_and_all_follow_it(&spec::model(m.cfg), s)
            },
        )
}

fn build(p: &Params) -> Result<Box<dyn Target>, String> {
    let cfg = cfg(p)?;
    let net_names = Names::of(&cfg);
    // The bare actors with the spec's properties, shared by the UDP and plain-run hooks.
    let udp = std::sync::Arc::new(actors::checkable(udp_model(cfg), net_names.clone()));
    let plain_actors = std::sync::Arc::clone(&udp);
    // Under the accurate detector the simulator's timers are gated by the same predicate the
    // model applies (an oracle for the synchronous model).
    let gate = (cfg.detector == Detector::Accurate)
        .then_some(spec::accurate_gate as impls::sim::TimerGate<models::bully::BullyActor>);
    // The actor-system declarations (fingerprint, fairness classes, words, view), moved onto
    // the model with the detector.
    let names = Names::of(&cfg);
    let a = actors::checkable(cfg.into_model(), names.clone());
    let checkable: Checkable<BullyModel> = Checkable {
        model: spec::model(cfg),
        step_invariants: Vec::new(),
        leads_to: spec::leads_to(),
        fair_class: a.fair_class,
        // As for 2PC: a node that crashes and recovers forever must still get what is sent to
        // it again and again.
        fairness: Fairness::Strong,
        symmetry: None,
        fingerprint: a.fingerprint,
        describe: a.describe,
        view: a.view,
        end_state: Some(spec::the_highest_live_node_coordinates_and_all_follow_it),
        refinement: None,
        action_kind: a.action_kind,
        action_kinds: action_kinds(&cfg),
        // The simulator runs the bare actor system, its timers gated.
        runtime: Some(Box::new(move |c, opts| {
            actors::runtime_of(c, &c.model.actors, &names, gate, opts)
        })),
        // Over UDP the detector is real timeouts: the bare actors with the spec's properties.
        net: Some(Box::new(move |_, req| {
            crate::net::serve(&udp, &net_names.0, req)
        })),
        // Plain runs (benches) go the same way, with the spec's properties as the goal.
        plain: Some(Box::new(move |_, opts| {
            actors::plain_gated(&plain_actors.model, opts, gate)
        })),
        operations: |_| 1,
        // After faults stop and every node has recovered, the highest node takes over (the
        // leads-to property, proved with crashes=1).
        live_after_recovery: true,
    };
    Ok(Box::new(checkable))
}

/// Every kind of action this configuration could fire.
fn action_kinds(cfg: &BullyCfg) -> Vec<String> {
    let mut kinds: Vec<String> = [
        "node receives Election",
        "node receives Answer",
        "node receives Halt",
        "node receives HaltAck",
        "node receives Coordinator",
        "node timeout HaltWait",
    ]
    .map(String::from)
    .to_vec();
    if cfg.system.crashes > 0 || cfg.detector == Detector::Unreliable {
        for k in [
            "node timeout Check",
            "node timeout AnswerWait",
            "node timeout CoordWait",
        ] {
            kinds.push(k.into());
        }
    }
    if cfg.system.crashes > 0 {
        kinds.push("node crashes".into());
        kinds.push("node recovers".into());
    }
    if cfg.system.lossy {
        for m in ["Election", "Answer", "Halt", "HaltAck", "Coordinator"] {
            kinds.push(format!("lost {m}"));
        }
    }
    kinds
}
