//! Our own exhaustive engine over any stateright [`Model`].
//!
//! Why not stateright's checkers: their `eventually` sees a violation only at a state with no
//! successor at all, so a run that loops forever without reaching its goal, or that stops at a
//! state where only *unfair* actions remain (a crashed coordinator that could recover but need
//! not), is silently accepted; there is no fairness, no leads-to, no step invariant, no deadlock
//! or coverage report, and symmetry reduction works in DFS only. This engine walks the model
//! through the public `Model` API and records the reachable state graph compactly:
//!
//! - every unique state gets an index; we keep its 64-bit fingerprint, its parent index (so
//!   every BFS trace is a shortest one) and, when liveness is checked, its out-edges, each with
//!   the *fairness class* of its action;
//! - BFS is level-ordered and parallel: a batch of the frontier is expanded by `threads` workers
//!   (properties evaluated, successors generated and fingerprinted), then merged in frontier order
//!   by one thread, so state numbering, counts and traces do not depend on the thread count;
//! - with symmetry, each successor is replaced by its representative before fingerprinting, in
//!   BFS and DFS alike. Traces are replayed concretely afterwards, so every printed step is a real
//!   transition of the model and the explorer can open it.
//!
//! Liveness (`eventually P`, and `P ~> Q`) is decided on the recorded graph after the search; see
//! [`liveness`] for the semantics of fairness and the algorithm (SCCs of the goal-avoiding
//! subgraph, then a fairness test per SCC).
//!
//! A model may bound its state space (`Model::within_boundary`, for example Bully's budget of
//! recoveries). A state with successors outside the boundary is judged like any other on the
//! transitions that stay inside (they are its edges); a transition out of the boundary is no
//! edge, but it keeps its fairness class: when that class is owed, a run can neither stop at
//! the state nor neglect the transition for ever, and such a run, which must leave the
//! boundary, is not judged (Bully's transitions out are recoveries, which are never owed, so a
//! run may stop with a node down).
//! A verdict is then *bounded* (`PropertyOutcome::bounded`: the report says "holds within the
//! bound" and the binary exits 3) when it speaks only of the runs inside the boundary:
//!
//! - `always` properties, step invariants, refinement and deadlock that hold, and `sometimes`
//!   properties not found, as soon as the boundary cut anything (an initial state or a
//!   transition): the states beyond were never looked at;
//! - `eventually P` that holds, when a path from an initial state through states without `P`
//!   reaches a state with a transition out of the boundary (or an initial state lies outside):
//!   a run along it may fail `P` beyond; runs that meet `P` first are decided;
//! - `P ~> Q` that holds, as soon as the boundary cut anything (a trigger may lie beyond).
//!
//! A violation and a found example are never bounded: their traces are runs of the model, and a
//! liveness counterexample stops or cycles only where every action it neglects, inside the
//! boundary or out of it, is not owed.
//!
//! Symmetry and liveness are not combined: a fairness class names actors (deliver *this* message
//! to *that* node), and symmetry renames actors from one state to the next, so a fair-looking
//! cycle of representatives need not be a fair run, nor the converse. The engine refuses the
//! combination (see [`CheckError::SymmetryWithLiveness`]); safety under symmetry is sound
//! because every property we check is invariant under the declared symmetry.

mod liveness;
mod search;
mod simulate;

use specs::{LeadsTo, StepInvariant};
use stateright::Model;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::Duration;

pub use search::{check, Spilled};
pub use simulate::simulate;

/// The kinds of property the report knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Always,
    Eventually,
    Sometimes,
    LeadsTo,
}

impl Kind {
    /// The kind as printed: `always`, `eventually`, `sometimes`, `leads-to`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Always => "always",
            Kind::Eventually => "eventually",
            Kind::Sometimes => "sometimes",
            Kind::LeadsTo => "leads-to",
        }
    }
}

/// The verdict of one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Holds,
    Violated,
    Found,
    NotFound,
}

/// Search order of the exhaustive check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Bfs,
    Dfs,
}

