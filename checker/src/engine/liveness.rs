//! Liveness under fairness, decided on the recorded state graph.
//!
//! A liveness property is a pair (trigger, goal): `eventually P` is (initial state, P) and
//! `P ~> Q` is (P, Q). It is violated by a behaviour that reaches a trigger state and from there
//! on never meets the goal. Stuttering steps (back to the same state) are not steps. On the
//! finite graph such a behaviour ends in one of two shapes:
//!
//! - **stuck**: a goal-avoiding path into a state where no owed action can change the state any
//!   more. Under weak or strong fairness, "owed" means an action with a fairness class (for an
//!   actor system: delivering a message, firing a timer, making a pending random choice; never a
//!   loss, a crash or a recovery), so a run may stop forever at a state where only faults
//!   remain possible. With fairness `none` a run never stops while any action can change the
//!   state, so only a state with no successor at all is stuck. Actions that leave the model's
//!   boundary count here too (see the engine docs): they are enabled, just never followed.
//! - **lasso**: a goal-avoiding path into a cycle of goal-avoiding states that a fair run can
//!   follow forever. Weak fairness: every class enabled at *every* state of the cycle is taken
//!   on the cycle. Strong fairness: every class enabled at *some* state of the cycle is taken on
//!   it. No fairness: any cycle.
//!
//! Algorithm (the standard one): compute the strongly connected components of the goal-avoiding
//! subgraph (Tarjan). A component hosts a weakly fair cycle iff every class enabled at all of
//! its states labels one of its internal edges (then the cycle through all its states and edges
//! is fair). For strong fairness, a component with a class enabled in it but never taken inside
//! it loses the states that enable that class, and what remains is decomposed again (the
//! Emerson-Lei/Streett refinement). Then one breadth-first search from the trigger states, in
//! order of their depth, through goal-avoiding states finds the nearest stuck state or state of
//! a fair component; in the latter case a cycle from that state is built inside the component,
//! detouring until it satisfies the fairness condition itself.

use super::search::{Graph, Via, Witness, ROOT};
use super::{Fairness, Kind};
use std::collections::{BTreeSet, HashMap, VecDeque};

/// A liveness property as the search records it.
pub(super) struct LiveProp<M> {
    pub name: &'static str,
    pub kind: Kind,
    /// For `eventually`: the index of the goal among the state properties.
    pub state_prop: Option<usize>,
    /// For leads-to: the index among the model's leads-to properties.
    leads: Option<usize>,
    _model: std::marker::PhantomData<fn(&M)>,
}

impl<M> LiveProp<M> {
    pub fn eventually(name: &'static str, prop: usize) -> Self {
        Self {
            name,
            kind: Kind::Eventually,
            state_prop: Some(prop),
            leads: None,
            _model: std::marker::PhantomData,
        }
    }

    pub fn leads_to(name: &'static str, index: usize) -> Self {
        Self {
            name,
            kind: Kind::LeadsTo,
            state_prop: None,
            leads: Some(index),
            _model: std::marker::PhantomData,
        }
    }

    /// (trigger, goal) in a state, from its evaluated properties.
    pub fn eval(&self, holds: &[bool], leads: &[(bool, bool)], is_init: bool) -> (bool, bool) {
        match (self.state_prop, self.leads) {
            (Some(p), _) => (is_init, holds[p]),
            (_, Some(l)) => leads[l],
            _ => unreachable!("a liveness property is eventually or leads-to"),
        }
    }
}

/// The verdict on one property as the search decides it (for `sometimes`, the witness is an
/// example rather than a counterexample).
#[derive(Clone)]
pub(super) enum Judgement {
    /// The nearest counterexample.
    Violated(Witness),
    /// No counterexample among the judged states; `bounded` when a run that might be one
    /// leaves the model's boundary, so that the verdict speaks only of the runs inside it.
    Holds { bounded: bool },
}

/// The graph in adjacency form, shared by every liveness property of one check.
pub(super) struct Analysis<'g> {
    g: &'g Graph,
    fairness: Fairness,
    /// CSR: the classes of the transitions out of the boundary from state `s` are
    /// `exit_classes[exit_start[s]..exit_start[s + 1]]`.
    exit_start: Vec<usize>,
    exit_classes: Vec<Option<u64>>,
    /// Tarjan's per-state scratch, reset after each use so that repeated decompositions cost
    /// what they visit, not the size of the graph.
    scratch: std::cell::RefCell<Scratch>,
}

struct Scratch {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
}

const UNVISITED: u32 = u32::MAX;

