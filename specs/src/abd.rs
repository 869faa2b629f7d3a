//! What the ABD register must satisfy: linearizability of what clients observe (Attiya,
//! Bar-Noy and Dolev 1995, section 3; Herlihy and Wing 1990), judged with the abstract
//! `linearizable-register`'s properties, and availability (Gilbert and Lynch 2002), which ABD
//! gives up under a partition.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `linearizable` | always | the clients' history has a linearization against one register |
//! | `a read returns a write` | sometimes (`clients` >= 2) | an answer to a read carries a written value |
//! | `every operation completes` | eventually | every client has all its answers (availability) |
//!
//! Without a partition ABD has both; with `partition=minority` the reader homed on the minority
//! side never completes a read (CP). With `write-back=false` reads skip their second phase and
//! `linearizable` fails (the new/old inversion).

use crate::linearizable_register::{
    a_read_returns_a_write, all_completed, linearizable, EVERY_OPERATION_COMPLETES, LINEARIZABLE,
};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol};
use models::abd::{AbdActor, AbdCfg, AbdState};
use models::common::CfgError;
use models::register::{ClientState, History, Partition, RegisterSystem};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of ABD.
pub type AbdModel = ActorModel<AbdActor, AbdCfg, History>;

/// A state of the whole ABD system.
pub type AbdSysState = ActorModelState<AbdActor, History>;

/// A client's state, if `a` is a client's.
pub fn client(a: &AbdState) -> Option<&ClientState> {
    match a {
        AbdState::Client(c) => Some(c),
        AbdState::Replica(_) => None,
    }
}

/// Availability: every client has all its answers.
pub fn every_operation_completes(m: &AbdModel, s: &AbdSysState) -> bool {
    all_completed(s, &m.cfg.base, client)
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: AbdCfg) -> AbdModel {
    let mut model = cfg
        .into_model()
        .property(Expectation::Always, LINEARIZABLE, |_, s| linearizable(s));
    if cfg.base.clients >= 2 {
        model = model.property(Expectation::Sometimes, "a read returns a write", |_, s| {
            a_read_returns_a_write(s)
        });
    }
    model.property(
        Expectation::Eventually,
        EVERY_OPERATION_COMPLETES,
        every_operation_completes,
    )
}

/// The declaration of `abd`: a majority-quorum register, checked for linearizability and
/// availability.
pub fn protocol() -> Protocol<AbdModel> {
    Protocol::new(
        "abd",
        "ABD: an atomic register over a majority of replicas; writes store at a majority, reads query a majority and write back (CP)",
        AbdCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(RegisterSystem::REPLICAS, "number of replicas"))
    .param(Param::bounded(
        RegisterSystem::CLIENTS,
        "number of clients: client 0 writes, the others read",
    ))
    .param(Param::bounded(
        RegisterSystem::WRITES,
        "writes of client 0, one after another",
    ))
    .param(Param::bounded(
        RegisterSystem::READS,
        "reads of every other client, one after another (2: the second can start after a write returned)",
    ))
    .param(Param::choice(
        "partition",
        &Partition::NAMES,
        "none",
        "a permanent partition: none, or the last minority of replicas and the clients homed there (client 1 and up) cut off",
    ))
    .param(Param::bool(
        "write-back",
        true,
        "whether a read writes back what it read before it answers (false: the classic mistake)",
    ))
    // Without crashes a message stays deliverable until it is delivered, so weak fairness
    // suffices.
    .fairness(|_| Fairness::Weak)
    // Quiet after every client has its answers is the proper end of the workload.
    .end_states(every_operation_completes)
    .operations(|cfg| cfg.base.operations())
    .actions(|cfg, k| {
        use models::abd::AbdMsgKind as Msg;
        k.receives("replica", [Msg::Write, Msg::Store])
            .receives("replica", [Msg::StoreAck])
            .receives("client", [Msg::WriteOk]);
        if cfg.base.clients > 1 {
            k.receives("replica", [Msg::Read, Msg::Query, Msg::QueryAck])
                .receives("client", [Msg::ReadOk]);
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<AbdCfg, CfgError> {
    AbdCfg::new(
        p.int("replicas") as usize,
        p.int("clients") as usize,
        p.int("writes") as u8,
        p.int("reads") as u8,
        Partition::parse(p.word("partition")).unwrap_or(Partition::None),
        p.bool("write-back"),
        system_cfg(p),
    )
}