pub use specs::protocol::{Fairness, Refinement, StatePred, StepPred, Symmetry};
pub use specs::variant_name;

/// How a check is run.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Worker threads for BFS (at least 1).
    pub threads: usize,
    pub strategy: Strategy,
    /// Reduce states to a representative of their symmetry class (protocols that declare one).
    pub symmetry: bool,
    /// Stop (incomplete) once this many unique states are known.
    pub max_states: Option<u64>,
    /// Stop (incomplete) after this long.
    pub timeout: Option<Duration>,
    /// Stop (incomplete) before the process's resident memory reaches this many bytes: the
    /// search stops at [`MEMORY_SEARCH_SHARE`] of it, leaving the rest to the verdict passes.
    pub max_memory: Option<u64>,
    /// The fairness assumed for liveness; `None` takes the protocol's declared assumption.
    pub fairness: Option<Fairness>,
    /// Report reachable states with no successor that the protocol does not declare an end.
    pub deadlock: bool,
    /// Count how often each kind of action fired.
    pub coverage: bool,
    /// Skip liveness (eventually, leads-to) entirely.
    pub safety_only: bool,
    /// Keep at most this many bytes of the frontier in memory and spill the rest to disk
    /// (models with a [`Compact`] encoding only). Without it, a packed frontier spills once
    /// the process reaches [`MEMORY_SPILL_SHARE`] of `max_memory`.
    pub frontier_memory: Option<u64>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            strategy: Strategy::Bfs,
            symmetry: false,
            max_states: None,
            timeout: None,
            max_memory: None,
            fairness: None,
            deadlock: true,
            coverage: false,
            safety_only: false,
            frontier_memory: None,
        }
    }
}

/// The share of [`CheckOptions::max_memory`] the search may fill before it stops: the verdict
/// passes after it (the liveness graph's components, the traces) need the rest.
pub const MEMORY_SEARCH_SHARE: f64 = 0.8;

/// The share of [`CheckOptions::max_memory`] at which a packed frontier starts to spill to
/// disk: the search then goes on until the rest (the visited set) reaches the limit.
pub const MEMORY_SPILL_SHARE: f64 = 0.5;

/// Why a search stopped before its frontier was empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    MaxStates,
    Timeout,
    Cancelled,
    MemoryLimit,
}

impl StopReason {
    /// As the report prints it after "incomplete: ".
    pub fn words(self) -> &'static str {
        match self {
            StopReason::MaxStates => "state limit",
            StopReason::Timeout => "time limit",
            StopReason::Cancelled => "cancelled",
            StopReason::MemoryLimit => "memory limit",
        }
    }
}

/// This process's resident memory now (Linux: `/proc/self/statm`); `None` elsewhere.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The machine's physical memory (Linux: `MemTotal` of `/proc/meminfo`); `None` elsewhere.
pub fn physical_memory_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A check that cannot be run as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Symmetry was asked for a model without one.
    #[error("this model declares no symmetry; run without --symmetry")]
    NoSymmetry,
    /// Symmetry reduction and liveness checking together (unsound for our fairness notion).
    #[error(
        "--symmetry cannot be combined with liveness checking: fairness obligations name actors, \
         which symmetry renames, so a fair cycle of representatives need not be a fair run; \
         check liveness without --symmetry, or add --safety-only"
    )]
    SymmetryWithLiveness,
    /// A frontier budget for a model whose states do not pack into bytes.
    #[error(
        "--frontier-memory needs states that pack into bytes, and this model's do not \
         (actor systems keep theirs as they are); run without it"
    )]
    CannotSpill,
    /// At least one thread is needed.
    #[error("--threads must be at least 1")]
    NoThreads,
}

/// How a simulation is run.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub seed: u64,
    /// Number of random walks.
    pub runs: usize,
    /// Maximum steps per walk.
    pub depth: usize,
}

