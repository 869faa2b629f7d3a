//! What the last-writer-wins register is judged by: the same properties as `abd`'s, from the
//! abstract `linearizable-register`. It keeps availability under any partition (AP) and
//! gives up linearizability: in its default configuration a read at a replica the gossip has
//! not reached returns the old value after the write returned.
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `linearizable` | always | the clients' history has a linearization against one register (fails: AP) |
//! | `a read returns a write` | sometimes (`clients` >= 2) | an answer to a read carries a written value |
//! | `every operation completes` | eventually | every client has all its answers (availability) |

use crate::linearizable_register::{
    a_read_returns_a_write, all_completed, linearizable, EVERY_OPERATION_COMPLETES, LINEARIZABLE,
};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol};
use models::common::CfgError;
use models::lww_register::{LwwActor, LwwCfg, LwwState};
use models::register::{ClientState, History, Partition, RegisterSystem};
use stateright::actor::{ActorModel, ActorModelState};
use stateright::Expectation;

/// The checkable model of the last-writer-wins register.
pub type LwwModel = ActorModel<LwwActor, LwwCfg, History>;

/// A state of the whole system.
pub type LwwSysState = ActorModelState<LwwActor, History>;

/// A client's state, if `a` is a client's.
pub fn client(a: &LwwState) -> Option<&ClientState> {
    match a {
        LwwState::Client(c) => Some(c),
        LwwState::Replica(_) => None,
    }
}

/// Availability: every client has all its answers.
pub fn every_operation_completes(m: &LwwModel, s: &LwwSysState) -> bool {
    all_completed(s, &m.cfg.base, client)
}

/// The checkable model: the actors of `cfg` plus every state property above.
pub fn model(cfg: LwwCfg) -> LwwModel {
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

/// The declaration of `lww-register`: replicas that answer at once and gossip writes, checked
/// for linearizability and availability.
pub fn protocol() -> Protocol<LwwModel> {
    Protocol::new(
        "lww-register",
        "A last-writer-wins register: each replica answers from its own copy at once and gossips writes; the highest stamp wins (AP)",
        LwwCfg::SYSTEM,
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
    .fairness(|_| Fairness::Weak)
    .end_states(every_operation_completes)
    .operations(|cfg| cfg.base.operations())
    .actions(|cfg, k| {
        use models::lww_register::LwwMsgKind as Msg;
        k.receives("replica", [Msg::Write]).receives("client", [Msg::WriteOk]);
        if cfg.base.replicas > 1 {
            k.receives("replica", [Msg::Gossip]);
        }
        if cfg.base.clients > 1 {
            k.receives("replica", [Msg::Read]).receives("client", [Msg::ReadOk]);
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<LwwCfg, CfgError> {
    LwwCfg::new(
        p.int("replicas") as usize,
        p.int("clients") as usize,
        p.int("writes") as u8,
        p.int("reads") as u8,
        Partition::parse(p.word("partition")).unwrap_or(Partition::None),
        system_cfg(p),
    )
}
