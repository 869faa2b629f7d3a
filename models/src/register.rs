//! What the two replicated registers of the CAP comparison share ([`crate::abd`] and
//! [`crate::lww_register`]): one workload, one client, one partition, one history.
//!
//! # The workload
//!
//! `clients` clients use one register of [`Value`]s, initially [`INITIAL_VALUE`]. Client 0 is
//! the single writer of Attiya, Bar-Noy and Dolev's register: its operation `i` writes the
//! value `'A' + i`, which no other operation writes. Every other client reads. Each client
//! sends its operation to its *home* replica ([`RegisterSystem::home`]), waits for the answer,
//! then sends the next one, `writes` writes for client 0 and `reads` reads for every other.
//! Two reads are the fewest that show a stale read: every client invokes its first operation at
//! once, so only a reader's second read can start after a write has returned. Client 0's home is replica 0; client
//! `k >= 1`'s is replica `replicas - k`, so the first reader sits with the last replica.
//!
//! # The partition
//!
//! With [`Partition::Minority`], the replicas `majority..replicas` (the last `replicas -
//! majority`: one of three, two of five) and the clients whose home they are form the minority
//! side; everything else is the majority side. The partition is permanent: no message ever
//! crosses it. stateright's network has no notion of a partition, so the configuration
//! carries it and every actor applies it where it sends: a message to the other side is never
//! put on the network. That is exactly a network that loses every message across the cut and
//! no other; it also holds on the simulator and over UDP, where the same actors run.
//!
//! # The history
//!
//! Every client request and every answer a client accepts is recorded, in the order they
//! happen, in stateright's [`LinearizabilityTester`] over its sequential [`Register`]: the
//! model's auxiliary variable ([`History`]), fed by stateright's `record_msg_out` and
//! `record_msg_in` hooks. `linearizable` asks the tester whether some order of the
//! operations, consistent with real time, explains every answer (Herlihy and Wing 1990).

use crate::common::{Bounds, CfgError, SystemCfg};
use serde::{Deserialize, Serialize};
use stateright::actor::{majority, Envelope, Id};
use stateright::semantics::register::{Register, RegisterOp, RegisterRet};
use stateright::semantics::{ConsistencyTester, LinearizabilityTester};

/// A client's request number: its operations are numbered from 0.
pub type RequestId = u8;
/// A value of the register.
pub type Value = char;

/// The register's value before any write.
pub const INITIAL_VALUE: Value = '-';

/// A client operation.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Op {
    Write(Value),
    Read,
}

/// What an operation returns.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum Ret {
    WriteOk,
    ReadOk(Value),
}

/// Which replicas a permanent partition cuts off.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub enum Partition {
    /// Every actor reaches every other.
    None,
    /// The last `replicas - majority` replicas and their clients are cut off from the rest
    /// for good (see the module docs).
    Minority,
}

impl Partition {
    /// The command-line names, in declaration order.
    pub const NAMES: [&'static str; 2] = ["none", "minority"];

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Self::None),
            "minority" => Some(Self::Minority),
            _ => None,
        }
    }
}

/// Operation `i` of client `index`: client 0 writes `'A' + i`, every other client reads.
pub fn workload(index: usize, i: RequestId) -> Op {
    if index == 0 {
        Op::Write(char::from(b'A' + i % 26))
    } else {
        Op::Read
    }
}

/// The settings both registers share: who runs, the workload, the partition, the network.
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq, Serialize, Deserialize)]
pub struct RegisterSystem {
    /// Number of replicas (actors `Id(0)..Id(replicas)`), in 3..=7: 3 is a good default, 5
    /// checks in tens of seconds.
    pub replicas: usize,
    /// Number of clients (the actors after the replicas), in 1..=3: client 0 writes, the
    /// others read. 2 is the smallest system with a reader and a writer.
    pub clients: usize,
    /// Writes client 0 performs one after another, in 1..=3.
    pub writes: RequestId,
    /// Reads every other client performs one after another, in 1..=3.
    pub reads: RequestId,
    /// The permanent partition, if any.
    pub partition: Partition,
    /// Network and fault settings; `crashes` counts all actors.
    pub system: SystemCfg,
}

