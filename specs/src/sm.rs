//! What SM(m) must satisfy: the properties of [`crate::byzantine_agreement`], as for
//! [`crate::om`].
//!
//! Theorem 2 of Lamport, Shostak and Pease: SM(m) satisfies IC1 and IC2 with at most `m`
//! traitors, for any number of generals. Pinned (`checker/tests/om.rs`): `generals=3 m=1` with
//! any one traitor holds, where OM fails; `forge=true` (a traitor forges the commander's
//! signature) breaks IC2.

use crate::byzantine_agreement::{self, ByzantineAgreement, Generals};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement};
use models::common::CfgError;
use models::generals::Traitors;
use models::sm::{SmActor, SmCfg, SmMsgKind};
use stateright::actor::ActorModelState;

/// The checked model: OM's generals from every start.
pub type SmModel = Generals<SmActor, SmCfg>;

/// A state of the whole system.
pub type SmSysState = ActorModelState<SmActor, ()>;

/// The checkable model of `cfg`: its actors started from every one of [`SmCfg::starts`].
pub fn model(cfg: SmCfg) -> SmModel {
    Generals::new(
        cfg.starts()
            .into_iter()
            .map(|s| cfg.with_start(s))
            .collect(),
    )
}

/// The declaration of `sm`.
pub fn protocol() -> Protocol<SmModel> {
    Protocol::new(
        "sm",
        "Signed messages SM(m) (Lamport, Shostak, Pease): relay signed orders m rounds; any n, at most m traitors",
        SmCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(
        SmCfg::GENERALS,
        "generals n, the commander (general 0) included",
    ))
    .param(Param::bounded(
        SmCfg::ROUNDS,
        "rounds of relaying m (SM(m)); at most generals - 2",
    ))
    .param(Param::text(
        "traitors",
        Traitors::HINT,
        "any:1",
        "the traitors: general ids (0 is the commander), none, or any:K for every placement of K at once",
    ))
    .param(Param::bounded(
        SmCfg::ORDERS,
        "orders: retreat (the default order), attack, and hold with 3",
    ))
    .param(Param::bool(
        "forge",
        false,
        "whether a traitor lieutenant can forge the commander's signature (true is broken)",
    ))
    // Lockstep rounds: a general's round ends once its messages are delivered; delivering
    // each message in flight, and making each pending traitor choice, is owed.
    .fairness(|_| Fairness::Weak)
    .end_states(byzantine_agreement::end)
    .refinement(|cfg| {
        let spec = ByzantineAgreement::new(cfg.generals, cfg.traitors.count(), cfg.orders)?;
        Ok(Some(Refinement::new(
            "byzantine-agreement",
            spec,
            byzantine_agreement::outcome::<SmActor>,
        )))
    })
    .actions(|cfg, k| {
        k.receives("general", [SmMsgKind::Signed]);
        if cfg.traitors.count() > 0 {
            for j in 1..cfg.generals {
                k.chooses("general", &format!("to l{j}"));
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<SmCfg, CfgError> {
    SmCfg::new(
        p.int("generals") as usize,
        p.int("m") as usize,
        Traitors::parse(p.text("traitors"))?,
        p.int("orders") as usize,
        p.bool("forge"),
        system_cfg(p),
    )
}
