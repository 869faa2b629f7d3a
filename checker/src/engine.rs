//! Our own exhaustive engine over any stateright [`Model`].
//!
//! Why not stateright's checkers: their `eventually` sees a violation only at a state with no
//! successor at all, so a run that stops forever at a state where only *unfair* actions are enabled
//! (a crashed coordinator that could recover but need not) is silently accepted; they have no step
//! invariants, and their symmetry reduction works in DFS only. This engine walks the model through
//! the public `Model` API and records the reachable state graph compactly:
//!
//! - every unique state gets an index; we keep its 64-bit fingerprint, its parent index and the
//!   action index that reached it (so every trace is a shortest one under BFS), and, when liveness
//!   is checked, the edge list and whether the state has a *fair* exit;
//! - BFS is level-ordered and parallel: a batch of the frontier is expanded by `threads` workers
//!   (properties evaluated, successors generated and fingerprinted), then merged in frontier order
//!   by one thread, so state numbering, counts and traces do not depend on the thread count;
//! - with symmetry, each successor is replaced by its representative before fingerprinting, in
//!   BFS and DFS alike. Traces are replayed concretely afterwards, so every printed step is a real
//!   transition of the model and the explorer can open it.
//!
//! Liveness (`eventually P`): a counterexample is a path through states where `P` is false, ending
//! in an expanded state that has no fair exit: no action that is weakly fair (see
//! [`Checkable::fair`]) leads to a different state. A behaviour may stutter there forever, because
//! the only things that could still happen (a crash, a recovery, a message loss) are never owed.
//! Goal-avoiding cycles (lassos) are not searched by this engine yet; such a cycle passes.

use crate::progress::Progress;
use specs::StepInvariant;
use stateright::{Expectation, Model};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// The three kinds of property the report knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Always,
    Eventually,
    Sometimes,
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
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            strategy: Strategy::Bfs,
            symmetry: false,
            max_states: None,
            timeout: None,
        }
    }
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

/// SplitMix64: small, fast and good enough to pick successors.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The representative of a state's symmetry class.
pub type Symmetry<S> = fn(&S) -> S;
/// An action in words.
pub type Describe<A> = Box<dyn Fn(&A) -> String + Send + Sync>;
/// A state as readable JSON.
pub type View<S> = Box<dyn Fn(&S) -> serde_json::Value + Send + Sync>;
/// A state property as the engine evaluates it: kind, name, condition.
type StateProp<M> = (Kind, &'static str, fn(&M, &<M as Model>::State) -> bool);

/// A model together with what the engine needs beyond stateright's `Model` trait.
pub struct Checkable<M: Model> {
    pub model: M,
    /// Invariants of steps, checked on every explored transition.
    pub step_invariants: Vec<StepInvariant<M>>,
    /// Whether an action is weakly fair: if it stays enabled it eventually happens.
    pub fair: fn(&M::Action) -> bool,
    /// A representative of the state's symmetry class, when the protocol declares one.
    pub symmetry: Option<Symmetry<M::State>>,
    /// The action in words, for traces.
    pub describe: Describe<M::Action>,
    /// The 64-bit key of a state in the visited set: [`fingerprint`] for most models,
    /// [`crate::actors::fingerprint`] for actor systems (see there why).
    pub fingerprint: fn(&M::State) -> u64,
    /// A canonical, readable view of a state, for traces.
    pub view: View<M::State>,
}

/// A concrete run of the model: an initial state and the steps taken from it.
pub struct Trace<M: Model> {
    /// Index of the initial state in `init_states()`.
    pub init_index: usize,
    pub init: M::State,
    /// Each step: the action, its index in `actions()` of the state before, the state after.
    pub steps: Vec<(M::Action, usize, M::State)>,
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
        }
    }

    /// The state the trace ends in.
    pub fn last(&self) -> &M::State {
        self.steps.last().map_or(&self.init, |s| &s.2)
    }

    /// The path in the form stateright's explorer takes after `#/steps/`.
    pub fn explorer_path(&self) -> String {
        let mut parts = vec![self.init_index.to_string()];
        parts.extend(self.steps.iter().map(|(_, i, _)| i.to_string()));
        parts.join("/")
    }
}