impl RegisterSystem {
    /// Replicas: 3..=7 (a minority partition needs at least 3).
    pub const REPLICAS: Bounds = Bounds::new("replicas", 3, 7, 3);
    /// Clients: 1..=3 (client 0 writes, the others read).
    pub const CLIENTS: Bounds = Bounds::new("clients", 1, 3, 2);
    /// Writes of client 0, one after another: 1..=3.
    pub const WRITES: Bounds = Bounds::new("writes", 1, 3, 1);
    /// Reads of every other client, one after another: 1..=3. 2 is the fewest that can start
    /// after a write returned (the first starts with the write).
    pub const READS: Bounds = Bounds::new("reads", 1, 3, 2);

    /// A validated configuration.
    pub fn new(
        replicas: usize,
        clients: usize,
        writes: RequestId,
        reads: RequestId,
        partition: Partition,
        system: SystemCfg,
    ) -> Result<Self, CfgError> {
        Self::REPLICAS.check_usize(replicas)?;
        Self::CLIENTS.check_usize(clients)?;
        Self::WRITES.check(u64::from(writes))?;
        Self::READS.check(u64::from(reads))?;
        system.check_crashes(replicas + clients)?;
        Ok(Self {
            replicas,
            clients,
            writes,
            reads,
            partition,
            system,
        })
    }

    /// How many operations client `index` performs.
    pub fn ops_of(&self, index: usize) -> RequestId {
        if index == 0 {
            self.writes
        } else {
            self.reads
        }
    }

    /// How many operations all clients perform together.
    pub fn operations(&self) -> u64 {
        (0..self.clients).map(|k| u64::from(self.ops_of(k))).sum()
    }

    /// The ids of the replicas.
    pub fn replica_ids(&self) -> Vec<Id> {
        Id::vec_from(0..self.replicas)
    }

    /// The ids of the clients.
    pub fn client_ids(&self) -> Vec<Id> {
        Id::vec_from(self.replicas..self.replicas + self.clients)
    }

    /// The replica client `index` sends its operations to.
    pub fn home(&self, index: usize) -> Id {
        Id::from(if index == 0 { 0 } else { self.replicas - index })
    }

    /// Whether `id` is on the minority side of the partition (never, without one).
    pub fn cut_off(&self, id: Id) -> bool {
        let i = usize::from(id);
        let replica = if i < self.replicas {
            i
        } else {
            usize::from(self.home(i - self.replicas))
        };
        self.partition == Partition::Minority && replica >= majority(self.replicas)
    }

    /// Whether a message from `a` reaches `b`.
    pub fn reachable(&self, a: Id, b: Id) -> bool {
        self.cut_off(a) == self.cut_off(b)
    }

    /// The other replicas `me` can reach.
    pub fn peers(&self, me: Id) -> Vec<Id> {
        self.replica_ids()
            .into_iter()
            .filter(|&p| p != me && self.reachable(me, p))
            .collect()
    }

    /// A short human name: `r0`.. for replicas, `c0`.. for clients.
    pub fn actor_name(&self, id: Id) -> String {
        let i = usize::from(id);
        if i < self.replicas {
            format!("r{i}")
        } else {
            format!("c{}", i - self.replicas)
        }
    }
}

/// The client side of a register's messages: what the history reads from them.
pub trait ClientMsg {
    /// The request for operation `req`.
    fn request(req: RequestId, op: Op) -> Self;
    /// The operation this message invokes, if it is a client request.
    fn invocation(&self) -> Option<(RequestId, Op)>;
    /// The answer this message carries, if it is an answer to a client.
    fn answer(&self) -> Option<(RequestId, Ret)>;
}

/// A client's state: how many of its operations have been answered.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd, Serialize, Deserialize)]
pub struct ClientState {
    pub completed: RequestId,
}

/// The clients' history as stateright's linearizability tester sees it (the models'
/// auxiliary variable). Its `Hash` is derived: the tester keeps its records in `BTreeMap`s and
/// `VecDeque`s, so equal histories hash alike.
#[derive(Clone, Debug, Hash, PartialEq)]
pub struct History {
    pub tester: LinearizabilityTester<Id, Register<Value>>,
}

