//! A linearizable register (Herlihy and Wing, "Linearizability: A Correctness Condition for
//! Concurrent Objects", ACM TOPLAS 12(3), 1990): the abstract spec both replicated registers
//! of the CAP comparison are judged against (`abd`, `lww-register`).
//!
//! The spec is one register and the clients of [`models::register`]'s workload. Each
//! operation is invoked, takes effect on the register at one instant, and returns what it
//! returned then; clients perform their operations one after another. Its history, recorded by
//! stateright's `LinearizabilityTester` over its `Register` exactly as the protocols record
//! theirs, is linearizable by construction, and every operation completes. The protocols are
//! judged by the same two properties on their own histories, with the functions below:
//!
//! | property | kind | claim |
//! |---|---|---|
//! | `linearizable` | always | the clients' history has a linearization against one register (stateright's `LinearizabilityTester`) |
//! | `every operation completes` | eventually | every client has all its answers: availability, in the CAP theorem's sense (Gilbert and Lynch 2002) |

use crate::params::{Param, Params};
use crate::protocol::Spec;
use models::common::CfgError;
use models::register::Value;
use models::register::{
    workload, ClientMsg, ClientState, History, Op, RegisterSystem, RequestId, Ret, INITIAL_VALUE,
};
use serde::Serialize;
use stateright::actor::{Actor, ActorModelState, Id};
use stateright::semantics::register::{RegisterOp, RegisterRet};
use stateright::semantics::ConsistencyTester;
use stateright::{Model, Property};

/// The name of the linearizability property, word for word in every register's report.
pub const LINEARIZABLE: &str = "linearizable";
/// The name of the availability property.
pub const EVERY_OPERATION_COMPLETES: &str = "every operation completes";

/// Linearizability (Herlihy and Wing 1990): the recorded client history has a linearization.
pub fn linearizable<A: Actor>(s: &ActorModelState<A, History>) -> bool {
    s.history.is_linearizable()
}

/// Availability (Gilbert and Lynch 2002, section 2.2): every client of `sys` has had all its
/// operations answered. `client` picks a client's state out of an actor's.
pub fn all_completed<A: Actor, H>(
    s: &ActorModelState<A, H>,
    sys: &RegisterSystem,
    client: fn(&A::State) -> Option<&ClientState>,
) -> bool {
    sys.client_ids().iter().enumerate().all(|(k, &id)| {
        client(&s.actor_states[usize::from(id)]).is_some_and(|c| c.completed >= sys.ops_of(k))
    })
}

/// Whether some answer in flight to a client carries a value a client wrote.
pub fn a_read_returns_a_write<A: Actor<Msg: ClientMsg>, H>(s: &ActorModelState<A, H>) -> bool {
    s.network
        .iter_deliverable()
        .any(|e| matches!(e.msg.answer(), Some((_, Ret::ReadOk(v))) if v != INITIAL_VALUE))
}

/// Where one client of the spec stands.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize)]
pub struct SpecClient {
    /// Operations answered so far.
    pub completed: RequestId,
    /// The operation invoked and not yet answered, with its result once it took effect.
    pub pending: Option<(Op, Option<Ret>)>,
}

/// A state of the spec: the register, the clients, and the history they recorded.
#[derive(Clone, Debug, Hash, PartialEq, Serialize)]
pub struct RegisterSpecState {
    pub value: Value,
    pub clients: Vec<SpecClient>,
    pub history: History,
}

/// An action of the spec, by client index.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub enum RegisterAction {
    /// The client invokes its next operation.
    Invoke(usize),
    /// Its pending operation takes effect on the register.
    TakeEffect(usize),
    /// It receives the result.
    Return(usize),
}

/// The abstract register with `clients` clients: client 0 performs `writes` writes, the
/// others `reads` reads each.
#[derive(Clone, Debug)]
pub struct LinearizableRegister {
    pub clients: usize,
    pub writes: RequestId,
    pub reads: RequestId,
}

impl LinearizableRegister {
    /// A validated spec, with the protocols' bounds on clients and operations.
    pub fn new(clients: usize, writes: RequestId, reads: RequestId) -> Result<Self, CfgError> {
        RegisterSystem::CLIENTS.check_usize(clients)?;
        RegisterSystem::WRITES.check(u64::from(writes))?;
        RegisterSystem::READS.check(u64::from(reads))?;
        Ok(Self {
            clients,
            writes,
            reads,
        })
    }

    /// How many operations client `k` performs.
    fn ops_of(&self, k: usize) -> RequestId {
        if k == 0 {
            self.writes
        } else {
            self.reads
        }
    }
}