/// The verdict of one property, with its trace when there is one.
pub struct PropertyOutcome<M: Model> {
    pub name: &'static str,
    pub kind: Kind,
    pub status: Status,
    pub trace: Option<Trace<M>>,
}

/// Everything a check found.
pub struct Outcome<M: Model> {
    pub complete: bool,
    pub unique_states: u64,
    pub total_states: u64,
    pub max_depth: usize,
    pub seconds: f64,
    pub properties: Vec<PropertyOutcome<M>>,
}

/// The hasher behind every fingerprint. Fixed seeds: fingerprints, and so state numbering and
/// traces, are the same on every run.
pub fn hasher() -> ahash::AHasher {
    use std::hash::BuildHasher;
    ahash::RandomState::with_seeds(0x5EED_0001, 0x5EED_0002, 0x5EED_0003, 0x5EED_0004)
        .build_hasher()
}

/// A state's fingerprint through its own `Hash`.
pub fn fingerprint<T: Hash>(value: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = hasher();
    value.hash(&mut h);
    h.finish()
}

/// Where a property was first decided: a state, a step out of a state that breaks step
/// invariant `usize`, or an explicit path of state indices (liveness).
#[derive(Clone)]
enum Witness {
    State(u32),
    Step(u32, usize),
    Path(Vec<u32>),
}

/// What a worker learns from expanding one state.
struct Expansion<S> {
    /// Per state property (in `props` order): does the condition hold here?
    holds: Vec<bool>,
    /// Per step invariant: the index of the first action whose step breaks it.
    broken_steps: Vec<Option<usize>>,
    succ: Vec<Succ<S>>,
}

struct Succ<S> {
    fp: u64,
    state: S,
    fair: bool,
}

const ROOT: u32 = u32::MAX;
const BATCH: usize = 2048;

/// The reachable graph as far as it was explored.
struct Graph {
    index: HashMap<u64, u32>,
    fps: Vec<u64>,
    parent: Vec<u32>,
    depth: Vec<u32>,
    /// Filled only when liveness is checked.
    edges: Vec<(u32, u32)>,
    expanded: Vec<bool>,
    fair_exit: Vec<bool>,
    /// Per eventually property: does its goal hold in each state?
    goal: Vec<Vec<bool>>,
}

impl Graph {
    fn insert(&mut self, fp: u64, parent: u32, depth: u32) -> Option<u32> {
        use std::collections::hash_map::Entry;
        match self.index.entry(fp) {
            Entry::Occupied(_) => None,
            Entry::Vacant(v) => {
                let ix = self.fps.len() as u32;
                v.insert(ix);
                self.fps.push(fp);
                self.parent.push(parent);
                self.depth.push(depth);
                self.expanded.push(false);
                self.fair_exit.push(false);
                for g in &mut self.goal {
                    g.push(false);
                }
                Some(ix)
            }
        }
    }

    fn path_to(&self, mut ix: u32) -> Vec<u64> {
        let mut fps = vec![self.fps[ix as usize]];
        while self.parent[ix as usize] != ROOT {
            ix = self.parent[ix as usize];
            fps.push(self.fps[ix as usize]);
        }
        fps.reverse();
        fps
    }
}