/// An action in words.
pub type Describe<A> = Box<dyn Fn(&A) -> String + Send + Sync>;
/// A state as readable JSON.
pub type View<S> = Box<dyn Fn(&S) -> serde_json::Value + Send + Sync>;
/// What an action did, for diagrams (see [`Event`]); `None` for models that are not message
/// passing systems.
pub type EventOf<A> = Box<dyn Fn(&A) -> Option<Event> + Send + Sync>;

/// What an action of a message-passing system did, by actor name: the vocabulary of sequence
/// diagrams and of the `event` of each step in JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    Deliver {
        from: String,
        to: String,
        msg: String,
    },
    Lose {
        from: String,
        to: String,
        msg: String,
    },
    Timeout {
        actor: String,
        timer: String,
    },
    Crash {
        actor: String,
    },
    Recover {
        actor: String,
    },
    Choose {
        actor: String,
        key: String,
        value: String,
    },
}
/// A predicate over states of `M`.
pub type Pred<M> = fn(&M, &<M as Model>::State) -> bool;
/// The fairness class of an action (see [`Checkable::fair_class`]).
pub type FairClass<A> = Box<dyn Fn(&A) -> Option<u64> + Send + Sync>;

/// A model together with everything the engine needs beyond stateright's `Model` trait: its
/// properties, fairness, refinement and symmetry, and how to print it. Nothing here runs the
/// model; the runtime hooks live in [`crate::target`]. Build one with [`Checkable::new`] (any
/// model) or [`crate::actors::checkable`] (actor systems), then add what the protocol declares
/// with the `with_*` methods.
pub struct Checkable<M: Model> {
    pub model: M,
    /// Invariants of steps, checked on every explored transition.
    pub step_invariants: Vec<StepInvariant<M>>,
    /// Leads-to properties, checked with the liveness engine.
    pub leads_to: Vec<LeadsTo<M>>,
    /// The fairness class of an action: the actions of one class form one obligation (for
    /// example, delivering one particular message). `None`: never owed (a crash, a loss).
    pub fair_class: FairClass<M::Action>,
    /// The fairness the protocol assumes unless the user picks another.
    pub fairness: Fairness,
    /// A representative of the state's symmetry class, when the protocol declares one. It must
    /// be canonical (every state of a class has the same representative).
    pub symmetry: Option<Symmetry<M::State>>,
    /// The 64-bit key of a state in the visited set: [`fingerprint`] for most models,
    /// [`crate::actors::fingerprint`] for actor systems (see there why).
    pub fingerprint: fn(&M::State) -> u64,
    /// The action in words, for traces.
    pub describe: Describe<M::Action>,
    /// What an action did, for sequence diagrams.
    pub event: EventOf<M::Action>,
    /// A canonical, readable view of a state, for traces.
    pub view: View<M::State>,
    /// States in which stopping is a proper end, not a deadlock (for example, every RM decided).
    /// Without it, every state with no successor is a deadlock.
    pub end_state: Option<Pred<M>>,
    /// The abstract spec this model refines, if any.
    pub refinement: Option<Refinement<M::State>>,
    /// The kind of an action, for `--coverage` (`rm receives Prepare`, `tm crashes`).
    pub action_kind: Describe<M::Action>,
    /// Every kind this configuration could fire; those that never do are reported.
    pub action_kinds: Vec<String>,
    /// How states wait in the search's frontier: packed into bytes (see [`Compact`]), or
    /// (`None`) as they are.
    pub compact: Option<Compact<M::State>>,
}

/// A lossless byte encoding of states, for the frontier: a BFS frontier can hold a large share
/// of the reachable states at once, and a state's packed bytes are often a tenth of its size in
/// memory (no allocation headers, no pointers). `unpack(pack(s))` must equal `s`: the search
/// expands the unpacked state, so every verdict, count and trace is unchanged.
pub struct Compact<S> {
    pub pack: fn(&S, &mut Vec<u8>),
    pub unpack: fn(&[u8]) -> S,
}

impl<S> Clone for Compact<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Compact<S> {}