impl Default for History {
    fn default() -> Self {
        Self {
            tester: LinearizabilityTester::new(Register(INITIAL_VALUE)),
        }
    }
}

impl History {
    /// Whether some order of the operations, consistent with real time, explains every answer.
    pub fn is_linearizable(&self) -> bool {
        self.tester.serialized_history().is_some()
    }

    /// Records that a client sent a request (stateright's `record_msg_out` hook).
    pub fn record_request<C, M: ClientMsg>(_: &C, h: &Self, env: Envelope<&M>) -> Option<Self> {
        let (_, op) = env.msg.invocation()?;
        let op = match op {
            Op::Write(v) => RegisterOp::Write(v),
            Op::Read => RegisterOp::Read,
        };
        let mut h = h.clone();
        let _ = h.tester.on_invoke(env.src, op);
        Some(h)
    }

    /// Records that a client accepted an answer (stateright's `record_msg_in` hook, called only
    /// for deliveries that change something: a client ignores stale answers).
    pub fn record_answer<C, M: ClientMsg>(_: &C, h: &Self, env: Envelope<&M>) -> Option<Self> {
        let (_, ret) = env.msg.answer()?;
        let ret = match ret {
            Ret::WriteOk => RegisterRet::WriteOk,
            Ret::ReadOk(v) => RegisterRet::ReadOk(v),
        };
        let mut h = h.clone();
        let _ = h.tester.on_return(env.dst, ret);
        Some(h)
    }
}

/// Shown in traces as the operations in one linearization order, or `not linearizable`.
impl Serialize for History {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.tester.serialized_history() {
            Some(ops) => {
                let ops: Vec<String> = ops
                    .iter()
                    .map(|(op, ret)| format!("{op:?} -> {ret:?}"))
                    .collect();
                ops.serialize(s)
            }
            None => "not linearizable".serialize(s),
        }
    }
}

/// A client's first request (its home replica is always on its side of a partition).
pub fn client_start<M: ClientMsg>(index: usize) -> M {
    M::request(0, workload(index, 0))
}

/// A client's step on `msg`: `Some((completed, next request))` when it is the answer to its
/// current operation (the next request `None` after the last), `None` for anything else.
pub fn client_on_answer<M: ClientMsg>(
    index: usize,
    ops: RequestId,
    state: &ClientState,
    msg: &M,
) -> Option<(ClientState, Option<M>)> {
    let (req, _) = msg.answer()?;
    if req != state.completed || state.completed >= ops {
        return None;
    }
    let completed = state.completed + 1;
    let next = (completed < ops).then(|| M::request(completed, workload(index, completed)));
    Some((ClientState { completed }, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::NetworkKind;

    fn sys(replicas: usize, clients: usize, partition: Partition) -> RegisterSystem {
        let system = SystemCfg::reliable(NetworkKind::UnorderedNonDuplicating);
        RegisterSystem::new(replicas, clients, 1, 1, partition, system).unwrap()
    }

    #[test]
    fn the_first_reader_sits_with_the_last_replica_on_the_minority_side() {
        let s = sys(3, 3, Partition::Minority);
        assert_eq!(s.home(0), Id::from(0));
        assert_eq!(s.home(1), Id::from(2));
        assert_eq!(s.home(2), Id::from(1));
        let cut: Vec<bool> = (0..6).map(|i| s.cut_off(Id::from(i))).collect();
        assert_eq!(cut, [false, false, true, false, true, false]);
        let s = sys(5, 2, Partition::Minority);
        let cut: Vec<bool> = (0..7).map(|i| s.cut_off(Id::from(i))).collect();
        assert_eq!(cut, [false, false, false, true, true, false, true]);
        assert_eq!(s.peers(Id::from(4)), [Id::from(3)]);
        assert!(sys(3, 2, Partition::None).reachable(Id::from(2), Id::from(0)));
    }

    #[test]
    fn client_0_writes_distinct_values_and_the_others_read() {
        assert_eq!(workload(0, 0), Op::Write('A'));
        assert_eq!(workload(0, 1), Op::Write('B'));
        assert_eq!(workload(1, 0), Op::Read);
        assert_eq!(workload(2, 1), Op::Read);
    }
}