impl<M> Checkable<M>
where
    M: Model + Sync,
    M::State: Clone + Hash + Send + Sync,
    M::Action: Clone + Send,
{
    fn canonical(&self, state: M::State, symmetry: bool) -> M::State {
        match (symmetry, self.symmetry) {
            (true, Some(rep)) => rep(&state),
            _ => state,
        }
    }

    fn state_props(&self) -> Vec<StateProp<M>> {
        self.model
            .properties()
            .into_iter()
            .map(|p| {
                let kind = match p.expectation {
                    Expectation::Always => Kind::Always,
                    Expectation::Eventually => Kind::Eventually,
                    Expectation::Sometimes => Kind::Sometimes,
                };
                (kind, p.name, p.condition)
            })
            .collect()
    }

    fn expand(
        &self,
        state: &M::State,
        props: &[StateProp<M>],
        symmetry: bool,
    ) -> Expansion<M::State> {
        let holds = props.iter().map(|p| (p.2)(&self.model, state)).collect();
        let mut broken_steps = vec![None; self.step_invariants.len()];
        let mut actions = Vec::new();
        self.model.actions(state, &mut actions);
        let own_fp = fingerprint(state);
        let mut succ = Vec::with_capacity(actions.len());
        for (ai, action) in actions.into_iter().enumerate() {
            let fair = (self.fair)(&action);
            let Some(next) = self.model.next_state(state, action) else {
                continue;
            };
            if !self.model.within_boundary(&next) {
                continue;
            }
            for (si, inv) in self.step_invariants.iter().enumerate() {
                if broken_steps[si].is_none() && !(inv.holds)(&self.model, state, &next) {
                    broken_steps[si] = Some(ai);
                }
            }
            let next = self.canonical(next, symmetry);
            let fp = (self.fingerprint)(&next);
            succ.push(Succ {
                fp,
                state: next,
                fair: fair && fp != own_fp,
            });
        }
        Expansion {
            holds,
            broken_steps,
            succ,
        }
    }

    /// Explores every reachable state (within the options' bounds) and decides every property.
    pub fn check(&self, opts: &CheckOptions, progress: &Progress) -> Outcome<M> {
        let start = Instant::now();
        let props = self.state_props();
        let eventually: Vec<usize> = (0..props.len())
            .filter(|&i| props[i].0 == Kind::Eventually)
            .collect();
        let liveness = !eventually.is_empty();
        let symmetry = opts.symmetry && self.symmetry.is_some();
        let mut g = Graph {
            index: HashMap::new(),
            fps: Vec::new(),
            parent: Vec::new(),
            depth: Vec::new(),
            edges: Vec::new(),
            expanded: Vec::new(),
            fair_exit: Vec::new(),
            goal: vec![Vec::new(); eventually.len()],
        };
        // First witness per state property and per step invariant.
        let mut state_wit: Vec<Option<Witness>> = vec![None; props.len()];
        let mut step_wit: Vec<Option<Witness>> = vec![None; self.step_invariants.len()];
        let mut total: u64 = 0;
        let mut complete = true;

        // The frontier holds (index, state); BFS pops from the front, DFS from the back.
        let mut frontier: VecDeque<(u32, M::State)> = VecDeque::new();
        for init in self.model.init_states() {
            total += 1;
            if !self.model.within_boundary(&init) {
                continue;
            }
            let init = self.canonical(init, symmetry);
            let fp = (self.fingerprint)(&init);
            if let Some(ix) = g.insert(fp, ROOT, 0) {
                frontier.push_back((ix, init));
            }
        }

        let threads = opts.threads.max(1);
        'search: while !frontier.is_empty() {
            if opts.timeout.is_some_and(|t| start.elapsed() >= t)
                || opts.max_states.is_some_and(|m| g.fps.len() as u64 >= m)
            {
                complete = false;
                break 'search;
            }
            let batch: Vec<(u32, M::State)> = match opts.strategy {
                Strategy::Bfs => {
                    let n = frontier.len().min(BATCH * threads);
                    frontier.drain(..n).collect()
                }
                Strategy::Dfs => vec![frontier.pop_back().expect("frontier is not empty")],
            };
            let expansions = self.expand_batch(&batch, &props, symmetry, threads);
            for ((ix, _), exp) in batch.iter().zip(expansions) {
                let ix = *ix;
                g.expanded[ix as usize] = true;
                for (pi, holds) in exp.holds.iter().enumerate() {
                    let decided = match props[pi].0 {
                        Kind::Always => !holds,
                        Kind::Sometimes => *holds,
                        Kind::Eventually => false,
                    };
                    if decided && state_wit[pi].is_none() {
                        state_wit[pi] = Some(Witness::State(ix));
                    }
                }
                for (k, &pi) in eventually.iter().enumerate() {
                    g.goal[k][ix as usize] = exp.holds[pi];
                }
                for (si, broken) in exp.broken_steps.iter().enumerate() {
                    if broken.is_some() && step_wit[si].is_none() {
                        step_wit[si] = Some(Witness::Step(ix, si));
                    }
                }
                let depth = g.depth[ix as usize] + 1;
                let mut fresh = Vec::new();
                for s in exp.succ {
                    total += 1;
                    if s.fair {
                        g.fair_exit[ix as usize] = true;
                    }
                    let child = match g.insert(s.fp, ix, depth) {
                        Some(child) => {
                            fresh.push((child, s.state));
                            child
                        }
                        None => g.index[&s.fp],
                    };
                    if liveness {
                        g.edges.push((ix, child));
                    }
                }
                match opts.strategy {
                    Strategy::Bfs => frontier.extend(fresh),
                    // Reversed so that the first action is explored first.
                    Strategy::Dfs => frontier.extend(fresh.into_iter().rev()),
                }
            }
            progress.total.store(total, Relaxed);
            progress.unique.store(g.fps.len() as u64, Relaxed);
            progress.queue.store(frontier.len() as u64, Relaxed);
            if let Some((ix, _)) = frontier.front() {
                progress
                    .depth
                    .fetch_max(g.depth[*ix as usize] as u64, Relaxed);
            }
        }

        let mut properties = Vec::new();
        let mut k = 0;
        for (pi, (kind, name, _)) in props.iter().enumerate() {
            let (status, wit) = match kind {
                Kind::Always => match state_wit[pi].clone() {
                    Some(w) => (Status::Violated, Some(w)),
                    None => (Status::Holds, None),
                },
                Kind::Sometimes => match state_wit[pi].clone() {
                    Some(w) => (Status::Found, Some(w)),
                    None => (Status::NotFound, None),
                },
                Kind::Eventually => {
                    let found = stuck_path(&g, &g.goal[k]);
                    k += 1;
                    match found {
                        Some(path) => (Status::Violated, Some(Witness::Path(path))),
                        None => (Status::Holds, None),
                    }
                }
            };
            properties.push(PropertyOutcome {
                name,
                kind: *kind,
                status,
                trace: wit.map(|w| self.replay(&g, w, symmetry)),
            });
        }
        for (si, inv) in self.step_invariants.iter().enumerate() {
            properties.push(PropertyOutcome {
                name: inv.name,
                kind: Kind::Always,
                status: if step_wit[si].is_some() {
                    Status::Violated
                } else {
                    Status::Holds
                },
                trace: step_wit[si].clone().map(|w| self.replay(&g, w, symmetry)),
            });
        }
        Outcome {
            complete,
            unique_states: g.fps.len() as u64,
            total_states: total,
            max_depth: g.depth.iter().copied().max().unwrap_or(0) as usize,
            seconds: start.elapsed().as_secs_f64(),
            properties,
        }
    }

    fn expand_batch(
        &self,
        batch: &[(u32, M::State)],
        props: &[StateProp<M>],
        symmetry: bool,
        threads: usize,
    ) -> Vec<Expansion<M::State>> {
        if threads == 1 || batch.len() < 64 {
            return batch
                .iter()
                .map(|(_, s)| self.expand(s, props, symmetry))
                .collect();
        }
        let chunk = batch.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(_, s)| self.expand(s, props, symmetry))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("expansion worker panicked"))
                .collect()
        })
    }

    /// Random walks from the initial states. Each walk checks the state properties on every
    /// state and the step invariants on every step it takes; it ends at `depth` steps or at a
    /// state without a fair exit, where every `eventually` goal not yet met along the walk is a
    /// violation. Traces are the walks themselves, so not necessarily the shortest.
    pub fn simulate(&self, opts: &SimOptions) -> Outcome<M> {
        let start = Instant::now();
        let props = self.state_props();
        let mut results: Vec<(Status, Option<Trace<M>>)> = props
            .iter()
            .map(|p| match p.0 {
                Kind::Sometimes => (Status::NotFound, None),
                _ => (Status::Holds, None),
            })
            .chain(self.step_invariants.iter().map(|_| (Status::Holds, None)))
            .collect();
        let mut rng = Rng(opts.seed);
        let mut seen = std::collections::HashSet::new();
        let (mut total, mut max_depth) = (0u64, 0usize);
        let inits = self.model.init_states();
        for _ in 0..opts.runs {
            if inits.is_empty() {
                break;
            }
            let init_index = rng.below(inits.len());
            let mut walk: Trace<M> = Trace {
                init_index,
                init: inits[init_index].clone(),
                steps: Vec::new(),
            };
            let mut met = vec![false; props.len()];
            loop {
                let here = walk.last().clone();
                total += 1;
                seen.insert((self.fingerprint)(&here));
                for (pi, p) in props.iter().enumerate() {
                    let holds = (p.2)(&self.model, &here);
                    met[pi] |= holds;
                    let decided = match p.0 {
                        Kind::Always => !holds,
                        Kind::Sometimes => holds,
                        Kind::Eventually => false,
                    };
                    if decided && results[pi].1.is_none() {
                        let status = if p.0 == Kind::Always {
                            Status::Violated
                        } else {
                            Status::Found
                        };
                        results[pi] = (status, Some(walk.clone_trace()));
                    }
                }
                let mut actions = Vec::new();
                self.model.actions(&here, &mut actions);
                let own = (self.fingerprint)(&here);
                let succ: Vec<(M::Action, usize, M::State, bool)> = actions
                    .into_iter()
                    .enumerate()
                    .filter_map(|(ai, a)| {
                        let fair = (self.fair)(&a);
                        let next = self.model.next_state(&here, a.clone())?;
                        let moved = (self.fingerprint)(&next) != own;
                        self.model
                            .within_boundary(&next)
                            .then_some((a, ai, next, fair && moved))
                    })
                    .collect();
                if !succ.iter().any(|s| s.3) {
                    for (pi, p) in props.iter().enumerate() {
                        if p.0 == Kind::Eventually && !met[pi] && results[pi].1.is_none() {
                            results[pi] = (Status::Violated, Some(walk.clone_trace()));
                        }
                    }
                    break;
                }
                if walk.steps.len() >= opts.depth {
                    break;
                }
                let pick = rng.below(succ.len());
                let (a, ai, next, _) = succ.into_iter().nth(pick).expect("index in range");
                for (si, inv) in self.step_invariants.iter().enumerate() {
                    let r = props.len() + si;
                    if results[r].1.is_none() && !(inv.holds)(&self.model, &here, &next) {
                        let mut t = walk.clone_trace();
                        t.steps.push((a.clone(), ai, next.clone()));
                        results[r] = (Status::Violated, Some(t));
                    }
                }
                walk.steps.push((a, ai, next));
            }
            max_depth = max_depth.max(walk.steps.len());
        }
        let names = props
            .iter()
            .map(|p| (p.1, p.0))
            .chain(self.step_invariants.iter().map(|i| (i.name, Kind::Always)));
        Outcome {
            complete: false,
            unique_states: seen.len() as u64,
            total_states: total,
            max_depth,
            seconds: start.elapsed().as_secs_f64(),
            properties: names
                .zip(results)
                .map(|((name, kind), (status, trace))| PropertyOutcome {
                    name,
                    kind,
                    status,
                    trace,
                })
                .collect(),
        }
    }

    /// Turns a witness into a concrete run: from an initial state, at each step the first action
    /// whose (canonical) successor has the next fingerprint on the recorded path.
    fn replay(&self, g: &Graph, wit: Witness, symmetry: bool) -> Trace<M> {
        let (fps, broken) = match wit {
            Witness::State(ix) => (g.path_to(ix), None),
            Witness::Step(ix, si) => (g.path_to(ix), Some(&self.step_invariants[si])),
            Witness::Path(path) => (path.iter().map(|&ix| g.fps[ix as usize]).collect(), None),
        };
        let inits = self.model.init_states();
        let (init_index, init) = inits
            .into_iter()
            .enumerate()
            .find(|(_, s)| (self.fingerprint)(&self.canonical(s.clone(), symmetry)) == fps[0])
            .expect("the recorded path starts at an initial state");
        let mut trace = Trace {
            init_index,
            init,
            steps: Vec::new(),
        };
        for want in &fps[1..] {
            let step = self
                .first_step(trace.last(), |_, next| {
                    (self.fingerprint)(&self.canonical(next.clone(), symmetry)) == *want
                })
                .expect("every recorded edge can be replayed");
            trace.steps.push(step);
        }
        if let Some(inv) = broken {
            // Under symmetry the concrete state may be a permutation of the stored one, so the
            // offending action is found again rather than taken from the stored index.
            let step = self
                .first_step(trace.last(), |here, next| {
                    !(inv.holds)(&self.model, here, next)
                })
                .expect("the broken step can be replayed");
            trace.steps.push(step);
        }
        trace
    }

    /// The first action of `here` (in `actions()` order) whose step satisfies `pick`.
    fn first_step(
        &self,
        here: &M::State,
        pick: impl Fn(&M::State, &M::State) -> bool,
    ) -> Option<(M::Action, usize, M::State)> {
        let mut actions = Vec::new();
        self.model.actions(here, &mut actions);
        actions.into_iter().enumerate().find_map(|(ai, a)| {
            let next = self.model.next_state(here, a.clone())?;
            pick(here, &next).then_some((a, ai, next))
        })
    }
}

