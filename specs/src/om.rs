//! What OM(m) must satisfy: the properties of [`crate::byzantine_agreement`] (IC1, IC2,
//! termination) and its refinement, judged from every traitor placement and every order of a
//! loyal commander at once (see [`model`]).
//!
//! Theorem 1 of Lamport, Shostak and Pease: OM(m) satisfies IC1 and IC2 with more than `3m`
//! generals and at most `m` traitors. The pinned results (`checker/tests/om.rs`): with
//! `generals=4 m=1` and any one traitor both hold; with `generals=3 m=1` a traitor lieutenant
//! breaks IC2 (the paper's impossibility for three generals); with `m=0` a traitor commander
//! breaks IC1.

use crate::byzantine_agreement::{self, ByzantineAgreement, Generals};
use crate::params::{Param, Params};
use crate::protocol::{system_cfg, Fairness, Protocol, Refinement};
use models::common::CfgError;
use models::generals::Traitors;
use models::om::{OmActor, OmCfg, OmMsgKind};
use stateright::actor::ActorModelState;

/// The checked model: OM's generals from every start.
pub type OmModel = Generals<OmActor, OmCfg>;

/// A state of the whole system.
pub type OmSysState = ActorModelState<OmActor, ()>;

/// The checkable model of `cfg`: its actors started from every one of [`OmCfg::starts`].
pub fn model(cfg: OmCfg) -> OmModel {
    Generals::new(
        cfg.starts()
            .into_iter()
            .map(|s| cfg.with_start(s))
            .collect(),
    )
}

/// The declaration of `om`.
pub fn protocol() -> Protocol<OmModel> {
    Protocol::new(
        "om",
        "Oral messages OM(m) (Lamport, Shostak, Pease): relay orders m rounds, obey the majority; needs n > 3m",
        OmCfg::SYSTEM,
        cfg,
        model,
    )
    .param(Param::bounded(
        OmCfg::GENERALS,
        "generals n, the commander (general 0) included",
    ))
    .param(Param::bounded(
        OmCfg::ROUNDS,
        "rounds of relaying m (OM(m)); at most generals - 2",
    ))
    .param(Param::text(
        "traitors",
        Traitors::HINT,
        "any:1",
        "the traitors: general ids (0 is the commander), none, or any:K for every placement of K at once",
    ))
    .param(Param::bounded(
        OmCfg::ORDERS,
        "orders: retreat (the default order), attack, and hold with 3",
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
            byzantine_agreement::outcome::<OmActor>,
        )))
    })
    .actions(|cfg, k| {
        k.receives("general", [OmMsgKind::Values]);
        if cfg.traitors.count() > 0 {
            for j in 1..cfg.generals {
                k.chooses("general", &format!("to l{j}"));
            }
        }
    })
}

/// The configuration for resolved parameters (see [`protocol`]).
fn cfg(p: &Params) -> Result<OmCfg, CfgError> {
    OmCfg::new(
        p.int("generals") as usize,
        p.int("m") as usize,
        Traitors::parse(p.text("traitors"))?,
        p.int("orders") as usize,
        system_cfg(p),
    )
}