impl Model for LinearizableRegister {
    type State = RegisterSpecState;
    type Action = RegisterAction;

    fn init_states(&self) -> Vec<Self::State> {
        let idle = SpecClient {
            completed: 0,
            pending: None,
        };
        vec![RegisterSpecState {
            value: INITIAL_VALUE,
            clients: vec![idle; self.clients],
            history: History::default(),
        }]
    }

    fn actions(&self, s: &Self::State, actions: &mut Vec<Self::Action>) {
        for (k, c) in s.clients.iter().enumerate() {
            actions.push(match c.pending {
                None if c.completed < self.ops_of(k) => RegisterAction::Invoke(k),
                Some((_, None)) => RegisterAction::TakeEffect(k),
                Some((_, Some(_))) => RegisterAction::Return(k),
                None => continue,
            });
        }
    }

    fn next_state(&self, s: &Self::State, action: Self::Action) -> Option<Self::State> {
        let mut s = s.clone();
        match action {
            RegisterAction::Invoke(k) => {
                let op = workload(k, s.clients[k].completed);
                s.clients[k].pending = Some((op, None));
                let op = match op {
                    Op::Write(v) => RegisterOp::Write(v),
                    Op::Read => RegisterOp::Read,
                };
                s.history.tester.on_invoke(Id::from(k), op).ok()?;
            }
            RegisterAction::TakeEffect(k) => {
                let (op, _) = s.clients[k].pending?;
                let ret = match op {
                    Op::Write(v) => {
                        s.value = v;
                        Ret::WriteOk
                    }
                    Op::Read => Ret::ReadOk(s.value),
                };
                s.clients[k].pending = Some((op, Some(ret)));
            }
            RegisterAction::Return(k) => {
                let (_, ret) = s.clients[k].pending?;
                let ret = match ret? {
                    Ret::WriteOk => RegisterRet::WriteOk,
                    Ret::ReadOk(v) => RegisterRet::ReadOk(v),
                };
                s.history.tester.on_return(Id::from(k), ret).ok()?;
                s.clients[k] = SpecClient {
                    completed: s.clients[k].completed + 1,
                    pending: None,
                };
            }
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(LINEARIZABLE, |_, s: &RegisterSpecState| {
                s.history.is_linearizable()
            }),
            Property::eventually(EVERY_OPERATION_COMPLETES, |m: &Self, s| all_done(m, s)),
        ]
    }
}

/// Every client of the spec has all its answers.
fn all_done(m: &LinearizableRegister, s: &RegisterSpecState) -> bool {
    s.clients
        .iter()
        .enumerate()
        .all(|(k, c)| c.completed >= m.ops_of(k))
}

/// The declaration of `linearizable-register`: the abstract spec, checkable on its own.
pub fn spec() -> Spec<LinearizableRegister> {
    Spec::new(
        "linearizable-register",
        "A linearizable register: each client operation takes effect at one instant between its invocation and its return",
        |p: &Params| {
            LinearizableRegister::new(
                p.int("clients") as usize,
                p.int("writes") as u8,
                p.int("reads") as u8,
            )
        },
    )
    .param(Param::bounded(
        RegisterSystem::CLIENTS,
        "number of clients (client 0 writes, the others read)",
    ))
    .param(Param::bounded(
        RegisterSystem::WRITES,
        "writes of client 0, one after another",
    ))
    .param(Param::bounded(
        RegisterSystem::READS,
        "reads of every other client, one after another",
    ))
    .describe(|a| match a {
        RegisterAction::Invoke(k) => format!("c{k} invokes"),
        RegisterAction::TakeEffect(k) => format!("c{k} takes effect"),
        RegisterAction::Return(k) => format!("c{k} returns"),
    })
    .end_states(all_done)
    .action_kinds(&["Invoke", "TakeEffect", "Return"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_that_takes_effect_after_a_write_returns_it() {
        let m = LinearizableRegister::new(2, 1, 1).unwrap();
        let mut s = m.init_states().remove(0);
        for a in [
            RegisterAction::Invoke(0),
            RegisterAction::TakeEffect(0),
            RegisterAction::Invoke(1),
            RegisterAction::TakeEffect(1),
            RegisterAction::Return(1),
        ] {
            s = m.next_state(&s, a).unwrap();
        }
        assert_eq!(s.clients[1].completed, 1);
        assert!(s.history.is_linearizable());
        assert!(!all_done(&m, &s));
    }
}