/// BFS through goal-avoiding states from the initial states to the nearest expanded state that
/// has no fair exit. Returns the path (state indices) to it, every state on which avoids the goal.
fn stuck_path(g: &Graph, goal: &[bool]) -> Option<Vec<u32>> {
    let n = g.fps.len();
    let mut start = vec![0u32; n + 1];
    for &(s, _) in &g.edges {
        start[s as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut adj = vec![0u32; g.edges.len()];
    let mut fill = start.clone();
    for &(s, d) in &g.edges {
        adj[fill[s as usize] as usize] = d;
        fill[s as usize] += 1;
    }
    let mut from = vec![u32::MAX - 1; n];
    let mut queue = VecDeque::new();
    for ix in 0..n {
        if g.parent[ix] == ROOT && !goal[ix] {
            from[ix] = ROOT;
            queue.push_back(ix as u32);
        }
    }
    while let Some(ix) = queue.pop_front() {
        let i = ix as usize;
        if g.expanded[i] && !g.fair_exit[i] {
            let mut path = vec![ix];
            while from[*path.last().unwrap() as usize] != ROOT {
                path.push(from[*path.last().unwrap() as usize]);
            }
            path.reverse();
            return Some(path);
        }
        for &d in &adj[start[i] as usize..start[i + 1] as usize] {
            if from[d as usize] == u32::MAX - 1 && !goal[d as usize] {
                from[d as usize] = ix;
                queue.push_back(d);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Property;

    /// A counter that counts to `max`; it may crash (and then recover) when `crashes` is true.
    /// A pair of interchangeable counters when `pair` is true (for symmetry).
    struct Counter {
        max: u8,
        crashes: bool,
    }

    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    enum Act {
        Inc,
        Crash,
        Recover,
    }

    impl Model for Counter {
        type State = (u8, bool);
        type Action = Act;
        fn init_states(&self) -> Vec<(u8, bool)> {
            vec![(0, false)]
        }
        fn actions(&self, s: &(u8, bool), out: &mut Vec<Act>) {
            if !s.1 && s.0 < self.max {
                out.push(Act::Inc);
            }
            if self.crashes {
                out.push(if s.1 { Act::Recover } else { Act::Crash });
            }
        }
        fn next_state(&self, s: &(u8, bool), a: Act) -> Option<(u8, bool)> {
            Some(match a {
                Act::Inc => (s.0 + 1, s.1),
                Act::Crash => (s.0, true),
                Act::Recover => (s.0, false),
            })
        }
        fn properties(&self) -> Vec<Property<Self>> {
            vec![
                Property::always("below three", |_, s: &(u8, bool)| s.0 < 3),
                Property::sometimes("two", |_, s: &(u8, bool)| s.0 == 2),
                Property::sometimes("ten", |_, s: &(u8, bool)| s.0 == 10),
                Property::eventually("reaches max", |m: &Counter, s: &(u8, bool)| s.0 == m.max),
            ]
        }
    }

    fn counter(max: u8, crashes: bool) -> Checkable<Counter> {
        Checkable {
            model: Counter { max, crashes },
            step_invariants: vec![StepInvariant {
                name: "never decreases",
                holds: |_, a, b| b.0 >= a.0,
            }],
            fair: |a| matches!(a, Act::Inc),
            symmetry: None,
            fingerprint,
            describe: Box::new(|a| format!("{a:?}")),
            view: Box::new(|s| serde_json::json!(s)),
        }
    }

    fn status(o: &Outcome<Counter>, name: &str) -> Status {
        o.properties.iter().find(|p| p.name == name).unwrap().status
    }

    fn trace_actions(o: &Outcome<Counter>, name: &str) -> Vec<Act> {
        let p = o.properties.iter().find(|p| p.name == name).unwrap();
        let t = p.trace.as_ref().unwrap();
        t.steps.iter().map(|s| s.0.clone()).collect()
    }

    #[test]
    fn counts_states_and_finds_shortest_traces() {
        let o = counter(4, false).check(&CheckOptions::default(), &Progress::default());
        assert!(o.complete);
        assert_eq!((o.unique_states, o.total_states, o.max_depth), (5, 5, 4));
        assert_eq!(status(&o, "below three"), Status::Violated);
        assert_eq!(trace_actions(&o, "below three"), vec![Act::Inc; 3]);
        assert_eq!(status(&o, "two"), Status::Found);
        assert_eq!(status(&o, "ten"), Status::NotFound);
        assert_eq!(status(&o, "reaches max"), Status::Holds);
        assert_eq!(status(&o, "never decreases"), Status::Holds);
    }

    #[test]
    fn stuck_at_an_unfair_action_violates_eventually() {
        let o = counter(2, true).check(&CheckOptions::default(), &Progress::default());
        assert_eq!(status(&o, "reaches max"), Status::Violated);
        // The shortest goal-avoiding path to a state where only recovery is enabled.
        assert_eq!(trace_actions(&o, "reaches max"), vec![Act::Crash]);
        // If recovery were owed, the crash would not be a counterexample.
        let mut fair = counter(2, true);
        fair.fair = |a| !matches!(a, Act::Crash);
        let o = fair.check(&CheckOptions::default(), &Progress::default());
        assert_eq!(status(&o, "reaches max"), Status::Holds);
    }

    #[test]
    fn a_broken_step_is_reported_with_the_step() {
        let mut c = counter(3, false);
        c.step_invariants = vec![StepInvariant {
            name: "stays below two",
            holds: |_, _, b| b.0 < 2,
        }];
        let o = c.check(&CheckOptions::default(), &Progress::default());
        assert_eq!(status(&o, "stays below two"), Status::Violated);
        assert_eq!(
            trace_actions(&o, "stays below two"),
            vec![Act::Inc, Act::Inc]
        );
    }

    #[test]
    fn bounds_make_the_search_incomplete_and_eventually_is_not_judged_on_the_frontier() {
        let opts = CheckOptions {
            max_states: Some(2),
            ..CheckOptions::default()
        };
        let o = counter(50, false).check(&opts, &Progress::default());
        assert!(!o.complete);
        assert!(o.unique_states < 50);
        assert_eq!(status(&o, "reaches max"), Status::Holds);
    }

    #[test]
    fn dfs_and_threads_agree_with_bfs_on_counts_and_verdicts() {
        let c = counter(6, true);
        let bfs = c.check(&CheckOptions::default(), &Progress::default());
        for opts in [
            CheckOptions {
                strategy: Strategy::Dfs,
                ..CheckOptions::default()
            },
            CheckOptions {
                threads: 2,
                ..CheckOptions::default()
            },
        ] {
            let o = c.check(&opts, &Progress::default());
            assert_eq!(o.unique_states, bfs.unique_states);
            assert_eq!(o.total_states, bfs.total_states);
            for p in &bfs.properties {
                assert_eq!(status(&o, p.name), p.status, "{}", p.name);
            }
        }
    }

    #[test]
    fn simulation_finds_the_violation_and_the_stuck_run() {
        let o = counter(4, true).simulate(&SimOptions {
            seed: 7,
            runs: 50,
            depth: 20,
        });
        assert_eq!(status(&o, "below three"), Status::Violated);
        assert_eq!(status(&o, "reaches max"), Status::Violated);
        assert_eq!(status(&o, "two"), Status::Found);
        assert!(!o.complete);
    }
}