impl<S: serde::Serialize + serde::de::DeserializeOwned> Compact<S> {
    /// The state's serde form in postcard's encoding (variable-length integers, no field
    /// names): exact for any type whose `Deserialize` inverts its `Serialize`.
    pub fn serde() -> Self {
        Self {
            pack: |s, out| {
                let bytes = std::mem::take(out);
                *out = postcard::to_extend(s, bytes).expect("a state serialises");
            },
            unpack: |bytes| postcard::from_bytes(bytes).expect("a packed state deserialises"),
        }
    }
}

impl<M> Checkable<M>
where
    M: Model,
    M::State: Hash + serde::Serialize,
    M::Action: Hash + Debug,
{
    /// Any model: states keyed by their own `Hash`, shown as JSON; every action its own weakly
    /// fair class; each action variant a coverage kind.
    pub fn new(model: M) -> Self {
        Self {
            model,
            step_invariants: Vec::new(),
            leads_to: Vec::new(),
            fair_class: Box::new(|a| Some(fingerprint(a))),
            fairness: Fairness::Weak,
            symmetry: None,
            fingerprint: fingerprint::<M::State>,
            describe: Box::new(|a| format!("{a:?}")),
            event: Box::new(|_| None),
            view: Box::new(|s| serde_json::to_value(s).unwrap_or(serde_json::Value::Null)),
            end_state: None,
            refinement: None,
            action_kind: Box::new(|a| variant_name(&format!("{a:?}")).to_string()),
            action_kinds: Vec::new(),
            compact: None,
        }
    }
}

impl<M: Model> Checkable<M> {
    pub fn with_step_invariants(mut self, invariants: Vec<StepInvariant<M>>) -> Self {
        self.step_invariants = invariants;
        self
    }

    pub fn with_leads_to(mut self, properties: Vec<LeadsTo<M>>) -> Self {
        self.leads_to = properties;
        self
    }

    pub fn with_symmetry(mut self, representative: Symmetry<M::State>) -> Self {
        self.symmetry = Some(representative);
        self
    }

    pub fn with_end_states(mut self, end: Pred<M>) -> Self {
        self.end_state = Some(end);
        self
    }

    pub fn with_refinement(mut self, refinement: Refinement<M::State>) -> Self {
        self.refinement = Some(refinement);
        self
    }

    pub fn with_fairness(mut self, fairness: Fairness) -> Self {
        self.fairness = fairness;
        self
    }

    pub fn with_describe(mut self, describe: Describe<M::Action>) -> Self {
        self.describe = describe;
        self
    }

    pub fn with_view(mut self, view: View<M::State>) -> Self {
        self.view = view;
        self
    }

    pub fn with_action_kinds(mut self, kinds: Vec<String>) -> Self {
        self.action_kinds = kinds;
        self
    }

    /// Keep frontier states packed (see [`Compact`]).
    pub fn with_compact(mut self, compact: Compact<M::State>) -> Self {
        self.compact = Some(compact);
        self
    }

    /// Whether the model has properties only the liveness engine decides.
    pub fn has_liveness(&self) -> bool {
        !self.leads_to.is_empty()
            || self
                .model
                .properties()
                .iter()
                .any(|p| p.expectation == stateright::Expectation::Eventually)
    }
}

/// A concrete run of the model: an initial state and the steps taken from it.
pub struct Trace<M: Model> {
    /// Index of the initial state in `init_states()`.
    pub init_index: usize,
    pub init: M::State,
    /// Each step: the action, its index in `actions()` of the state before, the state after.
    pub steps: Vec<(M::Action, usize, M::State)>,
    /// For a lasso: the position (0 = the initial state, i = after step i) where the loop
    /// starts; the last step returns to that state.
    pub loop_start: Option<usize>,
}

impl<M: Model> Trace<M> {
    /// A copy of the trace.
    pub fn clone_trace(&self) -> Self
    where
        M::State: Clone,
        M::Action: Clone,
    {
        Self {
            init_index: self.init_index,
            init: self.init.clone(),
            steps: self.steps.clone(),
            loop_start: self.loop_start,
        }
    }

    /// The state the trace ends in.
    pub fn last(&self) -> &M::State {
        self.steps.last().map_or(&self.init, |s| &s.2)
    }