impl<'g> Analysis<'g> {
    pub fn new(g: &'g Graph, fairness: Fairness) -> Self {
        let n = g.fps.len();
        let (exit_start, exit_classes) = csr(n, g.exits.iter().copied());
        Self {
            g,
            fairness,
            exit_start,
            exit_classes,
            scratch: std::cell::RefCell::new(Scratch {
                index: vec![UNVISITED; n],
                low: vec![0; n],
                on_stack: vec![false; n],
            }),
        }
    }

    fn out(&self, s: u32) -> impl Iterator<Item = (u32, Option<u64>)> + '_ {
        self.g.edges.out(s)
    }

    /// The classes of the transitions from `s` that leave the model's boundary.
    fn exits(&self, s: u32) -> &[Option<u64>] {
        &self.exit_classes[self.exit_start[s as usize]..self.exit_start[s as usize + 1]]
    }

    /// The fair classes an action of which can change state `s`, sorted and deduplicated;
    /// those leading out of the boundary included.
    fn enabled(&self, s: u32) -> Vec<u64> {
        let mut c: Vec<u64> = self.out(s).filter_map(|(_, c)| c).collect();
        c.extend(self.exits(s).iter().flatten());
        c.sort_unstable();
        c.dedup();
        c
    }

    /// Whether a run may stop forever at `s`: no action it owes is enabled, not even one that
    /// leaves the boundary.
    fn stuck(&self, s: u32) -> bool {
        if !self.g.expanded[s as usize] {
            return false;
        }
        let exits = self.exits(s);
        match self.fairness {
            Fairness::None => self.out(s).next().is_none() && exits.is_empty(),
            Fairness::Weak | Fairness::Strong => {
                self.out(s).all(|(_, c)| c.is_none()) && exits.iter().all(Option::is_none)
            }
        }
    }

    /// The verdict on liveness property `k` of kind `kind`.
    pub fn judge(&self, k: usize, kind: Kind) -> Judgement {
        match self.counterexample(k) {
            Ok(w) => Judgement::Violated(w),
            // A leads-to may have triggers outside the boundary, reached through the goal.
            Err(_) if kind == Kind::LeadsTo => Judgement::Holds {
                bounded: self.g.cut,
            },
            Err(reached_exit) => Judgement::Holds {
                bounded: reached_exit || self.g.init_outside,
            },
        }
    }

    /// The nearest counterexample to liveness property `k`, or, if there is none, whether a
    /// goal-avoiding path from a trigger reaches a state with a transition out of the boundary.
    fn counterexample(&self, k: usize) -> Result<Witness, bool> {
        let g = self.g;
        let n = g.fps.len();
        let bad: Vec<bool> = (0..n).map(|s| g.expanded[s] && !g.to[k][s]).collect();
        // Component id (into `fair`) of every state that lies in a fair goal-avoiding component.
        let fair = self.fair_components(&bad);
        let mut comp_of: HashMap<u32, usize> = HashMap::new();
        for (ci, comp) in fair.iter().enumerate() {
            for &s in comp {
                comp_of.entry(s).or_insert(ci);
            }
        }
        // Breadth-first from the trigger states, shallowest first, through goal-avoiding states.
        let mut sources: Vec<u32> = (0..n as u32)
            .filter(|&s| bad[s as usize] && g.from[k][s as usize])
            .collect();
        sources.sort_by_key(|&s| (g.depth[s as usize], s));
        let mut next_source = 0;
        const UNSEEN: u32 = u32::MAX - 1;
        let mut from = vec![UNSEEN; n];
        let mut dist = vec![0u32; n];
        let mut queue: VecDeque<u32> = VecDeque::new();
        let mut reached_exit = false;
        loop {
            // Admit the sources that are no farther from an initial state than the front.
            let front_dist = queue.front().map(|&s| dist[s as usize]);
            if next_source < sources.len() {
                let s = sources[next_source];
                let d = g.depth[s as usize];
                if front_dist.is_none_or(|fd| d <= fd) {
                    next_source += 1;
                    if from[s as usize] == UNSEEN {
                        from[s as usize] = ROOT;
                        dist[s as usize] = d;
                        queue.push_front(s);
                    }
                    continue;
                }
            }
            let Some(s) = queue.pop_front() else {
                return Err(reached_exit);
            };
            reached_exit |= !self.exits(s).is_empty();
            if self.stuck(s) || comp_of.contains_key(&s) {
                let mut tail = vec![s];
                while from[*tail.last().unwrap() as usize] != ROOT {
                    tail.push(from[*tail.last().unwrap() as usize]);
                }
                tail.reverse();
                let mut path: Vec<(u32, Via)> = g
                    .path_to(tail[0])
                    .into_iter()
                    .map(|ix| (ix, Via::Any))
                    .collect();
                path.extend(tail[1..].iter().map(|&ix| (ix, Via::Any)));
                return Ok(match comp_of.get(&s) {
                    Some(&ci) if !self.stuck(s) => {
                        let loop_start = path.len() - 1;
                        path.extend(self.fair_cycle(s, &fair[ci]));
                        Witness::Path(path, Some(loop_start))
                    }
                    _ => Witness::Path(path, None),
                });
            }
            for (d, _) in self.out(s) {
                if bad[d as usize] && from[d as usize] == UNSEEN {
                    from[d as usize] = s;
                    dist[d as usize] = dist[s as usize] + 1;
                    queue.push_back(d);
                }
            }
        }
    }

    /// The goal-avoiding components (sets of states) that host a fair cycle.
    fn fair_components(&self, bad: &[bool]) -> Vec<Vec<u32>> {
        let all: Vec<u32> = (0..self.g.fps.len() as u32)
            .filter(|&s| bad[s as usize])
            .collect();
        let mut member = vec![false; self.g.fps.len()];
        for &s in &all {
            member[s as usize] = true;
        }
        let mut work: Vec<Vec<u32>> = self.sccs(&all, &member);
        for &s in &all {
            member[s as usize] = false;
        }
        let mut fair = Vec::new();
        while let Some(comp) = work.pop() {
            // Stutters are not edges, so a single state is never a cycle.
            if comp.len() < 2 {
                continue;
            }
            for &s in &comp {
                member[s as usize] = true;
            }
            let enabled: Vec<Vec<u64>> = comp.iter().map(|&s| self.enabled(s)).collect();
            let internal: BTreeSet<Option<u64>> = comp
                .iter()
                .flat_map(|&s| self.out(s))
                .filter(|(d, _)| member[*d as usize])
                .map(|(_, c)| c)
                .collect();
            let has_edge = !internal.is_empty();
            let verdict = match self.fairness {
                Fairness::None => Some(true),
                Fairness::Weak => {
                    // Classes enabled at every state of the component.
                    let mut count: HashMap<u64, usize> = HashMap::new();
                    for e in &enabled {
                        for &c in e {
                            *count.entry(c).or_default() += 1;
                        }
                    }
                    Some(
                        count
                            .iter()
                            .filter(|(_, &n)| n == comp.len())
                            .all(|(c, _)| internal.contains(&Some(*c))),
                    )
                }
                Fairness::Strong => {
                    let neglected: BTreeSet<u64> = enabled
                        .iter()
                        .flatten()
                        .copied()
                        .filter(|c| !internal.contains(&Some(*c)))
                        .collect();
                    if neglected.is_empty() {
                        Some(true)
                    } else {
                        // Drop the states that enable a neglected class; decompose the rest.
                        let rest: Vec<u32> = comp
                            .iter()
                            .zip(&enabled)
                            .filter(|(_, e)| e.iter().all(|c| !neglected.contains(c)))
                            .map(|(&s, _)| s)
                            .collect();
                        for &s in &comp {
                            member[s as usize] = false;
                        }
                        for &s in &rest {
                            member[s as usize] = true;
                        }
                        work.extend(self.sccs(&rest, &member));
                        None
                    }
                }
            };
            for &s in &comp {
                member[s as usize] = false;
            }
            if verdict == Some(true) && has_edge {
                fair.push(comp);
            }
        }
        fair
    }

    /// Strongly connected components of the subgraph induced by `member` (Tarjan, iterative).
    fn sccs(&self, nodes: &[u32], member: &[bool]) -> Vec<Vec<u32>> {
        let mut scratch = self.scratch.borrow_mut();
        let Scratch {
            index,
            low,
            on_stack,
        } = &mut *scratch;
        let mut stack: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        let mut counter = 0u32;
        for &root in nodes {
            if index[root as usize] != UNVISITED {
                continue;
            }
            // Frames: (node, position in its out-edge list).
            let mut call: Vec<(u32, usize)> = vec![(root, self.g.edges.row(root).start)];
            index[root as usize] = counter;
            low[root as usize] = counter;
            counter += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(frame) = call.last_mut() {
                let v = frame.0 as usize;
                let end = self.g.edges.row(v as u32).end;
                let mut descend = None;
                while frame.1 < end {
                    let w = self.g.edges.target(frame.1) as usize;
                    frame.1 += 1;
                    if !member[w] {
                        continue;
                    }
                    if index[w] == UNVISITED {
                        descend = Some(w);
                        break;
                    }
                    if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                }
                if let Some(w) = descend {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    call.push((w as u32, self.g.edges.row(w as u32).start));
                    continue;
                }
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    low[u as usize] = low[u as usize].min(low[v]);
                }
                if index[v] == low[v] {
                    let mut comp = Vec::new();
                    loop {
                        let w = stack.pop().expect("component on stack");
                        on_stack[w as usize] = false;
                        comp.push(w);
                        if w as usize == v {
                            break;
                        }
                    }
                    out.push(comp);
                }
            }
        }
        // Every state touched is in `nodes` (edges outside `member` are skipped).
        for &v in nodes {
            index[v as usize] = UNVISITED;
        }
        out
    }

    /// A cycle from `entry` back to it inside `comp` that is fair by itself: it takes every class
    /// the fairness requires of its own states. Returned as the steps after `entry`.
    fn fair_cycle(&self, entry: u32, comp: &[u32]) -> Vec<(u32, Via)> {
        let inside: BTreeSet<u32> = comp.iter().copied().collect();
        let mut cycle: Vec<(u32, Via)> = Vec::new();
        loop {
            let mut states: BTreeSet<u32> = cycle.iter().map(|(s, _)| *s).collect();
            states.insert(entry);
            let taken: BTreeSet<u64> = cycle
                .iter()
                .filter_map(|(_, v)| match v {
                    Via::Class(Some(c)) => Some(*c),
                    _ => None,
                })
                .collect();
            let required: BTreeSet<u64> = match self.fairness {
                Fairness::None => BTreeSet::new(),
                Fairness::Weak => {
                    let mut it = states.iter();
                    let first: BTreeSet<u64> = self
                        .enabled(*it.next().expect("entry"))
                        .into_iter()
                        .collect();
                    it.fold(first, |acc, &s| {
                        let e: BTreeSet<u64> = self.enabled(s).into_iter().collect();
                        acc.intersection(&e).copied().collect()
                    })
                }
                Fairness::Strong => states.iter().flat_map(|&s| self.enabled(s)).collect(),
            };
            let missing = required.difference(&taken).next().copied();
            let detour = match (missing, cycle.is_empty()) {
                (None, false) => return cycle,
                (None, true) => {
                    // Any internal edge out of the entry, then back.
                    let (d, c) = self
                        .out(entry)
                        .find(|(d, _)| inside.contains(d))
                        .expect("a fair component has an internal edge from every state");
                    let mut p = vec![(d, Via::Class(c))];
                    p.extend(self.route(d, |s| s == entry, &inside));
                    p
                }
                (Some(c), _) => {
                    // Take an internal edge of class c, or (weak) visit a state not enabling c.
                    let has_edge = |s: u32| {
                        self.out(s)
                            .any(|(d, k)| k == Some(c) && inside.contains(&d))
                    };
                    let skips = |s: u32| !self.enabled(s).contains(&c);
                    let target =
                        |s: u32| has_edge(s) || (self.fairness == Fairness::Weak && skips(s));
                    let mut p = self.route(entry, target, &inside);
                    let at = p.last().map_or(entry, |(s, _)| *s);
                    if has_edge(at) {
                        let (d, _) = self
                            .out(at)
                            .find(|(d, k)| *k == Some(c) && inside.contains(d))
                            .expect("checked above");
                        p.push((d, Via::Class(Some(c))));
                        p.extend(self.route(d, |s| s == entry, &inside));
                    } else {
                        p.extend(self.route(at, |s| s == entry, &inside));
                    }
                    p
                }
            };
            cycle.extend(detour);
        }
    }

    /// Shortest route inside `inside` from `from` to the nearest state satisfying `target`
    /// (empty if `from` satisfies it), each step with the exact class of the edge taken.
    fn route(
        &self,
        from: u32,
        target: impl Fn(u32) -> bool,
        inside: &BTreeSet<u32>,
    ) -> Vec<(u32, Via)> {
        if target(from) {
            return Vec::new();
        }
        let mut prev: HashMap<u32, (u32, Option<u64>)> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(s) = queue.pop_front() {
            for (d, c) in self.out(s) {
                if !inside.contains(&d) || d == from || prev.contains_key(&d) {
                    continue;
                }
                prev.insert(d, (s, c));
                if target(d) {
                    let mut path = vec![];
                    let mut at = d;
                    while at != from {
                        let (p, c) = prev[&at];
                        path.push((at, Via::Class(c)));
                        at = p;
                    }
                    path.reverse();
                    return path;
                }
                queue.push_back(d);
            }
        }
        unreachable!("a strongly connected component connects all its states")
    }
}

/// Compressed rows of `(row, item)` pairs over rows `0..n`: row `r`'s items are
/// `items[start[r]..start[r + 1]]`, in input order.
fn csr<T: Copy + Default>(
    n: usize,
    pairs: impl Iterator<Item = (u32, T)> + Clone,
) -> (Vec<usize>, Vec<T>) {
    let mut start = vec![0usize; n + 1];
    for (r, _) in pairs.clone() {
        start[r as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut items = vec![T::default(); start[n]];
    for (r, item) in pairs {
        items[fill[r as usize]] = item;
        fill[r as usize] += 1;
    }
    (start, items)
}