    /// The path in the form stateright's explorer takes after `#/steps/`. For a lasso, the
    /// prefix up to the start of the loop (the loop can be followed from there).
    pub fn explorer_path(&self) -> String {
        let upto = self.loop_start.unwrap_or(self.steps.len());
        let mut parts = vec![self.init_index.to_string()];
        parts.extend(self.steps[..upto].iter().map(|(_, i, _)| i.to_string()));
        parts.join("/")
    }

    /// For a lasso, the loop's steps as action indices (`3/1/2`), to follow from the end of
    /// [`Trace::explorer_path`]: they return to the state the loop starts in.
    pub fn loop_path(&self) -> Option<String> {
        let start = self.loop_start?;
        let parts: Vec<String> = self.steps[start..]
            .iter()
            .map(|(_, i, _)| i.to_string())
            .collect();
        Some(parts.join("/"))
    }
}

/// The verdict of one property, with its trace when there is one.
pub struct PropertyOutcome<M: Model> {
    pub name: &'static str,
    pub kind: Kind,
    pub status: Status,
    /// A `holds` or `not found` that speaks only of the runs inside the model's boundary (see
    /// the module docs).
    pub bounded: bool,
    pub trace: Option<Trace<M>>,
}

/// How often each kind of action fired during a check.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Coverage {
    /// Kind -> number of explored transitions of that kind.
    pub fired: BTreeMap<String, u64>,
    /// Declared kinds that never fired: dead code, or a configuration too small to reach them.
    pub never_fired: Vec<String>,
}

/// Everything a check found.
pub struct Outcome<M: Model> {
    pub complete: bool,
    /// Why an incomplete search stopped (none for a complete one, or a simulation).
    pub stopped: Option<StopReason>,
    /// Some verdict is bounded (see [`PropertyOutcome::bounded`]).
    pub bounded: bool,
    pub unique_states: u64,
    pub total_states: u64,
    pub max_depth: usize,
    pub seconds: f64,
    /// The fairness liveness was judged under (none when nothing was judged).
    pub fairness: Option<Fairness>,
    pub properties: Vec<PropertyOutcome<M>>,
    pub coverage: Option<Coverage>,
    /// What the frontier spilled to disk, if it did.
    pub spilled: Option<Spilled>,
}

/// The hasher behind every fingerprint. Fixed seeds: fingerprints, and so state numbering and
/// traces, are the same on every run.
pub fn hasher() -> Fingerprinter {
    use std::hash::BuildHasher;
    Fingerprinter {
        inner: ahash::RandomState::with_seeds(0x5EED_0001, 0x5EED_0002, 0x5EED_0003, 0x5EED_0004)
            .build_hasher(),
        buf: [0; FINGERPRINT_BUFFER],
        len: 0,
    }
}

/// Bytes a [`Fingerprinter`] gathers before it hashes them.
const FINGERPRINT_BUFFER: usize = 256;

/// A hasher that gathers what a state's `Hash` writes, field by field, into a buffer and
/// hashes it in blocks. A derived `Hash` writes each field, each enum discriminant and each
/// length on its own; hashing each write at once costs a multiplication that waits for the
/// previous one, and a fingerprint of a small state then costs tens of them. Like any
/// streaming hasher, the result depends only on the sequence of writes.
#[derive(Clone)]
pub struct Fingerprinter {
    inner: ahash::AHasher,
    buf: [u8; FINGERPRINT_BUFFER],
    len: usize,
}

impl Fingerprinter {
    fn flush(&mut self) {
        use std::hash::Hasher;
        self.inner.write(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl std::hash::Hasher for Fingerprinter {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > FINGERPRINT_BUFFER {
            self.flush();
            if bytes.len() >= FINGERPRINT_BUFFER {
                return self.inner.write(bytes);
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn finish(&self) -> u64 {
        let mut inner = self.inner.clone();
        inner.write(&self.buf[..self.len]);
        inner.finish()
    }
}

/// A value's fingerprint through its own `Hash`.
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = hasher();
    value.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests;
